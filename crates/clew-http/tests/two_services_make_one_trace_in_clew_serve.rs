//! Two axum services, each with its own tracer exporting over OTLP into a real
//! `clew serve`: a request to the first, which calls the second through reqwest, is one
//! trace whose spans from both services link up as parent and child.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Router};
use clew::Tracer;
use clew::propagation::PropagationContext;
use clew_http::{TraceLayer, TraceMiddleware};
use clew_server::ServerConfig;
use clew_store_embedded::{EmbeddedStore, StoreConfig};
use serde_json::Value as Json;

/// What the front service's handler needs.
#[derive(Clone)]
struct Storefront {
    tracer: Tracer,
    client: reqwest_middleware::ClientWithMiddleware,
    inventory: String,
}

/// `GET /checkout/{id}`: prices the order, asks the inventory service for stock, and
/// answers with the trace id and the stock.
async fn checkout(
    State(app): State<Storefront>,
    Path(order): Path<u32>,
    Extension(incoming): Extension<PropagationContext>,
) -> String {
    app.tracer.in_span("price-order", |span| span.set_attribute("order.id", i64::from(order)));
    let url = format!("{}/stock/{order}", app.inventory);
    let stock = app.client.get(url).with_extension(incoming).send().await.unwrap().text().await.unwrap();
    let trace_id = clew::current_trace_id().unwrap().to_string();
    serde_json::json!({ "trace_id": trace_id, "stock": stock }).to_string()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn otlp_tracer(service: &'static str, otlp_http: SocketAddr) -> Tracer {
    let exporter = clew_otlp::OtlpExporter::builder().endpoint(format!("http://{otlp_http}")).build().unwrap();
    Tracer::builder().ignore_env().service_name(service).exporter(exporter).build()
}

fn find<'a>(spans: &'a [Json], service: &str, name: &str) -> &'a Json {
    let found = spans.iter().find(|span| span["service"] == service && span["name"] == name);
    found.unwrap_or_else(|| panic!("no span {name:?} of {service:?} in {spans:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_across_two_services_is_one_trace_with_both_services_linked() {
    let data_dir = tempfile::tempdir().unwrap();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ServerConfig {
        http_addr: loopback,
        otlp_grpc_addr: loopback,
        otlp_http_addr: loopback,
        zipkin_addr: loopback,
        ..ServerConfig::default()
    };
    let (store, _) = EmbeddedStore::open(StoreConfig::new(data_dir.path())).unwrap();
    let server = clew_server::start(config, Arc::new(store)).await.unwrap();

    let inventory_tracer = otlp_tracer("inventory", server.otlp_http_addr);
    let stock = move |Path(item): Path<u32>| async move {
        inventory_tracer.in_span("query-stock", |span| span.set_attribute("item.id", i64::from(item)));
        "12"
    };
    let inventory =
        serve(Router::new().route("/stock/{id}", get(stock)).layer(TraceLayer::new().with_tracer(inventory_tracer)))
            .await;

    let storefront_tracer = otlp_tracer("storefront", server.otlp_http_addr);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TraceMiddleware::new().with_tracer(storefront_tracer))
        .build();
    let app = Storefront { tracer: storefront_tracer, client, inventory: format!("http://{inventory}") };
    let storefront = serve(
        Router::new()
            .route("/checkout/{id}", get(checkout))
            .with_state(app)
            .layer(TraceLayer::new().with_tracer(storefront_tracer)),
    )
    .await;

    let answer = reqwest::get(format!("http://{storefront}/checkout/42")).await.unwrap().text().await.unwrap();
    let answer: Json = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["stock"], "12");
    let trace_id = answer["trace_id"].as_str().unwrap().to_owned();

    // Every span has ended by now; flushing returns once the server has stored them.
    for tracer in [storefront_tracer, inventory_tracer] {
        tokio::task::spawn_blocking(move || tracer.flush(Duration::from_secs(10))).await.unwrap().unwrap();
        assert_eq!(tracer.stats().failed, 0);
    }
    let response = reqwest::get(format!("http://{}/api/v1/traces/{trace_id}", server.http_addr)).await.unwrap();
    assert_eq!(response.status(), 200);
    let trace: Json = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 5, "{spans:#?}");
    assert!(spans.iter().all(|span| span["traceId"] == trace_id.as_str()));

    let front = find(spans, "storefront", "GET /checkout/{id}");
    let price = find(spans, "storefront", "price-order");
    let call = find(spans, "storefront", "GET");
    let back = find(spans, "inventory", "GET /stock/{id}");
    let query = find(spans, "inventory", "query-stock");
    assert_eq!(front["parentSpanId"], Json::Null);
    assert_eq!(front["kind"], "server");
    assert_eq!(price["parentSpanId"], front["spanId"]);
    assert_eq!(call["parentSpanId"], front["spanId"]);
    assert_eq!(call["kind"], "client");
    assert_eq!(back["parentSpanId"], call["spanId"]);
    assert_eq!(back["parentIsRemote"], true);
    assert_eq!(back["kind"], "server");
    assert_eq!(query["parentSpanId"], back["spanId"]);
    assert_eq!(trace["summary"]["rootService"], "storefront");

    server.shutdown().await.unwrap();
}
