//! Whatever bytes arrive, no decoder of a receiver panics — nor its estimate of the decoded
//! size, which reads every body before the decoder does: OTLP protobuf and JSON (traces and
//! logs), Zipkin JSON and protobuf, gzip bodies. Arbitrary bytes, and text made of JSON's
//! tokens, which reaches further into the JSON readers.

use clew_server::fuzzing;
use proptest::prelude::*;

fn every_decoder(bytes: &[u8]) {
    fuzzing::otlp_traces_protobuf(bytes);
    fuzzing::otlp_logs_protobuf(bytes);
    fuzzing::otlp_traces_json(bytes);
    fuzzing::otlp_logs_json(bytes);
    fuzzing::zipkin_json(bytes);
    fuzzing::zipkin_proto(bytes);
    fuzzing::gzip_body(bytes);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        every_decoder(&bytes);
    }

    #[test]
    fn json_like_text_never_panics_a_decoder(
        tokens in proptest::collection::vec(
            r#"(\{|\}|\[|\]|,|:|"resourceSpans"|"scopeSpans"|"spans"|"attributes"|"value"|"arrayValue"|"values"|"kvlistValue"|"traceId"|"spanId"|"tags"|"annotations"|"localEndpoint"|"[a-z\\]{0,6}"|-?[0-9]{1,20}|1e400|true|null)"#,
            0..64,
        ),
    ) {
        every_decoder(tokens.concat().as_bytes());
    }
}
