//! Trace and span identifiers and their W3C hex forms.
//!
//! A [`TraceId`] is 128 bits and a [`SpanId`] 64 bits, both written as lowercase hex
//! (32 and 16 characters) as in W3C trace context. The all-zero value of each is the
//! "invalid" id: it is never generated, and parsing reports it as an error.
//!
//! Ids come from a per-thread generator (wyrand) seeded from the operating system's
//! hasher keys, so generating one takes a few nanoseconds and touches no shared state.
//! Every bit of a trace id is random, which is what the W3C level-2 `random` flag
//! promises and what [`TraceIdRatio`](crate::Sampler::trace_id_ratio) sampling relies on.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// A 128-bit trace identifier; never zero when generated.
///
/// ```
/// let id = clew::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
/// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(clew::TraceId::from_hex("00000000000000000000000000000000").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(u128);

/// A 64-bit span identifier; never zero when generated.
///
/// ```
/// let id = clew::SpanId::from_hex("00f067aa0ba902b7").unwrap();
/// assert_eq!(id.to_u64(), 0x00f0_67aa_0ba9_02b7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(u64);

/// Why a hex string is not a valid id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdParseError {
    /// The string does not have the 32 (trace) or 16 (span) characters an id needs.
    WrongLength {
        /// Characters expected.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character is not a lowercase or uppercase hex digit.
    NotHex,
    /// The id is all zeros, which W3C trace context reserves as invalid.
    AllZero,
}

impl fmt::Display for IdParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdParseError::WrongLength { expected, found } => {
                write!(f, "expected {expected} hex characters, found {found}")
            }
            IdParseError::NotHex => f.write_str("id contains a character that is not hex"),
            IdParseError::AllZero => f.write_str("id is all zeros, which is invalid"),
        }
    }
}

impl std::error::Error for IdParseError {}

fn parse_hex(text: &str, expected: usize) -> Result<u128, IdParseError> {
    if text.len() != expected {
        return Err(IdParseError::WrongLength { expected, found: text.len() });
    }
    let mut value: u128 = 0;
    for byte in text.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            b'A'..=b'F' => byte - b'A' + 10,
            _ => return Err(IdParseError::NotHex),
        };
        value = (value << 4) | u128::from(digit);
    }
    if value == 0 {
        return Err(IdParseError::AllZero);
    }
    Ok(value)
}

impl TraceId {
    /// The invalid, all-zero trace id.
    pub const INVALID: TraceId = TraceId(0);

    /// A new random trace id (never zero).
    #[inline]
    pub fn random() -> TraceId {
        loop {
            let high = u128::from(next_random());
            let low = u128::from(next_random());
            let value = (high << 64) | low;
            if value != 0 {
                return TraceId(value);
            }
        }
    }

    /// Wraps a raw value; zero gives [`TraceId::INVALID`].
    pub const fn from_u128(value: u128) -> TraceId {
        TraceId(value)
    }

    /// The raw value.
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// From 16 big-endian bytes, as carried by OTLP.
    pub const fn from_bytes(bytes: [u8; 16]) -> TraceId {
        TraceId(u128::from_be_bytes(bytes))
    }

    /// The 16 big-endian bytes, as carried by OTLP.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parses 32 hex characters; rejects any other length and the all-zero id.
    pub fn from_hex(text: &str) -> Result<TraceId, IdParseError> {
        parse_hex(text, 32).map(TraceId)
    }

    /// Whether this is a usable (non-zero) id.
    pub const fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl SpanId {
    /// The invalid, all-zero span id.
    pub const INVALID: SpanId = SpanId(0);

    /// A new random span id (never zero).
    #[inline]
    pub fn random() -> SpanId {
        loop {
            let value = next_random();
            if value != 0 {
                return SpanId(value);
            }
        }
    }

    /// Wraps a raw value; zero gives [`SpanId::INVALID`].
    pub const fn from_u64(value: u64) -> SpanId {
        SpanId(value)
    }

    /// The raw value.
    pub const fn to_u64(self) -> u64 {
        self.0
    }

    /// From 8 big-endian bytes, as carried by OTLP.
    pub const fn from_bytes(bytes: [u8; 8]) -> SpanId {
        SpanId(u64::from_be_bytes(bytes))
    }

    /// The 8 big-endian bytes, as carried by OTLP.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// Parses 16 hex characters; rejects any other length and the all-zero id.
    pub fn from_hex(text: &str) -> Result<SpanId, IdParseError> {
        // 16 hex digits always fit in 64 bits.
        parse_hex(text, 16).map(|value| SpanId(value as u64))
    }

    /// Whether this is a usable (non-zero) id.
    pub const fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:032x})", self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({:016x})", self.0)
    }
}

impl std::str::FromStr for TraceId {
    type Err = IdParseError;
    fn from_str(text: &str) -> Result<TraceId, IdParseError> {
        TraceId::from_hex(text)
    }
}

impl std::str::FromStr for SpanId {
    type Err = IdParseError;
    fn from_str(text: &str) -> Result<SpanId, IdParseError> {
        SpanId::from_hex(text)
    }
}

/// W3C trace flags: bit 0 is `sampled`, bit 1 (level 2) is `random`.
///
/// ```
/// let flags = clew::TraceFlags::SAMPLED | clew::TraceFlags::RANDOM;
/// assert!(flags.is_sampled() && flags.is_random());
/// assert_eq!(format!("{flags}"), "03");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// No flag set.
    pub const NONE: TraceFlags = TraceFlags(0);
    /// The caller may have recorded this trace.
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// The trace id's rightmost 56 bits are random (W3C trace context level 2).
    pub const RANDOM: TraceFlags = TraceFlags(0x02);

    /// From the byte carried in `traceparent`.
    pub const fn from_u8(bits: u8) -> TraceFlags {
        TraceFlags(bits)
    }

    /// The byte carried in `traceparent`.
    pub const fn to_u8(self) -> u8 {
        self.0
    }

    /// Whether the sampled bit is set.
    pub const fn is_sampled(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the random bit is set.
    pub const fn is_random(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// These flags with the sampled bit set or cleared.
    #[must_use]
    pub const fn with_sampled(self, sampled: bool) -> TraceFlags {
        if sampled { TraceFlags(self.0 | 0x01) } else { TraceFlags(self.0 & !0x01) }
    }
}

impl std::ops::BitOr for TraceFlags {
    type Output = TraceFlags;
    fn bitor(self, other: TraceFlags) -> TraceFlags {
        TraceFlags(self.0 | other.0)
    }
}

impl fmt::Display for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}", self.0)
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceFlags({:02x})", self.0)
    }
}

const WYRAND_INCREMENT: u64 = 0xa076_1d64_78bd_642f;

fn seed() -> u64 {
    // RandomState draws its keys from the operating system once per thread, which is
    // all the entropy an id generator needs; the address of a local and the clock make
    // seeds of threads that share keys differ.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let marker = 0u8;
    hasher.write_usize(std::ptr::addr_of!(marker) as usize);
    if let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since_epoch.as_nanos());
    }
    hasher.finish() | 1
}

/// Advances this thread's generator (wyrand) by `steps` and returns the state before.
#[inline]
fn advance(steps: u64) -> u64 {
    crate::context::HOT.with(|hot| advance_state(&hot.random, steps))
}

/// Advances the generator held in `state`; for callers that already hold the thread's state.
#[inline]
pub(crate) fn advance_state(state: &Cell<u64>, steps: u64) -> u64 {
    let mut current = state.get();
    if current == 0 {
        current = seed();
    }
    state.set(current.wrapping_add(WYRAND_INCREMENT.wrapping_mul(steps)));
    current
}

/// The wyrand output for the state `step` increments after `state`.
#[inline]
fn output(state: u64, step: u64) -> u64 {
    let current = state.wrapping_add(WYRAND_INCREMENT.wrapping_mul(step));
    let product = u128::from(current) * u128::from(current ^ 0xe703_7ed1_a0b4_28db);
    ((product >> 64) as u64) ^ (product as u64)
}

/// The next 64 random bits of this thread's generator.
#[inline]
pub(crate) fn next_random() -> u64 {
    output(advance(1), 1)
}

/// Random ids reserved now and computed only if asked for: an unsampled span takes one
/// of these (one add to a thread-local counter) and turns it into ids only when its
/// context is needed, for a child or for propagation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdSeed(u64);

impl IdSeed {
    /// Reserves a trace id and a span id.
    #[inline]
    pub(crate) fn next() -> IdSeed {
        IdSeed(advance(3))
    }

    /// Reserves a trace id and a span id from a generator state the caller holds.
    #[inline]
    pub(crate) fn next_from(state: &Cell<u64>) -> IdSeed {
        IdSeed(advance_state(state, 3))
    }

    /// The reserved trace id.
    #[inline]
    pub(crate) fn trace_id(self) -> TraceId {
        let value = (u128::from(output(self.0, 1)) << 64) | u128::from(output(self.0, 2));
        TraceId(if value == 0 { 1 } else { value })
    }

    /// The reserved span id.
    #[inline]
    pub(crate) fn span_id(self) -> SpanId {
        SpanId(output(self.0, 3).max(1))
    }
}
