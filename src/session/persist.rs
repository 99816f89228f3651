//! Between the session and the Library store: a session's datasets as store items (with
//! their sources and derived-from links), and stored datasets back as session datasets.
//! Both frontends call this after the session has changed; the session itself never
//! touches the disk.

use std::sync::Arc;

use crate::ids::DatasetId;
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
