//! The bottom dock — Library store, History, Knowledge-log side by side — and the links
//! between them: following a link, recording store and Knowledge-log events in the
//! session's History, writing that History to the store, notes, and **Rebuild current
//! view** (a background job; its result is one undoable command).

use super::history_dock::{self, DatasetFilter};
use super::knowledge_panel::{self, KnowledgeAction};
use super::links::Link;
use super::store_link::now_ms;
use super::store_panel::{self, LibraryAction};
use super::{JobDone, WorkbenchApp};
use crate::ids::DatasetId;
use crate::session::{Command, EventKind, Record};
use crate::store::Store;

/// A folded (continuous) edit reaches the store at most this often; new events at once.
const HISTORY_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// After a failed History write, the next try waits this long.
const HISTORY_RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

impl WorkbenchApp {
    /// Draws the dock's three panels: Library store (left), History (middle),
    /// Knowledge-log (right).
    pub(super) fn dock(
        &mut self,
        ui: &mut egui::Ui,
    ) -> (Vec<LibraryAction>, Vec<KnowledgeAction>, Vec<Link>) {
        let mut library = Vec::new();
        let mut knowledge = Vec::new();
        // The Library's table wants the most room (half); History and the log a quarter
        // each. Each panel draws in its own rectangle and is clipped to it.
        let full = ui.available_rect_before_wrap();
        let (library_rect, rest) = full.split_left_right_at_fraction(0.5);
        let (history_rect, log_rect) = rest.split_left_right_at_fraction(0.5);
        let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
        for x in [history_rect.left(), log_rect.left()] {
            ui.painter().vline(x, full.y_range(), stroke);
        }
        let panel = |ui: &mut egui::Ui, rect: egui::Rect, salt: &str| {
            let inner = rect.shrink2(egui::vec2(6.0, 2.0));
            let mut child = ui.new_child(
                egui::UiBuilder::new()
                    .id_salt(salt)
                    .max_rect(inner)
                    .layout(egui::Layout::top_down(egui::Align::Min)),
            );
            child.shrink_clip_rect(inner);
            child
        };
        let mut child = panel(ui, log_rect, "knowledge_log");
        match &mut self.store {
            Some(link) => {
                knowledge = knowledge_panel::knowledge_panel(
                    &mut child,
                    &mut self.knowledge_view,
                    &mut link.store,
                );
            }
            None => {
                child.heading("Knowledge-log");
                child.label("No Library store in this window, so no Knowledge-log.");
            }
        }
        let mut child = panel(ui, history_rect, "history_dock");
        let links = history_dock::history_dock(
            &mut child,
            &mut self.history_view,
            &self.session,
            self.history_writer.session_id(),
            self.store.as_ref().map(|l| &l.store),
        );
        let mut child = panel(ui, library_rect, "library_store_panel");
        match &self.store {
            Some(link) => {
                let on_canvas: Vec<DatasetId> = self
                    .session
                    .datasets()
                    .iter()
                    .map(|d| d.id.clone())
                    .collect();
                library = store_panel::library_store(
                    &mut child,
                    &mut self.library_view,
                    &link.store,
                    &on_canvas,
                );
            }
            None => {
                child.label(
                    "No Library store in this window: it was started with --no-store, or \
                     the store could not be opened (the notices say why). Nothing is kept.",
                );
            }
        }
        ui.advance_cursor_after_rect(full);
        (library, knowledge, links)
    }

    /// Records an event that changes nothing in the session's state (stored, exported,
    /// pinned, a note…).
    pub(super) fn record(
        &mut self,
        kind: EventKind,
        summary: String,
        dataset_ids: Vec<DatasetId>,
        manifest_id: Option<String>,
        log_entry: Option<String>,
    ) {
        self.apply(Command::Record(Record {
            kind,
            summary,
            dataset_ids,
            manifest_id,
            log_entry,
        }));
    }

    /// Opens what a link names, wherever it was clicked.
    pub(super) fn follow(&mut self, link: Link) {
        match link {
            Link::Dataset(id) => {
                self.library_open = true;
                self.library_view.manifest = None;
                let known = self
                    .store
                    .as_ref()
                    .is_some_and(|l| l.store.entry(&id).ok().flatten().is_some());
                if !known {
                    self.notify_error(format!(
                        "dataset {} is no longer in the Library store",
                        id.short()
                    ));
                }
                self.library_view.selected = Some(id);
            }
            Link::Manifest(mid) => {
                self.library_open = true;
                self.library_view.manifest = Some(mid);
            }
            Link::LogEntry(id) => {
                self.library_open = true;
                self.knowledge_view.editor = None;
                self.knowledge_view.select(&id);
            }
            Link::Event { session, seq } => {
                self.library_open = true;
                let current = self.history_writer.session_id().to_string();
                let session = session.unwrap_or_else(|| current.clone());
                // The store must have what the dock is about to list.
                self.flush_history(true);
                self.history_view.focus_event(&session, seq, &current);
            }
            Link::HistoryOfDataset(id) => {
                self.library_open = true;
                let label = self
                    .session
                    .dataset(&id)
                    .map(|d| d.spectrum.name.clone())
                    .unwrap_or_else(|| id.short().to_string());
                self.flush_history(true);
                let all = self.store.is_some();
                self.history_view.filter_datasets(
                    DatasetFilter {
                        label,
                        ids: vec![id],
                        steps_only: false,
                    },
                    all,
                );
            }
            Link::HistoryOfManifest(mid) => {
                self.library_open = true;
                self.flush_history(true);
                self.history_view.filter_manifest(&mid);
            }
        }
    }

    /// A calibration banner line was clicked: the History lists the steps that made the
    /// trace (its chain back to the input), in this session.
    pub(super) fn banner_history(&mut self, id: &DatasetId) {
        let records = self.session.records();
        let mut chain = vec![id.clone()];
        let mut at = id.clone();
        while let Some(r) = records.iter().rev().find(|r| r.output_id == at) {
            let Some(parent) = r.parent_ids.first() else {
                break;
            };
            if chain.contains(parent) {
                break;
            }
            chain.push(parent.clone());
            at = parent.clone();
        }
        let label = self
            .session
            .dataset(id)
            .map(|d| d.spectrum.name.clone())
            .unwrap_or_else(|| id.short().to_string());
        self.library_open = true;
        self.history_view.source = history_dock::HistorySource::ThisSession;
        self.history_view.kind = None;
        self.history_view.manifest = None;
        self.history_view.filter_datasets(
            DatasetFilter {
                label: format!("the calibration of {label}"),
                ids: chain,
                steps_only: true,
            },
            false,
        );
    }

    /// Carries out what the Knowledge-log panel asked for.
    pub(super) fn knowledge_action(&mut self, action: KnowledgeAction) {
        match action {
            KnowledgeAction::Follow(link) => self.follow(link),
            KnowledgeAction::Rescan => self.rescan_log(),
            KnowledgeAction::NewNote => {
                let datasets: Vec<DatasetId> = self
                    .session
                    .view()
                    .active_traces
                    .iter()
                    .filter(|t| t.visible)
                    .map(|t| t.dataset_id.clone())
                    .collect();
                // With a manifest open in the Library, the note is about that view.
                let manifest = self.library_view.manifest.clone();
                self.knowledge_view.new_note(datasets, manifest);
            }
            KnowledgeAction::Save {
                id,
                text,
                datasets,
                manifest,
                base_sha256,
            } => self.save_note(id, text, datasets, manifest, base_sha256),
        }
    }

    fn save_note(
        &mut self,
        id: Option<String>,
        text: String,
        datasets: Vec<DatasetId>,
        manifest: Option<String>,
        base_sha256: Option<String>,
    ) {
        let Some(link) = &mut self.store else { return };
        let origin = crate::provenance::knowledge::Origin {
            session_id: self.history_writer.session_id().to_string(),
            event_seq: self.session.history().len() as u64 + 1,
        };
        let entry = match &id {
            None => crate::provenance::knowledge::note_entry(
                &text,
                &datasets,
                manifest.as_deref(),
                &origin,
                now_ms(),
            ),
            Some(id) => match link.store.read_log_entry(id) {
                Ok(Some(crate::store::knowledge::LoadedEntry {
                    entry: Some(mut e), ..
                })) => {
                    e.body = if text.ends_with('\n') {
                        text.clone()
                    } else {
                        format!("{text}\n")
                    };
                    e
                }
                Ok(_) => {
                    self.notify_error(format!(
                        "Knowledge-log: {id} can no longer be read as a note; nothing was written"
                    ));
                    return;
                }
                Err(e) => {
                    self.notify_error(format!("Knowledge-log: {e}"));
                    return;
                }
            },
        };
        match link.store.write_log_entry(&entry, base_sha256.as_deref()) {
            Ok(row) => {
                let ids: Vec<DatasetId> = entry
                    .front
                    .datasets
                    .iter()
                    .filter_map(|d| crate::ids::parse_dataset_id(d))
                    .collect();
                let verb = if id.is_some() { "edited note" } else { "note" };
                self.record(
                    EventKind::Note,
                    format!("{verb}: {}", entry.front.title),
                    ids,
                    entry.front.manifest_id.clone(),
                    Some(row.id.clone()),
                );
                self.knowledge_view.editor = None;
                self.knowledge_view.invalidate();
                self.knowledge_view.select(&row.id);
            }
            // The editor stays open with the text: nothing the user wrote is lost.
            Err(e) => self.notify_error(format!("Knowledge-log: {e}")),
        }
    }

    /// Reads the Knowledge-log folder again (outside edits, new and removed files).
    pub(super) fn rescan_log(&mut self) {
        let Some(link) = &mut self.store else { return };
        match link.store.rescan_log() {
            Ok(_) => self.knowledge_view.invalidate(),
            Err(e) => self.notify_error(format!("Knowledge-log: {e}")),
        }
    }

    /// Writes the session's new events to the store: at once when there are new ones,
    /// a folded edit at most once a second, everything when `now`.
    pub(super) fn flush_history(&mut self, now: bool) {
        let Some(link) = &mut self.store else { return };
        let events = self.session.history();
        if !self.history_writer.is_behind(events) {
            return;
        }
        // After a failed write, wait before trying again (and say it once).
        if let Some(failed) = self.history_failed
            && failed.elapsed() < HISTORY_RETRY_INTERVAL
            && !now
        {
            return;
        }
        let appended = self.history_writer.written() < events.len();
        let due = now
            || appended
            || self
                .history_flushed
                .is_none_or(|t| t.elapsed() >= HISTORY_FLUSH_INTERVAL);
        if !due {
            return;
        }
        match self.history_writer.flush(&mut link.store, events) {
            Ok(_) => {
                self.history_flushed = Some(std::time::Instant::now());
                if self.history_failed.take().is_some() {
                    self.notify("Library store: the History is saved again".into());
                }
                // The dock lists this session's events from memory: nothing to re-read.
            }
            Err(e) => {
                // The events stay in the session and are written when the store works.
                if self.history_failed.is_none() {
                    self.notify_error(format!(
                        "Library store: the History was not saved (retrying every {} s): {e}",
                        HISTORY_RETRY_INTERVAL.as_secs()
                    ));
                }
                self.history_failed = Some(std::time::Instant::now());
            }
        }
    }

    /// Starts rebuilding the view manifest `mid` recorded, from the store.
    pub(super) fn rebuild(&mut self, mid: String) {
        let Some(link) = &self.store else { return };
        if self.rebuild_job.is_some() {
            self.notify("a rebuild is already running".into());
            return;
        }
        let root = link.root.clone();
        self.rebuild_job = Some(self.jobs.spawn("rebuilding an exported view", move |ctx| {
            ctx.progress(0.0, "reading the manifest and its datasets");
            let result = Store::open(&root)
                .map_err(|e| e.to_string())
                .and_then(|store| {
                    crate::provenance::knowledge::rebuild_from_store(&store, &mid, now_ms())
                        .map_err(|e| e.to_string())
                });
            JobDone::Rebuilt(mid, result)
        }));
    }

    /// A rebuild finished: its datasets, steps and view state become one undoable change.
    pub(super) fn finish_rebuild(
        &mut self,
        mid: &str,
        result: Result<crate::session::Rebuild, String>,
    ) {
        self.rebuild_job = None;
        match result {
            Ok(rebuild) => {
                // They came from the store: nothing to put back.
                self.stored
                    .extend(rebuild.datasets.iter().map(|d| d.id.clone()));
                self.apply(Command::Rebuild(Box::new(rebuild)));
                self.notify(format!(
                    "rebuilt the view of manifest {}",
                    crate::ids::short_hex(mid)
                ));
            }
            Err(e) => self.notify_error(format!("Rebuild current view: {e}")),
        }
    }

    /// Follows a link as a click would (tests).
    pub fn follow_link(&mut self, link: Link) {
        self.follow(link);
    }

    /// The History dock's state (tests read it).
    pub fn history_view(&self) -> &history_dock::HistoryView {
        &self.history_view
    }

    /// The Knowledge-log panel's state (tests and benchmarks read it).
    pub fn knowledge_view(&self) -> &knowledge_panel::KnowledgeView {
        &self.knowledge_view
    }

    /// The Knowledge-log panel's state, to change (tests type into the editor this way).
    pub fn knowledge_view_mut(&mut self) -> &mut knowledge_panel::KnowledgeView {
        &mut self.knowledge_view
    }

    /// This window's session ID in the store's History.
    pub fn history_session_id(&self) -> &str {
        self.history_writer.session_id()
    }

    /// Writes the History to the store now (tests; the app does it itself each frame).
    pub fn save_history(&mut self) {
        self.flush_history(true);
    }

    /// Whether a rebuild is running (tests wait on it).
    pub fn rebuilding(&self) -> bool {
        self.rebuild_job.is_some()
    }
}
