//! Sampling: which spans are recorded and exported.
//!
//! A [`Sampler`] decides once, when a span starts. The built-in samplers are variants of
//! one enum so that the common decision is a branch, not a virtual call; anything else
//! implements [`ShouldSample`] and goes in [`Sampler::custom`].
//!
//! - [`Sampler::AlwaysOn`] and [`Sampler::AlwaysOff`].
//! - [`Sampler::trace_id_ratio`]: deterministic on the trace id, following OpenTelemetry's
//!   consistent-probability rule: the trace id's low 56 bits are compared with a threshold,
//!   so every process that sees a trace makes the same decision and a higher ratio samples
//!   a superset of what a lower one does.
//! - [`Sampler::counter_ratio`]: exactly one in every `1/ratio` spans, by a counter.
//! - [`Sampler::parent_based`]: follows the parent's decision; a root asks its own sampler.
//! - [`Sampler::rate_limited`]: at most N spans per second (a token bucket).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context::SpanContext;
use crate::data::SpanKind;
use crate::id::TraceId;

/// What the sampler is told about the span that is starting.
#[derive(Debug)]
#[non_exhaustive]
pub struct SamplingParams<'a> {
    /// The parent's context, if the span has a parent.
    pub parent: Option<&'a SpanContext>,
    /// The trace id the span will have.
    pub trace_id: TraceId,
    /// The span's name.
    pub name: &'a str,
    /// The span's kind.
    pub kind: SpanKind,
}

impl<'a> SamplingParams<'a> {
    /// What a sampler is asked about a span; for testing custom samplers.
    pub fn new(
        parent: Option<&'a SpanContext>,
        trace_id: TraceId,
        name: &'a str,
        kind: SpanKind,
    ) -> SamplingParams<'a> {
        SamplingParams { parent, trace_id, name, kind }
    }
}

/// The outcome of sampling one span.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SamplingDecision {
    /// Record nothing, export nothing; context still propagates (unsampled).
    Drop,
    /// Record the span in process but do not export it and leave the sampled flag clear.
    RecordOnly,
    /// Record and export; the sampled flag is set.
    RecordAndSample,
}

impl SamplingDecision {
    fn from_flag(sampled: bool) -> SamplingDecision {
        if sampled { SamplingDecision::RecordAndSample } else { SamplingDecision::Drop }
    }
}

/// A sampler of the application's own.
///
/// ```
/// use clew::{SamplingDecision, SamplingParams, ShouldSample};
/// #[derive(Debug)]
/// struct OnlyCheckout;
/// impl ShouldSample for OnlyCheckout {
///     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
///         if params.name.starts_with("checkout") {
///             SamplingDecision::RecordAndSample
///         } else {
///             SamplingDecision::Drop
///         }
///     }
/// }
/// let sampler = clew::Sampler::custom(OnlyCheckout);
/// ```
pub trait ShouldSample: Send + Sync + fmt::Debug + 'static {
    /// Decides for one span.
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision;

    /// A short description, as OpenTelemetry's `GetDescription`.
    fn description(&self) -> String {
        format!("{self:?}")
    }
}

/// The sampling strategy of a tracer. The default is `parent_based(AlwaysOn)`, as in
/// OpenTelemetry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Sampler {
    /// Sample every span.
    AlwaysOn,
    /// Sample no span.
    AlwaysOff,
    /// Sample a fraction of traces, decided by the trace id.
    TraceIdRatio(TraceIdRatio),
    /// Sample a fraction of spans, decided by a counter.
    CounterRatio(Arc<CounterRatio>),
    /// Follow the parent; roots ask `root`.
    ParentBased(Box<ParentBased>),
    /// Sample at most a number of spans per second.
    RateLimited(Arc<RateLimited>),
    /// A sampler of the application's own.
    Custom(Arc<dyn ShouldSample>),
}

impl Default for Sampler {
    fn default() -> Sampler {
        Sampler::parent_based(Sampler::AlwaysOn)
    }
}

impl Sampler {
    /// Samples traces whose id falls under `ratio` (0.0 to 1.0; out-of-range values are
    /// clamped).
    ///
    /// ```
    /// let half = clew::Sampler::trace_id_ratio(0.5);
    /// ```
    pub fn trace_id_ratio(ratio: f64) -> Sampler {
        Sampler::TraceIdRatio(TraceIdRatio::new(ratio))
    }

    /// Samples `ratio` of all spans by counting: with 0.1, exactly one span in ten.
    /// Each span is counted on its own, so children may be kept without their parent:
    /// use `parent_based(counter_ratio(…))` to keep or drop whole traces.
    pub fn counter_ratio(ratio: f64) -> Sampler {
        Sampler::CounterRatio(Arc::new(CounterRatio::new(ratio)))
    }

    /// Follows the parent's sampled flag; spans without a parent ask `root`.
    pub fn parent_based(root: Sampler) -> Sampler {
        Sampler::ParentBased(Box::new(ParentBased::new(root)))
    }

    /// Samples at most `per_second` spans each second; the rest are dropped. As with
    /// `counter_ratio`, wrap it in `parent_based` to decide per trace.
    pub fn rate_limited(per_second: f64) -> Sampler {
        Sampler::RateLimited(Arc::new(RateLimited::new(per_second)))
    }

    /// A sampler of the application's own.
    pub fn custom(sampler: impl ShouldSample) -> Sampler {
        Sampler::Custom(Arc::new(sampler))
    }

    /// Decides for one span.
    #[inline]
    pub fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        match self {
            Sampler::AlwaysOn => SamplingDecision::RecordAndSample,
            Sampler::AlwaysOff => SamplingDecision::Drop,
            Sampler::TraceIdRatio(ratio) => SamplingDecision::from_flag(ratio.samples(params.trace_id)),
            Sampler::CounterRatio(counter) => SamplingDecision::from_flag(counter.next()),
            Sampler::ParentBased(parent_based) => parent_based.should_sample(params),
            Sampler::RateLimited(limiter) => SamplingDecision::from_flag(limiter.try_acquire()),
            Sampler::Custom(custom) => custom.should_sample(params),
        }
    }

    /// Whether this sampler certainly drops a span whose parent is (remote, sampled), or
    /// that has no parent, whatever its ids and name: the unsampled fast path.
    #[inline]
    pub(crate) fn drops_without_ids(&self, parent: Option<(bool, bool)>) -> bool {
        match (self, parent) {
            (Sampler::AlwaysOff, _) => true,
            (Sampler::ParentBased(parent_based), None) => matches!(parent_based.root, Sampler::AlwaysOff),
            (Sampler::ParentBased(parent_based), Some((is_remote, is_sampled))) => {
                matches!(parent_based.delegate_for(is_remote, is_sampled), Sampler::AlwaysOff)
            }
            _ => false,
        }
    }

    /// Whether decisions depend on the trace id, so a new root's id must be made first.
    #[inline]
    pub(crate) fn reads_trace_id(&self) -> bool {
        match self {
            Sampler::AlwaysOn | Sampler::AlwaysOff | Sampler::CounterRatio(_) | Sampler::RateLimited(_) => false,
            Sampler::TraceIdRatio(_) | Sampler::Custom(_) => true,
            Sampler::ParentBased(parent_based) => parent_based.root.reads_trace_id(),
        }
    }

    /// A description in OpenTelemetry's style, e.g. `ParentBased{root:AlwaysOnSampler}`.
    pub fn description(&self) -> String {
        match self {
            Sampler::AlwaysOn => "AlwaysOnSampler".to_owned(),
            Sampler::AlwaysOff => "AlwaysOffSampler".to_owned(),
            Sampler::TraceIdRatio(ratio) => format!("TraceIdRatioBased{{{}}}", ratio.ratio),
            Sampler::CounterRatio(counter) => format!("CounterRatio{{{}}}", counter.ratio),
            Sampler::ParentBased(parent_based) => {
                format!("ParentBased{{root:{}}}", parent_based.root.description())
            }
            Sampler::RateLimited(limiter) => format!("RateLimited{{{}/s}}", limiter.per_second),
            Sampler::Custom(custom) => custom.description(),
        }
    }
}

fn clamp_ratio(ratio: f64) -> f64 {
    if ratio.is_nan() { 0.0 } else { ratio.clamp(0.0, 1.0) }
}

/// Deterministic sampling on the trace id (OpenTelemetry `TraceIdRatioBased`).
#[derive(Clone, Copy, Debug)]
pub struct TraceIdRatio {
    ratio: f64,
    /// Sample when the id's low 56 bits are at least this. 2^56 means "never".
    threshold: u64,
}

const RANDOMNESS_BITS: u32 = 56;
const RANDOMNESS_RANGE: u64 = 1 << RANDOMNESS_BITS;

impl TraceIdRatio {
    /// A sampler for `ratio` (clamped to 0.0..=1.0).
    pub fn new(ratio: f64) -> TraceIdRatio {
        let ratio = clamp_ratio(ratio);
        // Rejection threshold of the consistent-probability spec: (1 - ratio) * 2^56.
        let rejected = ((1.0 - ratio) * RANDOMNESS_RANGE as f64).round() as u64;
        TraceIdRatio { ratio, threshold: rejected.min(RANDOMNESS_RANGE) }
    }

    /// The ratio.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// Whether a trace with this id is sampled.
    #[inline]
    pub fn samples(&self, trace_id: TraceId) -> bool {
        let randomness = (trace_id.to_u128() as u64) & (RANDOMNESS_RANGE - 1);
        randomness >= self.threshold
    }
}

/// Samples one span in every `1/ratio`, by an atomic counter.
#[derive(Debug)]
pub struct CounterRatio {
    ratio: f64,
    count: AtomicU64,
}

impl CounterRatio {
    /// A sampler for `ratio` (clamped to 0.0..=1.0).
    pub fn new(ratio: f64) -> CounterRatio {
        CounterRatio { ratio: clamp_ratio(ratio), count: AtomicU64::new(0) }
    }

    fn next(&self) -> bool {
        let seen = self.count.fetch_add(1, Ordering::Relaxed);
        // Sample whenever the running total `seen * ratio` crosses an integer.
        let before = (seen as f64 * self.ratio).floor();
        let after = ((seen + 1) as f64 * self.ratio).floor();
        after > before
    }
}

/// Follows the parent's decision; see [`Sampler::parent_based`].
#[derive(Clone, Debug)]
pub struct ParentBased {
    root: Sampler,
    remote_parent_sampled: Sampler,
    remote_parent_not_sampled: Sampler,
    local_parent_sampled: Sampler,
    local_parent_not_sampled: Sampler,
}

impl ParentBased {
    /// Roots ask `root`; children follow their parent's sampled flag.
    pub fn new(root: Sampler) -> ParentBased {
        ParentBased {
            root,
            remote_parent_sampled: Sampler::AlwaysOn,
            remote_parent_not_sampled: Sampler::AlwaysOff,
            local_parent_sampled: Sampler::AlwaysOn,
            local_parent_not_sampled: Sampler::AlwaysOff,
        }
    }

    /// The sampler for children of a sampled remote parent (default: always on).
    #[must_use]
    pub fn with_remote_parent_sampled(mut self, sampler: Sampler) -> ParentBased {
        self.remote_parent_sampled = sampler;
        self
    }

    /// The sampler for children of an unsampled remote parent (default: always off).
    #[must_use]
    pub fn with_remote_parent_not_sampled(mut self, sampler: Sampler) -> ParentBased {
        self.remote_parent_not_sampled = sampler;
        self
    }

    /// The sampler for children of a sampled local parent (default: always on).
    #[must_use]
    pub fn with_local_parent_sampled(mut self, sampler: Sampler) -> ParentBased {
        self.local_parent_sampled = sampler;
        self
    }

    /// The sampler for children of an unsampled local parent (default: always off).
    #[must_use]
    pub fn with_local_parent_not_sampled(mut self, sampler: Sampler) -> ParentBased {
        self.local_parent_not_sampled = sampler;
        self
    }

    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        let Some(parent) = params.parent else {
            return self.root.should_sample(params);
        };
        self.delegate(parent).should_sample(params)
    }

    /// The sampler that decides for children of `parent`.
    #[inline]
    fn delegate(&self, parent: &SpanContext) -> &Sampler {
        self.delegate_for(parent.is_remote(), parent.is_sampled())
    }

    /// The sampler that decides for children of a parent that is (or not) remote and sampled.
    #[inline]
    fn delegate_for(&self, is_remote: bool, is_sampled: bool) -> &Sampler {
        match (is_remote, is_sampled) {
            (true, true) => &self.remote_parent_sampled,
            (true, false) => &self.remote_parent_not_sampled,
            (false, true) => &self.local_parent_sampled,
            (false, false) => &self.local_parent_not_sampled,
        }
    }
}

impl From<ParentBased> for Sampler {
    fn from(parent_based: ParentBased) -> Sampler {
        Sampler::ParentBased(Box::new(parent_based))
    }
}

/// A token bucket that refills `per_second` tokens a second, holding at most one
/// second's worth, and starting full. All state is one atomic word: the time (in nanoseconds since the
/// limiter was made) at which the bucket would be empty.
#[derive(Debug)]
pub struct RateLimited {
    per_second: f64,
    nanos_per_token: u64,
    burst_nanos: u64,
    empty_at: AtomicU64,
    origin: std::time::Instant,
}

impl RateLimited {
    /// At most `per_second` spans a second (0 samples nothing).
    pub fn new(per_second: f64) -> RateLimited {
        let per_second = if per_second.is_finite() && per_second > 0.0 { per_second } else { 0.0 };
        let nanos_per_token = if per_second > 0.0 { (1e9 / per_second).max(1.0) as u64 } else { u64::MAX };
        RateLimited {
            per_second,
            nanos_per_token,
            burst_nanos: 1_000_000_000,
            empty_at: AtomicU64::new(0),
            origin: std::time::Instant::now(),
        }
    }

    fn try_acquire(&self) -> bool {
        if self.nanos_per_token == u64::MAX {
            return false;
        }
        // Time is counted from one burst before the limiter was made, so a new bucket
        // starts full.
        let elapsed = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let now = elapsed.saturating_add(self.burst_nanos);
        let mut empty_at = self.empty_at.load(Ordering::Relaxed);
        loop {
            // A bucket never holds more than `burst_nanos` worth of tokens.
            let base = empty_at.max(now.saturating_sub(self.burst_nanos));
            if base > now {
                return false;
            }
            let next = base.saturating_add(self.nanos_per_token);
            match self.empty_at.compare_exchange_weak(empty_at, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(actual) => empty_at = actual,
            }
        }
    }
}
