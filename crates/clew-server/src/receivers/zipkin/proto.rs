//! Zipkin v2 protobuf bodies: zipkin.proto's `ListOfSpans`, with the messages written
//! out for prost (the proto file has no Rust crate of its own).

use std::collections::BTreeMap;

use clew::SpanKind;
use clew_otlp::Rejected;
use clew_store::WriteBatch;

use super::span::{Endpoint, ZipkinSpan, to_batch};

/// The messages of zipkin.proto.
pub(super) mod messages {
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct ListOfSpans {
        #[prost(message, repeated, tag = "1")]
        pub(crate) spans: Vec<Span>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Span {
        #[prost(bytes = "vec", tag = "1")]
        pub(crate) trace_id: Vec<u8>,
        #[prost(bytes = "vec", tag = "2")]
        pub(crate) parent_id: Vec<u8>,
        #[prost(bytes = "vec", tag = "3")]
        pub(crate) id: Vec<u8>,
        #[prost(int32, tag = "4")]
        pub(crate) kind: i32,
        #[prost(string, tag = "5")]
        pub(crate) name: String,
        #[prost(fixed64, tag = "6")]
        pub(crate) timestamp: u64,
        #[prost(uint64, tag = "7")]
        pub(crate) duration: u64,
        #[prost(message, optional, tag = "8")]
        pub(crate) local_endpoint: Option<Endpoint>,
        #[prost(message, optional, tag = "9")]
        pub(crate) remote_endpoint: Option<Endpoint>,
        #[prost(message, repeated, tag = "10")]
        pub(crate) annotations: Vec<Annotation>,
        #[prost(map = "string, string", tag = "11")]
        pub(crate) tags: std::collections::HashMap<String, String>,
        #[prost(bool, tag = "12")]
        pub(crate) debug: bool,
        #[prost(bool, tag = "13")]
        pub(crate) shared: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Endpoint {
        #[prost(string, tag = "1")]
        pub(crate) service_name: String,
        #[prost(bytes = "vec", tag = "2")]
        pub(crate) ipv4: Vec<u8>,
        #[prost(bytes = "vec", tag = "3")]
        pub(crate) ipv6: Vec<u8>,
        #[prost(int32, tag = "4")]
        pub(crate) port: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Annotation {
        #[prost(fixed64, tag = "1")]
        pub(crate) timestamp: u64,
        #[prost(string, tag = "2")]
        pub(crate) value: String,
    }
}

fn endpoint_from_proto(endpoint: &messages::Endpoint) -> Endpoint {
    let address = match (endpoint.ipv4.as_slice(), endpoint.ipv6.as_slice()) {
        (&[a, b, c, d], _) => Some(std::net::Ipv4Addr::new(a, b, c, d).to_string()),
        (_, ipv6) if ipv6.len() == 16 => {
            let mut octets = [0; 16];
            octets.copy_from_slice(ipv6);
            Some(std::net::Ipv6Addr::from(octets).to_string())
        }
        _ => None,
    };
    Endpoint {
        service_name: endpoint.service_name.clone(),
        address,
        port: u16::try_from(endpoint.port).ok().filter(|port| *port > 0),
    }
}

/// What a `ListOfSpans` body takes decoded ([`crate::receivers::estimate`]).
pub(crate) fn estimate(body: &[u8]) -> usize {
    use std::mem::size_of;

    use crate::receivers::estimate::ProtoKind;
    static LIST: ProtoKind = ProtoKind { cost: 0, messages: &[(1, &SPAN)] };
    static SPAN: ProtoKind = ProtoKind {
        cost: 2 * size_of::<messages::Span>() + size_of::<ZipkinSpan>() + size_of::<clew::SpanData>(),
        messages: &[(8, &ENDPOINT), (9, &ENDPOINT), (10, &ANNOTATION), (11, &TAG)],
    };
    static ENDPOINT: ProtoKind = ProtoKind { cost: size_of::<Endpoint>(), messages: &[] };
    static ANNOTATION: ProtoKind = ProtoKind {
        cost: 2 * size_of::<messages::Annotation>() + size_of::<(u64, String)>() + size_of::<clew::Event>(),
        messages: &[],
    };
    // A map entry: in the map, in the span's sorted list, and as an attribute.
    static TAG: ProtoKind =
        ProtoKind { cost: 4 * size_of::<(String, String)>() + size_of::<clew::KeyValue>(), messages: &[] };
    crate::receivers::estimate::protobuf(body, &LIST)
}

/// Spans of a zipkin.proto `ListOfSpans` body, and counts of the invalid ones.
pub(crate) fn decode_proto(body: &[u8]) -> Result<(WriteBatch, Vec<Rejected>), String> {
    use prost::Message;
    let list = messages::ListOfSpans::decode(body).map_err(|error| format!("invalid Zipkin protobuf: {error}"))?;
    let spans = list
        .spans
        .into_iter()
        .map(|span| ZipkinSpan {
            trace_id: span.trace_id,
            id: span.id,
            parent_id: span.parent_id,
            name: span.name,
            kind: match span.kind {
                1 => Some(SpanKind::Client),
                2 => Some(SpanKind::Server),
                3 => Some(SpanKind::Producer),
                4 => Some(SpanKind::Consumer),
                _ => None,
            },
            timestamp: span.timestamp,
            duration: span.duration,
            // fixed64 fields: always whole numbers.
            bad_time: false,
            local: span.local_endpoint.as_ref().map(endpoint_from_proto).unwrap_or_default(),
            remote: span.remote_endpoint.as_ref().map(endpoint_from_proto),
            annotations: span
                .annotations
                .into_iter()
                .map(|annotation| (annotation.timestamp, annotation.value))
                .collect(),
            tags: span.tags.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect(),
        })
        .collect();
    Ok(to_batch(spans, Vec::new()))
}
