//! Helpers shared by the kittest tests that drive the whole app.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spectra_workbench::gui::WorkbenchApp;

/// A 1400 × 900 harness on `app`, with the app's fonts from the first frame (as the
/// window has them), settled.
pub fn harness_with(app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    settle(&mut h);
    h
}

/// Runs frames until no load, store write, Library fetch, rebuild or other job is
/// running (at most 30 s).
pub fn settle(h: &mut Harness<'static, WorkbenchApp>) {
    let start = Instant::now();
    loop {
        h.run_steps(2);
        let s = h.state();
        if !s.library_busy() && !s.loading() && !s.rebuilding() && s.jobs().is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the app never settled"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
}

/// Opens the Calibration dock and picks the transform labelled `transform` (the form is
/// then shown; the caller sets fields and clicks Apply).
pub fn choose_transform(h: &mut Harness<'static, WorkbenchApp>, transform: &str) {
    h.get_by_label("Calibration").click();
    h.run_steps(2);
    h.get_by_label("Transform").click();
    h.run_steps(2);
    h.get_by_label(transform).click();
    h.run_steps(2);
}
