//! What one span costs in clew alone: sampled with attributes, nested, unsampled.
//! The comparison with other SDKs is `crates/clew-bench`; this bench is for work on the
//! hot path. Run with `cargo bench -p clew --bench span`.

use std::hint::black_box;
use std::time::Instant;

use clew::{Batch, ExportError, Sampler, SpanExporter, Tracer};
use criterion::{Criterion, criterion_group, criterion_main};

/// Receives batches and drops them, so spans are really recorded and queued.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    fn export(&self, batch: Batch, _deadline: Instant) -> Result<(), ExportError> {
        black_box(batch);
        Ok(())
    }
}

fn spans(c: &mut Criterion) {
    let sampled = Tracer::builder().ignore_env().exporter(Discard).max_queue_size(1 << 16).build();
    let unsampled = Tracer::builder().ignore_env().sampler(Sampler::AlwaysOff).exporter(Discard).build();

    c.bench_function("root_2_attrs", |b| {
        b.iter(|| {
            let mut span = sampled.span("root").start();
            span.set_attribute("http.method", "GET");
            span.set_attribute("http.status_code", 200);
        })
    });
    c.bench_function("root_10_children", |b| {
        b.iter(|| {
            sampled.in_span("root", |_| {
                for _ in 0..10 {
                    black_box(sampled.span("child").start());
                }
            })
        })
    });
    c.bench_function("unsampled", |b| b.iter(|| black_box(unsampled.span("unsampled").start())));
    let stats = sampled.stats();
    assert!(stats.queued > 0, "the sampled cases recorded spans: {stats:?}");
}

criterion_group!(benches, spans);
criterion_main!(benches);
