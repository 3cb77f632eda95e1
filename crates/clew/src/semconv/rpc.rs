//! Remote procedure calls: `rpc.*` attributes of RPC client and server spans.
//!
//! Since release 1.39 of the conventions the system is `rpc.system.name`, the method is
//! one fully-qualified `rpc.method` (`package.Service/Method` for gRPC) instead of
//! `rpc.service` plus `rpc.method`, and the status is `rpc.status_code` as text (`OK`,
//! `UNAVAILABLE`) instead of gRPC's integer `rpc.grpc.status_code`. The span is named after
//! `rpc.method`.
//!
//! ```
//! use clew::semconv::rpc;
//! let call = rpc::grpc("shop.v1.Orders", "Create").status_code("OK").server_address("orders");
//! assert_eq!(call.get(rpc::RPC_METHOD).and_then(clew::Value::as_str), Some("shop.v1.Orders/Create"));
//! ```

use super::{attribute_set, error, network};
use crate::value::Str;

/// The RPC system: `grpc`, `dubbo`, `connectrpc`, `jsonrpc`.
pub const RPC_SYSTEM_NAME: &str = "rpc.system.name";
/// The fully-qualified method: `shop.v1.Orders/Create` for gRPC.
pub const RPC_METHOD: &str = "rpc.method";
/// The status as text: gRPC's code names (`OK`, `NOT_FOUND`…), Connect's, or JSON-RPC's
/// error code as a string.
pub const RPC_STATUS_CODE: &str = "rpc.status_code";

/// Superseded by [`RPC_SYSTEM_NAME`]; older back ends still read it.
pub const RPC_SYSTEM_LEGACY: &str = "rpc.system";
/// Superseded: the service is now the front of [`RPC_METHOD`]; older back ends still read it.
pub const RPC_SERVICE_LEGACY: &str = "rpc.service";
/// Superseded by [`RPC_STATUS_CODE`]; gRPC's integer code, which older back ends still read.
pub const RPC_GRPC_STATUS_CODE_LEGACY: &str = "rpc.grpc.status_code";

/// Values of [`RPC_SYSTEM_NAME`].
pub mod system {
    /// gRPC.
    pub const GRPC: &str = "grpc";
    /// Apache Dubbo.
    pub const DUBBO: &str = "dubbo";
    /// Connect RPC.
    pub const CONNECTRPC: &str = "connectrpc";
    /// JSON-RPC.
    pub const JSONRPC: &str = "jsonrpc";
}

attribute_set! {
    /// The attributes of an RPC client or server span; see the [module](self) docs.
    RpcAttributes
}

/// The attributes of one call: the system and the fully-qualified method.
///
/// ```
/// let call = clew::semconv::rpc::call("jsonrpc", "eth_getBalance");
/// assert_eq!(call.as_slice().len(), 2);
/// ```
pub fn call(system: impl Into<Str>, method: impl Into<Str>) -> RpcAttributes {
    RpcAttributes::default().set(RPC_SYSTEM_NAME, system.into()).set(RPC_METHOD, method.into())
}

/// A gRPC call: system `grpc`, method `{service}/{method}`.
///
/// ```
/// let call = clew::semconv::rpc::grpc("helloworld.Greeter", "SayHello");
/// assert_eq!(call.get("rpc.system.name").and_then(clew::Value::as_str), Some("grpc"));
/// ```
pub fn grpc(service: &str, method: &str) -> RpcAttributes {
    call(system::GRPC, format!("{service}/{method}"))
}

impl RpcAttributes {
    /// `rpc.status_code`, as text.
    pub fn status_code(self, code: impl Into<Str>) -> RpcAttributes {
        self.set(RPC_STATUS_CODE, code.into())
    }

    /// `server.address`.
    pub fn server_address(self, address: impl Into<Str>) -> RpcAttributes {
        self.set(network::SERVER_ADDRESS, address.into())
    }

    /// `server.port`.
    pub fn server_port(self, port: u16) -> RpcAttributes {
        self.set(network::SERVER_PORT, port)
    }

    /// `error.type`.
    pub fn error_type(self, error_type: impl Into<Str>) -> RpcAttributes {
        self.set(error::ERROR_TYPE, error_type.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_grpc_call_writes_the_current_keys_only() {
        let call = grpc("shop.v1.Orders", "Get").status_code("NOT_FOUND").server_port(50051).error_type("NOT_FOUND");
        let keys: Vec<&str> = call.as_slice().iter().map(|attribute| attribute.key.as_str()).collect();
        assert_eq!(keys, ["rpc.system.name", "rpc.method", "rpc.status_code", "server.port", "error.type"]);
        assert_eq!(call.get(RPC_STATUS_CODE), Some(&Value::from("NOT_FOUND")));
        assert_eq!(call.get(network::SERVER_PORT), Some(&Value::I64(50051)));
        assert!(call.get(RPC_SERVICE_LEGACY).is_none());
    }
}
