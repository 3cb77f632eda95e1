//! OTLP for clew: clew's batches as OpenTelemetry protocol (OTLP) export requests, and OTLP
//! requests back as clew spans and trace events.
//!
//! The mapping is the core; [`OtlpExporter`] (feature `http`, on by default; `grpc` for
//! OTLP/gRPC, `tls` for HTTPS) sends an application's spans with it, and the server's
//! receivers decode with it. The message types are those of [`opentelemetry_proto`] (re-exported with
//! [`prost`], so that callers use the same versions).
//!
//! - [`traces_request`] maps a [`clew::Batch`]'s spans, field by field, to an
//!   `ExportTraceServiceRequest`; [`encode_traces`] gives its protobuf bytes.
//! - [`logs_request`] maps the batch's trace-level events to log records with the trace id
//!   and an empty span id; [`encode_logs`] gives their protobuf bytes.
//! - [`spans_from_request`] and [`log_records_from_request`] go the other way, for the
//!   server: invalid spans and records are counted per [`RejectReason`], never an error of
//!   the whole request, so that the server can answer with an OTLP `partial_success`.
//!
//! What clew has and OTLP has not travels as attributes: a span's `label` as
//! [`LABEL_ATTRIBUTE`], an event's `level` as [`LEVEL_ATTRIBUTE`]. What OTLP has and clew
//! has not (bytes, key-value lists, mixed arrays) comes back as text, as the table below
//! shows.
//!
//! ```
//! use std::sync::Arc;
//! use clew_otlp::prost::Message;
//! use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
//!
//! let span = clew::SpanData {
//!     trace_id: clew::TraceId::from_u128(1),
//!     span_id: clew::SpanId::from_u64(2),
//!     parent_span_id: None,
//!     parent_is_remote: false,
//!     trace_flags: clew::TraceFlags::SAMPLED,
//!     trace_state: None,
//!     name: "checkout".into(),
//!     kind: clew::SpanKind::Server,
//!     label: Some("MASTER".into()),
//!     start_time_unix_nano: 10,
//!     end_time_unix_nano: 20,
//!     attributes: vec![clew::KeyValue::new("http.status_code", 200)],
//!     events: Vec::new(),
//!     links: Vec::new(),
//!     status: clew::Status::Ok,
//!     dropped_attributes_count: 0,
//!     dropped_events_count: 0,
//!     dropped_links_count: 0,
//! };
//! let batch = clew::Batch::new(Arc::new(clew::Resource::default()), vec![span.clone()], Vec::new());
//! let bytes = clew_otlp::encode_traces(&clew_otlp::traces_request(&batch, "shop"));
//!
//! let request = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
//! let decoded = clew_otlp::spans_from_request(&request);
//! assert_eq!(decoded.groups[0].spans, vec![span]);
//! ```
//!
//! ## Value mapping
//!
//! clew to OTLP is exact: every [`clew::Value`] has an `AnyValue` form, arrays as
//! `ArrayValue`s of one type. OTLP to clew keeps every value it can and turns the rest into
//! text. Bytes are hex rather than base64: no extra dependency, and they read like ids.
//!
//! | `AnyValue`                         | clew `Value`                               |
//! |------------------------------------|--------------------------------------------|
//! | string, bool, int, double          | the same                                   |
//! | array of one primitive type        | the array of that type                     |
//! | empty array                        | an empty `StringArray`                     |
//! | mixed or nested array, kvlist      | `String` of JSON text (`{"key":value,…}`)  |
//! | bytes                              | `String` of lowercase hex (`00ff…`)        |
//! | empty, or a profiling string index | `String` of `""` (`null` inside JSON text) |
//!

mod decode;
mod encode;
#[cfg(feature = "http")]
mod export;
mod value;

pub use opentelemetry_proto;
pub use prost;

#[cfg(feature = "store")]
pub use decode::{DecodedLogs, DecodedRecords, log_records_from_request};
pub use decode::{DecodedSpans, DecodedTraces, RejectReason, Rejected, spans_from_request};
#[cfg(feature = "http")]
pub use export::{
    BuildError, Compression, OtlpExporter, OtlpExporterBuilder, Protocol, RetryPolicy, init, tracer_builder,
    tracer_builder_from,
};

#[cfg(feature = "store")]
pub use encode::records_request;
pub use encode::{encode_logs, encode_traces, logs_request, traces_request, traces_request_of_groups};

/// The span attribute that carries a clew span's free `label` (`MASTER`, `STEP`, …) in OTLP.
///
/// It is added after the span's other attributes; on the way back, the last attribute of
/// this key with a string value becomes the label and leaves the attribute list.
pub const LABEL_ATTRIBUTE: &str = "clew.span.label";

/// The event attribute that carries a clew event's `level` in OTLP, as the uppercase level
/// name (`INFO`, `WARN`, …).
///
/// It is added after the event's other attributes; on the way back, it becomes the level
/// only when it is the event's last attribute and its value is exactly an uppercase level
/// name, so an application attribute also named `level` stays an attribute.
pub const LEVEL_ATTRIBUTE: &str = "level";

/// OTLP `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: whether the parent (or linked span) is
/// remote is known. clew always knows, so it always sets this bit.
pub const FLAGS_HAS_IS_REMOTE: u32 = 0x100;

/// OTLP `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`: the parent (or linked span) came from another
/// process.
pub const FLAGS_IS_REMOTE: u32 = 0x200;

/// The README's examples (which use clew and this crate), compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
