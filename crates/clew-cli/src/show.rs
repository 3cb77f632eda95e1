//! `clew trace ID` and `clew search …`: the query API in a terminal.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::client::{DEFAULT_SERVER, encode, get_json};

fn nanos(value: &Json) -> u64 {
    value.as_str().and_then(|text| text.parse().ok()).or_else(|| value.as_u64()).unwrap_or(0)
}

/// A duration for people: `950ns`, `12.3µs`, `4.56ms`, `1.23s`.
pub(crate) fn human(nanos: u64) -> String {
    match nanos {
        0..1_000 => format!("{nanos}ns"),
        1_000..1_000_000 => format!("{:.1}µs", nanos as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2}ms", nanos as f64 / 1e6),
        _ => format!("{:.2}s", nanos as f64 / 1e9),
    }
}

/// The trace as an indented tree: offset from the trace start, duration, service, name.
pub(crate) fn render_trace(trace: &Json) -> String {
    let empty = Vec::new();
    let spans = trace["spans"].as_array().unwrap_or(&empty);
    let start = spans.iter().map(|span| nanos(&span["startTimeUnixNano"])).min().unwrap_or(0);
    let ids: HashMap<&str, usize> =
        spans.iter().enumerate().filter_map(|(index, span)| Some((span["spanId"].as_str()?, index))).collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (index, span) in spans.iter().enumerate() {
        let parent = span["parentSpanId"].as_str().and_then(|id| ids.get(id).copied());
        children.entry(parent).or_default().push(index);
    }
    let mut out = String::new();
    let _ = writeln!(out, "trace {}", trace["traceId"].as_str().unwrap_or(""));
    for event in trace["events"].as_array().unwrap_or(&empty) {
        let _ = writeln!(
            out,
            "  event +{} {} {}",
            human(nanos(&event["timeUnixNano"]).saturating_sub(start)),
            event["level"].as_str().unwrap_or(""),
            event["name"].as_str().unwrap_or("")
        );
    }
    let mut stack: Vec<(usize, usize)> =
        children.get(&None).map(|roots| roots.iter().rev().map(|&index| (index, 0)).collect()).unwrap_or_default();
    while let Some((index, depth)) = stack.pop() {
        let span = &spans[index];
        let error = if span["status"]["code"] == "error" {
            format!("  ERROR {}", span["status"]["message"].as_str().unwrap_or(""))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:indent$}{} +{} {} [{}] {}{error}",
            "",
            if depth == 0 { "" } else { "└ " },
            human(nanos(&span["startTimeUnixNano"]).saturating_sub(start)),
            human(nanos(&span["durationNanos"])),
            span["service"].as_str().unwrap_or(""),
            span["name"].as_str().unwrap_or(""),
            indent = depth * 2
        );
        if let Some(kids) = children.get(&Some(index)) {
            stack.extend(kids.iter().rev().map(|&kid| (kid, depth + 1)));
        }
    }
    out
}

#[allow(clippy::print_stdout)]
fn print(text: &str) {
    print!("{text}");
}

/// `clew trace`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct TraceArgs {
    /// The trace id (32 hex digits)
    #[arg(value_name = "ID")]
    id: String,
    /// The server's query API
    #[arg(long, value_name = "URL", default_value = DEFAULT_SERVER)]
    server: String,
}

/// `clew trace ID`
pub(crate) fn trace(args: TraceArgs) -> Result<(), String> {
    let server = args.server.trim_end_matches('/');
    let trace = get_json(&format!("{server}/api/v1/traces/{}", encode(&args.id)))?;
    print(&render_trace(&trace));
    Ok(())
}

/// `clew search`'s options: the filters of `/api/v1/search`.
#[derive(Debug, clap::Args)]
pub(crate) struct SearchArgs {
    /// Spans of this service
    #[arg(long)]
    service: Option<String>,
    /// Spans of this name
    #[arg(long)]
    operation: Option<String>,
    /// Spans of this kind: server, client, producer, consumer or internal
    #[arg(long)]
    kind: Option<String>,
    /// A span or resource attribute, key=value (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    attr: Vec<String>,
    /// Only traces with an error span
    #[arg(long)]
    errors: bool,
    /// Spans that lasted at least this long, e.g. 100ms
    #[arg(long, value_name = "DURATION")]
    min_duration: Option<String>,
    /// Spans that lasted at most this long, e.g. 2s
    #[arg(long, value_name = "DURATION")]
    max_duration: Option<String>,
    /// How far back to look, e.g. 1h (the server's default when not given)
    #[arg(long, value_name = "DURATION", value_parser = clew_server::duration::parse_duration)]
    lookback: Option<std::time::Duration>,
    /// At most this many traces
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// The server's query API
    #[arg(long, value_name = "URL", default_value = DEFAULT_SERVER)]
    server: String,
}

/// `clew search …`
pub(crate) fn search(args: SearchArgs) -> Result<(), String> {
    let server = args.server.trim_end_matches('/');
    let mut query = Vec::new();
    let texts = [
        ("service", args.service),
        ("operation", args.operation),
        ("kind", args.kind),
        ("minDuration", args.min_duration),
        ("maxDuration", args.max_duration),
        ("limit", args.limit.map(|limit| limit.to_string())),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            query.push(format!("{key}={}", encode(&value)));
        }
    }
    for attribute in &args.attr {
        query.push(format!("attr={}", encode(attribute)));
    }
    if args.errors {
        query.push("errors=true".to_owned());
    }
    if let Some(lookback) = args.lookback {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64);
        let lookback = clew_server::duration::saturating_nanos(lookback);
        query.push(format!("start={}", now.saturating_sub(lookback)));
    }
    let answer = get_json(&format!("{server}/api/v1/search?{}", query.join("&")))?;
    let empty = Vec::new();
    let traces = answer["traces"].as_array().unwrap_or(&empty);
    let mut out = String::new();
    for summary in traces {
        let _ = writeln!(
            out,
            "{}  {:>9}  {:>4} spans  {:>3} errors  {}: {}",
            summary["traceId"].as_str().unwrap_or(""),
            human(nanos(&summary["durationNanos"])),
            summary["spanCount"],
            summary["errorCount"],
            summary["rootService"].as_str().unwrap_or(""),
            summary["rootOperation"].as_str().unwrap_or(""),
        );
    }
    if traces.is_empty() {
        out.push_str("no traces match\n");
    }
    print(&out);
    Ok(())
}
