//! The log on a small tmpfs that fills up: appends fail while it is full, succeed again as
//! soon as space is freed (no reopen), and a reopen reads back exactly the acknowledged
//! records — none of the failed ones, nothing torn. The store on a full disk answers busy,
//! says why, keeps answering queries, and takes writes again once there is room.
//!
//! Mounting a tmpfs needs root (CAP_SYS_ADMIN), which `scripts/test` has; without it the
//! test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clew::{KeyValue, Resource, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId};
use clew_store::{Origin, Store, StoreError, WriteBatch};
use clew_store_embedded::wal::{Wal, WalConfig, WalError};
use clew_store_embedded::{EmbeddedStore, StoreConfig};

/// A tmpfs of a few MiB, unmounted on drop.
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(bytes: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root (scripts/test runs as root): {status}");
        Tmpfs { _dir: dir, path }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Fills the file system of `dir` to the last byte with a file; returns it.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = OpenOptions::new().create(true).append(true).open(&path).unwrap();
    for chunk in [1 << 16, 4096, 512, 1] {
        while file.write_all(&vec![7; chunk]).is_ok() {}
    }
    drop(file);
    path
}

fn payload(index: u32) -> Vec<u8> {
    let mut record = index.to_be_bytes().to_vec();
    record.resize(20_000, b'x');
    record
}

#[test]
fn appends_fail_while_full_resume_once_freed_and_only_acknowledged_records_come_back() {
    let tmpfs = Tmpfs::mount(8 << 20);
    let wal_dir = tmpfs.path.join("wal");
    let (wal, _) = Wal::open(WalConfig::new(&wal_dir)).unwrap();
    let mut acknowledged = Vec::new();
    let mut index = 0;
    for _ in 0..10 {
        wal.append(&payload(index)).unwrap();
        acknowledged.push(payload(index));
        index += 1;
    }
    let filler = fill(&tmpfs.path);

    // Full: every append fails and says why; none of them is acknowledged.
    for _ in 0..5 {
        let error = wal.append(&payload(index)).unwrap_err();
        index += 1;
        assert!(matches!(error, WalError::Failed { .. }), "{error}");
        assert!(error.to_string().contains("No space left on device"), "{error}");
    }
    assert!(wal.failure().is_some_and(|reason| reason.contains("No space left")));
    assert!(!wal.retry(), "no room yet");

    // Space comes back: the next append succeeds without a reopen, and so does the probe.
    std::fs::remove_file(&filler).unwrap();
    assert!(wal.retry());
    assert_eq!(wal.failure(), None);
    for _ in 0..3 {
        wal.append(&payload(index)).unwrap();
        acknowledged.push(payload(index));
        index += 1;
    }

    // Full again, then the process "dies" with the log broken.
    let filler = fill(&tmpfs.path);
    assert!(wal.append(&payload(index)).is_err());
    drop(wal);
    std::fs::remove_file(&filler).unwrap();

    let (_wal, recovered) = Wal::open(WalConfig::new(&wal_dir)).unwrap();
    assert_eq!(recovered.records.len(), acknowledged.len());
    assert!(recovered.records == acknowledged, "exactly the acknowledged records, in order");
    assert!(recovered.damage.is_empty(), "the failed writes were cut, not left torn: {:?}", recovered.damage);
}

/// A trace of `spans` spans, each with an attribute of 100 bytes, started a minute ago.
fn trace_batch(trace: u8, spans: u64) -> WriteBatch {
    let start = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 - 60_000_000_000;
    let span = |id: u64| SpanData {
        trace_id: TraceId::from_bytes([trace; 16]),
        span_id: SpanId::from_u64(id),
        parent_span_id: (id > 1).then(|| SpanId::from_u64(1)),
        parent_is_remote: false,
        trace_flags: TraceFlags::SAMPLED,
        trace_state: None,
        name: format!("step {id}").into(),
        kind: SpanKind::Server,
        label: None,
        start_time_unix_nano: start + id,
        end_time_unix_nano: start + id + 1_000_000,
        attributes: vec![KeyValue::new("payload", "p".repeat(100))],
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
    };
    let origin =
        Origin { resource: Arc::new(Resource::new([KeyValue::new("service.name", "checkout")])), scope: "test".into() };
    WriteBatch { spans: vec![(origin, (1..=spans).map(span).collect())], records: Vec::new() }
}

#[test]
fn a_store_on_a_full_disk_is_busy_says_why_and_takes_writes_once_there_is_room() {
    let tmpfs = Tmpfs::mount(8 << 20);
    let mut config = StoreConfig::new(tmpfs.path.join("data"));
    config.min_free_disk_bytes = 0;
    // The test runs the background work itself.
    config.maintenance_interval = std::time::Duration::from_secs(3600);
    let (store, _) = EmbeddedStore::open(config.clone()).unwrap();
    let batch = |trace: u8| trace_batch(trace, 40);
    store.write(batch(1)).unwrap();
    let filler = fill(&tmpfs.path);

    let mut refused = 0;
    for trace in 2..12 {
        match store.write(batch(trace)) {
            Ok(()) => {}
            Err(StoreError::Busy { reason }) => {
                assert!(reason.contains("No space left on device"), "{reason}");
                refused += 1;
            }
            Err(other) => panic!("a full disk is busy, not {other}"),
        }
    }
    assert!(refused >= 9, "a full disk refuses writes ({refused} of 10 refused)");
    assert!(store.unavailable().is_some_and(|reason| reason.contains("No space left")));
    assert!(store.trace(TraceId::from_bytes([1; 16])).unwrap().is_some(), "queries are still answered");

    store.maintain().unwrap();
    assert!(store.unavailable().is_some(), "the probe finds no room");
    std::fs::remove_file(&filler).unwrap();
    // The background work probes for room, and finds it.
    store.maintain().unwrap();
    assert_eq!(store.unavailable(), None);
    store.write(batch(20)).unwrap();

    // The floor refuses before the disk is full.
    drop(store);
    config.min_free_disk_bytes = 6 << 20;
    let (store, _) = EmbeddedStore::open(config).unwrap();
    std::fs::write(tmpfs.path.join("half"), vec![1; 3 << 20]).unwrap();
    let error = store.write(batch(21)).unwrap_err();
    assert!(error.to_string().contains("min_free_disk_bytes"), "{error}");
    assert!(store.unavailable().is_some_and(|reason| reason.contains("min_free_disk_bytes")));
    for trace in [1, 20] {
        let found = store.trace(TraceId::from_bytes([trace; 16])).unwrap().expect("an acknowledged trace");
        assert_eq!(found.spans.len(), 40, "trace {trace} once, whole");
    }
}
