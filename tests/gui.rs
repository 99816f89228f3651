//! Whole-app GUI tests, headless with egui_kittest: find controls by accessible label,
//! click them, drop files, and check the session the app drives.

mod kit;

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;

#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Read options that run this build's binary as the isolated FITS reader (the test
/// harness's own executable is not the app).
fn read_options() -> ReadOptions {
    ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..ReadOptions::default()
    }
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn harness() -> Harness<'static, WorkbenchApp> {
    let app = WorkbenchApp::new(None, Vec::new(), read_options());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // The app's fonts from the first frame, as the window has them.
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    h.run_steps(3);
    h
}

/// Runs frames (5 ms apart, at most 10 s) while `busy` holds: background work finishing.
fn run_while(h: &mut Harness<'static, WorkbenchApp>, busy: impl Fn(&WorkbenchApp) -> bool) {
    for _ in 0..2000 {
        if !busy(h.state()) {
            return;
        }
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn drop_file(h: &mut Harness<'static, WorkbenchApp>, path: &Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path.to_path_buf())));
    h.run_steps(3);
}

#[test]
fn every_toolbar_control_is_there_and_crosshair_starts_on() {
    let h = harness();
    for label in [
        "Display unit",
        "Normalization",
        "Smoothing",
        "Palette",
        "LOD budget",
        "Crosshair",
        "Uncertainty",
        "Snap to peak",
        "Library",
        "File",
        "Edit",
        "View",
        "Help",
    ] {
        assert!(
            h.query_by_label(label).is_some(),
            "no control labelled {label:?}"
        );
    }
    let crosshair = h.get_by_label("Crosshair");
    assert_eq!(crosshair.accesskit_node().toggled(), Some(Toggled::True));
    assert!(h.state().session().view().crosshair_visible);
    // First start shows the bundled samples, each in the Library and the legend.
    assert_eq!(h.state().session().datasets().len(), 3);
    for (name, _) in spectra_workbench::samples::SAMPLES {
        assert!(
            h.query_all_by_label(name).count() >= 2,
            "{name}: Library row and legend entry"
        );
    }
}

#[test]
fn dropping_a_csv_adds_a_legend_entry_and_a_library_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my_lamp.csv");
    std::fs::write(&file, "wavelength_nm,counts\n500,1\n501,5\n502,2\n").unwrap();
    let mut h = harness();
    assert_eq!(h.query_all_by_label("my_lamp.csv").count(), 0);
    drop_file(&mut h, &file);
    assert_eq!(h.state().session().datasets().len(), 4);
    assert_eq!(h.state().session().view().active_traces.len(), 4);
    // One node in the Library, one in the legend.
    assert!(h.query_all_by_label("my_lamp.csv").count() >= 2);
}

#[test]
fn dropping_fits_and_jcamp_files_adds_them_with_their_units() {
    let mut h = harness();
    let before = h.state().session().datasets().len();
    drop_file(&mut h, &data("fits/12043_11769.fits.gz"));
    drop_file(&mut h, &data("fits/coadd-sv3-dark-26065.fits"));
    drop_file(&mut h, &data("jcamp/LABCALC.DX"));
    drop_file(&mut h, &data("jcamp/tannic_acid.jdx"));
    let session = h.state().session();
    let find = |name: &str| {
        session
            .datasets()
            .iter()
            .find(|d| d.spectrum.name == name)
            .unwrap_or_else(|| panic!("{name} not loaded"))
    };
    let spex = find("12043_11769.fits.gz");
    assert_eq!(spex.spectrum.y_unit, "ergss-1cm-2A-1");
    assert_eq!(spex.spectrum.medium.as_str(), "vacuum");
    // µm in the file, nm in the model: 0.69–2.54 µm.
    let (lo, hi) = spex.spectrum.x_range_nm();
    assert!(
        (689.0..691.0).contains(&lo) && (2542.0..2543.0).contains(&hi),
        "{lo} {hi}"
    );
    let desi = find("coadd-sv3-dark-26065.fits [B arm, spectrum 3]");
    assert_eq!(desi.spectrum.y_unit, "10**-17 erg/(s cm2 Angstrom)");
    assert_eq!(desi.spectrum.x_range_nm(), (360.0, 580.00000000005));
    let ir = find("LABCALC.DX");
    assert_eq!(ir.spectrum.y_unit, "TRANSMITTANCE");
    assert!(find("tannic_acid.jdx").spectrum.x_range_nm().0 > 2800.0);
    // DESI: 5 spectra in each of 3 arms; in every arm spectra 1, 2 and 4 are unused
    // fibres (all zero, ivar 0): the same content, so the same Dataset ID, held once.
    // That leaves 3 per arm.
    assert_eq!(session.datasets().len(), before + 1 + 9 + 1 + 1);
    // The unused fibres have no usable sample: added hidden, said once per spectrum, and
    // the file's own note ("DESI layout: …") once, not once per dataset.
    let empty = find("coadd-sv3-dark-26065.fits [B arm, spectrum 1]");
    assert!(empty.spectrum.is_fully_masked());
    let view = session.view();
    let visible = |id| {
        view.active_traces
            .iter()
            .find(|t| &t.dataset_id == id)
            .unwrap()
            .visible
    };
    assert!(!visible(&empty.id));
    assert!(visible(&desi.id));
    let notices = h.state().notices();
    let count = |needle: &str| notices.iter().filter(|n| n.text.contains(needle)).count();
    assert_eq!(count("DESI layout"), 1, "{notices:?}");
    assert_eq!(count("every sample is masked"), 1, "{notices:?}");
    assert!(notices.iter().any(|n| n.text.starts_with(
        "coadd-sv3-dark-26065.fits: every sample is masked in 9 spectra (no usable data)"
    ) && n.text.ends_with("[B arm, spectrum 1], [B arm, spectrum 2], [B arm, spectrum 4], [R arm, spectrum 1], [R arm, spectrum 2], [R arm, spectrum 4], [Z arm, spectrum 1], [Z arm, spectrum 2], [Z arm, spectrum 4]")), "{notices:?}");
    assert!(
        h.query_all_by_label("LABCALC.DX").count() >= 2,
        "Library row and legend entry"
    );
    assert!(!h.state().notices().iter().any(|n| n.is_error));
}

#[test]
fn an_nmr_file_is_refused_with_its_reason_and_an_ambiguous_fits_offers_its_hdus() {
    let mut h = harness();
    let before = h.state().session().datasets().len();
    drop_file(&mut h, &data("jcamp/BRUKAFFN.DX"));
    assert!(
        h.state()
            .notices()
            .iter()
            .any(|n| n.is_error && n.text.contains("BRUKAFFN.DX") && n.text.contains("x in HZ")),
        "{:?}",
        h.state().notices()
    );
    assert_eq!(h.state().session().datasets().len(), before);
    drop_file(&mut h, &data("fits/made/two_spectrum_hdus.fits"));
    assert_eq!(h.state().session().datasets().len(), before + 1);
    // The chooser lists both HDUs; opening the second adds it.
    assert!(h.query_by_label_contains("Choose a FITS HDU").is_some());
    h.get_by_label("Open HDU 1").click();
    h.run_steps(3);
    let session = h.state().session();
    assert_eq!(session.datasets().len(), before + 2);
    assert!(
        session
            .datasets()
            .iter()
            .any(|d| d.spectrum.name == "two_spectrum_hdus.fits [HDU 1]")
    );
    // A crashing reader (here: a program that is not one) is a notice, not a crash.
    let mut broken = ReadOptions {
        fits_reader: Some("/bin/false".into()),
        ..ReadOptions::default()
    };
    broken.fits_limits.timeout = std::time::Duration::from_secs(5);
    let app = WorkbenchApp::new(None, Vec::new(), broken);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // The app's fonts from the first frame, as the window has them.
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    h.run_steps(3);
    drop_file(&mut h, &data("fits/12043_11769.fits.gz"));
    assert!(
        h.state().notices().iter().any(|n| n.is_error
            && n.text.contains("12043_11769.fits.gz")
            && n.text.contains("FITS reader")),
        "{:?}",
        h.state().notices()
    );
    h.get_by_label("Crosshair").click();
    h.run_steps(2);
    assert!(!h.state().session().view().crosshair_visible);
}

#[test]
fn a_bad_file_gives_an_error_notice_and_the_app_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.csv");
    std::fs::write(&file, "wavelength_nm,flux\n500,1\n500,2\n").unwrap();
    let mut h = harness();
    drop_file(&mut h, &file);
    let notices = h.state().notices();
    assert!(
        notices
            .iter()
            .any(|n| n.is_error && n.text.contains("broken.csv") && n.text.contains("duplicate"))
    );
    assert!(
        h.query_by_label_contains("broken.csv: duplicate x value")
            .is_some()
    );
    assert_eq!(h.state().session().datasets().len(), 3);
    // Still usable: toggle the crosshair off by clicking it.
    h.get_by_label("Crosshair").click();
    h.run_steps(2);
    assert!(!h.state().session().view().crosshair_visible);
}

#[test]
fn toolbar_clicks_change_the_view_and_undo_brings_it_back() {
    let mut h = harness();
    h.get_by_label("Uncertainty").click();
    h.run_steps(2);
    assert!(h.state().session().view().uncertainty_visible);
    h.get_by_label("Edit").click();
    h.run_steps(2);
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert!(!h.state().session().view().uncertainty_visible);
}

#[test]
fn the_legend_toggles_traces() {
    let mut h = harness();
    let name = spectra_workbench::samples::SAMPLES[0].0;
    // The legend entry is the last node with that label (the Library row comes first).
    let legend_entry = h.query_all_by_label(name).last().unwrap();
    legend_entry.click();
    h.run_steps(3);
    let view = h.state().session().view();
    assert!(
        !view.active_traces[0].visible,
        "legend click hides the trace"
    );
    assert!(view.active_traces[1].visible);
}

#[test]
fn every_display_unit_smoothing_and_help_window_renders() {
    let mut h = harness();
    // Every unit through the toolbar combo box.
    for unit in spectra_workbench::units::XUnit::ALL {
        h.get_by_label("Display unit").click();
        h.run_steps(2);
        h.get_by_label(&unit.axis_label()).click();
        h.run_steps(2);
        assert_eq!(h.state().session().view().display_unit, unit);
    }
    h.get_by_label("Smoothing").click();
    h.run_steps(2);
    h.get_by_label("Savitzky–Golay").click();
    h.run_steps(2);
    assert!(matches!(
        h.state().session().view().smoothing,
        spectra_workbench::view::Smoothing::Sg {
            window: 11,
            poly: 3
        }
    ));
    h.get_by_label("Uncertainty").click();
    h.get_by_label("Snap to peak").click();
    h.run_steps(2);
    for item in ["User guide", "Keyboard shortcuts", "About"] {
        h.get_by_label("Help").click();
        h.run_steps(2);
        h.get_by_label(item).click();
        h.run_steps(2);
        let title = if item == "About" {
            "About spectra-workbench"
        } else {
            item
        };
        assert!(h.query_by_label(title).is_some(), "{title} window");
        h.get_by_label("Close window").click();
        h.run_steps(2);
    }
    // A hover over the plot exercises the crosshair readout.
    h.hover_at(egui::pos2(700.0, 400.0));
    h.run_steps(2);
}

#[test]
fn state_persists_across_restarts() {
    let mut h = harness();
    h.get_by_label("Crosshair").click();
    h.run_steps(2);
    let name = spectra_workbench::samples::SAMPLES[1].0;
    h.query_all_by_label(name).last().unwrap().click();
    h.run_steps(3);
    let saved = h.state().persisted();
    let json = serde_json::to_string(&saved).unwrap();
    let restored: spectra_workbench::gui::PersistedState = serde_json::from_str(&json).unwrap();
    let app = WorkbenchApp::new(Some(restored), Vec::new(), read_options());
    let view = app.session().view();
    assert!(!view.crosshair_visible);
    assert_eq!(view.active_traces.len(), 3);
    assert!(!view.active_traces[1].visible, "hidden trace stays hidden");
    assert_eq!(view.normalization, h.state().session().view().normalization);
}

#[test]
fn the_calibration_dock_applies_a_step_as_a_new_trace_and_undo_removes_it() {
    let mut h = harness();
    kit::choose_transform(&mut h, "Smooth (Savitzky–Golay)");
    h.get_by_label("Apply").click();
    h.run_steps(3);
    let session = h.state().session();
    assert_eq!(h.state().calibration_error(), None);
    assert_eq!(session.datasets().len(), 4);
    assert_eq!(session.records().len(), 1);
    assert_eq!(session.records()[0].kind, "smooth");
    let derived = &session.datasets()[3];
    assert_eq!(session.records()[0].output_id, derived.id);
    assert!(
        h.query_all_by_label(&derived.spectrum.name).count() >= 2,
        "legend and Library"
    );
    h.get_by_label("Edit").click();
    h.run_steps(2);
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert_eq!(h.state().session().datasets().len(), 3);
    assert!(h.state().session().records().is_empty());
}

#[test]
fn a_failing_step_shows_its_error_on_the_form_and_changes_nothing() {
    let mut h = harness();
    kit::choose_transform(&mut h, "Resample");
    // The default grid (400–700 nm) lies outside the first sample (690–2540 nm).
    h.get_by_label("Apply").click();
    h.run_steps(3);
    let error = h.state().calibration_error().expect("an error on the form");
    assert!(error.contains("outside the data"), "{error}");
    assert!(h.query_by_label_contains("outside the data").is_some());
    assert_eq!(h.state().session().datasets().len(), 3);
    assert!(h.state().session().records().is_empty());
}

#[test]
fn export_view_writes_the_same_bundle_as_the_cli_recipe() {
    let out_gui = tempfile::tempdir().unwrap();
    let out_cli = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.state_mut().set_export_dir(out_gui.path().to_path_buf());
    h.get_by_label("Export view").click();
    h.run_steps(2);
    let done = h.state().last_export().expect("exported").clone();
    assert_eq!(
        spectra_workbench::provenance::verify::verify_bundle(&done.dir).unwrap(),
        Vec::<String>::new()
    );
    // The same view as a recipe, exported the CLI's way. The view is the one at the moment
    // of export (the notice panel that appears afterwards shrinks the canvas).
    let manifest: spectra_workbench::provenance::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(done.dir.join("manifest.json")).unwrap()).unwrap();
    let view = manifest.view_state.clone();
    let recipe = serde_json::json!({
        "inputs": spectra_workbench::samples::SAMPLES.iter().map(|(n, _)| serde_json::json!({"bundled": n})).collect::<Vec<_>>(),
        "view": {"normalization": "max", "canvas": view.canvas},
    });
    let recipe: spectra_workbench::provenance::recipe::Recipe =
        serde_json::from_value(recipe).unwrap();
    let session = spectra_workbench::provenance::recipe::session_from_recipe(
        &recipe,
        std::path::Path::new("."),
    )
    .unwrap();
    assert_eq!(
        session.view(),
        &view,
        "the recipe reproduces the GUI's view state"
    );
    let cli = spectra_workbench::provenance::bundle::export_session(
        &session,
        out_cli.path(),
        "2026-01-01T00:00:00+00:00",
    )
    .unwrap();
    assert_eq!(cli.manifest_id, done.manifest_id);
    assert_eq!(cli.data_sha256, done.data_sha256);
    assert_eq!(
        std::fs::read(cli.dir.join("view.png")).unwrap(),
        std::fs::read(done.dir.join("view.png")).unwrap(),
        "GUI and CLI render the same picture"
    );
    // The notice offers the folder and the citation; the lineage window opens.
    assert!(h.query_by_label("Open folder").is_some());
    assert!(h.query_by_label("Copy citation").is_some());
    h.get_by_label("View lineage").click();
    h.run_steps(2);
    assert!(h.query_by_label("Inputs").is_some());
}

#[test]
fn a_large_ambiguous_fits_loads_in_the_background_and_then_offers_its_hdus() {
    // two_spectrum_hdus.fits plus a 5 MiB image extension (no spectrum): large enough to
    // load on a background thread, where the HDU list for the chooser is scanned too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large_two_spectra.fits");
    let mut bytes = std::fs::read(data("fits/made/two_spectrum_hdus.fits")).unwrap();
    bytes.extend(common::fits_header(&[
        "XTENSION= 'IMAGE   '",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        "NAXIS1  =                 2048",
        "NAXIS2  =                 2560",
        "PCOUNT  =                    0",
        "GCOUNT  =                    1",
        "EXTNAME = 'PADDING '",
    ]));
    bytes.resize(bytes.len() + 2048 * 2560, 0);
    bytes.resize(bytes.len().div_ceil(2880) * 2880, 0);
    std::fs::write(&path, &bytes).unwrap();

    let mut h = harness();
    let before = h.state().session().datasets().len();
    drop_file(&mut h, &path);
    run_while(&mut h, |app| app.loading());
    assert!(!h.state().loading(), "the load did not finish");
    h.run_steps(2);
    assert_eq!(h.state().session().datasets().len(), before + 1);
    assert!(h.query_by_label_contains("Choose a FITS HDU").is_some());
    assert!(
        h.query_by_label_contains("PADDING").is_some(),
        "the chooser lists every HDU"
    );
    h.get_by_label("Open HDU 1").click();
    run_while(&mut h, |app| app.session().datasets().len() < before + 2);
    assert_eq!(h.state().session().datasets().len(), before + 2);
    assert!(
        !h.state().notices().iter().any(|n| n.is_error),
        "{:?}",
        h.state().notices()
    );
}

#[test]
fn a_background_export_keeps_the_window_running_and_reports_when_done() {
    let out = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.state_mut().set_export_dir(out.path().to_path_buf());
    h.state_mut()
        .start_background_export("2026-01-01T00:00:00+00:00".into());
    assert!(h.state().exporting());
    // Frames keep running while the thread writes.
    run_while(&mut h, WorkbenchApp::exporting);
    assert!(!h.state().exporting(), "export did not finish");
    let done = h.state().last_export().expect("exported").clone();
    // One notice per export: the export row with its buttons, no second line.
    h.run_steps(3);
    assert!(h.query_by_label_contains("Exported ").is_some());
    assert!(h.query_by_label("Open folder").is_some());
    assert!(
        h.state()
            .notices()
            .iter()
            .all(|n| !n.text.contains("exported to")),
        "{:?}",
        h.state().notices()
    );
    assert_eq!(
        spectra_workbench::provenance::verify::verify_bundle(&done.dir).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn data_restrictions_set_in_the_lineage_window_keep_sources_out_of_the_export() {
    let out = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.state_mut().set_export_dir(out.path().to_path_buf());
    h.get_by_label("View lineage").click();
    h.run_steps(2);
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .expect("the restrictions field");
    field.click();
    h.run_steps(1);
    h.get_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap()
        .type_text("embargoed until 2027");
    h.run_steps(2);
    h.get_by_label("Apply to exports").click();
    h.run_steps(2);
    assert_eq!(
        h.state()
            .session()
            .export_policy()
            .data_restrictions
            .as_deref(),
        Some("embargoed until 2027")
    );
    // The lineage window sits over the toolbar; export as Ctrl+E does.
    h.state_mut().export_view();
    h.run_steps(1);
    let done = h.state().last_export().expect("exported").clone();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(done.dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["data_restrictions"], "embargoed until 2027");
    // The bundled samples are the sources here: left out without the opt-in.
    assert!(!done.dir.join("sources").exists());
}

#[test]
fn the_pointer_readout_resolves_the_zoom_and_clears_when_the_pointer_leaves() {
    let mut h = harness();
    h.hover_at(egui::pos2(700.0, 350.0));
    h.run_steps(3);
    let node = h
        .query_by_label_contains("pointer ")
        .expect("a readout while over the plot");
    let text = node.accesskit_node().label().unwrap_or_default();
    // At first start about 1900 nm span the plot: one pixel is about 2 nm, so the
    // pointer's wavelength reads in whole nanometres, not six decimals.
    let x_text = text
        .trim_start_matches("pointer ")
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(!x_text.contains('.'), "{text}");
    // Over the side panel: the readout is gone, not stale.
    h.hover_at(egui::pos2(100.0, 400.0));
    h.run_steps(3);
    assert!(h.query_by_label_contains("pointer ").is_none());
}

#[test]
fn notices_and_the_export_row_come_and_go_without_moving_the_plot() {
    let out = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.state_mut().set_export_dir(out.path().to_path_buf());
    h.run_steps(2);
    let before = h.state().canvas_rect();
    assert!(before.is_positive());
    // An export: its row appears, with its buttons, once.
    h.state_mut().export_view();
    run_while(&mut h, WorkbenchApp::exporting);
    h.run_steps(3);
    assert!(h.query_by_label("Open folder").is_some());
    assert_eq!(h.query_all_by_label("Copy citation").count(), 1);
    assert_eq!(h.state().canvas_rect(), before, "the plot did not move");
    // A notice (a file that does not exist) comes and goes.
    h.state_mut()
        .open_file(std::path::Path::new("/no/such/file.csv"));
    h.run_steps(3);
    assert!(!h.state().notices().is_empty());
    assert_eq!(h.state().canvas_rect(), before, "the plot did not move");
    for _ in 0..3 {
        if let Some(b) = h.query_all_by_label("Dismiss").next() {
            b.click();
        }
        h.run_steps(2);
    }
    assert!(h.state().notices().is_empty() && h.state().last_export().is_none());
    assert_eq!(h.state().canvas_rect(), before);
}

#[test]
fn the_velocity_form_prefills_a_barycentric_correction_from_the_header_and_records_it() {
    // A SpeX file: DATE_OBS + TIME_OBS, TCS_RA/TCS_DEC, TELESCOP 'NASA IRTF'.
    let app = WorkbenchApp::empty(read_options());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    h.run_steps(2);
    drop_file(&mut h, &data("fits/12043_11769.fits.gz"));
    run_while(&mut h, |a| a.loading());
    h.run_steps(2);
    assert_eq!(h.state().session().datasets().len(), 1);
    kit::choose_transform(&mut h, "Velocity shift");
    h.get_by_label("Frame").click();
    h.run_steps(2);
    h.get_by_label("Barycentric").click();
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("From the file: time from DATE_OBS + TIME_OBS, position from TCS_RA, site from TELESCOP → IRTF (Maunakea)")
            .is_some(),
        "the form says where each field came from"
    );
    // astropy's SkyCoord.radial_velocity_correction for this observation:
    // -9786.831985894074 m/s (tests/reference/rv_correction_astropy.json).
    assert!(
        h.query_by_label_contains("Correction: -9.7868 km/s (barycentric)")
            .is_some(),
        "the correction is shown before Apply"
    );
    h.get_by_label("Apply").click();
    run_while(&mut h, |a| a.session().records().is_empty());
    h.run_steps(2);
    let record = h
        .state()
        .session()
        .records()
        .last()
        .expect("a step")
        .clone();
    assert_eq!(record.kind, "velocity_shift");
    assert_eq!(record.params["correction"]["kind"], "barycentric");
    assert_eq!(
        record.params["correction"]["utc"],
        "2016-02-20T09:52:10.233131"
    );
    let v = record
        .rv_correction_m_per_s()
        .expect("the correction is recorded");
    assert!((v - -9786.831985894074).abs() < 0.05, "{v} m/s");
}

#[test]
fn a_recipe_opens_as_its_view_in_one_undoable_step() {
    let app = WorkbenchApp::empty(read_options());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    h.run_steps(2);
    let recipe =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dwarfs_calibrated.recipe.json");
    drop_file(&mut h, &recipe);
    h.run_steps(3);
    let session = h.state().session();
    assert_eq!(session.records().len(), 5, "the recipe's five steps");
    assert_eq!(
        session.view().display_unit,
        spectra_workbench::units::XUnit::Micrometer
    );
    assert_eq!(
        session.view().calibration_banner.len(),
        2,
        "the banner, as in the export"
    );
    let last = session.history().last().unwrap();
    assert_eq!(last.kind.as_str(), "rebuild");
    assert!(
        last.summary
            .contains("recipe dwarfs_calibrated.recipe.json"),
        "{}",
        last.summary
    );
    h.state_mut()
        .apply_command(spectra_workbench::session::Command::Undo);
    h.run_steps(2);
    assert!(h.state().session().datasets().is_empty());
    // A broken recipe is a notice naming the file; nothing changes.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.recipe.json");
    std::fs::write(&bad, "{\"inputs\": 3}").unwrap();
    drop_file(&mut h, &bad);
    h.run_steps(2);
    let notice = h.state().notices().last().expect("a notice").clone();
    assert!(
        notice.is_error && notice.text.contains("bad.recipe.json"),
        "{}",
        notice.text
    );
    assert!(h.state().session().datasets().is_empty());
}
