//! The embedded engine passes the cases every storage engine must pass
//! (`clew_store::conformance`): each case gets a store in a temporary directory of its own.

use std::path::Path;
use std::time::Duration;

use clew_store::conformance::Harness;
use clew_store_embedded::{EmbeddedStore, StoreConfig};
use tempfile::TempDir;

/// Opens [`EmbeddedStore`]s in a temporary directory, each new one in a directory of its
/// own; a restart closes the store and opens its directory again with the same settings.
struct EmbeddedHarness {
    dir: TempDir,
    stores: usize,
    config: StoreConfig,
}

impl EmbeddedHarness {
    fn new() -> EmbeddedHarness {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = StoreConfig::new(dir.path().join("store-0"));
        EmbeddedHarness { dir, stores: 0, config }
    }

    fn open_store(&self) -> EmbeddedStore {
        let (store, report) = EmbeddedStore::open(self.config.clone()).expect("the embedded store opens");
        assert!(
            report.damage.is_empty() && report.undecodable_records.is_empty() && report.unreadable_blocks.is_empty(),
            "opening {} found damage: {report:?}",
            self.data_dir().display()
        );
        store
    }

    fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    fn close(store: EmbeddedStore) {
        store.close().expect("the embedded store closes");
    }
}

impl Harness for EmbeddedHarness {
    type Store = EmbeddedStore;

    fn open(&mut self) -> EmbeddedStore {
        self.stores += 1;
        self.config = StoreConfig::new(self.dir.path().join(format!("store-{}", self.stores)));
        self.open_store()
    }

    fn reopen(&mut self, store: EmbeddedStore) -> EmbeddedStore {
        EmbeddedHarness::close(store);
        self.open_store()
    }

    fn apply_retention(&mut self, store: EmbeddedStore, retention: Duration) -> EmbeddedStore {
        EmbeddedHarness::close(store);
        self.config.retention = retention;
        let store = self.open_store();
        store.maintain().expect("compaction and retention run");
        store
    }
}

clew_store::conformance_tests!(EmbeddedHarness::new());
