//! Normalization: divide y (and σ) by one positive number. The view uses the same
//! function as the `normalize` transform, so what is shown is what gets recorded.
//!
//! `max` divides by max |y|; `area` divides by ∫ |y| dλ (trapezoid rule, λ in nm), so a
//! normalized spectrum has unit area per nm whatever the display unit. Dividing by a
//! positive number keeps every sample's rank, which lets the LOD pyramid be reused.

use serde::{Deserialize, Serialize};

/// How y is scaled for comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// y as read.
    #[default]
    None,
    /// y / max |y|.
    Max,
    /// y / ∫ |y| dλ (λ in nm).
    Area,
}

impl Normalization {
    /// All modes, in menu order.
    pub const ALL: [Normalization; 3] =
        [Normalization::None, Normalization::Max, Normalization::Area];

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Normalization::None => "none",
            Normalization::Max => "max",
            Normalization::Area => "area",
        }
    }
}

/// Why a spectrum cannot be normalized.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("cannot normalize: every value is zero")]
    AllZero,
    #[error("cannot normalize: every sample is masked")]
    AllMasked,
}

/// The positive divisor for `mode` (1 for `None`).
pub fn normalization_divisor(
    x_nm: &[f64],
    y: &[f64],
    mode: Normalization,
) -> Result<f64, NormalizeError> {
    let d = match mode {
        Normalization::None => return Ok(1.0),
        Normalization::Max => y.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        Normalization::Area => x_nm
            .windows(2)
            .zip(y.windows(2))
            .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0].abs() + y[1].abs()))
            .sum(),
    };
    if d > 0.0 && d.is_finite() {
        Ok(d)
    } else {
        Err(NormalizeError::AllZero)
    }
}

/// The divisor computed over unmasked samples only (`mask[i]` true = excluded); for
/// `area`, a trapezoid counts only when both its ends are unmasked.
pub fn normalization_divisor_masked(
    x_nm: &[f64],
    y: &[f64],
    mode: Normalization,
    mask: Option<&[bool]>,
) -> Result<f64, NormalizeError> {
    let Some(mask) = mask else {
        return normalization_divisor(x_nm, y, mode);
    };
    if mask.iter().all(|&m| m) {
        return Err(NormalizeError::AllMasked);
    }
    let d = match mode {
        Normalization::None => return Ok(1.0),
        Normalization::Max => y
            .iter()
            .zip(mask)
            .filter(|(_, m)| !**m)
            .fold(0.0f64, |acc, (v, _)| acc.max(v.abs())),
        Normalization::Area => (1..x_nm.len())
            .filter(|&i| !mask[i - 1] && !mask[i])
            .map(|i| 0.5 * (x_nm[i] - x_nm[i - 1]) * (y[i - 1].abs() + y[i].abs()))
            .sum(),
    };
    if d > 0.0 && d.is_finite() {
        Ok(d)
    } else {
        Err(NormalizeError::AllZero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisors() {
        let x = [1.0, 2.0, 3.0];
        let y = [1.0, -4.0, 2.0];
        assert_eq!(normalization_divisor(&x, &y, Normalization::None), Ok(1.0));
        assert_eq!(normalization_divisor(&x, &y, Normalization::Max), Ok(4.0));
        // Trapezoids of |y|: (1+4)/2 + (4+2)/2 = 5.5
        assert_eq!(normalization_divisor(&x, &y, Normalization::Area), Ok(5.5));
        assert_eq!(
            normalization_divisor(&x, &[0.0; 3], Normalization::Max),
            Err(NormalizeError::AllZero)
        );
    }
}
