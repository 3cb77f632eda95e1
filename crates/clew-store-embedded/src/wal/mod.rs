//! The write-ahead log: a request is acknowledged only when its bytes are on disk.
//!
//! The log is a directory of segment files (byte format in [`format`](self::format)).
//! [`Wal::append`] returns once the record is durable. Appends are **group-committed**:
//! while one thread writes and `fdatasync`s, the others queue their records; the next
//! thread to find the disk idle writes all of them with one sync, so many concurrent
//! appends cost one sync.
//!
//! [`Wal::open`] reads back every intact record. A crash can leave the last write torn;
//! recovery cuts each segment after its last intact record and reports what it cut
//! ([`Damage`]), and the log goes on from there. A failed write or sync makes the log
//! refuse further appends (the file's state is unknown) until it is reopened.
//!
//! When the records of older segments are safe elsewhere (written to a block),
//! [`Wal::rotate`] starts a new segment and [`Wal::remove_segments_before`] deletes the
//! old ones.

mod format;
mod recover;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub use format::MAX_RECORD_LEN;
pub use recover::{Damage, Recovered};

/// Settings of the log.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WalConfig {
    /// The directory of segment files (created if missing).
    pub dir: PathBuf,
    /// A segment is closed and a new one started once it holds this many bytes.
    pub segment_bytes: u64,
    /// Segments with smaller ids hold only records that are safe elsewhere: [`Wal::open`]
    /// deletes them instead of reading them, and numbers new segments from here on.
    pub discard_before: u64,
}

impl WalConfig {
    /// Segments of 64 MiB in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> WalConfig {
        WalConfig { dir: dir.into(), segment_bytes: 64 << 20, discard_before: 0 }
    }

    /// Sets [`discard_before`](WalConfig::discard_before).
    #[must_use]
    pub fn with_discard_before(mut self, segment: u64) -> WalConfig {
        self.discard_before = segment;
        self
    }

    /// Sets the segment size.
    #[must_use]
    pub fn with_segment_bytes(mut self, bytes: u64) -> WalConfig {
        self.segment_bytes = bytes.max(1);
        self
    }
}

/// Why the log could not do what was asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum WalError {
    /// The file system refused.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What it said.
        source: std::io::Error,
    },
    /// A payload larger than [`MAX_RECORD_LEN`].
    TooLarge {
        /// Its length.
        length: usize,
    },
    /// An earlier write or sync failed; the log takes no more appends until reopened.
    Failed,
}

impl std::fmt::Display for WalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalError::Io { path, source } => write!(f, "write-ahead log {}: {source}", path.display()),
            WalError::TooLarge { length } => {
                write!(f, "record of {length} bytes is larger than the log's limit of {MAX_RECORD_LEN}")
            }
            WalError::Failed => f.write_str("write-ahead log failed earlier and takes no more writes until reopened"),
        }
    }
}

impl std::error::Error for WalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WalError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Counters of the log, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalStats {
    /// Records made durable.
    pub records: u64,
    /// Bytes written, framing included.
    pub bytes: u64,
    /// Syncs performed (each makes one group of records durable).
    pub syncs: u64,
    /// Total time spent in write + sync, in microseconds.
    pub sync_micros: u64,
}

#[derive(Default)]
struct Counters {
    records: AtomicU64,
    bytes: AtomicU64,
    syncs: AtomicU64,
    sync_micros: AtomicU64,
}

struct State {
    /// Framed records waiting for the next sync.
    pending: Vec<u8>,
    /// Records appended so far; record `n` is the n-th (1-based).
    appended: u64,
    /// Records known to be on disk.
    durable: u64,
    /// A thread is writing and syncing now.
    syncing: bool,
    failed: bool,
    segment: u64,
    segment_len: u64,
    file: Arc<File>,
}

/// The write-ahead log. Share it behind an `Arc`; every method takes `&self`.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use clew_store_embedded::wal::{Wal, WalConfig};
/// let (wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
/// assert!(recovered.records.is_empty());
/// wal.append(b"batch of spans").unwrap(); // durable when this returns
/// drop(wal);
/// let (_wal, recovered) = Wal::open(WalConfig::new(dir.path())).unwrap();
/// assert_eq!(recovered.records, vec![b"batch of spans".to_vec()]);
/// ```
pub struct Wal {
    config: WalConfig,
    state: Mutex<State>,
    synced: Condvar,
    counters: Counters,
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal").field("dir", &self.config.dir).field("stats", &self.stats()).finish()
    }
}

fn io_error(path: &Path, source: std::io::Error) -> WalError {
    WalError::Io { path: path.to_path_buf(), source }
}

fn remove_segments_before(dir: &Path, segment: u64) -> Result<(), WalError> {
    let mut removed = false;
    for id in recover::list_segments(dir)? {
        if id >= segment {
            break;
        }
        let path = dir.join(format::segment_name(id));
        fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
        removed = true;
    }
    if removed { sync_dir(dir) } else { Ok(()) }
}

impl Wal {
    /// Opens (or creates) the log in `config.dir`, returning what it holds. Recovery
    /// repairs torn data; only an I/O error is an error.
    pub fn open(config: WalConfig) -> Result<(Wal, Recovered), WalError> {
        fs::create_dir_all(&config.dir).map_err(|source| io_error(&config.dir, source))?;
        remove_segments_before(&config.dir, config.discard_before)?;
        let recovered = recover::recover(&config.dir)?;
        // Appends go to a new segment: recovered ones are never written again.
        let segment = recovered.segments.last().map_or(1, |last| last + 1).max(config.discard_before);
        let file = create_segment(&config.dir, segment)?;
        let state = State {
            pending: Vec::new(),
            appended: 0,
            durable: 0,
            syncing: false,
            failed: false,
            segment,
            segment_len: format::HEADER_LEN as u64,
            file: Arc::new(file),
        };
        let wal = Wal { config, state: Mutex::new(state), synced: Condvar::new(), counters: Counters::default() };
        Ok((wal, recovered))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one record and returns once it is durable.
    pub fn append(&self, payload: &[u8]) -> Result<(), WalError> {
        if payload.len() > MAX_RECORD_LEN {
            return Err(WalError::TooLarge { length: payload.len() });
        }
        let mut state = self.state();
        if state.failed {
            return Err(WalError::Failed);
        }
        format::encode(&mut state.pending, payload);
        state.appended += 1;
        let mine = state.appended;
        loop {
            if state.failed {
                return Err(WalError::Failed);
            }
            if state.durable >= mine {
                return Ok(());
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // This thread writes every record waiting, its own among them.
            state = self.write_group(state)?;
        }
    }

    /// Writes and syncs everything pending, with the lock released meanwhile.
    fn write_group<'a>(&'a self, mut state: MutexGuard<'a, State>) -> Result<MutexGuard<'a, State>, WalError> {
        let group = std::mem::take(&mut state.pending);
        let target = state.appended;
        if state.segment_len > format::HEADER_LEN as u64
            && state.segment_len + group.len() as u64 > self.config.segment_bytes
        {
            if let Err(error) = self.start_segment(&mut state) {
                state.failed = true;
                self.synced.notify_all();
                return Err(error);
            }
        }
        state.syncing = true;
        let file = state.file.clone();
        let path = self.config.dir.join(format::segment_name(state.segment));
        drop(state);

        let started = Instant::now();
        let written = (&*file).write_all(&group).and_then(|()| file.sync_data());
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);

        let mut state = self.state();
        state.syncing = false;
        self.synced.notify_all();
        match written {
            Ok(()) => {
                let records = target - state.durable;
                state.durable = target;
                state.segment_len += group.len() as u64;
                self.counters.records.fetch_add(records, Ordering::Relaxed);
                self.counters.bytes.fetch_add(group.len() as u64, Ordering::Relaxed);
                self.counters.syncs.fetch_add(1, Ordering::Relaxed);
                self.counters.sync_micros.fetch_add(micros, Ordering::Relaxed);
                Ok(state)
            }
            Err(source) => {
                state.failed = true;
                Err(io_error(&path, source))
            }
        }
    }

    fn start_segment(&self, state: &mut State) -> Result<(), WalError> {
        let next = state.segment + 1;
        state.file = Arc::new(create_segment(&self.config.dir, next)?);
        state.segment = next;
        state.segment_len = format::HEADER_LEN as u64;
        Ok(())
    }

    /// Closes the current segment and starts a new one; returns the new segment's id.
    /// Every record appended before this call is in a segment with a smaller id.
    pub fn rotate(&self) -> Result<u64, WalError> {
        let mut state = self.state();
        while state.syncing || !state.pending.is_empty() {
            if state.failed {
                return Err(WalError::Failed);
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(PoisonError::into_inner);
            } else {
                state = self.write_group(state)?;
            }
        }
        self.start_segment(&mut state)?;
        Ok(state.segment)
    }

    /// Deletes the segments with ids below `segment` (their records are safe elsewhere).
    pub fn remove_segments_before(&self, segment: u64) -> Result<(), WalError> {
        let current = self.state().segment;
        remove_segments_before(&self.config.dir, segment.min(current))
    }

    /// The directory of segment files.
    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Counters for metrics.
    pub fn stats(&self) -> WalStats {
        WalStats {
            records: self.counters.records.load(Ordering::Relaxed),
            bytes: self.counters.bytes.load(Ordering::Relaxed),
            syncs: self.counters.syncs.load(Ordering::Relaxed),
            sync_micros: self.counters.sync_micros.load(Ordering::Relaxed),
        }
    }
}

/// Creates segment `id` with its header, durable (file and directory entry).
fn create_segment(dir: &Path, id: u64) -> Result<File, WalError> {
    let path = dir.join(format::segment_name(id));
    let mut file =
        OpenOptions::new().create_new(true).append(true).open(&path).map_err(|source| io_error(&path, source))?;
    file.write_all(&format::header()).and_then(|()| file.sync_all()).map_err(|source| io_error(&path, source))?;
    sync_dir(dir)?;
    Ok(file)
}

fn sync_dir(dir: &Path) -> Result<(), WalError> {
    File::open(dir).and_then(|directory| directory.sync_all()).map_err(|source| io_error(dir, source))
}
