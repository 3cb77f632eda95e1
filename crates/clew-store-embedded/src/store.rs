//! The embedded store: a write-ahead log, a head block in memory and Parquet blocks on disk,
//! all under one data directory.
//!
//! ```text
//! <data_dir>/wal/wal-00000000000000000007.log   segments of the write-ahead log
//! <data_dir>/blocks/<id>/                         immutable blocks (spans.parquet, records.parquet, meta.json)
//! ```
//!
//! A write is appended to the log, then added to the head; it is acknowledged after both.
//! A flusher thread writes the head out as a block when it reaches its size or age
//! threshold, then deletes the log segments the block made redundant. A compactor thread,
//! at a lower CPU priority, merges small blocks and deletes blocks past the retention; it
//! never holds up a flush.
//!
//! The crash rules: a block records the first log segment it does not cover
//! (`wal_through`), and opening the store deletes the segments below the highest such mark
//! before replaying the rest, so no span is both in a block and replayed. A compacted block
//! names its sources, and opening deletes sources that a crash left behind.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clew::TraceId;
use clew_store::aggregate::{
    ErrorGroup, ErrorGroupsBuilder, ErrorQuery, OperationStats, OperationStatsBuilder, OperationStatsQuery,
    PartialSummary,
};
use clew_store::model::{Dependency, Operation, SearchQuery, TraceData, TraceSummary, WriteBatch};
use clew_store::{Store, StoreError, StoreStats, TimeRange};

use crate::block::{Block, BlockOptions, Lineage};
use crate::dependencies::DependencyCount;
use crate::head::Head;
use crate::wal::{Damage, Wal, WalConfig, WalError};
use crate::{codec, io_error};

/// Settings of the embedded store. [`StoreConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// Where everything is kept.
    pub data_dir: PathBuf,
    /// The head is written out once it holds this many spans.
    pub head_max_spans: usize,
    /// … or about this many bytes.
    pub head_max_bytes: usize,
    /// … or its oldest span arrived this long ago.
    pub head_max_age: Duration,
    /// Blocks whose newest span ended longer ago than this are deleted.
    pub retention: Duration,
    /// Blocks of one level are compacted into one once there are this many.
    pub compaction_blocks: usize,
    /// A compacted block holds at most this many spans.
    pub compaction_max_spans: u64,
    /// A log segment is closed once it holds this many bytes.
    pub wal_segment_bytes: u64,
    /// The zstd level of blocks.
    pub zstd_level: i32,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// How often the background threads look for work.
    pub maintenance_interval: Duration,
    /// Writes are refused (busy) while the file system of the log has less free space
    /// than this, before it is full.
    pub min_free_disk_bytes: u64,
}

impl StoreConfig {
    /// The defaults, keeping data in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            head_max_spans: 1_000_000,
            head_max_bytes: 1 << 30,
            head_max_age: Duration::from_secs(120),
            retention: Duration::from_secs(7 * 24 * 3600),
            compaction_blocks: 4,
            compaction_max_spans: 20_000_000,
            wal_segment_bytes: 64 << 20,
            zstd_level: 3,
            row_group_rows: 8_192,
            maintenance_interval: Duration::from_secs(1),
            min_free_disk_bytes: 256 << 20,
        }
    }

    fn blocks_dir(&self) -> PathBuf {
        self.data_dir.join("blocks")
    }

    fn wal_dir(&self) -> PathBuf {
        self.data_dir.join("wal")
    }

    fn block_options(&self) -> BlockOptions {
        BlockOptions { zstd_level: self.zstd_level, row_group_rows: self.row_group_rows.max(1) }
    }
}

/// What opening the store found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct OpenReport {
    /// Blocks opened.
    pub blocks: usize,
    /// Log records replayed into the head.
    pub replayed_records: usize,
    /// Spans replayed into the head.
    pub replayed_spans: usize,
    /// Torn or damaged log data that was cut off (a torn tail after a crash is expected).
    pub damage: Vec<Damage>,
    /// Log records that passed their checksum but could not be decoded, with the reason.
    pub undecodable_records: Vec<String>,
    /// Block directories that could not be opened, and why; they are left in place and
    /// not read.
    pub unreadable_blocks: Vec<(PathBuf, String)>,
}

/// The embedded store. Dropping it stops the background threads without writing the head
/// out (the log keeps it); [`EmbeddedStore::close`] writes it out first.
#[derive(Debug)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
    /// The flusher and the compactor.
    workers: Mutex<Vec<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Inner {
    config: StoreConfig,
    wal: Wal,
    /// Writers hold it shared across log append and head insert; the flush holds it
    /// exclusively to rotate the log and swap the head, so that every record of the old
    /// segments is in the old head.
    gate: RwLock<()>,
    head: RwLock<Head>,
    /// A head being written out, still answering queries, with its log mark: the first
    /// segment that holds none of its records.
    flushing: RwLock<Option<(Arc<Head>, u64)>>,
    /// Blocks, oldest first.
    blocks: RwLock<Vec<Arc<Block>>>,
    /// Blocks replaced or expired, deleted once no query holds them.
    retired: Mutex<Vec<Arc<Block>>>,
    /// One flush at a time.
    flush_lock: Mutex<()>,
    /// One compaction or expiry at a time; a flush goes on meanwhile.
    compaction_lock: Mutex<()>,
    wake: Condvar,
    worker_state: Mutex<WorkerState>,
    next_block: AtomicU64,
    counters: Counters,
    last_error: Mutex<Option<String>>,
}

#[derive(Debug, Default)]
struct WorkerState {
    stop: bool,
    flush_wanted: bool,
}

#[derive(Debug, Default)]
struct Counters {
    spans_written: AtomicU64,
    records_written: AtomicU64,
    flushes: AtomicU64,
    compactions: AtomicU64,
    blocks_expired: AtomicU64,
    writes_refused: AtomicU64,
    maintenance_errors: AtomicU64,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_unix_nano() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(0))
}

impl EmbeddedStore {
    /// Opens the store in `config.data_dir` (created if missing): opens the blocks, replays
    /// the log into the head and starts the background threads.
    pub fn open(config: StoreConfig) -> Result<(EmbeddedStore, OpenReport), StoreError> {
        let mut report = OpenReport::default();
        let blocks_dir = config.blocks_dir();
        fs::create_dir_all(&blocks_dir).map_err(io_error(&blocks_dir))?;
        crate::block::remove_temporaries(&blocks_dir)?;
        let mut blocks = open_blocks(&blocks_dir, &mut report)?;
        let wal_through = blocks.iter().map(|block| block.meta().wal_through).max().unwrap_or(0);
        let wal_config = WalConfig::new(config.wal_dir())
            .with_segment_bytes(config.wal_segment_bytes)
            .with_discard_before(wal_through);
        let (wal, recovered) = Wal::open(wal_config)?;
        report.damage = recovered.damage;
        let mut head = Head::default();
        for record in &recovered.records {
            match codec::decode(record) {
                Ok(batch) => {
                    report.replayed_records += 1;
                    report.replayed_spans += batch.span_count();
                    head.insert(batch);
                }
                Err(reason) => report.undecodable_records.push(reason),
            }
        }
        blocks.sort_by_key(|block| block.meta().min_start_unix_nano);
        report.blocks = blocks.len();
        let inner = Arc::new(Inner {
            wal,
            gate: RwLock::new(()),
            head: RwLock::new(head),
            flushing: RwLock::new(None),
            blocks: RwLock::new(blocks),
            retired: Mutex::new(Vec::new()),
            flush_lock: Mutex::new(()),
            compaction_lock: Mutex::new(()),
            wake: Condvar::new(),
            worker_state: Mutex::new(WorkerState::default()),
            next_block: AtomicU64::new(0),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            config,
        });
        let mut workers = Vec::new();
        for (name, work) in
            [("clew-store-flush", Inner::run_flusher as fn(&Inner)), ("clew-store-compact", Inner::run_compactor)]
        {
            let inner = Arc::clone(&inner);
            let worker = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || work(&inner))
                .map_err(io_error(&blocks_dir))?;
            workers.push(worker);
        }
        Ok((EmbeddedStore { inner, workers: Mutex::new(workers) }, report))
    }

    /// Stops the background threads and writes the head out as a block.
    pub fn close(&self) -> Result<(), StoreError> {
        self.stop_worker();
        self.inner.flush()
    }

    /// Runs the background work now: probes a broken log for room, compacts until no level
    /// has enough blocks, then deletes blocks past the retention and retired blocks no
    /// query holds.
    pub fn maintain(&self) -> Result<(), StoreError> {
        self.inner.wal.retry();
        while self.inner.compact()? {}
        self.inner.expire()
    }

    /// The settings the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    fn stop_worker(&self) {
        lock(&self.inner.worker_state).stop = true;
        self.inner.wake.notify_all();
        for worker in std::mem::take(&mut *lock(&self.workers)) {
            let _ = worker.join();
        }
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

fn open_blocks(blocks_dir: &Path, report: &mut OpenReport) -> Result<Vec<Arc<Block>>, StoreError> {
    let mut blocks = Vec::new();
    for entry in fs::read_dir(blocks_dir).map_err(io_error(blocks_dir))? {
        let entry = entry.map_err(io_error(blocks_dir))?;
        let path = entry.path();
        if !path.is_dir() || entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match Block::open(&path) {
            Ok(block) => blocks.push(block),
            Err(error) => report.unreadable_blocks.push((path, error.to_string())),
        }
    }
    // A compaction that crashed before deleting its sources left them beside its result.
    let replaced: BTreeSet<String> = blocks.iter().flat_map(|block| block.meta().sources.iter().cloned()).collect();
    let mut kept = Vec::with_capacity(blocks.len());
    for block in blocks {
        if replaced.contains(&block.meta().id) {
            block.delete()?;
        } else {
            kept.push(Arc::new(block));
        }
    }
    Ok(kept)
}

impl Store for EmbeddedStore {
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.inner.write(batch)
    }

    fn trace(&self, trace_id: TraceId) -> Result<Option<TraceData>, StoreError> {
        self.inner.trace(trace_id)
    }

    fn search(&self, query: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError> {
        self.inner.search(query)
    }

    fn services(&self) -> Result<Vec<String>, StoreError> {
        let mut services = BTreeSet::new();
        self.inner.for_each_head(|head| services.extend(head.operations().keys().cloned()));
        for block in self.inner.blocks() {
            services.extend(block.meta().services.iter().cloned());
        }
        Ok(services.into_iter().collect())
    }

    fn operations(&self, service: &str) -> Result<Vec<Operation>, StoreError> {
        let mut operations = BTreeSet::new();
        self.inner.for_each_head(|head| {
            if let Some(found) = head.operations().get(service) {
                operations.extend(found.iter().cloned());
            }
        });
        for block in self.inner.blocks() {
            operations.extend(block.meta().operations_of(service));
        }
        Ok(operations.into_iter().collect())
    }

    fn dependencies(&self, range: TimeRange) -> Result<Vec<Dependency>, StoreError> {
        self.inner.dependencies(range)
    }

    fn operation_stats(&self, query: &OperationStatsQuery) -> Result<OperationStats, StoreError> {
        self.inner.operation_stats(query)
    }

    fn error_groups(&self, query: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError> {
        self.inner.error_groups(query)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }

    fn close(&self) -> Result<(), StoreError> {
        EmbeddedStore::close(self)
    }

    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }

    fn unavailable(&self) -> Option<String> {
        self.inner.unavailable()
    }
}

impl Inner {
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let spans = batch.span_count() as u64;
        let records = batch.record_count() as u64;
        let payload = codec::encode(&batch);
        let full = {
            let _gate = read(&self.gate);
            let (head_spans, head_bytes) = {
                let head = read(&self.head);
                (head.span_count(), head.bytes())
            };
            // The head may grow to twice its threshold while the previous one is being
            // written out; past that, the disk is not keeping up.
            if head_spans >= self.config.head_max_spans.saturating_mul(2)
                || head_bytes >= self.config.head_max_bytes.saturating_mul(2)
            {
                self.counters.writes_refused.fetch_add(1, Ordering::Relaxed);
                return Err(StoreError::Busy {
                    reason: format!("{head_spans} spans are waiting to be written to a block"),
                });
            }
            if let Some(reason) = self.below_floor() {
                self.counters.writes_refused.fetch_add(1, Ordering::Relaxed);
                return Err(StoreError::Busy { reason });
            }
            self.wal.append(&payload).map_err(|error| match error {
                // A full disk, a failing device: retried by later writes and the worker.
                WalError::Failed { .. } => {
                    self.counters.writes_refused.fetch_add(1, Ordering::Relaxed);
                    StoreError::Busy { reason: error.to_string() }
                }
                other => other.into(),
            })?;
            let mut head = write(&self.head);
            head.insert(batch);
            head.span_count() >= self.config.head_max_spans || head.bytes() >= self.config.head_max_bytes
        };
        self.counters.spans_written.fetch_add(spans, Ordering::Relaxed);
        self.counters.records_written.fetch_add(records, Ordering::Relaxed);
        if full {
            lock(&self.worker_state).flush_wanted = true;
            self.wake.notify_all();
        }
        Ok(())
    }

    fn blocks(&self) -> Vec<Arc<Block>> {
        read(&self.blocks).clone()
    }

    /// Why writes must wait for free space, when the log's file system has less than
    /// `min_free_disk_bytes` free.
    fn below_floor(&self) -> Option<String> {
        let floor = self.config.min_free_disk_bytes;
        if floor == 0 {
            return None;
        }
        let dir = self.wal.dir();
        let stats = rustix::fs::statvfs(dir).ok()?;
        let free = stats.f_bavail.saturating_mul(stats.f_frsize);
        (free < floor).then(|| {
            format!(
                "{} has {free} bytes free, less than min_free_disk_bytes ({floor}): writes wait for space",
                dir.display()
            )
        })
    }

    /// Why writes are refused until the disk changes, if they are.
    fn unavailable(&self) -> Option<String> {
        self.wal.failure().or_else(|| self.below_floor())
    }

    /// Calls `f` with the head and the head being written out, if any, and returns the
    /// blocks, all as of one moment: a flush moves spans from the head to the flushing head
    /// and from there to a block while holding the locks of both sides, and this takes them
    /// in the same order (blocks, flushing, head), so every span is seen exactly once.
    fn snapshot(&self, mut f: impl FnMut(&Head)) -> Vec<Arc<Block>> {
        let blocks = read(&self.blocks);
        let flushing = read(&self.flushing);
        f(&read(&self.head));
        if let Some((head, _)) = &*flushing {
            f(head);
        }
        blocks.clone()
    }

    fn for_each_head(&self, mut f: impl FnMut(&Head)) {
        f(&read(&self.head));
        if let Some((flushing, _)) = read(&self.flushing).clone() {
            f(&flushing);
        }
    }

    fn trace(&self, trace_id: TraceId) -> Result<Option<TraceData>, StoreError> {
        let mut data = TraceData { trace_id, spans: Vec::new(), records: Vec::new() };
        self.for_each_head(|head| {
            let (spans, records) = head.trace(trace_id);
            data.spans.extend(spans);
            data.records.extend(records);
        });
        for block in self.blocks() {
            let (spans, records) = block.read_trace(trace_id)?;
            data.spans.extend(spans);
            data.records.extend(records);
        }
        if data.spans.is_empty() && data.records.is_empty() {
            return Ok(None);
        }
        data.normalize();
        Ok(Some(data))
    }

    /// Collects the traces with a matching span from every source, with the earliest start
    /// of the parts that matched: a bound of the trace's real start (its earliest span
    /// anywhere), which a part that did not match may lower. Candidates are taken by that
    /// bound, newest first; each one's real start is looked up (the heads' index, the blocks'
    /// trace tables), the best `limit` kept, and the look-ups stop once a bound falls below
    /// the `limit`-th best real start, since no later candidate can then get in.
    fn search(&self, query: &SearchQuery) -> Result<Vec<TraceSummary>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut found: HashMap<TraceId, u64> = HashMap::new();
        self.for_each_head(|head| head.matching_traces(query, &mut found));
        let blocks = self.blocks();
        for block in &blocks {
            let meta = block.meta();
            if !query.range.overlaps(meta.min_start_unix_nano, meta.max_end_unix_nano)
                || query.service.as_ref().is_some_and(|service| !meta.services.contains(service))
            {
                continue;
            }
            block.matching_traces(query, &mut found)?;
        }
        let mut candidates: Vec<(u64, TraceId)> =
            found.into_iter().map(|(trace_id, start)| (start, trace_id)).collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        // The best `limit` so far by real start, the worst of them on top.
        let mut newest: BinaryHeap<Reverse<(u64, TraceId)>> = BinaryHeap::with_capacity(query.limit + 1);
        for (bound, trace_id) in candidates {
            if newest.len() == query.limit && newest.peek().is_some_and(|Reverse(worst)| (bound, trace_id) < *worst) {
                break;
            }
            let start = self.trace_start(trace_id, &blocks).map_or(bound, |start| start.min(bound));
            newest.push(Reverse((start, trace_id)));
            if newest.len() > query.limit {
                newest.pop();
            }
        }
        let mut summaries = Vec::with_capacity(newest.len());
        for Reverse((_, trace_id)) in newest {
            let mut summary = PartialSummary::default();
            self.for_each_head(|head| summary.merge(head.summary(trace_id)));
            for block in &blocks {
                if let Some(part) = block.trace_summary(trace_id) {
                    summary.merge(part);
                }
            }
            summaries.extend(summary.finish(trace_id));
        }
        summaries.sort_by_key(|summary| Reverse((summary.start_unix_nano, summary.trace_id)));
        Ok(summaries)
    }

    /// The earliest start of a trace's spans over the heads and `blocks`, from their
    /// indexes; a block that starts after the earliest start known is not asked.
    fn trace_start(&self, trace_id: TraceId, blocks: &[Arc<Block>]) -> Option<u64> {
        let mut earliest: Option<u64> = None;
        self.for_each_head(|head| earliest = earliest.into_iter().chain(head.trace_start(trace_id)).min());
        for block in blocks {
            if earliest.is_some_and(|known| block.meta().min_start_unix_nano >= known) {
                continue;
            }
            earliest = earliest.into_iter().chain(block.trace_start(trace_id)).min();
        }
        earliest
    }

    /// Counts the calls of the traces that started in `range`, each trace once with all of
    /// its spans wherever they are (`dependencies.rs`). The blocks stay locked for reading
    /// until the heads have been read, and the locks are taken in the order of
    /// [`Inner::snapshot`], so every span is seen once even while a flush is under way; the
    /// blocks' files are read after the locks are let go.
    fn dependencies(&self, range: TimeRange) -> Result<Vec<Dependency>, StoreError> {
        let blocks_guard = read(&self.blocks);
        let blocks = blocks_guard.clone();
        let mut count = DependencyCount::new(range, &blocks);
        {
            let flushing = read(&self.flushing);
            let head = read(&self.head);
            let mut heads: Vec<&Head> = vec![&head];
            if let Some((flushing, _)) = &*flushing {
                heads.push(flushing);
            }
            count.add_heads(&heads, &blocks);
        }
        drop(blocks_guard);
        count.add_blocks(&blocks)?;
        Ok(count.finish())
    }

    fn operation_stats(&self, query: &OperationStatsQuery) -> Result<OperationStats, StoreError> {
        let mut builder = OperationStatsBuilder::new(query)?;
        let blocks = self.snapshot(|head| head.spans().iter().for_each(|stored| builder.add_span(stored)));
        for block in blocks {
            if block.may_hold_starts_in(query.range)
                && query.service.as_ref().is_none_or(|service| block.meta().services.contains(service))
            {
                block.operation_stats(&mut builder)?;
            }
        }
        Ok(builder.finish())
    }

    fn error_groups(&self, query: &ErrorQuery) -> Result<Vec<ErrorGroup>, StoreError> {
        let mut builder = ErrorGroupsBuilder::new(query);
        let blocks = self.snapshot(|head| head.spans().iter().for_each(|stored| builder.add_span(stored)));
        for block in blocks {
            if block.may_hold_starts_in(query.range)
                && query.service.as_ref().is_none_or(|service| block.meta().services.contains(service))
            {
                block.error_groups(&mut builder)?;
            }
        }
        Ok(builder.finish())
    }

    fn stats(&self) -> StoreStats {
        let (mut head_spans, mut head_bytes) = (0, 0);
        self.for_each_head(|head| {
            head_spans += head.span_count() as u64;
            head_bytes += head.bytes() as u64;
        });
        let blocks = self.blocks();
        let wal = self.wal.stats();
        let mut stats = StoreStats::default();
        stats.spans_written = self.counters.spans_written.load(Ordering::Relaxed);
        stats.records_written = self.counters.records_written.load(Ordering::Relaxed);
        stats.head_spans = head_spans;
        stats.head_bytes = head_bytes;
        stats.blocks = blocks.len() as u64;
        stats.block_bytes = blocks.iter().map(|block| block.meta().bytes).sum();
        stats.wal_bytes = dir_bytes(self.wal.dir());
        stats.wal_syncs = wal.syncs;
        stats.wal_sync_seconds = wal.sync_micros as f64 / 1e6;
        stats.flushes = self.counters.flushes.load(Ordering::Relaxed);
        stats.compactions = self.counters.compactions.load(Ordering::Relaxed);
        stats.blocks_expired = self.counters.blocks_expired.load(Ordering::Relaxed);
        stats.writes_refused = self.counters.writes_refused.load(Ordering::Relaxed);
        stats.maintenance_errors = self.counters.maintenance_errors.load(Ordering::Relaxed);
        stats.last_maintenance_error = lock(&self.last_error).clone();
        stats
    }

    fn new_block_id(&self) -> String {
        let sequence = self.next_block.fetch_add(1, Ordering::Relaxed);
        format!("{:020}-{sequence:04}", now_unix_nano())
    }

    /// Writes out any head whose earlier write failed, then the head.
    fn flush(&self) -> Result<(), StoreError> {
        let retry = read(&self.flushing).is_some();
        self.flush_once()?;
        if retry { self.flush_once() } else { Ok(()) }
    }

    /// Writes one head out as a block: the one whose earlier write failed, if any, else
    /// the current head.
    fn flush_once(&self) -> Result<(), StoreError> {
        let _flush = lock(&self.flush_lock);
        let pending = read(&self.flushing).clone();
        let (head, wal_through) = match pending {
            // An earlier write of this head failed; its log segments are still there.
            Some(pending) => pending,
            None => {
                let _gate = write(&self.gate);
                if read(&self.head).is_empty() {
                    return Ok(());
                }
                let wal_through = self.wal.rotate()?;
                // Both at once, in the order `snapshot` takes them.
                let mut flushing = write(&self.flushing);
                let head = Arc::new(std::mem::take(&mut *write(&self.head)));
                *flushing = Some((Arc::clone(&head), wal_through));
                (head, wal_through)
            }
        };
        let (spans, records) = head.contents();
        let lineage = Lineage { level: 0, wal_through, sources: Vec::new() };
        let block = Block::write(
            &self.config.blocks_dir(),
            &self.new_block_id(),
            spans,
            records,
            lineage,
            &self.config.block_options(),
        )?;
        {
            // Both at once, in the order `snapshot` takes them.
            let mut blocks = write(&self.blocks);
            blocks.push(Arc::new(block));
            *write(&self.flushing) = None;
        }
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
        self.wal.remove_segments_before(wal_through)?;
        Ok(())
    }

    /// Merges blocks of one level once there are enough of them; returns whether it did.
    fn compact(&self) -> Result<bool, StoreError> {
        let _compaction = lock(&self.compaction_lock);
        let blocks = self.blocks();
        let mut levels: HashMap<u32, Vec<Arc<Block>>> = HashMap::new();
        for block in blocks {
            levels.entry(block.meta().level).or_default().push(block);
        }
        let mut level_ids: Vec<u32> = levels.keys().copied().collect();
        level_ids.sort_unstable();
        for level in level_ids {
            let mut group = Vec::new();
            let mut spans = 0;
            for block in &levels[&level] {
                if spans + block.meta().span_count > self.config.compaction_max_spans && group.len() >= 2 {
                    break;
                }
                spans += block.meta().span_count;
                group.push(Arc::clone(block));
            }
            if group.len() < self.config.compaction_blocks.max(2) {
                continue;
            }
            let lineage = Lineage {
                level: level + 1,
                wal_through: group.iter().map(|block| block.meta().wal_through).max().unwrap_or(0),
                sources: group.iter().map(|block| block.meta().id.clone()).collect(),
            };
            let merged = Block::write_merged(
                &self.config.blocks_dir(),
                &self.new_block_id(),
                &group,
                lineage,
                &self.config.block_options(),
            )?;
            {
                let mut blocks = write(&self.blocks);
                blocks.retain(|block| !group.iter().any(|source| Arc::ptr_eq(block, source)));
                blocks.push(Arc::new(merged));
                blocks.sort_by_key(|block| block.meta().min_start_unix_nano);
            }
            lock(&self.retired).extend(group);
            self.counters.compactions.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        Ok(false)
    }

    /// Retires blocks past the retention, and deletes retired blocks no query holds.
    fn expire(&self) -> Result<(), StoreError> {
        let _compaction = lock(&self.compaction_lock);
        let horizon =
            now_unix_nano().saturating_sub(u64::try_from(self.config.retention.as_nanos()).unwrap_or(u64::MAX));
        let expired: Vec<Arc<Block>> = {
            let mut blocks = write(&self.blocks);
            let (expired, kept) = blocks.drain(..).partition(|block| block.meta().max_end_unix_nano < horizon);
            *blocks = kept;
            expired
        };
        self.counters.blocks_expired.fetch_add(expired.len() as u64, Ordering::Relaxed);
        let mut retired = lock(&self.retired);
        retired.extend(expired);
        let mut held = Vec::new();
        for block in retired.drain(..) {
            match Arc::try_unwrap(block) {
                Ok(block) => block.delete()?,
                Err(block) => held.push(block),
            }
        }
        *retired = held;
        Ok(())
    }

    /// Keeps the error of background work for [`StoreStats`].
    fn note(&self, what: &str, result: Result<(), StoreError>) {
        if let Err(error) = result {
            self.counters.maintenance_errors.fetch_add(1, Ordering::Relaxed);
            *lock(&self.last_error) = Some(format!("{what}: {error}"));
        }
    }

    fn head_due(&self) -> bool {
        let head = read(&self.head);
        !head.is_empty()
            && (head.span_count() >= self.config.head_max_spans
                || head.bytes() >= self.config.head_max_bytes
                || head.first_write().is_some_and(|first| first.elapsed() >= self.config.head_max_age))
    }

    /// Waits until a flush is wanted, `interval` has passed, or the store stops; returns
    /// false on stop.
    fn wait_for_work(&self, interval: Duration, flusher: bool) -> bool {
        let mut state = lock(&self.worker_state);
        let deadline = Instant::now() + interval;
        loop {
            if state.stop {
                return false;
            }
            if flusher && state.flush_wanted {
                state.flush_wanted = false;
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            state = self.wake.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// The flusher thread: writes the head out as a block when it is due (and a head whose
    /// write failed again), and probes a broken log for room.
    fn run_flusher(&self) {
        while self.wait_for_work(self.config.maintenance_interval, true) {
            if self.wal.failure().is_some() {
                self.wal.retry();
            }
            if self.head_due() || read(&self.flushing).is_some() {
                let result = self.flush_once();
                self.note("writing the head to a block", result);
            }
        }
    }

    /// The compactor thread, at a lower CPU priority than ingest and flushes, so that
    /// merging blocks uses the time they leave: compacts one group per
    /// `maintenance_interval` and deletes expired blocks.
    fn run_compactor(&self) {
        // Linux keeps a nice value per thread; elsewhere (or if refused) it runs as is.
        let _ = rustix::process::setpriority_process(None, COMPACTION_NICE);
        while self.wait_for_work(self.config.maintenance_interval, false) {
            let result = self.compact().map(drop);
            self.note("compacting blocks", result);
            let result = self.expire();
            self.note("deleting expired blocks", result);
        }
    }
}

/// The nice value of the compactor thread (ingest and flushes run at 0).
const COMPACTION_NICE: i32 = 10;

fn dir_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(Result::ok).filter_map(|entry| entry.metadata().ok()).map(|meta| meta.len()).sum()
        })
        .unwrap_or(0)
}
