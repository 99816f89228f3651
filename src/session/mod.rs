//! The session: the Library of datasets, the view state, undo/redo and the structured
//! history of applied commands. The GUI and the CLI both change state only through
//! [`Session::apply`] (or [`Session::apply_at`], which also stamps the event with a time
//! the frontend passes in).
//!
//! Rooms: `library.rs` (datasets by ID with their origin), `command.rs` (commands,
//! refusals, validation), `history.rs` (structured events), `banner.rs` (the calibration
//! banner from typed steps). Undo keeps states that share the Library's entries and the
//! arrays (`Arc`) and remember how many step records were live, so an undo entry costs a
//! view state, never a copy of the data or of the record list.

pub mod banner;
pub mod command;
pub mod history;
pub mod library;
pub mod persist;

use std::path::Path;
use std::sync::Arc;

use crate::analysis::record::AnalysisRecord;
use crate::ids::DatasetId;
use crate::ingest::{IngestError, ReadOptions};
use crate::transforms::registry::{self, Identified, Step, StepRecord};
use crate::view::{ActiveTrace, ViewState};

pub use self::command::{Coalesce, Command, CommandError, ExportPolicy, Rebuild, Record};
pub use self::history::{EventKind, History, HistoryEntry, HistoryEvent, UnixMillis};
pub use self::library::{Dataset, Library, SourceRef, read_datasets};

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

/// Continuous edits of one kind closer together than this are one undo entry and one
/// history event (a slider drag, a number typed digit by digit).
pub const COALESCE_WINDOW_MS: u64 = 1500;

/// What undo restores: the Library (shared entries), the view, how many step records
/// were live, and the export policy.
#[derive(Clone, Debug)]
struct UndoState {
    library: Library,
    view: ViewState,
    records_live: usize,
    analyses_live: usize,
    export_policy: ExportPolicy,
}

/// One undo entry: the state before an edit, and what may fold into it.
#[derive(Clone, Debug)]
struct UndoEntry {
    before: UndoState,
    coalesce: Option<Coalesce>,
    at: Option<UnixMillis>,
}

/// The state both frontends drive.
#[derive(Debug, Default)]
pub struct Session {
    library: Library,
    view: ViewState,
    /// Every applied transform step, in order; only the first `records_live` are in
    /// effect (the rest are what redo brings back, dropped when a new edit clears redo).
    records: Vec<StepRecord>,
    records_live: usize,
    /// Analysis records, in order; as with `records`, only the first `analyses_live`
    /// are in effect.
    analyses: Vec<AnalysisRecord>,
    analyses_live: usize,
    export_policy: ExportPolicy,
    undo: Vec<UndoEntry>,
    redo: Vec<UndoEntry>,
    history: History,
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
        self.library.as_slice()
    }

    /// The Library.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// A dataset by ID.
    pub fn dataset(&self, id: &DatasetId) -> Option<&Dataset> {
        self.library.get(id)
    }

    /// The current view state.
    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// Applied transform steps in effect, oldest first.
    pub fn records(&self) -> &[StepRecord] {
        &self.records[..self.records_live]
    }

    /// Computes an analysis of this session's datasets (not applied: apply
    /// [`Command::AddAnalysis`] with the record).
    pub fn run_analysis(
        &self,
        request: &crate::analysis::record::AnalysisRequest,
    ) -> Result<AnalysisRecord, crate::analysis::record::AnalysisError> {
        crate::analysis::record::run(request, |id| {
            crate::ids::parse_dataset_id(id)
                .and_then(|id| self.library.get(&id))
                .map(|d| &*d.spectrum)
        })
    }

    /// The analysis records in effect, in the order they were made.
    pub fn analyses(&self) -> &[AnalysisRecord] {
        &self.analyses[..self.analyses_live]
    }

    /// Runs a step on a dataset and adds the result (CLI and tests; the GUI runs
    /// [`derive()`] in the background for large data, then applies [`Command::AddDerived`]).
    pub fn apply_step(
        &mut self,
        input: &DatasetId,
        step: &Step,
        in_place: bool,
    ) -> Result<DatasetId, CommandError> {
        let (dataset, records) = derive(self.datasets(), input, step)?;
        let id = dataset.id.clone();
        self.apply(Command::AddDerived {
            dataset,
            records,
            replace: in_place.then(|| input.clone()),
        })?;
        Ok(id)
    }

    /// Applied commands, oldest first.
    pub fn history(&self) -> &[HistoryEvent] {
        self.history.events()
    }

    /// The history with its queries (events touching a dataset, the bundle log).
    pub fn history_log(&self) -> &History {
        &self.history
    }

    /// The undo stack's depth: the position the History dock marks.
    pub fn undo_position(&self) -> usize {
        self.undo.len()
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Reads a file (ingest does the reading) and adds its spectra (CLI and tests; the
    /// GUI reads in the background and then applies [`Command::AddDatasets`]).
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

    /// Applies one command, with no time for its event. On error nothing changes.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        self.apply_at(command, None)
    }

    /// Applies one command; its history event carries `at`, and continuous edits within
    /// [`COALESCE_WINDOW_MS`] of each other fold into one. On error nothing changes.
    pub fn apply_at(
        &mut self,
        command: Command,
        at: Option<UnixMillis>,
    ) -> Result<(), CommandError> {
        // Navigation and layout arrive every frame while the user drags or resizes; they
        // cannot change the step chains or which traces are visible.
        let may_change_banner = !matches!(command, Command::SetBounds(_) | Command::SetCanvas(_));
        let result = self.apply_inner(command, at);
        if result.is_ok() && may_change_banner {
            self.refresh_banner();
        }
        result
    }

    /// A copy for work off the UI thread (export): everything but the undo and redo
    /// stacks, which nothing there reads. Spectra and Library entries are shared.
    pub fn snapshot_for_export(&self) -> Session {
        Session {
            library: self.library.clone(),
            view: self.view.clone(),
            records: self.records().to_vec(),
            records_live: self.records_live,
            analyses: self.analyses().to_vec(),
            analyses_live: self.analyses_live,
            export_policy: self.export_policy.clone(),
            undo: Vec::new(),
            redo: Vec::new(),
            history: self.history.clone(),
        }
    }

    /// Recomputes the calibration banner from the step records of the visible traces.
    fn refresh_banner(&mut self) {
        let records = &self.records[..self.records_live];
        let lines = self
            .view
            .active_traces
            .iter()
            .filter(|t| t.visible)
            .filter_map(|t| banner::banner_line(records, &t.dataset_id))
            .collect();
        self.view.calibration_banner = lines;
    }

    fn state(&self) -> UndoState {
        UndoState {
            library: self.library.clone(),
            view: self.view.clone(),
            records_live: self.records_live,
            analyses_live: self.analyses_live,
            export_policy: self.export_policy.clone(),
        }
    }

    fn event(&mut self, kind: EventKind, summary: String, at: Option<UnixMillis>) {
        self.history.push(HistoryEvent {
            seq: 0,
            at,
            kind,
            dataset_ids: Vec::new(),
            transform_ids: Vec::new(),
            undo_position: self.undo.len(),
            summary,
            manifest_id: None,
            log_entry: None,
        });
    }

    /// Records an event that changes no state (an export, a pin, a note).
    fn record(&mut self, r: Record, at: Option<UnixMillis>) -> Result<(), CommandError> {
        if !r.kind.is_record() {
            return Err(CommandError::NotARecord(r.kind.as_str()));
        }
        self.history.push(HistoryEvent {
            seq: 0,
            at,
            kind: r.kind,
            dataset_ids: r.dataset_ids,
            transform_ids: Vec::new(),
            undo_position: self.undo.len(),
            summary: r.summary,
            manifest_id: r.manifest_id,
            log_entry: r.log_entry,
        });
        Ok(())
    }

    /// Undo (`forward` false) or redo: the state the entry holds comes back, and the
    /// current state goes onto the other stack.
    fn travel(&mut self, forward: bool, at: Option<UnixMillis>) -> Result<(), CommandError> {
        let (from, error, kind) = if forward {
            (&mut self.redo, CommandError::NothingToRedo, EventKind::Redo)
        } else {
            (&mut self.undo, CommandError::NothingToUndo, EventKind::Undo)
        };
        let entry = from.pop().ok_or(error)?;
        let now = UndoEntry {
            before: self.state(),
            coalesce: None,
            at,
        };
        self.restore(entry.before);
        if forward {
            self.undo.push(now);
        } else {
            self.redo.push(now);
        }
        self.event(kind, kind.as_str().into(), at);
        Ok(())
    }

    fn apply_inner(
        &mut self,
        command: Command,
        at: Option<UnixMillis>,
    ) -> Result<(), CommandError> {
        let command = match command {
            Command::Record(r) => return self.record(r, at),
            c => c,
        };
        let described = match &command {
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
            Command::Undo => return self.travel(false, at),
            Command::Redo => return self.travel(true, at),
            c => command::describe(&self.library, c)?,
        };
        let before = self.state();
        self.mutate(command);
        let changed = before.view != self.view
            || !before.library.same_as(&self.library)
            || before.records_live != self.records_live
            || before.analyses_live != self.analyses_live
            || before.export_policy != self.export_policy;
        if !changed {
            return Ok(());
        }
        // A continuous edit folds into the entry and event it continues.
        let continues = match (
            described.coalesce,
            self.undo.last(),
            self.history.events().last(),
        ) {
            (Some(key), Some(top), Some(last)) => {
                top.coalesce == Some(key)
                    && last.undo_position == self.undo.len()
                    && self.redo.is_empty()
                    && matches!((top.at, at), (Some(a), Some(b)) if b.0.saturating_sub(a.0) <= COALESCE_WINDOW_MS)
            }
            _ => false,
        };
        if continues {
            let top = self.undo.last_mut().expect("checked");
            top.at = at;
            let last = self.history.last_mut().expect("checked");
            last.summary = described.summary;
            last.at = at;
            return Ok(());
        }
        self.undo.push(UndoEntry {
            before,
            coalesce: described.coalesce,
            at,
        });
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        // What redo could have brought back is gone now.
        self.records.truncate(self.records_live);
        self.analyses.truncate(self.analyses_live);
        self.history.push(HistoryEvent {
            seq: 0,
            at,
            kind: described.kind,
            dataset_ids: described.dataset_ids,
            transform_ids: described.transform_ids,
            undo_position: self.undo.len(),
            summary: described.summary,
            manifest_id: described.manifest_id,
            log_entry: None,
        });
        Ok(())
    }

    fn mutate(&mut self, command: Command) {
        let v = &mut self.view;
        match command {
            Command::AddDatasets(ds) => {
                for d in ds {
                    let visible = !d.spectrum.is_fully_masked();
                    let id = d.id.clone();
                    self.library.insert(d);
                    match v.trace_index(&id) {
                        Some(i) => v.active_traces[i].visible |= visible,
                        None => v.active_traces.push(ActiveTrace {
                            dataset_id: id,
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
            Command::SetViewMasks(masks) => v.masks = masks,
            Command::SetLineOverlay(o) => v.line_overlay = o,
            Command::SetTraceVisible { id, visible } => {
                if let Some(i) = v.trace_index(&id) {
                    v.active_traces[i].visible = visible;
                }
            }
            Command::RemoveDataset(id) => {
                v.active_traces.retain(|t| t.dataset_id != id);
                self.library.remove(&id);
            }
            Command::DeclareMedium { id, medium } => {
                let unchanged = self
                    .library
                    .get(&id)
                    .is_none_or(|d| d.spectrum.medium == medium);
                if !unchanged {
                    self.library.update(&id, |d| {
                        // The medium is a field of the spectrum: the one copy of its arrays
                        // a dataset can cost, once (a known medium cannot be declared again).
                        let mut spectrum = (*d.spectrum).clone();
                        spectrum.medium = medium;
                        d.spectrum = Arc::new(spectrum);
                    });
                }
            }
            Command::AddDerived {
                dataset,
                records,
                replace,
            } => {
                let id = dataset.id.clone();
                self.library.insert(dataset);
                self.records.truncate(self.records_live);
                self.records.extend(records);
                self.records_live = self.records.len();
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
            Command::AddAnalysis(a) => {
                self.analyses.truncate(self.analyses_live);
                self.analyses.push(*a);
                self.analyses_live = self.analyses.len();
            }
            Command::Rebuild(r) => {
                let r = *r;
                for d in r.datasets {
                    self.library.insert(d);
                }
                self.records.truncate(self.records_live);
                for rec in r.records {
                    if !self.records.iter().any(|have| have.id == rec.id) {
                        self.records.push(rec);
                    }
                }
                self.records_live = self.records.len();
                self.analyses.truncate(self.analyses_live);
                for a in r.analyses {
                    if !self.analyses.iter().any(|have| have.id == a.id) {
                        self.analyses.push(a);
                    }
                }
                self.analyses_live = self.analyses.len();
                // The exported view exactly, canvas included: the frontend sets its own
                // canvas again when its window differs.
                self.view = r.view;
            }
            Command::SetBounds(_)
            | Command::SetCanvas(_)
            | Command::Undo
            | Command::Redo
            | Command::Record(_) => {
                unreachable!("handled in apply")
            }
        }
    }

    /// What exports may include and must say.
    pub fn export_policy(&self) -> &ExportPolicy {
        &self.export_policy
    }

    fn restore(&mut self, state: UndoState) {
        // Navigation and layout are not part of undo: keep the current ones, unless the
        // y units changed (another normalization), where the bounds no longer fit.
        let (bounds, canvas, normalization) =
            (self.view.bounds, self.view.canvas, self.view.normalization);
        self.library = state.library;
        self.records_live = state.records_live;
        self.analyses_live = state.analyses_live;
        self.export_policy = state.export_policy;
        self.view = state.view;
        self.view.canvas = canvas;
        self.view.bounds = if self.view.normalization == normalization {
            bounds
        } else {
            None
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectrum::Spectrum;
    use crate::view::{PlotBounds, Smoothing};

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
