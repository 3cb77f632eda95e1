//! Realtime media pipelines: the attribute names and spans that voice and video agent
//! frameworks write (a pipeline of elements passing audio, video and text messages over
//! WebRTC or WebSocket connections, with LLM, speech-to-text and text-to-speech calls).
//!
//! These are not OpenTelemetry conventions but the names those applications already use,
//! kept exactly so that their dashboards keep working: `pipeline.name`, `session.id`,
//! `audio.sample_rate`, `connection.state`, `llm.provider`, `tts.voice` and so on. Each
//! area has attribute-set builders and functions that start the area's spans with the
//! usual names (`pipeline.{name}.push`, `connection.state_change`, `llm.request`,
//! `audio.{operation}`…) and return a [`SpanBuilder`](crate::SpanBuilder), to start or to
//! add to.
//!
//! ```
//! use clew::semconv::realtime::{ai, pipeline};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! pipeline::pipeline_start(tracer, "voice-agent").in_scope(|_| {
//!     ai::llm_request(tracer, "gemini", "gemini-2.0-flash-exp").start().end();
//! });
//! assert_eq!(exporter.tree(), "\
//! pipeline.voice-agent.start {pipeline.name=\"voice-agent\"}
//!   llm.request {llm.provider=\"gemini\", llm.model=\"gemini-2.0-flash-exp\"}
//! ");
//! ```
//!
//! A model call can carry both these names and the OpenTelemetry ones: add
//! [`gen_ai::chat`](super::gen_ai::chat) to an [`ai::llm_request`] span.

pub mod ai;
pub mod connection;
pub mod media;
pub mod pipeline;

/// The pipeline's name.
pub const PIPELINE_NAME: &str = "pipeline.name";
/// The element (stage) of the pipeline.
pub const PIPELINE_ELEMENT: &str = "pipeline.element";
/// The user session a message belongs to.
pub const SESSION_ID: &str = "session.id";
/// The kind of pipeline message (the application's integer code).
pub const MESSAGE_TYPE: &str = "message.type";

/// Audio sample rate in Hz (integer).
pub const AUDIO_SAMPLE_RATE: &str = "audio.sample_rate";
/// Audio channels (integer).
pub const AUDIO_CHANNELS: &str = "audio.channels";
/// Audio media type (`audio/x-raw`, `audio/opus`).
pub const AUDIO_MEDIA_TYPE: &str = "audio.media_type";
/// Audio codec (`opus`, `pcm`).
pub const AUDIO_CODEC: &str = "audio.codec";
/// Bytes of audio in a message (integer).
pub const AUDIO_DATA_SIZE: &str = "audio.data_size";
/// Bytes of audio sent to or returned by a speech service (integer).
pub const AUDIO_SIZE: &str = "audio.size";
/// The audio processing step (`resample`, `encode`, `vad`).
pub const AUDIO_OPERATION: &str = "audio.operation";
/// Bytes into an audio processing step (integer).
pub const AUDIO_INPUT_SIZE: &str = "audio.input_size";
/// Bytes out of an audio processing step (integer).
pub const AUDIO_OUTPUT_SIZE: &str = "audio.output_size";

/// Video width in pixels (integer).
pub const VIDEO_WIDTH: &str = "video.width";
/// Video height in pixels (integer).
pub const VIDEO_HEIGHT: &str = "video.height";
/// Video media type (`video/x-raw`, `video/vp8`).
pub const VIDEO_MEDIA_TYPE: &str = "video.media_type";
/// Video codec (`vp8`, `h264`).
pub const VIDEO_CODEC: &str = "video.codec";
/// Bytes of video in a message (integer).
pub const VIDEO_DATA_SIZE: &str = "video.data_size";
/// The video processing step (`encode`, `scale`).
pub const VIDEO_OPERATION: &str = "video.operation";
/// Bytes into a video processing step (integer).
pub const VIDEO_INPUT_SIZE: &str = "video.input_size";
/// Bytes out of a video processing step (integer).
pub const VIDEO_OUTPUT_SIZE: &str = "video.output_size";

/// Bytes of text in a message (integer).
pub const TEXT_DATA_SIZE: &str = "text.data_size";
/// Length of a text sent to text-to-speech or returned by speech-to-text (integer).
pub const TEXT_LENGTH: &str = "text.length";

/// The connection's id.
pub const CONNECTION_ID: &str = "connection.id";
/// The transport: `webrtc`, `websocket`.
pub const CONNECTION_TYPE: &str = "connection.type";
/// The state: `created`, `connected`, `active`, `error`, `closed`…
pub const CONNECTION_STATE: &str = "connection.state";
/// The state before a change.
pub const CONNECTION_OLD_STATE: &str = "connection.old_state";
/// `send` or `receive`.
pub const MESSAGE_DIRECTION: &str = "message.direction";
/// Bytes of a message sent or received (integer).
pub const MESSAGE_SIZE: &str = "message.size";

/// The LLM provider (`gemini`, `openai`).
pub const LLM_PROVIDER: &str = "llm.provider";
/// The LLM model.
pub const LLM_MODEL: &str = "llm.model";
/// The kind of LLM response (`text`, `audio`, `tool_call`).
pub const LLM_RESPONSE_TYPE: &str = "llm.response_type";
/// Bytes of an LLM response (integer).
pub const RESPONSE_DATA_SIZE: &str = "response.data_size";
/// The speech-to-text provider.
pub const STT_PROVIDER: &str = "stt.provider";
/// The text-to-speech provider.
pub const TTS_PROVIDER: &str = "tts.provider";
/// The text-to-speech voice.
pub const TTS_VOICE: &str = "tts.voice";

/// The class of error.
pub const ERROR_TYPE: &str = "error.type";
/// The error's message.
pub const ERROR_MESSAGE: &str = "error.message";

super::attribute_set! {
    /// An error's type and message: [`errors`].
    ErrorAttributes
}

/// `error.type` and `error.message`.
///
/// ```
/// let error = clew::semconv::realtime::errors("timeout", "no audio for 5 s");
/// assert_eq!(error.as_slice()[1].key, "error.message");
/// ```
pub fn errors(error_type: impl Into<crate::Str>, message: impl Into<crate::Str>) -> ErrorAttributes {
    ErrorAttributes::default().set(ERROR_TYPE, error_type.into()).set(ERROR_MESSAGE, message.into())
}
