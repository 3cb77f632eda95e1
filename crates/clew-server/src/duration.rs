//! The one duration grammar of clew: its settings (`--retention 7d`), its own API
//! (`/api/v1/search?minDuration=1.5s`) and its command line (`clew load --duration 5m`).
//!
//! A duration is one or more `<number><unit>` parts, added up: `250ms`, `1.5s`, `1h30m`,
//! `7d`. A number is decimal, with an optional fraction; the units are `ns`, `us` (or `µs`),
//! `ms`, `s`, `m`, `h`, `d` and `w`. Jaeger's API keeps Go's own grammar where Jaeger asks
//! for it (`query::jaeger::params`).
//!
//! ```
//! use std::time::Duration;
//! use clew_server::duration::{format_duration, parse_duration};
//!
//! assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
//! assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
//! assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
//! assert!(parse_duration("5").is_err(), "a number needs its unit");
//! assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "7d");
//! ```

use std::time::Duration;

const UNITS: [(&str, u128); 10] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
    ("", 0),
];

/// A duration in the grammar above, or a message that quotes the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like 7d, 12h, 30m, 45s or 250ms");
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = UNITS.iter().find(|(name, scale)| *name == unit && *scale > 0).map(|(_, scale)| *scale);
        let Some(scale) = scale else { return Err(bad()) };
        total_nanos = total_nanos.checked_add(scaled(number, scale).ok_or_else(bad)?).ok_or_else(bad)?;
        rest = next;
    }
    let seconds = u64::try_from(total_nanos / 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(seconds, (total_nanos % 1_000_000_000) as u32))
}

/// `number × scale` in nanoseconds, exactly, for a decimal `number` (`1.5`, `250`); `None`
/// when it is not a number or does not fit.
fn scaled(number: &str, scale: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let parse = |digits: &str| if digits.is_empty() { Some(0) } else { digits.parse::<u128>().ok() };
    let mut nanos = parse(whole)?.checked_mul(scale)?;
    // Digits past the nanosecond cannot count; 30 of them cannot overflow below.
    let fraction = &fraction[..fraction.len().min(30)];
    if !fraction.is_empty() {
        let denominator = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        nanos = nanos.checked_add(parse(fraction)?.checked_mul(scale)? / denominator)?;
    }
    Some(nanos)
}

/// A duration in nanoseconds: a whole number of nanoseconds, or the grammar above. What
/// clew's own API takes (`minDuration=1000000` is a millisecond).
pub fn parse_nanos(text: &str) -> Result<u64, String> {
    if let Ok(nanos) = text.parse::<u64>() {
        return Ok(nanos);
    }
    parse_duration(text).map(saturating_nanos)
}

/// `duration` in nanoseconds, `u64::MAX` past what u64 holds (about 584 years).
pub fn saturating_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The text of the grammar for `duration`, largest units first: `7d`, `2m`, `1h30m`,
/// `250ms`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    // Days are the largest unit written: `7d` reads better than `1w`.
    let written = UNITS.iter().rev().filter(|(unit, scale)| *scale > 0 && !matches!(*unit, "µs" | "w"));
    for (unit, scale) in written {
        let count = nanos / scale;
        if count > 0 {
            text.push_str(&format!("{count}{unit}"));
            nanos %= scale;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn every_unit_and_fraction_adds_up_exactly() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1w1d"), Ok(Duration::from_secs(8 * 86_400)));
        assert_eq!(parse_duration("0.1ms"), Ok(Duration::from_micros(100)));
        assert_eq!(parse_duration("2µs500ns"), Ok(Duration::from_nanos(2_500)));
        assert_eq!(parse_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_nanos("1000000"), Ok(1_000_000));
        assert_eq!(parse_nanos("1.5s"), Ok(1_500_000_000));
        for bad in ["", "5", "h", "1y", "1.2.3s", "s1", ".s", "1h 30m", "1s ", "-1s", "99999999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_duration("soon").unwrap_err(), "\"soon\" is not a duration like 7d, 12h, 30m, 45s or 250ms");
    }

    #[test]
    fn formatting_gives_back_what_parses_to_the_same() {
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn any_duration_formats_to_text_that_parses_back(nanos in 0u64..u64::MAX) {
            let duration = Duration::from_nanos(nanos);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }

        #[test]
        fn no_text_makes_parsing_panic(text in ".{0,24}") {
            let _ = parse_duration(&text);
            let _ = parse_nanos(&text);
        }
    }
}
