//! The `clew` command: `serve`, `demo`, `import`, `trace`, `search`, `load`. Each command's
//! options are a clap struct beside the command; `clew <command> --help` prints them.

mod client;
mod demo;
mod import;
mod load;
mod serve;
mod show;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Distributed tracing for Rust services, end to end.
#[derive(Debug, Parser)]
#[command(name = "clew", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Receive, store and query spans. Every option is also a CLEW_* variable and a key of
    /// the --config TOML file
    Serve(Box<serve::settings::ServeSettings>),
    /// Send a small multi-service workload to a running server
    Demo(demo::DemoArgs),
    /// Load SDK JSON lines or OTLP JSON files into a running server
    Import(import::ImportArgs),
    /// Print a trace as an indented tree with timings
    Trace(show::TraceArgs),
    /// List the traces that match
    Search(show::SearchArgs),
    /// Send synthetic traces to any collector and report what it accepted
    Load(load::LoadArgs),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Serve(_) => "serve",
            Command::Demo(_) => "demo",
            Command::Import(_) => "import",
            Command::Trace(_) => "trace",
            Command::Search(_) => "search",
            Command::Load(_) => "load",
        }
    }
}

/// The command line's parser, with the defaults of `clew serve`'s settings in its help.
fn command() -> clap::Command {
    Cli::command().mut_subcommand("serve", serve::settings::with_defaults)
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match command().try_get_matches_from(&args).and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        Err(error) => {
            if let Some(message) = serve::settings::name_the_source(&error, &args) {
                eprint_text(&format!("clew serve: {message}\n"));
                return ExitCode::from(2);
            }
            // --help and --version print to stdout and exit 0; usage errors exit 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let name = cli.command.name();
    let result = match cli.command {
        Command::Serve(settings) => serve::run(*settings),
        Command::Demo(args) => demo::run(args),
        Command::Import(args) => import::run(args),
        Command::Trace(args) => show::trace(args),
        Command::Search(args) => show::search(args),
        Command::Load(args) => load::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprint_text(&format!("clew {name}: {message}\n"));
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stderr)]
pub(crate) fn eprint_text(text: &str) {
    eprint!("{text}");
}

#[allow(clippy::print_stdout)]
pub(crate) fn print_text(text: &str) {
    print!("{text}");
}

#[allow(clippy::print_stderr)]
pub(crate) fn log(line: &str) {
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_help_and_the_parser_is_consistent() {
        command().debug_assert();
        for name in ["serve", "demo", "import", "trace", "search", "load"] {
            let error = command().try_get_matches_from(["clew", name, "--help"]).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::DisplayHelp, "{name}");
            assert!(error.to_string().contains(&format!("Usage: clew {name}")), "{name}: {error}");
        }
    }

    #[test]
    fn a_bad_flag_names_itself() {
        let error = command().try_get_matches_from(["clew", "demo", "--traces", "many"]).unwrap_err();
        assert!(error.to_string().contains("--traces"), "{error}");
        let error = command().try_get_matches_from(["clew", "trace", "--colour", "blue", "abc"]).unwrap_err();
        assert!(error.to_string().contains("--colour"), "{error}");
    }
}
