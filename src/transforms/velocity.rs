//! Radial-velocity shifts: λ_out = λ_in · (1 + z(v)).
//!
//! A positive `rv_kms` moves the spectrum to longer wavelengths. To bring an object that
//! recedes at v to its rest frame, shift by −v. Relativistic: 1 + z = √((1 + β)/(1 − β));
//! optical: 1 + z = 1 + β; β = v/c. Shifts compose multiplicatively in (1 + z).

use serde::{Deserialize, Serialize};

/// Speed of light in km/s (exact, SI).
pub const C_KMS: f64 = 299_792.458;

/// The rest frame the shifted spectrum is expressed in (recorded with the step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    Topocentric,
    Heliocentric,
    Barycentric,
}

/// How velocity maps to redshift.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    #[default]
    Relativistic,
    Optical,
}

/// Why a shift cannot be applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VelocityError {
    #[error("|rv| must be less than the speed of light ({C_KMS} km/s), got {0} km/s")]
    FasterThanLight(f64),
}

/// Every wavelength times `one_plus_z` (in parallel ranges for long axes; same bits).
pub fn shift_axis_nm(x_nm: &[f64], one_plus_z: f64) -> Vec<f64> {
    crate::transforms::par_map(x_nm, |v| v * one_plus_z)
}

/// 1 + z for a velocity in km/s.
pub fn one_plus_z(rv_kms: f64, convention: Convention) -> Result<f64, VelocityError> {
    if !(rv_kms.is_finite() && rv_kms.abs() < C_KMS) {
        return Err(VelocityError::FasterThanLight(rv_kms));
    }
    let beta = rv_kms / C_KMS;
    Ok(match convention {
        Convention::Relativistic => ((1.0 + beta) / (1.0 - beta)).sqrt(),
        Convention::Optical => 1.0 + beta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_composition() {
        assert_eq!(one_plus_z(0.0, Convention::Relativistic), Ok(1.0));
        let z = one_plus_z(C_KMS * 0.6, Convention::Relativistic).unwrap();
        assert!((z - 2.0).abs() < 1e-15);
        assert_eq!(one_plus_z(C_KMS * 0.5, Convention::Optical), Ok(1.5));
        // Relativistic shifts by +v then -v cancel exactly in (1+z).
        let a = one_plus_z(1234.5, Convention::Relativistic).unwrap();
        let b = one_plus_z(-1234.5, Convention::Relativistic).unwrap();
        assert!((a * b - 1.0).abs() < 1e-15);
        assert!(one_plus_z(C_KMS, Convention::Optical).is_err());
        assert!(one_plus_z(-C_KMS * 2.0, Convention::Relativistic).is_err());
    }
}
