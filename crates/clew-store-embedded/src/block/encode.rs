//! Spans and records as Arrow record batches in the columns of [`super::schema`].

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, FixedSizeBinaryBuilder, Int64Builder, StringBuilder, UInt8Builder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field, Fields, SchemaRef};
use clew::{Event, KeyValue, Link, Value};
use clew_store::TraceRecord;

use super::schema::{self, DEDICATED, SPAN_ID_BYTES, TRACE_ID_BYTES};
use super::{BlockError, values};
use clew_store::model::{Origin, StoredRecord, StoredSpan};

/// An upper bound of the text a span puts in any one column of a batch, roughly.
pub(super) fn span_weight(stored: &StoredSpan) -> usize {
    let span = &stored.span;
    let events: usize =
        span.events.iter().map(|event| 64 + event.name.len() + attributes_weight(&event.attributes)).sum();
    let links: usize = span.links.iter().map(|link| 64 + attributes_weight(&link.attributes)).sum();
    128 + span.name.len()
        + span.trace_state.as_ref().map_or(0, |state| state.len())
        + span.label.as_ref().map_or(0, |label| label.len())
        + match &span.status {
            clew::Status::Error { message } => message.len(),
            _ => 0,
        }
        + attributes_weight(&span.attributes)
        + events
        + links
        + origin_weight(&stored.origin)
}

pub(super) fn record_weight(stored: &StoredRecord) -> usize {
    let (name, attributes) = match &stored.record {
        TraceRecord::TraceEvent(event) => (&event.name, &event.attributes),
        TraceRecord::SpanLog { event, .. } => (&event.name, &event.attributes),
    };
    64 + name.len() + attributes_weight(attributes) + origin_weight(&stored.origin)
}

fn origin_weight(origin: &Origin) -> usize {
    origin.scope.len() + origin.service().len() + attributes_weight(origin.resource.attributes())
}

fn attributes_weight(attributes: &[KeyValue]) -> usize {
    attributes.iter().map(|attribute| 8 + attribute.key.len() + value_weight(&attribute.value)).sum()
}

/// The length of a value's text at most: JSON escapes a byte in at most 6.
fn value_weight(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::StringArray(items) => items.iter().map(|item| 3 + 6 * item.len()).sum::<usize>() + 2,
        Value::BoolArray(items) => 6 * items.len() + 2,
        Value::I64Array(items) => 21 * items.len() + 2,
        Value::F64Array(items) => 40 * items.len() + 2,
        Value::Bool(_) | Value::I64(_) | Value::F64(_) => 40,
    }
}

pub(super) fn span_batch<S: std::borrow::Borrow<StoredSpan>>(
    schema: &SchemaRef,
    spans: &[S],
) -> Result<RecordBatch, BlockError> {
    let rows = spans.len();
    let mut trace_ids = FixedSizeBinaryBuilder::with_capacity(rows, TRACE_ID_BYTES);
    let mut starts = UInt64Builder::with_capacity(rows);
    let mut ends = UInt64Builder::with_capacity(rows);
    let mut durations = UInt64Builder::with_capacity(rows);
    let mut span_ids = FixedSizeBinaryBuilder::with_capacity(rows, SPAN_ID_BYTES);
    let mut parents = FixedSizeBinaryBuilder::with_capacity(rows, SPAN_ID_BYTES);
    let mut parent_is_remote = BooleanBuilder::with_capacity(rows);
    let mut trace_flags = UInt8Builder::with_capacity(rows);
    let mut trace_states = StringBuilder::new();
    let mut services = StringBuilder::new();
    let mut names = StringBuilder::new();
    let mut kinds = UInt8Builder::with_capacity(rows);
    let mut labels = StringBuilder::new();
    let mut status_codes = UInt8Builder::with_capacity(rows);
    let mut status_messages = StringBuilder::new();
    let mut dedicated: Vec<DedicatedBuilder> = DEDICATED
        .iter()
        .map(|column| {
            if column.integer {
                DedicatedBuilder::Integer(Int64Builder::new())
            } else {
                DedicatedBuilder::Text(StringBuilder::new())
            }
        })
        .collect();
    let mut positions = PositionsBuilder::default();
    let mut attributes = KeyValuesBuilder::default();
    let mut dropped_attributes = UInt32Builder::with_capacity(rows);
    let mut events = EventsBuilder::default();
    let mut dropped_events = UInt32Builder::with_capacity(rows);
    let mut links = LinksBuilder::default();
    let mut dropped_links = UInt32Builder::with_capacity(rows);
    let mut scopes = StringBuilder::new();
    let mut resources = KeyValuesBuilder::default();

    for stored in spans {
        let stored = stored.borrow();
        let span = &stored.span;
        trace_ids.append_value(span.trace_id.to_bytes()).map_err(BlockError::from)?;
        starts.append_value(span.start_time_unix_nano);
        ends.append_value(span.end_time_unix_nano);
        durations.append_value(span.duration_nanos());
        span_ids.append_value(span.span_id.to_bytes()).map_err(BlockError::from)?;
        match span.parent_span_id {
            Some(parent) => parents.append_value(parent.to_bytes()).map_err(BlockError::from)?,
            None => parents.append_null(),
        }
        parent_is_remote.append_value(span.parent_is_remote);
        trace_flags.append_value(span.trace_flags.to_u8());
        trace_states.append_option(span.trace_state.as_deref());
        services.append_value(stored.service());
        names.append_value(&span.name);
        kinds.append_value(schema::kind_code(span.kind));
        labels.append_option(span.label.as_deref());
        status_codes.append_value(schema::status_code(&span.status));
        match &span.status {
            clew::Status::Error { message } => status_messages.append_value(message),
            _ => status_messages.append_null(),
        }

        let (moved, rest) = split_dedicated(&span.attributes);
        for (builder, slot) in dedicated.iter_mut().zip(&moved) {
            match (builder, slot) {
                (DedicatedBuilder::Text(builder), Some((_, Value::String(text)))) => builder.append_value(text),
                (DedicatedBuilder::Integer(builder), Some((_, Value::I64(number)))) => builder.append_value(*number),
                (DedicatedBuilder::Text(builder), _) => builder.append_null(),
                (DedicatedBuilder::Integer(builder), _) => builder.append_null(),
            }
        }
        positions.append(moved.iter().flatten().map(|(position, _)| *position))?;
        attributes.append(rest.into_iter())?;
        dropped_attributes.append_value(span.dropped_attributes_count);
        events.append(&span.events)?;
        dropped_events.append_value(span.dropped_events_count);
        links.append(&span.links)?;
        dropped_links.append_value(span.dropped_links_count);
        scopes.append_value(&stored.origin.scope);
        resources.append(stored.origin.resource.attributes().iter())?;
    }

    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(trace_ids.finish()),
        Arc::new(starts.finish()),
        Arc::new(ends.finish()),
        Arc::new(durations.finish()),
        Arc::new(span_ids.finish()),
        Arc::new(parents.finish()),
        Arc::new(parent_is_remote.finish()),
        Arc::new(trace_flags.finish()),
        Arc::new(trace_states.finish()),
        Arc::new(services.finish()),
        Arc::new(names.finish()),
        Arc::new(kinds.finish()),
        Arc::new(labels.finish()),
        Arc::new(status_codes.finish()),
        Arc::new(status_messages.finish()),
    ];
    for builder in dedicated {
        columns.push(match builder {
            DedicatedBuilder::Text(mut builder) => Arc::new(builder.finish()),
            DedicatedBuilder::Integer(mut builder) => Arc::new(builder.finish()),
        });
    }
    columns.extend([
        positions.finish()?,
        attributes.finish()?,
        Arc::new(dropped_attributes.finish()) as ArrayRef,
        events.finish()?,
        Arc::new(dropped_events.finish()),
        links.finish()?,
        Arc::new(dropped_links.finish()),
        Arc::new(scopes.finish()),
        resources.finish()?,
    ]);
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(BlockError::from)
}

/// The dedicated attributes of a span (index in the attribute list and value, per
/// dedicated column) and the attributes left.
type Split<'a> = ([Option<(u32, &'a Value)>; DEDICATED.len()], Vec<&'a KeyValue>);

fn split_dedicated(attributes: &[KeyValue]) -> Split<'_> {
    let mut moved = [None; DEDICATED.len()];
    let mut rest = Vec::with_capacity(attributes.len());
    for (index, attribute) in attributes.iter().enumerate() {
        let slot = DEDICATED.iter().position(|dedicated| {
            dedicated.key == attribute.key.as_ref()
                && matches!((dedicated.integer, &attribute.value), (true, Value::I64(_)) | (false, Value::String(_)))
        });
        match (slot, u32::try_from(index)) {
            (Some(slot), Ok(position)) if moved[slot].is_none() => moved[slot] = Some((position, &attribute.value)),
            _ => rest.push(attribute),
        }
    }
    (moved, rest)
}

pub(super) fn record_batch(schema: &SchemaRef, records: &[StoredRecord]) -> Result<RecordBatch, BlockError> {
    let rows = records.len();
    let mut trace_ids = FixedSizeBinaryBuilder::with_capacity(rows, TRACE_ID_BYTES);
    let mut times = UInt64Builder::with_capacity(rows);
    let mut span_ids = FixedSizeBinaryBuilder::with_capacity(rows, SPAN_ID_BYTES);
    let mut levels = UInt8Builder::with_capacity(rows);
    let mut names = StringBuilder::new();
    let mut attributes = KeyValuesBuilder::default();
    let mut dropped_attributes = UInt32Builder::with_capacity(rows);
    let mut services = StringBuilder::new();
    let mut scopes = StringBuilder::new();
    let mut resources = KeyValuesBuilder::default();
    for stored in records {
        trace_ids.append_value(stored.trace_id().to_bytes()).map_err(BlockError::from)?;
        times.append_value(stored.time_unix_nano());
        match &stored.record {
            TraceRecord::TraceEvent(event) => {
                span_ids.append_null();
                levels.append_value(schema::level_code(event.level));
                names.append_value(&event.name);
                attributes.append(event.attributes.iter())?;
                dropped_attributes.append_value(0);
            }
            TraceRecord::SpanLog { span_id, event, .. } => {
                span_ids.append_value(span_id.to_bytes()).map_err(BlockError::from)?;
                levels.append_option(event.level.map(schema::level_code));
                names.append_value(&event.name);
                attributes.append(event.attributes.iter())?;
                dropped_attributes.append_value(event.dropped_attributes_count);
            }
        }
        services.append_value(stored.origin.service());
        scopes.append_value(&stored.origin.scope);
        resources.append(stored.origin.resource.attributes().iter())?;
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(trace_ids.finish()),
        Arc::new(times.finish()),
        Arc::new(span_ids.finish()),
        Arc::new(levels.finish()),
        Arc::new(names.finish()),
        attributes.finish()?,
        Arc::new(dropped_attributes.finish()),
        Arc::new(services.finish()),
        Arc::new(scopes.finish()),
        resources.finish()?,
    ];
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(BlockError::from)
}

#[derive(Debug)]
enum DedicatedBuilder {
    Text(StringBuilder),
    Integer(Int64Builder),
}

/// List offsets, checked for the 2^31 limit of an Arrow `List`.
#[derive(Debug)]
struct Offsets(Vec<i32>);

impl Default for Offsets {
    fn default() -> Offsets {
        Offsets(vec![0])
    }
}

impl Offsets {
    /// Ends a row whose items end at `items`.
    fn push(&mut self, items: usize) -> Result<(), BlockError> {
        let offset = i32::try_from(items).map_err(|_| "too many list items in one batch".to_owned())?;
        self.0.push(offset);
        Ok(())
    }

    fn list(self, item: Field, values: ArrayRef) -> Result<ArrayRef, BlockError> {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.0));
        let list = ListArray::try_new(Arc::new(item), offsets, values, None).map_err(BlockError::from)?;
        Ok(Arc::new(list))
    }
}

fn struct_array(fields: Fields, columns: Vec<ArrayRef>) -> Result<ArrayRef, BlockError> {
    Ok(Arc::new(StructArray::try_new(fields, columns, None).map_err(BlockError::from)?))
}

/// A `List<UInt32>` column.
#[derive(Debug, Default)]
struct PositionsBuilder {
    values: UInt32Builder,
    offsets: Offsets,
}

impl PositionsBuilder {
    fn append(&mut self, positions: impl Iterator<Item = u32>) -> Result<(), BlockError> {
        for position in positions {
            self.values.append_value(position);
        }
        self.offsets.push(self.values.len())
    }

    fn finish(mut self) -> Result<ArrayRef, BlockError> {
        self.offsets.list(schema::position_item(), Arc::new(self.values.finish()))
    }
}

/// A `List<Struct<key, type, value>>` column.
#[derive(Debug, Default)]
struct KeyValuesBuilder {
    keys: StringBuilder,
    types: UInt8Builder,
    values: StringBuilder,
    offsets: Offsets,
    text: String,
}

impl KeyValuesBuilder {
    fn append<'a>(&mut self, attributes: impl Iterator<Item = &'a KeyValue>) -> Result<(), BlockError> {
        for attribute in attributes {
            self.keys.append_value(&attribute.key);
            self.types.append_value(values::encode(&attribute.value, &mut self.text));
            self.values.append_value(&self.text);
        }
        self.offsets.push(self.keys.len())
    }

    fn finish(mut self) -> Result<ArrayRef, BlockError> {
        let items = struct_array(
            schema::key_value_fields(),
            vec![Arc::new(self.keys.finish()), Arc::new(self.types.finish()), Arc::new(self.values.finish())],
        )?;
        self.offsets.list(schema::key_value_item(), items)
    }
}

/// The `events` column.
#[derive(Debug, Default)]
struct EventsBuilder {
    times: UInt64Builder,
    names: StringBuilder,
    levels: UInt8Builder,
    attributes: KeyValuesBuilder,
    dropped_attributes: UInt32Builder,
    offsets: Offsets,
}

impl EventsBuilder {
    fn append(&mut self, events: &[Event]) -> Result<(), BlockError> {
        for event in events {
            self.times.append_value(event.time_unix_nano);
            self.names.append_value(&event.name);
            self.levels.append_option(event.level.map(schema::level_code));
            self.attributes.append(event.attributes.iter())?;
            self.dropped_attributes.append_value(event.dropped_attributes_count);
        }
        self.offsets.push(self.times.len())
    }

    fn finish(mut self) -> Result<ArrayRef, BlockError> {
        let items = struct_array(
            schema::event_fields(),
            vec![
                Arc::new(self.times.finish()),
                Arc::new(self.names.finish()),
                Arc::new(self.levels.finish()),
                self.attributes.finish()?,
                Arc::new(self.dropped_attributes.finish()),
            ],
        )?;
        self.offsets.list(schema::event_item(), items)
    }
}

/// The `links` column.
#[derive(Debug)]
struct LinksBuilder {
    trace_ids: FixedSizeBinaryBuilder,
    span_ids: FixedSizeBinaryBuilder,
    trace_flags: UInt8Builder,
    trace_states: StringBuilder,
    is_remote: BooleanBuilder,
    attributes: KeyValuesBuilder,
    dropped_attributes: UInt32Builder,
    offsets: Offsets,
}

impl Default for LinksBuilder {
    fn default() -> LinksBuilder {
        LinksBuilder {
            trace_ids: FixedSizeBinaryBuilder::new(TRACE_ID_BYTES),
            span_ids: FixedSizeBinaryBuilder::new(SPAN_ID_BYTES),
            trace_flags: UInt8Builder::new(),
            trace_states: StringBuilder::new(),
            is_remote: BooleanBuilder::new(),
            attributes: KeyValuesBuilder::default(),
            dropped_attributes: UInt32Builder::new(),
            offsets: Offsets::default(),
        }
    }
}

impl LinksBuilder {
    fn append(&mut self, links: &[Link]) -> Result<(), BlockError> {
        for link in links {
            let context = &link.context;
            self.trace_ids.append_value(context.trace_id().to_bytes()).map_err(BlockError::from)?;
            self.span_ids.append_value(context.span_id().to_bytes()).map_err(BlockError::from)?;
            self.trace_flags.append_value(context.trace_flags().to_u8());
            self.trace_states.append_option(context.trace_state().map(|state| state.as_str()));
            self.is_remote.append_value(context.is_remote());
            self.attributes.append(link.attributes.iter())?;
            self.dropped_attributes.append_value(link.dropped_attributes_count);
        }
        self.offsets.push(self.trace_flags.len())
    }

    fn finish(mut self) -> Result<ArrayRef, BlockError> {
        let items = struct_array(
            schema::link_fields(),
            vec![
                Arc::new(self.trace_ids.finish()),
                Arc::new(self.span_ids.finish()),
                Arc::new(self.trace_flags.finish()),
                Arc::new(self.trace_states.finish()),
                Arc::new(self.is_remote.finish()),
                self.attributes.finish()?,
                Arc::new(self.dropped_attributes.finish()),
            ],
        )?;
        self.offsets.list(schema::link_item(), items)
    }
}
