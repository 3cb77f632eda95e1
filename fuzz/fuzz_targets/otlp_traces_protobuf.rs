//! An OTLP protobuf trace body (ExportTraceServiceRequest), decoded and mapped to clew spans.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clew_server::fuzzing::otlp_traces_protobuf(data));
