//! `store verify`: the index is sound (SQLite's own check), every live entry's blob is
//! present with the size the index records, and every kept source and manifest file is
//! there; with `read_data`, every blob is hashed again (on all cores) and one that does
//! not match its name is quarantined and reported.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::{Store, StoreError, blob};

/// What `store verify` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    pub datasets: usize,
    pub blobs_hashed: usize,
    pub bytes_hashed: u64,
    /// Each a failure (exit 1).
    pub problems: Vec<String>,
    /// Worth knowing, not failures: entries quarantined earlier, unindexed blobs that the
    /// next `gc` removes.
    pub notes: Vec<String>,
}

impl VerifyReport {
    /// Whether the store passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Every file under a fan-out folder (`<2>/<2>/<name>`), sorted.
pub(crate) fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let level = |d: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(d)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    for a in level(dir) {
        for b in level(&a) {
            out.extend(level(&b).into_iter().filter(|p| p.is_file()));
        }
    }
    out.sort();
    out
}

/// One file's hash and size, or why it could not be read.
type Hashed = Result<(String, u64), blob::BlobError>;

/// Hashes files on every core; returns (index, sha256, bytes) per file, in input order.
fn hash_all(paths: &[PathBuf]) -> Vec<Hashed> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Hashed>>> = Mutex::new((0..paths.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(k) else { break };
                    let r = blob::hash_file(path);
                    results.lock().expect("no panics while held")[k] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no panics while held")
        .into_iter()
        .map(|r| r.expect("every index was taken"))
        .collect()
}

impl Store {
    /// Checks the store; `read_data` re-hashes every blob. `now_ms` names quarantined
    /// files.
    pub fn verify(&self, read_data: bool, now_ms: i64) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let check: String = self
            .conn()
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(self.sql_err())?;
        if check != "ok" {
            report.problems.push(format!("index.sqlite: {check}"));
        }
        let rows: Vec<(String, i64, String)> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT id, size_bytes, status FROM datasets ORDER BY id")
                .map_err(self.sql_err())?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(|r| r.collect())
                .map_err(self.sql_err())?
        };
        report.datasets = rows.len();
        let mut to_hash = Vec::new();
        for (id, size, status) in &rows {
            let Some(parsed) = crate::ids::parse_dataset_id(id) else {
                report
                    .problems
                    .push(format!("index: '{id}' is not a Dataset ID"));
                continue;
            };
            if status == "quarantined" {
                report.notes.push(format!(
                    "{id}: quarantined earlier (its blob did not match)"
                ));
                continue;
            }
            let path = self.blob_path(&parsed);
            match std::fs::metadata(&path) {
                Err(_) => report
                    .problems
                    .push(format!("{id}: blob missing ({})", path.display())),
                Ok(m) if m.len() != *size as u64 => report.problems.push(format!(
                    "{id}: blob is {} bytes, the index says {size}",
                    m.len()
                )),
                Ok(_) => to_hash.push((parsed, path)),
            }
        }
        if read_data {
            let paths: Vec<PathBuf> = to_hash.iter().map(|(_, p)| p.clone()).collect();
            for ((id, path), result) in to_hash.iter().zip(hash_all(&paths)) {
                match result {
                    Ok((sha, n)) => {
                        report.blobs_hashed += 1;
                        report.bytes_hashed += n;
                        if sha != id.as_str() {
                            let err = self.quarantine(id, now_ms)?;
                            report.problems.push(err.to_string());
                        }
                    }
                    Err(e) => report.problems.push(format!("{}: {e}", path.display())),
                }
            }
        }
        let sources: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT sha256 FROM sources WHERE present ORDER BY sha256")
                .map_err(self.sql_err())?;
            stmt.query_map([], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(self.sql_err())?
        };
        for sha in sources {
            let path = self.source_path(&sha);
            if !path.is_file() {
                report
                    .problems
                    .push(format!("source {sha}: missing ({})", path.display()));
            } else if read_data {
                match blob::hash_file(&path) {
                    Ok((actual, _)) if actual == sha => {}
                    Ok((actual, _)) => report
                        .problems
                        .push(format!("source {sha}: its bytes hash to {actual}")),
                    Err(e) => report.problems.push(e.to_string()),
                }
            }
        }
        let manifests: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT id FROM manifests ORDER BY id")
                .map_err(self.sql_err())?;
            stmt.query_map([], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(self.sql_err())?
        };
        for id in manifests {
            let path = self.manifest_path(&id);
            match std::fs::read(&path) {
                Err(_) => report
                    .problems
                    .push(format!("manifest {id}: missing ({})", path.display())),
                Ok(bytes) if read_data => {
                    if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
                        report
                            .problems
                            .push(format!("manifest {id}: not valid JSON"));
                    }
                }
                Ok(_) => {}
            }
        }
        let indexed: std::collections::HashSet<&str> =
            rows.iter().map(|(id, _, _)| id.as_str()).collect();
        let unindexed = blob_files(&self.root().join("blobs"))
            .iter()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_none_or(|n| !indexed.contains(n))
            })
            .count();
        if unindexed > 0 {
            report.notes.push(format!(
                "{unindexed} blob(s) without an index entry (a write stopped before its \
                 commit); gc removes them"
            ));
        }
        Ok(report)
    }
}
