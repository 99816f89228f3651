//! Blobs: a dataset's canonical encoding (the exact bytes its Dataset ID hashes, see
//! `docs/specs/ids.md`) written once under `blobs/<2>/<2>/<ID>`, and original source
//! files under `sources/<2>/<2>/<sha256>`. Writing streams the encoding through the
//! hasher and into a temporary file at once, fsyncs it, renames it into place and fsyncs
//! the directory; reading re-hashes before decoding, so a blob whose bytes do not match
//! its name is never believed.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::ids::{self, DATASET_ID_TAG, EncodingSink, IdFields};
use crate::spectrum::Spectrum;

/// Where a content address lives under a folder: `<dir>/<first 2>/<next 2>/<hex>`.
pub fn fan_out(dir: &Path, hex: &str) -> PathBuf {
    dir.join(&hex[..2]).join(&hex[2..4]).join(hex)
}

/// The length in bytes of a spectrum's canonical encoding.
pub fn encoded_len(s: &Spectrum) -> u64 {
    let n = s.len() as u64;
    let field = |len: u64| 8 + len;
    field(DATASET_ID_TAG.len() as u64)
        + 2 * field(8 * n)
        + field(if s.sigma().is_some() { 8 * n } else { 0 })
        + field(s.y_unit.len() as u64)
        + field(s.instrument.len() as u64)
        + if s.mask().is_some() {
            field(4) + field(n)
        } else {
            0
        }
}

/// A hasher and a buffered file side by side: the first write error is kept and reported
/// once at the end (the encoder's sink cannot fail).
struct Tee {
    hasher: Sha256,
    file: BufWriter<File>,
    error: Option<std::io::Error>,
}

impl EncodingSink for Tee {
    fn put(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        if self.error.is_none()
            && let Err(e) = self.file.write_all(bytes)
        {
            self.error = Some(e);
        }
    }
}

/// Temporary files are named `<pid>-<n>.tmp` so that a store being opened can tell a
/// dead writer's leftovers from a live one's.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn tmp_path(tmp_dir: &Path) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    tmp_dir.join(format!("{}-{n}.tmp", std::process::id()))
}

/// fsyncs a directory so that a rename or a new entry in it is durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing parents, fsyncing each parent that gained an entry.
pub fn create_dirs(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        // Another writer made it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Moves a complete, fsynced temporary file to `target` and makes the rename durable.
fn publish(tmp: &Path, target: &Path) -> std::io::Result<()> {
    let dir = target.parent().expect("fan-out paths have a parent");
    create_dirs(dir)?;
    std::fs::rename(tmp, target)?;
    sync_dir(dir)
}

/// Why a blob could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{path}: holds bytes whose sha256 is {actual}, not its name")]
    HashMismatch { path: PathBuf, actual: String },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a spectrum's canonical encoding to `blobs_dir` under its ID (through a
/// temporary file in `tmp_dir`); returns the blob's path. The hash is computed from the
/// bytes as they are written, so the name is checked against what reached the disk.
pub fn write_dataset_blob(
    blobs_dir: &Path,
    tmp_dir: &Path,
    spectrum: &Spectrum,
    id: &ids::DatasetId,
) -> Result<PathBuf, BlobError> {
    let target = fan_out(blobs_dir, id.as_str());
    let tmp = tmp_path(tmp_dir);
    let result = (|| {
        let file = File::create(&tmp).map_err(io_at(&tmp))?;
        let mut tee = Tee {
            hasher: Sha256::new(),
            file: BufWriter::with_capacity(1 << 20, file),
            error: None,
        };
        ids::encode_id_fields(&fields_of(spectrum), &mut tee);
        if let Some(e) = tee.error.take() {
            return Err(io_at(&tmp)(e));
        }
        let actual = ids::hex(&tee.hasher.finalize());
        let file = tee
            .file
            .into_inner()
            .map_err(|e| io_at(&tmp)(e.into_error()))?;
        file.sync_all().map_err(io_at(&tmp))?;
        drop(file);
        if actual != id.as_str() {
            return Err(BlobError::HashMismatch {
                path: target.clone(),
                actual,
            });
        }
        publish(&tmp, &target).map_err(io_at(&target))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| target)
}

/// Copies a source file's bytes into `sources_dir` under their sha256 (streamed, so a
/// large file is never held whole); returns the sha256 and the byte count.
pub fn write_source(
    sources_dir: &Path,
    tmp_dir: &Path,
    reader: &mut dyn Read,
) -> Result<(String, u64), BlobError> {
    let tmp = tmp_path(tmp_dir);
    let result = (|| {
        let file = File::create(&tmp).map_err(io_at(&tmp))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_at(&tmp)(e)),
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io_at(&tmp))?;
            total += n as u64;
        }
        let file = out.into_inner().map_err(|e| io_at(&tmp)(e.into_error()))?;
        file.sync_all().map_err(io_at(&tmp))?;
        drop(file);
        let sha = ids::hex(&hasher.finalize());
        let target = fan_out(sources_dir, &sha);
        if target.is_file() {
            // Already there (same bytes, same name): keep the first copy.
            let _ = std::fs::remove_file(&tmp);
        } else {
            publish(&tmp, &target).map_err(io_at(&target))?;
        }
        Ok((sha, total))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The ID fields of a spectrum.
pub fn fields_of(s: &Spectrum) -> IdFields<'_> {
    IdFields {
        x_nm: s.x_nm(),
        y: s.y(),
        sigma: s.sigma(),
        y_unit: &s.y_unit,
        instrument: &s.instrument,
        mask: s.mask(),
    }
}

/// sha256 of a file's bytes, read in 1 MiB pieces.
pub fn hash_file(path: &Path) -> Result<(String, u64), BlobError> {
    let mut file = File::open(path).map_err(io_at(path))?;
    let mut hasher = Sha256::new();
    // A buffer that stays in the core's cache: the bytes are hashed while still there.
    let mut buf = vec![0u8; 128 << 10];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_at(path)(e)),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((ids::hex(&hasher.finalize()), total))
}

/// Reads a dataset blob, checks that its bytes hash to `id`, and decodes the arrays,
/// y unit, instrument and mask (the name, medium and metadata live in the index).
pub fn read_dataset_blob(path: &Path, id: &ids::DatasetId) -> Result<Spectrum, BlobError> {
    let bytes = std::fs::read(path).map_err(io_at(path))?;
    let actual = ids::sha256_hex(&bytes);
    if actual != id.as_str() {
        return Err(BlobError::HashMismatch {
            path: path.to_path_buf(),
            actual,
        });
    }
    decode(&bytes).map_err(|reason| BlobError::Malformed {
        path: path.to_path_buf(),
        reason,
    })
}

/// Reads length-prefixed fields off the front of an encoding.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn next(&mut self, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < 8 {
            return Err(format!("truncated before the {what} field"));
        }
        let (len, tail) = self.rest.split_at(8);
        let len = u64::from_le_bytes(len.try_into().expect("8 bytes"));
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= tail.len())
            .ok_or_else(|| format!("the {what} field runs past the end"))?;
        let (value, tail) = tail.split_at(len);
        self.rest = tail;
        Ok(value)
    }
}

fn floats(b: &[u8], what: &str) -> Result<Vec<f64>, String> {
    if !b.len().is_multiple_of(8) {
        return Err(format!("the {what} field is not a whole number of f64"));
    }
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn text(b: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| format!("the {what} field is not UTF-8"))
}

/// Decodes a canonical encoding (the inverse of [`ids::encode_id_fields`]).
pub fn decode(bytes: &[u8]) -> Result<Spectrum, String> {
    let mut f = Fields { rest: bytes };
    if f.next("tag")? != DATASET_ID_TAG.as_bytes() {
        return Err("not a dataset encoding (wrong tag)".into());
    }
    let x = floats(f.next("x")?, "x")?;
    let y = floats(f.next("y")?, "y")?;
    let sigma = floats(f.next("sigma")?, "sigma")?;
    let y_unit = text(f.next("y unit")?, "y unit")?;
    let instrument = text(f.next("instrument")?, "instrument")?;
    let mask = if f.rest.is_empty() {
        None
    } else {
        if f.next("mask tag")? != b"mask" {
            return Err("unexpected field after the instrument".into());
        }
        let flags = f.next("mask")?;
        if flags.iter().any(|&b| b > 1) {
            return Err("mask flags are not 0 or 1".into());
        }
        Some(flags.iter().map(|&b| b == 1).collect::<Vec<bool>>())
    };
    if !f.rest.is_empty() {
        return Err("trailing bytes after the last field".into());
    }
    let sigma = (!sigma.is_empty()).then_some(sigma);
    let mut s = Spectrum::new("", x, y, sigma).map_err(|e| e.to_string())?;
    s.y_unit = y_unit;
    s.instrument = instrument;
    if let Some(m) = mask {
        if m.len() != s.len() {
            return Err("mask length differs from x".into());
        }
        s.set_mask(Some(m));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum() -> Spectrum {
        let mut s = Spectrum::new(
            "t",
            vec![500.0, 501.0, 502.0],
            vec![1.0, -0.0, 3.0],
            Some(vec![0.1, 0.2, 0.3]),
        )
        .unwrap();
        s.y_unit = "Jy".into();
        s.instrument = "SpeX".into();
        s.set_mask(Some(vec![false, true, false]));
        s
    }

    #[test]
    fn a_blob_is_the_id_encoding_and_decodes_to_the_same_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let (blobs, tmp) = (dir.path().join("blobs"), dir.path().join("tmp"));
        std::fs::create_dir_all(&tmp).unwrap();
        let s = spectrum();
        let id = s.dataset_id();
        let path = write_dataset_blob(&blobs, &tmp, &s, &id).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(ids::sha256_hex(&bytes), id.as_str());
        assert_eq!(bytes.len() as u64, encoded_len(&s));
        let back = read_dataset_blob(&path, &id).unwrap();
        assert_eq!(back.dataset_id(), id);
        assert_eq!(back.mask(), s.mask());
        assert_eq!(back.sigma(), s.sigma());
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    }

    #[test]
    fn unmasked_spectra_without_sigma_round_trip() {
        let s = Spectrum::new("t", vec![1.0], vec![2.0], None).unwrap();
        let mut bytes = Vec::new();
        ids::encode_id_fields(&fields_of(&s), &mut bytes);
        assert_eq!(bytes.len() as u64, encoded_len(&s));
        let back = decode(&bytes).unwrap();
        assert_eq!(back.dataset_id(), s.dataset_id());
        assert!(back.sigma().is_none() && back.mask().is_none());
    }

    #[test]
    fn damaged_encodings_are_refused_with_a_reason() {
        let s = spectrum();
        let mut bytes = Vec::new();
        ids::encode_id_fields(&fields_of(&s), &mut bytes);
        for cut in [0, 5, 8, 40, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).unwrap_err().contains("trailing"));
        let mut wrong_tag = bytes.clone();
        wrong_tag[8] ^= 1;
        assert!(decode(&wrong_tag).unwrap_err().contains("tag"));
        // A huge declared length never allocates or panics.
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&huge).is_err());
    }

    #[test]
    fn a_changed_byte_is_a_hash_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let (blobs, tmp) = (dir.path().join("blobs"), dir.path().join("tmp"));
        std::fs::create_dir_all(&tmp).unwrap();
        let s = spectrum();
        let id = s.dataset_id();
        let path = write_dataset_blob(&blobs, &tmp, &s, &id).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            read_dataset_blob(&path, &id),
            Err(BlobError::HashMismatch { .. })
        ));
    }
}
