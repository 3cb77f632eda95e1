//! The wire formats of other tracing systems, as clew reads and writes them.

pub(crate) mod jaeger;
pub(crate) mod zipkin;
