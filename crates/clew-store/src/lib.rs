//! clew's storage engine.
//!
//! Spans arrive in batches; a batch is acknowledged only after it is durable in the
//! write-ahead log ([`wal`]). Recent spans live in a head block in memory, which is written
//! as an immutable Parquet block at a size or age threshold, after which its log segments
//! are dropped. This crate holds the pieces in that order as they are built; today: the
//! write-ahead log.

pub mod wal;
