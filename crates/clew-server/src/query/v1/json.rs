//! The JSON of `/api/v1`'s lists and sums (services, operations, dependencies, operation
//! stats, error groups), as serde derives on views that borrow the store's answers.
//!
//! Fields are declared in alphabetical order, the order this API has always written them
//! in; `openapi.yaml` gives the shapes. Times, durations and percentiles are decimal strings
//! of nanoseconds; a percentile without durations is `null`.

use clew_store::{Dependency, ErrorGroup, Operation, OperationSeries, OperationStats, Percentiles, StatsBucket};
use serde::Serialize;

const SECOND: f64 = 1e9;

/// `{"services": [name, …]}`.
#[derive(Debug, Serialize)]
pub(super) struct ServicesJson {
    pub(super) services: Vec<String>,
}

/// `{"operations": [{"kind", "name"}, …]}`.
#[derive(Debug, Serialize)]
pub(super) struct OperationsJson<'a> {
    operations: Vec<OperationJson<'a>>,
}

impl OperationsJson<'_> {
    pub(super) fn new(operations: &[Operation]) -> OperationsJson<'_> {
        let operations =
            operations.iter().map(|operation| OperationJson { kind: operation.kind.as_str(), name: &operation.name });
        OperationsJson { operations: operations.collect() }
    }
}

#[derive(Debug, Serialize)]
struct OperationJson<'a> {
    kind: &'static str,
    name: &'a str,
}

/// The percentile `pick` of `durations` as a decimal string, or `None` (`null`).
fn percentile(durations: Option<&Percentiles>, pick: fn(&Percentiles) -> u64) -> Option<String> {
    durations.map(|found| pick(found).to_string())
}

/// `{"dependencies": [{"callCount", "child", "errorCount", "p50Nanos", …, "parent"}, …]}`.
#[derive(Debug, Serialize)]
pub(super) struct DependenciesJson<'a> {
    dependencies: Vec<DependencyJson<'a>>,
}

impl DependenciesJson<'_> {
    pub(super) fn new(dependencies: &[Dependency]) -> DependenciesJson<'_> {
        DependenciesJson { dependencies: dependencies.iter().map(DependencyJson::new).collect() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DependencyJson<'a> {
    call_count: u64,
    child: &'a str,
    error_count: u64,
    p50_nanos: Option<String>,
    p95_nanos: Option<String>,
    p99_nanos: Option<String>,
    parent: &'a str,
}

impl DependencyJson<'_> {
    fn new(dependency: &Dependency) -> DependencyJson<'_> {
        let durations = dependency.durations.as_ref();
        DependencyJson {
            call_count: dependency.call_count,
            child: &dependency.child,
            error_count: dependency.error_count,
            p50_nanos: percentile(durations, |found| found.p50_nanos),
            p95_nanos: percentile(durations, |found| found.p95_nanos),
            p99_nanos: percentile(durations, |found| found.p99_nanos),
            parent: &dependency.parent,
        }
    }
}

/// The answer of `/api/v1/operations/stats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OperationStatsJson<'a> {
    end_time_unix_nano: String,
    operations: Vec<OperationSeriesJson<'a>>,
    start_time_unix_nano: String,
    step_nanos: String,
}

impl OperationStatsJson<'_> {
    pub(super) fn new(stats: &OperationStats) -> OperationStatsJson<'_> {
        let seconds = stats.end_unix_nano.saturating_sub(stats.start_unix_nano) as f64 / SECOND;
        OperationStatsJson {
            end_time_unix_nano: stats.end_unix_nano.to_string(),
            operations: stats.operations.iter().map(|series| OperationSeriesJson::new(series, seconds)).collect(),
            start_time_unix_nano: stats.start_unix_nano.to_string(),
            step_nanos: stats.step_nanos.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationSeriesJson<'a> {
    count: u64,
    error_count: u64,
    kind: &'static str,
    operation: &'a str,
    p50_nanos: Option<String>,
    p95_nanos: Option<String>,
    p99_nanos: Option<String>,
    rate_per_second: f64,
    series: Vec<BucketJson>,
    service: &'a str,
}

impl OperationSeriesJson<'_> {
    /// The series of an operation over a range of `seconds`.
    fn new(series: &OperationSeries, seconds: f64) -> OperationSeriesJson<'_> {
        let durations = series.durations.as_ref();
        OperationSeriesJson {
            count: series.count,
            error_count: series.error_count,
            kind: series.kind.as_str(),
            operation: &series.operation,
            p50_nanos: percentile(durations, |found| found.p50_nanos),
            p95_nanos: percentile(durations, |found| found.p95_nanos),
            p99_nanos: percentile(durations, |found| found.p99_nanos),
            rate_per_second: if seconds > 0.0 { series.count as f64 / seconds } else { 0.0 },
            series: series.buckets.iter().map(BucketJson::new).collect(),
            service: &series.service,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BucketJson {
    count: u64,
    error_count: u64,
    p50_nanos: Option<String>,
    p95_nanos: Option<String>,
    p99_nanos: Option<String>,
    start_time_unix_nano: String,
}

impl BucketJson {
    fn new(bucket: &StatsBucket) -> BucketJson {
        let durations = bucket.durations.as_ref();
        BucketJson {
            count: bucket.count,
            error_count: bucket.error_count,
            p50_nanos: percentile(durations, |found| found.p50_nanos),
            p95_nanos: percentile(durations, |found| found.p95_nanos),
            p99_nanos: percentile(durations, |found| found.p99_nanos),
            start_time_unix_nano: bucket.start_unix_nano.to_string(),
        }
    }
}

/// The answer of `/api/v1/errors`: `{"groups": […]}`.
#[derive(Debug, Serialize)]
pub(super) struct ErrorGroupsJson<'a> {
    groups: Vec<ErrorGroupJson<'a>>,
}

impl ErrorGroupsJson<'_> {
    pub(super) fn new(groups: &[ErrorGroup]) -> ErrorGroupsJson<'_> {
        ErrorGroupsJson { groups: groups.iter().map(ErrorGroupJson::new).collect() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorGroupJson<'a> {
    count: u64,
    first_time_unix_nano: String,
    last_time_unix_nano: String,
    message: &'a str,
    operation: &'a str,
    service: &'a str,
    trace_ids: Vec<String>,
}

impl ErrorGroupJson<'_> {
    fn new(group: &ErrorGroup) -> ErrorGroupJson<'_> {
        ErrorGroupJson {
            count: group.count,
            first_time_unix_nano: group.first_unix_nano.to_string(),
            last_time_unix_nano: group.last_unix_nano.to_string(),
            message: &group.message,
            operation: &group.operation,
            service: &group.service,
            trace_ids: group.trace_ids.iter().map(ToString::to_string).collect(),
        }
    }
}
