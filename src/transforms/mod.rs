//! Pure transforms on canonical arrays (x in nm). The view's display normalization and
//! smoothing call these same functions, so the picture and a recorded step can never
//! disagree. `registry` names every transform, its parameters with units, its version,
//! and applies recorded steps.
//!
//! Below the module list: the helpers every long pass uses to run in parallel — jobs
//! from a shared queue, and new arrays written piece by piece by the thread that fills
//! them. Every value is computed by the same operations wherever and whenever it runs,
//! so no result depends on the threads.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

pub mod airvac;
pub mod barycentric;
pub(crate) mod fft;
pub mod lsf;
pub mod normalize;
pub mod observation;
pub mod registry;
pub mod resample;
pub mod savgol;
pub mod velocity;

pub use normalize::{
    Normalization, NormalizeError, normalization_divisor, normalization_divisor_masked,
};
pub use savgol::{SavGol, SavGolError};

use std::mem::MaybeUninit;

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

/// A piece of a new vector, written front to back. [`build_pair`] hands one to each job
/// and checks that the job filled it, so the new memory is written once, by the thread
/// that computes it, and never zeroed first: zeroing would be one more pass over memory
/// in passes that are limited by memory traffic.
pub(crate) struct Piece<'a> {
    slots: &'a mut [MaybeUninit<f64>],
    /// Slots `..filled` hold values; the rest are not yet written.
    filled: usize,
}

impl<'a> Piece<'a> {
    fn new(slots: &'a mut [MaybeUninit<f64>]) -> Self {
        Self { slots, filled: 0 }
    }

    /// A piece of no values, for a second output that is not made.
    pub(crate) fn none() -> Piece<'static> {
        Piece {
            slots: &mut [],
            filled: 0,
        }
    }

    /// Number of values the piece holds when full.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Writes the next value; panics when the piece is full.
    #[inline(always)]
    pub(crate) fn push(&mut self, value: f64) {
        self.slots[self.filled].write(value);
        self.filled += 1;
    }

    /// Writes the next values, as many as `values` yields or the piece has room for.
    #[inline(always)]
    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        let mut count = 0;
        for (slot, value) in self.slots[self.filled..].iter_mut().zip(values) {
            slot.write(value);
            count += 1;
        }
        self.filled += count;
    }

    /// Writes `values` next; panics when the piece has less room.
    #[inline(always)]
    pub(crate) fn extend_from_slice(&mut self, values: &[f64]) {
        let end = self.filled + values.len();
        for (slot, &value) in self.slots[self.filled..end].iter_mut().zip(values) {
            slot.write(value);
        }
        self.filled = end;
    }

    /// Writes `value` into every slot not yet written.
    pub(crate) fn fill_rest(&mut self, value: f64) {
        self.extend(std::iter::repeat(value));
    }

    fn is_full(&self) -> bool {
        self.filled == self.slots.len()
    }
}

/// A new vector of `n` values (and a second one when `with_second`) made by
/// `work(state, offset, piece, second piece)` on pieces of `len` values, run as jobs on
/// `threads` threads ([`run_jobs`]). Each job must fill its pieces ([`Piece`]); one that
/// does not is a bug, and panics.
pub(crate) fn build_pair<S>(
    n: usize,
    with_second: bool,
    threads: usize,
    len: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize, &mut Piece<'_>, Option<&mut Piece<'_>>) + Sync,
) -> (Vec<f64>, Option<Vec<f64>>) {
    let len = len.max(1);
    let mut first: Vec<f64> = Vec::with_capacity(n);
    let mut second: Option<Vec<f64>> = with_second.then(|| Vec::with_capacity(n));
    let seconds: Vec<Option<&mut [MaybeUninit<f64>]>> = match second.as_mut() {
        Some(v) => v.spare_capacity_mut()[..n]
            .chunks_mut(len)
            .map(Some)
            .collect(),
        None => (0..n.div_ceil(len)).map(|_| None).collect(),
    };
    let jobs: Vec<_> = first.spare_capacity_mut()[..n]
        .chunks_mut(len)
        .zip(seconds)
        .enumerate()
        .collect();
    run_jobs(jobs, threads, init, |state, (k, (a, b))| {
        let mut a = Piece::new(a);
        let mut b = b.map(Piece::new);
        work(state, k * len, &mut a, b.as_mut());
        assert!(
            a.is_full() && b.as_ref().is_none_or(Piece::is_full),
            "a job left part of its piece unwritten"
        );
    });
    // SAFETY: the pieces cover 0..n of both vectors, and every piece was checked full
    // just after its job, i.e. every element was written (had a job panicked or a check
    // failed, `run_jobs` would have re-raised that panic before this line).
    unsafe {
        first.set_len(n);
        if let Some(v) = second.as_mut() {
            v.set_len(n);
        }
    }
    (first, second)
}

/// [`build_pair`] with one vector.
pub(crate) fn build<S>(
    n: usize,
    threads: usize,
    len: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize, &mut Piece<'_>) + Sync,
) -> Vec<f64> {
    build_pair(n, false, threads, len, init, |state, offset, piece, _| {
        work(state, offset, piece)
    })
    .0
}

/// `values.iter().map(f).collect()`, in parallel jobs for long inputs (same bits).
pub(crate) fn par_map(values: &[f64], f: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
    let n = values.len();
    let threads = threads_for(n);
    build(
        n,
        threads,
        job_len(n, threads, 1),
        || (),
        |_, offset, piece| piece.extend(values[offset..].iter().map(|&x| f(x))),
    )
}

/// Values per call of `work` in [`par_map_pieces`]: 4 KB, in the L1 cache.
const PIECE_BUFFER: usize = 512;

/// A new vector as long as `values`, made by `work(values piece, output piece)` on pieces
/// of at most [`PIECE_BUFFER`] values, in parallel jobs for long inputs. `work` writes
/// into a buffer of the thread's, copied on while it is in the L1 cache.
pub(crate) fn par_map_pieces(values: &[f64], work: impl Fn(&[f64], &mut [f64]) + Sync) -> Vec<f64> {
    let n = values.len();
    let threads = threads_for(n);
    let len = job_len(n, threads, 1);
    build(
        n,
        threads,
        len,
        || [0.0; PIECE_BUFFER],
        |buffer, offset, piece| {
            for chunk in values[offset..offset + piece.len()].chunks(PIECE_BUFFER) {
                let out = &mut buffer[..chunk.len()];
                work(chunk, out);
                piece.extend_from_slice(out);
            }
        },
    )
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
    fn built_vectors_hold_what_every_piece_wrote() {
        for (n, threads, len) in [
            (1000usize, 3usize, 7usize),
            (5, 2, 10),
            (0, 2, 4),
            (64, 1, 64),
        ] {
            let (a, b) = build_pair(
                n,
                true,
                threads,
                len,
                || (),
                |_, offset, x, y| {
                    x.extend((offset..offset + x.len()).map(|i| i as f64));
                    let y = y.unwrap();
                    for i in 0..y.len() {
                        y.push(-((offset + i) as f64));
                    }
                },
            );
            assert_eq!(a, (0..n).map(|i| i as f64).collect::<Vec<_>>());
            assert_eq!(b.unwrap(), (0..n).map(|i| -(i as f64)).collect::<Vec<_>>());
        }
    }

    /// The `set_len` in `build_pair` is sound: every element of both vectors is written
    /// through a `Piece` before it is read. Small on purpose, so that Miri checks it in
    /// seconds (`docs/dev/architecture.md`, "Unsafe code"):
    /// `cargo +nightly miri test --lib transforms::tests::miri_`.
    #[test]
    fn miri_pieces_write_every_element_before_set_len() {
        for (n, threads, len) in [(13usize, 2usize, 4usize), (3, 1, 8), (0, 2, 2)] {
            let (a, b) = build_pair(
                n,
                true,
                threads,
                len,
                || (),
                |_, offset, x, y| {
                    // Every way a piece is filled: push, extend, slice, fill_rest.
                    let len = x.len();
                    if len > 0 {
                        x.push(offset as f64);
                    }
                    let next = x.filled;
                    x.extend((next..len / 2).map(|i| (offset + i) as f64));
                    let next = x.filled;
                    let rest: Vec<f64> = (next..len).map(|i| (offset + i) as f64).collect();
                    x.extend_from_slice(&rest);
                    let y = y.unwrap();
                    y.fill_rest(-1.0);
                },
            );
            assert_eq!(a, (0..n).map(|i| i as f64).collect::<Vec<_>>());
            assert_eq!(b.unwrap(), vec![-1.0; n]);
        }
    }

    /// A job that does not fill its piece is caught before anyone reads the vector, which
    /// would otherwise hold whatever the memory held before.
    #[test]
    fn a_piece_left_short_panics() {
        for (with_second, short_first) in [(false, true), (true, true), (true, false)] {
            let caught = std::panic::catch_unwind(|| {
                build_pair(
                    100,
                    with_second,
                    2,
                    30,
                    || (),
                    |_, _, a, b| {
                        let n = a.len();
                        a.extend(std::iter::repeat_n(1.0, n - usize::from(short_first)));
                        if let Some(b) = b {
                            b.extend(std::iter::repeat_n(1.0, n - usize::from(!short_first)));
                        }
                    },
                )
            });
            assert!(
                caught.is_err(),
                "second {with_second}, short first {short_first}"
            );
        }
        // Filling the rest makes it whole.
        let v = build(
            10,
            1,
            10,
            || (),
            |_, _, p| {
                p.push(2.0);
                p.fill_rest(3.0);
            },
        );
        assert_eq!(v, [2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn parallel_maps_equal_serial_ones() {
        let values: Vec<f64> = (0..300_007).map(|i| (i as f64 * 0.01).sin()).collect();
        let f = |v: f64| v * 3.0 + 1.0;
        let serial: Vec<f64> = values.iter().map(|&v| f(v)).collect();
        assert_eq!(par_map(&values, f), serial);
        let pieces = par_map_pieces(&values, |v, o| {
            for (o, &v) in o.iter_mut().zip(v) {
                *o = f(v);
            }
        });
        assert_eq!(pieces, serial);
    }
}
