//! The app's side of the Library store: every dataset the session gains is put into the
//! store (inline when small, as a background job when large), the datasets on the canvas
//! are held so that no `gc` removes them, the Library panel's actions are carried out, and
//! a restart brings derived traces back from the store once their inputs are loaded.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::store_panel::LibraryAction;
use super::{BACKGROUND_STEP_POINTS, JobDone, WorkbenchApp, now};
use crate::ids::DatasetId;
use crate::session::persist;
use crate::session::{Command, Dataset, EventKind, SourceRef};
use crate::store::Store;
use crate::transforms::registry::StepRecord;

/// The open store and where it lives (jobs open their own connection to the same folder).
pub struct StoreLink {
    pub root: PathBuf,
    pub store: Store,
}

/// A derived trace to bring back after a restart: its ID, and the step records that made
/// it (what [`Command::AddDerived`] takes).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PersistedDerived {
    pub id: DatasetId,
    pub records: Vec<StepRecord>,
}

/// The step records that made a derived dataset: the record with its Transform ID and,
/// just before it, any record whose output is not in the Library (math_op's resampling
/// of B).
pub(super) fn records_for(
    transform_id: &str,
    records: &[StepRecord],
    in_library: impl Fn(&DatasetId) -> bool,
) -> Vec<StepRecord> {
    let Some(k) = records.iter().position(|r| r.id == transform_id) else {
        return Vec::new();
    };
    let mut start = k;
    while start > 0 && !in_library(&records[start - 1].output_id) {
        start -= 1;
    }
    records[start..=k].to_vec()
}

/// What a pin or unpin records: (kind, summary, datasets, manifest).
fn pin_event(
    pinned: bool,
    what: &str,
    ids: Vec<DatasetId>,
    manifest: Option<String>,
) -> (EventKind, String, Vec<DatasetId>, Option<String>) {
    let kind = if pinned {
        EventKind::Pin
    } else {
        EventKind::Unpin
    };
    (kind, format!("{} {what}", kind.as_str()), ids, manifest)
}

pub(super) fn now_ms() -> i64 {
    now().0 as i64
}

impl WorkbenchApp {
    /// Attaches the store at `root` (opening it; an error is a notice and the app runs
    /// without a store).
    pub(super) fn attach_store(&mut self, root: PathBuf) {
        match Store::open(&root) {
            Ok(store) => {
                self.store = Some(StoreLink { root, store });
                self.library_view.invalidate();
            }
            Err(e) => self.notify_error(format!("Library store unavailable: {e}")),
        }
    }

    /// Whether a store is attached.
    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// Whether the Library panel is still fetching its list or a store write is running
    /// (tests wait on it).
    pub fn library_busy(&self) -> bool {
        self.library_view.loading || self.store_job.is_some() || !self.restore_derived.is_empty()
    }

    /// The Library panel's state (tests and benchmarks read it).
    pub fn library_view(&self) -> &super::store_panel::LibraryView {
        &self.library_view
    }

    /// The Library panel's state, to change (benchmarks type into its search this way).
    pub fn library_view_mut(&mut self) -> &mut super::store_panel::LibraryView {
        &mut self.library_view
    }

    /// Puts datasets the store has not seen from this session, then holds what is on the
    /// canvas. Called once a frame.
    pub(super) fn persist_new(&mut self) {
        let Some(link) = &mut self.store else { return };
        if self.store_job.is_some() {
            return;
        }
        let fresh: Vec<Dataset> = self
            .session
            .datasets()
            .iter()
            .filter(|d| !self.stored.contains(&d.id))
            .cloned()
            .collect();
        if fresh.is_empty() {
            return;
        }
        self.stored.extend(fresh.iter().map(|d| d.id.clone()));
        let records = self.session.records().to_vec();
        let held: Vec<DatasetId> = self
            .session
            .datasets()
            .iter()
            .map(|d| d.id.clone())
            .collect();
        let points: usize = fresh.iter().map(|d| d.spectrum.len()).sum();
        self.storing = fresh.iter().map(|d| d.id.clone()).collect();
        if points <= BACKGROUND_STEP_POINTS {
            let refs: Vec<&Dataset> = fresh.iter().collect();
            let result = persist::put_datasets(&mut link.store, &refs, &records, now_ms())
                .and_then(|_| link.store.hold(&held, now_ms()));
            self.finish_store(result.map_err(|e| e.to_string()));
        } else {
            let root = link.root.clone();
            let id = self.jobs.spawn("keeping in the Library", move |ctx| {
                ctx.progress(0.0, "writing to the Library store");
                let result = Store::open(&root).and_then(|mut store| {
                    let refs: Vec<&Dataset> = fresh.iter().collect();
                    persist::put_datasets(&mut store, &refs, &records, now_ms())?;
                    store.hold(&held, now_ms())
                });
                JobDone::Stored(result.map_err(|e| e.to_string()))
            });
            self.store_job = Some(id);
        }
    }

    /// A store write finished.
    pub(super) fn finish_store(&mut self, result: Result<(), String>) {
        self.store_job = None;
        let ids = std::mem::take(&mut self.storing);
        match result {
            Err(e) => {
                self.notify_error(format!("Library store: {e} (the data stays on the canvas)"))
            }
            Ok(()) if !ids.is_empty() => {
                let n = ids.len();
                self.record(
                    EventKind::Store,
                    format!(
                        "stored {n} dataset{} in the Library",
                        if n == 1 { "" } else { "s" }
                    ),
                    ids,
                    None,
                    None,
                );
            }
            Ok(()) => {}
        }
        self.library_view.invalidate();
    }

    /// Starts the Library list fetch when one is due.
    pub(super) fn fetch_library(&mut self) {
        let Some(link) = &self.store else { return };
        let Some(query) = self.library_view.fetch_due() else {
            return;
        };
        let root = link.root.clone();
        self.library_job = Some(self.jobs.spawn("reading the Library", move |_| {
            let rows = Store::open(&root)
                .and_then(|s| s.rowids(&query))
                .map_err(|e| e.to_string());
            JobDone::LibraryRows(query, rows)
        }));
    }

    /// The Library list arrived.
    pub(super) fn finish_library(
        &mut self,
        query: crate::store::Query,
        rows: Result<Vec<i64>, String>,
    ) {
        self.library_job = None;
        match rows {
            Ok(rows) => self.library_view.fetched(query, rows),
            Err(e) => {
                self.library_view.fetch_failed();
                self.notify_error(format!("Library store: {e}"));
            }
        }
    }

    /// Loads a stored dataset onto the canvas (or shows it, when it is already loaded).
    pub fn show_stored(&mut self, id: &DatasetId) {
        if self.session.dataset(id).is_some() {
            self.apply(Command::SetTraceVisible {
                id: id.clone(),
                visible: true,
            });
            return;
        }
        let Some(link) = &self.store else {
            self.notify_error(format!("{}: no Library store to load it from", id.short()));
            return;
        };
        match link.store.load(id, now_ms()) {
            Ok(loaded) => {
                let d = persist::dataset_from_store(loaded);
                self.stored.insert(d.id.clone());
                self.add_datasets(vec![d]);
            }
            Err(e) => {
                self.notify_error(format!("Library: {e}"));
                self.library_view.invalidate();
            }
        }
    }

    /// A file open at the last session is gone: its spectra come back from the store
    /// (by the IDs it gave then), and a notice says so. With no IDs known, the file is
    /// opened as usual so that its error is reported.
    pub(super) fn restore_gone_file(
        &mut self,
        path: &std::path::Path,
        file_datasets: &[(PathBuf, Vec<DatasetId>)],
    ) {
        let Some((_, ids)) = file_datasets.iter().find(|(p, _)| p == path) else {
            self.open_file(path);
            return;
        };
        let before = self.session.datasets().len();
        for id in ids {
            self.show_stored(id);
        }
        let back = self.session.datasets().len() - before;
        self.notify(format!(
            "{}: the file is gone; {back} of its {} spectr{} restored from the Library store",
            path.display(),
            ids.len(),
            if ids.len() == 1 { "um" } else { "a" }
        ));
    }

    /// Carries out what the Library panel asked for.
    pub(super) fn library_action(&mut self, action: LibraryAction, ctx: &egui::Context) {
        if self.store.is_none() {
            return;
        }
        let mut event = None;
        let result = match action {
            LibraryAction::Show(id) => {
                self.show_stored(&id);
                Ok(())
            }
            LibraryAction::Pin(id, pinned) => {
                let summary = format!("dataset {}", id.short());
                let target = crate::store::Resolved::Dataset(id.clone());
                let link = self.store.as_mut().expect("checked");
                let r = link.store.set_pinned(&target, pinned);
                event = Some(pin_event(pinned, &summary, vec![id], None));
                r
            }
            LibraryAction::PinManifest(mid, pinned) => {
                let summary = format!("manifest {}", crate::ids::short_hex(&mid));
                let target = crate::store::Resolved::Manifest(mid.clone());
                let link = self.store.as_mut().expect("checked");
                let r = link.store.set_pinned(&target, pinned);
                event = Some(pin_event(pinned, &summary, Vec::new(), Some(mid)));
                r
            }
            // A trace on the canvas stays there, and stays out of the store for the rest
            // of this session (it is not put back behind the user's back).
            LibraryAction::Delete(id) => {
                let link = self.store.as_mut().expect("checked");
                let name = link
                    .store
                    .entry(&id)
                    .ok()
                    .flatten()
                    .map(|e| e.name)
                    .unwrap_or_default();
                let r = link.store.remove(&id).map(|()| {
                    self.library_view.selected = None;
                });
                event = Some((
                    EventKind::Delete,
                    format!("deleted {name} ({}) from the store", id.short()),
                    vec![id],
                    None,
                ));
                r
            }
            LibraryAction::CopyId(id) => {
                ctx.copy_text(id.to_string());
                Ok(())
            }
            LibraryAction::OpenManifestFile(mid) => {
                let link = self.store.as_ref().expect("checked");
                let path = link.store.manifest_path(&mid);
                super::open_in_file_manager(&path);
                self.notify(format!("Manifest {}", path.display()));
                Ok(())
            }
            LibraryAction::Follow(l) => {
                self.follow(l);
                Ok(())
            }
            LibraryAction::Rebuild(mid) => {
                self.rebuild(mid);
                Ok(())
            }
        };
        match result {
            Err(e) => self.notify_error(format!("Library: {e}")),
            Ok(()) => {
                if let Some((kind, summary, ids, manifest)) = event {
                    self.record(kind, summary, ids, manifest, None);
                }
            }
        }
        self.library_view.invalidate();
    }

    /// Keeps an export's manifest in the store, linked to the datasets it used, writes
    /// its Knowledge-log entry and records the export in the History.
    pub(super) fn record_export(&mut self, done: &crate::provenance::bundle::Exported) {
        let Some(link) = &mut self.store else { return };
        let now = now_ms();
        if let Err(e) = crate::provenance::archive::record_export(
            &mut link.store,
            &self.session,
            &done.dir,
            &done.manifest_id,
            now,
        ) {
            self.notify_error(format!(
                "Library store: the export was written but not recorded: {e}"
            ));
            self.library_view.invalidate();
            return;
        }
        let origin = crate::provenance::knowledge::Origin {
            session_id: self.history_writer.session_id().to_string(),
            event_seq: self.session.history().len() as u64 + 1,
        };
        let entry = crate::provenance::archive::read_manifest(&done.dir)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                crate::provenance::knowledge::write_export_entry(
                    &mut link.store,
                    &m,
                    &done.manifest_id,
                    "Export view: what was on screen, from the GUI",
                    &origin,
                    now,
                )
                .map_err(|e| e.to_string())
            });
        let entry = match entry {
            Ok(id) => Some(id),
            Err(e) => {
                self.notify_error(format!(
                    "Knowledge-log: the export's entry was not written: {e}"
                ));
                None
            }
        };
        let ids: Vec<DatasetId> = self
            .session
            .view()
            .active_traces
            .iter()
            .map(|t| t.dataset_id.clone())
            .collect();
        self.record(
            EventKind::Export,
            format!(
                "exported bundle {}",
                crate::ids::short_hex(&done.manifest_id)
            ),
            ids,
            Some(done.manifest_id.clone()),
            entry,
        );
        self.library_view.invalidate();
        self.knowledge_view.invalidate();
    }

    /// Imports the bundle folder `dir` into the store as a background job (it verifies
    /// every file first).
    pub fn import_bundle(&mut self, dir: PathBuf) {
        let Some(link) = &self.store else {
            self.notify_error(format!(
                "{}: no Library store to import into",
                dir.display()
            ));
            return;
        };
        let root = link.root.clone();
        self.store_job = Some(self.jobs.spawn("importing a bundle", move |ctx| {
            ctx.progress(0.0, "verifying the bundle");
            let result = Store::open(&root)
                .map_err(|e| e.to_string())
                .and_then(|mut store| {
                    crate::provenance::archive::import_bundle(&mut store, &dir, now_ms())
                        .map_err(|e| e.to_string())
                });
            JobDone::Imported(dir, result)
        }));
    }

    /// A bundle import finished: say what came in (or why nothing did).
    pub(super) fn finish_import(
        &mut self,
        dir: &std::path::Path,
        result: Result<crate::provenance::archive::ImportReport, String>,
    ) {
        self.store_job = None;
        match result {
            Ok(report) => {
                let n = report.datasets.len();
                self.notify(format!(
                    "{}: imported {n} spectr{} ({} new to the Library), manifest {}",
                    dir.display(),
                    if n == 1 { "um" } else { "a" },
                    report.added,
                    report.manifest_id
                ));
                self.library_open = true;
                self.record(
                    EventKind::Import,
                    format!(
                        "imported bundle {} ({n} datasets, {} new)",
                        crate::ids::short_hex(&report.manifest_id),
                        report.added
                    ),
                    report.datasets.iter().map(|d| d.id.clone()).collect(),
                    Some(report.manifest_id.clone()),
                    None,
                );
            }
            Err(e) => self.notify_error(format!("{}: {e}; nothing imported", dir.display())),
        }
        self.library_view.invalidate();
    }

    /// The derived traces to keep across a restart.
    pub(super) fn persisted_derived(&self) -> Vec<PersistedDerived> {
        if self.store.is_none() {
            return Vec::new();
        }
        let records = self.session.records();
        self.session
            .datasets()
            .iter()
            .filter_map(|d| match &d.source {
                SourceRef::Derived(tid) => {
                    let records =
                        records_for(tid, records, |id| self.session.dataset(id).is_some());
                    (!records.is_empty()).then(|| PersistedDerived {
                        id: d.id.clone(),
                        records,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Brings back derived traces whose inputs are loaded; once nothing is loading, the
    /// ones that cannot come back are reported and dropped.
    pub(super) fn restore_derived_traces(&mut self) {
        if self.restore_derived.is_empty() {
            return;
        }
        let loading = !self.pending.is_empty();
        let mut waiting = Vec::new();
        for item in std::mem::take(&mut self.restore_derived) {
            let parents_in = item
                .records
                .iter()
                .flat_map(|r| r.parent_ids.iter())
                .filter(|p| !item.records.iter().any(|r| &r.output_id == *p))
                .all(|p| self.session.dataset(p).is_some());
            if !parents_in {
                if loading {
                    waiting.push(item);
                } else {
                    self.notify_error(format!(
                        "derived trace {} not restored: its inputs did not load",
                        item.id.short()
                    ));
                }
                continue;
            }
            let Some(link) = &self.store else {
                break;
            };
            match link.store.load(&item.id, now_ms()) {
                Ok(loaded) => {
                    let mut d = persist::dataset_from_store(loaded);
                    let last = item.records.last().expect("records are non-empty");
                    d.source = SourceRef::Derived(last.id.clone());
                    d.format = "derived".into();
                    self.stored.insert(d.id.clone());
                    self.apply(Command::AddDerived {
                        dataset: d,
                        records: item.records,
                        replace: None,
                    });
                }
                Err(e) => {
                    self.notify_error(format!("derived trace not restored: {e}"));
                    self.library_view.invalidate();
                }
            }
        }
        self.restore_derived = waiting;
    }
}
