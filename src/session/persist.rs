//! Between the session and the Library store: a session's datasets as store items (with
//! their sources and derived-from links), and stored datasets back as session datasets.
//! Both frontends call this after the session has changed; the session itself never
//! touches the disk.

use std::sync::Arc;

use crate::ids::DatasetId;
use crate::store::history::{SessionRow, StoredEvent};
use crate::store::{Derivation, Loaded, PutItem, PutOutcome, SourceInput, Store, StoreError};
use crate::transforms::registry::StepRecord;

use super::{Dataset, SourceRef};

/// The store item for one dataset; `records` are the session's step records (a derived
/// dataset's link comes from the record that made it).
pub fn put_item<'a>(d: &'a Dataset, records: &[StepRecord]) -> PutItem<'a> {
    let (source, derivation) = match &d.source {
        SourceRef::File(path) => (SourceInput::File(path), None),
        SourceRef::Bundled(_) | SourceRef::Stored { .. } => (
            d.source_sha256
                .as_deref()
                .map_or(SourceInput::None, SourceInput::Hash),
            None,
        ),
        SourceRef::Derived(transform_id) => {
            let record = records.iter().find(|r| &r.id == transform_id);
            (
                SourceInput::None,
                record.map(|r| Derivation {
                    parents: r.parent_ids.clone(),
                    transform_id: r.id.clone(),
                    kind: r.kind.clone(),
                }),
            )
        }
    };
    PutItem {
        spectrum: &d.spectrum,
        id: &d.id,
        format: &d.format,
        source_name: if matches!(d.source, SourceRef::Derived(_)) {
            ""
        } else {
            // Borrowed from the spectrum's name when the source has no better one.
            d.spectrum.name.as_str()
        },
        source,
        warnings: d.warnings.iter().map(ToString::to_string).collect(),
        derivation,
    }
}

/// Puts these datasets into the store as one change.
pub fn put_datasets(
    store: &mut Store,
    datasets: &[&Dataset],
    records: &[StepRecord],
    now_ms: i64,
) -> Result<Vec<PutOutcome>, StoreError> {
    let names: Vec<String> = datasets.iter().map(|d| d.source.display_name()).collect();
    let items: Vec<PutItem<'_>> = datasets
        .iter()
        .zip(&names)
        .map(|(d, name)| {
            let mut item = put_item(d, records);
            if !matches!(d.source, SourceRef::Derived(_)) {
                item.source_name = name;
            }
            item
        })
        .collect();
    store.put_batch(&items, None, now_ms)
}

/// A stored dataset as a session dataset. Its reading warnings stay in the store (the
/// Library's detail pane shows them); the session dataset starts without any.
pub fn dataset_from_store(loaded: Loaded) -> Dataset {
    let Loaded {
        spectrum,
        entry,
        source_sha256,
        ..
    } = loaded;
    Dataset {
        source: SourceRef::Stored {
            id: entry.id.clone(),
            name: entry.name,
        },
        id: entry.id,
        spectrum: Arc::new(spectrum),
        format: entry.format,
        warnings: Vec::new(),
        source_sha256,
    }
}

/// Loads datasets by ID from the store; each that cannot be loaded is reported with its
/// reason and the rest still load.
pub fn load_datasets(
    store: &Store,
    ids: &[DatasetId],
    now_ms: i64,
) -> (Vec<Dataset>, Vec<(DatasetId, StoreError)>) {
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for id in ids {
        match store.load(id, now_ms) {
            Ok(l) => loaded.push(dataset_from_store(l)),
            Err(e) => failed.push((id.clone(), e)),
        }
    }
    (loaded, failed)
}

/// A session's events as the store keeps them.
pub fn stored_event(session_id: &str, e: &super::HistoryEvent) -> StoredEvent {
    StoredEvent {
        session_id: session_id.to_string(),
        seq: e.seq,
        at_ms: e.at.map(|t| t.0 as i64),
        kind: e.kind.as_str().to_string(),
        summary: e.summary.clone(),
        undo_position: e.undo_position as u64,
        manifest_id: e.manifest_id.clone(),
        log_entry: e.log_entry.clone(),
        dataset_ids: e.dataset_ids.iter().map(|d| d.to_string()).collect(),
        transform_ids: e.transform_ids.clone(),
    }
}

/// The ID of a session started now by `frontend` (`gui`, `cli-export`…) in this process.
pub fn session_id(frontend: &str, started_ms: i64) -> String {
    format!(
        "{}-{started_ms}-{}",
        frontend.replace(' ', "-"),
        std::process::id()
    )
}

/// Writes a session's History to the store as it grows: new events, and the last one
/// again when a continuous edit folded into it.
#[derive(Clone, Debug)]
pub struct HistoryWriter {
    row: SessionRow,
    /// How many events are in the store, and the last one as written.
    written: usize,
    last: Option<super::HistoryEvent>,
}

impl HistoryWriter {
    /// A writer for a session started at `started_ms` by `frontend` (`gui`, `cli apply`…).
    pub fn new(frontend: &str, started_ms: i64) -> Self {
        Self {
            row: SessionRow {
                id: session_id(frontend, started_ms),
                frontend: frontend.to_string(),
                started_ms,
                events: 0,
            },
            written: 0,
            last: None,
        }
    }

    /// The session's ID in the store.
    pub fn session_id(&self) -> &str {
        &self.row.id
    }

    /// How many events the store has.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Whether some events are not in the store yet (or the last one changed since).
    pub fn is_behind(&self, events: &[super::HistoryEvent]) -> bool {
        events.len() != self.written
            || (self.written > 0 && self.last.as_ref() != events.get(self.written - 1))
    }

    /// Writes what the store does not have yet, as one change. Returns how many events
    /// were written.
    pub fn flush(
        &mut self,
        store: &mut Store,
        events: &[super::HistoryEvent],
    ) -> Result<usize, StoreError> {
        if !self.is_behind(events) {
            return Ok(0);
        }
        // Events are only appended, or the last one rewritten in place.
        let from = if self.written > 0 && self.last.as_ref() != events.get(self.written - 1) {
            self.written - 1
        } else {
            self.written
        }
        .min(events.len());
        let rows: Vec<StoredEvent> = events[from..]
            .iter()
            .map(|e| stored_event(&self.row.id, e))
            .collect();
        store.put_events(&self.row, &rows)?;
        self.written = events.len();
        self.last = events.last().cloned();
        Ok(rows.len())
    }
}
