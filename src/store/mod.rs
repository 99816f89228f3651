//! The Library store: the only code that persists the user's datasets. A folder holding
//! `index.sqlite` (the index, SQLite in WAL mode), `blobs/` (each dataset's canonical
//! encoding under its Dataset ID), `sources/` (original file bytes under their sha256),
//! `manifests/` (export manifests under their MANIFEST_ID), and the working folders
//! `tmp/`, `trash/` and `quarantine/`. The layout is specified in `docs/specs/store.md`.
//!
//! Rooms: `blob.rs` (encoding, atomic blob writes, verified reads), `schema.rs` (the SQL
//! tables), `retention.rs` (pins, LRU and age limits: what `gc` removes and why),
//! `check.rs` (`store verify`), `paths.rs` (the safety rules for bundle files before an
//! import). Times come in as values (`now_ms`); nothing here reads the wall clock.
//!
//! Crash safety: a blob is complete on disk (fsynced, renamed, directory fsynced) before
//! the index row that names it is committed; a row is removed in the same write
//! transaction that moves its blob to `trash/`. So a crash leaves the old state or the
//! new, plus at most a temporary file, an unindexed blob or a trashed blob that the next
//! open or `gc` clears.

pub mod blob;
pub mod check;
pub mod history;
pub mod knowledge;
pub mod paths;
pub mod retention;
pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde::Serialize;

use crate::ids::DatasetId;
use crate::spectrum::{Medium, Spectrum};

pub use self::blob::BlobError;
pub use self::check::VerifyReport;
pub use self::retention::{GcItem, GcPlan, GcReason, Retention};

/// The environment variable that names the store folder (below `--store`, above the
/// platform default).
pub const STORE_ENV: &str = "SPECTRA_WORKBENCH_STORE";

/// How long a writer waits for another process's write transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An ID prefix must have at least this many hex digits.
pub const MIN_PREFIX: usize = 8;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: index: {source}")]
    Index {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Blob(#[from] BlobError),
    #[error("{path}: store layout version {found}; this build reads version {supported}")]
    Version {
        path: PathBuf,
        found: String,
        supported: i64,
    },
    #[error("no platform data folder; give --store DIR or set {STORE_ENV}")]
    NoRoot,
    #[error("'{0}': an ID or ID prefix is at least {MIN_PREFIX} hex digits")]
    BadPrefix(String),
    #[error("no dataset or manifest in the store matches '{0}'")]
    NotFound(String),
    #[error("'{prefix}' matches {count} entries; give more digits")]
    Ambiguous { prefix: String, count: usize },
    #[error("{0} is pinned; unpin it first")]
    Pinned(String),
    #[error("{id}: its blob does not match its ID; moved to {quarantined}")]
    Quarantined { id: String, quarantined: PathBuf },
    #[error("{id}: its blob was quarantined earlier (open the file again to restore it)")]
    WasQuarantined { id: String },
    #[error("{id}: its blob is missing from {path}")]
    Missing { id: String, path: PathBuf },
}

/// One dataset's row in the index.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// SQLite's row number: what the Library panel pages by.
    #[serde(skip)]
    pub rowid: i64,
    pub id: DatasetId,
    /// The first name it was seen under (all names: [`Detail::names`]).
    pub name: String,
    /// The OBJECT (or OBJNAME) metadata value, or empty.
    pub object: String,
    pub instrument: String,
    pub y_unit: String,
    pub medium: String,
    pub format: String,
    pub x_min_nm: f64,
    pub x_max_nm: f64,
    pub n_points: u64,
    pub has_sigma: bool,
    pub n_masked: u64,
    /// Bytes of the blob.
    pub size_bytes: u64,
    /// Unix milliseconds.
    pub first_seen_ms: i64,
    /// Unix milliseconds; updated each time the same arrays are opened or made again.
    pub last_seen_ms: i64,
    pub pinned: bool,
    /// `ok`, `quarantined` (its blob did not match its ID) or `missing`.
    pub status: String,
}

const ENTRY_COLUMNS: &str = "rowid, id, name, object, instrument, y_unit, medium, format, \
    x_min_nm, x_max_nm, n_points, has_sigma, n_masked, size_bytes, first_seen_ms, \
    last_seen_ms, pinned, status";

fn entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let id: String = row.get(1)?;
    Ok(Entry {
        rowid: row.get(0)?,
        id: crate::ids::parse_dataset_id(&id).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("'{id}' is not a Dataset ID").into(),
            )
        })?,
        name: row.get(2)?,
        object: row.get(3)?,
        instrument: row.get(4)?,
        y_unit: row.get(5)?,
        medium: row.get(6)?,
        format: row.get(7)?,
        x_min_nm: row.get(8)?,
        x_max_nm: row.get(9)?,
        n_points: row.get::<_, i64>(10)? as u64,
        has_sigma: row.get(11)?,
        n_masked: row.get::<_, i64>(12)? as u64,
        size_bytes: row.get::<_, i64>(13)? as u64,
        first_seen_ms: row.get(14)?,
        last_seen_ms: row.get(15)?,
        pinned: row.get(16)?,
        status: row.get(17)?,
    })
}

/// Where a dataset's original bytes come from, when they are to be kept.
#[derive(Clone, Copy, Debug)]
pub enum SourceInput<'a> {
    /// Nothing to keep (derived data).
    None,
    /// A file to copy into `sources/`.
    File(&'a Path),
    /// Bytes in memory (a bundle's file).
    Bytes(&'a [u8]),
    /// Only the hash is known (the bytes are elsewhere, e.g. an export's original input).
    Hash(&'a str),
}

/// How a derived dataset was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    /// Parents in the step's order.
    pub parents: Vec<DatasetId>,
    pub transform_id: String,
    pub kind: String,
}

/// One dataset to put into the store.
#[derive(Clone, Debug)]
pub struct PutItem<'a> {
    pub spectrum: &'a Spectrum,
    /// The spectrum's Dataset ID (computed by the caller, who already has it).
    pub id: &'a DatasetId,
    /// Format name as `inspect` reports it (`derived` for made data).
    pub format: &'a str,
    /// The name to add to the dataset's names (a file name, never a path).
    pub source_name: &'a str,
    pub source: SourceInput<'a>,
    pub warnings: Vec<String>,
    pub derivation: Option<Derivation>,
}

/// An export manifest to keep, with the datasets it used.
#[derive(Clone, Debug)]
pub struct ManifestPut<'a> {
    pub manifest_id: &'a str,
    /// The manifest file's bytes, kept as `manifests/<ID>.json`.
    pub bytes: &'a [u8],
    pub created_at: &'a str,
    /// One line per citation, as the bundle's citation text gives them.
    pub citations: Vec<String>,
    /// (dataset, role): `input` or `derived`.
    pub datasets: Vec<(DatasetId, &'static str)>,
}

/// What one put did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PutOutcome {
    /// A new entry.
    Added,
    /// The same arrays were there: last-seen time updated, the name added.
    Deduplicated,
}

/// An ID given on the command line, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Dataset(DatasetId),
    Manifest(String),
}

/// The columns the Library sorts by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    Name,
    Object,
    Instrument,
    XRange,
    Points,
    Sigma,
    Size,
    #[default]
    LastSeen,
    Pinned,
}

impl SortKey {
    /// Every key, in the Library's column order.
    pub const ALL: [SortKey; 9] = [
        SortKey::Name,
        SortKey::Object,
        SortKey::Instrument,
        SortKey::XRange,
        SortKey::Points,
        SortKey::Sigma,
        SortKey::Size,
        SortKey::LastSeen,
        SortKey::Pinned,
    ];

    fn column(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Object => "object",
            SortKey::Instrument => "instrument",
            SortKey::XRange => "x_min_nm",
            SortKey::Points => "n_points",
            SortKey::Sigma => "has_sigma",
            SortKey::Size => "size_bytes",
            SortKey::LastSeen => "last_seen_ms",
            SortKey::Pinned => "pinned",
        }
    }

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "Name",
            SortKey::Object => "Object",
            SortKey::Instrument => "Instrument",
            SortKey::XRange => "x range (nm)",
            SortKey::Points => "Points",
            SortKey::Sigma => "σ",
            SortKey::Size => "Size",
            SortKey::LastSeen => "Last seen",
            SortKey::Pinned => "Pinned",
        }
    }
}

/// A Library query: a search text (matched, case-insensitively, against names, object,
/// instrument, the ID and metadata values) and an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Query {
    pub text: String,
    pub sort: SortKey,
    pub descending: bool,
}

impl Default for Query {
    /// Everything, most recently seen first.
    fn default() -> Self {
        Self {
            text: String::new(),
            sort: SortKey::LastSeen,
            descending: true,
        }
    }
}

impl Query {
    /// The WHERE clause and its arguments (none without a search text).
    fn where_clause(&self) -> (&'static str, Vec<String>) {
        let needle = self.text.trim().to_lowercase();
        if needle.is_empty() {
            ("", Vec::new())
        } else {
            (" WHERE instr(search, ?1) > 0", vec![needle])
        }
    }

    fn order_clause(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        // rowid breaks ties so that the order is total and stable between frames.
        format!(" ORDER BY {} {dir}, rowid {dir}", self.sort.column())
    }
}

/// Everything the detail pane and `store show` print about one dataset.
#[derive(Clone, Debug, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub entry: Entry,
    pub names: Vec<String>,
    pub metadata: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// (name, sha256, whether the bytes are in `sources/`).
    pub sources: Vec<SourceLink>,
    /// Datasets this one was made from, with the step.
    pub parents: Vec<Link>,
    /// Datasets made from this one.
    pub children: Vec<Link>,
    /// Manifests that used this dataset, with its role there.
    pub manifests: Vec<ManifestLink>,
}

/// A source file of a dataset.
#[derive(Clone, Debug, Serialize)]
pub struct SourceLink {
    pub name: String,
    pub sha256: String,
    pub present: bool,
}

/// A derived-from link.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub dataset_id: String,
    pub transform_id: String,
    pub kind: String,
}

/// A manifest that used a dataset.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestLink {
    pub manifest_id: String,
    pub role: String,
    pub created_at: String,
    pub pinned: bool,
}

/// A manifest's row and the datasets it names.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestInfo {
    pub id: String,
    pub created_at: String,
    /// When the store got it, ms since the Unix epoch.
    pub stored_ms: i64,
    pub pinned: bool,
    /// (Dataset ID, role `input`/`derived`, name; empty when the store no longer has it).
    pub datasets: Vec<(String, String, String)>,
}

/// A spectrum read back from the store, with its row.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub spectrum: Spectrum,
    pub entry: Entry,
    pub warnings: Vec<String>,
    /// The sha256 of the first source file it was read from, when known.
    pub source_sha256: Option<String>,
}

/// The index's errors, naming the index file.
fn index_error(index: &Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| StoreError::Index {
        path: index.to_path_buf(),
        source,
    }
}

/// Begins a write: `BEGIN IMMEDIATE`, so one writer at a time across processes (the
/// others wait up to the busy timeout).
fn begin_write<'c>(
    conn: &'c mut Connection,
    index: &Path,
) -> Result<rusqlite::Transaction<'c>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(index_error(index))
}

/// An open store.
pub struct Store {
    root: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

/// The store folder: `--store DIR`, else `SPECTRA_WORKBENCH_STORE`, else the platform
/// data folder's `spectra-workbench/store`.
pub fn resolve_root(flag: Option<&Path>) -> Result<PathBuf, StoreError> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(STORE_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "spectra-workbench")
        .map(|p| p.data_dir().join("store"))
        .ok_or(StoreError::NoRoot)
}

/// Whether process `pid` is running (on Linux, by `/proc`; elsewhere assumed, which
/// errs towards keeping what it holds).
pub(crate) fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn object_of(s: &Spectrum) -> String {
    ["OBJECT", "OBJNAME"]
        .iter()
        .find_map(|key| {
            s.metadata
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim().trim_matches('\'').trim().to_string())
        })
        .unwrap_or_default()
}

/// The lower-case text a query searches: names, object, instrument, ID, metadata values.
fn search_text(id: &DatasetId, names: &[String], s: &Spectrum, object: &str) -> String {
    let mut parts: Vec<&str> = vec![id.as_str(), object, &s.instrument];
    parts.extend(names.iter().map(String::as_str));
    parts.extend(s.metadata.iter().map(|(_, v)| v.as_str()));
    parts.join("\n").to_lowercase()
}

impl Store {
    /// Opens (creating when missing) the store at `root`: folders, index, schema; removes
    /// temporary files of writers that are no longer running and settles `trash/`.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        for sub in [
            "",
            "blobs",
            "sources",
            "manifests",
            "tmp",
            "trash",
            "quarantine",
            knowledge::LOG_DIR,
        ] {
            let dir = root.join(sub);
            blob::create_dirs(&dir).map_err(io(&dir))?;
        }
        let index = root.join("index.sqlite");
        let sql = index_error(&index);
        let conn = Connection::open(&index).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // WAL: readers never block the writer; FULL: a committed transaction survives
        // power loss, not only a process crash.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        let mut store = Store {
            root: root.to_path_buf(),
            conn,
        };
        store.init_schema()?;
        store.clear_dead_tmp();
        store.settle_trash()?;
        Ok(store)
    }

    fn sql_err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Index {
            path: self.root.join("index.sqlite"),
            source,
        }
    }

    fn init_schema(&mut self) -> Result<(), StoreError> {
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let tx = begin_write(&mut self.conn, &index)?;
        tx.execute_batch(schema::SCHEMA).map_err(sql)?;
        let found: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'layout_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        match found {
            None => {
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('layout_version', ?1)",
                    [schema::LAYOUT_VERSION.to_string()],
                )
                .map_err(sql)?;
            }
            Some(v) if v == schema::LAYOUT_VERSION.to_string() => {}
            Some(found) => {
                return Err(StoreError::Version {
                    path: index.clone(),
                    found,
                    supported: schema::LAYOUT_VERSION,
                });
            }
        }
        tx.commit().map_err(sql)
    }

    /// Removes `tmp/` files whose writer has exited (their names start with its pid).
    fn clear_dead_tmp(&self) {
        let Ok(dir) = std::fs::read_dir(self.root.join("tmp")) else {
            return;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_none_or(|pid| !pid_alive(pid)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// A blob in `trash/` was being removed when its remover stopped: if its row is
    /// still there (the removal never committed), it goes back; otherwise it goes.
    fn settle_trash(&self) -> Result<(), StoreError> {
        let Ok(dir) = std::fs::read_dir(self.root.join("trash")) else {
            return Ok(());
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name
                .split('.')
                .next()
                .and_then(crate::ids::parse_dataset_id);
            let keep = match &id {
                Some(id) => self.row_status(id)?.is_some(),
                None => false,
            };
            let target = id
                .as_ref()
                .map(|id| blob::fan_out(&self.blobs_dir(), id.as_str()));
            match target {
                Some(target) if keep && !target.exists() => {
                    if let Some(dir) = target.parent() {
                        let _ = blob::create_dirs(dir);
                    }
                    let _ = std::fs::rename(entry.path(), &target);
                }
                _ => {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where a dataset's blob lives.
    pub fn blob_path(&self, id: &DatasetId) -> PathBuf {
        blob::fan_out(&self.blobs_dir(), id.as_str())
    }

    /// Where a source file's bytes live.
    pub fn source_path(&self, sha256: &str) -> PathBuf {
        blob::fan_out(&self.root.join("sources"), sha256)
    }

    /// Where a manifest lives.
    pub fn manifest_path(&self, manifest_id: &str) -> PathBuf {
        self.root
            .join("manifests")
            .join(format!("{manifest_id}.json"))
    }

    fn row_status(&self, id: &DatasetId) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT status FROM datasets WHERE id = ?1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql_err())
    }

    /// Puts one dataset (see [`Store::put_batch`]).
    pub fn put(&mut self, item: &PutItem<'_>, now_ms: i64) -> Result<PutOutcome, StoreError> {
        Ok(self.put_batch(std::slice::from_ref(item), None, now_ms)?[0])
    }

    /// Puts datasets (and optionally a manifest that used them) as one change: every blob
    /// and source is written and fsynced first, then all index rows in one transaction.
    /// A failure or a crash before the commit leaves the index as it was.
    pub fn put_batch(
        &mut self,
        items: &[PutItem<'_>],
        manifest: Option<&ManifestPut<'_>>,
        now_ms: i64,
    ) -> Result<Vec<PutOutcome>, StoreError> {
        let mut sources: Vec<Option<(String, u64, bool)>> = Vec::with_capacity(items.len());
        for item in items {
            let tmp = self.tmp_dir();
            let src = self.root.join("sources");
            sources.push(match item.source {
                SourceInput::None => None,
                SourceInput::Hash(sha) => Some((sha.to_string(), 0, false)),
                SourceInput::Bytes(bytes) => {
                    let (sha, n) = blob::write_source(&src, &tmp, &mut &bytes[..])?;
                    Some((sha, n, true))
                }
                SourceInput::File(path) => {
                    let mut f = std::fs::File::open(path).map_err(|source| StoreError::Io {
                        path: path.to_path_buf(),
                        source,
                    })?;
                    let (sha, n) = blob::write_source(&src, &tmp, &mut f)?;
                    Some((sha, n, true))
                }
            });
        }
        if let Some(m) = manifest {
            let path = self.manifest_path(m.manifest_id);
            crate::atomic::write_atomic(&path, |w| w.write_all(m.bytes)).map_err(|source| {
                StoreError::Io {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        // A concurrent `rm` or `gc` may take a blob between our write and our commit;
        // the commit checks, under the write lock, and writes again if so.
        for _attempt in 0..3 {
            for item in items {
                let path = self.blob_path(item.id);
                let len = blob::encoded_len(item.spectrum);
                let present = std::fs::metadata(&path).is_ok_and(|m| m.len() == len);
                if !present {
                    blob::write_dataset_blob(
                        &self.blobs_dir(),
                        &self.tmp_dir(),
                        item.spectrum,
                        item.id,
                    )?;
                }
            }
            if let Some(outcomes) = self.commit_rows(items, &sources, manifest, now_ms)? {
                return Ok(outcomes);
            }
        }
        Err(StoreError::Missing {
            id: items[0].id.to_string(),
            path: self.blob_path(items[0].id),
        })
    }

    /// The index half of a put; `None` when a blob vanished before the lock was taken.
    fn commit_rows(
        &mut self,
        items: &[PutItem<'_>],
        sources: &[Option<(String, u64, bool)>],
        manifest: Option<&ManifestPut<'_>>,
        now_ms: i64,
    ) -> Result<Option<Vec<PutOutcome>>, StoreError> {
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let blobs = self.blobs_dir();
        let tx = begin_write(&mut self.conn, &index)?;
        let mut outcomes = Vec::with_capacity(items.len());
        for (item, source) in items.iter().zip(sources) {
            if !blob::fan_out(&blobs, item.id.as_str()).is_file() {
                return Ok(None);
            }
            let s = item.spectrum;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT search FROM datasets WHERE id = ?1",
                    [item.id.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql)?;
            let object = object_of(s);
            let name = if item.source_name.is_empty() {
                s.name.as_str()
            } else {
                item.source_name
            };
            match existing {
                Some(search) => {
                    // Same arrays again: a new name is added; nothing else changes.
                    let lower = name.to_lowercase();
                    let search = if search.split('\n').any(|p| p == lower) {
                        search
                    } else {
                        format!("{search}\n{lower}")
                    };
                    tx.execute(
                        "UPDATE datasets SET last_seen_ms = max(last_seen_ms, ?2), \
                         status = 'ok', search = ?3 WHERE id = ?1",
                        params![item.id.as_str(), now_ms, search],
                    )
                    .map_err(sql)?;
                    outcomes.push(PutOutcome::Deduplicated);
                }
                None => {
                    let (lo, hi) = s.x_range_nm();
                    let metadata = serde_json::to_string(&s.metadata).expect("pairs serialize");
                    let warnings =
                        serde_json::to_string(&item.warnings).expect("strings serialize");
                    let search = search_text(item.id, &[name.to_string()], s, &object);
                    tx.execute(
                        "INSERT INTO datasets (id, name, object, instrument, y_unit, medium, \
                         format, x_min_nm, x_max_nm, n_points, has_sigma, n_masked, size_bytes, \
                         metadata_json, warnings_json, first_seen_ms, last_seen_ms, search) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
                         ?15, ?16, ?16, ?17)",
                        params![
                            item.id.as_str(),
                            name,
                            object,
                            s.instrument,
                            s.y_unit,
                            s.medium.as_str(),
                            item.format,
                            lo,
                            hi,
                            s.len() as i64,
                            s.sigma().is_some(),
                            s.mask().map_or(0, |m| m.iter().filter(|&&b| b).count()) as i64,
                            blob::encoded_len(s) as i64,
                            metadata,
                            warnings,
                            now_ms,
                            search,
                        ],
                    )
                    .map_err(sql)?;
                    outcomes.push(PutOutcome::Added);
                }
            }
            tx.execute(
                "INSERT OR IGNORE INTO names (dataset_id, name) VALUES (?1, ?2)",
                params![item.id.as_str(), name],
            )
            .map_err(sql)?;
            if let Some((sha, n, present)) = source {
                tx.execute(
                    "INSERT INTO sources (sha256, size_bytes, present) VALUES (?1, ?2, ?3) \
                     ON CONFLICT(sha256) DO UPDATE SET present = max(present, excluded.present), \
                     size_bytes = max(size_bytes, excluded.size_bytes)",
                    params![sha, *n as i64, present],
                )
                .map_err(sql)?;
                tx.execute(
                    "INSERT OR IGNORE INTO dataset_sources (dataset_id, source_sha256, name) \
                     VALUES (?1, ?2, ?3)",
                    params![item.id.as_str(), sha, name],
                )
                .map_err(sql)?;
            }
            if let Some(d) = &item.derivation {
                for (position, parent) in d.parents.iter().enumerate() {
                    tx.execute(
                        "INSERT OR IGNORE INTO links (child_id, parent_id, position, \
                         transform_id, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            item.id.as_str(),
                            parent.as_str(),
                            position as i64,
                            d.transform_id,
                            d.kind
                        ],
                    )
                    .map_err(sql)?;
                }
            }
        }
        if let Some(m) = manifest {
            tx.execute(
                "INSERT OR IGNORE INTO manifests (id, created_at, stored_ms, citations_json) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    m.manifest_id,
                    m.created_at,
                    now_ms,
                    serde_json::to_string(&m.citations).expect("strings serialize")
                ],
            )
            .map_err(sql)?;
            for (id, role) in &m.datasets {
                tx.execute(
                    "INSERT OR IGNORE INTO manifest_datasets (manifest_id, dataset_id, role) \
                     VALUES (?1, ?2, ?3)",
                    params![m.manifest_id, id.as_str(), role],
                )
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(Some(outcomes))
    }

    /// Resolves a full ID or a unique prefix of at least [`MIN_PREFIX`] hex digits, among
    /// datasets first, then manifests.
    pub fn resolve(&self, text: &str) -> Result<Resolved, StoreError> {
        let prefix = text.trim().to_ascii_lowercase();
        if prefix.len() < MIN_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::BadPrefix(text.to_string()));
        }
        // Hex digits sort below 'g', so the prefix's range is [prefix, prefix + "g").
        let upper = format!("{prefix}g");
        let find = |table: &str| -> Result<Vec<String>, StoreError> {
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT id FROM {table} WHERE id >= ?1 AND id < ?2 LIMIT 2"
                ))
                .map_err(self.sql_err())?;
            stmt.query_map([&prefix, &upper], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err())
        };
        let datasets = find("datasets")?;
        let manifests = find("manifests")?;
        match (datasets.as_slice(), manifests.as_slice()) {
            ([id], []) => Ok(Resolved::Dataset(
                crate::ids::parse_dataset_id(id).expect("stored IDs are checked"),
            )),
            ([], [id]) => Ok(Resolved::Manifest(id.clone())),
            ([], []) => Err(StoreError::NotFound(text.to_string())),
            _ => Err(StoreError::Ambiguous {
                prefix: text.to_string(),
                count: datasets.len() + manifests.len(),
            }),
        }
    }

    /// Resolves to a dataset (a manifest's ID is "not found" here).
    pub fn resolve_dataset(&self, text: &str) -> Result<DatasetId, StoreError> {
        match self.resolve(text)? {
            Resolved::Dataset(id) => Ok(id),
            Resolved::Manifest(_) => Err(StoreError::NotFound(text.to_string())),
        }
    }

    /// One dataset's row.
    pub fn entry(&self, id: &DatasetId) -> Result<Option<Entry>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM datasets WHERE id = ?1"),
                [id.as_str()],
                entry_of,
            )
            .optional()
            .map_err(self.sql_err())
    }

    /// How many datasets match a query.
    pub fn count(&self, query: &Query) -> Result<usize, StoreError> {
        let (clause, needle) = query.where_clause();
        let sql = format!("SELECT count(*) FROM datasets{clause}");
        let n: i64 = self
            .conn
            .query_row(&sql, params_from_iter(&needle), |r| r.get(0))
            .map_err(self.sql_err())?;
        Ok(n as usize)
    }

    /// Rows `offset..offset + limit` of a query, in its order.
    pub fn page(
        &self,
        query: &Query,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let (clause, needle) = query.where_clause();
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM datasets{clause}{} LIMIT {limit} OFFSET {offset}",
            query.order_clause()
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.sql_err())?;
        stmt.query_map(params_from_iter(&needle), entry_of)
            .and_then(|r| r.collect())
            .map_err(self.sql_err())
    }

    /// Every match of a query, in order.
    pub fn list(&self, query: &Query) -> Result<Vec<Entry>, StoreError> {
        self.page(query, 0, i64::MAX as usize)
    }

    /// The row numbers of every match, in order: what the Library panel scrolls through
    /// (8 bytes per entry; the rows themselves are read only where visible).
    pub fn rowids(&self, query: &Query) -> Result<Vec<i64>, StoreError> {
        let (clause, needle) = query.where_clause();
        let sql = format!("SELECT rowid FROM datasets{clause}{}", query.order_clause());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.sql_err())?;
        stmt.query_map(params_from_iter(&needle), |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(self.sql_err())
    }

    /// Rows by row number (missing ones, e.g. removed meanwhile, are left out).
    pub fn entries_by_rowid(&self, rowids: &[i64]) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM datasets WHERE rowid = ?1"
            ))
            .map_err(self.sql_err())?;
        let mut out = Vec::with_capacity(rowids.len());
        for &rowid in rowids {
            if let Some(e) = stmt
                .query_row([rowid], entry_of)
                .optional()
                .map_err(self.sql_err())?
            {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Everything known about one dataset.
    pub fn detail(&self, id: &DatasetId) -> Result<Detail, StoreError> {
        let entry = self
            .entry(id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let sql = self.sql_err();
        let (metadata_json, warnings_json): (String, String) = self
            .conn
            .query_row(
                "SELECT metadata_json, warnings_json FROM datasets WHERE id = ?1",
                [id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(&sql)?;
        let strings = |q: &str| -> Result<Vec<String>, StoreError> {
            let mut stmt = self.conn.prepare_cached(q).map_err(&sql)?;
            stmt.query_map([id.as_str()], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(&sql)
        };
        let names = strings("SELECT name FROM names WHERE dataset_id = ?1 ORDER BY rowid")?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.name, d.source_sha256, s.present FROM dataset_sources d \
                 JOIN sources s ON s.sha256 = d.source_sha256 WHERE d.dataset_id = ?1 \
                 ORDER BY d.rowid",
            )
            .map_err(&sql)?;
        let sources = stmt
            .query_map([id.as_str()], |r| {
                Ok(SourceLink {
                    name: r.get(0)?,
                    sha256: r.get(1)?,
                    present: r.get(2)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(&sql)?;
        let links = |q: &str| -> Result<Vec<Link>, StoreError> {
            let mut stmt = self.conn.prepare_cached(q).map_err(&sql)?;
            stmt.query_map([id.as_str()], |r| {
                Ok(Link {
                    dataset_id: r.get(0)?,
                    transform_id: r.get(1)?,
                    kind: r.get(2)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(&sql)
        };
        let parents = links(
            "SELECT parent_id, transform_id, kind FROM links WHERE child_id = ?1 \
             ORDER BY position",
        )?;
        let children = links(
            "SELECT child_id, transform_id, kind FROM links WHERE parent_id = ?1 \
             ORDER BY rowid",
        )?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.id, md.role, m.created_at, m.pinned FROM manifest_datasets md \
                 JOIN manifests m ON m.id = md.manifest_id WHERE md.dataset_id = ?1 \
                 ORDER BY m.created_at",
            )
            .map_err(&sql)?;
        let manifests = stmt
            .query_map([id.as_str()], |r| {
                Ok(ManifestLink {
                    manifest_id: r.get(0)?,
                    role: r.get(1)?,
                    created_at: r.get(2)?,
                    pinned: r.get(3)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(&sql)?;
        Ok(Detail {
            entry,
            names,
            metadata: serde_json::from_str(&metadata_json).unwrap_or_default(),
            warnings: serde_json::from_str(&warnings_json).unwrap_or_default(),
            sources,
            parents,
            children,
            manifests,
        })
    }

    /// A manifest's row and datasets, if the store has it.
    pub fn manifest_info(&self, id: &str) -> Result<Option<ManifestInfo>, StoreError> {
        let row: Option<(String, i64, bool)> = self
            .conn
            .query_row(
                "SELECT created_at, stored_ms, pinned FROM manifests WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)),
            )
            .optional()
            .map_err(self.sql_err())?;
        let Some((created_at, stored_ms, pinned)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT md.dataset_id, md.role, COALESCE(d.name, '') FROM manifest_datasets md \
                 LEFT JOIN datasets d ON d.id = md.dataset_id WHERE md.manifest_id = ?1 \
                 ORDER BY md.role DESC, md.dataset_id",
            )
            .map_err(self.sql_err())?;
        let datasets = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err())?;
        Ok(Some(ManifestInfo {
            id: id.to_string(),
            created_at,
            stored_ms,
            pinned,
            datasets,
        }))
    }

    /// Reads a dataset back, verifying its blob: a blob whose bytes do not hash to its
    /// ID is moved to `quarantine/` and its entry marked, and the error says so.
    pub fn load(&self, id: &DatasetId, now_ms: i64) -> Result<Loaded, StoreError> {
        let detail = self.detail(id)?;
        let entry = detail.entry;
        if entry.status == "quarantined" {
            return Err(StoreError::WasQuarantined { id: id.to_string() });
        }
        let path = self.blob_path(id);
        match blob::read_dataset_blob(&path, id) {
            Ok(mut spectrum) => {
                spectrum.name = entry.name.clone();
                spectrum.metadata = detail.metadata;
                spectrum.medium = match entry.medium.as_str() {
                    "air" => Medium::Air,
                    "vacuum" => Medium::Vacuum,
                    _ => Medium::Unknown,
                };
                Ok(Loaded {
                    spectrum,
                    entry,
                    warnings: detail.warnings,
                    source_sha256: detail.sources.first().map(|s| s.sha256.clone()),
                })
            }
            Err(BlobError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                self.mark(id, "missing")?;
                Err(StoreError::Missing {
                    id: id.to_string(),
                    path,
                })
            }
            Err(BlobError::HashMismatch { .. } | BlobError::Malformed { .. }) => {
                Err(self.quarantine(id, now_ms)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn mark(&self, id: &DatasetId, status: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE datasets SET status = ?2 WHERE id = ?1",
                params![id.as_str(), status],
            )
            .map_err(self.sql_err())?;
        Ok(())
    }

    /// Moves a damaged blob aside and marks its entry; returns the error to report.
    pub(crate) fn quarantine(&self, id: &DatasetId, now_ms: i64) -> Result<StoreError, StoreError> {
        let from = self.blob_path(id);
        let to = self
            .root
            .join("quarantine")
            .join(format!("{}.{now_ms}", id.as_str()));
        std::fs::rename(&from, &to).map_err(|source| StoreError::Io {
            path: from.clone(),
            source,
        })?;
        let _ = blob::sync_dir(&self.root.join("quarantine"));
        self.mark(id, "quarantined")?;
        Ok(StoreError::Quarantined {
            id: id.to_string(),
            quarantined: to,
        })
    }

    /// Pins or unpins a dataset or a manifest.
    pub fn set_pinned(&self, target: &Resolved, pinned: bool) -> Result<(), StoreError> {
        let (table, id) = match target {
            Resolved::Dataset(id) => ("datasets", id.as_str()),
            Resolved::Manifest(id) => ("manifests", id.as_str()),
        };
        self.conn
            .execute(
                &format!("UPDATE {table} SET pinned = ?2 WHERE id = ?1"),
                params![id, pinned],
            )
            .map_err(self.sql_err())?;
        Ok(())
    }

    /// Removes a dataset (refused while it is pinned): its row, names, source links and
    /// holds in one transaction that also moves its blob to `trash/`.
    pub fn remove(&mut self, id: &DatasetId) -> Result<(), StoreError> {
        let entry = self
            .entry(id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        if entry.pinned {
            return Err(StoreError::Pinned(id.to_string()));
        }
        self.remove_rows(id, None)?;
        Ok(())
    }

    /// The shared half of `rm` and `gc`: when `expect_last_seen` is given, the row is
    /// removed only if it was not seen again since the plan was made. True when removed.
    pub(crate) fn remove_rows(
        &mut self,
        id: &DatasetId,
        expect_last_seen: Option<i64>,
    ) -> Result<bool, StoreError> {
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let blob = self.blob_path(id);
        let trash = self.root.join("trash").join(id.as_str());
        let tx = begin_write(&mut self.conn, &index)?;
        let row: Option<(bool, i64)> = tx
            .query_row(
                "SELECT pinned, last_seen_ms FROM datasets WHERE id = ?1",
                [id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        match row {
            None => return Ok(false),
            Some((true, _)) => return Err(StoreError::Pinned(id.to_string())),
            Some((false, seen)) if expect_last_seen.is_some_and(|e| e != seen) => {
                return Ok(false);
            }
            Some(_) => {}
        }
        for q in [
            "DELETE FROM datasets WHERE id = ?1",
            "DELETE FROM names WHERE dataset_id = ?1",
            "DELETE FROM dataset_sources WHERE dataset_id = ?1",
            "DELETE FROM holds WHERE dataset_id = ?1",
        ] {
            tx.execute(q, [id.as_str()]).map_err(sql)?;
        }
        let moved = match std::fs::rename(&blob, &trash) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(source) => return Err(StoreError::Io { path: blob, source }),
        };
        if let Err(e) = tx.commit() {
            if moved {
                let _ = std::fs::rename(&trash, &blob);
            }
            return Err(sql(e));
        }
        if moved {
            let _ = std::fs::remove_file(&trash);
        }
        Ok(true)
    }

    /// Records that this process shows these datasets (replacing what it held before):
    /// `gc` in any process keeps them while this process runs.
    pub fn hold(&mut self, ids: &[DatasetId], now_ms: i64) -> Result<(), StoreError> {
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let pid = i64::from(std::process::id());
        let tx = begin_write(&mut self.conn, &index)?;
        tx.execute("DELETE FROM holds WHERE pid = ?1", [pid])
            .map_err(sql)?;
        for id in ids {
            tx.execute(
                "INSERT OR IGNORE INTO holds (pid, dataset_id, since_ms) VALUES (?1, ?2, ?3)",
                params![pid, id.as_str(), now_ms],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// The index in the seed's `index.json` shape: Dataset ID → metadata, original
    /// names, timestamps, sources and citations (keys sorted).
    pub fn index_json(&self) -> Result<serde_json::Value, StoreError> {
        let mut out = serde_json::Map::new();
        let ids: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM datasets ORDER BY id")
                .map_err(self.sql_err())?;
            stmt.query_map([], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(self.sql_err())?
        };
        for id in ids {
            let id = crate::ids::parse_dataset_id(&id).expect("stored IDs are checked");
            let d = self.detail(&id)?;
            let mut citations: Vec<String> = Vec::new();
            for m in &d.manifests {
                let text: String = self
                    .conn
                    .query_row(
                        "SELECT citations_json FROM manifests WHERE id = ?1",
                        [&m.manifest_id],
                        |r| r.get(0),
                    )
                    .map_err(self.sql_err())?;
                let list: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
                for c in list {
                    if !citations.contains(&c) {
                        citations.push(c);
                    }
                }
            }
            out.insert(
                id.to_string(),
                serde_json::json!({
                    "name": d.entry.name,
                    "original_filenames": d.names,
                    "object": d.entry.object,
                    "instrument": d.entry.instrument,
                    "y_unit": d.entry.y_unit,
                    "medium": d.entry.medium,
                    "format": d.entry.format,
                    "x_range_nm": [d.entry.x_min_nm, d.entry.x_max_nm],
                    "n_points": d.entry.n_points,
                    "has_sigma": d.entry.has_sigma,
                    "size_bytes": d.entry.size_bytes,
                    "first_seen": crate::textfmt::rfc3339_from_unix((d.entry.first_seen_ms.max(0) / 1000) as u64),
                    "last_seen": crate::textfmt::rfc3339_from_unix((d.entry.last_seen_ms.max(0) / 1000) as u64),
                    "pinned": d.entry.pinned,
                    "status": d.entry.status,
                    "metadata": d.metadata,
                    "sources": d.sources,
                    "derived_from": d.parents,
                    "manifests": d.manifests.iter().map(|m| &m.manifest_id).collect::<Vec<_>>(),
                    "citations": citations,
                }),
            );
        }
        Ok(serde_json::Value::Object(out))
    }

    /// The retention settings.
    pub fn retention(&self) -> Result<Retention, StoreError> {
        let get = |key: &str, default: i64| -> Result<i64, StoreError> {
            Ok(self
                .conn
                .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(self.sql_err())?
                .unwrap_or(default))
        };
        let d = Retention::default();
        Ok(Retention {
            max_bytes: get("max_bytes", d.max_bytes as i64)? as u64,
            max_age_days: get("max_age_days", d.max_age_days as i64)? as u64,
            grace_days: get("grace_days", d.grace_days as i64)? as u64,
        })
    }

    /// Changes the retention settings.
    pub fn set_retention(&self, r: &Retention) -> Result<(), StoreError> {
        for (key, value) in [
            ("max_bytes", r.max_bytes),
            ("max_age_days", r.max_age_days),
            ("grace_days", r.grace_days),
        ] {
            self.conn
                .execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, value.min(i64::MAX as u64) as i64],
                )
                .map_err(self.sql_err())?;
        }
        Ok(())
    }

    /// The connection, for the sibling rooms.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}
