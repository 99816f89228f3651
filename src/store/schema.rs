//! The index's SQL schema (layout version 1), created on first open. Every table is
//! keyed by content addresses; `docs/specs/store.md` describes each column.

/// The store layout version this build writes and reads.
pub const LAYOUT_VERSION: i64 = 1;

/// Creates the tables and indexes when missing (idempotent).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    object        TEXT NOT NULL,
    instrument    TEXT NOT NULL,
    y_unit        TEXT NOT NULL,
    medium        TEXT NOT NULL,
    format        TEXT NOT NULL,
    x_min_nm      REAL NOT NULL,
    x_max_nm      REAL NOT NULL,
    n_points      INTEGER NOT NULL,
    has_sigma     INTEGER NOT NULL,
    n_masked      INTEGER NOT NULL,
    size_bytes    INTEGER NOT NULL,
    metadata_json TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    pinned        INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'ok',
    search        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS datasets_last_seen ON datasets(last_seen_ms);
CREATE INDEX IF NOT EXISTS datasets_name ON datasets(name);
CREATE INDEX IF NOT EXISTS datasets_object ON datasets(object);
CREATE INDEX IF NOT EXISTS datasets_instrument ON datasets(instrument);
CREATE INDEX IF NOT EXISTS datasets_points ON datasets(n_points);
CREATE INDEX IF NOT EXISTS datasets_size ON datasets(size_bytes);
CREATE INDEX IF NOT EXISTS datasets_x_min ON datasets(x_min_nm);
CREATE TABLE IF NOT EXISTS names (
    dataset_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (dataset_id, name)
);
CREATE TABLE IF NOT EXISTS sources (
    sha256     TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    present    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_sources (
    dataset_id    TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    name          TEXT NOT NULL,
    PRIMARY KEY (dataset_id, source_sha256, name)
);
CREATE TABLE IF NOT EXISTS links (
    child_id     TEXT NOT NULL,
    parent_id    TEXT NOT NULL,
    position     INTEGER NOT NULL,
    transform_id TEXT NOT NULL,
    kind         TEXT NOT NULL,
    PRIMARY KEY (child_id, parent_id, transform_id)
);
CREATE INDEX IF NOT EXISTS links_parent ON links(parent_id);
CREATE TABLE IF NOT EXISTS manifests (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    stored_ms      INTEGER NOT NULL,
    pinned         INTEGER NOT NULL DEFAULT 0,
    citations_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS manifest_datasets (
    manifest_id TEXT NOT NULL,
    dataset_id  TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (manifest_id, dataset_id, role)
);
CREATE INDEX IF NOT EXISTS manifest_datasets_dataset ON manifest_datasets(dataset_id);
CREATE TABLE IF NOT EXISTS holds (
    pid        INTEGER NOT NULL,
    dataset_id TEXT NOT NULL,
    since_ms   INTEGER NOT NULL,
    PRIMARY KEY (pid, dataset_id)
);
CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT PRIMARY KEY,
    frontend   TEXT NOT NULL,
    started_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    session_id    TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    at_ms         INTEGER,
    kind          TEXT NOT NULL,
    summary       TEXT NOT NULL,
    undo_position INTEGER NOT NULL,
    manifest_id   TEXT,
    log_entry     TEXT,
    dataset_ids   TEXT NOT NULL,
    transform_ids TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE INDEX IF NOT EXISTS events_manifest ON events(manifest_id);
CREATE INDEX IF NOT EXISTS events_log_entry ON events(log_entry);
CREATE TABLE IF NOT EXISTS event_datasets (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    dataset_id TEXT NOT NULL,
    PRIMARY KEY (session_id, seq, dataset_id)
);
CREATE INDEX IF NOT EXISTS event_datasets_dataset ON event_datasets(dataset_id);
CREATE TABLE IF NOT EXISTS log_entries (
    id          TEXT PRIMARY KEY,
    file        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    title       TEXT NOT NULL,
    manifest_id TEXT,
    session_id  TEXT,
    size_bytes  INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    status      TEXT NOT NULL,
    problem     TEXT,
    search      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_entries_created ON log_entries(created_ms);
CREATE INDEX IF NOT EXISTS log_entries_manifest ON log_entries(manifest_id);
CREATE TABLE IF NOT EXISTS log_links (
    entry_id    TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target      TEXT NOT NULL,
    PRIMARY KEY (entry_id, target_kind, target)
);
CREATE INDEX IF NOT EXISTS log_links_target ON log_links(target_kind, target);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"#;
