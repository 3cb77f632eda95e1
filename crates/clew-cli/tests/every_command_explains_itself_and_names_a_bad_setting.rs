//! `clew <command> --help` prints each command's options; a bad flag, `CLEW_*` variable or
//! key of the TOML file is refused with a message that names it, before anything starts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn clew(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clew"));
    command.args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("CLEW_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_prints_its_help() {
    for (command, option) in [
        ("serve", "--head-max-bytes"),
        ("demo", "--traces"),
        ("import", "--endpoint"),
        ("trace", "--server"),
        ("search", "--min-duration"),
        ("load", "--traces-per-request"),
    ] {
        let output = clew(&[command, "--help"], &[]);
        assert!(output.status.success(), "clew {command} --help: {}", text(&output.stderr));
        let help = text(&output.stdout);
        assert!(help.contains(&format!("Usage: clew {command}")) && help.contains(option), "{command}: {help}");
    }
    let serve = text(&clew(&["serve", "--help"], &[]).stdout);
    assert!(serve.contains("[default: 7d]") && serve.contains("[env: CLEW_RETENTION="), "{serve}");
}

#[test]
fn a_bad_setting_is_named_where_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let flag = clew(&["serve", "--data-dir", dir.path().to_str().unwrap(), "--retention", "soon"], &[]);
    assert_eq!(flag.status.code(), Some(2));
    assert!(text(&flag.stderr).contains("'--retention <DURATION>'"), "{}", text(&flag.stderr));

    let variable = clew(&["serve"], &[("CLEW_DATA_DIR", dir.path().to_str().unwrap()), ("CLEW_ZSTD_LEVEL", "99")]);
    assert_eq!(variable.status.code(), Some(2));
    let message = text(&variable.stderr);
    assert!(message.contains("CLEW_ZSTD_LEVEL=99") && message.contains("from 1 to 22"), "{message}");
    assert!(!message.contains("--zstd-level"), "the variable was given, not the flag: {message}");

    let file = dir.path().join("clew.toml");
    std::fs::write(&file, "retention = \"3d\"\nhead_max_bytes = \"a lot\"\n").unwrap();
    let from_file = clew(&["serve", "--config", file.to_str().unwrap()], &[]);
    assert_eq!(from_file.status.code(), Some(1));
    let message = text(&from_file.stderr);
    assert!(message.contains("clew.toml") && message.contains("head_max_bytes"), "{message}");

    let unknown = clew(&["demo", "--colour", "blue"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("--colour"), "{}", text(&unknown.stderr));
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "nothing was started: only clew.toml is there");
}
