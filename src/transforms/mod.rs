//! Pure transforms on canonical arrays (x in nm). The view's display normalization and
//! smoothing call these same functions, so the picture and a recorded step can never
//! disagree. `registry` names every transform, its parameters with units, its version,
//! and applies recorded steps.

pub mod airvac;
pub mod barycentric;
pub mod lsf;
pub mod normalize;
pub mod registry;
pub mod resample;
pub mod savgol;
pub mod velocity;

pub use normalize::{
    Normalization, NormalizeError, normalization_divisor, normalization_divisor_masked,
};
pub use savgol::{SavGol, SavGolError};

/// Threads for an elementwise pass over `n` values: 1 below 2¹⁶, else one per core (at
/// most 4). Results never depend on it: every element is computed alone.
pub(crate) fn threads_for(n: usize) -> usize {
    if n < (1 << 16) {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
    }
}

/// Jobs per thread in [`run_jobs`]: enough that a core the OS gives less time does fewer
/// jobs instead of holding the others up, few enough that each job is long.
pub(crate) const JOBS_PER_THREAD: usize = 4;

/// Length of the pieces when `n` values are cut into jobs for `threads` threads, rounded
/// up to a multiple of `align`.
pub(crate) fn job_len(n: usize, threads: usize, align: usize) -> usize {
    n.div_ceil(threads * JOBS_PER_THREAD)
        .next_multiple_of(align)
        .max(1)
}

/// Runs `work(state, job)` for every job, on `threads` threads (the caller's among them)
/// that each take the next job when done with the last; `init` makes each thread's
/// scratch state. Which thread runs a job never changes what the job computes, so the
/// results do not depend on the schedule.
pub(crate) fn run_jobs<J: Send, S>(
    jobs: Vec<J>,
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, J) + Sync,
) {
    if threads <= 1 || jobs.len() <= 1 {
        let mut state = init();
        for job in jobs {
            work(&mut state, job);
        }
        return;
    }
    let helpers = threads.min(jobs.len()) - 1;
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let worker = || {
        let mut state = init();
        loop {
            // A panicking job poisons the lock; the scope re-raises that panic anyway.
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
            match next {
                Some(job) => work(&mut state, job),
                None => break,
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(worker);
        }
        worker();
    });
}

/// `out[i] = f(i)` for every i, in parallel jobs for long outputs (same bits).
pub(crate) fn par_fill(out: &mut [f64], f: impl Fn(usize) -> f64 + Sync) {
    let threads = threads_for(out.len());
    let len = job_len(out.len(), threads, 1);
    let jobs: Vec<(usize, &mut [f64])> = out
        .chunks_mut(len)
        .enumerate()
        .map(|(k, o)| (k * len, o))
        .collect();
    run_jobs(
        jobs,
        threads,
        || (),
        |_, (offset, o)| {
            for (i, slot) in o.iter_mut().enumerate() {
                *slot = f(offset + i);
            }
        },
    );
}

/// `values.iter().map(f).collect()`, in parallel jobs for long inputs (same bits).
pub(crate) fn par_map(values: &[f64], f: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    par_zip(values, &mut out, |v, o| {
        for (slot, &x) in o.iter_mut().zip(v) {
            *slot = f(x);
        }
    });
    out
}

/// `work(values piece, out piece)` over equal pieces of `values` and `out` (same
/// length), in parallel jobs for long inputs.
pub(crate) fn par_zip(values: &[f64], out: &mut [f64], work: impl Fn(&[f64], &mut [f64]) + Sync) {
    debug_assert_eq!(values.len(), out.len());
    let threads = threads_for(out.len());
    let len = job_len(out.len(), threads, 1);
    let jobs: Vec<(&[f64], &mut [f64])> = values.chunks(len).zip(out.chunks_mut(len)).collect();
    run_jobs(jobs, threads, || (), |_, (v, o)| work(v, o));
}

/// `(0..n).map(f).collect()`, in parallel jobs for long outputs (same bits).
pub(crate) fn par_from_fn(n: usize, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
    let mut out = vec![0.0; n];
    par_fill(&mut out, f);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_each_thread_makes_its_state_once() {
        let seen = std::sync::Mutex::new(Vec::new());
        let states = std::sync::atomic::AtomicUsize::new(0);
        run_jobs(
            (0..100).collect(),
            3,
            || states.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            |_, job: usize| seen.lock().unwrap().push(job),
        );
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert!((1..=3).contains(&states.into_inner()));
    }

    #[test]
    fn parallel_maps_equal_serial_ones() {
        let values: Vec<f64> = (0..300_007).map(|i| (i as f64 * 0.01).sin()).collect();
        let f = |v: f64| v * 3.0 + 1.0;
        assert_eq!(
            par_map(&values, f),
            values.iter().map(|&v| f(v)).collect::<Vec<_>>()
        );
        assert_eq!(
            par_from_fn(300_007, |i| i as f64 * 0.5),
            (0..300_007).map(|i| i as f64 * 0.5).collect::<Vec<_>>()
        );
    }
}
