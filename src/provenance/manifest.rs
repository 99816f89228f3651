//! The manifest (schema version 1.3.0; 1.2.0 still read): what a bundle holds and how it was made. Loading
//! decodes into these types with `deny_unknown_fields`, so unknown or duplicated fields
//! are errors.

use serde::{Deserialize, Serialize};

use crate::ids::{DatasetId, sha256_hex};
use crate::provenance::canonical_json;
use crate::session::{Session, SourceRef};
use crate::transforms::registry::{REGISTRY, StepRecord};
use crate::view::ViewState;

/// The manifest format version.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// The manifest and bundle formats `verify` and `replay` read, oldest first. 1.3.0 sorts
/// the pack and data hash listings by path (seed 003); 1.2.0 sorted them by hash.
pub const READABLE_VERSIONS: [&str; 2] = ["1.2.0", "1.3.0"];

/// The code that made a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeState {
    pub app_version: String,
    /// Git commit at build time, `-dirty` when the tree had changes, or `unknown`.
    pub git_commit: String,
}

/// One bundled asset the export used (samples today; line lists and lessons later).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetHash {
    pub path: String,
    pub sha256: String,
}

/// One registered transform kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineEntry {
    pub kind: String,
    pub version: u32,
}

/// The reproducibility envelope: code, external data and pipeline state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub code: CodeState,
    /// Sorted by path.
    pub external_data: Vec<AssetHash>,
    /// Sorted by kind.
    pub pipeline: Vec<PipelineEntry>,
}

/// Where an input came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Upload,
    Remote,
    Bundled,
}

/// Units of an input's arrays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Units {
    /// Always `nm`: inputs are stored canonically.
    pub x: String,
    pub y: String,
}

/// One input dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputEntry {
    pub id: DatasetId,
    pub kind: InputKind,
    /// File name only: never a path of the user's machine.
    pub source_name: String,
    /// sha256 of the original file's bytes.
    pub hash_sha256: String,
    pub units: Units,
    pub instrument: String,
    pub medium: String,
    /// Ordered (key, value) pairs as the source gave them.
    pub metadata: Vec<[String; 2]>,
}

/// One file of the bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputEntry {
    /// Relative path, `/`-separated, no `..`.
    pub path: String,
    pub sha256: String,
    pub byte_size: u64,
    /// Data rows, for CSV files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_count: Option<u64>,
}

/// A reference, numbered \[n\] in the order of the active traces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub n: u32,
    pub title: String,
    pub authors: String,
    pub year: String,
    pub publisher: String,
    pub identifier: String,
    pub licence: String,
}

/// The manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema_version: String,
    pub app_version: String,
    /// RFC 3339 with an explicit offset; the one field that differs between two exports of
    /// the same view (left out of MANIFEST_ID).
    pub created_at: String,
    pub platform: String,
    pub envelope: Envelope,
    pub inputs: Vec<InputEntry>,
    pub transforms: Vec<StepRecord>,
    pub calibration: Option<serde_json::Value>,
    pub identification: Option<serde_json::Value>,
    pub view_state: ViewState,
    /// Sorted by path (left out of MANIFEST_ID).
    pub outputs: Vec<OutputEntry>,
    pub citations: Vec<Citation>,
    pub seed: u64,
    pub notes: String,
    pub data_restrictions: Option<String>,
}

impl Manifest {
    /// The analysis records of the `identification` block (`{"records": [...]}`), in
    /// order; an absent block has none.
    pub fn analysis_records(
        &self,
    ) -> Result<Vec<crate::analysis::record::AnalysisRecord>, serde_json::Error> {
        match &self.identification {
            None => Ok(Vec::new()),
            Some(block) => {
                serde_json::from_value(block.get("records").cloned().unwrap_or_default())
            }
        }
    }

    /// MANIFEST_ID: sha256 of the canonical JSON of the manifest without `created_at` and
    /// `outputs`.
    pub fn manifest_id(&self) -> String {
        let mut value = serde_json::to_value(self).expect("manifest serializes");
        let obj = value.as_object_mut().expect("a manifest is an object");
        obj.remove("created_at");
        obj.remove("outputs");
        sha256_hex(canonical_json(&value).as_bytes())
    }
}

/// Citations of the bundled samples, by file name.
fn sample_citation(
    name: &str,
) -> Option<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    // (title, authors, year, publisher, identifier, licence)
    match name {
        "spex_M6_dwarf_12043.csv" => Some((
            "SpeX Prism Library spectrum 12043 (M6 dwarf 0858+1945B)",
            "Bardalez Gagliuffi, D. C. et al.",
            "2019",
            "The Astrophysical Journal 883, 205",
            "ADS 2019ApJ...883..205B",
            "MIT (as redistributed in splat 1.14)",
        )),
        "spex_T6_dwarf_11594.csv" => Some((
            "SpeX Prism Library spectrum 11594 (T6 dwarf)",
            "Mace, G. N. et al.",
            "2013",
            "The Astrophysical Journal Supplement 205, 6",
            "ADS 2013ApJS..205....6M",
            "MIT (as redistributed in splat 1.14)",
        )),
        "synthetic_hydrogen_lamp.csv" => Some((
            "Synthetic hydrogen lamp spectrum (not a measurement)",
            "spectra-workbench",
            "2026",
            "spectra-workbench assets/make_samples.py",
            "assets/samples/synthetic_hydrogen_lamp.csv",
            "MIT OR Apache-2.0",
        )),
        _ => None,
    }
}

/// Builds the manifest of a session (outputs are filled in by the bundle writer).
pub fn build(session: &Session, created_at: &str) -> Manifest {
    let view = session.view();
    let inputs: Vec<InputEntry> = session
        .datasets()
        .iter()
        .filter(|d| !matches!(d.source, SourceRef::Derived(_)))
        .map(|d| InputEntry {
            id: d.id.clone(),
            kind: match d.source {
                SourceRef::Bundled(_) => InputKind::Bundled,
                _ => InputKind::Upload,
            },
            source_name: d.source.display_name(),
            hash_sha256: d.source_sha256.clone().unwrap_or_default(),
            units: Units {
                x: "nm".into(),
                y: d.spectrum.y_unit.clone(),
            },
            instrument: d.spectrum.instrument.clone(),
            medium: d.spectrum.medium.as_str().into(),
            metadata: d
                .spectrum
                .metadata
                .iter()
                .map(|(k, v)| [k.clone(), v.clone()])
                .collect(),
        })
        .collect();
    let mut external_data: Vec<AssetHash> = session
        .datasets()
        .iter()
        .filter_map(|d| match &d.source {
            SourceRef::Bundled(name) => crate::samples::sample_bytes(name).map(|b| AssetHash {
                path: format!("assets/samples/{name}"),
                sha256: sha256_hex(b),
            }),
            _ => None,
        })
        .collect();
    // Analyses whose inputs are all in the session (a removed dataset takes its
    // analyses out of exports); the bundled lists and templates they read are external
    // data, hashed, and cited.
    let present = |id: &String| session.datasets().iter().any(|d| d.id.as_str() == id);
    let analyses: Vec<&crate::analysis::record::AnalysisRecord> = session
        .analyses()
        .iter()
        .filter(|a| a.request.inputs().iter().all(present))
        .collect();
    let mut analysis_files: Vec<&crate::analysis::record::ExternalFile> =
        analyses.iter().flat_map(|a| &a.external).collect();
    analysis_files.sort_by(|a, b| a.path.cmp(&b.path));
    analysis_files.dedup_by(|a, b| a.path == b.path);
    for f in &analysis_files {
        external_data.push(AssetHash {
            path: f.path.clone(),
            sha256: f.sha256.clone(),
        });
    }
    external_data.sort_by(|a, b| a.path.cmp(&b.path));
    external_data.dedup();
    // Citations in the order of the active traces; a derived trace cites its inputs.
    let mut citations = Vec::new();
    let mut cited: Vec<String> = Vec::new();
    for t in &view.active_traces {
        for name in trace_sources(session, &t.dataset_id) {
            if cited.contains(&name) {
                continue;
            }
            let (title, authors, year, publisher, identifier, licence) =
                sample_citation(&name).unwrap_or(("", "", "", "", "", ""));
            cited.push(name.clone());
            citations.push(Citation {
                n: citations.len() as u32 + 1,
                title: if title.is_empty() {
                    name.clone()
                } else {
                    title.into()
                },
                authors: authors.into(),
                year: year.into(),
                publisher: publisher.into(),
                identifier: identifier.into(),
                licence: if licence.is_empty() {
                    "unknown (user file)".into()
                } else {
                    licence.into()
                },
            });
        }
    }
    for f in &analysis_files {
        citations.push(Citation {
            n: citations.len() as u32 + 1,
            title: f.path.clone(),
            authors: String::new(),
            year: String::new(),
            publisher: f.citation.clone(),
            identifier: format!("sha256 {}", f.sha256),
            licence: f.licence.clone(),
        });
    }
    let identification = (!analyses.is_empty()).then(|| {
        serde_json::json!({
            "records": analyses,
        })
    });
    Manifest {
        schema_version: SCHEMA_VERSION.into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        created_at: created_at.into(),
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        envelope: Envelope {
            code: CodeState {
                app_version: env!("CARGO_PKG_VERSION").into(),
                git_commit: env!("SPECTRA_WORKBENCH_GIT_COMMIT").into(),
            },
            external_data,
            pipeline: REGISTRY
                .iter()
                .map(|(kind, version)| PipelineEntry {
                    kind: (*kind).into(),
                    version: *version,
                })
                .collect(),
        },
        inputs,
        transforms: session.records().to_vec(),
        calibration: None,
        identification,
        view_state: view.clone(),
        outputs: Vec::new(),
        citations,
        seed: 0,
        notes: session.export_policy().notes.clone(),
        data_restrictions: session
            .export_policy()
            .data_restrictions
            .clone()
            .filter(|t| !t.trim().is_empty()),
    }
}

/// The input files a dataset derives from (itself when it is an input), in record order.
fn trace_sources(session: &Session, id: &DatasetId) -> Vec<String> {
    let Some(d) = session.dataset(id) else {
        return Vec::new();
    };
    if !matches!(d.source, SourceRef::Derived(_)) {
        return vec![d.source.display_name()];
    }
    let mut out = Vec::new();
    if let Some(r) = session.records().iter().find(|r| &r.output_id == id) {
        for p in &r.parent_ids {
            for s in trace_sources(session, p) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}
