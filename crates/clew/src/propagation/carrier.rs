//! Carriers: where propagators read and write their fields.
//!
//! A propagator never sees an HTTP request, a message or a map directly; it reads through
//! an [`Extractor`] and writes through an [`Injector`]. clew implements both for
//! `HashMap<String, String>` and (with the default `http` feature) for
//! [`http::HeaderMap`]; implement them for any other carrier (gRPC metadata, message
//! headers, environment variables…).
//!
//! Field names are compared without regard to ASCII case, as HTTP header names are.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// Writes propagation fields into a carrier.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::Injector;
///
/// let mut headers: HashMap<String, String> = HashMap::new();
/// headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned());
/// assert_eq!(headers.len(), 1);
/// ```
pub trait Injector {
    /// Sets the field `key` to `value`, replacing whatever value (of any case of `key`)
    /// it had.
    fn set(&mut self, key: &str, value: String);
}

/// Reads propagation fields from a carrier.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::Extractor;
///
/// let headers = HashMap::from([("TraceParent".to_owned(), "00-…".to_owned())]);
/// assert_eq!(Extractor::get(&headers, "traceparent"), Some("00-…"));
/// assert_eq!(Extractor::get_all(&headers, "TRACEPARENT").len(), 1);
/// ```
pub trait Extractor {
    /// The first value of the field `key` (compared without regard to ASCII case).
    fn get(&self, key: &str) -> Option<&str>;

    /// Every value of the field `key`, in the carrier's order: HTTP allows a header to
    /// repeat, and some formats treat a repeated field as invalid or combine the values.
    ///
    /// The default gives the single value of [`get`](Extractor::get); carriers that can
    /// hold a field more than once should override it.
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.get(key).into_iter().collect()
    }

    /// The names of every field present (Jaeger's `uberctx-*` baggage needs them).
    fn keys(&self) -> Vec<&str>;
}

impl<S: BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, key: &str, value: String) {
        self.retain(|existing, _| !existing.eq_ignore_ascii_case(key));
        self.insert(key.to_owned(), value);
    }
}

impl<S: BuildHasher> Extractor for HashMap<String, String, S> {
    fn get(&self, key: &str) -> Option<&str> {
        if let Some(value) = HashMap::get(self, key) {
            return Some(value);
        }
        self.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value.as_str())
    }

    /// Every entry whose name equals `key` but for case; a map holds each exact name
    /// once, so more than one value means names that differ only in case (in no
    /// particular order).
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter().filter(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value.as_str()).collect()
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }
}

/// A header value as text. Values that are not UTF-8 read as U+FFFD, which no format
/// accepts: the header still counts (a repeated header stays repeated) but never parses.
#[cfg(feature = "http")]
fn header_text(value: &http::HeaderValue) -> &str {
    std::str::from_utf8(value.as_bytes()).unwrap_or("\u{fffd}")
}

/// Header names and values that HTTP cannot carry are skipped.
#[cfg(feature = "http")]
impl Injector for http::HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        let Ok(name) = http::HeaderName::from_bytes(key.as_bytes()) else {
            crate::diagnostics::report_once(
                "propagation-header-name",
                format_args!("a propagator asked for header name {key:?}, which HTTP does not allow; skipping it"),
            );
            return;
        };
        let Ok(value) = http::HeaderValue::from_str(&value) else {
            return;
        };
        self.insert(name, value);
    }
}

#[cfg(feature = "http")]
impl Extractor for http::HeaderMap {
    fn get(&self, key: &str) -> Option<&str> {
        http::HeaderMap::get(self, key).map(header_text)
    }

    fn get_all(&self, key: &str) -> Vec<&str> {
        http::HeaderMap::get_all(self, key).iter().map(header_text).collect()
    }

    fn keys(&self) -> Vec<&str> {
        http::HeaderMap::keys(self).map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_replaces_a_field_written_in_another_case() {
        let mut headers: HashMap<String, String> = HashMap::new();
        headers.insert("TraceParent".to_owned(), "old".to_owned());
        headers.set("traceparent", "new".to_owned());
        assert_eq!(headers.len(), 1);
        assert_eq!(Extractor::get(&headers, "TRACEPARENT"), Some("new"));
    }

    #[cfg(feature = "http")]
    #[test]
    fn a_header_map_reads_names_in_any_case_and_keeps_repeats() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-trace-id", http::HeaderValue::from_static("a"));
        headers.append("x-trace-id", http::HeaderValue::from_static("b"));
        assert_eq!(Extractor::get(&headers, "X-Trace-ID"), Some("a"));
        assert_eq!(Extractor::get_all(&headers, "X-TRACE-ID"), vec!["a", "b"]);
        assert_eq!(Extractor::get(&headers, "not a header name"), None);
        let mut outgoing = http::HeaderMap::new();
        outgoing.set("X-Span-ID", "00f067aa0ba902b7".to_owned());
        outgoing.set("bad name", "x".to_owned());
        outgoing.set("x-bad-value", "line\nbreak".to_owned());
        assert_eq!(outgoing.len(), 1);
        assert_eq!(Extractor::keys(&outgoing), vec!["x-span-id"]);
    }

    #[cfg(feature = "http")]
    #[test]
    fn a_value_that_is_not_utf8_reads_as_a_replacement_character() {
        let mut headers = http::HeaderMap::new();
        headers.insert("b3", http::HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(Extractor::get(&headers, "b3"), Some("\u{fffd}"));
    }
}
