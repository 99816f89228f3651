//! The Redshift dock: a line list over the plot at a z (or RV) set by field and slider;
//! cross-correlation against a bundled template, with the correlation drawn and its peaks
//! marked; identification of the spectrum's features with their score components; and a
//! line measurement. It shows state and emits requests; every number comes from
//! `analysis` through the session's analysis records.

use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points};

use crate::analysis::features::{FeatureContinuum, FeatureRequest};
use crate::analysis::identify::{IdentifyRequest, ZChoice};
use crate::analysis::linelist;
use crate::analysis::measure::{Interval, MeasureRequest};
use crate::analysis::record::{AnalysisRecord, AnalysisRequest, ListRef, TemplateRef};
use crate::analysis::templates::{self, TemplateKind};
use crate::analysis::xcorr::{Grid, RvRequest};
use crate::ids::DatasetId;
use crate::session::Session;
use crate::transforms::velocity::C_KMS;
use crate::view::LineOverlay;

/// What the dock asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum DockRequest {
    /// Show a list at z, or no overlay.
    Overlay(Option<LineOverlay>),
    /// Compute and record an analysis.
    Analyze(AnalysisRequest),
}

/// The dock's own state (what it is about to ask; results live in the session).
#[derive(Debug)]
pub struct RedshiftDock {
    pub open: bool,
    input: Option<DatasetId>,
    /// Index into [`templates::BUNDLED`].
    template: usize,
    /// Half-width of the velocity grid for star templates, km/s.
    v_range_kms: f64,
    /// Index into [`linelist::BUNDLED`] for the overlay and identification.
    list: usize,
    /// The continuum identification measures features against.
    feature_continuum: FeatureContinuum,
    /// The measurement region, nm (typed, taken from the view, or dragged on the plot).
    region_lo_nm: f64,
    region_hi_nm: f64,
    /// The next primary drag on the plot picks the region (and then measures it).
    pick_on_plot: bool,
    /// A region was just picked on the plot: measure it this frame.
    measure_pending: bool,
    /// The last refusal, in words.
    pub error: Option<String>,
    /// A background analysis is running.
    pub busy: bool,
}

impl Default for RedshiftDock {
    fn default() -> Self {
        Self {
            open: false,
            input: None,
            template: 0,
            v_range_kms: 500.0,
            list: 0,
            feature_continuum: FeatureContinuum::RunningMedian,
            region_lo_nm: 0.0,
            region_hi_nm: 0.0,
            pick_on_plot: false,
            measure_pending: false,
            error: None,
            busy: false,
        }
    }
}

impl RedshiftDock {
    /// What the canvas should lend the dock this frame: the region pick, while asked for.
    pub fn canvas_tools(&self) -> crate::render::CanvasTools {
        let pick_region = self.open && self.pick_on_plot;
        crate::render::CanvasTools {
            pick_region,
            region_nm: (pick_region && self.region_lo_nm < self.region_hi_nm)
                .then_some([self.region_lo_nm, self.region_hi_nm]),
        }
    }

    /// A region dragged on the plot, nm: it becomes the measurement region and is
    /// measured on the next frame; the plot pans again.
    pub fn region_picked(&mut self, region_nm: [f64; 2]) {
        self.region_lo_nm = region_nm[0];
        self.region_hi_nm = region_nm[1];
        self.pick_on_plot = false;
        self.measure_pending = true;
    }
}

/// The latest record of `kind` about `input`.
fn latest<'a>(session: &'a Session, kind: &str, input: &DatasetId) -> Option<&'a AnalysisRecord> {
    session.analyses().iter().rev().find(|a| {
        a.request.kind() == kind
            && a.request.inputs().first().map(String::as_str) == Some(input.as_str())
    })
}

fn number(v: &serde_json::Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    v.as_f64()
}

impl RedshiftDock {
    /// Draws the dock; returns what it asks for this frame.
    pub fn show(&mut self, ui: &mut egui::Ui, session: &Session) -> Vec<DockRequest> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        egui::Panel::right("redshift")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.heading("Redshift & lines");
                    if self
                        .input
                        .as_ref()
                        .is_none_or(|id| session.dataset(id).is_none())
                    {
                        self.input = session
                            .view()
                            .active_traces
                            .iter()
                            .find(|t| t.visible)
                            .map(|t| t.dataset_id.clone());
                    }
                    super::calibration::dataset_combo(ui, "Spectrum", session, &mut self.input);
                    let Some(input) = self.input.clone() else {
                        ui.label("Open a spectrum first.");
                        return;
                    };
                    self.lines_section(ui, session, &mut out);
                    ui.separator();
                    self.xcorr_section(ui, session, &input, &mut out);
                    ui.separator();
                    self.identify_section(ui, session, &input, &mut out);
                    ui.separator();
                    self.measure_section(ui, session, &input, &mut out);
                    if self.busy {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("computing…");
                        });
                    }
                    if let Some(e) = &self.error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                });
            });
        out
    }

    fn lines_section(&mut self, ui: &mut egui::Ui, session: &Session, out: &mut Vec<DockRequest>) {
        ui.strong("Line list over the plot");
        let overlay = session.view().line_overlay.clone();
        let mut shown = overlay.is_some();
        let mut z = overlay.as_ref().map_or(0.0, |o| o.z);
        if let Some(o) = &overlay
            && let Some(i) = linelist::BUNDLED.iter().position(|(k, _)| *k == o.list)
        {
            self.list = i;
        }
        let mut list = self.list;
        let before = (shown, list, z);
        ui.checkbox(&mut shown, "Show lines");
        egui::ComboBox::from_label("Line list")
            .selected_text(linelist::BUNDLED[list].0)
            .show_ui(ui, |ui| {
                for (i, (key, _)) in linelist::BUNDLED.iter().enumerate() {
                    ui.selectable_value(&mut list, i, *key);
                }
            });
        ui.horizontal(|ui| {
            ui.label("z");
            ui.add(
                egui::DragValue::new(&mut z)
                    .speed(1e-4)
                    .range(-0.99..=10.0)
                    .max_decimals(7),
            );
            let mut rv = z * C_KMS;
            ui.label("cz");
            if ui
                .add(
                    egui::DragValue::new(&mut rv)
                        .speed(1.0)
                        .suffix(" km/s")
                        .max_decimals(3),
                )
                .changed()
            {
                z = rv / C_KMS;
            }
        });
        ui.add(egui::Slider::new(&mut z, 0.0..=1.5).text("z slider"));
        self.list = list;
        if (shown, list, z) != before {
            out.push(DockRequest::Overlay(shown.then(|| LineOverlay {
                list: linelist::BUNDLED[list].0.to_string(),
                z,
            })));
        }
    }

    fn xcorr_section(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        input: &DatasetId,
        out: &mut Vec<DockRequest>,
    ) {
        ui.strong("Cross-correlation");
        egui::ComboBox::from_label("Template")
            .selected_text(templates::BUNDLED[self.template].0)
            .show_ui(ui, |ui| {
                for (i, (key, ..)) in templates::BUNDLED.iter().enumerate() {
                    ui.selectable_value(&mut self.template, i, *key);
                }
            });
        let (key, kind, _) = templates::BUNDLED[self.template];
        let grid = match kind {
            TemplateKind::Star => {
                ui.horizontal(|ui| {
                    ui.label("velocities ±");
                    ui.add(
                        egui::DragValue::new(&mut self.v_range_kms)
                            .range(10.0..=30_000.0)
                            .suffix(" km/s"),
                    );
                    ui.label("by 0.5 km/s");
                });
                Grid::Velocity {
                    v_min_kms: -self.v_range_kms,
                    v_max_kms: self.v_range_kms,
                    v_step_kms: 0.5,
                }
            }
            TemplateKind::Galaxy => {
                ui.label("redshifts z 0…1.5");
                Grid::GALAXY
            }
            TemplateKind::Qso => {
                ui.label("redshifts z 0…5");
                Grid::QSO
            }
        };
        if ui
            .add_enabled(!self.busy, egui::Button::new("Correlate"))
            .on_hover_text("Cross-correlate the spectrum with the template (Tonry & Davis 1979)")
            .clicked()
        {
            out.push(DockRequest::Analyze(AnalysisRequest::Rv {
                spectrum: input.to_string(),
                template: TemplateRef::Bundled { key: key.into() },
                request: RvRequest {
                    grid,
                    ..RvRequest::default()
                },
            }));
        }
        let Some(record) = latest(session, "rv", input) else {
            return;
        };
        let r = &record.result;
        let z = number(r, &["z"]).unwrap_or(f64::NAN);
        ui.label(format!(
            "z = {:.6} ± {:.6}\ncz = {:.2} ± {:.2} km/s",
            z,
            number(r, &["z_sigma"]).unwrap_or(f64::NAN),
            number(r, &["rv_kms"]).unwrap_or(f64::NAN),
            number(r, &["rv_sigma_kms"]).unwrap_or(f64::NAN),
        ));
        ui.label(format!(
            "Tonry–Davis r = {:.2}; quality {} ({}), figure of merit {:.2}",
            number(r, &["tonry_davis", "r"]).unwrap_or(f64::NAN),
            r["quality"]["class"],
            r["quality"]["label"].as_str().unwrap_or(""),
            number(r, &["quality", "figure_of_merit"]).unwrap_or(f64::NAN),
        ));
        for w in r["warnings"].as_array().into_iter().flatten() {
            ui.label(format!("warning: {}", w.as_str().unwrap_or("")));
        }
        // The correlation, with its peaks.
        let xs = r["ccf"]["x"].as_array().cloned().unwrap_or_default();
        let ys = r["ccf"]["y"].as_array().cloned().unwrap_or_default();
        let velocity = matches!(record.request, AnalysisRequest::Rv { ref request, .. } if matches!(request.grid, Grid::Velocity { .. }));
        let pts: PlotPoints<'_> = xs
            .iter()
            .zip(&ys)
            .filter_map(|(x, y)| Some([x.as_f64()?, y.as_f64()?]))
            .collect();
        let peaks: Vec<[f64; 2]> = r["peaks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let x = if velocity {
                    p["rv_kms"].as_f64()?
                } else {
                    p["z"].as_f64()?
                };
                Some([x, p["height"].as_f64()?])
            })
            .collect();
        Plot::new("ccf_plot")
            .height(170.0)
            .x_axis_label(if velocity { "cz (km/s)" } else { "z" })
            .y_axis_label("correlation")
            .allow_drag(false)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.line(Line::new("CCF", pts).width(1.2));
                plot_ui.points(
                    Points::new("peaks", peaks)
                        .shape(MarkerShape::Circle)
                        .radius(4.0)
                        .filled(false),
                );
            });
        if z.is_finite() && ui.button("Show lines at this z").clicked() {
            out.push(DockRequest::Overlay(Some(LineOverlay {
                list: linelist::BUNDLED[self.list].0.to_string(),
                z,
            })));
        }
    }

    fn identify_section(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        input: &DatasetId,
        out: &mut Vec<DockRequest>,
    ) {
        ui.strong("Identification");
        let z = session.view().line_overlay.as_ref().map_or(0.0, |o| o.z);
        let list = linelist::BUNDLED[self.list].0;
        ui.horizontal(|ui| {
            ui.label("Continuum:");
            ui.selectable_value(
                &mut self.feature_continuum,
                FeatureContinuum::RunningMedian,
                "running median",
            )
            .on_hover_text("Stays on the continuum while lines fill less than half of its 21 samples");
            ui.selectable_value(&mut self.feature_continuum, FeatureContinuum::Parabola, "parabola")
                .on_hover_text(
                    "A local parabola with clipping: follows steep band edges (low-resolution spectra whose lines are a few samples wide)",
                );
        });
        if ui
            .add_enabled(
                !self.busy,
                egui::Button::new(format!("Identify with {list} at z = {z:.5}")),
            )
            .on_hover_text("Find peaks and troughs and score the list's lines against each")
            .clicked()
        {
            out.push(DockRequest::Analyze(AnalysisRequest::Identify {
                spectrum: input.to_string(),
                list: ListRef::Bundled { key: list.into() },
                request: IdentifyRequest {
                    z: ZChoice::Fixed { z },
                    features: FeatureRequest {
                        continuum: self.feature_continuum,
                        ..FeatureRequest::default()
                    },
                    ..IdentifyRequest::default()
                },
            }));
        }
        let Some(record) = latest(session, "identify", input) else {
            return;
        };
        let r = &record.result;
        if let Some(z) = r.get("redshift").filter(|v| !v.is_null()) {
            ui.label(format!(
                "z from lines = {:.6} ± {:.6} ({} lines)",
                z["z"].as_f64().unwrap_or(f64::NAN),
                z["z_sigma"].as_f64().unwrap_or(f64::NAN),
                z["n_lines"]
            ));
        }
        egui::ScrollArea::horizontal()
            .id_salt("identify_scroll")
            .show(ui, |ui| {
                egui::Grid::new("identify_table")
                    .striped(true)
                    .num_columns(4)
                    .show(ui, |ui| {
                        ui.strong("feature nm");
                        ui.strong("S/N");
                        ui.strong("best line");
                        ui.strong("score (id: identified) [λ str sp snr bl]");
                        ui.end_row();
                        for f in r["features"].as_array().into_iter().flatten() {
                            let Some(best) = f["candidates"].get(0) else {
                                continue;
                            };
                            let c = &best["components"];
                            ui.label(format!(
                                "{:.3}",
                                f["feature"]["centroid_nm"].as_f64().unwrap_or(0.0)
                            ));
                            ui.label(format!(
                                "{:.0}",
                                f["feature"]["snr"].as_f64().unwrap_or(0.0)
                            ));
                            ui.label(format!(
                                "{} {:.2}",
                                best["species"].as_str().unwrap_or(""),
                                best["rest_nm"].as_f64().unwrap_or(0.0)
                            ));
                            ui.label(format!(
                                "{:.2}{} [{:.2} {:.2} {:.2} {:.2} {:.2}]",
                                best["score"].as_f64().unwrap_or(0.0),
                                if f["identified"].as_bool() == Some(true) {
                                    " id"
                                } else {
                                    ""
                                },
                                c["wavelength"].as_f64().unwrap_or(0.0),
                                c["strength"].as_f64().unwrap_or(0.0),
                                c["species"].as_f64().unwrap_or(0.0),
                                c["snr"].as_f64().unwrap_or(0.0),
                                c["blend"].as_f64().unwrap_or(0.0),
                            ));
                            ui.end_row();
                        }
                    });
            });
    }

    fn measure_section(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        input: &DatasetId,
        out: &mut Vec<DockRequest>,
    ) {
        ui.strong("Measure a line");
        let view_x = session.view().bounds.map(|b| b.x_nm);
        if self.region_lo_nm >= self.region_hi_nm
            && let Some(d) = session.dataset(input)
        {
            // Start from the middle tenth of what is on screen (or of the spectrum).
            let (lo, hi) = view_x.map_or(d.spectrum.x_range_nm(), |b| (b[0], b[1]));
            let mid = 0.5 * (lo + hi);
            self.region_lo_nm = mid - 0.05 * (hi - lo);
            self.region_hi_nm = mid + 0.05 * (hi - lo);
        }
        ui.horizontal(|ui| {
            ui.label("from");
            ui.add(
                egui::DragValue::new(&mut self.region_lo_nm)
                    .speed(0.01)
                    .suffix(" nm"),
            );
            ui.label("to");
            ui.add(
                egui::DragValue::new(&mut self.region_hi_nm)
                    .speed(0.01)
                    .suffix(" nm"),
            );
        });
        ui.horizontal(|ui| {
            if let Some(b) = view_x
                && ui
                    .button("Region = view")
                    .on_hover_text("Measure what the plot shows: zoom onto the line first")
                    .clicked()
            {
                self.region_lo_nm = b[0];
                self.region_hi_nm = b[1];
            }
            ui.toggle_value(&mut self.pick_on_plot, "Drag on plot")
                .on_hover_text(
                    "Drag across the line on the plot to set the region and measure it (the plot does not pan until then)",
                );
            // A picked region waits while another analysis runs.
            let pending = self.measure_pending && !self.busy;
            if pending {
                self.measure_pending = false;
            }
            if ui
                .add_enabled(!self.busy, egui::Button::new("Measure"))
                .on_hover_text(
                    "Centroid, FWHM, equivalent width and flux, with σ (specutils' definitions)",
                )
                .clicked()
                || pending
            {
                out.push(DockRequest::Analyze(AnalysisRequest::Measure {
                    spectrum: input.to_string(),
                    request: MeasureRequest {
                        region: Interval {
                            lo_nm: self.region_lo_nm,
                            hi_nm: self.region_hi_nm,
                        },
                        continuum: Vec::new(),
                    },
                }));
            }
        });
        let Some(record) = latest(session, "measure", input) else {
            return;
        };
        let m = &record.result;
        let pm = |key: &str| {
            let v = &m[key];
            match (v["value"].as_f64(), v["sigma"].as_f64()) {
                (Some(x), Some(s)) => format!("{x:.5} ± {s:.5}"),
                (Some(x), None) => format!("{x:.5}"),
                _ => "—".into(),
            }
        };
        ui.label(format!(
            "{} line {:.3}–{:.3} nm\ncentroid {} nm\nFWHM {:.5} nm (half maximum)\nEW {} nm\nflux {}",
            m["kind"].as_str().unwrap_or(""),
            m["region"]["lo_nm"].as_f64().unwrap_or(0.0),
            m["region"]["hi_nm"].as_f64().unwrap_or(0.0),
            pm("centroid_nm"),
            m["fwhm_nm"].as_f64().unwrap_or(f64::NAN),
            pm("equivalent_width_nm"),
            pm("line_flux"),
        ));
    }
}
