//! Audio and video: the attributes of media in a message, and the spans of processing
//! steps (`audio.{operation}`, `video.{operation}`) with their input and output sizes.
//!
//! ```
//! use clew::semconv::realtime::media;
//! let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
//! let mut span = media::audio_processing(tracer, "resample", 3200, 1600).start();
//! span.set_attributes(media::audio(16000, 1, 1600, "audio/x-raw", "pcm"));
//! span.end();
//! ```

use super::{
    AUDIO_CHANNELS, AUDIO_CODEC, AUDIO_DATA_SIZE, AUDIO_INPUT_SIZE, AUDIO_MEDIA_TYPE, AUDIO_OPERATION,
    AUDIO_OUTPUT_SIZE, AUDIO_SAMPLE_RATE, VIDEO_CODEC, VIDEO_DATA_SIZE, VIDEO_HEIGHT, VIDEO_INPUT_SIZE,
    VIDEO_MEDIA_TYPE, VIDEO_OPERATION, VIDEO_OUTPUT_SIZE, VIDEO_WIDTH,
};
use crate::span::SpanBuilder;
use crate::tracer::Tracer;
use crate::value::Str;

crate::semconv::attribute_set! {
    /// Audio in a message: [`audio`].
    AudioAttributes
}

crate::semconv::attribute_set! {
    /// Video in a message: [`video`].
    VideoAttributes
}

/// `audio.sample_rate`, `audio.channels`, `audio.data_size`, `audio.media_type`,
/// `audio.codec`.
///
/// ```
/// let audio = clew::semconv::realtime::media::audio(16000, 1, 3200, "audio/x-raw", "opus");
/// assert_eq!(audio.get("audio.data_size").and_then(clew::Value::as_i64), Some(3200));
/// ```
pub fn audio(
    sample_rate: u32,
    channels: u32,
    data_size: usize,
    media_type: impl Into<Str>,
    codec: impl Into<Str>,
) -> AudioAttributes {
    AudioAttributes::default()
        .set(AUDIO_SAMPLE_RATE, sample_rate)
        .set(AUDIO_CHANNELS, channels)
        .set(AUDIO_DATA_SIZE, data_size)
        .set(AUDIO_MEDIA_TYPE, media_type.into())
        .set(AUDIO_CODEC, codec.into())
}

/// `video.width`, `video.height`, `video.data_size`, `video.media_type`, `video.codec`.
///
/// ```
/// let video = clew::semconv::realtime::media::video(1280, 720, 50_000, "video/x-raw", "vp8");
/// assert_eq!(video.get("video.height").and_then(clew::Value::as_i64), Some(720));
/// ```
pub fn video(
    width: u32,
    height: u32,
    data_size: usize,
    media_type: impl Into<Str>,
    codec: impl Into<Str>,
) -> VideoAttributes {
    VideoAttributes::default()
        .set(VIDEO_WIDTH, width)
        .set(VIDEO_HEIGHT, height)
        .set(VIDEO_DATA_SIZE, data_size)
        .set(VIDEO_MEDIA_TYPE, media_type.into())
        .set(VIDEO_CODEC, codec.into())
}

/// The span of an audio processing step: `audio.{operation}` with `audio.operation`,
/// `audio.input_size` and `audio.output_size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::media::audio_processing(tracer, "encode", 3200, 400).start().end();
/// ```
pub fn audio_processing(tracer: Tracer, operation: &str, input_size: usize, output_size: usize) -> SpanBuilder {
    tracer
        .span(format!("audio.{operation}"))
        .attribute(AUDIO_OPERATION, operation.to_owned())
        .attribute(AUDIO_INPUT_SIZE, input_size)
        .attribute(AUDIO_OUTPUT_SIZE, output_size)
}

/// The span of a video processing step: `video.{operation}` with `video.operation`,
/// `video.input_size` and `video.output_size`.
///
/// ```
/// let tracer = clew::Tracer::builder().exporter(clew::NoneExporter).build();
/// clew::semconv::realtime::media::video_processing(tracer, "encode", 921_600, 40_000).start().end();
/// ```
pub fn video_processing(tracer: Tracer, operation: &str, input_size: usize, output_size: usize) -> SpanBuilder {
    tracer
        .span(format!("video.{operation}"))
        .attribute(VIDEO_OPERATION, operation.to_owned())
        .attribute(VIDEO_INPUT_SIZE, input_size)
        .attribute(VIDEO_OUTPUT_SIZE, output_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemoryExporter, Value};

    #[test]
    fn audio_and_video_sets_have_the_applications_names_in_order() {
        let audio = audio(48000, 2, 1920, "audio/x-raw", "opus");
        let keys: Vec<&str> = audio.as_slice().iter().map(|attribute| attribute.key.as_str()).collect();
        assert_eq!(keys, ["audio.sample_rate", "audio.channels", "audio.data_size", "audio.media_type", "audio.codec"]);
        assert_eq!(audio.get(AUDIO_SAMPLE_RATE), Some(&Value::I64(48000)));
        assert_eq!(audio.get(AUDIO_CODEC), Some(&Value::from("opus")));
        let video = video(640, 360, 100, "video/x-raw", "h264");
        assert_eq!(video.get(VIDEO_WIDTH), Some(&Value::I64(640)));
        assert_eq!(video.get(VIDEO_MEDIA_TYPE), Some(&Value::from("video/x-raw")));
    }

    #[test]
    fn processing_spans_are_named_after_the_operation() {
        let exporter = InMemoryExporter::new();
        let tracer = Tracer::builder().ignore_env().exporter(exporter.clone()).simple_export().build();
        audio_processing(tracer, "resample", 3200, 1600).start().end();
        video_processing(tracer, "scale", 10, 5).start().end();
        assert_eq!(
            exporter.tree(),
            "audio.resample {audio.operation=\"resample\", audio.input_size=3200, audio.output_size=1600}\n\
             video.scale {video.operation=\"scale\", video.input_size=10, video.output_size=5}\n"
        );
    }
}
