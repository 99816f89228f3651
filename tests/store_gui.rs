//! The Library store panel, headless with egui_kittest, on a real store in a temporary
//! folder: what the app opens is kept; search filters; headers sort; Pin, Unpin and
//! Delete (refused while pinned); a derived trace comes back after a restart, and one
//! whose blob went bad says so in the Library while the rest restores; File ▸ Import
//! bundle… imports a verified bundle and refuses a hostile one with nothing imported.

mod kit;

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use spectra_workbench::gui::{PersistedState, WorkbenchApp};
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::store::{Query, SortKey, Store};

/// The app on the bundled samples (or `persisted`), keeping them in the store at `root`.
fn app(root: &Path, persisted: Option<PersistedState>) -> Harness<'static, WorkbenchApp> {
    kit::harness_with(WorkbenchApp::new_with_store(
        persisted,
        Vec::new(),
        ReadOptions::default(),
        Some(root.to_path_buf()),
    ))
}

/// The names of the Library rows on screen, top to bottom.
fn row_names(h: &Harness<'static, WorkbenchApp>, names: &[String]) -> Vec<String> {
    let mut rows: Vec<(f64, String)> = h
        .query_all_by_role(Role::Button)
        .filter_map(|n| {
            let label = n.accesskit_node().label()?;
            let name = names.iter().find(|m| label.ends_with(m.as_str()))?;
            let y = n.accesskit_node().raw_bounds()?.y0;
            Some((y, name.clone()))
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, n)| n).collect()
}

fn stored_names(root: &Path) -> Vec<String> {
    let store = Store::open(root).unwrap();
    let mut names: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    names
}

fn last_notice(h: &Harness<'static, WorkbenchApp>) -> String {
    h.state()
        .notices()
        .last()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn what_the_app_opens_is_kept_and_the_panel_searches_and_sorts() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), None);
    assert!(h.state().has_store());
    let names = stored_names(dir.path());
    assert_eq!(names.len(), 3, "the three samples are kept: {names:?}");
    assert_eq!(h.state().library_view().len(), Some(3));
    assert!(
        h.query_by_label("Library store").is_some(),
        "the panel is open"
    );

    // Sort by name, then reverse.
    h.get_by_label("Name").click();
    kit::settle(&mut h);
    assert_eq!(h.state().library_view().query.sort, SortKey::Name);
    assert_eq!(row_names(&h, &names), names);
    h.get_by_label_contains("Name ").click();
    kit::settle(&mut h);
    let mut reversed = names.clone();
    reversed.reverse();
    assert_eq!(row_names(&h, &names), reversed);

    // Search: one sample by part of its name, then nothing.
    let wanted = names[1].clone();
    let part = &wanted[..wanted.len().min(9)];
    assert!(
        names.iter().filter(|n| n.contains(part)).count() == 1,
        "{part} picks one of {names:?}"
    );
    h.get_by_label("Search the Library").click();
    h.run_steps(1);
    h.get_by_label("Search the Library").type_text(part);
    kit::settle(&mut h);
    assert_eq!(h.state().library_view().len(), Some(1));
    assert_eq!(row_names(&h, &names), [wanted]);
    h.get_by_label("Search the Library")
        .type_text("no-such-spectrum");
    kit::settle(&mut h);
    assert_eq!(h.state().library_view().len(), Some(0));
    assert!(
        h.query_by_label_contains("Nothing matches the search")
            .is_some()
    );
}

#[test]
fn pin_blocks_delete_until_unpinned() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), None);
    let names = stored_names(dir.path());
    let name = names[0].clone();
    // The side panel lists loaded traces by the same name: the Library row is lowest.
    h.query_all_by_label(&name)
        .max_by(|a, b| {
            let y = |n: &egui_kittest::Node<'_>| n.accesskit_node().raw_bounds().unwrap().y0;
            y(a).total_cmp(&y(b))
        })
        .unwrap()
        .click();
    kit::settle(&mut h);
    h.get_by_label("Pin").click();
    kit::settle(&mut h);
    let entry = |root: &Path| {
        Store::open(root)
            .unwrap()
            .list(&Query::default())
            .unwrap()
            .into_iter()
            .find(|e| e.name == name)
    };
    assert!(
        entry(dir.path()).unwrap().pinned,
        "Pin pins it in the store"
    );
    assert!(h.query_by_label("Unpin").is_some(), "the button now unpins");

    h.get_by_label("Delete").click();
    kit::settle(&mut h);
    let notice = last_notice(&h);
    assert!(
        h.state().notices().last().unwrap().is_error && notice.contains("pinned"),
        "{notice}"
    );
    assert!(
        entry(dir.path()).is_some(),
        "a pinned dataset is not deleted"
    );

    h.get_by_label("Unpin").click();
    kit::settle(&mut h);
    assert!(!entry(dir.path()).unwrap().pinned);
    h.get_by_label("Delete").click();
    kit::settle(&mut h);
    assert!(
        entry(dir.path()).is_none(),
        "unpinned, Delete removes it: {:?}",
        h.state().notices()
    );
    assert_eq!(h.state().library_view().len(), Some(2));
    // The trace on the canvas is untouched: deleting from the store loses no work, and
    // the app does not put it back behind the user's back.
    assert_eq!(h.state().session().datasets().len(), 3);
    h.run_steps(5);
    kit::settle(&mut h);
    assert!(entry(dir.path()).is_none());
}

/// Applies Savitzky–Golay smoothing to the first sample through the Calibration dock.
fn smooth_first(h: &mut Harness<'static, WorkbenchApp>) {
    kit::choose_transform(h, "Smooth (Savitzky–Golay)");
    h.get_by_label("Apply").click();
    kit::settle(h);
    assert_eq!(h.state().calibration_error(), None);
}

#[test]
fn a_derived_trace_comes_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), None);
    smooth_first(&mut h);
    let session = h.state().session();
    assert_eq!(session.datasets().len(), 4);
    let derived = session.datasets()[3].clone();
    let records = session.records().to_vec();
    let persisted = h.state().persisted();
    assert_eq!(persisted.derived.len(), 1);
    drop(h);

    // A restart: a new app, the same store, the persisted state.
    let persisted: PersistedState =
        serde_json::from_str(&serde_json::to_string(&persisted).unwrap()).unwrap();
    let h = app(dir.path(), Some(persisted));
    let session = h.state().session();
    assert_eq!(session.datasets().len(), 4, "{:?}", h.state().notices());
    let back = session
        .dataset(&derived.id)
        .expect("the derived trace is back");
    assert_eq!(back.spectrum.x_nm(), derived.spectrum.x_nm());
    assert_eq!(back.spectrum.y(), derived.spectrum.y());
    assert_eq!(session.records(), records.as_slice(), "with its step");
    assert!(
        session
            .view()
            .active_traces
            .iter()
            .any(|t| t.dataset_id == derived.id),
        "and on the canvas"
    );
    assert!(h.state().notices().iter().all(|n| !n.is_error));
}

#[test]
fn a_bad_blob_is_reported_in_the_library_and_the_rest_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), None);
    smooth_first(&mut h);
    let derived = h.state().session().datasets()[3].clone();
    let persisted = h.state().persisted();
    drop(h);
    let blob = Store::open(dir.path()).unwrap().blob_path(&derived.id);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&blob, bytes).unwrap();

    let h = app(dir.path(), Some(persisted));
    let session = h.state().session();
    assert_eq!(session.datasets().len(), 3, "the three inputs restore");
    assert!(session.dataset(&derived.id).is_none());
    let notice = h
        .state()
        .notices()
        .iter()
        .find(|n| n.is_error && n.text.contains("not restored"))
        .map(|n| n.text.clone());
    assert!(notice.is_some(), "{:?}", h.state().notices());
    // The Library row says so.
    assert!(
        h.query_by_label_contains("(quarantined)").is_some(),
        "the Library marks the entry"
    );
    let store = Store::open(dir.path()).unwrap();
    let entry = store.entry(&derived.id).unwrap().unwrap();
    assert_eq!(entry.status, "quarantined");
    assert!(!blob.exists(), "the bad blob left blobs/");
}

fn export_bundle(root: &Path, out: &Path) -> PathBuf {
    let mut app = WorkbenchApp::new_with_store(
        None,
        Vec::new(),
        ReadOptions::default(),
        Some(root.to_path_buf()),
    );
    app.set_export_dir(out.to_path_buf());
    let mut h = kit::harness_with(app);
    h.state_mut().export_view();
    kit::settle(&mut h);
    let done = h.state().last_export().expect("exported").dir.clone();
    // The export is recorded: its manifest is in the store, linked to what it used.
    let store = Store::open(root).unwrap();
    let any = store.list(&Query::default()).unwrap()[0].id.clone();
    let detail = store.detail(&any).unwrap();
    assert_eq!(detail.manifests.len(), 1, "the export's manifest is linked");
    done
}

#[test]
fn import_bundle_from_the_file_menu() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = export_bundle(&dir.path().join("first"), &dir.path().join("out"));

    // A second store, empty of user data but for its own samples, imports the bundle.
    let second = dir.path().join("second");
    let mut app = WorkbenchApp::new_with_store(
        None,
        Vec::new(),
        ReadOptions::default(),
        Some(second.clone()),
    );
    let picked = bundle.clone();
    app.set_bundle_picker(move || Some(picked.clone()));
    let mut h = kit::harness_with(app);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Import bundle…").click();
    kit::settle(&mut h);
    let notice = last_notice(&h);
    assert!(notice.contains("imported 3 spectra"), "{notice}");
    let store = Store::open(&second).unwrap();
    let entries = store.list(&Query::default()).unwrap();
    assert_eq!(entries.len(), 3, "the same samples, deduplicated by ID");
    assert!(
        entries
            .iter()
            .all(|e| store.detail(&e.id).unwrap().manifests.len() == 1),
        "each now links the imported manifest"
    );
}

#[test]
fn a_hostile_bundle_is_refused_from_the_file_menu_with_nothing_imported() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = export_bundle(&dir.path().join("first"), &dir.path().join("out"));
    std::os::unix::fs::symlink("/etc/passwd", bundle.join("spectra").join("escape.csv")).unwrap();
    let second = dir.path().join("second");
    let mut app =
        WorkbenchApp::new_with_store(None, vec![], ReadOptions::default(), Some(second.clone()));
    let picked = bundle.clone();
    app.set_bundle_picker(move || Some(picked.clone()));
    let mut h = kit::harness_with(app);
    let before = Store::open(&second).unwrap().index_json().unwrap();
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Import bundle…").click();
    kit::settle(&mut h);
    let notice = h.state().notices().last().unwrap().clone();
    assert!(notice.is_error, "{}", notice.text);
    assert!(notice.text.contains("symbolic link"), "{}", notice.text);
    assert!(notice.text.contains("nothing imported"), "{}", notice.text);
    let after = Store::open(&second).unwrap().index_json().unwrap();
    assert_eq!(before, after, "the store is unchanged");
}

#[test]
fn a_file_gone_since_the_last_session_comes_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let file = dir.path().join("dwarf.csv");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/samples/spex_T6_dwarf_11594.csv"
        ),
        &file,
    )
    .unwrap();
    let h = kit::harness_with(WorkbenchApp::new_with_store(
        None,
        vec![file.clone()],
        ReadOptions::default(),
        Some(root.clone()),
    ));
    let session = h.state().session();
    assert_eq!(session.datasets().len(), 1, "{:?}", h.state().notices());
    let id = session.datasets()[0].id.clone();
    let y = session.datasets()[0].spectrum.y().to_vec();
    let persisted = h.state().persisted();
    drop(h);
    std::fs::remove_file(&file).unwrap();

    let h = app(&root, Some(persisted));
    let session = h.state().session();
    let back = session.dataset(&id).expect("restored from the store");
    assert_eq!(back.spectrum.y(), y.as_slice());
    assert!(
        session
            .view()
            .active_traces
            .iter()
            .any(|t| t.dataset_id == id),
        "on the canvas"
    );
    let notice = last_notice(&h);
    assert!(
        notice.contains("the file is gone") && notice.contains("1 of its 1 spectrum"),
        "{notice}"
    );
}
