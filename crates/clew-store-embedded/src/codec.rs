//! The bytes of a [`WriteBatch`] in the write-ahead log.
//!
//! A record is the batch as OTLP protobuf, a format that outlives any version of clew:
//!
//! ```text
//! u8   version (1)
//! u32  length of the traces request, little-endian
//! ...  ExportTraceServiceRequest (one ResourceSpans per span group)
//! ...  ExportLogsServiceRequest (one ResourceLogs per record group), to the end
//! ```
//!
//! Decoding goes through the same validation as ingest; a batch that was written passed it,
//! so nothing is lost on the way back.

use std::sync::Arc;

use clew_otlp::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use clew_otlp::opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use clew_otlp::prost::Message;

use clew_store::model::{Origin, WriteBatch};

const VERSION: u8 = 1;

/// The log record of a batch.
pub(crate) fn encode(batch: &WriteBatch) -> Vec<u8> {
    let traces = clew_otlp::traces_request_of_groups(
        batch.spans.iter().map(|(origin, spans)| (&*origin.resource, origin.scope.as_ref(), spans.as_slice())),
    );
    let logs = clew_otlp::records_request(
        batch.records.iter().map(|(origin, records)| (&*origin.resource, origin.scope.as_ref(), records.as_slice())),
    );
    let traces_len = traces.encoded_len();
    let mut bytes = Vec::with_capacity(5 + traces_len + logs.encoded_len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&u32::try_from(traces_len).unwrap_or(u32::MAX).to_le_bytes());
    // Encoding into a Vec cannot run out of room.
    let _ = traces.encode(&mut bytes);
    let _ = logs.encode(&mut bytes);
    bytes
}

/// The batch of a log record, or why it is not one.
pub(crate) fn decode(bytes: &[u8]) -> Result<WriteBatch, String> {
    let (&version, rest) = bytes.split_first().ok_or("empty record")?;
    if version != VERSION {
        return Err(format!("unknown record version {version}"));
    }
    let (len, rest) = rest.split_first_chunk::<4>().ok_or("record too short")?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| "record too long")?;
    if rest.len() < len {
        return Err("record shorter than its traces request".into());
    }
    let (traces, logs) = rest.split_at(len);
    let traces = ExportTraceServiceRequest::decode(traces).map_err(|error| format!("traces request: {error}"))?;
    let logs = ExportLogsServiceRequest::decode(logs).map_err(|error| format!("logs request: {error}"))?;
    let spans = clew_otlp::spans_from_request(&traces);
    let records = clew_otlp::log_records_from_request(&logs);
    Ok(WriteBatch {
        spans: spans
            .groups
            .into_iter()
            .map(|group| (Origin { resource: Arc::new(group.resource), scope: group.scope_name.into() }, group.spans))
            .collect(),
        records: records
            .groups
            .into_iter()
            .map(|group| (Origin { resource: Arc::new(group.resource), scope: group.scope_name.into() }, group.records))
            .collect(),
    })
}
