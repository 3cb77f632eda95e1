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
//! ([`Damage`]), and the log goes on from there.
//!
//! A failed write or sync (a full disk, an I/O error) fails the appends of its group, none
//! of which was acknowledged, and leaves the log **broken**: before the next write it cuts
//! the segment back to its last durable record (or, if it cannot, starts a new segment),
//! so that what failed never reaches the disk later, and a record is either acknowledged
//! and durable or refused and gone. Every later append is such a retry; [`Wal::retry`]
//! probes for room without one, and [`Wal::failure`] says why the log is broken.
//!
//! When the records of older segments are safe elsewhere (written to a block),
//! [`Wal::rotate`] starts a new segment and [`Wal::remove_segments_before`] deletes the
//! old ones.

mod format;
mod recover;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
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
    /// The write or sync of the record (or the repair before it) failed: the record is not
    /// in the log. Later appends try again.
    Failed {
        /// Why, with the file.
        reason: String,
    },
}

impl std::fmt::Display for WalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalError::Io { path, source } => write!(f, "write-ahead log {}: {source}", path.display()),
            WalError::TooLarge { length } => {
                write!(f, "record of {length} bytes is larger than the log's limit of {MAX_RECORD_LEN}")
            }
            WalError::Failed { reason } => write!(f, "write-ahead log cannot be written: {reason}"),
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

/// What became of a group of records: undecided (0) until its write and sync are done.
#[derive(Debug, Default)]
struct Outcome(AtomicU8);

const DURABLE: u8 = 1;
const LOST: u8 = 2;

struct State {
    /// Framed records waiting for the next sync, and what will become of them.
    pending: Vec<u8>,
    pending_records: u64,
    pending_outcome: Arc<Outcome>,
    /// A thread is writing and syncing now.
    syncing: bool,
    /// Why the last write failed; the segment must be repaired before the next one.
    broken: Option<String>,
    segment: u64,
    /// The bytes of the segment that are durable records (or its header).
    segment_len: u64,
    /// The segment's file; `None` when it could not be created.
    file: Option<Arc<File>>,
}

/// Bytes [`Wal::retry`] reserves on disk to find whether there is room again.
const PROBE_BYTES: u64 = 1 << 20;

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
        // Appends go to a new segment: recovered ones are never written again. A log that
        // cannot create one (a full disk) opens broken, and creates it when it can.
        let segment = recovered.segments.last().map_or(1, |last| last + 1).max(config.discard_before);
        let (file, broken) = match create_segment(&config.dir, segment) {
            Ok(file) => (Some(Arc::new(file)), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let state = State {
            pending: Vec::new(),
            pending_records: 0,
            pending_outcome: Arc::default(),
            syncing: false,
            broken,
            segment,
            segment_len: format::HEADER_LEN as u64,
            file,
        };
        let wal = Wal { config, state: Mutex::new(state), synced: Condvar::new(), counters: Counters::default() };
        Ok((wal, recovered))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one record and returns once it is durable; an error means it is not in the
    /// log and never will be.
    pub fn append(&self, payload: &[u8]) -> Result<(), WalError> {
        if payload.len() > MAX_RECORD_LEN {
            return Err(WalError::TooLarge { length: payload.len() });
        }
        let mut state = self.state();
        format::encode(&mut state.pending, payload);
        state.pending_records += 1;
        let outcome = Arc::clone(&state.pending_outcome);
        loop {
            match outcome.0.load(Ordering::Acquire) {
                DURABLE => return Ok(()),
                LOST => {
                    let reason = state.broken.clone().unwrap_or_else(|| "the write failed".into());
                    return Err(WalError::Failed { reason });
                }
                _ => {}
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // This thread writes every record waiting, its own among them.
            state = self.write_group(state);
        }
    }

    /// Writes and syncs everything pending, with the lock released meanwhile, and decides
    /// the group's outcome: durable, or lost (and the log broken).
    fn write_group<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        let group = std::mem::take(&mut state.pending);
        let records = std::mem::take(&mut state.pending_records);
        let outcome = std::mem::take(&mut state.pending_outcome);
        let lose = |mut state: MutexGuard<'a, State>, reason: String| {
            state.broken = Some(reason);
            outcome.0.store(LOST, Ordering::Release);
            self.synced.notify_all();
            state
        };
        if let Err(error) = self.repair(&mut state) {
            return lose(state, error.to_string());
        }
        if state.segment_len > format::HEADER_LEN as u64
            && state.segment_len + group.len() as u64 > self.config.segment_bytes
        {
            if let Err(error) = self.start_segment(&mut state) {
                return lose(state, error.to_string());
            }
        }
        let Some(file) = state.file.clone() else { return lose(state, "no segment to write to".into()) };
        state.syncing = true;
        let path = self.segment_path(state.segment);
        drop(state);

        let started = Instant::now();
        let written = (&*file).write_all(&group).and_then(|()| file.sync_data());
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);

        let mut state = self.state();
        state.syncing = false;
        match written {
            Ok(()) => {
                state.segment_len += group.len() as u64;
                state.broken = None;
                outcome.0.store(DURABLE, Ordering::Release);
                self.synced.notify_all();
                self.counters.records.fetch_add(records, Ordering::Relaxed);
                self.counters.bytes.fetch_add(group.len() as u64, Ordering::Relaxed);
                self.counters.syncs.fetch_add(1, Ordering::Relaxed);
                self.counters.sync_micros.fetch_add(micros, Ordering::Relaxed);
                state
            }
            Err(source) => {
                let mut state = lose(state, io_error(&path, source).to_string());
                // Cut what failed now, so that a crash before the next write leaves no torn
                // tail either; the log stays broken until a write or probe succeeds.
                let _ = self.repair(&mut state);
                state
            }
        }
    }

    fn segment_path(&self, segment: u64) -> PathBuf {
        self.config.dir.join(format::segment_name(segment))
    }

    /// After a failed write: cuts the segment back to its durable records, so that nothing
    /// of the failed group stays in it; if that fails, starts a new segment (a crash then
    /// leaves the failed bytes as the old segment's torn tail, which recovery cuts).
    fn repair(&self, state: &mut State) -> Result<(), WalError> {
        if state.broken.is_none() {
            return Ok(());
        }
        if let Some(file) = &state.file {
            let path = self.segment_path(state.segment);
            let cut = file.set_len(state.segment_len).and_then(|()| file.sync_all());
            match cut {
                Ok(()) => return Ok(()),
                Err(source) => state.broken = Some(io_error(&path, source).to_string()),
            }
        }
        self.start_segment(state)
    }

    fn start_segment(&self, state: &mut State) -> Result<(), WalError> {
        let next = if state.file.is_some() { state.segment + 1 } else { state.segment };
        state.file = Some(Arc::new(create_segment(&self.config.dir, next)?));
        state.segment = next;
        state.segment_len = format::HEADER_LEN as u64;
        Ok(())
    }

    /// Why the log is broken (the last write failed and none has succeeded since), if it is.
    pub fn failure(&self) -> Option<String> {
        self.state().broken.clone()
    }

    /// When the log is broken, repairs it and reserves [`PROBE_BYTES`] past its end and
    /// gives them back, to learn whether writes would succeed again; returns whether the
    /// log is whole now. Appends do not wait for this.
    pub fn retry(&self) -> bool {
        let mut state = self.state();
        if state.broken.is_none() {
            return true;
        }
        if state.syncing {
            return false;
        }
        let probed = self.repair(&mut state).and_then(|()| {
            let file = state.file.clone().ok_or_else(|| WalError::Failed { reason: "no segment".into() })?;
            let path = self.segment_path(state.segment);
            rustix::fs::fallocate(&*file, rustix::fs::FallocateFlags::empty(), state.segment_len, PROBE_BYTES)
                .map_err(std::io::Error::from)
                .and_then(|()| file.set_len(state.segment_len))
                .and_then(|()| file.sync_all())
                .map_err(|source| io_error(&path, source))
        });
        match probed {
            Ok(()) => {
                state.broken = None;
                true
            }
            Err(error) => {
                state.broken = Some(error.to_string());
                false
            }
        }
    }

    /// Closes the current segment and starts a new one; returns the new segment's id.
    /// Every record appended before this call is in a segment with a smaller id.
    pub fn rotate(&self) -> Result<u64, WalError> {
        let mut state = self.state();
        while state.syncing || !state.pending.is_empty() {
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(PoisonError::into_inner);
            } else {
                state = self.write_group(state);
            }
        }
        self.repair(&mut state)?;
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

/// Creates segment `id` with its header, durable (file and directory entry); on failure
/// nothing of it is left, so that it can be created again.
fn create_segment(dir: &Path, id: u64) -> Result<File, WalError> {
    let path = dir.join(format::segment_name(id));
    let mut file =
        OpenOptions::new().create_new(true).append(true).open(&path).map_err(|source| io_error(&path, source))?;
    let written =
        file.write_all(&format::header()).and_then(|()| file.sync_all()).map_err(|source| io_error(&path, source));
    if let Err(error) = written.and_then(|()| sync_dir(dir)) {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(error);
    }
    Ok(file)
}

fn sync_dir(dir: &Path) -> Result<(), WalError> {
    File::open(dir).and_then(|directory| directory.sync_all()).map_err(|source| io_error(dir, source))
}
