//! The status bar: notices (with Dismiss), running jobs with their progress and Cancel,
//! the session summary and the pointer readout.

use crate::gui::jobs::{JobId, JobStatus};
use crate::session::Session;

/// What the user did in the status bar this frame.
#[derive(Default)]
pub struct StatusActions {
    /// A notice dismissed, by index.
    pub dismissed: Option<usize>,
    /// A job to cancel.
    pub cancel: Option<JobId>,
}

/// Draws the status bar; returns what the user dismissed or cancelled.
pub fn status_bar(
    ui: &mut egui::Ui,
    session: &Session,
    notices: &[crate::gui::Notice],
    jobs: &[JobStatus],
    readout: Option<&str>,
) -> StatusActions {
    let mut actions = StatusActions::default();
    egui::Panel::bottom("status_bar").show(ui, |ui| {
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
