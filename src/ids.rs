//! Content addresses: the Dataset ID (sha256 over one canonical byte encoding of a
//! spectrum's arrays, y unit and instrument). The encoding is specified in
//! `docs/specs/ids.md`; the golden test in `tests/ids_golden.rs` pins it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Domain-separation tag: the first field of every Dataset ID encoding.
pub const DATASET_ID_TAG: &str = "spectra-workbench/dataset/v1";

/// A sha256 content address, as 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatasetId(String);

impl DatasetId {
    /// The full 64-digit hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits, for labels where space is short.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first 12 characters of an ID (a manifest's, say), for labels where space is short.
pub fn short_hex(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Lower-case hex of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// sha256 of a byte slice, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Where the Dataset ID encoding goes: a hasher, or a hasher and a file at once (the
/// store writes a blob while hashing it, so a blob's name is its ID by construction).
pub trait EncodingSink {
    /// Takes the next bytes of the encoding.
    fn put(&mut self, bytes: &[u8]);
}

impl EncodingSink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl EncodingSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Feeds one length-prefixed byte field: u64 little-endian byte length, then the bytes.
fn feed_bytes(sink: &mut dyn EncodingSink, bytes: &[u8]) {
    sink.put(&(bytes.len() as u64).to_le_bytes());
    sink.put(bytes);
}

/// Feeds one length-prefixed f64 array field: u64 LE byte length (8 × count), then each
/// value as little-endian IEEE-754 binary64, with -0.0 written as +0.0.
fn feed_f64s(sink: &mut dyn EncodingSink, values: &[f64]) {
    sink.put(&((values.len() * 8) as u64).to_le_bytes());
    let mut buf = [0u8; 8 * 1024];
    for chunk in values.chunks(1024) {
        for (slot, &v) in buf.chunks_exact_mut(8).zip(chunk) {
            let v = if v == 0.0 { 0.0 } else { v };
            slot.copy_from_slice(&v.to_le_bytes());
        }
        sink.put(&buf[..chunk.len() * 8]);
    }
}

/// The fields a Dataset ID covers, borrowed from wherever they live (a spectrum, a
/// store blob being verified). Name, medium and metadata are deliberately not among
/// them: the same numbers from a renamed file are the same dataset.
#[derive(Clone, Copy, Debug)]
pub struct IdFields<'a> {
    /// Wavelengths in nm, increasing.
    pub x_nm: &'a [f64],
    pub y: &'a [f64],
    /// One-sigma uncertainties, when known (same length as `x_nm`).
    pub sigma: Option<&'a [f64]>,
    pub y_unit: &'a str,
    pub instrument: &'a str,
    /// Per-sample mask flags, when any sample is masked.
    pub mask: Option<&'a [bool]>,
}

/// Writes the canonical encoding a Dataset ID hashes: each field length-prefixed, in this
/// order: tag, x_nm, y, σ (zero-length when absent), y unit (UTF-8), instrument (UTF-8),
/// and, only when some sample is masked, `"mask"` and one byte (0/1) per sample.
pub fn encode_id_fields(fields: &IdFields<'_>, sink: &mut dyn EncodingSink) {
    feed_bytes(sink, DATASET_ID_TAG.as_bytes());
    feed_f64s(sink, fields.x_nm);
    feed_f64s(sink, fields.y);
    feed_f64s(sink, fields.sigma.unwrap_or(&[]));
    feed_bytes(sink, fields.y_unit.as_bytes());
    feed_bytes(sink, fields.instrument.as_bytes());
    if let Some(mask) = fields.mask {
        // Optional trailing field: absent for unmasked spectra, so their IDs are unchanged.
        feed_bytes(sink, b"mask");
        let flags: Vec<u8> = mask.iter().map(|&m| u8::from(m)).collect();
        feed_bytes(sink, &flags);
    }
}

/// The Dataset ID of a spectrum's fields: sha256 over [`encode_id_fields`]'s bytes.
pub fn dataset_id_of(fields: &IdFields<'_>) -> DatasetId {
    let mut hasher = Sha256::new();
    encode_id_fields(fields, &mut hasher);
    DatasetId(hex(&hasher.finalize()))
}

/// A Dataset ID from its 64 hex digits (as a store blob's name carries it); `None` unless
/// the text is exactly 64 lower-case hex digits.
pub fn parse_dataset_id(text: &str) -> Option<DatasetId> {
    (text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| DatasetId(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectrum::Spectrum;

    fn dataset_id(s: &Spectrum) -> DatasetId {
        s.dataset_id()
    }

    fn spectrum() -> Spectrum {
        let mut s = Spectrum::new("t", vec![500.0, 501.0], vec![1.0, 2.0], None).unwrap();
        s.y_unit = "counts".into();
        s
    }

    #[test]
    fn matches_a_hand_built_encoding() {
        // The same bytes, assembled independently of the streaming code above.
        let mut bytes = Vec::new();
        let mut field = |b: &[u8]| {
            bytes.extend_from_slice(&(b.len() as u64).to_le_bytes());
            bytes.extend_from_slice(b);
        };
        field(DATASET_ID_TAG.as_bytes());
        field(&[500.0f64.to_le_bytes(), 501.0f64.to_le_bytes()].concat());
        field(&[1.0f64.to_le_bytes(), 2.0f64.to_le_bytes()].concat());
        field(&[]);
        field(b"counts");
        field(b"");
        assert_eq!(dataset_id(&spectrum()).as_str(), sha256_hex(&bytes));
    }

    #[test]
    fn name_and_metadata_do_not_change_the_id_but_numbers_and_units_do() {
        let base = dataset_id(&spectrum());
        let mut renamed = spectrum();
        renamed.name = "other".into();
        renamed.metadata.push(("K".into(), "V".into()));
        assert_eq!(dataset_id(&renamed), base);
        let mut unit = spectrum();
        unit.y_unit = "count".into();
        assert_ne!(dataset_id(&unit), base);
        let mut instrument = spectrum();
        instrument.instrument = "counts".into();
        assert_ne!(dataset_id(&instrument), base, "fields are length-prefixed");
        let with_sigma = Spectrum::new(
            "t",
            vec![500.0, 501.0],
            vec![1.0, 2.0],
            Some(vec![0.0, 0.0]),
        )
        .unwrap();
        assert_ne!(
            dataset_id(&with_sigma),
            dataset_id(&Spectrum::new("t", vec![500.0, 501.0], vec![1.0, 2.0], None).unwrap())
        );
    }

    #[test]
    fn negative_zero_is_canonicalised() {
        let a = Spectrum::new("t", vec![1.0, 2.0], vec![0.0, 1.0], None).unwrap();
        let b = Spectrum::new("t", vec![1.0, 2.0], vec![-0.0, 1.0], None).unwrap();
        assert_eq!(dataset_id(&a), dataset_id(&b));
    }
}
