//! Helpers shared by the kittest tests that drive the whole app.

#![allow(dead_code)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use spectra_workbench::gui::WorkbenchApp;

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
