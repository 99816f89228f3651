//! The Library side panel: every dataset of the session with its size, range, format and
//! ID; a checkbox shows or hides its trace, Remove takes it out.

use crate::session::{Command, Session};

/// Draws the Library panel, pushing the user's changes as commands.
pub fn library(ui: &mut egui::Ui, session: &Session, commands: &mut Vec<Command>) {
    egui::Panel::left("library")
        .resizable(true)
        .default_size(260.0)
        .show(ui, |ui| {
            ui.heading("Library");
            if session.datasets().is_empty() {
                ui.label("No spectra loaded. Use File ▸ Open… or drop files here.");
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                for d in session.datasets() {
                    let visible = session
                        .view()
                        .active_traces
                        .iter()
                        .find(|t| t.dataset_id == d.id)
                        .is_some_and(|t| t.visible);
                    ui.group(|ui| {
                        ui.horizontal(|ui| {
                            let mut shown = visible;
                            if ui
                                .checkbox(&mut shown, "")
                                .on_hover_text("Show on the canvas")
                                .changed()
                            {
                                commands.push(Command::SetTraceVisible {
                                    id: d.id.clone(),
                                    visible: shown,
                                });
                            }
                            ui.strong(&d.spectrum.name);
                        });
                        let (lo, hi) = d.spectrum.x_range_nm();
                        ui.small(format!(
                            "{} points · {:.1}–{:.1} nm · {}{}",
                            d.spectrum.len(),
                            lo,
                            hi,
                            d.format,
                            if d.spectrum.sigma().is_some() {
                                " · σ"
                            } else {
                                ""
                            }
                        ));
                        ui.horizontal(|ui| {
                            ui.small(format!("id {}", d.id.short()))
                                .on_hover_text(d.id.as_str());
                            if ui.small_button("Copy ID").clicked() {
                                ui.ctx().copy_text(d.id.to_string());
                            }
                            if ui.small_button("Remove").clicked() {
                                commands.push(Command::RemoveDataset(d.id.clone()));
                            }
                        });
                    });
                }
            });
        });
}
