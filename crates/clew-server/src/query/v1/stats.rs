//! `/api/v1/operations/stats` and `/api/v1/errors`: sums over many spans, for pages that
//! show how services behave rather than one trace.
//!
//! Both take `service` (all when absent), `start` and `end` (unix nanoseconds; the end
//! defaults to now and the start to an hour before the end) and count the spans that
//! started in `[start, end)`.

use super::json::{ErrorGroupsJson, OperationStatsJson};
use super::{last, optional_nanos, parse_duration_nanos};
use crate::query::{ApiError, Query, json_view_response, now_unix_nano, pairs};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use clew_store::{ErrorQuery, MAX_STATS_BUCKETS, OperationStatsQuery, TimeRange};

const SECOND: u64 = 1_000_000_000;
/// The range when no `start` is given.
const DEFAULT_RANGE_NANOS: u64 = 3600 * SECOND;
/// Without a `step`, the range is cut into this many buckets (of whole seconds, at least one).
const DEFAULT_BUCKETS: u64 = 60;
const DEFAULT_ERROR_GROUPS: usize = 100;
const MAX_ERROR_GROUPS: usize = 1000;

pub(super) async fn operation_stats(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let stats_query = parse_operation_stats(&pairs(raw.as_deref()), now_unix_nano())?;
        let stats = query.run("v1", move |store| store.operation_stats(&stats_query)).await?;
        Ok(stats)
    };
    json_view_response(result.await, |stats| serde_json::to_vec(&OperationStatsJson::new(stats)))
}

pub(super) async fn errors(State(query): State<Query>, RawQuery(raw): RawQuery) -> Response {
    let result = async {
        let error_query = parse_errors(&pairs(raw.as_deref()), now_unix_nano())?;
        let groups = query.run("v1", move |store| store.error_groups(&error_query)).await?;
        Ok(groups)
    };
    json_view_response(result.await, |groups| serde_json::to_vec(&ErrorGroupsJson::new(groups)))
}

/// `start` and `end`, with their defaults; the start may not be after the end.
fn parse_range(params: &[(String, String)], now: u64) -> Result<(u64, u64), ApiError> {
    let end = optional_nanos(params, "end")?.unwrap_or(now);
    let start = optional_nanos(params, "start")?.unwrap_or(end.saturating_sub(DEFAULT_RANGE_NANOS));
    if start > end {
        return Err(ApiError::bad_parameter("start", "is after end".into()));
    }
    Ok((start, end))
}

/// The step when none is given: a sixtieth of the range, rounded up to a whole second, at
/// least one second.
fn default_step(range_nanos: u64) -> u64 {
    range_nanos.div_ceil(DEFAULT_BUCKETS).div_ceil(SECOND).max(1) * SECOND
}

/// `/api/v1/operations/stats`: `service`, `start`, `end`, and `step` (a duration as
/// `minDuration` takes it), cutting the range into at most 1000 buckets.
pub(crate) fn parse_operation_stats(params: &[(String, String)], now: u64) -> Result<OperationStatsQuery, ApiError> {
    let (start, end) = parse_range(params, now)?;
    let step = match last(params, "step") {
        None => default_step(end - start),
        Some(text) => match parse_duration_nanos(text) {
            Some(0) => return Err(ApiError::bad_parameter("step", format!("{text:?} is not more than 0"))),
            Some(step) => step,
            None => {
                return Err(ApiError::bad_parameter(
                    "step",
                    format!("{text:?} is not a duration like 1m, 30s or 60000000000 (ns)"),
                ));
            }
        },
    };
    let query = OperationStatsQuery {
        service: last(params, "service").map(str::to_owned),
        range: TimeRange::new(start, end),
        step_nanos: step,
    };
    if query.bucket_count().is_none() {
        return Err(ApiError::bad_parameter(
            "step",
            format!(
                "{step} ns cuts the {} ns from start to end into more than {MAX_STATS_BUCKETS} buckets",
                end - start
            ),
        ));
    }
    Ok(query)
}

/// `/api/v1/errors`: `service`, `start`, `end`, and `limit` (groups, default 100, at most
/// 1000).
pub(crate) fn parse_errors(params: &[(String, String)], now: u64) -> Result<ErrorQuery, ApiError> {
    let (start, end) = parse_range(params, now)?;
    let limit = match last(params, "limit") {
        None => DEFAULT_ERROR_GROUPS,
        Some(text) => {
            text.parse::<usize>().ok().filter(|limit| (1..=MAX_ERROR_GROUPS).contains(limit)).ok_or_else(|| {
                ApiError::bad_parameter("limit", format!("{text:?} is not a number from 1 to {MAX_ERROR_GROUPS}"))
            })?
        }
    };
    Ok(ErrorQuery { service: last(params, "service").map(str::to_owned), range: TimeRange::new(start, end), limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    const NOW: u64 = 1_700_000_000_000_000_000;

    #[test]
    fn the_default_range_is_the_last_hour_in_sixty_steps() {
        let query = parse_operation_stats(&[], NOW).unwrap();
        assert_eq!(query, OperationStatsQuery::new(TimeRange::new(NOW - 3600 * SECOND, NOW), 60 * SECOND));
        let errors = parse_errors(&[], NOW).unwrap();
        assert_eq!((errors.range, errors.limit), (TimeRange::new(NOW - 3600 * SECOND, NOW), 100));
    }

    #[test]
    fn the_default_step_is_a_sixtieth_rounded_up_to_a_whole_second() {
        assert_eq!(default_step(0), SECOND);
        assert_eq!(default_step(59 * SECOND), SECOND);
        assert_eq!(default_step(61 * SECOND), 2 * SECOND);
        assert_eq!(default_step(600 * SECOND + 1), 11 * SECOND);
        assert_eq!(default_step(u64::MAX), u64::MAX.div_ceil(60).div_ceil(SECOND) * SECOND);
        let all_time = parse_operation_stats(&params(&[("start", "0"), ("end", &u64::MAX.to_string())]), NOW).unwrap();
        assert!(all_time.bucket_count().is_some_and(|count| count <= 60));
    }

    #[test]
    fn steps_take_units_and_bad_values_name_their_parameter() {
        let ten_minutes_ago = (NOW - 600 * SECOND).to_string();
        let step = |text: &str| {
            parse_operation_stats(&params(&[("start", &ten_minutes_ago), ("step", text)]), NOW)
                .map(|query| query.step_nanos)
        };
        assert_eq!(step("5m").unwrap(), 300 * SECOND);
        assert_eq!(step("1.5s").unwrap(), 1_500_000_000);
        assert_eq!(step("4000000000").unwrap(), 4 * SECOND);
        for bad in ["0", "0s", "soon", "-1s", "1s ", "100ms"] {
            let error = step(bad).unwrap_err();
            assert_eq!(error.parameter.as_deref(), Some("step"), "{bad}: {}", error.message);
        }
        let bad = |pairs: &[(&str, &str)], parameter: &str| {
            let error = parse_errors(&params(pairs), NOW).unwrap_err();
            assert_eq!(error.parameter.as_deref(), Some(parameter), "{pairs:?}: {}", error.message);
        };
        bad(&[("limit", "0")], "limit");
        bad(&[("limit", "1001")], "limit");
        bad(&[("start", "yesterday")], "start");
        bad(&[("end", "-5")], "end");
        bad(&[("start", "20"), ("end", "10")], "start");
        bad(&[("start", &(NOW + 1).to_string())], "start");
    }
}
