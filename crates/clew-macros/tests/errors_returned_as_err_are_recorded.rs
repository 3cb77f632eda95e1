//! A traced function whose return type is a `Result` marks its span as failed when it
//! returns `Err`: an error status and an `exception` event; `Ok` leaves the status unset.

mod common;

use std::fmt;

use clew::{Level, Status};
use common::{traced, traced_async};

#[derive(Debug)]
struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("socket timed out")
    }
}

impl std::error::Error for Timeout {}

#[derive(Debug)]
enum PaymentError {
    Declined,
    Network(Timeout),
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentError::Declined => f.write_str("card declined"),
            PaymentError::Network(_) => f.write_str("payment network unreachable"),
        }
    }
}

impl std::error::Error for PaymentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PaymentError::Declined => None,
            PaymentError::Network(timeout) => Some(timeout),
        }
    }
}

impl From<Timeout> for PaymentError {
    fn from(timeout: Timeout) -> PaymentError {
        PaymentError::Network(timeout)
    }
}

#[clew::trace(kind = "client")]
fn connect(reachable: bool) -> Result<(), Timeout> {
    if reachable { Ok(()) } else { Err(Timeout) }
}

#[clew::trace(args(amount))]
fn charge(amount: u32, reachable: bool) -> Result<u32, PaymentError> {
    connect(reachable)?;
    if amount > 100 {
        return Err(PaymentError::Declined);
    }
    Ok(amount)
}

#[test]
fn ok_leaves_the_status_unset() {
    let (charged, tree) = traced(|| charge(5, true));
    assert_eq!(charged.unwrap(), 5);
    assert_eq!(tree, "test\n  charge {amount=5}\n    connect [client]\n");
}

#[test]
fn an_early_err_sets_an_error_status_and_an_exception_event() {
    let (charged, tree) = traced(|| charge(500, true));
    assert!(matches!(charged, Err(PaymentError::Declined)));
    assert_eq!(
        tree,
        "test
  charge error(card declined) {amount=500}
    · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::PaymentError\", \
         exception.message=\"card declined\"}
    connect [client]
"
    );
    let spans = common::exporter().spans();
    // Other tests share the exporter: this test's span is the one with its amount.
    let charge = spans
        .iter()
        .find(|span| span.name == "charge" && span.attribute("amount") == Some(&clew::Value::I64(500)))
        .unwrap();
    assert_eq!(charge.status, Status::error("card declined"));
    assert_eq!(charge.events[0].name, clew::keys::EXCEPTION_EVENT);
    assert_eq!(charge.events[0].level, Some(Level::Error));
}

#[test]
fn an_error_converted_by_the_question_mark_is_recorded_on_both_spans_with_its_causes() {
    let (charged, tree) = traced(|| charge(5, false));
    assert!(matches!(charged, Err(PaymentError::Network(Timeout))));
    assert_eq!(
        tree,
        "test
  charge error(payment network unreachable) {amount=5}
    · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::PaymentError\", \
         exception.message=\"payment network unreachable\", exception.causes=[\"socket timed out\"]}
    connect [client] error(socket timed out)
      · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::Timeout\", \
         exception.message=\"socket timed out\"}
"
    );
}

#[clew::trace]
fn read_config(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[test]
fn a_result_alias_from_another_module_is_recognised() {
    let (read, tree) = traced(|| read_config("/this/path/does/not/exist"));
    let error = read.unwrap_err();
    assert!(tree.starts_with(&format!("test\n  read_config error({error})\n")), "{tree}");
    assert!(tree.contains("exception.type=\"std::io::error::Error\""), "{tree}");
}

#[clew::trace]
fn boxed(fail: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if fail {
        return Err(Box::new(PaymentError::Network(Timeout)));
    }
    Ok("7".parse::<u8>()?)
}

#[test]
fn a_boxed_error_is_recorded_with_its_causes() {
    let (value, tree) = traced(|| (boxed(false).unwrap(), boxed(true).unwrap_err().to_string()));
    assert_eq!(value, (7, String::from("payment network unreachable")));
    assert_eq!(
        tree,
        "test
  boxed
  boxed error(payment network unreachable)
    · exception ERROR {exception.type=\"alloc::boxed::Box<dyn core::error::Error + core::marker::Send + \
         core::marker::Sync>\", exception.message=\"payment network unreachable\", exception.causes=[\"socket timed \
         out\"]}
"
    );
}

#[derive(Debug)]
struct DebugOnly {
    code: u16,
}

struct Opaque;

#[clew::trace]
fn debug_only() -> Result<(), DebugOnly> {
    Err(DebugOnly { code: 503 })
}

#[clew::trace]
fn opaque() -> Result<(), Opaque> {
    Err(Opaque)
}

#[clew::trace]
fn text_error() -> Result<(), String> {
    Err(String::from("no such user"))
}

#[test]
fn errors_without_the_error_trait_are_recorded_from_display_debug_or_their_type_name() {
    let (outcome, tree) = traced(|| {
        assert_eq!(debug_only().unwrap_err().code, 503);
        assert!(opaque().is_err());
        assert!(text_error().is_err());
    });
    assert_eq!(outcome, ());
    assert_eq!(
        tree,
        "test
  debug_only error(DebugOnly { code: 503 })
    · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::DebugOnly\", \
         exception.message=\"DebugOnly { code: 503 }\"}
  opaque error(errors_returned_as_err_are_recorded::Opaque)
    · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::Opaque\", \
         exception.message=\"errors_returned_as_err_are_recorded::Opaque\"}
  text_error error(no such user)
    · exception ERROR {exception.type=\"alloc::string::String\", exception.message=\"no such user\"}
"
    );
}

#[clew::trace]
fn not_found() -> Option<u32> {
    None
}

#[test]
fn return_types_other_than_result_are_never_errors() {
    let (found, tree) = traced(not_found);
    assert_eq!(found, None);
    assert_eq!(tree, "test\n  not_found\n");
}

#[clew::trace(kind = "client")]
async fn fetch_balance(account: &str) -> Result<u64, PaymentError> {
    tokio::task::yield_now().await;
    connect(account != "offline")?;
    if account == "frozen" {
        return Err(PaymentError::Declined);
    }
    Ok(42)
}

#[clew::trace]
async fn total(accounts: &[&str]) -> Result<u64, PaymentError> {
    let mut sum = 0;
    for account in accounts {
        sum += fetch_balance(account).await?;
    }
    Ok(sum)
}

#[tokio::test]
async fn async_functions_record_errors_from_return_and_the_question_mark() {
    let (sum, tree) = traced_async(total(&["main", "savings"])).await;
    assert_eq!(sum.unwrap(), 84);
    assert_eq!(
        tree,
        "test\n  total\n    fetch_balance [client]\n      connect [client]\n    fetch_balance [client]\n      connect \
         [client]\n"
    );

    let (sum, tree) = traced_async(total(&["main", "frozen", "never"])).await;
    assert!(matches!(sum, Err(PaymentError::Declined)));
    assert_eq!(
        tree,
        "test
  total error(card declined)
    · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::PaymentError\", \
         exception.message=\"card declined\"}
    fetch_balance [client]
      connect [client]
    fetch_balance [client] error(card declined)
      · exception ERROR {exception.type=\"errors_returned_as_err_are_recorded::PaymentError\", \
         exception.message=\"card declined\"}
      connect [client]
"
    );

    let (sum, tree) = traced_async(fetch_balance("offline")).await;
    assert!(matches!(sum, Err(PaymentError::Network(Timeout))));
    assert!(tree.starts_with("test\n  fetch_balance [client] error(payment network unreachable)\n"), "{tree}");
}
