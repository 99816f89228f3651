//! The eframe app. Panels show the session's state and emit [`Command`]s and
//! [`Action`]s, which are applied once at the end of the frame; the GUI itself holds no
//! math.
//!
//! Rooms: the action table (`commands.rs`) feeds the menus and toolbar (`menus.rs`), the
//! command palette (`palette.rs`), the shortcut sheet and the keys; background work goes
//! through one job runner (`jobs.rs`); each panel or window has its own file (Library,
//! status bar, Calibration dock, lineage window, HDU chooser, help).

mod calibration;
pub mod commands;
mod crosslinks;
mod hdu_chooser;
mod help;
pub mod history_dock;
pub mod jobs;
pub mod knowledge_panel;
mod library_panel;
mod lineage;
pub mod links;
mod menus;
mod palette;
pub mod redshift_dock;
mod status_bar;
mod store_link;
pub mod store_panel;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::display::DisplayTrace;
use crate::ids::DatasetId;
use crate::ingest::{IngestError, ReadOptions, WarningKind};
use crate::provenance::bundle::{ExportError, Exported, Monitor};
use crate::render;
use crate::samples;
use crate::session::{
    Command, CommandError, Dataset, Session, SourceRef, UnixMillis, derive, read_datasets,
};
use crate::transforms::registry::StepRecord;
use crate::view::{Canvas, ViewState};

pub use self::commands::Action;
use self::commands::Enablement;
use self::hdu_chooser::{HduChooser, chooser_for};
use self::help::HelpWindow;
use self::jobs::{JobContext, JobId, Jobs};
use self::palette::{Palette, PaletteOutput};

/// Key of the persisted state in eframe's storage.
const STORAGE_KEY: &str = "spectra-workbench/state/v1";

/// Files up to this size load on the UI thread (a few ms); larger ones in the background.
const SYNC_LOAD_BYTES: u64 = 4 * 1024 * 1024;

/// Most entries in File ▸ Open recent.
const RECENT_MAX: usize = 10;

/// Notices kept on screen.
const NOTICES_MAX: usize = 5;

/// Views with more samples than this export as a background job; smaller ones take a
/// few ms and run inline, through the same job path.
const BACKGROUND_EXPORT_POINTS: usize = 50_000;

/// Inputs larger than this run their transform as a background job.
const BACKGROUND_STEP_POINTS: usize = 200_000;

/// What survives a restart: the view, where its datasets came from, recent files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PersistedState {
    pub view: ViewState,
    pub sources: Vec<SourceRef>,
    pub recent: Vec<PathBuf>,
    /// Where Export view writes bundles (a setting).
    #[serde(default)]
    pub export_dir: Option<PathBuf>,
    /// Derived traces, brought back from the Library store after a restart.
    #[serde(default)]
    pub derived: Vec<store_link::PersistedDerived>,
    /// Whether the Library store panel is open.
    #[serde(default = "default_true")]
    pub library_open: bool,
    /// The Dataset IDs each open file gave, so that a file gone since can come back
    /// from the Library store.
    #[serde(default)]
    pub file_datasets: Vec<(PathBuf, Vec<DatasetId>)>,
}

fn default_true() -> bool {
    true
}

/// A message for the user in the status area.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// The result of a load (run inline or as a background job).
struct LoadResult {
    path: PathBuf,
    result: Result<Vec<(Dataset, Arc<DisplayTrace>)>, IngestError>,
    /// The HDU chooser to show: prepared with the load, so that scanning a large
    /// (gzipped) FITS file's headers never blocks the UI thread.
    chooser: Option<HduChooser>,
}

/// The result of a transform run as a job, with the trace it replaces.
type DeriveResult = (
    Result<(Dataset, Vec<StepRecord>), CommandError>,
    Option<DatasetId>,
);

/// What a finished job hands back to the frame.
enum JobDone {
    Loaded(LoadResult),
    Derived(DeriveResult),
    Exported(Result<Exported, ExportError>),
    Stored(Result<(), String>),
    LibraryRows(crate::store::Query, Result<Vec<i64>, String>),
    Imported(
        PathBuf,
        Result<crate::provenance::archive::ImportReport, String>,
    ),
    Rebuilt(String, Result<crate::session::Rebuild, String>),
    /// An analysis the Redshift dock asked for.
    Analyzed(Result<crate::analysis::record::AnalysisRecord, String>),
}

impl Monitor for JobContext {
    fn progress(&self, fraction: f32, words: &str) {
        JobContext::progress(self, fraction, words);
    }
    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }
    /// One writer at a time in the background: on two cores the other stays the UI's,
    /// and the writers' page faults and memory traffic do not stretch its frames.
    fn threads(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
    }
}

/// Now, for the session's history events (the GUI is where the clock is read).
fn now() -> UnixMillis {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    UnixMillis(ms)
}

/// What one frame collected, applied at its end.
#[derive(Default)]
struct FrameOut {
    commands: Vec<Command>,
    open_files: Vec<PathBuf>,
    actions: Vec<Action>,
}

/// The application.
pub struct WorkbenchApp {
    session: Session,
    /// Prepared traces for the current smoothing, by dataset.
    display: BTreeMap<DatasetId, Arc<DisplayTrace>>,
    read_options: ReadOptions,
    recent: Vec<PathBuf>,
    notices: Vec<Notice>,
    jobs: Jobs<JobDone>,
    /// Files being read by background jobs (named in the status bar).
    pending: Vec<PathBuf>,
    /// The running export job, if any.
    export_job: Option<JobId>,
    /// The running transform job, if any.
    derive_job: Option<JobId>,
    /// Visibility to restore once a persisted trace's dataset is back.
    restore_hidden: Vec<DatasetId>,
    readout: Option<String>,
    help: Option<HelpWindow>,
    theme_applied: Option<crate::view::Theme>,
    calibration: calibration::CalibrationForm,
    /// The Redshift dock's state.
    redshift: redshift_dock::RedshiftDock,
    /// Where Export view writes bundles.
    export_dir: PathBuf,
    /// The last export, for the notice's Open folder and Copy citation buttons.
    last_export: Option<Exported>,
    /// Where the canvas was drawn in the last frame (tests check it stays put).
    canvas_rect: egui::Rect,
    lineage_open: bool,
    /// The FITS HDU chooser, when a file's layout is ambiguous or unknown.
    hdu_chooser: Option<HduChooser>,
    /// The data-restrictions form's contents, applied by its button.
    policy_draft: crate::session::ExportPolicy,
    /// The command palette, while open.
    palette: Option<Palette>,
    /// Every action run, oldest first (the shortcut and palette tests read it).
    action_log: Vec<Action>,
    /// Asks the user for files to open (the platform dialog; tests put their own).
    pick_files: Box<dyn FnMut() -> Vec<PathBuf>>,
    /// The folder dialog File ▸ Import bundle… shows (tests replace it).
    pick_bundle: Box<dyn FnMut() -> Option<PathBuf>>,
    /// The Library store, when the app has one.
    store: Option<store_link::StoreLink>,
    /// The Library store panel's state.
    library_view: store_panel::LibraryView,
    library_open: bool,
    /// Datasets of this session already put into the store.
    stored: BTreeSet<DatasetId>,
    /// The running store write, if any.
    store_job: Option<JobId>,
    /// The running Library list fetch, if any.
    library_job: Option<JobId>,
    /// Derived traces waiting for their inputs before they come back from the store.
    restore_derived: Vec<store_link::PersistedDerived>,
    /// Datasets the running store write is putting in (recorded when it finishes).
    storing: Vec<DatasetId>,
    /// The History dock's state.
    history_view: history_dock::HistoryView,
    /// The Knowledge-log panel's state.
    knowledge_view: knowledge_panel::KnowledgeView,
    /// Writes this session's History to the store; names the session.
    history_writer: crate::session::persist::HistoryWriter,
    /// When the History was last written to the store (a folded edit waits a second).
    history_flushed: Option<std::time::Instant>,
    /// When writing the History last failed (cleared by the next success).
    history_failed: Option<std::time::Instant>,
    /// Whether the window had the focus last frame (regaining it rescans the log).
    focused: Option<bool>,
    /// The running rebuild, if any.
    rebuild_job: Option<JobId>,
}

impl WorkbenchApp {
    /// A new app. With no persisted state and no files, it shows the bundled samples.
    pub fn new(
        persisted: Option<PersistedState>,
        files: Vec<PathBuf>,
        read_options: ReadOptions,
    ) -> Self {
        Self::new_with_store(persisted, files, read_options, None)
    }

    /// A new app keeping what it opens and makes in the Library store at `store_root`
    /// (`None`: no store), and bringing derived traces back from it.
    pub fn new_with_store(
        persisted: Option<PersistedState>,
        files: Vec<PathBuf>,
        read_options: ReadOptions,
        store_root: Option<PathBuf>,
    ) -> Self {
        let restored = persisted.clone().unwrap_or_default();
        let mut app = Self::blank(&restored, read_options);
        // A first start shows the Library; later starts keep the user's choice.
        app.library_open = persisted.as_ref().is_none_or(|p| p.library_open);
        if let Some(root) = store_root {
            app.attach_store(root);
        }
        if !files.is_empty() {
            for f in files {
                app.open_file(&f);
            }
        } else if persisted.as_ref().is_some_and(|p| !p.sources.is_empty()) {
            let bounds = restored.view.bounds;
            for source in &restored.sources {
                match source {
                    SourceRef::Bundled(name) => app.add_sample(name),
                    SourceRef::File(path) if !path.exists() && app.store.is_some() => {
                        app.restore_gone_file(path, &restored.file_datasets)
                    }
                    SourceRef::File(path) => app.open_file(path),
                    SourceRef::Stored { id, .. } => app.show_stored(id),
                    // Derived traces come back from the store once their inputs are in.
                    SourceRef::Derived(_) => {}
                }
            }
            if app.store.is_some() {
                app.restore_derived = restored.derived.clone();
                app.restore_derived_traces();
            }
            // Loading fits the view; put the user's zoom back.
            if bounds.is_some() {
                app.apply(Command::SetBounds(bounds));
            }
        } else {
            for (name, _) in samples::SAMPLES {
                app.add_sample(name);
            }
            app.apply(Command::SetNormalization(
                crate::transforms::Normalization::Max,
            ));
        }
        app
    }

    /// An app with nothing loaded (benchmarks, tests that bring their own data).
    pub fn empty(read_options: ReadOptions) -> Self {
        Self::blank(&PersistedState::default(), read_options)
    }

    /// An app with nothing loaded, its Library store panel open on the store at
    /// `store_root` (benchmarks, tests).
    pub fn empty_with_store(read_options: ReadOptions, store_root: PathBuf) -> Self {
        let mut app = Self::empty(read_options);
        app.library_open = true;
        app.attach_store(store_root);
        app
    }

    /// The app with `restored`'s view and recent files, and no data.
    fn blank(restored: &PersistedState, read_options: ReadOptions) -> Self {
        Self {
            session: Session::with_view(restored.view.clone()),
            display: BTreeMap::new(),
            read_options,
            recent: restored.recent.clone(),
            notices: Vec::new(),
            jobs: Jobs::default(),
            pending: Vec::new(),
            export_job: None,
            derive_job: None,
            restore_hidden: restored
                .view
                .active_traces
                .iter()
                .filter(|t| !t.visible)
                .map(|t| t.dataset_id.clone())
                .collect(),
            readout: None,
            help: None,
            theme_applied: None,
            calibration: calibration::CalibrationForm::default(),
            redshift: redshift_dock::RedshiftDock::default(),
            export_dir: restored
                .export_dir
                .clone()
                .unwrap_or_else(default_export_dir),
            last_export: None,
            canvas_rect: egui::Rect::NOTHING,
            lineage_open: false,
            hdu_chooser: None,
            policy_draft: crate::session::ExportPolicy::default(),
            palette: None,
            action_log: Vec::new(),
            pick_files: Box::new(pick_files),
            pick_bundle: Box::new(pick_bundle),
            store: None,
            library_view: store_panel::LibraryView::default(),
            library_open: restored.library_open,
            stored: BTreeSet::new(),
            store_job: None,
            library_job: None,
            restore_derived: Vec::new(),
            storing: Vec::new(),
            history_view: history_dock::HistoryView::default(),
            knowledge_view: knowledge_panel::KnowledgeView::default(),
            history_writer: crate::session::persist::HistoryWriter::new("gui", now().0 as i64),
            history_flushed: None,
            history_failed: None,
            focused: None,
            rebuild_job: None,
        }
    }

    /// Runs `job`: inline (its result handled at once) when `inline`, else as a
    /// background job whose result a later frame handles. One path either way.
    fn run_job(
        &mut self,
        label: String,
        inline: bool,
        job: impl FnOnce(&JobContext) -> JobDone + Send + 'static,
    ) -> Option<JobId> {
        if inline {
            let done = job(&JobContext::detached());
            self.finish_job(done, false);
            None
        } else {
            Some(self.jobs.spawn(label, job))
        }
    }

    /// Handles a finished job's result (`cancelled`: the user asked it to stop).
    fn finish_job(&mut self, done: JobDone, cancelled: bool) {
        match done {
            JobDone::Loaded(load) => {
                self.pending.retain(|p| p != &load.path);
                if cancelled {
                    self.notify(format!(
                        "loading {} cancelled",
                        crate::ingest::display_name(&load.path)
                    ));
                } else {
                    self.finish_load(load);
                }
            }
            JobDone::Derived(result) => {
                self.derive_job = None;
                self.calibration.busy = false;
                self.calibration.started = None;
                if cancelled {
                    self.calibration.error = Some("cancelled: nothing was applied".into());
                } else {
                    self.finish_step(result);
                }
            }
            JobDone::Exported(result) => {
                self.export_job = None;
                self.finish_export(result);
            }
            JobDone::Stored(result) => self.finish_store(result),
            JobDone::LibraryRows(query, rows) => self.finish_library(query, rows),
            JobDone::Imported(dir, result) => self.finish_import(&dir, result),
            JobDone::Rebuilt(mid, result) => self.finish_rebuild(&mid, result),
            JobDone::Analyzed(result) => {
                self.redshift.busy = false;
                match result {
                    Ok(record) => {
                        self.redshift.error = None;
                        self.apply(Command::AddAnalysis(Box::new(record)));
                    }
                    Err(e) if cancelled => self.redshift.error = Some(format!("cancelled: {e}")),
                    Err(e) => self.redshift.error = Some(e),
                }
            }
        }
    }

    /// Runs a transform requested by the Calibration dock: inline for small inputs, as a
    /// background job for large ones. The result arrives as [`Command::AddDerived`].
    fn run_step(&mut self, request: calibration::ApplyRequest) {
        if let Some(medium) = request.declared_medium {
            let declare = Command::DeclareMedium {
                id: request.input.clone(),
                medium,
            };
            if let Err(e) = self.session.apply_at(declare, Some(now())) {
                self.calibration.error = Some(e.to_string());
                return;
            }
        }
        let datasets = self.session.datasets().to_vec();
        let replace = request.in_place.then(|| request.input.clone());
        let size = datasets
            .iter()
            .find(|d| d.id == request.input)
            .map_or(0, |d| d.spectrum.len());
        let inline = size <= BACKGROUND_STEP_POINTS;
        if !inline {
            self.calibration.busy = true;
            self.calibration.started = Some(std::time::Instant::now());
        }
        let label = format!("applying {}", request.step.kind());
        let id = self.run_job(label, inline, move |ctx| {
            ctx.progress(0.0, request.step.kind());
            JobDone::Derived((derive(&datasets, &request.input, &request.step), replace))
        });
        if id.is_some() {
            self.derive_job = id;
        }
    }

    /// Computes an analysis the Redshift dock asked for: inline for small spectra, as a
    /// background job for large ones; the record arrives as [`Command::AddAnalysis`].
    fn run_analysis(&mut self, request: crate::analysis::record::AnalysisRequest) {
        let size = request
            .inputs()
            .iter()
            .filter_map(|id| crate::ids::parse_dataset_id(id))
            .filter_map(|id| self.session.dataset(&id))
            .map(|d| d.spectrum.len())
            .sum::<usize>();
        let inline = size <= BACKGROUND_STEP_POINTS;
        if !inline {
            self.redshift.busy = true;
        }
        let datasets = self.session.datasets().to_vec();
        let label = format!("{} analysis", request.kind());
        self.run_job(label, inline, move |ctx| {
            ctx.progress(0.0, request.kind());
            JobDone::Analyzed(
                crate::analysis::record::run(&request, |id| {
                    datasets
                        .iter()
                        .find(|d| d.id.as_str() == id)
                        .map(|d| &*d.spectrum)
                })
                .map_err(|e| e.to_string()),
            )
        });
    }

    /// The Redshift dock's last error, if any (tests).
    pub fn redshift_error(&self) -> Option<&str> {
        self.redshift.error.as_deref()
    }

    fn finish_step(&mut self, (result, replace): DeriveResult) {
        match result {
            Ok((dataset, records)) => {
                self.calibration.error = None;
                self.apply(Command::AddDerived {
                    dataset,
                    records,
                    replace,
                });
            }
            Err(e) => self.calibration.error = Some(e.to_string()),
        }
    }

    /// The Calibration dock's last error, if any (tests).
    pub fn calibration_error(&self) -> Option<&str> {
        self.calibration.error.as_deref()
    }

    /// Adds datasets as if they had been opened (prepares their traces first).
    pub fn add_datasets(&mut self, datasets: Vec<Dataset>) {
        let smoothing = self.session.view().smoothing;
        let items = datasets
            .into_iter()
            .map(|d| {
                let t = Arc::new(DisplayTrace::build(d.spectrum.clone(), smoothing));
                (d, t)
            })
            .collect();
        self.add_loaded(items);
    }

    /// Applies a command as a panel would (tests and benchmarks drive the app this way).
    pub fn apply_command(&mut self, command: Command) {
        self.apply(command);
    }

    /// The session (for tests and the CLI-parity checks).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Current notices, oldest first.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Every action run so far, oldest first (from keys, menus, toolbar or palette).
    pub fn action_log(&self) -> &[Action] {
        &self.action_log
    }

    /// Replaces the file dialog File ▸ Open… shows (tests, which have no desktop).
    pub fn set_file_picker(&mut self, picker: impl FnMut() -> Vec<PathBuf> + 'static) {
        self.pick_files = Box::new(picker);
    }

    /// Replaces the folder dialog File ▸ Import bundle… shows (tests).
    pub fn set_bundle_picker(&mut self, picker: impl FnMut() -> Option<PathBuf> + 'static) {
        self.pick_bundle = Box::new(picker);
    }

    /// Whether the command palette is open.
    pub fn palette_open(&self) -> bool {
        self.palette.is_some()
    }

    /// The running background jobs (what the status bar shows).
    pub fn jobs(&self) -> Vec<jobs::JobStatus> {
        self.jobs.status()
    }

    /// Asks the running export to stop; it leaves nothing behind.
    pub fn cancel_export(&mut self) {
        if let Some(id) = self.export_job {
            self.jobs.cancel(id);
        }
    }

    /// What to persist.
    pub fn persisted(&self) -> PersistedState {
        PersistedState {
            view: self.session.view().clone(),
            sources: self
                .session
                .datasets()
                .iter()
                .map(|d| d.source.clone())
                .filter(|s| !matches!(s, SourceRef::Derived(_)))
                .fold(Vec::new(), |mut v, s| {
                    if !v.contains(&s) {
                        v.push(s);
                    }
                    v
                }),
            recent: self.recent.clone(),
            export_dir: Some(self.export_dir.clone()),
            derived: self.persisted_derived(),
            library_open: self.library_open,
            file_datasets: self.session.datasets().iter().fold(
                Vec::<(PathBuf, Vec<DatasetId>)>::new(),
                |mut v, d| {
                    if let SourceRef::File(path) = &d.source {
                        match v.iter_mut().find(|(p, _)| p == path) {
                            Some((_, ids)) => ids.push(d.id.clone()),
                            None => v.push((path.clone(), vec![d.id.clone()])),
                        }
                    }
                    v
                },
            ),
        }
    }

    /// Sets the folder Export view writes to.
    pub fn set_export_dir(&mut self, dir: PathBuf) {
        self.export_dir = dir;
    }

    /// Where the canvas was drawn in the last frame.
    pub fn canvas_rect(&self) -> egui::Rect {
        self.canvas_rect
    }

    /// The last export, if any.
    pub fn last_export(&self) -> Option<&Exported> {
        self.last_export.as_ref()
    }

    /// Exports what is on the canvas: the same bundle the CLI writes, from the traces
    /// already prepared for the screen. Large views export as a background job.
    pub fn export_view(&mut self) {
        let points: usize = self
            .session
            .datasets()
            .iter()
            .map(|d| d.spectrum.len())
            .sum();
        let created_at = crate::provenance::recipe::now_rfc3339();
        self.start_export(created_at, points <= BACKGROUND_EXPORT_POINTS);
    }

    /// Exports as a background job from a snapshot of the session (the spectra are
    /// shared, not copied), so the window stays responsive; progress and Cancel show in
    /// the status bar and the result arrives as a notice.
    pub fn start_background_export(&mut self, created_at: String) {
        self.start_export(created_at, false);
    }

    fn start_export(&mut self, created_at: String, inline: bool) {
        if self.export_job.is_some() {
            self.notify("an export is already running".into());
            return;
        }
        let session = self.session.snapshot_for_export();
        let display = self.display.clone();
        let dir = self.export_dir.clone();
        let id = self.run_job("exporting".into(), inline, move |ctx| {
            JobDone::Exported(crate::provenance::bundle::write_bundle_watched(
                &session,
                &display,
                &dir,
                &created_at,
                ctx,
            ))
        });
        self.export_job = id;
    }

    fn finish_export(&mut self, result: Result<Exported, ExportError>) {
        match result {
            // One notice: the export row (Open folder, Copy citation) says where it went.
            Ok(done) => {
                self.record_export(&done);
                self.last_export = Some(done);
            }
            Err(ExportError::Cancelled) => {
                self.notify("export cancelled: nothing was written".into());
            }
            Err(e) => self.notify_error(format!("export: {e}")),
        }
    }

    /// Whether any file is still loading in the background.
    pub fn loading(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether a background export is running.
    pub fn exporting(&self) -> bool {
        self.export_job.is_some()
    }

    fn add_sample(&mut self, name: &str) {
        match samples::load_sample(name) {
            Some(Ok(d)) => {
                let t = Arc::new(DisplayTrace::build(
                    d.spectrum.clone(),
                    self.session.view().smoothing,
                ));
                self.add_loaded(vec![(d, t)]);
            }
            Some(Err(e)) => self.notify_error(e.to_string()),
            None => self.notify_error(format!("{name}: no such bundled sample")),
        }
    }

    /// Opens a file: small files at once, large ones as a background job.
    pub fn open_file(&mut self, path: &Path) {
        self.remember_recent(path);
        if path.to_string_lossy().ends_with(".recipe.json") {
            self.open_recipe(path);
            return;
        }
        self.start_load(path, self.read_options.clone(), true);
    }

    /// Shows a recipe's view (the JSON the `export` verb takes): its inputs, steps and
    /// view settings, as one undoable change.
    fn open_recipe(&mut self, path: &Path) {
        use crate::provenance::recipe;
        let built = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| recipe::parse_recipe(&text).map_err(|e| e.to_string()))
            .and_then(|r| {
                let dir = path.parent().unwrap_or(Path::new("."));
                recipe::session_from_recipe(&r, dir).map_err(|e| e.to_string())
            });
        match built {
            Ok(session) => {
                let mut view = session.view().clone();
                // The window keeps its own canvas; the recipe's is for its exports.
                view.canvas = self.session.view().canvas;
                let name = crate::ingest::display_name(path);
                self.apply(Command::Rebuild(Box::new(crate::session::Rebuild {
                    manifest_id: None,
                    source: format!("recipe {name}"),
                    datasets: session.datasets().to_vec(),
                    records: session.records().to_vec(),
                    analyses: session.analyses().to_vec(),
                    view,
                })));
            }
            Err(e) => self.notify_error(format!("{}: {e}", path.display())),
        }
    }

    /// Reads one HDU (and optionally named columns) of a FITS file the user chose.
    fn open_fits_choice(&mut self, path: &Path, hdu: usize, x_col: &str, y_col: &str) {
        let mut options = self.read_options.clone();
        options.hdu = Some(hdu.to_string());
        let col = |t: &str| {
            (!t.trim().is_empty()).then(|| crate::ingest::ColumnRef::Name(t.trim().to_string()))
        };
        options.x_col = col(x_col);
        options.y_col = col(y_col);
        self.start_load(path, options, false);
    }

    /// Reads `path` and prepares its traces, inline for small files and as a background
    /// job for large ones. With `offer_chooser`, a FITS file whose layout is ambiguous
    /// or unknown also gets its HDU list, in the same job.
    fn start_load(&mut self, path: &Path, options: ReadOptions, offer_chooser: bool) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let smoothing = self.session.view().smoothing;
        let path = path.to_path_buf();
        let inline = size <= SYNC_LOAD_BYTES;
        if !inline {
            self.pending.push(path.clone());
        }
        let label = format!("loading {}", crate::ingest::display_name(&path));
        self.run_job(label, inline, move |ctx| {
            ctx.progress(0.0, "reading");
            let result = read_datasets(&path, &options).map(|ds| {
                ctx.progress(0.8, "preparing traces");
                ds.into_iter()
                    .map(|d| {
                        let t = Arc::new(DisplayTrace::build(d.spectrum.clone(), smoothing));
                        (d, t)
                    })
                    .collect()
            });
            let chooser = offer_chooser.then(|| chooser_for(&result)).flatten();
            JobDone::Loaded(LoadResult {
                path,
                result,
                chooser,
            })
        });
    }

    fn finish_load(&mut self, load: LoadResult) {
        if load.chooser.is_some() {
            self.hdu_chooser = load.chooser;
        }
        match load.result {
            Ok(loaded) => self.add_loaded(loaded),
            Err(e) => self.notify_error(e.to_string()),
        }
    }

    fn add_loaded(&mut self, loaded: Vec<(Dataset, Arc<DisplayTrace>)>) {
        let mut datasets = Vec::new();
        // A file's warnings travel with each of its datasets: say each once. Spectra
        // with no usable sample are summed up in one notice per file.
        let mut said: Vec<String> = Vec::new();
        let mut fully_masked: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (d, t) in loaded {
            let name = d.source.display_name();
            if d.spectrum.is_fully_masked() {
                fully_masked
                    .entry(name.clone())
                    .or_default()
                    .push(d.spectrum.name.clone());
            }
            for w in d
                .warnings
                .iter()
                .filter(|w| w.kind != WarningKind::FullyMasked)
            {
                // Spectra of multi-spectrum files are named after their file already.
                let text = match &w.spectrum {
                    Some(s) if s.starts_with(name.as_str()) => w.to_string(),
                    _ => format!("{name}: {w}"),
                };
                if !said.contains(&text) {
                    self.notify(text.clone());
                    said.push(text);
                }
            }
            if let Some(w) = &t.warning {
                self.notify(w.clone());
            }
            self.display.insert(d.id.clone(), t);
            datasets.push(d);
        }
        for (file, names) in fully_masked {
            let names: Vec<&str> = names
                .iter()
                .map(|n| n.strip_prefix(file.as_str()).unwrap_or(n).trim())
                .collect();
            let (count, them) = match names.len() {
                1 => ("1 spectrum".to_string(), "it"),
                k => (format!("{k} spectra"), "them"),
            };
            self.notify(format!(
                "{file}: {} in {count} (no usable data): hidden in the plot; tick {them} in the Library to show {them}: {}",
                crate::ingest::FULLY_MASKED,
                names.join(", ")
            ));
        }
        let hide: Vec<DatasetId> = datasets
            .iter()
            .filter(|d| self.restore_hidden.contains(&d.id))
            .map(|d| d.id.clone())
            .collect();
        self.apply(Command::AddDatasets(datasets));
        for id in hide {
            self.restore_hidden.retain(|h| h != &id);
            self.apply(Command::SetTraceVisible { id, visible: false });
        }
    }

    fn remember_recent(&mut self, path: &Path) {
        let path = path.to_path_buf();
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(RECENT_MAX);
    }

    fn notify(&mut self, text: String) {
        self.push_notice(Notice {
            text,
            is_error: false,
        });
    }

    fn notify_error(&mut self, text: String) {
        self.push_notice(Notice {
            text,
            is_error: true,
        });
    }

    fn push_notice(&mut self, notice: Notice) {
        self.notices.push(notice);
        if self.notices.len() > NOTICES_MAX {
            self.notices.remove(0);
        }
    }

    /// Applies one command (stamped with the time), reporting a refusal as a notice.
    fn apply(&mut self, command: Command) {
        if let Err(e) = self.session.apply_at(command, Some(now())) {
            self.notify_error(e.to_string());
        }
        self.sync_display();
    }

    /// Rebuilds prepared traces whose smoothing no longer matches the view, and drops
    /// those of removed datasets.
    fn sync_display(&mut self) {
        let smoothing = self.session.view().smoothing;
        let mut warnings = Vec::new();
        let mut fresh = BTreeMap::new();
        for d in self.session.datasets() {
            let trace = match self.display.get(&d.id) {
                Some(t) if t.smoothing == smoothing => t.clone(),
                _ => {
                    let t = Arc::new(DisplayTrace::build(d.spectrum.clone(), smoothing));
                    warnings.extend(t.warning.clone());
                    t
                }
            };
            fresh.insert(d.id.clone(), trace);
        }
        self.display = fresh;
        for w in warnings {
            self.notify(w);
        }
    }

    fn poll_jobs(&mut self) {
        for finished in self.jobs.poll() {
            self.finish_job(finished.value, finished.cancelled);
        }
    }

    /// What decides whether actions are enabled now.
    fn enablement(&self) -> Enablement {
        Enablement {
            can_undo: self.session.can_undo(),
            can_redo: self.session.can_redo(),
            has_traces: !self.session.view().active_traces.is_empty(),
            exporting: self.export_job.is_some(),
            has_store: self.store.is_some(),
        }
    }

    /// Runs one action of the table (from a key, a menu, the toolbar or the palette).
    fn run_action(&mut self, action: Action, ctx: &egui::Context, out: &mut FrameOut) {
        if !commands::enabled(action, &self.enablement()) {
            return;
        }
        self.action_log.push(action);
        match action {
            Action::OpenFiles => out.open_files.extend((self.pick_files)()),
            Action::OpenRecent => {}
            Action::ImportBundle => {
                if let Some(dir) = (self.pick_bundle)() {
                    self.import_bundle(dir);
                }
            }
            Action::ToggleLibraryStore => self.library_open = !self.library_open,
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::Undo => out.commands.push(Command::Undo),
            Action::Redo => out.commands.push(Command::Redo),
            Action::DisplayUnit(u) => out.commands.push(Command::SetDisplayUnit(u)),
            Action::Theme(t) => out.commands.push(Command::SetTheme(t)),
            Action::FitAll => out.commands.push(Command::SetBounds(None)),
            Action::ToggleCalibration => self.calibration.open = !self.calibration.open,
            Action::ToggleRedshift => self.redshift.open = !self.redshift.open,
            Action::ExportView => self.export_view(),
            Action::ViewLineage => {
                self.lineage_open = true;
                self.policy_draft = self.session.export_policy().clone();
            }
            Action::CommandPalette => self.palette = Some(Palette::default()),
            Action::UserGuide => self.help = Some(HelpWindow::Guide(None)),
            Action::Shortcuts => self.help = Some(HelpWindow::Shortcuts),
            Action::About => self.help = Some(HelpWindow::About),
        }
    }

    /// One frame of the whole app.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.jobs.set_repaint(ui.ctx());
        self.poll_jobs();
        let theme = self.session.view().theme;
        if self.theme_applied != Some(theme) {
            ui.ctx().set_visuals(render::visuals(theme));
            self.theme_applied = Some(theme);
        }
        let mut out = FrameOut::default();

        // Keyboard shortcuts, from the action table.
        let pressed = ui.ctx().input_mut(commands::pressed);
        out.actions.extend(pressed);

        // Drag and drop.
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        for f in dropped {
            out.open_files.push(f.path().to_path_buf());
        }

        let now_enabled = self.enablement();
        let menu = menus::menu_bar(ui, self.session.view(), &self.recent, &now_enabled);
        out.actions.extend(menu.actions);
        out.open_files.extend(menu.open_recent);
        let toolbar = menus::toolbar(
            ui,
            self.session.view(),
            self.calibration.open,
            self.redshift.open,
            &now_enabled,
            &mut out.commands,
        );
        out.actions.extend(toolbar);
        // Actions run now, before the rest of the frame draws: a window they open is laid
        // out in this frame already, and an export sees the view as it is on screen.
        for a in std::mem::take(&mut out.actions) {
            self.run_action(a, ui.ctx(), &mut out);
        }
        let status = status_bar::status_bar(
            ui,
            &self.session,
            &self.jobs.status(),
            self.readout.as_deref(),
        );
        if let Some(id) = status.cancel {
            self.jobs.cancel(id);
        }
        library_panel::library(ui, &self.session, &mut out.commands);
        let mut library_actions = Vec::new();
        let mut knowledge_actions = Vec::new();
        let mut links = Vec::new();
        if self.library_open {
            egui::Panel::bottom("library_store")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| {
                    let (a, k, l) = self.dock(ui);
                    library_actions = a;
                    knowledge_actions = k;
                    links = l;
                });
        }
        if let Some(request) = self.calibration.show(ui, &self.session) {
            self.run_step(request);
        }
        for r in self.redshift.show(ui, &self.session) {
            match r {
                redshift_dock::DockRequest::Overlay(o) => {
                    out.commands.push(Command::SetLineOverlay(o));
                }
                redshift_dock::DockRequest::Analyze(request) => self.run_analysis(request),
            }
        }

        // The canvas.
        let view = self.session.view().clone();
        let mut canvas_out = render::CanvasOutput::default();
        let mut canvas_rect = egui::Rect::NOTHING;
        egui::CentralPanel::default().show(ui, |ui| {
            // The canvas starts and ends on whole physical pixels, as the offscreen render's
            // does (its origin is pixel 0): then every line and glyph falls on the same
            // pixels in the window and in view.png.
            let ppp = ui.ctx().pixels_per_point();
            let raw = ui.available_rect_before_wrap();
            let rect = egui::Rect::from_min_max(
                ((raw.min.to_vec2() * ppp).ceil() / ppp).to_pos2(),
                ((raw.max.to_vec2() * ppp).floor() / ppp).to_pos2(),
            );
            let mut ui = ui.new_child(
                egui::UiBuilder::new()
                    .max_rect(rect)
                    .layout(egui::Layout::top_down(egui::Align::Min)),
            );
            let ui = &mut ui;
            canvas_rect = rect;
            let canvas = Canvas {
                width_pt: rect.width(),
                height_pt: rect.height(),
                pixels_per_point: ui.ctx().pixels_per_point(),
            };
            if canvas != view.canvas {
                out.commands.push(Command::SetCanvas(canvas));
            }
            let (scene, _) = render::scene_of(&self.session, &view, &self.display);
            canvas_out = render::draw_canvas_with(ui, &view, &scene, self.redshift.canvas_tools());
        });
        self.readout = canvas_out.readout;
        self.canvas_rect = canvas_rect;
        // Notices float over the canvas's lower right corner: they come and go without
        // moving the plot.
        let noticed = status_bar::notices_overlay(
            ui.ctx(),
            canvas_rect,
            &self.notices,
            self.last_export.as_ref(),
        );
        if let Some(i) = noticed.dismissed
            && i < self.notices.len()
        {
            self.notices.remove(i);
        }
        if noticed.dismiss_export {
            self.last_export = None;
        }
        if let Some(region) = canvas_out.picked_region_nm.take() {
            self.redshift.region_picked(region);
            // The dock measures it on the next frame.
            ui.ctx().request_repaint();
        }
        if let Some(id) = canvas_out.banner_clicked.take() {
            self.banner_history(&id);
        }
        let navigation = canvas_out
            .commands
            .iter()
            .any(|c| matches!(c, Command::SetBounds(_)));
        out.commands.extend(canvas_out.commands);

        self.windows(ui, &mut out);

        // Actions the windows asked for (the palette).
        for a in std::mem::take(&mut out.actions) {
            self.run_action(a, ui.ctx(), &mut out);
        }
        for c in std::mem::take(&mut out.commands) {
            self.apply(c);
        }
        for f in std::mem::take(&mut out.open_files) {
            self.open_file(&f);
        }
        for a in library_actions {
            self.library_action(a, ui.ctx());
        }
        for a in knowledge_actions {
            self.knowledge_action(a);
        }
        for l in links {
            self.follow(l);
        }
        self.restore_derived_traces();
        self.persist_new();
        self.fetch_library();
        let focused = ui.ctx().input(|i| i.viewport().focused);
        if focused == Some(true) && self.focused == Some(false) {
            // Back from another window, perhaps an editor: notes may have changed.
            self.rescan_log();
        }
        self.focused = focused;
        self.flush_history(false);
        if navigation || self.jobs.busy() {
            // The frame drew last frame's bounds (or a job is running): draw once more.
            ui.ctx().request_repaint();
        }
    }

    /// The windows over the canvas: help, lineage, HDU chooser, command palette.
    fn windows(&mut self, ui: &mut egui::Ui, out: &mut FrameOut) {
        if let Some(which) = &self.help
            && !help::show(ui, which)
        {
            self.help = None;
        }
        if self.lineage_open {
            let shown = lineage::show(
                ui,
                &self.session,
                &mut self.policy_draft,
                self.last_export.as_ref(),
            );
            if let Some(policy) = shown.set_policy {
                out.commands.push(Command::SetExportPolicy(policy));
            }
            self.lineage_open = shown.open;
        }
        if let Some(chooser) = &mut self.hdu_chooser {
            let shown = chooser.show(ui);
            if let Some(hdu) = shown.choice {
                let (path, x, y) = (
                    chooser.path.clone(),
                    chooser.x_col.clone(),
                    chooser.y_col.clone(),
                );
                self.open_fits_choice(&path, hdu, &x, &y);
            }
            if !shown.open {
                self.hdu_chooser = None;
            }
        }
        let now_enabled = self.enablement();
        if let Some(p) = &mut self.palette {
            match p.show(ui, &now_enabled) {
                PaletteOutput::Open => {}
                PaletteOutput::Close => self.palette = None,
                PaletteOutput::Run(action) => {
                    self.palette = None;
                    out.actions.push(action);
                }
                PaletteOutput::Help(anchor) => {
                    self.palette = None;
                    self.help = Some(HelpWindow::Guide(Some(anchor)));
                }
            }
        }
    }
}

/// The default export folder: Documents/spectra-workbench exports (or the home folder).
fn default_export_dir() -> PathBuf {
    directories::UserDirs::new()
        .map(|u| {
            u.document_dir()
                .map(|d| d.to_path_buf())
                .unwrap_or_else(|| u.home_dir().to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("."))
        .join("spectra-workbench exports")
}

/// Opens a folder in the platform's file manager (best effort; failures are ignored).
fn open_in_file_manager(dir: &Path) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(program).arg(dir).spawn();
}

fn pick_bundle() -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_title("Import a bundle folder")
        .pick_folder()
}

fn pick_files() -> Vec<PathBuf> {
    rfd::FileDialog::new()
        .set_title("Open spectra")
        .add_filter(
            "Spectra",
            &[
                "csv", "tsv", "txt", "dat", "ascii", "fits", "fit", "gz", "jdx", "dx",
            ],
        )
        .add_filter("Recipes", &["json"])
        .add_filter("All files", &["*"])
        .pick_files()
        .unwrap_or_default()
}

impl eframe::App for WorkbenchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.persisted());
        self.flush_history(true);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush_history(true);
    }
}

/// The window could not be opened (no display, no OpenGL).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the GUI: {0}")]
pub struct GuiError(#[from] eframe::Error);

/// Runs the GUI until the window closes.
pub fn run(
    files: Vec<PathBuf>,
    read_options: ReadOptions,
    store_root: Option<PathBuf>,
) -> Result<(), GuiError> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("spectra-workbench")
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "spectra-workbench",
        options,
        Box::new(move |cc| {
            render::install_fonts(&cc.egui_ctx);
            let persisted: Option<PersistedState> =
                cc.storage.and_then(|s| eframe::get_value(s, STORAGE_KEY));
            Ok(Box::new(WorkbenchApp::new_with_store(
                persisted,
                files,
                read_options,
                store_root,
            )))
        }),
    )
    .map_err(GuiError)
}
