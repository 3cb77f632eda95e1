//! `clew demo`: a small instrumented shop — five services calling each other — that sends
//! realistic traces to a server over OTLP/HTTP, so that a new user sees data at once.
//!
//! Each order is one trace: the web frontend calls checkout, which reads stock from
//! inventory (and its database), charges through payments (which asks fraud-check), and
//! publishes an event that notifications consumes. About one order in eight fails at
//! payments; some are slow in the database. An agent session traced with seed 000's
//! `Trace` adds trace-level events. Times are spread over the last half hour.

use std::time::{Duration, SystemTime};

use clew::{KeyValue, Level, Span, SpanKind, Status, Tracer};
use clew_otlp::OtlpExporter;

use crate::client::DEFAULT_ENDPOINT;

/// Orders sent when `--traces` is not given.
pub(crate) const DEFAULT_TRACES: usize = 200;

/// A small deterministic generator (xorshift), so that a run is reproducible.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `low..high` (`high > low`).
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next() % one_in == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

struct Shop {
    frontend: Tracer,
    checkout: Tracer,
    inventory: Tracer,
    payments: Tracer,
    fraud: Tracer,
    notifications: Tracer,
    agent: Tracer,
}

fn tracer(exporter: &OtlpExporter, service: &str, version: &str) -> Tracer {
    Tracer::builder()
        .ignore_env()
        .service_name(service.to_owned())
        .service_version(version.to_owned())
        .environment("demo")
        .resource_attribute("host.name", format!("{service}-7f9c"))
        .exporter(exporter.clone())
        .max_export_batch_size(512)
        .build()
}

const MS: u64 = 1_000_000;

/// A span from `start` lasting `millis`, child of `parent` (or a root).
fn span(
    tracer: &Tracer,
    name: &str,
    kind: SpanKind,
    parent: Option<&Span>,
    start: SystemTime,
    attributes: Vec<KeyValue>,
) -> Span {
    let mut builder = tracer.span(name.to_owned()).kind(kind).start_time(start).attributes(attributes);
    builder = match parent {
        Some(parent) => builder.parent_context(parent.context()),
        None => builder.root(),
    };
    builder.start()
}

fn at(base: SystemTime, nanos: u64) -> SystemTime {
    base + Duration::from_nanos(nanos)
}

impl Shop {
    fn order(&self, rng: &mut Rng, base: SystemTime) {
        let sku = rng.pick(&["sku-1042", "sku-2210", "sku-3307", "sku-4011", "sku-5150"]);
        let declined = rng.chance(8);
        let slow_db = rng.chance(10);
        let quantity = rng.range(1, 5) as i64;
        let db_ms = if slow_db { rng.range(300, 900) } else { rng.range(2, 12) };
        let fraud_ms = rng.range(5, 40);
        let charge_ms = fraud_ms + rng.range(10, 60);
        let stock_ms = db_ms + rng.range(1, 4);
        let place_ms = 3 + stock_ms + 2 + charge_ms + 4;
        let total_ms = place_ms + rng.range(4, 15);

        let mut root = span(
            &self.frontend,
            "GET /checkout",
            SpanKind::Server,
            None,
            base,
            vec![
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", "/checkout"),
                KeyValue::new("url.full", format!("https://shop.example/checkout?sku={sku}")),
                KeyValue::new("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
                KeyValue::new("client.address", format!("203.0.113.{}", rng.range(1, 250))),
            ],
        );
        let mut call = span(
            &self.frontend,
            "POST",
            SpanKind::Client,
            Some(&root),
            at(base, 2 * MS),
            vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("server.address", "checkout"),
                KeyValue::new("url.full", "http://checkout:8080/orders"),
            ],
        );
        let t0 = 3 * MS;
        let mut place = span(
            &self.checkout,
            "POST /orders",
            SpanKind::Server,
            Some(&call),
            at(base, t0),
            vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("http.route", "/orders"),
                KeyValue::new("order.sku", sku),
                KeyValue::new("order.quantity", quantity),
            ],
        );
        let mut validate = span(
            &self.checkout,
            "validate cart",
            SpanKind::Internal,
            Some(&place),
            at(base, t0 + MS / 2),
            vec![KeyValue::new("cart.items", quantity)],
        );
        validate.event_at(
            Level::Info,
            "cart.validated",
            at(base, t0 + MS),
            [KeyValue::new("cart.total_cents", quantity * 1999)],
        );
        validate.end_at(at(base, t0 + 2 * MS));

        // Inventory, with its database.
        let t1 = t0 + 3 * MS;
        let mut stock_call = span(
            &self.checkout,
            "GET",
            SpanKind::Client,
            Some(&place),
            at(base, t1),
            vec![
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("url.full", format!("http://inventory:8080/stock/{sku}")),
            ],
        );
        let mut stock = span(
            &self.inventory,
            "GET /stock/{sku}",
            SpanKind::Server,
            Some(&stock_call),
            at(base, t1 + MS / 2),
            vec![KeyValue::new("http.request.method", "GET"), KeyValue::new("http.route", "/stock/{sku}")],
        );
        let mut query = span(
            &self.inventory,
            "SELECT inventory.stock",
            SpanKind::Client,
            Some(&stock),
            at(base, t1 + MS),
            vec![
                KeyValue::new("db.system.name", "postgresql"),
                KeyValue::new("db.namespace", "inventory"),
                KeyValue::new("db.query.text", "SELECT quantity FROM stock WHERE sku = $1"),
                KeyValue::new("db.operation.name", "SELECT"),
            ],
        );
        if slow_db {
            query.event_at(
                Level::Warn,
                "slow query",
                at(base, t1 + MS + db_ms * MS),
                [KeyValue::new("db.rows_examined", 184_220_i64)],
            );
        }
        query.end_at(at(base, t1 + MS + db_ms * MS));
        stock.set_attribute("http.response.status_code", 200_i64);
        stock.end_at(at(base, t1 + stock_ms * MS));
        stock_call.set_attribute("http.response.status_code", 200_i64);
        stock_call.end_at(at(base, t1 + (stock_ms + 1) * MS));

        // Payments, which asks fraud-check.
        let t2 = t1 + (stock_ms + 2) * MS;
        let mut charge_call = span(
            &self.checkout,
            "POST",
            SpanKind::Client,
            Some(&place),
            at(base, t2),
            vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("url.full", "http://payments:8080/charge"),
            ],
        );
        let mut charge = span(
            &self.payments,
            "POST /charge",
            SpanKind::Server,
            Some(&charge_call),
            at(base, t2 + MS / 2),
            vec![
                KeyValue::new("http.request.method", "POST"),
                KeyValue::new("http.route", "/charge"),
                KeyValue::new("payment.method", rng.pick(&["card", "wallet", "bank_transfer"])),
                KeyValue::new("payment.amount_cents", quantity * 1999),
            ],
        );
        let mut fraud = span(
            &self.fraud,
            "score transaction",
            SpanKind::Internal,
            Some(&charge),
            at(base, t2 + MS),
            vec![KeyValue::new("fraud.model", "gbm-v12")],
        );
        let score = rng.range(0, 100) as f64 / 100.0;
        fraud.set_attribute("fraud.score", if declined { 0.97 } else { score.min(0.6) });
        fraud.end_at(at(base, t2 + (1 + fraud_ms) * MS));
        let status = if declined {
            charge.event_at(
                Level::Error,
                "exception",
                at(base, t2 + (1 + fraud_ms) * MS),
                [
                    KeyValue::new("exception.type", "CardDeclined"),
                    KeyValue::new("exception.message", "card declined: suspected fraud"),
                ],
            );
            charge.set_attribute("http.response.status_code", 402_i64);
            Status::error("card declined: suspected fraud")
        } else {
            charge.set_attribute("http.response.status_code", 200_i64);
            Status::Ok
        };
        charge.set_status(status.clone());
        charge.end_at(at(base, t2 + charge_ms * MS));
        charge_call.set_attribute("http.response.status_code", if declined { 402_i64 } else { 200 });
        if declined {
            charge_call.set_status(Status::error("HTTP 402"));
        }
        charge_call.end_at(at(base, t2 + (charge_ms + 1) * MS));

        // The order event, consumed by notifications.
        let t3 = t2 + (charge_ms + 2) * MS;
        if !declined {
            let publish = span(
                &self.checkout,
                "orders publish",
                SpanKind::Producer,
                Some(&place),
                at(base, t3),
                vec![KeyValue::new("messaging.system", "kafka"), KeyValue::new("messaging.destination.name", "orders")],
            );
            let published = publish.context();
            publish.end_at(at(base, t3 + MS));
            let consume = self
                .notifications
                .span("orders process")
                .kind(SpanKind::Consumer)
                .parent_context(published)
                .start_time(at(base, t3 + 5 * MS))
                .attributes(vec![
                    KeyValue::new("messaging.system", "kafka"),
                    KeyValue::new("messaging.destination.name", "orders"),
                    KeyValue::new("notification.channel", "email"),
                ])
                .start();
            consume.end_at(at(base, t3 + rng.range(8, 30) * MS));
        }
        if declined {
            place.set_status(Status::error("payment failed"));
            place.set_attribute("http.response.status_code", 402_i64);
        } else {
            place.set_attribute("http.response.status_code", 201_i64);
        }
        place.end_at(at(base, t0 + place_ms * MS));
        call.set_attribute("http.response.status_code", if declined { 402_i64 } else { 201 });
        call.end_at(at(base, t0 + (place_ms + 1) * MS));
        root.set_attribute("http.response.status_code", if declined { 502_i64 } else { 200 });
        if declined {
            root.set_status(Status::error("checkout failed"));
        }
        root.end_at(at(base, total_ms * MS));
    }

    /// An agent session traced the seed-000 way: a `Trace` with project and request ids,
    /// trace-level events between its steps.
    fn agent_session(&self, rng: &mut Rng, index: usize) {
        let trace = self
            .agent
            .trace("proj-demo", format!("req-{index:04}"))
            .input([KeyValue::new("question", "Where is my order?")])
            .tags(["demo", "support"])
            .start();
        trace.event(Level::Info, "session.started", [KeyValue::new("channel", "chat")]);
        trace.with_span("plan", |span| {
            span.set_attribute("gen_ai.request.model", "small-planner");
        });
        trace.with_span("lookup order", |span| {
            span.set_attribute("order.id", format!("ord-{}", rng.range(10_000, 99_999)));
        });
        trace.event(Level::Info, "tool.finished", [KeyValue::new("tool", "order-lookup")]);
        trace.with_span("answer", |span| {
            span.set_attribute("gen_ai.usage.output_tokens", rng.range(40, 400) as i64);
        });
        trace.end(Status::Ok);
    }

    fn flush(&self) -> Result<(), String> {
        for tracer in [
            &self.frontend,
            &self.checkout,
            &self.inventory,
            &self.payments,
            &self.fraud,
            &self.notifications,
            &self.agent,
        ] {
            tracer.flush(Duration::from_secs(30)).map_err(|error| error.to_string())?;
            let stats = tracer.stats();
            if stats.failed > 0 {
                return Err(format!("{} spans failed to export; is a server listening?", stats.failed));
            }
        }
        Ok(())
    }
}

/// Sends `traces` orders (and a few agent sessions) to the OTLP/HTTP endpoint.
pub(crate) fn send(endpoint: &str, traces: usize) -> Result<(), String> {
    let exporter = OtlpExporter::builder()
        .endpoint(endpoint)
        .scope("clew-demo")
        .build()
        .map_err(|error| format!("--endpoint: {error}"))?;
    let shop = Shop {
        frontend: tracer(&exporter, "web-frontend", "2.4.1"),
        checkout: tracer(&exporter, "checkout", "1.19.0"),
        inventory: tracer(&exporter, "inventory", "3.2.0"),
        payments: tracer(&exporter, "payments", "5.0.3"),
        fraud: tracer(&exporter, "fraud-check", "0.9.7"),
        notifications: tracer(&exporter, "notifications", "1.1.0"),
        agent: tracer(&exporter, "support-agent", "0.3.0"),
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let now = SystemTime::now();
    let window = 30 * 60 * 1_000 * MS;
    for index in 0..traces {
        // Spread over the last half hour, oldest first, ending a second ago.
        let offset = window - window / traces.max(1) as u64 * index as u64;
        let base = now - Duration::from_nanos(offset + 1_000 * MS);
        shop.order(&mut rng, base);
        if index % 20 == 0 {
            shop.agent_session(&mut rng, index);
        }
    }
    shop.flush()
}

/// `clew demo`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// OTLP/HTTP endpoint of the server
    #[arg(long, value_name = "URL", default_value = DEFAULT_ENDPOINT)]
    endpoint: String,
    /// Orders to send (an agent session comes with every twentieth)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TRACES)]
    traces: usize,
}

/// `clew demo`: sends the shop's orders.
pub(crate) fn run(args: DemoArgs) -> Result<(), String> {
    send(&args.endpoint, args.traces)?;
    crate::log(&format!("clew demo: sent {} orders to {}", args.traces, args.endpoint));
    Ok(())
}
