//! A small blocking HTTP client for the server's APIs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The server's query API when `--server` is not given.
pub(crate) const DEFAULT_SERVER: &str = "http://127.0.0.1:16686";

/// The OTLP/HTTP endpoint when `--endpoint` is not given.
pub(crate) const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4318";

/// The address to connect to for a listener bound to `addr` (an unspecified address
/// becomes loopback).
pub(crate) fn loopback(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
        _ => addr,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// POSTs a body; returns the status and the answer's text.
pub(crate) fn post(url: &str, content_type: &str, body: &[u8]) -> Result<(u16, String), String> {
    let mut response = agent()
        .post(url)
        .header("Content-Type", content_type)
        .send(body)
        .map_err(|error| format!("POST {url}: {error}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Ok((status, text))
}

/// GETs a JSON answer; an answer other than 200 is an error with the server's message.
pub(crate) fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let mut response = agent().get(url).call().map_err(|error| format!("GET {url}: {error}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().map_err(|error| format!("GET {url}: {error}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| format!("GET {url}: the answer is not JSON: {error}"))?;
    if status != 200 {
        let message = json.get("error").and_then(|error| error.as_str()).unwrap_or(&text).to_owned();
        return Err(format!("{message} (HTTP {status})"));
    }
    Ok(json)
}

/// Percent-encodes a query value.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
