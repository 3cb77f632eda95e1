//! `clew trace ID` and `clew search …`: the query API in a terminal.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::client::{DEFAULT_SERVER, encode, get_json};
use crate::parse_options;

const SEARCH_HELP: &str = "\
usage: clew search [--service S] [--operation O] [--kind K] [--attr key=value]... [--errors]
                   [--min-duration 100ms] [--max-duration 2s] [--lookback 1h] [--limit 20]
                   [--server http://127.0.0.1:16686]
";

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

/// `clew trace ID [--server URL]`
pub(crate) fn trace(args: &[String]) -> Result<(), String> {
    let (options, positional) = parse_options(args, &[])?;
    let server = server_of(&options)?;
    let [id] = positional.as_slice() else {
        return Err("usage: clew trace ID [--server http://127.0.0.1:16686]".into());
    };
    let trace = get_json(&format!("{server}/api/v1/traces/{}", encode(id)))?;
    print(&render_trace(&trace));
    Ok(())
}

fn server_of(options: &[(String, String)]) -> Result<String, String> {
    let mut server = DEFAULT_SERVER.to_owned();
    for (name, value) in options {
        if name == "server" {
            server = value.trim_end_matches('/').to_owned();
        }
    }
    Ok(server)
}

/// `clew search …`
pub(crate) fn search(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        print(SEARCH_HELP);
        return Ok(());
    }
    let (options, positional) = parse_options(args, &["errors"])?;
    if let Some(extra) = positional.first() {
        return Err(format!("unexpected argument {extra:?}\n{SEARCH_HELP}"));
    }
    let server = server_of(&options)?;
    let mut query = Vec::new();
    for (name, value) in &options {
        let key = match name.as_str() {
            "server" => continue,
            "service" | "operation" | "kind" | "attr" | "errors" | "limit" => name.as_str(),
            "min_duration" => "minDuration",
            "max_duration" => "maxDuration",
            "lookback" => {
                let lookback =
                    clew_server::config::parse_lookback(value).map_err(|message| format!("--lookback: {message}"))?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.as_nanos() as u64);
                query.push(format!("start={}", now.saturating_sub(lookback)));
                continue;
            }
            other => return Err(format!("unknown option --{}\n{SEARCH_HELP}", other.replace('_', "-"))),
        };
        query.push(format!("{key}={}", encode(value)));
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
