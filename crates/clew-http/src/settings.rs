//! The tracer and propagator a layer or middleware uses: chosen in code, or the
//! process-wide ones, looked up at each request so that installing them after the layer
//! was built (with `clew::init`, say) still counts.

use std::fmt;
use std::sync::Arc;

use clew::Tracer;
use clew::propagation::{self, Propagator};

/// A tracer and a propagator, each either set or the process-wide one. Cheap to clone: a
/// service is cloned for every request by some frameworks.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    tracer: Option<Tracer>,
    propagator: Option<Arc<dyn Propagator>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Settings");
        match &self.tracer {
            Some(tracer) => debug.field("tracer", tracer),
            None => debug.field("tracer", &"process-wide"),
        };
        match &self.propagator {
            Some(propagator) => debug.field("propagator", propagator),
            None => debug.field("propagator", &"process-wide"),
        };
        debug.finish()
    }
}

impl Settings {
    pub(crate) fn set_tracer(&mut self, tracer: Tracer) {
        self.tracer = Some(tracer);
    }

    pub(crate) fn set_propagator(&mut self, propagator: Arc<dyn Propagator>) {
        self.propagator = Some(propagator);
    }

    /// The tracer set, or the process-wide one.
    pub(crate) fn tracer(&self) -> Tracer {
        self.tracer.unwrap_or_else(clew::global)
    }

    /// Runs `work` with the propagator set, or the process-wide one.
    pub(crate) fn with_propagator<R>(&self, work: impl FnOnce(&dyn Propagator) -> R) -> R {
        match &self.propagator {
            Some(propagator) => work(propagator.as_ref()),
            None => work(propagation::global().as_ref()),
        }
    }
}
