//! RFC 3339 times, as Go's `time.Parse(time.RFC3339Nano, …)` reads the `/api/v3` search
//! bounds: `2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.123456789+02:00`.
//!
//! The form is `YYYY-MM-DD`, `T` (or `t`, or a space, which RFC 3339 allows), `HH:MM:SS`,
//! an optional fraction of any length (kept to nanoseconds, the rest dropped) and `Z` (or
//! `z`) or an offset `±HH:MM`. The date must exist (no 30 February) and, as in Go, a leap
//! second (`:60`) is refused. The answer is in unix nanoseconds, so times before 1970 and
//! after 2554 (where a `u64` of nanoseconds ends) are refused too.

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// An RFC 3339 time in unix nanoseconds.
pub(crate) fn parse_rfc3339(text: &str) -> Result<u64, String> {
    let invalid = || format!("{text:?} is not an RFC 3339 time like 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.5+02:00");
    let bytes = text.as_bytes();
    let number = |from: usize, count: usize| -> Result<u32, String> {
        let digits = bytes.get(from..from + count).ok_or_else(invalid)?;
        digits.iter().try_fold(0_u32, |value, digit| {
            if digit.is_ascii_digit() { Ok(value * 10 + u32::from(digit - b'0')) } else { Err(invalid()) }
        })
    };
    let expect = |at: usize, allowed: &[u8]| -> Result<(), String> {
        if bytes.get(at).is_some_and(|byte| allowed.contains(byte)) { Ok(()) } else { Err(invalid()) }
    };

    let year = number(0, 4)?;
    expect(4, b"-")?;
    let month = number(5, 2)?;
    expect(7, b"-")?;
    let day = number(8, 2)?;
    expect(10, b"Tt ")?;
    let hour = number(11, 2)?;
    expect(13, b":")?;
    let minute = number(14, 2)?;
    expect(16, b":")?;
    let second = number(17, 2)?;

    let mut position = 19;
    let mut nanos: u32 = 0;
    if bytes.get(position) == Some(&b'.') {
        let digits = bytes[position + 1..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digits == 0 {
            return Err(invalid());
        }
        let kept = digits.min(9);
        nanos = number(position + 1, kept)? * 10_u32.pow(9 - kept as u32);
        position += 1 + digits;
    }
    let offset_seconds: i64 = match &bytes[position..] {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if bytes.len() - position == 6 => {
            let offset_hours = number(position + 1, 2)?;
            expect(position + 3, b":")?;
            let offset_minutes = number(position + 4, 2)?;
            if offset_hours > 23 || offset_minutes > 59 {
                return Err(format!("{text:?} has an offset out of range (at most ±23:59)"));
            }
            let magnitude = i64::from(offset_hours * 3_600 + offset_minutes * 60);
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return Err(invalid()),
    };

    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("{text:?} is not a date of the calendar"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("{text:?} is not a time of day (00:00:00 to 23:59:59)"));
    }
    let seconds = days_since_epoch(year, month, day) * 86_400
        + i64::from(hour * 3_600 + minute * 60 + second)
        - offset_seconds;
    let total = i128::from(seconds) * NANOS_PER_SECOND + i128::from(nanos);
    if total < 0 {
        return Err(format!("{text:?} is before 1970-01-01T00:00:00Z"));
    }
    u64::try_from(total).map_err(|_| format!("{text:?} is too far in the future (after the year 2554)"))
}

fn is_leap_year(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_since_epoch(year: u32, month: u32, day: u32) -> i64 {
    let (year, month, day) = (i64::from(year), i64::from(month), i64::from(day));
    let year_from_march = if month <= 2 { year - 1 } else { year };
    let era = year_from_march.div_euclid(400);
    let year_of_era = year_from_march - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
