//! A Content-Encoding: gzip request body, inflated as every receiver inflates it.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clew_server::fuzzing::gzip_body(data));
