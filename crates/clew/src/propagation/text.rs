//! Small text helpers the formats share: hex ids, optional whitespace, percent-encoding.

use crate::id::{SpanId, TraceId};

/// Which hex digits a format accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexCase {
    /// `0-9a-f` only (W3C trace context, B3).
    Lower,
    /// `0-9a-fA-F` (Jaeger clients and the custom header pair).
    Any,
}

/// The value of `text` read as hex of 1 to 32 digits; `None` for anything else.
fn hex_u128(text: &str, case: HexCase) -> Option<u128> {
    if text.is_empty() || text.len() > 32 {
        return None;
    }
    let mut value: u128 = 0;
    for byte in text.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            b'A'..=b'F' if case == HexCase::Any => byte - b'A' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// A trace id of exactly `text.len()` digits, where that length must be one of
/// `lengths`; shorter ids are left-padded with zeros. `None` if invalid or all zero.
pub(crate) fn trace_id(text: &str, lengths: &[usize], case: HexCase) -> Option<TraceId> {
    if !lengths.contains(&text.len()) {
        return None;
    }
    hex_u128(text, case).map(TraceId::from_u128).filter(|id| id.is_valid())
}

/// A trace id of 1 to 32 digits, left-padded (Jaeger). `None` if invalid or all zero.
pub(crate) fn trace_id_up_to_32(text: &str, case: HexCase) -> Option<TraceId> {
    hex_u128(text, case).map(TraceId::from_u128).filter(|id| id.is_valid())
}

/// A span id of exactly 16 digits, or of 1 to 16 when `padded`. `None` if invalid or zero.
pub(crate) fn span_id(text: &str, padded: bool, case: HexCase) -> Option<SpanId> {
    if text.len() > 16 || (!padded && text.len() != 16) {
        return None;
    }
    // At most 16 hex digits, so the value fits in 64 bits.
    hex_u128(text, case).map(|value| SpanId::from_u64(value as u64)).filter(|id| id.is_valid())
}

/// A hex number of 1 to 16 digits, any case (Jaeger's parent and flags fields).
pub(crate) fn hex_u64(text: &str) -> Option<u64> {
    if text.len() > 16 {
        return None;
    }
    hex_u128(text, HexCase::Any).map(|value| value as u64)
}

/// Whether `byte` is optional whitespace (RFC 9110 OWS: space or horizontal tab).
pub(crate) fn is_ows(character: char) -> bool {
    character == ' ' || character == '\t'
}

/// `text` without surrounding optional whitespace.
pub(crate) fn trim_ows(text: &str) -> &str {
    text.trim_matches(is_ows)
}

/// Whether `text` is an RFC 9110 `token` (header names, baggage keys).
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Appends `text` percent-encoded: every byte but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`.
pub(crate) fn percent_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// The value of one hex digit (the caller has checked that it is one).
fn hex_digit(byte: u8) -> u8 {
    match byte {
        b'0'..=b'9' => byte - b'0',
        b'a'..=b'f' => byte - b'a' + 10,
        _ => byte.wrapping_sub(b'A').wrapping_add(10),
    }
}

/// `text` with `%XX` sequences decoded. A `%` not followed by two hex digits stays as it
/// is; decoded bytes that are not UTF-8 become U+FFFD, as W3C baggage requires.
pub(crate) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = match (bytes[index], bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                Some((hex_digit(high) << 4) | hex_digit(low))
            }
            _ => None,
        };
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_respect_case_length_and_zero() {
        assert_eq!(
            trace_id("0af7651916cd43dd8448eb211c80319c", &[32], HexCase::Lower).map(TraceId::to_u128),
            Some(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c)
        );
        assert_eq!(trace_id("0AF7651916CD43DD8448EB211C80319C", &[32], HexCase::Lower), None);
        assert!(trace_id("0AF7651916CD43DD8448EB211C80319C", &[32], HexCase::Any).is_some());
        assert_eq!(trace_id("00000000000000000000000000000000", &[32], HexCase::Any), None);
        assert_eq!(
            trace_id("a3ce929d0e0e4736", &[16, 32], HexCase::Lower).map(TraceId::to_u128),
            Some(0xa3ce_929d_0e0e_4736)
        );
        assert_eq!(trace_id("a3ce929d0e0e473", &[16, 32], HexCase::Lower), None);
        assert_eq!(trace_id_up_to_32("abc", HexCase::Any).map(TraceId::to_u128), Some(0xabc));
        assert_eq!(trace_id_up_to_32("", HexCase::Any), None);
        assert_eq!(span_id("1", true, HexCase::Any).map(SpanId::to_u64), Some(1));
        assert_eq!(span_id("1", false, HexCase::Any), None);
        assert_eq!(span_id("+123456789012345", false, HexCase::Any), None);
        assert_eq!(hex_u64("ff"), Some(255));
        assert_eq!(hex_u64("-1"), None);
    }

    #[test]
    fn percent_encoding_round_trips_and_decoding_is_lenient() {
        let mut encoded = String::new();
        percent_encode("\t \"';=asdf!@#$%^&*()é", &mut encoded);
        assert_eq!(encoded, "%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29%C3%A9");
        assert_eq!(percent_decode(&encoded), "\t \"';=asdf!@#$%^&*()é");
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%+f"), "%+f");
        assert_eq!(percent_decode("%FFok"), "\u{fffd}ok");
    }

    #[test]
    fn tokens_are_rfc_9110_tokens() {
        assert!(is_token("SomeKey"));
        assert!(is_token("ValueProp%20%09"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a=b"));
        assert!(!is_token("é"));
    }
}
