//! Zipkin v2 JSON bodies: an array of spans, as `POST /api/v2/spans` takes them, read with
//! `serde::Deserialize` straight into [`ZipkinSpan`]s.
//!
//! Zipkin's own collector is forgiving, and so is this reader: an item of the array that is
//! not an object is one rejected span (the others are kept), a field of an unexpected type
//! reads as absent (an id that is not a string is a missing id, which rejects the span), an
//! unknown field is ignored, and a tag whose value is not a string keeps its JSON text.
//! Only a body that is not a JSON array of values is refused whole.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use clew::SpanKind;
use clew_otlp::{RejectReason, Rejected};
use clew_store::WriteBatch;
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::span::{Endpoint, ZipkinSpan, count, hex_id, to_batch};

/// Spans of a Zipkin v2 JSON body (an array of spans), and counts of the invalid ones.
pub(crate) fn decode_json(body: &[u8]) -> Result<(WriteBatch, Vec<Rejected>), String> {
    let items: Vec<Item> = serde_json::from_slice(body).map_err(|error| {
        if error.is_data() {
            format!("invalid Zipkin JSON: the body must be an array of spans ({error})")
        } else {
            format!("invalid Zipkin JSON: {error}")
        }
    })?;
    let mut rejected = Vec::new();
    let mut spans = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Item::Span(span) => spans.push(span.into_span()),
            Item::NotASpan => count(&mut rejected, RejectReason::InvalidSpanId),
        }
    }
    Ok(to_batch(spans, rejected))
}

/// What a body takes decoded ([`crate::receivers::estimate`]).
pub(crate) fn estimate(body: &[u8]) -> usize {
    use std::mem::size_of;

    use crate::receivers::estimate::JsonCosts;
    static COSTS: JsonCosts = JsonCosts {
        object: |name| match name {
            b"" => {
                2 * size_of::<Item>() + size_of::<JsonSpan>() + size_of::<ZipkinSpan>() + size_of::<clew::SpanData>()
            }
            b"annotations" => {
                2 * size_of::<Lenient<JsonAnnotation>>() + size_of::<(u64, String)>() + size_of::<clew::Event>()
            }
            // Endpoints, the tags' map, and objects read as absent or ignored.
            _ => size_of::<Endpoint>(),
        },
        maps: &[b"tags"],
        // A tag: in the map, in the span's list, and as an attribute.
        entry: 3 * size_of::<(String, String)>() + size_of::<clew::KeyValue>(),
    };
    crate::receivers::estimate::json(body, &COSTS)
}

/// An item of the body's array: a span when it is an object.
enum Item {
    Span(Box<JsonSpan>),
    NotASpan,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Item, D::Error> {
        struct ItemVisitor;

        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a Zipkin span")
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Item, M::Error> {
                JsonSpan::deserialize(MapAccessDeserializer::new(map)).map(|span| Item::Span(Box::new(span)))
            }

            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Item, S::Error> {
                IgnoredAny::deserialize(SeqAccessDeserializer::new(seq)).map(|_| Item::NotASpan)
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
                Ok(Item::NotASpan)
            }
        }

        deserializer.deserialize_any(ItemVisitor)
    }
}

/// A span of Zipkin's JSON model (`zipkin2.Span`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct JsonSpan {
    trace_id: Lenient<String>,
    id: Lenient<String>,
    /// Absent (or `null`) for a root; present but not a hex id makes the span invalid.
    parent_id: Option<Lenient<String>>,
    name: Lenient<String>,
    kind: Lenient<String>,
    /// Absent (or `null`) reads as 0; present but not a whole number refuses the span.
    timestamp: Option<Lenient<u64>>,
    duration: Option<Lenient<u64>>,
    local_endpoint: Option<Lenient<JsonEndpoint>>,
    remote_endpoint: Option<Lenient<JsonEndpoint>>,
    annotations: Lenient<Vec<Lenient<JsonAnnotation>>>,
    tags: Lenient<BTreeMap<String, TagText>>,
}

impl JsonSpan {
    fn into_span(self) -> ZipkinSpan {
        let id = |text: Option<String>, max_bytes| text.as_deref().and_then(|text| hex_id(text, max_bytes));
        let bad_time =
            [&self.timestamp, &self.duration].iter().any(|time| time.as_ref().is_some_and(|time| time.0.is_none()));
        let micros = |time: Option<Lenient<u64>>| time.and_then(|time| time.0).unwrap_or(0);
        let kind = match self.kind.0.as_deref() {
            Some("CLIENT") => Some(SpanKind::Client),
            Some("SERVER") => Some(SpanKind::Server),
            Some("PRODUCER") => Some(SpanKind::Producer),
            Some("CONSUMER") => Some(SpanKind::Consumer),
            _ => None,
        };
        let annotations = self.annotations.0.unwrap_or_default().into_iter().filter_map(|annotation| {
            let annotation = annotation.0?;
            Some((annotation.timestamp.0?, annotation.value.0?))
        });
        ZipkinSpan {
            trace_id: id(self.trace_id.0, 16).unwrap_or_default(),
            id: id(self.id.0, 8).unwrap_or_default(),
            parent_id: match self.parent_id {
                None => Vec::new(),
                // Present but not a hex id: one byte, which no span id has.
                Some(parent) => id(parent.0, 8).unwrap_or_else(|| vec![0; 1]),
            },
            name: self.name.0.unwrap_or_default(),
            kind,
            timestamp: micros(self.timestamp),
            duration: micros(self.duration),
            bad_time,
            local: self
                .local_endpoint
                .and_then(|endpoint| endpoint.0)
                .map(JsonEndpoint::into_endpoint)
                .unwrap_or_default(),
            remote: self
                .remote_endpoint
                .map(|endpoint| endpoint.0.map(JsonEndpoint::into_endpoint).unwrap_or_default()),
            annotations: annotations.collect(),
            tags: self.tags.0.unwrap_or_default().into_iter().map(|(key, TagText(value))| (key, value)).collect(),
        }
    }
}

/// `localEndpoint` and `remoteEndpoint`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct JsonEndpoint {
    service_name: Lenient<String>,
    ipv4: Lenient<String>,
    ipv6: Lenient<String>,
    port: Lenient<u64>,
}

impl JsonEndpoint {
    fn into_endpoint(self) -> Endpoint {
        let address = self.ipv4.0.filter(|address| !address.is_empty()).or(self.ipv6.0);
        Endpoint {
            service_name: self.service_name.0.unwrap_or_default(),
            address: address.filter(|address| !address.is_empty()),
            port: self.port.0.and_then(|port| u16::try_from(port).ok()).filter(|port| *port > 0),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JsonAnnotation {
    timestamp: Lenient<u64>,
    value: Lenient<String>,
}

/// A value of type `T`, or `None` when the JSON has another type there.
#[derive(Debug)]
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Lenient<T> {
        Lenient(None)
    }
}

/// What a [`Lenient`] reads, visitor by visitor; every other JSON type reads as `None`.
trait LenientValue: Sized {
    fn from_str(_: &str) -> Option<Self> {
        None
    }

    fn from_u64(_: u64) -> Option<Self> {
        None
    }

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Option<Self>, M::Error> {
        IgnoredAny::deserialize(MapAccessDeserializer::new(map)).map(|_| None)
    }

    fn from_seq<'de, S: SeqAccess<'de>>(seq: S) -> Result<Option<Self>, S::Error> {
        IgnoredAny::deserialize(SeqAccessDeserializer::new(seq)).map(|_| None)
    }
}

impl LenientValue for String {
    fn from_str(text: &str) -> Option<String> {
        Some(text.to_owned())
    }
}

impl LenientValue for u64 {
    fn from_u64(number: u64) -> Option<u64> {
        Some(number)
    }
}

impl LenientValue for JsonEndpoint {
    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Option<JsonEndpoint>, M::Error> {
        JsonEndpoint::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

impl LenientValue for JsonAnnotation {
    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Option<JsonAnnotation>, M::Error> {
        JsonAnnotation::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

impl LenientValue for Vec<Lenient<JsonAnnotation>> {
    fn from_seq<'de, S: SeqAccess<'de>>(seq: S) -> Result<Option<Self>, S::Error> {
        Vec::deserialize(SeqAccessDeserializer::new(seq)).map(Some)
    }
}

impl LenientValue for BTreeMap<String, TagText> {
    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Option<Self>, M::Error> {
        BTreeMap::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

impl<'de, T: LenientValue> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lenient<T>, D::Error> {
        struct LenientVisitor<T>(PhantomData<T>);

        impl<'de, T: LenientValue> Visitor<'de> for LenientVisitor<T> {
            type Value = Lenient<T>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("any JSON value")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_str(text)))
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_u64(number)))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(u64::try_from(number).ok().and_then(T::from_u64)))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Lenient<T>, M::Error> {
                T::from_map(map).map(Lenient)
            }

            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Lenient<T>, S::Error> {
                T::from_seq(seq).map(Lenient)
            }
        }

        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// A tag's value as text: a string as it is, anything else as its JSON text.
#[derive(Debug)]
struct TagText(String);

impl<'de> Deserialize<'de> for TagText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TagText, D::Error> {
        struct TagVisitor;

        impl<'de> Visitor<'de> for TagVisitor {
            type Value = TagText;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a tag value")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<TagText, E> {
                Ok(TagText(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<TagText, E> {
                Ok(TagText(text))
            }

            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<TagText, E> {
                Ok(TagText(flag.to_string()))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<TagText, E> {
                Ok(TagText(number.to_string()))
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<TagText, E> {
                Ok(TagText(number.to_string()))
            }

            fn visit_f64<E: de::Error>(self, number: f64) -> Result<TagText, E> {
                Ok(TagText(serde_json::Value::from(number).to_string()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<TagText, E> {
                Ok(TagText("null".to_owned()))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<TagText, M::Error> {
                let value = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
                Ok(TagText(value.to_string()))
            }

            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<TagText, S::Error> {
                let value = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(TagText(value.to_string()))
            }
        }

        deserializer.deserialize_any(TagVisitor)
    }
}
