//! Go durations, as `time.ParseDuration` reads them: `minDuration`/`maxDuration` of the
//! classic search and `query.duration_min`/`query.duration_max` of `/api/v3`.
//!
//! A duration is an optional sign and a sequence of decimal numbers, each with an optional
//! fraction and a unit: `300ms`, `1.5h`, `1h2m3.5s`, `.5s`, `2.s`. The units are `ns`, `us`,
//! `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m` and `h`; `0` alone needs none. Unlike Go,
//! a negative duration is refused (a span never lasts less than nothing). Like Go, the
//! total may not pass `i64::MAX` nanoseconds (about 292 years), and a fraction is taken
//! down to whole nanoseconds. The arithmetic is exact: integers throughout.

/// The longest duration Go's `time.Duration` holds, in nanoseconds.
const MAX_NANOS: u128 = i64::MAX as u128;

/// Fraction digits beyond this many change the result by less than a nanosecond, even in
/// hours (3.6e12 ns × 1e-18 < 1 ns).
const MAX_FRACTION_DIGITS: usize = 18;

/// A Go duration in nanoseconds.
pub(crate) fn parse_go_duration(text: &str) -> Result<u64, String> {
    let invalid = || format!("{text:?} is not a duration like 1.5s, 300ms or 1h2m3s (units ns, us, ms, s, m, h)");
    let too_long = || format!("{text:?} is longer than Go's longest duration (about 292 years)");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole_digits = &rest[..whole_len];
        rest = &rest[whole_len..];
        let mut fraction_digits = "";
        if let Some(after_point) = rest.strip_prefix('.') {
            let fraction_len = after_point.bytes().take_while(u8::is_ascii_digit).count();
            fraction_digits = &after_point[..fraction_len];
            rest = &after_point[fraction_len..];
        }
        if whole_digits.is_empty() && fraction_digits.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_nanos: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("{text:?} has a number without a unit (ns, us, ms, s, m or h)")),
            unit => return Err(format!("{text:?} has the unknown unit {unit:?} (use ns, us, ms, s, m or h)")),
        };
        rest = &rest[unit_len..];

        let whole = digits_value(whole_digits).filter(|whole| *whole <= MAX_NANOS).ok_or_else(too_long)?;
        let kept_fraction = &fraction_digits[..fraction_digits.len().min(MAX_FRACTION_DIGITS)];
        let fraction_nanos = match digits_value(kept_fraction) {
            Some(numerator) if !kept_fraction.is_empty() => numerator * unit_nanos / 10_u128.pow(kept_fraction.len() as u32),
            _ => 0,
        };
        total = whole
            .checked_mul(unit_nanos)
            .and_then(|nanos| nanos.checked_add(fraction_nanos))
            .and_then(|nanos| nanos.checked_add(total))
            .filter(|total| *total <= MAX_NANOS)
            .ok_or_else(too_long)?;
    }
    if negative && total > 0 {
        return Err(format!("{text:?} is negative; a duration here is 0 or more"));
    }
    u64::try_from(total).map_err(|_| too_long())
}

/// The value of a run of ASCII digits, or `None` if it does not fit in a `u128`.
fn digits_value(digits: &str) -> Option<u128> {
    digits.bytes().try_fold(0_u128, |value, digit| value.checked_mul(10)?.checked_add(u128::from(digit - b'0')))
}
