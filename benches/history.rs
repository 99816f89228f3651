//! The bottom dock's frame with a long History and a large Knowledge-log, against the
//! same frame with a short one, measured in the same run (alternating, so neither gets a
//! warmer machine): 10,000 History events and 1,000 Knowledge-log entries vs 10 and 10,
//! the History list scrolling, target ≤ 1.2×. Whole frames (UI + tessellation).
//!
//! `cargo bench --bench history`. Writes `target/bench/history.json`.

mod common;

use std::path::Path;
use std::time::Instant;

use common::Table;
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::provenance::knowledge::{Origin, note_entry};
use spectra_workbench::session::Command;
use spectra_workbench::store::Store;

const SIZE: egui::Vec2 = egui::vec2(1600.0, 900.0);

fn frame(ctx: &egui::Context, app: &mut WorkbenchApp, step: usize, events: Vec<egui::Event>) {
    common::app_frame(ctx, app, step, events);
}

/// A store at `root` with `entries` notes, and an app on it whose session has `events`
/// History events (display toggles, each its own event).
fn setup(root: &Path, events: usize, entries: usize) -> (egui::Context, WorkbenchApp) {
    let mut store = Store::open(root).expect("store");
    let origin = Origin {
        session_id: "bench-1-1".into(),
        event_seq: 1,
    };
    for k in 0..entries {
        let text = format!("# Note {k}\n\nObservation number {k}: the red arm looks fine.\n");
        let entry = note_entry(&text, &[], None, &origin, 1_790_000_000_000 + k as i64);
        store.write_log_entry(&entry, None).expect("note");
    }
    drop(store);
    let ctx = egui::Context::default();
    spectra_workbench::render::install_fonts(&ctx);
    let mut app = WorkbenchApp::empty_with_store(ReadOptions::default(), root.to_path_buf());
    for k in 0..events {
        // The crosshair starts on: the first toggle turns it off, so each one is an event.
        app.apply_command(Command::SetCrosshair(k % 2 == 1));
    }
    // Write the History to the store and let the panels read everything once.
    app.save_history();
    for step in 0..10 {
        frame(&ctx, &mut app, step, vec![]);
    }
    assert_eq!(app.session().history().len(), events);
    assert_eq!(app.knowledge_view().rows().len(), entries);
    (ctx, app)
}

fn main() {
    common::tune_allocator();
    std::fs::create_dir_all(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"))
        .expect("target/bench");
    let mut table = Table::new("history");
    let small_dir = tempfile::tempdir().expect("temp");
    let large_dir = tempfile::tempdir().expect("temp");
    let t = Instant::now();
    let (small_ctx, mut small) = setup(small_dir.path(), 10, 10);
    let (large_ctx, mut large) = setup(large_dir.path(), 10_000, 1_000);
    println!("setup: {:.1} s", t.elapsed().as_secs_f64());
    // The pointer over the History dock (the dock's third quarter), the wheel scrolling
    // it forty frames down, forty up.
    let pointer = egui::pos2(SIZE.x * 0.70, SIZE.y - 120.0);
    let events = |step: usize| {
        let down = (step / 40).is_multiple_of(2);
        vec![
            egui::Event::PointerMoved(pointer),
            egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, if down { 40.0 } else { -40.0 }),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: egui::Modifiers::NONE,
            },
        ]
    };
    let mut small_ms = Vec::new();
    let mut large_ms = Vec::new();
    let mut rows = (0, 0);
    for step in 10..(10 + 2 * 81) {
        let t = Instant::now();
        frame(&small_ctx, &mut small, step, events(step));
        small_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        frame(&large_ctx, &mut large, step, events(step));
        large_ms.push(t.elapsed().as_secs_f64() * 1e3);
        rows.0 = rows.0.max(large.history_view().rows_drawn);
        rows.1 = rows.1.max(large.knowledge_view().rows_drawn);
    }
    assert!(rows.0 > 5 && rows.1 > 3, "rows were drawn: {rows:?}");
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "rows drawn per frame at 10,000 events / 1,000 entries: {} History, {} Knowledge-log",
        rows.0, rows.1
    );
    table.push(
        "dock frame, 10,000 History events + 1,000 log entries",
        median(large_ms),
        "the same, 10 events + 10 entries",
        median(small_ms),
        "<= 1.2x",
    );
    table.write();
}
