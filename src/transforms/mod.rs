//! Pure transforms on canonical arrays (x in nm). The view's display normalization and
//! smoothing call these same functions, so the picture and a recorded step can never
//! disagree. `registry` names every transform, its parameters with units, its version,
//! and applies recorded steps.

pub mod airvac;
pub mod barycentric;
pub mod lsf;
pub mod normalize;
pub mod registry;
pub mod resample;
pub mod savgol;
pub mod velocity;

pub use normalize::{
    Normalization, NormalizeError, normalization_divisor, normalization_divisor_masked,
};
pub use savgol::{SavGol, SavGolError};

/// Threads for an elementwise pass over `n` values: 1 below 2¹⁶, else one per core (at
/// most 4). Results never depend on it: every element is computed alone.
pub(crate) fn threads_for(n: usize) -> usize {
    if n < (1 << 16) {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
    }
}

/// `values.iter().map(f).collect()`, in parallel ranges for long inputs (same bits).
pub(crate) fn par_map(values: &[f64], f: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
    let threads = threads_for(values.len());
    if threads == 1 {
        return values.iter().map(|&v| f(v)).collect();
    }
    let mut out = vec![0.0; values.len()];
    let chunk = values.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        for (o, v) in out.chunks_mut(chunk).zip(values.chunks(chunk)) {
            scope.spawn(move || {
                for (slot, &x) in o.iter_mut().zip(v) {
                    *slot = f(x);
                }
            });
        }
    });
    out
}

/// `(0..n).map(f).collect()`, in parallel ranges for long outputs (same bits).
pub(crate) fn par_from_fn(n: usize, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
    let threads = threads_for(n);
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let mut out = vec![0.0; n];
    let chunk = n.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        for (k, o) in out.chunks_mut(chunk).enumerate() {
            scope.spawn(move || {
                for (i, slot) in o.iter_mut().enumerate() {
                    *slot = f(k * chunk + i);
                }
            });
        }
    });
    out
}
