//! The view state: everything that decides what the canvas shows. It is persisted between
//! runs and is what export and replay carry, so it must fully determine the picture.
//!
//! Nothing here knows about egui; colours are plain sRGB triples.

use serde::{Deserialize, Serialize};

use crate::ids::DatasetId;
use crate::lod::DEFAULT_BUDGET_POINTS;
use crate::transforms::{Normalization, SavGol};
use crate::units::XUnit;

/// Display smoothing (changes the picture only, never the data).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Smoothing {
    #[default]
    Off,
    /// Savitzky–Golay with the given window (samples) and polynomial order.
    Sg { window: usize, poly: usize },
}

impl Smoothing {
    /// The Savitzky–Golay parameters, when smoothing is on.
    pub fn savgol(self) -> Option<SavGol> {
        match self {
            Smoothing::Off => None,
            Smoothing::Sg { window, poly } => Some(SavGol { window, poly }),
        }
    }
}

/// A named set of trace colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaletteKey {
    /// Okabe & Ito (2008), safe for the common colour-vision deficiencies.
    #[default]
    OkabeIto,
    /// Paul Tol's "bright" qualitative scheme, colour-blind safe.
    TolBright,
    /// Paul Tol's "high contrast" scheme, colour-blind safe and greyscale-legible.
    TolHighContrast,
}

impl PaletteKey {
    /// All palettes, in menu order.
    pub const ALL: [PaletteKey; 3] = [
        PaletteKey::OkabeIto,
        PaletteKey::TolBright,
        PaletteKey::TolHighContrast,
    ];

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            PaletteKey::OkabeIto => "Okabe–Ito (colour-blind safe)",
            PaletteKey::TolBright => "Tol bright (colour-blind safe)",
            PaletteKey::TolHighContrast => "Tol high contrast",
        }
    }

    /// The colours as sRGB, in assignment order.
    pub fn colors(self) -> &'static [[u8; 3]] {
        match self {
            // Okabe & Ito, "Color Universal Design" (2008); black left out (it is the
            // light theme's text colour), yellow last (weak on white).
            PaletteKey::OkabeIto => &[
                [0, 114, 178],
                [213, 94, 0],
                [0, 158, 115],
                [204, 121, 167],
                [86, 180, 233],
                [230, 159, 0],
                [240, 228, 66],
            ],
            // Tol, "Colour Schemes" (SRON/EPS/TN/09-002), bright.
            PaletteKey::TolBright => &[
                [68, 119, 170],
                [238, 102, 119],
                [34, 136, 51],
                [204, 187, 68],
                [102, 204, 238],
                [170, 51, 119],
                [187, 187, 187],
            ],
            PaletteKey::TolHighContrast => &[[0, 68, 136], [187, 85, 102], [221, 170, 51]],
        }
    }

    /// Colour of the trace at position `index` in the active order.
    pub fn color(self, index: usize) -> [u8; 3] {
        let c = self.colors();
        c[index % c.len()]
    }
}

/// Light or dark canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// A masked wavelength interval (excluded from later computations, shaded on the plot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskInterval {
    /// Start of the interval, nm.
    pub x_nm_start: f64,
    /// End of the interval, nm (> start).
    pub x_nm_end: f64,
    /// Why it is masked (free text).
    pub reason: String,
}

/// One trace on the canvas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveTrace {
    /// The dataset drawn.
    pub dataset_id: DatasetId,
    /// Hidden traces stay in the legend, unchecked.
    pub visible: bool,
}

/// The canvas the picture is drawn on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    /// Width in egui points.
    pub width_pt: f32,
    /// Height in egui points.
    pub height_pt: f32,
    /// Physical pixels per point.
    pub pixels_per_point: f32,
}

impl Default for Canvas {
    fn default() -> Self {
        Self {
            width_pt: 1000.0,
            height_pt: 600.0,
            pixels_per_point: 1.0,
        }
    }
}

/// Plot bounds. x is canonical nm so that a unit change keeps the same part of the
/// spectrum in view; y is in displayed units (after normalization).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotBounds {
    /// Visible wavelength range, nm, increasing.
    pub x_nm: [f64; 2],
    /// Visible y range, displayed units, increasing.
    pub y: [f64; 2],
}

/// Everything that determines the picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewState {
    pub display_unit: XUnit,
    pub normalization: Normalization,
    pub smoothing: Smoothing,
    pub palette_key: PaletteKey,
    pub theme: Theme,
    /// Most points handed to the plot per trace per frame.
    pub lod_budget_points: usize,
    pub crosshair_visible: bool,
    pub uncertainty_visible: bool,
    pub snap_to_peak: bool,
    /// Half-width of the snap search around the pointer, nm.
    pub snap_radius_nm: f64,
    pub masks: Vec<MaskInterval>,
    /// Traces in drawing and legend order.
    pub active_traces: Vec<ActiveTrace>,
    /// Explicit bounds; `None` fits all visible traces.
    pub bounds: Option<PlotBounds>,
    pub canvas: Canvas,
    /// The calibration banner drawn on the canvas: one line per visible calibrated trace,
    /// in trace order. Kept up to date by the session from its step records (not a user
    /// setting); exported as the banner snapshot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibration_banner: Vec<BannerLine>,
    /// A line list drawn over the plot at a redshift (`None`: no overlay). Absent from
    /// manifests that have none, so their MANIFEST_IDs are as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_overlay: Option<LineOverlay>,
}

/// A bundled line list drawn on the canvas at redshift `z` (observed = rest × (1 + z)),
/// converted to the medium of the first visible trace that states one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineOverlay {
    /// Bundled list key (`strong_lines`, `galaxy`, `qso`).
    pub list: String,
    /// Redshift (a velocity v shows as z = v/c); finite, above −1.
    pub z: f64,
}

/// One trace's calibration as the banner shows it (seed 000 §3: kernel, target FWHM,
/// frame, RV), read from the chain of steps that made the trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerLine {
    pub dataset_id: DatasetId,
    /// Step kinds from the input to this trace, in order.
    pub steps: Vec<String>,
    /// LSF kernel (`gaussian`), when the chain convolves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// Target LSF FWHM, nm, when given as a width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_fwhm_nm: Option<f64>,
    /// Target resolving power λ/Δλ, when given as R.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_resolving_power: Option<f64>,
    /// Velocity frame of the last velocity shift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<String>,
    /// Sum of the chain's requested radial velocities, km/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rv_kms: Option<f64>,
    /// Sum of the computed barycentric/heliocentric corrections, km/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rv_correction_kms: Option<f64>,
    /// Medium after the last air/vacuum conversion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
}

impl BannerLine {
    /// The banner text for this line (without the trace name).
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = &self.medium {
            parts.push(format!("→ {m}"));
        }
        if let Some(frame) = &self.frame {
            let mut t = format!("{frame}, RV {:+.3} km/s", self.rv_kms.unwrap_or(0.0));
            if let Some(c) = self.rv_correction_kms {
                t.push_str(&format!(" (corr. {c:+.4} km/s)"));
            }
            parts.push(t);
        }
        if let Some(k) = &self.kernel {
            match (self.target_fwhm_nm, self.target_resolving_power) {
                (Some(f), _) => parts.push(format!("LSF {k} FWHM {f} nm")),
                (None, Some(r)) => parts.push(format!("LSF {k} R = {r}")),
                _ => parts.push(format!("LSF {k}")),
            }
        }
        let others: Vec<&str> = self
            .steps
            .iter()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "airvac_convert" | "velocity_shift" | "lsf_convolve"))
            .collect();
        if !others.is_empty() {
            parts.push(others.join(", "));
        }
        parts.join(" · ")
    }
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            display_unit: XUnit::Nanometer,
            normalization: Normalization::None,
            smoothing: Smoothing::Off,
            palette_key: PaletteKey::OkabeIto,
            theme: Theme::Light,
            lod_budget_points: DEFAULT_BUDGET_POINTS,
            crosshair_visible: true,
            uncertainty_visible: false,
            snap_to_peak: false,
            snap_radius_nm: 1.0,
            masks: Vec::new(),
            active_traces: Vec::new(),
            calibration_banner: Vec::new(),
            line_overlay: None,
            bounds: None,
            canvas: Canvas::default(),
        }
    }
}

impl ViewState {
    /// Position of a dataset in the active order.
    pub fn trace_index(&self, id: &DatasetId) -> Option<usize> {
        self.active_traces.iter().position(|t| &t.dataset_id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosshair_starts_on_and_json_round_trips() {
        let v = ViewState::default();
        assert!(v.crosshair_visible);
        let json = serde_json::to_string(&v).unwrap();
        let back: ViewState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut json = serde_json::to_value(ViewState::default()).unwrap();
        json["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<ViewState>(json).is_err());
    }

    #[test]
    fn palettes_are_distinct_and_cycle() {
        for p in PaletteKey::ALL {
            let c = p.colors();
            for (i, a) in c.iter().enumerate() {
                assert!(!c[i + 1..].contains(a));
            }
            assert_eq!(p.color(c.len()), c[0]);
        }
    }
}
