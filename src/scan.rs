//! Whole-array checks written to vectorise: a block at a time, without a branch per
//! value (a search that stops at the first failure cannot vectorise). Long arrays are
//! checked on every load and every transform, so these run at memory speed; callers that
//! need the first offender search for it only after a check fails.

/// Values per block: long enough to vectorise, short enough to stop soon after a failure.
const BLOCK: usize = 1024;

/// Arrays at least this long are checked in two halves on two threads (when the machine
/// has two cores): a check is one pass at memory speed, and one core alone does not
/// reach it.
const SPLIT_AT: usize = 1 << 17;

/// Whether `check(range)` holds for both halves of `0..n`, checked in parallel when `n`
/// is long and a second core is there.
fn both_halves(n: usize, check: impl Fn(std::ops::Range<usize>) -> bool + Sync) -> bool {
    let two_cores =
        n >= SPLIT_AT && std::thread::available_parallelism().is_ok_and(|cores| cores.get() >= 2);
    if !two_cores {
        return check(0..n);
    }
    let middle = n / 2;
    std::thread::scope(|scope| {
        let second = scope.spawn(|| check(middle..n));
        let first = check(0..middle);
        // A panic in the check (none is expected) is re-raised here.
        let second = second
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        first && second
    })
}

/// Whether `ok(value)` holds for every value.
pub(crate) fn all_values(values: &[f64], ok: impl Fn(f64) -> bool + Sync) -> bool {
    both_halves(values.len(), |range| {
        values[range]
            .chunks(BLOCK)
            .all(|block| block.iter().fold(true, |all, &v| all & ok(v)))
    })
}

/// Whether `pair(values[i], values[i + 1])` holds for every neighbouring pair. Checked a
/// block at a time without a branch per pair, so it vectorises (a search that stops at
/// the first failure cannot); long axes are checked on every call.
pub(crate) fn all_neighbours(values: &[f64], pair: impl Fn(f64, f64) -> bool + Sync) -> bool {
    // Pair i is (values[i], values[i + 1]); the halves split the pairs.
    let pairs = values.len().saturating_sub(1);
    both_halves(pairs, |range| {
        range.clone().step_by(BLOCK).all(|start| {
            let end = (start + BLOCK).min(range.end);
            values[start..end]
                .iter()
                .zip(&values[start + 1..=end])
                .fold(true, |ok, (&a, &b)| ok & pair(a, b))
        })
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

    /// Long arrays are checked in two halves: a failure in either half, and at the pair
    /// that straddles the middle, is found.
    #[test]
    fn long_arrays_are_checked_across_both_halves() {
        let n = SPLIT_AT * 2 + 3;
        let mut v: Vec<f64> = (0..n).map(|i| i as f64).collect();
        assert!(all_neighbours(&v, |a, b| b > a));
        assert!(all_values(&v, f64::is_finite));
        let middle = (n - 1) / 2;
        for i in [1, middle - 1, middle, middle + 1, n - 1] {
            let kept = v[i];
            v[i] = v[i - 1];
            assert!(!all_neighbours(&v, |a, b| b > a), "pair at {i}");
            v[i] = f64::NAN;
            assert!(!all_values(&v, f64::is_finite), "value at {i}");
            v[i] = kept;
        }
    }
}
