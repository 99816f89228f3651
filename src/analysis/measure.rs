//! Measuring one line in a region: a local continuum, then centroid, non-parametric
//! FWHM, equivalent width and integrated flux, each with its 1σ uncertainty propagated
//! from the spectrum's σ. The definitions are specutils' (`specutils.analysis`), applied
//! to the region's points (lo ≤ x ≤ hi, masked points left out):
//!
//! - bin widths Δx from the points' centres (interior edges halfway between centres,
//!   the outer two extrapolated), as `SpectralAxis.bin_edges`;
//! - the continuum `c(x)` is a straight line, least squares over the continuum windows'
//!   points (default: two windows as wide as the region, one on each side);
//! - line flux F = Σ (f − c) Δx, σ_F = √Σ σ² Δx² (`line_flux` of f − c);
//! - equivalent width W = (1 − Σ f Δx / Σ c Δx) · Σ Δx (`equivalent_width` with the
//!   continuum array; positive for absorption). Its σ is propagated from that formula
//!   with the continuum taken as exact: σ_W = σ_F · Σ Δx / |Σ c Δx|. specutils' own
//!   `ew.uncertainty` (√(σ_F² n), in flux units) is not this, and is not used;
//! - centroid x̄ = Σ g x / Σ g with g = f − c, σ = √(Σ σ² (x − x̄)²) / |Σ g|
//!   (`centroid`, analytic);
//! - FWHM: the width at half the extreme of g (of −g for an absorption line), each side
//!   found by two-point linear interpolation (`fwhm`); no uncertainty (specutils gives
//!   none);
//! - and a Gaussian A·exp(−(x − μ)²/2s²) fitted to g by Levenberg–Marquardt (weights
//!   1/σ² when the file has σ), whose FWHM 2√(2 ln 2)·s has its σ from the fit's
//!   covariance (JᵀWJ)⁻¹, taking σ as absolute (no rescaling by χ²).
//!
//! x is in nm throughout; y in the spectrum's unit.

use serde::{Deserialize, Serialize};

use crate::spectrum::Spectrum;

/// A closed wavelength interval, nm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo_nm: f64,
    pub hi_nm: f64,
}

/// What to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureRequest {
    pub region: Interval,
    /// Continuum windows; empty: one region-wide window on each side.
    pub continuum: Vec<Interval>,
}

/// A value and its 1σ uncertainty (`None` without σ in the input).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Measured {
    pub value: f64,
    pub sigma: Option<f64>,
}

/// The measurement of one line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measurement {
    pub region: Interval,
    pub continuum_windows: Vec<Interval>,
    /// The continuum line c(x) = intercept + slope · (x − region centre), y units.
    pub continuum_at_centre: f64,
    /// y units per nm.
    pub continuum_slope_per_nm: f64,
    /// `emission` or `absorption` (the sign of the integrated flux).
    pub kind: &'static str,
    pub centroid_nm: Measured,
    pub fwhm_nm: f64,
    /// The Gaussian fit (`None` when it does not converge).
    pub gaussian: Option<GaussianFit>,
    /// nm; positive for absorption.
    pub equivalent_width_nm: Measured,
    /// y unit × nm.
    pub line_flux: Measured,
    /// Points in the region (masked ones left out) and in the continuum windows.
    pub n_points: usize,
    pub n_continuum_points: usize,
}

/// A Gaussian fitted to the continuum-subtracted line.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GaussianFit {
    /// Peak of f − c (negative for absorption), y units.
    pub amplitude: Measured,
    pub mean_nm: Measured,
    pub stddev_nm: Measured,
    /// 2√(2 ln 2) · stddev.
    pub fwhm_nm: Measured,
    /// Σ w (g − model)², with w = 1/σ² (1 without σ).
    pub chi2: f64,
    pub iterations: usize,
}

/// 2√(2 ln 2): a Gaussian's FWHM over its standard deviation.
const FWHM_PER_STDDEV: f64 = 2.354_820_045_030_949_4;

/// Solves the 3×3 system `a x = b` (Gaussian elimination, partial pivoting).
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (v, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn invert3(a: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let mut inv = [[0.0; 3]; 3];
    for col in 0..3 {
        let mut e = [0.0; 3];
        e[col] = 1.0;
        let x = solve3(a, e)?;
        for row in 0..3 {
            inv[row][col] = x[row];
        }
    }
    Some(inv)
}

/// A fit's parameters (A, μ, s), their covariance, χ² and iterations.
pub(crate) type Fitted = ([f64; 3], [[f64; 3]; 3], f64, usize);

/// Fits A·exp(−(x − μ)²/2s²) to (x, g) with weights `w`, from `start`.
pub(crate) fn fit_gaussian(x: &[f64], g: &[f64], w: &[f64], start: [f64; 3]) -> Option<Fitted> {
    let chi2 = |p: &[f64; 3]| -> f64 {
        x.iter()
            .zip(g)
            .zip(w)
            .map(|((x, g), w)| {
                let m = p[0] * (-0.5 * ((x - p[1]) / p[2]).powi(2)).exp();
                w * (g - m).powi(2)
            })
            .sum()
    };
    // JᵀWJ and JᵀW r at p.
    let normal = |p: &[f64; 3]| -> ([[f64; 3]; 3], [f64; 3]) {
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        for ((x, g), w) in x.iter().zip(g).zip(w) {
            let z = (x - p[1]) / p[2];
            let e = (-0.5 * z * z).exp();
            let m = p[0] * e;
            let j = [e, m * z / p[2], m * z * z / p[2]];
            let r = g - m;
            for a in 0..3 {
                jtr[a] += w * j[a] * r;
                for b in 0..3 {
                    jtj[a][b] += w * j[a] * j[b];
                }
            }
        }
        (jtj, jtr)
    };
    let mut p = start;
    let mut c = chi2(&p);
    let mut lambda = 1e-3;
    let mut iterations = 0;
    for _ in 0..200 {
        iterations += 1;
        let (jtj, jtr) = normal(&p);
        let mut a = jtj;
        for (k, row) in a.iter_mut().enumerate() {
            row[k] *= 1.0 + lambda;
        }
        let Some(step) = solve3(a, jtr) else { break };
        let trial = [p[0] + step[0], p[1] + step[1], p[2] + step[2]];
        let ct = chi2(&trial);
        if ct.is_finite() && ct <= c {
            let converged = (c - ct) <= 1e-14 * c.max(1e-300)
                && step
                    .iter()
                    .zip(&trial)
                    .all(|(s, v)| s.abs() <= 1e-12 * v.abs().max(1e-300));
            p = trial;
            c = ct;
            lambda = (lambda / 10.0).max(1e-12);
            if converged {
                break;
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e12 {
                break;
            }
        }
    }
    p[2] = p[2].abs();
    let (jtj, _) = normal(&p);
    let cov = invert3(jtj)?;
    (p.iter().all(|v| v.is_finite()) && p[2] > 0.0).then_some((p, cov, c, iterations))
}

/// Why a measurement cannot be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("region {lo}:{hi} nm: start must be below end, both finite")]
    BadRegion { lo: f64, hi: f64 },
    #[error("region {lo}:{hi} nm holds {n} unmasked point(s); a measurement needs at least 3")]
    TooFewPoints { lo: f64, hi: f64, n: usize },
    #[error(
        "the continuum windows hold {0} unmasked point(s); a straight line needs at least 2 at different x"
    )]
    Continuum(usize),
    #[error("the line has no flux above or below the continuum (Σ(f − c) = 0)")]
    NoLine,
}

/// The region's points as specutils sees them, with their bin widths.
struct Points {
    x: Vec<f64>,
    y: Vec<f64>,
    sigma: Option<Vec<f64>>,
    dx: Vec<f64>,
}

fn points_in(s: &Spectrum, iv: Interval) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
    let mask = s.mask();
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut sig = s.sigma().map(|_| Vec::new());
    for k in 0..s.len() {
        let xk = s.x_nm()[k];
        if xk < iv.lo_nm || xk > iv.hi_nm || mask.is_some_and(|m| m[k]) {
            continue;
        }
        x.push(xk);
        y.push(s.y()[k]);
        if let (Some(out), Some(sg)) = (sig.as_mut(), s.sigma()) {
            out.push(sg[k]);
        }
    }
    (x, y, sig)
}

/// Bin widths from centres (specutils' `_edges_from_centers`).
fn widths(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let edge = |k: usize| -> f64 {
        // Edge k lies between centre k-1 and centre k; the outer ones are extrapolated.
        let before = if k == 0 { 2.0 * x[0] - x[1] } else { x[k - 1] };
        let after = if k == n {
            2.0 * x[n - 1] - x[n - 2]
        } else {
            x[k]
        };
        (before + after) / 2.0
    };
    (0..n).map(|k| (edge(k + 1) - edge(k)).abs()).collect()
}

/// Least-squares straight line through (x, y), centred at `x0`: (value at x0, slope).
fn fit_line(x: &[f64], y: &[f64], x0: f64) -> Option<(f64, f64)> {
    let n = x.len() as f64;
    if x.len() < 2 {
        return None;
    }
    let mx = x.iter().map(|v| v - x0).sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - x0 - mx).powi(2)).sum();
    // All points at one x (or a NaN): no line through them.
    if sxx.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(v, w)| (v - x0 - mx) * (w - my)).sum();
    let slope = sxy / sxx;
    Some((my - slope * mx, slope))
}

/// The width at half the maximum of `g` (specutils' `_compute_single_fwhm`).
fn half_max_width(g: &[f64], x: &[f64]) -> f64 {
    // argmax: the first of equal maxima, as numpy's.
    let mut argmax = 0;
    for (k, v) in g.iter().enumerate() {
        if *v > g[argmax] {
            argmax = k;
        }
    }
    let half = g[argmax] / 2.0;
    let left = (0..argmax).rev().find(|&k| g[k] < half);
    let left_x = match left {
        None => x[0],
        Some(i0) => {
            let i1 = i0 + 1;
            (half - g[i0]) * (x[i1] - x[i0]) / (g[i1] - g[i0]) + x[i0]
        }
    };
    let right = (argmax + 1..g.len()).find(|&k| g[k] < half);
    let right_x = match right {
        None => x[x.len() - 1],
        Some(i1) => {
            let i0 = i1 - 1;
            (half - g[i0]) * (x[i1] - x[i0]) / (g[i1] - g[i0]) + x[i0]
        }
    };
    right_x - left_x
}

/// Measures the line in `req.region` of `s`.
pub fn measure(s: &Spectrum, req: &MeasureRequest) -> Result<Measurement, MeasureError> {
    let r = req.region;
    if !(r.lo_nm.is_finite() && r.hi_nm.is_finite() && r.lo_nm < r.hi_nm) {
        return Err(MeasureError::BadRegion {
            lo: r.lo_nm,
            hi: r.hi_nm,
        });
    }
    let windows = if req.continuum.is_empty() {
        let w = r.hi_nm - r.lo_nm;
        vec![
            Interval {
                lo_nm: r.lo_nm - w,
                hi_nm: r.lo_nm,
            },
            Interval {
                lo_nm: r.hi_nm,
                hi_nm: r.hi_nm + w,
            },
        ]
    } else {
        req.continuum.clone()
    };
    for w in &windows {
        if !(w.lo_nm.is_finite() && w.hi_nm.is_finite() && w.lo_nm < w.hi_nm) {
            return Err(MeasureError::BadRegion {
                lo: w.lo_nm,
                hi: w.hi_nm,
            });
        }
    }
    let (x, y, sigma) = points_in(s, r);
    if x.len() < 3 {
        return Err(MeasureError::TooFewPoints {
            lo: r.lo_nm,
            hi: r.hi_nm,
            n: x.len(),
        });
    }
    let mut cx = Vec::new();
    let mut cy = Vec::new();
    for w in &windows {
        let (wx, wy, _) = points_in(s, *w);
        cx.extend(wx);
        cy.extend(wy);
    }
    let centre = (r.lo_nm + r.hi_nm) / 2.0;
    let (c0, slope) = fit_line(&cx, &cy, centre).ok_or(MeasureError::Continuum(cx.len()))?;
    let dx = widths(&x);
    let p = Points { x, y, sigma, dx };
    let c: Vec<f64> = p.x.iter().map(|v| c0 + slope * (v - centre)).collect();
    let g: Vec<f64> = p.y.iter().zip(&c).map(|(f, c)| f - c).collect();

    // Line flux of f − c.
    let flux: f64 = g.iter().zip(&p.dx).map(|(g, d)| g * d).sum();
    let var_flux = p.sigma.as_ref().map(|sg| {
        sg.iter()
            .zip(&p.dx)
            .map(|(s, d)| s * s * d * d)
            .sum::<f64>()
    });
    // Equivalent width, as specutils computes it from the two integrals.
    let f_int: f64 = p.y.iter().zip(&p.dx).map(|(f, d)| f * d).sum();
    let c_int: f64 = c.iter().zip(&p.dx).map(|(c, d)| c * d).sum();
    let width_sum: f64 = p.dx.iter().sum();
    let ew = (1.0 - f_int / c_int) * width_sum;
    let ew_sigma = var_flux.map(|v| v.sqrt() * width_sum / c_int.abs());
    // Centroid of f − c.
    let n_sum: f64 = g.iter().sum();
    if n_sum == 0.0 || !n_sum.is_finite() {
        return Err(MeasureError::NoLine);
    }
    let centroid = g.iter().zip(&p.x).map(|(g, x)| g * x).sum::<f64>() / n_sum;
    let centroid_sigma = p.sigma.as_ref().map(|sg| {
        let s2: f64 = sg
            .iter()
            .zip(&p.x)
            .map(|(s, x)| s * s * (x - centroid) * (x - centroid))
            .sum();
        (s2 / (n_sum * n_sum)).sqrt()
    });
    let absorption = flux < 0.0;
    let shape: Vec<f64> = if absorption {
        g.iter().map(|v| -v).collect()
    } else {
        g.clone()
    };
    let fwhm = half_max_width(&shape, &p.x);
    let weights: Vec<f64> = match &p.sigma {
        Some(sg) => sg
            .iter()
            .map(|s| if *s > 0.0 { 1.0 / (s * s) } else { 0.0 })
            .collect(),
        None => vec![1.0; p.x.len()],
    };
    let extreme = g
        .iter()
        .copied()
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))
        .unwrap_or(0.0);
    let start = [extreme, centroid, (fwhm / FWHM_PER_STDDEV).max(1e-9)];
    let gaussian = fit_gaussian(&p.x, &g, &weights, start).map(|(q, cov, chi2, iterations)| {
        let sd = |k: usize| p.sigma.as_ref().map(|_| cov[k][k].max(0.0).sqrt());
        GaussianFit {
            amplitude: Measured {
                value: q[0],
                sigma: sd(0),
            },
            mean_nm: Measured {
                value: q[1],
                sigma: sd(1),
            },
            stddev_nm: Measured {
                value: q[2],
                sigma: sd(2),
            },
            fwhm_nm: Measured {
                value: FWHM_PER_STDDEV * q[2],
                sigma: sd(2).map(|s| FWHM_PER_STDDEV * s),
            },
            chi2,
            iterations,
        }
    });
    Ok(Measurement {
        region: r,
        continuum_windows: windows,
        continuum_at_centre: c0,
        continuum_slope_per_nm: slope,
        kind: if absorption { "absorption" } else { "emission" },
        centroid_nm: Measured {
            value: centroid,
            sigma: centroid_sigma,
        },
        fwhm_nm: fwhm,
        gaussian,
        equivalent_width_nm: Measured {
            value: ew,
            sigma: ew_sigma,
        },
        line_flux: Measured {
            value: flux,
            sigma: var_flux.map(f64::sqrt),
        },
        n_points: p.x.len(),
        n_continuum_points: cx.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian_line(depth: f64) -> Spectrum {
        let x: Vec<f64> = (0..401).map(|k| 600.0 + k as f64 * 0.1).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| {
                2.0 + 0.01 * (v - 620.0) + depth * (-0.5 * ((v - 620.0) / 0.5_f64).powi(2)).exp()
            })
            .collect();
        Spectrum::new("g".to_string(), x, y, None).unwrap()
    }

    #[test]
    fn a_gaussian_emission_line_measures_its_own_numbers() {
        let s = gaussian_line(1.0);
        let m = measure(
            &s,
            &MeasureRequest {
                region: Interval {
                    lo_nm: 617.0,
                    hi_nm: 623.0,
                },
                continuum: vec![],
            },
        )
        .unwrap();
        assert_eq!(m.kind, "emission");
        // The continuum is exact (a straight line outside the wings), so the centroid is
        // the line's centre and the flux its integral √(2π) σ A.
        assert!((m.continuum_slope_per_nm - 0.01).abs() < 1e-6, "{m:?}");
        assert!((m.centroid_nm.value - 620.0).abs() < 1e-6, "{m:?}");
        let flux = (2.0 * std::f64::consts::PI).sqrt() * 0.5;
        assert!((m.line_flux.value - flux).abs() < 1e-4, "{m:?}");
        // FWHM of a Gaussian: 2√(2 ln 2) σ, to the interpolation's resolution; the fit
        // finds the line's own parameters.
        assert!((m.fwhm_nm - 2.354_820_045 * 0.5).abs() < 0.01, "{m:?}");
        let fit = m.gaussian.expect("the fit converges");
        assert!((fit.mean_nm.value - 620.0).abs() < 1e-6, "{fit:?}");
        assert!((fit.stddev_nm.value - 0.5).abs() < 1e-5, "{fit:?}");
        assert!((fit.amplitude.value - 1.0).abs() < 1e-4, "{fit:?}");
        assert!(m.centroid_nm.sigma.is_none(), "no σ in, no σ out");
    }

    #[test]
    fn an_absorption_line_has_a_positive_equivalent_width() {
        let s = gaussian_line(-0.5);
        let m = measure(
            &s,
            &MeasureRequest {
                region: Interval {
                    lo_nm: 617.0,
                    hi_nm: 623.0,
                },
                continuum: vec![
                    Interval {
                        lo_nm: 605.0,
                        hi_nm: 612.0,
                    },
                    Interval {
                        lo_nm: 628.0,
                        hi_nm: 635.0,
                    },
                ],
            },
        )
        .unwrap();
        assert_eq!(m.kind, "absorption");
        assert!(m.equivalent_width_nm.value > 0.0);
        // W ≈ flux / continuum for a narrow line on a flat-ish continuum.
        let approx = -m.line_flux.value / m.continuum_at_centre;
        assert!(
            (m.equivalent_width_nm.value - approx).abs() / approx < 0.01,
            "{m:?}"
        );
    }

    #[test]
    fn bad_requests_are_refused_with_their_reason() {
        let s = gaussian_line(1.0);
        let ask = |lo, hi, continuum: Vec<Interval>| {
            measure(
                &s,
                &MeasureRequest {
                    region: Interval {
                        lo_nm: lo,
                        hi_nm: hi,
                    },
                    continuum,
                },
            )
        };
        assert!(matches!(
            ask(623.0, 617.0, vec![]),
            Err(MeasureError::BadRegion { .. })
        ));
        assert!(matches!(
            ask(f64::NAN, 617.0, vec![]),
            Err(MeasureError::BadRegion { .. })
        ));
        assert!(matches!(
            ask(700.0, 710.0, vec![]),
            Err(MeasureError::TooFewPoints { n: 0, .. })
        ));
        assert!(matches!(
            ask(
                617.0,
                623.0,
                vec![Interval {
                    lo_nm: 900.0,
                    hi_nm: 901.0
                }]
            ),
            Err(MeasureError::Continuum(0))
        ));
    }
}
