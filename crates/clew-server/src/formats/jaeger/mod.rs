//! Jaeger's query formats: the classic JSON of `/api/*` (what Jaeger UI and Grafana's
//! Jaeger data source read) and the OTLP JSON of `/api/v3/*`, with their parameters.
//!
//! Each part follows jaeger-query's own code, so that a client written against Jaeger reads
//! clew's answers unchanged:
//!
//! | file          | what                                   | follows (jaegertracing/jaeger)                         |
//! |---------------|----------------------------------------|--------------------------------------------------------|
//! | `classic.rs`  | the `{data, total, limit, offset, errors}` envelope; services, operations, dependencies | `cmd/query/app/http_handler.go`, `internal/uimodel/model.go` |
//! | `trace.rs`    | one trace: processes, spans, references, tags, logs | `internal/uimodel/converter/v1/json/from_domain.go`; tags as the collector's OTLP-to-Jaeger translator names them |
//! | `search.rs`   | `/api/traces` and `/api/dependencies` parameters | `cmd/query/app/query_parser.go`, `default_params.go` |
//! | `duration.rs` | Go durations (`1h2m3.5s`)              | Go's `time.ParseDuration`                              |
//! | `rfc3339.rs`  | RFC 3339 times                         | Go's `time.Parse(time.RFC3339Nano, …)`                 |
//! | `v3.rs`       | `/api/v3`: `{"result": TracesData}`, services, operations, search parameters | `cmd/query/app/apiv3/http_gateway.go`, jaeger-idl `proto/api_v3/query_service.proto` |
//!
//! Every parser takes the query's `(name, value)` pairs in order. As Go's `url.Values.Get`,
//! a parameter given twice counts once, with its first value, and an empty value counts as
//! absent; unknown parameters are ignored. A value that cannot be read is a [`ParamError`]
//! naming the parameter, never a panic.

mod classic;
mod duration;
mod rfc3339;
mod search;
mod trace;
mod v3;

#[cfg(test)]
mod tests;

pub(crate) use classic::{JaegerError, dependencies_json, envelope, operations_json, services_json};
pub(crate) use duration::parse_go_duration;
pub(crate) use rfc3339::parse_rfc3339;
pub(crate) use search::{parse_dependencies, parse_search, parse_trace_ids};
pub(crate) use trace::trace_json;
pub(crate) use v3::{parse_v3_query, v3_error_json, v3_operations_json, v3_services_json, v3_traces_json};

/// jaeger-query's `defaultQueryLimit`: the number of traces a search returns when `limit`
/// is not given (`query_parser.go`).
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// The most traces one search returns, whatever the client asks for.
pub(crate) const MAX_LIMIT: usize = 10_000;

/// jaeger-query's `defaultTraceQueryLookbackDuration`, two days: how far back a search
/// starts when it gives no start (`default_params.go`).
pub(crate) const DEFAULT_SEARCH_LOOKBACK_NANOS: u64 = 2 * 24 * 3_600 * NANOS_PER_SECOND;

/// jaeger-query's `defaultDependencyLookbackDuration`, one day (`default_params.go`).
pub(crate) const DEFAULT_DEPENDENCY_LOOKBACK_NANOS: u64 = 24 * 3_600 * NANOS_PER_SECOND;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// A query parameter whose value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamError {
    /// The parameter's name, as the client spelled it.
    pub(crate) parameter: String,
    /// What is wrong with its value.
    pub(crate) message: String,
}

impl ParamError {
    fn new(parameter: &str, message: impl Into<String>) -> ParamError {
        ParamError { parameter: parameter.to_owned(), message: message.into() }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parameter {}: {}", self.parameter, self.message)
    }
}

impl std::error::Error for ParamError {}

/// The first value of a parameter, or `None` when it is missing or that value is empty.
fn first_value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).filter(|value| !value.is_empty())
}

/// The non-empty values of a repeated parameter, in order.
fn all_values<'a>(params: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    params.iter().filter(move |(key, value)| key == name && !value.is_empty()).map(|(_, value)| value.as_str())
}

/// Sets `key` to `value` in a list of attribute conditions: a key given again replaces its
/// earlier value, as in the Go map jaeger-query collects them in.
fn set_attribute(attributes: &mut Vec<(String, String)>, key: String, value: String) {
    match attributes.iter_mut().find(|(known, _)| *known == key) {
        Some(entry) => entry.1 = value,
        None => attributes.push((key, value)),
    }
}

/// The attribute conditions of a JSON object of strings (`{"http.status_code":"500"}`), as
/// `tags` and `query.attributes` carry them. Jaeger reads a `map[string]string`; numbers and
/// booleans are taken as their text too, other values are refused.
fn json_attributes(parameter: &str, text: &str, attributes: &mut Vec<(String, String)>) -> Result<(), ParamError> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).map_err(|error| {
        ParamError::new(parameter, format!("{text:?} is not a JSON object like {{\"http.status_code\":\"500\"}}: {error}"))
    })?;
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
            other => {
                return Err(ParamError::new(parameter, format!("the value of {key:?} is {other}, not a string")));
            }
        };
        set_attribute(attributes, key, text);
    }
    Ok(())
}

/// The limit a client asked for: a whole number, zero meaning the default, at most
/// [`MAX_LIMIT`].
fn parse_limit(parameter: &str, text: &str) -> Result<usize, ParamError> {
    let limit: u64 = text
        .parse()
        .map_err(|_| ParamError::new(parameter, format!("{text:?} is not a whole number of traces (0 or more)")))?;
    Ok(match usize::try_from(limit) {
        Ok(0) => DEFAULT_LIMIT,
        Ok(limit) => limit.min(MAX_LIMIT),
        Err(_) => MAX_LIMIT,
    })
}
