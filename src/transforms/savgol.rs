//! Savitzky–Golay smoothing, equal to `scipy.signal.savgol_filter(y, window, poly,
//! mode='interp')`: interior points use the least-squares convolution weights, the first
//! and last `window / 2` points are the values of the polynomial fitted to the first (last)
//! `window` samples. σ propagates as σ_out² = Σ wᵢ² σᵢ² with the same weights.
//!
//! All weights come from one thin QR factorisation of the window's Vandermonde matrix:
//! the hat matrix H = Q Qᵀ holds the weights for every evaluation position.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

use serde::{Deserialize, Serialize};

/// Savitzky–Golay parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavGol {
    /// Window length in samples: odd, ≥ 3, ≤ the number of samples.
    pub window: usize,
    /// Polynomial order: < window.
    pub poly: usize,
}

/// Why Savitzky–Golay parameters cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SavGolError {
    #[error("Savitzky–Golay window must be odd, got {0}")]
    EvenWindow(usize),
    #[error("Savitzky–Golay window must be at least 3, got {0}")]
    WindowTooSmall(usize),
    #[error("Savitzky–Golay polynomial order {poly} must be less than the window {window}")]
    PolyTooHigh { window: usize, poly: usize },
    #[error("Savitzky–Golay window {window} is longer than the data ({n} samples)")]
    WindowLongerThanData { window: usize, n: usize },
}

impl SavGol {
    /// Checks the parameters against a data length.
    pub fn validate(&self, n: usize) -> Result<(), SavGolError> {
        if self.window < 3 {
            return Err(SavGolError::WindowTooSmall(self.window));
        }
        if self.window.is_multiple_of(2) {
            return Err(SavGolError::EvenWindow(self.window));
        }
        if self.poly >= self.window {
            return Err(SavGolError::PolyTooHigh {
                window: self.window,
                poly: self.poly,
            });
        }
        if self.window > n {
            return Err(SavGolError::WindowLongerThanData {
                window: self.window,
                n,
            });
        }
        Ok(())
    }

    /// The hat matrix rows: `weights[k][j]` is the weight of window sample j in the fitted
    /// value at window position k (k, j in 0..window).
    pub fn hat_matrix(&self) -> Vec<Vec<f64>> {
        let q = thin_q(self.window, self.poly + 1);
        (0..self.window)
            .map(|k| {
                (0..self.window)
                    .map(|j| (0..=self.poly).map(|l| q[k][l] * q[j][l]).sum())
                    .collect()
            })
            .collect()
    }

    /// Smooths `y` (and propagates `sigma` when given).
    pub fn apply(
        &self,
        y: &[f64],
        sigma: Option<&[f64]>,
    ) -> Result<(Vec<f64>, Option<Vec<f64>>), SavGolError> {
        let n = y.len();
        self.validate(n)?;
        let hat = self.hat_matrix();
        let half = self.window / 2;
        let center = &hat[half];
        let mut out = vec![0.0; n];
        convolve_valid(y, center, &mut out[half..n - half]);
        // Edges: polynomial fitted to the first/last window, evaluated at each edge point.
        let tail = n - self.window;
        for k in 0..half {
            out[k] = dot(&hat[k], &y[..self.window]);
            let k_end = self.window - 1 - k;
            out[tail + k_end] = dot(&hat[k_end], &y[tail..]);
        }
        let sigma_out = sigma.map(|s| {
            let squares: Vec<f64> = s.iter().map(|v| v * v).collect();
            let sq = |row: &[f64]| row.iter().map(|w| w * w).collect::<Vec<f64>>();
            let mut var = vec![0.0; n];
            convolve_valid(&squares, &sq(center), &mut var[half..n - half]);
            for k in 0..half {
                var[k] = dot(&sq(&hat[k]), &squares[..self.window]);
                let k_end = self.window - 1 - k;
                var[tail + k_end] = dot(&sq(&hat[k_end]), &squares[tail..]);
            }
            var.into_iter().map(f64::sqrt).collect()
        });
        Ok((out, sigma_out))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `out[i] = Σ_k w[k] · x[i + k]` for every i with a full window. Taps outer, samples inner,
/// in cache-sized blocks, so the inner loop vectorises. On x86-64 with AVX2 the same code
/// is compiled for 4-wide vectors: lanes are different outputs and each output's sum keeps
/// its order, so the bits equal the baseline build's (no FMA: Rust never contracts).
/// [`convolve_valid`] on ranges of the output as parallel jobs for long inputs
/// ([`crate::transforms::run_jobs`]). Every output is the same sum in the same order
/// whatever the cut.
pub(crate) fn convolve_valid_par(x: &[f64], w: &[f64], out: &mut [f64]) {
    let threads = crate::transforms::threads_for(out.len());
    if threads == 1 {
        convolve_valid(x, w, out);
        return;
    }
    let chunk = crate::transforms::job_len(out.len(), threads, 16);
    let taps = w.len();
    let jobs: Vec<(&[f64], &mut [f64])> = out
        .chunks_mut(chunk)
        .enumerate()
        .map(|(k, o)| {
            let start = k * chunk;
            (&x[start..start + o.len() + taps - 1], o)
        })
        .collect();
    crate::transforms::run_jobs(jobs, threads, || (), |_, (xs, o)| convolve_valid(xs, w, o));
}

pub(crate) fn convolve_valid(x: &[f64], w: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { convolve_valid_avx2(x, w, out) };
            return;
        }
    }
    convolve_valid_portable(x, w, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn convolve_valid_avx2(x: &[f64], w: &[f64], out: &mut [f64]) {
    convolve_valid_portable(x, w, out);
}

#[inline(always)]
pub(crate) fn convolve_valid_portable(x: &[f64], w: &[f64], out: &mut [f64]) {
    debug_assert_eq!(out.len() + w.len() - 1, x.len());
    // Register blocking: 16 outputs accumulate over every tap before they are stored, so
    // the inner loop loads only x. Each output still sums w[0]·x[i], w[1]·x[i+1], … in
    // that order from 0.0, so the bits do not depend on the blocking or the vector width.
    const LANES: usize = 16;
    let n = out.len();
    let mut chunks = out.chunks_exact_mut(LANES);
    for (c, block) in (&mut chunks).enumerate() {
        let base = c * LANES;
        let mut acc = [0.0f64; LANES];
        for (k, &wk) in w.iter().enumerate() {
            let src = &x[base + k..base + k + LANES];
            for l in 0..LANES {
                acc[l] += wk * src[l];
            }
        }
        block.copy_from_slice(&acc);
    }
    let tail_start = n - chunks.into_remainder().len();
    for i in tail_start..n {
        let mut acc = 0.0;
        for (k, &wk) in w.iter().enumerate() {
            acc += wk * x[i + k];
        }
        out[i] = acc;
    }
}

/// The thin Q (rows × cols) of the Vandermonde matrix A[j][l] = t_jˡ, t_j = (j − half)/half,
/// by modified Gram–Schmidt applied twice (stable to machine precision at these sizes).
fn thin_q(rows: usize, cols: usize) -> Vec<Vec<f64>> {
    let half = (rows / 2).max(1) as f64;
    let mut columns: Vec<Vec<f64>> = (0..cols)
        .map(|l| {
            (0..rows)
                .map(|j| ((j as f64 - (rows / 2) as f64) / half).powi(l as i32))
                .collect()
        })
        .collect();
    for l in 0..cols {
        for _pass in 0..2 {
            for p in 0..l {
                let proj = dot(&columns[l], &columns[p]);
                let (done, rest) = columns.split_at_mut(l);
                for (v, q) in rest[0].iter_mut().zip(&done[p]) {
                    *v -= proj * q;
                }
            }
        }
        let norm = dot(&columns[l], &columns[l]).sqrt();
        for v in &mut columns[l] {
            *v /= norm;
        }
    }
    (0..rows)
        .map(|j| (0..cols).map(|l| columns[l][j]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_coefficients() {
        // The textbook 5-point quadratic weights: (-3, 12, 17, 12, -3) / 35.
        let hat = SavGol { window: 5, poly: 2 }.hat_matrix();
        let want = [-3.0, 12.0, 17.0, 12.0, -3.0].map(|v| v / 35.0);
        for (a, b) in hat[2].iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
    }

    #[test]
    fn preserves_polynomials_up_to_its_order() {
        let y: Vec<f64> = (0..50)
            .map(|i| {
                let t = i as f64;
                1.0 + 0.5 * t - 0.02 * t * t + 0.001 * t * t * t
            })
            .collect();
        let (out, _) = SavGol { window: 7, poly: 3 }.apply(&y, None).unwrap();
        for (a, b) in out.iter().zip(&y) {
            assert!((a - b).abs() < 1e-10 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn sigma_of_a_constant_noise_shrinks_by_the_weight_norm() {
        let y = vec![0.0; 40];
        let s = vec![1.0; 40];
        let sg = SavGol { window: 5, poly: 2 };
        let (_, sigma) = sg.apply(&y, Some(&s)).unwrap();
        let norm = sg.hat_matrix()[2].iter().map(|w| w * w).sum::<f64>().sqrt();
        assert!((sigma.unwrap()[20] - norm).abs() < 1e-15);
    }

    #[test]
    fn the_simd_path_gives_the_portable_bits() {
        let x: Vec<f64> = (0..10_000)
            .map(|i| ((i as f64) * 0.37).sin() * 1e3 + 1.0 / (i as f64 + 1.0))
            .collect();
        let w = SavGol {
            window: 21,
            poly: 3,
        }
        .hat_matrix()[10]
            .clone();
        let mut a = vec![0.0; x.len() - 20];
        let mut b = a.clone();
        convolve_valid(&x, &w, &mut a);
        convolve_valid_portable(&x, &w, &mut b);
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn bad_parameters() {
        let y = vec![0.0; 10];
        assert_eq!(
            SavGol { window: 4, poly: 2 }.apply(&y, None).unwrap_err(),
            SavGolError::EvenWindow(4)
        );
        assert_eq!(
            SavGol { window: 1, poly: 0 }.apply(&y, None).unwrap_err(),
            SavGolError::WindowTooSmall(1)
        );
        assert!(matches!(
            SavGol { window: 5, poly: 5 }.apply(&y, None),
            Err(SavGolError::PolyTooHigh { .. })
        ));
        assert!(matches!(
            SavGol {
                window: 11,
                poly: 2
            }
            .apply(&y, None),
            Err(SavGolError::WindowLongerThanData { .. })
        ));
    }
}
