//! The Calibration dock: a validated form per transform kind, units shown beside every
//! number. Each form is its own small type behind [`TransformForm`], in its own file, so
//! adding a transform touches one form file (and the list in [`forms`]). The dock builds
//! a [`Step`]; the app runs it (as a background job for large data) and applies the
//! result as a command. Errors appear on the form; nothing is applied halfway.

mod airvac;
mod lsf;
mod mask;
mod math;
mod normalize;
mod resample;
mod smooth;
mod velocity;

use crate::ids::DatasetId;
use crate::session::Session;
use crate::spectrum::Medium;
use crate::transforms::registry::Step;

/// What a form may look at: the session, the chosen input and its medium.
pub struct FormContext<'a> {
    pub session: &'a Session,
    pub input: Option<&'a DatasetId>,
    pub input_medium: Option<Medium>,
}

/// One transform kind's form.
pub trait TransformForm {
    /// The name in the Transform menu.
    fn label(&self) -> &'static str;
    /// Draws the form's fields.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &FormContext<'_>);
    /// The step the form describes; the transforms themselves validate the numbers.
    fn step(&self, ctx: &FormContext<'_>) -> Result<Step, String>;
    /// A medium to declare for the input before the step runs (air/vacuum conversion of
    /// an input that does not say).
    fn declared_medium(&self, ctx: &FormContext<'_>) -> Option<Medium> {
        let _ = ctx;
        None
    }
}

/// Every form, in menu order.
fn forms() -> Vec<Box<dyn TransformForm>> {
    vec![
        Box::new(airvac::AirvacForm::default()),
        Box::new(velocity::VelocityForm::default()),
        Box::new(lsf::LsfForm::default()),
        Box::new(resample::ResampleForm::default()),
        Box::new(normalize::NormalizeForm::default()),
        Box::new(smooth::SmoothForm::default()),
        Box::new(mask::MaskForm::default()),
        Box::new(math::MathForm::default()),
    ]
}

/// What the user asked for when they pressed Apply.
pub struct ApplyRequest {
    pub input: DatasetId,
    pub step: Step,
    pub in_place: bool,
    /// Medium declared for an input that does not say (air/vacuum conversion).
    pub declared_medium: Option<Medium>,
}

/// The dock's state (kept between frames).
pub struct CalibrationForm {
    pub open: bool,
    /// The chosen form, an index into `forms`.
    kind: usize,
    forms: Vec<Box<dyn TransformForm>>,
    input: Option<DatasetId>,
    in_place: bool,
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
            forms: forms(),
            input: None,
            in_place: false,
            error: None,
            busy: false,
            started: None,
        }
    }
}

pub(super) fn number(ui: &mut egui::Ui, label: &str, value: &mut f64, unit: &str, speed: f64) {
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

pub(crate) fn dataset_combo(
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
                    .selected_text(self.forms[self.kind].label())
                    .show_ui(ui, |ui| {
                        for (i, form) in self.forms.iter().enumerate() {
                            ui.selectable_value(&mut self.kind, i, form.label());
                        }
                    });
                ui.separator();
                let input_medium = self
                    .input
                    .as_ref()
                    .and_then(|id| session.dataset(id))
                    .map(|d| d.spectrum.medium);
                let ctx = FormContext {
                    session,
                    input: self.input.as_ref(),
                    input_medium,
                };
                self.forms[self.kind].ui(ui, &ctx);
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
                    let form = &self.forms[self.kind];
                    match (self.input.clone(), form.step(&ctx)) {
                        (None, _) => self.error = Some("choose an input".into()),
                        (_, Err(e)) => self.error = Some(e),
                        (Some(input), Ok(step)) => {
                            self.error = None;
                            let declared_medium = form.declared_medium(&ctx);
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
}
