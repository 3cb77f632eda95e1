//! Two HTTP services, one trace: a storefront that calls an inventory service, both axum
//! servers traced with `clew_http::TraceLayer`, the call made with reqwest through
//! `clew_http::TraceMiddleware`.
//!
//! What it shows:
//! - one `clew::Tracer` per service, each with its own `service.name`, built by
//!   `clew_otlp::tracer_builder()`: OTLP to `TRACE_INGEST_URL` or
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` when one is set, JSON lines on stdout otherwise;
//! - `Router::layer(TraceLayer::new().with_tracer(…))`: a SERVER span per request named by
//!   the matched route (`GET /checkout/{id}`), continuing the caller's trace;
//! - handler spans nesting under the server span, with no parent passed around;
//! - the storefront's reqwest client with `TraceMiddleware`: a CLIENT span (`GET`) whose
//!   context goes out in `traceparent`, so the inventory's server span is its child;
//! - the incoming `PropagationContext` (from the request's extensions) handed to the
//!   outgoing request, so the caller's baggage reaches the inventory service.
//!
//! Run with no arguments, it starts both services on free ports, sends one request, prints
//! the answer and the trace id, and shuts everything down. To see the trace in
//! `clew serve`:
//!
//! ```sh
//! cargo run -- serve &
//! TRACE_INGEST_URL=http://127.0.0.1:4318 cargo run -p clew-examples --example two_services
//! cargo run -- trace <the trace id it printed>
//! ```

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use clew::Tracer;
use clew::propagation::PropagationContext;
use clew_http::{TraceLayer, TraceMiddleware};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

type BoxError = Box<dyn Error + Send + Sync>;

/// What the storefront's handler needs.
#[derive(Clone)]
struct Storefront {
    tracer: Tracer,
    http: reqwest_middleware::ClientWithMiddleware,
    inventory_url: String,
}

/// A running service: its address, and how to stop it.
struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The propagators OTEL_PROPAGATORS names (W3C trace context and baggage by default).
    clew::propagation::set_global(clew::propagation::from_env());
    let inventory_tracer = clew_otlp::tracer_builder().service_name("inventory").build();
    let storefront_tracer = clew_otlp::tracer_builder().service_name("storefront").build();

    let inventory = start(inventory_router(inventory_tracer)).await?;
    let storefront = Storefront {
        tracer: storefront_tracer,
        http: reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(TraceMiddleware::new().with_tracer(storefront_tracer))
            .build(),
        inventory_url: format!("http://{}", inventory.address),
    };
    let storefront = start(storefront_router(storefront)).await?;

    // A caller outside both services, with baggage for the whole request path.
    let answer = reqwest::Client::new()
        .get(format!("http://{}/checkout/42", storefront.address))
        .header("baggage", "tenant=acme")
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;

    stop(storefront).await?;
    stop(inventory).await?;
    // Export what is left; this waits for the exporter, so off the async threads.
    for tracer in [storefront_tracer, inventory_tracer] {
        tokio::task::spawn_blocking(move || tracer.shutdown(Duration::from_secs(5))).await??;
    }

    let answer: serde_json::Value = serde_json::from_str(&answer)?;
    println!("storefront answered: {}", answer["message"].as_str().unwrap_or_default());
    println!("trace id: {}", answer["trace_id"].as_str().unwrap_or_default());
    Ok(())
}

/// The inventory service: `GET /stock/{id}`.
fn inventory_router(tracer: Tracer) -> Router {
    let stock = move |Path(item): Path<u32>, Extension(incoming): Extension<PropagationContext>| async move {
        // A child of the server span, which is current while the handler runs.
        tracer.in_span("query-stock", |span| {
            span.set_attribute("item.id", i64::from(item));
            // The baggage the storefront passed on.
            span.set_attribute("tenant", incoming.baggage().get("tenant").unwrap_or("none").to_owned());
        });
        "12"
    };
    Router::new().route("/stock/{id}", get(stock)).layer(TraceLayer::new().with_tracer(tracer))
}

/// The storefront: `GET /checkout/{id}`, which asks the inventory for stock.
fn storefront_router(storefront: Storefront) -> Router {
    let tracer = storefront.tracer;
    Router::new()
        .route("/checkout/{id}", get(checkout))
        .with_state(storefront)
        .layer(TraceLayer::new().with_tracer(tracer))
}

async fn checkout(
    State(storefront): State<Storefront>,
    Path(order): Path<u32>,
    Extension(incoming): Extension<PropagationContext>,
) -> Result<String, StatusCode> {
    storefront.tracer.in_span("price-order", |span| span.set_attribute("order.id", i64::from(order)));
    // The client span is a child of the current (server) span; `incoming` adds the
    // caller's baggage to what is injected.
    let stock = async {
        let url = format!("{}/stock/{order}", storefront.inventory_url);
        let response = storefront.http.get(url).with_extension(incoming).send().await?;
        response.error_for_status()?.text().await.map_err(reqwest_middleware::Error::from)
    }
    .await
    .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let trace_id = clew::current_trace_id().map(|id| id.to_string()).unwrap_or_default();
    let message = format!("order {order}: {stock} in stock");
    Ok(serde_json::json!({ "message": message, "trace_id": trace_id }).to_string())
}

/// Serves `router` on a free loopback port until told to stop.
async fn start(router: Router) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running { address, stop, task })
}

/// Stops a service and waits until its connections are closed.
async fn stop(running: Running) -> Result<(), BoxError> {
    let _ = running.stop.send(());
    running.task.await??;
    Ok(())
}
