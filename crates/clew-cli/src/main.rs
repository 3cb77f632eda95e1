//! The `clew` command: `serve`, `demo`, `import`, `trace`, `search`, `load`.

mod client;
mod demo;
mod import;
mod load;
mod show;

use std::process::ExitCode;
use std::sync::Arc;

use clew_server::config::SETTINGS;
use clew_store_embedded::{EmbeddedStore, StoreConfig};

const USAGE: &str = "\
usage: clew <command> [options]

commands:
  serve                 receive, store and query spans (see `clew serve --help`)
  demo                  send a small multi-service workload to a running server
  import FILE...        load SDK JSON lines or OTLP JSON files into a running server
  trace ID              print a trace as an indented tree with timings
  search [filters]      list matching traces (see `clew search --help`)
  load [options]        send synthetic traces to any collector and report (see `clew load --help`)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint_usage(USAGE);
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "serve" => serve(rest),
        "demo" => demo::run(rest),
        "import" => import::run(rest),
        "trace" => show::trace(rest),
        "search" => show::search(rest),
        "load" => load::run(rest),
        "help" | "--help" | "-h" => {
            print_text(USAGE);
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprint_usage(&format!("clew {command}: {message}\n"));
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stderr)]
fn eprint_usage(text: &str) {
    eprint!("{text}");
}

#[allow(clippy::print_stdout)]
fn print_text(text: &str) {
    print!("{text}");
}

/// Options as (name with `_` for `-`, value) pairs, and the positional arguments.
pub(crate) type Parsed = (Vec<(String, String)>, Vec<String>);

/// `--name value` and `--name=value` pairs; `flags` (names without `--`) take no value.
pub(crate) fn parse_options(args: &[String], flags: &[&str]) -> Result<Parsed, String> {
    let mut options = Vec::new();
    let mut positional = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(name) = arg.strip_prefix("--") else {
            positional.push(arg.clone());
            continue;
        };
        if let Some((name, value)) = name.split_once('=') {
            options.push((name.replace('-', "_"), value.to_owned()));
        } else if flags.contains(&name) {
            options.push((name.replace('-', "_"), "true".to_owned()));
        } else {
            let value = iter.next().ok_or_else(|| format!("--{name} needs a value"))?;
            options.push((name.replace('-', "_"), value.clone()));
        }
    }
    Ok((options, positional))
}

fn serve_help() -> String {
    let mut text = String::from(
        "usage: clew serve [options]\n\nEvery option is also a CLEW_* variable and a key of the --config TOML file.\n\n",
    );
    for (name, help) in SETTINGS {
        text.push_str(&format!("  --{:<26} {help}\n", name.replace('_', "-")));
    }
    text
}

fn serve(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        print_text(&serve_help());
        return Ok(());
    }
    let (options, positional) = parse_options(args, &["demo", "self-tracing"])?;
    if let Some(extra) = positional.first() {
        return Err(format!("unexpected argument {extra:?}\n\n{}", serve_help()));
    }
    let config = clew_server::ServerConfig::load(
        &options,
        |name| std::env::var(name).ok(),
        |path| std::fs::read_to_string(path),
    )
    .map_err(|error| error.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("clew-serve")
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(run_server(config))
}

/// The embedded store's settings from the server's.
fn store_config(config: &clew_server::ServerConfig) -> StoreConfig {
    let mut store_config = StoreConfig::new(&config.data_dir);
    store_config.retention = config.retention;
    store_config.head_max_spans = config.head_max_spans;
    store_config.head_max_bytes = config.head_max_bytes;
    store_config.head_max_age = config.head_max_age;
    store_config.compaction_blocks = config.compaction_blocks;
    store_config
}

async fn run_server(config: clew_server::ServerConfig) -> Result<(), String> {
    let demo = config.demo;
    let data_dir = config.data_dir.clone();
    let store_config = store_config(&config);
    let (store, report) = tokio::task::spawn_blocking(move || EmbeddedStore::open(store_config))
        .await
        .map_err(|error| format!("opening the store was cancelled: {error}"))?
        .map_err(|error| format!("store: {error}"))?;
    let mut server = clew_server::start(config, Arc::new(store)).await.map_err(|error| error.to_string())?;
    log(&format!(
        "clew serve: data in {} ({} blocks, {} spans replayed from the log)",
        data_dir.display(),
        report.blocks,
        report.replayed_spans
    ));
    for damage in &report.damage {
        log(&format!(
            "clew serve: cut {} damaged bytes at offset {} of {} ({})",
            damage.discarded_bytes,
            damage.offset,
            damage.path.display(),
            damage.reason
        ));
    }
    for (path, reason) in &report.unreadable_blocks {
        log(&format!("clew serve: skipped unreadable block {}: {reason}", path.display()));
    }
    log(&format!(
        "clew serve: query API and UI on http://{}, OTLP/gRPC on {}, OTLP/HTTP on http://{}, Zipkin on http://{}",
        server.http_addr, server.otlp_grpc_addr, server.otlp_http_addr, server.zipkin_addr
    ));
    if demo {
        let endpoint = format!("http://{}", client::loopback(server.otlp_http_addr));
        tokio::task::spawn_blocking(move || {
            if let Err(error) = demo::send(&endpoint, demo::DEFAULT_TRACES) {
                log(&format!("clew serve: the demo workload failed: {error}"));
            }
        });
    }
    let failure = tokio::select! {
        () = shutdown_signal() => None,
        error = server.wait_for_failure() => Some(error),
    };
    log("clew serve: shutting down, writing the head to a block");
    server.shutdown().await.map_err(|error| error.to_string())?;
    match failure {
        Some(error) => Err(error.to_string()),
        None => Ok(()),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

#[allow(clippy::print_stderr)]
pub(crate) fn log(line: &str) {
    eprintln!("{line}");
}
