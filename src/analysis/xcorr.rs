//! Cross-correlation radial velocities and redshifts (Tonry & Davis 1979; IRAF fxcor;
//! MARZ, Hinton et al. 2016).
//!
//! Both spectra go onto one grid uniform in ln λ, so that a Doppler shift is a shift of
//! index: a lag of k pixels is κ = k·Δ = ln(1 + z). On that grid each spectrum has its
//! continuum removed (medians of blocks of [`RvRequest::continuum_px`] native pixels, linearly
//! interpolated between block centres, subtracted and divided by the median continuum),
//! masked samples and telluric bands set to zero, the spectrum weighted by σ⁻² (σ
//! normalised to its median and smoothed; no weights without σ), and the spectrum's ends
//! cosine-tapered (apodized) over [`RvRequest::apodize_fraction`] of its span: the taper
//! is a weight, so the template, the model, is left untapered. The correlation
//! c(k) = Σᵢ s(i)·t(i − k) runs by FFT (overlap-save, several blocks per batched
//! transform) over the lags the grid needs plus a margin for the peak fit.
//!
//! The best peak is refined by a parabola through its three highest samples and by a
//! Gaussian fitted to the samples above half its height; the Gaussian's centre is the
//! answer when it converges. Its uncertainty is first-order propagation of the spectrum's
//! σ through the whole chain (interpolation, continuum scale, weights, taper) into the
//! peak position: σ_κ = √(Σⱼ σⱼ² gⱼ²) / |c''(κ̂)|, with gⱼ = ∂c'(κ̂)/∂yⱼ and c'' the
//! fitted curvature, scaled by √χ² when the residuals to the scaled, shifted template
//! exceed σ (template mismatch; the Birge ratio). Without σ, σ is estimated from the MAD
//! of those residuals, and a warning says so. The Tonry–Davis r = h/(√2 σₐ) (σₐ:
//! the rms of the correlation's antisymmetric part about the peak) and their error
//! (3/8)·FWHM/(1 + r) are reported beside it. A quality class comes from MARZ's figure of
//! merit on the two highest peaks.
//!
//! Velocities are cz: rv = c·z with 1 + z = exp(κ).

use crate::analysis::robust::{continuum_every, median};
use crate::spectrum::{Medium, Spectrum};
use crate::transforms::fft::{ELEMENT, LANES, Plan};
use crate::transforms::velocity::C_KMS;
use serde::{Deserialize, Serialize};

/// The grid the correlation is scanned and reported on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grid {
    /// Radial velocities (stars): from `v_min_kms` to `v_max_kms` by `v_step_kms`.
    Velocity {
        v_min_kms: f64,
        v_max_kms: f64,
        v_step_kms: f64,
    },
    /// Redshifts (galaxies, QSOs): from `z_min` to `z_max`; by `z_step`, or by one pixel
    /// of the working grid when `None`.
    Redshift {
        z_min: f64,
        z_max: f64,
        z_step: Option<f64>,
    },
}

impl Grid {
    /// Stars: −500…+500 km/s by 0.5 km/s.
    pub const STAR: Grid = Grid::Velocity {
        v_min_kms: -500.0,
        v_max_kms: 500.0,
        v_step_kms: 0.5,
    };
    /// Galaxies: z 0…1.5.
    pub const GALAXY: Grid = Grid::Redshift {
        z_min: 0.0,
        z_max: 1.5,
        z_step: None,
    };
    /// With a QSO template: z 0…5.
    pub const QSO: Grid = Grid::Redshift {
        z_min: 0.0,
        z_max: 5.0,
        z_step: None,
    };

    /// The grid's ends as κ = ln(1 + z).
    fn kappa_range(&self) -> (f64, f64) {
        match *self {
            Grid::Velocity {
                v_min_kms,
                v_max_kms,
                ..
            } => (kappa_of_rv(v_min_kms), kappa_of_rv(v_max_kms)),
            Grid::Redshift { z_min, z_max, .. } => ((1.0 + z_min).ln(), (1.0 + z_max).ln()),
        }
    }
}

/// κ = ln(1 + z) of a cz velocity.
pub fn kappa_of_rv(rv_kms: f64) -> f64 {
    (rv_kms / C_KMS).ln_1p()
}

/// The cz velocity of κ = ln(1 + z).
pub fn rv_of_kappa(kappa: f64) -> f64 {
    C_KMS * kappa.exp_m1()
}

/// Which telluric bands are zeroed before correlating.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelluricMask {
    None,
    /// The bands `assets/linelists/telluric.csv` marks strong (O₂ A and B, the NIR H₂O).
    #[default]
    Strong,
    All,
}

/// What to correlate and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RvRequest {
    pub grid: Grid,
    pub telluric: TelluricMask,
    /// Fraction of each array's span tapered by a cosine bell at each end (0…0.5).
    pub apodize_fraction: f64,
    /// Running-median window of the continuum, in the spectrum's own (native) pixels (≥ 3).
    pub continuum_px: usize,
}

impl Default for RvRequest {
    fn default() -> Self {
        Self {
            grid: Grid::STAR,
            telluric: TelluricMask::Strong,
            apodize_fraction: 0.05,
            continuum_px: 101,
        }
    }
}

/// A local maximum of the correlation on the scanned grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peak {
    /// Parabola-refined position.
    pub rv_kms: f64,
    pub z: f64,
    /// Normalised correlation (−1…1).
    pub height: f64,
    /// Height in units of the correlation's rms over the grid (MARZ's peak value).
    pub height_over_rms: f64,
}

/// The Gaussian fitted to the best peak.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GaussianPeak {
    pub rv_kms: f64,
    pub z: f64,
    pub height: f64,
    /// FWHM of the correlation peak, km/s.
    pub fwhm_kms: f64,
}

/// Tonry & Davis (1979).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TonryDavis {
    /// r = h / (√2 σₐ).
    pub r: f64,
    /// rms of the antisymmetric part of the correlation about the peak.
    pub sigma_a: f64,
    /// (3/8)·FWHM/(1 + r), km/s.
    pub sigma_kms: f64,
}

/// MARZ's figure of merit and the class it maps to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// (v₁ − 2.5)^0.75 · v₁/v₂, with v the two highest peaks in rms units (0 when
    /// v₁ ≤ 2.5; v₂ = 1 when there is no second peak).
    pub figure_of_merit: f64,
    /// 4 reliable (FOM > 8.5), 3 probable (> 4.5), 2 possible (> 3), 1 unreliable.
    pub class: u8,
    pub label: &'static str,
}

/// The correlation as drawn: grid values (km/s for a velocity grid, z for a redshift
/// grid) and normalised heights.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ccf {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// The answer of [`cross_correlate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RvResult {
    /// cz of the refined best peak, km/s.
    pub rv_kms: f64,
    /// Its 1σ uncertainty, km/s (propagated from σ; see the module docs).
    pub rv_sigma_kms: f64,
    pub z: f64,
    pub z_sigma: f64,
    /// `gaussian` when the Gaussian fit gave the answer, else `parabola`.
    pub method: &'static str,
    pub parabola: Peak,
    pub gaussian: Option<GaussianPeak>,
    pub tonry_davis: TonryDavis,
    pub quality: Quality,
    /// Up to five peaks, highest first (ties: the lower lag first).
    pub peaks: Vec<Peak>,
    /// Working grid pixel, km/s.
    pub pixel_kms: f64,
    /// The spectrum's own median pixel, km/s.
    pub native_pixel_kms: f64,
    /// Unmasked spectrum pixels the template covers at the best peak.
    pub overlap_px: usize,
    /// `file` when σ came with the spectrum, `estimated` when it was estimated.
    pub sigma_source: &'static str,
    /// Reduced χ² of the spectrum against the scaled, shifted template (with σ only).
    pub chi2_reduced: Option<f64>,
    /// Factor the propagated σ was multiplied by: √χ² when χ² > 1, else 1.
    pub sigma_scale: f64,
    /// Air ↔ vacuum conversion applied to the template, if any.
    pub template_conversion: Option<String>,
    pub warnings: Vec<String>,
    pub ccf: Ccf,
}

/// Why no velocity could be measured.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RvError {
    #[error("grid: {0}")]
    BadGrid(String),
    #[error(
        "a redshift scan cannot start below z = 0 (asked z = {0}); use --v-min/--v-max for blueshifts"
    )]
    NegativeRedshift(f64),
    #[error(
        "the grid step {step_kms:.4} km/s is finer than the data can resolve (pixels of {pixel_kms:.2} km/s; a step below 1/10 000 of a pixel carries no information)"
    )]
    StepTooFine { step_kms: f64, pixel_kms: f64 },
    #[error(
        "the grid spans {span_px:.2} pixels of the data ({pixel_kms:.2} km/s each); a correlation peak needs at least 3: widen the grid"
    )]
    SpanTooNarrow { span_px: f64, pixel_kms: f64 },
    #[error("{0} has fewer than 8 points")]
    TooShort(&'static str),
    #[error("every sample of the {0} is masked (or in a masked telluric band)")]
    AllMasked(&'static str),
    #[error(
        "the template ({t_lo:.2}–{t_hi:.2} nm at rest) does not overlap the spectrum ({s_lo:.2}–{s_hi:.2} nm) anywhere on the grid"
    )]
    NoOverlap {
        t_lo: f64,
        t_hi: f64,
        s_lo: f64,
        s_hi: f64,
    },
    #[error("the correlation has no peak inside the grid (it rises towards an edge)")]
    NoPeak,
    #[error("the template is flat after continuum removal: nothing to correlate")]
    FlatTemplate,
    #[error("template medium: {0}")]
    Medium(String),
}

/// Working pixels per native pixel at most.
const MAX_OVERSAMPLING: f64 = 16.0;

/// The median pixel of an axis as a velocity, km/s.
pub fn native_pixel_kms(x_nm: &[f64]) -> f64 {
    native_step(x_nm) * C_KMS
}

/// Median pixel of an axis in ln λ.
fn native_step(x_nm: &[f64]) -> f64 {
    // The median of at most 4097 evenly spaced pixels: the same answer for any sensible
    // axis, without a median over every pixel of a long one.
    let n = x_nm.len().saturating_sub(1);
    let stride = n.div_ceil(4097).max(1);
    let mut d: Vec<f64> = (0..n)
        .step_by(stride)
        .map(|i| (x_nm[i + 1] / x_nm[i]).ln())
        .collect();
    median(&mut d)
}

/// Wavelengths converted from one medium to another, point by point; points below the
/// air limit stay as they are (ultraviolet wavelengths are quoted in vacuum).
fn convert_medium(x_nm: &[f64], from: Medium, to: Medium) -> Result<Vec<f64>, RvError> {
    use crate::transforms::airvac::{
        AirFormula, AirVacError, air_from_vacuum_nm, vacuum_from_air_nm,
    };
    x_nm.iter()
        .map(|&x| {
            let r = match (from, to) {
                (Medium::Vacuum, Medium::Air) => air_from_vacuum_nm(AirFormula::Morton2000, x),
                _ => vacuum_from_air_nm(AirFormula::Morton2000, x),
            };
            match r {
                Ok(v) => Ok(v),
                Err(AirVacError::BelowAirLimit(_)) => Ok(x),
                Err(e) => Err(RvError::Medium(e.to_string())),
            }
        })
        .collect()
}

/// One array on the working grid: values, usable flags and, for the spectrum, how each
/// working sample was interpolated from the native ones.
struct Working {
    /// Grid index of element 0 (u = u₀ + index·Δ).
    offset: i64,
    y: Vec<f64>,
    /// Usable for the correlation: not masked, not in a masked telluric band.
    valid: Vec<bool>,
    /// Usable for the continuum: not masked (telluric bands count, so that the spectrum's
    /// continuum is estimated as the template's is).
    unmasked: Vec<bool>,
    /// Native index j and weight f: y = (1 − f)·y_j + f·y_{j+1}.
    interp: Vec<(u32, f64)>,
}

/// Samples `x_nm`/`y` at u₀ + iΔ for every grid index inside the data (linear in ln λ).
/// Masked native samples, and telluric bands when given, make their neighbours invalid.
fn to_grid(
    x_nm: &[f64],
    y: &[f64],
    mask: Option<&[bool]>,
    u0: f64,
    step: f64,
    bands: &[(f64, f64)],
) -> Working {
    let lo = x_nm[0].ln();
    let hi = x_nm[x_nm.len() - 1].ln();
    let first = ((lo - u0) / step).ceil() as i64;
    let last = ((hi - u0) / step).floor() as i64;
    let n = (last - first + 1).max(0) as usize;
    let mut out = Working {
        offset: first,
        y: Vec::with_capacity(n),
        valid: Vec::with_capacity(n),
        unmasked: Vec::with_capacity(n),
        interp: Vec::with_capacity(n),
    };
    // Grid wavelengths by multiplication (exp re-evaluated every 256 samples, so the
    // rounding does not accumulate), and interpolation linear in λ between the native
    // samples: no logarithm per sample. Linear interpolation commutes with scaling λ, so
    // a Doppler-shifted copy of a spectrum still samples to exactly the shifted values.
    let ratio = step.exp();
    let mut lam = 0.0;
    let mut j = 0usize;
    for i in 0..n {
        let k = first + i as i64;
        lam = if i % 256 == 0 {
            (u0 + k as f64 * step).exp()
        } else {
            lam * ratio
        };
        while j + 2 < x_nm.len() && x_nm[j + 1] <= lam {
            j += 1;
        }
        let (x0, x1) = (x_nm[j], x_nm[j + 1]);
        let f = ((lam - x0) / (x1 - x0)).clamp(0.0, 1.0);
        out.y.push((1.0 - f) * y[j] + f * y[j + 1]);
        let masked = mask.is_some_and(|m| m[j] || m[j + 1]);
        let telluric = bands.iter().any(|&(a, b)| lam >= a && lam <= b);
        out.valid.push(!masked && !telluric);
        out.unmasked.push(!masked);
        out.interp.push((j as u32, f));
    }
    out
}

/// The spectrum prepared for correlating: on the working grid, continuum removed,
/// weighted and tapered.
struct SpectrumSide {
    s: Working,
    s_scale: f64,
    s_res: Vec<f64>,
    sigma_work: Option<Vec<f64>>,
    weights: Vec<f64>,
    a: Vec<f64>,
    w_all: Vec<f64>,
}

/// The template prepared: on the working grid, continuum removed (`t_res`), squared.
struct TemplateSide {
    t: Working,
    t_res: Vec<f64>,
    b2: Vec<f64>,
}

/// The continuum-removed working samples of one spectrum and the continuum's level: the
/// running median over `window` of its own unmasked native samples (knots every half
/// window: the continuum is smooth on the window's scale), interpolated like the data;
/// residuals (y − continuum) / level on valid samples, 0 elsewhere.
fn continuum_residuals(
    w: &Working,
    native_y: &[f64],
    native_unmasked: &[bool],
    window: usize,
    who: &'static str,
) -> Result<(Vec<f64>, f64), RvError> {
    let cont = continuum_every(native_y, native_unmasked, window, window / 2)
        .map(|c| on_grid(&c, &w.interp))
        .ok_or(RvError::AllMasked(who))?;
    // The level is a median of at most ~4096 evenly spaced samples: a level, not a
    // statistic that needs every sample.
    let stride = cont.len().div_ceil(4096).max(1);
    let mut v: Vec<f64> = (0..cont.len())
        .step_by(stride)
        .filter(|&i| w.valid[i])
        .map(|i| cont[i].abs())
        .collect();
    let m = median(&mut v);
    let scale = if m > 0.0 && m.is_finite() { m } else { 1.0 };
    let res = (0..w.y.len())
        .map(|i| {
            if w.valid[i] {
                (w.y[i] - cont[i]) / scale
            } else {
                0.0
            }
        })
        .collect();
    Ok((res, scale))
}

/// Values given per native sample, linearly interpolated onto the working grid.
fn on_grid(native: &[f64], interp: &[(u32, f64)]) -> Vec<f64> {
    interp
        .iter()
        .map(|&(j, f)| {
            let j = j as usize;
            (1.0 - f) * native[j] + f * native[j + 1]
        })
        .collect()
}

/// Cosine-bell taper over `fraction` of the span between the first and last valid sample.
fn apodization(valid: &[bool], fraction: f64) -> Vec<f64> {
    let mut a = vec![0.0; valid.len()];
    let (Some(first), Some(last)) = (
        valid.iter().position(|&v| v),
        valid.iter().rposition(|&v| v),
    ) else {
        return a;
    };
    let span = (last - first) as f64;
    let taper = (fraction * span).max(0.0);
    for (i, ai) in a.iter_mut().enumerate().take(last + 1).skip(first) {
        let d = ((i - first) as f64).min((last - i) as f64);
        *ai = if taper <= 0.0 || d >= taper {
            1.0
        } else {
            0.5 * (1.0 - (std::f64::consts::PI * d / taper).cos())
        };
    }
    a
}

/// c[k] = Σᵢ a[i]·b[i − k − b_offset] for k in `k_lo..=k_hi` (b is zero outside its
/// indices), by overlap-save FFTs. See [`correlate_pairs`].
#[cfg(test)]
fn correlate(a: &[f64], b: &[f64], b_offset: i64, k_lo: i64, k_hi: i64) -> Vec<f64> {
    correlate_pairs(&[(a, b)], b_offset, k_lo, k_hi)
        .pop()
        .expect("one pair")
}

/// [`correlate`] for several pairs (aₚ, bₚ) of the same lengths at once, sharing one
/// plan and its buffers: every block of every pair is one lane of a batched transform
/// (the block of aₚ in the real part, its chunk of bₚ in the imaginary part), and the
/// inverse transforms take two products each (one real, one imaginary).
pub(crate) fn correlate_pairs(
    pairs: &[(&[f64], &[f64])],
    b_offset: i64,
    k_lo: i64,
    k_hi: i64,
) -> Vec<Vec<f64>> {
    let lags = (k_hi - k_lo + 1) as usize;
    let mut outs = vec![vec![0.0; lags]; pairs.len()];
    let Some(&(a0, b0)) = pairs.first() else {
        return outs;
    };
    if a0.is_empty() || b0.is_empty() {
        return outs;
    }
    let (na, nb) = (a0.len(), b0.len());
    debug_assert!(pairs.iter().all(|(a, b)| a.len() == na && b.len() == nb));
    // Choose the transform size: blocks of S = N − lags + 1 samples.
    let mut best: Option<(f64, usize)> = None;
    let mut n = 16usize;
    while n <= 1 << 22 {
        if n > lags {
            let s = n - lags + 1;
            let jobs = na.div_ceil(s) * pairs.len();
            let batches = jobs.div_ceil(LANES) + jobs.div_ceil(2 * LANES);
            let cost = batches as f64 * n as f64 * (n as f64).log2();
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, n));
            }
        }
        n *= 4;
    }
    let n = best.expect("a size fits").1;
    let s = n - lags + 1;
    let blocks = na.div_ceil(s);
    // Jobs: (pair, block), pair-major.
    let jobs: Vec<(usize, usize)> = (0..pairs.len())
        .flat_map(|p| (0..blocks).map(move |k| (p, k)))
        .collect();
    let plan = Plan::new(n);
    let mut data = plan.batch();
    let mut scratch = plan.batch();
    let mut inverse = plan.batch();
    let half = 0.5;
    let scale = 1.0 / n as f64;
    for group in jobs.chunks(2 * LANES) {
        inverse.fill(0.0);
        for (pass, lanes) in group.chunks(LANES).enumerate() {
            data.fill(0.0);
            for (lane, &(p, block)) in lanes.iter().enumerate() {
                let (a, b) = pairs[p];
                let i0 = block * s;
                let len = s.min(na - i0);
                for (m, &v) in a[i0..i0 + len].iter().enumerate() {
                    data[m * ELEMENT + lane] = v;
                }
                // The chunk of b: global indices g0…g0+n−1, b[j] at g = j + b_offset.
                let g0 = i0 as i64 - k_hi;
                let j_lo = (g0 - b_offset).max(0);
                let j_hi = (g0 - b_offset + n as i64).min(nb as i64);
                for j in j_lo..j_hi {
                    let q = (j + b_offset - g0) as usize;
                    data[q * ELEMENT + LANES + lane] = b[j as usize];
                }
            }
            plan.forward(&mut data, &mut scratch);
            for lane in 0..lanes.len() {
                let slot = pass * LANES + lane; // job index within the group
                let (dst, re_part) = (slot / 2, slot.is_multiple_of(2));
                for f in 0..n {
                    let g = (n - f) % n;
                    let (zr, zi) = (data[f * ELEMENT + lane], data[f * ELEMENT + LANES + lane]);
                    let (wr, wi) = (data[g * ELEMENT + lane], data[g * ELEMENT + LANES + lane]);
                    let (ar, ai) = (half * (zr + wr), half * (zi - wi));
                    let (br, bi) = (half * (zi + wi), -half * (zr - wr));
                    let pr = ar * br + ai * bi;
                    let pi = ar * bi - ai * br;
                    // Q = P_even + i·P_odd, stored conjugated for the inverse by forward.
                    let (qr, qi) = if re_part { (pr, pi) } else { (-pi, pr) };
                    inverse[f * ELEMENT + dst] += qr;
                    inverse[f * ELEMENT + LANES + dst] -= qi;
                }
            }
        }
        plan.forward(&mut inverse, &mut scratch);
        for (slot, &(p, _)) in group.iter().enumerate() {
            let (src, re_part) = (slot / 2, slot.is_multiple_of(2));
            let out = &mut outs[p];
            for (d, o) in out.iter_mut().rev().enumerate() {
                // ifft(Q) = conj(fft(conj Q))/N: real part → even job, −imag → odd.
                let v = if re_part {
                    inverse[d * ELEMENT + src]
                } else {
                    -inverse[d * ELEMENT + LANES + src]
                };
                *o += v * scale;
            }
        }
    }
    outs
}

/// Catmull–Rom interpolation of samples `c` (at integer positions) at `q`.
fn cubic_at(c: &[f64], q: f64) -> f64 {
    let last = c.len() as i64 - 1;
    let i = (q.floor() as i64).clamp(0, last);
    let t = q - i as f64;
    let at = |k: i64| c[k.clamp(0, last) as usize];
    let (p0, p1, p2, p3) = (at(i - 1), at(i), at(i + 1), at(i + 2));
    p1 + 0.5
        * t
        * (p2 - p0 + t * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3 + t * (3.0 * (p1 - p2) + p3 - p0)))
}

/// Cross-correlates `spectrum` against a rest-frame `template`.
pub fn cross_correlate(
    spectrum: &Spectrum,
    template: &Spectrum,
    req: &RvRequest,
) -> Result<RvResult, RvError> {
    let mut warnings = Vec::new();
    // --- the grid -------------------------------------------------------------------
    let (step_kappa, z_grid_step) = match req.grid {
        Grid::Velocity {
            v_min_kms,
            v_max_kms,
            v_step_kms,
        } => {
            if !(v_min_kms.is_finite() && v_max_kms.is_finite() && v_step_kms.is_finite()) {
                return Err(RvError::BadGrid("values must be finite".into()));
            }
            if v_min_kms >= v_max_kms || v_step_kms <= 0.0 {
                return Err(RvError::BadGrid(format!(
                    "need v-min < v-max and a positive step (got {v_min_kms}…{v_max_kms} by {v_step_kms} km/s)"
                )));
            }
            if v_min_kms <= -C_KMS {
                return Err(RvError::BadGrid("v-min must be above −c".into()));
            }
            if (v_max_kms - v_min_kms) / v_step_kms > 1e7 {
                return Err(RvError::BadGrid("more than 10⁷ grid points".into()));
            }
            (v_step_kms / C_KMS, None)
        }
        Grid::Redshift {
            z_min,
            z_max,
            z_step,
        } => {
            if !(z_min.is_finite() && z_max.is_finite() && z_step.is_none_or(f64::is_finite)) {
                return Err(RvError::BadGrid("values must be finite".into()));
            }
            if z_min < 0.0 {
                return Err(RvError::NegativeRedshift(z_min));
            }
            if z_min >= z_max || z_step.is_some_and(|s| s <= 0.0) {
                return Err(RvError::BadGrid(format!(
                    "need z-min < z-max and a positive step (got {z_min}…{z_max})"
                )));
            }
            if z_step.is_some_and(|s| (z_max - z_min) / s > 1e7) {
                return Err(RvError::BadGrid("more than 10⁷ grid points".into()));
            }
            (z_step.map_or(0.0, |s| s / (1.0 + z_min)), z_step)
        }
    };
    if spectrum.len() < 8 {
        return Err(RvError::TooShort("spectrum"));
    }
    if template.len() < 8 {
        return Err(RvError::TooShort("template"));
    }
    let native = native_step(spectrum.x_nm());
    let pixel_native_kms = native * C_KMS;
    let (k_min, k_max) = req.grid.kappa_range();
    if step_kappa > 0.0 && step_kappa < native / 10_000.0 {
        return Err(RvError::StepTooFine {
            step_kms: step_kappa * C_KMS,
            pixel_kms: pixel_native_kms,
        });
    }
    if (k_max - k_min) < 3.0 * native {
        return Err(RvError::SpanTooNarrow {
            span_px: (k_max - k_min) / native,
            pixel_kms: pixel_native_kms,
        });
    }
    // Working step: the grid step, but no coarser than the data's pixel and no finer than
    // 1/MAX_OVERSAMPLING of it (finer adds nothing the peak fit and the interpolation of
    // the correlation do not).
    let step = if step_kappa > 0.0 {
        step_kappa.clamp(native / MAX_OVERSAMPLING, native)
    } else {
        native
    };

    // --- the template in the spectrum's medium --------------------------------------
    let mut template_conversion = None;
    let t_x: Vec<f64> = if template.medium != spectrum.medium
        && template.medium != Medium::Unknown
        && spectrum.medium != Medium::Unknown
    {
        template_conversion = Some(format!(
            "template {}→{} (Morton 2000)",
            template.medium.as_str(),
            spectrum.medium.as_str()
        ));
        convert_medium(template.x_nm(), template.medium, spectrum.medium)?
    } else {
        if template.medium != spectrum.medium {
            warnings.push(format!(
                "medium unknown ({} spectrum, {} template): no air/vacuum conversion; up to ≈ 80 km/s may be at stake in the optical",
                spectrum.medium.as_str(),
                template.medium.as_str()
            ));
        }
        template.x_nm().to_vec()
    };

    // --- both on the working grid ---------------------------------------------------
    let bands: Vec<(f64, f64)> = match req.telluric {
        TelluricMask::None => Vec::new(),
        mode => crate::analysis::linelist::telluric_bands()
            .into_iter()
            .filter(|b| mode == TelluricMask::All || b.strong)
            .map(|b| (b.lo_nm, b.hi_nm))
            .collect(),
    };
    let u0 = spectrum.x_nm()[0].ln();
    let window = req.continuum_px.max(3);
    let unmasked_native = |m: Option<&[bool]>, n: usize| -> Vec<bool> {
        m.map_or_else(|| vec![true; n], |m| m.iter().map(|v| !v).collect())
    };
    // The continuum is found on each spectrum's own samples (the window counted in the
    // spectrum's pixels, the template's scaled to the same width in ln λ) and then
    // interpolated like the data: a shifted copy of a spectrum has the same samples, so
    // it gets exactly the shifted continuum whatever the phase of the working grid.
    // The spectrum and the template are prepared independently (on two threads for long
    // arrays; the arithmetic is the same either way).
    let spectrum_side = || -> Result<SpectrumSide, RvError> {
        let s = to_grid(
            spectrum.x_nm(),
            spectrum.y(),
            spectrum.mask(),
            u0,
            step,
            &bands,
        );
        if s.y.len() < 8 {
            return Err(RvError::TooShort("spectrum"));
        }
        if !s.valid.iter().any(|&v| v) {
            return Err(RvError::AllMasked("spectrum"));
        }
        let s_unmasked = unmasked_native(spectrum.mask(), spectrum.len());
        let (s_res, s_scale) =
            continuum_residuals(&s, spectrum.y(), &s_unmasked, window, "spectrum")?;
        // σ of each working sample, in flux units, from the interpolation weights.
        let sigma = spectrum.sigma();
        let sigma_work: Option<Vec<f64>> = sigma.map(|sig: &[f64]| {
            s.interp
                .iter()
                .map(|&(j, f)| {
                    let j = j as usize;
                    ((1.0 - f).powi(2) * sig[j].powi(2) + f.powi(2) * sig[j + 1].powi(2)).sqrt()
                })
                .collect()
        });
        let weights: Vec<f64> = match &sigma_work {
            Some(sw) => {
                let stride = sw.len().div_ceil(4096).max(1);
                let mut pos: Vec<f64> = (0..sw.len())
                    .step_by(stride)
                    .filter(|&i| s.valid[i] && sw[i] > 0.0)
                    .map(|i| sw[i])
                    .collect();
                let med = median(&mut pos);
                // Weights follow σ's smooth level (a running median, as for the
                // continuum), not its sample-to-sample shape: σ that dips in line cores
                // (photon noise) would otherwise weigh the cores, where resampling
                // changes a line's shape most, and pull the peak. The error propagation
                // below still uses every sample's σ.
                let smooth = sigma
                    .and_then(|sig| continuum_every(sig, &s_unmasked, window, window))
                    .map_or_else(|| sw.clone(), |c| on_grid(&c, &s.interp));
                smooth
                    .iter()
                    .zip(&s.valid)
                    .map(|(&v, &ok)| {
                        if !ok || med <= 0.0 {
                            0.0
                        } else if v <= 0.0 {
                            100.0
                        } else {
                            ((med / v).powi(2)).min(100.0)
                        }
                    })
                    .collect()
            }
            None => s.valid.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect(),
        };
        let s_apod = apodization(&s.valid, req.apodize_fraction.clamp(0.0, 0.5));
        // W: the spectrum's weight per sample (taper × σ⁻²); a = W·r.
        let w_all: Vec<f64> = (0..s.y.len()).map(|i| s_apod[i] * weights[i]).collect();
        let a: Vec<f64> = (0..s.y.len()).map(|i| w_all[i] * s_res[i]).collect();
        Ok(SpectrumSide {
            s,
            s_scale,
            s_res,
            sigma_work,
            weights,
            a,
            w_all,
        })
    };
    let template_side = || -> Result<TemplateSide, RvError> {
        let t = to_grid(&t_x, template.y(), template.mask(), u0, step, &[]);
        if !t.valid.iter().any(|&v| v) {
            return Err(RvError::AllMasked("template"));
        }
        let t_native = native_step(&t_x);
        let t_window = ((window as f64) * native / t_native).round().max(3.0) as usize;
        let t_unmasked = unmasked_native(template.mask(), template.len());
        let (t_res, _) = continuum_residuals(&t, template.y(), &t_unmasked, t_window, "template")?;
        // The template is the model and is not tapered: a taper on it would be a shape
        // the data do not have, and moves the peak even of a spectrum against itself.
        // The spectrum's taper is a weight (it lowers the say of its ends).
        let b2: Vec<f64> = t_res.iter().map(|v| v * v).collect();
        Ok(TemplateSide { t, t_res, b2 })
    };
    let parallel = std::env::var_os("XC_SERIAL").is_none()
        && crate::transforms::threads_for(spectrum.len().max(template.len())) > 1;
    let (spectrum_done, template_done) = if parallel {
        std::thread::scope(|scope| {
            let t = scope.spawn(template_side);
            let s = spectrum_side();
            (s, t.join().expect("template preparation"))
        })
    } else {
        (spectrum_side(), template_side())
    };
    let SpectrumSide {
        s,
        s_scale,
        s_res,
        sigma_work,
        weights,
        a,
        w_all,
    } = spectrum_done?;
    let TemplateSide { t, t_res, b2 } = template_done?;
    let b = &t_res;
    let sigma = spectrum.sigma();
    let norm_a = a.iter().zip(&s_res).map(|(a, r)| a * r).sum::<f64>().sqrt();
    let norm_b = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm_b == 0.0 {
        return Err(RvError::FlatTemplate);
    }
    if norm_a == 0.0 {
        return Err(RvError::AllMasked("spectrum"));
    }

    // --- lags -----------------------------------------------------------------------
    let px = native / step; // working pixels per native pixel
    let margin = (8.0f64).max(6.0 * px).ceil() as i64;
    let g_lo = (k_min / step).ceil() as i64;
    let g_hi = (k_max / step).floor() as i64;
    let k_lo = g_lo - margin;
    let k_hi = g_hi + margin;
    // Overlap: at lag k the template covers spectrum indices [t.offset + k, t_end + k].
    let mut valid_prefix = vec![0usize; s.valid.len() + 1];
    for (i, &v) in s.valid.iter().enumerate() {
        valid_prefix[i + 1] = valid_prefix[i] + v as usize;
    }
    let t_first = t.offset - s.offset;
    let t_last = t_first + t.y.len() as i64 - 1;
    let overlap = |k: i64| -> usize {
        let lo = (t_first + k).clamp(0, s.valid.len() as i64) as usize;
        let hi = (t_last + k + 1).clamp(0, s.valid.len() as i64) as usize;
        valid_prefix[hi] - valid_prefix[lo.min(hi)]
    };
    let min_overlap = 8usize.max(valid_prefix[s.valid.len()] / 20);
    if (g_lo..=g_hi).all(|k| overlap(k) < min_overlap) {
        let (t_lo, t_hi) = (t_x[0], t_x[t_x.len() - 1]);
        let (s_lo, s_hi) = spectrum.x_range_nm();
        return Err(RvError::NoOverlap {
            t_lo,
            t_hi,
            s_lo,
            s_hi,
        });
    }
    // The weighted least-squares match: χ²(k, A) = Σ W (r − A·T(· − k))² is smallest
    // where C(k)/√N(k) is largest, C = Σ W r T(i − k) and N = Σ W T²(i − k). Dividing by
    // √N(k) matters when W is not uniform (σ that follows the flux): the plain
    // correlation C is then biased towards where the weights lean.
    // C and N, each its own overlap-save pass (on two threads for long arrays: the same
    // arithmetic either way, so the same bits on any machine).
    let one = |x: &[f64], y: &[f64]| {
        correlate_pairs(&[(x, y)], t_first, k_lo, k_hi)
            .pop()
            .expect("one pair")
    };
    let (raw, n_k) = if parallel {
        std::thread::scope(|scope| {
            let n = scope.spawn(|| one(&w_all, &b2));
            (one(&a, b), n.join().expect("correlation"))
        })
    } else {
        (one(&a, b), one(&w_all, &b2))
    };
    let c: Vec<f64> = raw
        .iter()
        .zip(&n_k)
        .map(|(c, n)| {
            if *n > 0.0 {
                c / (n.sqrt() * norm_a)
            } else {
                0.0
            }
        })
        .collect();
    let n_at = |k: i64| -> f64 {
        let i = (k - k_lo).clamp(0, n_k.len() as i64 - 1) as usize;
        n_k[i].max(0.0)
    };
    let at = |k: i64| c[(k - k_lo) as usize];

    // --- peaks ----------------------------------------------------------------------
    let mut peaks: Vec<(f64, i64)> = (g_lo..=g_hi)
        .filter(|&k| at(k) > at(k - 1) && at(k) >= at(k + 1) && overlap(k) >= min_overlap)
        .map(|k| (at(k), k))
        .collect();
    peaks.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let Some(&(h1, kp)) = peaks.first() else {
        return Err(RvError::NoPeak);
    };
    let grid_c: Vec<f64> = (g_lo..=g_hi).map(at).collect();
    let rms = (grid_c.iter().map(|v| v * v).sum::<f64>() / grid_c.len() as f64).sqrt();
    // Local quadratic: least squares over ±half a native pixel (at least ±1 sample);
    // returns (vertex, curvature per working pixel²).
    let half_px = ((0.5 * native / step).round() as i64).max(1);
    let quadratic = |k: i64| -> (f64, f64) {
        let (mut s0, mut s1, mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut t0, mut t1, mut t2) = (0.0, 0.0, 0.0);
        for d in -half_px..=half_px {
            let x = d as f64;
            let y = at(k + d);
            s0 += 1.0;
            s1 += x;
            s2 += x * x;
            s3 += x * x * x;
            s4 += x * x * x * x;
            t0 += y;
            t1 += x * y;
            t2 += x * x * y;
        }
        // Symmetric window: s1 = s3 = 0, so b = t1/s2 and (a, c) from a 2×2 system.
        let b = t1 / s2;
        let det = s4 * s0 - s2 * s2;
        let a = (t2 * s0 - s2 * t0) / det;
        let _ = (s1, s3);
        if a < 0.0 {
            let off = (-b / (2.0 * a)).clamp(-(half_px as f64), half_px as f64);
            (k as f64 + off, 2.0 * a)
        } else {
            (k as f64, 2.0 * a)
        }
    };
    let parabola = |k: i64| quadratic(k).0;
    let peak_of = |h: f64, k: i64| {
        let q = parabola(k);
        let kappa = q * step;
        Peak {
            rv_kms: rv_of_kappa(kappa),
            z: kappa.exp_m1(),
            height: h,
            height_over_rms: if rms > 0.0 { h / rms } else { 0.0 },
        }
    };
    let listed: Vec<Peak> = peaks.iter().take(5).map(|&(h, k)| peak_of(h, k)).collect();
    let best_parabola = listed[0].clone();

    // Gaussian over the samples above half the peak (at least two each side).
    let mut left = kp;
    while left - 1 > k_lo && (at(left - 1) > 0.5 * h1 || kp - left < 2) {
        left -= 1;
    }
    let mut right = kp;
    while right + 1 < k_hi && (at(right + 1) > 0.5 * h1 || right - kp < 2) {
        right += 1;
    }
    let xs: Vec<f64> = (left..=right).map(|k| k as f64).collect();
    let gs: Vec<f64> = (left..=right).map(at).collect();
    let ws = vec![1.0; xs.len()];
    let half_width = 0.5 * (right - left) as f64;
    let gauss = crate::analysis::measure::fit_gaussian(
        &xs,
        &gs,
        &ws,
        [h1, parabola(kp), (half_width / 1.1774).max(0.5)],
    )
    .filter(|(p, ..)| p[0] > 0.0 && (p[1] - parabola(kp)).abs() <= 1.0 && p[2] > 0.05);
    // The answer is the local quadratic's vertex: it reads the peak where the noise
    // moves it, while the Gaussian also weighs wings that blends make asymmetric.
    let (q_best, curvature) = quadratic(kp);
    let fwhm_px = match &gauss {
        Some((p, ..)) => 2.354_820_045 * p[2],
        None => (right - left) as f64,
    };
    let method = "parabola";
    let kappa = q_best * step;
    let gaussian = gauss.as_ref().map(|(p, ..)| GaussianPeak {
        rv_kms: rv_of_kappa(p[1] * step),
        z: (p[1] * step).exp_m1(),
        height: p[0],
        fwhm_kms: 2.354_820_045 * p[2] * step * C_KMS,
    });

    // --- uncertainty: σ through the chain into the peak position ---------------------
    let k_round = q_best.round() as i64;
    // Template residual (tapered) and its derivative at global template index g.
    let b_at = |g: i64| -> f64 {
        let j = g - t_first;
        if j >= 0 && (j as usize) < b.len() {
            b[j as usize]
        } else {
            0.0
        }
    };
    let t_res_at = |g: i64| -> f64 {
        let j = g - t_first;
        if j >= 0 && (j as usize) < t_res.len() {
            t_res[j as usize]
        } else {
            0.0
        }
    };
    let (sigma_native, sigma_source): (Vec<f64>, &'static str) = match sigma {
        Some(sig) => (sig.to_vec(), "file"),
        None => {
            // Residuals to the scaled template at the peak, on valid overlapped samples.
            let (mut num, mut den) = (0.0, 0.0);
            for (i, (&r, &ok)) in s_res.iter().zip(&s.valid).enumerate() {
                if ok {
                    let tv = t_res_at(i as i64 - k_round);
                    num += r * tv;
                    den += tv * tv;
                }
            }
            let amp = if den > 0.0 { num / den } else { 0.0 };
            let mut res: Vec<f64> = Vec::new();
            let mut gain = 0.0;
            for (i, ((&r, &ok), &(_, f))) in s_res.iter().zip(&s.valid).zip(&s.interp).enumerate() {
                let g = i as i64 - k_round;
                if ok && g >= t_first && g <= t_last {
                    res.push(r - amp * t_res_at(g));
                    gain += (1.0 - f).powi(2) + f * f;
                }
            }
            if res.is_empty() {
                return Err(RvError::NoOverlap {
                    t_lo: t_x[0],
                    t_hi: t_x[t_x.len() - 1],
                    s_lo: spectrum.x_range_nm().0,
                    s_hi: spectrum.x_range_nm().1,
                });
            }
            let gain = (gain / res.len() as f64).sqrt().max(1e-6);
            let med = median(&mut res.clone());
            let mut dev: Vec<f64> = res.iter().map(|r| (r - med).abs()).collect();
            let mad = 1.4826 * median(&mut dev);
            warnings.push(
                "no uncertainty array: σ estimated from the MAD of the residuals to the scaled template (white noise assumed)"
                    .into(),
            );
            (vec![mad * s_scale / gain; spectrum.len()], "estimated")
        }
    };
    let n0 = n_at(k_round);
    let inv_sqrt_n = if n0 > 0.0 { 1.0 / n0.sqrt() } else { 0.0 };
    let dn = 0.5 * (n_at(k_round + 1) - n_at(k_round - 1));
    let dn_term = if n0 > 0.0 {
        0.5 * dn / (n0 * n0.sqrt())
    } else {
        0.0
    };
    let mut g = vec![0.0; spectrum.len()];
    for i in 0..a.len() {
        if a[i] == 0.0 && weights[i] == 0.0 {
            continue;
        }
        let gi = i as i64 - k_round;
        let dt = 0.5 * (b_at(gi + 1) - b_at(gi - 1));
        let tv = b_at(gi);
        if dt == 0.0 && tv == 0.0 {
            continue;
        }
        // ∂F'/∂r_i for F = C/√N: −W T'/√N − W T·N'/(2 N^{3/2}).
        let coef = w_all[i] / s_scale * (dt * inv_sqrt_n + tv * dn_term);
        let (j, f) = s.interp[i];
        g[j as usize] += (1.0 - f) * coef;
        g[j as usize + 1] += f * coef;
    }
    let numerator: f64 = g
        .iter()
        .zip(&sigma_native)
        .map(|(g, s)| (g * s).powi(2))
        .sum();
    let curvature_raw = curvature * norm_a;
    let sigma_px = if curvature_raw < 0.0 {
        numerator.sqrt() / curvature_raw.abs()
    } else {
        f64::INFINITY
    };
    // Template mismatch: when the residuals to the scaled, shifted template exceed what σ
    // allows (reduced χ² > 1), σ is scaled by √χ² (the Birge ratio), as least-squares
    // fits do; noise alone gives χ² ≈ 1 and no change.
    let chi2_reduced = sigma_work.as_ref().and_then(|sw| {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..s_res.len() {
            let var = (sw[i] / s_scale).powi(2);
            if s.valid[i] && var > 0.0 {
                let tv = t_res_at(i as i64 - k_round);
                num += s_res[i] * tv / var;
                den += tv * tv / var;
            }
        }
        let amp = if den > 0.0 { num / den } else { 0.0 };
        let (mut chi2, mut n) = (0.0, 0usize);
        for i in 0..s_res.len() {
            let g = i as i64 - k_round;
            let var = (sw[i] / s_scale).powi(2);
            if s.valid[i] && var > 0.0 && g >= t_first && g <= t_last {
                chi2 += (s_res[i] - amp * t_res_at(g)).powi(2) / var;
                n += 1;
            }
        }
        (n > 2).then(|| chi2 / n as f64)
    });
    let sigma_scale = chi2_reduced.map_or(1.0, |c| c.max(1.0).sqrt());
    let sigma_px = sigma_px * sigma_scale;
    let z = kappa.exp_m1();
    let z_sigma = kappa.exp() * sigma_px * step;
    let rv_sigma_kms = C_KMS * z_sigma;

    // --- Tonry–Davis and quality ----------------------------------------------------
    let d_max = (kp - k_lo).min(k_hi - kp).min(g_hi - g_lo);
    let mut asym = 0.0;
    let mut count = 0usize;
    for d in 1..=d_max {
        let v = 0.5 * (at(kp + d) - at(kp - d));
        asym += v * v;
        count += 1;
    }
    let sigma_a = if count > 0 {
        (asym / count as f64).sqrt()
    } else {
        0.0
    };
    let r = if sigma_a > 0.0 {
        h1 / (std::f64::consts::SQRT_2 * sigma_a)
    } else {
        f64::INFINITY
    };
    let fwhm_kms = fwhm_px * step * C_KMS;
    let tonry_davis = TonryDavis {
        r,
        sigma_a,
        sigma_kms: 0.375 * fwhm_kms / (1.0 + r),
    };
    let v1 = listed[0].height_over_rms;
    let v2 = listed.get(1).map_or(1.0, |p| p.height_over_rms.max(1e-12));
    let fom = if v1 > 2.5 {
        (v1 - 2.5).powf(0.75) * (v1 / v2)
    } else {
        0.0
    };
    let (class, label) = if fom > 8.5 {
        (4, "reliable")
    } else if fom > 4.5 {
        (3, "probable")
    } else if fom > 3.0 {
        (2, "possible")
    } else {
        (1, "unreliable")
    };

    // --- the correlation on the asked grid ------------------------------------------
    let ccf = match (req.grid, z_grid_step) {
        (
            Grid::Velocity {
                v_min_kms,
                v_max_kms,
                v_step_kms,
            },
            _,
        ) => {
            let n = ((v_max_kms - v_min_kms) / v_step_kms + 1e-9).floor() as usize + 1;
            let x: Vec<f64> = (0..n).map(|j| v_min_kms + j as f64 * v_step_kms).collect();
            let y = x
                .iter()
                .map(|&v| cubic_at(&c, kappa_of_rv(v) / step - k_lo as f64))
                .collect();
            Ccf { x, y }
        }
        (Grid::Redshift { z_min, z_max, .. }, Some(z_step)) => {
            let n = ((z_max - z_min) / z_step + 1e-9).floor() as usize + 1;
            let x: Vec<f64> = (0..n).map(|j| z_min + j as f64 * z_step).collect();
            let y = x
                .iter()
                .map(|&z| cubic_at(&c, z.ln_1p() / step - k_lo as f64))
                .collect();
            Ccf { x, y }
        }
        (Grid::Redshift { .. }, None) => Ccf {
            x: (g_lo..=g_hi).map(|k| (k as f64 * step).exp_m1()).collect(),
            y: grid_c,
        },
    };
    if class <= 1 {
        warnings.push(format!(
            "quality class 1 (unreliable): figure of merit {fom:.2}; the best peak is not clearly above the others"
        ));
    }
    Ok(RvResult {
        rv_kms: C_KMS * z,
        rv_sigma_kms,
        z,
        z_sigma,
        method,
        parabola: best_parabola,
        gaussian,
        tonry_davis,
        quality: Quality {
            figure_of_merit: fom,
            class,
            label,
        },
        peaks: listed,
        pixel_kms: step * C_KMS,
        native_pixel_kms: pixel_native_kms,
        overlap_px: overlap(k_round),
        sigma_source,
        chi2_reduced,
        sigma_scale,
        template_conversion,
        warnings,
        ccf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(a: &[f64], b: &[f64], off: i64, k_lo: i64, k_hi: i64) -> Vec<f64> {
        (k_lo..=k_hi)
            .map(|k| {
                (0..a.len())
                    .map(|i| {
                        let j = i as i64 - k - off;
                        if j >= 0 && (j as usize) < b.len() {
                            a[i] * b[j as usize]
                        } else {
                            0.0
                        }
                    })
                    .sum()
            })
            .collect()
    }

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn overlap_save_matches_the_direct_sum() {
        // Sizes that give one block, several blocks, more than 16 blocks (several groups)
        // and an odd number of blocks; offsets on both sides; lag ranges with both signs.
        for (na, nb, off, k_lo, k_hi) in [
            (5, 7, 0, -3, 3),
            (100, 80, 10, -20, 40),
            (3000, 2500, -300, -50, 60),
            (20_000, 20_000, 0, -7, 9),
            (1234, 4321, 500, -900, -400),
        ] {
            let a = noise(na, na as u64);
            let b = noise(nb, nb as u64 + 1);
            let fast = correlate(&a, &b, off, k_lo, k_hi);
            let slow = direct(&a, &b, off, k_lo, k_hi);
            let scale = slow.iter().map(|v| v.abs()).fold(1.0, f64::max);
            for (f, s) in fast.iter().zip(&slow) {
                assert!((f - s).abs() < 1e-10 * scale, "{na} {nb}: {f} vs {s}");
            }
        }
    }

    #[test]
    fn pairs_correlate_as_each_would_alone() {
        let (a, b) = (noise(5000, 1), noise(4000, 2));
        let (c, d) = (noise(5000, 3), noise(4000, 4));
        let both = correlate_pairs(&[(&a, &b), (&c, &d)], 37, -300, 250);
        for (got, (x, y)) in both.iter().zip([(&a, &b), (&c, &d)]) {
            let slow = direct(x, y, 37, -300, 250);
            for (f, s) in got.iter().zip(&slow) {
                assert!((f - s).abs() < 1e-10 * 100.0, "{f} vs {s}");
            }
        }
    }

    #[test]
    fn cubic_interpolation_is_exact_at_samples_and_on_lines() {
        let c = [1.0, 3.0, 5.0, 7.0, 9.0];
        assert_eq!(cubic_at(&c, 2.0), 5.0);
        assert!((cubic_at(&c, 2.25) - 5.5).abs() < 1e-12);
    }

    #[test]
    fn velocities_and_log_lags_invert() {
        for v in [-500.0, -0.5, 0.0, 12.3, 30_000.0] {
            assert!((rv_of_kappa(kappa_of_rv(v)) - v).abs() < 1e-9);
        }
    }

    #[test]
    fn apodization_tapers_both_ends_of_the_valid_span() {
        let valid = [
            false, true, true, true, true, true, true, true, true, true, true, false,
        ];
        let a = apodization(&valid, 0.2);
        assert_eq!(a[0], 0.0);
        assert_eq!(a[11], 0.0);
        assert_eq!(a[1], 0.0);
        assert_eq!(a[6], 1.0);
        assert!(a[2] > 0.0 && a[2] < 1.0);
    }
}
