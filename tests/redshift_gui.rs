//! The Redshift dock through the whole app (egui_kittest, clicking by label): correlate
//! against a template, show the lines at the z found, identify, measure; each result is an
//! analysis record in the session, the overlay is in the view, and undo takes a record out.

mod kit;

use egui_kittest::kittest::Queryable;
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;

fn app_with(rel: &str) -> WorkbenchApp {
    let options = ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..ReadOptions::default()
    };
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    WorkbenchApp::new(None, vec![file], options)
}

fn app() -> WorkbenchApp {
    app_with("tests/data/rv/NGC3522_SDSS_DR18.fits")
}

/// Whether some widget's label contains `text` (History may repeat a result's words).
fn shows(h: &egui_kittest::Harness<'static, WorkbenchApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// A tall window, so the whole dock fits without scrolling (kittest clicks only what is
/// on screen).
fn tall(app: WorkbenchApp) -> egui_kittest::Harness<'static, WorkbenchApp> {
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 1700.0))
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    kit::settle(&mut h);
    h
}

fn kinds(app: &WorkbenchApp) -> Vec<&'static str> {
    app.session()
        .analyses()
        .iter()
        .map(|a| a.request.kind())
        .collect()
}

#[test]
fn the_dock_correlates_shows_lines_identifies_and_measures() {
    let mut h = tall(app());
    assert_eq!(h.state().session().datasets().len(), 1);
    h.get_by_label("Redshift").click();
    h.run_steps(3);
    assert!(h.query_by_label("Redshift & lines").is_some());
    h.get_by_label("Correlate").click();
    kit::settle(&mut h);
    assert_eq!(h.state().redshift_error(), None);
    assert_eq!(kinds(h.state()), vec!["rv"]);
    let z = h.state().session().analyses()[0].result["z"]
        .as_f64()
        .unwrap();
    assert!((z - 0.00405).abs() < 1e-4, "{z}");
    assert!(shows(&h, "quality 4 (reliable)"));

    h.get_by_label("Show lines at this z").click();
    h.run_steps(3);
    let overlay = h.state().session().view().line_overlay.clone().unwrap();
    assert_eq!(overlay.list, "strong_lines");
    assert_eq!(overlay.z, z);
    // The overlay is a view change, in History like any other.
    assert!(shows(&h, "lines strong_lines at z"));

    h.get_by_label_contains("Identify with strong_lines")
        .click();
    kit::settle(&mut h);
    assert_eq!(kinds(h.state()), vec!["rv", "identify"]);
    assert!(shows(&h, "z from lines"));

    h.get_by_label("Measure").click();
    kit::settle(&mut h);
    assert_eq!(kinds(h.state()), vec!["rv", "identify", "measure"]);

    // Undo takes the measurement back out; the others stay.
    h.get_by_label("Edit").click();
    h.run_steps(2);
    h.get_by_label_contains("Undo").click();
    h.run_steps(3);
    assert_eq!(kinds(h.state()), vec!["rv", "identify"]);
}

#[test]
fn a_refused_analysis_says_why_and_records_nothing() {
    // SpeX pixels are ≈ 460 km/s: a star template's default ±500 km/s grid spans about
    // two of them, too few for a correlation peak.
    let mut h = kit::harness_with(app_with("assets/samples/spex_M6_dwarf_12043.csv"));
    h.get_by_label("Redshift").click();
    h.run_steps(3);
    h.get_by_label("Template").click();
    h.run_steps(2);
    h.get_by_label("marz_g_star").click();
    h.run_steps(2);
    h.get_by_label("Correlate").click();
    kit::settle(&mut h);
    let error = h.state().redshift_error().unwrap_or_default().to_string();
    assert!(error.contains("needs at least 3"), "{error}");
    assert!(shows(&h, "needs at least 3"));
    assert!(kinds(h.state()).is_empty());
    assert!(
        !h.state()
            .session()
            .history()
            .iter()
            .any(|e| e.kind.as_str() == "analysis")
    );
}

#[test]
fn view_lineage_lists_the_analyses() {
    let mut h = tall(app());
    h.get_by_label("Redshift").click();
    h.run_steps(3);
    h.get_by_label("Correlate").click();
    kit::settle(&mut h);
    h.get_by_label("View lineage").click();
    h.run_steps(3);
    assert!(h.query_by_label("Analyses").is_some());
    assert!(shows(&h, "assets/templates/marz_early_type_galaxy.csv"));
    assert!(h.query_by_label("Copy record JSON").is_some());
}

/// A primary-button drag on the canvas from `from` to `to`, a frame per step.
fn drag(h: &mut egui_kittest::Harness<'static, WorkbenchApp>, from: egui::Pos2, to: egui::Pos2) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::default(),
    };
    h.input_mut().events.push(egui::Event::PointerMoved(from));
    h.step();
    h.input_mut().events.push(button(from, true));
    h.step();
    for k in 1..=8 {
        let p = from + (to - from) * (k as f32 / 8.0);
        h.input_mut().events.push(egui::Event::PointerMoved(p));
        h.step();
    }
    h.input_mut().events.push(button(to, false));
    h.step();
}

#[test]
fn a_region_dragged_on_the_plot_is_measured_and_the_plot_does_not_pan() {
    use spectra_workbench::session::Command;
    use spectra_workbench::view::PlotBounds;
    let mut h = tall(app());
    // Around Hα at z ≈ 0.004 (≈ 659 nm observed).
    let view = PlotBounds {
        x_nm: [640.0, 680.0],
        y: [0.0, 200.0],
    };
    h.state_mut().apply_command(Command::SetBounds(Some(view)));
    h.get_by_label("Redshift").click();
    h.run_steps(3);
    h.get_by_label("Drag on plot").click();
    h.run_steps(2);
    let rect = h.state().canvas_rect();
    let at = |fx: f32| egui::pos2(rect.left() + fx * rect.width(), rect.center().y);
    drag(&mut h, at(0.45), at(0.6));
    kit::settle(&mut h);
    assert_eq!(kinds(h.state()), vec!["measure"]);
    let m = &h.state().session().analyses()[0].result;
    let (lo, hi) = (
        m["region"]["lo_nm"].as_f64().unwrap(),
        m["region"]["hi_nm"].as_f64().unwrap(),
    );
    // The plot's frame sits inside the canvas (axes, margins): the region is where the
    // drag was to within a tenth of the view, and as wide as the drag to within 15 %.
    let span = view.x_nm[1] - view.x_nm[0];
    let expect = |fx: f64| view.x_nm[0] + fx * span;
    assert!((lo - expect(0.45)).abs() < 0.1 * span, "{lo}");
    assert!((hi - expect(0.6)).abs() < 0.1 * span, "{hi}");
    assert!(((hi - lo) / (0.15 * span) - 1.0).abs() < 0.15, "{lo}…{hi}");
    // Picking did not pan; the view is still the one set.
    let now = h.state().session().view().bounds.unwrap();
    assert_eq!(now.x_nm, view.x_nm);
    // The pick was for one region: the next drag pans again and measures nothing.
    drag(&mut h, at(0.45), at(0.6));
    kit::settle(&mut h);
    assert_eq!(kinds(h.state()), vec!["measure"]);
    let panned = h.state().session().view().bounds.unwrap();
    assert!(panned.x_nm[0] < view.x_nm[0] - 0.05 * span, "{panned:?}");
}

#[test]
fn the_dock_identifies_against_the_continuum_chosen() {
    // The T6 dwarf's K I lines show against the local parabola, not the running median.
    let mut h = tall(app_with("tests/data/fits/11594_11430.fits.gz"));
    h.get_by_label("Redshift").click();
    h.run_steps(3);
    h.get_by_label("parabola").click();
    h.run_steps(2);
    h.get_by_label_contains("Identify with strong_lines")
        .click();
    kit::settle(&mut h);
    assert_eq!(h.state().redshift_error(), None);
    assert_eq!(kinds(h.state()), vec!["identify"]);
    let a = &h.state().session().analyses()[0];
    let request = serde_json::to_value(&a.request).unwrap();
    assert_eq!(
        request["request"]["features"]["continuum"], "parabola",
        "{request}"
    );
    let k_i = a.result["identified"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["species"] == "K I")
        .count();
    assert_eq!(k_i, 4, "{}", a.result["identified"]);
}
