//! Whole-array checks written to vectorise: a block at a time, without a branch per
//! value (a search that stops at the first failure cannot vectorise). Long arrays are
//! checked on every load and every transform, so these run at memory speed; callers that
//! need the first offender search for it only after a check fails.

/// Values per block: long enough to vectorise, short enough to stop soon after a failure.
const BLOCK: usize = 1024;

/// Whether `ok(value)` holds for every value.
pub(crate) fn all_values(values: &[f64], ok: impl Fn(f64) -> bool) -> bool {
    values
        .chunks(BLOCK)
        .all(|block| block.iter().fold(true, |all, &v| all & ok(v)))
}

/// Whether `pair(values[i], values[i + 1])` holds for every neighbouring pair. Checked a
/// block at a time without a branch per pair, so it vectorises (a search that stops at
/// the first failure cannot); long axes are checked on every call.
pub(crate) fn all_neighbours(values: &[f64], pair: impl Fn(f64, f64) -> bool) -> bool {
    let n = values.len();
    (0..n.saturating_sub(1)).step_by(BLOCK).all(|start| {
        let end = (start + BLOCK).min(n - 1);
        values[start..end]
            .iter()
            .zip(&values[start + 1..=end])
            .fold(true, |ok, (&a, &b)| ok & pair(a, b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbour_checks_see_every_pair() {
        let increasing = |a: f64, b: f64| b > a;
        for n in [0usize, 1, 2, 1023, 1024, 1025, 5000] {
            let mut v: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert!(all_neighbours(&v, increasing), "n {n}");
            // A failure at every position is found, including across block edges.
            for i in 1..n {
                let kept = v[i];
                v[i] = v[i - 1];
                assert!(!all_neighbours(&v, increasing), "n {n}, i {i}");
                v[i] = kept;
            }
        }
        assert!(!all_neighbours(&[1.0, f64::NAN, 3.0], increasing));
    }

    #[test]
    fn value_checks_see_every_value() {
        for n in [0usize, 1, 1023, 1024, 1025, 3000] {
            let mut v = vec![1.0; n];
            assert!(all_values(&v, f64::is_finite), "n {n}");
            for i in 0..n {
                v[i] = f64::NAN;
                assert!(!all_values(&v, f64::is_finite), "n {n}, i {i}");
                v[i] = 1.0;
            }
        }
    }
}
