//! Line-spread-function convolution with a Gaussian kernel.
//!
//! The kernel is defined by a FWHM in nm (constant in λ) or by a resolving power R
//! (FWHM = λ/R, constant in ln λ). On a grid uniform in the kernel's space (λ or ln λ, to
//! 1e-6 of the step) the convolution runs on the samples directly and equals
//! `scipy.ndimage.gaussian_filter1d(y, σ_px, mode='reflect', truncate=4.0)`. Other grids
//! are interpolated linearly onto a uniform grid with as many samples, convolved, and
//! interpolated back (documented as an approximation; σ follows the same path). The way
//! back reads the uniform grid by fractional index (`from_uniform`).
//!
//! With `convolve_down_only`, the kernel is √(target² − current²) (in FWHM, or in 1/R),
//! and a target sharper than the data is an error.
//!
//! ln λ comes from `ln_normal`, fdlibm's logarithm in plain IEEE operations: within
//! 1 ulp of the platform's `ln`, the same bits on every platform, and vectorised.
//!
//! Short kernels are convolved directly; long ones by FFT, switching at [`FFT_MIN_TAPS`],
//! the crossover measured by `benches/transforms.rs`. Both paths give the same bits on
//! every machine: the direct path's SIMD variants keep the scalar order of operations,
//! and the FFT is our own batched radix-4 (`fft`), whose vector variants do too and
//! whose twiddles come from its own sine and cosine. (A library FFT that picks its
//! algorithm by CPU would change the last bits from one machine to another, and with
//! them derived IDs.)

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

use crate::transforms::savgol::{convolve_valid, convolve_valid_par};
use crate::transforms::{fft, resample};

/// FWHM of a Gaussian in units of its standard deviation: 2√(2 ln 2).
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949_3;

/// scipy's default truncation of the kernel, in standard deviations.
pub const TRUNCATE_SIGMAS: f64 = 4.0;

/// Kernels with at least this many taps are convolved by FFT. Measured on 1e6 samples
/// with both paths threaded (benches/transforms.rs, crossover rows, 2 cores, quietest of
/// two runs): direct 1.8 / 3.0 / 5.4 / 6.8 / 8.7 / 10.9 / 21.7 ms at 41 / 81 / 121 / 161 /
/// 241 / 321 / 641 taps (≈ 0.03 ms per tap), overlap-save FFT a nearly flat 2.7–3.7 ms;
/// they cross near 71 taps.
pub const FFT_MIN_TAPS: usize = 71;

/// A Gaussian LSF width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LsfWidth {
    /// FWHM in nm, the same at every wavelength.
    FwhmNm(f64),
    /// Resolving power λ/Δλ(FWHM), the same at every wavelength.
    ResolvingPower(f64),
}

/// Why a convolution cannot be done.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LsfError {
    #[error("FWHM must be a positive number of nm, got {0}")]
    BadFwhm(f64),
    #[error("resolving power must be positive and finite, got {0}")]
    BadResolvingPower(f64),
    #[error(
        "the target LSF ({target}) is sharper than the data's ({current}); convolve_down_only forbids it"
    )]
    SharperThanData { target: String, current: String },
    #[error(
        "convolve_down_only needs the data's current LSF in the same form (FWHM or resolving power) as the target"
    )]
    CurrentUnknown,
    #[error("need at least 2 samples")]
    TooShort,
}

impl LsfWidth {
    fn check(self) -> Result<(), LsfError> {
        match self {
            LsfWidth::FwhmNm(f) if !(f.is_finite() && f > 0.0) => Err(LsfError::BadFwhm(f)),
            LsfWidth::ResolvingPower(r) if !(r.is_finite() && r > 0.0) => {
                Err(LsfError::BadResolvingPower(r))
            }
            _ => Ok(()),
        }
    }

    fn describe(self) -> String {
        match self {
            LsfWidth::FwhmNm(f) => format!("FWHM {f} nm"),
            LsfWidth::ResolvingPower(r) => format!("R = {r}"),
        }
    }
}

/// What a convolution did, for the step record.
#[derive(Clone, Debug, PartialEq)]
pub struct LsfApplied {
    /// Kernel standard deviation in samples of the (possibly resampled) grid.
    pub sigma_px: f64,
    /// Kernel taps (2 × radius + 1).
    pub taps: usize,
    /// True when the grid was not uniform and went through interpolation.
    pub resampled: bool,
    /// True when the FFT path was used.
    pub fft: bool,
}

/// Convolved y, convolved σ (when given) and what was done.
pub type Convolved = (Vec<f64>, Option<Vec<f64>>, LsfApplied);

/// Convolves (`x_nm`, `y`, `sigma`) with a Gaussian of `target` width (or of the
/// quadrature difference to `current` when `down_only`).
pub fn convolve_gaussian(
    x_nm: &[f64],
    y: &[f64],
    sigma: Option<&[f64]>,
    target: LsfWidth,
    current: Option<LsfWidth>,
    down_only: bool,
) -> Result<Convolved, LsfError> {
    target.check()?;
    if x_nm.len() < 2 {
        return Err(LsfError::TooShort);
    }
    // Kernel FWHM in the kernel's own space: nm, or ln λ.
    let (log_space, kernel_fwhm) = match (target, down_only.then_some(current).flatten()) {
        (LsfWidth::FwhmNm(t), None) if !down_only => (false, t),
        (LsfWidth::ResolvingPower(r), None) if !down_only => (true, 1.0 / r),
        (LsfWidth::FwhmNm(t), Some(LsfWidth::FwhmNm(c))) => {
            current.expect("matched").check()?;
            if t <= c {
                return Err(LsfError::SharperThanData {
                    target: target.describe(),
                    current: current.expect("matched").describe(),
                });
            }
            (false, (t * t - c * c).sqrt())
        }
        (LsfWidth::ResolvingPower(t), Some(LsfWidth::ResolvingPower(c))) => {
            current.expect("matched").check()?;
            if t >= c {
                return Err(LsfError::SharperThanData {
                    target: target.describe(),
                    current: current.expect("matched").describe(),
                });
            }
            (true, (1.0 / (t * t) - 1.0 / (c * c)).sqrt())
        }
        _ => return Err(LsfError::CurrentUnknown),
    };
    // The kernel's space: λ itself (borrowed) or ln λ.
    let space: std::borrow::Cow<'_, [f64]> = if log_space {
        ln_axis(x_nm).into()
    } else {
        x_nm.into()
    };
    let n = space.len();
    let step = (space[n - 1] - space[0]) / (n - 1) as f64;
    let uniform = crate::scan::all_neighbours(&space, |a, b| ((b - a) - step).abs() <= 1e-6 * step);
    let sigma_px = kernel_fwhm / FWHM_PER_SIGMA / step;
    let weights = gaussian_weights(sigma_px);
    let fft = weights.len() >= FFT_MIN_TAPS;
    let run = |v: &[f64], w: &[f64]| {
        if fft {
            convolve_reflect_fft(v, w)
        } else {
            convolve_reflect_direct(v, w)
        }
    };
    let squared: Vec<f64> = weights.iter().map(|w| w * w).collect();
    let applied = LsfApplied {
        sigma_px,
        taps: weights.len(),
        resampled: !uniform,
        fft,
    };
    if uniform {
        let out = run(y, &weights);
        let out_sigma = sigma.map(|s| {
            let var = crate::transforms::par_map(s, |v| v * v);
            crate::transforms::par_map(&run(&var, &squared), |v| v.max(0.0).sqrt())
        });
        return Ok((out, out_sigma, applied));
    }
    // Non-uniform: to a uniform grid in the kernel's space and back.
    // The uniform grid is computed where it is read, never stored. It is increasing and
    // spans the data exactly (its ends are the data's), so no checks are needed.
    let uniform = resample::UniformAxis {
        first: space[0],
        step,
        last: space[n - 1],
        n,
    };
    let space = &space[..];
    let (yu, su) = resample::linear_inside(space, y, sigma, uniform);
    let conv = run(&yu, &weights);
    let back = from_uniform(uniform, &conv, space);
    let back_sigma = su.map(|s| {
        let var = crate::transforms::par_map(&s, |v| v * v);
        let cv = crate::transforms::par_map(&run(&var, &squared), |v| v.max(0.0).sqrt());
        from_uniform(uniform, &cv, space)
    });
    Ok((back, back_sigma, applied))
}

/// Linear interpolation of `values` on the `uniform` grid at the points `at` (inside
/// it): the fractional index t = (x − first)/step gives the bracket j = ⌊t⌋ and the weight
/// t − j directly, with no search, no branch and no division per point.
fn from_uniform(uniform: resample::UniformAxis, values: &[f64], at: &[f64]) -> Vec<f64> {
    let per_step = 1.0 / uniform.step;
    let last_bracket = uniform.n.saturating_sub(2) as i64;
    crate::transforms::par_map(at, |x| {
        let t = (x - uniform.first) * per_step;
        // The end points land on t = 0 and t ≈ n − 1, inside the last bracket.
        let j = (t as i64).clamp(0, last_bracket) as usize;
        let weight = t - j as f64;
        values[j] + weight * (values[j + 1] - values[j])
    })
}

/// Natural logarithms of a whole axis with [`ln_normal`], in parallel jobs, compiled
/// for the widest vector unit this CPU has (the same bits at every width).
fn ln_axis(x: &[f64]) -> Vec<f64> {
    crate::transforms::par_map_pieces(x, ln_dispatch)
}

fn ln_dispatch(x: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { ln_avx512(x, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { ln_avx2(x, out) };
        }
    }
    ln_slice(x, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn ln_avx512(x: &[f64], out: &mut [f64]) {
    ln_slice(x, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ln_avx2(x: &[f64], out: &mut [f64]) {
    ln_slice(x, out);
}

#[inline(always)]
fn ln_slice(x: &[f64], out: &mut [f64]) {
    let mut all_normal = true;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = ln_normal(v);
        all_normal &= v.is_normal() & (v > 0.0);
    }
    if !all_normal {
        // Zero, negative, subnormal or non-finite inputs (never in a valid axis): the
        // platform's ln, which knows their special values.
        for (o, &v) in out.iter_mut().zip(x) {
            if !(v.is_normal() && v > 0.0) {
                *o = v.ln();
            }
        }
    }
}

/// ln x within 1 ulp, by fdlibm's method (e_log.c): x = 2^k·m with m in [√½, √2),
/// ln m = f − (f²/2 − s(f²/2 + R(s²))), f = m − 1, s = f/(2 + f). Plain IEEE operations
/// without branches, so it vectorises and gives the same bits on every machine (a
/// platform's `ln` may differ in the last bit). Only for positive normal x.
#[inline(always)]
fn ln_normal(x: f64) -> f64 {
    // fdlibm's constants, by their bits (the decimal forms after them).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.931_471_803_691_238_164_90e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.908_214_929_270_587_700_02e-10
    const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 6.666_666_666_666_735_13e-01
    const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 3.999_999_999_940_941_908e-01
    const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 2.857_142_874_366_239_149e-01
    const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 2.222_219_843_214_978_396e-01
    const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 1.818_357_216_161_805_012e-01
    const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 1.531_383_769_920_937_332e-01
    const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 1.479_819_860_511_658_591e-01
    let bits = x.to_bits();
    let exponent = (bits >> 52) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let k = (exponent + i64::from(big)) as f64;
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Normalized Gaussian weights with scipy's radius int(4σ + 0.5).
pub fn gaussian_weights(sigma_px: f64) -> Vec<f64> {
    let radius = (TRUNCATE_SIGMAS * sigma_px + 0.5) as usize;
    let mut w: Vec<f64> = (0..=2 * radius)
        .map(|i| {
            let x = i as f64 - radius as f64;
            (-0.5 * x * x / (sigma_px * sigma_px)).exp()
        })
        .collect();
    let sum: f64 = w.iter().sum();
    for v in &mut w {
        *v /= sum;
    }
    w
}

/// Index into a signal of length n under scipy's 'reflect' extension (d c b a | a b c d).
fn reflect_index(i: isize, n: usize) -> usize {
    let period = 2 * n as isize;
    let m = i.rem_euclid(period);
    if m < n as isize {
        m as usize
    } else {
        (period - 1 - m) as usize
    }
}

fn padded(v: &[f64], radius: usize) -> Vec<f64> {
    let n = v.len();
    let mut p = Vec::with_capacity(n + 2 * radius);
    p.extend((-(radius as isize)..0).map(|i| v[reflect_index(i, n)]));
    p.extend_from_slice(v);
    p.extend((n as isize..(n + radius) as isize).map(|i| v[reflect_index(i, n)]));
    p
}

/// Direct convolution with reflect edges (symmetric kernel, odd length). The interior
/// reads the data in place; only the `radius` outputs at each end go through a small
/// reflected copy.
pub fn convolve_reflect_direct(v: &[f64], w: &[f64]) -> Vec<f64> {
    let n = v.len();
    let radius = w.len() / 2;
    let mut out = vec![0.0; n];
    if n > 2 * radius {
        convolve_valid_par(v, w, &mut out[radius..n - radius]);
        let edge = 2 * radius;
        // Left: outputs 0..radius read reflected samples −radius..2·radius.
        let head = padded_range(v, -(radius as isize), edge as isize);
        convolve_valid(&head, w, &mut out[..radius]);
        // Right: outputs n−radius..n read n−2·radius..n+radius.
        let tail = padded_range(v, (n - edge) as isize, (n + radius) as isize);
        convolve_valid(&tail, w, &mut out[n - radius..]);
    } else {
        let p = padded(v, radius);
        convolve_valid(&p, w, &mut out);
    }
    out
}

/// Samples `v[i]` for i in `from..to` under reflect extension.
fn padded_range(v: &[f64], from: isize, to: isize) -> Vec<f64> {
    (from..to).map(|i| v[reflect_index(i, v.len())]).collect()
}

/// FFT convolution with reflect edges (symmetric kernel, odd length): overlap-save in
/// blocks small enough to stay in cache, by our own batched FFT (`fft`, the same bits
/// on every CPU). Each complex transform carries two real blocks, one as its real part
/// and one as its imaginary part (the kernel is real, so they convolve independently),
/// and a batch carries `fft::LANES` such transforms.
pub fn convolve_reflect_fft(v: &[f64], w: &[f64]) -> Vec<f64> {
    let taps = w.len();
    let radius = taps / 2;
    let n = v.len();
    // Block size: a power of 4, several times the kernel, so most of each FFT is output.
    let mut size = 4096;
    while size < 4 * taps {
        size *= 4;
    }
    let plan = fft::Plan::new(size);
    let step = size - taps + 1; // outputs per block
    let kernel = kernel_spectrum(&plan, w);
    // The signal under reflect extension, then zeros: sample k of the padded signal.
    let padded_at = |k: usize| -> f64 {
        if k >= radius && k < radius + n {
            v[k - radius]
        } else if k < n + 2 * radius {
            v[reflect_index(k as isize - radius as isize, n)]
        } else {
            0.0
        }
    };
    // Block b covers outputs [b·step, b·step + step) and reads padded samples
    // [b·step, b·step + size). A batch holds blocks 2·LANES at a time: lane l carries
    // blocks 2l (real part) and 2l + 1 (imaginary part). Groups of batches are jobs for
    // the threads, each thread with its own buffers. Each block is computed the same way
    // wherever it runs, so the bits do not depend on the threading or on the batching.
    const BLOCKS_PER_BATCH: usize = 2 * fft::LANES;
    let blocks = n.div_ceil(step);
    let batches = blocks.div_ceil(BLOCKS_PER_BATCH);
    let threads = crate::transforms::threads_for(n);
    let batches_per_job = crate::transforms::job_len(batches, threads, 1);
    let outputs_per_job = batches_per_job * BLOCKS_PER_BATCH * step;
    // Each thread's two batches, made here: a thread's first touch of fresh memory costs
    // page faults, and the helper threads are new on every call.
    let buffers = std::sync::Mutex::new(
        (0..threads)
            .map(|_| (plan.batch(), plan.batch()))
            .collect::<Vec<_>>(),
    );
    let take_buffers = || {
        let spare = buffers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        spare.unwrap_or_else(|| (plan.batch(), plan.batch()))
    };
    let zeros = vec![0.0; size];
    let work = |(data, scratch): &mut (Vec<f64>, Vec<f64>),
                base: usize,
                out_part: &mut crate::transforms::Piece<'_>| {
        let mut first_block = base / step;
        while first_block < blocks && first_block * step < base + out_part.len() {
            // Block j of the batch goes to lane j/2, in its real (j even) or imaginary part:
            // value slot j/2 + (j % 2)·LANES of each element; slot `at` holds block
            // `block_of_slot(at)`. Its inverse transform comes back in the other part (see
            // below), the slot of block j ^ 1.
            let block_of_slot = |at: usize| 2 * (at % fft::LANES) + at / fft::LANES;
            // The input of each block: a slice of the signal where the block lies inside
            // it, else its padded samples (the ends), or zeros past the last block.
            let padded: Vec<Option<Vec<f64>>> = (0..BLOCKS_PER_BATCH)
                .map(|j| {
                    let b = first_block + j;
                    let inside = b * step >= radius && b * step + size <= radius + n;
                    (b < blocks && !inside)
                        .then(|| (0..size).map(|i| padded_at(b * step + i)).collect())
                })
                .collect();
            let inputs: [&[f64]; fft::ELEMENT] = std::array::from_fn(|at| {
                let j = block_of_slot(at);
                let b = first_block + j;
                match &padded[j] {
                    Some(values) => &values[..],
                    None if b < blocks => &v[b * step - radius..b * step - radius + size],
                    None => &zeros[..],
                }
            });
            // Element by element, each written whole (a strided fill is slower).
            let inputs = inputs.map(|input| &input[..size]);
            for (m, element) in data.chunks_exact_mut(fft::ELEMENT).take(size).enumerate() {
                for (slot, input) in element.iter_mut().zip(&inputs) {
                    *slot = input[m];
                }
            }
            plan.forward(data, scratch);
            // Times the kernel's spectrum, written with real and imaginary parts swapped:
            // the inverse transform is swap(forward(swap(z))), exactly.
            for (element, &(kr, ki)) in data.chunks_exact_mut(fft::ELEMENT).zip(&kernel) {
                let (re, im) = element.split_at_mut(fft::LANES);
                for (r, i) in re.iter_mut().zip(im.iter_mut()) {
                    let (xr, xi) = (*r, *i);
                    *r = xr * ki + xi * kr;
                    *i = xr * kr - xi * ki;
                }
            }
            plan.forward(data, scratch);
            // Output m of block j is element taps − 1 + m, in the slot of j ^ 1. The
            // elements are read once, in order, each value to its block's row in `scratch`
            // (free after the transforms); the rows then follow each other into the output,
            // where the last blocks may be short or absent.
            let valid = &data[(taps - 1) * fft::ELEMENT..(taps - 1 + step) * fft::ELEMENT];
            let row_of_slot: [usize; fft::ELEMENT] =
                std::array::from_fn(|at| (block_of_slot(at) ^ 1) * step);
            let rows = &mut scratch[..BLOCKS_PER_BATCH * step];
            for (m, element) in valid.chunks_exact(fft::ELEMENT).enumerate() {
                for (&row, &value) in row_of_slot.iter().zip(element) {
                    rows[row + m] = value;
                }
            }
            for row in rows.chunks_exact(step) {
                out_part.extend(row.iter().copied());
            }
            first_block += BLOCKS_PER_BATCH;
        }
    };
    crate::transforms::build(n, threads, outputs_per_job, take_buffers, work)
}

/// The spectrum of the kernel `w` (at the start of a block, zeros after), scaled by
/// 1/size so that the inverse transform needs no scaling: (re, im) per frequency.
fn kernel_spectrum(plan: &fft::Plan, w: &[f64]) -> Vec<(f64, f64)> {
    let mut data = plan.batch();
    for (element, &r) in data.chunks_exact_mut(fft::ELEMENT).zip(w) {
        element[0] = r;
    }
    plan.forward(&mut data, &mut plan.batch());
    let scale = 1.0 / plan.len() as f64;
    data.chunks_exact(fft::ELEMENT)
        .map(|e| (e[0] * scale, e[fft::LANES] * scale))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest |a − b| over two equally long results.
    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// Long inputs run on several threads; the bits are those of one serial pass.
    #[test]
    fn threads_do_not_change_the_bits() {
        let n = 300_001;
        let v: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 0.013).sin() + (i % 11) as f64 * 0.1)
            .collect();
        let w = gaussian_weights(5.0);
        let radius = w.len() / 2;
        let par = convolve_reflect_direct(&v, &w);
        let mut serial = vec![0.0; n - 2 * radius];
        crate::transforms::savgol::convolve_valid(&v, &w, &mut serial);
        assert_eq!(&par[radius..n - radius], &serial[..]);
        let long = gaussian_weights(40.0);
        let fft = convolve_reflect_fft(&v, &long);
        let direct = convolve_reflect_direct(&v, &long);
        let worst = max_abs_diff(&fft, &direct);
        assert!(worst < 1e-9, "{worst}");
    }

    #[test]
    fn fft_blocks_do_not_depend_on_batches_jobs_or_length() {
        // Two signals sharing a prefix: every block that lies inside both holds the same
        // samples, so it must give the same bits, although the two lengths cut blocks
        // into batches and jobs differently. Outputs within a block plus a kernel of the
        // shorter end read reflected samples, so only those before it are compared.
        let long: Vec<f64> = (0..400_003)
            .map(|i| (i as f64 * 0.007).sin() + (i % 13) as f64 * 0.01)
            .collect();
        let short = &long[..150_001];
        let w = gaussian_weights(30.0);
        let a = convolve_reflect_fft(&long, &w);
        let b = convolve_reflect_fft(short, &w);
        let step = 4096 - w.len() + 1;
        let safe = (short.len() - w.len()) / step * step;
        assert!(safe > 10 * step);
        assert_eq!(&a[..safe], &b[..safe]);
        // And it is the convolution: the direct path agrees to rounding.
        let direct = convolve_reflect_direct(short, &w);
        let worst = max_abs_diff(&b, &direct);
        assert!(worst < 1e-13, "{worst}");
    }

    #[test]
    fn reading_a_uniform_grid_by_fractional_index_is_linear_interpolation() {
        let n = 100_001;
        let uniform = resample::UniformAxis {
            first: 5.7,
            step: 2e-6,
            last: 5.7 + 2e-6 * (n - 1) as f64,
            n,
        };
        let values: Vec<f64> = (0..n).map(|i| (i as f64 * 1e-3).sin() * 3.0).collect();
        // Points everywhere inside, on grid points and at both ends.
        let mut at: Vec<f64> = (0..n - 1)
            .map(|i| 5.7 + 2e-6 * (i as f64 + (i % 7) as f64 / 7.0))
            .collect();
        at.push(uniform.last);
        let fast = from_uniform(uniform, &values, &at);
        let (searched, _) = resample::linear_inside(uniform, &values, None, &at[..]);
        let worst = max_abs_diff(&fast, &searched);
        // Both round the position in ln λ to ~1e-15, some 4e-10 of a step here; with
        // values changing by up to 3e-3 per step that is ~1e-12.
        assert!(worst < 5e-12, "{worst}");
        assert_eq!(fast[0], values[0]);
        assert!((fast[n - 1] - values[n - 1]).abs() < 1e-9);
    }

    #[test]
    fn ln_is_within_one_ulp_and_the_same_at_every_width() {
        // Wavelengths from 1 pm to 1 m in nm, and the extremes of the normal range.
        let mut x: Vec<f64> = (0..200_001).map(|i| 1e-3 * 1.0001f64.powi(i)).collect();
        x.extend([
            f64::MIN_POSITIVE,
            1.0,
            2.0,
            std::f64::consts::SQRT_2,
            f64::MAX,
        ]);
        let fast = ln_axis(&x);
        let mut exact = 0;
        for (&v, &l) in x.iter().zip(&fast) {
            let reference = v.ln();
            let ulp = (reference.to_bits() as i64 - l.to_bits() as i64).abs();
            assert!(ulp <= 1, "ln {v}: {l} vs {reference}");
            exact += usize::from(l == reference);
        }
        assert!(exact * 100 > x.len() * 95, "{exact} of {} exact", x.len());
        let mut portable = vec![0.0; x.len()];
        ln_slice(&x, &mut portable);
        assert_eq!(portable, fast);
        // Outside the normal range: the platform's special values.
        let odd = ln_axis(&[0.0, -1.0, f64::INFINITY, 5e-324]);
        assert_eq!(odd[0], f64::NEG_INFINITY);
        assert!(odd[1].is_nan());
        assert_eq!(odd[2], f64::INFINITY);
        assert_eq!(odd[3], 5e-324f64.ln());
    }

    #[test]
    fn direct_and_fft_agree() {
        for (n, sigma) in [(500usize, 20.0), (20_000, 3.0), (9_001, 150.0), (3, 0.8)] {
            let v: Vec<f64> = (0..n)
                .map(|i| ((i as f64) * 0.1).sin() + if i == n / 2 { 5.0 } else { 0.0 })
                .collect();
            let w = gaussian_weights(sigma);
            let a = convolve_reflect_direct(&v, &w);
            let b = convolve_reflect_fft(&v, &w);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-12, "n={n} sigma={sigma}: {x} {y}");
            }
        }
    }

    #[test]
    fn flux_is_kept_and_a_constant_stays_constant() {
        let x: Vec<f64> = (0..200).map(|i| 500.0 + 0.1 * i as f64).collect();
        let y = vec![3.0; 200];
        let (out, _, applied) =
            convolve_gaussian(&x, &y, None, LsfWidth::FwhmNm(0.5), None, false).unwrap();
        assert!(!applied.resampled);
        assert!(out.iter().all(|v| (v - 3.0).abs() < 1e-12));
    }

    #[test]
    fn bad_widths_and_down_only() {
        let x = [500.0, 501.0, 502.0];
        let y = [1.0, 2.0, 3.0];
        assert_eq!(
            convolve_gaussian(&x, &y, None, LsfWidth::FwhmNm(-1.0), None, false).unwrap_err(),
            LsfError::BadFwhm(-1.0)
        );
        assert_eq!(
            convolve_gaussian(&x, &y, None, LsfWidth::ResolvingPower(0.0), None, false)
                .unwrap_err(),
            LsfError::BadResolvingPower(0.0)
        );
        assert!(matches!(
            convolve_gaussian(
                &x,
                &y,
                None,
                LsfWidth::ResolvingPower(5000.0),
                Some(LsfWidth::ResolvingPower(2000.0)),
                true
            ),
            Err(LsfError::SharperThanData { .. })
        ));
        assert_eq!(
            convolve_gaussian(&x, &y, None, LsfWidth::ResolvingPower(500.0), None, true)
                .unwrap_err(),
            LsfError::CurrentUnknown
        );
        assert!(
            convolve_gaussian(
                &x,
                &y,
                None,
                LsfWidth::ResolvingPower(500.0),
                Some(LsfWidth::ResolvingPower(2000.0)),
                true
            )
            .is_ok()
        );
    }
}
