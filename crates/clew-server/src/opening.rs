//! A store that is still being opened: the server can listen while an engine replays its
//! log. Until [`OpeningStore::open`] hands it the engine, writes and queries wait for it
//! (the connection is accepted and the request answered once it is there), `/metrics`
//! shows no store counts, and `/readyz` answers 503 naming what the engine is doing.

use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use clew::TraceId;
use clew_store::{
    Dependency, ErrorGroup, ErrorQuery, Operation, OperationStats, OperationStatsQuery, SearchQuery, Store, StoreError,
    StoreStats, TimeRange, TraceData, TraceSummary, WriteBatch,
};

/// A store being opened; every call waits until it is open (or failed to open).
#[derive(Debug)]
pub struct OpeningStore {
    /// What the engine is doing meanwhile, for `/readyz`.
    doing: String,
    /// The engine, or why it could not be opened: set once, then read without a lock, so
    /// that a call once open costs no more than a call to the engine.
    outcome: OnceLock<Result<Arc<dyn Store>, String>>,
    /// Only for waiting while it opens.
    waiting: Mutex<()>,
    done: Condvar,
}

impl OpeningStore {
    /// A store that will be open when [`open`](OpeningStore::open) is called; `doing` says
    /// what happens meanwhile ("replaying the write-ahead log").
    pub fn new(doing: impl Into<String>) -> Arc<OpeningStore> {
        Arc::new(OpeningStore {
            doing: doing.into(),
            outcome: OnceLock::new(),
            waiting: Mutex::new(()),
            done: Condvar::new(),
        })
    }

    /// The engine is open: the calls waiting for it go on.
    pub fn open(&self, store: Arc<dyn Store>) {
        self.settle(Ok(store));
    }

    /// The engine could not be opened: the calls waiting for it fail with `reason`.
    pub fn fail(&self, reason: String) {
        self.settle(Err(reason));
    }

    fn settle(&self, outcome: Result<Arc<dyn Store>, String>) {
        let _waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.outcome.set(outcome);
        self.done.notify_all();
    }

    /// The engine, once it is open.
    fn store(&self) -> Result<&Arc<dyn Store>, StoreError> {
        let outcome = match self.outcome.get() {
            Some(outcome) => outcome,
            None => {
                let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                loop {
                    if let Some(outcome) = self.outcome.get() {
                        break outcome;
                    }
                    waiting = self.done.wait(waiting).unwrap_or_else(PoisonError::into_inner);
                }
            }
        };
        outcome.as_ref().map_err(|reason| StoreError::backend("opening the store", reason.clone()))
    }

    /// The engine if it is open now.
    fn now(&self) -> Option<&Arc<dyn Store>> {
        self.outcome.get().and_then(|outcome| outcome.as_ref().ok())
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
        match self.outcome.get() {
            None => Some(self.doing.clone()),
            Some(Ok(store)) => store.opening(),
            Some(Err(reason)) => Some(format!("the store could not be opened: {reason}")),
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
