//! Peaks and troughs against a robust continuum.
//!
//! The continuum ([`FeatureContinuum`]) is a running median over
//! [`FeatureRequest::continuum_px`] samples (evaluated every quarter of that and linear in
//! between, `analysis::robust::continuum`), or a local parabola with clipping over the
//! same window (`analysis::robust::quadratic_continuum`). The median stays on the
//! continuum while lines fill less than half of the window but, on a steep or bending
//! band edge, *is* the data (the middle value of a rising window is its centre sample):
//! a line there that does not reverse the slope leaves no residual. The parabola follows
//! the edge and its bend, but bends into lines that fill more than about a fifth of the
//! window and leaves lobes beside them; it suits low-resolution spectra whose lines are a
//! few samples wide on strongly shaped continua (SpeX prism brown dwarfs). Both use only
//! the unmasked samples. The noise is σ where the spectrum has it; without σ it is
//! 1.4826 × the MAD of the residuals y − continuum (the σ of Gaussian noise), and the
//! result says so. A feature is a run of at least two consecutive samples whose residual
//! exceeds [`FeatureRequest::threshold_sigma`] × noise in one direction (emission above,
//! absorption below). For each: the extremum, the half-maximum width, the centroid of
//! |residual| over the samples above half the extremum with its σ propagated from the
//! noise, and the S/N of the residual summed over those samples.

use crate::analysis::robust::{continuum, median, quadratic_continuum};
use crate::spectrum::Spectrum;
use serde::{Deserialize, Serialize};

/// The continuum features are measured against (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureContinuum {
    /// Running median over the window.
    #[default]
    RunningMedian,
    /// Local parabola with 3σ clipping over the window.
    Parabola,
}

impl FeatureContinuum {
    /// Whether this is the default, the running median.
    pub fn is_running_median(&self) -> bool {
        *self == Self::RunningMedian
    }

    /// The name the CLI and the records use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RunningMedian => "running_median",
            Self::Parabola => "parabola",
        }
    }
}

/// How to look for features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureRequest {
    /// Continuum window, samples (≥ 3; ≥ 5 for the parabola). It should span several
    /// line widths and stay narrower than the continuum's own bends; 21 suits
    /// low-resolution spectra such as SpeX prism data.
    pub continuum_px: usize,
    /// Detection threshold on |residual| / noise at the run's samples.
    pub threshold_sigma: f64,
    /// Which continuum. Not written when it is the running median, so that records made
    /// before the choice existed keep their bytes and their IDs.
    #[serde(default, skip_serializing_if = "FeatureContinuum::is_running_median")]
    pub continuum: FeatureContinuum,
}

impl Default for FeatureRequest {
    fn default() -> Self {
        Self {
            continuum_px: 21,
            threshold_sigma: 4.0,
            continuum: FeatureContinuum::RunningMedian,
        }
    }
}

/// Emission (above the continuum) or absorption (below).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    Emission,
    Absorption,
}

/// One feature.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Feature {
    pub kind: FeatureKind,
    /// Centroid of |y − continuum| over the samples above half the extremum, nm.
    pub centroid_nm: f64,
    /// 1σ of the centroid from the noise, nm.
    pub centroid_sigma_nm: f64,
    /// Wavelength of the extremum sample, nm.
    pub extremum_nm: f64,
    /// Width at half the extremum (linear between samples), nm.
    pub fwhm_nm: f64,
    /// |y − continuum| at the extremum, in the spectrum's y unit.
    pub depth: f64,
    /// Summed residual over the half-maximum samples / its noise.
    pub snr: f64,
    /// First and last sample index of the run.
    pub first_index: usize,
    pub last_index: usize,
}

/// Features with how the noise was found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Features {
    pub features: Vec<Feature>,
    /// `file` or `mad` (estimated from the residuals' MAD).
    pub noise_source: &'static str,
    pub warnings: Vec<String>,
}

/// Why features cannot be searched for.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FeatureError {
    #[error("fewer than 5 unmasked samples")]
    TooFew,
    #[error("threshold must be a positive number of σ (got {0})")]
    BadThreshold(f64),
    #[error("the noise is zero: the residuals are all equal (a noiseless model needs σ)")]
    ZeroNoise,
}

/// Finds the peaks and troughs of `s` (features are sorted by wavelength).
pub fn find_features(s: &Spectrum, req: &FeatureRequest) -> Result<Features, FeatureError> {
    if !(req.threshold_sigma.is_finite() && req.threshold_sigma > 0.0) {
        return Err(FeatureError::BadThreshold(req.threshold_sigma));
    }
    let n = s.len();
    let valid: Vec<bool> = (0..n).map(|i| !s.is_masked(i)).collect();
    if valid.iter().filter(|v| **v).count() < 5 {
        return Err(FeatureError::TooFew);
    }
    let x = s.x_nm();
    let y = s.y();
    let cont = match req.continuum {
        FeatureContinuum::RunningMedian => continuum(y, &valid, req.continuum_px.max(3)),
        FeatureContinuum::Parabola => quadratic_continuum(y, &valid, req.continuum_px.max(5)),
    }
    .ok_or(FeatureError::TooFew)?;
    let res: Vec<f64> = (0..n).map(|i| y[i] - cont[i]).collect();
    let mut warnings = Vec::new();
    let (noise, noise_source): (Vec<f64>, &'static str) = match s.sigma() {
        Some(sig) => (sig.to_vec(), "file"),
        None => {
            let mut r: Vec<f64> = (0..n).filter(|&i| valid[i]).map(|i| res[i]).collect();
            let m = median(&mut r.clone());
            let mut dev: Vec<f64> = r.iter_mut().map(|v| (*v - m).abs()).collect();
            let mad = 1.4826 * median(&mut dev);
            if mad <= 0.0 {
                return Err(FeatureError::ZeroNoise);
            }
            warnings.push(
                "no uncertainty array: noise estimated as 1.4826 × the MAD of the residuals to the continuum"
                    .into(),
            );
            (vec![mad; n], "mad")
        }
    };
    let signif = |i: usize| -> f64 {
        if !valid[i] || noise[i] <= 0.0 {
            0.0
        } else {
            res[i] / noise[i]
        }
    };
    let mut features = Vec::new();
    let mut i = 0;
    while i < n {
        let z = signif(i);
        if z.abs() < req.threshold_sigma {
            i += 1;
            continue;
        }
        let sign = z.signum();
        let start = i;
        while i < n && signif(i) * sign >= req.threshold_sigma {
            i += 1;
        }
        let end = i - 1;
        if end == start {
            continue; // a single sample is as likely a cosmic ray or a bad pixel
        }
        // The extremum, then the samples around it above half of it.
        let ext = (start..=end)
            .max_by(|&a, &b| (res[a] * sign).total_cmp(&(res[b] * sign)).then(b.cmp(&a)))
            .expect("non-empty run");
        let depth = res[ext] * sign;
        let half = 0.5 * depth;
        let mut lo = ext;
        while lo > 0 && valid[lo - 1] && res[lo - 1] * sign > half {
            lo -= 1;
        }
        let mut hi = ext;
        while hi + 1 < n && valid[hi + 1] && res[hi + 1] * sign > half {
            hi += 1;
        }
        // Half-maximum crossings, linear between samples.
        let left = if lo > 0 {
            let (r0, r1) = (res[lo - 1] * sign, res[lo] * sign);
            x[lo - 1] + (half - r0) / (r1 - r0) * (x[lo] - x[lo - 1])
        } else {
            x[lo]
        };
        let right = if hi + 1 < n {
            let (r0, r1) = (res[hi] * sign, res[hi + 1] * sign);
            x[hi] + (r0 - half) / (r0 - r1) * (x[hi + 1] - x[hi])
        } else {
            x[hi]
        };
        let (mut sw, mut swx, mut var) = (0.0, 0.0, 0.0);
        for k in lo..=hi {
            let w = res[k] * sign;
            sw += w;
            swx += w * x[k];
            var += noise[k] * noise[k];
        }
        let centroid = swx / sw;
        // ∂c/∂y_k = ±(x_k − c)/Σw.
        let var_c: f64 = (lo..=hi)
            .map(|k| ((x[k] - centroid) * noise[k] / sw).powi(2))
            .sum();
        features.push(Feature {
            kind: if sign > 0.0 {
                FeatureKind::Emission
            } else {
                FeatureKind::Absorption
            },
            centroid_nm: centroid,
            centroid_sigma_nm: var_c.sqrt(),
            extremum_nm: x[ext],
            fwhm_nm: right - left,
            depth,
            snr: if var > 0.0 { sw / var.sqrt() } else { 0.0 },
            first_index: start,
            last_index: end,
        });
    }
    Ok(Features {
        features,
        noise_source,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum_with_lines(with_sigma: bool) -> Spectrum {
        let x: Vec<f64> = (0..2000).map(|i| 500.0 + 0.05 * i as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&x| {
                1.0 - 0.3 * (-0.5 * ((x - 530.0) / 0.1).powi(2)).exp()
                    + 0.5 * (-0.5 * ((x - 560.3) / 0.15).powi(2)).exp()
            })
            .collect();
        let sigma = with_sigma.then(|| vec![0.01; x.len()]);
        Spectrum::new("t", x, y, sigma).unwrap()
    }

    #[test]
    fn finds_an_absorption_and_an_emission_line_where_they_are() {
        // The window must be several line widths wide for the median to stay on the
        // continuum: these lines are ≈ 7 samples wide at half maximum.
        let req = FeatureRequest {
            continuum_px: 51,
            ..Default::default()
        };
        let f = find_features(&spectrum_with_lines(true), &req).unwrap();
        assert_eq!(f.features.len(), 2, "{:?}", f.features);
        let (a, e) = (&f.features[0], &f.features[1]);
        assert_eq!(a.kind, FeatureKind::Absorption);
        assert_eq!(e.kind, FeatureKind::Emission);
        assert!((a.centroid_nm - 530.0).abs() < 0.01, "{}", a.centroid_nm);
        assert!((e.centroid_nm - 560.3).abs() < 0.01, "{}", e.centroid_nm);
        // FWHM of a Gaussian of σ 0.15 nm is 0.353 nm (sampled every 0.05 nm).
        assert!((e.fwhm_nm - 0.3532).abs() < 0.02, "{}", e.fwhm_nm);
        assert!(a.snr > 50.0 && e.snr > 50.0);
        assert_eq!(f.noise_source, "file");
    }

    #[test]
    fn without_sigma_the_noise_comes_from_the_mad_and_is_said() {
        // A noiseless model has zero MAD: refused rather than infinite S/N.
        assert_eq!(
            find_features(&spectrum_with_lines(false), &FeatureRequest::default()),
            Err(FeatureError::ZeroNoise)
        );
        let s = spectrum_with_lines(false);
        // Uniform noise in ±0.01 from a xorshift generator (a multiplicative residue
        // such as (7919·i mod 1000) is a sawtooth of period ≈ 12 samples: a signal that a
        // local parabola partly follows, not noise).
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let noisy: Vec<f64> = s
            .y()
            .iter()
            .map(|y| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                y + 0.01 * ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
            })
            .collect();
        let s = Spectrum::new("n", s.x_nm().to_vec(), noisy, None).unwrap();
        let f = find_features(&s, &FeatureRequest::default()).unwrap();
        assert_eq!(f.noise_source, "mad");
        assert!(f.warnings[0].contains("MAD"));
        assert_eq!(f.features.len(), 2);
    }

    #[test]
    fn on_a_band_edge_the_parabola_finds_a_dip_the_median_misses() {
        // A rising, bending edge with a 3-sample dip shallower than the rise per sample
        // (so the data stay monotonic), σ = 1e-4.
        let x: Vec<f64> = (0..300).map(|i| 1000.0 + i as f64).collect();
        let y: Vec<f64> = (0..300)
            .map(|i| {
                let t = i as f64 / 300.0;
                0.2 + 3.0 * t * t - if (149..152).contains(&i) { 0.005 } else { 0.0 }
            })
            .collect();
        let s = Spectrum::new("edge", x, y, Some(vec![1e-4; 300])).unwrap();
        let median = find_features(&s, &FeatureRequest::default()).unwrap();
        assert!(
            !median
                .features
                .iter()
                .any(|f| f.kind == FeatureKind::Absorption
                    && f.first_index <= 151
                    && f.last_index >= 149),
            "{:?}",
            median.features
        );
        let req = FeatureRequest {
            continuum: FeatureContinuum::Parabola,
            ..Default::default()
        };
        let parabola = find_features(&s, &req).unwrap();
        assert_eq!(parabola.features.len(), 1, "{:?}", parabola.features);
        let f = &parabola.features[0];
        assert_eq!(f.kind, FeatureKind::Absorption);
        assert!((f.centroid_nm - 1150.0).abs() < 0.1, "{}", f.centroid_nm);
        assert!((f.depth - 0.005).abs() < 2.5e-4, "{}", f.depth);
    }

    #[test]
    fn bad_requests_are_refused() {
        let s = spectrum_with_lines(true);
        for t in [0.0, -1.0, f64::NAN] {
            let req = FeatureRequest {
                threshold_sigma: t,
                ..Default::default()
            };
            assert!(matches!(
                find_features(&s, &req),
                Err(FeatureError::BadThreshold(_))
            ));
        }
        let mut masked = s.clone();
        masked.set_mask(Some(vec![true; s.len()]));
        assert_eq!(
            find_features(&masked, &FeatureRequest::default()),
            Err(FeatureError::TooFew)
        );
    }
}
