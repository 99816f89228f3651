//! The velocity-shift form: radial velocity (km/s), frame, convention, and the observation a barycentric or heliocentric correction is computed for.

use crate::gui::calibration::{FormContext, TransformForm, number};
use crate::transforms::barycentric::{CorrectionKind, Site};
use crate::transforms::registry::{CorrectionParams, Step, VelocityParams};
use crate::transforms::velocity::{Convention, Frame};

/// `velocity_shift`.
pub struct VelocityForm {
    rv_kms: f64,
    frame: Frame,
    convention: Convention,
    compute_correction: bool,
    utc: String,
    ra_deg: f64,
    dec_deg: f64,
    site: Site,
}

impl Default for VelocityForm {
    fn default() -> Self {
        Self {
            rv_kms: 0.0,
            frame: Frame::Heliocentric,
            convention: Convention::Relativistic,
            compute_correction: false,
            utc: String::new(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            site: Site::IRTF,
        }
    }
}

impl TransformForm for VelocityForm {
    fn label(&self) -> &'static str {
        "Velocity shift"
    }

    fn ui(&mut self, ui: &mut egui::Ui, _ctx: &FormContext<'_>) {
        number(ui, "Radial velocity", &mut self.rv_kms, "km/s", 0.1);
        ui.small("Positive moves the spectrum redward; use −v to bring an object at v to rest.");
        egui::ComboBox::from_label("Frame")
            .selected_text(format!("{:?}", self.frame))
            .show_ui(ui, |ui| {
                for f in [Frame::Topocentric, Frame::Heliocentric, Frame::Barycentric] {
                    ui.selectable_value(&mut self.frame, f, format!("{f:?}"));
                }
            });
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.convention,
                Convention::Relativistic,
                "relativistic",
            );
            ui.radio_value(&mut self.convention, Convention::Optical, "optical");
        });
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::VelocityShift(VelocityParams {
            rv_kms: self.rv_kms,
            frame: self.frame,
            convention: self.convention,
            correction: (self.compute_correction && self.frame != Frame::Topocentric).then(|| {
                CorrectionParams {
                    kind: if self.frame == Frame::Barycentric {
                        CorrectionKind::Barycentric
                    } else {
                        CorrectionKind::Heliocentric
                    },
                    utc: self.utc.clone(),
                    ra_deg: self.ra_deg,
                    dec_deg: self.dec_deg,
                    site: self.site,
                }
            }),
        }))
    }
}
