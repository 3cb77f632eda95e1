//! Pipelines and their elements: `pipeline.*`, `session.id` and `message.type`, and the
//! spans of starting, stopping, pushing into, pulling from and processing in a pipeline.
//!
//! ```
//! use clew::semconv::realtime::{media, pipeline};
//!
//! let exporter = clew::InMemoryExporter::new();
//! let tracer = clew::Tracer::builder().exporter(exporter.clone()).simple_export().build();
//! let message = pipeline::Message::new("session-9", 1)
//!     .audio(media::audio(16000, 1, 3200, "audio/x-raw", "opus"));
//! pipeline::element_process(tracer, "vad", &message).start().end();
//! let span = &exporter.spans()[0];
//! assert_eq!(span.name, "element.vad.process");
//! assert_eq!(span.attribute("audio.sample_rate"), Some(&clew::Value::I64(16000)));
//! ```

use super::media::{AudioAttributes, VideoAttributes};
use super::{MESSAGE_TYPE, PIPELINE_ELEMENT, PIPELINE_NAME, SESSION_ID, TEXT_DATA_SIZE};
use crate::span::SpanBuilder;
use crate::tracer::Tracer;
use crate::value::{KeyValue, Str};

crate::semconv::attribute_set! {
    /// A pipeline's attributes: [`attributes`], [`session`].
    PipelineAttributes
}

/// `pipeline.name` and `pipeline.element`.
///
/// ```
/// let attributes = clew::semconv::realtime::pipeline::attributes("my-pipeline", "element-name");
/// assert_eq!(attributes.as_slice()[0].key, "pipeline.name");
/// ```
pub fn attributes(pipeline: impl Into<Str>, element: impl Into<Str>) -> PipelineAttributes {
    PipelineAttributes::default().set(PIPELINE_NAME, pipeline.into()).set(PIPELINE_ELEMENT, element.into())
}

/// `session.id` alone.
///
/// ```
/// let attributes = clew::semconv::realtime::pipeline::session("session-1");
/// assert_eq!(attributes.as_slice()[0].key, "session.id");
/// ```
pub fn session(session_id: impl Into<Str>) -> PipelineAttributes {
    PipelineAttributes::default().set(SESSION_ID, session_id.into())
}

impl PipelineAttributes {
    /// `session.id`.
    pub fn session_id(self, session_id: impl Into<Str>) -> PipelineAttributes {
        self.set(SESSION_ID, session_id.into())
    }

    /// `message.type`.
    pub fn message_type(self, message_type: i64) -> PipelineAttributes {
        self.set(MESSAGE_TYPE, message_type)
    }
}

/// What a message carries, for [`element_process`].
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// Nothing described.
    #[default]
    None,
    /// Audio, described by [`media::audio`](super::media::audio).
    Audio(AudioAttributes),
    /// Video, described by [`media::video`](super::media::video).
    Video(VideoAttributes),
    /// Text of this many bytes.
    Text {
        /// Bytes of text.
        data_size: usize,
    },
}

/// A pipeline message as the spans describe it: its session, its type code and payload.
///
/// ```
/// let message = clew::semconv::realtime::pipeline::Message::new("s-1", 3).text(42);
/// assert_eq!(message.message_type, 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The session.
    pub session_id: Str,
    /// The application's code for the kind of message.
    pub message_type: i64,
    /// What it carries.
    pub payload: Payload,
}

impl Message {
    /// A message of `session_id` with type code `message_type` and no payload described.
    pub fn new(session_id: impl Into<Str>, message_type: i64) -> Message {
        Message { session_id: session_id.into(), message_type, payload: Payload::None }
    }

    /// Carries audio.
    #[must_use]
    pub fn audio(mut self, audio: AudioAttributes) -> Message {
        self.payload = Payload::Audio(audio);
        self
    }

    /// Carries video.
    #[must_use]
    pub fn video(mut self, video: VideoAttributes) -> Message {
        self.payload = Payload::Video(video);
        self
    }

    /// Carries `data_size` bytes of text.
    #[must_use]
    pub fn text(mut self, data_size: usize) -> Message {
        self.payload = Payload::Text { data_size };
        self
    }

    fn payload_attributes(&self) -> Vec<KeyValue> {
        match &self.payload {
            Payload::None => Vec::new(),
            Payload::Audio(audio) => audio.clone().into_vec(),
            Payload::Video(video) => video.clone().into_vec(),
            Payload::Text { data_size } => vec![KeyValue::new(TEXT_DATA_SIZE, *data_size)],
        }
    }
}

/// The span of starting a pipeline: `pipeline.{name}.start` with `pipeline.name`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::pipeline::pipeline_start(tracer, "agent").start().end();
/// ```
pub fn pipeline_start(tracer: Tracer, pipeline: &str) -> SpanBuilder {
    tracer.span(format!("pipeline.{pipeline}.start")).attribute(PIPELINE_NAME, pipeline.to_owned())
}

/// The span of stopping a pipeline: `pipeline.{name}.stop` with `pipeline.name`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::pipeline::pipeline_stop(tracer, "agent").start().end();
/// ```
pub fn pipeline_stop(tracer: Tracer, pipeline: &str) -> SpanBuilder {
    tracer.span(format!("pipeline.{pipeline}.stop")).attribute(PIPELINE_NAME, pipeline.to_owned())
}

/// The span of starting an element: `element.{name}.start` with `pipeline.element`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::pipeline::element_start(tracer, "stt").start().end();
/// ```
pub fn element_start(tracer: Tracer, element: &str) -> SpanBuilder {
    tracer.span(format!("element.{element}.start")).attribute(PIPELINE_ELEMENT, element.to_owned())
}

/// The span of stopping an element: `element.{name}.stop` with `pipeline.element`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::pipeline::element_stop(tracer, "stt").start().end();
/// ```
pub fn element_stop(tracer: Tracer, element: &str) -> SpanBuilder {
    tracer.span(format!("element.{element}.stop")).attribute(PIPELINE_ELEMENT, element.to_owned())
}

/// The span of an element processing one message: `element.{name}.process` with
/// `pipeline.element`, `session.id`, `message.type` and the payload's attributes (audio,
/// video, or `text.data_size`).
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let message = clew::semconv::realtime::pipeline::Message::new("s-1", 2).text(5);
/// clew::semconv::realtime::pipeline::element_process(tracer, "llm", &message).start().end();
/// ```
pub fn element_process(tracer: Tracer, element: &str, message: &Message) -> SpanBuilder {
    tracer
        .span(format!("element.{element}.process"))
        .attribute(PIPELINE_ELEMENT, element.to_owned())
        .attribute(SESSION_ID, message.session_id.clone())
        .attribute(MESSAGE_TYPE, message.message_type)
        .attributes(message.payload_attributes())
}

/// The span of pushing a message into a pipeline: `pipeline.{name}.push` with
/// `pipeline.name`, `session.id` and `message.type`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// let message = clew::semconv::realtime::pipeline::Message::new("s-1", 1);
/// clew::semconv::realtime::pipeline::pipeline_push(tracer, "agent", &message).start().end();
/// ```
pub fn pipeline_push(tracer: Tracer, pipeline: &str, message: &Message) -> SpanBuilder {
    tracer
        .span(format!("pipeline.{pipeline}.push"))
        .attribute(PIPELINE_NAME, pipeline.to_owned())
        .attribute(SESSION_ID, message.session_id.clone())
        .attribute(MESSAGE_TYPE, message.message_type)
}

/// The span of pulling a message from a pipeline: `pipeline.{name}.pull` with
/// `pipeline.name`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::pipeline::pipeline_pull(tracer, "agent").start().end();
/// ```
pub fn pipeline_pull(tracer: Tracer, pipeline: &str) -> SpanBuilder {
    tracer.span(format!("pipeline.{pipeline}.pull")).attribute(PIPELINE_NAME, pipeline.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv::realtime::media;
    use crate::{InMemoryExporter, Value};

    fn recorded(build: impl FnOnce(Tracer) -> SpanBuilder) -> crate::SpanData {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
        build(tracer).start().end();
        exporter.spans().remove(0)
    }

    fn keys(span: &crate::SpanData) -> Vec<&str> {
        span.attributes.iter().map(|attribute| attribute.key.as_str()).collect()
    }

    #[test]
    fn the_attribute_sets_use_the_applications_names() {
        let attributes = attributes("p", "e").session_id("s").message_type(2);
        let names: Vec<&str> = attributes.as_slice().iter().map(|attribute| attribute.key.as_str()).collect();
        assert_eq!(names, ["pipeline.name", "pipeline.element", "session.id", "message.type"]);
        assert_eq!(attributes.get(MESSAGE_TYPE), Some(&Value::I64(2)));
        assert_eq!(session("s").into_vec(), vec![KeyValue::new("session.id", "s")]);
    }

    #[test]
    fn each_span_has_its_name_and_attributes() {
        let started = recorded(|tracer| pipeline_start(tracer, "agent"));
        assert_eq!((started.name.as_str(), keys(&started)), ("pipeline.agent.start", vec!["pipeline.name"]));
        let stopped = recorded(|tracer| pipeline_stop(tracer, "agent"));
        assert_eq!(stopped.name, "pipeline.agent.stop");
        let pulled = recorded(|tracer| pipeline_pull(tracer, "agent"));
        assert_eq!(pulled.name, "pipeline.agent.pull");
        let element = recorded(|tracer| element_start(tracer, "vad"));
        assert_eq!((element.name.as_str(), keys(&element)), ("element.vad.start", vec!["pipeline.element"]));
        assert_eq!(recorded(|tracer| element_stop(tracer, "vad")).name, "element.vad.stop");

        let message = Message::new("s-1", 4);
        let pushed = recorded(|tracer| pipeline_push(tracer, "agent", &message));
        assert_eq!(pushed.name, "pipeline.agent.push");
        assert_eq!(keys(&pushed), ["pipeline.name", "session.id", "message.type"]);
        assert_eq!(pushed.attribute(MESSAGE_TYPE), Some(&Value::I64(4)));
    }

    #[test]
    fn processing_describes_the_payload() {
        let video = Message::new("s", 2).video(media::video(640, 480, 9000, "video/x-raw", "vp8"));
        let span = recorded(|tracer| element_process(tracer, "enc", &video));
        assert_eq!(span.name, "element.enc.process");
        assert_eq!(
            keys(&span),
            [
                "pipeline.element",
                "session.id",
                "message.type",
                "video.width",
                "video.height",
                "video.data_size",
                "video.media_type",
                "video.codec"
            ]
        );
        let text = Message::new("s", 3).text(11);
        let span = recorded(|tracer| element_process(tracer, "llm", &text));
        assert_eq!(span.attribute(TEXT_DATA_SIZE), Some(&Value::I64(11)));
        let bare = recorded(|tracer| element_process(tracer, "llm", &Message::new("s", 0)));
        assert_eq!(bare.attributes.len(), 3);
    }
}
