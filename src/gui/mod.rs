//! The eframe app. Panels show the session's state and emit [`Command`]s, which are
//! applied once at the end of the frame; the GUI itself holds no math.
//!
//! Layout: menu bar, toolbar, Library side panel, the canvas (`render::draw_canvas`) and
//! a status bar. Large files load on a background thread; small ones load at once.

mod calibration;
mod panels;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use serde::{Deserialize, Serialize};

use crate::display::DisplayTrace;
use crate::ids::DatasetId;
use crate::ingest::{IngestError, ReadOptions};
use crate::render;
use crate::samples;
use crate::session::{Command, CommandError, Dataset, Session, SourceRef, derive, read_datasets};
use crate::transforms::registry::StepRecord;
use crate::view::{Canvas, ViewState};

/// Key of the persisted state in eframe's storage.
const STORAGE_KEY: &str = "spectra-workbench/state/v1";

/// Files up to this size load on the UI thread (a few ms); larger ones in the background.
const SYNC_LOAD_BYTES: u64 = 4 * 1024 * 1024;

/// Most entries in File ▸ Open recent.
const RECENT_MAX: usize = 10;

/// Notices kept on screen.
const NOTICES_MAX: usize = 5;

/// What survives a restart: the view, where its datasets came from, recent files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PersistedState {
    pub view: ViewState,
    pub sources: Vec<SourceRef>,
    pub recent: Vec<PathBuf>,
    /// Where Export view writes bundles (a setting).
    #[serde(default)]
    pub export_dir: Option<PathBuf>,
}

/// A message for the user in the status area.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// The FITS HDU chooser's state: the file, why it is asked, its HDUs, column choices.
struct HduChooser {
    path: PathBuf,
    file_name: String,
    why: String,
    hdus: Vec<crate::ingest::fits::HduSummary>,
    x_col: String,
    y_col: String,
}

/// The HDU chooser a load calls for: a FITS file with other HDUs holding spectra, or one
/// whose layout this reader cannot guess. Scans headers only; `None` when not needed or
/// when even the scan fails.
fn chooser_for(
    result: &Result<Vec<(Dataset, Arc<DisplayTrace>)>, IngestError>,
) -> Option<HduChooser> {
    match result {
        Ok(loaded) => {
            let (d, _) = loaded.first()?;
            let SourceRef::File(path) = &d.source else {
                return None;
            };
            let why = d
                .warnings
                .iter()
                .find(|w| w.contains(crate::ingest::fits::OTHER_HDUS_HOLD_SPECTRA))?;
            HduChooser::new(path, why.clone())
        }
        Err(e) => {
            let unknown_layout = crate::ingest::Format::from_path(&e.path)
                == crate::ingest::Format::Fits
                && matches!(
                    e.problem,
                    crate::ingest::IngestProblem::NoData(_)
                        | crate::ingest::IngestProblem::BadColumn(_)
                );
            unknown_layout
                .then(|| HduChooser::new(&e.path, e.problem.to_string()))
                .flatten()
        }
    }
}

impl HduChooser {
    /// Lists the file's HDUs (a header check only); `None` if even that fails.
    fn new(path: &Path, why: String) -> Option<Self> {
        let hdus = crate::ingest::fits::scan_file(path).ok()?;
        Some(Self {
            path: path.to_path_buf(),
            file_name: crate::ingest::display_name(path),
            why,
            hdus: crate::ingest::fits::summarize(&hdus),
            x_col: String::new(),
            y_col: String::new(),
        })
    }
}

/// The result of a load (run at once or on a background thread).
struct LoadResult {
    path: PathBuf,
    result: Result<Vec<(Dataset, Arc<DisplayTrace>)>, IngestError>,
    /// The HDU chooser to show: prepared with the load, so that scanning a large
    /// (gzipped) FITS file's headers never blocks the UI thread.
    chooser: Option<HduChooser>,
}

/// The result of a transform run in the background, with the trace it replaces.
type DeriveResult = (
    Result<(Dataset, Vec<StepRecord>), CommandError>,
    Option<DatasetId>,
);

/// Views with more samples than this export on a background thread (about 0.3 s here).
const BACKGROUND_EXPORT_POINTS: usize = 1_000_000;

/// Inputs larger than this run their transform on a background thread.
const BACKGROUND_STEP_POINTS: usize = 200_000;

/// Which help window is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HelpWindow {
    Guide,
    Shortcuts,
    About,
}

/// The application.
pub struct WorkbenchApp {
    session: Session,
    /// Prepared traces for the current smoothing, by dataset.
    display: BTreeMap<DatasetId, Arc<DisplayTrace>>,
    read_options: ReadOptions,
    recent: Vec<PathBuf>,
    notices: Vec<Notice>,
    loads_tx: Sender<LoadResult>,
    loads_rx: Receiver<LoadResult>,
    /// Background loads still running (names shown in the status bar).
    pending: Vec<PathBuf>,
    /// Visibility to restore once a persisted trace's dataset is back.
    restore_hidden: Vec<DatasetId>,
    readout: Option<String>,
    help: Option<HelpWindow>,
    theme_applied: Option<crate::view::Theme>,
    calibration: calibration::CalibrationForm,
    derive_rx: Option<Receiver<DeriveResult>>,
    /// A background export's result, when one is running.
    export_rx: Option<Receiver<Result<crate::provenance::bundle::Exported, String>>>,
    /// Where Export view writes bundles.
    export_dir: PathBuf,
    /// The last export, for the notice's Open folder and Copy citation buttons.
    last_export: Option<crate::provenance::bundle::Exported>,
    lineage_open: bool,
    /// The FITS HDU chooser, when a file's layout is ambiguous or unknown.
    hdu_chooser: Option<HduChooser>,
    /// The data-restrictions form's contents, applied by its button.
    policy_draft: crate::session::ExportPolicy,
}

impl WorkbenchApp {
    /// A new app. With no persisted state and no files, it shows the bundled samples.
    pub fn new(
        persisted: Option<PersistedState>,
        files: Vec<PathBuf>,
        read_options: ReadOptions,
    ) -> Self {
        let restored = persisted.clone().unwrap_or_default();
        let mut app = Self::blank(&restored, read_options);
        if !files.is_empty() {
            for f in files {
                app.open_file(&f);
            }
        } else if persisted.as_ref().is_some_and(|p| !p.sources.is_empty()) {
            let bounds = restored.view.bounds;
            for source in &restored.sources {
                match source {
                    SourceRef::Bundled(name) => app.add_sample(name),
                    SourceRef::File(path) => app.open_file(path),
                    // Derived data is not saved yet (recomputing it needs its chain).
                    SourceRef::Derived(_) => {}
                }
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

    /// The app with `restored`'s view and recent files, and no data.
    fn blank(restored: &PersistedState, read_options: ReadOptions) -> Self {
        let (loads_tx, loads_rx) = channel();
        Self {
            session: Session::with_view(restored.view.clone()),
            display: BTreeMap::new(),
            read_options,
            recent: restored.recent.clone(),
            notices: Vec::new(),
            loads_tx,
            loads_rx,
            pending: Vec::new(),
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
            derive_rx: None,
            export_rx: None,
            export_dir: restored
                .export_dir
                .clone()
                .unwrap_or_else(default_export_dir),
            last_export: None,
            lineage_open: false,
            hdu_chooser: None,
            policy_draft: crate::session::ExportPolicy::default(),
        }
    }

    /// Runs a transform requested by the Calibration dock: inline for small inputs, on a
    /// background thread for large ones. The result arrives as [`Command::AddDerived`].
    fn run_step(&mut self, request: calibration::ApplyRequest, ctx: &egui::Context) {
        if let Some(medium) = request.declared_medium {
            let declare = Command::DeclareMedium {
                id: request.input.clone(),
                medium,
            };
            if let Err(e) = self.session.apply(declare) {
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
        if size <= BACKGROUND_STEP_POINTS {
            let result = derive(&datasets, &request.input, &request.step);
            self.finish_step((result, replace));
        } else {
            let (tx, rx) = channel();
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let result = derive(&datasets, &request.input, &request.step);
                let _ = tx.send((result, replace));
                ctx.request_repaint();
            });
            self.derive_rx = Some(rx);
            self.calibration.busy = true;
            self.calibration.started = Some(std::time::Instant::now());
        }
    }

    fn finish_step(&mut self, (result, replace): DeriveResult) {
        self.calibration.busy = false;
        self.calibration.started = None;
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
        }
    }

    /// Sets the folder Export view writes to.
    pub fn set_export_dir(&mut self, dir: PathBuf) {
        self.export_dir = dir;
    }

    /// The last export, if any.
    pub fn last_export(&self) -> Option<&crate::provenance::bundle::Exported> {
        self.last_export.as_ref()
    }

    /// Exports what is on the canvas: the same bundle the CLI writes, from the traces
    /// already prepared for the screen.
    pub fn export_view(&mut self) {
        if self.export_rx.is_some() {
            self.notify("an export is already running".into());
            return;
        }
        let created_at = crate::provenance::recipe::now_rfc3339();
        let points: usize = self
            .session
            .datasets()
            .iter()
            .map(|d| d.spectrum.len())
            .sum();
        if points <= BACKGROUND_EXPORT_POINTS {
            let result = crate::provenance::bundle::write_bundle(
                &self.session,
                &self.display,
                &self.export_dir,
                &created_at,
            );
            self.finish_export(result);
        } else {
            self.start_background_export(created_at);
        }
    }

    /// Exports on a background thread from a snapshot of the session (the spectra are
    /// shared, not copied), so the window stays responsive; the result arrives as a notice.
    pub fn start_background_export(&mut self, created_at: String) {
        let session = self.session.snapshot_for_export();
        let display = self.display.clone();
        let dir = self.export_dir.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                crate::provenance::bundle::write_bundle(&session, &display, &dir, &created_at)
                    .map_err(|e| e.to_string()),
            );
        });
        self.export_rx = Some(rx);
        self.notify("exporting…".into());
    }

    fn finish_export(
        &mut self,
        result: Result<crate::provenance::bundle::Exported, impl std::fmt::Display>,
    ) {
        match result {
            Ok(done) => {
                self.notify(format!("exported to {}", done.dir.display()));
                self.last_export = Some(done);
            }
            Err(e) => self.notify_error(format!("export: {e}")),
        }
    }

    /// Whether any file is still loading on a background thread.
    pub fn loading(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether a background export is running.
    pub fn exporting(&self) -> bool {
        self.export_rx.is_some()
    }

    fn add_sample(&mut self, name: &str) {
        match samples::load_sample(name) {
            Some(Ok(d)) => self.add_loaded(
                vec![d.clone()]
                    .into_iter()
                    .map(|d| {
                        let t = Arc::new(DisplayTrace::build(
                            d.spectrum.clone(),
                            self.session.view().smoothing,
                        ));
                        (d, t)
                    })
                    .collect(),
            ),
            Some(Err(e)) => self.notify_error(e.to_string()),
            None => self.notify_error(format!("{name}: no such bundled sample")),
        }
    }

    /// Opens a file: small files at once, large ones on a background thread.
    pub fn open_file(&mut self, path: &Path) {
        self.remember_recent(path);
        self.start_load(path, self.read_options.clone(), true);
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

    /// Reads `path` and prepares its traces, at once for small files and on a background
    /// thread for large ones. With `offer_chooser`, a FITS file whose layout is ambiguous
    /// or unknown also gets its HDU list, in the same job.
    fn start_load(&mut self, path: &Path, options: ReadOptions, offer_chooser: bool) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let smoothing = self.session.view().smoothing;
        let path = path.to_path_buf();
        let job = {
            let path = path.clone();
            move || -> LoadResult {
                let result = read_datasets(&path, &options).map(|ds| {
                    ds.into_iter()
                        .map(|d| {
                            let t = Arc::new(DisplayTrace::build(d.spectrum.clone(), smoothing));
                            (d, t)
                        })
                        .collect()
                });
                let chooser = offer_chooser.then(|| chooser_for(&result)).flatten();
                LoadResult {
                    path,
                    result,
                    chooser,
                }
            }
        };
        if size <= SYNC_LOAD_BYTES {
            self.finish_load(job());
        } else {
            self.pending.push(path);
            let tx = self.loads_tx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(job());
            });
        }
    }

    fn finish_load(&mut self, load: LoadResult) {
        self.pending.retain(|p| p != &load.path);
        if load.chooser.is_some() {
            self.hdu_chooser = load.chooser;
        }
        match load.result {
            Ok(loaded) => self.add_loaded(loaded),
            Err(e) => self.notify_error(e.to_string()),
        }
    }

    fn hdu_chooser_window(&mut self, ui: &mut egui::Ui) {
        let Some(chooser) = &mut self.hdu_chooser else {
            return;
        };
        let mut open = true;
        let mut choice = None;
        egui::Window::new(format!("Choose a FITS HDU — {}", chooser.file_name))
            .open(&mut open)
            .default_width(560.0)
            .show(ui.ctx(), |ui| {
                ui.label(&chooser.why);
                ui.horizontal(|ui| {
                    ui.label("x column");
                    ui.add(egui::TextEdit::singleline(&mut chooser.x_col).desired_width(120.0));
                    ui.label("y column");
                    ui.add(egui::TextEdit::singleline(&mut chooser.y_col).desired_width(120.0));
                    ui.weak("(tables only; empty = detect)");
                });
                egui::Grid::new("hdus").striped(true).show(ui, |ui| {
                    for h in &chooser.hdus {
                        ui.label(&h.description);
                        ui.label(h.columns.join(", "));
                        if ui.button(format!("Open HDU {}", h.index)).clicked() {
                            choice = Some(h.index);
                        }
                        ui.end_row();
                    }
                });
            });
        if let Some(hdu) = choice {
            let (path, x, y) = (
                chooser.path.clone(),
                chooser.x_col.clone(),
                chooser.y_col.clone(),
            );
            self.open_fits_choice(&path, hdu, &x, &y);
        }
        if !open {
            self.hdu_chooser = None;
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
                .filter(|w| !w.contains(crate::ingest::FULLY_MASKED))
            {
                // Readers of multi-spectrum files already name the spectrum.
                let text = if w.starts_with(name.as_str()) {
                    w.clone()
                } else {
                    format!("{name}: {w}")
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

    /// Applies one command, reporting a refusal as a notice.
    fn apply(&mut self, command: Command) {
        if let Err(e) = self.session.apply(command) {
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

    fn poll_loads(&mut self) {
        while let Ok(load) = self.loads_rx.try_recv() {
            self.finish_load(load);
        }
        if let Some(rx) = &self.derive_rx
            && let Ok(done) = rx.try_recv()
        {
            self.derive_rx = None;
            self.finish_step(done);
        }
        if let Some(rx) = &self.export_rx
            && let Ok(result) = rx.try_recv()
        {
            self.export_rx = None;
            self.finish_export(result);
        }
    }

    /// One frame of the whole app.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.poll_loads();
        let theme = self.session.view().theme;
        if self.theme_applied != Some(theme) {
            ui.ctx().set_visuals(render::visuals(theme));
            self.theme_applied = Some(theme);
        }
        let mut commands: Vec<Command> = Vec::new();
        let mut open_files: Vec<PathBuf> = Vec::new();

        // Keyboard shortcuts.
        ui.ctx().input_mut(|i| {
            use egui::{Key, KeyboardShortcut, Modifiers};
            if i.consume_shortcut(&KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::Z,
            )) || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Y))
            {
                commands.push(Command::Redo);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)) {
                commands.push(Command::Undo);
            }
        });
        let open_dialog = ui.ctx().input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::O,
            ))
        });
        let export_key = ui.ctx().input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::E,
            ))
        });
        let quit = ui.ctx().input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::Q,
            ))
        });
        if quit {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }

        // Drag and drop.
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        for f in dropped {
            open_files.push(f.path().to_path_buf());
        }

        let actions = panels::menu_bar(ui, &self.session, &self.recent, &mut commands);
        if actions.open_dialog || open_dialog {
            open_files.extend(pick_files());
        }
        open_files.extend(actions.open_recent);
        if let Some(h) = actions.help {
            self.help = Some(match h {
                panels::Help::Guide => HelpWindow::Guide,
                panels::Help::Shortcuts => HelpWindow::Shortcuts,
                panels::Help::About => HelpWindow::About,
            });
        }

        let toolbar = panels::toolbar(
            ui,
            self.session.view(),
            &mut self.calibration.open,
            &mut commands,
        );
        if toolbar.export || export_key {
            self.export_view();
        }
        if toolbar.lineage {
            self.lineage_open = true;
            self.policy_draft = self.session.export_policy().clone();
        }
        if let Some(done) = &self.last_export {
            let mut close = false;
            egui::Panel::bottom("export_notice").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(format!("Exported {}", done.dir.display()));
                    if ui.button("Open folder").clicked() {
                        open_in_file_manager(&done.dir);
                    }
                    if ui.button("Copy citation").clicked()
                        && let Ok(text) = std::fs::read_to_string(done.dir.join("CITATION.txt"))
                    {
                        ui.ctx().copy_text(text);
                    }
                    if ui.small_button("Dismiss").clicked() {
                        close = true;
                    }
                });
            });
            if close {
                self.last_export = None;
            }
        }
        let dismissed = panels::status_bar(
            ui,
            &self.session,
            &self.notices,
            &self.pending,
            self.readout.as_deref(),
        );
        if let Some(i) = dismissed
            && i < self.notices.len()
        {
            self.notices.remove(i);
        }
        panels::library(ui, &self.session, &mut commands);
        if let Some(request) = self.calibration.show(ui, &self.session) {
            let ctx = ui.ctx().clone();
            self.run_step(request, &ctx);
        }

        // The canvas.
        let view = self.session.view().clone();
        let mut canvas_out = render::CanvasOutput::default();
        egui::CentralPanel::default().show(ui, |ui| {
            let rect = ui.available_rect_before_wrap();
            let canvas = Canvas {
                width_pt: rect.width(),
                height_pt: rect.height(),
                pixels_per_point: ui.ctx().pixels_per_point(),
            };
            if canvas != view.canvas {
                commands.push(Command::SetCanvas(canvas));
            }
            let (scene, _) =
                crate::provenance::bundle::scene_of(&self.session, &view, &self.display);
            canvas_out = render::draw_canvas(ui, &view, &scene);
        });
        self.readout = canvas_out.readout;
        let navigation = canvas_out
            .commands
            .iter()
            .any(|c| matches!(c, Command::SetBounds(_)));
        commands.extend(canvas_out.commands);

        self.help_windows(ui);
        self.lineage_window(ui);
        self.hdu_chooser_window(ui);

        for c in commands {
            self.apply(c);
        }
        for f in open_files {
            self.open_file(&f);
        }
        if navigation
            || !self.pending.is_empty()
            || self.derive_rx.is_some()
            || self.export_rx.is_some()
        {
            // The frame drew last frame's bounds; draw once more with the new ones.
            ui.ctx().request_repaint();
        }
    }

    fn lineage_window(&mut self, ui: &mut egui::Ui) {
        if !self.lineage_open {
            return;
        }
        let mut open = true;
        let session = &self.session;
        let draft = &mut self.policy_draft;
        let mut set_policy = None;
        egui::Window::new("View lineage")
            .open(&mut open)
            .default_width(640.0)
            .show(ui.ctx(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.heading("Inputs");
                    for d in session
                        .datasets()
                        .iter()
                        .filter(|d| !matches!(d.source, SourceRef::Derived(_)))
                    {
                        ui.horizontal(|ui| {
                            ui.label(d.source.display_name());
                            ui.monospace(d.id.short());
                            if ui.small_button("Copy ID").clicked() {
                                ui.ctx().copy_text(d.id.to_string());
                            }
                            if let Some(h) = &d.source_sha256
                                && ui.small_button("Copy file sha256").clicked()
                            {
                                ui.ctx().copy_text(h.clone());
                            }
                        });
                    }
                    ui.heading("Transforms");
                    if session.records().is_empty() {
                        ui.label("(none)");
                    }
                    for r in session.records() {
                        ui.horizontal(|ui| {
                            ui.strong(&r.kind);
                            let parents: Vec<&str> =
                                r.parent_ids.iter().map(|p| p.short()).collect();
                            ui.monospace(format!(
                                "{} → {}",
                                parents.join(" + "),
                                r.output_id.short()
                            ));
                            if ui.small_button("Copy transform ID").clicked() {
                                ui.ctx().copy_text(r.id.clone());
                            }
                            if ui.small_button("Copy step JSON").clicked() {
                                let step = serde_json::json!({"kind": r.kind, "params": r.params});
                                ui.ctx().copy_text(step.to_string());
                            }
                        });
                    }
                    if let Some(done) = &self.last_export {
                        ui.heading("Last export");
                        ui.horizontal(|ui| {
                            ui.label("MANIFEST_ID");
                            ui.monospace(&done.manifest_id[..16]);
                            if ui.small_button("Copy").clicked() {
                                ui.ctx().copy_text(done.manifest_id.clone());
                            }
                        });
                        ui.horizontal(|ui| {
                            ui.label("Data hash (citation)");
                            ui.monospace(&done.data_sha256[..16]);
                            if ui.small_button("Copy").clicked() {
                                ui.ctx().copy_text(done.data_sha256.clone());
                            }
                        });
                    }
                    ui.heading("Data restrictions");
                    ui.label(
                        "Terms go into the manifest of every export. While set, the raw \
                         source files are left out unless you opt in.",
                    );
                    let mut text = draft.data_restrictions.clone().unwrap_or_default();
                    ui.horizontal(|ui| {
                        ui.label("Restrictions");
                        ui.add(
                            egui::TextEdit::singleline(&mut text)
                                .hint_text("e.g. proprietary until 2027-06-01")
                                .desired_width(320.0),
                        );
                    });
                    draft.data_restrictions = (!text.trim().is_empty()).then_some(text);
                    ui.checkbox(
                        &mut draft.include_restricted_sources,
                        "Include restricted raw sources anyway",
                    );
                    ui.horizontal(|ui| {
                        ui.label("Notes");
                        ui.add(egui::TextEdit::singleline(&mut draft.notes).desired_width(320.0));
                    });
                    // Always there (greyed while nothing changed), so the form says how
                    // its contents take effect.
                    let changed = draft != session.export_policy();
                    if ui
                        .add_enabled(changed, egui::Button::new("Apply to exports"))
                        .clicked()
                    {
                        set_policy = Some(draft.clone());
                    }
                });
            });
        if let Some(policy) = set_policy {
            self.apply(Command::SetExportPolicy(policy));
        }
        if !open {
            self.lineage_open = false;
        }
    }

    fn help_windows(&mut self, ui: &mut egui::Ui) {
        let Some(which) = self.help else { return };
        let mut open = true;
        let (title, body) = match which {
            HelpWindow::Guide => ("User guide", USER_GUIDE),
            HelpWindow::Shortcuts => ("Keyboard shortcuts", SHORTCUTS),
            HelpWindow::About => ("About spectra-workbench", ABOUT),
        };
        egui::Window::new(title)
            .open(&mut open)
            .resizable(true)
            .default_width(520.0)
            .show(ui.ctx(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.label(body);
                });
            });
        if !open {
            self.help = None;
        }
    }
}

/// The user guide shown in Help ▸ User guide (the same text as `docs/user/guide.md`).
const USER_GUIDE: &str = include_str!("../../docs/user/guide.md");

const SHORTCUTS: &str = "Ctrl+O\tOpen files…\nCtrl+Z\tUndo\nCtrl+Shift+Z / Ctrl+Y\tRedo\nCtrl+Q\tQuit\n\n\
Plot: drag to pan, scroll to pan, Ctrl+scroll to zoom, right-drag to zoom into a box,\n\
double-click to fit all visible traces. Click a legend entry to hide or show its trace.";

const ABOUT: &str = concat!(
    "spectra-workbench ",
    env!("CARGO_PKG_VERSION"),
    "\nA desktop spectra workbench: load, overlay, transform and export spectra with full provenance.\n\
Licence: MIT OR Apache-2.0. Bundled sample data: see assets/README.md."
);

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

fn pick_files() -> Vec<PathBuf> {
    rfd::FileDialog::new()
        .set_title("Open spectra")
        .add_filter(
            "Spectra",
            &[
                "csv", "tsv", "txt", "dat", "ascii", "fits", "fit", "gz", "jdx", "dx",
            ],
        )
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
    }
}

/// Runs the GUI until the window closes.
pub fn run(files: Vec<PathBuf>, read_options: ReadOptions) -> Result<(), String> {
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
            Ok(Box::new(WorkbenchApp::new(persisted, files, read_options)))
        }),
    )
    .map_err(|e| format!("cannot start the GUI: {e}"))
}
