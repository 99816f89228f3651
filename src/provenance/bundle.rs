//! Writing an export bundle: every file is built in memory, written into a temporary
//! folder beside the target, fsynced, and the folder renamed into place, so a failed
//! export leaves nothing behind.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::canonical_csv::{CsvTable, MaskColumn};
use crate::display::DisplayTrace;
use crate::ids::{DatasetId, sha256_hex};
use crate::provenance::hash_of_listing;
use crate::provenance::manifest::{self, OutputEntry};
use crate::render::offscreen::render_canvas;
use crate::render::scene_of;
use crate::session::{Session, SourceRef};
use crate::units::XUnit;

/// What an export produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub dir: PathBuf,
    pub manifest_id: String,
    pub data_sha256: String,
    pub pack_sha256: String,
    /// True when an identical export (same MANIFEST_ID) was already there and kept.
    pub already_existed: bool,
}

/// Why an export failed. Nothing is left behind when it does.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: cannot copy the source file: {1}")]
    Source(String, std::io::Error),
    #[error("nothing to export: no traces on the canvas")]
    Empty,
    #[error("export cancelled")]
    Cancelled,
}

/// What watches a running export: where it reports progress and whether the user
/// cancelled it (then it stops between stages and leaves nothing behind).
pub trait Monitor: Sync {
    /// `fraction` in 0..=1 and what is being done.
    fn progress(&self, fraction: f32, words: &str) {
        let _ = (fraction, words);
    }
    /// Whether to stop.
    fn cancelled(&self) -> bool {
        false
    }
    /// How many files may be made at once (a background export leaves a core to the UI).
    fn threads(&self) -> usize {
        usize::MAX
    }
}

/// No progress reports and no cancel (the CLI, tests).
pub struct Unwatched;

impl Monitor for Unwatched {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file name safe inside the bundle: no separators, not `.` or `..`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "source".into(),
        _ => cleaned,
    }
}

fn csv_rows(bytes: &[u8]) -> u64 {
    // Data rows: lines that are not comments, minus the header.
    let text = String::from_utf8_lossy(bytes);
    let lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    lines.saturating_sub(1) as u64
}

/// The displayed data of one trace at full resolution, in display units.
pub(crate) fn trace_csv(
    view: &crate::view::ViewState,
    name: &str,
    id: &DatasetId,
    trace: &DisplayTrace,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(trace.spectrum.len() * 48);
    let comment = format!(
        "{name} (dataset {id}); normalization {}, smoothing {:?}",
        view.normalization.label(),
        view.smoothing
    );
    crate::canonical_csv::write_table(
        &mut out,
        &CsvTable {
            comment: &comment,
            unit: view.display_unit,
            y_header: "y",
            x_nm: trace.spectrum.x_nm(),
            y: trace.y(),
            y_divisor: trace.divisor(view.normalization).unwrap_or(1.0),
            sigma: trace.sigma(),
            mask: trace.spectrum.mask(),
            mask_column: MaskColumn::Always,
        },
    )
    .expect("writing to memory");
    out
}

/// Prepares every dataset's display trace for the view's smoothing, then writes the
/// bundle (the CLI's path; the GUI passes the traces it already has).
pub fn export_session(
    session: &Session,
    out_parent: &Path,
    created_at: &str,
) -> Result<Exported, ExportError> {
    let smoothing = session.view().smoothing;
    let traces: BTreeMap<DatasetId, Arc<DisplayTrace>> = session
        .datasets()
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                Arc::new(DisplayTrace::build(d.spectrum.clone(), smoothing)),
            )
        })
        .collect();
    write_bundle(session, &traces, out_parent, created_at)
}

/// Writes the bundle of `session` (with its prepared `traces`) under `out_parent`.
pub fn write_bundle(
    session: &Session,
    traces: &BTreeMap<DatasetId, Arc<DisplayTrace>>,
    out_parent: &Path,
    created_at: &str,
) -> Result<Exported, ExportError> {
    write_bundle_watched(session, traces, out_parent, created_at, &Unwatched)
}

/// [`write_bundle`], reporting progress to `monitor` and stopping, with nothing left
/// behind, when it says so.
pub fn write_bundle_watched(
    session: &Session,
    traces: &BTreeMap<DatasetId, Arc<DisplayTrace>>,
    out_parent: &Path,
    created_at: &str,
    monitor: &dyn Monitor,
) -> Result<Exported, ExportError> {
    let stop = || {
        if monitor.cancelled() {
            Err(ExportError::Cancelled)
        } else {
            Ok(())
        }
    };
    monitor.progress(0.0, "collecting sources");
    let view = session.view();
    let mut m = manifest::build(session, created_at);
    let manifest_id = m.manifest_id();
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // Each file's sha256, computed once, where the file is made.
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();

    // Raw sources (read here), then the large files — canonical inputs, plotted traces and
    // the picture — made in parallel: each is a pure function of the session.
    let mut used_names: Vec<String> = Vec::new();
    // Restricted data: no raw sources without the user's opt-in (the manifest's
    // data_restrictions says why they are missing).
    let sources_allowed = session.export_policy().sources_allowed();
    for d in session.datasets().iter().filter(|_| sources_allowed) {
        let bytes = match &d.source {
            SourceRef::Bundled(name) => crate::samples::sample_bytes(name).map(<[u8]>::to_vec),
            SourceRef::File(path) => Some(
                std::fs::read(path).map_err(|e| ExportError::Source(d.source.display_name(), e))?,
            ),
            // The store keeps the original bytes, but an export reads only what the
            // session holds; the manifest still names the source's hash.
            SourceRef::Derived(_) | SourceRef::Stored { .. } => None,
        };
        if let Some(bytes) = bytes {
            let mut name = safe_name(&d.source.display_name());
            while used_names.contains(&name) {
                name = format!("{}-{}", d.id.short(), name);
            }
            used_names.push(name.clone());
            files.insert(format!("sources/{name}"), bytes);
        }
    }
    let (scene, _unresolved) = scene_of(session, view, traces);
    if scene.is_empty() {
        return Err(ExportError::Empty);
    }
    stop()?;
    monitor.progress(0.1, "writing tables and the picture");
    type Job<'a> = Box<dyn FnOnce() -> Vec<u8> + Send + 'a>;
    let mut jobs: Vec<(String, Job<'_>)> = Vec::new();
    // The CSVs made here hold one row per sample: their row counts are known, not recounted.
    let mut known_rows: BTreeMap<String, u64> = BTreeMap::new();
    for d in session.datasets() {
        if matches!(d.source, SourceRef::Derived(_)) {
            continue;
        }
        known_rows.insert(format!("spectra/{}.csv", d.id), d.spectrum.len() as u64);
        jobs.push((
            format!("spectra/{}.csv", d.id),
            Box::new(move || {
                let mut csv = Vec::with_capacity(d.spectrum.len() * 40);
                crate::canonical_csv::write_spectrum(
                    &mut csv,
                    &d.spectrum,
                    &d.id,
                    XUnit::Nanometer,
                )
                .expect("writing to memory");
                csv
            }),
        ));
    }
    for t in scene.iter().filter(|t| t.visible) {
        known_rows.insert(
            format!("traces/{}.csv", t.id),
            t.trace.spectrum.len() as u64,
        );
        jobs.push((
            format!("traces/{}.csv", t.id),
            Box::new(move || trace_csv(view, t.name, t.id, t.trace)),
        ));
    }
    let scene_ref = &scene;
    jobs.push((
        "view.png".into(),
        Box::new(move || render_canvas(view, scene_ref).to_png()),
    ));
    // The files are made on at most `monitor.threads()` threads at once; each one is
    // checked for cancel before it starts.
    let width = monitor.threads().max(1);
    let total_jobs = jobs.len().max(1) as f32;
    let mut made: Vec<(String, Vec<u8>, String)> = Vec::new();
    let mut jobs = jobs.into_iter().peekable();
    while jobs.peek().is_some() {
        stop()?;
        let batch: Vec<_> = jobs.by_ref().take(width).collect();
        let done: Vec<(String, Vec<u8>, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .into_iter()
                .map(|(path, job)| {
                    scope.spawn(move || {
                        let bytes = job();
                        let hash = sha256_hex(&bytes);
                        (path, bytes, hash)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("bundle job"))
                .collect()
        });
        made.extend(done);
        monitor.progress(
            0.1 + 0.6 * made.len() as f32 / total_jobs,
            "writing tables and the picture",
        );
    }
    for (path, bytes, hash) in made {
        hashes.insert(path.clone(), hash);
        files.insert(path, bytes);
    }
    stop()?;
    monitor.progress(0.7, "hashing and writing files");
    let log = session.history_log().log_text();
    files.insert("logs/log.txt".into(), log.into_bytes());
    // The seed's report of analyses: the manifest's identification block, readable.
    if let Some(block) = &m.identification {
        let report = serde_json::json!({
            "manifest_id": manifest_id,
            "records": block.get("records"),
        });
        let mut text = serde_json::to_vec_pretty(&report).expect("JSON values serialize");
        text.push(b'\n');
        files.insert("reports/identification.json".into(), text);
    }
    files.insert(
        "MANIFEST_ID".into(),
        format!("{manifest_id}\n").into_bytes(),
    );

    let data_entries: Vec<(String, String)> = hashes
        .iter()
        .filter(|(p, _)| p.starts_with("spectra/") || p.starts_with("traces/"))
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect();
    let data_sha256 = hash_of_listing(&data_entries);
    let mut citation = format!(
        "spectra-workbench export bundle\nMANIFEST_ID: {manifest_id}\nData Hash (Citation): {data_sha256}\nGit Commit: {}\nGenerated: {created_at}\n\nReferences:\n",
        m.envelope.code.git_commit
    );
    for c in &m.citations {
        citation.push_str(&format!(
            "[{}] {} ({}). {}. {}. {}. Licence: {}.\n",
            c.n,
            c.authors.trim_end_matches('.'),
            c.year,
            c.title,
            c.publisher,
            c.identifier,
            c.licence
        ));
    }
    files.insert("CITATION.txt".into(), citation.into_bytes());

    m.outputs = files
        .iter()
        .map(|(path, bytes)| OutputEntry {
            path: path.clone(),
            sha256: hashes
                .get(path)
                .cloned()
                .unwrap_or_else(|| sha256_hex(bytes)),
            byte_size: bytes.len() as u64,
            row_count: path.ends_with(".csv").then(|| {
                known_rows
                    .get(path)
                    .copied()
                    .unwrap_or_else(|| csv_rows(bytes))
            }),
        })
        .collect();
    let pack_sha256 = hash_of_listing(
        &m.outputs
            .iter()
            .map(|o| (o.path.clone(), o.sha256.clone()))
            .collect::<Vec<_>>(),
    );
    files.insert(
        "pack_sha256.txt".into(),
        format!("{pack_sha256}\n").into_bytes(),
    );
    files.insert(
        "data_sha256.txt".into(),
        format!("{data_sha256}\n").into_bytes(),
    );
    let manifest_json = serde_json::to_string_pretty(&m).expect("manifest serializes");
    files.insert(
        "manifest.json".into(),
        format!("{manifest_json}\n").into_bytes(),
    );

    // Atomic: a temporary folder beside the target, fsynced, then renamed.
    std::fs::create_dir_all(out_parent).map_err(io(out_parent))?;
    let final_dir = out_parent.join(format!("export_{manifest_id}"));
    if final_dir.exists() {
        return Ok(Exported {
            dir: final_dir,
            manifest_id,
            data_sha256,
            pack_sha256,
            already_existed: true,
        });
    }
    let tmp = out_parent.join(format!(".export_{manifest_id}.tmp-{}", std::process::id()));
    let total = files.len().max(1) as f32;
    let result = (|| -> Result<(), ExportError> {
        for (k, (rel, bytes)) in files.iter().enumerate() {
            stop()?;
            monitor.progress(0.7 + 0.3 * k as f32 / total, "writing files");
            let path = tmp.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let mut f = File::create(&path).map_err(io(&path))?;
            f.write_all(bytes).map_err(io(&path))?;
            f.sync_all().map_err(io(&path))?;
        }
        std::fs::rename(&tmp, &final_dir).map_err(io(&final_dir))?;
        if let Ok(d) = File::open(out_parent) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    Ok(Exported {
        dir: final_dir,
        manifest_id,
        data_sha256,
        pack_sha256,
        already_existed: false,
    })
}
