//! A crash can leave the last write half on disk: recovery keeps every intact record,
//! cuts the rest, reports it, and the log goes on.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::fs;
use std::path::PathBuf;

use clew_store_embedded::wal::{Wal, WalConfig};
use proptest::prelude::*;

fn segments(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    paths
}

/// Writes `records` to a fresh log and returns the directory and the segment written.
fn written(records: &[Vec<u8>]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(WalConfig::new(dir.path())).unwrap();
    for record in records {
        wal.append(record).unwrap();
    }
    drop(wal);
    let segment = segments(dir.path()).pop().unwrap();
    (dir, segment)
}

#[test]
fn every_cut_inside_the_last_record_keeps_the_others() {
    let records = vec![b"first".to_vec(), b"second".to_vec(), b"third, the torn one".to_vec()];
    let (_dir, segment) = written(&records);
    let whole = fs::read(&segment).unwrap();
    let last_record_len = 8 + records[2].len();
    for cut in 1..last_record_len {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(segment.file_name().unwrap());
        fs::write(&copy, &whole[..whole.len() - cut]).unwrap();
        let (wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
        assert_eq!(recovered.records, records[..2].to_vec(), "cut {cut} bytes");
        assert_eq!(recovered.damage.len(), 1);
        assert_eq!(recovered.damage[0].discarded_bytes as usize, last_record_len - cut);
        // The log goes on, and the next open finds the old records and the new one.
        wal.append(b"after the crash").unwrap();
        drop(wal);
        let (_wal, again) = Wal::open(WalConfig::new(dir.path())).unwrap();
        assert_eq!(again.records.len(), 3);
        assert_eq!(again.records[2], b"after the crash".to_vec());
        assert!(again.damage.is_empty(), "the cut was made once: {:?}", again.damage);
    }
}

#[test]
fn a_corrupted_byte_is_caught_by_the_checksum() {
    let records = vec![b"kept".to_vec(), b"corrupted".to_vec()];
    let (dir, segment) = written(&records);
    let mut bytes = fs::read(&segment).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x20;
    fs::write(&segment, bytes).unwrap();
    let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert_eq!(recovered.records, vec![b"kept".to_vec()]);
    assert_eq!(recovered.damage[0].reason, "record checksum does not match");
}

#[test]
fn a_segment_with_a_bad_header_is_reported_and_emptied() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("wal-00000000000000000001.log"), b"garbage").unwrap();
    fs::write(dir.path().join("notes.txt"), b"not a segment").unwrap();
    let (wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert!(recovered.records.is_empty());
    assert_eq!(recovered.damage.len(), 1);
    wal.append(b"works").unwrap();
    drop(wal);
    let (_wal, again) = Wal::open(WalConfig::new(dir.path())).unwrap();
    assert_eq!(again.records, vec![b"works".to_vec()]);
    assert!(again.damage.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Model: the log is a list of records; a cut of the file's last `cut` bytes loses
    /// exactly the records that are not wholly before the cut.
    #[test]
    fn recovery_returns_the_records_wholly_before_the_cut(
        records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..12),
        cut_fraction in 0.0f64..1.0,
    ) {
        let (dir, segment) = written(&records);
        let whole = fs::read(&segment).unwrap();
        let header = 16usize;
        let cut_at = header + ((whole.len() - header) as f64 * cut_fraction) as usize;
        fs::write(&segment, &whole[..cut_at]).unwrap();
        let mut end = header;
        let mut expected = Vec::new();
        for record in &records {
            end += 8 + record.len();
            if end <= cut_at {
                expected.push(record.clone());
            }
        }
        let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
        prop_assert_eq!(&recovered.records, &expected);
        prop_assert_eq!(recovered.damage.len(), usize::from(expected.len() < records.len() && cut_at > header + expected.iter().map(|r| 8 + r.len()).sum::<usize>()));
    }
}
