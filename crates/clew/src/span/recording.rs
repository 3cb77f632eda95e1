//! What a recorded span holds while it runs, owned or shared with a `Trace`.

use std::sync::{Mutex, PoisonError};

use super::keys;
use crate::clock;
use crate::context::SpanContext;
use crate::data::{Event, Level, SpanData, Status};
use crate::limits;
use crate::tracer::Tracer;
use crate::value::{KeyValue, Str};

/// A span being recorded. The data sits in a box of its own, so the span handle stays
/// small to move; the thread that ends the span moves the data into its queue and frees
/// the box itself.
pub(crate) struct Recording {
    pub(super) tracer: Tracer,
    pub(super) data: Box<SpanData>,
    /// Exported when it ends (false for "record only" decisions).
    pub(super) sampled: bool,
}

impl Recording {
    #[inline]
    pub(super) fn set_attribute(&mut self, attribute: KeyValue) {
        if self.data.attributes.capacity() == 0 {
            self.data.attributes = crate::recycle::attribute_list();
        }
        let limits = &self.tracer.inner.limits;
        limits::upsert(
            &mut self.data.attributes,
            &mut self.data.dropped_attributes_count,
            limits,
            limits.attribute_count,
            attribute,
        );
    }

    pub(super) fn add_event(
        &mut self,
        name: Str,
        level: Option<Level>,
        attributes: impl IntoIterator<Item = KeyValue>,
        time: u64,
    ) {
        let limits = &self.tracer.inner.limits;
        if self.data.events.len() >= limits.event_count as usize {
            self.data.dropped_events_count = self.data.dropped_events_count.saturating_add(1);
            return;
        }
        let (attributes, dropped_attributes_count) = limits::collect(limits, limits.event_attribute_count, attributes);
        self.data.events.push(Event { name, time_unix_nano: time, level, attributes, dropped_attributes_count });
    }

    pub(super) fn set_status(&mut self, status: Status) {
        // OpenTelemetry: Unset never overrides, and Ok is final.
        match (&self.data.status, &status) {
            (_, Status::Unset) | (Status::Ok, _) => {}
            _ => self.data.status = status,
        }
    }

    pub(super) fn finish(mut self, end_time: Option<u64>) {
        if std::thread::panicking() && !self.data.status.is_error() {
            self.data.status = Status::error("panicked");
        }
        let end = end_time.unwrap_or_else(clock::now_unix_nanos);
        self.data.end_time_unix_nano = end.max(self.data.start_time_unix_nano);
        if self.sampled {
            self.tracer.inner.pipeline.push_span(self.data);
        }
    }
}

/// A span started from a [`Trace`](crate::Trace): shared with the trace so that
/// `Trace::end` can close it.
pub(crate) struct SharedSpan {
    pub(super) context: SpanContext,
    pub(super) recording: Mutex<Option<Recording>>,
}

impl SharedSpan {
    /// Whether the span has not ended yet.
    pub(crate) fn is_running(&self) -> bool {
        self.recording.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    /// Ends the span if it is still running, with `status` and a mark saying so.
    pub(crate) fn close(&self, status: &Status) {
        let taken = self.recording.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut recording) = taken {
            recording.set_attribute(KeyValue::new(keys::AUTO_CLOSED, true));
            recording.set_status(status.clone());
            recording.finish(None);
        }
    }
}
