//! The transform registry: every transform's kind, its parameters with their units, its
//! code version, and how a step is applied and recorded.
//!
//! A step is JSON `{"kind": …, "params": {…}}` (the same as a manifest's `transforms[]`).
//! Numeric parameters carry their unit in their name (`rv_kms`, `fwhm_nm`, `x_nm_start`);
//! unknown or unit-less fields are rejected. Applying a step to canonical arrays yields a
//! derived spectrum and a [`StepRecord`]; the Transform ID is specified in
//! `docs/specs/ids.md`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{DatasetId, hex};
use crate::spectrum::{Medium, Spectrum, SpectrumError};
use crate::transforms::airvac::{self, AirFormula, AirVacError, TargetMedium};
use crate::transforms::barycentric::{
    CorrectionError, CorrectionKind, Observation, Site, radial_velocity_correction_m_per_s,
};
use crate::transforms::lsf::{self, LsfError, LsfWidth};
use crate::transforms::normalize::{Normalization, NormalizeError, normalization_divisor_masked};
use crate::transforms::resample::{self, ResampleError, ResampleMethod};
use crate::transforms::savgol::{SavGol, SavGolError};
use crate::transforms::velocity::{self, Convention, Frame, VelocityError};

/// Every registered kind with its code version, sorted by kind. The version is part of
/// every Transform ID: bump it when a kind's numbers change.
///
/// History:
/// - `airvac_convert@2` evaluates the refractive index with one division instead of
///   three (the same formula rearranged); the last bits of converted axes differ from `@1`.
/// - `lsf_convolve@2` takes ln λ (resolving-power kernels) from its own portable
///   logarithm instead of the platform's `ln`; the last bit of ln λ, and with it the
///   output bits of resolving-power convolutions, may differ from `@1`.
/// - `lsf_convolve@3` convolves long kernels by its own batched FFT (`transforms::fft`)
///   instead of rustfft's scalar one, from a lower crossover, and on non-uniform grids
///   reads the uniform grid back by fractional index instead of numpy.interp's formula;
///   the last bits of those convolutions differ from `@2`.
pub const REGISTRY: [(&str, u32); 8] = [
    ("airvac_convert", 2),
    ("lsf_convolve", 3),
    ("mask_interval", 1),
    ("math_op", 1),
    ("normalize", 1),
    ("resample", 1),
    ("smooth", 1),
    ("velocity_shift", 1),
];

/// `airvac_convert` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirvacParams {
    pub to: TargetMedium,
    #[serde(default)]
    pub formula: AirFormula,
}

/// `velocity_shift` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VelocityParams {
    /// Velocity to apply, km/s (positive: to longer wavelengths).
    pub rv_kms: f64,
    /// The frame the result is in.
    pub frame: Frame,
    #[serde(default)]
    pub convention: Convention,
    /// A barycentric or heliocentric correction computed from the observation, applied on
    /// top of `rv_kms` (multiplicatively in 1 + z); its kind must match `frame`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<CorrectionParams>,
}

/// The observation a velocity correction is computed for (fields as in
/// [`Observation`]; not flattened, because serde cannot deny unknown fields then).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionParams {
    pub kind: CorrectionKind,
    /// UTC, `YYYY-MM-DDTHH:MM:SS[.fff]`, mid-exposure.
    pub utc: String,
    /// ICRS right ascension, degrees.
    pub ra_deg: f64,
    /// ICRS declination, degrees.
    pub dec_deg: f64,
    pub site: Site,
}

impl CorrectionParams {
    /// The observation these parameters describe.
    pub fn observation(&self) -> Observation {
        Observation {
            utc: self.utc.clone(),
            ra_deg: self.ra_deg,
            dec_deg: self.dec_deg,
            site: self.site,
        }
    }
}

/// LSF kernel shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    Gaussian,
}

/// `lsf_convolve` parameters: exactly one of `fwhm_nm` and `resolving_power`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LsfParams {
    pub kernel: Kernel,
    /// Target FWHM, nm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwhm_nm: Option<f64>,
    /// Target resolving power λ/Δλ (dimensionless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolving_power: Option<f64>,
    #[serde(default)]
    pub convolve_down_only: bool,
    /// The data's current FWHM, nm (for `convolve_down_only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_fwhm_nm: Option<f64>,
    /// The data's current resolving power (for `convolve_down_only`; defaults to the
    /// `resolving_power` metadata of the input when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_resolving_power: Option<f64>,
}

/// A resampling grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Grid {
    /// start, start + step, … ≤ stop (nm).
    Uniform {
        start_nm: f64,
        stop_nm: f64,
        step_nm: f64,
    },
    /// `n` points uniform in ln λ from start to stop (nm).
    LogUniform {
        start_nm: f64,
        stop_nm: f64,
        n: usize,
    },
    /// The wavelengths of another dataset.
    Match { dataset_id: DatasetId },
}

/// `resample` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResampleParams {
    pub method: ResampleMethod,
    pub grid: Grid,
}

/// `normalize` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeParams {
    pub mode: Normalization,
}

/// Smoothing methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmoothMethod {
    /// Savitzky–Golay.
    Sg,
}

/// `smooth` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmoothParams {
    pub method: SmoothMethod,
    /// Window length, samples (odd).
    pub window: usize,
    /// Polynomial order.
    pub poly: usize,
}

/// `mask_interval` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskParams {
    pub x_nm_start: f64,
    pub x_nm_end: f64,
    pub reason: String,
}

/// Arithmetic between two spectra.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MathOpKind {
    #[serde(rename = "A_minus_B")]
    AMinusB,
    #[serde(rename = "A_div_B")]
    ADivB,
}

/// `math_op` parameters. A is the step's input; B is `inputs[1]` (or the second input).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MathParams {
    pub op: MathOpKind,
    /// [A, B] dataset IDs; may be left out when the inputs are implied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<DatasetId>,
    /// For A_div_B: samples where |B| < epsilon (in B's y unit) are masked, not infinite.
    #[serde(default)]
    pub epsilon_y: f64,
}

/// One transform with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "params",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Step {
    AirvacConvert(AirvacParams),
    VelocityShift(VelocityParams),
    LsfConvolve(LsfParams),
    Resample(ResampleParams),
    Normalize(NormalizeParams),
    Smooth(SmoothParams),
    MaskInterval(MaskParams),
    MathOp(MathParams),
}

impl Step {
    /// The registered kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::AirvacConvert(_) => "airvac_convert",
            Step::VelocityShift(_) => "velocity_shift",
            Step::LsfConvolve(_) => "lsf_convolve",
            Step::Resample(_) => "resample",
            Step::Normalize(_) => "normalize",
            Step::Smooth(_) => "smooth",
            Step::MaskInterval(_) => "mask_interval",
            Step::MathOp(_) => "math_op",
        }
    }

    /// `kind@version`, as recorded.
    pub fn code_version(&self) -> String {
        let kind = self.kind();
        let version = REGISTRY
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| *v)
            .expect("every kind is registered");
        format!("{kind}@{version}")
    }

    /// The parameters as canonical JSON: keys sorted, no whitespace, numbers as
    /// serde_json writes them (shortest text that reads back to the same f64).
    pub fn canonical_params(&self) -> String {
        let value = serde_json::to_value(self).expect("steps serialize");
        let params = value
            .get("params")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        // serde_json's map is a BTreeMap (no preserve_order feature): keys come out sorted.
        serde_json::to_string(&params).expect("values serialize")
    }
}

/// Parses a steps file: a JSON array of steps.
pub fn parse_steps(text: &str) -> Result<Vec<Step>, serde_json::Error> {
    serde_json::from_str(text)
}

/// What applying a step recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    /// Transform ID (see `docs/specs/ids.md`).
    pub id: String,
    pub kind: String,
    pub params: serde_json::Value,
    pub parent_ids: Vec<DatasetId>,
    pub output_id: DatasetId,
    pub code_version: String,
    /// Checks and derived numbers (flux conservation, kernel width…), sorted by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, serde_json::Value>,
}

impl StepRecord {
    /// The typed step this record applied (`None` only for a record whose kind or
    /// parameters this version does not know, e.g. read from a newer bundle).
    pub fn step(&self) -> Option<Step> {
        serde_json::from_value(serde_json::json!({"kind": self.kind, "params": self.params})).ok()
    }

    /// The barycentric or heliocentric correction a velocity shift computed, m/s (read
    /// under its old key `rv_correction_ms` too, from bundles written before the rename).
    pub fn rv_correction_m_per_s(&self) -> Option<f64> {
        [RV_CORRECTION_NOTE, "rv_correction_ms"]
            .iter()
            .find_map(|k| self.notes.get(*k))
            .and_then(serde_json::Value::as_f64)
    }
}

/// The note key under which a velocity shift records its computed correction (m/s).
pub const RV_CORRECTION_NOTE: &str = "rv_correction_m_per_s";

/// Transform ID: sha256 over length-prefixed fields kind, canonical params, parent IDs
/// joined by newlines, code version.
pub fn transform_id(step: &Step, parents: &[DatasetId]) -> String {
    let mut h = Sha256::new();
    let joined = parents
        .iter()
        .map(DatasetId::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    for field in [
        step.kind().as_bytes(),
        step.canonical_params().as_bytes(),
        joined.as_bytes(),
        step.code_version().as_bytes(),
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field);
    }
    hex(&h.finalize())
}

/// Why a step cannot be applied. Nothing is applied when a step fails.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TransformError {
    #[error("airvac_convert: {0}")]
    AirVac(#[from] AirVacError),
    #[error("airvac_convert: the input's medium is unknown; declare it (--medium air|vacuum)")]
    MediumUnknown,
    #[error("airvac_convert: the input is already in {0}")]
    AlreadyInMedium(&'static str),
    #[error("velocity_shift: {0}")]
    Velocity(#[from] VelocityError),
    #[error("velocity_shift: correction: {0}")]
    Correction(#[from] CorrectionError),
    #[error("velocity_shift: a {0:?} correction needs frame {0:?}")]
    CorrectionFrame(CorrectionKind),
    #[error("lsf_convolve: {0}")]
    Lsf(#[from] LsfError),
    #[error("lsf_convolve: give exactly one of fwhm_nm and resolving_power")]
    LsfWidthChoice,
    #[error("resample: {0}")]
    Resample(#[from] ResampleError),
    #[error("resample: bad grid: {0}")]
    Grid(String),
    #[error("normalize: {0}")]
    Normalize(#[from] NormalizeError),
    #[error("smooth: {0}")]
    Smooth(#[from] SavGolError),
    #[error("mask_interval: {0}")]
    Mask(String),
    #[error("math_op: {0}")]
    Math(String),
    #[error("no dataset {0} among the inputs")]
    UnknownDataset(String),
    #[error("result is not a valid spectrum: {0}")]
    Invalid(#[from] SpectrumError),
}

/// The output of one applied step: the derived spectrum and its records (a math_op also
/// records the resampling of B onto A's grid, first).
#[derive(Clone, Debug)]
pub struct Applied {
    pub spectrum: Spectrum,
    /// The Dataset ID of `spectrum` (computed once, here).
    pub output_id: DatasetId,
    pub records: Vec<StepRecord>,
}

/// A spectrum with its Dataset ID already known (hashing a large spectrum costs a memory
/// pass: callers that know the ID pass it along).
#[derive(Clone, Copy, Debug)]
pub struct Identified<'a> {
    pub id: &'a DatasetId,
    pub spectrum: &'a Spectrum,
}

/// Applies `step` to `input`; `pool` holds other spectra a step may name (math_op's B,
/// resample's match grid). Computes the IDs; see [`apply_identified`] when they are known.
pub fn apply_step(
    step: &Step,
    input: &Spectrum,
    pool: &[Spectrum],
) -> Result<Applied, TransformError> {
    let input_id = input.dataset_id();
    let ids: Vec<DatasetId> = pool.iter().map(Spectrum::dataset_id).collect();
    let pool: Vec<Identified<'_>> = ids
        .iter()
        .zip(pool)
        .map(|(id, spectrum)| Identified { id, spectrum })
        .collect();
    apply_identified(
        step,
        Identified {
            id: &input_id,
            spectrum: input,
        },
        &pool,
    )
}

/// Applies `step` to an input whose ID is known, with a pool of identified spectra.
pub fn apply_identified(
    step: &Step,
    input_ref: Identified<'_>,
    pool: &[Identified<'_>],
) -> Result<Applied, TransformError> {
    let computed = compute(step, input_ref.spectrum, &mut || input_ref.id.clone(), pool)?;
    let output_id = computed.spectrum.dataset_id();
    let records = computed
        .record
        .finish(step, input_ref.id.clone(), output_id.clone());
    Ok(Applied {
        spectrum: computed.spectrum,
        output_id,
        records,
    })
}

/// A step's result before its records are made: they name the Dataset IDs of the step's
/// input and output, which may still be being computed ([`apply_steps`]).
struct Computed {
    spectrum: Spectrum,
    record: PendingRecord,
}

/// What a step's records hold besides the IDs of its input and output.
struct PendingRecord {
    /// Complete records of steps made on the way (math_op's resampling of B onto A).
    inner_records: Vec<StepRecord>,
    /// The step's parents after its input, in order (a match grid, math_op's B).
    other_parents: Vec<DatasetId>,
    notes: BTreeMap<String, serde_json::Value>,
}

impl PendingRecord {
    /// The step's records, inner ones first, once both IDs are known.
    fn finish(self, step: &Step, input_id: DatasetId, output_id: DatasetId) -> Vec<StepRecord> {
        let mut parents = vec![input_id];
        parents.extend(self.other_parents);
        let mut records = self.inner_records;
        records.push(record(step, parents, output_id, self.notes));
        records
    }
}

/// Applies `step` to `input`; `input_id` gives the input's Dataset ID where the
/// computation itself needs it (math_op), which is rarely.
fn compute(
    step: &Step,
    input: &Spectrum,
    input_id: &mut dyn FnMut() -> DatasetId,
    pool: &[Identified<'_>],
) -> Result<Computed, TransformError> {
    let find = |id: &DatasetId| {
        pool.iter()
            .find(|s| s.id == id)
            .copied()
            .ok_or_else(|| TransformError::UnknownDataset(id.to_string()))
    };
    let mut notes = BTreeMap::new();
    let mut records = Vec::new();
    let mut parents = Vec::new();
    let out = match step {
        Step::AirvacConvert(p) => {
            let (to, name) = match p.to {
                TargetMedium::Air => (Medium::Air, "air"),
                TargetMedium::Vacuum => (Medium::Vacuum, "vacuum"),
            };
            match input.medium {
                Medium::Unknown => return Err(TransformError::MediumUnknown),
                m if m == to => return Err(TransformError::AlreadyInMedium(name)),
                _ => {}
            }
            let x = airvac::convert_axis_nm(input.x_nm(), p.to, p.formula)?;
            let mut s = input.derived(x, input.y().to_vec(), input.sigma().map(<[f64]>::to_vec))?;
            s.medium = to;
            s.set_mask(input.mask().map(<[bool]>::to_vec));
            s
        }
        Step::VelocityShift(p) => {
            let mut f = velocity::one_plus_z(p.rv_kms, p.convention)?;
            if let Some(c) = &p.correction {
                let matches = matches!(
                    (c.kind, p.frame),
                    (CorrectionKind::Barycentric, Frame::Barycentric)
                        | (CorrectionKind::Heliocentric, Frame::Heliocentric)
                );
                if !matches {
                    return Err(TransformError::CorrectionFrame(c.kind));
                }
                let v_m_per_s = radial_velocity_correction_m_per_s(c.kind, &c.observation())?;
                notes.insert(RV_CORRECTION_NOTE.into(), serde_json::json!(v_m_per_s));
                // astropy's convention: the correction is (z_b − 1)·c.
                f *= 1.0 + v_m_per_s / 299_792_458.0;
            }
            notes.insert("one_plus_z".into(), serde_json::json!(f));
            let x = velocity::shift_axis_nm(input.x_nm(), f);
            let mut s = input.derived(x, input.y().to_vec(), input.sigma().map(<[f64]>::to_vec))?;
            s.set_mask(input.mask().map(<[bool]>::to_vec));
            s
        }
        Step::LsfConvolve(p) => {
            let target = match (p.fwhm_nm, p.resolving_power) {
                (Some(f), None) => LsfWidth::FwhmNm(f),
                (None, Some(r)) => LsfWidth::ResolvingPower(r),
                _ => return Err(TransformError::LsfWidthChoice),
            };
            let current = match (p.current_fwhm_nm, p.current_resolving_power) {
                (Some(f), _) => Some(LsfWidth::FwhmNm(f)),
                (None, Some(r)) => Some(LsfWidth::ResolvingPower(r)),
                (None, None) => input
                    .metadata_value("resolving_power")
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .map(LsfWidth::ResolvingPower),
            };
            let (y, sigma, applied) = lsf::convolve_gaussian(
                input.x_nm(),
                input.y(),
                input.sigma(),
                target,
                current,
                p.convolve_down_only,
            )?;
            notes.insert(
                "kernel_sigma_px".into(),
                serde_json::json!(applied.sigma_px),
            );
            notes.insert("kernel_taps".into(), serde_json::json!(applied.taps));
            notes.insert(
                "resampled_to_uniform_grid".into(),
                serde_json::json!(applied.resampled),
            );
            let mut s = input.derived(input.x_nm().to_vec(), y, sigma)?;
            s.set_mask(input.mask().map(|m| dilate(m, applied.taps / 2)));
            s
        }
        Step::Resample(p) => {
            let grid = match &p.grid {
                Grid::Uniform {
                    start_nm,
                    stop_nm,
                    step_nm,
                } => uniform_grid(*start_nm, *stop_nm, *step_nm)?,
                Grid::LogUniform {
                    start_nm,
                    stop_nm,
                    n,
                } => log_uniform_grid(*start_nm, *stop_nm, *n)?,
                Grid::Match { dataset_id } => {
                    parents.push(dataset_id.clone());
                    find(dataset_id)?.spectrum.x_nm().to_vec()
                }
            };
            resample_spectrum(input, &grid, p.method, &mut notes)?
        }
        Step::Normalize(p) => {
            let d = normalization_divisor_masked(input.x_nm(), input.y(), p.mode, input.mask())?;
            notes.insert("divisor".into(), serde_json::json!(d));
            let mut s = input.derived(
                input.x_nm().to_vec(),
                input.y().iter().map(|v| v / d).collect(),
                input.sigma().map(|s| s.iter().map(|v| v / d).collect()),
            )?;
            s.set_mask(input.mask().map(<[bool]>::to_vec));
            s
        }
        Step::Smooth(p) => {
            let SmoothMethod::Sg = p.method;
            let sg = SavGol {
                window: p.window,
                poly: p.poly,
            };
            let (y, sigma) = sg.apply(input.y(), input.sigma())?;
            let mut s = input.derived(input.x_nm().to_vec(), y, sigma)?;
            s.set_mask(input.mask().map(|m| dilate(m, p.window / 2)));
            s
        }
        Step::MaskInterval(p) => {
            if !(p.x_nm_start.is_finite() && p.x_nm_end.is_finite() && p.x_nm_start < p.x_nm_end) {
                return Err(TransformError::Mask(
                    "x_nm_start must be less than x_nm_end".into(),
                ));
            }
            let mask: Vec<bool> = input
                .x_nm()
                .iter()
                .enumerate()
                .map(|(i, &x)| input.is_masked(i) || (x >= p.x_nm_start && x <= p.x_nm_end))
                .collect();
            if mask.iter().all(|&m| m) {
                return Err(TransformError::Mask("the masks cover every sample".into()));
            }
            notes.insert(
                "samples_masked".into(),
                serde_json::json!(mask.iter().filter(|&&m| m).count()),
            );
            let mut s = input.derived(
                input.x_nm().to_vec(),
                input.y().to_vec(),
                input.sigma().map(<[f64]>::to_vec),
            )?;
            s.set_mask(Some(mask));
            s
        }
        Step::MathOp(p) => {
            let b = match p.inputs.as_slice() {
                [] => *pool
                    .first()
                    .ok_or_else(|| TransformError::Math("needs a second input B".into()))?,
                [a, b] => {
                    let input_id = input_id();
                    if a != &input_id {
                        return Err(TransformError::Math(format!(
                            "inputs[0] is {a}, but the step's input is {input_id}"
                        )));
                    }
                    find(b)?
                }
                _ => return Err(TransformError::Math("inputs must be [A, B]".into())),
            };
            let (b_id, b) = (b.id.clone(), b.spectrum);
            // A's samples inside B's span; B resampled onto them (its own recorded step).
            let (b_lo, b_hi) = b.x_range_nm();
            let keep: Vec<usize> = (0..input.len())
                .filter(|&i| input.x_nm()[i] >= b_lo && input.x_nm()[i] <= b_hi)
                .collect();
            if keep.len() < 2 {
                return Err(TransformError::Math(
                    "A and B overlap in fewer than 2 samples".into(),
                ));
            }
            let a_x: Vec<f64> = keep.iter().map(|&i| input.x_nm()[i]).collect();
            let a_id = input_id();
            let resample_step = Step::Resample(ResampleParams {
                method: ResampleMethod::Linear,
                grid: Grid::Match {
                    dataset_id: a_id.clone(),
                },
            });
            let mut rnotes = BTreeMap::new();
            let b_on_a = resample_spectrum(b, &a_x, ResampleMethod::Linear, &mut rnotes)?;
            records.push(record(
                &resample_step,
                vec![b_id.clone(), a_id],
                b_on_a.dataset_id(),
                rnotes,
            ));
            let eps = p.epsilon_y;
            if !(eps.is_finite() && eps >= 0.0) {
                return Err(TransformError::Math(
                    "epsilon_y must be a non-negative number".into(),
                ));
            }
            let mut y = Vec::with_capacity(keep.len());
            let mut mask = Vec::with_capacity(keep.len());
            let mut sigma = (input.sigma().is_some() || b_on_a.sigma().is_some()).then(Vec::new);
            for (k, &i) in keep.iter().enumerate() {
                let (ya, yb) = (input.y()[i], b_on_a.y()[k]);
                let sa = input.sigma().map_or(0.0, |s| s[i]);
                let sb = b_on_a.sigma().map_or(0.0, |s| s[k]);
                let masked_in = input.is_masked(i) || b_on_a.is_masked(k);
                let (v, s, m) = match p.op {
                    MathOpKind::AMinusB => (ya - yb, (sa * sa + sb * sb).sqrt(), masked_in),
                    MathOpKind::ADivB => {
                        if yb.abs() < eps || yb == 0.0 {
                            (0.0, 0.0, true)
                        } else {
                            let v = ya / yb;
                            let s = ((sa / yb).powi(2) + (ya * sb / (yb * yb)).powi(2)).sqrt();
                            (v, s, masked_in)
                        }
                    }
                };
                y.push(v);
                mask.push(m);
                if let Some(sv) = &mut sigma {
                    sv.push(s);
                }
            }
            if mask.iter().all(|&m| m) {
                return Err(TransformError::Math("every sample of the result is masked (B is zero or below epsilon_y everywhere)".into()));
            }
            parents.push(b_id);
            let mut s = input.derived(a_x, y, sigma)?;
            if p.op == MathOpKind::ADivB && input.y_unit != b.y_unit {
                s.y_unit = format!("({})/({})", input.y_unit, b.y_unit);
            }
            s.set_mask(Some(mask));
            s
        }
    };
    Ok(Computed {
        spectrum: out,
        record: PendingRecord {
            inner_records: records,
            other_parents: parents,
            notes,
        },
    })
}

fn record(
    step: &Step,
    parents: Vec<DatasetId>,
    output_id: DatasetId,
    notes: BTreeMap<String, serde_json::Value>,
) -> StepRecord {
    StepRecord {
        id: transform_id(step, &parents),
        kind: step.kind().to_string(),
        params: serde_json::from_str(&step.canonical_params()).expect("canonical JSON parses"),
        parent_ids: parents,
        output_id,
        code_version: step.code_version(),
        notes,
    }
}

/// Masks every sample within `radius` of a masked one.
fn dilate(mask: &[bool], radius: usize) -> Vec<bool> {
    let n = mask.len();
    let mut out = vec![false; n];
    for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
        let (a, b) = (i.saturating_sub(radius), (i + radius + 1).min(n));
        out[a..b].iter_mut().for_each(|v| *v = true);
    }
    out
}

fn resample_spectrum(
    input: &Spectrum,
    grid: &[f64],
    method: ResampleMethod,
    notes: &mut BTreeMap<String, serde_json::Value>,
) -> Result<Spectrum, TransformError> {
    let (y, sigma) = match method {
        ResampleMethod::Linear => resample::linear(input.x_nm(), input.y(), input.sigma(), grid)?,
        ResampleMethod::FluxConserving => {
            let (y, s) = resample::flux_conserving(input.x_nm(), input.y(), input.sigma(), grid)?;
            let rel = resample::flux_check(input.x_nm(), input.y(), grid, &y);
            notes.insert(
                "flux_conservation_relative_error".into(),
                serde_json::json!(rel),
            );
            (y, s)
        }
    };
    let mut s = input.derived(grid.to_vec(), y, sigma)?;
    if let Some(m) = input.mask() {
        // A resampled point is masked when any input sample it draws on is.
        let x = input.x_nm();
        let mask = grid
            .iter()
            .map(|&g| {
                let j = x.partition_point(|&v| v < g);
                let lo = j.saturating_sub(1);
                let hi = j.min(x.len() - 1);
                m[lo] || m[hi]
            })
            .collect();
        s.set_mask(Some(mask));
    }
    Ok(s)
}

fn uniform_grid(start: f64, stop: f64, step: f64) -> Result<Vec<f64>, TransformError> {
    if !(start.is_finite()
        && stop.is_finite()
        && step.is_finite()
        && step > 0.0
        && stop > start
        && start > 0.0)
    {
        return Err(TransformError::Grid(
            "need 0 < start_nm < stop_nm and step_nm > 0".into(),
        ));
    }
    let n = ((stop - start) / step).floor() as usize + 1;
    if n > 100_000_000 {
        return Err(TransformError::Grid(format!("{n} points is too many")));
    }
    Ok((0..n).map(|i| start + step * i as f64).collect())
}

fn log_uniform_grid(start: f64, stop: f64, n: usize) -> Result<Vec<f64>, TransformError> {
    if !(start.is_finite() && stop.is_finite() && start > 0.0 && stop > start && n >= 2) {
        return Err(TransformError::Grid(
            "need 0 < start_nm < stop_nm and n >= 2".into(),
        ));
    }
    if n > 100_000_000 {
        return Err(TransformError::Grid(format!("{n} points is too many")));
    }
    let (a, b) = (start.ln(), stop.ln());
    Ok((0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect())
}

/// Applies steps in order to `input`, collecting every record. Nothing is returned when
/// any step fails (all or nothing).
///
/// The records name every intermediate result by its Dataset ID, a serial sha256 pass
/// over its arrays. Those passes run on threads of their own while the next steps
/// compute (the steps' own passes use every core), and the records are made once all are
/// known: the same records, sooner. At most two run at a time, which bounds the
/// intermediate spectra kept alive for them.
pub fn apply_steps(
    steps: &[Step],
    input: &Spectrum,
    pool: &[Spectrum],
) -> Result<(Spectrum, Vec<StepRecord>), (usize, TransformError)> {
    let ids: Vec<DatasetId> = pool.iter().map(Spectrum::dataset_id).collect();
    let pool: Vec<Identified<'_>> = ids
        .iter()
        .zip(pool)
        .map(|(id, spectrum)| Identified { id, spectrum })
        .collect();
    std::thread::scope(|scope| {
        // Dataset ID d: 0 is the input's, k + 1 that of step k's result.
        let mut hashes = Hashes::new(scope);
        hashes.start(move || input.dataset_id());
        let mut current: Option<Arc<Spectrum>> = None;
        let mut pending = Vec::with_capacity(steps.len());
        for (k, step) in steps.iter().enumerate() {
            let from = current.as_deref().unwrap_or(input);
            let computed = compute(step, from, &mut || hashes.id(k), &pool).map_err(|e| (k, e))?;
            let out = Arc::new(computed.spectrum);
            let hashed = Arc::clone(&out);
            hashes.start(move || hashed.dataset_id());
            current = Some(out);
            pending.push(computed.record);
        }
        let mut records = Vec::new();
        for (k, (step, record)) in steps.iter().zip(pending).enumerate() {
            records.extend(record.finish(step, hashes.id(k), hashes.id(k + 1)));
        }
        let result = match current {
            // Every hashing thread has been joined, and has dropped its share.
            Some(out) => Arc::try_unwrap(out).unwrap_or_else(|out| (*out).clone()),
            None => input.clone(),
        };
        Ok((result, records))
    })
}

/// Dataset IDs hashed on scoped threads ([`apply_steps`]), joined when asked for.
struct Hashes<'scope, 'env> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    /// By dataset: the ID once known.
    ids: Vec<Option<DatasetId>>,
    /// By dataset: the thread computing the ID, until joined.
    running: Vec<Option<std::thread::ScopedJoinHandle<'scope, DatasetId>>>,
}

/// Hashing threads running at once in [`apply_steps`].
const HASHES_AT_ONCE: usize = 2;

impl<'scope, 'env> Hashes<'scope, 'env> {
    fn new(scope: &'scope std::thread::Scope<'scope, 'env>) -> Self {
        Self {
            scope,
            ids: Vec::new(),
            running: Vec::new(),
        }
    }

    /// Starts hashing the next dataset, first waiting for the oldest running hash when
    /// [`HASHES_AT_ONCE`] are.
    fn start(&mut self, hash: impl FnOnce() -> DatasetId + Send + 'scope) {
        if self.running.iter().flatten().count() >= HASHES_AT_ONCE
            && let Some(oldest) = self.running.iter().position(Option::is_some)
        {
            self.id(oldest);
        }
        self.running.push(Some(self.scope.spawn(hash)));
        self.ids.push(None);
    }

    /// Dataset ID `d`, waiting for its thread if it is still hashing.
    fn id(&mut self, d: usize) -> DatasetId {
        if let Some(handle) = self.running[d].take() {
            // A panic while hashing (none is expected) is re-raised here.
            let id = handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            self.ids[d] = Some(id);
        }
        self.ids[d]
            .clone()
            .expect("every started hash is joined before it is read")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum() -> Spectrum {
        let x: Vec<f64> = (0..400).map(|i| 600.0 + 0.25 * i as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| 1.0 + (-(v - 656.3f64).powi(2) / 0.5).exp())
            .collect();
        let mut s = Spectrum::new("t", x, y, Some(vec![0.01; 400])).unwrap();
        s.medium = Medium::Air;
        s
    }

    #[test]
    fn registry_is_sorted_and_covers_every_kind() {
        let kinds: Vec<&str> = REGISTRY.iter().map(|(k, _)| *k).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
        for json in [
            r#"{"kind":"airvac_convert","params":{"to":"vacuum"}}"#,
            r#"{"kind":"velocity_shift","params":{"rv_kms":10,"frame":"heliocentric"}}"#,
            r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","fwhm_nm":1.0}}"#,
            r#"{"kind":"resample","params":{"method":"linear","grid":{"uniform":{"start_nm":610,"stop_nm":690,"step_nm":0.5}}}}"#,
            r#"{"kind":"normalize","params":{"mode":"max"}}"#,
            r#"{"kind":"smooth","params":{"method":"sg","window":5,"poly":2}}"#,
            r#"{"kind":"mask_interval","params":{"x_nm_start":650,"x_nm_end":651,"reason":"cosmic ray"}}"#,
            r#"{"kind":"math_op","params":{"op":"A_minus_B"}}"#,
        ] {
            let step: Step = serde_json::from_str(json).unwrap();
            assert!(kinds.contains(&step.kind()));
        }
    }

    #[test]
    fn unknown_fields_and_missing_units_are_rejected() {
        for bad in [
            r#"{"kind":"velocity_shift","params":{"rv":10,"frame":"heliocentric"}}"#,
            r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","fwhm":1.0}}"#,
            r#"{"kind":"normalize","params":{"mode":"max","extra":1}}"#,
            r#"{"kind":"normalize","params":{"mode":"max"},"surprise":true}"#,
            r#"{"kind":"teleport","params":{}}"#,
        ] {
            assert!(serde_json::from_str::<Step>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_chain_records_ids_that_link() {
        let steps = parse_steps(
            r#"[{"kind":"airvac_convert","params":{"to":"vacuum"}},
                {"kind":"velocity_shift","params":{"rv_kms":-30,"frame":"heliocentric"}},
                {"kind":"lsf_convolve","params":{"kernel":"gaussian","fwhm_nm":1.0}},
                {"kind":"resample","params":{"method":"flux_conserving","grid":{"uniform":{"start_nm":610,"stop_nm":690,"step_nm":0.5}}}},
                {"kind":"normalize","params":{"mode":"max"}}]"#,
        )
        .unwrap();
        let input = spectrum();
        let (out, records) = apply_steps(&steps, &input, &[]).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0].parent_ids, vec![input.dataset_id()]);
        for w in records.windows(2) {
            assert_eq!(w[1].parent_ids[0], w[0].output_id);
        }
        assert_eq!(records[4].output_id, out.dataset_id());
        assert_eq!(out.medium, Medium::Vacuum);
        let flux = records[3].notes["flux_conservation_relative_error"]
            .as_f64()
            .unwrap();
        assert!(flux < 1e-4, "{flux}");
        // Deterministic: the same chain gives the same IDs.
        let (_, again) = apply_steps(&steps, &input, &[]).unwrap();
        assert_eq!(records, again);
    }

    /// `apply_steps` hashes intermediate results on threads while later steps compute;
    /// its records are exactly those of applying the steps one at a time, including
    /// math_op with named inputs (which reads its input's ID mid-step) and a match grid,
    /// and a failing step still names itself.
    #[test]
    fn pipelined_ids_give_the_records_of_one_step_at_a_time() {
        let input = spectrum();
        let b = {
            let x: Vec<f64> = (0..300).map(|i| 605.0 + 0.3 * i as f64).collect();
            let y: Vec<f64> = x.iter().map(|v| 2.0 + 0.001 * v).collect();
            Spectrum::new("b", x, y, Some(vec![0.02; 300])).unwrap()
        };
        let b_id = b.dataset_id();
        // A grid to match, inside the difference's span.
        let c = {
            let x: Vec<f64> = (0..100).map(|i| 620.0 + 0.5 * i as f64).collect();
            Spectrum::new("c", x, vec![1.0; 100], None).unwrap()
        };
        // The ID math_op names as A is the input's after the first two steps.
        let first_two = parse_steps(
            r#"[{"kind":"airvac_convert","params":{"to":"vacuum"}},
                {"kind":"smooth","params":{"method":"sg","window":5,"poly":2}}]"#,
        )
        .unwrap();
        let (a, _) = apply_steps(&first_two, &input, &[]).unwrap();
        let steps = parse_steps(&format!(
            r#"[{{"kind":"airvac_convert","params":{{"to":"vacuum"}}}},
                {{"kind":"smooth","params":{{"method":"sg","window":5,"poly":2}}}},
                {{"kind":"math_op","params":{{"op":"A_minus_B","inputs":["{}","{}"]}}}},
                {{"kind":"resample","params":{{"method":"linear","grid":{{"match":{{"dataset_id":"{}"}}}}}}}},
                {{"kind":"normalize","params":{{"mode":"max"}}}}]"#,
            a.dataset_id(),
            b_id,
            c.dataset_id()
        ))
        .unwrap();
        let pool = [b, c];
        let (out, records) = apply_steps(&steps, &input, &pool).unwrap();
        let mut one_by_one = Vec::new();
        let mut current = input.clone();
        for step in &steps {
            let applied = apply_step(step, &current, &pool).unwrap();
            one_by_one.extend(applied.records);
            current = applied.spectrum;
        }
        assert_eq!(records, one_by_one);
        assert_eq!(records.len(), 6, "math_op records B's resampling too");
        assert_eq!(out.x_nm(), current.x_nm());
        assert_eq!(out.y(), current.y());
        // A step that fails after others have started hashing: nothing, and its index.
        let mut failing = steps.clone();
        failing.push(
            parse_steps(r#"[{"kind":"airvac_convert","params":{"to":"vacuum"}}]"#)
                .unwrap()
                .remove(0),
        );
        assert!(matches!(
            apply_steps(&failing, &input, &pool),
            Err((5, TransformError::AlreadyInMedium("vacuum")))
        ));
    }

    #[test]
    fn a_computed_barycentric_correction_is_applied_and_recorded() {
        let input = spectrum();
        let step: Step = serde_json::from_str(
            r#"{"kind":"velocity_shift","params":{"rv_kms":0,"frame":"barycentric","correction":{
                "kind":"barycentric","utc":"2016-02-20T09:52:10.233131","ra_deg":134.5624583,
                "dec_deg":19.7650278,"site":{"lon_deg":-155.471999,"lat_deg":19.826218,"height_m":4168}}}}"#,
        )
        .unwrap();
        let out = apply_step(&step, &input, &[]).unwrap();
        let v = out.records[0].notes[RV_CORRECTION_NOTE].as_f64().unwrap();
        assert!((v - -9786.83).abs() < 0.1, "{v}");
        let f = out.records[0].notes["one_plus_z"].as_f64().unwrap();
        assert!((out.spectrum.x_nm()[0] - input.x_nm()[0] * f).abs() < 1e-9);
        let wrong: Step = serde_json::from_str(
            r#"{"kind":"velocity_shift","params":{"rv_kms":0,"frame":"heliocentric","correction":{
                "kind":"barycentric","utc":"2016-02-20T09:52:10","ra_deg":1,"dec_deg":2,
                "site":{"lon_deg":0,"lat_deg":0,"height_m":0}}}}"#,
        )
        .unwrap();
        assert!(matches!(
            apply_step(&wrong, &input, &[]),
            Err(TransformError::CorrectionFrame(_))
        ));
        let unknown = r#"{"kind":"velocity_shift","params":{"rv_kms":0,"frame":"heliocentric","correction":{
                "kind":"heliocentric","utc":"2016-02-20T09:52:10","ra_deg":1,"dec_deg":2,"epoch":2000,
                "site":{"lon_deg":0,"lat_deg":0,"height_m":0}}}}"#;
        assert!(serde_json::from_str::<Step>(unknown).is_err());
    }

    #[test]
    fn bad_steps_fail_cleanly() {
        let input = spectrum();
        let fail =
            |json: &str| apply_step(&serde_json::from_str(json).unwrap(), &input, &[]).unwrap_err();
        assert!(matches!(
            fail(r#"{"kind":"smooth","params":{"method":"sg","window":1001,"poly":2}}"#),
            TransformError::Smooth(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"smooth","params":{"method":"sg","window":6,"poly":2}}"#),
            TransformError::Smooth(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"smooth","params":{"method":"sg","window":5,"poly":5}}"#),
            TransformError::Smooth(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","fwhm_nm":-1}}"#),
            TransformError::Lsf(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","resolving_power":0}}"#),
            TransformError::Lsf(_)
        ));
        assert!(matches!(
            fail(
                r#"{"kind":"resample","params":{"method":"linear","grid":{"uniform":{"start_nm":1000,"stop_nm":1100,"step_nm":1}}}}"#
            ),
            TransformError::Resample(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"velocity_shift","params":{"rv_kms":300000,"frame":"barycentric"}}"#),
            TransformError::Velocity(_)
        ));
        assert!(matches!(
            fail(
                r#"{"kind":"mask_interval","params":{"x_nm_start":0,"x_nm_end":1e6,"reason":"all"}}"#
            ),
            TransformError::Mask(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"airvac_convert","params":{"to":"air"}}"#),
            TransformError::AlreadyInMedium(_)
        ));
        assert!(matches!(
            fail(r#"{"kind":"math_op","params":{"op":"A_div_B"}}"#),
            TransformError::Math(_)
        ));
    }

    #[test]
    fn masks_exclude_points_from_normalization_and_division_by_zero_is_masked() {
        let input = spectrum();
        let masked = apply_step(&serde_json::from_str(r#"{"kind":"mask_interval","params":{"x_nm_start":655,"x_nm_end":658,"reason":"line"}}"#).unwrap(), &input, &[]).unwrap().spectrum;
        let norm = apply_step(
            &serde_json::from_str(r#"{"kind":"normalize","params":{"mode":"max"}}"#).unwrap(),
            &masked,
            &[],
        )
        .unwrap();
        // The line peak (2.0) is masked, so the continuum (1.0) is the max.
        let divisor = norm.records[0].notes["divisor"].as_f64().unwrap();
        assert!((1.0..1.01).contains(&divisor), "{divisor}");
        let mut zero = Spectrum::new("z", input.x_nm().to_vec(), vec![0.0; 400], None).unwrap();
        zero.y_unit = input.y_unit.clone();
        let div: Step = serde_json::from_str(
            r#"{"kind":"math_op","params":{"op":"A_div_B","epsilon_y":1e-9}}"#,
        )
        .unwrap();
        assert!(matches!(
            apply_step(&div, &input, &[zero]),
            Err(TransformError::Math(_))
        ));
        let half = Spectrum::new(
            "h",
            input.x_nm().to_vec(),
            input
                .x_nm()
                .iter()
                .map(|&x| if x < 650.0 { 0.0 } else { 2.0 })
                .collect(),
            None,
        )
        .unwrap();
        let out = apply_step(&div, &input, &[half]).unwrap();
        assert_eq!(out.records.len(), 2, "B's resampling is recorded");
        assert_eq!(out.records[0].kind, "resample");
        let m = out.spectrum.mask().unwrap();
        assert!(m[0] && !m[399]);
    }
}
