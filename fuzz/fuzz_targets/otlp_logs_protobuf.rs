//! An OTLP protobuf logs body (ExportLogsServiceRequest), decoded and mapped to clew records.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clew_server::fuzzing::otlp_logs_protobuf(data));
