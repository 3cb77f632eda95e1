//! A Zipkin v2 JSON body, as POST /api/v2/spans takes it.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clew_server::fuzzing::zipkin_json(data));
