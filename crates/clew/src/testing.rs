//! Helpers for testing instrumented code: spans drawn as a tree for snapshot tests.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::data::{SpanData, SpanKind, Status};
use crate::id::SpanId;
use crate::value::KeyValue;

/// Draws spans as an indented tree, one span per line, children under their parent in
/// start order, events as `· name` lines under their span. Ids and times are left out so
/// the text is the same on every run; clew's own `clew.project_id`/`clew.request_id`
/// attributes are left out too.
///
/// ```
/// let exporter = clew::InMemoryExporter::new();
/// let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
/// tracer.in_span("parent", |_| {
///     tracer.span("child").kind(clew::SpanKind::Client).attribute("n", 1).start().end();
/// });
/// assert_eq!(exporter.tree(), "parent\n  child [client] {n=1}\n");
/// ```
pub fn render_tree(spans: &[SpanData]) -> String {
    let present: HashSet<SpanId> = spans.iter().map(|span| span.span_id).collect();
    let mut children: HashMap<Option<SpanId>, Vec<&SpanData>> = HashMap::new();
    for span in spans {
        let parent = span.parent_span_id.filter(|parent| present.contains(parent));
        children.entry(parent).or_default().push(span);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| a.start_time_unix_nano.cmp(&b.start_time_unix_nano).then_with(|| a.name.cmp(&b.name)));
    }
    let mut out = String::new();
    let mut stack: Vec<(&SpanData, usize)> =
        children.get(&None).map(|roots| roots.iter().rev().map(|span| (*span, 0)).collect()).unwrap_or_default();
    while let Some((span, depth)) = stack.pop() {
        write_span(&mut out, span, depth);
        if let Some(kids) = children.get(&Some(span.span_id)) {
            stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
        }
    }
    out
}

fn write_attributes(out: &mut String, attributes: &[KeyValue]) {
    let shown: Vec<&KeyValue> = attributes
        .iter()
        .filter(|attribute| attribute.key != crate::keys::PROJECT_ID && attribute.key != crate::keys::REQUEST_ID)
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str(" {");
    for (index, attribute) in shown.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}={:?}", attribute.key, attribute.value);
    }
    out.push('}');
}

fn write_span(out: &mut String, span: &SpanData, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = write!(out, "{indent}{}", span.name);
    let kind = (span.kind != SpanKind::Internal).then(|| span.kind.as_str());
    match (kind, &span.label) {
        (Some(kind), Some(label)) => {
            let _ = write!(out, " [{kind} {label}]");
        }
        (Some(kind), None) => {
            let _ = write!(out, " [{kind}]");
        }
        (None, Some(label)) => {
            let _ = write!(out, " [{label}]");
        }
        (None, None) => {}
    }
    match &span.status {
        Status::Unset => {}
        Status::Ok => out.push_str(" ok"),
        Status::Error { message } => {
            let _ = write!(out, " error({message})");
        }
    }
    write_attributes(out, &span.attributes);
    out.push('\n');
    for event in &span.events {
        let _ = write!(out, "{indent}  · {}", event.name);
        if let Some(level) = event.level {
            let _ = write!(out, " {level}");
        }
        write_attributes(out, &event.attributes);
        out.push('\n');
    }
}
