//! The session: the loaded datasets, the view state, undo/redo and the history of applied
//! commands. The GUI and the CLI both change state only through [`Session::apply`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::DatasetId;
use crate::ingest::{self, IngestError, ReadOptions};
use crate::lod::MIN_BUDGET_POINTS;
use crate::spectrum::{Medium, Spectrum};
use crate::transforms::Normalization;
use crate::transforms::registry::{self, Identified, Step, StepRecord, TransformError};
use crate::units::XUnit;
use crate::view::{ActiveTrace, Canvas, PaletteKey, PlotBounds, Smoothing, Theme, ViewState};

/// Where a dataset came from. Files are remembered by path so a session can be restored;
/// exports use only the file name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceRef {
    /// A sample shipped in `assets/`, by file name.
    Bundled(String),
    /// A file on this machine.
    File(PathBuf),
    /// Made in this session by the transform with this Transform ID.
    Derived(String),
}

impl SourceRef {
    /// The name shown to users and written to exports (never a full path).
    pub fn display_name(&self) -> String {
        match self {
            SourceRef::Bundled(name) => name.clone(),
            SourceRef::File(path) => ingest::display_name(path),
            SourceRef::Derived(id) => format!("derived ({})", &id[..12.min(id.len())]),
        }
    }
}

/// A loaded spectrum with its identity and origin.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub id: DatasetId,
    pub spectrum: Arc<Spectrum>,
    /// Format name as `inspect` reports it.
    pub format: String,
    pub source: SourceRef,
    /// Warnings from reading, in order.
    pub warnings: Vec<String>,
    /// sha256 of the original file's bytes (`None` for derived data).
    pub source_sha256: Option<String>,
}

impl Dataset {
    /// Records the sha256 of the bytes the dataset was read from.
    pub fn with_source_bytes(mut self, bytes: &[u8]) -> Self {
        self.source_sha256 = Some(crate::ids::sha256_hex(bytes));
        self
    }

    /// Wraps a spectrum, computing its ID.
    pub fn new(spectrum: Spectrum, format: &str, source: SourceRef, warnings: Vec<String>) -> Self {
        Self {
            id: spectrum.dataset_id(),
            spectrum: Arc::new(spectrum),
            format: format.to_string(),
            source,
            warnings,
            source_sha256: None,
        }
    }
}

/// Reads a file into datasets (one per spectrum in the file). Used by both frontends,
/// and by the GUI's background loader.
pub fn read_datasets(path: &Path, options: &ReadOptions) -> Result<Vec<Dataset>, IngestError> {
    let loaded = ingest::load_path(path, options)?;
    if loaded.spectra.is_empty() {
        let reason = loaded
            .not_spectra
            .first()
            .map(|n| n.reason.clone())
            .unwrap_or_else(|| "nothing to plot".into());
        return Err(IngestError {
            path: path.to_path_buf(),
            problem: ingest::IngestProblem::NotASpectrum(reason),
        });
    }
    // The original bytes' hash, for provenance (read again: ingest may have decoded them).
    let source_sha256 = std::fs::read(path).ok().map(|b| crate::ids::sha256_hex(&b));
    let warnings = loaded.warnings_per_spectrum();
    Ok(loaded
        .spectra
        .into_iter()
        .zip(warnings)
        .map(|(s, warnings)| {
            let mut d = Dataset::new(
                s,
                loaded.format,
                SourceRef::File(path.to_path_buf()),
                warnings,
            );
            d.source_sha256 = source_sha256.clone();
            d
        })
        .collect())
}

/// A change to the session. UI code builds these; [`Session::apply`] carries them out at
/// the end of the frame.
#[must_use]
#[derive(Clone, Debug)]
pub enum Command {
    /// Adds datasets to the Library and shows them (an already loaded ID is just shown).
    /// A dataset whose every sample is masked is added hidden: it has nothing to show
    /// but its mask shading, which would cover the other traces.
    AddDatasets(Vec<Dataset>),
    SetDisplayUnit(XUnit),
    SetNormalization(Normalization),
    SetSmoothing(Smoothing),
    SetPalette(PaletteKey),
    SetTheme(Theme),
    /// Sets what exports may include and must say (data restrictions, notes).
    SetExportPolicy(ExportPolicy),
    SetLodBudget(usize),
    SetCrosshair(bool),
    SetUncertainty(bool),
    SetSnapToPeak(bool),
    /// Half-width of the snap search, nm (> 0).
    SetSnapRadius(f64),
    SetTraceVisible {
        id: DatasetId,
        visible: bool,
    },
    /// Adds a dataset derived by transform steps (computed beforehand, see
    /// [`derive()`]) with their records; with `replace`, the derived trace takes that
    /// trace's place on the canvas (the parent stays in the Library).
    AddDerived {
        dataset: Dataset,
        records: Vec<StepRecord>,
        replace: Option<DatasetId>,
    },
    /// Declares the medium of a dataset whose source did not say (not part of its ID).
    DeclareMedium {
        id: DatasetId,
        medium: Medium,
    },
    /// Removes a dataset from the canvas and the Library.
    RemoveDataset(DatasetId),
    /// Pan/zoom result (navigation: not undoable, not in history).
    SetBounds(Option<PlotBounds>),
    /// Canvas size and scale (layout: not undoable, not in history).
    SetCanvas(Canvas),
    Undo,
    Redo,
}

/// Why a command was refused. Nothing is changed when a command is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Smoothing(#[from] crate::transforms::SavGolError),
    #[error("LOD budget must be at least {MIN_BUDGET_POINTS} points, got {0}")]
    LodBudget(usize),
    #[error("snap radius must be a positive number of nm, got {0}")]
    SnapRadius(f64),
    #[error("no dataset {0} in this session")]
    UnknownDataset(String),
    #[error("plot bounds must be finite and increasing")]
    Bounds,
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
    #[error("{0}")]
    Transform(#[from] TransformError),
    #[error("{name} is already known to be in {known}")]
    MediumKnown { name: String, known: &'static str },
}

/// One line of the session's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// 1-based sequence number within the session.
    pub seq: u64,
    /// What happened, in words.
    pub summary: String,
}

#[derive(Clone, Debug)]
struct Snapshot {
    datasets: Vec<Dataset>,
    view: ViewState,
    records: Vec<StepRecord>,
    export_policy: ExportPolicy,
}

/// What an export may include and what it must say about the data: recorded in the
/// manifest (`data_restrictions`, `notes`), so part of MANIFEST_ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportPolicy {
    /// Terms that restrict the data (e.g. "proprietary until 2027-06-01"). When set, raw
    /// source files are left out of bundles unless `include_restricted_sources`.
    pub data_restrictions: Option<String>,
    /// The user's explicit opt-in to copy restricted raw sources into bundles anyway.
    pub include_restricted_sources: bool,
    /// Free text for the manifest's `notes`.
    pub notes: String,
}

impl ExportPolicy {
    /// Whether raw source files go into a bundle.
    pub fn sources_allowed(&self) -> bool {
        self.data_restrictions
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
            || self.include_restricted_sources
    }
}

/// The banner line of a trace: its chain of records, walked back from the trace to its
/// input (first parent), summarised. `None` for an input with no steps.
fn banner_line(records: &[StepRecord], id: &DatasetId) -> Option<crate::view::BannerLine> {
    let mut chain: Vec<&StepRecord> = Vec::new();
    let mut current = id;
    while let Some(r) = records.iter().rev().find(|r| &r.output_id == current) {
        chain.push(r);
        match r.parent_ids.first() {
            Some(p) if chain.len() <= records.len() => current = p,
            _ => break,
        }
    }
    if chain.is_empty() {
        return None;
    }
    chain.reverse();
    let mut line = crate::view::BannerLine {
        dataset_id: id.clone(),
        steps: chain.iter().map(|r| r.kind.clone()).collect(),
        kernel: None,
        target_fwhm_nm: None,
        target_resolving_power: None,
        frame: None,
        rv_kms: None,
        rv_correction_kms: None,
        medium: None,
    };
    let num = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_f64);
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    for r in chain {
        match r.kind.as_str() {
            "airvac_convert" => line.medium = text(&r.params, "to"),
            "velocity_shift" => {
                line.frame = text(&r.params, "frame");
                line.rv_kms =
                    Some(line.rv_kms.unwrap_or(0.0) + num(&r.params, "rv_kms").unwrap_or(0.0));
                if let Some(c) = r
                    .notes
                    .get("rv_correction_ms")
                    .and_then(serde_json::Value::as_f64)
                {
                    line.rv_correction_kms =
                        Some(line.rv_correction_kms.unwrap_or(0.0) + c / 1000.0);
                }
            }
            "lsf_convolve" => {
                line.kernel = text(&r.params, "kernel");
                line.target_fwhm_nm = num(&r.params, "fwhm_nm");
                line.target_resolving_power = num(&r.params, "resolving_power");
            }
            _ => {}
        }
    }
    Some(line)
}

/// Runs one step on a dataset of `datasets` (pure; safe to call off the UI thread): the
/// derived dataset and its records, ready for [`Command::AddDerived`].
pub fn derive(
    datasets: &[Dataset],
    input: &DatasetId,
    step: &Step,
) -> Result<(Dataset, Vec<StepRecord>), CommandError> {
    let parent = datasets
        .iter()
        .find(|d| &d.id == input)
        .ok_or_else(|| CommandError::UnknownDataset(input.to_string()))?;
    // Other datasets a step may name (the parent left out: it cannot be its own B).
    let pool: Vec<Identified<'_>> = datasets
        .iter()
        .filter(|d| &d.id != input)
        .map(|d| Identified {
            id: &d.id,
            spectrum: &d.spectrum,
        })
        .collect();
    let parent_ref = Identified {
        id: &parent.id,
        spectrum: &parent.spectrum,
    };
    let applied = registry::apply_identified(step, parent_ref, &pool)?;
    let mut spectrum = applied.spectrum;
    // The name is not part of the ID, so the computed ID stays valid.
    spectrum.name = format!("{} · {}", parent.spectrum.name, step.kind());
    let last = applied.records.last().expect("a step records itself");
    let dataset = Dataset {
        id: applied.output_id,
        spectrum: Arc::new(spectrum),
        format: "derived".into(),
        source: SourceRef::Derived(last.id.clone()),
        warnings: Vec::new(),
        source_sha256: None,
    };
    Ok((dataset, applied.records))
}

/// How many undo steps are kept.
const UNDO_DEPTH: usize = 200;

/// The state both frontends drive.
#[derive(Debug, Default)]
pub struct Session {
    datasets: Vec<Dataset>,
    view: ViewState,
    /// Every applied transform step, in order (the provenance of derived datasets).
    records: Vec<StepRecord>,
    export_policy: ExportPolicy,
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    history: Vec<HistoryEntry>,
}

impl Session {
    /// An empty session with the given view settings.
    pub fn with_view(view: ViewState) -> Self {
        let mut view = view;
        // Traces need their datasets; they come back when those are loaded again.
        view.active_traces.clear();
        Self {
            view,
            ..Self::default()
        }
    }

    /// Datasets in Library order (order of loading).
    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// A dataset by ID.
    pub fn dataset(&self, id: &DatasetId) -> Option<&Dataset> {
        self.datasets.iter().find(|d| &d.id == id)
    }

    /// The current view state.
    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// Replaces the view's mask intervals (shaded on the canvas).
    pub fn set_view_masks(&mut self, masks: Vec<crate::view::MaskInterval>) {
        self.view.masks = masks;
    }

    /// Applied transform steps, oldest first.
    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// Runs a step on a dataset and adds the result (CLI and tests; the GUI runs
    /// [`derive()`] in the background for large data, then applies [`Command::AddDerived`]).
    pub fn apply_step(
        &mut self,
        input: &DatasetId,
        step: &Step,
        in_place: bool,
    ) -> Result<DatasetId, CommandError> {
        let (dataset, records) = derive(&self.datasets, input, step)?;
        let id = dataset.id.clone();
        self.apply(Command::AddDerived {
            dataset,
            records,
            replace: in_place.then(|| input.clone()),
        })?;
        Ok(id)
    }

    /// Applied commands, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Reads a file and adds its spectra (CLI and tests; the GUI reads in the background
    /// and then applies [`Command::AddDatasets`]).
    pub fn open_path(
        &mut self,
        path: &Path,
        options: &ReadOptions,
    ) -> Result<Vec<DatasetId>, IngestError> {
        let datasets = read_datasets(path, options)?;
        let ids = datasets.iter().map(|d| d.id.clone()).collect();
        self.apply(Command::AddDatasets(datasets))
            .expect("adding datasets cannot fail");
        Ok(ids)
    }

    /// Applies one command. On error nothing changes.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        // Navigation and layout arrive every frame while the user drags or resizes; they
        // cannot change the step chains or which traces are visible.
        let may_change_banner = !matches!(command, Command::SetBounds(_) | Command::SetCanvas(_));
        let result = self.apply_inner(command);
        if result.is_ok() && may_change_banner {
            self.refresh_banner();
        }
        result
    }

    /// A copy for work off the UI thread (export): everything but the undo and redo
    /// stacks, which nothing there reads. Spectra are shared, not copied.
    pub fn snapshot_for_export(&self) -> Session {
        Session {
            datasets: self.datasets.clone(),
            view: self.view.clone(),
            records: self.records.clone(),
            export_policy: self.export_policy.clone(),
            undo: Vec::new(),
            redo: Vec::new(),
            history: self.history.clone(),
        }
    }

    /// Recomputes the calibration banner from the step records of the visible traces.
    fn refresh_banner(&mut self) {
        let lines = self
            .view
            .active_traces
            .iter()
            .filter(|t| t.visible)
            .filter_map(|t| banner_line(&self.records, &t.dataset_id))
            .collect();
        self.view.calibration_banner = lines;
    }

    fn apply_inner(&mut self, command: Command) -> Result<(), CommandError> {
        let summary = match &command {
            Command::SetBounds(bounds) => {
                if let Some(b) = bounds {
                    let ok = b.x_nm.iter().chain(&b.y).all(|v| v.is_finite())
                        && b.x_nm[0] < b.x_nm[1]
                        && b.y[0] < b.y[1];
                    if !ok {
                        return Err(CommandError::Bounds);
                    }
                }
                self.view.bounds = *bounds;
                return Ok(());
            }
            Command::SetCanvas(canvas) => {
                self.view.canvas = *canvas;
                return Ok(());
            }
            Command::Undo => {
                let snap = self.undo.pop().ok_or(CommandError::NothingToUndo)?;
                self.redo.push(self.snapshot());
                self.restore(snap);
                self.record("undo".into());
                return Ok(());
            }
            Command::Redo => {
                let snap = self.redo.pop().ok_or(CommandError::NothingToRedo)?;
                self.undo.push(self.snapshot());
                self.restore(snap);
                self.record("redo".into());
                return Ok(());
            }
            c => self.validate(c)?,
        };
        let before = self.snapshot();
        self.mutate(command);
        let media = |ds: &[Dataset]| ds.iter().map(|d| d.spectrum.medium).collect::<Vec<_>>();
        if before.view != self.view
            || before.datasets.len() != self.datasets.len()
            || before.records.len() != self.records.len()
            || media(&before.datasets) != media(&self.datasets)
        {
            self.undo.push(before);
            if self.undo.len() > UNDO_DEPTH {
                self.undo.remove(0);
            }
            self.redo.clear();
            self.record(summary);
        }
        Ok(())
    }

    /// Checks a command and describes it, without changing anything.
    fn validate(&self, command: &Command) -> Result<String, CommandError> {
        Ok(match command {
            Command::AddDatasets(ds) => {
                let names: Vec<String> = ds
                    .iter()
                    .map(|d| format!("{} ({})", d.spectrum.name, d.id.short()))
                    .collect();
                format!("loaded {}", names.join(", "))
            }
            Command::SetDisplayUnit(u) => format!("display unit → {}", u.symbol()),
            Command::SetNormalization(n) => format!("normalization → {}", n.label()),
            Command::SetSmoothing(s) => {
                if let Some(sg) = s.savgol() {
                    // Checked against a long enough length: per-trace fit is the display's job.
                    sg.validate(usize::MAX)?;
                    format!("smoothing → Savitzky–Golay w={} p={}", sg.window, sg.poly)
                } else {
                    "smoothing → off".into()
                }
            }
            Command::SetPalette(p) => format!("palette → {}", p.label()),
            Command::SetTheme(t) => format!("theme → {t:?}"),
            Command::SetExportPolicy(p) => match &p.data_restrictions {
                Some(t) if !t.trim().is_empty() => format!(
                    "data restrictions → {t:?}{}",
                    if p.include_restricted_sources {
                        " (raw sources included by opt-in)"
                    } else {
                        ""
                    }
                ),
                _ => "data restrictions → none".into(),
            },
            Command::SetLodBudget(n) => {
                if *n < MIN_BUDGET_POINTS {
                    return Err(CommandError::LodBudget(*n));
                }
                format!("LOD budget → {n} points")
            }
            Command::SetCrosshair(on) => format!("crosshair {}", on_off(*on)),
            Command::SetUncertainty(on) => format!("uncertainty band {}", on_off(*on)),
            Command::SetSnapToPeak(on) => format!("snap to peak {}", on_off(*on)),
            Command::SetSnapRadius(r) => {
                if !(r.is_finite() && *r > 0.0) {
                    return Err(CommandError::SnapRadius(*r));
                }
                format!("snap radius → {r} nm")
            }
            Command::SetTraceVisible { id, visible } => {
                let d = self
                    .dataset(id)
                    .ok_or_else(|| CommandError::UnknownDataset(id.to_string()))?;
                format!(
                    "{} {}",
                    d.spectrum.name,
                    if *visible { "shown" } else { "hidden" }
                )
            }
            Command::RemoveDataset(id) => {
                let d = self
                    .dataset(id)
                    .ok_or_else(|| CommandError::UnknownDataset(id.to_string()))?;
                format!("removed {}", d.spectrum.name)
            }
            Command::DeclareMedium { id, medium } => {
                let d = self
                    .dataset(id)
                    .ok_or_else(|| CommandError::UnknownDataset(id.to_string()))?;
                if d.spectrum.medium != Medium::Unknown && d.spectrum.medium != *medium {
                    return Err(CommandError::MediumKnown {
                        name: d.spectrum.name.clone(),
                        known: d.spectrum.medium.as_str(),
                    });
                }
                format!("{} declared in {}", d.spectrum.name, medium.as_str())
            }
            Command::AddDerived {
                dataset,
                records,
                replace,
            } => {
                if let Some(r) = replace {
                    self.dataset(r)
                        .ok_or_else(|| CommandError::UnknownDataset(r.to_string()))?;
                }
                let steps: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
                format!(
                    "{} → {} ({})",
                    steps.join(", "),
                    dataset.spectrum.name,
                    dataset.id.short()
                )
            }
            Command::SetBounds(_) | Command::SetCanvas(_) | Command::Undo | Command::Redo => {
                unreachable!("handled in apply")
            }
        })
    }

    fn mutate(&mut self, command: Command) {
        let v = &mut self.view;
        match command {
            Command::AddDatasets(ds) => {
                for d in ds {
                    if self.datasets.iter().all(|e| e.id != d.id) {
                        self.datasets.push(d.clone());
                    }
                    let visible = !d.spectrum.is_fully_masked();
                    match v.trace_index(&d.id) {
                        Some(i) => v.active_traces[i].visible |= visible,
                        None => v.active_traces.push(ActiveTrace {
                            dataset_id: d.id.clone(),
                            visible,
                        }),
                    }
                }
            }
            Command::SetDisplayUnit(u) => v.display_unit = u,
            Command::SetNormalization(n) => {
                if v.normalization != n {
                    v.normalization = n;
                    // y bounds are in normalized units: fit again.
                    v.bounds = None;
                }
            }
            Command::SetSmoothing(s) => v.smoothing = s,
            Command::SetPalette(p) => v.palette_key = p,
            Command::SetTheme(t) => v.theme = t,
            Command::SetExportPolicy(p) => self.export_policy = p,
            Command::SetLodBudget(n) => v.lod_budget_points = n,
            Command::SetCrosshair(on) => v.crosshair_visible = on,
            Command::SetUncertainty(on) => v.uncertainty_visible = on,
            Command::SetSnapToPeak(on) => v.snap_to_peak = on,
            Command::SetSnapRadius(r) => v.snap_radius_nm = r,
            Command::SetTraceVisible { id, visible } => {
                if let Some(i) = v.trace_index(&id) {
                    v.active_traces[i].visible = visible;
                }
            }
            Command::RemoveDataset(id) => {
                v.active_traces.retain(|t| t.dataset_id != id);
                self.datasets.retain(|d| d.id != id);
            }
            Command::DeclareMedium { id, medium } => {
                if let Some(d) = self.datasets.iter_mut().find(|d| d.id == id) {
                    let mut spectrum = (*d.spectrum).clone();
                    spectrum.medium = medium;
                    d.spectrum = Arc::new(spectrum);
                }
            }
            Command::AddDerived {
                dataset,
                records,
                replace,
            } => {
                let id = dataset.id.clone();
                if self.datasets.iter().all(|e| e.id != id) {
                    self.datasets.push(dataset);
                }
                self.records.extend(records);
                let trace = ActiveTrace {
                    dataset_id: id.clone(),
                    visible: true,
                };
                let at = replace.and_then(|r| v.trace_index(&r));
                v.active_traces.retain(|t| t.dataset_id != id);
                match at {
                    Some(i) if i < v.active_traces.len() => v.active_traces[i] = trace,
                    _ => v.active_traces.push(trace),
                }
            }
            Command::SetBounds(_) | Command::SetCanvas(_) | Command::Undo | Command::Redo => {
                unreachable!("handled in apply")
            }
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            datasets: self.datasets.clone(),
            view: self.view.clone(),
            records: self.records.clone(),
            export_policy: self.export_policy.clone(),
        }
    }

    /// What exports may include and must say.
    pub fn export_policy(&self) -> &ExportPolicy {
        &self.export_policy
    }

    fn restore(&mut self, snap: Snapshot) {
        // Navigation and layout are not part of undo: keep the current ones, unless the
        // y units changed (another normalization), where the bounds no longer fit.
        let (bounds, canvas, normalization) =
            (self.view.bounds, self.view.canvas, self.view.normalization);
        self.datasets = snap.datasets;
        self.records = snap.records;
        self.export_policy = snap.export_policy;
        self.view = snap.view;
        self.view.canvas = canvas;
        self.view.bounds = if self.view.normalization == normalization {
            bounds
        } else {
            None
        };
    }

    fn record(&mut self, summary: String) {
        let seq = self.history.len() as u64 + 1;
        self.history.push(HistoryEntry { seq, summary });
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(name: &str, offset: f64) -> Dataset {
        let s = Spectrum::new(
            name,
            vec![500.0, 501.0, 502.0],
            vec![offset, 2.0, 3.0],
            None,
        )
        .unwrap();
        Dataset::new(s, "csv", SourceRef::Bundled(name.into()), vec![])
    }

    #[test]
    fn the_banner_follows_the_visible_calibrated_traces() {
        let mut s = Session::default();
        let a = dataset("a", 1.0);
        let input = a.id.clone();
        s.apply(Command::AddDatasets(vec![a])).unwrap();
        assert!(s.view().calibration_banner.is_empty());
        let shift: Step = serde_json::from_str(
            r#"{"kind":"velocity_shift","params":{"rv_kms":12.5,"frame":"heliocentric"}}"#,
        )
        .unwrap();
        let smooth: Step = serde_json::from_str(
            r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","fwhm_nm":2.0}}"#,
        )
        .unwrap();
        let mid = s.apply_step(&input, &shift, true).unwrap();
        let out = s.apply_step(&mid, &smooth, true).unwrap();
        let banner = &s.view().calibration_banner;
        assert_eq!(banner.len(), 1);
        let line = &banner[0];
        assert_eq!(line.dataset_id, out);
        assert_eq!(line.steps, vec!["velocity_shift", "lsf_convolve"]);
        assert_eq!(line.frame.as_deref(), Some("heliocentric"));
        assert_eq!(line.rv_kms, Some(12.5));
        assert_eq!(line.kernel.as_deref(), Some("gaussian"));
        assert_eq!(line.target_fwhm_nm, Some(2.0));
        assert!(
            line.text().contains("LSF gaussian FWHM 2 nm"),
            "{}",
            line.text()
        );
        // Hidden traces have no banner line; undo takes the steps back.
        s.apply(Command::SetTraceVisible {
            id: out.clone(),
            visible: false,
        })
        .unwrap();
        assert!(s.view().calibration_banner.is_empty());
        s.apply(Command::SetTraceVisible {
            id: out,
            visible: true,
        })
        .unwrap();
        // Undo: the show, the hide (banner back with both steps), then the LSF step.
        s.apply(Command::Undo).unwrap();
        assert!(s.view().calibration_banner.is_empty());
        s.apply(Command::Undo).unwrap();
        assert_eq!(s.view().calibration_banner[0].steps.len(), 2);
        s.apply(Command::Undo).unwrap();
        assert_eq!(s.view().calibration_banner[0].steps, vec!["velocity_shift"]);
    }

    #[test]
    fn add_hide_undo_redo() {
        let mut s = Session::default();
        let a = dataset("a", 1.0);
        let id = a.id.clone();
        s.apply(Command::AddDatasets(vec![a.clone()])).unwrap();
        s.apply(Command::AddDatasets(vec![a])).unwrap();
        assert_eq!(s.datasets().len(), 1, "same ID is one Library entry");
        s.apply(Command::SetTraceVisible {
            id: id.clone(),
            visible: false,
        })
        .unwrap();
        assert!(!s.view().active_traces[0].visible);
        s.apply(Command::Undo).unwrap();
        assert!(s.view().active_traces[0].visible);
        s.apply(Command::Redo).unwrap();
        assert!(!s.view().active_traces[0].visible);
        s.apply(Command::Undo).unwrap();
        s.apply(Command::Undo).unwrap();
        assert!(s.datasets().is_empty());
        assert_eq!(s.apply(Command::Undo), Err(CommandError::NothingToUndo));
        assert_eq!(s.history().len(), 6, "{:?}", s.history());
    }

    #[test]
    fn a_fully_masked_dataset_is_added_hidden_and_can_be_shown() {
        let mut s = Session::default();
        let mut spectrum = (*dataset("empty fibre", 1.0).spectrum).clone();
        spectrum.set_mask(Some(vec![true; spectrum.len()]));
        let d = Dataset::new(spectrum, "csv", SourceRef::Bundled("e".into()), vec![]);
        let id = d.id.clone();
        s.apply(Command::AddDatasets(vec![d.clone()])).unwrap();
        assert!(!s.view().active_traces[0].visible);
        s.apply(Command::SetTraceVisible { id, visible: true })
            .unwrap();
        // Opening it again does not hide what the user chose to show.
        s.apply(Command::AddDatasets(vec![d])).unwrap();
        assert!(s.view().active_traces[0].visible);
    }

    #[test]
    fn refused_commands_change_nothing() {
        let mut s = Session::default();
        let before = s.view().clone();
        assert!(s.apply(Command::SetLodBudget(3)).is_err());
        assert!(s.apply(Command::SetSnapRadius(-1.0)).is_err());
        assert!(
            s.apply(Command::SetSmoothing(Smoothing::Sg { window: 4, poly: 2 }))
                .is_err()
        );
        assert!(
            s.apply(Command::SetSmoothing(Smoothing::Sg { window: 5, poly: 5 }))
                .is_err()
        );
        assert!(
            s.apply(Command::SetBounds(Some(PlotBounds {
                x_nm: [2.0, 1.0],
                y: [0.0, 1.0]
            })))
            .is_err()
        );
        assert_eq!(s.view(), &before);
        assert!(!s.can_undo());
        assert!(s.history().is_empty());
    }

    #[test]
    fn navigation_is_not_undoable() {
        let mut s = Session::default();
        s.apply(Command::SetCrosshair(false)).unwrap();
        let b = PlotBounds {
            x_nm: [1.0, 2.0],
            y: [0.0, 1.0],
        };
        s.apply(Command::SetBounds(Some(b))).unwrap();
        s.apply(Command::Undo).unwrap();
        assert!(s.view().crosshair_visible);
        assert_eq!(s.view().bounds, Some(b));
    }

    #[test]
    fn a_no_op_leaves_no_history() {
        let mut s = Session::default();
        s.apply(Command::SetCrosshair(true)).unwrap();
        assert!(!s.can_undo());
    }
}
