//! HTTP: `http.*`, `url.*` and `user_agent.*` attributes of HTTP client and server spans.
//!
//! A server span is named `{method} {route}` (or just `{method}` without a route) and has
//! kind server; a client span is named `{method}` and has kind client. The request method
//! is written as the conventions ask: one of the nine well-known methods in upper case,
//! anything else as `_OTHER` with the original in `http.request.method_original`.
//!
//! ```
//! use clew::semconv::http;
//! let request = http::client_request("get", "https://shop.example/api/cart?id=7")
//!     .server_address("shop.example")
//!     .server_port(443)
//!     .status_code(404)
//!     .error_type("404");
//! assert_eq!(request.get(http::HTTP_REQUEST_METHOD).and_then(clew::Value::as_str), Some("GET"));
//! assert_eq!(request.get(http::HTTP_RESPONSE_STATUS_CODE).and_then(clew::Value::as_i64), Some(404));
//! ```

use super::{attribute_set, error, network};
use crate::value::Str;

/// The request method (`GET`, `POST`, … or `_OTHER`).
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// The method as received, when it is not one of the well-known ones.
pub const HTTP_REQUEST_METHOD_ORIGINAL: &str = "http.request.method_original";
/// The response's status code (integer).
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// The matched route template, such as `/orders/{id}` (server side).
pub const HTTP_ROUTE: &str = "http.route";
/// How many times the request was sent again (client side, integer).
pub const HTTP_REQUEST_RESEND_COUNT: &str = "http.request.resend_count";
/// The request body's size in bytes (integer).
pub const HTTP_REQUEST_BODY_SIZE: &str = "http.request.body.size";
/// The response body's size in bytes (integer).
pub const HTTP_RESPONSE_BODY_SIZE: &str = "http.response.body.size";
/// The absolute URL (client side).
pub const URL_FULL: &str = "url.full";
/// The URL's path (server side).
pub const URL_PATH: &str = "url.path";
/// The URL's query, without the `?` (server side).
pub const URL_QUERY: &str = "url.query";
/// The URL's scheme: `http`, `https`.
pub const URL_SCHEME: &str = "url.scheme";
/// A low-cardinality template of the URL (client side), such as `/users/{id}`.
pub const URL_TEMPLATE: &str = "url.template";
/// The `User-Agent` header's value.
pub const USER_AGENT_ORIGINAL: &str = "user_agent.original";

/// Superseded by [`HTTP_REQUEST_METHOD`]; older back ends still read it.
pub const HTTP_METHOD_LEGACY: &str = "http.method";
/// Superseded by [`HTTP_RESPONSE_STATUS_CODE`]; older back ends still read it.
pub const HTTP_STATUS_CODE_LEGACY: &str = "http.status_code";
/// Superseded by [`URL_FULL`]; older back ends still read it.
pub const HTTP_URL_LEGACY: &str = "http.url";

/// The methods the conventions name; any other is recorded as `_OTHER`.
const KNOWN_METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

attribute_set! {
    /// The attributes of an HTTP client or server span; see the [module](self) docs.
    HttpAttributes
}

/// The attributes a server span starts with: the method and the matched route.
///
/// ```
/// let request = clew::semconv::http::server_request("POST", "/orders").url_path("/orders");
/// assert_eq!(request.as_slice().len(), 3);
/// ```
pub fn server_request(method: &str, route: impl Into<Str>) -> HttpAttributes {
    HttpAttributes::default().method(method).set(HTTP_ROUTE, route.into())
}

/// The attributes a client span starts with: the method and the full URL.
///
/// ```
/// let request = clew::semconv::http::client_request("PUT", "https://api.example/v1/items/3");
/// assert_eq!(request.get("url.full").and_then(clew::Value::as_str), Some("https://api.example/v1/items/3"));
/// ```
pub fn client_request(method: &str, url_full: impl Into<Str>) -> HttpAttributes {
    HttpAttributes::default().method(method).set(URL_FULL, url_full.into())
}

/// What a response adds to either span: its status code.
///
/// ```
/// let response = clew::semconv::http::response(503).error_type("503");
/// assert_eq!(response.as_slice().len(), 2);
/// ```
pub fn response(status_code: u16) -> HttpAttributes {
    HttpAttributes::default().status_code(status_code)
}

impl HttpAttributes {
    /// `http.request.method`, normalized (see the [module](self) docs).
    pub fn method(self, method: &str) -> HttpAttributes {
        let upper = method.to_ascii_uppercase();
        match KNOWN_METHODS.iter().find(|known| **known == upper) {
            Some(known) => self.set(HTTP_REQUEST_METHOD, *known),
            None => self.set(HTTP_REQUEST_METHOD, "_OTHER").set(HTTP_REQUEST_METHOD_ORIGINAL, method.to_owned()),
        }
    }

    /// `http.response.status_code`.
    pub fn status_code(self, status_code: u16) -> HttpAttributes {
        self.set(HTTP_RESPONSE_STATUS_CODE, status_code)
    }

    /// `http.route`.
    pub fn route(self, route: impl Into<Str>) -> HttpAttributes {
        self.set(HTTP_ROUTE, route.into())
    }

    /// `url.full`.
    pub fn url_full(self, url: impl Into<Str>) -> HttpAttributes {
        self.set(URL_FULL, url.into())
    }

    /// `url.path`.
    pub fn url_path(self, path: impl Into<Str>) -> HttpAttributes {
        self.set(URL_PATH, path.into())
    }

    /// `url.query`.
    pub fn url_query(self, query: impl Into<Str>) -> HttpAttributes {
        self.set(URL_QUERY, query.into())
    }

    /// `url.scheme`.
    pub fn url_scheme(self, scheme: impl Into<Str>) -> HttpAttributes {
        self.set(URL_SCHEME, scheme.into())
    }

    /// `url.template`.
    pub fn url_template(self, template: impl Into<Str>) -> HttpAttributes {
        self.set(URL_TEMPLATE, template.into())
    }

    /// `server.address`.
    pub fn server_address(self, address: impl Into<Str>) -> HttpAttributes {
        self.set(network::SERVER_ADDRESS, address.into())
    }

    /// `server.port`.
    pub fn server_port(self, port: u16) -> HttpAttributes {
        self.set(network::SERVER_PORT, port)
    }

    /// `client.address`.
    pub fn client_address(self, address: impl Into<Str>) -> HttpAttributes {
        self.set(network::CLIENT_ADDRESS, address.into())
    }

    /// `user_agent.original`.
    pub fn user_agent(self, user_agent: impl Into<Str>) -> HttpAttributes {
        self.set(USER_AGENT_ORIGINAL, user_agent.into())
    }

    /// `network.protocol.version` (`1.1`, `2`, `3`).
    pub fn protocol_version(self, version: impl Into<Str>) -> HttpAttributes {
        self.set(network::NETWORK_PROTOCOL_VERSION, version.into())
    }

    /// `http.request.body.size`.
    pub fn request_body_size(self, bytes: u64) -> HttpAttributes {
        self.set(HTTP_REQUEST_BODY_SIZE, bytes)
    }

    /// `http.response.body.size`.
    pub fn response_body_size(self, bytes: u64) -> HttpAttributes {
        self.set(HTTP_RESPONSE_BODY_SIZE, bytes)
    }

    /// `http.request.resend_count`.
    pub fn resend_count(self, count: u32) -> HttpAttributes {
        self.set(HTTP_REQUEST_RESEND_COUNT, count)
    }

    /// `error.type`: the status code as text for an error response, or the error's type.
    pub fn error_type(self, error_type: impl Into<Str>) -> HttpAttributes {
        self.set(error::ERROR_TYPE, error_type.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn pairs(attributes: &HttpAttributes) -> Vec<(String, Value)> {
        attributes.as_slice().iter().map(|attribute| (attribute.key.to_string(), attribute.value.clone())).collect()
    }

    #[test]
    fn a_server_request_has_the_stable_keys_with_typed_values() {
        let request = server_request("get", "/orders/{id}")
            .url_path("/orders/7")
            .url_scheme("http")
            .server_address("shop")
            .server_port(8080)
            .client_address("10.0.0.9")
            .user_agent("curl/8.5.0")
            .protocol_version("1.1")
            .status_code(200);
        assert_eq!(
            pairs(&request),
            [
                ("http.request.method".to_owned(), Value::from("GET")),
                ("http.route".to_owned(), Value::from("/orders/{id}")),
                ("url.path".to_owned(), Value::from("/orders/7")),
                ("url.scheme".to_owned(), Value::from("http")),
                ("server.address".to_owned(), Value::from("shop")),
                ("server.port".to_owned(), Value::I64(8080)),
                ("client.address".to_owned(), Value::from("10.0.0.9")),
                ("user_agent.original".to_owned(), Value::from("curl/8.5.0")),
                ("network.protocol.version".to_owned(), Value::from("1.1")),
                ("http.response.status_code".to_owned(), Value::I64(200)),
            ]
        );
    }

    #[test]
    fn an_unknown_method_is_other_with_the_original_kept() {
        let request = client_request("PURGE", "http://cache/item");
        assert_eq!(request.get(HTTP_REQUEST_METHOD), Some(&Value::from("_OTHER")));
        assert_eq!(request.get(HTTP_REQUEST_METHOD_ORIGINAL), Some(&Value::from("PURGE")));
        assert_eq!(request.get(URL_FULL), Some(&Value::from("http://cache/item")));
    }

    #[test]
    fn sizes_counts_and_errors_are_recorded() {
        let response = response(500)
            .request_body_size(12)
            .response_body_size(34)
            .resend_count(2)
            .error_type("500")
            .url_query("q=1")
            .url_template("/items/{id}")
            .route("/r");
        assert_eq!(response.get(HTTP_RESPONSE_STATUS_CODE), Some(&Value::I64(500)));
        assert_eq!(response.get(HTTP_REQUEST_BODY_SIZE), Some(&Value::I64(12)));
        assert_eq!(response.get(HTTP_RESPONSE_BODY_SIZE), Some(&Value::I64(34)));
        assert_eq!(response.get(HTTP_REQUEST_RESEND_COUNT), Some(&Value::I64(2)));
        assert_eq!(response.get("error.type"), Some(&Value::from("500")));
        assert_eq!(response.get(URL_QUERY), Some(&Value::from("q=1")));
        assert_eq!(response.get(URL_TEMPLATE), Some(&Value::from("/items/{id}")));
        assert_eq!(response.get(HTTP_ROUTE), Some(&Value::from("/r")));
    }
}
