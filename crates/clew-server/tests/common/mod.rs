//! A real `clew serve` on ephemeral loopback ports, in its own runtime, over a data
//! directory that outlives restarts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clew_server::{RunningServer, ServerConfig};
use clew_store_embedded::{EmbeddedStore, OpenReport, StoreConfig};

pub(crate) struct TestServer {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    /// What opening the embedded store found.
    pub(crate) open_report: OpenReport,
    pub(crate) data_dir: PathBuf,
    pub(crate) http: String,
    pub(crate) otlp_http: String,
    pub(crate) otlp_grpc: String,
    pub(crate) zipkin: String,
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl TestServer {
    /// A server over `data_dir`, with `adjust` applied to the default settings.
    pub(crate) fn start_in(data_dir: &Path, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_with(data_dir, adjust, |_| {})
    }

    /// A server over `data_dir`, with `adjust` applied to the server's default settings and
    /// `adjust_store` to the embedded store's.
    pub(crate) fn start_with(
        data_dir: &Path,
        adjust: impl FnOnce(&mut ServerConfig),
        adjust_store: impl FnOnce(&mut StoreConfig),
    ) -> TestServer {
        let mut config = ServerConfig {
            http_addr: loopback(),
            otlp_grpc_addr: loopback(),
            otlp_http_addr: loopback(),
            zipkin_addr: loopback(),
            ..ServerConfig::default()
        };
        adjust(&mut config);
        let mut store_config = StoreConfig::new(data_dir);
        adjust_store(&mut store_config);
        let (store, open_report) = EmbeddedStore::open(store_config).expect("the store opens");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let server = runtime.block_on(clew_server::start(config, Arc::new(store))).expect("the server starts");
        TestServer {
            open_report,
            http: format!("http://{}", server.http_addr),
            otlp_http: format!("http://{}", server.otlp_http_addr),
            otlp_grpc: format!("http://{}", server.otlp_grpc_addr),
            zipkin: format!("http://{}", server.zipkin_addr),
            data_dir: data_dir.to_path_buf(),
            server: Some(server),
            runtime,
        }
    }

    pub(crate) fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    /// GET on the query port; the status and the body as JSON (or a JSON string of the text).
    pub(crate) fn get(&self, path: &str) -> (u16, serde_json::Value) {
        get(&format!("{}{path}", self.http))
    }

    /// Stops the server the graceful way (the head is written to a block).
    pub(crate) fn stop(mut self) {
        let server = self.server.take().unwrap();
        self.runtime.block_on(server.shutdown()).expect("the server stops cleanly");
    }
}

/// GET; the status and the body as JSON (or a JSON string of the text).
pub(crate) fn get(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::blocking::get(url).unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, json)
}

/// POST; the status, the headers and the body.
pub(crate) fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = reqwest::blocking::Client::new();
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().unwrap().to_vec())
}

/// The attribute `key` of a clew API attribute list.
pub(crate) fn attribute<'a>(attributes: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    attributes.as_array()?.iter().find(|attribute| attribute["key"] == key)
}
