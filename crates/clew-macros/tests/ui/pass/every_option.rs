//! Each option, and all of them together, in any order; kinds in any case.
#![deny(warnings)]

#[clew::trace(name = "named")]
fn named() {}

#[clew::trace(kind = "Internal")]
fn internal() {}

#[clew::trace(kind = "SERVER")]
fn server() {}

#[clew::trace(kind = "client")]
fn client() {}

#[clew::trace(kind = "producer")]
fn producer() {}

#[clew::trace(kind = "consumer")]
fn consumer() {}

#[clew::trace(label = "STEP")]
fn labelled() {}

#[clew::trace(args())]
fn no_args() {}

#[clew::trace(args(a, b,))]
fn trailing_comma(a: u8, b: u8) -> u8 {
    a + b
}

#[clew::trace(args(user_id, amount), label = "STEP", kind = "server", name = "user_registration",)]
fn everything(user_id: &str, amount: f64) -> Result<(), String> {
    let _ = (user_id, amount);
    Ok(())
}

fn main() {
    named();
    internal();
    server();
    client();
    producer();
    consumer();
    labelled();
    no_args();
    let _ = trailing_comma(1, 2);
    let _ = everything("alice", 1.0);
}
