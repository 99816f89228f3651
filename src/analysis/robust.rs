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
    let mut buf = Vec::with_capacity(window + 1);
    let mut centre = 0usize;
    while centre < y.len() {
        let lo = centre.saturating_sub(half);
        let hi = (centre + half + 1).min(y.len());
        buf.clear();
        buf.extend((lo..hi).filter(|&i| valid[i]).map(|i| y[i]));
        // A window needs a third of its samples to say where the continuum is.
        if buf.len() * 3 >= (hi - lo).max(3) {
            knots.push((centre as f64, median(&mut buf)));
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
