//! Provenance: the manifest, its canonical JSON and MANIFEST_ID, the export bundle
//! (written atomically) and its verification.
//!
//! A bundle `export_<MANIFEST_ID>/` holds `manifest.json`, `MANIFEST_ID`, `view.png` (the
//! canvas rendered on the CPU), `spectra/<ID>.csv` (canonical inputs), `traces/<ID>.csv`
//! (exactly what is plotted, in display units), `sources/` (raw input files),
//! `logs/log.txt`, `CITATION.txt`, `pack_sha256.txt` and `data_sha256.txt`. The
//! definitions are in `docs/specs/ids.md` and `docs/dev/provenance.md`.

pub mod archive;
pub mod bundle;
pub mod knowledge;
pub mod manifest;
pub mod recipe;
pub mod replay;
pub mod verify;

use sha2::{Digest, Sha256};

use crate::ids::hex;

/// Canonical JSON: object keys sorted (serde_json's map is a BTreeMap here), no
/// whitespace, numbers as serde_json writes them (the shortest text that reads back to the
/// same f64).
pub fn canonical_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

/// The pack and data hash of bundle format 1.3.0 on, as seed 003 defines it: the entries
/// sorted by relative path (byte order of the UTF-8 path), then sha256 over the lines
/// `"<sha256>  <relative path>\n"` in that order.
pub fn hash_of_listing(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (path, sha) in sorted {
        h.update(format!("{sha}  {path}\n").as_bytes());
    }
    hex(&h.finalize())
}

/// The pack and data hash of bundle format 1.2.0 (read for old bundles only): the same
/// lines, sorted as lines, i.e. by hash.
pub fn hash_of_listing_v1_2(entries: &[(String, String)]) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .map(|(path, sha)| format!("{sha}  {path}\n"))
        .collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    hex(&h.finalize())
}
