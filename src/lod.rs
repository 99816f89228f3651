//! Level of detail for plotting millions of points: a min/max pyramid built once per
//! trace, and an M4 decimation (first, min, max, last sample per pixel column) that picks
//! at most a budget of points for the visible x-range.
//!
//! The per-frame cost depends on the number of columns, not on the number of samples:
//! each column's extrema come from O(block + log N) pyramid lookups. Because the selected
//! samples include every column's min and max, a single-sample spike is never lost.

use crate::units::XUnit;

/// Samples per base block of the pyramid. Small enough that a column's unaligned ends are
/// cheap to scan, large enough that the base level is an eighth of the data.
pub const BASE_BLOCK: usize = 8;

/// Default number of points handed to the plot per trace (about two per pixel column).
pub const DEFAULT_BUDGET_POINTS: usize = 4000;

/// Smallest budget accepted (one M4 column needs 4).
pub const MIN_BUDGET_POINTS: usize = 16;

/// A min/max pyramid over one y array: level 0 holds the indices of the minimum and the
/// maximum of each [`BASE_BLOCK`]-sample block, level k+1 merges pairs of level k.
///
/// It stores indices, not values, so it stays valid when y is multiplied by a positive
/// constant (display normalization).
#[derive(Clone, Debug, Default)]
pub struct MinMaxPyramid {
    /// `levels[k][j]` = (index of min, index of max) over samples
    /// `[j·B·2^k, (j+1)·B·2^k)`; only complete blocks are stored.
    levels: Vec<Vec<(u32, u32)>>,
}

impl MinMaxPyramid {
    /// Builds the pyramid in one pass over `y` plus a pass over an eighth of it.
    pub fn build(y: &[f64]) -> Self {
        if y.len() > u32::MAX as usize {
            // Not realistic for a spectrum (64 GB of f64); queries then scan the data.
            return Self::default();
        }
        let mut levels = Vec::new();
        let base: Vec<(u32, u32)> = y
            .chunks_exact(BASE_BLOCK)
            .enumerate()
            .map(|(j, chunk)| {
                let (mut lo, mut hi) = (0usize, 0usize);
                for (i, &v) in chunk.iter().enumerate().skip(1) {
                    if v < chunk[lo] {
                        lo = i;
                    }
                    if v > chunk[hi] {
                        hi = i;
                    }
                }
                let start = j * BASE_BLOCK;
                ((start + lo) as u32, (start + hi) as u32)
            })
            .collect();
        levels.push(base);
        while levels.last().is_some_and(|l| l.len() >= 2) {
            let prev = levels.last().expect("checked above");
            let next: Vec<(u32, u32)> = prev
                .chunks_exact(2)
                .map(|p| {
                    let (a, b) = (p[0], p[1]);
                    let lo = if y[b.0 as usize] < y[a.0 as usize] {
                        b.0
                    } else {
                        a.0
                    };
                    let hi = if y[b.1 as usize] > y[a.1 as usize] {
                        b.1
                    } else {
                        a.1
                    };
                    (lo, hi)
                })
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// Number of stored (min, max) pairs over all levels.
    pub fn node_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Indices of the minimum and maximum of `y[start..end]` (first occurrence on ties
    /// within a block, deterministic always). `start < end` is required.
    pub fn range_extrema(&self, y: &[f64], start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= y.len());
        let (mut lo, mut hi) = (start, start);
        let mut take = |i: usize, j: usize| {
            if y[i] < y[lo] {
                lo = i;
            }
            if y[j] > y[hi] {
                hi = j;
            }
        };
        if self.levels.is_empty() {
            for i in start..end {
                take(i, i);
            }
            return (lo, hi);
        }
        let (mut a, mut b) = (start, end);
        while a < b && a % BASE_BLOCK != 0 {
            take(a, a);
            a += 1;
        }
        while b > a && b % BASE_BLOCK != 0 {
            b -= 1;
            take(b, b);
        }
        let (mut ja, mut jb) = (a / BASE_BLOCK, b / BASE_BLOCK);
        let mut level = 0;
        while ja < jb {
            let nodes = &self.levels[level];
            if ja & 1 == 1 {
                let (l, h) = nodes[ja];
                take(l as usize, h as usize);
                ja += 1;
            }
            if jb & 1 == 1 {
                jb -= 1;
                let (l, h) = nodes[jb];
                take(l as usize, h as usize);
            }
            ja /= 2;
            jb /= 2;
            level += 1;
            if level == self.levels.len() {
                // Blocks past the last complete pair at the top: scan what is left.
                debug_assert!(ja >= jb);
                break;
            }
        }
        (lo, hi)
    }
}

/// What part of a trace a frame shows, and how many points it may hand to the plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LodRequest {
    /// Visible x-range in canonical nm (either order).
    pub x_range_nm: (f64, f64),
    /// Pixel columns across the plot (the decimation uses at most `budget / 4` columns).
    pub columns: usize,
    /// Most points returned.
    pub budget_points: usize,
    /// Display unit: columns are uniform in this unit, as the screen's pixels are.
    pub unit: XUnit,
}

/// Selects the sample indices to draw, in increasing order: every visible sample when
/// they fit the budget, else first/min/max/last of each column. One sample beyond each
/// edge is kept so lines run to the plot border.
pub fn select_indices(
    x_nm: &[f64],
    y: &[f64],
    pyramid: &MinMaxPyramid,
    request: &LodRequest,
) -> Vec<usize> {
    let n = x_nm.len();
    if n == 0 {
        return Vec::new();
    }
    let (lo_nm, hi_nm) = if request.x_range_nm.0 <= request.x_range_nm.1 {
        request.x_range_nm
    } else {
        (request.x_range_nm.1, request.x_range_nm.0)
    };
    let budget = request.budget_points.max(MIN_BUDGET_POINTS);
    let start = x_nm.partition_point(|&x| x < lo_nm).saturating_sub(1);
    let end = (x_nm.partition_point(|&x| x <= hi_nm) + 1).min(n);
    if start >= end {
        return Vec::new();
    }
    if end - start <= budget {
        return (start..end).collect();
    }
    let columns = request.columns.clamp(1, budget / 4);
    // Column edges, uniform in the display unit, mapped back to nm and made increasing.
    let (d0, d1) = (request.unit.from_nm(lo_nm), request.unit.from_nm(hi_nm));
    let mut edges_nm: Vec<f64> = (1..columns)
        .map(|c| {
            request
                .unit
                .to_nm(d0 + (d1 - d0) * (c as f64 / columns as f64))
        })
        .collect();
    if request.unit.is_reversed() {
        edges_nm.reverse();
    }
    let mut out = Vec::with_capacity(4 * columns);
    let mut a = start;
    // The last column ends at `end`; the others at their edge.
    let column_ends = edges_nm.iter().map(Some).chain(std::iter::once(None));
    for edge_nm in column_ends {
        let b = match edge_nm {
            Some(&e) => x_nm[a..end].partition_point(|&x| x < e) + a,
            None => end,
        };
        if b > a {
            let (imin, imax) = pyramid.range_extrema(y, a, b);
            let (m1, m2) = if imin <= imax {
                (imin, imax)
            } else {
                (imax, imin)
            };
            for i in [a, m1, m2, b - 1] {
                if out.last() != Some(&i) {
                    out.push(i);
                }
            }
        }
        a = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(y: &[f64], a: usize, b: usize) -> (f64, f64) {
        y[a..b]
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    }

    proptest! {
        #[test]
        fn range_extrema_equal_brute_force(
            y in proptest::collection::vec(-1e6f64..1e6, 1..3000),
            a_frac in 0.0f64..1.0, len_frac in 0.0f64..1.0,
        ) {
            let p = MinMaxPyramid::build(&y);
            let a = ((y.len() - 1) as f64 * a_frac) as usize;
            let b = a + 1 + ((y.len() - a - 1) as f64 * len_frac) as usize;
            let (imin, imax) = p.range_extrema(&y, a, b);
            prop_assert!((a..b).contains(&imin) && (a..b).contains(&imax));
            let (lo, hi) = brute(&y, a, b);
            prop_assert_eq!(y[imin], lo);
            prop_assert_eq!(y[imax], hi);
        }

        /// At any zoom, any budget and any unit: never more than the budget, indices
        /// increasing, and a single-sample spike inside the view is always kept.
        #[test]
        fn budget_holds_and_spikes_survive(
            n in 2usize..60_000,
            spike_frac in 0.0f64..1.0,
            spike_sign in prop::bool::ANY,
            view_a in 0.0f64..1.0, view_w in 0.0f64..1.0,
            budget in 16usize..5000,
            columns in 1usize..3000,
            unit_i in 0usize..4,
        ) {
            let x_nm: Vec<f64> = (0..n).map(|i| 400.0 + i as f64 * 0.01).collect();
            let mut y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let spike = ((n - 1) as f64 * spike_frac) as usize;
            y[spike] = if spike_sign { 1e3 } else { -1e3 };
            let p = MinMaxPyramid::build(&y);
            let span = x_nm[n - 1] - x_nm[0];
            let lo = x_nm[0] + span * view_a * 0.999;
            let hi = lo + (x_nm[n - 1] - lo) * view_w + 1e-9;
            let req = LodRequest {
                x_range_nm: (lo, hi),
                columns,
                budget_points: budget,
                unit: XUnit::ALL[unit_i],
            };
            let idx = select_indices(&x_nm, &y, &p, &req);
            prop_assert!(idx.len() <= budget.max(MIN_BUDGET_POINTS));
            prop_assert!(idx.windows(2).all(|w| w[0] < w[1]));
            if x_nm[spike] >= lo && x_nm[spike] <= hi {
                prop_assert!(idx.contains(&spike), "spike {} lost", spike);
            }
        }
    }

    #[test]
    fn small_views_return_every_sample() {
        let x: Vec<f64> = (0..100).map(|i| i as f64 + 1.0).collect();
        let y = vec![0.0; 100];
        let p = MinMaxPyramid::build(&y);
        let req = LodRequest {
            x_range_nm: (10.0, 20.0),
            columns: 500,
            budget_points: 4000,
            unit: XUnit::Nanometer,
        };
        // Samples 10..=20 nm are indices 9..=19, plus one on each side.
        assert_eq!(
            select_indices(&x, &y, &p, &req),
            (8..21).collect::<Vec<_>>()
        );
    }

    #[test]
    fn pyramid_is_small() {
        let y = vec![1.0; 1 << 16];
        let p = MinMaxPyramid::build(&y);
        assert!(p.node_count() < (1 << 16) / BASE_BLOCK * 2);
    }
}
