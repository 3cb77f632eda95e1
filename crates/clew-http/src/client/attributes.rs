//! A client span's attributes, and the context it passes on.

use clew::Span;
use clew::propagation::PropagationContext;
use clew::semconv::http::{self as semconv_http, HttpAttributes};

use crate::request::{default_port, redact_url, split_host_port};

/// `http.request.method`, `url.full` (credentials and signatures redacted),
/// `server.address` and `server.port` (the scheme's default port when the URL has none).
pub(super) fn client_attributes(method: &str, url_full: &str, host: Option<&str>, port: Option<u16>) -> HttpAttributes {
    let mut attributes = semconv_http::client_request(method, redact_url(url_full).into_owned());
    if let Some(host) = host.filter(|host| !host.is_empty()) {
        let host = host.strip_prefix('[').and_then(|host| host.strip_suffix(']')).unwrap_or(host);
        attributes = attributes.server_address(host.to_owned());
        if let Some(port) = port {
            attributes = attributes.server_port(port);
        }
    }
    attributes
}

/// The attributes of a client span for an `http::Request`. A URI with a scheme and an
/// authority is the full URL; one with a path only (a request for a connection already
/// open) is completed with the `Host` header and the scheme `http`.
pub(super) fn request_attributes<B>(request: &http::Request<B>) -> HttpAttributes {
    let uri = request.uri();
    let method = request.method().as_str();
    if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
        let (host, port) = split_host_port(authority.as_str());
        return client_attributes(method, &uri.to_string(), Some(host), port.or_else(|| default_port(scheme)));
    }
    let host_header = request.headers().get(http::header::HOST).and_then(|host| host.to_str().ok());
    let path = uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
    match host_header {
        Some(authority) => {
            let (host, port) = split_host_port(authority);
            client_attributes(method, &format!("http://{authority}{path}"), Some(host), port.or(Some(80)))
        }
        None => client_attributes(method, path, None, None),
    }
}

/// What to inject for `span`: the context the server layer extracted, if the request
/// carries it in its extensions (its baggage and request id are passed on), with the
/// span's own ids; else the span's context alone.
pub(super) fn outgoing_context(extensions: &http::Extensions, span: &Span) -> PropagationContext {
    match extensions.get::<PropagationContext>() {
        Some(incoming) => incoming.for_span(span),
        None => PropagationContext::from_span(span),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn text(attributes: &HttpAttributes, key: &str) -> Option<String> {
        attributes.get(key).and_then(clew::Value::as_str).map(str::to_owned)
    }

    #[test]
    fn an_absolute_uri_gives_the_url_host_and_default_port() {
        let request = http::Request::get("https://user:pw@api.example/v1/items?id=3").body(()).unwrap();
        let attributes = request_attributes(&request);
        assert_eq!(
            text(&attributes, "url.full").as_deref(),
            Some("https://REDACTED:REDACTED@api.example/v1/items?id=3")
        );
        assert_eq!(text(&attributes, "server.address").as_deref(), Some("api.example"));
        assert_eq!(attributes.get("server.port").and_then(clew::Value::as_i64), Some(443));
        assert_eq!(text(&attributes, "http.request.method").as_deref(), Some("GET"));
    }

    #[test]
    fn a_path_only_uri_is_completed_from_the_host_header() {
        let request = http::Request::post("/charge?x=1").header("host", "[::1]:9000").body(()).unwrap();
        let attributes = request_attributes(&request);
        assert_eq!(text(&attributes, "url.full").as_deref(), Some("http://[::1]:9000/charge?x=1"));
        assert_eq!(text(&attributes, "server.address").as_deref(), Some("::1"));
        assert_eq!(attributes.get("server.port").and_then(clew::Value::as_i64), Some(9000));
    }
}
