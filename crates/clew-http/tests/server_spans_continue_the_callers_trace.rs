//! The server span continues the trace the caller's headers carry (or starts one), and is
//! current wherever the handler and its response body run, so their spans nest under it.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::{Extension, Router};
use clew::propagation::{PropagationContext, Propagator, TraceContextPropagator};
use clew::{FutureExt, SpanId, TraceId};
use clew_http::TraceLayer;
use common::{recording_tracer, serve, shape, span_named};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// A service whose handler answers with the trace id current while it runs.
async fn current_trace_service(tracer: clew::Tracer) -> std::net::SocketAddr {
    let router = Router::new()
        .route("/whoami", get(|| async { clew::current_trace_id().map(|id| id.to_string()).unwrap_or_default() }))
        .layer(TraceLayer::new().with_tracer(tracer));
    serve(router).await
}

#[tokio::test]
async fn a_valid_traceparent_is_continued_with_the_callers_span_as_remote_parent() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = current_trace_service(tracer).await;
    let response = reqwest::Client::new()
        .get(format!("http://{address}/whoami"))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), TRACE_ID);

    let span = span_named(&exporter, "GET /whoami");
    assert_eq!(span.trace_id, TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(span.parent_span_id, Some(SpanId::from_hex(PARENT_ID).unwrap()));
    assert!(span.parent_is_remote);
}

#[tokio::test]
async fn a_request_without_or_with_an_invalid_traceparent_starts_a_new_trace() {
    let (tracer, exporter) = recording_tracer("orders");
    let address = current_trace_service(tracer).await;
    let client = reqwest::Client::new();
    let headers = [
        None,
        Some("garbage"),
        Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
    ];
    let mut seen = Vec::new();
    for header in headers {
        let mut request = client.get(format!("http://{address}/whoami"));
        if let Some(header) = header {
            request = request.header("traceparent", header);
        }
        let answered = request.send().await.unwrap().text().await.unwrap();
        let span = exporter.spans().pop().unwrap();
        assert_eq!(span.trace_id.to_string(), answered, "{header:?}: the handler runs in the new trace");
        assert_ne!(answered, TRACE_ID, "{header:?}");
        assert_eq!(span.parent_span_id, None, "{header:?}");
        assert!(!span.parent_is_remote, "{header:?}");
        seen.push(answered);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), headers.len(), "each request is a trace of its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_of_the_handler_nest_under_the_server_span_across_awaits_and_spawns() {
    let (tracer, exporter) = recording_tracer("orders");
    let handler = move || async move {
        let load = tracer.span("load-order").start();
        async move {
            tokio::task::yield_now().await;
            tracer.in_span("query", |_| ());
        }
        .in_span(load)
        .await;
        let audit = async move { tracer.in_span("audit", |_| ()) }.in_current_span();
        tokio::spawn(audit).await.unwrap();
        "done"
    };
    let router = Router::new().route("/orders/{id}", get(handler)).layer(TraceLayer::new().with_tracer(tracer));
    let address = serve(router).await;
    let response = reqwest::Client::new().get(format!("http://{address}/orders/1")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "done");

    insta::assert_snapshot!(shape(&exporter), @r"
    GET /orders/{id} [server]
      load-order
        query
      audit
    ");
}

#[tokio::test]
async fn a_streamed_body_is_polled_under_the_server_span_which_ends_after_its_last_chunk() {
    let (tracer, exporter) = recording_tracer("orders");
    let handler = move || async move {
        let chunks = futures_util::stream::unfold(0, move |sent| async move {
            if sent == 3 {
                return None;
            }
            tracer.in_span("render-chunk", |_| ());
            Some((Ok::<_, Infallible>(Bytes::from(format!("chunk {sent};"))), sent + 1))
        });
        Body::from_stream(chunks)
    };
    let router = Router::new().route("/report", get(handler)).layer(TraceLayer::new().with_tracer(tracer));
    let address = serve(router).await;
    let response = reqwest::Client::new().get(format!("http://{address}/report")).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "chunk 0;chunk 1;chunk 2;");

    insta::assert_snapshot!(shape(&exporter), @r"
    GET /report [server]
      render-chunk
      render-chunk
      render-chunk
    ");
    let server = span_named(&exporter, "GET /report");
    let chunks = exporter.spans().into_iter().filter(|span| span.name == "render-chunk");
    let last_chunk_end = chunks.map(|chunk| chunk.end_time_unix_nano).max().unwrap();
    assert!(server.end_time_unix_nano >= last_chunk_end, "the server span covers the body");
}

#[tokio::test]
async fn the_handler_gets_the_extracted_context_with_its_baggage() {
    let (tracer, _exporter) = recording_tracer("orders");
    let handler = |Extension(context): Extension<PropagationContext>| async move {
        let remote = context.span_context().map(|remote| remote.span_id().to_string()).unwrap_or_default();
        format!("{remote} {}", context.baggage().get("tenant").unwrap_or("none"))
    };
    let router = Router::new().route("/tenant", get(handler)).layer(TraceLayer::new().with_tracer(tracer));
    let address = serve(router).await;
    let answered = reqwest::Client::new()
        .get(format!("http://{address}/tenant"))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))
        .header("baggage", "tenant=acme")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answered, format!("{PARENT_ID} acme"));
}

#[tokio::test]
async fn an_unsampled_caller_is_followed_nothing_is_recorded_and_the_decision_is_passed_on() {
    let (tracer, exporter) = recording_tracer("orders");
    let handler = move || async move {
        let child = tracer.span("child").start();
        let mut outgoing: HashMap<String, String> = HashMap::new();
        TraceContextPropagator::new().inject(&PropagationContext::from_span(&child), &mut outgoing);
        outgoing.remove("traceparent").unwrap_or_default()
    };
    let router = Router::new().route("/unsampled", get(handler)).layer(TraceLayer::new().with_tracer(tracer));
    let address = serve(router).await;
    let passed_on = reqwest::Client::new()
        .get(format!("http://{address}/unsampled"))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-00"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let parts: Vec<&str> = passed_on.split('-').collect();
    assert_eq!(parts.len(), 4, "{passed_on}");
    assert_eq!(parts[1], TRACE_ID, "the handler's spans stay in the caller's trace");
    assert_ne!(parts[2], PARENT_ID);
    assert_eq!(parts[3], "00", "and unsampled");
    assert!(exporter.is_empty(), "{}", exporter.tree());
}
