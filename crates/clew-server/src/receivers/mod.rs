//! The receivers: one folder per protocol, each decoding its requests into the store's
//! batches and answering as its protocol asks. What they share (limits, the durable write,
//! body decompression) is in `crate::ingest`.

pub(crate) mod estimate;
pub(crate) mod otlp;
pub(crate) mod zipkin;
