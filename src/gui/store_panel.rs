//! The Library store panel: every dataset the store keeps, in a table (name, object,
//! instrument, x range, points, σ, size, last seen, pinned) with a search box, sortable
//! columns and a detail pane. Rows are drawn only where visible: the panel holds the
//! query's row numbers (8 bytes an entry, fetched by a background job) and reads the
//! rows on screen from the index, so a frame's work follows the screen, not the store.
//!
//! The panel emits [`LibraryAction`]s; the app carries them out (store writes, loading a
//! dataset onto the canvas).

use std::collections::HashMap;
use std::sync::Arc;

use super::links::Link;
use crate::ids::DatasetId;
use crate::store::{Detail, Entry, Query, SortKey, Store};
use crate::textfmt::size_text;

/// What the user asked the Library for.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum LibraryAction {
    /// Add the dataset to the canvas (loading it from the store when not loaded).
    Show(DatasetId),
    Pin(DatasetId, bool),
    Delete(DatasetId),
    CopyId(DatasetId),
    /// Follow a link (a manifest, a Knowledge-log entry, History).
    Follow(super::links::Link),
    /// Show a manifest's file in the file manager.
    OpenManifestFile(String),
    PinManifest(String, bool),
    /// Restore the view a manifest recorded, from the store.
    Rebuild(String),
}

/// What the manifest pane shows about one manifest, read once when it opens.
pub struct ManifestPane {
    pub info: Option<crate::store::ManifestInfo>,
    /// Whether the stored manifest verifies (parses, meets the schema, hashes to its ID).
    pub verified: Result<(), String>,
    /// Knowledge-log entries that link to it, newest first.
    pub entries: Vec<crate::store::knowledge::LogRow>,
}

/// Row height of the table, points.
const ROW_HEIGHT: f32 = 20.0;

/// Column widths, points, in [`SortKey::ALL`] order.
const WIDTHS: [f32; 9] = [190.0, 100.0, 110.0, 140.0, 60.0, 30.0, 70.0, 120.0, 50.0];

/// The panel's state: the query, its row numbers, a cache of rows read, the selection.
#[derive(Default)]
pub struct LibraryView {
    pub query: Query,
    /// The query's row numbers in order, once a job has fetched them.
    rowids: Option<Arc<Vec<i64>>>,
    /// The query the row numbers belong to.
    rowids_for: Option<Query>,
    /// Set when the store changed or the query did: a new fetch is due.
    stale: bool,
    /// A fetch is running.
    pub loading: bool,
    cache: HashMap<i64, Entry>,
    /// The first rows of the query, read directly while the row numbers are on their way.
    first_page: Option<(Query, Vec<Entry>)>,
    pub selected: Option<DatasetId>,
    detail: Option<Detail>,
    /// The manifest open in the detail pane (over the selected dataset).
    pub manifest: Option<String>,
    manifest_pane: Option<(String, ManifestPane)>,
    /// Knowledge-log entries linking the selected dataset.
    dataset_entries: Option<(DatasetId, Vec<crate::store::knowledge::LogRow>)>,
    /// Rows drawn in the last frame (benchmarks and tests read it).
    pub rows_drawn: usize,
    /// The list position of the first row drawn in the last frame (benchmarks check
    /// that scrolling moved it).
    pub first_row_drawn: usize,
    pub scroll_to_top: bool,
}

impl LibraryView {
    /// Marks everything read as out of date (the store changed).
    pub fn invalidate(&mut self) {
        self.stale = true;
        self.cache.clear();
        self.first_page = None;
        self.detail = None;
        self.manifest_pane = None;
        self.dataset_entries = None;
    }

    /// The open manifest's pane, as last read (tests read it).
    pub fn manifest_pane(&self) -> Option<&ManifestPane> {
        self.manifest_pane.as_ref().map(|(_, p)| p)
    }

    /// The query whose row numbers should be fetched now, if one is due.
    pub fn fetch_due(&mut self) -> Option<Query> {
        let due = self.stale || self.rowids_for.as_ref() != Some(&self.query);
        (due && !self.loading).then(|| {
            self.loading = true;
            self.stale = false;
            self.query.clone()
        })
    }

    /// A fetch finished.
    pub fn fetched(&mut self, query: Query, rowids: Vec<i64>) {
        self.loading = false;
        self.rowids = Some(Arc::new(rowids));
        self.rowids_for = Some(query);
    }

    /// A fetch failed (the error is the app's to report).
    pub fn fetch_failed(&mut self) {
        self.loading = false;
        self.rowids_for = Some(self.query.clone());
    }

    /// How many entries the current list holds, once known.
    pub fn len(&self) -> Option<usize> {
        self.rowids
            .as_ref()
            .filter(|_| self.rowids_for.as_ref() == Some(&self.query))
            .map(|r| r.len())
    }

    /// Whether the list is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

/// A short local-free date for "last seen": `YYYY-MM-DD HH:MM` UTC.
fn seen_text(ms: i64) -> String {
    let t = crate::textfmt::rfc3339_from_unix((ms.max(0) / 1000) as u64);
    format!("{} {}", &t[..10], &t[11..16])
}

/// A text cell, left-aligned and truncated to its column.
fn cell(ui: &mut egui::Ui, width: f32, text: impl Into<egui::WidgetText>) -> egui::Response {
    aligned_cell(ui, width, text, egui::Align::Min)
}

/// A number cell, right-aligned so that digits line up.
fn num_cell(ui: &mut egui::Ui, width: f32, text: impl Into<egui::WidgetText>) -> egui::Response {
    aligned_cell(ui, width, text, egui::Align::Max)
}

fn aligned_cell(
    ui: &mut egui::Ui,
    width: f32,
    text: impl Into<egui::WidgetText>,
    align: egui::Align,
) -> egui::Response {
    let layout = match align {
        egui::Align::Max => egui::Layout::right_to_left(egui::Align::Center),
        _ => egui::Layout::left_to_right(egui::Align::Center),
    };
    ui.allocate_ui_with_layout(egui::vec2(width, ROW_HEIGHT), layout, |ui| {
        ui.set_width(width);
        ui.add(egui::Label::new(text).truncate().selectable(false))
    })
    .inner
}

/// Draws the panel's contents into `ui`.
pub fn library_store(
    ui: &mut egui::Ui,
    view: &mut LibraryView,
    store: &Store,
    on_canvas: &[DatasetId],
) -> Vec<LibraryAction> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        ui.heading("Library store");
        let mut text = view.query.text.clone();
        let label = ui.label("Search the Library");
        ui.add(
            egui::TextEdit::singleline(&mut text)
                .hint_text("name, object, instrument, ID, metadata")
                .desired_width(320.0),
        )
        .labelled_by(label.id);
        if text != view.query.text {
            view.query.text = text;
            view.scroll_to_top = true;
        }
        match view.len() {
            Some(n) => ui.label(format!("{n} dataset{}", if n == 1 { "" } else { "s" })),
            None => ui.label("counting…"),
        };
    });
    let detail_width = if view.selected.is_some() || view.manifest.is_some() {
        360.0
    } else {
        0.0
    };
    ui.horizontal_top(|ui| {
        let table_width = (ui.available_width() - detail_width).max(200.0);
        ui.vertical(|ui| {
            ui.set_width(table_width);
            egui::ScrollArea::horizontal()
                .id_salt("library_h")
                .show(ui, |ui| {
                    header(ui, view);
                    rows(ui, view, store, on_canvas, &mut actions);
                });
        });
        // The selection may change while the rows draw; the pane follows next frame.
        if let Some(mid) = view.manifest.clone().filter(|_| detail_width > 0.0) {
            ui.separator();
            ui.vertical(|ui| {
                ui.set_width(detail_width - 16.0);
                manifest_pane(ui, view, store, &mid, &mut actions);
            });
        } else if let Some(id) = view.selected.clone().filter(|_| detail_width > 0.0) {
            ui.separator();
            ui.vertical(|ui| {
                ui.set_width(detail_width - 16.0);
                detail_pane(ui, view, store, &id, on_canvas, &mut actions);
            });
        }
    });
    actions
}

fn header(ui: &mut egui::Ui, view: &mut LibraryView) {
    ui.horizontal(|ui| {
        for (key, width) in SortKey::ALL.iter().zip(WIDTHS) {
            let arrow = if view.query.sort == *key {
                if view.query.descending {
                    " ▼"
                } else {
                    " ▲"
                }
            } else {
                ""
            };
            let text = format!("{}{arrow}", key.label());
            // Headers align as their columns do: numbers to the right.
            let button = if matches!(key, SortKey::XRange | SortKey::Points | SortKey::Size) {
                egui::Button::new((egui::Atom::grow(), text))
            } else {
                egui::Button::new((text, egui::Atom::grow()))
            };
            let b = ui.add_sized([width, ROW_HEIGHT], button.frame(false));
            if b.on_hover_text(format!("Sort by {}", key.label()))
                .clicked()
            {
                if view.query.sort == *key {
                    view.query.descending = !view.query.descending;
                } else {
                    view.query.sort = *key;
                    view.query.descending = matches!(key, SortKey::LastSeen | SortKey::Pinned);
                }
                view.scroll_to_top = true;
            }
        }
    });
    ui.separator();
}

fn rows(
    ui: &mut egui::Ui,
    view: &mut LibraryView,
    store: &Store,
    on_canvas: &[DatasetId],
    actions: &mut Vec<LibraryAction>,
) {
    // Row numbers of the current query when known; else the first page, read at once.
    let ids = view
        .rowids
        .clone()
        .filter(|_| view.rowids_for.as_ref() == Some(&view.query))
        .or_else(|| view.rowids.clone());
    let total = match &ids {
        Some(ids) => ids.len(),
        None => {
            if view
                .first_page
                .as_ref()
                .is_none_or(|(q, _)| q != &view.query)
            {
                let page = store.page(&view.query, 0, 64).unwrap_or_default();
                view.first_page = Some((view.query.clone(), page));
            }
            view.first_page.as_ref().map_or(0, |(_, p)| p.len())
        }
    };
    if total == 0 && !view.loading {
        ui.label(if view.query.text.trim().is_empty() {
            "The Library is empty: what you open or make is kept here."
        } else {
            "Nothing matches the search."
        });
        view.rows_drawn = 0;
        return;
    }
    let mut scroll = egui::ScrollArea::vertical()
        .id_salt("library_rows")
        .auto_shrink([false, false]);
    if std::mem::take(&mut view.scroll_to_top) {
        scroll = scroll.vertical_scroll_offset(0.0);
    }
    let mut drawn = 0;
    scroll.show_rows(ui, ROW_HEIGHT, total, |ui, range| {
        view.first_row_drawn = range.start;
        let entries: Vec<Entry> = match &ids {
            Some(ids) => {
                let wanted = &ids[range.clone()];
                let missing: Vec<i64> = wanted
                    .iter()
                    .copied()
                    .filter(|r| !view.cache.contains_key(r))
                    .collect();
                if !missing.is_empty() {
                    if view.cache.len() > 4096 {
                        view.cache.clear();
                    }
                    for e in store.entries_by_rowid(&missing).unwrap_or_default() {
                        view.cache.insert(e.rowid, e);
                    }
                }
                wanted
                    .iter()
                    .filter_map(|r| view.cache.get(r).cloned())
                    .collect()
            }
            None => view
                .first_page
                .as_ref()
                .map(|(_, p)| p[range.start.min(p.len())..range.end.min(p.len())].to_vec())
                .unwrap_or_default(),
        };
        for e in entries {
            drawn += 1;
            row(ui, view, &e, on_canvas, actions);
        }
    });
    view.rows_drawn = drawn;
}

fn row(
    ui: &mut egui::Ui,
    view: &mut LibraryView,
    e: &Entry,
    on_canvas: &[DatasetId],
    actions: &mut Vec<LibraryAction>,
) {
    let selected = view.selected.as_ref() == Some(&e.id);
    ui.horizontal(|ui| {
        // Only glyphs the bundled fonts have: a missing one would draw a box.
        let name = match e.status.as_str() {
            "ok" => egui::RichText::new(&e.name),
            status => egui::RichText::new(format!("{} ({status})", e.name))
                .color(ui.visuals().error_fg_color),
        };
        let label = ui.add_sized(
            [WIDTHS[0], ROW_HEIGHT],
            // The grow atom after the text keeps the name left-aligned, like the cells.
            egui::Button::selectable(selected, (name, egui::Atom::grow())).truncate(),
        );
        if label.clicked() {
            view.selected = if selected { None } else { Some(e.id.clone()) };
            view.detail = None;
        }
        if label.double_clicked() {
            actions.push(LibraryAction::Show(e.id.clone()));
        }
        label.on_hover_text(format!("{}\nDouble-click to show on the canvas", e.id));
        cell(ui, WIDTHS[1], &e.object);
        cell(ui, WIDTHS[2], &e.instrument);
        num_cell(
            ui,
            WIDTHS[3],
            format!("{:.2}–{:.2}", e.x_min_nm, e.x_max_nm),
        );
        num_cell(ui, WIDTHS[4], e.n_points.to_string());
        cell(ui, WIDTHS[5], if e.has_sigma { "σ" } else { "" });
        num_cell(ui, WIDTHS[6], size_text(e.size_bytes));
        cell(ui, WIDTHS[7], seen_text(e.last_seen_ms));
        let pin = if e.pinned { "pinned" } else { "" };
        cell(ui, WIDTHS[8], pin);
        if on_canvas.contains(&e.id) {
            ui.weak("on canvas");
        }
    });
}

fn detail_pane(
    ui: &mut egui::Ui,
    view: &mut LibraryView,
    store: &Store,
    id: &DatasetId,
    on_canvas: &[DatasetId],
    actions: &mut Vec<LibraryAction>,
) {
    if view.detail.as_ref().is_none_or(|d| &d.entry.id != id) {
        view.detail = store.detail(id).ok();
    }
    if view.dataset_entries.as_ref().is_none_or(|(d, _)| d != id) {
        let rows = store
            .log_linking("dataset", id.as_str())
            .unwrap_or_default();
        view.dataset_entries = Some((id.clone(), rows));
    }
    let entries = view
        .dataset_entries
        .as_ref()
        .map(|(_, r)| r.clone())
        .unwrap_or_default();
    let Some(d) = view.detail.as_ref() else {
        ui.label("This dataset is no longer in the store.");
        return;
    };
    let e = &d.entry;
    ui.strong(&e.name);
    ui.monospace(e.id.short()).on_hover_text(e.id.as_str());
    ui.horizontal_wrapped(|ui| {
        let shown = on_canvas.contains(&e.id);
        if ui
            .add_enabled(!shown, egui::Button::new("Show"))
            .on_hover_text("Add it to the canvas")
            .clicked()
        {
            actions.push(LibraryAction::Show(e.id.clone()));
        }
        let pin_label = if e.pinned { "Unpin" } else { "Pin" };
        if ui
            .button(pin_label)
            .on_hover_text("A pinned dataset is never removed by retention")
            .clicked()
        {
            actions.push(LibraryAction::Pin(e.id.clone(), !e.pinned));
        }
        if ui
            .button("Delete")
            .on_hover_text("Remove it from the store (refused while pinned)")
            .clicked()
        {
            actions.push(LibraryAction::Delete(e.id.clone()));
        }
        if ui.button("Copy ID").clicked() {
            actions.push(LibraryAction::CopyId(e.id.clone()));
        }
        let manifest = d.manifests.first().map(|m| m.manifest_id.clone());
        if ui
            .add_enabled(manifest.is_some(), egui::Button::new("Open manifest"))
            .on_hover_text("The export manifest this dataset came from or went into")
            .clicked()
            && let Some(m) = manifest
        {
            actions.push(LibraryAction::Follow(Link::Manifest(m)));
        }
        let entry = entries.first().map(|r| r.id.clone());
        if ui
            .add_enabled(
                entry.is_some(),
                egui::Button::new("Open knowledge-log entry"),
            )
            .on_hover_text("The newest Knowledge-log entry about this dataset")
            .clicked()
            && let Some(l) = entry
        {
            actions.push(LibraryAction::Follow(Link::LogEntry(l)));
        }
        if ui
            .button("Show in History")
            .on_hover_text("Every event, in every session, that touched this dataset")
            .clicked()
        {
            actions.push(LibraryAction::Follow(Link::HistoryOfDataset(e.id.clone())));
        }
    });
    if e.status != "ok" {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!(
                "Its blob is {}: open its file again to restore it.",
                e.status
            ),
        );
    }
    egui::ScrollArea::vertical()
        .id_salt("library_detail")
        .show(ui, |ui| {
            egui::Grid::new("library_detail_grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    let mut kv = |k: &str, v: String| {
                        ui.label(k);
                        ui.label(v);
                        ui.end_row();
                    };
                    kv("format", e.format.clone());
                    kv("points", e.n_points.to_string());
                    kv(
                        "x range",
                        format!("{:.4} – {:.4} nm", e.x_min_nm, e.x_max_nm),
                    );
                    kv("y unit", e.y_unit.clone());
                    kv("σ", if e.has_sigma { "yes" } else { "no" }.into());
                    kv("masked", e.n_masked.to_string());
                    kv("medium", e.medium.clone());
                    kv("size", size_text(e.size_bytes));
                    kv("first seen", seen_text(e.first_seen_ms));
                    kv("last seen", seen_text(e.last_seen_ms));
                });
            let section = |ui: &mut egui::Ui, title: &str, lines: Vec<String>| {
                if !lines.is_empty() {
                    ui.add_space(4.0);
                    ui.strong(title);
                    for l in lines {
                        ui.label(l);
                    }
                }
            };
            section(ui, "Names", d.names.clone());
            section(
                ui,
                "Sources",
                d.sources
                    .iter()
                    .map(|s| format!("{}  sha256 {}", s.name, &s.sha256[..16.min(s.sha256.len())]))
                    .collect(),
            );
            section(
                ui,
                "Derived from",
                d.parents
                    .iter()
                    .map(|p| format!("{} ({})", &p.dataset_id[..12], p.kind))
                    .collect(),
            );
            section(
                ui,
                "Made from it",
                d.children
                    .iter()
                    .map(|p| format!("{} ({})", &p.dataset_id[..12], p.kind))
                    .collect(),
            );
            section(
                ui,
                "Manifests",
                d.manifests
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ({}, {})",
                            &m.manifest_id[..12.min(m.manifest_id.len())],
                            m.role,
                            m.created_at
                        )
                    })
                    .collect(),
            );
            section(ui, "Warnings", d.warnings.clone());
            section(
                ui,
                "Metadata",
                d.metadata
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect(),
            );
        });
}

fn manifest_pane(
    ui: &mut egui::Ui,
    view: &mut LibraryView,
    store: &Store,
    mid: &str,
    actions: &mut Vec<LibraryAction>,
) {
    if view.manifest_pane.as_ref().is_none_or(|(m, _)| m != mid) {
        let pane = ManifestPane {
            info: store.manifest_info(mid).ok().flatten(),
            verified: crate::provenance::knowledge::stored_manifest(store, mid)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            entries: store.log_linking("manifest", mid).unwrap_or_default(),
        };
        view.manifest_pane = Some((mid.to_string(), pane));
    }
    let Some((_, pane)) = view.manifest_pane.as_ref() else {
        return;
    };
    ui.horizontal(|ui| {
        ui.strong("Manifest");
        ui.monospace(crate::ids::short_hex(mid)).on_hover_text(mid);
        if ui.small_button("Close").clicked() {
            view.manifest = None;
        }
    });
    let Some(info) = &pane.info else {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!(
                "Manifest {} is not in the Library store (removed, or never recorded here).",
                crate::ids::short_hex(mid)
            ),
        );
        return;
    };
    match &pane.verified {
        Ok(()) => {
            ui.label("Verified: the stored manifest hashes to its ID.");
        }
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(pane.verified.is_ok(), egui::Button::new("Rebuild current view"))
            .on_hover_text(
                "Restore the exported view exactly: datasets from the store, steps re-applied, view state set",
            )
            .clicked()
        {
            actions.push(LibraryAction::Rebuild(mid.to_string()));
        }
        let entry = pane
            .entries
            .iter()
            .find(|r| r.manifest_id.as_deref() == Some(mid) && r.kind == "export")
            .or(pane.entries.first())
            .map(|r| r.id.clone());
        if ui
            .add_enabled(entry.is_some(), egui::Button::new("Open knowledge-log entry"))
            .on_hover_text("The Knowledge-log entry this export wrote")
            .clicked()
            && let Some(l) = entry
        {
            actions.push(LibraryAction::Follow(Link::LogEntry(l)));
        }
        if ui
            .button("Show in History")
            .on_hover_text("The events about this manifest: its export, imports, rebuilds")
            .clicked()
        {
            actions.push(LibraryAction::Follow(Link::HistoryOfManifest(mid.to_string())));
        }
        let pin_label = if info.pinned { "Unpin" } else { "Pin" };
        if ui
            .button(pin_label)
            .on_hover_text("A pinned manifest keeps every dataset it used")
            .clicked()
        {
            actions.push(LibraryAction::PinManifest(mid.to_string(), !info.pinned));
        }
        if ui
            .button("Open file")
            .on_hover_text("Show manifest.json in the file manager")
            .clicked()
        {
            actions.push(LibraryAction::OpenManifestFile(mid.to_string()));
        }
    });
    ui.label(format!("created {}", info.created_at));
    egui::ScrollArea::vertical()
        .id_salt("manifest_detail")
        .show(ui, |ui| {
            ui.strong("Datasets");
            for (id, role, name) in &info.datasets {
                ui.horizontal(|ui| {
                    let shown = if name.is_empty() {
                        format!("{} (no longer in the store)", &id[..12.min(id.len())])
                    } else {
                        format!("{name} ({})", &id[..12.min(id.len())])
                    };
                    ui.weak(role);
                    if let Some(d) = crate::ids::parse_dataset_id(id)
                        && ui.link(shown).clicked()
                    {
                        actions.push(LibraryAction::Follow(Link::Dataset(d)));
                    }
                });
            }
        });
}
