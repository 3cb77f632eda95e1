//! Durable appends per second: one writer, and several at once sharing syncs (group
//! commit). Run with `cargo bench -p clew-store --bench wal`.
#![allow(clippy::print_stderr)] // the bench reports records per sync beside criterion's figures

use std::sync::Arc;
use std::time::{Duration, Instant};

use clew_store_embedded::wal::{Wal, WalConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// About the size of an OTLP request of 10 spans with 11 attributes each.
const RECORD: usize = 4096;

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal_append_4KiB");
    group.throughput(Throughput::Elements(1));
    for writers in [1usize, 4, 16] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (wal, _) = Wal::open(WalConfig::new(dir.path())).expect("the log opens");
        let wal = Arc::new(wal);
        let record = vec![0x5a_u8; RECORD];
        group.bench_function(format!("{writers}_writers"), |bench| {
            bench.iter_custom(|iterations| {
                // Each writer appends its share; the time is per record over all writers.
                let per_writer = (iterations / writers as u64).max(1);
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..writers {
                        let wal = wal.clone();
                        let record = &record;
                        scope.spawn(move || {
                            for _ in 0..per_writer {
                                wal.append(record).expect("append");
                            }
                        });
                    }
                });
                let elapsed = started.elapsed();
                elapsed.mul_f64(iterations as f64 / (per_writer * writers as u64) as f64)
            })
        });
        let stats = wal.stats();
        assert!(stats.records > 0, "records were appended: {stats:?}");
        eprintln!(
            "  {writers} writers: {} records in {} syncs ({:.1} per sync), {:?} per sync",
            stats.records,
            stats.syncs,
            stats.records as f64 / stats.syncs.max(1) as f64,
            Duration::from_micros(stats.sync_micros / stats.syncs.max(1))
        );
    }
    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
