//! Foundation benchmarks: LOD pyramid build and per-frame selection, CSV parsing, and a
//! headless frame of the whole app. Each row prints its median time and its ratio to a
//! floor measured in the same run (one memory pass over the same data; for the frame also
//! egui_plot alone drawing the same number of already decimated points, with the frame
//! split into its UI pass and its tessellation), and the table is written to
//! `target/bench/foundation.json`.
//!
//! Run: `cargo bench --bench foundation [-- lod|csv|frame]`.

mod common;

/// The binary's allocator, so benchmarks measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;

use common::{Table, floor_ms, median_ms, signal, wanted};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::{ReadOptions, csv::parse_csv};
use spectra_workbench::lod::{LodRequest, MinMaxPyramid, select_indices};
use spectra_workbench::session::Command;
use spectra_workbench::units::XUnit;
use spectra_workbench::view::PlotBounds;

/// One memory pass over bytes: count newlines.
fn pass_bytes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// One headless frame of the whole app panned to `step` (3 nm a step, a 900 nm view),
/// tessellated.
fn app_frame(ctx: &egui::Context, app: &mut WorkbenchApp, step: usize) {
    let lo = 500.0 + step as f64 * 3.0;
    app.apply_command(Command::SetBounds(Some(PlotBounds {
        x_nm: [lo, lo + 900.0],
        y: [0.0, 5.0],
    })));
    let mut out = ctx.run_ui(raw_input(), |ui| app.show(ui));
    let prims = ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
    out.textures_delta.clear();
    black_box(prims);
}

/// A 1600 × 900 window's input with no events.
fn raw_input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        ..Default::default()
    }
}

fn main() {
    common::tune_allocator();
    let mut table = Table::new("foundation");

    if wanted("lod") {
        let n = 10_000_000;
        let (x, y) = signal(n);
        let floor = floor_ms(&y);
        let floor_name = "1 pass over y (1e7 f64)";
        let build = median_ms(7, || {
            black_box(MinMaxPyramid::build(black_box(&y)));
        });
        table.push(
            "pyramid build, 1e7 points",
            build,
            floor_name,
            floor,
            "<= 1.5 passes",
        );
        let pyramid = MinMaxPyramid::build(&y);
        for (label, frac) in [
            ("full view", 1.0),
            ("10% view", 0.1),
            ("0.1% view", 1e-3),
            ("1e-5 view (raw)", 1e-5),
        ] {
            let req = LodRequest {
                x_range_nm: (
                    300.0 + 2200.0 * (0.5 - frac / 2.0),
                    300.0 + 2200.0 * (0.5 + frac / 2.0),
                ),
                columns: 2000,
                budget_points: 4000,
                unit: XUnit::Nanometer,
            };
            let t = median_ms(51, || {
                black_box(select_indices(black_box(&x), black_box(&y), &pyramid, &req));
            });
            table.push(
                &format!("LOD frame, 1e7 points, {label}"),
                t,
                floor_name,
                floor,
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
        table.push(
            "LOD frame, 1e7 points, wavenumber axis",
            t,
            floor_name,
            floor,
            "<= 1 ms",
        );
    }

    let (x, y) = signal(1_000_000);
    if wanted("csv") {
        let mut text = String::from("wavelength_nm,flux\n");
        for (a, b) in x.iter().zip(&y) {
            text.push_str(&format!("{a},{b}\n"));
        }
        let floor = median_ms(9, || {
            black_box(pass_bytes(black_box(text.as_bytes())));
        });
        let parse = median_ms(7, || {
            black_box(parse_csv(black_box(&text), "bench.csv", &ReadOptions::default()).unwrap());
        });
        table.push(
            &format!(
                "CSV parse, 1e6 rows x 2 cols ({} MB)",
                text.len() / 1_000_000
            ),
            parse,
            "1 pass over the bytes",
            floor,
            "<= 50 ms",
        );
    }

    if wanted("frame") {
        let ctx = egui::Context::default();
        spectra_workbench::render::install_fonts(&ctx);
        let mut app = WorkbenchApp::empty(ReadOptions::default());
        let datasets = common::offset_traces(&x, &y, 10);
        let all_y: Vec<f64> = datasets
            .iter()
            .flat_map(|d| d.spectrum.y().iter().copied())
            .collect();
        app.add_datasets(datasets);
        let raw = raw_input;
        let frame = |app: &mut WorkbenchApp, step: usize| app_frame(&ctx, app, step);
        for step in 0..5 {
            frame(&mut app, step);
        }
        let floor = floor_ms(&all_y);
        let mut step = 5;
        let t = median_ms(41, || {
            frame(&mut app, step);
            step += 1;
        });
        table.push(
            "headless frame (UI + tessellation), 10 x 1e6, panning",
            t,
            "1 pass over all y (1e7 f64)",
            floor,
            "<= 8 ms",
        );

        // Issue 17's floor: the same window size drawing the same number of already
        // decimated points (10 x 4,000, what the LOD hands over at this width), given to
        // egui_plot directly: no app panels, no LOD selection.
        let decimated: Vec<Vec<egui_plot::PlotPoint>> = (0..10)
            .map(|k| {
                (0..4000)
                    .zip(y.iter().step_by(y.len() / 4000))
                    .map(|(i, &b)| {
                        egui_plot::PlotPoint::new(500.0 + i as f64 * 0.225, b + 0.3 * k as f64)
                    })
                    .collect()
            })
            .collect();
        let floor_ctx = egui::Context::default();
        spectra_workbench::render::install_fonts(&floor_ctx);
        let floor_frame = |step: usize, tessellate: bool| {
            let lo = 500.0 + step as f64 * 3.0;
            let mut out = floor_ctx.run_ui(raw(), |ui| {
                egui::CentralPanel::default().show(ui, |ui| {
                    egui_plot::Plot::new("floor")
                        .legend(egui_plot::Legend::default())
                        .show(ui, |p| {
                            p.set_plot_bounds_x(lo..=lo + 900.0);
                            p.set_plot_bounds_y(0.0..=5.0);
                            for (k, points) in decimated.iter().enumerate() {
                                p.line(
                                    egui_plot::Line::new(
                                        format!("trace {k}"),
                                        egui_plot::PlotPoints::Borrowed(points),
                                    )
                                    .allow_band(false),
                                );
                            }
                        });
                });
            });
            if tessellate {
                let prims =
                    floor_ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
                black_box(prims);
            }
            out.textures_delta.clear();
        };
        for step in 0..5 {
            floor_frame(step, true);
        }
        let mut step_f = 5;
        let t_floor = median_ms(41, || {
            floor_frame(step_f, true);
            step_f += 1;
        });
        // The floor: the same window (panels, legend, plot) drawing 10 traces
        // with just under 4,000 points in the 900 nm view (of their 2,200 nm), which the
        // LOD hands over as they are: the frame without the decimation's work.
        let in_view = 3990.0 * 2200.0 / 900.0;
        let (x4, y4): (Vec<f64>, Vec<f64>) = x
            .iter()
            .zip(&y)
            .step_by((x.len() as f64 / in_view).ceil() as usize)
            .map(|(&a, &b)| (a, b))
            .unzip();
        let mut small = WorkbenchApp::empty(ReadOptions::default());
        small.add_datasets(common::offset_traces(&x4, &y4, 10));
        let small_ctx = egui::Context::default();
        spectra_workbench::render::install_fonts(&small_ctx);
        let small_frame = |app: &mut WorkbenchApp, step: usize| {
            let lo = 500.0 + step as f64 * 3.0;
            app.apply_command(Command::SetBounds(Some(PlotBounds {
                x_nm: [lo, lo + 900.0],
                y: [0.0, 5.0],
            })));
            let mut out = small_ctx.run_ui(raw(), |ui| app.show(ui));
            let prims = small_ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
            out.textures_delta.clear();
            black_box(prims);
        };
        for step in 0..5 {
            small_frame(&mut small, step);
        }
        let mut step_s = 5;
        let t_small = median_ms(41, || {
            small_frame(&mut small, step_s);
            step_s += 1;
        });
        table.push(
            "headless frame, 10 x 1e6, panning, against the same window with 10 x 4000 points",
            t,
            "the app, 10 x 4000 points (UI + tessellation)",
            t_small,
            "<= 1.25",
        );
        table.push(
            "headless frame, 10 x 1e6, panning, against egui_plot given 10 x 4000 points",
            t,
            "egui_plot alone, 10 x 4000 points (UI + tessellation)",
            t_floor,
            "",
        );
        // Where the app's frame goes: the UI pass (layout, panels, plot, legend, LOD
        // selection) and the tessellation of what it drew.
        let mut ui_ms = Vec::new();
        let mut tess_ms = Vec::new();
        for _ in 0..41 {
            let lo = 500.0 + step as f64 * 3.0;
            step += 1;
            app.apply_command(Command::SetBounds(Some(PlotBounds {
                x_nm: [lo, lo + 900.0],
                y: [0.0, 5.0],
            })));
            let t0 = std::time::Instant::now();
            let mut out = ctx.run_ui(raw(), |ui| app.show(ui));
            let t1 = std::time::Instant::now();
            let prims = ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
            let t2 = std::time::Instant::now();
            out.textures_delta.clear();
            black_box(prims);
            ui_ms.push((t1 - t0).as_secs_f64() * 1e3);
            tess_ms.push((t2 - t1).as_secs_f64() * 1e3);
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (ui_med, tess_med) = (med(&mut ui_ms), med(&mut tess_ms));
        let t_floor_ui = median_ms(41, || {
            floor_frame(step_f, false);
            step_f += 1;
        });
        table.push(
            "  of which the UI pass (layout, panels, plot, legend, LOD)",
            ui_med,
            "egui_plot alone: UI pass",
            t_floor_ui,
            "",
        );
        table.push(
            "  of which tessellation",
            tess_med,
            "egui_plot alone: tessellation",
            t_floor - t_floor_ui,
            "",
        );
    }
    if wanted("render") {
        use spectra_workbench::display::DisplayTrace;
        use spectra_workbench::render::SceneTrace;
        use spectra_workbench::render::offscreen::render_canvas;
        use spectra_workbench::session::Session;
        use spectra_workbench::view::Canvas;
        use std::sync::Arc;
        let mut s = Session::default();
        s.apply(Command::AddDatasets(spectra_workbench::samples::load_all()))
            .unwrap();
        s.apply(Command::SetCanvas(Canvas {
            width_pt: 1600.0,
            height_pt: 900.0,
            pixels_per_point: 1.0,
        }))
        .unwrap();
        let traces: Vec<Arc<DisplayTrace>> = s
            .datasets()
            .iter()
            .map(|d| Arc::new(DisplayTrace::build(d.spectrum.clone(), s.view().smoothing)))
            .collect();
        let scene: Vec<SceneTrace<'_>> = s
            .datasets()
            .iter()
            .zip(&traces)
            .enumerate()
            .map(|(order, (d, t))| SceneTrace {
                id: &d.id,
                name: &d.spectrum.name,
                trace: t,
                visible: true,
                order,
            })
            .collect();
        let pixels = vec![0.5f64; 1600 * 900 * 4];
        let floor = floor_ms(&pixels);
        let t = median_ms(7, || {
            black_box(render_canvas(s.view(), &scene));
        });
        table.push(
            "offscreen render, 1600x900 canvas, 3 samples",
            t,
            "1 pass over 1600x900x4 f64",
            floor,
            "<= 150 ms",
        );
    }
    if wanted("export") {
        use spectra_workbench::provenance::{bundle, verify};
        let mut s = spectra_workbench::session::Session::default();
        let datasets = common::offset_traces(&x, &y, 3);
        s.apply(Command::AddDatasets(datasets)).unwrap();
        let dir = std::env::temp_dir().join(format!("swb-bench-{}", std::process::id()));
        let mut n = 0;
        let floor = floor_ms(&y);
        let t = median_ms(3, || {
            n += 1;
            let out = dir.join(n.to_string());
            black_box(bundle::export_session(&s, &out, "2026-01-01T00:00:00+00:00").unwrap());
        });
        table.push(
            "export bundle, 3 traces x 1e6",
            t,
            "1 pass over y (1e6 f64)",
            floor,
            "<= 1500 ms",
        );
        let one = bundle::export_session(&s, &dir.join("v"), "2026-01-01T00:00:00+00:00").unwrap();
        let t = median_ms(5, || {
            black_box(verify::verify_bundle(&one.dir).unwrap());
        });
        table.push(
            "verify bundle, 3 traces x 1e6",
            t,
            "1 pass over y (1e6 f64)",
            floor,
            "<= 500 ms",
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    table.write();
}
