//! Attribute names of the OpenTelemetry semantic conventions, and builders of the usual
//! attribute sets.
//!
//! Each area has a module of its own: the key constants, as the conventions' registry
//! spells them, and one or more functions that start an attribute set with what the
//! conventions require, followed by `with`-style setters for what they recommend. A set
//! goes wherever clew takes attributes ([`SpanBuilder::attributes`],
//! [`Span::set_attributes`], events), since it iterates as [`KeyValue`]s.
//!
//! ```
//! use clew::semconv::http;
//! use clew::SpanKind;
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! let mut span = tracer
//!     .span("GET /orders/{id}")
//!     .kind(SpanKind::Server)
//!     .attributes(http::server_request("GET", "/orders/{id}").url_scheme("https"))
//!     .start();
//! span.set_attributes(http::response(200));
//! span.end();
//! assert_eq!(exporter.tree(), "GET /orders/{id} [server] {http.request.method=\"GET\", \
//!     http.route=\"/orders/{id}\", url.scheme=\"https\", http.response.status_code=200}\n");
//! ```
//!
//! The names follow the conventions' registry as of release 1.44: `db.system.name` (not
//! `db.system`), `rpc.system.name` and a fully-qualified `rpc.method` (not `rpc.system` and
//! `rpc.service`), `rpc.status_code` as a string, `gen_ai.provider.name` (not
//! `gen_ai.system`), `code.file.path` and `code.line.number`. The superseded names that
//! older back ends still read are kept as constants, marked as such; the builders write
//! only the current ones.
//!
//! [`realtime`] holds the attribute sets of realtime media pipelines (pipelines and their
//! elements, connections, LLM, speech-to-text and text-to-speech requests, audio and video
//! processing) with the names those applications use; they are not OpenTelemetry
//! conventions.
//!
//! [`SpanBuilder::attributes`]: crate::SpanBuilder::attributes
//! [`Span::set_attributes`]: crate::Span::set_attributes

use crate::value::{KeyValue, Str, Value};

pub mod code;
pub mod db;
pub mod error;
pub mod gen_ai;
pub mod http;
pub mod messaging;
pub mod network;
pub mod realtime;
pub mod rpc;

/// Defines an attribute-set type: a list of attributes in the order they were set, a key
/// set twice keeping its last value, iterable as [`KeyValue`]s.
macro_rules! attribute_set {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        #[must_use = "an attribute set does nothing until it is given to a span or an event"]
        pub struct $name {
            attributes: Vec<$crate::KeyValue>,
        }

        impl $name {
            /// Sets `key` (replacing an earlier value of the same key).
            fn set(mut self, key: &'static str, value: impl Into<$crate::Value>) -> $name {
                $crate::semconv::upsert(&mut self.attributes, $crate::Str::from_static(key), value.into());
                self
            }

            /// Sets any other attribute.
            pub fn attribute(mut self, key: impl Into<$crate::Str>, value: impl Into<$crate::Value>) -> $name {
                $crate::semconv::upsert(&mut self.attributes, key.into(), value.into());
                self
            }

            /// The value of `key`, if set.
            pub fn get(&self, key: &str) -> Option<&$crate::Value> {
                self.attributes.iter().find(|attribute| attribute.key == key).map(|attribute| &attribute.value)
            }

            /// The attributes, in the order they were first set.
            pub fn as_slice(&self) -> &[$crate::KeyValue] {
                &self.attributes
            }

            /// The attributes as a list.
            pub fn into_vec(self) -> Vec<$crate::KeyValue> {
                self.attributes
            }
        }

        impl IntoIterator for $name {
            type Item = $crate::KeyValue;
            type IntoIter = std::vec::IntoIter<$crate::KeyValue>;
            fn into_iter(self) -> Self::IntoIter {
                self.attributes.into_iter()
            }
        }

        impl From<$name> for Vec<$crate::KeyValue> {
            fn from(set: $name) -> Vec<$crate::KeyValue> {
                set.attributes
            }
        }
    };
}
pub(crate) use attribute_set;

/// Sets `key` to `value` in `attributes`, in place if the key is there already.
pub(crate) fn upsert(attributes: &mut Vec<KeyValue>, key: Str, value: Value) {
    match attributes.iter_mut().find(|attribute| attribute.key == key) {
        Some(existing) => existing.value = value,
        None => attributes.push(KeyValue { key, value }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    attribute_set! {
        /// A set for the tests of the macro.
        Sample
    }

    #[test]
    fn a_key_set_twice_keeps_its_place_and_its_last_value() {
        let sample = Sample::default().set("a", 1).set("b", true).set("a", 2).attribute("c", "x");
        assert_eq!(sample.as_slice().len(), 3);
        assert_eq!(sample.get("a"), Some(&Value::I64(2)));
        let keys: Vec<String> = sample.into_iter().map(|attribute| attribute.key.to_string()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }
}
