//! Model calls of a voice agent: LLM requests and responses (`llm.*`), speech-to-text
//! (`stt.*`) and text-to-speech (`tts.*`) requests and responses.
//!
//! ```
//! use clew::semconv::{gen_ai, realtime::ai};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! // The application's names and OpenTelemetry's on the same span.
//! ai::llm_request(tracer, "gemini", "gemini-2.0-flash-exp")
//!     .attributes(gen_ai::chat(gen_ai::provider::GCP_GEMINI, "gemini-2.0-flash-exp"))
//!     .start()
//!     .end();
//! assert_eq!(exporter.spans()[0].attributes.len(), 5);
//! ```

use super::{AUDIO_SIZE, LLM_MODEL, LLM_PROVIDER, LLM_RESPONSE_TYPE, RESPONSE_DATA_SIZE, STT_PROVIDER, TEXT_LENGTH};
use super::{TTS_PROVIDER, TTS_VOICE};
use crate::span::SpanBuilder;
use crate::tracer::Tracer;
use crate::value::Str;

crate::semconv::attribute_set! {
    /// An LLM call's attributes: [`llm`].
    LlmAttributes
}

crate::semconv::attribute_set! {
    /// A speech call's attributes: [`stt`], [`tts`].
    SpeechAttributes
}

/// `llm.provider` and `llm.model`.
///
/// ```
/// let attributes = clew::semconv::realtime::ai::llm("gemini", "gemini-2.0-flash-exp");
/// assert_eq!(attributes.as_slice()[1].key, "llm.model");
/// ```
pub fn llm(provider: impl Into<Str>, model: impl Into<Str>) -> LlmAttributes {
    LlmAttributes::default().set(LLM_PROVIDER, provider.into()).set(LLM_MODEL, model.into())
}

impl LlmAttributes {
    /// `llm.response_type` and `response.data_size`.
    pub fn response(self, response_type: impl Into<Str>, data_size: usize) -> LlmAttributes {
        self.set(LLM_RESPONSE_TYPE, response_type.into()).set(RESPONSE_DATA_SIZE, data_size)
    }
}

/// `stt.provider`.
///
/// ```
/// let attributes = clew::semconv::realtime::ai::stt("azure").audio_size(32000);
/// assert_eq!(attributes.as_slice().len(), 2);
/// ```
pub fn stt(provider: impl Into<Str>) -> SpeechAttributes {
    SpeechAttributes::default().set(STT_PROVIDER, provider.into())
}

/// `tts.provider` and `tts.voice`.
///
/// ```
/// let attributes = clew::semconv::realtime::ai::tts("azure", "en-US-Neural").text_length(12);
/// assert_eq!(attributes.as_slice().len(), 3);
/// ```
pub fn tts(provider: impl Into<Str>, voice: impl Into<Str>) -> SpeechAttributes {
    SpeechAttributes::default().set(TTS_PROVIDER, provider.into()).set(TTS_VOICE, voice.into())
}

impl SpeechAttributes {
    /// `audio.size`: bytes of audio sent or received.
    pub fn audio_size(self, bytes: usize) -> SpeechAttributes {
        self.set(AUDIO_SIZE, bytes)
    }

    /// `text.length`: the length of the text sent or received.
    pub fn text_length(self, length: usize) -> SpeechAttributes {
        self.set(TEXT_LENGTH, length)
    }
}

/// `llm.request` with `llm.provider` and `llm.model`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::llm_request(tracer, "openai", "gpt-4o-realtime").start().end();
/// ```
pub fn llm_request(tracer: Tracer, provider: &str, model: &str) -> SpanBuilder {
    tracer.span("llm.request").attributes(llm(provider.to_owned(), model.to_owned()))
}

/// `llm.response` with `llm.provider`, `llm.model`, `llm.response_type` and
/// `response.data_size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::llm_response(tracer, "openai", "gpt-4o", "audio", 4800).start().end();
/// ```
pub fn llm_response(tracer: Tracer, provider: &str, model: &str, response_type: &str, data_size: usize) -> SpanBuilder {
    let attributes = llm(provider.to_owned(), model.to_owned()).response(response_type.to_owned(), data_size);
    tracer.span("llm.response").attributes(attributes)
}

/// `stt.request` with `stt.provider` and `audio.size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::stt_request(tracer, "azure", 32000).start().end();
/// ```
pub fn stt_request(tracer: Tracer, provider: &str, audio_size: usize) -> SpanBuilder {
    tracer.span("stt.request").attributes(stt(provider.to_owned()).audio_size(audio_size))
}

/// `stt.response` with `stt.provider` and `text.length` (the text itself is not recorded).
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::stt_response(tracer, "azure", "hello there").start().end();
/// ```
pub fn stt_response(tracer: Tracer, provider: &str, text: &str) -> SpanBuilder {
    tracer.span("stt.response").attributes(stt(provider.to_owned()).text_length(text.len()))
}

/// `tts.request` with `tts.provider`, `tts.voice` and `text.length` (the text itself is not
/// recorded).
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::tts_request(tracer, "azure", "en-US-Neural", "Hi!").start().end();
/// ```
pub fn tts_request(tracer: Tracer, provider: &str, voice: &str, text: &str) -> SpanBuilder {
    tracer.span("tts.request").attributes(tts(provider.to_owned(), voice.to_owned()).text_length(text.len()))
}

/// `tts.response` with `tts.provider` and `audio.size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::ai::tts_response(tracer, "azure", 48000).start().end();
/// ```
pub fn tts_response(tracer: Tracer, provider: &str, audio_size: usize) -> SpanBuilder {
    tracer
        .span("tts.response")
        .attributes(SpeechAttributes::default().set(TTS_PROVIDER, provider.to_owned()).audio_size(audio_size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InMemoryExporter;

    #[test]
    fn each_call_is_a_span_with_the_applications_names() {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
        tracer.in_span("turn", |_| {
            llm_request(tracer, "gemini", "flash").start().end();
            llm_response(tracer, "gemini", "flash", "text", 120).start().end();
            stt_request(tracer, "azure", 3200).start().end();
            stt_response(tracer, "azure", "hello").start().end();
            tts_request(tracer, "azure", "en-US-Neural", "hi there").start().end();
            tts_response(tracer, "azure", 9600).start().end();
        });
        assert_eq!(
            exporter.tree(),
            "turn
  llm.request {llm.provider=\"gemini\", llm.model=\"flash\"}
  llm.response {llm.provider=\"gemini\", llm.model=\"flash\", llm.response_type=\"text\", response.data_size=120}
  stt.request {stt.provider=\"azure\", audio.size=3200}
  stt.response {stt.provider=\"azure\", text.length=5}
  tts.request {tts.provider=\"azure\", tts.voice=\"en-US-Neural\", text.length=8}
  tts.response {tts.provider=\"azure\", audio.size=9600}
"
        );
    }
}
