//! The envelope of jaeger-query's classic `/api/*` answers and the data of its list
//! endpoints.
//!
//! jaeger-query writes every answer as a `structuredResponse` (`cmd/query/app/http_handler.go`):
//!
//! ```go
//! type structuredResponse struct {
//!     Data   any               `json:"data"`
//!     Total  int               `json:"total"`
//!     Limit  int               `json:"limit"`
//!     Offset int               `json:"offset"`
//!     Errors []structuredError `json:"errors"`
//! }
//! type structuredError struct {
//!     Code    int        `json:"code,omitempty"`
//!     Msg     string     `json:"msg"`
//!     TraceID ui.TraceID `json:"traceID,omitempty"`
//! }
//! ```
//!
//! No field of the envelope is `omitempty`: `limit` and `offset` are always `0` (jaeger-query
//! never sets them) and `errors` is `null` when there are none. An error's `code` is left
//! out when it is zero.

use clew_store::{Dependency, Operation};
use serde_json::{Map, Value as Json, json};

/// One entry of an envelope's `errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JaegerError {
    /// The HTTP status; `0` leaves `code` out, as jaeger-query does for a trace of a
    /// multi-trace lookup that was not found.
    pub(crate) code: u16,
    /// What went wrong.
    pub(crate) msg: String,
}

/// `{"data": …, "total": N, "limit": 0, "offset": 0, "errors": null}`, or with `errors` a
/// list of `{"code", "msg"}` when there are some.
///
/// jaeger-query's own `total` is the number of items for `/api/services` and
/// `/api/operations`, and `0` for trace searches and dependencies; the caller chooses.
pub(crate) fn envelope(data: Json, total: usize, errors: Vec<JaegerError>) -> Json {
    let errors = if errors.is_empty() { Json::Null } else { Json::Array(errors.iter().map(error_json).collect()) };
    json!({ "data": data, "total": total, "limit": 0, "offset": 0, "errors": errors })
}

fn error_json(error: &JaegerError) -> Json {
    let mut object = Map::new();
    if error.code != 0 {
        object.insert("code".to_owned(), Json::from(error.code));
    }
    object.insert("msg".to_owned(), Json::from(error.msg.as_str()));
    Json::Object(object)
}

/// `/api/services` data: the service names.
pub(crate) fn services_json(names: &[String]) -> Json {
    Json::Array(names.iter().map(|name| Json::from(name.as_str())).collect())
}

/// `/api/operations?service=…&spanKind=…` data: `[{"name", "spanKind"}]` (uimodel
/// `Operation`), the kind in lowercase (`server`, `internal`, …).
///
/// `/api/services/{service}/operations` answers with the names alone: that is
/// [`services_json`] of the distinct names.
pub(crate) fn operations_json(operations: &[Operation]) -> Json {
    let items = operations.iter().map(|operation| json!({ "name": operation.name, "spanKind": operation.kind.as_str() }));
    Json::Array(items.collect())
}

/// `/api/dependencies` data: uimodel `DependencyLink`s, `[{"parent", "child", "callCount"}]`.
pub(crate) fn dependencies_json(dependencies: &[Dependency]) -> Json {
    let items = dependencies.iter().map(|dependency| {
        json!({ "parent": dependency.parent, "child": dependency.child, "callCount": dependency.call_count })
    });
    Json::Array(items.collect())
}
