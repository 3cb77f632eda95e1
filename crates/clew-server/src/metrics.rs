//! The server's counters, rendered in the Prometheus text format for `/metrics`.
//!
//! Counters are updated per request, not per span, so a mutex-guarded map of label sets is
//! cheap enough and keeps the exposition code small.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use clew_store::StoreStats;

/// Upper bounds of the query latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Values {
    /// (metric name, label text) → value
    counters: BTreeMap<(&'static str, String), u64>,
    histograms: BTreeMap<String, Histogram>,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    values: Mutex<Values>,
}

const HELP: [(&str, &str); 9] = [
    ("clew_spans_received_total", "Spans accepted and stored, by protocol."),
    ("clew_records_received_total", "Log records of traces accepted and stored, by protocol."),
    ("clew_spans_refused_total", "Spans refused as invalid, by reason."),
    ("clew_spans_dropped_total", "Spans of requests the store could not take (answered 503), by protocol."),
    ("clew_requests_total", "Ingest requests, by protocol and answer."),
    ("clew_values_truncated_total", "Strings (names, keys, values, messages) cut to the length limit, by protocol."),
    ("clew_attributes_dropped_total", "Attributes dropped over the per-span limit, by protocol."),
    ("clew_events_dropped_total", "Span events dropped over the per-span limit, by protocol."),
    ("clew_links_dropped_total", "Span links dropped over the per-span limit, by protocol."),
];

fn labels(pairs: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let value = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let _ = write!(text, "{key}=\"{value}\"");
    }
    text
}

impl Metrics {
    fn values(&self) -> std::sync::MutexGuard<'_, Values> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `amount` to a counter with these labels.
    pub(crate) fn add(&self, name: &'static str, pairs: &[(&str, &str)], amount: u64) {
        if amount > 0 {
            *self.values().counters.entry((name, labels(pairs))).or_default() += amount;
        }
    }

    /// Records how long a query of one API took.
    pub(crate) fn observe_query(&self, api: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut values = self.values();
        let histogram = values.histograms.entry(labels(&[("api", api)])).or_default();
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The Prometheus text exposition of every metric, with the store's counts.
    pub(crate) fn render(&self, store: &StoreStats) -> String {
        let mut out = String::new();
        let values = self.values();
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let mut any = false;
            for ((metric, label_text), value) in &values.counters {
                if *metric == name {
                    any = true;
                    let _ = writeln!(out, "{name}{{{label_text}}} {value}");
                }
            }
            if !any {
                let _ = writeln!(out, "{name} 0");
            }
        }
        let name = "clew_query_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time to answer a query, by API.\n# TYPE {name} histogram");
        for (label_text, histogram) in &values.histograms {
            for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                let _ = writeln!(out, "{name}_bucket{{{label_text},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "{name}_bucket{{{label_text},le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "{name}_sum{{{label_text}}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{{label_text}}} {}", histogram.count);
        }
        let gauges: [(&str, &str, &str, f64); 13] = [
            ("clew_store_spans_written_total", "counter", "Spans written to the store.", store.spans_written as f64),
            ("clew_store_head_spans", "gauge", "Spans in memory, not yet in a block.", store.head_spans as f64),
            ("clew_store_head_bytes", "gauge", "Bytes the spans in memory take.", store.head_bytes as f64),
            ("clew_store_blocks", "gauge", "Blocks on disk.", store.blocks as f64),
            ("clew_store_block_bytes", "gauge", "Bytes of blocks on disk.", store.block_bytes as f64),
            ("clew_store_wal_bytes", "gauge", "Bytes of write-ahead log on disk.", store.wal_bytes as f64),
            ("clew_store_wal_syncs_total", "counter", "Write-ahead log syncs.", store.wal_syncs as f64),
            (
                "clew_store_wal_sync_seconds_total",
                "counter",
                "Time spent writing and syncing the log.",
                store.wal_sync_seconds,
            ),
            ("clew_store_flushes_total", "counter", "Head blocks written to disk.", store.flushes as f64),
            ("clew_store_compactions_total", "counter", "Compactions of blocks.", store.compactions as f64),
            ("clew_store_blocks_expired_total", "counter", "Blocks deleted by retention.", store.blocks_expired as f64),
            (
                "clew_store_writes_refused_total",
                "counter",
                "Writes refused because the store was full.",
                store.writes_refused as f64,
            ),
            (
                "clew_store_maintenance_errors_total",
                "counter",
                "Failed flushes, compactions and deletions.",
                store.maintenance_errors as f64,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}
