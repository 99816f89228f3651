//! The History dock: the session's structured events (and, from the store, those of
//! earlier sessions and CLI runs) in a virtualised list — time, kind, what, on which
//! datasets — with filters by kind, dataset and session, the current undo position
//! marked and undone events shown as such. Each row links to its Library record (dataset
//! or manifest) and to its Knowledge-log entry; the dock emits [`Link`]s, the app follows
//! them.

use crate::ids::DatasetId;
use crate::session::persist::stored_event;
use crate::session::{EventKind, HistoryEvent, Session};
use crate::store::Store;
use crate::store::history::{EventFilter, SessionRow, StoredEvent};

use super::links::Link;

/// Row height, points.
const ROW_HEIGHT: f32 = 20.0;

/// Most stored events the dock lists for one query (the newest); the dock says when a
/// list is cut.
const STORED_LIMIT: usize = 10_000;

/// Which events the dock lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HistorySource {
    /// This window's session, live.
    #[default]
    ThisSession,
    /// One session from the store.
    Stored(String),
    /// Every session in the store.
    AllStored,
}

/// A dataset filter: events that touched any of `ids` (a trace and the inputs of the
/// steps that made it, for the calibration banner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetFilter {
    pub label: String,
    pub ids: Vec<DatasetId>,
    /// Only step events (what set a trace's calibration).
    pub steps_only: bool,
}

/// What the filtered indices were computed for: row count, kind, datasets, manifest,
/// and the source.
type FilterKey = (
    usize,
    Option<EventKind>,
    Option<DatasetFilter>,
    Option<String>,
    HistorySource,
);

/// The dock's state.
#[derive(Default)]
pub struct HistoryView {
    pub source: HistorySource,
    pub kind: Option<EventKind>,
    pub datasets: Option<DatasetFilter>,
    pub manifest: Option<String>,
    /// The row to show and highlight: (session ID, seq).
    pub focus: Option<(String, u64)>,
    scroll_to_focus: bool,
    /// This session's events as rows, kept in step with the session's history.
    live: Vec<StoredEvent>,
    live_last: Option<HistoryEvent>,
    /// Seqs of this session's events that are undone (on the redo stack), and the event
    /// the current state follows.
    undone: std::collections::HashSet<u64>,
    current: Option<u64>,
    /// Rows read from the store for a stored source, and the filter they were read for
    /// (for all sessions: every session but this one, whose rows are `live`).
    stored: Option<(EventFilter, Vec<StoredEvent>)>,
    /// This window's session ID.
    current_session: String,
    sessions: Option<Vec<SessionRow>>,
    /// Indices into the listed rows that pass the filters, and the key they were made for.
    filtered: Vec<usize>,
    filtered_key: Option<FilterKey>,
    /// Set when the store's History changed.
    stale: bool,
    /// Rows drawn in the last frame (benchmarks read it).
    pub rows_drawn: usize,
}

impl HistoryView {
    /// The store's History changed: stored rows are read again.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Shows the event `seq` of `session` (this one when it is `current_session`).
    pub fn focus_event(&mut self, session: &str, seq: u64, current_session: &str) {
        self.source = if session == current_session {
            HistorySource::ThisSession
        } else {
            HistorySource::Stored(session.to_string())
        };
        self.kind = None;
        self.datasets = None;
        self.manifest = None;
        self.focus = Some((session.to_string(), seq));
        self.scroll_to_focus = true;
    }

    /// Lists the events that touched `filter`'s datasets, in every session.
    pub fn filter_datasets(&mut self, filter: DatasetFilter, all_sessions: bool) {
        if all_sessions {
            self.source = HistorySource::AllStored;
        }
        self.datasets = Some(filter);
        self.manifest = None;
        self.focus = None;
    }

    /// Lists the events about one manifest, in every session.
    pub fn filter_manifest(&mut self, manifest_id: &str) {
        self.source = HistorySource::AllStored;
        self.kind = None;
        self.datasets = None;
        self.manifest = Some(manifest_id.to_string());
        self.focus = None;
    }

    /// Brings the live rows up to date with the session (appends; rewrites the last row
    /// when a continuous edit folded into it).
    fn sync_live(&mut self, session_id: &str, events: &[HistoryEvent]) {
        let same_last = self.live.len() <= events.len()
            && self.live_last.as_ref()
                == self.live.len().checked_sub(1).and_then(|k| events.get(k));
        if !same_last {
            let keep = self.live.len().min(events.len()).saturating_sub(1);
            self.live.truncate(keep);
        }
        if self.live.len() == events.len() && same_last {
            return;
        }
        for e in &events[self.live.len()..] {
            self.live.push(stored_event(session_id, e));
        }
        self.live_last = events.last().cloned();
        // Which changes are in effect: replay the undo stack's depths.
        let mut stack: Vec<u64> = Vec::new();
        let mut redo: Vec<u64> = Vec::new();
        for e in events {
            match e.kind {
                EventKind::Undo => {
                    if let Some(s) = stack.pop() {
                        redo.push(s);
                    }
                }
                EventKind::Redo => {
                    if let Some(s) = redo.pop() {
                        stack.push(s);
                    }
                }
                k if k.is_record() => {}
                _ => {
                    // The session's stack now holds `undo_position` entries with this
                    // change on top: keep the newest below it (at its depth limit the
                    // session dropped its oldest entry instead of growing).
                    let below = e.undo_position.saturating_sub(1);
                    if stack.len() > below {
                        stack.drain(..stack.len() - below);
                    }
                    stack.push(e.seq);
                    redo.clear();
                }
            }
        }
        self.undone = redo.into_iter().collect();
        self.current = stack.last().copied();
        self.filtered_key = None;
    }

    fn stored_filter(&self) -> Option<EventFilter> {
        let session_id = match &self.source {
            HistorySource::ThisSession => return None,
            HistorySource::Stored(s) => Some(s.clone()),
            HistorySource::AllStored => None,
        };
        let exclude_session =
            (self.source == HistorySource::AllStored).then(|| self.current_session.clone());
        Some(EventFilter {
            session_id,
            exclude_session,
            kind: self.kind.map(|k| k.as_str().to_string()),
            // A single dataset narrows in SQL; a chain is filtered below.
            dataset_id: self
                .datasets
                .as_ref()
                .filter(|f| f.ids.len() == 1)
                .map(|f| f.ids[0].to_string()),
            manifest_id: self.manifest.clone(),
            log_entry: None,
        })
    }

    fn stored_rows(&self) -> &[StoredEvent] {
        match (&self.source, &self.stored) {
            (HistorySource::ThisSession, _) | (_, None) => &[],
            (_, Some((_, rows))) => rows,
        }
    }

    /// How many rows the source lists: stored ones, then (this session, all sessions)
    /// this session's own from memory.
    fn row_count(&self) -> usize {
        let live = match self.source {
            HistorySource::Stored(_) => 0,
            _ => self.live.len(),
        };
        self.stored_rows().len() + live
    }

    fn row(&self, k: usize) -> Option<&StoredEvent> {
        let stored = self.stored_rows();
        match stored.get(k) {
            Some(e) => Some(e),
            None if !matches!(self.source, HistorySource::Stored(_)) => {
                self.live.get(k - stored.len())
            }
            None => None,
        }
    }

    fn refilter(&mut self) {
        let key = (
            self.row_count(),
            self.kind,
            self.datasets.clone(),
            self.manifest.clone(),
            self.source.clone(),
        );
        if self.filtered_key.as_ref() == Some(&key) {
            return;
        }
        let kind = self.kind.map(|k| k.as_str());
        let ids: Option<Vec<String>> = self
            .datasets
            .as_ref()
            .map(|f| f.ids.iter().map(|d| d.to_string()).collect());
        let steps_only = self.datasets.as_ref().is_some_and(|f| f.steps_only);
        let filtered = (0..self.row_count())
            .filter_map(|k| self.row(k).map(|e| (k, e)))
            .filter(|(_, e)| kind.is_none_or(|k| e.kind == k))
            .filter(|(_, e)| {
                ids.as_ref()
                    .is_none_or(|ids| e.dataset_ids.iter().any(|d| ids.contains(d)))
            })
            .filter(|(_, e)| !steps_only || e.kind == "transform" || e.kind == "declare_medium")
            .filter(|(_, e)| {
                self.manifest
                    .as_ref()
                    .is_none_or(|m| e.manifest_id.as_ref() == Some(m))
            })
            .map(|(k, _)| k)
            .collect();
        self.filtered = filtered;
        self.filtered_key = Some(key);
    }

    /// The rows passing the filters now, oldest first (tests read them).
    pub fn listed(&self) -> Vec<&StoredEvent> {
        self.filtered.iter().filter_map(|&k| self.row(k)).collect()
    }
}

fn time_text(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => {
            let t = crate::textfmt::rfc3339_from_unix((ms.max(0) / 1000) as u64);
            t[11..19].to_string()
        }
        None => "--:--:--".into(),
    }
}

/// `MM-DD HH:MM:SS` (UTC), for lists that span days.
fn day_time_text(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => {
            let t = crate::textfmt::rfc3339_from_unix((ms.max(0) / 1000) as u64);
            format!("{} {}", &t[5..10], &t[11..19])
        }
        None => "--:-- --:--:--".into(),
    }
}

/// A session's ID without its start time: the frontend and the process
/// (`gui-1796348827478-30666` → `gui·30666`).
fn session_tag(id: &str) -> String {
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        [front @ .., _ms, pid] if !front.is_empty() => format!("{}·{pid}", front.join("-")),
        _ => id.to_string(),
    }
}

/// Draws the dock into `ui`; returns the links the user followed.
pub fn history_dock(
    ui: &mut egui::Ui,
    view: &mut HistoryView,
    session: &Session,
    session_id: &str,
    store: Option<&Store>,
) -> Vec<Link> {
    let mut links = Vec::new();
    if view.current_session != session_id {
        view.current_session = session_id.to_string();
    }

    ui.horizontal_wrapped(|ui| {
        ui.heading("History");
        let source_text = match &view.source {
            HistorySource::ThisSession => "this session".to_string(),
            HistorySource::AllStored => "all sessions".to_string(),
            HistorySource::Stored(s) => s.clone(),
        };
        egui::ComboBox::from_label("Sessions")
            .selected_text(source_text)
            .width(120.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.source, HistorySource::ThisSession, "this session");
                if store.is_some() {
                    ui.selectable_value(&mut view.source, HistorySource::AllStored, "all sessions");
                    for s in view.sessions.clone().unwrap_or_default().iter().take(200) {
                        if s.id == session_id {
                            continue;
                        }
                        let label = format!("{} ({} events)", s.id, s.events);
                        ui.selectable_value(
                            &mut view.source,
                            HistorySource::Stored(s.id.clone()),
                            label,
                        );
                    }
                }
            })
            .response
            .on_hover_text(
                "Whose events to list: this window's, or earlier sessions' from the store",
            );
        egui::ComboBox::from_label("Kinds")
            .selected_text(view.kind.map_or("every kind", |k| k.as_str()))
            .width(100.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.kind, None, "every kind");
                for k in EventKind::ALL {
                    ui.selectable_value(&mut view.kind, Some(k), k.as_str());
                }
            })
            .response
            .on_hover_text("Only events of one kind");
    });
    let mut clear_datasets = false;
    let mut clear_manifest = false;
    if view.datasets.is_some() || view.manifest.is_some() {
        ui.horizontal_wrapped(|ui| {
            if let Some(f) = &view.datasets {
                ui.label(format!("touching {}", f.label));
                if ui.small_button("Clear dataset filter").clicked() {
                    clear_datasets = true;
                }
            }
            if let Some(m) = &view.manifest {
                ui.label(format!("about manifest {}", crate::ids::short_hex(m)));
                if ui.small_button("Clear manifest filter").clicked() {
                    clear_manifest = true;
                }
            }
        });
    }
    if clear_datasets {
        view.datasets = None;
    }
    if clear_manifest {
        view.manifest = None;
    }
    // The controls above may have changed what is listed: read and filter after them,
    // so the rows drawn below always belong to the list they index.
    view.sync_live(session_id, session.history());
    if let Some(store) = store {
        if view.stale || view.sessions.is_none() {
            view.sessions = store.sessions().ok();
        }
        if let Some(filter) = view.stored_filter()
            && (view.stale || view.stored.as_ref().is_none_or(|(f, _)| f != &filter))
        {
            let rows = store.events(&filter, STORED_LIMIT).unwrap_or_default();
            view.stored = Some((filter, rows));
            view.filtered_key = None;
        }
        view.stale = false;
    }
    view.refilter();
    let n = view.filtered.len();
    if view.stored_rows().len() >= STORED_LIMIT {
        ui.weak(format!(
            "The newest {STORED_LIMIT} events; `spectra-workbench history` lists them all."
        ));
    }
    if n == 0 {
        ui.label(if view.row_count() == 0 {
            "No events yet."
        } else {
            "No event matches the filters."
        });
    }
    let focus_index = view.focus.as_ref().and_then(|(s, seq)| {
        view.filtered.iter().position(|&k| {
            view.row(k)
                .is_some_and(|e| &e.session_id == s && e.seq == *seq)
        })
    });
    let mut area = egui::ScrollArea::vertical()
        .id_salt("history_rows")
        .auto_shrink([false, false])
        .stick_to_bottom(view.focus.is_none());
    if view.scroll_to_focus
        && let Some(k) = focus_index
    {
        let spacing = ui.spacing().item_spacing.y;
        area = area.vertical_scroll_offset(((k as f32) * (ROW_HEIGHT + spacing) - 40.0).max(0.0));
        view.scroll_to_focus = false;
    }
    let live = view.source == HistorySource::ThisSession;
    let all = view.source == HistorySource::AllStored;
    let mut drawn = 0;
    area.show_rows(ui, ROW_HEIGHT, n, |ui, range| {
        for k in range {
            drawn += 1;
            let Some(e) = view.filtered.get(k).and_then(|&i| view.row(i)) else {
                continue;
            };
            let focused = Some(k) == focus_index;
            let undone = live && view.undone.contains(&e.seq);
            let current = live && view.current == Some(e.seq);
            ui.horizontal(|ui| {
                ui.set_height(ROW_HEIGHT);
                let marker = if current { "▸" } else { " " };
                ui.monospace(marker).on_hover_text(if current {
                    "The current undo position: the state follows this change"
                } else {
                    ""
                });
                let n_links = usize::from(e.manifest_id.is_some())
                    + usize::from(e.log_entry.is_some())
                    + usize::from(!e.dataset_ids.is_empty());
                // The words first, the links after them, in room kept for them.
                let words_width = (ui.available_width() - 66.0 * n_links as f32).max(80.0);
                ui.allocate_ui_with_layout(
                    egui::vec2(words_width, ROW_HEIGHT),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_width(words_width);
                        // Across sessions, each row says whose it is and on which day.
                        let text = if all {
                            format!(
                                "{} {:>4} {} {:<9} {}",
                                session_tag(&e.session_id),
                                e.seq,
                                day_time_text(e.at_ms),
                                e.kind,
                                e.summary
                            )
                        } else {
                            format!(
                                "{:>4} {} {:<9} {}",
                                e.seq,
                                time_text(e.at_ms),
                                e.kind,
                                e.summary
                            )
                        };
                        let mut what = egui::RichText::new(text);
                        if undone {
                            what = what.weak().strikethrough();
                        }
                        if focused {
                            what = what
                                .strong()
                                .background_color(ui.visuals().selection.bg_fill);
                        }
                        ui.add(
                            egui::Label::new(what)
                                .truncate()
                                .sense(egui::Sense::hover()),
                        )
                        .on_hover_text(format!(
                            "{}{} · undo depth {}",
                            e.summary,
                            if undone { " (undone)" } else { "" },
                            e.undo_position
                        ));
                    },
                );
                if let Some(m) = &e.manifest_id
                    && ui
                        .link("manifest")
                        .on_hover_text(format!("Open manifest {m} in the Library"))
                        .clicked()
                {
                    links.push(Link::Manifest(m.clone()));
                }
                if let Some(l) = &e.log_entry
                    && ui
                        .link("entry")
                        .on_hover_text(format!("Open Knowledge-log entry {l}"))
                        .clicked()
                {
                    links.push(Link::LogEntry(l.clone()));
                }
                // The last dataset is the one the event made or acted on.
                if let Some(d) = e.dataset_ids.last()
                    && let Some(id) = crate::ids::parse_dataset_id(d)
                    && ui
                        .link("dataset")
                        .on_hover_text(format!("Select dataset {d} in the Library store"))
                        .clicked()
                {
                    links.push(Link::Dataset(id));
                }
            });
        }
    });
    view.rows_drawn = drawn;
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Command;

    fn marks(session: &Session) -> (Option<u64>, Vec<u64>) {
        let mut view = HistoryView::default();
        view.sync_live("s", session.history());
        let mut undone: Vec<u64> = view.undone.iter().copied().collect();
        undone.sort_unstable();
        (view.current, undone)
    }

    #[test]
    fn undone_changes_and_the_current_position_follow_undo_redo_and_new_edits() {
        let mut s = Session::default();
        for k in 0..4 {
            s.apply(Command::SetCrosshair(k % 2 == 1)).unwrap();
        }
        // Events 1–4; undo twice: 4 and 3 are undone, 2 is current.
        s.apply(Command::Undo).unwrap();
        s.apply(Command::Undo).unwrap();
        assert_eq!(marks(&s), (Some(2), vec![3, 4]));
        s.apply(Command::Redo).unwrap();
        assert_eq!(marks(&s), (Some(3), vec![4]));
        // A new edit drops what redo could bring back.
        s.apply(Command::SetUncertainty(true)).unwrap();
        assert_eq!(marks(&s), (Some(8), vec![]));
    }

    #[test]
    fn past_the_undo_depth_the_marks_stay_right() {
        let mut s = Session::default();
        let n = 230;
        for k in 0..n {
            s.apply(Command::SetCrosshair(k % 2 == 1)).unwrap();
        }
        s.apply(Command::Undo).unwrap();
        s.apply(Command::Undo).unwrap();
        s.apply(Command::Undo).unwrap();
        let n = n as u64;
        assert_eq!(marks(&s), (Some(n - 3), vec![n - 2, n - 1, n]));
    }
}
