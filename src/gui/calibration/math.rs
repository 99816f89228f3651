//! The A − B / A ÷ B form: the operation, B, and where to mask a small |B| (in B's y unit).

use crate::gui::calibration::{FormContext, TransformForm, dataset_combo, number};
use crate::ids::DatasetId;
use crate::transforms::registry::{MathOpKind, MathParams, Step};

/// `math_op`.
#[derive(Default)]
pub struct MathForm {
    divide: bool,
    b_id: Option<DatasetId>,
    /// Mask where |B| is below this, in B's y unit.
    epsilon_y: f64,
}

impl TransformForm for MathForm {
    fn label(&self) -> &'static str {
        "A − B / A ÷ B"
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &FormContext<'_>) {
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.divide, false, "A − B");
            ui.radio_value(&mut self.divide, true, "A ÷ B");
        });
        dataset_combo(ui, "B", ctx.session, &mut self.b_id);
        if self.divide {
            number(
                ui,
                "Mask where |B| <",
                &mut self.epsilon_y,
                "(B's y unit)",
                0.001,
            );
        }
    }

    fn step(&self, ctx: &FormContext<'_>) -> Result<Step, String> {
        let b = self.b_id.clone().ok_or("choose B")?;
        let a = ctx.input.cloned().ok_or("choose an input")?;
        Ok(Step::MathOp(MathParams {
            op: if self.divide {
                MathOpKind::ADivB
            } else {
                MathOpKind::AMinusB
            },
            inputs: vec![a, b],
            epsilon_y: self.epsilon_y,
        }))
    }
}
