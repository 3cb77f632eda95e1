//! Redaction of secret-looking attributes before export.
//!
//! A key is secret when one of its words, or two neighbouring words written together,
//! ends with a secret word. Words are split at anything that is not a letter or digit and
//! at lower-to-upper case changes, so `password`, `db.password`, `access_token`,
//! `csrfToken`, `x-api-key`, `apiKey` and `http.request.header.authorization` are all
//! secret, while `gen_ai.usage.input_tokens` and `author` are not. A string value that
//! is an HTTP credential (`Bearer …`, `Basic …` followed by one token) is masked whatever its key.
//! Masked values become the string `[REDACTED]`.

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redaction {
    words: Vec<String>,
    mask_credential_values: bool,
}

impl Default for Redaction {
    fn default() -> Redaction {
        Redaction {
            words: DEFAULT_SECRET_WORDS.iter().map(|word| (*word).to_owned()).collect(),
            mask_credential_values: true,
        }
    }
}

impl Redaction {
    /// Masks nothing.
    pub fn none() -> Redaction {
        Redaction { words: Vec::new(), mask_credential_values: false }
    }

    /// Also masks keys with this word (matched without case, separators removed).
    #[must_use]
    pub fn with_word(mut self, word: &str) -> Redaction {
        let normalized: String = word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        if !normalized.is_empty() && !self.words.contains(&normalized) {
            self.words.push(normalized);
        }
        self
    }

    /// Whether nothing is ever masked.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && !self.mask_credential_values
    }

    /// Whether values under `key` are masked.
    pub fn is_secret(&self, key: &str) -> bool {
        let words = split_words(key);
        let mut joined = String::new();
        for (index, word) in words.iter().enumerate() {
            if self.ends_with_secret(word) {
                return true;
            }
            if let Some(next) = words.get(index + 1) {
                joined.clear();
                joined.push_str(word);
                joined.push_str(next);
                if self.ends_with_secret(&joined) {
                    return true;
                }
            }
        }
        false
    }

    fn ends_with_secret(&self, word: &str) -> bool {
        self.words.iter().any(|secret| word.ends_with(secret.as_str()))
    }

    fn is_credential_value(&self, value: &Value) -> bool {
        let Value::String(text) = value else {
            return false;
        };
        self.mask_credential_values && starts_with_credential_scheme(text)
    }

    /// Masks the secret attributes of a list.
    pub fn apply(&self, attributes: &mut [KeyValue]) {
        for attribute in attributes {
            if self.is_secret(&attribute.key) || self.is_credential_value(&attribute.value) {
                attribute.value = Value::String(Str::from_static(REDACTED));
            }
        }
    }

    /// Masks the secret attributes of a span, its events and its links.
    pub fn apply_to_span(&self, span: &mut SpanData) {
        self.apply(&mut span.attributes);
        for event in &mut span.events {
            self.apply(&mut event.attributes);
        }
        for link in &mut span.links {
            self.apply(&mut link.attributes);
        }
    }

    /// Masks the secret attributes of a trace-level event.
    pub fn apply_to_event(&self, event: &mut TraceEvent) {
        self.apply(&mut event.attributes);
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

fn split_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in key.chars() {
        if !character.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if character.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = character.is_lowercase() || character.is_ascii_digit();
        current.extend(character.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
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
