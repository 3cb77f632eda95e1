//! What a response or an error does to a span, by the HTTP conventions' rules.

use std::fmt;

use clew::semconv::{error, http as semconv_http};
use clew::{KeyValue, Level, Span, Status};

/// Which end of the request a span stands for; the two read a 4xx answer differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// Whether a response status fails the span: 5xx on either side, 4xx on a client span
/// only (a server that answers 404 did its job), and any code outside 100–599, which no
/// one can interpret.
pub(crate) fn is_error_status(status: http::StatusCode, side: Side) -> bool {
    let code = status.as_u16();
    match side {
        Side::Server => code >= 500,
        Side::Client => code >= 400,
    }
}

/// Records `http.response.status_code` and, for an error status, `error.type` (the code
/// as text) with an error status. The status has no description: the conventions ask
/// for none when the code tells the reason.
pub(crate) fn record_response(span: &mut Span, status: http::StatusCode, version: http::Version, side: Side) {
    if !span.is_recording() {
        return;
    }
    let mut attributes = semconv_http::response(status.as_u16());
    if side == Side::Client {
        if let Some(version) = crate::request::protocol_version(version) {
            attributes = attributes.protocol_version(version);
        }
    }
    let failed = is_error_status(status, side);
    if failed {
        attributes = attributes.error_type(status.as_str().to_owned());
    }
    span.set_attributes(attributes);
    if failed {
        span.set_status(Status::error(""));
    }
}

/// Records an error known only by its `Display` and its type: `error.type` (the type's
/// name), an `exception` event at level error with `exception.type` and
/// `exception.message`, and an error status with the message. Service errors are often
/// `Box<dyn Error + Send + Sync>`, which is not itself an `Error`, so this cannot use
/// [`Span::record_error`] and its chain of sources.
pub(crate) fn record_display_error<E: fmt::Display + ?Sized>(span: &mut Span, failure: &E) {
    if !span.is_recording() {
        return;
    }
    let type_name = std::any::type_name::<E>();
    let message = failure.to_string();
    span.set_attribute(error::ERROR_TYPE, type_name);
    span.event(
        Level::Error,
        error::EXCEPTION_EVENT,
        [KeyValue::new(error::EXCEPTION_TYPE, type_name), KeyValue::new(error::EXCEPTION_MESSAGE, message.clone())],
    );
    span.set_status(Status::error(message));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_fail_on_5xx_and_clients_on_4xx_too() {
        let code = |code: u16| http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
        assert!(!is_error_status(code(200), Side::Server));
        assert!(!is_error_status(code(404), Side::Server));
        assert!(is_error_status(code(500), Side::Server));
        assert!(is_error_status(code(404), Side::Client));
        assert!(!is_error_status(code(302), Side::Client));
        assert!(is_error_status(code(600), Side::Server));
    }
}
