//! OTLP log records to clew trace events and span logs, for the server.
//!
//! A record with a trace id and no span id (empty or all zeros) is a [`TraceEvent`]; one with
//! both ids is a log line of a span. A record without a valid trace id belongs to no trace
//! clew can store and is rejected.

use clew::{Event, Level, Resource, Str, TraceEvent, Value};
use clew_store::TraceRecord;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceRequest};
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::{RejectReason, Rejected, count, describe, optional_span_id, proto_resource, scope_name, total, trace_id};
use crate::value::{attributes, value};

/// The trace events and span logs of one resource and instrumentation scope of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRecords {
    /// What produced the records.
    pub resource: Resource,
    /// The instrumentation scope's name (empty if the request gave none).
    pub scope_name: String,
    /// The accepted records, in request order.
    pub records: Vec<TraceRecord>,
}

/// Everything [`log_records_from_request`] got out of a request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedLogs {
    /// Accepted records, one group per resource and scope that had any.
    pub groups: Vec<DecodedRecords>,
    /// Counts of the records left out, per reason, in order of first occurrence.
    pub rejected: Vec<Rejected>,
}

impl DecodedLogs {
    /// The number of accepted records.
    pub fn record_count(&self) -> usize {
        self.groups.iter().map(|group| group.records.len()).sum()
    }

    /// The number of rejected records.
    pub fn rejected_count(&self) -> u64 {
        total(&self.rejected)
    }

    /// The OTLP `partial_success` to answer with, or `None` if every record was accepted.
    pub fn partial_success(&self) -> Option<ExportLogsPartialSuccess> {
        let count = self.rejected_count();
        (count > 0).then(|| ExportLogsPartialSuccess {
            rejected_log_records: i64::try_from(count).unwrap_or(i64::MAX),
            error_message: describe(&self.rejected),
        })
    }
}

/// The trace events and span logs of an OTLP logs export request, and counts of the records
/// that belong to no trace or have a malformed span id.
///
/// The name is the record's `event_name`, or else its body as text. The level comes from the
/// severity number (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-24 error), or else from
/// the severity text, or else is info. The time is `time_unix_nano`, or else the observed time.
///
/// ```
/// use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
/// let decoded = clew_otlp::log_records_from_request(&ExportLogsServiceRequest::default());
/// assert_eq!(decoded.record_count(), 0);
/// ```
pub fn log_records_from_request(request: &ExportLogsServiceRequest) -> DecodedLogs {
    let mut decoded = DecodedLogs::default();
    for resource_logs in &request.resource_logs {
        let resource = proto_resource(resource_logs.resource.as_ref());
        for scope_logs in &resource_logs.scope_logs {
            let mut records = Vec::with_capacity(scope_logs.log_records.len());
            for log_record in &scope_logs.log_records {
                match trace_record(log_record) {
                    Ok(record) => records.push(record),
                    Err(reason) => count(&mut decoded.rejected, reason),
                }
            }
            if !records.is_empty() {
                let scope_name = scope_name(scope_logs.scope.as_ref());
                decoded.groups.push(DecodedRecords { resource: resource.clone(), scope_name, records });
            }
        }
    }
    decoded
}

fn trace_record(log_record: &LogRecord) -> Result<TraceRecord, RejectReason> {
    let trace_id = trace_id(&log_record.trace_id).ok_or(RejectReason::InvalidTraceId)?;
    let span_id = optional_span_id(&log_record.span_id).map_err(|()| RejectReason::InvalidSpanId)?;
    let name = if log_record.event_name.is_empty() {
        match value(log_record.body.as_ref()) {
            Value::String(text) => text,
            other => Str::from(other.to_string()),
        }
    } else {
        Str::from(log_record.event_name.clone())
    };
    let time_unix_nano =
        if log_record.time_unix_nano == 0 { log_record.observed_time_unix_nano } else { log_record.time_unix_nano };
    let level = severity_level(log_record.severity_number, &log_record.severity_text);
    let record_attributes = attributes(&log_record.attributes);
    let Some(span_id) = span_id else {
        return Ok(TraceRecord::TraceEvent(TraceEvent {
            trace_id,
            time_unix_nano,
            level,
            name,
            attributes: record_attributes,
        }));
    };
    let event = Event {
        name,
        time_unix_nano,
        level: Some(level),
        attributes: record_attributes,
        dropped_attributes_count: log_record.dropped_attributes_count,
    };
    Ok(TraceRecord::SpanLog { trace_id, span_id, event })
}

fn severity_level(severity_number: i32, severity_text: &str) -> Level {
    match severity_number {
        1..=4 => Level::Trace,
        5..=8 => Level::Debug,
        9..=12 => Level::Info,
        13..=16 => Level::Warn,
        17..=24 => Level::Error,
        _ => Level::parse(severity_text).unwrap_or(Level::Info),
    }
}
