//! The LSF-convolution form: target FWHM (nm) or resolving power, and convolving down only.

use crate::gui::calibration::{FormContext, TransformForm, number};
use crate::transforms::registry::{Kernel, LsfParams, Step};

/// `lsf_convolve`.
pub struct LsfForm {
    use_resolving_power: bool,
    fwhm_nm: f64,
    resolving_power: f64,
    down_only: bool,
    /// The data's current FWHM (nm) or R; 0 = from metadata.
    current: f64,
}

impl Default for LsfForm {
    fn default() -> Self {
        Self {
            use_resolving_power: false,
            fwhm_nm: 1.0,
            resolving_power: 2000.0,
            down_only: false,
            current: 0.0,
        }
    }
}

impl TransformForm for LsfForm {
    fn label(&self) -> &'static str {
        "LSF convolution"
    }

    fn ui(&mut self, ui: &mut egui::Ui, _ctx: &FormContext<'_>) {
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.use_resolving_power, false, "FWHM");
            ui.radio_value(&mut self.use_resolving_power, true, "Resolving power");
        });
        if self.use_resolving_power {
            number(ui, "Target R", &mut self.resolving_power, "", 10.0);
        } else {
            number(ui, "Target FWHM", &mut self.fwhm_nm, "nm", 0.01);
        }
        ui.checkbox(&mut self.down_only, "Convolve down only");
        if self.down_only {
            let unit = if self.use_resolving_power { "" } else { "nm" };
            number(
                ui,
                "Current (0 = from metadata)",
                &mut self.current,
                unit,
                0.01,
            );
        }
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        let current = (self.down_only && self.current > 0.0).then_some(self.current);
        Ok(Step::LsfConvolve(LsfParams {
            kernel: Kernel::Gaussian,
            fwhm_nm: (!self.use_resolving_power).then_some(self.fwhm_nm),
            resolving_power: self.use_resolving_power.then_some(self.resolving_power),
            convolve_down_only: self.down_only,
            current_fwhm_nm: current.filter(|_| !self.use_resolving_power),
            current_resolving_power: current.filter(|_| self.use_resolving_power),
        }))
    }
}
