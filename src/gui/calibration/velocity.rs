//! The velocity-shift form: radial velocity (km/s), frame, convention, and the observation a barycentric or heliocentric correction is computed for — prefilled from the input's metadata (time, pointing, site from the site table), every field editable, the correction shown before Apply.

use crate::gui::calibration::{FormContext, TransformForm, number};
use crate::ids::DatasetId;
use crate::transforms::barycentric::{CorrectionKind, Site, radial_velocity_correction_m_per_s};
use crate::transforms::observation::{SITES, prefill};
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
    /// The site table entry chosen (`None`: coordinates typed in).
    site_choice: Option<usize>,
    /// The input the fields were last filled from.
    filled_for: Option<DatasetId>,
    /// Which metadata filled which field, or what was missing.
    filled_from: String,
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
            site_choice: Some(0),
            filled_for: None,
            filled_from: String::new(),
        }
    }
}

impl VelocityForm {
    fn kind(&self) -> CorrectionKind {
        if self.frame == Frame::Barycentric {
            CorrectionKind::Barycentric
        } else {
            CorrectionKind::Heliocentric
        }
    }

    /// Fills the observation from the input's metadata; fields it does not give keep
    /// their values. Turns the correction on when everything was found.
    fn fill_from(&mut self, metadata: &[(String, String)]) {
        let p = prefill(metadata);
        let mut from = Vec::new();
        let mut missing = Vec::new();
        match &p.utc {
            Some((utc, key)) => {
                self.utc = utc.clone();
                from.push(format!("time from {key}"));
            }
            None => missing.push("time"),
        }
        match (p.ra_deg, p.dec_deg) {
            (Some((ra, key)), Some((dec, _))) => {
                self.ra_deg = ra;
                self.dec_deg = dec;
                from.push(format!("position from {key}"));
            }
            _ => missing.push("position"),
        }
        match &p.site {
            Some((site, what)) => {
                self.site = *site;
                self.site_choice = SITES.iter().position(|s| s.site == *site);
                from.push(format!("site from {what}"));
            }
            None => missing.push("site"),
        }
        self.compute_correction = p.is_complete();
        self.filled_from = match (from.is_empty(), missing.is_empty()) {
            (true, _) => {
                "The file's metadata has no observation time, position or site: type them in."
                    .into()
            }
            (false, true) => format!("From the file: {}.", from.join(", ")),
            (false, false) => format!(
                "From the file: {}. Not in it: {} (type it in).",
                from.join(", "),
                missing.join(", ")
            ),
        };
    }

    /// The correction the form describes (what the step records).
    fn correction(&self) -> CorrectionParams {
        CorrectionParams {
            kind: self.kind(),
            utc: self.utc.clone(),
            ra_deg: self.ra_deg,
            dec_deg: self.dec_deg,
            site: self.site,
        }
    }
}

impl TransformForm for VelocityForm {
    fn label(&self) -> &'static str {
        "Velocity shift"
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &FormContext<'_>) {
        // A new input: fill the observation from its metadata (once; edits stay).
        if ctx.input.is_some() && ctx.input != self.filled_for.as_ref() {
            self.filled_for = ctx.input.cloned();
            if let Some(d) = ctx.input.and_then(|id| ctx.session.dataset(id)) {
                let metadata = d.spectrum.metadata.clone();
                self.fill_from(&metadata);
            }
        }
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
        if self.frame == Frame::Topocentric {
            return;
        }
        let kind = match self.kind() {
            CorrectionKind::Barycentric => "barycentric",
            CorrectionKind::Heliocentric => "heliocentric",
        };
        ui.checkbox(
            &mut self.compute_correction,
            format!("Compute the {kind} correction for this observation"),
        )
        .on_hover_text(
            "The Earth's motion toward the target at the time of the exposure, added to the shift",
        );
        if !self.compute_correction {
            ui.small("Without it, the radial velocity is taken as already in this frame.");
            return;
        }
        ui.horizontal(|ui| {
            let l = ui.label("UTC (mid-exposure)");
            ui.add(
                egui::TextEdit::singleline(&mut self.utc)
                    .hint_text("YYYY-MM-DDTHH:MM:SS")
                    .desired_width(190.0),
            )
            .labelled_by(l.id);
        });
        number(ui, "RA", &mut self.ra_deg, "°", 0.001);
        number(ui, "Dec", &mut self.dec_deg, "°", 0.001);
        let site_text = self
            .site_choice
            .and_then(|k| SITES.get(k))
            .map_or("coordinates typed in", |s| s.name);
        let mut choice = self.site_choice;
        egui::ComboBox::from_label("Site")
            .selected_text(site_text)
            .show_ui(ui, |ui| {
                for (k, s) in SITES.iter().enumerate() {
                    ui.selectable_value(&mut choice, Some(k), s.name);
                }
                ui.selectable_value(&mut choice, None, "coordinates typed in");
            });
        if choice != self.site_choice {
            self.site_choice = choice;
            if let Some(s) = choice.and_then(|k| SITES.get(k)) {
                self.site = s.site;
            }
        }
        let before = self.site;
        number(ui, "Longitude (east)", &mut self.site.lon_deg, "°", 0.001);
        number(ui, "Latitude", &mut self.site.lat_deg, "°", 0.001);
        number(ui, "Height", &mut self.site.height_m, "m", 1.0);
        if self.site != before {
            self.site_choice = SITES.iter().position(|s| s.site == self.site);
        }
        if !self.filled_from.is_empty() {
            ui.small(&self.filled_from);
        }
        if let Some(d) = ctx.input.and_then(|id| ctx.session.dataset(id))
            && ui
                .small_button("Fill from the file's metadata")
                .on_hover_text("Time, position and site from the input's header, where it has them")
                .clicked()
        {
            let metadata = d.spectrum.metadata.clone();
            self.fill_from(&metadata);
        }
        match radial_velocity_correction_m_per_s(self.kind(), &self.correction().observation()) {
            Ok(m_per_s) => {
                ui.strong(format!(
                    "Correction: {:+.4} km/s ({kind}), added to the shift",
                    m_per_s / 1000.0
                ));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("No correction: {e}"));
            }
        }
    }

    fn step(&self, _ctx: &FormContext<'_>) -> Result<Step, String> {
        Ok(Step::VelocityShift(VelocityParams {
            rv_kms: self.rv_kms,
            frame: self.frame,
            convention: self.convention,
            correction: (self.compute_correction && self.frame != Frame::Topocentric)
                .then(|| self.correction()),
        }))
    }
}
