//! An order API traced the way seed 004 (a platform's OpenTelemetry tracing guide) does it.
//!
//! What it shows, in the seed's order:
//! - a resource naming the service, its version and its deployment environment;
//! - the sampler picked from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` by
//!   `Tracer::builder()`, which reads the environment for whatever code leaves unset;
//! - the chain API route → `OrderService.createOrder` → `OrderService.validateOrder`,
//!   `OrderRepository.create` (with the seed's `db.*` attributes) →
//!   `OrderService.sendConfirmation`, each span given its parent explicitly
//!   (`.parent(&span)`), as the seed passes `parentSpan` down;
//! - failing paths (an invalid order, a failed insert) where every level records the
//!   exception and sets an error status before passing the error up;
//! - span names per the seed's best practices: `Class.method`, never `create` or `doWork`.
//!
//! Try the seed's sampling profiles:
//!
//! ```sh
//! cargo run -p clew-examples --example order_service
//! ENVIRONMENT=production OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 \
//!     cargo run -p clew-examples --example order_service
//! ```

#![allow(clippy::print_stdout)]

use std::fmt;
use std::time::{Duration, Instant};

use clew::resource::DEPLOYMENT_ENVIRONMENT;
use clew::{EnvConfig, InMemoryExporter, Level, Span, SpanKind, Status, Tracer};
use clew_examples::{print_heading, print_tree};

fn main() {
    let exporter = InMemoryExporter::new();
    let tracer = build_tracer(exporter.clone());

    print_heading("resource and sampler");
    for attribute in tracer.resource().attributes() {
        println!("{} = {:?}", attribute.key, attribute.value);
    }
    println!("sampler: {}", tracer.sampler().description());
    for warning in tracer.config_warnings() {
        println!("ignored: {warning}");
    }

    print_heading("what the seed's sampling profiles would choose");
    for (profile, sampler, ratio) in
        [("development", "always_on", ""), ("staging", "traceidratio", "0.5"), ("production", "traceidratio", "0.1")]
    {
        let profile_tracer = Tracer::builder()
            .env_lookup(move |variable| match variable {
                "OTEL_TRACES_SAMPLER" => Some(sampler.to_owned()),
                "OTEL_TRACES_SAMPLER_ARG" => Some(ratio.to_owned()),
                _ => None,
            })
            .exporter(clew::NoneExporter)
            .build();
        println!("{profile:<12} OTEL_TRACES_SAMPLER={sampler:<13} → {}", profile_tracer.sampler().description());
    }

    let service = OrderService { tracer, repository: OrderRepository { tracer } };
    let requests = [
        CreateOrder { user_id: "456", venue_id: "789", items: vec!["espresso", "croissant"] },
        CreateOrder { user_id: "457", venue_id: "789", items: Vec::new() },
        CreateOrder { user_id: "458", venue_id: "closed-venue", items: vec!["tea"] },
    ];
    print_heading("requests");
    for request in &requests {
        let response = post_orders(tracer, &service, request);
        println!("POST /api/orders for user {} → {} {}", request.user_id, response.status, response.body);
    }

    if let Err(error) = tracer.flush(Duration::from_secs(5)) {
        println!("flush failed: {error}");
    }
    print_heading("spans");
    print_tree(&exporter);
    if let Err(error) = tracer.shutdown(Duration::from_secs(5)) {
        println!("shutdown failed: {error}");
    }
}

/// Seed: `new NodeSDK({ resource: new Resource({ SERVICE_NAME, SERVICE_VERSION,
/// DEPLOYMENT_ENVIRONMENT: process.env.NODE_ENV || 'development' }) })`.
fn build_tracer(exporter: InMemoryExporter) -> Tracer {
    let builder =
        Tracer::builder().service_name("servio").service_version(env!("CARGO_PKG_VERSION")).exporter(exporter);
    // A value set in code wins over the environment, so "development" is set only when
    // neither `ENVIRONMENT` nor `OTEL_RESOURCE_ATTRIBUTES` names an environment.
    let environment_is_set =
        EnvConfig::from_env().resource.iter().any(|attribute| attribute.key == DEPLOYMENT_ENVIRONMENT);
    if environment_is_set { builder.build() } else { builder.environment("development").build() }
}

#[derive(Debug)]
struct CreateOrder {
    user_id: &'static str,
    venue_id: &'static str,
    items: Vec<&'static str>,
}

#[derive(Debug)]
struct Order {
    id: u64,
    user_id: &'static str,
}

#[derive(Debug)]
struct Response {
    status: u16,
    body: String,
}

/// Seed: `app/api/orders/route.ts`, `POST` → span `api.orders.create`.
fn post_orders(tracer: Tracer, service: &OrderService, request: &CreateOrder) -> Response {
    let mut span = tracer
        .span("api.orders.create")
        .kind(SpanKind::Server)
        .root()
        .attributes(clew::attrs!["http.method" => "POST", "http.url" => "/api/orders"])
        .start();
    span.set_attributes(clew::attrs!["order.userId" => request.user_id, "order.venueId" => request.venue_id]);
    match service.create_order(request, &span) {
        Ok(order) => {
            span.set_attribute("http.status_code", 200);
            span.end_with(Status::Ok);
            Response { status: 200, body: format!("order {}", order.id) }
        }
        Err(error) => {
            // `record_error` adds the exception event and sets the error status, as the
            // seed's `recordException` plus `setStatus({ code: 2, message })` do.
            span.record_error(&error);
            span.set_attribute("http.status_code", 500);
            span.end();
            Response { status: 500, body: "Failed to create order".to_owned() }
        }
    }
}

#[derive(Debug)]
struct OrderService {
    tracer: Tracer,
    repository: OrderRepository,
}

impl OrderService {
    fn create_order(&self, data: &CreateOrder, parent: &Span) -> Result<Order, OrderError> {
        let mut span = self
            .tracer
            .span("OrderService.createOrder")
            .parent(parent)
            .attributes(clew::attrs!["order.userId" => data.user_id, "order.venueId" => data.venue_id])
            .start();
        let outcome = self
            .validate_order(data, &span)
            .and_then(|()| self.repository.create(data, &span))
            .and_then(|order| self.send_confirmation(&order, &span).map(|()| order));
        match &outcome {
            Ok(order) => {
                span.event(Level::Info, "order.created", clew::attrs!["orderId" => order.id]);
                span.end_with(Status::Ok);
            }
            Err(error) => span.record_error(error),
        }
        outcome
    }

    fn validate_order(&self, data: &CreateOrder, parent: &Span) -> Result<(), OrderError> {
        let mut span = self
            .tracer
            .span("OrderService.validateOrder")
            .parent(parent)
            .attribute("order.items", data.items.len())
            .start();
        let is_valid = !data.items.is_empty();
        span.set_attribute("validation.isValid", is_valid);
        if !is_valid {
            let error = OrderError::Invalid("an order needs at least one item");
            span.record_error(&error);
            return Err(error);
        }
        span.end_with(Status::Ok);
        Ok(())
    }

    fn send_confirmation(&self, order: &Order, parent: &Span) -> Result<(), OrderError> {
        let mut span = self
            .tracer
            .span("OrderService.sendConfirmation")
            .kind(SpanKind::Client)
            .parent(parent)
            .attributes(clew::attrs!["order.id" => order.id, "order.userId" => order.user_id])
            .start();
        span.add_event("notification.sent", clew::attrs!["channel" => "email"]);
        span.end_with(Status::Ok);
        Ok(())
    }
}

#[derive(Debug)]
struct OrderRepository {
    tracer: Tracer,
}

impl OrderRepository {
    /// Seed: `lib/repositories/order-repository.ts`. (The seed's `db.*` keys; current
    /// OpenTelemetry conventions call them `db.system.name`, `db.namespace`,
    /// `db.operation.name` and `db.collection.name`.)
    fn create(&self, data: &CreateOrder, parent: &Span) -> Result<Order, OrderError> {
        let mut span = self
            .tracer
            .span("OrderRepository.create")
            .kind(SpanKind::Client)
            .parent(parent)
            .attributes(clew::attrs![
                "db.system" => "postgresql",
                "db.name" => "servio",
                "db.operation" => "INSERT",
                "db.table" => "orders",
            ])
            .start();
        let started = Instant::now();
        let outcome = insert_order(data);
        // Milliseconds, as the seed's `Date.now() - startTime`, to the microsecond.
        let duration_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
        span.set_attribute("db.duration", duration_ms);
        match outcome {
            Ok(order) => {
                span.end_with(Status::Ok);
                Ok(order)
            }
            Err(error) => {
                span.record_error(&error);
                Err(error)
            }
        }
    }
}

/// Stands in for the database: a venue that is closed violates a constraint.
fn insert_order(data: &CreateOrder) -> Result<Order, OrderError> {
    if data.venue_id == "closed-venue" {
        return Err(OrderError::Database("insert or update on table \"orders\" violates foreign key constraint"));
    }
    let id = 10_000 + data.items.len() as u64;
    Ok(Order { id, user_id: data.user_id })
}

#[derive(Debug)]
enum OrderError {
    Invalid(&'static str),
    Database(&'static str),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::Invalid(reason) => write!(f, "invalid order: {reason}"),
            OrderError::Database(reason) => write!(f, "database error: {reason}"),
        }
    }
}

impl std::error::Error for OrderError {}
