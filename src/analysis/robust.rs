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
    let mut out = Vec::with_capacity(y.len());
    let mut k = 0;
    for i in 0..y.len() {
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
    Some(out)
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
}
