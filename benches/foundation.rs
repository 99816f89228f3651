//! Foundation benchmarks: LOD pyramid build and per-frame selection, CSV parsing, and a
//! headless frame of the whole app. Each row prints its median time and its ratio to a
//! floor measured in the same run (one memory pass over the same data), and the table is
//! written to `target/bench/foundation.json`.
//!
//! Run: `cargo bench --bench foundation`.

use std::hint::black_box;
use std::time::Instant;

use serde::Serialize;
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::{CsvOptions, csv::parse_csv};
use spectra_workbench::lod::{LodRequest, MinMaxPyramid, select_indices};
use spectra_workbench::session::{Command, Dataset, SourceRef};
use spectra_workbench::spectrum::Spectrum;
use spectra_workbench::units::XUnit;
use spectra_workbench::view::PlotBounds;

#[derive(Serialize)]
struct Row {
    name: String,
    median_ms: f64,
    floor_name: String,
    floor_ms: f64,
    ratio_to_floor: f64,
    target: String,
}

/// Median wall time of `f` over `runs` runs, in ms.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
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
fn pass_f64(values: &[f64]) -> f64 {
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

/// One memory pass over bytes: count newlines.
fn pass_bytes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// A noisy spectrum-like signal with narrow lines, deterministic.
fn signal(n: usize) -> (Vec<f64>, Vec<f64>) {
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

fn main() {
    // `cargo bench --bench foundation -- frame` runs only the sections named.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted =
        |section: &str| filter.is_empty() || filter.iter().any(|f| section.contains(f.as_str()));
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |name: &str, t: f64, floor_name: &str, floor: f64, target: &str| {
        let row = Row {
            name: name.into(),
            median_ms: t,
            floor_name: floor_name.into(),
            floor_ms: floor,
            ratio_to_floor: t / floor,
            target: target.into(),
        };
        println!(
            "{:<48} {:>10.3} ms   floor {:<28} {:>8.3} ms   ratio {:>7.2}   target {}",
            row.name, row.median_ms, row.floor_name, row.floor_ms, row.ratio_to_floor, row.target
        );
        rows.push(row);
    };

    // --- LOD on 1e7 points -------------------------------------------------------------
    if wanted("lod") {
        let n = 10_000_000;
        let (x, y) = signal(n);
        let floor_1e7 = median_ms(9, || {
            black_box(pass_f64(black_box(&y)));
        });
        let build = median_ms(7, || {
            black_box(MinMaxPyramid::build(black_box(&y)));
        });
        push(
            "pyramid build, 1e7 points",
            build,
            "1 pass over y (1e7 f64)",
            floor_1e7,
            "<= 1.5 passes",
        );
        let pyramid = MinMaxPyramid::build(&y);
        for (label, frac) in [
            ("full view", 1.0),
            ("10% view", 0.1),
            ("0.1% view", 1e-3),
            ("1e-5 view (raw)", 1e-5),
        ] {
            let lo = 300.0 + 2200.0 * (0.5 - frac / 2.0);
            let hi = 300.0 + 2200.0 * (0.5 + frac / 2.0);
            let req = LodRequest {
                x_range_nm: (lo, hi),
                columns: 2000,
                budget_points: 4000,
                unit: XUnit::Nanometer,
            };
            let t = median_ms(51, || {
                black_box(select_indices(black_box(&x), black_box(&y), &pyramid, &req));
            });
            push(
                &format!("LOD frame, 1e7 points, {label}"),
                t,
                "1 pass over y (1e7 f64)",
                floor_1e7,
                "<= 1 ms",
            );
        }
        let req = LodRequest {
            x_range_nm: (400.0, 2400.0),
            columns: 2000,
            budget_points: 4000,
            unit: XUnit::WavenumberPerCm,
        };
        let t = median_ms(51, || {
            black_box(select_indices(&x, &y, &pyramid, &req));
        });
        push(
            "LOD frame, 1e7 points, wavenumber axis",
            t,
            "1 pass over y (1e7 f64)",
            floor_1e7,
            "<= 1 ms",
        );
        drop((x, y, pyramid));
    }

    // --- CSV parse, 1e6 rows x 2 columns ---------------------------------------------
    let (x, y) = signal(1_000_000);
    if wanted("csv") {
        let mut text = String::from("wavelength_nm,flux\n");
        for (a, b) in x.iter().zip(&y) {
            text.push_str(&format!("{a},{b}\n"));
        }
        let floor_csv = median_ms(9, || {
            black_box(pass_bytes(black_box(text.as_bytes())));
        });
        let parse = median_ms(7, || {
            black_box(parse_csv(black_box(&text), "bench.csv", &CsvOptions::default()).unwrap());
        });
        push(
            &format!(
                "CSV parse, 1e6 rows x 2 cols ({} MB)",
                text.len() / 1_000_000
            ),
            parse,
            "1 pass over the bytes",
            floor_csv,
            "<= 50 ms",
        );
    }

    // --- Headless frame: 10 traces of 1e6 points, panning ----------------------------
    if wanted("frame") {
        let ctx = egui::Context::default();
        spectra_workbench::render::install_fonts(&ctx);
        let mut app = WorkbenchApp::empty(CsvOptions::default());
        let datasets: Vec<Dataset> = (0..10)
            .map(|k| {
                let y_k: Vec<f64> = y.iter().map(|v| v + k as f64 * 0.3).collect();
                let s = Spectrum::new(format!("trace {k}"), x.clone(), y_k, None).unwrap();
                Dataset::new(
                    s,
                    "csv",
                    SourceRef::Bundled(format!("trace{k}.csv")),
                    vec![],
                )
            })
            .collect();
        let all_y: Vec<f64> = datasets
            .iter()
            .flat_map(|d| d.spectrum.y().iter().copied())
            .collect();
        app.add_datasets(datasets);
        let raw = || egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 900.0),
            )),
            ..Default::default()
        };
        let frame = |app: &mut WorkbenchApp, step: usize| {
            let lo = 500.0 + step as f64 * 3.0;
            app.apply_command(Command::SetBounds(Some(PlotBounds {
                x_nm: [lo, lo + 900.0],
                y: [0.0, 5.0],
            })));
            let mut out = ctx.run_ui(raw(), |ui| app.show(ui));
            let prims = ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
            out.textures_delta.clear();
            black_box(prims);
        };
        for step in 0..5 {
            frame(&mut app, step);
        }
        let floor_frame = median_ms(9, || {
            black_box(pass_f64(black_box(&all_y)));
        });
        let mut step = 5;
        let t = median_ms(41, || {
            frame(&mut app, step);
            step += 1;
        });
        push(
            "headless frame (UI + tessellation), 10 x 1e6, panning",
            t,
            "1 pass over all y (1e7 f64)",
            floor_frame,
            "<= 8 ms",
        );
    }

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join("foundation.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&rows).expect("rows serialize"),
    )
    .expect("write table");
    println!("table written to {}", path.display());
}
