//! Level of detail for plotting millions of points: a min/max pyramid built once per
//! trace, and an M4 decimation (first, min, max, last sample per pixel column) that picks
//! at most a budget of points for the visible x-range.
//!
//! The per-frame cost depends on the number of columns, not on the number of samples:
//! each column's extrema come from O(block + log N) pyramid lookups. Because the selected
//! samples include every column's min and max, a single-sample spike is never lost.

use crate::units::XUnit;

/// Samples per base block of the pyramid. Small enough that a column's unaligned ends are
/// cheap to scan, large enough that the pyramid is a small fraction of the data.
pub const BASE_BLOCK: usize = 16;

/// Default number of points handed to the plot per trace (about two per pixel column).
pub const DEFAULT_BUDGET_POINTS: usize = 4000;

/// Smallest budget accepted (one M4 column needs 4).
pub const MIN_BUDGET_POINTS: usize = 16;

/// Levels below this one are not stored: level 0 (one node per base block) holds values
/// only, and levels 1 to 3 are folded from level 0 when a query needs them (at most 8
/// nodes). From this level on, nodes are stored with the indices of their extremes. Most
/// of a build's memory traffic is level 0, so this keeps the build close to one pass.
const FIRST_INDEXED_LEVEL: usize = 4;

/// A min/max pyramid over one y array: level 0 holds the minimum and maximum of each
/// [`BASE_BLOCK`]-sample block, level k+1 merges pairs of level k.
///
/// Multiplying y by a positive constant (display normalization) keeps every answer, so
/// one pyramid serves all normalizations.
#[derive(Clone, Debug, Default)]
pub struct MinMaxPyramid {
    /// Level 0: `[min, max]` of each complete base block.
    base: Vec<[f64; 2]>,
    /// Levels from `FIRST_INDEXED_LEVEL` on, with the indices of the extremes; only
    /// complete nodes are stored.
    indexed_levels: Vec<Vec<Node>>,
}

/// A node of an indexed level: the extreme values of its samples and where they are.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// [min, max] value.
    value: [f64; 2],
    /// [index of min, index of max].
    index: [u32; 2],
}

/// Min and max of one base block, with independent lanes and selects so that it
/// vectorises.
#[inline]
fn block_min_max(chunk: &[f64]) -> [f64; 2] {
    const LANES: usize = 4;
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    for group in chunk.chunks_exact(LANES) {
        for l in 0..LANES {
            let v = group[l];
            lo[l] = if v < lo[l] { v } else { lo[l] };
            hi[l] = if v > hi[l] { v } else { hi[l] };
        }
    }
    let min = lo
        .iter()
        .fold(f64::INFINITY, |m, &v| if v < m { v } else { m });
    let max = hi
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    [min, max]
}

/// Inputs at least this long build their base on two threads.
const PARALLEL_BUILD_SAMPLES: usize = 1 << 20;

/// Fills `base` with the base nodes of the complete tiles of `y` and returns their first
/// indexed nodes; `offset` is the index of `y[0]` in the whole array.
fn build_tiles(y: &[f64], offset: usize, base: &mut [[f64; 2]]) -> Vec<Node> {
    const BLOCKS_PER_TILE: usize = 1 << FIRST_INDEXED_LEVEL;
    let tile = BASE_BLOCK * BLOCKS_PER_TILE;
    let mut first_indexed = Vec::with_capacity(y.len() / tile);
    for (t, (samples, nodes)) in y
        .chunks_exact(tile)
        .zip(base.chunks_exact_mut(BLOCKS_PER_TILE))
        .enumerate()
    {
        for (node, block) in nodes.iter_mut().zip(samples.chunks_exact(BASE_BLOCK)) {
            *node = block_min_max(block);
        }
        let value = fold(nodes);
        // First occurrence: the first base block holding the value, then the first
        // sample in it.
        let locate = |which: usize| {
            let k = nodes
                .iter()
                .position(|n| n[which] == value[which])
                .expect("the tile's extreme is in one of its blocks");
            let block = &samples[k * BASE_BLOCK..(k + 1) * BASE_BLOCK];
            let i = block
                .iter()
                .position(|&v| v == value[which])
                .expect("a block's extreme is one of its samples");
            (offset + t * tile + k * BASE_BLOCK + i) as u32
        };
        first_indexed.push(Node {
            value,
            index: [locate(0), locate(1)],
        });
    }
    first_indexed
}

/// [min, max] over several nodes' [min, max].
#[inline]
fn fold(nodes: &[[f64; 2]]) -> [f64; 2] {
    nodes
        .iter()
        .fold([f64::INFINITY, f64::NEG_INFINITY], |m, n| {
            [
                if n[0] < m[0] { n[0] } else { m[0] },
                if n[1] > m[1] { n[1] } else { m[1] },
            ]
        })
}

impl MinMaxPyramid {
    /// Builds the pyramid in one pass over `y`, tile by tile: each tile of
    /// `B·2^FIRST_INDEXED_LEVEL` samples yields its base nodes and its first indexed node
    /// while its samples are still in cache. Upper levels read only the (256 times
    /// smaller) level below.
    pub fn build(y: &[f64]) -> Self {
        if y.len() > u32::MAX as usize {
            // Not realistic for a spectrum (32 GB of f64); queries then scan the data.
            return Self::default();
        }
        let tile = BASE_BLOCK << FIRST_INDEXED_LEVEL;
        let full = y.len() / tile * tile;
        // Large inputs: two threads, each on half of the complete tiles, writing disjoint
        // halves of the base level.
        let mut base = vec![[0.0f64; 2]; y.len() / BASE_BLOCK];
        let (tile_base, _) = base.split_at_mut(full / BASE_BLOCK);
        let first_indexed = if full >= PARALLEL_BUILD_SAMPLES {
            let mid = full / 2 / tile * tile;
            let (left_base, right_base) = tile_base.split_at_mut(mid / BASE_BLOCK);
            let (mut left, right) = std::thread::scope(|scope| {
                let right = scope.spawn(|| build_tiles(&y[mid..full], mid, right_base));
                let left = build_tiles(&y[..mid], 0, left_base);
                (left, right.join().expect("no panic in build"))
            });
            left.extend_from_slice(&right);
            left
        } else {
            build_tiles(&y[..full], 0, tile_base)
        };
        // Complete blocks after the last complete tile.
        for (node, block) in base[full / BASE_BLOCK..]
            .iter_mut()
            .zip(y[full..].chunks_exact(BASE_BLOCK))
        {
            *node = block_min_max(block);
        }
        let mut indexed_levels = vec![first_indexed];
        while indexed_levels.last().is_some_and(|l| l.len() >= 2) {
            let prev = indexed_levels.last().expect("checked above");
            let next = prev
                .chunks_exact(2)
                .map(|p| {
                    let lo = usize::from(p[1].value[0] < p[0].value[0]);
                    let hi = usize::from(p[1].value[1] > p[0].value[1]);
                    Node {
                        value: [p[lo].value[0], p[hi].value[1]],
                        index: [p[lo].index[0], p[hi].index[1]],
                    }
                })
                .collect();
            indexed_levels.push(next);
        }
        Self {
            base,
            indexed_levels,
        }
    }

    /// Number of stored nodes over all levels.
    pub fn node_count(&self) -> usize {
        self.base.len() + self.indexed_levels.iter().map(Vec::len).sum::<usize>()
    }

    fn level_count(&self) -> usize {
        FIRST_INDEXED_LEVEL + self.indexed_levels.len()
    }

    /// The base nodes under node `j` of a level below `FIRST_INDEXED_LEVEL`.
    #[inline]
    fn base_range(&self, level: usize, j: usize) -> &[[f64; 2]] {
        &self.base[j << level..(j + 1) << level]
    }

    /// [min, max] of node `j` at `level`, and the indices when that level stores them.
    #[inline]
    fn node(&self, level: usize, j: usize) -> ([f64; 2], Option<[u32; 2]>) {
        if level < FIRST_INDEXED_LEVEL {
            (fold(self.base_range(level, j)), None)
        } else {
            let n = self.indexed_levels[level - FIRST_INDEXED_LEVEL][j];
            (n.value, Some(n.index))
        }
    }

    /// The first sample under unstored node `(level, j)` equal to its extreme `value`
    /// (`which`: 0 min, 1 max).
    fn locate(&self, y: &[f64], level: usize, j: usize, which: usize, value: f64) -> usize {
        let k = (j << level)
            + self
                .base_range(level, j)
                .iter()
                .position(|n| n[which] == value)
                .expect("a node's extreme is in one of its blocks");
        let start = k * BASE_BLOCK;
        start
            + y[start..start + BASE_BLOCK]
                .iter()
                .position(|&v| v == value)
                .expect("a block's extreme is one of its samples")
    }

    /// Indices of the minimum and maximum of `y[start..end]`. Deterministic.
    /// `start < end` is required.
    pub fn range_extrema(&self, y: &[f64], start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= y.len());
        // Each best is (value, sample index) or (value, unlocated value-level node).
        let mut lo: (f64, Result<usize, (usize, usize)>) = (y[start], Ok(start));
        let mut hi = lo;
        let (mut a, mut b) = (start, end);
        if self.base.is_empty() {
            // No complete block (or no pyramid): scan everything.
            for (i, &v) in y.iter().enumerate().take(end).skip(start) {
                if v < lo.0 {
                    lo = (v, Ok(i));
                }
                if v > hi.0 {
                    hi = (v, Ok(i));
                }
            }
            a = b;
        }
        while a < b && a % BASE_BLOCK != 0 {
            if y[a] < lo.0 {
                lo = (y[a], Ok(a));
            }
            if y[a] > hi.0 {
                hi = (y[a], Ok(a));
            }
            a += 1;
        }
        while b > a && b % BASE_BLOCK != 0 {
            b -= 1;
            if y[b] < lo.0 {
                lo = (y[b], Ok(b));
            }
            if y[b] > hi.0 {
                hi = (y[b], Ok(b));
            }
        }
        let (mut ja, mut jb) = (a / BASE_BLOCK, b / BASE_BLOCK);
        let mut level = 0;
        let levels = self.level_count();
        while ja < jb && level < levels {
            for j in [(ja & 1 == 1).then_some(ja), (jb & 1 == 1).then_some(jb - 1)]
                .into_iter()
                .flatten()
            {
                let (value, index) = self.node(level, j);
                if value[0] < lo.0 {
                    lo = (value[0], index.map(|i| i[0] as usize).ok_or((level, j)));
                }
                if value[1] > hi.0 {
                    hi = (value[1], index.map(|i| i[1] as usize).ok_or((level, j)));
                }
            }
            if ja & 1 == 1 {
                ja += 1;
            }
            if jb & 1 == 1 {
                jb -= 1;
            }
            ja /= 2;
            jb /= 2;
            level += 1;
        }
        let place = |best: (f64, Result<usize, (usize, usize)>), which| match best.1 {
            Ok(i) => i,
            Err((level, j)) => self.locate(y, level, j, which, best.0),
        };
        (place(lo, 0), place(hi, 1))
    }
}

/// [`slice::partition_point`] for `x < target` on an increasing slice, searched outwards
/// from `guess`: where the previous column's width predicts the next edge (spectra are
/// nearly uniform in x), the answer is one or two cache lines away, where a search from
/// the column's start touches one line per doubling.
fn partition_near(xs: &[f64], guess: usize, target: f64) -> usize {
    let n = xs.len();
    let g = guess.min(n);
    if g > 0 && xs[g - 1] >= target {
        // The answer is at most g − 1: double backwards until a value below the target.
        let (mut hi, mut step) = (g - 1, 1);
        loop {
            let lo = hi.saturating_sub(step);
            if lo == 0 {
                return xs[..hi].partition_point(|&x| x < target);
            }
            if xs[lo] < target {
                return lo + 1 + xs[lo + 1..hi].partition_point(|&x| x < target);
            }
            hi = lo;
            step *= 2;
        }
    }
    // The answer is at least g: double forwards until a value at or past the target.
    let (mut lo, mut step) = (g, 1);
    loop {
        let hi = (lo + step).min(n);
        if hi == n || xs[hi - 1] >= target {
            return lo + xs[lo..hi].partition_point(|&x| x < target);
        }
        lo = hi;
        step *= 2;
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
    // Column edges, uniform in the display unit, mapped back to nm. Going from the unit's
    // value at lo_nm to its value at hi_nm, they increase in nm for every unit (reversed
    // ones included), since each unit maps nm monotonically.
    let (d0, d1) = (request.unit.from_nm(lo_nm), request.unit.from_nm(hi_nm));
    let edges_nm: Vec<f64> = (1..columns)
        .map(|c| {
            request
                .unit
                .to_nm(d0 + (d1 - d0) * (c as f64 / columns as f64))
        })
        .collect();
    let mut out = Vec::with_capacity(4 * columns);
    let mut a = start;
    // Each edge is looked for where the last column's width puts it.
    let mut width = (end - start) / columns;
    // The last column ends at `end`; the others at their edge.
    let column_ends = edges_nm.iter().map(Some).chain(std::iter::once(None));
    for edge_nm in column_ends {
        let b = match edge_nm {
            Some(&e) => a + partition_near(&x_nm[a..end], width, e),
            None => end,
        };
        width = b - a;
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
            // Columns really spread over the view (in every unit): with many samples
            // per column, nearly every column contributes points.
            let visible = x_nm.iter().filter(|&&x| x >= lo && x <= hi).count();
            let budget = budget.max(MIN_BUDGET_POINTS);
            if visible >= 64 * budget && columns >= budget / 4 {
                prop_assert!(idx.len() >= budget / 2, "{} of {}", idx.len(), budget);
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
    fn partition_near_equals_partition_point_from_any_guess() {
        let xs: Vec<f64> = (0..1000).map(|i| (i * 3) as f64).collect();
        for t in [
            -1.0, 0.0, 1.0, 2.5, 3.0, 299.0, 1500.0, 2996.0, 2997.0, 5000.0,
        ] {
            for guess in [0, 1, 2, 7, 99, 100, 101, 500, 998, 999, 1000, 5000] {
                assert_eq!(
                    partition_near(&xs, guess, t),
                    xs.partition_point(|&x| x < t),
                    "{t} from {guess}"
                );
            }
        }
        // Repeated values: the first index at or past the target, as partition_point.
        let steps = [1.0, 1.0, 2.0, 2.0, 2.0, 3.0];
        for t in [1.0, 2.0, 2.5, 3.0] {
            for guess in 0..=6 {
                assert_eq!(
                    partition_near(&steps, guess, t),
                    steps.partition_point(|&x| x < t)
                );
            }
        }
        assert_eq!(partition_near(&[], 3, 1.0), 0);
    }

    #[test]
    fn the_two_thread_build_answers_like_brute_force() {
        let n = PARALLEL_BUILD_SAMPLES + 12_345;
        let y: Vec<f64> = (0..n)
            .map(|i| ((i as f64) * 0.618).sin() * (1.0 + (i % 977) as f64))
            .collect();
        let p = MinMaxPyramid::build(&y);
        let mut state = 12345u64;
        for _ in 0..200 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (state >> 33) as usize % n;
            let len = 1 + (state >> 13) as usize % (n - a);
            let (imin, imax) = p.range_extrema(&y, a, a + len);
            let (lo, hi) = brute(&y, a, a + len);
            assert_eq!((y[imin], y[imax]), (lo, hi), "[{a}, {})", a + len);
        }
    }

    #[test]
    fn pyramid_is_small() {
        let y = vec![1.0; 1 << 16];
        let p = MinMaxPyramid::build(&y);
        assert!(p.node_count() < (1 << 16) / BASE_BLOCK * 2);
    }
}
