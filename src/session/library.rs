//! The Library: the session's datasets by Dataset ID, in the order they came, each with
//! its origin. This is the seam the content-addressed store fills: a dataset is known by
//! its ID, and its arrays are shared (`Arc`), never copied, by every undo state that
//! holds it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::DatasetId;
use crate::ingest::{self, FileRead, Warning};
use crate::spectrum::Spectrum;

/// Where a dataset came from. Files are remembered by path so a session can be restored;
/// exports use only the file name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceRef {
    /// A sample shipped in `assets/`, by file name.
    Bundled(String),
    /// A file on this machine.
    File(PathBuf),
    /// Made in this session by the transform with this Transform ID.
    Derived(String),
    /// Brought back from the Library store by its Dataset ID (`name`: what it is called
    /// there, for display).
    Stored { id: DatasetId, name: String },
}

impl SourceRef {
    /// The name shown to users and written to exports (never a full path).
    pub fn display_name(&self) -> String {
        match self {
            SourceRef::Bundled(name) => name.clone(),
            SourceRef::File(path) => ingest::display_name(path),
            SourceRef::Derived(id) => format!("derived ({})", &id[..12.min(id.len())]),
            SourceRef::Stored { name, .. } => name.clone(),
        }
    }
}

/// A loaded spectrum with its identity and origin.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub id: DatasetId,
    pub spectrum: Arc<Spectrum>,
    /// Format name as `inspect` reports it.
    pub format: String,
    pub source: SourceRef,
    /// Warnings from reading that concern this spectrum, in order.
    pub warnings: Vec<Warning>,
    /// sha256 of the original file's bytes (`None` for derived data).
    pub source_sha256: Option<String>,
}

impl Dataset {
    /// Records the sha256 of the bytes the dataset was read from.
    pub fn with_source_bytes(mut self, bytes: &[u8]) -> Self {
        self.source_sha256 = Some(crate::ids::sha256_hex(bytes));
        self
    }

    /// Wraps a spectrum, computing its ID.
    pub fn new(
        spectrum: Spectrum,
        format: &str,
        source: SourceRef,
        warnings: Vec<Warning>,
    ) -> Self {
        Self {
            id: spectrum.dataset_id(),
            spectrum: Arc::new(spectrum),
            format: format.to_string(),
            source,
            warnings,
            source_sha256: None,
        }
    }

    /// The datasets of a file that ingest has read (one per spectrum in it).
    pub fn from_file(read: FileRead) -> Vec<Dataset> {
        let FileRead {
            path,
            format,
            spectra,
            source_sha256,
        } = read;
        spectra
            .into_iter()
            .map(|(s, warnings)| {
                let mut d = Dataset::new(s, format, SourceRef::File(path.clone()), warnings);
                d.source_sha256 = source_sha256.clone();
                d
            })
            .collect()
    }
}

/// Reads a file into datasets (one per spectrum in the file): ingest reads, the Library
/// wraps. Used by both frontends, and by the GUI's background loader.
pub fn read_datasets(
    path: &std::path::Path,
    options: &ingest::ReadOptions,
) -> Result<Vec<Dataset>, ingest::IngestError> {
    ingest::read_spectra(path, options).map(Dataset::from_file)
}

/// The datasets of a session, in Library order. Cloning is cheap (one shared pointer):
/// undo states hold clones, and a change copies the list of entries (never their arrays)
/// only when an undo state still shares it.
#[derive(Clone, Debug, Default)]
pub struct Library {
    entries: Arc<Vec<Dataset>>,
}

impl Library {
    /// Datasets in Library order (order of loading).
    pub fn as_slice(&self) -> &[Dataset] {
        &self.entries
    }

    /// A dataset by ID.
    pub fn get(&self, id: &DatasetId) -> Option<&Dataset> {
        self.entries.iter().find(|d| &d.id == id)
    }

    /// Whether a dataset with this ID is in the Library.
    pub fn contains(&self, id: &DatasetId) -> bool {
        self.get(id).is_some()
    }

    /// Adds a dataset unless one with its ID is there; true when added.
    pub(crate) fn insert(&mut self, dataset: Dataset) -> bool {
        if self.contains(&dataset.id) {
            return false;
        }
        Arc::make_mut(&mut self.entries).push(dataset);
        true
    }

    /// Removes the dataset with this ID, if any.
    pub(crate) fn remove(&mut self, id: &DatasetId) {
        if self.contains(id) {
            Arc::make_mut(&mut self.entries).retain(|d| &d.id != id);
        }
    }

    /// Changes one dataset in place (copy-on-write of the entry list, not of arrays).
    pub(crate) fn update(&mut self, id: &DatasetId, change: impl FnOnce(&mut Dataset)) {
        if let Some(d) = Arc::make_mut(&mut self.entries)
            .iter_mut()
            .find(|d| &d.id == id)
        {
            change(d);
        }
    }

    /// Whether two libraries are the same list (shared), without comparing entries.
    pub(crate) fn same_as(&self, other: &Library) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
    }
}
