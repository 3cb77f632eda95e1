//! Zipkin v2 JSON bodies: an array of spans, as `POST /api/v2/spans` takes them.

use clew::SpanKind;
use clew_otlp::{RejectReason, Rejected};
use clew_store::WriteBatch;
use serde_json::Value as Json;

use super::span::{Endpoint, ZipkinSpan, count, hex_bytes, to_batch};

fn endpoint_from_json(json: &Json) -> Endpoint {
    let address = json
        .get("ipv4")
        .or_else(|| json.get("ipv6"))
        .and_then(Json::as_str)
        .filter(|address| !address.is_empty())
        .map(str::to_owned);
    Endpoint {
        service_name: json.get("serviceName").and_then(Json::as_str).unwrap_or("").to_owned(),
        address,
        port: json
            .get("port")
            .and_then(Json::as_u64)
            .and_then(|port| u16::try_from(port).ok())
            .filter(|port| *port > 0),
    }
}

fn span_from_json(json: &Json) -> Option<ZipkinSpan> {
    let object = json.as_object()?;
    let id_of = |field: &str| object.get(field).and_then(Json::as_str).and_then(hex_bytes);
    let kind = match object.get("kind").and_then(Json::as_str) {
        Some("CLIENT") => Some(SpanKind::Client),
        Some("SERVER") => Some(SpanKind::Server),
        Some("PRODUCER") => Some(SpanKind::Producer),
        Some("CONSUMER") => Some(SpanKind::Consumer),
        _ => None,
    };
    let annotations = object
        .get("annotations")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| Some((item.get("timestamp")?.as_u64()?, item.get("value")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let tags = object
        .get("tags")
        .and_then(Json::as_object)
        .map(|tags| {
            tags.iter()
                .map(|(key, value)| (key.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    Some(ZipkinSpan {
        trace_id: id_of("traceId").unwrap_or_default(),
        id: id_of("id").unwrap_or_default(),
        parent_id: match object.get("parentId") {
            None | Some(Json::Null) => Vec::new(),
            Some(_) => id_of("parentId").unwrap_or_else(|| vec![0; 1]),
        },
        name: object.get("name").and_then(Json::as_str).unwrap_or("").to_owned(),
        kind,
        timestamp: object.get("timestamp").and_then(Json::as_u64).unwrap_or(0),
        duration: object.get("duration").and_then(Json::as_u64).unwrap_or(0),
        local: object.get("localEndpoint").map(endpoint_from_json).unwrap_or_default(),
        remote: object.get("remoteEndpoint").map(endpoint_from_json),
        annotations,
        tags,
    })
}

/// Spans of a Zipkin v2 JSON body (an array of spans), and counts of the invalid ones.
pub(crate) fn decode_json(body: &[u8]) -> Result<(WriteBatch, Vec<Rejected>), String> {
    let json: Json = serde_json::from_slice(body).map_err(|error| format!("invalid Zipkin JSON: {error}"))?;
    let items = json.as_array().ok_or("invalid Zipkin JSON: the body must be an array of spans")?;
    let mut rejected = Vec::new();
    let mut spans = Vec::with_capacity(items.len());
    for item in items {
        match span_from_json(item) {
            Some(span) => spans.push(span),
            None => count(&mut rejected, RejectReason::InvalidSpanId),
        }
    }
    Ok(to_batch(spans, rejected))
}
