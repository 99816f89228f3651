//! The normalize form: none, max or area.

use crate::gui::calibration::{FormContext, TransformForm};
use crate::transforms::Normalization;
use crate::transforms::registry::{NormalizeParams, Step};

/// `normalize`.
pub struct NormalizeForm {
    mode: Normalization,
}

impl Default for NormalizeForm {
    fn default() -> Self {
        Self {
            mode: Normalization::Max,
        }
    }
}

impl TransformForm for NormalizeForm {
    fn label(&self) -> &'static str {
        "Normalize"
    }

    fn ui(&mut self, ui: &mut egui::Ui, _ctx: &FormContext<'_>) {
        egui::ComboBox::from_label("Mode")
            .selected_text(self.mode.label())
            .show_ui(ui, |ui| {
                for m in Normalization::ALL {
                    ui.selectable_value(&mut self.mode, m, m.label());
                }
            });
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::Normalize(NormalizeParams { mode: self.mode }))
    }
}
