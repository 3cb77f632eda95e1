//! The future of a traced `async fn` is `Send` whenever its body is.
#![deny(warnings)]

fn assert_send<T: Send>(_: &T) {}

#[clew::trace(args(id))]
async fn fetch(id: u64) -> Result<u64, String> {
    tokio::task::yield_now().await;
    Ok(id)
}

struct Client {
    base: String,
}

impl Client {
    #[clew::trace(kind = "client", args(path))]
    async fn get(&self, path: &str) -> Result<String, std::io::Error> {
        tokio::task::yield_now().await;
        Ok(format!("{}{path}", self.base))
    }
}

fn main() {
    let client = Client { base: "http://example".to_owned() };
    assert_send(&fetch(1));
    assert_send(&client.get("/"));
}
