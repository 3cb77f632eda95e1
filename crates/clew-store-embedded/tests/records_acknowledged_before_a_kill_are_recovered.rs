//! Kill a writing process with SIGKILL in the middle of a stream of appends: every record
//! it was told was durable is there when the log is opened again.
//!
//! The test re-runs its own binary as the writer (selected by an environment variable):
//! the writer appends records from two threads and prints each acknowledged one; the test
//! reads those lines, kills the writer without warning, then opens the log.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use clew_store_embedded::wal::{Wal, WalConfig};

const WRITER_DIR: &str = "CLEW_WAL_KILL_TEST_DIR";

/// The writer's side, run only as the child of the test below (hence ignored).
#[test]
#[ignore = "the writer process of acknowledged_records_survive_sigkill"]
fn writer() {
    let dir = std::env::var(WRITER_DIR).expect("started by acknowledged_records_survive_sigkill");
    let (wal, _) = Wal::open(WalConfig::new(dir).with_segment_bytes(64 * 1024)).unwrap();
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..2)
        .map(|thread| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                for index in 0u64.. {
                    let record = format!("{thread}-{index}-{}", "x".repeat((index % 200) as usize));
                    wal.append(record.as_bytes()).unwrap();
                    println!("{record}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "writer", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(WRITER_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = HashSet::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        // libtest prints its own lines; acknowledged records start with a thread number.
        if line.starts_with("0-") || line.starts_with("1-") {
            acknowledged.insert(line);
        }
        if acknowledged.len() >= 2000 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(acknowledged.len() >= 2000, "the writer acknowledged {} records", acknowledged.len());

    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    let found: HashSet<String> =
        recovered.records.iter().map(|record| String::from_utf8(record.clone()).unwrap()).collect();
    let missing: Vec<&String> = acknowledged.iter().filter(|record| !found.contains(*record)).collect();
    assert!(missing.is_empty(), "{} acknowledged records lost, e.g. {:?}", missing.len(), missing.first());
    for damage in &recovered.damage {
        assert!(damage.discarded_bytes > 0, "{damage:?}");
    }
}
