use clew_store::{Dependency, TraceData, WriteBatch};
use serde_json::Value as Json;
pub(crate) fn decode_json(_b: &[u8]) -> Result<(WriteBatch, Vec<clew_otlp::Rejected>), String> {
    Err(String::new())
}
pub(crate) fn decode_proto(_b: &[u8]) -> Result<(WriteBatch, Vec<clew_otlp::Rejected>), String> {
    Err(String::new())
}
pub(crate) fn trace_json(_t: &TraceData) -> Json {
    Json::Null
}
pub(crate) fn dependencies_json(_d: &[Dependency]) -> Json {
    Json::Null
}
