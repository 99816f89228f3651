//! The History dock and the Knowledge-log beside the Library, headless with
//! egui_kittest on a real store in a temporary folder: the whole export → entry →
//! manifest → Rebuild current view → History round trip, History and notes across
//! restarts and outside edits, and the bad inputs (broken front matter, a link to an ID
//! the store no longer has, a 10 MB note, a manifest that fails verification) — each
//! said plainly, the rest usable, nothing overwritten.

mod kit;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::store::Store;
use spectra_workbench::store::history::EventFilter;

const WIDTH: f32 = 1400.0;

/// The app on the bundled samples, keeping them in the store at `root`.
fn samples_app(root: &Path) -> Harness<'static, WorkbenchApp> {
    kit::harness_with(WorkbenchApp::new_with_store(
        None,
        Vec::new(),
        ReadOptions::default(),
        Some(root.to_path_buf()),
    ))
}

/// A fresh session on the store at `root`: nothing loaded.
fn fresh_app(root: &Path) -> Harness<'static, WorkbenchApp> {
    kit::harness_with(WorkbenchApp::empty_with_store(
        ReadOptions::default(),
        root.to_path_buf(),
    ))
}

/// Which panel of the dock a widget is in: the Library (0, the left half), History (1,
/// the third quarter), Knowledge-log (2, the last quarter).
fn third_of(x: f64) -> usize {
    // The dock starts after the 260-point side panel; the Library takes its first half.
    let f = (x - 260.0) / f64::from(WIDTH - 260.0);
    match f {
        f if f < 0.5 => 0,
        f if f < 0.75 => 1,
        _ => 2,
    }
}

/// Clicks the widget labelled exactly `label` in the dock's `third` (see [`third_of`]).
fn click_in(h: &mut Harness<'static, WorkbenchApp>, label: &str, third: usize) {
    let mut nodes: Vec<_> = h
        .query_all_by_label(label)
        .filter(|n| {
            n.accesskit_node()
                .raw_bounds()
                .is_some_and(|b| third_of((b.x0 + b.x1) / 2.0) == third)
        })
        .collect();
    // The topmost: a panel's header link before the same link further down its text.
    nodes.sort_by(|a, b| {
        let y = |n: &egui_kittest::Node<'_>| n.accesskit_node().raw_bounds().map_or(0.0, |b| b.y0);
        y(a).total_cmp(&y(b))
    });
    assert!(
        !nodes.is_empty(),
        "no '{label}' in panel {third} (there are {})",
        h.query_all_by_label(label).count()
    );
    nodes[0].click();
    h.run_steps(3);
}

fn last_notice(h: &Harness<'static, WorkbenchApp>) -> String {
    h.state()
        .notices()
        .last()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// The offscreen render of the app's current view, as PNG bytes.
fn render_now(app: &WorkbenchApp) -> Vec<u8> {
    let session = app.session();
    let view = session.view().clone();
    let traces: BTreeMap<_, _> = session
        .datasets()
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                Arc::new(spectra_workbench::display::DisplayTrace::build(
                    d.spectrum.clone(),
                    view.smoothing,
                )),
            )
        })
        .collect();
    let (scene, unresolved) = spectra_workbench::render::scene_of(session, &view, &traces);
    assert!(unresolved.is_empty(), "every trace rebuilt: {unresolved:?}");
    spectra_workbench::render::offscreen::render_canvas(&view, &scene).to_png()
}

/// Loads the samples, applies two steps and exports: (bundle folder, MANIFEST_ID).
fn export_two_steps(
    h: &mut Harness<'static, WorkbenchApp>,
    out: &Path,
) -> (std::path::PathBuf, String) {
    kit::choose_transform(h, "Smooth (Savitzky–Golay)");
    h.get_by_label("Apply").click();
    kit::settle(h);
    // The dock is open now: pick the next transform in it.
    h.get_by_label("Transform").click();
    h.run_steps(2);
    h.get_by_label("Normalize").click();
    h.run_steps(2);
    h.get_by_label("Apply").click();
    kit::settle(h);
    assert_eq!(
        h.state().session().records().len(),
        2,
        "two steps applied: {:?}",
        h.state().calibration_error()
    );
    // Closed again (the toolbar's toggle, above the dock's own heading), so that a fresh
    // window lays out the same canvas.
    h.query_all_by_label("Calibration")
        .min_by(|a, b| {
            let y = |n: &egui_kittest::Node<'_>| n.accesskit_node().raw_bounds().unwrap().y0;
            y(a).total_cmp(&y(b))
        })
        .unwrap()
        .click();
    h.run_steps(3);
    h.state_mut().set_export_dir(out.to_path_buf());
    h.get_by_label("Export view").click();
    kit::settle(h);
    let done = h.state().last_export().expect("exported").clone();
    (done.dir.clone(), done.manifest_id.clone())
}

#[test]
fn export_entry_manifest_rebuild_and_history_link_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let out = dir.path().join("out");
    let mut h = samples_app(&root);
    let (bundle, mid) = export_two_steps(&mut h, &out);
    let short = &mid[..12];

    // A Knowledge-log entry with that MANIFEST_ID appears, in the seed's shape.
    let entry_id = format!("export-{short}");
    let rows = h.state().knowledge_view().rows().to_vec();
    assert!(
        rows.iter()
            .any(|r| r.id == entry_id && r.manifest_id.as_deref() == Some(&mid)),
        "the export's entry is listed: {rows:?}"
    );
    let text =
        std::fs::read_to_string(root.join("knowledge-log").join(format!("{entry_id}.md"))).unwrap();
    assert!(
        text.contains(&format!("Export bundle created — MANIFEST_ID={mid}")),
        "{text}"
    );
    for part in [
        "- Inputs: 3 datasets",
        "- Key Steps: smooth(",
        "normalize(",
        "- Outputs: ",
        "view.png",
        "schemas/provenance_schema.json@1.3.0",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    let row_label = format!("Export bundle created — MANIFEST_ID={short}");
    let row = h
        .query_all_by_role(Role::Button)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains(&row_label))
        })
        .expect("the entry's row in the Knowledge-log panel");
    row.click();
    kit::settle(&mut h);
    assert_eq!(
        h.state().knowledge_view().selected.as_deref(),
        Some(entry_id.as_str())
    );

    // Its manifest link opens the Library detail of that manifest.
    click_in(&mut h, &format!("manifest {short}"), 2);
    kit::settle(&mut h);
    assert_eq!(
        h.state().library_view().manifest.as_deref(),
        Some(mid.as_str())
    );
    let pane = h
        .state()
        .library_view()
        .manifest_pane()
        .expect("the manifest pane");
    assert_eq!(pane.verified, Ok(()));
    assert!(h.query_by_label("Rebuild current view").is_some());

    // Its event link opens the History row that wrote it, and the manifest pane leads
    // back to the entry.
    let export_seq = h
        .state()
        .session()
        .history()
        .iter()
        .find(|e| e.kind.as_str() == "export")
        .expect("an export event")
        .seq;
    click_in(&mut h, &format!("event {export_seq}"), 2);
    kit::settle(&mut h);
    let session_id = h.state().history_session_id().to_string();
    assert_eq!(
        h.state().history_view().focus,
        Some((session_id, export_seq))
    );
    h.state_mut().knowledge_view_mut().selected = None;
    h.get_by_label("Open knowledge-log entry").click();
    kit::settle(&mut h);
    assert_eq!(
        h.state().knowledge_view().selected.as_deref(),
        Some(entry_id.as_str())
    );

    // A History row of the export leads back to the Library record and to the entry.
    let export_row = h
        .state()
        .history_view()
        .listed()
        .into_iter()
        .find(|e| e.kind == "export")
        .expect("an export event in this session's History")
        .clone();
    assert_eq!(export_row.manifest_id.as_deref(), Some(mid.as_str()));
    assert_eq!(export_row.log_entry.as_deref(), Some(entry_id.as_str()));
    h.state_mut().library_view_mut().manifest = None;
    h.run_steps(2);
    click_in(&mut h, "manifest", 1);
    assert_eq!(
        h.state().library_view().manifest.as_deref(),
        Some(mid.as_str())
    );
    h.state_mut().knowledge_view_mut().selected = None;
    // The export's row is the only one with an entry link; its dataset link is beside it.
    let row_y = h
        .get_by_label("entry")
        .accesskit_node()
        .raw_bounds()
        .unwrap()
        .y0;
    click_in(&mut h, "entry", 1);
    kit::settle(&mut h);
    assert_eq!(
        h.state().knowledge_view().selected.as_deref(),
        Some(entry_id.as_str())
    );
    let last_dataset = export_row.dataset_ids.last().unwrap().clone();
    h.query_all_by_label("dataset")
        .find(|n| {
            n.accesskit_node()
                .raw_bounds()
                .is_some_and(|b| (b.y0 - row_y).abs() < 1.0)
        })
        .expect("the export row's dataset link")
        .click();
    h.run_steps(3);
    assert_eq!(
        h.state()
            .library_view()
            .selected
            .as_ref()
            .map(|d| d.to_string()),
        Some(last_dataset)
    );
    h.state_mut().save_history();
    drop(h);

    // Rebuild current view on a fresh session: the same view state, the same picture.
    let mut fresh = fresh_app(&root);
    assert!(fresh.state().session().datasets().is_empty());
    let row = fresh
        .query_all_by_role(Role::Button)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains(&row_label))
        })
        .expect("the entry is listed in a new session");
    row.click();
    kit::settle(&mut fresh);
    click_in(&mut fresh, &format!("manifest {short}"), 2);
    kit::settle(&mut fresh);
    fresh.get_by_label("Rebuild current view").click();
    kit::settle(&mut fresh);
    let manifest: spectra_workbench::provenance::manifest::Manifest =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert!(
        last_notice(&fresh).contains("rebuilt the view"),
        "{}",
        last_notice(&fresh)
    );
    assert_eq!(fresh.state().session().view(), &manifest.view_state);
    assert_eq!(fresh.state().session().records().len(), 2);
    assert!(
        render_now(fresh.state()) == std::fs::read(bundle.join("view.png")).unwrap(),
        "the rebuilt view renders byte for byte as the bundle's view.png"
    );
    // The rebuild is one undoable event, linked to its manifest.
    let last = fresh.state().session().history().last().unwrap().clone();
    assert_eq!(last.kind.as_str(), "rebuild");
    assert_eq!(last.manifest_id.as_deref(), Some(mid.as_str()));
    fresh
        .state_mut()
        .apply_command(spectra_workbench::session::Command::Undo);
    fresh.run_steps(3);
    assert!(fresh.state().session().datasets().is_empty());
}

#[test]
fn history_survives_a_restart_and_the_banner_opens_the_steps_that_set_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let mut h = samples_app(&root);
    kit::choose_transform(&mut h, "Smooth (Savitzky–Golay)");
    h.get_by_label("Apply").click();
    kit::settle(&mut h);
    let first_session = h.state().history_session_id().to_string();
    let events = h.state().session().history().len();
    assert!(events >= 3, "open, store, transform…");
    // Switching the list while rows are on screen (a crash once: the rows drawn in the
    // frame of the switch indexed the old list).
    h.get_by_label("Sessions").click();
    h.run_steps(2);
    h.get_by_label("all sessions").click();
    kit::settle(&mut h);
    // This session's events are listed once (from memory), not again from the store.
    let own = h
        .state()
        .history_view()
        .listed()
        .iter()
        .filter(|e| e.session_id == first_session)
        .count();
    assert_eq!(own, events);
    h.get_by_label("Sessions").click();
    h.run_steps(2);
    h.get_by_label("this session").click();
    kit::settle(&mut h);
    assert_eq!(h.state().history_view().listed().len(), events);
    h.state_mut().save_history();
    drop(h);

    let store = Store::open(&root).unwrap();
    let stored = store
        .events(
            &EventFilter {
                session_id: Some(first_session.clone()),
                ..EventFilter::default()
            },
            usize::MAX,
        )
        .unwrap();
    assert_eq!(stored.len(), events, "every event of the first run is kept");
    assert!(stored.iter().any(|e| e.kind == "transform"));
    assert!(stored.iter().any(|e| e.kind == "store"));
    drop(store);

    let mut h = fresh_app(&root);
    h.get_by_label("Sessions").click();
    h.run_steps(2);
    h.get_by_label("all sessions").click();
    kit::settle(&mut h);
    let listed = h.state().history_view().listed();
    assert!(
        listed
            .iter()
            .filter(|e| e.session_id == first_session)
            .count()
            == events,
        "the restarted app lists the first run's events"
    );
    drop(h);

    // The banner: a calibrated trace's line opens the History events that set it.
    let mut h = samples_app(&dir.path().join("store2"));
    kit::choose_transform(&mut h, "LSF convolution");
    h.get_by_label("Apply").click();
    kit::settle(&mut h);
    let banner = h
        .query_all_by_role(Role::Button)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Calibration: "))
        })
        .expect("a clickable banner line");
    banner.click();
    kit::settle(&mut h);
    let listed = h.state().history_view().listed();
    let kinds: Vec<String> = listed
        .iter()
        .map(|e| format!("{} {}", e.kind, e.summary))
        .collect();
    assert_eq!(listed.len(), 1, "the one step that set it: {kinds:?}");
    assert_eq!(listed[0].kind, "transform");
    assert!(
        listed[0].summary.contains("lsf_convolve"),
        "{}",
        listed[0].summary
    );
}

/// Writes a note through the editor: New note, text, Save.
fn write_note(h: &mut Harness<'static, WorkbenchApp>, text: &str) -> String {
    h.get_by_label("New note").click();
    h.run_steps(3);
    h.get_by_label("Note text (Markdown)").click();
    h.run_steps(1);
    h.get_by_label("Note text (Markdown)").type_text(text);
    h.run_steps(2);
    h.get_by_label("Save").click();
    kit::settle(h);
    h.state()
        .knowledge_view()
        .selected
        .clone()
        .expect("the saved note is shown")
}

#[test]
fn notes_survive_a_restart_and_an_outside_edit_and_an_outside_edit_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let mut h = samples_app(&root);
    let id = write_note(&mut h, "Decision: trust the red arm only");
    let path = root.join("knowledge-log").join(format!("{id}.md"));
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("Decision: trust the red arm only"),
        "{saved}"
    );
    assert!(saved.contains("kind: note"), "{saved}");
    assert!(
        saved.contains("datasets:\n  - "),
        "tied to the traces on screen: {saved}"
    );
    let note_event = h.state().session().history().last().unwrap().clone();
    assert_eq!(note_event.kind.as_str(), "note");
    assert_eq!(note_event.log_entry.as_deref(), Some(id.as_str()));
    drop(h);

    // Restart: the note is listed and reads the same.
    let mut h = fresh_app(&root);
    assert!(h.state().knowledge_view().rows().iter().any(|r| r.id == id));

    // Edited outside the app: a rescan shows the new text.
    std::fs::write(&path, format!("{saved}\nAdded in a text editor.\n")).unwrap();
    h.get_by_label("Rescan").click();
    kit::settle(&mut h);
    h.state_mut().knowledge_view_mut().select(&id);
    kit::settle(&mut h);
    assert!(
        h.query_by_label_contains("Added in a text editor.")
            .is_some(),
        "the outside edit is shown"
    );

    // Edited in the app while someone edits the file outside: the save is refused and
    // the outside text stays; the editor keeps what the user typed.
    h.get_by_label("Edit note").click();
    h.run_steps(3);
    std::fs::write(&path, format!("{saved}\nA second outside edit.\n")).unwrap();
    h.get_by_label("Note text (Markdown)").click();
    h.get_by_label("Note text (Markdown)").type_text(" more");
    h.run_steps(2);
    h.get_by_label("Save").click();
    kit::settle(&mut h);
    assert!(
        last_notice(&h).contains("changed outside the app"),
        "{}",
        last_notice(&h)
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("A second outside edit.")
    );
    assert!(
        h.state().knowledge_view().editor.is_some(),
        "the typed text is kept"
    );
}

#[test]
fn bad_log_files_and_a_manifest_that_fails_verification_are_said_and_the_rest_works() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let out = dir.path().join("out");
    let mut h = samples_app(&root);
    let (_bundle, mid) = export_two_steps(&mut h, &out);
    let good = write_note(&mut h, "A good note");
    let log = root.join("knowledge-log");

    // Broken front matter, a link to an ID the store does not have, a 10 MB note.
    let broken = "---\nid: broken-1\nkind: note\ntitle: \"unterminated\n---\nbody\n";
    std::fs::write(log.join("broken-1.md"), broken).unwrap();
    let ghost = "ab".repeat(32);
    std::fs::write(
        log.join("ghost-1.md"),
        format!("---\nid: ghost-1\nkind: note\ncreated: 2026-01-01T00:00:00+00:00\ncreated_ms: 1\ntitle: ghost\n---\nSee [this](dataset:{ghost}).\n"),
    )
    .unwrap();
    let huge: String = "x".repeat(10 * 1024 * 1024);
    std::fs::write(log.join("huge-1.md"), &huge).unwrap();
    h.get_by_label("Rescan").click();
    kit::settle(&mut h);
    let rows = h.state().knowledge_view().rows().to_vec();
    let find = |id: &str| {
        rows.iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} listed: {rows:?}"))
    };
    assert!(
        find("broken-1")
            .problem
            .as_deref()
            .unwrap()
            .contains("line 4"),
        "{:?}",
        find("broken-1")
    );
    assert!(
        find("huge-1")
            .problem
            .as_deref()
            .unwrap()
            .contains("larger than")
    );
    assert!(find(&good).problem.is_none());

    for (id, says) in [
        ("broken-1", "front matter, line 4"),
        ("huge-1", "larger than"),
        ("ghost-1", "no longer has"),
    ] {
        h.state_mut().knowledge_view_mut().select(id);
        kit::settle(&mut h);
        assert!(
            h.query_by_label_contains(says).is_some(),
            "{id}: '{says}' shown"
        );
    }
    // A click on the dead link says so.
    h.state_mut().knowledge_view_mut().select("ghost-1");
    kit::settle(&mut h);
    h.get_by_label("this").click();
    kit::settle(&mut h);
    assert!(
        last_notice(&h).contains("no longer in the Library store"),
        "{}",
        last_notice(&h)
    );
    // The rest of the log still works, and nothing was rewritten.
    h.state_mut().knowledge_view_mut().select(&good);
    kit::settle(&mut h);
    assert!(h.query_all_by_label_contains("A good note").count() >= 1);
    assert_eq!(
        std::fs::read_to_string(log.join("broken-1.md")).unwrap(),
        broken
    );
    assert_eq!(
        std::fs::read(log.join("huge-1.md")).unwrap().len(),
        huge.len()
    );

    // A manifest in the store that fails verification: said, and Rebuild is refused.
    let manifest_path = root.join("manifests").join(format!("{mid}.json"));
    let mut text = std::fs::read_to_string(&manifest_path).unwrap();
    text = text.replacen("\"seed\"", "\"seed_\"", 1);
    std::fs::write(&manifest_path, text).unwrap();
    h.state_mut()
        .follow_link(spectra_workbench::gui::links::Link::Manifest(mid.clone()));
    kit::settle(&mut h);
    let pane = h
        .state()
        .library_view()
        .manifest_pane()
        .expect("the manifest pane");
    let problem = pane.verified.clone().unwrap_err();
    assert!(problem.contains("fails verification"), "{problem}");
    assert!(h.query_by_label_contains("fails verification").is_some());
    assert!(
        h.get_by_label("Rebuild current view")
            .accesskit_node()
            .is_disabled()
    );
}
