//! The Savitzky–Golay smoothing form: window (samples, odd) and polynomial order.

use crate::gui::calibration::{FormContext, TransformForm};
use crate::transforms::registry::{SmoothMethod, SmoothParams, Step};

/// `smooth`.
pub struct SmoothForm {
    /// Samples, odd.
    window: usize,
    poly: usize,
}

impl Default for SmoothForm {
    fn default() -> Self {
        Self {
            window: 11,
            poly: 3,
        }
    }
}

impl TransformForm for SmoothForm {
    fn label(&self) -> &'static str {
        "Smooth (Savitzky–Golay)"
    }

    fn ui(&mut self, ui: &mut egui::Ui, _ctx: &FormContext<'_>) {
        ui.horizontal(|ui| {
            let l = ui.label("Window");
            ui.add(egui::DragValue::new(&mut self.window).range(3..=10_001))
                .labelled_by(l.id);
            ui.label("samples (odd)");
        });
        ui.horizontal(|ui| {
            let l = ui.label("Order");
            ui.add(egui::DragValue::new(&mut self.poly).range(0..=20))
                .labelled_by(l.id);
        });
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::Smooth(SmoothParams {
            method: SmoothMethod::Sg,
            window: self.window,
            poly: self.poly,
        }))
    }
}
