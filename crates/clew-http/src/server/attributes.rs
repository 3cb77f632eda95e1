//! A server span's name and request attributes.

use clew::Str;
use clew::semconv::http::{self as semconv_http, HttpAttributes};

use crate::request::{protocol_version, redact_query, span_method, split_host_port};

/// The route the request matched: axum's `MatchedPath`, set by the router before a layer
/// added with `Router::layer` runs.
pub(super) fn matched_route<B>(request: &http::Request<B>) -> Option<&str> {
    #[cfg(feature = "axum")]
    if let Some(path) = request.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    let _ = request;
    None
}

/// `{method} {route}`, or the method alone without a route (`HTTP` for a method that is
/// not one of the well-known ones).
pub(super) fn span_name(method: &http::Method, route: Option<&str>) -> Str {
    let method = span_method(method);
    match route {
        Some(route) => Str::from(format!("{method} {route}")),
        None => Str::from_static(method),
    }
}

/// The attributes of a server span, from the request: method, route, path, query,
/// scheme, host and port, client address, user agent, protocol version.
pub(super) fn request_attributes<B>(
    request: &http::Request<B>,
    route: Option<&str>,
    default_scheme: &'static str,
) -> HttpAttributes {
    let method = request.method().as_str();
    let mut attributes = match route {
        Some(route) => semconv_http::server_request(method, route.to_owned()),
        None => HttpAttributes::default().method(method),
    };
    let uri = request.uri();
    attributes = attributes.url_path(uri.path().to_owned());
    if let Some(query) = uri.query() {
        attributes = attributes.url_query(redact_query(query).into_owned());
    }
    attributes = match uri.scheme_str() {
        Some(scheme) => attributes.url_scheme(scheme.to_owned()),
        None => attributes.url_scheme(default_scheme),
    };
    // HTTP/2 carries `:authority` in the URI; HTTP/1.1 the `Host` header.
    let authority = uri
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| request.headers().get(http::header::HOST).and_then(|host| host.to_str().ok()));
    if let Some(authority) = authority {
        let (host, port) = split_host_port(authority);
        if !host.is_empty() {
            attributes = attributes.server_address(host.to_owned());
            if let Some(port) = port {
                attributes = attributes.server_port(port);
            }
        }
    }
    if let Some(address) = client_address(request) {
        attributes = attributes.client_address(address);
    }
    if let Some(user_agent) = request.headers().get(http::header::USER_AGENT).and_then(|value| value.to_str().ok()) {
        attributes = attributes.user_agent(user_agent.to_owned());
    }
    if let Some(version) = protocol_version(request.version()) {
        attributes = attributes.protocol_version(version);
    }
    attributes
}

/// The peer's address, when the server put it in the request: axum's
/// `ConnectInfo<SocketAddr>` (with `into_make_service_with_connect_info`).
fn client_address<B>(request: &http::Request<B>) -> Option<String> {
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(address)) =
        request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        return Some(address.ip().to_string());
    }
    let _ = request;
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn text(attributes: &HttpAttributes, key: &str) -> Option<String> {
        attributes.get(key).and_then(clew::Value::as_str).map(str::to_owned)
    }

    #[test]
    fn an_http2_request_reads_scheme_and_authority_from_its_uri() {
        let request = http::Request::builder()
            .method("PUT")
            .uri("https://[::1]:8443/items/3?sig=secret&x=1")
            .version(http::Version::HTTP_2)
            .body(())
            .unwrap();
        let attributes = request_attributes(&request, Some("/items/{id}"), "http");
        assert_eq!(text(&attributes, "url.scheme").as_deref(), Some("https"));
        assert_eq!(text(&attributes, "server.address").as_deref(), Some("::1"));
        assert_eq!(attributes.get("server.port").and_then(clew::Value::as_i64), Some(8443));
        assert_eq!(text(&attributes, "url.query").as_deref(), Some("sig=REDACTED&x=1"));
        assert_eq!(text(&attributes, "network.protocol.version").as_deref(), Some("2"));
        assert_eq!(text(&attributes, "http.route").as_deref(), Some("/items/{id}"));
    }

    #[test]
    fn an_http1_request_reads_the_host_header_and_the_default_scheme() {
        let request = http::Request::builder().uri("/health").header("host", "api.example").body(()).unwrap();
        let attributes = request_attributes(&request, None, "https");
        assert_eq!(text(&attributes, "url.scheme").as_deref(), Some("https"));
        assert_eq!(text(&attributes, "server.address").as_deref(), Some("api.example"));
        assert_eq!(attributes.get("server.port"), None);
        assert_eq!(attributes.get("url.query"), None);
        assert_eq!(attributes.get("http.route"), None);
        assert_eq!(span_name(request.method(), None), "GET");
        assert_eq!(span_name(&http::Method::POST, Some("/orders")), "POST /orders");
    }
}
