//! Resampling onto a new wavelength grid.
//!
//! - `linear`: `numpy.interp` on each grid point; σ² = (1−t)²σᵢ² + t²σᵢ₊₁² (independent
//!   errors). Every grid point must lie within the data.
//! - `flux_conserving`: the overlap-weighted mean of the input flux densities over each
//!   output bin, as specutils' `FluxConservingResampler` (Carnall 2017): bins are the
//!   midpoints between grid points, the outer edges half a step beyond the ends;
//!   f_out = Σ pⱼ fⱼ / Σ pⱼ and σ²_out = Σ pⱼ² σⱼ² / (Σ pⱼ)², pⱼ the overlap of input bin
//!   j. An output bin partly beyond the data averages over its covered part; one wholly
//!   beyond is an error. ∫ f dλ over the overlap is preserved; [`flux_check`] measures it.
//!
//! Both are O(n + m) sweeps.

use serde::{Deserialize, Serialize};

use crate::transforms::Piece;

/// Why a resample cannot be done.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResampleError {
    #[error("the grid is empty")]
    EmptyGrid,
    #[error("the grid must be finite and strictly increasing")]
    BadGrid,
    #[error("grid point {x_nm} nm lies outside the data ({lo_nm} – {hi_nm} nm)")]
    OutsideData { x_nm: f64, lo_nm: f64, hi_nm: f64 },
    #[error("flux-conserving resampling needs at least 2 grid points and 2 samples")]
    TooFewPoints,
}

/// Interpolation method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResampleMethod {
    Linear,
    FluxConserving,
}

fn check_grid(grid: &[f64]) -> Result<(), ResampleError> {
    if grid.is_empty() {
        return Err(ResampleError::EmptyGrid);
    }
    // One pass: finite and strictly increasing (NaN fails the comparison).
    let ok = grid[0].is_finite()
        && crate::scan::all_neighbours(grid, |a, b| b > a)
        && grid[grid.len() - 1].is_finite();
    if !ok {
        return Err(ResampleError::BadGrid);
    }
    Ok(())
}

/// Linear interpolation of (`x`, `y`, `sigma`) onto `grid` (all nm, increasing).
pub fn linear(
    x: &[f64],
    y: &[f64],
    sigma: Option<&[f64]>,
    grid: &[f64],
) -> Result<(Vec<f64>, Option<Vec<f64>>), ResampleError> {
    check_grid(grid)?;
    // The grid increases, so only its ends can lie outside the data.
    let (lo, hi) = (x[0], x[x.len() - 1]);
    let outside = if grid[0] < lo {
        Some(grid[0])
    } else {
        grid.last()
            .copied()
            .filter(|&g| g > hi)
            .map(|_| grid[grid.partition_point(|&g| g <= hi)])
    };
    if let Some(g) = outside {
        return Err(ResampleError::OutsideData {
            x_nm: g,
            lo_nm: lo,
            hi_nm: hi,
        });
    }
    Ok(linear_inside(x, y, sigma, grid))
}

/// Increasing abscissae read by index: a slice, bin edges or a uniform grid computed on
/// demand (the last two save storing and re-reading an array of the data's size, which
/// is what limits these passes).
pub(crate) trait Axis: Copy + Sync {
    /// Number of points.
    fn len(self) -> usize;
    /// Point i.
    fn at(self, i: usize) -> f64;
    /// Point i, for i before the last point (a cheaper form where there is one).
    #[inline(always)]
    fn inner_at(self, i: usize) -> f64 {
        self.at(i)
    }
    /// The first i in `from..to` whose point fails `pred` (`pred` holds for a prefix, as
    /// in `slice::partition_point`).
    fn partition_point(self, from: usize, to: usize, pred: impl Fn(f64) -> bool) -> usize {
        let (mut lo, mut hi) = (from, to);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.at(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl Axis for &[f64] {
    fn len(self) -> usize {
        <[f64]>::len(self)
    }

    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        self[i]
    }
}

/// The uniform grid `first + step·i` of `n` points (at least 2), its last point exactly
/// `last`: the grid the LSF convolves on, never stored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UniformAxis {
    pub first: f64,
    pub step: f64,
    pub last: f64,
    pub n: usize,
}

impl Axis for UniformAxis {
    fn len(self) -> usize {
        self.n
    }

    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        if i == self.n - 1 {
            self.last
        } else {
            self.inner_at(i)
        }
    }

    #[inline(always)]
    fn inner_at(self, i: usize) -> f64 {
        self.first + self.step * i as f64
    }
}

/// [`linear`] for a grid already known to be strictly increasing and inside the data.
pub(crate) fn linear_inside(
    x: impl Axis,
    y: &[f64],
    sigma: Option<&[f64]>,
    grid: impl Axis,
) -> (Vec<f64>, Option<Vec<f64>>) {
    // Every grid point is computed alone from its bracketing samples, so the grid is cut
    // into ranges done in parallel; each range finds its first bracket by bisection (the
    // same index the sweep would reach), so the bits do not depend on the cut.
    in_ranges(grid.len(), sigma.is_some(), &|first, o_part, s_part| {
        linear_range(x, y, sigma, grid, first, o_part, s_part)
    })
}

/// Work on one range: (index of its first point, output y, output σ).
type RangeWork<'a> = dyn Fn(usize, &mut Piece<'_>, Option<&mut Piece<'_>>) + Sync + 'a;

/// New outputs of length `n` (and σ when `with_sigma`) made by `work(first index, output
/// ranges)` on contiguous ranges: one range for small outputs, parallel jobs for large.
fn in_ranges(n: usize, with_sigma: bool, work: &RangeWork<'_>) -> (Vec<f64>, Option<Vec<f64>>) {
    let threads = crate::transforms::threads_for(n);
    let len = if threads == 1 {
        n
    } else {
        crate::transforms::job_len(n, threads, 1)
    };
    crate::transforms::build_pair(
        n,
        with_sigma,
        threads,
        len,
        || (),
        |_, first, o, s| work(first, o, s),
    )
}

/// Linear interpolation onto grid points `first..first + out.len()` (all inside the data).
fn linear_range(
    x: impl Axis,
    y: &[f64],
    sigma: Option<&[f64]>,
    grid: impl Axis,
    first: usize,
    out: &mut Piece<'_>,
    out_sigma: Option<&mut Piece<'_>>,
) {
    if x.len() == 1 {
        out.fill_rest(y[0]);
        if let (Some(o), Some(s)) = (out_sigma, sigma) {
            o.fill_rest(s[0]);
        }
        return;
    }
    // One loop each with and without σ, as in `flux_range`.
    match (sigma, out_sigma) {
        (Some(s), Some(o)) => linear_range_for::<true>(x, y, s, grid, first, out, o),
        _ => linear_range_for::<false>(x, y, &[], grid, first, out, &mut Piece::none()),
    }
}

/// [`linear_range`] for at least 2 samples; `sigma` and `out_sigma` are read and written
/// only `WITH_SIGMA`.
#[inline(always)]
fn linear_range_for<const WITH_SIGMA: bool>(
    x: impl Axis,
    y: &[f64],
    sigma: &[f64],
    grid: impl Axis,
    first: usize,
    out: &mut Piece<'_>,
    out_sigma: &mut Piece<'_>,
) {
    let n = x.len();
    // Largest j with x[j] <= g, kept below the last sample: the count of x[1..] <= g.
    let g0 = grid.at(first);
    let mut j = (x.partition_point(1, n, |v| v <= g0) - 1).min(n - 2);
    // Points before the grid's last and below x[n − 2] (nearly all) lie strictly inside
    // their bracket, below its last sample: their loop needs neither the clamp to the last
    // bracket nor the test for landing on x[j + 1], and reads the grid's inner form.
    let end = first + out.len();
    let below = x.at(n - 2);
    let inner_end = grid.partition_point(first, end.min(grid.len() - 1), |g| g < below);
    for i in first..inner_end {
        let g = grid.inner_at(i);
        while x.at(j + 1) <= g {
            j += 1;
        }
        let (x0, x1) = (x.at(j), x.at(j + 1));
        // numpy.interp's formula: slope·(x − xp[j]) + fp[j].
        let slope = (y[j + 1] - y[j]) / (x1 - x0);
        out.push(slope * (g - x0) + y[j]);
        if WITH_SIGMA {
            out_sigma.push(sigma_between(g, x0, x1, sigma[j], sigma[j + 1]));
        }
    }
    for i in inner_end..end {
        let g = grid.at(i);
        while j + 2 < n && x.at(j + 1) <= g {
            j += 1;
        }
        let (x0, x1) = (x.at(j), x.at(j + 1));
        // The same formula; exactly fp[j+1] at xp[j+1].
        out.push(if g == x1 {
            y[j + 1]
        } else {
            let slope = (y[j + 1] - y[j]) / (x1 - x0);
            slope * (g - x0) + y[j]
        });
        if WITH_SIGMA {
            out_sigma.push(sigma_between(g, x0, x1, sigma[j], sigma[j + 1]));
        }
    }
}

/// σ of the linear interpolation at g between (x0, σ0) and (x1, σ1).
#[inline(always)]
fn sigma_between(g: f64, x0: f64, x1: f64, sigma0: f64, sigma1: f64) -> f64 {
    let t = (g - x0) / (x1 - x0);
    let (a, b) = ((1.0 - t) * sigma0, t * sigma1);
    (a * a + b * b).sqrt()
}

/// The bin edges of at least 2 increasing `centres` (midpoints inside, half a step beyond
/// each end), computed when asked for rather than stored: flux-conserving resampling is
/// limited by memory traffic, and stored edges would double it.
#[derive(Clone, Copy)]
struct Edges<'a>(&'a [f64]);

impl Axis for Edges<'_> {
    /// Number of edges: one more than the centres.
    fn len(self) -> usize {
        self.0.len() + 1
    }

    /// Edge k: half a step before the first centre, midpoints, half a step after the last.
    #[inline(always)]
    fn at(self, k: usize) -> f64 {
        let (c, n) = (self.0, self.0.len());
        if k == 0 {
            c[0] - (c[1] - c[0]) / 2.0
        } else if k == n {
            c[n - 1] + (c[n - 1] - c[n - 2]) / 2.0
        } else {
            self.inner(k)
        }
    }
}

impl Edges<'_> {
    /// Edge k for 0 < k < n: the midpoint of centres k − 1 and k.
    #[inline(always)]
    fn inner(self, k: usize) -> f64 {
        (self.0[k - 1] + self.0[k]) / 2.0
    }
}

/// Flux-conserving resampling of (`x`, `y`, `sigma`) onto `grid`.
pub fn flux_conserving(
    x: &[f64],
    y: &[f64],
    sigma: Option<&[f64]>,
    grid: &[f64],
) -> Result<(Vec<f64>, Option<Vec<f64>>), ResampleError> {
    check_grid(grid)?;
    if grid.len() < 2 || x.len() < 2 {
        return Err(ResampleError::TooFewPoints);
    }
    let in_edges = Edges(x);
    let out_edges = Edges(grid);
    let (lo, hi) = (in_edges.at(0), in_edges.at(x.len()));
    // Bins wholly beyond the data can only be a prefix or a suffix of the grid.
    let outside = if out_edges.at(1) <= lo {
        Some(0)
    } else {
        let first_beyond = out_edges.partition_point(0, grid.len(), |e| e < hi);
        (first_beyond < grid.len()).then_some(first_beyond)
    };
    if let Some(i) = outside {
        return Err(ResampleError::OutsideData {
            x_nm: grid[i],
            lo_nm: x[0],
            hi_nm: x[x.len() - 1],
        });
    }
    // Each output bin is a sum over the input bins it overlaps: ranges of bins run in
    // parallel, each finding its first input bin by bisection (bit-identical to a sweep).
    Ok(in_ranges(
        grid.len(),
        sigma.is_some(),
        &|i0, o_part, s_part| flux_range(in_edges, y, sigma, out_edges, i0, o_part, s_part),
    ))
}

/// Flux-conserving means for the output bins `first..first + out.len()` (bin i lies
/// between `out_edges.at(i)` and `out_edges.at(i + 1)`).
fn flux_range(
    in_edges: Edges<'_>,
    y: &[f64],
    sigma: Option<&[f64]>,
    out_edges: Edges<'_>,
    first: usize,
    out: &mut Piece<'_>,
    out_sigma: Option<&mut Piece<'_>>,
) {
    // One loop each with and without σ: without, neither σ's products nor its square root
    // are computed (the compiler would otherwise hoist the root out of its branch).
    match (sigma, out_sigma) {
        (Some(s), Some(o)) => flux_range_for::<true>(in_edges, y, s, out_edges, first, out, o),
        _ => flux_range_for::<false>(in_edges, y, &[], out_edges, first, out, &mut Piece::none()),
    }
}

/// [`flux_range`]; `sigma` and `out_sigma` are read and written only `WITH_SIGMA`.
#[inline(always)]
fn flux_range_for<const WITH_SIGMA: bool>(
    in_edges: Edges<'_>,
    y: &[f64],
    sigma: &[f64],
    out_edges: Edges<'_>,
    first: usize,
    out: &mut Piece<'_>,
    out_sigma: &mut Piece<'_>,
) {
    let n_in = y.len();
    // First input bin that may overlap the first output bin: the count of edges
    // 1..=n_in at or below its start.
    let first_start = out_edges.at(first);
    let j = in_edges.partition_point(1, n_in + 1, |e| e <= first_start) - 1;
    let mut sweep = FluxSweep {
        j,
        lower_j: in_edges.at(j),
        upper_j: in_edges.at(j + 1),
        stop: first_start,
    };
    // The bins that end at or before the data's last inner edge, and before the grid's
    // last edge, read only inner edges (midpoints, no end cases): most of them, swept
    // without the end cases' branches. The rest take the general edges.
    let end = first + out.len();
    let last_inner = in_edges.at(n_in - 1);
    let inner_end = out_edges
        .partition_point(first + 1, end.min(out_edges.len() - 2) + 1, |e| {
            e <= last_inner
        })
        .max(first + 1)
        - 1;
    sweep.bins::<WITH_SIGMA>(
        first..inner_end,
        |k| in_edges.inner(k),
        |i| out_edges.inner(i),
        y,
        sigma,
        out,
        out_sigma,
    );
    sweep.bins::<WITH_SIGMA>(
        inner_end..end,
        |k| in_edges.at(k),
        |i| out_edges.at(i),
        y,
        sigma,
        out,
        out_sigma,
    );
}

/// Where the flux-conserving sweep stands: input bin j, between `lower_j` and `upper_j`,
/// holds the start of the next output bin, which starts at `stop` of the last one.
struct FluxSweep {
    j: usize,
    lower_j: f64,
    upper_j: f64,
    stop: f64,
}

impl FluxSweep {
    /// Flux-conserving means of the output `bins`, pushed to `out` (and σ to `out_sigma`
    /// when `WITH_SIGMA`). `in_edge(k)` and `out_edge(i)` are the edges; the caller passes
    /// cheaper forms where it knows which edges are read.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn bins<const WITH_SIGMA: bool>(
        &mut self,
        bins: std::ops::Range<usize>,
        in_edge: impl Fn(usize) -> f64,
        out_edge: impl Fn(usize) -> f64,
        y: &[f64],
        sigma: &[f64],
        out: &mut Piece<'_>,
        out_sigma: &mut Piece<'_>,
    ) {
        let n_in = y.len();
        for i in bins {
            let start = self.stop;
            let stop = out_edge(i + 1);
            self.stop = stop;
            // j: the input bin holding `start` (or the first bin, where the data begins
            // later). Each input edge is computed once per bin it bounds.
            while self.upper_j <= start {
                self.j += 1;
                self.lower_j = self.upper_j;
                self.upper_j = in_edge(self.j + 1);
            }
            // Overlaps p with bins j, j + 1, … while they begin before `stop`. Only bin j
            // can begin before `start`; the later ones begin at the last one's end, so
            // their overlap is min(upper, stop) − lower. Edges and grid are finite and
            // increasing, so plain comparisons stand in for min and max (no NaN to order).
            let (mut sum_p, mut sum_pf, mut sum_p2v) = (0.0, 0.0, 0.0);
            let mut add = |k: usize, p: f64| {
                if p > 0.0 {
                    sum_p += p;
                    sum_pf += p * y[k];
                    if WITH_SIGMA {
                        sum_p2v += p * p * sigma[k] * sigma[k];
                    }
                }
            };
            let first_lower = if self.lower_j > start {
                self.lower_j
            } else {
                start
            };
            add(self.j, smaller(self.upper_j, stop) - first_lower);
            let (mut k, mut upper) = (self.j, self.upper_j);
            while upper < stop && k + 1 < n_in {
                k += 1;
                let lower = upper;
                upper = in_edge(k + 1);
                add(k, smaller(upper, stop) - lower);
            }
            out.push(sum_pf / sum_p);
            if WITH_SIGMA {
                out_sigma.push(sum_p2v.sqrt() / sum_p);
            }
        }
    }
}

/// The smaller of two ordered (non-NaN) numbers, in one comparison.
#[inline(always)]
fn smaller(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// Relative difference between ∫ f dλ of the input and of the output over the span both
/// cover (bin-edge integrals), as recorded in a resample step.
pub fn flux_check(x: &[f64], y: &[f64], grid: &[f64], y_out: &[f64]) -> f64 {
    let in_edges = Edges(x);
    let out_edges = Edges(grid);
    let lo = in_edges.at(0).max(out_edges.at(0));
    let hi = in_edges.at(x.len()).min(out_edges.at(grid.len()));
    let integral = |edges: Edges<'_>, f: &[f64]| -> f64 {
        f.iter()
            .enumerate()
            .map(|(k, v)| v * (edges.at(k + 1).min(hi) - edges.at(k).max(lo)).max(0.0))
            .sum()
    };
    let a = integral(in_edges, y);
    let b = integral(out_edges, y_out);
    if a == 0.0 {
        (b - a).abs()
    } else {
        ((b - a) / a).abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_matches_hand_values() {
        let x = [1.0, 2.0, 4.0];
        let y = [10.0, 20.0, 0.0];
        let (out, s) = linear(&x, &y, Some(&[1.0, 1.0, 1.0]), &[1.0, 1.5, 3.0, 4.0]).unwrap();
        assert_eq!(out, vec![10.0, 15.0, 10.0, 0.0]);
        let s = s.unwrap();
        assert!((s[1] - (0.5f64).sqrt()).abs() < 1e-15);
        assert!(matches!(
            linear(&x, &y, None, &[0.5]),
            Err(ResampleError::OutsideData { .. })
        ));
        assert_eq!(
            linear(&x, &y, None, &[2.0, 2.0]),
            Err(ResampleError::BadGrid)
        );
    }

    #[test]
    fn specutils_docstring_example_inside_the_data() {
        // specutils' FluxConservingResampler docstring: input (2,4,12,16,20) nm with fluxes
        // (1,3,7,6,20); outputs at 5, 9, 13, 14, 17 are 3, 6, 7, 6.25, 10.
        let x = [2.0, 4.0, 12.0, 16.0, 20.0];
        let y = [1.0, 3.0, 7.0, 6.0, 20.0];
        let grid = [1.0, 5.0, 9.0, 13.0, 14.0, 17.0, 21.0];
        let (out, _) = flux_conserving(&x, &y, None, &grid).unwrap();
        for (got, want) in out[1..6].iter().zip([3.0, 6.0, 7.0, 6.25, 10.0]) {
            assert!((got - want).abs() < 1e-12, "{out:?}");
        }
    }

    #[test]
    fn flux_is_conserved() {
        let x: Vec<f64> = (0..1000)
            .map(|i| 500.0 + i as f64 * 0.1 + (i as f64 * 0.3).sin() * 0.01)
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| 1.0 + ((v - 530.0) / 2.0).powi(2).recip())
            .collect();
        let grid: Vec<f64> = (0..300).map(|i| 505.0 + i as f64 * 0.3).collect();
        let (out, _) = flux_conserving(&x, &y, None, &grid).unwrap();
        assert!(flux_check(&x, &y, &grid, &out) < 1e-4);
    }

    /// The parallel ranges give the same bits as one sweep (grids above the threshold).
    #[test]
    fn ranges_do_not_change_the_bits() {
        let n = 200_000;
        let x: Vec<f64> = (0..n)
            .map(|i| 400.0 + i as f64 * 0.01 + (i as f64).sin() * 1e-4)
            .collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).cos()).collect();
        let s_in: Vec<f64> = (0..n).map(|i| 0.1 + (i % 7) as f64 * 0.01).collect();
        let grid: Vec<f64> = (0..150_000).map(|i| 401.0 + i as f64 * 0.0123).collect();
        let (a, sa) = linear(&x, &y, Some(&s_in), &grid).unwrap();
        let (b, sb) = flux_conserving(&x, &y, Some(&s_in), &grid).unwrap();
        // One range for the whole grid, on one thread.
        let one = |range: &RangeWork<'_>| {
            crate::transforms::build_pair(
                grid.len(),
                true,
                1,
                grid.len(),
                || (),
                |_, _, o, s| range(0, o, s),
            )
        };
        let (one_a, one_sa) =
            one(&|first, o, s| linear_range(&x[..], &y, Some(&s_in), &grid[..], first, o, s));
        assert_eq!(a, one_a);
        assert_eq!(sa, one_sa);
        let (one_b, one_sb) =
            one(&|first, o, s| flux_range(Edges(&x), &y, Some(&s_in), Edges(&grid), first, o, s));
        assert_eq!(b, one_b);
        assert_eq!(sb, one_sb);
    }

    /// `n` samples about 0.1 nm apart from 400 nm, unevenly; y oscillating; σ varying.
    fn wavy_data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let x = (0..n)
            .map(|i| 400.0 + i as f64 * 0.1 + (i as f64 * 0.7).sin() * 0.03)
            .collect();
        let y = (0..n).map(|i| (i as f64 * 0.37).cos() * 5.0).collect();
        let s = (0..n).map(|i| 0.1 + (i % 7) as f64 * 0.01).collect();
        (x, y, s)
    }

    /// Linear interpolation equals numpy.interp's formula point by point, bit for bit: j
    /// the last sample at or below g (at most n − 2), slope·(g − x[j]) + y[j], and y[j + 1]
    /// where g is x[j + 1]. On grids given as numbers and as a uniform grid (the LSF's),
    /// each ending exactly on the last sample, and through points that land on samples.
    #[test]
    fn linear_is_the_formula_bit_for_bit() {
        let n = 2000;
        let (x, y, s) = wavy_data(n);
        let expect = |g: f64| {
            let j = (x.partition_point(|&v| v <= g) - 1).min(n - 2);
            let (x0, x1) = (x[j], x[j + 1]);
            let v = if g == x1 {
                y[j + 1]
            } else {
                (y[j + 1] - y[j]) / (x1 - x0) * (g - x0) + y[j]
            };
            (v, sigma_between(g, x0, x1, s[j], s[j + 1]))
        };
        for points in [7usize, 1999, 2000, 2001, 6007] {
            let uniform = UniformAxis {
                first: x[0],
                step: (x[n - 1] - x[0]) / (points - 1) as f64,
                last: x[n - 1],
                n: points,
            };
            let all: Vec<f64> = (0..points).map(|i| uniform.at(i)).collect();
            // The same, but with the point just above the middle sample moved onto it.
            let mut listed = all.clone();
            listed[all.partition_point(|&g| g < x[n / 2])] = x[n / 2];
            let (a, sa) = linear_inside(&x[..], &y, Some(&s), uniform);
            let (b, sb) = linear(&x, &y, Some(&s), &listed).unwrap();
            for (got, got_s, grid) in [(a, sa, all), (b, sb, listed)] {
                for (i, g) in grid.iter().enumerate() {
                    let (v, v_s) = expect(*g);
                    assert_eq!(got[i].to_bits(), v.to_bits(), "{points} points, point {i}");
                    assert_eq!(got_s.as_ref().unwrap()[i].to_bits(), v_s.to_bits());
                }
            }
        }
    }

    /// The sweep equals the definition, bin by bin and bit for bit: out = Σ p·y / Σ p and
    /// σ = √(Σ p²σ²) / Σ p, summed over every input bin in order, with p the overlap
    /// min(upper, stop) − max(lower, start) where it is positive. Grids finer and coarser
    /// than the data, starting before it and ending after it.
    #[test]
    fn the_sweep_is_the_definition_bit_for_bit() {
        let n = 3000;
        let (x, y, s) = wavy_data(n);
        let edges = Edges(&x);
        for step in [0.0123, 0.0991, 0.1, 0.1037, 0.37, 2.9] {
            let grid: Vec<f64> = (0..)
                .map(|i| 399.99 + i as f64 * step)
                .take_while(|&g| g < 699.9)
                .collect();
            let (got, got_s) = flux_conserving(&x, &y, Some(&s), &grid).unwrap();
            let out_edges = Edges(&grid);
            for (i, (&v, &v_s)) in got.iter().zip(got_s.as_ref().unwrap()).enumerate() {
                let (start, stop) = (out_edges.at(i), out_edges.at(i + 1));
                let (mut sum_p, mut sum_pf, mut sum_p2v) = (0.0, 0.0, 0.0);
                for k in 0..n {
                    let p = edges.at(k + 1).min(stop) - edges.at(k).max(start);
                    if p > 0.0 {
                        sum_p += p;
                        sum_pf += p * y[k];
                        sum_p2v += p * p * s[k] * s[k];
                    }
                }
                assert_eq!(
                    v.to_bits(),
                    (sum_pf / sum_p).to_bits(),
                    "step {step}, bin {i}"
                );
                assert_eq!(v_s.to_bits(), (sum_p2v.sqrt() / sum_p).to_bits());
            }
        }
    }

    #[test]
    fn a_grid_beyond_the_data_is_an_error() {
        let x = [1.0, 2.0, 3.0];
        let y = [1.0, 1.0, 1.0];
        assert!(flux_conserving(&x, &y, None, &[10.0, 11.0]).is_err());
    }
}
