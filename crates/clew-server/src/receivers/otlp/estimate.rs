//! OTLP's messages as [`crate::receivers::estimate`] walks them: each costs its prost
//! struct twice (a vector grows to up to twice its length) and the store's model of it.

use std::mem::size_of;

use clew_otlp::opentelemetry_proto::tonic::common::v1 as common;
use clew_otlp::opentelemetry_proto::tonic::logs::v1 as logs;
use clew_otlp::opentelemetry_proto::tonic::resource::v1::Resource;
use clew_otlp::opentelemetry_proto::tonic::trace::v1 as trace;

use crate::receivers::estimate::{self, JsonCosts, ProtoKind};

const fn twice<T>() -> usize {
    2 * size_of::<T>()
}

static TRACES: ProtoKind = ProtoKind { cost: 0, messages: &[(1, &RESOURCE_SPANS)] };
static RESOURCE_SPANS: ProtoKind =
    ProtoKind { cost: twice::<trace::ResourceSpans>(), messages: &[(1, &RESOURCE), (2, &SCOPE_SPANS)] };
static SCOPE_SPANS: ProtoKind = ProtoKind {
    cost: twice::<trace::ScopeSpans>() + size_of::<clew_store::Origin>(),
    messages: &[(1, &SCOPE), (2, &SPAN)],
};
static SPAN: ProtoKind = ProtoKind {
    cost: twice::<trace::Span>() + size_of::<clew::SpanData>(),
    messages: &[(9, &KEY_VALUE), (11, &EVENT), (13, &LINK), (15, &STATUS)],
};
static EVENT: ProtoKind =
    ProtoKind { cost: twice::<trace::span::Event>() + size_of::<clew::Event>(), messages: &[(3, &KEY_VALUE)] };
static LINK: ProtoKind =
    ProtoKind { cost: twice::<trace::span::Link>() + size_of::<clew::Link>(), messages: &[(4, &KEY_VALUE)] };
static STATUS: ProtoKind = ProtoKind { cost: 0, messages: &[] };

static LOGS: ProtoKind = ProtoKind { cost: 0, messages: &[(1, &RESOURCE_LOGS)] };
static RESOURCE_LOGS: ProtoKind =
    ProtoKind { cost: twice::<logs::ResourceLogs>(), messages: &[(1, &RESOURCE), (2, &SCOPE_LOGS)] };
static SCOPE_LOGS: ProtoKind = ProtoKind {
    cost: twice::<logs::ScopeLogs>() + size_of::<clew_store::Origin>(),
    messages: &[(1, &SCOPE), (2, &LOG_RECORD)],
};
static LOG_RECORD: ProtoKind = ProtoKind {
    cost: twice::<logs::LogRecord>() + size_of::<clew_store::TraceRecord>(),
    messages: &[(5, &ANY_VALUE), (6, &KEY_VALUE)],
};

static RESOURCE: ProtoKind = ProtoKind {
    cost: size_of::<Resource>() + size_of::<clew::Resource>(),
    messages: &[(1, &KEY_VALUE), (3, &ENTITY_REF)],
};
static ENTITY_REF: ProtoKind = ProtoKind { cost: twice::<common::EntityRef>(), messages: &[] };
static SCOPE: ProtoKind = ProtoKind { cost: size_of::<common::InstrumentationScope>(), messages: &[(3, &KEY_VALUE)] };
static KEY_VALUE: ProtoKind =
    ProtoKind { cost: twice::<common::KeyValue>() + size_of::<clew::KeyValue>(), messages: &[(2, &ANY_VALUE)] };
static ANY_VALUE: ProtoKind = ProtoKind {
    cost: twice::<common::AnyValue>() + size_of::<clew::Value>(),
    messages: &[(5, &ARRAY), (6, &KEY_VALUES)],
};
static ARRAY: ProtoKind = ProtoKind { cost: size_of::<common::ArrayValue>(), messages: &[(1, &ANY_VALUE)] };
static KEY_VALUES: ProtoKind = ProtoKind { cost: size_of::<common::KeyValueList>(), messages: &[(1, &KEY_VALUE)] };

/// The decoded size of an `ExportTraceServiceRequest` in protobuf.
pub(crate) fn traces_protobuf(body: &[u8]) -> usize {
    estimate::protobuf(body, &TRACES)
}

/// The decoded size of an `ExportLogsServiceRequest` in protobuf.
pub(crate) fn logs_protobuf(body: &[u8]) -> usize {
    estimate::protobuf(body, &LOGS)
}

/// The decoded size of an OTLP JSON request, traces or logs: objects cost as the message
/// their member names (OTLP JSON's lowerCamelCase field names) hold.
pub(crate) fn json(body: &[u8]) -> usize {
    estimate::json(body, &JSON)
}

static JSON: JsonCosts = JsonCosts {
    object: |name| match name {
        b"" => 0,
        b"resourceSpans" => RESOURCE_SPANS.cost,
        b"scopeSpans" => SCOPE_SPANS.cost,
        b"spans" => SPAN.cost,
        b"events" => EVENT.cost,
        b"links" => LINK.cost,
        b"resourceLogs" => RESOURCE_LOGS.cost,
        b"scopeLogs" => SCOPE_LOGS.cost,
        b"logRecords" => LOG_RECORD.cost,
        b"resource" => RESOURCE.cost,
        b"entityRefs" => ENTITY_REF.cost,
        b"scope" => SCOPE.cost,
        b"attributes" => KEY_VALUE.cost,
        b"value" | b"values" | b"body" => ANY_VALUE.cost,
        b"arrayValue" => ARRAY.cost,
        b"kvlistValue" => KEY_VALUES.cost,
        // `status`, and members serde ignores (which cost nothing, but might be a field
        // this table does not know).
        _ => size_of::<common::AnyValue>(),
    },
    maps: &[],
    entry: 0,
};

#[cfg(test)]
mod tests {
    use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;

    use super::*;

    fn spans(count: usize, span: trace::Span) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![trace::ResourceSpans {
                scope_spans: vec![trace::ScopeSpans { spans: vec![span; count], ..Default::default() }],
                ..Default::default()
            }],
        }
    }

    fn real_span() -> trace::Span {
        let attribute = |key: &str, value: &str| common::KeyValue {
            key: key.into(),
            value: Some(common::AnyValue { value: Some(common::any_value::Value::StringValue(value.into())) }),
            ..Default::default()
        };
        trace::Span {
            trace_id: vec![7; 16],
            span_id: vec![8; 8],
            name: "GET /api/orders/{id}".into(),
            start_time_unix_nano: 1,
            end_time_unix_nano: 2,
            attributes: vec![
                attribute("http.request.method", "GET"),
                attribute("url.path", "/api/orders/1234"),
                attribute("http.response.status_code", "200"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn empty_spans_cost_more_than_the_ratio_allows_and_real_ones_far_less() {
        let empty = spans(10_000, trace::Span::default()).encode_to_vec();
        let ratio = traces_protobuf(&empty) / empty.len();
        assert!(ratio > crate::budget::MAX_RATIO, "empty spans: {ratio}×");
        let real = spans(10_000, real_span()).encode_to_vec();
        let ratio = traces_protobuf(&real) / real.len();
        assert!((2..crate::budget::MAX_RATIO / 4).contains(&ratio), "real spans: {ratio}×");
        let json = serde_json::to_vec(&spans(10_000, real_span())).unwrap();
        let ratio = super::json(&json) / json.len();
        assert!((1..crate::budget::MAX_RATIO / 4).contains(&ratio), "real spans in JSON: {ratio}×");
        let empty = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}{{}}]}}]}}]}}"#, "{},".repeat(9999));
        let ratio = super::json(empty.as_bytes()) / empty.len();
        assert!(ratio > crate::budget::MAX_RATIO, "empty spans in JSON: {ratio}×");
    }

    #[test]
    fn the_estimate_covers_what_decoding_allocates() {
        // The decoded request's own vectors and strings, counted as they are.
        let request = spans(1000, real_span());
        let body = request.encode_to_vec();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        let strings: usize = span.name.len()
            + span.attributes.iter().map(|kv| kv.key.len() + 24).sum::<usize>()
            + span.trace_id.len()
            + span.span_id.len();
        let decoded = 1000
            * (size_of::<trace::Span>()
                + strings
                + span.attributes.len() * (size_of::<common::KeyValue>() + size_of::<common::AnyValue>()));
        assert!(traces_protobuf(&body) > decoded, "{} ≤ {decoded}", traces_protobuf(&body));
    }
}
