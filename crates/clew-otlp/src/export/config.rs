//! The exporter's settings from the environment: the OpenTelemetry
//! `OTEL_EXPORTER_OTLP[_TRACES|_LOGS]_*` variables and seed 000's `TRACE_INGEST_URL`.
//!
//! The variables and their meaning are listed at `OtlpExporter::from_env`.
//!
//! The signal's own variable wins over the general one, and both over `TRACE_INGEST_URL`.
//! Without any, HTTP goes to `http://localhost:4318` and gRPC to `http://localhost:4317`.
//! A bad value is reported once and the default used.

use std::time::Duration;

use super::{Compression, Protocol};

/// Default OTLP/HTTP base URL.
pub(crate) const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
/// Default OTLP/gRPC URL.
pub(crate) const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";
/// Default time for one export.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const TRACES_PATH: &str = "/v1/traces";
const LOGS_PATH: &str = "/v1/logs";

/// What the environment says, with the values it could not use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvSettings {
    pub(crate) protocol: Protocol,
    pub(crate) traces_endpoint: String,
    pub(crate) logs_endpoint: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) compression: Compression,
    pub(crate) timeout: Duration,
    /// Whether any endpoint variable (or `TRACE_INGEST_URL`) was set.
    pub(crate) endpoint_given: bool,
    pub(crate) warnings: Vec<String>,
}

impl EnvSettings {
    pub(crate) fn read(lookup: &dyn Fn(&str) -> Option<String>) -> EnvSettings {
        let get = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let mut warnings = Vec::new();
        let signal_or_general = |name: &str| {
            get(&format!("OTEL_EXPORTER_OTLP_TRACES_{name}"))
                .map(|value| (format!("OTEL_EXPORTER_OTLP_TRACES_{name}"), value))
                .or_else(|| {
                    get(&format!("OTEL_EXPORTER_OTLP_{name}"))
                        .map(|value| (format!("OTEL_EXPORTER_OTLP_{name}"), value))
                })
        };

        let protocol = match signal_or_general("PROTOCOL") {
            None => Protocol::HttpProtobuf,
            Some((variable, value)) => match value.as_str() {
                "http/protobuf" => Protocol::HttpProtobuf,
                "http/json" => Protocol::HttpJson,
                "grpc" => Protocol::Grpc,
                _ => {
                    warnings.push(format!("{variable}={value:?}: unknown protocol; expected http/protobuf, http/json or grpc; using http/protobuf"));
                    Protocol::HttpProtobuf
                }
            },
        };

        let base = get("OTEL_EXPORTER_OTLP_ENDPOINT");
        let ingest = get("TRACE_INGEST_URL");
        let endpoint_given = base.is_some()
            || ingest.is_some()
            || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
            || get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").is_some();
        let default = match protocol {
            Protocol::Grpc => DEFAULT_GRPC_ENDPOINT,
            Protocol::HttpProtobuf | Protocol::HttpJson => DEFAULT_HTTP_ENDPOINT,
        };
        let with_path = |base: &str, path: &str| match protocol {
            Protocol::Grpc => base.to_owned(),
            Protocol::HttpProtobuf | Protocol::HttpJson => format!("{}{path}", base.trim_end_matches('/')),
        };
        // TRACE_INGEST_URL may name the traces URL itself.
        let ingest_base = ingest.as_deref().map(|url| url.strip_suffix(TRACES_PATH).unwrap_or(url).to_owned());
        let general = base.or(ingest_base).unwrap_or_else(|| default.to_owned());
        let traces_endpoint =
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").unwrap_or_else(|| with_path(&general, TRACES_PATH));
        let logs_endpoint = get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").unwrap_or_else(|| with_path(&general, LOGS_PATH));

        let mut headers = Vec::new();
        for variable in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            let Some(value) = get(variable) else { continue };
            match parse_headers(&value) {
                Ok(parsed) => {
                    for (key, value) in parsed {
                        headers.retain(|(known, _): &(String, String)| !known.eq_ignore_ascii_case(&key));
                        headers.push((key, value));
                    }
                }
                Err(reason) => warnings.push(format!("{variable}: {reason}; the variable is ignored")),
            }
        }

        let compression = match signal_or_general("COMPRESSION") {
            None => Compression::None,
            Some((variable, value)) => match value.as_str() {
                "gzip" => Compression::Gzip,
                "none" => Compression::None,
                _ => {
                    warnings
                        .push(format!("{variable}={value:?}: unknown compression; expected gzip or none; using none"));
                    Compression::None
                }
            },
        };

        let timeout = match signal_or_general("TIMEOUT") {
            None => DEFAULT_TIMEOUT,
            Some((variable, value)) => match value.parse::<u64>() {
                Ok(millis) if millis > 0 => Duration::from_millis(millis),
                _ => {
                    warnings
                        .push(format!("{variable}={value:?}: expected a positive number of milliseconds; using 10000"));
                    DEFAULT_TIMEOUT
                }
            },
        };

        EnvSettings {
            protocol,
            traces_endpoint,
            logs_endpoint,
            headers,
            compression,
            timeout,
            endpoint_given,
            warnings,
        }
    }
}

/// `key=value,key=value` as the W3C baggage format writes it: keys trimmed, values trimmed
/// and percent-decoded. An entry without `=` or with an empty key makes the whole list bad.
pub(crate) fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
        let Some((key, value)) = entry.split_once('=') else {
            return Err(format!("{entry:?} is not key=value"));
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|byte| byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte))
        {
            return Err(format!("{key:?} is not a header name"));
        }
        let value =
            clew::config::percent_decode(value.trim()).ok_or_else(|| format!("{value:?} has a bad %-escape"))?;
        if value.bytes().any(|byte| byte == b'\r' || byte == b'\n' || byte == 0) {
            return Err(format!("the value of {key:?} has a line break"));
        }
        headers.push((key.to_owned(), value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(variables: &[(&str, &str)]) -> EnvSettings {
        let map: HashMap<String, String> =
            variables.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect();
        EnvSettings::read(&move |name| map.get(name).cloned())
    }

    #[test]
    fn without_variables_http_protobuf_goes_to_localhost_4318() {
        let settings = read(&[]);
        assert_eq!(settings.protocol, Protocol::HttpProtobuf);
        assert_eq!(settings.traces_endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(settings.logs_endpoint, "http://localhost:4318/v1/logs");
        assert_eq!((settings.compression, settings.timeout), (Compression::None, DEFAULT_TIMEOUT));
        assert!(!settings.endpoint_given && settings.warnings.is_empty());
    }

    #[test]
    fn the_signal_path_is_appended_to_the_base_endpoint_only() {
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318/prefix/"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://logs.example/ingest"),
        ]);
        assert_eq!(settings.traces_endpoint, "https://collector:4318/prefix/v1/traces");
        assert_eq!(settings.logs_endpoint, "https://logs.example/ingest");
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"),
        ]);
        assert_eq!(settings.traces_endpoint, "http://traces:9999/custom", "used as given, no /v1/traces");
        assert_eq!(settings.logs_endpoint, "http://base:4318/v1/logs");
        assert!(settings.endpoint_given);
    }

    #[test]
    fn grpc_uses_the_endpoint_as_given_and_4317_by_default() {
        let settings = read(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(
            (settings.traces_endpoint.as_str(), settings.logs_endpoint.as_str()),
            (DEFAULT_GRPC_ENDPOINT, DEFAULT_GRPC_ENDPOINT)
        );
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
        ]);
        assert_eq!(settings.protocol, Protocol::Grpc, "the signal's own variable wins");
        assert_eq!(settings.traces_endpoint, "http://c:4317");
    }

    #[test]
    fn trace_ingest_url_is_a_base_or_the_traces_url_and_loses_to_the_otel_variables() {
        let settings = read(&[("TRACE_INGEST_URL", "http://clew:4318")]);
        assert_eq!(settings.traces_endpoint, "http://clew:4318/v1/traces");
        assert_eq!(settings.logs_endpoint, "http://clew:4318/v1/logs");
        let settings = read(&[("TRACE_INGEST_URL", "http://clew:4318/v1/traces")]);
        assert_eq!(settings.traces_endpoint, "http://clew:4318/v1/traces");
        assert_eq!(settings.logs_endpoint, "http://clew:4318/v1/logs");
        let settings =
            read(&[("TRACE_INGEST_URL", "http://clew:4318"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318")]);
        assert_eq!(settings.traces_endpoint, "http://otel:4318/v1/traces");
        let settings = read(&[("TRACE_INGEST_URL", "  ")]);
        assert!(!settings.endpoint_given, "empty counts as unset");
    }

    #[test]
    fn headers_are_percent_decoded_and_the_signal_list_overrides_the_general_one() {
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=general, x-tenant = acme%20corp"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "API-KEY=traces"),
        ]);
        assert_eq!(
            settings.headers,
            [("x-tenant".to_owned(), "acme corp".to_owned()), ("API-KEY".to_owned(), "traces".to_owned())]
        );
        for bad in ["novalue", "=v", "a=%zz", "bad key=v", "a=x%0Ay"] {
            let settings = read(&[("OTEL_EXPORTER_OTLP_HEADERS", bad)]);
            assert!(settings.headers.is_empty(), "{bad}");
            assert_eq!(settings.warnings.len(), 1, "{bad}");
        }
    }

    #[test]
    fn compression_and_timeout_with_bad_values_warned_about() {
        let settings =
            read(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"), ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500")]);
        assert_eq!((settings.compression, settings.timeout), (Compression::Gzip, Duration::from_millis(2500)));
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
        ]);
        assert_eq!(
            (settings.compression, settings.timeout, settings.protocol),
            (Compression::None, DEFAULT_TIMEOUT, Protocol::HttpProtobuf)
        );
        assert_eq!(settings.warnings.len(), 3, "{:?}", settings.warnings);
        assert!(settings.warnings.iter().all(|warning| warning.starts_with("OTEL_EXPORTER_OTLP_")));
    }
}
