//! The Knowledge-log panel: the store's entries (exports' canonical entries and the
//! user's notes) in a searchable, virtualised list; the selected entry rendered as
//! Markdown (egui_commonmark) with its `dataset:`, `manifest:` and `event:` links live;
//! and a note editor (Markdown, preview, save, undo). Broken files, links to IDs the
//! store no longer has and entries too large to render are each said plainly, and the
//! rest of the log stays usable. The panel reads; writes are the app's (it emits
//! [`KnowledgeAction`]s).

use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

use crate::ids::DatasetId;
use crate::store::Store;
use crate::store::knowledge::{LoadedEntry, LogRow, LogStatus, body_links};

use super::links::Link;

/// Row height, points.
const ROW_HEIGHT: f32 = 20.0;

/// Most entries one search lists.
const LIST_LIMIT: usize = 20_000;

/// What the user asked the Knowledge-log for.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum KnowledgeAction {
    /// Follow a link.
    Follow(Link),
    /// Save the editor's note: a new one (`id: None`) about `datasets` and `manifest`,
    /// or an edit of entry `id`, whose file must still hash to `base_sha256`.
    Save {
        id: Option<String>,
        text: String,
        datasets: Vec<DatasetId>,
        manifest: Option<String>,
        base_sha256: Option<String>,
    },
    /// Read the folder again (outside edits).
    Rescan,
    /// Start a note about what is on the canvas (the app knows what that is).
    NewNote,
}

/// The note editor.
#[derive(Clone, Debug, Default)]
pub struct NoteEditor {
    /// The entry being edited; `None` for a new note.
    pub id: Option<String>,
    /// The Markdown being written.
    pub text: String,
    /// The text as last saved (or loaded): Undo returns to it, step by step.
    pub undo: Vec<String>,
    pub preview: bool,
    /// What a new note is about.
    pub datasets: Vec<DatasetId>,
    pub manifest: Option<String>,
    /// The hash of the file as loaded (edits only).
    pub base_sha256: Option<String>,
}

/// The panel's state.
#[derive(Default)]
pub struct KnowledgeView {
    pub search: String,
    /// Rows for `rows_for` (the search they answer).
    rows: Option<std::sync::Arc<Vec<LogRow>>>,
    rows_for: Option<String>,
    stale: bool,
    pub selected: Option<String>,
    loaded: Option<LoadedEntry>,
    /// Link targets of the loaded entry that the store no longer has.
    missing: Vec<String>,
    /// An error reading the selected entry.
    problem: Option<String>,
    cache: CommonMarkCache,
    /// The shown entry's `scheme:target` link destinations (its link hooks).
    hooks: Vec<String>,
    pub editor: Option<NoteEditor>,
    /// Rows drawn in the last frame (benchmarks read it).
    pub rows_drawn: usize,
    scroll_to_selected: bool,
}

impl KnowledgeView {
    /// The store's Knowledge-log changed: the list and the open entry are read again.
    pub fn invalidate(&mut self) {
        self.stale = true;
        self.loaded = None;
    }

    /// Opens entry `id`.
    pub fn select(&mut self, id: &str) {
        self.selected = Some(id.to_string());
        self.loaded = None;
        self.scroll_to_selected = true;
        self.search.clear();
    }

    /// Starts a new note about `datasets` (and `manifest`).
    pub fn new_note(&mut self, datasets: Vec<DatasetId>, manifest: Option<String>) {
        self.editor = Some(NoteEditor {
            datasets,
            manifest,
            ..NoteEditor::default()
        });
    }

    /// The listed rows (tests read them).
    pub fn rows(&self) -> &[LogRow] {
        self.rows.as_deref().map_or(&[], |r| r.as_slice())
    }

    /// The entry shown, if read.
    pub fn loaded(&self) -> Option<&LoadedEntry> {
        self.loaded.as_ref()
    }

    /// Link targets of the shown entry the store no longer has.
    pub fn missing_links(&self) -> &[String] {
        &self.missing
    }
}

fn when(ms: i64) -> String {
    let t = crate::textfmt::rfc3339_from_unix((ms.max(0) / 1000) as u64);
    format!("{} {}", &t[..10], &t[11..16])
}

/// Draws the panel into `ui`.
pub fn knowledge_panel(
    ui: &mut egui::Ui,
    view: &mut KnowledgeView,
    store: &mut Store,
) -> Vec<KnowledgeAction> {
    let mut actions = Vec::new();
    if view.stale || view.rows_for.as_deref() != Some(view.search.as_str()) {
        view.rows = Some(std::sync::Arc::new(
            store
                .log_entries(&view.search, LIST_LIMIT)
                .unwrap_or_default(),
        ));
        view.rows_for = Some(view.search.clone());
        view.stale = false;
    }
    if let Some(id) = view.selected.clone()
        && view.loaded.as_ref().is_none_or(|l| l.row.id != id)
    {
        view.problem = None;
        view.missing.clear();
        match store.read_log_entry(&id) {
            Ok(Some(loaded)) => {
                // The hooks are the shown entry's links only, found once when it loads.
                view.cache.link_hooks_clear();
                view.hooks = loaded
                    .entry
                    .as_ref()
                    .map(|e| {
                        body_links(&e.body)
                            .into_iter()
                            .map(|(k, t)| format!("{k}:{t}"))
                            .collect()
                    })
                    .unwrap_or_default();
                for h in &view.hooks {
                    view.cache.add_link_hook(h.clone());
                }
                for (kind, target) in loaded
                    .entry
                    .as_ref()
                    .map(|e| {
                        let mut t: Vec<(&str, String)> = body_links(&e.body);
                        t.extend(e.front.datasets.iter().map(|d| ("dataset", d.clone())));
                        t
                    })
                    .unwrap_or_default()
                {
                    let there = match kind {
                        "dataset" | "manifest" => store.resolve(&target).is_ok(),
                        _ => true,
                    };
                    if !there && !view.missing.contains(&target) {
                        view.missing.push(target);
                    }
                }
                view.loaded = Some(loaded);
            }
            Ok(None) => {
                view.problem = Some(format!("Knowledge-log entry {id} is no longer in the log."));
                view.loaded = None;
            }
            Err(e) => view.problem = Some(format!("Knowledge-log entry {id}: {e}")),
        }
    }

    ui.horizontal_wrapped(|ui| {
        ui.heading("Knowledge-log");
        if ui
            .button("New note")
            .on_hover_text("Write a note (Markdown) about what is on the canvas")
            .clicked()
        {
            actions.push(KnowledgeAction::NewNote);
        }
        if ui
            .button("Rescan")
            .on_hover_text("Read the knowledge-log folder again (files edited outside the app)")
            .clicked()
        {
            actions.push(KnowledgeAction::Rescan);
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Search the Knowledge-log");
        ui.add(
            egui::TextEdit::singleline(&mut view.search)
                .hint_text("words in titles, notes, IDs")
                .desired_width(ui.available_width()),
        )
        .labelled_by(label.id);
    });
    let list_height = (ui.available_height() * 0.35).clamp(60.0, 160.0);
    // Shared, not copied: the list is drawn every frame.
    let rows = view.rows.clone().unwrap_or_default();
    let mut area = egui::ScrollArea::vertical()
        .id_salt("knowledge_rows")
        .max_height(list_height)
        .auto_shrink([false, true]);
    if view.scroll_to_selected
        && let Some(k) = rows
            .iter()
            .position(|r| Some(&r.id) == view.selected.as_ref())
    {
        let spacing = ui.spacing().item_spacing.y;
        area = area.vertical_scroll_offset((k as f32 * (ROW_HEIGHT + spacing) - 20.0).max(0.0));
        view.scroll_to_selected = false;
    }
    let mut drawn = 0;
    area.show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
        for r in &rows[range] {
            drawn += 1;
            let selected = view.selected.as_ref() == Some(&r.id);
            let flag = match r.status {
                LogStatus::Ok => "",
                LogStatus::Broken => " (broken)",
                LogStatus::TooLarge => " (too large)",
            };
            let text = format!("{}  {:<6} {}{flag}", when(r.created_ms), r.kind, r.title);
            let response = ui
                .add_sized(
                    [ui.available_width(), ROW_HEIGHT],
                    egui::Button::selectable(selected, (text, egui::Atom::grow())).truncate(),
                )
                .on_hover_text(format!("{} ({})", r.id, r.file));
            if response.clicked() {
                view.selected = Some(r.id.clone());
                view.editor = None;
            }
        }
    });
    view.rows_drawn = drawn;
    if rows.is_empty() {
        ui.label(if view.search.is_empty() {
            "No entries yet: exports write one each, and New note writes yours."
        } else {
            "No entry matches the search."
        });
    }
    ui.separator();

    if let Some(editor) = &mut view.editor {
        if !editor_ui(ui, editor, &mut actions) {
            view.editor = None;
        }
        return actions;
    }
    if let Some(p) = &view.problem {
        ui.colored_label(ui.visuals().error_fg_color, p);
    }
    let Some(loaded) = &view.loaded else {
        return actions;
    };
    let row = loaded.row.clone();
    let session = loaded.entry.as_ref().and_then(|e| e.front.session.clone());
    ui.horizontal_wrapped(|ui| {
        ui.strong(&row.title);
        ui.weak(format!("{} · {}", row.kind, when(row.created_ms)));
        if let Some(m) = &row.manifest_id
            && ui
                .link(format!("manifest {}", crate::ids::short_hex(m)))
                .on_hover_text("Open this manifest in the Library")
                .clicked()
        {
            actions.push(KnowledgeAction::Follow(Link::Manifest(m.clone())));
        }
        if let (Some(s), Some(seq)) = (
            session.as_ref(),
            loaded.entry.as_ref().and_then(|e| e.front.event),
        ) && ui
            .link(format!("event {seq}"))
            .on_hover_text(format!("The History event that wrote it ({s})"))
            .clicked()
        {
            actions.push(KnowledgeAction::Follow(Link::Event {
                session: Some(s.clone()),
                seq,
            }));
        }
        let editable = row.status == LogStatus::Ok && row.kind == "note";
        if editable
            && ui
                .button("Edit note")
                .on_hover_text("Edit this note (a save checks nobody changed the file meanwhile)")
                .clicked()
            && let Some(e) = &loaded.entry
        {
            view.editor = Some(NoteEditor {
                id: Some(row.id.clone()),
                text: e.body.clone(),
                undo: Vec::new(),
                preview: false,
                datasets: Vec::new(),
                manifest: None,
                base_sha256: Some(row.sha256.clone()),
            });
        }
    });
    if let Some(p) = &row.problem {
        ui.colored_label(ui.visuals().error_fg_color, p);
    }
    if !view.missing.is_empty() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Links to {} the Library store no longer has: {}",
                if view.missing.len() == 1 {
                    "an ID"
                } else {
                    "IDs"
                },
                view.missing
                    .iter()
                    .map(|m| crate::ids::short_hex(m).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    match (&loaded.entry, &loaded.text) {
        (Some(e), _) => {
            // Borrowed, not copied: this runs every frame.
            egui::ScrollArea::vertical()
                .id_salt("knowledge_entry")
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    CommonMarkViewer::new().show(ui, &mut view.cache, &e.body);
                });
            for h in &view.hooks {
                if view.cache.get_link_hook(h) == Some(true)
                    && let Some(link) = Link::parse(h, session.as_deref())
                {
                    actions.push(KnowledgeAction::Follow(link));
                }
            }
        }
        (None, Some(text)) => {
            // Broken front matter: the file as it is, as text, untouched.
            egui::ScrollArea::vertical()
                .id_salt("knowledge_raw")
                .show(ui, |ui| {
                    ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
                });
        }
        (None, None) => {}
    }
    actions
}

/// Draws the editor; false when the user closed it.
fn editor_ui(
    ui: &mut egui::Ui,
    editor: &mut NoteEditor,
    actions: &mut Vec<KnowledgeAction>,
) -> bool {
    let mut close = false;
    ui.horizontal(|ui| {
        ui.strong(if editor.id.is_some() {
            "Edit note"
        } else {
            "New note"
        });
        ui.toggle_value(&mut editor.preview, "Preview")
            .on_hover_text("Show the note as it will read");
        if ui
            .add_enabled(!editor.text.trim().is_empty(), egui::Button::new("Save"))
            .on_hover_text("Write it to the Knowledge-log (a Markdown file in the store)")
            .clicked()
        {
            actions.push(KnowledgeAction::Save {
                id: editor.id.clone(),
                text: editor.text.clone(),
                datasets: editor.datasets.clone(),
                manifest: editor.manifest.clone(),
                base_sha256: editor.base_sha256.clone(),
            });
        }
        if ui
            .add_enabled(!editor.undo.is_empty(), egui::Button::new("Undo"))
            .on_hover_text("Take back the last change to the text")
            .clicked()
            && let Some(previous) = editor.undo.pop()
        {
            editor.text = previous;
        }
        if ui.button("Cancel").clicked() {
            close = true;
        }
    });
    if editor.id.is_none() {
        let about = match (&editor.manifest, editor.datasets.len()) {
            (Some(m), n) => format!(
                "About the exported view {} and {n} dataset{}",
                crate::ids::short_hex(m),
                if n == 1 { "" } else { "s" }
            ),
            (None, 0) => "About nothing on the canvas (no datasets loaded)".into(),
            (None, n) => format!(
                "About the {n} dataset{} on the canvas",
                if n == 1 { "" } else { "s" }
            ),
        };
        ui.weak(about);
    }
    if editor.preview {
        let mut cache = CommonMarkCache::default();
        egui::ScrollArea::vertical()
            .id_salt("note_preview")
            .show(ui, |ui| {
                CommonMarkViewer::new().show(ui, &mut cache, &editor.text);
            });
    } else {
        let before = editor.text.clone();
        let label = ui.label("Note text (Markdown)");
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut editor.text)
                    .desired_rows(8)
                    .desired_width(f32::INFINITY)
                    .hint_text(
                        "A decision, an observation… Links: (dataset:ID), (manifest:ID), (event:N)",
                    ),
            )
            .labelled_by(label.id);
        if response.changed() {
            // One undo step per word typed, not per key.
            let word_end = editor.text.ends_with([' ', '\n']) || editor.undo.is_empty();
            if word_end {
                editor.undo.push(before);
            }
        }
    }
    !close
}
