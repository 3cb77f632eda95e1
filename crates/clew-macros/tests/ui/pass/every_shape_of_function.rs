//! Every shape of function the attribute supports compiles, without a warning.
#![deny(warnings)]

use std::fmt::{Debug, Display};

#[clew::trace]
fn nothing() {}

#[clew::trace(args(value, shown))]
fn generic<T: Clone + Debug, U>(value: T, shown: impl Debug, _unrecorded: U) -> T
where
    U: Send,
{
    let _ = shown;
    value
}

#[clew::trace(args(first, rest))]
fn borrowed<'a>(first: &'a str, rest: &[&'a str]) -> &'a str {
    if rest.is_empty() {
        return first;
    }
    rest[0]
}

#[clew::trace]
fn opaque(count: u32) -> impl Display {
    count + 1
}

#[clew::trace]
fn opaque_ok(count: u32) -> Result<impl Display, std::num::ParseIntError> {
    let parsed: u32 = "1".parse()?;
    Ok(count + parsed)
}

#[clew::trace]
fn diverges() -> ! {
    panic!("never called")
}

#[clew::trace(args(mutable))]
fn mutable_parameter(mut mutable: Vec<u8>) -> usize {
    mutable.push(1);
    mutable.len()
}

#[clew::trace]
unsafe fn unsafe_function(pointer: *const u8) -> u8 {
    // SAFETY: callers pass a valid pointer.
    unsafe { *pointer }
}

#[clew::trace]
extern "C" fn c_function(value: i32) -> i32 {
    value
}

#[clew::trace]
#[must_use]
fn inner_attributes() -> u8 {
    #![allow(clippy::let_and_return)]
    let value = 1;
    value
}

#[clew::trace]
fn question_mark_option(values: &[u8]) -> Option<u8> {
    let first = values.first()?;
    Some(*first)
}

type Outcome<T> = Result<T, String>;

#[clew::trace]
fn alias_result(flag: bool) -> Outcome<u8> {
    if flag { Ok(1) } else { Err("no".to_owned()) }
}

#[clew::trace]
fn anyhow_like(flag: bool) -> std::result::Result<u8, Box<dyn std::error::Error>> {
    let value: u8 = if flag { "2".parse()? } else { 0 };
    Ok(value)
}

struct Store {
    values: Vec<u8>,
}

impl Store {
    #[clew::trace]
    fn new() -> Self {
        Store { values: vec![1] }
    }

    #[clew::trace]
    fn get(&self, index: usize) -> Option<&u8> {
        self.values.get(index)
    }

    #[clew::trace]
    fn get_mut(&mut self, index: usize) -> Result<&mut u8, String> {
        self.values.get_mut(index).ok_or_else(|| "missing".to_owned())
    }

    #[clew::trace]
    fn consume(self) -> Vec<u8> {
        self.values
    }

    #[clew::trace]
    pub(crate) async fn fetch(&self, index: usize) -> Result<u8, String> {
        let value = self.get(index).ok_or("missing")?;
        Ok(*value)
    }

    #[clew::trace]
    async fn fetch_mut(&mut self) -> Result<&mut Vec<u8>, String> {
        if self.values.is_empty() {
            return Err("empty".to_owned());
        }
        Ok(&mut self.values)
    }

    #[clew::trace]
    async fn into_values(self) -> Vec<u8> {
        self.values
    }
}

trait Service {
    #[clew::trace]
    fn name(&self) -> String {
        "service".to_owned()
    }

    #[clew::trace(kind = "server")]
    async fn call(&self, request: u8) -> Result<u8, String> {
        self.handle(request).await
    }

    async fn handle(&self, request: u8) -> Result<u8, String>;
}

impl Service for Store {
    #[clew::trace(args(request))]
    async fn handle(&self, request: u8) -> Result<u8, String> {
        Ok(request + self.values[0])
    }
}

#[clew::trace]
async fn async_opaque() -> impl Display {
    1
}

#[clew::trace]
async fn async_generic<T: Send + Debug>(value: T) -> Result<T, std::io::Error> {
    Ok(value)
}

#[clew::trace]
async fn async_question_mark(text: &str) -> Result<u32, std::num::ParseIntError> {
    let value: u32 = text.parse()?;
    Ok(value)
}

#[clew::trace]
async fn async_early_return(flag: bool) -> u8 {
    if flag {
        return 1;
    }
    2
}

#[clew::trace]
async fn async_unit() {}

fn main() {
    nothing();
    let _ = generic(1, "shown", ());
    let _ = borrowed("a", &["b"]);
    let _ = opaque(1).to_string();
    let _ = opaque_ok(1).map(|value| value.to_string());
    let _: fn() -> ! = diverges;
    let _ = mutable_parameter(vec![]);
    // SAFETY: a pointer to a live byte.
    let _ = unsafe { unsafe_function(&1) };
    let _ = c_function(1);
    let _ = inner_attributes();
    let _ = question_mark_option(&[1]);
    let _ = alias_result(true);
    let _ = anyhow_like(true);
    let mut store = Store::new();
    let _ = store.get(0);
    let _ = store.get_mut(0);
    let _ = store.name();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let _ = store.fetch(0).await;
        let _ = store.fetch_mut().await;
        let _ = store.call(1).await;
        let _ = async_opaque().await.to_string();
        let _ = async_generic(1).await;
        let _ = async_question_mark("1").await;
        let _ = async_early_return(true).await;
        async_unit().await;
        let _ = store.into_values().await;
    });
    let _ = Store::new().consume();
}
