//! Jaeger's query parameters, as jaeger-query reads them: Go durations, microsecond and
//! RFC 3339 times, the `tags` and `tag` forms, and the camel-cased `query.*` of `/api/v3`.
//! A bad parameter is an [`ApiError`] that names it.

use std::collections::HashMap;

use clew::{SpanKind, TraceId};
use clew_store::{SearchQuery, TimeRange};
use serde_json::Value as Json;

use crate::query::ApiError;

/// How far back a search looks when it gives no start, as jaeger-query: 48 hours.
const DEFAULT_LOOKBACK_NANOS: u64 = 48 * 3_600_000_000_000;

fn bad(parameter: &str, message: String) -> ApiError {
    ApiError::bad_parameter(parameter, message)
}

/// A Go duration (`time.ParseDuration`): a sequence of decimal numbers with units `ns`,
/// `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`, such as `1h2m3.5s`; in nanoseconds. Negative
/// durations are refused.
pub(crate) fn parse_go_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not a duration like 1.5s, 300ms or 1h2m");
    if text == "0" {
        return Ok(0);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    if !total.is_finite() || total >= u64::MAX as f64 {
        return Err(format!("{text:?} is too long"));
    }
    Ok(total as u64)
}

fn last<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(key, value)| key == name && !value.is_empty()).map(|(_, value)| value.as_str())
}

fn micros_param(params: &[(String, String)], name: &str) -> Result<Option<u64>, ApiError> {
    last(params, name)
        .map(|text| {
            text.parse::<u64>()
                .map(|micros| micros.saturating_mul(1_000))
                .map_err(|_| bad(name, format!("{text:?} is not a time in unix microseconds")))
        })
        .transpose()
}

/// The search of jaeger-query's `/api/traces`: `service`, `operation`, `tags` (a JSON
/// object, repeatable) and `tag` (`key:value`, repeatable), `start`/`end` (µs; end
/// defaults to now, start to end minus `lookback`, itself 48 hours by default),
/// `minDuration`/`maxDuration` (Go durations), `limit` (default 100, as jaeger-query's),
/// `spanKind`.
pub(crate) fn parse_search(params: &[(String, String)], now_unix_nano: u64) -> Result<SearchQuery, ApiError> {
    let mut query = SearchQuery {
        service: last(params, "service").map(str::to_owned),
        operation: last(params, "operation").map(str::to_owned),
        limit: 100,
        ..SearchQuery::default()
    };
    for (_, text) in params.iter().filter(|(key, value)| key == "tags" && !value.is_empty()) {
        let object: serde_json::Map<String, Json> = serde_json::from_str(text)
            .map_err(|error| bad("tags", format!("{text:?} is not a JSON object of strings: {error}")))?;
        for (key, value) in object {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            query.attributes.push((key, value));
        }
    }
    for (_, text) in params.iter().filter(|(key, value)| key == "tag" && !value.is_empty()) {
        let (key, value) = text.split_once(':').ok_or_else(|| bad("tag", format!("{text:?} is not key:value")))?;
        query.attributes.push((key.to_owned(), value.to_owned()));
    }
    // `error=true` in Jaeger means an error span.
    if let Some(position) = query.attributes.iter().position(|(key, value)| key == "error" && value == "true") {
        query.attributes.remove(position);
        query.errors_only = true;
    }
    let end = micros_param(params, "end")?.unwrap_or(now_unix_nano);
    let lookback = match last(params, "lookback") {
        // jaeger-query's default lookback when `start` is missing: two days.
        None | Some("custom") => DEFAULT_LOOKBACK_NANOS,
        Some(text) => parse_go_duration(text)
            .or_else(|_| crate::duration::parse_duration(text).map(crate::duration::saturating_nanos))
            .map_err(|message| bad("lookback", message))?,
    };
    let start = micros_param(params, "start")?.unwrap_or(end.saturating_sub(lookback));
    if start > end {
        return Err(bad("start", "is after end".into()));
    }
    query.range = TimeRange::through(start, end);
    for (name, slot) in [("minDuration", &mut query.min_duration_nanos), ("maxDuration", &mut query.max_duration_nanos)]
    {
        if let Some(text) = last(params, name) {
            *slot = Some(parse_go_duration(text).map_err(|message| bad(name, message))?);
        }
    }
    if let (Some(min), Some(max)) = (query.min_duration_nanos, query.max_duration_nanos) {
        if min > max {
            return Err(bad("minDuration", "is greater than maxDuration".into()));
        }
    }
    if let Some(text) = last(params, "limit") {
        let limit: usize = text.parse().map_err(|_| bad("limit", format!("{text:?} is not a whole number")))?;
        query.limit = if limit == 0 { 100 } else { limit.min(10_000) };
    }
    if let Some(kind) = last(params, "spanKind") {
        query.kind =
            Some(SpanKind::parse(kind).ok_or_else(|| bad("spanKind", format!("{kind:?} is not a span kind")))?);
    }
    Ok(query)
}

/// The repeated `traceID` parameters (16 or 32 hex digits).
pub(crate) fn parse_trace_ids(params: &[(String, String)]) -> Result<Vec<TraceId>, ApiError> {
    params
        .iter()
        .filter(|(key, value)| key == "traceID" && !value.is_empty())
        .map(|(_, text)| parse_trace_id(text).ok_or_else(|| bad("traceID", format!("{text:?} is not a trace id"))))
        .collect()
}

fn parse_trace_id(text: &str) -> Option<TraceId> {
    if text.is_empty() || text.len() > 32 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let id = TraceId::from_u128(u128::from_str_radix(text, 16).ok()?);
    id.is_valid().then_some(id)
}

/// `/api/dependencies`: `endTs` (ms, default now) and `lookback` (ms, default a day).
pub(crate) fn parse_dependencies(params: &[(String, String)], now_unix_nano: u64) -> Result<(u64, u64), ApiError> {
    let millis = |name: &str| {
        last(params, name)
            .map(|text| text.parse::<u64>().map_err(|_| bad(name, format!("{text:?} is not a number of milliseconds"))))
            .transpose()
    };
    let end = millis("endTs")?.map_or(now_unix_nano, |ms| ms.saturating_mul(1_000_000));
    let lookback = millis("lookback")?.unwrap_or(86_400_000).saturating_mul(1_000_000);
    Ok((end.saturating_sub(lookback), end))
}

/// RFC 3339 time (`2024-05-01T12:00:00.5Z`, `…+02:00`) in unix nanoseconds.
pub(crate) fn parse_rfc3339(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not an RFC 3339 time like 2024-05-01T12:00:00Z");
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_ascii() {
        return Err(bad());
    }
    let number =
        |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<i64>().ok()).ok_or_else(bad);
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return Err(bad());
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    let mut rest = &text[19..];
    let mut nanos: i64 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if digits == 0 {
            return Err(bad());
        }
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<i64>().map_err(|_| bad())? * 10_i64.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return Err(bad());
            }
            let hours: i64 = rest[1..3].parse().map_err(|_| bad())?;
            let minutes: i64 = rest[4..6].parse().map_err(|_| bad())?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    if seconds < 0 {
        return Err(format!("{text:?} is before 1970"));
    }
    // Past 2554 a time no longer fits in u64 nanoseconds: it reads as the end of time, which
    // is what such a bound of a search means.
    let seconds = u64::try_from(seconds).map_err(|_| bad())?;
    Ok(seconds.saturating_mul(1_000_000_000).saturating_add(nanos as u64))
}

/// The search of `/api/v3/traces`: `query.service_name`, `query.operation_name`,
/// `query.attributes` (a JSON object, or repeated `key:value`), `query.start_time_min` and
/// `query.start_time_max` (RFC 3339; by default the 48 hours before now), `query.duration_min`/`query.duration_max` (`1.5s`),
/// `query.search_depth` (the limit, default 20).
pub(crate) fn parse_v3_query(params: &[(String, String)], now_unix_nano: u64) -> Result<SearchQuery, ApiError> {
    let mut query = SearchQuery {
        service: last(params, "query.service_name").map(str::to_owned),
        operation: last(params, "query.operation_name").map(str::to_owned),
        ..SearchQuery::default()
    };
    for (_, text) in params.iter().filter(|(key, value)| key == "query.attributes" && !value.is_empty()) {
        match serde_json::from_str::<HashMap<String, Json>>(text) {
            Ok(object) => {
                for (key, value) in object {
                    query.attributes.push((key, value.as_str().map_or_else(|| value.to_string(), str::to_owned)));
                }
            }
            Err(_) => {
                let (key, value) = text.split_once(':').ok_or_else(|| {
                    bad("query.attributes", format!("{text:?} is neither a JSON object nor key:value"))
                })?;
                query.attributes.push((key.to_owned(), value.to_owned()));
            }
        }
    }
    let end = match last(params, "query.start_time_max") {
        Some(text) => parse_rfc3339(text).map_err(|message| bad("query.start_time_max", message))?,
        None => now_unix_nano,
    };
    let start = match last(params, "query.start_time_min") {
        Some(text) => parse_rfc3339(text).map_err(|message| bad("query.start_time_min", message))?,
        None => end.saturating_sub(DEFAULT_LOOKBACK_NANOS),
    };
    if start > end {
        return Err(bad("query.start_time_min", "is after query.start_time_max".into()));
    }
    query.range = TimeRange::through(start, end);
    for (name, slot) in
        [("query.duration_min", &mut query.min_duration_nanos), ("query.duration_max", &mut query.max_duration_nanos)]
    {
        if let Some(text) = last(params, name) {
            *slot = Some(parse_go_duration(text).map_err(|message| bad(name, message))?);
        }
    }
    if let Some(text) = last(params, "query.search_depth") {
        query.limit = text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=10_000).contains(limit))
            .ok_or_else(|| bad("query.search_depth", format!("{text:?} is not a number from 1 to 10000")))?;
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn go_durations_parse_like_time_parse_duration() {
        assert_eq!(parse_go_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(parse_go_duration("300ms"), Ok(300_000_000));
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("500us"), Ok(500_000));
        assert_eq!(parse_go_duration("500µs"), Ok(500_000));
        assert_eq!(parse_go_duration("7ns"), Ok(7));
        assert_eq!(parse_go_duration("0"), Ok(0));
        for bad in ["", "-1s", "1", "s", "1x", "1.2.3s", ".s", "99999999999999999999h"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_parameters_follow_jaeger_query() {
        let query = parse_search(
            &params(&[
                ("service", "checkout"),
                ("operation", "POST /orders"),
                ("tags", r#"{"http.status_code":"500","error":"true"}"#),
                ("tag", "tenant:acme"),
                ("start", "1000"),
                ("end", "2000"),
                ("minDuration", "1.5ms"),
                ("maxDuration", "1s"),
                ("limit", "7"),
                ("spanKind", "server"),
            ]),
            9_000_000,
        )
        .unwrap();
        assert_eq!(query.service.as_deref(), Some("checkout"));
        assert_eq!(query.operation.as_deref(), Some("POST /orders"));
        assert_eq!(query.attributes, [("http.status_code".into(), "500".into()), ("tenant".into(), "acme".into())]);
        assert!(query.errors_only);
        assert_eq!(query.range, TimeRange::through(1_000_000, 2_000_000));
        assert_eq!((query.min_duration_nanos, query.max_duration_nanos), (Some(1_500_000), Some(1_000_000_000)));
        assert_eq!((query.limit, query.kind), (7, Some(SpanKind::Server)));

        let bare = parse_search(&params(&[]), 100 * 3_600_000_000_000).unwrap();
        assert_eq!(bare.range.start_unix_nano, 52 * 3_600_000_000_000, "two days back, as jaeger-query");
        let defaults = parse_search(&params(&[("lookback", "2h")]), 10 * 3_600_000_000_000).unwrap();
        assert_eq!(
            (defaults.range, defaults.limit),
            (TimeRange::through(8 * 3_600_000_000_000, 10 * 3_600_000_000_000), 100)
        );

        for (pairs, parameter) in [
            (vec![("tags", "[1]")], "tags"),
            (vec![("tag", "novalue")], "tag"),
            (vec![("start", "yesterday")], "start"),
            (vec![("end", "-5")], "end"),
            (vec![("minDuration", "fast")], "minDuration"),
            (vec![("maxDuration", "1y")], "maxDuration"),
            (vec![("minDuration", "2s"), ("maxDuration", "1s")], "minDuration"),
            (vec![("limit", "ten")], "limit"),
            (vec![("spanKind", "sideways")], "spanKind"),
            (vec![("lookback", "a while")], "lookback"),
            (vec![("start", "5"), ("end", "4")], "start"),
        ] {
            let error = parse_search(&params(&pairs), 1_000).unwrap_err();
            assert_eq!(error.parameter.as_deref(), Some(parameter), "{pairs:?}: {}", error.message);
        }
        let ids =
            parse_trace_ids(&params(&[("traceID", "abc"), ("traceID", "0af7651916cd43dd8448eb211c80319c")])).unwrap();
        assert_eq!(ids, [TraceId::from_u128(0xabc), TraceId::from_u128(0x0af7651916cd43dd8448eb211c80319c)]);
        assert_eq!(parse_trace_ids(&params(&[("traceID", "xyz")])).unwrap_err().parameter.as_deref(), Some("traceID"));
        assert_eq!(
            parse_dependencies(&params(&[("endTs", "5000"), ("lookback", "1000")]), 0).unwrap(),
            (4_000_000_000, 5_000_000_000)
        );
    }

    #[test]
    fn a_time_past_2554_is_the_end_of_time_and_a_reversed_range_is_refused() {
        assert_eq!(parse_rfc3339("2600-01-01T00:00:00Z"), Ok(u64::MAX));
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999999999Z"), Ok(u64::MAX));
        let open_ended = parse_v3_query(&params(&[("query.start_time_max", "3000-01-01T00:00:00Z")]), 0).unwrap();
        assert_eq!(open_ended.range.end_unix_nano, u64::MAX);
        let reversed = parse_v3_query(
            &params(&[
                ("query.start_time_min", "2024-05-01T13:00:00Z"),
                ("query.start_time_max", "2024-05-01T12:00:00Z"),
            ]),
            0,
        )
        .unwrap_err();
        assert_eq!(reversed.parameter.as_deref(), Some("query.start_time_min"));
    }

    #[test]
    fn rfc3339_times_parse_with_fractions_and_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Ok(1_714_564_800_000_000_000));
        assert_eq!(parse_rfc3339("2024-05-01T14:00:00.5+02:00"), Ok(1_714_564_800_500_000_000));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00.123456789Z"), Ok(1_709_164_800_123_456_789));
        for bad in [
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-05-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2024-05-01T00:00:00.Z",
            "2024-05-01T00:00:00+2",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn v3_parameters_are_camel_cased_query_fields() {
        let query = parse_v3_query(
            &params(&[
                ("query.service_name", "checkout"),
                ("query.start_time_min", "2024-05-01T12:00:00Z"),
                ("query.start_time_max", "2024-05-01T13:00:00Z"),
                ("query.duration_min", "2s"),
                ("query.attributes", r#"{"tenant":"acme"}"#),
                ("query.search_depth", "5"),
            ]),
            0,
        )
        .unwrap();
        assert_eq!(query.range, TimeRange::through(1_714_564_800_000_000_000, 1_714_568_400_000_000_000));
        assert_eq!((query.min_duration_nanos, query.limit), (Some(2_000_000_000), 5));
        assert_eq!(query.attributes, [("tenant".into(), "acme".into())]);
        assert_eq!(
            parse_v3_query(&params(&[("query.start_time_min", "noon")]), 0).unwrap_err().parameter.as_deref(),
            Some("query.start_time_min")
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in ".{0,40}") {
            let _ = parse_go_duration(&text);
            let _ = parse_rfc3339(&text);
            let _ = parse_search(&params(&[("tags", &text), ("tag", &text), ("minDuration", &text), ("lookback", &text)]), 0);
        }
    }
}
