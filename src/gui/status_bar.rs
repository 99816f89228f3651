//! The status bar: running jobs with their progress and Cancel, the session summary and
//! the pointer readout; and the notices (with Dismiss) and the last export's row, which
//! float over the canvas so that the plot does not move when they come and go.

use crate::gui::jobs::{JobId, JobStatus};
use crate::session::Session;

/// What the user did in the status bar this frame.
#[derive(Default)]
pub struct StatusActions {
    /// A job to cancel.
    pub cancel: Option<JobId>,
}

/// What the user did with the notices this frame.
#[derive(Default)]
pub struct NoticeActions {
    /// A notice dismissed, by index.
    pub dismissed: Option<usize>,
    /// The export row dismissed.
    pub dismiss_export: bool,
}

/// Draws the notices and the last export's row (Open folder, Copy citation) in a layer
/// over the lower right corner of `canvas`, newest last.
pub fn notices_overlay(
    ctx: &egui::Context,
    canvas: egui::Rect,
    notices: &[crate::gui::Notice],
    last_export: Option<&crate::provenance::bundle::Exported>,
) -> NoticeActions {
    let mut actions = NoticeActions::default();
    if (notices.is_empty() && last_export.is_none()) || !canvas.is_positive() {
        return actions;
    }
    // Above the x axis labels, clear of the plot's right edge.
    let anchor = canvas.right_bottom() - egui::vec2(12.0, 44.0);
    egui::Area::new(egui::Id::unique("notices"))
        .order(egui::Order::Foreground)
        .pivot(egui::Align2::RIGHT_BOTTOM)
        .fixed_pos(anchor)
        .constrain_to(canvas)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width((canvas.width() * 0.6).clamp(240.0, 640.0));
                for (i, n) in notices.iter().enumerate() {
                    // The button first, so a long notice (which wraps) never pushes it away.
                    ui.horizontal(|ui| {
                        if ui.small_button("Dismiss").clicked() {
                            actions.dismissed = Some(i);
                        }
                        let text = if n.is_error {
                            egui::RichText::new(format!("Error: {}", n.text))
                                .color(ui.visuals().error_fg_color)
                        } else {
                            egui::RichText::new(format!("Note: {}", n.text))
                        };
                        ui.add(egui::Label::new(text).wrap());
                    });
                }
                if let Some(done) = last_export {
                    ui.horizontal_wrapped(|ui| {
                        if ui.small_button("Dismiss").clicked() {
                            actions.dismiss_export = true;
                        }
                        ui.label(format!("Exported {}", done.dir.display()));
                        if ui.button("Open folder").clicked() {
                            crate::gui::open_in_file_manager(&done.dir);
                        }
                        if ui.button("Copy citation").clicked()
                            && let Ok(text) = std::fs::read_to_string(done.dir.join("CITATION.txt"))
                        {
                            ui.ctx().copy_text(text);
                        }
                    });
                }
            });
        });
    actions
}

/// Draws the status bar; returns what the user dismissed or cancelled.
pub fn status_bar(
    ui: &mut egui::Ui,
    session: &Session,
    jobs: &[JobStatus],
    readout: Option<&str>,
) -> StatusActions {
    let mut actions = StatusActions::default();
    egui::Panel::bottom("status_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            let view = session.view();
            let shown = view.active_traces.iter().filter(|t| t.visible).count();
            ui.label(format!(
                "{} datasets · {} shown · unit {} · normalization {}",
                session.datasets().len(),
                shown,
                view.display_unit.symbol(),
                view.normalization.label()
            ));
            for job in jobs {
                ui.separator();
                ui.spinner();
                let words = if job.words.is_empty() {
                    job.label.clone()
                } else {
                    format!("{}: {}", job.label, job.words)
                };
                ui.add(
                    egui::ProgressBar::new(job.fraction)
                        .desired_width(120.0)
                        .text(words),
                );
                if job.cancelled {
                    ui.weak("cancelling…");
                } else if ui.small_button("Cancel").clicked() {
                    actions.cancel = Some(job.id);
                }
            }
            if let Some(r) = readout {
                ui.separator();
                ui.monospace(r);
            }
        });
    });
    actions
}
