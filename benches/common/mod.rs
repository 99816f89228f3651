//! Shared benchmark plumbing: median timing, the one-pass memory floor, and the table
//! printed and written to `target/bench/<name>.json`.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

use serde::Serialize;

#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub median_ms: f64,
    pub floor_name: String,
    pub floor_ms: f64,
    pub ratio_to_floor: f64,
    pub target: String,
}

/// Median wall time of `f` over `runs` runs (after one warm-up), in ms.
pub fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// One memory pass: read every value once. Eight independent accumulators, so that the
/// floor is bound by memory bandwidth, not by the latency of one serial add chain.
pub fn pass_f64(values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// The floor for `values`: median time of one pass.
pub fn floor_ms(values: &[f64]) -> f64 {
    median_ms(9, || {
        black_box(pass_f64(black_box(values)));
    })
}

/// Collects rows, prints each as it comes, writes the JSON table at the end.
pub struct Table {
    name: &'static str,
    rows: Vec<Row>,
}

impl Table {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, name: &str, t: f64, floor_name: &str, floor: f64, target: &str) {
        let row = Row {
            name: name.into(),
            median_ms: t,
            floor_name: floor_name.into(),
            floor_ms: floor,
            ratio_to_floor: t / floor,
            target: target.into(),
        };
        println!(
            "{:<52} {:>10.3} ms   floor {:<30} {:>8.3} ms   ratio {:>7.2}   target {}",
            row.name, row.median_ms, row.floor_name, row.floor_ms, row.ratio_to_floor, row.target
        );
        self.rows.push(row);
    }

    pub fn write(&self) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
        std::fs::create_dir_all(&dir).expect("target/bench");
        let path = dir.join(format!("{}.json", self.name));
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&self.rows).expect("rows serialize"),
        )
        .expect("write table");
        println!("table written to {}", path.display());
    }
}

/// The python of a throw-away venv under `target/bench/venv` with `packages`, made or
/// completed on first use (`python3 -m venv`, `pip install`). Peers only: nothing in the
/// project needs Python.
pub fn bench_python(packages: &[&str]) -> Result<std::path::PathBuf, String> {
    use std::process::Command;
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/venv");
    let python = venv.join("bin/python");
    let has = |p: &std::path::Path| {
        packages.iter().all(|m| {
            Command::new(p)
                .args(["-c", &format!("import {m}")])
                .status()
                .is_ok_and(|s| s.success())
        })
    };
    if python.exists() && has(&python) {
        return Ok(python);
    }
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3: {e}"))?;
        if !made.success() {
            return Err("python3 -m venv failed".into());
        }
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet"])
        .args(packages)
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !pip.success() || !has(&python) {
        return Err(format!("pip install {} failed", packages.join(" ")));
    }
    Ok(python)
}

/// Runs the peer script `benches/peers/<script>` with `args` under a venv python that has
/// `packages`, and returns the JSON it prints.
pub fn run_peer(
    packages: &[&str],
    script: &str,
    args: &[&std::ffi::OsStr],
) -> Result<serde_json::Value, String> {
    let python = bench_python(packages)?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/peers")
        .join(script);
    let out = std::process::Command::new(&python)
        .arg(path)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Section filter from the command line: `cargo bench --bench X -- lod csv`.
pub fn wanted(section: &str) -> bool {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filter.is_empty() || filter.iter().any(|f| section.contains(f.as_str()))
}

/// A deterministic noisy spectrum-like signal with narrow lines over 300–2500 nm.
pub fn signal(n: usize) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..n)
        .map(|i| 300.0 + i as f64 * (2200.0 / n as f64))
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let y = (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let line = if i % 100_003 == 0 { 20.0 } else { 0.0 };
            1.0 + 0.1 * (i as f64 * 1e-5).sin() + 0.05 * noise + line
        })
        .collect();
    (x, y)
}

#[path = "../../src/allocator.rs"]
mod allocator;

/// The same allocator setting as `src/main.rs` (the same file), so that the benchmarks
/// measure what the app does.
pub fn tune_allocator() {
    allocator::keep_freed_memory();
}

/// `count` traces on `x`, each `y` raised by 0.3 × its number, as bundled-sample datasets
/// (what the frame, export and job benchmarks draw and write).
pub fn offset_traces(
    x: &[f64],
    y: &[f64],
    count: usize,
) -> Vec<spectra_workbench::session::Dataset> {
    use spectra_workbench::session::{Dataset, SourceRef};
    use spectra_workbench::spectrum::Spectrum;
    (0..count)
        .map(|k| {
            let y_k: Vec<f64> = y.iter().map(|v| v + k as f64 * 0.3).collect();
            let s = Spectrum::new(format!("trace {k}"), x.to_vec(), y_k, None).unwrap();
            Dataset::new(
                s,
                "csv",
                SourceRef::Bundled(format!("trace{k}.csv")),
                vec![],
            )
        })
        .collect()
}

/// The input of one headless frame of a 1600 × 900 window at `step` (60 Hz clock).
pub fn raw_input(step: usize, events: Vec<egui::Event>) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        time: Some(step as f64 / 60.0),
        events,
        ..Default::default()
    }
}

/// One whole frame of the app (UI + tessellation).
pub fn app_frame(
    ctx: &egui::Context,
    app: &mut spectra_workbench::gui::WorkbenchApp,
    step: usize,
    events: Vec<egui::Event>,
) {
    let mut out = ctx.run_ui(raw_input(step, events), |ui| app.show(ui));
    let prims = ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
    out.textures_delta.clear();
    black_box(prims);
}
