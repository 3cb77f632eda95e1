//! Order processing traced the way seed 003 (a Python tracer guide) does it.
//!
//! What it shows, in the seed's order:
//! - `with_span("order_processing")` with nested payment and inventory spans and tags
//!   (`tracer.in_span`, children found through the current span);
//! - error capture: `record_error` plus extra tags saying what kind of failure it was;
//! - lazy attributes (`set_attribute_with`), computed only when the span is recorded;
//! - the seed's decorator, `@trace_function("user_registration")`, as
//!   `#[clew::trace(name = "user_registration", args(email))]`, on a plain and an `async fn`;
//! - background jobs processed concurrently on a tokio runtime, each in a trace of its own
//!   (`.root()`, linked to the dispatcher), with spans kept current across `.await` and
//!   into `tokio::spawn` by `FutureExt::in_current_span`, `in_span` and `with_context`.
//!
//! ```sh
//! cargo run -p clew-examples --example order_processing
//! ```

#![allow(clippy::print_stdout)]

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clew::{FutureExt, InMemoryExporter, Sampler, Status, Tracer};
use clew_examples::{print_heading, print_tree};

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let exporter = InMemoryExporter::new();
    let tracer = Tracer::builder().service_name("foundation-demo").exporter(exporter.clone()).build();
    // `#[clew::trace]` functions record on the process-wide tracer.
    clew::set_global(tracer);

    print_heading("nested spans");
    process_order(tracer, "ord_123");
    show(tracer, &exporter);

    print_heading("error capture with extra tags");
    for input in ["", "timeout", "ok"] {
        if let Err(error) = risky_operation(tracer, input) {
            println!("risky_operation({input:?}) failed: {error}");
        }
    }
    show(tracer, &exporter);

    print_heading("lazy attributes");
    let unsampled = Tracer::builder().sampler(Sampler::AlwaysOff).exporter(exporter.clone()).build();
    expensive_operation(tracer, b"a large input");
    expensive_operation(unsampled, b"a large input");
    println!("input hashes computed for two calls, one unsampled: {}", HASHES_COMPUTED.load(Ordering::Relaxed));
    show(tracer, &exporter);

    print_heading("decorator-style tracing with #[clew::trace]");
    for email in ["ada@example.com", "not-an-email"] {
        match register_user(email) {
            Ok(user_id) => send_welcome_email(user_id).await,
            Err(error) => println!("registration of {email:?} failed: {error}"),
        }
    }
    show(tracer, &exporter);

    print_heading("background jobs, each in a trace of its own");
    process_background_jobs(tracer).await;
    show(tracer, &exporter);

    if let Err(error) = tracer.shutdown(TIMEOUT) {
        println!("shutdown failed: {error}");
    }
}

/// Exports what has ended, prints it as a tree, and forgets it for the next section.
fn show(tracer: Tracer, exporter: &InMemoryExporter) {
    if let Err(error) = tracer.flush(TIMEOUT) {
        println!("flush failed: {error}");
    }
    print_tree(exporter);
    exporter.clear();
}

fn process_order(tracer: Tracer, order_id: &'static str) {
    tracer.in_span("order_processing", |span| {
        span.set_attribute("order_id", order_id);
        // Both are children of `order_processing`, which is current here.
        tracer.in_span("payment_processing", |payment| payment.set_attribute("amount", 99.99));
        tracer.in_span("inventory_update", |inventory| inventory.set_attribute("items_count", 3));
    });
}

/// Seed: `span.set_error(e)` followed by `span.set_tag("error_category", …)`.
fn risky_operation(tracer: Tracer, input: &str) -> Result<usize, OperationError> {
    tracer.in_span("risky_operation", |span| {
        span.set_attribute("retry_attempt", 1);
        let outcome = dangerous_operation(input);
        match &outcome {
            Ok(_) => span.set_attribute("success", true),
            Err(error) => {
                span.record_error(error);
                match error {
                    OperationError::Validation(_) => span.set_attribute("error_category", "validation"),
                    OperationError::Connection(_) => {
                        span.set_attribute("error_category", "network");
                        span.set_attribute("retry_eligible", true);
                    }
                }
            }
        }
        outcome
    })
}

fn dangerous_operation(input: &str) -> Result<usize, OperationError> {
    match input {
        "" => Err(OperationError::Validation("input is empty".to_owned())),
        "timeout" => Err(OperationError::Connection("upstream did not answer in 2 s".to_owned())),
        _ => Ok(input.len()),
    }
}

static HASHES_COMPUTED: AtomicUsize = AtomicUsize::new(0);

/// Seed: `span.set_tag("input_hash", lambda: hash_large_input(input_data))`.
fn expensive_operation(tracer: Tracer, input: &[u8]) -> usize {
    tracer.in_span("expensive_operation", |span| {
        span.set_attribute_with("input_hash", || hash_large_input(input));
        let result = input.len();
        span.set_attribute("result_count", result);
        result
    })
}

fn hash_large_input(input: &[u8]) -> i64 {
    HASHES_COMPUTED.fetch_add(1, Ordering::Relaxed);
    input.iter().fold(17_i64, |hash, byte| hash.wrapping_mul(31).wrapping_add(i64::from(*byte)))
}

/// Seed: `@trace_function("user_registration")`. An `Err` marks the span as failed.
#[clew::trace(name = "user_registration", args(email))]
fn register_user(email: &str) -> Result<u64, String> {
    if !email.contains('@') {
        return Err(format!("{email:?} is not an email address"));
    }
    Ok(create_user(email))
}

/// Traced separately, as the seed's "save_to_db: trace this separately" suggests.
#[clew::trace(name = "database.users.insert")]
fn create_user(email: &str) -> u64 {
    1000 + email.len() as u64
}

#[clew::trace]
async fn send_welcome_email(user_id: u64) {
    tokio::task::yield_now().await;
    // Still inside `send_welcome_email`'s span after the await.
    println!("{}", clew::log_with_trace(format!("welcome email queued for user {user_id}")));
}

#[derive(Debug, Clone)]
struct Job {
    id: u64,
    kind: &'static str,
    priority: &'static str,
    retry_count: u32,
}

async fn process_background_jobs(tracer: Tracer) {
    let mut dispatcher = tracer.span("process_background_jobs").root().start();
    let jobs = get_pending_jobs().with_context(dispatcher.context()).await;
    dispatcher.set_attribute("jobs.count", jobs.len());

    let mut tasks = Vec::new();
    {
        // `in_current_span` captures the dispatcher here and makes it current in the task.
        let _entered = dispatcher.enter();
        for job in jobs {
            tasks.push(tokio::spawn(process_single_job(tracer, job).in_current_span()));
        }
    }
    let mut failed = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => failed += 1,
            Err(join_error) => {
                dispatcher.record_error(&join_error);
                failed += 1;
            }
        }
    }
    dispatcher.set_attribute("jobs.failed", failed);
}

#[clew::trace]
async fn get_pending_jobs() -> Vec<Job> {
    tokio::time::sleep(Duration::from_millis(2)).await;
    vec![
        Job { id: 101, kind: "email", priority: "high", retry_count: 0 },
        Job { id: 102, kind: "export", priority: "low", retry_count: 0 },
        Job { id: 103, kind: "sms", priority: "normal", retry_count: 1 },
    ]
}

/// Seed: "each job gets its own trace". The span is owned here, so that the outcome can
/// be recorded on it after the work; the work runs with its context current.
async fn process_single_job(tracer: Tracer, job: Job) -> Result<String, JobError> {
    let mut builder = tracer
        .span("background_job")
        .root()
        .attributes(clew::attrs!["job_id" => job.id, "job_type" => job.kind, "priority" => job.priority]);
    if let Some(dispatcher) = clew::current_context() {
        builder = builder.link(dispatcher, clew::attrs!["link.reason" => "dispatched_by"]);
    }
    let mut span = builder.start();

    let outcome = execute_job(tracer, &job).with_context(span.context()).await;
    match &outcome {
        Ok(result) => {
            span.set_attribute("result", result.clone());
            span.set_attribute("success", true);
            span.set_status(Status::Ok);
        }
        Err(error) => {
            span.record_error(error);
            span.set_attribute("retry_count", job.retry_count);
            if job.retry_count < 3 {
                schedule_retry(job.id, job.retry_count + 1).with_context(span.context()).await;
            }
        }
    }
    outcome
}

async fn execute_job(tracer: Tracer, job: &Job) -> Result<String, JobError> {
    match job.kind {
        "email" => send_email(job.id, format!("user{}@example.com", job.id)).await,
        "export" => generate_export(tracer, job.id).await,
        other => Err(JobError::UnknownType(other)),
    }
}

#[clew::trace(name = "job_email", args(job_id))]
async fn send_email(job_id: u64, recipient: String) -> Result<String, JobError> {
    tokio::time::sleep(Duration::from_millis(3)).await;
    println!("{}", clew::log_with_trace(format!("job {job_id}: email sent to {recipient}")));
    Ok(format!("sent to {recipient}"))
}

/// Exports three chunks at once, each in a task of its own under a span of its own.
#[clew::trace(name = "job_export", args(job_id))]
async fn generate_export(tracer: Tracer, job_id: u64) -> Result<String, JobError> {
    let mut chunks = Vec::new();
    for chunk in 0..3_u32 {
        // Started here, where `job_export` is current, so each chunk span is its child;
        // `in_span` keeps it current in the spawned task and ends it when the task is done.
        let span = tracer.span("export.chunk").attribute("chunk", chunk).start();
        chunks.push(tokio::spawn(write_chunk(chunk).in_span(span)));
    }
    let mut bytes = 0;
    for chunk in chunks {
        bytes += chunk.await.map_err(|_| JobError::ChunkLost)?;
    }
    Ok(format!("{bytes} bytes exported"))
}

#[clew::trace(name = "storage.put", args(chunk))]
async fn write_chunk(chunk: u32) -> u64 {
    tokio::time::sleep(Duration::from_millis(2)).await;
    4096 * u64::from(chunk + 1)
}

#[clew::trace(args(job_id, attempt))]
async fn schedule_retry(job_id: u64, attempt: u32) {
    tokio::task::yield_now().await;
    println!("{}", clew::log_with_trace(format!("job {job_id}: retry {attempt} scheduled")));
}

#[derive(Debug)]
enum OperationError {
    Validation(String),
    Connection(String),
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::Validation(reason) => write!(f, "invalid input: {reason}"),
            OperationError::Connection(reason) => write!(f, "connection failed: {reason}"),
        }
    }
}

impl std::error::Error for OperationError {}

#[derive(Debug)]
enum JobError {
    UnknownType(&'static str),
    ChunkLost,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::UnknownType(kind) => write!(f, "unknown job type: {kind}"),
            JobError::ChunkLost => f.write_str("an export chunk task failed"),
        }
    }
}

impl std::error::Error for JobError {}
