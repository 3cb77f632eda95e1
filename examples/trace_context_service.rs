//! The W3C trace-context test service, in clew: the service that the official test suite
//! (github.com/w3c/trace-context, `test/`) drives to check a tracer's propagation.
//!
//! The suite POSTs a JSON array of `{"url": …, "arguments": …}` to the service with some
//! `traceparent`/`tracestate` headers. For each entry the service POSTs `arguments` (as
//! JSON) to `url`, with the headers of a new client span, child of the server span that
//! continues the incoming context. The suite then checks what arrived.
//!
//! What it shows:
//! - `clew::propagation::from_env()`: the propagators `OTEL_PROPAGATORS` names (default
//!   `tracecontext,baggage`);
//! - `extract` from axum's `HeaderMap`, `.remote_parent(&context)` for the server span
//!   (a new trace when nothing valid came in), `context.span_attributes()` to record an
//!   `x-request-id`;
//! - `inject` of `context.for_span(&client)` into reqwest's `HeaderMap`: the client span's
//!   ids with the incoming `tracestate` and baggage.
//!
//! Serve the protocol on an address, then run the suite against it (docs/propagation.md
//! has the exact commands):
//!
//! ```sh
//! OTEL_TRACES_EXPORTER=none cargo run -p clew-examples --example trace_context_service -- 127.0.0.1:5000
//! ```
//!
//! Without an address it serves on a free port, sends itself one request as the suite
//! would, checks the callbacks, prints them and exits.

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use clew::propagation::{CompositePropagator, Extractor, Propagator};
use clew::{InMemoryExporter, SpanKind, Tracer};
use serde_json::Value;

type BoxError = Box<dyn Error + Send + Sync>;

/// What the handlers share.
#[derive(Clone)]
struct App {
    tracer: Tracer,
    propagator: Arc<CompositePropagator>,
    http: reqwest::Client,
    /// Headers of the callbacks this process received itself (the self-check only).
    callbacks: Arc<Mutex<Vec<HeaderMap>>>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let address = std::env::args().nth(1);
    let exporter = InMemoryExporter::new();
    let builder = Tracer::builder().service_name("trace-context-service");
    // The self-check keeps its spans in memory to look at them; the service exports them
    // as the environment says.
    let tracer = match address {
        Some(_) => builder.build(),
        None => builder.exporter(exporter.clone()).build(),
    };
    let app = App {
        tracer,
        propagator: Arc::new(clew::propagation::from_env()),
        http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?,
        callbacks: Arc::default(),
    };
    let router = Router::new()
        .route("/test", post(handle_test))
        .route("/callback", post(record_callback))
        .with_state(app.clone());

    let Some(address) = address else {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let local = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, router).await });
        let outcome = self_check(&app, &format!("http://{local}")).await;
        tracer.flush(Duration::from_secs(5))?;
        println!("\nspans:\n{}", exporter.tree());
        return outcome;
    };
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("trace-context test service on http://{}/test", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}

/// `POST /test`: calls back every entry of the array with the propagated headers.
async fn handle_test(State(app): State<App>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let context = app.propagator.extract(&headers);
    let mut server = app
        .tracer
        .span("POST /test")
        .kind(SpanKind::Server)
        .remote_parent(&context)
        .attributes(context.span_attributes())
        .start();
    let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(&body) else {
        server.set_attribute("http.response.status_code", 400);
        return StatusCode::BAD_REQUEST;
    };
    for entry in entries {
        let Some(url) = entry.get("url").and_then(Value::as_str) else {
            continue;
        };
        let arguments = entry.get("arguments").cloned().unwrap_or(Value::Array(Vec::new()));
        let mut client = app.tracer.span("POST callback").kind(SpanKind::Client).parent(&server).start();
        client.set_attribute("url.full", url.to_owned());
        let mut outgoing = HeaderMap::new();
        app.propagator.inject(&context.for_span(&client), &mut outgoing);
        outgoing.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match app.http.post(url).headers(outgoing).body(arguments.to_string()).send().await {
            Ok(response) => client.set_attribute("http.response.status_code", response.status().as_u16()),
            Err(error) => client.record_error(&error),
        }
    }
    server.set_attribute("http.response.status_code", 200);
    StatusCode::OK
}

/// `POST /callback`: what the suite's harness does, for the self-check.
async fn record_callback(State(app): State<App>, headers: HeaderMap) -> StatusCode {
    app.callbacks.lock().unwrap_or_else(PoisonError::into_inner).push(headers);
    StatusCode::OK
}

/// Sends one request as the suite would and checks what the callbacks carried.
async fn self_check(app: &App, base: &str) -> Result<(), BoxError> {
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let body = serde_json::json!([
        {"url": format!("{base}/callback"), "arguments": []},
        {"url": format!("{base}/callback"), "arguments": []},
    ]);
    let status = app
        .http
        .post(format!("{base}/test"))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-03"))
        .header("tracestate", "congo=t61rcWkgMzE")
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await?
        .status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("the service answered {status}").into());
    }
    let callbacks = app.callbacks.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if callbacks.len() != 2 {
        return Err(format!("expected 2 callbacks, got {}", callbacks.len()).into());
    }
    let mut parent_ids = Vec::new();
    for headers in &callbacks {
        let traceparent = Extractor::get(headers, "traceparent").unwrap_or_default();
        let tracestate = Extractor::get(headers, "tracestate").unwrap_or_default();
        println!("callback: traceparent: {traceparent}  tracestate: {tracestate}");
        let fields: Vec<&str> = traceparent.split('-').collect();
        let [version, trace_id, parent_id, flags] = fields.as_slice() else {
            return Err(format!("malformed traceparent {traceparent:?}").into());
        };
        let continued = *version == "00" && *trace_id == TRACE_ID && *flags == "03";
        if !continued || *parent_id == "00f067aa0ba902b7" || tracestate != "congo=t61rcWkgMzE" {
            return Err(format!("the callback did not continue the trace: {traceparent} {tracestate}").into());
        }
        parent_ids.push(parent_id.to_string());
    }
    if parent_ids[0] == parent_ids[1] {
        return Err("both callbacks carried the same parent id".into());
    }
    println!("ok: both callbacks continue trace {TRACE_ID} with their own parent ids");
    Ok(())
}
