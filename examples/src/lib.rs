//! Shared helpers of the examples: printing what a [`clew::InMemoryExporter`] collected.
//!
//! The examples collect their spans in memory and print them three ways: as an indented
//! tree ([`print_tree`], the readable view), the trace-level events that belong to no span
//! ([`print_trace_events`]; the tree shows spans only), and the JSON lines that
//! [`clew::StdoutExporter`] would have written ([`print_json_lines`]).

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clew::{Batch, ExportError, InMemoryExporter, KeyValue, Resource, SpanExporter, StdoutExporter};

/// Prints a heading, to tell the parts of an example's output apart.
pub fn print_heading(title: &str) {
    println!("\n=== {title}");
}

/// Prints the spans collected so far as an indented tree, children under their parent.
pub fn print_tree(exporter: &InMemoryExporter) {
    print!("{}", exporter.tree());
}

/// Prints the trace-level events collected so far in time order, one a line, with the
/// start of their trace id. (Events recorded on different threads are exported in
/// different batches, so the exporter's order is not the order they happened in.)
pub fn print_trace_events(exporter: &InMemoryExporter) {
    let mut events = exporter.trace_events();
    events.sort_by_key(|event| event.time_unix_nano);
    for event in events {
        let trace_id = event.trace_id.to_string();
        let short_trace_id = trace_id.get(..8).unwrap_or(&trace_id);
        println!("{short_trace_id}… {} {}{}", event.level, event.name, attribute_text(&event.attributes));
    }
}

/// Prints everything collected so far as the JSON lines [`StdoutExporter`] writes.
pub fn print_json_lines(exporter: &InMemoryExporter) -> Result<(), ExportError> {
    let resource = exporter.resource().unwrap_or_else(|| Arc::new(Resource::default()));
    let batch = Batch::new(resource, exporter.spans(), exporter.trace_events());
    StdoutExporter::new().export(batch, Instant::now() + Duration::from_secs(5))
}

/// ` {key=value, …}` as the tree writes attributes, or nothing for an empty list.
fn attribute_text(attributes: &[KeyValue]) -> String {
    if attributes.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> =
        attributes.iter().map(|attribute| format!("{}={:?}", attribute.key, attribute.value)).collect();
    format!(" {{{}}}", pairs.join(", "))
}
