//! Arrow record batches of a block's files back into spans and records.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt8Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, ArrowPrimitiveType, BooleanArray, FixedSizeBinaryArray, ListArray, PrimitiveArray, RecordBatch, StringArray,
    StructArray,
};
use clew::{
    Event, KeyValue, Link, Resource, SpanContext, SpanData, SpanId, Status, Str, TraceEvent, TraceFlags, TraceId, Value,
};
use clew_store::TraceRecord;

use super::schema::{self, DEDICATED};
use super::{BlockError, values};
use clew_store::model::{Origin, SearchQuery, StoredRecord, StoredSpan, value_text_is};

/// What rows of one read share: interned names and keys, and one `Arc` per distinct resource.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    names: HashSet<Str>,
    resources: HashMap<Vec<u8>, Arc<Resource>>,
    resource_key: Vec<u8>,
}

impl Decoder {
    fn name(&mut self, text: &str) -> Str {
        if let Some(name) = self.names.get(text) {
            return name.clone();
        }
        let name = Str::from(text.to_owned());
        self.names.insert(name.clone());
        name
    }

    fn origin(&mut self, resource: &KeyValueColumns<'_>, scope: &str, row: usize) -> Result<Origin, BlockError> {
        let mut key = std::mem::take(&mut self.resource_key);
        key.clear();
        resource.write_identity(row, &mut key)?;
        let shared = match self.resources.get(&key) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared = Arc::new(Resource::new(resource.decode(row, self)?));
                self.resources.insert(key.clone(), Arc::clone(&shared));
                shared
            }
        };
        self.resource_key = key;
        Ok(Origin { resource: shared, scope: self.name(scope) })
    }
}

pub(super) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, BlockError> {
    batch
        .column_by_name(name)
        .map(|array| array.as_ref())
        .ok_or_else(|| BlockError::Malformed(format!("no column {name}")))
}

fn struct_column<'a>(items: &'a StructArray, name: &str) -> Result<&'a dyn Array, BlockError> {
    items
        .column_by_name(name)
        .map(|array| array.as_ref())
        .ok_or_else(|| BlockError::Malformed(format!("no field {name}")))
}

pub(super) fn primitive<'a, T: ArrowPrimitiveType>(
    array: &'a dyn Array,
    name: &str,
) -> Result<&'a PrimitiveArray<T>, BlockError> {
    array.as_primitive_opt::<T>().ok_or_else(|| BlockError::Malformed(format!("{name} has the wrong type")))
}

pub(super) fn strings<'a>(array: &'a dyn Array, name: &str) -> Result<&'a StringArray, BlockError> {
    array.as_string_opt::<i32>().ok_or_else(|| BlockError::Malformed(format!("{name} has the wrong type")))
}

fn booleans<'a>(array: &'a dyn Array, name: &str) -> Result<&'a BooleanArray, BlockError> {
    array.as_boolean_opt().ok_or_else(|| BlockError::Malformed(format!("{name} has the wrong type")))
}

pub(super) fn fixed<'a>(array: &'a dyn Array, name: &str) -> Result<&'a FixedSizeBinaryArray, BlockError> {
    array.as_fixed_size_binary_opt().ok_or_else(|| BlockError::Malformed(format!("{name} has the wrong type")))
}

fn list<'a>(array: &'a dyn Array, name: &str) -> Result<(&'a ListArray, &'a StructArray), BlockError> {
    let lists = array.as_list_opt::<i32>().ok_or_else(|| BlockError::Malformed(format!("{name} is not a list")))?;
    let items = lists
        .values()
        .as_struct_opt()
        .ok_or_else(|| BlockError::Malformed(format!("{name} is not a list of structs")))?;
    Ok((lists, items))
}

/// The item indexes of one row of a list.
fn items(lists: &ListArray, row: usize) -> Result<Range<usize>, BlockError> {
    let offsets = lists.value_offsets();
    let start = offsets.get(row).and_then(|&offset| usize::try_from(offset).ok());
    let end = offsets.get(row + 1).and_then(|&offset| usize::try_from(offset).ok());
    match (start, end) {
        (Some(start), Some(end)) if start <= end => Ok(start..end),
        _ => Err(BlockError::Malformed(format!("bad list offsets at row {row}"))),
    }
}

pub(super) fn optional(array: &StringArray, row: usize) -> Option<&str> {
    (!array.is_null(row)).then(|| array.value(row))
}

pub(super) fn trace_id_at(array: &FixedSizeBinaryArray, row: usize) -> Result<TraceId, BlockError> {
    let bytes: [u8; 16] = array.value(row).try_into().map_err(|_| "a trace id is not 16 bytes".to_owned())?;
    Ok(TraceId::from_bytes(bytes))
}

pub(super) fn span_id_at(array: &FixedSizeBinaryArray, row: usize) -> Result<SpanId, BlockError> {
    let bytes: [u8; 8] = array.value(row).try_into().map_err(|_| "a span id is not 8 bytes".to_owned())?;
    Ok(SpanId::from_bytes(bytes))
}

fn level_at(array: &PrimitiveArray<UInt8Type>, row: usize) -> Result<Option<clew::Level>, BlockError> {
    if array.is_null(row) {
        return Ok(None);
    }
    let code = array.value(row);
    schema::level_of_code(code).map(Some).ok_or_else(|| BlockError::Malformed(format!("unknown level {code}")))
}

/// An attribute list column (`List<Struct<key, type, value>>`).
#[derive(Debug)]
struct KeyValueColumns<'a> {
    lists: &'a ListArray,
    keys: &'a StringArray,
    types: &'a PrimitiveArray<UInt8Type>,
    values: &'a StringArray,
}

impl<'a> KeyValueColumns<'a> {
    fn new(array: &'a dyn Array, name: &str) -> Result<KeyValueColumns<'a>, BlockError> {
        let (lists, items) = list(array, name)?;
        Ok(KeyValueColumns {
            lists,
            keys: strings(struct_column(items, "key")?, name)?,
            types: primitive::<UInt8Type>(struct_column(items, "type")?, name)?,
            values: strings(struct_column(items, "value")?, name)?,
        })
    }

    fn decode(&self, row: usize, decoder: &mut Decoder) -> Result<Vec<KeyValue>, BlockError> {
        let range = items(self.lists, row)?;
        let mut attributes = Vec::with_capacity(range.len());
        for item in range {
            let value = values::decode(self.types.value(item), self.values.value(item))?;
            attributes.push(KeyValue { key: decoder.name(self.keys.value(item)), value });
        }
        Ok(attributes)
    }

    /// Bytes that are equal for two rows exactly when their attribute lists are.
    fn write_identity(&self, row: usize, out: &mut Vec<u8>) -> Result<(), BlockError> {
        for item in items(self.lists, row)? {
            let key = self.keys.value(item).as_bytes();
            let value = self.values.value(item).as_bytes();
            out.extend_from_slice(&(key.len() as u64).to_le_bytes());
            out.extend_from_slice(key);
            out.push(self.types.value(item));
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
            out.extend_from_slice(value);
        }
        Ok(())
    }
}

/// The `events` column.
#[derive(Debug)]
struct EventColumns<'a> {
    lists: &'a ListArray,
    times: &'a PrimitiveArray<UInt64Type>,
    names: &'a StringArray,
    levels: &'a PrimitiveArray<UInt8Type>,
    attributes: KeyValueColumns<'a>,
    dropped_attributes: &'a PrimitiveArray<UInt32Type>,
}

impl<'a> EventColumns<'a> {
    fn new(array: &'a dyn Array) -> Result<EventColumns<'a>, BlockError> {
        let (lists, items) = list(array, "events")?;
        Ok(EventColumns {
            lists,
            times: primitive(struct_column(items, "time_unix_nano")?, "events.time_unix_nano")?,
            names: strings(struct_column(items, "name")?, "events.name")?,
            levels: primitive(struct_column(items, "level")?, "events.level")?,
            attributes: KeyValueColumns::new(struct_column(items, "attributes")?, "events.attributes")?,
            dropped_attributes: primitive(
                struct_column(items, "dropped_attributes_count")?,
                "events.dropped_attributes_count",
            )?,
        })
    }

    fn decode(&self, row: usize, decoder: &mut Decoder) -> Result<Vec<Event>, BlockError> {
        let range = items(self.lists, row)?;
        let mut events = Vec::with_capacity(range.len());
        for item in range {
            events.push(Event {
                name: decoder.name(self.names.value(item)),
                time_unix_nano: self.times.value(item),
                level: level_at(self.levels, item)?,
                attributes: self.attributes.decode(item, decoder)?,
                dropped_attributes_count: self.dropped_attributes.value(item),
            });
        }
        Ok(events)
    }
}

/// The `links` column.
#[derive(Debug)]
struct LinkColumns<'a> {
    lists: &'a ListArray,
    trace_ids: &'a FixedSizeBinaryArray,
    span_ids: &'a FixedSizeBinaryArray,
    trace_flags: &'a PrimitiveArray<UInt8Type>,
    trace_states: &'a StringArray,
    is_remote: &'a BooleanArray,
    attributes: KeyValueColumns<'a>,
    dropped_attributes: &'a PrimitiveArray<UInt32Type>,
}

impl<'a> LinkColumns<'a> {
    fn new(array: &'a dyn Array) -> Result<LinkColumns<'a>, BlockError> {
        let (lists, items) = list(array, "links")?;
        Ok(LinkColumns {
            lists,
            trace_ids: fixed(struct_column(items, "trace_id")?, "links.trace_id")?,
            span_ids: fixed(struct_column(items, "span_id")?, "links.span_id")?,
            trace_flags: primitive(struct_column(items, "trace_flags")?, "links.trace_flags")?,
            trace_states: strings(struct_column(items, "trace_state")?, "links.trace_state")?,
            is_remote: booleans(struct_column(items, "is_remote")?, "links.is_remote")?,
            attributes: KeyValueColumns::new(struct_column(items, "attributes")?, "links.attributes")?,
            dropped_attributes: primitive(
                struct_column(items, "dropped_attributes_count")?,
                "links.dropped_attributes_count",
            )?,
        })
    }

    fn decode(&self, row: usize, decoder: &mut Decoder) -> Result<Vec<Link>, BlockError> {
        let range = items(self.lists, row)?;
        let mut links = Vec::with_capacity(range.len());
        for item in range {
            let trace_id = trace_id_at(self.trace_ids, item)?;
            let span_id = span_id_at(self.span_ids, item)?;
            let flags = TraceFlags::from_u8(self.trace_flags.value(item));
            let context = if self.is_remote.value(item) {
                SpanContext::remote(trace_id, span_id, flags)
            } else {
                SpanContext::new(trace_id, span_id, flags)
            };
            let trace_state = optional(self.trace_states, item).map(|state| Str::from(state.to_owned()));
            links.push(Link {
                context: context.with_trace_state(trace_state),
                attributes: self.attributes.decode(item, decoder)?,
                dropped_attributes_count: self.dropped_attributes.value(item),
            });
        }
        Ok(links)
    }
}

/// A dedicated attribute column.
#[derive(Debug)]
enum DedicatedColumn<'a> {
    Text(&'a StringArray),
    Integer(&'a PrimitiveArray<Int64Type>),
}

impl DedicatedColumn<'_> {
    fn value(&self, row: usize) -> Option<Value> {
        match self {
            DedicatedColumn::Text(array) => optional(array, row).map(|text| Value::String(Str::from(text.to_owned()))),
            DedicatedColumn::Integer(array) => (!array.is_null(row)).then(|| Value::I64(array.value(row))),
        }
    }
}

/// The columns of `spans.parquet` in one batch.
#[derive(Debug)]
pub(super) struct SpanColumns<'a> {
    trace_id: &'a FixedSizeBinaryArray,
    start: &'a PrimitiveArray<UInt64Type>,
    end: &'a PrimitiveArray<UInt64Type>,
    span_id: &'a FixedSizeBinaryArray,
    parent_span_id: &'a FixedSizeBinaryArray,
    parent_is_remote: &'a BooleanArray,
    trace_flags: &'a PrimitiveArray<UInt8Type>,
    trace_state: &'a StringArray,
    name: &'a StringArray,
    kind: &'a PrimitiveArray<UInt8Type>,
    label: &'a StringArray,
    status_code: &'a PrimitiveArray<UInt8Type>,
    status_message: &'a StringArray,
    dedicated: Vec<DedicatedColumn<'a>>,
    positions: &'a ListArray,
    position_values: &'a PrimitiveArray<UInt32Type>,
    attributes: KeyValueColumns<'a>,
    dropped_attributes: &'a PrimitiveArray<UInt32Type>,
    events: EventColumns<'a>,
    dropped_events: &'a PrimitiveArray<UInt32Type>,
    links: LinkColumns<'a>,
    dropped_links: &'a PrimitiveArray<UInt32Type>,
    scope: &'a StringArray,
    resource: KeyValueColumns<'a>,
}

impl<'a> SpanColumns<'a> {
    /// Whether the row belongs to the trace with these id bytes.
    pub(super) fn is_of_trace(&self, row: usize, trace_id: &[u8; 16]) -> bool {
        self.trace_id.value(row) == trace_id
    }

    pub(super) fn new(batch: &'a RecordBatch) -> Result<SpanColumns<'a>, BlockError> {
        let mut dedicated = Vec::with_capacity(DEDICATED.len());
        for column_of in DEDICATED {
            let array = column(batch, column_of.column)?;
            dedicated.push(if column_of.integer {
                DedicatedColumn::Integer(primitive(array, column_of.column)?)
            } else {
                DedicatedColumn::Text(strings(array, column_of.column)?)
            });
        }
        let positions =
            column(batch, "dedicated_positions")?.as_list_opt::<i32>().ok_or("dedicated_positions is not a list")?;
        Ok(SpanColumns {
            trace_id: fixed(column(batch, schema::TRACE_ID)?, schema::TRACE_ID)?,
            start: primitive(column(batch, "start_time_unix_nano")?, "start_time_unix_nano")?,
            end: primitive(column(batch, "end_time_unix_nano")?, "end_time_unix_nano")?,
            span_id: fixed(column(batch, "span_id")?, "span_id")?,
            parent_span_id: fixed(column(batch, "parent_span_id")?, "parent_span_id")?,
            parent_is_remote: booleans(column(batch, "parent_is_remote")?, "parent_is_remote")?,
            trace_flags: primitive(column(batch, "trace_flags")?, "trace_flags")?,
            trace_state: strings(column(batch, "trace_state")?, "trace_state")?,
            name: strings(column(batch, "name")?, "name")?,
            kind: primitive(column(batch, "kind")?, "kind")?,
            label: strings(column(batch, "label")?, "label")?,
            status_code: primitive(column(batch, "status_code")?, "status_code")?,
            status_message: strings(column(batch, "status_message")?, "status_message")?,
            dedicated,
            positions,
            position_values: primitive(positions.values().as_ref(), "dedicated_positions")?,
            attributes: KeyValueColumns::new(column(batch, "attributes")?, "attributes")?,
            dropped_attributes: primitive(column(batch, "dropped_attributes_count")?, "dropped_attributes_count")?,
            events: EventColumns::new(column(batch, "events")?)?,
            dropped_events: primitive(column(batch, "dropped_events_count")?, "dropped_events_count")?,
            links: LinkColumns::new(column(batch, "links")?)?,
            dropped_links: primitive(column(batch, "dropped_links_count")?, "dropped_links_count")?,
            scope: strings(column(batch, "scope")?, "scope")?,
            resource: KeyValueColumns::new(column(batch, "resource")?, "resource")?,
        })
    }

    pub(super) fn span(&self, row: usize, decoder: &mut Decoder) -> Result<StoredSpan, BlockError> {
        let kind_code = self.kind.value(row);
        let kind = schema::kind_of_code(kind_code)
            .ok_or_else(|| BlockError::Malformed(format!("unknown span kind {kind_code}")))?;
        let status = match self.status_code.value(row) {
            0 => Status::Unset,
            1 => Status::Ok,
            2 => Status::Error { message: Str::from(optional(self.status_message, row).unwrap_or("").to_owned()) },
            other => return Err(BlockError::Malformed(format!("unknown status code {other}"))),
        };
        let span = SpanData {
            trace_id: trace_id_at(self.trace_id, row)?,
            span_id: span_id_at(self.span_id, row)?,
            parent_span_id: if self.parent_span_id.is_null(row) {
                None
            } else {
                Some(span_id_at(self.parent_span_id, row)?)
            },
            parent_is_remote: self.parent_is_remote.value(row),
            trace_flags: TraceFlags::from_u8(self.trace_flags.value(row)),
            trace_state: optional(self.trace_state, row).map(|state| Str::from(state.to_owned())),
            name: decoder.name(self.name.value(row)),
            kind,
            label: optional(self.label, row).map(|label| decoder.name(label)),
            start_time_unix_nano: self.start.value(row),
            end_time_unix_nano: self.end.value(row),
            attributes: self.attributes(row, decoder)?,
            events: self.events.decode(row, decoder)?,
            links: self.links.decode(row, decoder)?,
            status,
            dropped_attributes_count: self.dropped_attributes.value(row),
            dropped_events_count: self.dropped_events.value(row),
            dropped_links_count: self.dropped_links.value(row),
        };
        let origin = decoder.origin(&self.resource, self.scope.value(row), row)?;
        Ok(StoredSpan { origin, span })
    }

    /// The span's attributes: the list, with the dedicated ones put back where they were.
    fn attributes(&self, row: usize, decoder: &mut Decoder) -> Result<Vec<KeyValue>, BlockError> {
        let mut attributes = self.attributes.decode(row, decoder)?;
        let mut positions = items(self.positions, row)?;
        let mut moved = Vec::new();
        for (column, dedicated) in self.dedicated.iter().zip(DEDICATED) {
            if let Some(value) = column.value(row) {
                let position = positions.next().ok_or("a dedicated attribute has no position")?;
                let position = usize::try_from(self.position_values.value(position))
                    .map_err(|_| "a dedicated attribute position is too large")?;
                moved.push((position, KeyValue { key: Str::from_static(dedicated.key), value }));
            }
        }
        if positions.next().is_some() {
            return Err("more dedicated positions than dedicated attributes".into());
        }
        moved.sort_by_key(|(position, _)| *position);
        for (position, attribute) in moved {
            if position > attributes.len() {
                return Err(BlockError::Malformed(format!(
                    "dedicated attribute position {position} is past the attributes"
                )));
            }
            attributes.insert(position, attribute);
        }
        Ok(attributes)
    }
}

/// The columns of `records.parquet` in one batch.
#[derive(Debug)]
pub(super) struct RecordColumns<'a> {
    trace_id: &'a FixedSizeBinaryArray,
    time: &'a PrimitiveArray<UInt64Type>,
    span_id: &'a FixedSizeBinaryArray,
    level: &'a PrimitiveArray<UInt8Type>,
    name: &'a StringArray,
    attributes: KeyValueColumns<'a>,
    dropped_attributes: &'a PrimitiveArray<UInt32Type>,
    scope: &'a StringArray,
    resource: KeyValueColumns<'a>,
}

impl<'a> RecordColumns<'a> {
    /// Whether the row belongs to the trace with these id bytes.
    pub(super) fn is_of_trace(&self, row: usize, trace_id: &[u8; 16]) -> bool {
        self.trace_id.value(row) == trace_id
    }

    pub(super) fn new(batch: &'a RecordBatch) -> Result<RecordColumns<'a>, BlockError> {
        Ok(RecordColumns {
            trace_id: fixed(column(batch, schema::TRACE_ID)?, schema::TRACE_ID)?,
            time: primitive(column(batch, "time_unix_nano")?, "time_unix_nano")?,
            span_id: fixed(column(batch, "span_id")?, "span_id")?,
            level: primitive(column(batch, "level")?, "level")?,
            name: strings(column(batch, "name")?, "name")?,
            attributes: KeyValueColumns::new(column(batch, "attributes")?, "attributes")?,
            dropped_attributes: primitive(column(batch, "dropped_attributes_count")?, "dropped_attributes_count")?,
            scope: strings(column(batch, "scope")?, "scope")?,
            resource: KeyValueColumns::new(column(batch, "resource")?, "resource")?,
        })
    }

    pub(super) fn record(&self, row: usize, decoder: &mut Decoder) -> Result<StoredRecord, BlockError> {
        let trace_id = trace_id_at(self.trace_id, row)?;
        let time_unix_nano = self.time.value(row);
        let level = level_at(self.level, row)?;
        let name = decoder.name(self.name.value(row));
        let attributes = self.attributes.decode(row, decoder)?;
        let record = if self.span_id.is_null(row) {
            let level = level.ok_or("a trace event has no level")?;
            TraceRecord::TraceEvent(TraceEvent { trace_id, time_unix_nano, level, name, attributes })
        } else {
            TraceRecord::SpanLog {
                trace_id,
                span_id: span_id_at(self.span_id, row)?,
                event: Event {
                    name,
                    time_unix_nano,
                    level,
                    attributes,
                    dropped_attributes_count: self.dropped_attributes.value(row),
                },
            }
        };
        let origin = decoder.origin(&self.resource, self.scope.value(row), row)?;
        Ok(StoredRecord { origin, record })
    }
}

/// The columns of `spans.parquet` that a search reads, in one batch: the seven it always
/// needs, and for attribute conditions the attribute lists, the label and the dedicated
/// columns of the keys it names.
pub(super) struct SearchColumns<'a> {
    pub(super) trace_id: &'a FixedSizeBinaryArray,
    pub(super) start: &'a PrimitiveArray<UInt64Type>,
    end: &'a PrimitiveArray<UInt64Type>,
    service: &'a StringArray,
    name: &'a StringArray,
    kind: &'a PrimitiveArray<UInt8Type>,
    status_code: &'a PrimitiveArray<UInt8Type>,
    /// Present when the query has attribute conditions.
    attributes: Option<AttributeColumns<'a>>,
}

struct AttributeColumns<'a> {
    label: &'a StringArray,
    /// The dedicated columns read, by attribute key.
    dedicated: Vec<(&'static str, DedicatedColumn<'a>)>,
    attributes: KeyValueColumns<'a>,
    resource: KeyValueColumns<'a>,
}

impl<'a> SearchColumns<'a> {
    /// The columns a search for `query` reads.
    pub(super) fn names(query: &SearchQuery) -> Vec<&'static str> {
        let mut names =
            vec!["trace_id", "start_time_unix_nano", "end_time_unix_nano", "service", "name", "kind", "status_code"];
        if !query.attributes.is_empty() {
            names.extend(["label", "attributes", "resource"]);
            for dedicated in DEDICATED {
                if query.attributes.iter().any(|(key, _)| key == dedicated.key) {
                    names.push(dedicated.column);
                }
            }
        }
        names
    }

    pub(super) fn new(batch: &'a RecordBatch, query: &SearchQuery) -> Result<SearchColumns<'a>, BlockError> {
        let attributes = if query.attributes.is_empty() {
            None
        } else {
            let mut dedicated = Vec::new();
            for column_of in DEDICATED {
                if query.attributes.iter().any(|(key, _)| key == column_of.key) {
                    let array = column(batch, column_of.column)?;
                    dedicated.push((
                        column_of.key,
                        if column_of.integer {
                            DedicatedColumn::Integer(primitive(array, column_of.column)?)
                        } else {
                            DedicatedColumn::Text(strings(array, column_of.column)?)
                        },
                    ));
                }
            }
            Some(AttributeColumns {
                label: strings(column(batch, "label")?, "label")?,
                dedicated,
                attributes: KeyValueColumns::new(column(batch, "attributes")?, "attributes")?,
                resource: KeyValueColumns::new(column(batch, "resource")?, "resource")?,
            })
        };
        Ok(SearchColumns {
            trace_id: fixed(column(batch, schema::TRACE_ID)?, schema::TRACE_ID)?,
            start: primitive(column(batch, "start_time_unix_nano")?, "start_time_unix_nano")?,
            end: primitive(column(batch, "end_time_unix_nano")?, "end_time_unix_nano")?,
            service: strings(column(batch, "service")?, "service")?,
            name: strings(column(batch, "name")?, "name")?,
            kind: primitive(column(batch, "kind")?, "kind")?,
            status_code: primitive(column(batch, "status_code")?, "status_code")?,
            attributes,
        })
    }

    /// Whether the span in `row` meets every condition of `query`, as
    /// [`SearchQuery::matches`] decides for a decoded span.
    pub(super) fn matches(&self, row: usize, query: &SearchQuery) -> Result<bool, BlockError> {
        let start = self.start.value(row);
        let duration = self.end.value(row).saturating_sub(start);
        let error = self.status_code.value(row) == schema::status_code(&Status::error(""));
        let basic = query.service.as_deref().is_none_or(|wanted| wanted == self.service.value(row))
            && query.operation.as_deref().is_none_or(|wanted| wanted == self.name.value(row))
            && query.kind.is_none_or(|wanted| schema::kind_code(wanted) == self.kind.value(row))
            && (!query.errors_only || error)
            && query.min_duration_nanos.is_none_or(|min| duration >= min)
            && query.max_duration_nanos.is_none_or(|max| duration <= max)
            && query.range.contains(start);
        if !basic || query.attributes.is_empty() {
            return Ok(basic);
        }
        let Some(columns) = &self.attributes else { return Err("the attribute columns were not read".into()) };
        for (key, wanted) in &query.attributes {
            if key == "error" && error {
                if wanted == "true" {
                    continue;
                }
                return Ok(false);
            }
            let found =
                columns.dedicated.iter().any(|(dedicated, column)| dedicated == key && column.text_is(row, wanted))
                    || columns.attributes.has(row, key, wanted)?
                    || columns.resource.has(row, key, wanted)?
                    || (key == "span.kind"
                        && schema::kind_of_code(self.kind.value(row)).is_some_and(|kind| kind.as_str() == wanted))
                    || (key == "otel.status_code" && status_text(self.status_code.value(row)) == Some(wanted.as_str()))
                    || (key == clew_store::LABEL_KEY && optional(columns.label, row) == Some(wanted.as_str()));
            if !found {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The text of a status code, as [`Status::code`] gives it.
fn status_text(code: u8) -> Option<&'static str> {
    match code {
        0 => Some(Status::Unset.code()),
        1 => Some(Status::Ok.code()),
        2 => Some(Status::error("").code()),
        _ => None,
    }
}

impl DedicatedColumn<'_> {
    /// Whether the row has a value whose text form is `wanted`.
    fn text_is(&self, row: usize, wanted: &str) -> bool {
        match self {
            DedicatedColumn::Text(array) => optional(array, row) == Some(wanted),
            DedicatedColumn::Integer(array) => !array.is_null(row) && wanted.parse::<i64>() == Ok(array.value(row)),
        }
    }
}

impl KeyValueColumns<'_> {
    /// Whether the row's list has an attribute `key` whose value's text form is `wanted`.
    fn has(&self, row: usize, key: &str, wanted: &str) -> Result<bool, BlockError> {
        for item in items(self.lists, row)? {
            if self.keys.value(item) != key {
                continue;
            }
            let (tag, text) = (self.types.value(item), self.values.value(item));
            let matched =
                if tag == values::STRING { text == wanted } else { value_text_is(&values::decode(tag, text)?, wanted) };
            if matched {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
