//! Robust statistics shared by the analyses: the median, and the running-median
//! continuum that cross-correlation and feature finding both remove.

/// Median of a slice (sorted copy; NaN-free input).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    let (_, m, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if values.len().is_multiple_of(2) {
        let lower = values[..mid]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + m)
    } else {
        m
    }
}

/// `v`'s place in [`f64::total_cmp`]'s order, as a signed integer (the same bit trick).
fn order_key(v: f64) -> i64 {
    let b = v.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

/// The inverse of [`order_key`] (the trick is its own inverse).
fn from_order_key(k: i64) -> f64 {
    f64::from_bits((k ^ ((((k >> 63) as u64) >> 1) as i64)) as u64)
}

/// [`median`] of values given as [`order_key`]s.
fn median_of_keys(keys: &mut [i64]) -> f64 {
    if keys.is_empty() {
        return 0.0;
    }
    let mid = keys.len() / 2;
    let even = keys.len().is_multiple_of(2);
    let (lower, m, _) = keys.select_nth_unstable(mid);
    let m = from_order_key(*m);
    if even {
        let below = lower
            .iter()
            .copied()
            .max()
            .map_or(f64::NEG_INFINITY, from_order_key);
        0.5 * (below + m)
    } else {
        m
    }
}

/// Running-median continuum of the valid samples over a window of `window` samples,
/// evaluated every `window / 4` samples and linear in between (flat past the first and
/// last evaluation). A running median moves with the data, so a shifted copy of a
/// spectrum gets the shifted continuum; fixed blocks would cut the two differently.
/// Returns `None` when no window holds enough valid samples.
pub fn continuum(y: &[f64], valid: &[bool], window: usize) -> Option<Vec<f64>> {
    continuum_every(y, valid, window, (window.max(3) / 4).max(1))
}

/// [`continuum`] evaluated every `stride` samples (a coarser stride for slowly varying
/// things such as σ's level).
pub fn continuum_every(
    y: &[f64],
    valid: &[bool],
    window: usize,
    stride: usize,
) -> Option<Vec<f64>> {
    let window = window.max(3);
    let half = window / 2;
    let stride = stride.max(1);
    let mut knots: Vec<(f64, f64)> = Vec::new();
    // The windows' medians are found on integer keys in f64's total order (the same
    // order `median` uses, so the same values), which compare faster than floats.
    let keys: Vec<i64> = y.iter().map(|&v| order_key(v)).collect();
    let mut buf: Vec<i64> = Vec::with_capacity(window + 1);
    let mut centre = 0usize;
    while centre < y.len() {
        let lo = centre.saturating_sub(half);
        let hi = (centre + half + 1).min(y.len());
        buf.clear();
        buf.extend((lo..hi).filter(|&i| valid[i]).map(|i| keys[i]));
        // A window needs a third of its samples to say where the continuum is.
        if buf.len() * 3 >= (hi - lo).max(3) {
            knots.push((centre as f64, median_of_keys(&mut buf)));
        }
        if centre + 1 == y.len() {
            break;
        }
        centre = (centre + stride).min(y.len() - 1);
    }
    if knots.is_empty() {
        return None;
    }
    Some(interpolate_knots(&knots, y.len()))
}

/// Clipping threshold of [`quadratic_continuum`], in robust σ of the window's residuals.
const CLIP_SIGMA: f64 = 3.0;
/// Fits per window of [`quadratic_continuum`] at most (the kept set usually settles in 2–3).
const CLIP_ROUNDS: usize = 5;

/// Local quadratic continuum with iterative clipping: in a window of `window` samples
/// around every `window / 4`-th sample, a least-squares parabola through the valid
/// samples, refitted without those more than [`CLIP_SIGMA`] robust σ (1.4826 × the MAD of
/// the kept residuals) from it until the kept set no longer changes; between two such
/// centres the two parabolas are blended linearly.
///
/// A running median of monotonic data *is* the data (the middle value of a rising window
/// is its centre sample), so a dip on a steep or curved band edge that does not reverse
/// the slope leaves no residual against it; a parabola follows the slope and the bend,
/// and the clipping keeps the dip out of the fit. A window with fewer than a third of its
/// samples valid (or fewer than five) says nothing, as in [`continuum`]; the clipping
/// never keeps fewer than that either. Returns `None` when no window says anything.
pub fn quadratic_continuum(y: &[f64], valid: &[bool], window: usize) -> Option<Vec<f64>> {
    let window = window.max(5);
    let half = window / 2;
    let stride = (window / 4).max(1);
    let n = y.len();
    // (centre, parabola in t = (i − centre)/half).
    let mut knots: Vec<(usize, [f64; 3])> = Vec::new();
    let mut idx: Vec<usize> = Vec::with_capacity(window + 1);
    let mut keep: Vec<bool> = Vec::with_capacity(window + 1);
    let mut next: Vec<bool> = Vec::with_capacity(window + 1);
    let mut dev: Vec<f64> = Vec::with_capacity(window + 1);
    let mut centre = 0usize;
    while centre < n {
        let lo = centre.saturating_sub(half);
        let hi = (centre + half + 1).min(n);
        idx.clear();
        idx.extend((lo..hi).filter(|&i| valid[i]));
        let least = (idx.len() / 3).max(5);
        if idx.len() >= 5 && idx.len() * 3 >= (hi - lo).max(3) {
            let t_of = |i: usize| (i as f64 - centre as f64) / half as f64;
            // Below this robust σ the fit is exact to rounding: nothing to clip.
            let exact = 64.0 * f64::EPSILON * idx.iter().map(|&i| y[i].abs()).fold(0.0, f64::max);
            keep.clear();
            keep.resize(idx.len(), true);
            let mut coef = fit_parabola(&idx, &keep, y, t_of);
            for _ in 1..CLIP_ROUNDS {
                let r = |j: usize| y[idx[j]] - eval_parabola(&coef, t_of(idx[j]));
                dev.clear();
                dev.extend((0..idx.len()).filter(|&j| keep[j]).map(r));
                let m = median(&mut dev);
                for d in dev.iter_mut() {
                    *d = (*d - m).abs();
                }
                let scale = 1.4826 * median(&mut dev);
                if scale <= exact {
                    break;
                }
                next.clear();
                next.extend((0..idx.len()).map(|j| (r(j) - m).abs() <= CLIP_SIGMA * scale));
                if next.iter().filter(|k| **k).count() < least || next == keep {
                    break;
                }
                std::mem::swap(&mut keep, &mut next);
                coef = fit_parabola(&idx, &keep, y, t_of);
            }
            knots.push((centre, coef));
        }
        if centre + 1 == n {
            break;
        }
        centre = (centre + stride).min(n - 1);
    }
    if knots.is_empty() {
        return None;
    }
    let at = |k: usize, i: usize| -> f64 {
        let (c, coef) = &knots[k];
        eval_parabola(coef, (i as f64 - *c as f64) / half as f64)
    };
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    for i in 0..n {
        while k + 1 < knots.len() && knots[k + 1].0 <= i {
            k += 1;
        }
        let c0 = knots[k].0;
        let v = if i <= c0 {
            // Before the first centre: its own parabola within its window, flat beyond.
            at(k, i.max(c0.saturating_sub(half)))
        } else if k + 1 == knots.len() {
            at(k, i.min(c0 + half))
        } else {
            let c1 = knots[k + 1].0;
            if c1 - c0 > 2 * half {
                // Centres skipped (masked samples) between: each parabola no further
                // than its own window, a straight line across the rest of the gap.
                let (e0, e1) = (c0 + half, c1 - half);
                if i <= e0 {
                    at(k, i)
                } else if i >= e1 {
                    at(k + 1, i)
                } else {
                    let g = (i - e0) as f64 / (e1 - e0) as f64;
                    (1.0 - g) * at(k, e0) + g * at(k + 1, e1)
                }
            } else {
                let f = (i - c0) as f64 / (c1 - c0) as f64;
                (1.0 - f) * at(k, i) + f * at(k + 1, i)
            }
        };
        out.push(v);
    }
    Some(out)
}

/// c₀ + c₁t + c₂t².
fn eval_parabola(c: &[f64; 3], t: f64) -> f64 {
    c[0] + t * (c[1] + t * c[2])
}

/// Least-squares parabola in t through the kept samples `idx[j]` of `y` (a straight line,
/// then a constant, when the kept samples cannot fix a parabola).
fn fit_parabola(idx: &[usize], keep: &[bool], y: &[f64], t_of: impl Fn(usize) -> f64) -> [f64; 3] {
    let mut s = [0.0f64; 5];
    let mut sy = [0.0f64; 3];
    for (j, &i) in idx.iter().enumerate() {
        if !keep[j] {
            continue;
        }
        let t = t_of(i);
        let (t2, v) = (t * t, y[i]);
        s[0] += 1.0;
        s[1] += t;
        s[2] += t2;
        s[3] += t2 * t;
        s[4] += t2 * t2;
        sy[0] += v;
        sy[1] += v * t;
        sy[2] += v * t2;
    }
    let det3 = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let a = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]];
    let d = det3(a);
    // t is in −1…1, so the matrix is well scaled; a tiny determinant means the kept
    // samples lie on too few distinct places for a parabola.
    if d.abs() > 1e-9 * s[0].powi(3) {
        let mut c = [0.0; 3];
        for (k, ck) in c.iter_mut().enumerate() {
            let mut m = a;
            for r in 0..3 {
                m[r][k] = sy[r];
            }
            *ck = det3(m) / d;
        }
        return c;
    }
    let d2 = s[0] * s[2] - s[1] * s[1];
    if d2.abs() > 1e-9 * s[0].powi(2) {
        return [
            (sy[0] * s[2] - sy[1] * s[1]) / d2,
            (s[0] * sy[1] - s[1] * sy[0]) / d2,
            0.0,
        ];
    }
    [sy[0] / s[0].max(1.0), 0.0, 0.0]
}

/// Values at 0…n−1 linear between `knots` (position, value; increasing positions), flat
/// past the first and the last.
fn interpolate_knots(knots: &[(f64, f64)], n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    for i in 0..n {
        let x = i as f64;
        while k + 1 < knots.len() && knots[k + 1].0 <= x {
            k += 1;
        }
        let (x0, y0) = knots[k];
        let v = if x <= x0 || k + 1 == knots.len() {
            y0
        } else {
            let (x1, y1) = knots[k + 1];
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        };
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_on_order_keys_are_the_float_medians() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for n in 1..200 {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
                })
                .chain([0.0, -0.0, 1e300, -1e-300])
                .take(n)
                .collect();
            let mut keys: Vec<i64> = v.iter().map(|&x| order_key(x)).collect();
            assert_eq!(
                median_of_keys(&mut keys).to_bits(),
                median(&mut v.clone()).to_bits(),
                "{n}"
            );
            for &x in &v {
                assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
            }
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn the_continuum_ignores_a_narrow_line_and_masked_samples() {
        let y: Vec<f64> = (0..200)
            .map(|i| 1.0 + 0.001 * i as f64 - if (98..103).contains(&i) { 0.5 } else { 0.0 })
            .collect();
        let mut valid = vec![true; 200];
        valid[150] = false;
        let c = continuum(&y, &valid, 41).unwrap();
        for (i, c) in c.iter().enumerate().take(180).skip(20) {
            assert!((c - (1.0 + 0.001 * i as f64)).abs() < 0.01, "{i}: {c}");
        }
        assert!(continuum(&y, &[false; 200], 41).is_none());
    }

    /// Dip depth in [`edge_with_dip`]: below the edge's rise per sample there (0.01), so
    /// the data stay monotonic.
    const DIP: f64 = 0.005;

    /// A steep, bending band edge, y = 0.2 + 3x², with a shallow dip over samples
    /// 149–151 that does not reverse the slope.
    fn edge_with_dip() -> Vec<f64> {
        (0..300)
            .map(|i| {
                let x = i as f64 / 300.0;
                let dip = if (149..152).contains(&i) { DIP } else { 0.0 };
                0.2 + 3.0 * x * x - dip
            })
            .collect()
    }

    #[test]
    fn a_dip_on_a_monotonic_edge_shows_against_the_parabola_not_the_median() {
        let y = edge_with_dip();
        assert!(
            y.windows(2).all(|w| w[1] > w[0]),
            "the edge must stay monotonic"
        );
        let valid = vec![true; y.len()];
        let med = continuum(&y, &valid, 21).unwrap();
        let quad = quadratic_continuum(&y, &valid, 21).unwrap();
        for i in 149..152 {
            // The running median of rising data is the data: at most a fifth of the dip
            // (from the interpolation between its knots) is left in the residual…
            assert!(
                (med[i] - y[i]).abs() <= 0.25 * DIP,
                "median {i}: {}",
                med[i] - y[i]
            );
            // …while the parabola leaves the dip's full depth.
            assert!(
                ((quad[i] - y[i]) / DIP - 1.0).abs() < 0.05,
                "{i}: {}",
                quad[i] - y[i]
            );
        }
        // And it follows the edge everywhere else.
        for (i, (c, v)) in quad.iter().zip(&y).enumerate() {
            if !(140..160).contains(&i) {
                assert!((c - v).abs() < 1e-6, "{i}: {c} vs {v}");
            }
        }
    }

    #[test]
    fn the_quadratic_continuum_honours_masks_and_refuses_an_all_masked_window() {
        let y = edge_with_dip();
        let mut valid = vec![true; y.len()];
        // A wide masked gap with nonsense under it: the continuum is unaffected by it
        // and bridges the gap from both sides' parabolas.
        let mut bad = y.clone();
        for i in 60..100 {
            valid[i] = false;
            bad[i] = 1e6;
        }
        let c = quadratic_continuum(&bad, &valid, 21).unwrap();
        for (i, c) in c.iter().enumerate() {
            let x = i as f64 / 300.0;
            // Across the gap a chord of the parabola (3·(20/300)²/4 = 3.3e-3 at most).
            let tolerance = if (60..100).contains(&i) { 4e-3 } else { 1e-6 };
            if !(140..160).contains(&i) {
                assert!((c - (0.2 + 3.0 * x * x)).abs() < tolerance, "{i}: {c}");
            }
        }
        assert!(quadratic_continuum(&y, &vec![false; 300], 21).is_none());
        // Fewer than five samples in total: nothing to fit.
        assert!(quadratic_continuum(&[1.0, 2.0, 3.0], &[true; 3], 21).is_none());
        // Constant data: an exact fit, nothing clipped.
        let flat = quadratic_continuum(&[2.0; 50], &[true; 50], 11).unwrap();
        assert!(flat.iter().all(|v| (v - 2.0).abs() < 1e-12));
    }
}
