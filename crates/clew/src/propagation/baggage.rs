//! W3C Baggage (<https://www.w3.org/TR/baggage/>): application key/value pairs that
//! travel with a request, in the `baggage` header.
//!
//! ```text
//! baggage: userId=alice,serverNode=DF%2028;region=eu,isProduction=false
//! ```
//!
//! Each list member is a key (an RFC 9110 token), a percent-encoded value and optional
//! `;`-separated properties (`key` or `key=value`). Reading skips members that do not
//! follow the grammar and keeps the rest; a key that repeats keeps its last value at its
//! first position. Reading and writing both keep at most [`MAX_MEMBERS`] members and
//! [`MAX_BYTES`] bytes of header, dropping whole members past either limit.

use std::fmt;

use super::Propagator;
use super::carrier::{Extractor, Injector};
use super::context::PropagationContext;
use super::text::{is_token, percent_decode, percent_encode, trim_ows};

/// The header name.
pub const BAGGAGE_HEADER: &str = "baggage";
/// The most list members read or written (the ABNF's `0*179`, as OpenTelemetry uses).
pub const MAX_MEMBERS: usize = 180;
/// The most bytes of `baggage` header read or written.
pub const MAX_BYTES: usize = 8192;

/// A property of a baggage entry: `key` or `key=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaggageProperty {
    key: String,
    value: Option<String>,
}

impl BaggageProperty {
    /// A property; `None` if `key` is not a token.
    pub fn new(key: impl Into<String>, value: Option<String>) -> Option<BaggageProperty> {
        let key = key.into();
        is_token(&key).then_some(BaggageProperty { key, value })
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The (decoded) value, for `key=value` properties.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// One baggage list member: a key, its value and its properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaggageEntry {
    key: String,
    value: String,
    properties: Vec<BaggageProperty>,
}

impl BaggageEntry {
    /// An entry with no properties; `None` if `key` is not a token. The value may be any
    /// text: it is percent-encoded on the wire.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Option<BaggageEntry> {
        let key = key.into();
        is_token(&key).then(|| BaggageEntry { key, value: value.into(), properties: Vec::new() })
    }

    /// The same entry with one more property.
    #[must_use]
    pub fn with_property(mut self, property: BaggageProperty) -> BaggageEntry {
        self.properties.push(property);
        self
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The (decoded) value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The properties, in order.
    pub fn properties(&self) -> &[BaggageProperty] {
        &self.properties
    }

    /// The member as it is written in the header.
    fn encode(&self, out: &mut String) {
        out.push_str(&self.key);
        out.push('=');
        percent_encode(&self.value, out);
        for property in &self.properties {
            out.push(';');
            out.push_str(&property.key);
            if let Some(value) = &property.value {
                out.push('=');
                percent_encode(value, out);
            }
        }
    }

    /// Reads one list member; `None` if it does not follow the grammar.
    fn parse(member: &str) -> Option<BaggageEntry> {
        let mut parts = member.split(';');
        let (key, value) = parts.next()?.split_once('=')?;
        let key = trim_ows(key);
        let value = trim_ows(value);
        if !is_token(key) || !value.bytes().all(is_baggage_octet) {
            return None;
        }
        let mut entry = BaggageEntry { key: key.to_owned(), value: percent_decode(value), properties: Vec::new() };
        for property in parts {
            let property = trim_ows(property);
            let parsed = match property.split_once('=') {
                Some((key, value)) => {
                    let key = trim_ows(key);
                    let value = trim_ows(value);
                    if !is_token(key) || !value.bytes().all(is_baggage_octet) {
                        return None;
                    }
                    BaggageProperty { key: key.to_owned(), value: Some(percent_decode(value)) }
                }
                None if is_token(property) => BaggageProperty { key: property.to_owned(), value: None },
                None => return None,
            };
            entry.properties.push(parsed);
        }
        Some(entry)
    }
}

/// `baggage-octet`: printable US-ASCII but for space, `"`, `,`, `;` and `\`.
fn is_baggage_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// An ordered list of baggage entries, keys unique.
///
/// ```
/// use clew::propagation::Baggage;
///
/// let mut baggage = Baggage::parse("userId=alice, serverNode = DF%2028;region=eu");
/// assert_eq!(baggage.get("serverNode"), Some("DF 28"));
/// baggage.insert("isProduction", "false");
/// assert_eq!(baggage.to_string(), "userId=alice,serverNode=DF%2028;region=eu,isProduction=false");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baggage {
    entries: Vec<BaggageEntry>,
}

impl Baggage {
    /// No entries.
    pub fn new() -> Baggage {
        Baggage::default()
    }

    /// Reads a `baggage` header value (several headers joined with commas). Members that
    /// do not follow the grammar are skipped, and members past [`MAX_MEMBERS`] or
    /// [`MAX_BYTES`] are dropped; this never fails.
    pub fn parse(header: &str) -> Baggage {
        let mut baggage = Baggage::new();
        let mut bytes = 0;
        let mut members = 0;
        for member in header.split(',') {
            let member = trim_ows(member);
            if member.is_empty() {
                continue;
            }
            let Some(entry) = BaggageEntry::parse(member) else {
                continue;
            };
            let cost = member.len() + usize::from(members > 0);
            if members >= MAX_MEMBERS || bytes + cost > MAX_BYTES {
                continue;
            }
            bytes += cost;
            members += 1;
            baggage.insert_entry(entry);
        }
        baggage
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(BaggageEntry::value)
    }

    /// The entry of `key`.
    pub fn entry(&self, key: &str) -> Option<&BaggageEntry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    /// The entries, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, BaggageEntry> {
        self.entries.iter()
    }

    /// Sets `key` to `value` (replacing its value in place if present); false, and
    /// nothing changes, if `key` is not a token.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> bool {
        match BaggageEntry::new(key, value) {
            Some(entry) => {
                self.insert_entry(entry);
                true
            }
            None => false,
        }
    }

    /// Adds an entry, replacing one with the same key in place.
    pub fn insert_entry(&mut self, entry: BaggageEntry) {
        match self.entries.iter_mut().find(|existing| existing.key == entry.key) {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
    }

    /// Removes the entry of `key`.
    pub fn remove(&mut self, key: &str) -> Option<BaggageEntry> {
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        Some(self.entries.remove(index))
    }

    /// Adds the entries of `other` whose keys are not here yet.
    pub fn merge(&mut self, other: Baggage) {
        for entry in other.entries {
            if self.entry(&entry.key).is_none() {
                self.entries.push(entry);
            }
        }
    }
}

impl<'a> IntoIterator for &'a Baggage {
    type Item = &'a BaggageEntry;
    type IntoIter = std::slice::Iter<'a, BaggageEntry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// The header value: members in order, percent-encoded, within [`MAX_MEMBERS`] and
/// [`MAX_BYTES`] (members that would pass either are left out whole).
impl fmt::Display for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut header = String::new();
        let mut members = 0;
        let mut member = String::new();
        for entry in &self.entries {
            if members == MAX_MEMBERS {
                break;
            }
            member.clear();
            entry.encode(&mut member);
            let separator = usize::from(members > 0);
            if header.len() + separator + member.len() > MAX_BYTES {
                continue;
            }
            if separator == 1 {
                header.push(',');
            }
            header.push_str(&member);
            members += 1;
        }
        f.write_str(&header)
    }
}

/// Reads and writes the W3C `baggage` header.
///
/// ```
/// use std::collections::HashMap;
/// use clew::propagation::{BaggagePropagator, Propagator};
///
/// let incoming = HashMap::from([("baggage".to_owned(), "userId=Am%C3%A9lie".to_owned())]);
/// let context = BaggagePropagator.extract(&incoming);
/// assert_eq!(context.baggage().get("userId"), Some("Amélie"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BaggagePropagator;

impl Propagator for BaggagePropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let header = context.baggage().to_string();
        if !header.is_empty() {
            injector.set(BAGGAGE_HEADER, header);
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let headers = extractor.get_all(BAGGAGE_HEADER);
        if headers.is_empty() {
            return PropagationContext::new();
        }
        PropagationContext::new().with_baggage(Baggage::parse(&headers.join(",")))
    }

    fn fields(&self) -> Vec<&str> {
        vec![BAGGAGE_HEADER]
    }
}
