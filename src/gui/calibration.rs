//! The Calibration dock: a validated form per transform kind, units shown beside every
//! number. It builds a [`Step`]; the app runs it (in the background for large data) and
//! applies the result as a command. Errors appear on the form; nothing is applied halfway.

use crate::ids::DatasetId;
use crate::session::Session;
use crate::spectrum::Medium;
use crate::transforms::Normalization;
use crate::transforms::airvac::{AirFormula, TargetMedium};
use crate::transforms::barycentric::{CorrectionKind, Site};
use crate::transforms::registry::{
    AirvacParams, CorrectionParams, Grid, Kernel, LsfParams, MaskParams, MathOpKind, MathParams,
    NormalizeParams, ResampleParams, SmoothMethod, SmoothParams, Step, VelocityParams,
};
use crate::transforms::resample::ResampleMethod;
use crate::transforms::velocity::{Convention, Frame};

/// The kinds in menu order with their labels.
const KINDS: [(&str, &str); 8] = [
    ("airvac_convert", "Air ↔ vacuum"),
    ("velocity_shift", "Velocity shift"),
    ("lsf_convolve", "LSF convolution"),
    ("resample", "Resample"),
    ("normalize", "Normalize"),
    ("smooth", "Smooth (Savitzky–Golay)"),
    ("mask_interval", "Mask interval"),
    ("math_op", "A − B / A ÷ B"),
];

/// What the user asked for when they pressed Apply.
pub struct ApplyRequest {
    pub input: DatasetId,
    pub step: Step,
    pub in_place: bool,
    /// Medium declared for an input that does not say (air/vacuum conversion).
    pub declared_medium: Option<Medium>,
}

/// The form's state (kept between frames).
pub struct CalibrationForm {
    pub open: bool,
    kind: usize,
    input: Option<DatasetId>,
    in_place: bool,
    // airvac
    to_vacuum: bool,
    formula: AirFormula,
    declared_air: bool,
    // velocity
    rv_kms: f64,
    frame: Frame,
    convention: Convention,
    compute_correction: bool,
    utc: String,
    ra_deg: f64,
    dec_deg: f64,
    site: Site,
    // lsf
    use_resolving_power: bool,
    fwhm_nm: f64,
    resolving_power: f64,
    down_only: bool,
    current: f64,
    // resample
    flux_conserving: bool,
    grid_kind: usize,
    start_nm: f64,
    stop_nm: f64,
    step_nm: f64,
    n_points: usize,
    match_id: Option<DatasetId>,
    // normalize / smooth
    mode: Normalization,
    window: usize,
    poly: usize,
    // mask
    mask_start_nm: f64,
    mask_end_nm: f64,
    reason: String,
    // math
    divide: bool,
    b_id: Option<DatasetId>,
    epsilon_y: f64,
    /// The last error, shown on the form.
    pub error: Option<String>,
    /// True while a background job runs.
    pub busy: bool,
    /// When the running background job started (for the elapsed time shown).
    pub started: Option<std::time::Instant>,
}

impl Default for CalibrationForm {
    fn default() -> Self {
        Self {
            open: false,
            kind: 0,
            input: None,
            in_place: false,
            to_vacuum: true,
            formula: AirFormula::Morton2000,
            declared_air: true,
            rv_kms: 0.0,
            frame: Frame::Heliocentric,
            convention: Convention::Relativistic,
            compute_correction: false,
            utc: String::new(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            site: Site::IRTF,
            use_resolving_power: false,
            fwhm_nm: 1.0,
            resolving_power: 2000.0,
            down_only: false,
            current: 0.0,
            flux_conserving: true,
            grid_kind: 0,
            start_nm: 400.0,
            stop_nm: 700.0,
            step_nm: 0.1,
            n_points: 1000,
            match_id: None,
            mode: Normalization::Max,
            window: 11,
            poly: 3,
            mask_start_nm: 500.0,
            mask_end_nm: 510.0,
            reason: String::new(),
            divide: false,
            b_id: None,
            epsilon_y: 0.0,
            error: None,
            busy: false,
            started: None,
        }
    }
}

fn number(ui: &mut egui::Ui, label: &str, value: &mut f64, unit: &str, speed: f64) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(
            egui::DragValue::new(value)
                .speed(speed)
                .suffix(format!(" {unit}")),
        )
        .labelled_by(l.id);
    });
}

fn dataset_combo(
    ui: &mut egui::Ui,
    label: &str,
    session: &Session,
    choice: &mut Option<DatasetId>,
) {
    let shown = choice
        .as_ref()
        .and_then(|id| session.dataset(id))
        .map_or("(choose)".to_string(), |d| d.spectrum.name.clone());
    egui::ComboBox::from_label(label)
        .selected_text(shown)
        .width(220.0)
        .show_ui(ui, |ui| {
            for d in session.datasets() {
                ui.selectable_value(choice, Some(d.id.clone()), &d.spectrum.name);
            }
        });
}

impl CalibrationForm {
    /// Draws the dock; returns a request when Apply was pressed with valid input.
    pub fn show(&mut self, ui: &mut egui::Ui, session: &Session) -> Option<ApplyRequest> {
        if !self.open {
            return None;
        }
        let mut request = None;
        egui::Panel::right("calibration")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                ui.heading("Calibration");
                if self
                    .input
                    .as_ref()
                    .is_none_or(|id| session.dataset(id).is_none())
                {
                    self.input = session
                        .view()
                        .active_traces
                        .first()
                        .map(|t| t.dataset_id.clone());
                }
                dataset_combo(ui, "Input", session, &mut self.input);
                egui::ComboBox::from_label("Transform")
                    .selected_text(KINDS[self.kind].1)
                    .show_ui(ui, |ui| {
                        for (i, (_, label)) in KINDS.iter().enumerate() {
                            ui.selectable_value(&mut self.kind, i, *label);
                        }
                    });
                ui.separator();
                let input_medium = self
                    .input
                    .as_ref()
                    .and_then(|id| session.dataset(id))
                    .map(|d| d.spectrum.medium);
                self.form(ui, session, input_medium);
                ui.separator();
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.in_place, false, "New trace");
                    ui.radio_value(&mut self.in_place, true, "In place");
                });
                let apply = ui
                    .add_enabled(!self.busy, egui::Button::new("Apply"))
                    .clicked();
                if self.busy {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        // A step is one pass whose length is not known in advance: the
                        // elapsed time, not a made-up percentage.
                        let elapsed = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
                        ui.label(format!("applying… {elapsed:.1} s (on a background thread)"));
                    });
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                if apply {
                    match (self.input.clone(), self.step()) {
                        (None, _) => self.error = Some("choose an input".into()),
                        (_, Err(e)) => self.error = Some(e),
                        (Some(input), Ok(step)) => {
                            self.error = None;
                            let declared_medium = (self.kind == 0
                                && input_medium == Some(Medium::Unknown))
                            .then_some(if self.declared_air {
                                Medium::Air
                            } else {
                                Medium::Vacuum
                            });
                            request = Some(ApplyRequest {
                                input,
                                step,
                                in_place: self.in_place,
                                declared_medium,
                            });
                        }
                    }
                }
            });
        request
    }

    fn form(&mut self, ui: &mut egui::Ui, session: &Session, input_medium: Option<Medium>) {
        match KINDS[self.kind].0 {
            "airvac_convert" => {
                if input_medium == Some(Medium::Unknown) {
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
            "velocity_shift" => {
                number(ui, "Radial velocity", &mut self.rv_kms, "km/s", 0.1);
                ui.small(
                    "Positive moves the spectrum redward; use −v to bring an object at v to rest.",
                );
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
            "lsf_convolve" => {
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
            "resample" => {
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
                                ui.add(
                                    egui::DragValue::new(&mut self.n_points).range(2..=10_000_000),
                                )
                                .labelled_by(l.id);
                            });
                        }
                    }
                    _ => dataset_combo(ui, "Grid of", session, &mut self.match_id),
                }
            }
            "normalize" => {
                egui::ComboBox::from_label("Mode")
                    .selected_text(self.mode.label())
                    .show_ui(ui, |ui| {
                        for m in Normalization::ALL {
                            ui.selectable_value(&mut self.mode, m, m.label());
                        }
                    });
            }
            "smooth" => {
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
            "mask_interval" => {
                number(ui, "From", &mut self.mask_start_nm, "nm", 0.1);
                number(ui, "To", &mut self.mask_end_nm, "nm", 0.1);
                ui.horizontal(|ui| {
                    let l = ui.label("Reason");
                    ui.text_edit_singleline(&mut self.reason).labelled_by(l.id);
                });
            }
            _ => {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.divide, false, "A − B");
                    ui.radio_value(&mut self.divide, true, "A ÷ B");
                });
                dataset_combo(ui, "B", session, &mut self.b_id);
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
        }
    }

    /// The step the form describes; the transforms themselves validate the numbers.
    fn step(&self) -> Result<Step, String> {
        Ok(match KINDS[self.kind].0 {
            "airvac_convert" => Step::AirvacConvert(AirvacParams {
                to: if self.to_vacuum {
                    TargetMedium::Vacuum
                } else {
                    TargetMedium::Air
                },
                formula: self.formula,
            }),
            "velocity_shift" => Step::VelocityShift(VelocityParams {
                rv_kms: self.rv_kms,
                frame: self.frame,
                convention: self.convention,
                correction: (self.compute_correction && self.frame != Frame::Topocentric).then(
                    || CorrectionParams {
                        kind: if self.frame == Frame::Barycentric {
                            CorrectionKind::Barycentric
                        } else {
                            CorrectionKind::Heliocentric
                        },
                        utc: self.utc.clone(),
                        ra_deg: self.ra_deg,
                        dec_deg: self.dec_deg,
                        site: self.site,
                    },
                ),
            }),
            "lsf_convolve" => {
                let current = (self.down_only && self.current > 0.0).then_some(self.current);
                Step::LsfConvolve(LsfParams {
                    kernel: Kernel::Gaussian,
                    fwhm_nm: (!self.use_resolving_power).then_some(self.fwhm_nm),
                    resolving_power: self.use_resolving_power.then_some(self.resolving_power),
                    convolve_down_only: self.down_only,
                    current_fwhm_nm: current.filter(|_| !self.use_resolving_power),
                    current_resolving_power: current.filter(|_| self.use_resolving_power),
                })
            }
            "resample" => Step::Resample(ResampleParams {
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
            }),
            "normalize" => Step::Normalize(NormalizeParams { mode: self.mode }),
            "smooth" => Step::Smooth(SmoothParams {
                method: SmoothMethod::Sg,
                window: self.window,
                poly: self.poly,
            }),
            "mask_interval" => Step::MaskInterval(MaskParams {
                x_nm_start: self.mask_start_nm,
                x_nm_end: self.mask_end_nm,
                reason: self.reason.clone(),
            }),
            _ => {
                let b = self.b_id.clone().ok_or("choose B")?;
                let a = self.input.clone().ok_or("choose an input")?;
                Step::MathOp(MathParams {
                    op: if self.divide {
                        MathOpKind::ADivB
                    } else {
                        MathOpKind::AMinusB
                    },
                    inputs: vec![a, b],
                    epsilon_y: self.epsilon_y,
                })
            }
        })
    }
}
