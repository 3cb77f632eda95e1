//! Reading the log back at start, and cutting what a crash left half-written.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::WalError;
use super::format::{self, Decoded};

/// Something recovery found wrong and repaired, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The segment file.
    pub path: PathBuf,
    /// Where the damaged bytes start.
    pub offset: u64,
    /// How many bytes from there were discarded.
    pub discarded_bytes: u64,
    /// What was wrong.
    pub reason: &'static str,
}

/// What the log held when it was opened.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Every intact record, oldest first.
    pub records: Vec<Vec<u8>>,
    /// Torn or corrupted data that was cut off. A torn tail after a crash is expected:
    /// it is a write that was never acknowledged.
    pub damage: Vec<Damage>,
    /// The segments found, oldest first.
    pub(crate) segments: Vec<u64>,
}

fn io_error(path: &Path, source: std::io::Error) -> WalError {
    WalError::Io { path: path.to_path_buf(), source }
}

/// The ids of the segments in `dir`, oldest first.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<u64>, WalError> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(|source| io_error(dir, source))? {
        let entry = entry.map_err(|source| io_error(dir, source))?;
        if let Some(id) = entry.file_name().to_str().and_then(format::segment_id) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Reads every segment of `dir`; cuts each segment after its last intact record.
pub(crate) fn recover(dir: &Path) -> Result<Recovered, WalError> {
    let mut recovered = Recovered { segments: list_segments(dir)?, ..Recovered::default() };
    for id in recovered.segments.clone() {
        let path = dir.join(format::segment_name(id));
        let mut data = Vec::new();
        File::open(&path).and_then(|mut file| file.read_to_end(&mut data)).map_err(|source| io_error(&path, source))?;
        if let Err(reason) = format::check_header(&data) {
            // A segment whose header never reached the disk holds nothing acknowledged.
            recovered.damage.push(Damage { path: path.clone(), offset: 0, discarded_bytes: data.len() as u64, reason });
            rewrite_header(&path)?;
            continue;
        }
        let mut offset = format::HEADER_LEN;
        loop {
            match format::decode(&data, offset) {
                Decoded::Record { payload, next } => {
                    recovered.records.push(payload.to_vec());
                    offset = next;
                }
                Decoded::End => break,
                Decoded::Damaged { reason } => {
                    recovered.damage.push(Damage {
                        path: path.clone(),
                        offset: offset as u64,
                        discarded_bytes: (data.len() - offset) as u64,
                        reason,
                    });
                    truncate(&path, offset as u64)?;
                    break;
                }
            }
        }
    }
    Ok(recovered)
}

fn truncate(path: &Path, length: u64) -> Result<(), WalError> {
    let file = OpenOptions::new().write(true).open(path).map_err(|source| io_error(path, source))?;
    file.set_len(length).and_then(|()| file.sync_all()).map_err(|source| io_error(path, source))
}

fn rewrite_header(path: &Path) -> Result<(), WalError> {
    fs::write(path, format::header())
        .and_then(|()| File::open(path)?.sync_all())
        .map_err(|source| io_error(path, source))
}
