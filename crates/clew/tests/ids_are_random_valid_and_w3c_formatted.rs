//! Trace and span ids: never zero, lowercase hex of the W3C lengths, parsed strictly.

use std::collections::HashSet;

use clew::{IdParseError, SpanId, TraceFlags, TraceId};
use proptest::prelude::*;

#[test]
fn generated_ids_are_valid_and_distinct() {
    let mut traces = HashSet::new();
    let mut spans = HashSet::new();
    for _ in 0..10_000 {
        let trace_id = TraceId::random();
        let span_id = SpanId::random();
        assert!(trace_id.is_valid() && span_id.is_valid());
        assert!(traces.insert(trace_id));
        assert!(spans.insert(span_id));
    }
}

#[test]
fn ids_from_different_threads_differ() {
    let handles: Vec<_> =
        (0..4).map(|_| std::thread::spawn(|| (0..100).map(|_| TraceId::random()).collect::<Vec<_>>())).collect();
    let mut all = HashSet::new();
    for handle in handles {
        for id in handle.join().unwrap() {
            assert!(all.insert(id), "ids repeat across threads");
        }
    }
}

#[test]
fn hex_forms_are_lowercase_and_fixed_width() {
    assert_eq!(TraceId::from_u128(0xAB).to_string(), "000000000000000000000000000000ab");
    assert_eq!(SpanId::from_u64(0xAB).to_string(), "00000000000000ab");
    assert_eq!(
        TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").unwrap().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(TraceFlags::SAMPLED.to_string(), "01");
}

#[test]
fn bad_hex_is_refused_with_the_reason() {
    assert_eq!(TraceId::from_hex("abc"), Err(IdParseError::WrongLength { expected: 32, found: 3 }));
    assert_eq!(SpanId::from_hex("00f067aa0ba902b"), Err(IdParseError::WrongLength { expected: 16, found: 15 }));
    assert_eq!(SpanId::from_hex("00f067aa0ba902bz"), Err(IdParseError::NotHex));
    assert_eq!(SpanId::from_hex("+0f067aa0ba902b7"), Err(IdParseError::NotHex));
    assert_eq!(TraceId::from_hex(&"0".repeat(32)), Err(IdParseError::AllZero));
    assert_eq!(SpanId::from_hex(&"0".repeat(16)), Err(IdParseError::AllZero));
    assert_eq!(TraceId::from_hex("é".repeat(16).as_str()), Err(IdParseError::NotHex));
}

#[test]
fn bytes_are_big_endian_as_in_otlp() {
    let trace_id = TraceId::from_hex("0102030405060708090a0b0c0d0e0f10").unwrap();
    assert_eq!(trace_id.to_bytes(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    assert_eq!(TraceId::from_bytes(trace_id.to_bytes()), trace_id);
    let span_id = SpanId::from_hex("0102030405060708").unwrap();
    assert_eq!(span_id.to_bytes(), [1, 2, 3, 4, 5, 6, 7, 8]);
}

proptest! {
    #[test]
    fn hex_round_trips(raw_trace in 1..=u128::MAX, raw_span in 1..=u64::MAX) {
        let trace_id = TraceId::from_u128(raw_trace);
        let span_id = SpanId::from_u64(raw_span);
        prop_assert_eq!(TraceId::from_hex(&trace_id.to_string()), Ok(trace_id));
        prop_assert_eq!(span_id.to_string().parse::<SpanId>(), Ok(span_id));
    }

    #[test]
    fn parsing_any_text_never_panics(text in ".{0,40}") {
        let _ = TraceId::from_hex(&text);
        let _ = SpanId::from_hex(&text);
    }
}
