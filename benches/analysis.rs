//! Analysis benchmarks (issue 16): the RV scan of 2001 velocities on 1e5 points against
//! numpy's FFT correlation of the same arrays, measured in the same run; `identify` on
//! the same spectrum against one RV scan; one line measurement against one RV scan.
//!
//! numpy comes from a throw-away venv under `target/bench/venv` that this benchmark
//! makes (`python3 -m venv`, `pip install numpy`) when it is not there; without Python
//! the RV row says so and has no ratio.
//!
//!     cargo bench --bench analysis

mod common;

/// The binary's allocator (src/main.rs), so that this measures what the app does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use common::{Table, median_ms};
use spectra_workbench::analysis::identify::{IdentifyRequest, ZChoice, identify};
use spectra_workbench::analysis::linelist;
use spectra_workbench::analysis::measure::{Interval, MeasureRequest, measure};
use spectra_workbench::analysis::xcorr::{Grid, RvRequest, TelluricMask, cross_correlate};
use spectra_workbench::spectrum::{Medium, Spectrum};

const C_KMS: f64 = 299_792.458;
const N: usize = 100_000;
const STEP_KMS: f64 = 0.5;

/// 1e5 samples uniform in ln λ at 0.5 km/s from 500 nm (so the 2001 velocities of the
/// default star grid are 2001 lags), 400 absorption lines of 10 km/s FWHM at
/// pseudo-random places; with `rv_kms`, noise of S/N 50 and σ.
fn spectrum(rv_kms: f64, noisy: bool) -> (Spectrum, Vec<f64>) {
    let step = (STEP_KMS / C_KMS).ln_1p();
    let x: Vec<f64> = (0..N).map(|i| 500.0 * (i as f64 * step).exp()).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let lines: Vec<f64> = (0..400).map(|_| 501.0 + 87.0 * next()).collect();
    let sigma_ln = 10.0 / C_KMS / 2.354_820_045;
    let shift = 1.0 + rv_kms / C_KMS;
    let mut y = vec![1.0; N];
    for &l in &lines {
        let c = (l * shift).ln();
        let i0 = ((c - 500f64.ln()) / step) as i64;
        for i in (i0 - 60).max(0)..(i0 + 60).min(N as i64) {
            let d = (x[i as usize].ln() - c) / sigma_ln;
            y[i as usize] -= 0.4 * (-0.5 * d * d).exp();
        }
    }
    let sigma = vec![1.0 / 50.0; N];
    if noisy {
        for v in &mut y {
            // Box–Muller from the same generator.
            let (u, w) = (next().max(1e-300), next());
            *v += sigma[0] * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * w).cos();
        }
    }
    let mut s = Spectrum::new("bench", x, y, noisy.then_some(sigma)).unwrap();
    s.medium = Medium::Vacuum;
    (s, lines)
}

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench")
}

/// numpy's correlation of `a` with `b`, median ms, timed inside Python.
fn numpy_peer(a: &[f64], b: &[f64], runs: usize) -> Result<(f64, String), String> {
    let dir = bench_dir().join("analysis-arrays");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let raw = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    std::fs::write(dir.join("a.f64"), raw(a)).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("b.f64"), raw(b)).map_err(|e| e.to_string())?;
    let runs = runs.to_string();
    let v = common::run_peer(
        &["numpy"],
        "numpy_xcorr.py",
        &[dir.as_os_str(), runs.as_ref()],
    )?;
    Ok((
        v["median_ms"].as_f64().ok_or("no median")?,
        format!("numpy {} rfft/irfft, n = {}", v["numpy"], v["n_fft"]),
    ))
}

fn main() {
    common::tune_allocator();
    let mut table = Table::new("analysis");
    let (observed, lines) = spectrum(23.4, true);
    let (template, _) = spectrum(0.0, false);
    let req = RvRequest {
        grid: Grid::STAR,
        telluric: TelluricMask::None,
        ..RvRequest::default()
    };
    let r = cross_correlate(&observed, &template, &req).unwrap();
    println!(
        "RV of the bench spectrum: {:.3} ± {:.3} km/s (injected 23.4); {} grid values, pixel {:.3} km/s",
        r.rv_kms,
        r.rv_sigma_kms,
        r.ccf.x.len(),
        r.pixel_kms
    );
    let runs = 21;
    let t_rv = median_ms(runs, || {
        black_box(cross_correlate(black_box(&observed), &template, &req).unwrap());
    });
    match numpy_peer(observed.y(), template.y(), runs) {
        Ok((peer, what)) => table.push(
            "rv: 2001 velocities, 1e5 points (whole scan)",
            t_rv,
            &what,
            peer,
            "≤ 0.67",
        ),
        Err(why) => {
            println!("numpy peer unavailable ({why}): the RV row has no ratio");
            table.push(
                "rv: 2001 velocities, 1e5 points (whole scan)",
                t_rv,
                "numpy peer unavailable",
                f64::NAN,
                "≤ 0.67",
            );
        }
    }
    // identify: the bench's own lines as a user list, at the injected velocity.
    let mut text = String::from("# medium: vacuum\nspecies,wavelength_nm\n");
    for (k, l) in lines.iter().enumerate() {
        text.push_str(&format!("X{},{l}\n", k % 7));
    }
    let list = linelist::parse("bench lines", &text).unwrap();
    let id_req = IdentifyRequest {
        z: ZChoice::Fixed { z: 23.4 / C_KMS },
        ..IdentifyRequest::default()
    };
    let id = identify(&observed, &list, &id_req).unwrap();
    println!(
        "identify: {} features, {} identified",
        id.features.len(),
        id.identified.len()
    );
    let t_id = median_ms(runs, || {
        black_box(identify(black_box(&observed), &list, &id_req).unwrap());
    });
    table.push(
        "identify: 1e5 points, 400-line list",
        t_id,
        "one RV scan (same run)",
        t_rv,
        "≤ 5",
    );
    let line = lines[0] * (1.0 + 23.4 / C_KMS);
    let m_req = MeasureRequest {
        region: Interval {
            lo_nm: line - 0.03,
            hi_nm: line + 0.03,
        },
        continuum: Vec::new(),
    };
    let t_m = median_ms(runs, || {
        black_box(measure(black_box(&observed), &m_req).unwrap());
    });
    table.push(
        "measure: one line",
        t_m,
        "one RV scan (same run)",
        t_rv,
        "≤ 0.1",
    );
    table.write();
}
