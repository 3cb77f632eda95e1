//! A Zipkin v2 protobuf body (zipkin.proto ListOfSpans).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clew_server::fuzzing::zipkin_proto(data));
