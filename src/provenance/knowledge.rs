//! What the Knowledge-log says about provenance: the canonical entry an export writes
//! (seed §5.2: MANIFEST_ID, inputs, key steps, outputs, schema reference), notes tied to
//! datasets or an exported view, and **Rebuild current view**: an exported view restored
//! from the Library store (its manifest verified, its inputs read from their blobs, its
//! steps re-applied and checked against the recorded IDs).

use serde::Serialize;

use crate::ids::{DatasetId, sha256_hex, short_hex};
use crate::provenance::manifest::{Manifest, SCHEMA_VERSION};
use crate::provenance::replay::{ReplayError, rebuild_with};
use crate::session::{Dataset, Rebuild, SourceRef};
use crate::store::knowledge::{EntryKind, FrontMatter, LogEntry, LogWriteError};
use crate::store::{Store, StoreError};
use crate::textfmt::rfc3339_from_unix;

/// Who wrote an entry: the session and the History event that did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub session_id: String,
    /// The event's sequence number in that session.
    pub event_seq: u64,
}

/// The Knowledge-log entry ID of an export.
pub fn export_entry_id(manifest_id: &str) -> String {
    format!("export-{}", short_hex(manifest_id))
}

fn utc_text(now_ms: i64) -> String {
    rfc3339_from_unix((now_ms.max(0) / 1000) as u64)
}

fn step_text(r: &crate::transforms::registry::StepRecord) -> String {
    let params = match &r.params {
        serde_json::Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Object(_) | serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    format!("{}({params})", r.kind)
}

/// The canonical entry of an export, in the seed's shape.
pub fn export_entry(
    manifest: &Manifest,
    manifest_id: &str,
    context: &str,
    origin: &Origin,
    now_ms: i64,
) -> LogEntry {
    let created = utc_text(now_ms);
    let stamp = created.replace('T', " ").replace("+00:00", " UTC");
    let mut body = format!(
        "# [{stamp}] Export bundle created — MANIFEST_ID={manifest_id}\n\n- Context: {context}\n"
    );
    let inputs: Vec<String> = manifest
        .inputs
        .iter()
        .map(|i| format!("[{}](dataset:{}) `{}`", i.source_name, i.id, i.id.short()))
        .collect();
    body.push_str(&format!(
        "- Inputs: {} dataset{} ({})\n",
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" },
        inputs.join(", ")
    ));
    let steps: Vec<String> = manifest.transforms.iter().map(step_text).collect();
    body.push_str(&format!(
        "- Key Steps: {}\n",
        if steps.is_empty() {
            "none".to_string()
        } else {
            steps.join(", ")
        }
    ));
    let mut outputs: Vec<String> = Vec::new();
    for o in &manifest.outputs {
        // Folders of many files read better as one glob.
        let shown = match (o.path.split_once('/'), o.path.rsplit_once('.')) {
            (Some((dir, _)), Some((_, ext))) if !ext.contains('/') => format!("{dir}/*.{ext}"),
            (Some((dir, _)), _) => format!("{dir}/*"),
            (None, _) => o.path.clone(),
        };
        if !outputs.contains(&shown) {
            outputs.push(shown);
        }
    }
    body.push_str(&format!("- Outputs: {}\n", outputs.join(", ")));
    body.push_str(&format!(
        "- References: schemas/provenance_schema.json@{SCHEMA_VERSION}\n"
    ));
    body.push_str(&format!(
        "- Links: [manifest {}](manifest:{manifest_id}) · [History event {}](event:{})\n",
        short_hex(manifest_id),
        origin.event_seq,
        origin.event_seq
    ));
    let mut datasets: Vec<String> = manifest
        .inputs
        .iter()
        .map(|i| i.id.to_string())
        .chain(manifest.transforms.iter().map(|t| t.output_id.to_string()))
        .collect();
    datasets.dedup();
    LogEntry {
        front: FrontMatter {
            id: export_entry_id(manifest_id),
            kind: EntryKind::Export,
            created,
            created_ms: now_ms,
            title: format!(
                "Export bundle created — MANIFEST_ID={}",
                short_hex(manifest_id)
            ),
            manifest_id: Some(manifest_id.to_string()),
            datasets,
            session: Some(origin.session_id.clone()),
            event: Some(origin.event_seq),
        },
        body,
    }
}

/// Writes an export's entry unless it already has one (the same view exported twice is
/// one manifest, one entry). Returns the entry's ID.
pub fn write_export_entry(
    store: &mut Store,
    manifest: &Manifest,
    manifest_id: &str,
    context: &str,
    origin: &Origin,
    now_ms: i64,
) -> Result<String, LogWriteError> {
    let short = export_entry_id(manifest_id);
    let mut entry = export_entry(manifest, manifest_id, context, origin, now_ms);
    if store.log_path(&short).exists() {
        store.rescan_log()?;
        let same = store
            .log_row(&short)?
            .is_some_and(|r| r.manifest_id.as_deref() == Some(manifest_id));
        if same {
            return Ok(short);
        }
        // Another file holds the short name (another manifest with the same first 12
        // digits, or a file someone made): this entry takes the full ID instead.
        entry.front.id = format!("export-{manifest_id}");
        if store.log_path(&entry.front.id).exists() {
            return Ok(entry.front.id);
        }
    }
    let id = entry.front.id.clone();
    store.write_log_entry(&entry, None)?;
    Ok(id)
}

/// A Markdown line as plain words, for a title: `[text](target)` becomes `text`, and
/// emphasis and code marks (`*`, `_` at word edges, `` ` ``) go.
fn plain_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find("](").and_then(|close| {
            after[close + 2..]
                .find(')')
                .map(|end| (close, close + 2 + end))
        }) {
            Some((close, end)) => {
                out.push_str(&rest[..open]);
                out.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let out = out.replace(['`', '*'], "");
    out.split_whitespace()
        .map(|w| w.trim_matches('_'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A note the user wrote, about `datasets` and (optionally) an exported view.
pub fn note_entry(
    text: &str,
    datasets: &[DatasetId],
    manifest_id: Option<&str>,
    origin: &Origin,
    now_ms: i64,
) -> LogEntry {
    let first = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("Note");
    let title: String = plain_text(first).chars().take(80).collect();
    let hash = sha256_hex(format!("{now_ms}\n{}\n{text}", origin.session_id).as_bytes());
    let mut body = text.to_string();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    LogEntry {
        front: FrontMatter {
            id: format!("note-{now_ms}-{}", &hash[..8]),
            kind: EntryKind::Note,
            created: utc_text(now_ms),
            created_ms: now_ms,
            title,
            manifest_id: manifest_id.map(str::to_string),
            datasets: datasets.iter().map(|d| d.to_string()).collect(),
            session: Some(origin.session_id.clone()),
            event: Some(origin.event_seq),
        },
        body,
    }
}

/// Why an exported view could not be rebuilt from the store.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("manifest {0} is not in the Library store")]
    NotStored(String),
    #[error("manifest {id} fails verification: {}", .problems.join("; "))]
    Fails { id: String, problems: Vec<String> },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Replay(#[from] ReplayError),
    #[error("manifest {id} rebuilds differently: {}", .problems.join("; "))]
    Differs { id: String, problems: Vec<String> },
}

/// Reads a manifest from the store and checks it: it parses, meets the schema, and
/// hashes to its own ID.
pub fn stored_manifest(store: &Store, manifest_id: &str) -> Result<Manifest, RebuildError> {
    let path = store.manifest_path(manifest_id);
    let fails = |problems: Vec<String>| RebuildError::Fails {
        id: manifest_id.to_string(),
        problems,
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RebuildError::NotStored(manifest_id.to_string()));
        }
        Err(e) => return Err(fails(vec![format!("{}: {e}", path.display())])),
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| fails(vec![format!("{}: {e}", path.display())]))?;
    let schema = crate::provenance::verify::schema_errors(&value);
    if !schema.is_empty() {
        return Err(fails(schema));
    }
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| fails(vec![format!("{}: {e}", path.display())]))?;
    let id = manifest.manifest_id();
    if id != manifest_id {
        return Err(fails(vec![format!(
            "{}: its content hashes to {id}",
            path.display()
        )]));
    }
    Ok(manifest)
}

/// Rebuilds an exported view from the store: what [`crate::session::Command::Rebuild`]
/// applies. Inputs come from their blobs (verified on read), steps are re-applied, and
/// every Dataset ID must come out as the manifest recorded.
pub fn rebuild_from_store(
    store: &Store,
    manifest_id: &str,
    now_ms: i64,
) -> Result<Rebuild, RebuildError> {
    let manifest = stored_manifest(store, manifest_id)?;
    let (session, problems) = rebuild_with(&manifest, |input| {
        let loaded = store
            .load(&input.id, now_ms)
            .map_err(|e| ReplayError::Stored(e.to_string()))?;
        Ok((
            loaded.spectrum,
            SourceRef::Stored {
                id: input.id.clone(),
                name: input.source_name.clone(),
            },
        ))
    })?;
    if !problems.is_empty() {
        return Err(RebuildError::Differs {
            id: manifest_id.to_string(),
            problems,
        });
    }
    let datasets: Vec<Dataset> = session.datasets().to_vec();
    Ok(Rebuild {
        manifest_id: Some(manifest_id.to_string()),
        source: format!("manifest {}", short_hex(manifest_id)),
        datasets,
        records: session.records().to_vec(),
        analyses: session.analyses().to_vec(),
        view: manifest.view_state,
    })
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn titles_read_as_plain_words() {
        assert_eq!(
            plain_text("Decision: trust the **red** arm. See [the M6](dataset:e7f6)."),
            "Decision: trust the red arm. See the M6."
        );
        assert_eq!(plain_text("`code` and _emph_ [open"), "code and emph [open");
        assert_eq!(plain_text("a [b] (c) [d](e"), "a [b] (c) [d](e");
        assert_eq!(plain_text("snake_case stays"), "snake_case stays");
    }
}
