//! The air ↔ vacuum form: target medium, formula, and the medium of an input that does not say.

use crate::gui::calibration::{FormContext, TransformForm};
use crate::spectrum::Medium;
use crate::transforms::airvac::{AirFormula, TargetMedium};
use crate::transforms::registry::{AirvacParams, Step};

/// `airvac_convert`.
pub struct AirvacForm {
    to_vacuum: bool,
    formula: AirFormula,
    /// The medium declared for an input that does not say (true: air).
    declared_air: bool,
}

impl Default for AirvacForm {
    fn default() -> Self {
        Self {
            to_vacuum: true,
            formula: AirFormula::Morton2000,
            declared_air: true,
        }
    }
}

impl TransformForm for AirvacForm {
    fn label(&self) -> &'static str {
        "Air ↔ vacuum"
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &FormContext<'_>) {
        if ctx.input_medium == Some(Medium::Unknown) {
            ui.label("The input does not say its medium. It is in:");
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.declared_air, true, "air");
                ui.radio_value(&mut self.declared_air, false, "vacuum");
            });
        }
        ui.horizontal(|ui| {
            ui.label("Convert to");
            ui.radio_value(&mut self.to_vacuum, true, "vacuum");
            ui.radio_value(&mut self.to_vacuum, false, "air");
        });
        egui::ComboBox::from_label("Formula")
            .selected_text(format!("{:?}", self.formula))
            .show_ui(ui, |ui| {
                for f in [
                    AirFormula::Morton2000,
                    AirFormula::Ciddor1996,
                    AirFormula::Edlen1966,
                ] {
                    ui.selectable_value(&mut self.formula, f, format!("{f:?}"));
                }
            });
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::AirvacConvert(AirvacParams {
            to: if self.to_vacuum {
                TargetMedium::Vacuum
            } else {
                TargetMedium::Air
            },
            formula: self.formula,
        }))
    }

    fn declared_medium(&self, ctx: &FormContext<'_>) -> Option<Medium> {
        (ctx.input_medium == Some(Medium::Unknown)).then_some(if self.declared_air {
            Medium::Air
        } else {
            Medium::Vacuum
        })
    }
}
