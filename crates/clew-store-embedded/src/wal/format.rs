//! The bytes of a log segment.
//!
//! ```text
//! segment file  wal-{id:020}.log          (id: u64, increasing; zero-padded so names sort)
//!
//! header        8 bytes  magic  "CLEWWAL\0"
//!               4 bytes  format version, u32 little-endian (1)
//!               4 bytes  reserved, zero
//! record        4 bytes  payload length n, u32 little-endian
//!               4 bytes  CRC-32 (IEEE) of the 4 length bytes followed by the payload, u32 LE
//!               n bytes  payload
//! ...records until the end of the file
//! ```
//!
//! The checksum covers the length too, so a corrupted length is caught rather than
//! followed. A record never spans two segments.

/// The first 8 bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"CLEWWAL\0";
/// The format version written after the magic.
pub(crate) const VERSION: u32 = 1;
/// Header bytes before the first record.
pub(crate) const HEADER_LEN: usize = 16;
/// Length and checksum bytes before each payload.
pub(crate) const RECORD_HEADER_LEN: usize = 8;
/// The largest payload a record may carry (64 MiB); a larger length is corruption.
pub const MAX_RECORD_LEN: usize = 64 << 20;

/// The header of a new segment.
pub(crate) fn header() -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    header
}

/// The name of segment `id`.
pub(crate) fn segment_name(id: u64) -> String {
    format!("wal-{id:020}.log")
}

/// The id of a segment file name, if it is one.
pub(crate) fn segment_id(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("wal-")?.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn checksum(length: [u8; 4], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&length);
    hasher.update(payload);
    hasher.finalize()
}

/// Appends one framed record to `out`. The caller has checked the length.
pub(crate) fn encode(out: &mut Vec<u8>, payload: &[u8]) {
    // A payload over MAX_RECORD_LEN is refused before this point, so it fits in u32.
    let length = (payload.len() as u32).to_le_bytes();
    out.extend_from_slice(&length);
    out.extend_from_slice(&checksum(length, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// What reading a record at an offset found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded<'a> {
    /// A whole, intact record, and the offset just after it.
    Record { payload: &'a [u8], next: usize },
    /// The data ends exactly here.
    End,
    /// The bytes here are not a whole, intact record (torn or corrupted).
    Damaged { reason: &'static str },
}

/// Reads the record at `offset` of `data`.
pub(crate) fn decode(data: &[u8], offset: usize) -> Decoded<'_> {
    let rest = &data[offset.min(data.len())..];
    if rest.is_empty() {
        return Decoded::End;
    }
    let Some(header) = rest.get(..RECORD_HEADER_LEN) else {
        return Decoded::Damaged { reason: "record header cut short" };
    };
    let length = [header[0], header[1], header[2], header[3]];
    let stored = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let payload_len = u32::from_le_bytes(length) as usize;
    if payload_len > MAX_RECORD_LEN {
        return Decoded::Damaged { reason: "record length is larger than any record can be" };
    }
    let Some(payload) = rest.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + payload_len) else {
        return Decoded::Damaged { reason: "record payload cut short" };
    };
    if checksum(length, payload) != stored {
        return Decoded::Damaged { reason: "record checksum does not match" };
    }
    Decoded::Record { payload, next: offset + RECORD_HEADER_LEN + payload_len }
}

/// Whether `data` starts with a header this version can read.
pub(crate) fn check_header(data: &[u8]) -> Result<(), &'static str> {
    let Some(header) = data.get(..HEADER_LEN) else {
        return Err("segment header cut short");
    };
    if header[..8] != MAGIC {
        return Err("not a clew log segment (bad magic)");
    }
    let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    if version != VERSION {
        return Err("log segment of an unknown format version");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_every_cut_is_detected() {
        let mut bytes = Vec::new();
        encode(&mut bytes, b"hello");
        assert_eq!(decode(&bytes, 0), Decoded::Record { payload: b"hello", next: bytes.len() });
        assert_eq!(decode(&bytes, bytes.len()), Decoded::End);
        for cut in 1..bytes.len() {
            assert!(matches!(decode(&bytes[..cut], 0), Decoded::Damaged { .. }), "cut at {cut}");
        }
        for flipped in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[flipped] ^= 0x01;
            assert!(matches!(decode(&damaged, 0), Decoded::Damaged { .. }), "flip at {flipped}");
        }
    }

    #[test]
    fn segment_names_sort_and_parse() {
        assert_eq!(segment_name(7), "wal-00000000000000000007.log");
        assert_eq!(segment_id(&segment_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(segment_id("wal-7.log"), None);
        assert_eq!(segment_id("other.log"), None);
        assert!(segment_name(9) < segment_name(10));
    }
}
