//! What `append` acknowledged is read back by the next `open`, in order, across segments.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::Arc;

use clew_store_embedded::wal::{Wal, WalConfig, WalError};

fn record(thread: usize, index: usize) -> Vec<u8> {
    format!("thread {thread} record {index}").into_bytes()
}

#[test]
fn records_come_back_in_the_order_they_were_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert!(recovered.records.is_empty() && recovered.damage.is_empty());
    for index in 0..100 {
        wal.append(&record(0, index)).unwrap();
    }
    wal.append(b"").unwrap();
    drop(wal);
    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    let mut expected: Vec<Vec<u8>> = (0..100).map(|index| record(0, index)).collect();
    expected.push(Vec::new());
    assert_eq!(recovered.records, expected);
    assert!(recovered.damage.is_empty());
}

#[test]
fn concurrent_appends_are_all_durable_and_share_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(WalConfig::new(dir.path()).with_segment_bytes(4096)).unwrap();
    let wal = Arc::new(wal);
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                for index in 0..200 {
                    wal.append(&record(thread, index)).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = wal.stats();
    assert_eq!(stats.records, 800);
    assert!(stats.syncs >= 1 && stats.syncs <= 800, "{stats:?}");
    drop(wal);
    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert_eq!(recovered.records.len(), 800);
    for thread in 0..4 {
        let own: Vec<&Vec<u8>> =
            recovered.records.iter().filter(|r| r.starts_with(format!("thread {thread} ").as_bytes())).collect();
        let expected: Vec<Vec<u8>> = (0..200).map(|index| record(thread, index)).collect();
        assert_eq!(own, expected.iter().collect::<Vec<_>>(), "thread {thread} in its own order");
    }
    let segments = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(segments > 2, "small segments rotated: {segments} files");
}

#[test]
fn rotated_segments_can_be_removed_once_safe_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(WalConfig::new(dir.path())).unwrap();
    wal.append(b"persisted in a block").unwrap();
    let boundary = wal.rotate().unwrap();
    wal.append(b"still only in the log").unwrap();
    wal.remove_segments_before(boundary).unwrap();
    drop(wal);
    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert_eq!(recovered.records, vec![b"still only in the log".to_vec()]);
}

#[test]
fn records_over_the_limit_are_refused_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(WalConfig::new(dir.path())).unwrap();
    let huge = vec![0u8; clew_store_embedded::wal::MAX_RECORD_LEN + 1];
    assert!(matches!(wal.append(&huge), Err(WalError::TooLarge { .. })));
    wal.append(b"fine").unwrap();
    drop(wal);
    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert_eq!(recovered.records, vec![b"fine".to_vec()]);
}
