//! The resample form: method, and a uniform, log-uniform or another dataset's grid (nm).

use crate::gui::calibration::{FormContext, TransformForm, dataset_combo, number};
use crate::ids::DatasetId;
use crate::transforms::registry::{Grid, ResampleParams, Step};
use crate::transforms::resample::ResampleMethod;

/// `resample`.
pub struct ResampleForm {
    flux_conserving: bool,
    /// 0 uniform, 1 log-uniform, 2 another dataset's grid.
    grid_kind: usize,
    start_nm: f64,
    stop_nm: f64,
    step_nm: f64,
    n_points: usize,
    match_id: Option<DatasetId>,
}

impl Default for ResampleForm {
    fn default() -> Self {
        Self {
            flux_conserving: true,
            grid_kind: 0,
            start_nm: 400.0,
            stop_nm: 700.0,
            step_nm: 0.1,
            n_points: 1000,
            match_id: None,
        }
    }
}

impl TransformForm for ResampleForm {
    fn label(&self) -> &'static str {
        "Resample"
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &FormContext<'_>) {
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.flux_conserving, true, "flux conserving");
            ui.radio_value(&mut self.flux_conserving, false, "linear");
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.grid_kind, 0, "uniform");
            ui.radio_value(&mut self.grid_kind, 1, "log-uniform");
            ui.radio_value(&mut self.grid_kind, 2, "match");
        });
        match self.grid_kind {
            0 | 1 => {
                number(ui, "Start", &mut self.start_nm, "nm", 0.1);
                number(ui, "Stop", &mut self.stop_nm, "nm", 0.1);
                if self.grid_kind == 0 {
                    number(ui, "Step", &mut self.step_nm, "nm", 0.001);
                } else {
                    ui.horizontal(|ui| {
                        let l = ui.label("Points");
                        ui.add(egui::DragValue::new(&mut self.n_points).range(2..=10_000_000))
                            .labelled_by(l.id);
                    });
                }
            }
            _ => dataset_combo(ui, "Grid of", ctx.session, &mut self.match_id),
        }
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::Resample(ResampleParams {
            method: if self.flux_conserving {
                ResampleMethod::FluxConserving
            } else {
                ResampleMethod::Linear
            },
            grid: match self.grid_kind {
                0 => Grid::Uniform {
                    start_nm: self.start_nm,
                    stop_nm: self.stop_nm,
                    step_nm: self.step_nm,
                },
                1 => Grid::LogUniform {
                    start_nm: self.start_nm,
                    stop_nm: self.stop_nm,
                    n: self.n_points,
                },
                _ => Grid::Match {
                    dataset_id: self
                        .match_id
                        .clone()
                        .ok_or("choose the dataset whose grid to use")?,
                },
            },
        }))
    }
}
