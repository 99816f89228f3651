//! The action table drives the app: every shortcut triggers its action, menus and toolbar
//! come from the table, the shortcut sheet equals it, the palette runs actions; and
//! export runs as a job while frames keep coming and clicks are handled, with a Cancel
//! that leaves nothing behind. Headless, with egui_kittest.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::Path;
use std::rc::Rc;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::gui::commands::{ACTIONS, Action, Place, shortcut_sheet, shortcuts_text};
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::session::{Command, Dataset, SourceRef};
use spectra_workbench::spectrum::Spectrum;

fn harness_with(app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // The app's fonts from the first frame, as the window has them.
        .with_context_setup(spectra_workbench::render::install_fonts)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.show(ui), app);
    h.run_steps(3);
    h
}

/// The app on its samples, exporting into `out`, with a file picker that only counts.
fn harness(out: &Path) -> (Harness<'static, WorkbenchApp>, Rc<Cell<usize>>) {
    let mut app = WorkbenchApp::new(None, Vec::new(), ReadOptions::default());
    app.set_export_dir(out.to_path_buf());
    let picked = Rc::new(Cell::new(0));
    let counter = picked.clone();
    app.set_file_picker(move || {
        counter.set(counter.get() + 1);
        Vec::new()
    });
    (harness_with(app), picked)
}

/// Labels of every button-like node on screen now.
fn button_labels(h: &Harness<'static, WorkbenchApp>) -> BTreeSet<String> {
    [Role::Button, Role::RadioButton, Role::CheckBox]
        .into_iter()
        .flat_map(|r| h.query_all_by_role(r).collect::<Vec<_>>())
        .filter_map(|n| n.accesskit_node().label())
        .collect()
}

#[test]
fn every_shortcut_in_the_sheet_triggers_its_action() {
    let mut checked = 0;
    for spec in ACTIONS {
        for key in spec.shortcuts {
            let out = tempfile::tempdir().unwrap();
            let (mut h, picked) = harness(out.path());
            if spec.action == Action::Redo {
                h.state_mut().apply_command(Command::Undo);
                h.run_steps(1);
            }
            let before = h.state().action_log().len();
            // A real keyboard on Linux sets Ctrl with the logical Command modifier.
            let mut modifiers = key.modifiers;
            modifiers.ctrl |= modifiers.command;
            h.key_press_modifiers(modifiers, key.logical_key);
            h.run_steps(3);
            let log = &h.state().action_log()[before..];
            assert_eq!(
                log,
                [spec.action],
                "{} ({}) ran {log:?}",
                spec.id,
                commands_text(key)
            );
            // And the action did what it says.
            match spec.action {
                Action::OpenFiles => assert_eq!(picked.get(), 1),
                Action::ExportView => assert!(h.state().last_export().is_some()),
                Action::Undo => assert_eq!(
                    h.state().session().history().last().unwrap().summary,
                    "undo"
                ),
                Action::Redo => assert_eq!(
                    h.state().session().history().last().unwrap().summary,
                    "redo"
                ),
                Action::CommandPalette => assert!(h.state().palette_open()),
                Action::UserGuide => assert!(h.query_by_label("User guide").is_some()),
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} shortcuts in the table");
}

fn commands_text(k: &egui::KeyboardShortcut) -> String {
    spectra_workbench::gui::commands::shortcut_text(k)
}

#[test]
fn every_menu_entry_comes_from_the_table() {
    let out = tempfile::tempdir().unwrap();
    let (mut h, _) = harness(out.path());
    let at_rest = button_labels(&h);
    for (place, title) in Place::MENUS {
        h.get_by_label(title).click();
        h.run_steps(2);
        let open = button_labels(&h);
        let entries: BTreeSet<String> = open.difference(&at_rest).cloned().collect();
        let table: BTreeSet<String> = ACTIONS
            .iter()
            .filter(|s| s.place == place)
            .map(|s| s.label.to_string())
            .collect();
        assert_eq!(entries, table, "the {title} menu");
        // Close it again.
        h.key_press(egui::Key::Escape);
        h.run_steps(2);
    }
}

#[test]
fn every_toolbar_button_is_a_table_row_and_the_toolbar_code_has_no_other() {
    let out = tempfile::tempdir().unwrap();
    let (h, _) = harness(out.path());
    for spec in ACTIONS.iter().filter(|s| s.place == Place::Toolbar) {
        assert!(h.query_by_label(spec.label).is_some(), "{}", spec.label);
    }
    // The toolbar and menus are drawn from the table: no button there has a label of its own.
    let code = include_str!("../src/gui/menus.rs");
    for pattern in ["Button::new(\"", ".button(\"", "toggle_value(&mut open, \""] {
        assert!(
            !code.contains(pattern),
            "src/gui/menus.rs draws a button not from the table: {pattern}"
        );
    }
}

#[test]
fn the_shortcut_sheet_equals_the_table() {
    let out = tempfile::tempdir().unwrap();
    let (mut h, _) = harness(out.path());
    h.get_by_label("Help").click();
    h.run_steps(2);
    h.get_by_label("Keyboard shortcuts").click();
    h.run_steps(3);
    assert_eq!(h.state().action_log().last(), Some(&Action::Shortcuts));
    assert_eq!(
        h.query_all_by_label("Keyboard shortcuts").count(),
        1,
        "the menu closed and the window opened"
    );
    // A label's text is its AccessKit value.
    let shown = h
        .query_all_by_label_contains("\tExport view")
        .filter_map(|n| n.accesskit_node().value())
        .next()
        .expect("the sheet is on screen");
    assert_eq!(shown, shortcut_sheet());
    let rows: Vec<(&str, &str)> = shown
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_once('\t').expect("keys<TAB>label"))
        .collect();
    let with_keys: Vec<_> = ACTIONS.iter().filter(|s| !s.shortcuts.is_empty()).collect();
    assert_eq!(rows.len(), with_keys.len());
    for ((keys, label), spec) in rows.iter().zip(with_keys) {
        assert_eq!((*keys, *label), (shortcuts_text(spec).as_str(), spec.label));
    }
    assert!(shown.contains("Ctrl+E\tExport view"), "Ctrl+E is listed");
}

/// Ctrl+Shift+P as a Linux keyboard sends it.
fn open_palette(h: &Harness<'static, WorkbenchApp>) {
    let modifiers = egui::Modifiers {
        ctrl: true,
        shift: true,
        command: true,
        ..egui::Modifiers::NONE
    };
    h.key_press_modifiers(modifiers, egui::Key::P);
}

#[test]
fn the_palette_filters_and_runs_an_action_with_enter() {
    let out = tempfile::tempdir().unwrap();
    let (mut h, _) = harness(out.path());
    open_palette(&h);
    h.run_steps(2);
    assert!(h.state().palette_open());
    assert!(h.query_by_label("Command palette").is_some());
    h.event(egui::Event::Text("dark th".into()));
    h.run_steps(2);
    // Only the matching row is offered, with the right label.
    assert!(h.query_by_label("Dark theme").is_some());
    assert!(
        h.query_by_label("Export view").is_some(),
        "toolbar button stays"
    );
    assert!(h.query_by_label("Light theme").is_none());
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(!h.state().palette_open());
    assert_eq!(
        h.state().session().view().theme,
        spectra_workbench::view::Theme::Dark
    );
    assert_eq!(
        h.state().action_log().last(),
        Some(&Action::Theme(spectra_workbench::view::Theme::Dark))
    );
    // Escape closes it without running anything.
    open_palette(&h);
    h.run_steps(2);
    let n = h.state().action_log().len();
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().palette_open());
    assert_eq!(h.state().action_log().len(), n);
}

/// An app holding three 1e6-point traces: large enough that export is a background job.
fn large_app(out: &Path) -> Harness<'static, WorkbenchApp> {
    let mut app = WorkbenchApp::empty(ReadOptions::default());
    app.set_export_dir(out.to_path_buf());
    let n = 1_000_000;
    let x: Vec<f64> = (0..n).map(|i| 500.0 + i as f64 * 1e-4).collect();
    let datasets = (0..3)
        .map(|k| {
            let y: Vec<f64> = (0..n).map(|i| ((i * (k + 1)) % 1000) as f64).collect();
            let s = Spectrum::new(format!("big {k}"), x.clone(), y, None).unwrap();
            Dataset::new(s, "csv", SourceRef::Bundled(format!("big{k}.csv")), vec![])
        })
        .collect();
    app.add_datasets(datasets);
    harness_with(app)
}

fn run_while(h: &mut Harness<'static, WorkbenchApp>, busy: impl Fn(&WorkbenchApp) -> bool) {
    for _ in 0..12_000 {
        if !busy(h.state()) {
            return;
        }
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn export_is_a_job_frames_keep_coming_and_a_click_is_handled_meanwhile() {
    let out = tempfile::tempdir().unwrap();
    let mut h = large_app(out.path());
    h.get_by_label("Export view").click();
    h.run_steps(1);
    assert!(
        h.state().exporting(),
        "3 × 1e6 points export in the background"
    );
    let jobs = h.state().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].label, "exporting");
    assert!(
        h.query_by_label("Cancel").is_some(),
        "the status bar offers Cancel"
    );
    // The window answers while the job runs: a click toggles the crosshair.
    let before = h.state().session().view().crosshair_visible;
    h.get_by_label("Crosshair").click();
    h.run_steps(2);
    assert!(h.state().exporting(), "the export was still running");
    assert_ne!(h.state().session().view().crosshair_visible, before);
    run_while(&mut h, WorkbenchApp::exporting);
    assert!(!h.state().exporting(), "export did not finish");
    let done = h.state().last_export().expect("exported").clone();
    assert_eq!(
        spectra_workbench::provenance::verify::verify_bundle(&done.dir).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn a_cancelled_export_leaves_nothing_behind() {
    let out = tempfile::tempdir().unwrap();
    let mut h = large_app(out.path());
    h.get_by_label("Export view").click();
    h.run_steps(1);
    assert!(h.state().exporting());
    h.get_by_label("Cancel").click();
    h.run_steps(1);
    run_while(&mut h, WorkbenchApp::exporting);
    assert!(!h.state().exporting());
    assert!(h.state().last_export().is_none());
    assert!(
        h.state()
            .notices()
            .iter()
            .any(|n| n.text == "export cancelled: nothing was written"),
        "{:?}",
        h.state().notices()
    );
    let left: Vec<_> = std::fs::read_dir(out.path())
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}
