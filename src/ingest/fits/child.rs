//! The isolated FITS reader. The parent ([`read_arrays`]) runs this same binary with the
//! hidden subcommand `__read-fits FILE REQUEST…` under a memory limit (`RLIMIT_AS`, set
//! between fork and exec) and a wall-clock limit, and reads the arrays back over a pipe.
//! The child ([`child_main`]) opens the file with cfitsio's plain-disk opener (no extended
//! file-name syntax), reads each requested image or column as f64, and writes them.
//!
//! Wire format (little endian): the magic `SWFITS1\n`, then per request a `u64` count and
//! that many `f64`s. Anything else — a crash, a hang, a short or long answer — becomes an
//! [`IngestProblem::ReaderFailed`] naming what happened.

#![allow(unsafe_code)] // see Cargo.toml [lints]: this module needs unsafe, each block says why

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use super::Request;
use crate::ingest::{IngestProblem, ReadOptions};

/// The hidden subcommand name.
pub const SUBCOMMAND: &str = "__read-fits";
const MAGIC: &[u8; 8] = b"SWFITS1\n";

/// Pixels an image is read and sent in at a time by the child (8 MB as f64).
const IMAGE_PIECE: u64 = 1 << 20;

/// Limits on the child.
#[derive(Clone, Debug, PartialEq)]
pub struct ChildLimits {
    /// Wall-clock limit for the whole read.
    pub timeout: Duration,
    /// Address-space limit in bytes, on top of which 8 bytes per requested value are allowed.
    pub base_memory_bytes: u64,
}

impl Default for ChildLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            base_memory_bytes: 2 << 30,
        }
    }
}

/// The program to run as the child: the option's, else this executable.
fn program(options: &ReadOptions) -> Result<PathBuf, IngestProblem> {
    match &options.fits_reader {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe()
            .map_err(|e| IngestProblem::ReaderFailed(format!("cannot find own executable: {e}"))),
    }
}

/// Reads the requested arrays in a child process.
pub fn read_arrays(
    path: &Path,
    requests: &[Request],
    options: &ReadOptions,
) -> Result<Vec<Vec<f64>>, IngestProblem> {
    let mut args: Vec<std::ffi::OsString> = vec![SUBCOMMAND.into(), path.as_os_str().to_owned()];
    args.extend(requests.iter().map(|r| r.to_arg().into()));
    run_child(&program(options)?, &args, requests, &options.fits_limits)
}

/// Runs `program args…`, enforcing the limits, and decodes its answer to `requests`.
pub fn run_child(
    program: &Path,
    args: &[std::ffi::OsString],
    requests: &[Request],
    limits: &ChildLimits,
) -> Result<Vec<Vec<f64>>, IngestProblem> {
    let values: u64 = requests.iter().map(Request::len).sum();
    let expected_bytes = MAGIC.len() as u64 + 8 * requests.len() as u64 + 8 * values;
    let memory = limits
        .base_memory_bytes
        .saturating_add(expected_bytes.saturating_mul(2));
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so that a timeout kills whatever it started too.
        command.process_group(0);
    }
    let mut child = command
        .spawn()
        .map_err(|e| IngestProblem::ReaderFailed(format!("cannot start the FITS reader: {e}")))?;
    // The memory limit is set on the running child (prlimit) rather than between fork and
    // exec: a pre-exec hook forces fork(), which copies a large parent's page tables,
    // while without one std uses posix_spawn. The window before the limit applies is the
    // child's exec and loader, before it reads any file.
    #[cfg(target_os = "linux")]
    {
        let limit = libc::rlimit {
            rlim_cur: memory as libc::rlim_t,
            rlim_max: memory as libc::rlim_t,
        };
        // SAFETY: prlimit reads `limit` and writes nothing (old-limit pointer is null).
        let rc = unsafe {
            libc::prlimit(
                child.id() as libc::pid_t,
                libc::RLIMIT_AS,
                &limit,
                std::ptr::null_mut(),
            )
        };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            let _ = child.kill();
            let _ = child.wait();
            return Err(IngestProblem::ReaderFailed(format!(
                "cannot limit the FITS reader's memory: {e}"
            )));
        }
    }
    let mut stdout = child.stdout.take().expect("piped");
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // A 1 MiB pipe: fewer wake-ups for megabytes of samples (best effort).
        // SAFETY: fcntl on a pipe descriptor we own.
        unsafe {
            libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
        }
    }
    let mut stderr = child.stderr.take().expect("piped");
    let cap = expected_bytes;
    let lens: Vec<u64> = requests.iter().map(Request::len).collect();
    // The answer is decoded as it arrives, straight into the arrays: no copy of the whole
    // answer is held (for a 1e8-point spectrum that would be 800 MB more at the peak).
    let out_thread = std::thread::spawn(move || -> std::io::Result<(Decoder, bool)> {
        let mut decoder = Decoder::new(lens);
        let mut chunk = vec![0u8; 1 << 20];
        let mut total = 0u64;
        let mut too_long = false;
        loop {
            let k = match stdout.read(&mut chunk) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            // Bytes past what was asked are read and dropped, so the child never blocks
            // on a full pipe.
            let room = cap.saturating_sub(total).min(k as u64) as usize;
            too_long |= room < k;
            decoder.feed(&chunk[..room]);
            total += k as u64;
        }
        Ok((decoder, too_long))
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(4096).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    });
    // A watchdog kills the child's process group at the deadline; this thread meanwhile
    // blocks on the pipe, so a fast read costs no polling latency.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let timed_out = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let timed_out = timed_out.clone();
        let pid = child.id();
        let timeout = limits.timeout;
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(timeout) {
                timed_out.store(true, std::sync::atomic::Ordering::SeqCst);
                #[cfg(unix)]
                // SAFETY: signals the child's own process group (created at spawn).
                unsafe {
                    libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
                }
            }
        })
    };
    let out = out_thread.join();
    let status = child.wait();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    if timed_out.load(std::sync::atomic::Ordering::SeqCst) {
        let _ = err_thread.join();
        return Err(IngestProblem::ReaderFailed(format!(
            "the FITS reader did not finish within {} s and was stopped",
            limits.timeout.as_secs_f64()
        )));
    }
    let status =
        status.map_err(|e| IngestProblem::ReaderFailed(format!("waiting for the reader: {e}")))?;
    let out = out.map_err(|_| IngestProblem::ReaderFailed("reader thread".into()))?;
    let err_text = err_thread.join().unwrap_or_default();
    let first_line = err_text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if !status.success() {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = status.signal() {
                return Err(IngestProblem::ReaderFailed(format!(
                    "the FITS reader crashed (signal {sig}){}",
                    if sig == libc::SIGKILL || sig == libc::SIGSEGV && first_line.contains("memory")
                    {
                        " — possibly out of memory"
                    } else {
                        ""
                    }
                )));
            }
        }
        return Err(IngestProblem::ReaderFailed(if first_line.is_empty() {
            format!("the FITS reader failed ({status})")
        } else {
            first_line.to_string()
        }));
    }
    let (decoder, too_long) =
        out.map_err(|e| IngestProblem::ReaderFailed(format!("reading the reader's output: {e}")))?;
    if too_long {
        return Err(IngestProblem::ReaderFailed(
            "the FITS reader sent more data than asked".into(),
        ));
    }
    decoder.finish()
}

/// Decodes the child's answer as it arrives: [`MAGIC`], then for each request its count
/// (u64 LE, which must be the one asked) and that many f64 LE.
struct Decoder {
    /// Values asked per request.
    lens: Vec<u64>,
    out: Vec<Vec<f64>>,
    /// Bytes of [`MAGIC`] seen so far.
    magic_seen: usize,
    /// Whether the current request's count has been read (its array is `out.last()`).
    in_values: bool,
    /// A word split across two chunks.
    pending: [u8; 8],
    pending_len: usize,
    /// The first problem: what the answer is ("not in its format", "of the wrong size"…).
    problem: Option<&'static str>,
}

impl Decoder {
    fn new(lens: Vec<u64>) -> Self {
        Self {
            out: Vec::with_capacity(lens.len()),
            lens,
            magic_seen: 0,
            in_values: false,
            pending: [0; 8],
            pending_len: 0,
            problem: None,
        }
    }

    /// Requests whose arrays are complete.
    fn done(&self) -> usize {
        self.out.len() - usize::from(self.in_values)
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.problem.is_none() {
            if self.magic_seen < MAGIC.len() {
                let m = bytes.len().min(MAGIC.len() - self.magic_seen);
                if bytes[..m] != MAGIC[self.magic_seen..self.magic_seen + m] {
                    self.problem = Some("not in its format");
                }
                self.magic_seen += m;
                bytes = &bytes[m..];
            } else if self.done() == self.lens.len() {
                self.problem = Some("longer than asked");
            } else if self.pending_len > 0 || bytes.len() < 8 {
                let m = bytes.len().min(8 - self.pending_len);
                self.pending[self.pending_len..self.pending_len + m].copy_from_slice(&bytes[..m]);
                self.pending_len += m;
                bytes = &bytes[m..];
                if self.pending_len == 8 {
                    self.pending_len = 0;
                    self.word(self.pending);
                }
            } else if !self.in_values {
                self.word(bytes[..8].try_into().expect("8 bytes"));
                bytes = &bytes[8..];
            } else {
                // Whole values, up to the end of the current array.
                let k = self.out.len() - 1;
                let left = (self.lens[k] - self.out[k].len() as u64) as usize;
                let words = (bytes.len() / 8).min(left);
                self.out[k].extend(
                    bytes[..8 * words]
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
                );
                bytes = &bytes[8 * words..];
                self.end_array_if_full();
            }
        }
    }

    fn word(&mut self, w: [u8; 8]) {
        if self.in_values {
            self.out
                .last_mut()
                .expect("an array")
                .push(f64::from_le_bytes(w));
        } else {
            let count = u64::from_le_bytes(w);
            let k = self.out.len();
            if count != self.lens[k] {
                self.problem = Some("of the wrong size");
                return;
            }
            // The count is the one asked, so this allocation is what the plan expects.
            self.out.push(Vec::with_capacity(count as usize));
            self.in_values = true;
        }
        self.end_array_if_full();
    }

    fn end_array_if_full(&mut self) {
        if self.in_values {
            let k = self.out.len() - 1;
            if self.out[k].len() as u64 == self.lens[k] {
                self.in_values = false;
            }
        }
    }

    fn finish(self) -> Result<Vec<Vec<f64>>, IngestProblem> {
        let bad =
            |what: &str| IngestProblem::ReaderFailed(format!("the FITS reader's answer is {what}"));
        if let Some(p) = self.problem {
            return Err(bad(p));
        }
        if self.magic_seen < MAGIC.len() {
            return Err(bad("not in its format"));
        }
        if self.done() < self.lens.len() || self.pending_len > 0 {
            return Err(bad("short"));
        }
        Ok(self.out)
    }
}

/// The child's entry point: `__read-fits FILE REQUEST…`. Errors go to stderr as one line.
pub fn child_main(args: &[std::ffi::OsString]) -> ExitCode {
    match child_read(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            ExitCode::from(3)
        }
    }
}

fn child_read(args: &[std::ffi::OsString]) -> Result<(), String> {
    let [path, reqs @ ..] = args else {
        return Err("usage: __read-fits FILE REQUEST…".into());
    };
    let requests: Vec<Request> = reqs
        .iter()
        .map(|a| {
            a.to_str()
                .and_then(Request::from_arg)
                .ok_or_else(|| format!("bad request {a:?}"))
        })
        .collect::<Result<_, _>>()?;
    let c_path = std::ffi::CString::new(path.to_string_lossy().as_bytes())
        .map_err(|_| "file name holds a NUL byte".to_string())?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    out.write_all(MAGIC).map_err(|e| e.to_string())?;
    let file = CfitsFile::open(&c_path)?;
    let mut buf: Vec<f64> = Vec::new();
    let send = |out: &mut dyn Write, values: &[f64]| -> Result<(), String> {
        let mut bytes = [0u8; 8 * 4096];
        for chunk in values.chunks(4096) {
            for (slot, v) in bytes.chunks_exact_mut(8).zip(chunk) {
                slot.copy_from_slice(&v.to_le_bytes());
            }
            out.write_all(&bytes[..chunk.len() * 8])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    for r in &requests {
        out.write_all(&r.len().to_le_bytes())
            .map_err(|e| e.to_string())?;
        match *r {
            // An image is read and sent in pieces: the child then holds one piece, not a
            // second copy of a 1e8-pixel image as f64 (800 MB, all freshly zeroed pages).
            Request::Image { hdu, n } => {
                let mut first = 0u64;
                while first < n {
                    let len = (n - first).min(IMAGE_PIECE);
                    buf.clear();
                    buf.resize(len as usize, 0.0);
                    file.read_image(hdu, first, len, &mut buf)?;
                    send(&mut out, &buf)?;
                    first += len;
                }
            }
            Request::Column { hdu, col, n } => {
                buf.clear();
                buf.resize(n as usize, 0.0);
                file.read_column(hdu, col, n, &mut buf)?;
                send(&mut out, &buf)?;
            }
        }
    }
    out.flush().map_err(|e| e.to_string())
}

/// Reads the requested arrays with cfitsio **in this process**: for benchmarks that
/// measure the child's overhead, and for files the caller already trusts. The app never
/// calls it on a user's file (see the module doc for why).
pub fn read_in_process(path: &Path, requests: &[Request]) -> Result<Vec<Vec<f64>>, String> {
    let c_path = std::ffi::CString::new(path.to_string_lossy().as_bytes())
        .map_err(|_| "file name holds a NUL byte".to_string())?;
    let file = CfitsFile::open(&c_path)?;
    requests
        .iter()
        .map(|r| {
            let mut buf = vec![0.0; r.len() as usize];
            match *r {
                Request::Image { hdu, n } => file.read_image(hdu, 0, n, &mut buf)?,
                Request::Column { hdu, col, n } => file.read_column(hdu, col, n, &mut buf)?,
            }
            Ok(buf)
        })
        .collect()
}

/// A cfitsio file handle, closed on drop.
struct CfitsFile(*mut fitsio::sys::fitsfile);

fn status_text(status: i32) -> String {
    let mut buf = [0 as std::ffi::c_char; 31];
    // SAFETY: ffgerr writes at most 30 characters plus NUL into the buffer.
    unsafe { fitsio::sys::ffgerr(status, buf.as_mut_ptr()) };
    // SAFETY: the buffer is NUL-terminated by ffgerr.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    format!("cfitsio error {status}: {}", text.to_string_lossy())
}

impl CfitsFile {
    fn open(path: &std::ffi::CStr) -> Result<Self, String> {
        let mut ptr = std::ptr::null_mut();
        let mut status = 0;
        // SAFETY: valid out-pointers; ffdkopn takes a NUL-terminated path and opens it
        // read-only without interpreting extended file-name syntax.
        unsafe { fitsio::sys::ffdkopn(&mut ptr, path.as_ptr(), 0, &mut status) };
        if status != 0 || ptr.is_null() {
            return Err(status_text(status));
        }
        Ok(Self(ptr))
    }

    fn move_to(&self, hdu: usize) -> Result<(), String> {
        let (mut kind, mut status) = (0, 0);
        // SAFETY: self.0 is an open file; HDU numbers are 1-based in cfitsio.
        unsafe { fitsio::sys::ffmahd(self.0, hdu as i32 + 1, &mut kind, &mut status) };
        if status != 0 {
            return Err(status_text(status));
        }
        Ok(())
    }

    /// Pixels `first`… (0-based) of the image, `n` of them.
    fn read_image(&self, hdu: usize, first: u64, n: u64, buf: &mut [f64]) -> Result<(), String> {
        self.move_to(hdu)?;
        let (mut anynul, mut status) = (0, 0);
        assert!(buf.len() as u64 >= n, "the buffer holds the pixels asked");
        // SAFETY: buf holds at least n elements (checked above); NaN marks undefined
        // pixels.
        unsafe {
            fitsio::sys::ffgpvd(
                self.0,
                0,
                first as i64 + 1,
                n as i64,
                f64::NAN,
                buf.as_mut_ptr(),
                &mut anynul,
                &mut status,
            )
        };
        checked(status)
    }

    fn read_column(&self, hdu: usize, col: usize, n: u64, buf: &mut [f64]) -> Result<(), String> {
        self.move_to(hdu)?;
        let (mut anynul, mut status) = (0, 0);
        // SAFETY: buf holds n elements; rows are read from the first, elements in order.
        unsafe {
            fitsio::sys::ffgcvd(
                self.0,
                col as i32,
                1,
                1,
                n as i64,
                f64::NAN,
                buf.as_mut_ptr(),
                &mut anynul,
                &mut status,
            )
        };
        checked(status)
    }
}

/// A cfitsio status as a result.
fn checked(status: i32) -> Result<(), String> {
    if status == 0 {
        Ok(())
    } else {
        Err(status_text(status))
    }
}

impl Drop for CfitsFile {
    fn drop(&mut self) {
        let mut status = 0;
        // SAFETY: self.0 was opened by ffdkopn and is closed exactly once.
        unsafe { fitsio::sys::ffclos(self.0, &mut status) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer to arrays of `values`, as the child writes it.
    fn answer(values: &[Vec<f64>]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for v in values {
            bytes.extend((v.len() as u64).to_le_bytes());
            for x in v {
                bytes.extend(x.to_le_bytes());
            }
        }
        bytes
    }

    fn decode_in(lens: &[u64], chunks: &[&[u8]]) -> Result<Vec<Vec<f64>>, String> {
        let mut d = Decoder::new(lens.to_vec());
        for c in chunks {
            d.feed(c);
        }
        d.finish().map_err(|e| e.to_string())
    }

    #[test]
    fn an_answer_split_anywhere_decodes_to_the_same_arrays() {
        let values = vec![vec![1.5, -2.0, f64::MAX], vec![], vec![0.25; 5]];
        let lens: Vec<u64> = values.iter().map(|v| v.len() as u64).collect();
        let bytes = answer(&values);
        assert_eq!(decode_in(&lens, &[&bytes]).unwrap(), values);
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                let got = decode_in(&lens, &[&bytes[..a], &bytes[a..b], &bytes[b..]]).unwrap();
                assert_eq!(got, values, "split at {a} and {b}");
            }
        }
    }

    #[test]
    fn bad_answers_are_named() {
        let values = vec![vec![1.0, 2.0], vec![3.0]];
        let lens = [2u64, 1];
        let bytes = answer(&values);
        let says = |chunks: &[&[u8]], what: &str| {
            let e = decode_in(&lens, chunks).unwrap_err();
            assert!(e.contains(what), "{e} (expected {what})");
        };
        says(&[], "not in its format");
        says(&[&bytes[..5]], "not in its format");
        says(&[b"NOTFITS!rest"], "not in its format");
        says(&[&bytes[..bytes.len() - 1]], "short");
        says(&[&bytes[..8 + 8 + 8]], "short");
        says(&[&bytes, &[0]], "longer than asked");
        let mut wrong = bytes.clone();
        wrong[8] = 3; // the first count says 3, 2 were asked
        says(&[&wrong], "of the wrong size");
        // The problem stays the first one, whatever follows.
        says(&[&wrong, &bytes], "of the wrong size");
    }
}
