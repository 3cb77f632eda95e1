//! A traced function runs inside a span named after it (or as told), with the kind, label
//! and arguments it was given, as a child of whatever span was current when it was called.

mod common;

use std::fmt::Debug;

use clew::{SpanKind, Value};
use common::traced;

#[clew::trace]
fn validate_input() {}

#[clew::trace(name = "user_registration")]
fn register() {}

#[test]
fn the_span_is_named_after_the_function_unless_a_name_is_given() {
    let ((), tree) = traced(|| {
        validate_input();
        register();
    });
    assert_eq!(tree, "test\n  validate_input\n  user_registration\n");
}

#[clew::trace]
fn r#match() {}

#[test]
fn a_raw_identifier_names_the_span_without_its_prefix() {
    let ((), tree) = traced(r#match);
    assert_eq!(tree, "test\n  match\n");
}

#[clew::trace(kind = "server", label = "STEP")]
fn handle_request() {}

#[clew::trace(kind = "CLIENT")]
fn call_upstream() {}

#[clew::trace(kind = "Producer")]
fn publish() {}

#[clew::trace(kind = "consumer")]
fn consume() {}

#[clew::trace(kind = "internal", label = "MASTER")]
fn orchestrate() {}

#[test]
fn kind_and_label_are_set_and_kind_ignores_case() {
    let ((), tree) = traced(|| {
        handle_request();
        call_upstream();
        publish();
        consume();
        orchestrate();
    });
    assert_eq!(
        tree,
        "test\n  handle_request [server STEP]\n  call_upstream [client]\n  publish [producer]\n  consume [consumer]\n  \
         orchestrate [MASTER]\n"
    );
}

#[derive(Debug)]
struct Order {
    id: u32,
    items: Vec<&'static str>,
}

#[clew::trace(args(user_id, amount, count, express, order))]
fn charge(user_id: &str, amount: f64, count: u64, express: bool, order: Order, _unrecorded: i32) {
    assert_eq!((order.id, order.items.len()), (7, 1));
}

#[test]
fn arguments_are_recorded_typed_when_they_convert_to_values_and_as_debug_text_otherwise() {
    let user = String::from("alice");
    let order = Order { id: 7, items: vec!["book"] };
    let ((), tree) = traced(|| charge(&user, 9.5, 3, true, order, 0));
    assert_eq!(
        tree,
        "test\n  charge {user_id=\"alice\", amount=9.5, count=3, express=true, order=\"Order { id: 7, items: [\\\"book\\\"] \
         }\"}\n"
    );
    let spans = common::exporter().spans();
    let charge = spans.iter().find(|span| span.name == "charge").unwrap();
    let value = |key: &str| &charge.attributes.iter().find(|attribute| attribute.key == key).unwrap().value;
    assert_eq!(value("user_id"), &Value::from("alice"));
    assert_eq!(value("amount"), &Value::F64(9.5));
    assert_eq!(value("count"), &Value::I64(3));
    assert_eq!(value("express"), &Value::Bool(true));
    assert_eq!(value("order").as_str(), Some("Order { id: 7, items: [\"book\"] }"));
}

#[clew::trace(args(name, tags, owned_tags, maybe, reference))]
fn strings(name: String, tags: &[&str], owned_tags: Vec<&str>, maybe: Option<u8>, reference: &i64) -> usize {
    name.len()
        + tags.len()
        + owned_tags.len()
        + usize::from(maybe.unwrap_or(0))
        + usize::try_from(*reference).unwrap_or(0)
}

#[test]
fn borrowed_strings_and_string_sequences_are_recorded_as_strings() {
    let tags = [String::from("a"), String::from("b")];
    let borrowed: Vec<&str> = tags.iter().map(String::as_str).collect();
    let (length, tree) = traced(|| strings(String::from("bob"), &borrowed, borrowed.clone(), Some(1), &2));
    assert_eq!(length, 10);
    assert_eq!(
        tree,
        "test\n  strings {name=\"bob\", tags=[\"a\",\"b\"], owned_tags=[\"a\",\"b\"], maybe=\"Some(1)\", reference=2}\n"
    );
}

#[clew::trace(args(value, shown))]
fn generic<T: Debug + Clone>(value: T, shown: impl Debug) -> T {
    let _ = shown;
    value
}

#[test]
fn generic_and_impl_trait_arguments_are_recorded_with_debug() {
    let (value, tree) = traced(|| generic(5_i64, ["x"]));
    assert_eq!(value, 5);
    assert_eq!(tree, "test\n  generic {value=\"5\", shown=\"[\\\"x\\\"]\"}\n");
}

#[clew::trace(args(first, last))]
fn destructured((first, _middle): (u8, u8), [_, last]: [&str; 2]) -> u8 {
    first
}

#[test]
fn names_bound_by_parameter_patterns_can_be_recorded() {
    let (first, tree) = traced(|| destructured((1, 2), ["a", "z"]));
    assert_eq!(first, 1);
    assert_eq!(tree, "test\n  destructured {first=1, last=\"z\"}\n");
}

#[clew::trace]
fn outer(depth: u32) -> u32 {
    inner(depth) + inner(depth + 1)
}

#[clew::trace(kind = "client")]
fn inner(depth: u32) -> u32 {
    leaf();
    depth
}

#[clew::trace]
fn leaf() {}

#[test]
fn a_traced_function_called_by_another_is_its_child() {
    let (sum, tree) = traced(|| outer(1));
    assert_eq!(sum, 3);
    assert_eq!(tree, "test\n  outer\n    inner [client]\n      leaf\n    inner [client]\n      leaf\n");
}

#[test]
fn the_span_is_not_current_after_the_function_returns() {
    let current_before = clew::current_span_id();
    let ((), tree) = traced(|| {
        let in_test = clew::current_span_id();
        leaf();
        assert_eq!(clew::current_span_id(), in_test);
        clew::span("after").start().end();
    });
    assert_eq!(clew::current_span_id(), current_before);
    assert_eq!(tree, "test\n  leaf\n  after\n");
}

#[clew::trace(args(limit))]
fn first_over(values: &[u32], limit: u32) -> Option<u32> {
    for value in values {
        if *value > limit {
            return Some(*value);
        }
    }
    leaf();
    None
}

#[test]
fn an_early_return_ends_the_span_too() {
    let (found, tree) = traced(|| (first_over(&[1, 5], 2), first_over(&[1], 2)));
    assert_eq!(found, (Some(5), None));
    assert_eq!(tree, "test\n  first_over {limit=2}\n  first_over {limit=2}\n    leaf\n");
}

#[derive(Debug, Default)]
struct Cart {
    items: Vec<String>,
}

impl Cart {
    #[clew::trace(args(item))]
    fn add(&mut self, item: &str) -> &mut Cart {
        self.items.push(item.to_owned());
        self
    }

    #[clew::trace(name = "cart.total", kind = "internal")]
    fn total(&self) -> usize {
        self.items.iter().map(String::len).sum()
    }

    #[clew::trace]
    fn first(&self) -> Option<&str> {
        self.items.first().map(String::as_str)
    }

    #[clew::trace]
    fn into_items(self) -> Vec<String> {
        self.items
    }

    #[clew::trace(args(count))]
    fn with_capacity(count: usize) -> Cart {
        Cart { items: Vec::with_capacity(count) }
    }
}

#[test]
fn methods_taking_self_in_every_way_are_traced() {
    let (items, tree) = traced(|| {
        let mut cart = Cart::with_capacity(2);
        cart.add("pen").add("ink");
        assert_eq!(cart.total(), 6);
        assert_eq!(cart.first(), Some("pen"));
        cart.into_items()
    });
    assert_eq!(items, ["pen", "ink"]);
    assert_eq!(
        tree,
        "test\n  with_capacity {count=2}\n  add {item=\"pen\"}\n  add {item=\"ink\"}\n  cart.total\n  first\n  \
         into_items\n"
    );
}

trait Shape {
    #[clew::trace]
    fn describe(&self) -> String {
        format!("{} sides", self.sides())
    }

    fn sides(&self) -> u32;
}

struct Square;

impl Shape for Square {
    #[clew::trace(kind = "internal")]
    fn sides(&self) -> u32 {
        4
    }
}

#[test]
fn trait_methods_with_a_default_body_and_their_implementations_are_traced() {
    let (description, tree) = traced(|| Square.describe());
    assert_eq!(description, "4 sides");
    assert_eq!(tree, "test\n  describe\n    sides\n");
}

#[test]
fn a_panic_ends_the_span_with_an_error() {
    #[clew::trace]
    fn explode() {
        panic!("boom");
    }
    let (outcome, tree) = traced(|| std::panic::catch_unwind(explode));
    assert!(outcome.is_err());
    assert!(tree.starts_with("test\n  explode error("), "{tree}");
    let explode = common::exporter().spans().into_iter().find(|span| span.name == "explode").unwrap();
    assert_eq!(explode.kind, SpanKind::Internal);
    assert!(explode.status.is_error());
}
