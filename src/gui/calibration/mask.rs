//! The mask-interval form: from and to (nm), and the reason.

use crate::gui::calibration::{FormContext, TransformForm, number};
use crate::transforms::registry::{MaskParams, Step};

/// `mask_interval`.
pub struct MaskForm {
    start_nm: f64,
    end_nm: f64,
    reason: String,
}

impl Default for MaskForm {
    fn default() -> Self {
        Self {
            start_nm: 500.0,
            end_nm: 510.0,
            reason: String::new(),
        }
    }
}

impl TransformForm for MaskForm {
    fn label(&self) -> &'static str {
        "Mask interval"
    }

    fn ui(&mut self, ui: &mut egui::Ui, _ctx: &FormContext<'_>) {
        number(ui, "From", &mut self.start_nm, "nm", 0.1);
        number(ui, "To", &mut self.end_nm, "nm", 0.1);
        ui.horizontal(|ui| {
            let l = ui.label("Reason");
            ui.text_edit_singleline(&mut self.reason).labelled_by(l.id);
        });
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::MaskInterval(MaskParams {
            x_nm_start: self.start_nm,
            x_nm_end: self.end_nm,
            reason: self.reason.clone(),
        }))
    }
}
