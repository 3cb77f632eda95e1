//! OTLP/HTTP: one POST per request, on a blocking client that needs no async runtime.

use std::io::Write as _;
use std::time::{Duration, SystemTime};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::retry::{Outcome, http_status_is_retryable, parse_retry_after};
use super::{Body, Compression, Inner, Signal, status_message};

/// The most of an answer's body that is read.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

pub(crate) struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    pub(crate) fn new() -> HttpTransport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("clew-otlp/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        HttpTransport { agent }
    }

    /// POSTs `body` to `url`, giving up after `left`.
    pub(crate) fn send(&self, signal: Signal, url: &str, inner: &Inner, body: &Body, left: Duration) -> Outcome {
        let (content_type, bytes, json) = match body {
            Body::Protobuf(bytes) => ("application/x-protobuf", bytes, false),
            Body::Json(bytes) => ("application/json", bytes, true),
            #[cfg(feature = "grpc")]
            Body::Traces(_) | Body::Logs(_) => {
                return Outcome::Refused { reason: "a gRPC message reached the HTTP transport".into() };
            }
        };
        let compressed;
        let bytes = match inner.compression {
            Compression::None => bytes.as_slice(),
            Compression::Gzip => {
                compressed = gzip(bytes);
                compressed.as_slice()
            }
        };
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        if inner.compression == Compression::Gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        for (name, value) in &inner.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let sent = request.config().timeout_global(Some(left)).build().send(bytes);
        let mut response = match sent {
            Ok(response) => response,
            // The endpoint could not be reached or did not answer in time: worth another try.
            Err(error) => return Outcome::Retry { reason: error.to_string(), after: None },
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let answer = response.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_to_vec().unwrap_or_default();
        if (200..300).contains(&status) {
            let (rejected, message) = partial_success(signal, &answer, json);
            return Outcome::Accepted { rejected, message };
        }
        let reason = format!("HTTP {status}: {}", status_message(&answer, json));
        if http_status_is_retryable(status) {
            Outcome::Retry { reason, after: retry_after }
        } else {
            Outcome::Refused { reason }
        }
    }
}

/// The `partial_success` of a 2xx answer: rejected count and message.
fn partial_success(signal: Signal, answer: &[u8], json: bool) -> (i64, String) {
    if answer.is_empty() {
        return (0, String::new());
    }
    let logs = signal == Signal::Logs;
    if json {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(answer) else { return (0, String::new()) };
        let partial = &value["partialSuccess"];
        let count_key = if logs { "rejectedLogRecords" } else { "rejectedSpans" };
        let rejected = match &partial[count_key] {
            serde_json::Value::String(text) => text.parse().unwrap_or(0),
            other => other.as_i64().unwrap_or(0),
        };
        return (rejected, partial["errorMessage"].as_str().unwrap_or_default().to_owned());
    }
    if logs {
        ExportLogsServiceResponse::decode(answer)
            .ok()
            .and_then(|response| response.partial_success)
            .map_or((0, String::new()), |partial| (partial.rejected_log_records, partial.error_message))
    } else {
        ExportTraceServiceResponse::decode(answer)
            .ok()
            .and_then(|response| response.partial_success)
            .map_or((0, String::new()), |partial| (partial.rejected_spans, partial.error_message))
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
