//! A store that is still being opened: the server can listen while an engine replays its
//! log. Until [`OpeningStore::open`] hands it the engine, writes and queries wait for it
//! (the connection is accepted and the request answered once it is there), `/metrics`
//! shows no store counts, and `/readyz` answers 503 naming what the engine is doing.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use clew::TraceId;
use clew_store::{
    Dependency, ErrorGroup, ErrorQuery, Operation, OperationStats, OperationStatsQuery, SearchQuery, Store, StoreError,
    StoreStats, TimeRange, TraceData, TraceSummary, WriteBatch,
};

#[derive(Debug)]
enum State {
    Opening,
    Open(Arc<dyn Store>),
    Failed(String),
}

/// A store being opened; every call waits until it is open (or failed to open).
#[derive(Debug)]
pub struct OpeningStore {
    /// What the engine is doing meanwhile, for `/readyz`.
    doing: String,
    state: Mutex<State>,
    done: Condvar,
}

impl OpeningStore {
    /// A store that will be open when [`open`](OpeningStore::open) is called; `doing` says
    /// what happens meanwhile ("replaying the write-ahead log").
    pub fn new(doing: impl Into<String>) -> Arc<OpeningStore> {
        Arc::new(OpeningStore { doing: doing.into(), state: Mutex::new(State::Opening), done: Condvar::new() })
    }

    /// The engine is open: the calls waiting for it go on.
    pub fn open(&self, store: Arc<dyn Store>) {
        *self.lock() = State::Open(store);
        self.done.notify_all();
    }

    /// The engine could not be opened: the calls waiting for it fail with `reason`.
    pub fn fail(&self, reason: String) {
        *self.lock() = State::Failed(reason);
        self.done.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The engine, once it is open.
    fn store(&self) -> Result<Arc<dyn Store>, StoreError> {
        let mut state = self.lock();
        loop {
            match &*state {
                State::Open(store) => return Ok(Arc::clone(store)),
                State::Failed(reason) => {
                    return Err(StoreError::backend("opening the store", reason.clone()));
                }
                State::Opening => state = self.done.wait(state).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }

    /// The engine if it is open now.
    fn now(&self) -> Option<Arc<dyn Store>> {
        match &*self.lock() {
            State::Open(store) => Some(Arc::clone(store)),
            _ => None,
        }
    }
}

impl Store for OpeningStore {
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.store()?.write(batch)
    }

    fn trace(&self, trace_id: TraceId) -> Result<Option<TraceData>, StoreError> {
        self.store()?.trace(trace_id)
    }

    fn search(&self, query: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError> {
        self.store()?.search(query)
    }

    fn services(&self) -> Result<Vec<String>, StoreError> {
        self.store()?.services()
    }

    fn operations(&self, service: &str) -> Result<Vec<Operation>, StoreError> {
        self.store()?.operations(service)
    }

    fn dependencies(&self, range: TimeRange) -> Result<Vec<Dependency>, StoreError> {
        self.store()?.dependencies(range)
    }

    fn operation_stats(&self, query: &OperationStatsQuery) -> Result<OperationStats, StoreError> {
        self.store()?.operation_stats(query)
    }

    fn error_groups(&self, query: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError> {
        self.store()?.error_groups(query)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.store()?.flush()
    }

    fn close(&self) -> Result<(), StoreError> {
        match self.store() {
            Ok(store) => store.close(),
            // Nothing was opened, so nothing is to be closed.
            Err(_) => Ok(()),
        }
    }

    fn stats(&self) -> StoreStats {
        self.now().map(|store| store.stats()).unwrap_or_default()
    }

    fn unavailable(&self) -> Option<String> {
        self.now().and_then(|store| store.unavailable())
    }

    fn opening(&self) -> Option<String> {
        match &*self.lock() {
            State::Opening => Some(self.doing.clone()),
            State::Open(store) => store.opening(),
            State::Failed(reason) => Some(format!("the store could not be opened: {reason}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Empty;

    impl Store for Empty {
        fn write(&self, _: WriteBatch) -> Result<(), StoreError> {
            Ok(())
        }
        fn trace(&self, _: TraceId) -> Result<Option<TraceData>, StoreError> {
            Ok(None)
        }
        fn search(&self, _: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError> {
            Ok(Vec::new())
        }
        fn services(&self) -> Result<Vec<String>, StoreError> {
            Ok(vec!["checkout".into()])
        }
        fn operations(&self, _: &str) -> Result<Vec<Operation>, StoreError> {
            Ok(Vec::new())
        }
        fn dependencies(&self, _: TimeRange) -> Result<Vec<Dependency>, StoreError> {
            Ok(Vec::new())
        }
        fn operation_stats(&self, _: &OperationStatsQuery) -> Result<OperationStats, StoreError> {
            Err(StoreError::Closed)
        }
        fn error_groups(&self, _: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError> {
            Ok(Vec::new())
        }
        fn flush(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn close(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn stats(&self) -> StoreStats {
            let mut stats = StoreStats::default();
            stats.blocks = 7;
            stats
        }
    }

    #[test]
    fn calls_wait_until_the_store_is_open_and_readiness_names_what_it_waits_for() {
        let opening = OpeningStore::new("replaying the write-ahead log");
        assert_eq!(opening.opening().as_deref(), Some("replaying the write-ahead log"));
        assert_eq!(opening.unavailable(), None, "writes wait; they are not refused");
        assert_eq!(opening.stats(), StoreStats::default());
        let waiting = {
            let opening = Arc::clone(&opening);
            std::thread::spawn(move || opening.services())
        };
        opening.open(Arc::new(Empty));
        assert_eq!(waiting.join().unwrap().unwrap(), vec!["checkout".to_owned()]);
        assert_eq!(opening.opening(), None);
        assert_eq!(opening.stats().blocks, 7);
    }

    #[test]
    fn calls_fail_when_the_store_cannot_be_opened() {
        let opening = OpeningStore::new("replaying the write-ahead log");
        let waiting = {
            let opening = Arc::clone(&opening);
            std::thread::spawn(move || opening.write(WriteBatch::default()))
        };
        opening.fail("permission denied".into());
        let error = waiting.join().unwrap().unwrap_err();
        assert!(error.to_string().contains("permission denied"), "{error}");
        assert!(opening.opening().is_some_and(|reason| reason.contains("permission denied")));
        assert!(opening.close().is_ok());
    }
}
