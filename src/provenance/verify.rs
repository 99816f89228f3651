//! Verifying a bundle: the manifest decodes, every listed file exists with its size and
//! hash, nothing is unlisted, the pack and data hashes and MANIFEST_ID recompute.

use std::path::Path;

use crate::ids::sha256_hex;
use crate::provenance::hash_of_listing;
use crate::provenance::manifest::Manifest;

/// The manifest schema (JSON Schema 2020-12), embedded: validation never fetches anything.
pub const SCHEMA: &str = include_str!("../../schemas/provenance_schema.json");

/// Schema problems of a manifest's JSON, one line each (empty when it conforms).
pub fn schema_errors(manifest: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA).expect("the embedded schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the embedded schema is valid");
    validator
        .iter_errors(manifest)
        .map(|e| format!("manifest.json: schema: {} at '{}'", e, e.instance_path()))
        .collect()
}

/// Files a bundle holds that `outputs[]` does not list (they are made from it).
const UNLISTED_BY_DESIGN: [&str; 3] = ["manifest.json", "pack_sha256.txt", "data_sha256.txt"];

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// A bundle that cannot be checked at all (a failed check is a listed problem, not this).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Walk {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Every problem found, one line each naming the path; empty when the bundle is intact.
pub fn verify_bundle(dir: &Path) -> Result<Vec<String>, VerifyError> {
    verify_bundle_versioned(dir).map(|(_, problems)| problems)
}

/// [`verify_bundle`], with the bundle format it was checked as (`None` when the manifest
/// could not be read far enough to say).
pub fn verify_bundle_versioned(dir: &Path) -> Result<(Option<String>, Vec<String>), VerifyError> {
    let manifest_path = dir.join("manifest.json");
    let text =
        std::fs::read_to_string(&manifest_path).map_err(|source| VerifyError::Unreadable {
            path: manifest_path.clone(),
            source,
        })?;
    let mut failures = Vec::new();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(value) => failures.extend(schema_errors(&value)),
        Err(e) => return Ok((None, vec![format!("manifest.json: {e}")])),
    }
    let manifest: Manifest = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            failures.push(format!("manifest.json: {e}"));
            return Ok((None, failures));
        }
    };
    let version = manifest.schema_version.clone();
    // Each format is checked by its own rule; one this build does not know is refused.
    let listing_hash: fn(&[(String, String)]) -> String = match version.as_str() {
        "1.2.0" => crate::provenance::hash_of_listing_v1_2,
        "1.3.0" => hash_of_listing,
        other => {
            failures.push(format!(
                "manifest.json: bundle format {other} is not one this version reads ({})",
                crate::provenance::manifest::READABLE_VERSIONS.join(", ")
            ));
            return Ok((Some(version), failures));
        }
    };
    let id = manifest.manifest_id();
    match std::fs::read_to_string(dir.join("MANIFEST_ID")) {
        Ok(s) if s.trim() == id => {}
        Ok(s) => failures.push(format!(
            "MANIFEST_ID: says {}, the manifest hashes to {id}",
            s.trim()
        )),
        Err(_) => failures.push("MANIFEST_ID: missing".into()),
    }
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dir_name != format!("export_{id}") {
        failures.push(format!(
            "{dir_name}: folder name does not match MANIFEST_ID {id}"
        ));
    }
    let mut sorted = manifest.outputs.clone();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if sorted != manifest.outputs {
        failures.push("manifest.json: outputs are not sorted by path".into());
    }
    let mut actual = Vec::new();
    for o in &manifest.outputs {
        if o.path.starts_with('/') || o.path.split('/').any(|c| c == ".." || c.is_empty()) {
            failures.push(format!("{}: not a plain relative path", o.path));
            continue;
        }
        match std::fs::read(dir.join(&o.path)) {
            Err(_) => failures.push(format!("{}: missing", o.path)),
            Ok(bytes) => {
                let sha = sha256_hex(&bytes);
                if bytes.len() as u64 != o.byte_size {
                    failures.push(format!(
                        "{}: size {} but the manifest says {}",
                        o.path,
                        bytes.len(),
                        o.byte_size
                    ));
                }
                if sha != o.sha256 {
                    failures.push(format!("{}: sha256 differs from the manifest", o.path));
                }
                actual.push((o.path.clone(), sha));
            }
        }
    }
    let mut present = Vec::new();
    walk(dir, dir, &mut present).map_err(|source| VerifyError::Walk {
        path: dir.to_path_buf(),
        source,
    })?;
    present.sort();
    for p in &present {
        if !UNLISTED_BY_DESIGN.contains(&p.as_str())
            && !manifest.outputs.iter().any(|o| &o.path == p)
        {
            failures.push(format!("{p}: not listed in the manifest"));
        }
    }
    let pack = listing_hash(&actual);
    let data = listing_hash(
        &actual
            .iter()
            .filter(|(p, _)| p.starts_with("spectra/") || p.starts_with("traces/"))
            .cloned()
            .collect::<Vec<_>>(),
    );
    for (file, want) in [("pack_sha256.txt", pack), ("data_sha256.txt", data)] {
        match std::fs::read_to_string(dir.join(file)) {
            Ok(s) if s.trim() == want => {}
            Ok(_) => failures.push(format!("{file}: does not match the files")),
            Err(_) => failures.push(format!("{file}: missing")),
        }
    }
    Ok((Some(version), failures))
}
