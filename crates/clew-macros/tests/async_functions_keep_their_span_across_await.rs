//! A traced `async fn` has its span current during every poll of its body, so what it
//! calls after an `.await` is still its child; the span ends when the body finishes, and
//! the future stays `Send`.

mod common;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use common::traced_async;

#[clew::trace(kind = "server", args(order_id))]
async fn handle(order_id: u64) -> u64 {
    tokio::task::yield_now().await;
    let price = price(order_id).await;
    tokio::task::yield_now().await;
    record(price);
    price
}

#[clew::trace(kind = "client")]
async fn price(order_id: u64) -> u64 {
    tokio::task::yield_now().await;
    record(order_id);
    order_id * 2
}

#[clew::trace(args(value))]
fn record(value: u64) {
    let _ = value;
}

#[tokio::test]
async fn spans_started_after_an_await_are_children_of_the_traced_function() {
    let (price, tree) = traced_async(handle(21)).await;
    assert_eq!(price, 42);
    assert_eq!(
        tree,
        "test\n  handle [server] {order_id=21}\n    price [client]\n      record {value=21}\n    record {value=42}\n"
    );
}

#[tokio::test]
async fn nothing_stays_current_after_the_traced_future_completes() {
    assert_eq!(clew::current_span_id(), None);
    common::exporter();
    let price = price(1).await;
    assert_eq!(price, 2);
    assert_eq!(clew::current_span_id(), None);
}

#[tokio::test]
async fn the_span_ends_when_the_body_finishes_not_when_the_caller_does() {
    let ((), tree) = traced_async(async {
        let trace_id = clew::current_trace_id().unwrap();
        handle(1).await;
        let spans = common::spans_of(trace_id);
        assert!(spans.iter().any(|span| span.name == "handle"), "exported before the caller ends");
    })
    .await;
    assert!(tree.starts_with("test\n  handle [server]"), "{tree}");
}

#[tokio::test]
async fn a_future_dropped_before_it_finishes_ends_its_span() {
    let ((), tree) = traced_async(async {
        let mut pending = pin!(handle(3));
        let poll = pending.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(poll == Poll::Pending);
    })
    .await;
    assert_eq!(tree, "test\n  handle [server] {order_id=3}\n");
}

struct Inventory {
    stock: Vec<u32>,
}

impl Inventory {
    #[clew::trace(args(index))]
    async fn count(&self, index: usize) -> Option<u32> {
        tokio::task::yield_now().await;
        record(1);
        self.stock.get(index).copied()
    }

    #[clew::trace]
    async fn slot(&mut self, index: usize) -> Result<&mut u32, String> {
        tokio::task::yield_now().await;
        let len = self.stock.len();
        self.stock.get_mut(index).ok_or_else(|| format!("no slot {index} of {len}"))
    }
}

trait Warehouse {
    #[clew::trace]
    async fn restock(&mut self, amount: u32) -> u32 {
        tokio::task::yield_now().await;
        self.add(amount).await
    }

    async fn add(&mut self, amount: u32) -> u32;
}

impl Warehouse for Inventory {
    #[clew::trace(args(amount))]
    async fn add(&mut self, amount: u32) -> u32 {
        tokio::task::yield_now().await;
        self.stock.push(amount);
        self.stock.iter().sum()
    }
}

#[tokio::test]
async fn async_methods_taking_self_by_reference_are_traced() {
    let ((), tree) = traced_async(async {
        let mut inventory = Inventory { stock: vec![4] };
        assert_eq!(inventory.count(0).await, Some(4));
        *inventory.slot(0).await.unwrap() += 1;
        assert_eq!(inventory.slot(9).await.unwrap_err(), "no slot 9 of 1");
        assert_eq!(inventory.restock(3).await, 8);
    })
    .await;
    assert_eq!(
        tree,
        "test
  count {index=0}
    record {value=1}
  slot
  slot error(no slot 9 of 1)
    · exception ERROR {exception.type=\"alloc::string::String\", exception.message=\"no slot 9 of 1\"}
  restock
    add {amount=3}
"
    );
}

#[clew::trace]
async fn parse_all(texts: Vec<String>) -> Result<Vec<u32>, std::num::ParseIntError> {
    let mut numbers = Vec::new();
    for text in texts {
        tokio::task::yield_now().await;
        numbers.push(text.parse()?);
    }
    Ok(numbers)
}

#[tokio::test]
async fn the_question_mark_infers_its_error_type_from_the_signature() {
    let (numbers, tree) = traced_async(parse_all(vec!["1".into(), "2".into()])).await;
    assert_eq!(numbers.unwrap(), [1, 2]);
    assert_eq!(tree, "test\n  parse_all\n");
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test]
async fn traced_futures_are_send_and_can_be_spawned() {
    let ((), tree) = traced_async(async {
        let spawned = tokio::spawn(clew::FutureExt::in_current_span(assert_send(handle(5))));
        assert_eq!(spawned.await.unwrap(), 10);
        let inventory = Inventory { stock: vec![1] };
        assert_eq!(assert_send(inventory.count(0)).await, Some(1));
    })
    .await;
    assert_eq!(
        tree,
        "test\n  handle [server] {order_id=5}\n    price [client]\n      record {value=5}\n    record {value=10}\n  \
         count {index=0}\n    record {value=1}\n"
    );
}
