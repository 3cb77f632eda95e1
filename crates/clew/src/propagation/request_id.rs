//! The request id header, `x-request-id` by default (seed 004's propagation headers).
//!
//! Not a trace context: an id a proxy or the first service gives a request, carried
//! unchanged so that every service can log and record it. Extracted, it is recorded on
//! the server span through [`PropagationContext::span_attributes`]; injected, it is
//! passed on as it came. A value is accepted if it is 1 to [`MAX_REQUEST_ID_LENGTH`]
//! printable ASCII characters (after trimming whitespace) and the header is not repeated.

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::trim_ows;

/// The default header.
pub const X_REQUEST_ID_HEADER: &str = "x-request-id";
/// The longest request id accepted.
pub const MAX_REQUEST_ID_LENGTH: usize = 256;

/// Reads and writes a request id header.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{Propagator, RequestIdPropagator};
///
/// let incoming = HashMap::from([("X-Request-ID".to_owned(), "f058ebd6-02f7-4d3f-942e-904344e8cde5".to_owned())]);
/// let context = RequestIdPropagator::new().extract(&incoming);
/// assert_eq!(context.request_id(), Some("f058ebd6-02f7-4d3f-942e-904344e8cde5"));
///
/// let mut outgoing: HashMap<String, String> = HashMap::new();
/// RequestIdPropagator::new().inject(&context, &mut outgoing);
/// assert_eq!(outgoing["x-request-id"], "f058ebd6-02f7-4d3f-942e-904344e8cde5");
/// ```
#[derive(Clone, Debug)]
pub struct RequestIdPropagator {
    header: String,
}

impl Default for RequestIdPropagator {
    fn default() -> RequestIdPropagator {
        RequestIdPropagator::new()
    }
}

impl RequestIdPropagator {
    /// The propagator for `x-request-id`.
    pub fn new() -> RequestIdPropagator {
        RequestIdPropagator { header: X_REQUEST_ID_HEADER.to_owned() }
    }

    /// The same for another header (`x-correlation-id`, say).
    #[must_use]
    pub fn with_header_name(mut self, header: impl Into<String>) -> RequestIdPropagator {
        self.header = header.into();
        self
    }

    /// The header's name.
    pub fn header_name(&self) -> &str {
        &self.header
    }
}

/// Whether `value` may be carried as a request id.
fn is_request_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_REQUEST_ID_LENGTH && value.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
}

impl Propagator for RequestIdPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        if let Some(request_id) = context.request_id().filter(|value| is_request_id(value)) {
            injector.set(&self.header, request_id.to_owned());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        match extractor.get_all(&self.header).as_slice() {
            [value] if is_request_id(trim_ows(value)) => {
                PropagationContext::new().with_request_id(trim_ows(value).to_owned())
            }
            _ => PropagationContext::new(),
        }
    }

    fn fields(&self) -> Vec<&str> {
        vec![&self.header]
    }
}
