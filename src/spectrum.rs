//! The spectrum model: canonical arrays (x in nm, strictly increasing), y, optional σ,
//! the y unit, the instrument, the medium, and ordered metadata.
//!
//! Everything downstream (ids, LOD, transforms, rendering, export) reads this one type.

use serde::{Deserialize, Serialize};

/// The medium in which wavelengths were measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Air,
    Vacuum,
    #[default]
    Unknown,
}

impl Medium {
    /// Stable lower-case name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Air => "air",
            Medium::Vacuum => "vacuum",
            Medium::Unknown => "unknown",
        }
    }
}

/// A spectrum in canonical form.
///
/// Invariants (checked by [`Spectrum::new`]): `x_nm` is finite and strictly increasing,
/// `y` has the same length and is finite, `sigma` (when present) has the same length and
/// is finite and non-negative.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    /// Human-readable name shown in the legend and the Library (usually the file name).
    pub name: String,
    /// Canonical x axis: wavelength in nanometres, strictly increasing.
    x_nm: Vec<f64>,
    /// Ordinate values, in `y_unit`.
    y: Vec<f64>,
    /// One-sigma uncertainty of `y`, in `y_unit`, when known.
    sigma: Option<Vec<f64>>,
    /// Unit of `y` and `sigma` as written by the source (free text, e.g. `erg/s/cm2/A`).
    pub y_unit: String,
    /// Instrument identifier (free text; empty when unknown).
    pub instrument: String,
    /// Medium of the wavelengths.
    pub medium: Medium,
    /// Source metadata in the order the source gave it (never a `HashMap`: order is kept).
    pub metadata: Vec<(String, String)>,
    /// Per-sample mask (true = masked: excluded from normalization, areas and later
    /// computations, shaded on the plot). `None` when nothing is masked.
    mask: Option<Vec<bool>>,
}

/// Why a set of arrays is not a valid canonical spectrum.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectrumError {
    #[error("no data points")]
    Empty,
    #[error("array lengths differ: x has {x}, y has {y}")]
    LengthMismatch { x: usize, y: usize },
    #[error("sigma has {sigma} values but x has {x}")]
    SigmaLengthMismatch { x: usize, sigma: usize },
    #[error("x is not finite at index {index}")]
    NonFiniteX { index: usize },
    #[error("y is not finite at index {index}")]
    NonFiniteY { index: usize },
    #[error("sigma is negative or not finite at index {index}")]
    BadSigma { index: usize },
    #[error("duplicate x value {x_nm} nm at index {index}")]
    DuplicateX { index: usize, x_nm: f64 },
    #[error("x is not increasing at index {index}")]
    NotIncreasing { index: usize },
}

impl Spectrum {
    /// Builds a spectrum from canonical arrays, checking every invariant.
    pub fn new(
        name: impl Into<String>,
        x_nm: Vec<f64>,
        y: Vec<f64>,
        sigma: Option<Vec<f64>>,
    ) -> Result<Self, SpectrumError> {
        if x_nm.is_empty() {
            return Err(SpectrumError::Empty);
        }
        if x_nm.len() != y.len() {
            return Err(SpectrumError::LengthMismatch {
                x: x_nm.len(),
                y: y.len(),
            });
        }
        // The checks below stop at the first offender, so they run one value at a time;
        // these vectorised ones pass valid arrays (nearly all) at memory speed first.
        let valid = crate::scan::all_values(&x_nm, f64::is_finite)
            && crate::scan::all_values(&y, f64::is_finite)
            && crate::scan::all_neighbours(&x_nm, |a, b| b > a)
            && sigma.as_ref().is_none_or(|s| {
                s.len() == x_nm.len() && crate::scan::all_values(s, |v| v.is_finite() && v >= 0.0)
            });
        if !valid {
            Self::first_problem(&x_nm, &y, sigma.as_deref())?;
        }
        Ok(Self {
            name: name.into(),
            x_nm,
            y,
            sigma,
            y_unit: String::new(),
            instrument: String::new(),
            medium: Medium::Unknown,
            metadata: Vec::new(),
            mask: None,
        })
    }

    /// The first thing wrong with arrays of equal, non-zero length, in the order
    /// [`Spectrum::new`] reports them.
    fn first_problem(x_nm: &[f64], y: &[f64], sigma: Option<&[f64]>) -> Result<(), SpectrumError> {
        if let Some(index) = x_nm.iter().position(|v| !v.is_finite()) {
            return Err(SpectrumError::NonFiniteX { index });
        }
        if let Some(index) = y.iter().position(|v| !v.is_finite()) {
            return Err(SpectrumError::NonFiniteY { index });
        }
        for index in 1..x_nm.len() {
            let (a, b) = (x_nm[index - 1], x_nm[index]);
            if b == a {
                return Err(SpectrumError::DuplicateX { index, x_nm: b });
            }
            if b < a {
                return Err(SpectrumError::NotIncreasing { index });
            }
        }
        if let Some(s) = sigma {
            if s.len() != x_nm.len() {
                return Err(SpectrumError::SigmaLengthMismatch {
                    x: x_nm.len(),
                    sigma: s.len(),
                });
            }
            if let Some(index) = s.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(SpectrumError::BadSigma { index });
            }
        }
        Ok(())
    }

    /// A spectrum derived from this one: new arrays, the same name, units, instrument,
    /// medium and metadata, no mask (callers set one with [`Spectrum::set_mask`]).
    pub fn derived(
        &self,
        x_nm: Vec<f64>,
        y: Vec<f64>,
        sigma: Option<Vec<f64>>,
    ) -> Result<Self, SpectrumError> {
        let mut s = Spectrum::new(self.name.clone(), x_nm, y, sigma)?;
        s.y_unit = self.y_unit.clone();
        s.instrument = self.instrument.clone();
        s.medium = self.medium;
        s.metadata = self.metadata.clone();
        Ok(s)
    }

    /// The per-sample mask, when anything is masked.
    pub fn mask(&self) -> Option<&[bool]> {
        self.mask.as_deref()
    }

    /// Whether every sample is masked (nothing usable to plot or compute with).
    pub fn is_fully_masked(&self) -> bool {
        self.mask.as_ref().is_some_and(|m| m.iter().all(|&b| b))
    }

    /// Whether sample `i` is masked.
    pub fn is_masked(&self, i: usize) -> bool {
        self.mask.as_ref().is_some_and(|m| m[i])
    }

    /// Sets the mask; an all-false mask is stored as `None`. Panics on a length mismatch
    /// (a programming error, not a data error).
    pub fn set_mask(&mut self, mask: Option<Vec<bool>>) {
        if let Some(m) = &mask {
            assert_eq!(m.len(), self.len(), "mask length");
        }
        self.mask = mask.filter(|m| m.iter().any(|&b| b));
    }

    /// Canonical wavelengths in nm, strictly increasing.
    pub fn x_nm(&self) -> &[f64] {
        &self.x_nm
    }

    /// Ordinate values in [`Spectrum::y_unit`].
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// One-sigma uncertainties, when known.
    pub fn sigma(&self) -> Option<&[f64]> {
        self.sigma.as_deref()
    }

    /// Number of samples (always ≥ 1).
    pub fn len(&self) -> usize {
        self.x_nm.len()
    }

    /// Always false: a spectrum has at least one sample. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.x_nm.is_empty()
    }

    /// The first and last wavelength in nm.
    pub fn x_range_nm(&self) -> (f64, f64) {
        (self.x_nm[0], self.x_nm[self.x_nm.len() - 1])
    }

    /// The content address of this spectrum; see `docs/specs/ids.md`.
    pub fn dataset_id(&self) -> crate::ids::DatasetId {
        crate::ids::dataset_id_of(&crate::ids::IdFields {
            x_nm: self.x_nm(),
            y: self.y(),
            sigma: self.sigma(),
            y_unit: &self.y_unit,
            instrument: &self.instrument,
            mask: self.mask(),
        })
    }

    /// Looks a metadata value up by key (first match, keys compared exactly).
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_broken_arrays() {
        assert_eq!(
            Spectrum::new("a", vec![], vec![], None),
            Err(SpectrumError::Empty)
        );
        assert_eq!(
            Spectrum::new("a", vec![1.0, 2.0], vec![1.0], None),
            Err(SpectrumError::LengthMismatch { x: 2, y: 1 })
        );
        assert_eq!(
            Spectrum::new("a", vec![1.0, 1.0], vec![1.0, 2.0], None),
            Err(SpectrumError::DuplicateX {
                index: 1,
                x_nm: 1.0
            })
        );
        assert_eq!(
            Spectrum::new("a", vec![2.0, 1.0], vec![1.0, 2.0], None),
            Err(SpectrumError::NotIncreasing { index: 1 })
        );
        assert_eq!(
            Spectrum::new("a", vec![1.0, f64::NAN], vec![1.0, 2.0], None),
            Err(SpectrumError::NonFiniteX { index: 1 })
        );
        assert_eq!(
            Spectrum::new("a", vec![1.0, 2.0], vec![1.0, 2.0], Some(vec![1.0, -1.0])),
            Err(SpectrumError::BadSigma { index: 1 })
        );
    }

    /// Long arrays go through the vectorised checks first: a problem deep inside, past
    /// their first blocks, is still found and reported at its index.
    #[test]
    fn finds_problems_deep_inside_long_arrays() {
        let n = 5000;
        let x: Vec<f64> = (0..n).map(|i| 400.0 + i as f64).collect();
        let y = vec![1.0; n];
        let s = vec![0.1; n];
        let new = |x: &[f64], y: &[f64], s: &[f64]| {
            Spectrum::new("a", x.to_vec(), y.to_vec(), Some(s.to_vec())).map(|_| ())
        };
        assert_eq!(new(&x, &y, &s), Ok(()));
        let mut bad = y.clone();
        bad[3001] = f64::INFINITY;
        assert_eq!(
            new(&x, &bad, &s),
            Err(SpectrumError::NonFiniteY { index: 3001 })
        );
        let mut bad = x.clone();
        bad[4000] = bad[3999] - 0.5;
        assert_eq!(
            new(&bad, &y, &s),
            Err(SpectrumError::NotIncreasing { index: 4000 })
        );
        let mut bad = s.clone();
        bad[n - 1] = -1e-300;
        assert_eq!(
            new(&x, &y, &bad),
            Err(SpectrumError::BadSigma { index: n - 1 })
        );
    }

    #[test]
    fn keeps_valid_arrays() {
        let s = Spectrum::new("a", vec![1.0, 2.0], vec![3.0, 4.0], Some(vec![0.1, 0.2])).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.x_range_nm(), (1.0, 2.0));
        assert_eq!(s.sigma(), Some(&[0.1, 0.2][..]));
    }
}
