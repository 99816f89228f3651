//! Frame times of the headless app while background jobs run: a 3 × 1e6-point export and
//! a 1e7-point CSV load. Each row prints the median frame time during the job, its
//! floor (the same app's median frame with no job running, measured in the same run) and
//! the ratio; the longest frame and how many frames took over 16 ms are printed and
//! written too (`target/bench/jobs.json`, and `target/bench/jobs_frames.json` with every
//! frame time).
//!
//! Run: `cargo bench --bench jobs [-- export|load]`.

mod common;

/// The binary's allocator, so benchmarks measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Instant;

use common::{Table, median_ms, signal, wanted};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::session::Command;
use spectra_workbench::view::PlotBounds;

struct Frames {
    ctx: egui::Context,
}

impl Frames {
    fn new() -> Self {
        let ctx = egui::Context::default();
        spectra_workbench::render::install_fonts(&ctx);
        Self { ctx }
    }

    /// One whole frame (UI + tessellation), panning a little; its time in ms.
    fn frame(&self, app: &mut WorkbenchApp, step: usize) -> f64 {
        let t = Instant::now();
        let lo = 500.0 + (step % 200) as f64 * 3.0;
        app.apply_command(Command::SetBounds(Some(PlotBounds {
            x_nm: [lo, lo + 900.0],
            y: [0.0, 5.0],
        })));
        let raw = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 900.0),
            )),
            ..Default::default()
        };
        let mut out = self.ctx.run_ui(raw, |ui| app.show(ui));
        let prims = self
            .ctx
            .tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
        out.textures_delta.clear();
        black_box(prims);
        t.elapsed().as_secs_f64() * 1e3
    }

    /// Frames, as the window would draw them (about 60 Hz), while `busy`; their times.
    fn while_busy(&self, app: &mut WorkbenchApp, busy: impl Fn(&WorkbenchApp) -> bool) -> Vec<f64> {
        let mut times = Vec::new();
        let mut step = 0;
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        while busy(app) && Instant::now() < deadline {
            let ms = self.frame(app, step);
            times.push(ms);
            step += 1;
            let rest = 16.7 - ms;
            if rest > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(rest / 1e3));
            }
        }
        // The frame that takes the result in.
        times.push(self.frame(app, step));
        times
    }

    /// The same app's median frame with nothing running.
    fn idle_median(&self, app: &mut WorkbenchApp) -> f64 {
        let mut step = 0;
        median_ms(31, || {
            self.frame(app, step);
            step += 1;
        })
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn summary(table: &mut Table, name: &str, times: &[f64], idle: f64) -> serde_json::Value {
    let longest = times.iter().copied().fold(0.0, f64::max);
    let over = times.iter().filter(|&&t| t > 16.0).count();
    table.push(
        name,
        median(times),
        "same app, no job (median frame)",
        idle,
        "no frame > 16 ms",
    );
    println!(
        "    {} frames, longest {longest:.2} ms, {over} over 16 ms",
        times.len()
    );
    serde_json::json!({"name": name, "frames": times.len(), "longest_ms": longest, "over_16_ms": over, "idle_median_ms": idle, "frame_ms": times})
}

fn main() {
    common::tune_allocator();
    let mut table = Table::new("jobs");
    let frames = Frames::new();
    let mut detail = Vec::new();
    let dir = std::env::temp_dir().join(format!("swb-bench-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    if wanted("export") {
        let (x, y) = signal(1_000_000);
        let mut app = WorkbenchApp::empty(ReadOptions::default());
        app.set_export_dir(dir.join("exports"));
        let datasets = common::offset_traces(&x, &y, 3);
        app.add_datasets(datasets);
        for step in 0..5 {
            frames.frame(&mut app, step);
        }
        let idle = frames.idle_median(&mut app);
        app.start_background_export("2026-01-01T00:00:00+00:00".into());
        let times = frames.while_busy(&mut app, WorkbenchApp::exporting);
        assert!(app.last_export().is_some(), "the export finished");
        detail.push(summary(
            &mut table,
            "frame during a 3 x 1e6 export",
            &times,
            idle,
        ));
    }

    if wanted("load") {
        let (x, y) = signal(10_000_000);
        let path = dir.join("big.csv");
        {
            use std::io::Write;
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            writeln!(w, "wavelength_nm,flux").unwrap();
            let mut b = ryu::Buffer::new();
            let mut c = ryu::Buffer::new();
            for (a, v) in x.iter().zip(&y) {
                writeln!(w, "{},{}", b.format(*a), c.format(*v)).unwrap();
            }
        }
        drop((x, y));
        let mut app = WorkbenchApp::new(None, Vec::new(), ReadOptions::default());
        for step in 0..5 {
            frames.frame(&mut app, step);
        }
        let idle = frames.idle_median(&mut app);
        app.open_file(&path);
        let times = frames.while_busy(&mut app, WorkbenchApp::loading);
        assert!(
            app.session()
                .datasets()
                .iter()
                .any(|d| d.spectrum.len() == 10_000_000),
            "the 1e7-point file loaded"
        );
        detail.push(summary(
            &mut table,
            "frame during a 1e7-point CSV load",
            &times,
            idle,
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    table.write();
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/jobs_frames.json");
    std::fs::write(&out, serde_json::to_string_pretty(&detail).unwrap()).unwrap();
}
