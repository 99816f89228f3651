//! Air ↔ vacuum wavelength conversion.
//!
//! Refractive index of standard air as n(σ) with σ = 1/λ_vac in µm⁻¹ (the formulas are
//! defined on vacuum wavenumbers). Vacuum → air is one division, λ_air = λ_vac / n(λ_vac);
//! air → vacuum solves λ_vac = λ_air · n(λ_vac) by fixed-point iteration to 1e-12
//! relative, as specutils' `scheme='iteration'` does.
//!
//! - Morton (2000, ApJS 130, 403), the IAU standard (default):
//!   n − 1 = 8.34254e-5 + 2.406147e-2/(130 − σ²) + 1.5998e-4/(38.9 − σ²)
//! - Edlén (1966, Metrologia 2, 71):
//!   n − 1 = 1e-8 · (8342.13 + 2406030/(130 − σ²) + 15997/(38.9 − σ²))
//! - Ciddor (1996, Appl. Opt. 35, 1566), standard air with 450 ppm CO₂:
//!   n − 1 = 0.05792105/(238.0185 − σ²) + 0.00167917/(57.362 − σ²)
//!
//! Each is evaluated with one division instead of three: with ℓ = λ² in µm² (σ² = 1/ℓ),
//! a + b/(d₁ − σ²) + c/(d₂ − σ²) = a + ℓ·(b·(d₂ℓ − 1) + c·(d₁ℓ − 1)) / ((d₁ℓ − 1)(d₂ℓ − 1)).
//! The same function, rounded differently in the last bits (`airvac_convert@2`); the
//! iteration spends its time in these divisions.
//!
//! Below 200 nm air wavelengths are not defined (air absorbs): an error.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

use serde::{Deserialize, Serialize};

/// Shortest wavelength, nm, at which air wavelengths are defined.
pub const AIR_MIN_NM: f64 = 200.0;

/// Relative tolerance of the air → vacuum iteration.
const ITERATION_TOLERANCE: f64 = 1e-12;
/// More iterations than ever needed (convergence is ~3e-4 per step).
const MAX_ITERATIONS: usize = 50;

/// Which refractive-index formula.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AirFormula {
    #[default]
    Morton2000,
    Ciddor1996,
    Edlen1966,
}

/// Target medium.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMedium {
    Air,
    Vacuum,
}

/// Why a conversion failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AirVacError {
    #[error("air wavelengths are not defined below {AIR_MIN_NM} nm (got {0} nm)")]
    BelowAirLimit(f64),
    #[error("air to vacuum did not converge at {0} nm")]
    NoConvergence(f64),
}

/// Refractive index of air at vacuum wavelength `lambda_vac_nm`.
#[inline(always)]
pub fn refractive_index(formula: AirFormula, lambda_vac_nm: f64) -> f64 {
    // (a, b, d₁, c, d₂) of n − 1 = a + b/(d₁ − σ²) + c/(d₂ − σ²), σ in µm⁻¹.
    let (a, b, d1, c, d2) = match formula {
        AirFormula::Morton2000 => (8.34254e-5, 2.406147e-2, 130.0, 1.5998e-4, 38.9),
        AirFormula::Edlen1966 => (8.34213e-5, 2.40603e-2, 130.0, 1.5997e-4, 38.9),
        AirFormula::Ciddor1996 => (0.0, 0.057_921_05, 238.0185, 0.001_679_17, 57.362),
    };
    let lambda_um = lambda_vac_nm * 1e-3;
    let l = lambda_um * lambda_um;
    let p = d1 * l - 1.0;
    let q = d2 * l - 1.0;
    1.0 + a + l * (b * q + c * p) / (p * q)
}

/// Vacuum → air for one wavelength in nm.
pub fn air_from_vacuum_nm(formula: AirFormula, lambda_vac_nm: f64) -> Result<f64, AirVacError> {
    if lambda_vac_nm < AIR_MIN_NM {
        return Err(AirVacError::BelowAirLimit(lambda_vac_nm));
    }
    Ok(lambda_vac_nm / refractive_index(formula, lambda_vac_nm))
}

/// Air → vacuum for one wavelength in nm, by iteration.
pub fn vacuum_from_air_nm(formula: AirFormula, lambda_air_nm: f64) -> Result<f64, AirVacError> {
    if lambda_air_nm < AIR_MIN_NM {
        return Err(AirVacError::BelowAirLimit(lambda_air_nm));
    }
    // A fixed number of steps first: each shrinks the relative error by at least 1.5e-4
    // (the contraction at 200 nm), so four take the initial 3.2e-4 below 1e-15. A fixed
    // count has no data-dependent branch, so whole axes vectorise (see below).
    let mut vac = lambda_air_nm;
    for _ in 0..FIXED_STEPS {
        vac = lambda_air_nm * refractive_index(formula, vac);
    }
    finish_iteration(formula, lambda_air_nm, vac)
}

/// Fixed iteration steps before the convergence check.
const FIXED_STEPS: usize = 4;

/// Continues the iteration from `vac` until two steps agree to the tolerance.
fn finish_iteration(
    formula: AirFormula,
    lambda_air_nm: f64,
    mut vac: f64,
) -> Result<f64, AirVacError> {
    for _ in 0..MAX_ITERATIONS {
        let next = lambda_air_nm * refractive_index(formula, vac);
        if (next - vac).abs() <= ITERATION_TOLERANCE * next {
            return Ok(next);
        }
        vac = next;
    }
    Err(AirVacError::NoConvergence(lambda_air_nm))
}

/// Air → vacuum for a range of wavelengths (all ≥ 200 nm), in blocks: the fixed steps
/// and the first convergence check for a whole block without a branch (so the divisions
/// vectorise), then the rare unconverged block again one wavelength at a time. Same
/// operations in the same order as [`vacuum_from_air_nm`], so the same bits.
fn vacuum_from_air_range(
    formula: AirFormula,
    air: &[f64],
    out: &mut [f64],
) -> Result<(), AirVacError> {
    for (a, o) in air.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        if !checked_steps_dispatch(formula, a, o) {
            for (slot, &x) in o.iter_mut().zip(a) {
                *slot = vacuum_from_air_nm(formula, x)?;
            }
        }
    }
    Ok(())
}

/// Wavelengths per block of [`vacuum_from_air_range`].
const BLOCK: usize = 512;

/// [`checked_steps`] compiled for the widest vector unit this CPU has. Division and the
/// other IEEE operations are correctly rounded at every width (and Rust never fuses a
/// multiply and an add), so every variant gives the same bits.
fn checked_steps_dispatch(formula: AirFormula, air: &[f64], out: &mut [f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { checked_steps_avx512(formula, air, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { checked_steps_avx2(formula, air, out) };
        }
    }
    checked_steps_per_formula(formula, air, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn checked_steps_avx512(formula: AirFormula, air: &[f64], out: &mut [f64]) -> bool {
    checked_steps_per_formula(formula, air, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn checked_steps_avx2(formula: AirFormula, air: &[f64], out: &mut [f64]) -> bool {
    checked_steps_per_formula(formula, air, out)
}

/// One loop per formula, so the index function is inlined without a branch per lane.
#[inline(always)]
fn checked_steps_per_formula(formula: AirFormula, air: &[f64], out: &mut [f64]) -> bool {
    match formula {
        AirFormula::Morton2000 => {
            checked_steps(air, out, |v| refractive_index(AirFormula::Morton2000, v))
        }
        AirFormula::Ciddor1996 => {
            checked_steps(air, out, |v| refractive_index(AirFormula::Ciddor1996, v))
        }
        AirFormula::Edlen1966 => {
            checked_steps(air, out, |v| refractive_index(AirFormula::Edlen1966, v))
        }
    }
}

/// For every wavelength: [`FIXED_STEPS`] steps from `air[i]`, then the first step of
/// [`finish_iteration`]; `out[i]` is that step's result. True when every wavelength
/// passed that step's convergence check, i.e. when `out` is what [`vacuum_from_air_nm`]
/// returns for each.
///
/// A block stops early when its iteration has already reached a fixed point: once a step
/// returns its input, every later step returns it too (the same operations on the same
/// value), so the result is that value and the check passes with a difference of 0. Long
/// wavelengths settle after three steps; each skipped step saves a division per value.
#[inline(always)]
fn checked_steps(air: &[f64], out: &mut [f64], index: impl Fn(f64) -> f64) -> bool {
    const _: () = assert!(FIXED_STEPS == 4, "the steps below are written out for 4");
    // Steps 1–3.
    let mut settled = true;
    for (o, &a) in out.iter_mut().zip(air) {
        let v2 = a * index(a * index(a));
        let v3 = a * index(v2);
        settled &= v3 == v2;
        *o = v3;
    }
    if settled {
        return true;
    }
    // Step 4.
    let mut settled = true;
    for (o, &a) in out.iter_mut().zip(air) {
        let v4 = a * index(*o);
        settled &= v4 == *o;
        *o = v4;
    }
    if settled {
        return true;
    }
    // The first step of `finish_iteration`, with its check.
    let mut all_converged = true;
    for (o, &a) in out.iter_mut().zip(air) {
        let v5 = a * index(*o);
        all_converged &= (v5 - *o).abs() <= ITERATION_TOLERANCE * v5;
        *o = v5;
    }
    all_converged
}

/// Converts a whole axis (nm) to `to`.
pub fn convert_axis_nm(
    x_nm: &[f64],
    to: TargetMedium,
    formula: AirFormula,
) -> Result<Vec<f64>, AirVacError> {
    // A vectorised check first; the search for the first offender runs only when one
    // fails it (NaN fails it too, but is not below the limit: it goes on, as before).
    if !crate::scan::all_values(x_nm, |x| x >= AIR_MIN_NM)
        && let Some(&x) = x_nm.iter().find(|&&x| x < AIR_MIN_NM)
    {
        return Err(AirVacError::BelowAirLimit(x));
    }
    let work = |part: &[f64], out: &mut [f64]| -> Result<(), AirVacError> {
        match to {
            TargetMedium::Air => {
                for (o, &x) in out.iter_mut().zip(part) {
                    *o = air_from_vacuum_nm(formula, x)?;
                }
                Ok(())
            }
            TargetMedium::Vacuum => vacuum_from_air_range(formula, part, out),
        }
    };
    // Each wavelength converts alone: long axes are cut into jobs done in parallel; the
    // first error in axis order is the one reported.
    let threads = crate::transforms::threads_for(x_nm.len());
    let len = crate::transforms::job_len(x_nm.len(), threads, BLOCK);
    let errors = std::sync::Mutex::new(Vec::new());
    // Each block is converted into a buffer of the thread's, then copied on while it is
    // in the L1 cache; a job stops at its first error (the rest of its piece is NaN, and
    // the vector is dropped).
    let out = crate::transforms::build(
        x_nm.len(),
        threads,
        len,
        || [0.0; BLOCK],
        |buffer, offset, piece| {
            let part = &x_nm[offset..offset + piece.len()];
            for (k, block) in part.chunks(BLOCK).enumerate() {
                let converted = &mut buffer[..block.len()];
                if let Err(e) = work(block, converted) {
                    errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((offset + k * BLOCK, e));
                    piece.fill_rest(f64::NAN);
                    return;
                }
                piece.extend_from_slice(converted);
            }
        },
    );
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    errors.sort_by_key(|(offset, _)| *offset);
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_path_gives_the_bits_of_the_one_point_path() {
        let axis: Vec<f64> = (0..200_003).map(|i| 200.0 + i as f64 * 0.049).collect();
        for formula in [
            AirFormula::Morton2000,
            AirFormula::Ciddor1996,
            AirFormula::Edlen1966,
        ] {
            let fast = convert_axis_nm(&axis, TargetMedium::Vacuum, formula).unwrap();
            for (i, &a) in axis.iter().enumerate() {
                assert_eq!(fast[i], vacuum_from_air_nm(formula, a).unwrap(), "{a}");
            }
        }
    }

    #[test]
    fn every_vector_width_gives_the_same_bits() {
        let axis: Vec<f64> = (0..4099).map(|i| 200.0 + i as f64 * 2.437).collect();
        for formula in [
            AirFormula::Morton2000,
            AirFormula::Ciddor1996,
            AirFormula::Edlen1966,
        ] {
            let mut portable = vec![0.0; axis.len()];
            let mut dispatched = vec![0.0; axis.len()];
            assert!(checked_steps_per_formula(formula, &axis, &mut portable));
            assert!(checked_steps_dispatch(formula, &axis, &mut dispatched));
            assert_eq!(portable, dispatched, "{formula:?}");
        }
    }

    #[test]
    fn h_alpha_known_answer() {
        // 6562.801 Å air ↔ 6564.614 Å vacuum (Morton 2000), to the quoted precision.
        let vac = vacuum_from_air_nm(AirFormula::Morton2000, 656.2801).unwrap();
        assert!((vac * 10.0 - 6564.614).abs() < 5e-4, "{}", vac * 10.0);
        let air = air_from_vacuum_nm(AirFormula::Morton2000, 656.4614).unwrap();
        assert!((air * 10.0 - 6562.801).abs() < 5e-4, "{}", air * 10.0);
    }

    #[test]
    fn round_trip_is_exact_to_1e_9_angstrom_over_200nm_to_10um() {
        for formula in [
            AirFormula::Morton2000,
            AirFormula::Ciddor1996,
            AirFormula::Edlen1966,
        ] {
            let mut x = 200.0;
            while x <= 10_000.0 {
                let vac = vacuum_from_air_nm(formula, x).unwrap();
                let back = air_from_vacuum_nm(formula, vac).unwrap();
                assert!(((back - x) * 10.0).abs() < 1e-9, "{formula:?} {x}: {back}");
                x *= 1.01;
            }
        }
    }

    #[test]
    fn below_200_nm_is_an_error() {
        assert_eq!(
            air_from_vacuum_nm(AirFormula::Morton2000, 199.0),
            Err(AirVacError::BelowAirLimit(199.0))
        );
        assert!(
            convert_axis_nm(
                &[150.0, 300.0],
                TargetMedium::Vacuum,
                AirFormula::Morton2000
            )
            .is_err()
        );
    }
}
