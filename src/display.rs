//! Display-ready traces: a spectrum with the view's smoothing applied, its LOD pyramid and
//! its normalization divisors, computed once and reused every frame. Pure: no egui.

use std::sync::Arc;

use crate::lod::{LodRequest, MinMaxPyramid, select_indices};
use crate::spectrum::Spectrum;
use crate::transforms::Normalization;
use crate::transforms::normalize::normalization_divisor_masked;
use crate::view::Smoothing;

/// One trace prepared for drawing at a given smoothing.
#[derive(Debug)]
pub struct DisplayTrace {
    /// The data as loaded.
    pub spectrum: Arc<Spectrum>,
    /// The smoothing this trace was prepared with.
    pub smoothing: Smoothing,
    /// Smoothed y and σ; `None` when smoothing is off (the spectrum's own arrays are used).
    smoothed: Option<(Vec<f64>, Option<Vec<f64>>)>,
    /// Min/max pyramid over the displayed (unnormalized) y.
    pyramid: MinMaxPyramid,
    /// Smallest and largest displayed y (unnormalized).
    y_range: (f64, f64),
    /// Divisors for max and area normalization (`None` when all values are zero).
    divisor_max: Option<f64>,
    divisor_area: Option<f64>,
    /// Why smoothing could not be applied, when it could not.
    pub warning: Option<String>,
    /// Contiguous masked runs of the spectrum, as (first, last) wavelength in nm.
    pub mask_runs_nm: Vec<(f64, f64)>,
}

impl DisplayTrace {
    /// Prepares a trace: smooths (falling back to raw data with a warning when the
    /// parameters do not fit this spectrum), builds the pyramid and the divisors.
    pub fn build(spectrum: Arc<Spectrum>, smoothing: Smoothing) -> Self {
        let mut warning = None;
        let smoothed =
            smoothing
                .savgol()
                .and_then(|sg| match sg.apply(spectrum.y(), spectrum.sigma()) {
                    Ok(out) => Some(out),
                    Err(e) => {
                        warning = Some(format!(
                            "{}: smoothing off for this trace: {e}",
                            spectrum.name
                        ));
                        None
                    }
                });
        let y: &[f64] = smoothed.as_ref().map_or(spectrum.y(), |(y, _)| y);
        let pyramid = MinMaxPyramid::build(y);
        let (imin, imax) = pyramid.range_extrema(y, 0, y.len());
        let y_range = (y[imin], y[imax]);
        // The same function as the `normalize` step: masked samples (a cosmic-ray spike,
        // ivar = 0) never set the scale.
        let divisor =
            |mode| normalization_divisor_masked(spectrum.x_nm(), y, mode, spectrum.mask()).ok();
        let divisor_max = divisor(Normalization::Max);
        let divisor_area = divisor(Normalization::Area);
        let mask_runs_nm = mask_runs(spectrum.x_nm(), spectrum.mask());
        Self {
            mask_runs_nm,
            smoothing,
            smoothed,
            pyramid,
            y_range,
            divisor_max,
            divisor_area,
            warning,
            spectrum,
        }
    }

    /// Displayed y before normalization.
    pub fn y(&self) -> &[f64] {
        self.smoothed.as_ref().map_or(self.spectrum.y(), |(y, _)| y)
    }

    /// Displayed σ before normalization.
    pub fn sigma(&self) -> Option<&[f64]> {
        match &self.smoothed {
            Some((_, s)) => s.as_deref(),
            None => self.spectrum.sigma(),
        }
    }

    /// The divisor for a normalization mode; `None` when the mode cannot apply (all zero),
    /// in which case the trace is drawn unnormalized.
    pub fn divisor(&self, mode: Normalization) -> Option<f64> {
        match mode {
            Normalization::None => Some(1.0),
            Normalization::Max => self.divisor_max,
            Normalization::Area => self.divisor_area,
        }
    }

    /// Displayed y range after normalization.
    pub fn y_range(&self, mode: Normalization) -> (f64, f64) {
        let d = self.divisor(mode).unwrap_or(1.0);
        (self.y_range.0 / d, self.y_range.1 / d)
    }

    /// The decimated points to draw, in display units: `(x, y, σ)` per selected sample
    /// (σ = 0 when unknown).
    pub fn lod_points(&self, mode: Normalization, request: &LodRequest) -> Vec<[f64; 3]> {
        let x_nm = self.spectrum.x_nm();
        let y = self.y();
        let sigma = self.sigma();
        let d = self.divisor(mode).unwrap_or(1.0);
        select_indices(x_nm, y, &self.pyramid, request)
            .into_iter()
            .map(|i| {
                [
                    request.unit.from_nm(x_nm[i]),
                    y[i] / d,
                    sigma.map_or(0.0, |s| s[i] / d),
                ]
            })
            .collect()
    }

    /// The index of the highest displayed sample within `radius_nm` of `x_nm`, for the
    /// snap-to-peak readout.
    pub fn peak_near(&self, x_nm: f64, radius_nm: f64) -> Option<usize> {
        let xs = self.spectrum.x_nm();
        let a = xs.partition_point(|&x| x < x_nm - radius_nm);
        let b = xs.partition_point(|&x| x <= x_nm + radius_nm);
        (a < b).then(|| self.pyramid.range_extrema(self.y(), a, b).1)
    }

    /// The sample nearest to `x_nm`.
    pub fn nearest(&self, x_nm: f64) -> usize {
        let xs = self.spectrum.x_nm();
        let i = xs.partition_point(|&x| x < x_nm);
        if i == 0 {
            0
        } else if i == xs.len() || (x_nm - xs[i - 1]) <= (xs[i] - x_nm) {
            i - 1
        } else {
            i
        }
    }
}

/// Contiguous runs of masked samples as (first x, last x).
fn mask_runs(x_nm: &[f64], mask: Option<&[bool]>) -> Vec<(f64, f64)> {
    let Some(mask) = mask else { return Vec::new() };
    let mut runs = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &m) in mask.iter().enumerate() {
        match (m, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((x_nm[s], x_nm[i - 1]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((x_nm[s], x_nm[x_nm.len() - 1]));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::XUnit;

    /// A masked spike sets neither the view's scale nor the `normalize` step's: both are
    /// the largest unmasked |y|, and both areas leave the spike's trapezoids out.
    #[test]
    fn display_normalization_honours_masks_exactly_as_the_step() {
        use crate::ids::DatasetId;
        use crate::transforms::registry::{Identified, Step, apply_identified};
        let x: Vec<f64> = (0..100).map(|i| 500.0 + i as f64).collect();
        let mut y: Vec<f64> = (0..100).map(|i| 1.0 + (i % 7) as f64 * 0.1).collect();
        y[40] = 1000.0; // the cosmic ray
        let mut s = Spectrum::new("spike", x, y, None).unwrap();
        let mut mask = vec![false; 100];
        mask[40] = true;
        s.set_mask(Some(mask));
        let id: DatasetId = s.dataset_id();
        let t = DisplayTrace::build(Arc::new(s.clone()), Smoothing::Off);
        for mode in [Normalization::Max, Normalization::Area] {
            let step: Step = serde_json::from_value(serde_json::json!({
                "kind": "normalize", "params": {"mode": mode}
            }))
            .unwrap();
            let applied = apply_identified(
                &step,
                Identified {
                    id: &id,
                    spectrum: &s,
                },
                &[],
            )
            .unwrap();
            let d = t.divisor(mode).unwrap();
            // The step divides by the same number the view does, bit for bit.
            for i in [0usize, 10, 99] {
                assert_eq!(applied.spectrum.y()[i], s.y()[i] / d, "{mode:?} at {i}");
            }
            if mode == Normalization::Max {
                assert_eq!(d, 1.6, "the largest unmasked |y|, not the spike");
            }
        }
    }

    fn trace(smoothing: Smoothing) -> DisplayTrace {
        let x: Vec<f64> = (0..100).map(|i| 500.0 + i as f64).collect();
        let mut y = vec![1.0; 100];
        y[50] = 5.0;
        let s = Spectrum::new("t", x, y, Some(vec![0.5; 100])).unwrap();
        DisplayTrace::build(Arc::new(s), smoothing)
    }

    #[test]
    fn normalization_scales_points_and_sigma() {
        let t = trace(Smoothing::Off);
        let req = LodRequest {
            x_range_nm: (549.5, 550.5),
            columns: 10,
            budget_points: 100,
            unit: XUnit::Angstrom,
        };
        let pts = t.lod_points(Normalization::Max, &req);
        assert!(pts.contains(&[5500.0, 1.0, 0.1]));
        assert_eq!(t.y_range(Normalization::Max), (0.2, 1.0));
    }

    #[test]
    fn masked_runs() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(
            mask_runs(&x, Some(&[true, true, false, true, true])),
            vec![(1.0, 2.0), (4.0, 5.0)]
        );
        assert!(mask_runs(&x, None).is_empty());
    }

    #[test]
    fn snap_and_nearest() {
        let t = trace(Smoothing::Off);
        assert_eq!(t.peak_near(548.0, 3.0), Some(50));
        assert_eq!(t.nearest(549.6), 50);
        assert_eq!(t.nearest(0.0), 0);
        assert_eq!(t.nearest(1e9), 99);
    }

    #[test]
    fn smoothing_that_does_not_fit_falls_back_with_a_warning() {
        let t = trace(Smoothing::Sg {
            window: 201,
            poly: 2,
        });
        assert!(
            t.warning
                .as_deref()
                .unwrap()
                .contains("longer than the data")
        );
        assert_eq!(t.y()[50], 5.0);
        let t = trace(Smoothing::Sg { window: 5, poly: 2 });
        assert!(t.warning.is_none());
        assert!(t.y()[50] < 5.0);
    }
}
