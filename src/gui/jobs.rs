//! The one background job runner: loading, transform steps and export all go through
//! it. A job reports progress (a fraction and words) through its [`JobContext`], can be
//! cancelled, and its result comes back to the app's frame as a message (`T`), which the
//! app turns into session commands. (Jobs too small to notice are run inline by the app,
//! through the same job function and result handling.)

#![allow(unsafe_code)] // see Cargo.toml [lints]: one libc call lowers a job thread's priority

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// A job's identity within one runner.
pub type JobId = u64;

/// What a running job shares with the UI.
#[derive(Debug, Default)]
struct Shared {
    /// Progress in 0..=1 as f32 bits (0 until the job says).
    fraction_bits: AtomicU32,
    words: Mutex<String>,
    cancelled: AtomicBool,
}

/// What a job sees: where to report progress, whether it was cancelled.
#[derive(Clone, Debug)]
pub struct JobContext {
    shared: Arc<Shared>,
    repaint: Option<egui::Context>,
}

impl JobContext {
    /// A context for running a job's body without a runner (CLI, tests).
    pub fn detached() -> Self {
        Self {
            shared: Arc::default(),
            repaint: None,
        }
    }

    /// Reports progress: `fraction` in 0..=1 and what the job is doing.
    pub fn progress(&self, fraction: f32, words: &str) {
        self.shared
            .fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        if let Ok(mut w) = self.shared.words.lock() {
            w.clear();
            w.push_str(words);
        }
        if let Some(ctx) = &self.repaint {
            ctx.request_repaint();
        }
    }

    /// Whether the user cancelled this job; a job checks between stages and stops,
    /// leaving nothing behind.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Relaxed)
    }
}

/// A running job as the status area shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobStatus {
    pub id: JobId,
    /// What it is, in words (`exporting`, `loading a.fits`).
    pub label: String,
    /// 0..=1.
    pub fraction: f32,
    pub words: String,
    pub cancelled: bool,
}

struct Running {
    id: JobId,
    label: String,
    shared: Arc<Shared>,
}

/// The runner: spawns jobs on threads and hands their results back, in the order they
/// finish, to the frame that polls.
pub struct Jobs<T> {
    tx: Sender<(JobId, T)>,
    rx: Receiver<(JobId, T)>,
    running: Vec<Running>,
    next_id: JobId,
    repaint: Option<egui::Context>,
}

/// A finished job: its result, and whether the user had asked it to stop.
#[derive(Debug)]
pub struct Finished<T> {
    pub id: JobId,
    pub cancelled: bool,
    pub value: T,
}

impl<T: Send + 'static> Default for Jobs<T> {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx,
            running: Vec::new(),
            next_id: 1,
            repaint: None,
        }
    }
}

impl<T: Send + 'static> Jobs<T> {
    /// Finished jobs wake the UI through this context.
    pub fn set_repaint(&mut self, ctx: &egui::Context) {
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
        }
    }

    /// Runs `job` on a thread of its own; its result arrives from [`Jobs::poll`].
    pub fn spawn(
        &mut self,
        label: impl Into<String>,
        job: impl FnOnce(&JobContext) -> T + Send + 'static,
    ) -> JobId {
        let id = self.next_id;
        self.next_id += 1;
        let shared = Arc::new(Shared::default());
        self.running.push(Running {
            id,
            label: label.into(),
            shared: shared.clone(),
        });
        let ctx = JobContext {
            shared,
            repaint: self.repaint.clone(),
        };
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            lower_priority();
            let result = job(&ctx);
            // The app may be gone (closing): then nobody needs the result.
            let _ = tx.send((id, result));
            if let Some(r) = &ctx.repaint {
                r.request_repaint();
            }
        });
        id
    }

    /// Asks a job to stop; it says so in its result.
    pub fn cancel(&self, id: JobId) {
        if let Some(r) = self.running.iter().find(|r| r.id == id) {
            r.shared.cancelled.store(true, Ordering::Relaxed);
        }
    }

    /// Every job that finished since the last poll, in the order they finished.
    pub fn poll(&mut self) -> Vec<Finished<T>> {
        let mut out = Vec::new();
        while let Ok((id, value)) = self.rx.try_recv() {
            let cancelled = self
                .running
                .iter()
                .find(|r| r.id == id)
                .is_some_and(|r| r.shared.cancelled.load(Ordering::Relaxed));
            self.running.retain(|r| r.id != id);
            out.push(Finished {
                id,
                cancelled,
                value,
            });
        }
        out
    }

    /// Whether any job is running.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }

    /// The running jobs, oldest first.
    pub fn status(&self) -> Vec<JobStatus> {
        self.running
            .iter()
            .map(|r| JobStatus {
                id: r.id,
                label: r.label.clone(),
                fraction: f32::from_bits(r.shared.fraction_bits.load(Ordering::Relaxed)),
                words: r.shared.words.lock().map(|w| w.clone()).unwrap_or_default(),
                cancelled: r.shared.cancelled.load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// Jobs yield the CPU to the UI thread: on Linux a thread's nice value is its own, and
/// the threads a job starts (an export's parallel writers) inherit it. On two cores an
/// export's writers otherwise take most of every time slice, and frames stretch to 30 ms.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // Nice 10: about a tenth of the UI thread's weight under the kernel's fair scheduler.
        const JOB_NICE: libc::c_int = 10;
        // SAFETY: gettid takes no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
        // SAFETY: setpriority only reads its integer arguments; raising one's own nice
        // value needs no privilege. A failure is harmless and ignored (best effort).
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, tid, JOB_NICE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for<T: Send + 'static>(jobs: &mut Jobs<T>) -> Vec<T> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got: Vec<T> = jobs.poll().into_iter().map(|f| f.value).collect();
            if !got.is_empty() || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn a_job_reports_progress_and_its_result_comes_back() {
        let mut jobs: Jobs<u32> = Jobs::default();
        let (go_tx, go_rx) = channel::<()>();
        let id = jobs.spawn("count", move |ctx| {
            ctx.progress(0.5, "halfway");
            go_rx.recv().unwrap();
            7
        });
        // Wait until the job has said it is halfway.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while jobs.status()[0].words.is_empty() && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        let s = &jobs.status()[0];
        assert_eq!((s.id, s.fraction, s.words.as_str()), (id, 0.5, "halfway"));
        assert!(jobs.busy());
        go_tx.send(()).unwrap();
        assert_eq!(wait_for(&mut jobs), vec![7]);
        assert!(!jobs.busy());
    }

    #[test]
    fn cancel_reaches_the_job() {
        let mut jobs: Jobs<bool> = Jobs::default();
        let id = jobs.spawn("spin", |ctx| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !ctx.is_cancelled() && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            ctx.is_cancelled()
        });
        jobs.cancel(id);
        assert_eq!(wait_for(&mut jobs), vec![true]);
    }
}
