//! The View lineage window: the inputs on the canvas with their IDs and file hashes,
//! every applied transform with its Transform ID and step JSON, the last export's
//! MANIFEST_ID and citation hash, and the data-restrictions form.

use crate::provenance::bundle::Exported;
use crate::session::{ExportPolicy, Session, SourceRef};

/// What the window asked for.
pub struct LineageOutput {
    /// False when the user closed it.
    pub open: bool,
    /// A new export policy to apply (the form's Apply button).
    pub set_policy: Option<ExportPolicy>,
}

/// Draws the window. `draft` is the data-restrictions form's contents, kept between
/// frames and applied by its button.
pub fn show(
    ui: &mut egui::Ui,
    session: &Session,
    draft: &mut ExportPolicy,
    last_export: Option<&Exported>,
) -> LineageOutput {
    let mut open = true;
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
                        let parents: Vec<&str> = r.parent_ids.iter().map(|p| p.short()).collect();
                        ui.monospace(format!("{} → {}", parents.join(" + "), r.output_id.short()));
                        if ui.small_button("Copy transform ID").clicked() {
                            ui.ctx().copy_text(r.id.clone());
                        }
                        if ui.small_button("Copy step JSON").clicked() {
                            let step = serde_json::json!({"kind": r.kind, "params": r.params});
                            ui.ctx().copy_text(step.to_string());
                        }
                    });
                }
                ui.heading("Analyses");
                if session.analyses().is_empty() {
                    ui.label("(none: the Redshift dock and the rv, identify and measure verbs make them)");
                }
                for a in session.analyses() {
                    ui.horizontal(|ui| {
                        ui.strong(a.request.kind());
                        ui.label(&a.summary);
                        if ui.small_button("Copy analysis ID").clicked() {
                            ui.ctx().copy_text(a.id.clone());
                        }
                        if ui.small_button("Copy record JSON").clicked() {
                            ui.ctx().copy_text(
                                serde_json::to_string_pretty(a).expect("records serialize"),
                            );
                        }
                    });
                    for f in &a.external {
                        ui.small(format!("  reads {} (sha256 {}…)", f.path, &f.sha256[..12]));
                    }
                }
                if let Some(done) = last_export {
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
    LineageOutput { open, set_policy }
}
