//! Bundles and the Library store: an export's datasets and manifest go into the store
//! with their links, and `store import` rehydrates a bundle — only after its files pass
//! the safety rules (`store::paths`), the bundle verifies and its steps replay to the
//! recorded IDs. Everything is gathered first and written as one store change, so a
//! refused or failed import leaves nothing behind.

use std::path::Path;

use serde::Serialize;

use crate::ids::DatasetId;
use crate::provenance::manifest::{Citation, Manifest};
use crate::session::persist::put_item;
use crate::session::{Session, SourceRef};
use crate::store::paths::{self, UnsafeBundle};
use crate::store::{ManifestPut, PutOutcome, SourceInput, Store, StoreError};

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Unsafe(#[from] UnsafeBundle),
    #[error("does not verify: {}", .0.join("; "))]
    Verify(Vec<String>),
    #[error("{0}")]
    Unreadable(String),
    #[error("replays differently: {}", .0.join("; "))]
    Replay(Vec<String>),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// One dataset an import brought in.
#[derive(Clone, Debug, Serialize)]
pub struct ImportedDataset {
    pub id: DatasetId,
    pub name: String,
    /// `input` or `derived`.
    pub role: &'static str,
    pub outcome: PutOutcome,
}

/// What `store import` did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub manifest_id: String,
    pub datasets: Vec<ImportedDataset>,
    /// How many were new to the store.
    pub added: usize,
}

/// One line per citation, as `CITATION.txt` writes them.
pub fn citation_lines(citations: &[Citation]) -> Vec<String> {
    citations
        .iter()
        .map(|c| {
            format!(
                "[{}] {} ({}). {}. {}. {}. Licence: {}.",
                c.n,
                c.authors.trim_end_matches('.'),
                c.year,
                c.title,
                c.publisher,
                c.identifier,
                c.licence
            )
        })
        .collect()
}

fn role_of(source: &SourceRef) -> &'static str {
    if matches!(source, SourceRef::Derived(_)) {
        "derived"
    } else {
        "input"
    }
}

/// Reads a bundle's `manifest.json`.
pub fn read_manifest(bundle_dir: &Path) -> Result<Manifest, ImportError> {
    let path = bundle_dir.join("manifest.json");
    let bytes = std::fs::read(&path)
        .map_err(|e| ImportError::Unreadable(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ImportError::Unreadable(format!("{}: {e}", path.display())))
}

/// Puts an exported session's datasets and its manifest (read back from the bundle)
/// into the store as one change.
pub fn record_export(
    store: &mut Store,
    session: &Session,
    bundle_dir: &Path,
    manifest_id: &str,
    now_ms: i64,
) -> Result<(), ImportError> {
    let path = bundle_dir.join("manifest.json");
    let bytes = std::fs::read(&path)
        .map_err(|e| ImportError::Unreadable(format!("{}: {e}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| ImportError::Unreadable(format!("{}: {e}", path.display())))?;
    // Only what the manifest names: the session may have moved on while a background
    // export ran.
    let named: std::collections::BTreeSet<&DatasetId> = manifest
        .inputs
        .iter()
        .map(|i| &i.id)
        .chain(manifest.transforms.iter().map(|t| &t.output_id))
        .collect();
    let datasets: Vec<&crate::session::Dataset> = session
        .datasets()
        .iter()
        .filter(|d| named.contains(&d.id))
        .collect();
    let names: Vec<String> = datasets.iter().map(|d| d.source.display_name()).collect();
    let items: Vec<_> = datasets
        .iter()
        .zip(&names)
        .map(|(d, name)| {
            let mut item = put_item(d, session.records());
            if !matches!(d.source, SourceRef::Derived(_)) {
                item.source_name = name;
            }
            item
        })
        .collect();
    let put = ManifestPut {
        manifest_id,
        bytes: &bytes,
        created_at: &manifest.created_at,
        citations: citation_lines(&manifest.citations),
        datasets: datasets
            .iter()
            .map(|d| (d.id.clone(), role_of(&d.source)))
            .collect(),
    };
    store.put_batch(&items, Some(&put), now_ms)?;
    Ok(())
}

/// Imports the bundle in `dir` (see the module docs for the checks made first).
pub fn import_bundle(
    store: &mut Store,
    dir: &Path,
    now_ms: i64,
) -> Result<ImportReport, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::Unreadable(
            "not a bundle folder (no such directory)".into(),
        ));
    }
    let files = paths::check_tree(dir)?;
    let manifest_path = dir.join("manifest.json");
    if !files.iter().any(|f| f == "manifest.json") {
        return Err(ImportError::Unreadable("no manifest.json".into()));
    }
    let bytes = std::fs::read(&manifest_path)
        .map_err(|e| ImportError::Unreadable(format!("manifest.json: {e}")))?;
    // Paths first, from the raw JSON: a hostile manifest is refused before anything
    // else reads it.
    let raw: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ImportError::Unreadable(format!("manifest.json: {e}")))?;
    if let Some(outputs) = raw.get("outputs").and_then(|o| o.as_array()) {
        for o in outputs {
            if let Some(p) = o.get("path").and_then(|p| p.as_str()) {
                paths::check_relative(p)?;
            }
        }
    }
    let failures = crate::provenance::verify::verify_bundle(dir)
        .map_err(|e| ImportError::Unreadable(e.to_string()))?;
    if !failures.is_empty() {
        return Err(ImportError::Verify(failures));
    }
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| ImportError::Unreadable(format!("manifest.json: {e}")))?;
    let (session, problems) = crate::provenance::replay::rebuild_session(dir, &manifest)
        .map_err(|e| ImportError::Unreadable(e.to_string()))?;
    if !problems.is_empty() {
        return Err(ImportError::Replay(problems));
    }
    let manifest_id = manifest.manifest_id();
    // Original source files the bundle carries, by their sha256.
    let mut source_bytes: Vec<(String, Vec<u8>)> = Vec::new();
    for f in files.iter().filter(|f| f.starts_with("sources/")) {
        let b =
            std::fs::read(dir.join(f)).map_err(|e| ImportError::Unreadable(format!("{f}: {e}")))?;
        source_bytes.push((crate::ids::sha256_hex(&b), b));
    }
    let mut items = Vec::new();
    for d in session.datasets() {
        let mut item = put_item(d, session.records());
        if let Some(input) = manifest.inputs.iter().find(|i| i.id == d.id) {
            item.source_name = &input.source_name;
            item.source = match source_bytes.iter().find(|(h, _)| *h == input.hash_sha256) {
                Some((_, b)) => SourceInput::Bytes(b),
                None => SourceInput::Hash(&input.hash_sha256),
            };
            item.format = "bundle";
        }
        items.push(item);
    }
    let put = ManifestPut {
        manifest_id: &manifest_id,
        bytes: &bytes,
        created_at: &manifest.created_at,
        citations: citation_lines(&manifest.citations),
        datasets: session
            .datasets()
            .iter()
            .map(|d| (d.id.clone(), role_of(&d.source)))
            .collect(),
    };
    let outcomes = store.put_batch(&items, Some(&put), now_ms)?;
    let datasets: Vec<ImportedDataset> = session
        .datasets()
        .iter()
        .zip(&outcomes)
        .map(|(d, &outcome)| ImportedDataset {
            id: d.id.clone(),
            name: d.spectrum.name.clone(),
            role: role_of(&d.source),
            outcome,
        })
        .collect();
    Ok(ImportReport {
        added: outcomes.iter().filter(|&&o| o == PutOutcome::Added).count(),
        manifest_id,
        datasets,
    })
}
