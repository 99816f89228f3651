//! The whole-process CSV read (issue 17): `spectra-workbench inspect --json` on a 1e6-row,
//! two-column CSV (about 23 MB), start to exit, against pandas' C-engine `read_csv`
//! parsing the same file inside Python, in the same run. Also the process's peak
//! resident memory, against the file's size and the f64 arrays it holds.
//!
//! pandas comes from a throw-away venv under `target/bench/venv` that this benchmark makes
//! when it is not there (`benches/peers/pandas_read_csv.py`); without Python the row says
//! so and has no ratio.
//!
//!     cargo bench --bench csv_process

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::Table;

const ROWS: usize = 1_000_000;
const RUNS: usize = 21;

/// The CSV: x in nm with 6 decimals, y with 8 significant digits, as instruments write.
fn write_csv(path: &Path) -> usize {
    let (x, y) = common::signal(ROWS);
    let mut text = String::with_capacity(ROWS * 24);
    text.push_str("wavelength_nm,flux\n");
    for (a, b) in x.iter().zip(&y) {
        text.push_str(&format!("{a:.6},{b:.7e}\n"));
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap();
    text.len()
}

/// One `inspect --json` process: wall time in ms.
fn inspect_once(path: &Path) -> f64 {
    let start = std::time::Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        .args(["inspect", "--json"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(status.success(), "inspect failed");
    ms
}

/// The largest peak resident set of the children reaped so far, bytes (every child here
/// is an `inspect` of the same file). getrusage is the kernel's own account; it needs
/// an unsafe call.
#[allow(unsafe_code)]
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage only writes the rusage it is given, and a zeroed rusage (plain
    // integers) is a valid value to hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    usage.ru_maxrss as u64 * 1024
}

fn pandas_peer(path: &Path) -> Result<(f64, String), String> {
    let runs = RUNS.to_string();
    let v = common::run_peer(
        &["pandas"],
        "pandas_read_csv.py",
        &[path.as_os_str(), runs.as_ref()],
    )?;
    if v["rows"].as_u64() != Some(ROWS as u64) {
        return Err(format!("pandas read {} rows", v["rows"]));
    }
    Ok((
        v["median_ms"].as_f64().ok_or("no median")?,
        format!("pandas {} read_csv(engine=\"c\")", v["pandas"]),
    ))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows_1e6.csv");
    let bytes = write_csv(&path);
    println!("{} rows, {:.1} MB", ROWS, bytes as f64 / 1e6);
    inspect_once(&path); // the binary and the file into the page cache
    let mut times: Vec<f64> = (0..RUNS).map(|_| inspect_once(&path)).collect();
    let peak = children_peak_rss();
    times.sort_by(f64::total_cmp);
    let ours = times[RUNS / 2];
    let mut table = Table::new("csv_process");
    let name = format!(
        "inspect --json, 1e6 x 2 CSV ({:.0} MB), whole process",
        bytes as f64 / 1e6
    );
    match pandas_peer(&path) {
        Ok((peer, what)) => table.push(&name, ours, &what, peer, "<= 1"),
        Err(why) => {
            println!("pandas peer unavailable ({why}): the CSV row has no ratio");
            table.push(&name, ours, "pandas peer unavailable", f64::NAN, "<= 1");
        }
    }
    let arrays = (2 * ROWS * 8) as f64;
    println!(
        "peak resident memory of inspect: {:.1} MB = {:.2} x the file, {:.2} x its f64 arrays",
        peak as f64 / 1e6,
        peak as f64 / bytes as f64,
        peak as f64 / arrays
    );
    table.write();
}
