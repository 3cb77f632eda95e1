//! Redaction of secret-looking attributes before export.
//!
//! A key is secret when one of its words, or two neighbouring words written together,
//! ends with a secret word. Words are split at anything that is not a letter or digit and
//! at lower-to-upper case changes, so `password`, `db.password`, `access_token`,
//! `csrfToken`, `x-api-key`, `apiKey` and `http.request.header.authorization` are all
//! secret, while `gen_ai.usage.input_tokens` and `author` are not. A string value that
//! is an HTTP credential (`Bearer …`, `Basic …` followed by one token) is masked whatever its key.
//! Masked values become the string `[REDACTED]`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use crate::data::{SpanData, TraceEvent};
use crate::value::{KeyValue, Str, Value};

/// The words that mark a key as secret by default.
pub const DEFAULT_SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "apikey",
    "privatekey",
    "credential",
    "credentials",
];

/// What replaces a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// Which attribute keys are masked before export.
///
/// ```
/// let redaction = clew::Redaction::default().with_word("ssn");
/// assert!(redaction.is_secret("user.password"));
/// assert!(redaction.is_secret("customer_ssn"));
/// assert!(!redaction.is_secret("gen_ai.usage.input_tokens"));
/// assert!(!clew::Redaction::none().is_secret("password"));
/// ```
#[derive(Clone, Debug)]
pub struct Redaction {
    words: Vec<String>,
    mask_credential_values: bool,
    /// Verdicts of keys seen before: services use the same few keys over and over, and
    /// the exporting thread asks about every attribute of every span.
    verdicts: Arc<Mutex<Verdicts>>,
}

type Verdicts = HashMap<Str, bool, BuildHasherDefault<KeyHasher>>;

/// A fast hasher for short attribute keys (the multiply-rotate scheme of rustc's FxHash);
/// the keys come from the application's own code, so flooding resistance buys nothing.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
        for byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Keys remembered at most; past this the memory is cleared and refilled.
const MAX_REMEMBERED_KEYS: usize = 4096;

impl PartialEq for Redaction {
    fn eq(&self, other: &Redaction) -> bool {
        self.words == other.words && self.mask_credential_values == other.mask_credential_values
    }
}

impl Eq for Redaction {}

impl Default for Redaction {
    fn default() -> Redaction {
        Redaction::with_words(DEFAULT_SECRET_WORDS.iter().map(|word| (*word).to_owned()).collect(), true)
    }
}

impl Redaction {
    /// Masks nothing.
    pub fn none() -> Redaction {
        Redaction::with_words(Vec::new(), false)
    }

    fn with_words(words: Vec<String>, mask_credential_values: bool) -> Redaction {
        Redaction { words, mask_credential_values, verdicts: Arc::default() }
    }

    /// Also masks keys with this word (matched without case, separators removed).
    #[must_use]
    pub fn with_word(mut self, word: &str) -> Redaction {
        let normalized: String = word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        if !normalized.is_empty() && !self.words.contains(&normalized) {
            self.words.push(normalized);
        }
        // Verdicts of the old list are not verdicts of the new one.
        self.verdicts = Arc::default();
        self
    }

    /// Whether nothing is ever masked.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && !self.mask_credential_values
    }

    /// Whether values under `key` are masked. Allocation-free: it runs for every
    /// attribute of every exported span.
    pub fn is_secret(&self, key: &str) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let mut previous: Option<&str> = None;
        let mut secret = false;
        for_each_word(key, |word| {
            secret = self.ends_with_secret(word, previous);
            previous = Some(word);
            secret
        });
        secret
    }

    /// Whether `word`, or `previous` and `word` written together, ends with a secret word.
    fn ends_with_secret(&self, word: &str, previous: Option<&str>) -> bool {
        self.words.iter().any(|secret| {
            if ends_with_ignoring_case(word, secret) {
                return true;
            }
            let Some(previous) = previous else {
                return false;
            };
            // previous + word ends with the secret when the secret ends with the whole
            // word and its remaining head ends `previous`.
            let Some(head) = secret.len().checked_sub(word.len()).and_then(|cut| secret.get(..cut)) else {
                return false;
            };
            !head.is_empty() && ends_with_ignoring_case(secret, word) && ends_with_ignoring_case(previous, head)
        })
    }

    fn is_credential_value(&self, value: &Value) -> bool {
        let Value::String(text) = value else {
            return false;
        };
        self.mask_credential_values && starts_with_credential_scheme(text)
    }

    /// `is_secret`, remembered per key.
    fn is_secret_remembered(&self, verdicts: &mut Verdicts, key: &Str) -> bool {
        if let Some(verdict) = verdicts.get(key.as_str()) {
            return *verdict;
        }
        let verdict = self.is_secret(key);
        if verdicts.len() >= MAX_REMEMBERED_KEYS {
            verdicts.clear();
        }
        verdicts.insert(key.clone(), verdict);
        verdict
    }

    /// Masks the secret attributes of a list.
    pub fn apply(&self, attributes: &mut [KeyValue]) {
        if self.is_empty() || attributes.is_empty() {
            return;
        }
        let mut verdicts = self.verdicts.lock().unwrap_or_else(PoisonError::into_inner);
        self.apply_with(&mut verdicts, attributes);
    }

    fn apply_with(&self, verdicts: &mut Verdicts, attributes: &mut [KeyValue]) {
        for attribute in attributes {
            let secret = !self.words.is_empty() && self.is_secret_remembered(verdicts, &attribute.key);
            if secret || self.is_credential_value(&attribute.value) {
                attribute.value = Value::String(Str::from_static(REDACTED));
            }
        }
    }

    /// Masks the secret attributes of a span, its events and its links.
    pub fn apply_to_span(&self, span: &mut SpanData) {
        self.apply_to_batch(std::slice::from_mut(span), &mut []);
    }

    /// Masks the secret attributes of a trace-level event.
    pub fn apply_to_event(&self, event: &mut TraceEvent) {
        self.apply(&mut event.attributes);
    }

    /// Masks the secret attributes of whole lists of spans (with their events and links)
    /// and trace-level events, taking the verdict memory's lock once.
    pub fn apply_to_batch(&self, spans: &mut [SpanData], events: &mut [TraceEvent]) {
        if self.is_empty() {
            return;
        }
        let mut verdicts = self.verdicts.lock().unwrap_or_else(PoisonError::into_inner);
        for span in spans {
            self.apply_with(&mut verdicts, &mut span.attributes);
            for event in &mut span.events {
                self.apply_with(&mut verdicts, &mut event.attributes);
            }
            for link in &mut span.links {
                self.apply_with(&mut verdicts, &mut link.attributes);
            }
        }
        for event in events {
            self.apply_with(&mut verdicts, &mut event.attributes);
        }
    }
}

fn starts_with_credential_scheme(text: &str) -> bool {
    // A scheme followed by one credential-like token: eight or more characters, no spaces.
    ["bearer ", "basic "].iter().any(|scheme| {
        let Some(rest) = text.get(scheme.len()..) else {
            return false;
        };
        text[..scheme.len()].eq_ignore_ascii_case(scheme) && rest.len() >= 8 && !rest.contains(char::is_whitespace)
    })
}

fn ends_with_ignoring_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len() && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Calls `visit` with each word of `key` until it returns true. Words are split at
/// anything that is not a letter or digit and before an uppercase letter that follows a
/// lowercase letter or digit (`csrfToken` is `csrf`, `Token`).
fn for_each_word<'a>(key: &'a str, mut visit: impl FnMut(&'a str) -> bool) {
    let mut start: Option<usize> = None;
    let mut previous_lower = false;
    for (index, character) in key.char_indices() {
        if !character.is_alphanumeric() {
            if let Some(begin) = start.take() {
                if visit(&key[begin..index]) {
                    return;
                }
            }
            previous_lower = false;
            continue;
        }
        if character.is_uppercase() && previous_lower {
            if let Some(begin) = start.take() {
                if visit(&key[begin..index]) {
                    return;
                }
            }
        }
        start.get_or_insert(index);
        previous_lower = character.is_lowercase() || character.is_numeric();
    }
    if let Some(begin) = start {
        visit(&key[begin..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_found_in_every_spelling() {
        let redaction = Redaction::default();
        for key in [
            "password",
            "db.password",
            "PASSWORD",
            "access_token",
            "csrfToken",
            "x-api-key",
            "apiKey",
            "api_key",
            "http.request.header.authorization",
            "http.request.header.cookie",
            "set-cookie",
            "client_secret",
            "aws.credentials",
            "private-key",
        ] {
            assert!(redaction.is_secret(key), "{key} should be secret");
        }
        for key in ["gen_ai.usage.input_tokens", "author", "user.id", "http.method", "keyboard"] {
            assert!(!redaction.is_secret(key), "{key} should not be secret");
        }
    }

    #[test]
    fn credential_values_are_masked_under_any_key() {
        let redaction = Redaction::default();
        let mut attributes = vec![
            KeyValue::new("header", "Bearer abc.def.ghi"),
            KeyValue::new("note", "basic idea, nothing secret"),
            KeyValue::new("basic", "Basic dXNlcjpwYXNz"),
            KeyValue::new("note2", "Basic"),
            KeyValue::new("token", 42),
        ];
        redaction.apply(&mut attributes);
        assert_eq!(attributes[0].value, Value::from(REDACTED));
        assert_eq!(attributes[1].value, Value::from("basic idea, nothing secret"));
        assert_eq!(attributes[2].value, Value::from(REDACTED));
        assert_eq!(attributes[3].value, Value::from("Basic"));
        assert_eq!(attributes[4].value, Value::from(REDACTED));
    }
}
