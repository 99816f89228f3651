//! A batched FFT for the LSF's overlap-save convolution: [`LANES`] complex transforms of
//! one power-of-4 size at once, by radix-4 Stockham passes.
//!
//! Why our own: derived Dataset IDs hash the output bits, so a convolution must give the
//! same bits on every machine. rustfft's SIMD planners choose their algorithms by CPU,
//! and its scalar planner is slow. Here every value goes through the same IEEE additions,
//! subtractions and multiplications in the same order whatever the CPU: the transforms
//! in a batch are independent lanes, so a vector unit of any width (AVX-512, AVX2 or
//! none, chosen at run time) only changes how many lanes one instruction works on. The
//! twiddle factors come from [`unit_root`], fdlibm's sine and cosine kernels in plain
//! IEEE operations, not from the platform's `sin`/`cos`, which may differ in the last bit.
//!
//! Layout of a batch: element i of all lanes is `ELEMENT` consecutive values, the real
//! parts of the lanes then their imaginary parts (`[re; LANES]`, `[im; LANES]`). Keeping a
//! whole element in one cache-line pair also keeps the four streams of a pass from
//! landing in the same cache sets, as power-of-two strides between separate real and
//! imaginary arrays do.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

/// Transforms in one batch.
pub(crate) const LANES: usize = 8;

/// Values per element of a batch: the real parts of the lanes, then the imaginary parts.
pub(crate) const ELEMENT: usize = 2 * LANES;

/// Smallest supported transform size (the octant symmetry of [`unit_root`] needs n ≥ 8).
const MIN_SIZE: usize = 16;

/// A forward transform size with its twiddle factors w_k = exp(−2πik/n), k < n.
pub(crate) struct Plan {
    n: usize,
    /// cos(2πk/n).
    cos: Vec<f64>,
    /// −sin(2πk/n).
    minus_sin: Vec<f64>,
}

impl Plan {
    /// A plan for transforms of `n` points; `n` must be a power of 4, at least 16.
    pub(crate) fn new(n: usize) -> Self {
        assert!(
            n >= MIN_SIZE && n.is_power_of_two() && n.trailing_zeros().is_multiple_of(2),
            "FFT size {n} is not a power of 4 of at least {MIN_SIZE}"
        );
        let (cos, minus_sin) = (0..n)
            .map(|k| {
                let (c, s) = unit_root(k, n);
                (c, -s)
            })
            .unzip();
        Self { n, cos, minus_sin }
    }

    /// Transform size.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// A zeroed batch: `n` elements of [`ELEMENT`] values.
    pub(crate) fn batch(&self) -> Vec<f64> {
        vec![0.0; self.n * ELEMENT]
    }

    /// Replaces every lane of `data` by its discrete Fourier transform
    /// X_k = Σ_j x_j·exp(−2πijk/n), unscaled. `scratch` is a second batch.
    pub(crate) fn forward(&self, data: &mut [f64], scratch: &mut [f64]) {
        assert_eq!(data.len(), self.n * ELEMENT, "batch of the plan's size");
        assert_eq!(scratch.len(), data.len(), "scratch of the batch's size");
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F, checked just above.
                return unsafe { forward_avx512(self, data, scratch) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { forward_avx2(self, data, scratch) };
            }
        }
        forward_portable(self, data, scratch);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn forward_avx512(plan: &Plan, data: &mut [f64], scratch: &mut [f64]) {
    stockham(plan, data, scratch);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn forward_avx2(plan: &Plan, data: &mut [f64], scratch: &mut [f64]) {
    stockham(plan, data, scratch);
}

fn forward_portable(plan: &Plan, data: &mut [f64], scratch: &mut [f64]) {
    stockham(plan, data, scratch);
}

/// Radix-4 Stockham, decimation in frequency: each pass reads four quarter-streams and
/// writes the four outputs of every butterfly next to each other, so the result comes out
/// in natural order without a bit-reversal pass. Passes alternate between the two
/// buffers; an odd number of passes ends with a copy back into `data`.
#[inline(always)]
fn stockham(plan: &Plan, data: &mut [f64], scratch: &mut [f64]) {
    let n = plan.n;
    let (mut from, mut to) = (data, scratch);
    let mut in_scratch = false;
    // `len`: the length of the sub-transforms this pass splits; `stride`: how many
    // elements apart their samples lie.
    let (mut len, mut stride) = (n, 1);
    while len > 1 {
        let quarter = len / 4;
        let twiddle_step = n / len;
        for p in 0..quarter {
            let k = p * twiddle_step;
            let w1 = (plan.cos[k], plan.minus_sin[k]);
            let w2 = (plan.cos[2 * k], plan.minus_sin[2 * k]);
            let w3 = (plan.cos[3 * k], plan.minus_sin[3 * k]);
            for q in 0..stride {
                let input = |part: usize| {
                    let at = (q + stride * (p + part * quarter)) * ELEMENT;
                    <&[f64; ELEMENT]>::try_from(&from[at..at + ELEMENT]).expect("one element")
                };
                let outputs = butterfly(input(0), input(1), input(2), input(3), w1, w2, w3);
                let first = q + stride * 4 * p;
                for (part, values) in outputs.iter().enumerate() {
                    let at = (first + part * stride) * ELEMENT;
                    to[at..at + ELEMENT].copy_from_slice(values);
                }
            }
        }
        std::mem::swap(&mut from, &mut to);
        in_scratch = !in_scratch;
        len = quarter;
        stride *= 4;
    }
    if in_scratch {
        // `from` is the scratch holding the result, `to` the caller's data.
        to.copy_from_slice(from);
    }
}

/// One radix-4 butterfly on every lane: with a, b, c, d the four inputs,
/// y0 = (a + c) + (b + d), y1 = w1·((a − c) − i(b − d)), y2 = w2·((a + c) − (b + d)),
/// y3 = w3·((a − c) + i(b − d)).
#[inline(always)]
fn butterfly(
    a: &[f64; ELEMENT],
    b: &[f64; ELEMENT],
    c: &[f64; ELEMENT],
    d: &[f64; ELEMENT],
    w1: (f64, f64),
    w2: (f64, f64),
    w3: (f64, f64),
) -> [[f64; ELEMENT]; 4] {
    let mut y = [[0.0; ELEMENT]; 4];
    for l in 0..LANES {
        let (ar, ai) = (a[l], a[LANES + l]);
        let (br, bi) = (b[l], b[LANES + l]);
        let (cr, ci) = (c[l], c[LANES + l]);
        let (dr, di) = (d[l], d[LANES + l]);
        let (apc_r, apc_i) = (ar + cr, ai + ci);
        let (amc_r, amc_i) = (ar - cr, ai - ci);
        let (bpd_r, bpd_i) = (br + dr, bi + di);
        // i·(b − d)
        let (ibmd_r, ibmd_i) = (-(bi - di), br - dr);
        y[0][l] = apc_r + bpd_r;
        y[0][LANES + l] = apc_i + bpd_i;
        let t = [
            (amc_r - ibmd_r, amc_i - ibmd_i),
            (apc_r - bpd_r, apc_i - bpd_i),
            (amc_r + ibmd_r, amc_i + ibmd_i),
        ];
        for (j, (w, (tr, ti))) in [w1, w2, w3].into_iter().zip(t).enumerate() {
            y[j + 1][l] = w.0 * tr - w.1 * ti;
            y[j + 1][LANES + l] = w.0 * ti + w.1 * tr;
        }
    }
    y
}

/// (cos, sin) of 2πk/n for k < n, n a multiple of 8: reduced exactly to an angle in
/// [0, π/4] by the symmetries of the octants (integer arithmetic on k), then fdlibm's
/// kernels. Within an ulp or so of the true values, and the same bits on every machine.
pub(crate) fn unit_root(k: usize, n: usize) -> (f64, f64) {
    debug_assert!(k < n && n.is_multiple_of(8));
    let eighth = n / 8;
    // r·2π/n for r ≤ n/8, in [0, π/4]: 2π/n is exact for n a power of two, and the one
    // multiplication rounds. No multiple of π/4 is ever rounded.
    let angle = |r: usize| r as f64 * (std::f64::consts::TAU / n as f64);
    let (octant, r) = (k / eighth, k % eighth);
    // Even octant 2m: θ = m·π/2 + φ, φ = 2πr/n.
    // Odd octant 2m + 1: θ = (m + 1)·π/2 − ψ, ψ = 2π(n/8 − r)/n = π/4 − φ.
    let (c, s, quarter_turns) = if octant % 2 == 0 {
        let phi = angle(r);
        (cos_kernel(phi), sin_kernel(phi), octant / 2)
    } else {
        let psi = angle(eighth - r);
        (cos_kernel(psi), -sin_kernel(psi), octant.div_ceil(2) % 4)
    };
    // Rotate (c, s) by the quarter turns, exactly (swaps and signs).
    match quarter_turns {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    }
}

/// sin x for |x| ≤ π/4: fdlibm's `__kernel_sin` (k_sin.c) with y = 0.
#[inline(always)]
fn sin_kernel(x: f64) -> f64 {
    const S1: f64 = f64::from_bits(0xbfc5_5555_5555_5549); // -1.666_666_666_666_663_243_48e-01
    const S2: f64 = f64::from_bits(0x3f81_1111_1110_f8a6); // 8.333_333_333_322_489_461_24e-03
    const S3: f64 = f64::from_bits(0xbf2a_01a0_19c1_61d5); // -1.984_126_982_985_794_931_34e-04
    const S4: f64 = f64::from_bits(0x3ec7_1de3_57b1_fe7d); // 2.755_731_370_707_006_767_89e-06
    const S5: f64 = f64::from_bits(0xbe5a_e5e6_8a2b_9ceb); // -2.505_076_025_340_686_341_95e-08
    const S6: f64 = f64::from_bits(0x3de5_d93a_5acf_d57c); // 1.589_690_995_211_550_102_21e-10
    let z = x * x;
    let v = z * x;
    let r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    x + v * (S1 + z * r)
}

/// cos x for |x| ≤ π/4: fdlibm's `__kernel_cos` (FreeBSD k_cos.c) with y = 0.
#[inline(always)]
fn cos_kernel(x: f64) -> f64 {
    const C1: f64 = f64::from_bits(0x3fa5_5555_5555_554c); // 4.166_666_666_666_660_190_37e-02
    const C2: f64 = f64::from_bits(0xbf56_c16c_16c1_5177); // -1.388_888_888_887_410_957_49e-03
    const C3: f64 = f64::from_bits(0x3efa_01a0_19cb_1590); // 2.480_158_728_947_672_941_78e-05
    const C4: f64 = f64::from_bits(0xbe92_7e4f_809c_52ad); // -2.755_731_435_139_066_330_35e-07
    const C5: f64 = f64::from_bits(0x3e21_ee9e_bdb4_b1c4); // 2.087_572_321_298_174_827_90e-09
    const C6: f64 = f64::from_bits(0xbda8_fae9_be88_38d4); // -1.135_964_755_778_819_482_65e-11
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let one_minus_hz = 1.0 - hz;
    one_minus_hz + (((1.0 - one_minus_hz) - hz) + z * r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of `n` elements with pseudo-random lanes.
    fn random_batch(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed | 1;
        (0..n * ELEMENT)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn unit_roots_are_within_an_ulp_of_sin_and_cos() {
        for n in [16usize, 64, 256, 1024, 4096, 16384, 65536] {
            for k in 0..n {
                let (c, s) = unit_root(k, n);
                // The platform's angle 2πk/n rounds to within 4.4e-16 near 2π; any mistake
                // in the octant logic would be off by far more.
                let (sin, cos) = (std::f64::consts::TAU * k as f64 / n as f64).sin_cos();
                assert!((c - cos).abs() <= 1e-15, "cos 2π·{k}/{n}: {c} vs {cos}");
                assert!((s - sin).abs() <= 1e-15, "sin 2π·{k}/{n}: {s} vs {sin}");
            }
        }
        // The kernels on the same reduced arguments: within an ulp of the platform's.
        for i in 0..=100_000 {
            let x = std::f64::consts::FRAC_PI_4 * i as f64 / 100_000.0;
            let (sin, cos) = x.sin_cos();
            assert!(
                (sin_kernel(x) - sin).abs() <= f64::EPSILON * sin.abs(),
                "sin {x}"
            );
            assert!(
                (cos_kernel(x) - cos).abs() <= f64::EPSILON * cos.abs(),
                "cos {x}"
            );
        }
        // The exact ones stay exact.
        assert_eq!(unit_root(0, 64), (1.0, 0.0));
        assert_eq!(unit_root(16, 64).1, 1.0);
        assert_eq!(unit_root(32, 64).0, -1.0);
    }

    #[test]
    fn forward_matches_a_direct_dft_on_every_lane() {
        for n in [16usize, 64, 256, 1024] {
            let plan = Plan::new(n);
            let input = random_batch(n, n as u64);
            let mut data = input.clone();
            plan.forward(&mut data, &mut plan.batch());
            for lane in 0..LANES {
                let x = |j: usize| (input[j * ELEMENT + lane], input[j * ELEMENT + LANES + lane]);
                for k in 0..n {
                    // The direct sum, with exact angles reduced mod n before sin/cos.
                    let (mut re, mut im) = (0.0, 0.0);
                    for j in 0..n {
                        let (xr, xi) = x(j);
                        let (s, c) =
                            (-std::f64::consts::TAU * ((j * k) % n) as f64 / n as f64).sin_cos();
                        re += xr * c - xi * s;
                        im += xr * s + xi * c;
                    }
                    let (got_re, got_im) =
                        (data[k * ELEMENT + lane], data[k * ELEMENT + LANES + lane]);
                    let tolerance = 1e-13 * (n as f64).sqrt();
                    assert!(
                        (got_re - re).abs() <= tolerance && (got_im - im).abs() <= tolerance,
                        "n {n} lane {lane} k {k}: ({got_re}, {got_im}) vs ({re}, {im})"
                    );
                }
            }
        }
    }

    #[test]
    fn every_vector_width_gives_the_same_bits_and_lanes_are_independent() {
        for n in [16usize, 64, 4096, 16384] {
            let plan = Plan::new(n);
            let input = random_batch(n, 7 + n as u64);
            let mut portable = input.clone();
            forward_portable(&plan, &mut portable, &mut plan.batch());
            let mut dispatched = input.clone();
            plan.forward(&mut dispatched, &mut plan.batch());
            assert_eq!(portable, dispatched, "n {n}");
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    let mut v = input.clone();
                    // SAFETY: AVX2 is present, checked just above.
                    unsafe { forward_avx2(&plan, &mut v, &mut plan.batch()) };
                    assert_eq!(portable, v, "n {n}, AVX2");
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    let mut v = input.clone();
                    // SAFETY: AVX-512F is present, checked just above.
                    unsafe { forward_avx512(&plan, &mut v, &mut plan.batch()) };
                    assert_eq!(portable, v, "n {n}, AVX-512");
                }
            }
            // Lane 3 alone, the others zero: the same bits as in the full batch.
            let mut alone = vec![0.0; input.len()];
            for (j, e) in alone.chunks_exact_mut(ELEMENT).enumerate() {
                e[3] = input[j * ELEMENT + 3];
                e[LANES + 3] = input[j * ELEMENT + LANES + 3];
            }
            plan.forward(&mut alone, &mut plan.batch());
            for (a, b) in alone
                .chunks_exact(ELEMENT)
                .zip(portable.chunks_exact(ELEMENT))
            {
                assert_eq!((a[3], a[LANES + 3]), (b[3], b[LANES + 3]));
            }
        }
    }
}
