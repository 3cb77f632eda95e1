//! A recording tracer and a subscriber with the layer, for the tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clew_tracing::ClewLayer;
use tracing_subscriber::layer::SubscriberExt;

/// A tracer that exports each span as it ends into the returned exporter.
pub fn recording(sampler: clew::Sampler) -> (clew::Tracer, clew::InMemoryExporter) {
    let exporter = clew::InMemoryExporter::new();
    let tracer =
        clew::Tracer::builder().ignore_env().sampler(sampler).exporter(exporter.clone()).simple_export().build();
    (tracer, exporter)
}

/// The layer over `tracer` without the attributes it adds from metadata, so that trees
/// show only what the test wrote.
pub fn bare_layer(tracer: clew::Tracer) -> ClewLayer {
    ClewLayer::new().with_tracer(tracer).with_location(false).with_target(false).with_level(false)
}

/// Runs `work` with a registry and `layer` as this thread's subscriber.
pub fn with_layer<R>(layer: ClewLayer, work: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), work)
}

/// A value whose `Debug` counts how often it is formatted.
#[derive(Clone, Default)]
pub struct Counted(pub Arc<AtomicUsize>);

impl Counted {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}
