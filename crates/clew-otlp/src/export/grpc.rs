//! OTLP/gRPC: tonic clients on a small runtime of the exporter's own, so that the caller
//! may be any thread, inside an application's tokio runtime or not.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};

use super::retry::Outcome;
use super::{Body, BuildError, Compression, RpcStatus, Signal};

pub(crate) struct GrpcTransport {
    runtime: tokio::runtime::Runtime,
    traces: TraceServiceClient<Channel>,
    logs: LogsServiceClient<Channel>,
    metadata: MetadataMap,
}

impl GrpcTransport {
    pub(crate) fn new(
        traces_url: &str,
        logs_url: &str,
        headers: &[(String, String)],
        compression: Compression,
    ) -> Result<GrpcTransport, BuildError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clew-otlp-grpc")
            .enable_all()
            .build()
            .map_err(|error| BuildError(format!("gRPC runtime: {error}")))?;
        let channel = |url: &str| -> Result<Channel, BuildError> {
            let endpoint =
                Endpoint::from_shared(url.to_owned()).map_err(|error| BuildError(format!("{url:?}: {error}")))?;
            // Connects on first use, and again after a failure.
            let _entered = runtime.enter();
            Ok(endpoint.connect_lazy())
        };
        let traces_channel = channel(traces_url)?;
        let logs_channel = if logs_url == traces_url { traces_channel.clone() } else { channel(logs_url)? };
        let mut traces = TraceServiceClient::new(traces_channel);
        let mut logs = LogsServiceClient::new(logs_channel);
        if compression == Compression::Gzip {
            traces = traces.send_compressed(CompressionEncoding::Gzip);
            logs = logs.send_compressed(CompressionEncoding::Gzip);
        }
        let mut metadata = MetadataMap::new();
        for (name, value) in headers {
            let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|_| BuildError(format!("header {name:?} cannot be gRPC metadata")))?;
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|_| BuildError(format!("the value of header {name:?} cannot be gRPC metadata")))?;
            metadata.insert(key, value);
        }
        Ok(GrpcTransport { runtime, traces, logs, metadata })
    }

    /// Sends one message, giving up after `left`.
    pub(crate) fn send(&self, signal: Signal, body: &Body, left: Duration) -> Outcome {
        let (mut traces, mut logs, metadata) = (self.traces.clone(), self.logs.clone(), self.metadata.clone());
        let request = match (signal, body) {
            (Signal::Traces, Body::Traces(request)) => Ok(request.clone()),
            (Signal::Logs, Body::Logs(request)) => Err(request.clone()),
            _ => return Outcome::Refused { reason: "an HTTP body reached the gRPC transport".into() },
        };
        let call = async move {
            let answer = match request {
                Ok(message) => {
                    let mut request = Request::new(message);
                    *request.metadata_mut() = metadata;
                    request.set_timeout(left);
                    traces.export(request).await.map(|response| {
                        let partial = response.into_inner().partial_success.unwrap_or_default();
                        (partial.rejected_spans, partial.error_message)
                    })
                }
                Err(message) => {
                    let mut request = Request::new(message);
                    *request.metadata_mut() = metadata;
                    request.set_timeout(left);
                    logs.export(request).await.map(|response| {
                        let partial = response.into_inner().partial_success.unwrap_or_default();
                        (partial.rejected_log_records, partial.error_message)
                    })
                }
            };
            match answer {
                Ok((rejected, message)) => Outcome::Accepted { rejected, message },
                Err(status) => outcome_of(&status),
            }
        };
        // Spawned rather than blocked on, so that a caller inside a runtime is no problem.
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let outcome = tokio::time::timeout(left, call)
                .await
                .unwrap_or_else(|_| Outcome::Retry { reason: "no answer in time".into(), after: None });
            let _ = done.send(outcome);
        });
        wait.recv_timeout(left + Duration::from_millis(100))
            .unwrap_or_else(|_| Outcome::Retry { reason: "no answer in time".into(), after: None })
    }
}

/// What a gRPC status means for the export, as the OTLP specification lists the codes.
fn outcome_of(status: &Status) -> Outcome {
    let reason = format!("gRPC {:?}: {}", status.code(), status.message());
    match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => Outcome::Retry { reason, after: retry_delay(status) },
        // Retryable only when the server says when to come back.
        Code::ResourceExhausted => match retry_delay(status) {
            Some(after) => Outcome::Retry { reason, after: Some(after) },
            None => Outcome::Refused { reason },
        },
        _ => Outcome::Refused { reason },
    }
}

/// The `google.rpc.RetryInfo` delay in a status's details, if any.
fn retry_delay(status: &Status) -> Option<Duration> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        retry_delay: Option<ProtoDuration>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct ProtoDuration {
        #[prost(int64, tag = "1")]
        seconds: i64,
        #[prost(int32, tag = "2")]
        nanos: i32,
    }
    let details = RpcStatus::decode(status.details()).ok()?;
    let info = details.details.iter().find(|any| any.type_url.ends_with("/google.rpc.RetryInfo"))?;
    let delay = RetryInfo::decode(info.value.as_slice()).ok()?.retry_delay?;
    let seconds = u64::try_from(delay.seconds).ok()?;
    let nanos = u32::try_from(delay.nanos).ok().filter(|nanos| *nanos < 1_000_000_000)?;
    Some(Duration::new(seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::prost_types_any::Any;

    fn with_retry_info(code: Code, seconds: i64) -> Status {
        #[derive(Clone, PartialEq, prost::Message)]
        struct RetryInfo {
            #[prost(message, optional, tag = "1")]
            retry_delay: Option<Delay>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        struct Delay {
            #[prost(int64, tag = "1")]
            seconds: i64,
        }
        let info = RetryInfo { retry_delay: Some(Delay { seconds }) };
        let details = RpcStatus {
            code: code as i32,
            message: "slow down".into(),
            details: vec![Any {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                value: info.encode_to_vec(),
            }],
        };
        Status::with_details(code, "slow down", details.encode_to_vec().into())
    }

    #[test]
    fn the_specification_s_codes_are_retried_and_resource_exhausted_only_with_retry_info() {
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(matches!(outcome_of(&Status::new(code, "x")), Outcome::Retry { after: None, .. }), "{code:?}");
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Internal,
            Code::Unimplemented,
            Code::ResourceExhausted,
        ] {
            assert!(matches!(outcome_of(&Status::new(code, "x")), Outcome::Refused { .. }), "{code:?}");
        }
        assert_eq!(
            outcome_of(&with_retry_info(Code::ResourceExhausted, 2)),
            Outcome::Retry { reason: "gRPC ResourceExhausted: slow down".into(), after: Some(Duration::from_secs(2)) }
        );
        assert!(
            matches!(outcome_of(&with_retry_info(Code::Unavailable, 7)), Outcome::Retry { after: Some(after), .. } if after == Duration::from_secs(7))
        );
    }
}
