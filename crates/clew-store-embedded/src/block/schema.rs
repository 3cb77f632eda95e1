//! The Arrow schemas of a block's two Parquet files, and the small codes stored in them.
//!
//! The column lists are documented in the [module docs](super).

use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use clew::{Level, SpanKind, Status};

/// Length of a trace id column value.
pub(super) const TRACE_ID_BYTES: i32 = 16;
/// Length of a span id column value.
pub(super) const SPAN_ID_BYTES: i32 = 8;

/// The column both files are sorted by first, carrying statistics and a bloom filter.
pub(super) const TRACE_ID: &str = "trace_id";

/// The Parquet paths of the attribute value columns of `spans.parquet` that carry a bloom
/// filter: span attributes, then resource attributes.
pub(super) const ATTRIBUTE_VALUE_PATHS: [&str; 2] = ["attributes.list.item.value", "resource.list.item.value"];

/// Attribute keys that get a column of their own in `spans.parquet`, with the column's
/// name and whether it holds integers (`Int64`) rather than text (`Utf8`).
pub(super) const DEDICATED: [Dedicated; 7] = [
    Dedicated { key: "http.request.method", column: "http_request_method", integer: false },
    Dedicated { key: "http.response.status_code", column: "http_response_status_code", integer: true },
    Dedicated { key: "http.route", column: "http_route", integer: false },
    Dedicated { key: "url.full", column: "url_full", integer: false },
    Dedicated { key: "db.system", column: "db_system", integer: false },
    Dedicated { key: "rpc.method", column: "rpc_method", integer: false },
    Dedicated { key: "error.type", column: "error_type", integer: false },
];

/// An attribute key with a column of its own.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dedicated {
    /// The attribute key.
    pub(super) key: &'static str,
    /// The column name.
    pub(super) column: &'static str,
    /// `Int64` (for `Value::I64`) rather than `Utf8` (for `Value::String`).
    pub(super) integer: bool,
}

/// The fields of one attribute: `key`, `type` (see [`super::values`]) and `value` as text.
pub(super) fn key_value_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("type", DataType::UInt8, false),
        Field::new("value", DataType::Utf8, false),
    ])
}

/// A list of attributes: `List<Struct<key, type, value>>`.
pub(super) fn key_value_list() -> DataType {
    DataType::List(Arc::new(key_value_item()))
}

/// The item field of an attribute list.
pub(super) fn key_value_item() -> Field {
    Field::new("item", DataType::Struct(key_value_fields()), false)
}

/// The fields of one span event.
pub(super) fn event_fields() -> Fields {
    Fields::from(vec![
        Field::new("time_unix_nano", DataType::UInt64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("level", DataType::UInt8, true),
        Field::new("attributes", key_value_list(), false),
        Field::new("dropped_attributes_count", DataType::UInt32, false),
    ])
}

/// The item field of an event list.
pub(super) fn event_item() -> Field {
    Field::new("item", DataType::Struct(event_fields()), false)
}

/// The fields of one span link.
pub(super) fn link_fields() -> Fields {
    Fields::from(vec![
        Field::new("trace_id", DataType::FixedSizeBinary(TRACE_ID_BYTES), false),
        Field::new("span_id", DataType::FixedSizeBinary(SPAN_ID_BYTES), false),
        Field::new("trace_flags", DataType::UInt8, false),
        Field::new("trace_state", DataType::Utf8, true),
        Field::new("is_remote", DataType::Boolean, false),
        Field::new("attributes", key_value_list(), false),
        Field::new("dropped_attributes_count", DataType::UInt32, false),
    ])
}

/// The item field of a link list.
pub(super) fn link_item() -> Field {
    Field::new("item", DataType::Struct(link_fields()), false)
}

/// The item field of the `dedicated_positions` list.
pub(super) fn position_item() -> Field {
    Field::new("item", DataType::UInt32, false)
}

/// The schema of `spans.parquet`.
pub(super) fn spans() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let mut fields = vec![
            Field::new(TRACE_ID, DataType::FixedSizeBinary(TRACE_ID_BYTES), false),
            Field::new("start_time_unix_nano", DataType::UInt64, false),
            Field::new("end_time_unix_nano", DataType::UInt64, false),
            Field::new("duration_nanos", DataType::UInt64, false),
            Field::new("span_id", DataType::FixedSizeBinary(SPAN_ID_BYTES), false),
            Field::new("parent_span_id", DataType::FixedSizeBinary(SPAN_ID_BYTES), true),
            Field::new("parent_is_remote", DataType::Boolean, false),
            Field::new("trace_flags", DataType::UInt8, false),
            Field::new("trace_state", DataType::Utf8, true),
            Field::new("service", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("kind", DataType::UInt8, false),
            Field::new("label", DataType::Utf8, true),
            Field::new("status_code", DataType::UInt8, false),
            Field::new("status_message", DataType::Utf8, true),
        ];
        for dedicated in DEDICATED {
            let data_type = if dedicated.integer { DataType::Int64 } else { DataType::Utf8 };
            fields.push(Field::new(dedicated.column, data_type, true));
        }
        fields.extend([
            Field::new("dedicated_positions", DataType::List(Arc::new(position_item())), false),
            Field::new("attributes", key_value_list(), false),
            Field::new("dropped_attributes_count", DataType::UInt32, false),
            Field::new("events", DataType::List(Arc::new(event_item())), false),
            Field::new("dropped_events_count", DataType::UInt32, false),
            Field::new("links", DataType::List(Arc::new(link_item())), false),
            Field::new("dropped_links_count", DataType::UInt32, false),
            Field::new("scope", DataType::Utf8, false),
            Field::new("resource", key_value_list(), false),
        ]);
        Arc::new(Schema::new(fields))
    });
    Arc::clone(&SCHEMA)
}

/// The schema of `records.parquet`.
pub(super) fn records() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new(TRACE_ID, DataType::FixedSizeBinary(TRACE_ID_BYTES), false),
            Field::new("time_unix_nano", DataType::UInt64, false),
            Field::new("span_id", DataType::FixedSizeBinary(SPAN_ID_BYTES), true),
            Field::new("level", DataType::UInt8, true),
            Field::new("name", DataType::Utf8, false),
            Field::new("attributes", key_value_list(), false),
            Field::new("dropped_attributes_count", DataType::UInt32, false),
            Field::new("service", DataType::Utf8, false),
            Field::new("scope", DataType::Utf8, false),
            Field::new("resource", key_value_list(), false),
        ]))
    });
    Arc::clone(&SCHEMA)
}

/// The `kind` code: 0 internal, 1 server, 2 client, 3 producer, 4 consumer.
pub(super) fn kind_code(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Internal => 0,
        SpanKind::Server => 1,
        SpanKind::Client => 2,
        SpanKind::Producer => 3,
        SpanKind::Consumer => 4,
    }
}

/// The kind of a `kind` code.
pub(super) fn kind_of_code(code: u8) -> Option<SpanKind> {
    match code {
        0 => Some(SpanKind::Internal),
        1 => Some(SpanKind::Server),
        2 => Some(SpanKind::Client),
        3 => Some(SpanKind::Producer),
        4 => Some(SpanKind::Consumer),
        _ => None,
    }
}

/// The `status_code`: 0 unset, 1 ok, 2 error.
pub(super) fn status_code(status: &Status) -> u8 {
    match status {
        Status::Unset => 0,
        Status::Ok => 1,
        Status::Error { .. } => 2,
    }
}

/// The `level` code: the OpenTelemetry severity number (1, 5, 9, 13, 17).
pub(super) fn level_code(level: Level) -> u8 {
    match level {
        Level::Trace => 1,
        Level::Debug => 5,
        Level::Info => 9,
        Level::Warn => 13,
        Level::Error => 17,
    }
}

/// The level of a `level` code.
pub(super) fn level_of_code(code: u8) -> Option<Level> {
    match code {
        1 => Some(Level::Trace),
        5 => Some(Level::Debug),
        9 => Some(Level::Info),
        13 => Some(Level::Warn),
        17 => Some(Level::Error),
        _ => None,
    }
}
