//! The peers of a connection: `server.*`, `client.*` and `network.*` attributes, shared by
//! HTTP, database, RPC and messaging spans.
//!
//! ```
//! use clew::semconv::network;
//! let peer = clew::attrs![network::SERVER_ADDRESS => "db.internal", network::SERVER_PORT => 5432];
//! assert_eq!(peer[1].key, "server.port");
//! ```

/// The server's logical name (a host name or an address) as the client knows it.
pub const SERVER_ADDRESS: &str = "server.address";
/// The server's port (integer).
pub const SERVER_PORT: &str = "server.port";
/// The client's address as the server sees it, after proxies named in headers.
pub const CLIENT_ADDRESS: &str = "client.address";
/// The client's port (integer).
pub const CLIENT_PORT: &str = "client.port";
/// The address of the other end of the socket.
pub const NETWORK_PEER_ADDRESS: &str = "network.peer.address";
/// The port of the other end of the socket (integer).
pub const NETWORK_PEER_PORT: &str = "network.peer.port";
/// The application protocol in lower case: `http`, `amqp`, `mqtt`.
pub const NETWORK_PROTOCOL_NAME: &str = "network.protocol.name";
/// The version of that protocol: `1.1`, `2`, `3.1.1`.
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
/// The transport: `tcp`, `udp`, `quic`, `unix`, `pipe`.
pub const NETWORK_TRANSPORT: &str = "network.transport";
/// The network layer: `ipv4`, `ipv6`.
pub const NETWORK_TYPE: &str = "network.type";
