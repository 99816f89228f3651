//! The Knowledge-log: Markdown files with YAML front matter under the store's
//! `knowledge-log/`, one per entry (an export's canonical entry or a note the user wrote),
//! readable and diffable outside the app, and indexed in `log_entries` / `log_links` for
//! links and search.
//!
//! The files are the truth; the index is rebuilt from them by [`Store::rescan_log`],
//! which notices outside edits by size, mtime and hash. A file whose front matter does not
//! parse is listed as broken with the reason and never rewritten; a file larger than
//! [`MAX_RENDER_BYTES`] is listed but not rendered or edited. A save checks that the file
//! is still the one the editor loaded, so an outside edit is never overwritten.
//!
//! The front matter is a small subset of YAML that this module both writes and reads:
//! `key: value` scalars (plain, or double-quoted with JSON escapes) and lists, either in
//! flow form (`[a, b]`) or as `- item` lines. Unknown keys are kept by the index's search
//! text but otherwise ignored.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, begin_write, index_error};
use crate::ids::sha256_hex;

/// The folder under the store root.
pub const LOG_DIR: &str = "knowledge-log";

/// Entries larger than this are listed but neither rendered nor edited.
pub const MAX_RENDER_BYTES: u64 = 1 << 20;

/// What kind of entry a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Written once per export; names its MANIFEST_ID.
    Export,
    /// Written by the user.
    Note,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Export => "export",
            EntryKind::Note => "note",
        }
    }
}

/// An entry's front matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrontMatter {
    /// The entry's ID: also its file name, without `.md`.
    pub id: String,
    pub kind: EntryKind,
    /// When it was first written, RFC 3339 UTC.
    pub created: String,
    /// The same instant, ms since the Unix epoch.
    pub created_ms: i64,
    pub title: String,
    /// The manifest an export entry records, or the exported view a note is about.
    pub manifest_id: Option<String>,
    /// The datasets it is about (full Dataset IDs).
    pub datasets: Vec<String>,
    /// The session that wrote it; `event:<seq>` links resolve in this session.
    pub session: Option<String>,
    /// The History event that wrote it, in `session`.
    pub event: Option<u64>,
}

/// A parsed entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub front: FrontMatter,
    /// The Markdown after the front matter.
    pub body: String,
}

/// Why a file's front matter could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("front matter, line {line}: {problem}")]
pub struct FrontMatterError {
    /// 1-based line in the file.
    pub line: usize,
    pub problem: String,
}

/// An entry's state in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStatus {
    Ok,
    /// Its front matter does not parse (see `problem`); shown as text, never rewritten.
    Broken,
    /// Larger than [`MAX_RENDER_BYTES`]: listed, not rendered.
    TooLarge,
}

impl LogStatus {
    fn as_str(self) -> &'static str {
        match self {
            LogStatus::Ok => "ok",
            LogStatus::Broken => "broken",
            LogStatus::TooLarge => "too_large",
        }
    }

    fn parse(text: &str) -> LogStatus {
        match text {
            "broken" => LogStatus::Broken,
            "too_large" => LogStatus::TooLarge,
            _ => LogStatus::Ok,
        }
    }
}

/// One entry's row in the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogRow {
    pub id: String,
    /// The file's name under `knowledge-log/`.
    pub file: String,
    /// `export`, `note`, or `unknown` for a broken file.
    pub kind: String,
    /// ms since the Unix epoch (the file's mtime for a broken file).
    pub created_ms: i64,
    pub title: String,
    pub manifest_id: Option<String>,
    pub session_id: Option<String>,
    pub size_bytes: u64,
    /// sha256 of the file's bytes when indexed.
    pub sha256: String,
    pub status: LogStatus,
    /// Why the entry is broken or not rendered.
    pub problem: Option<String>,
}

/// A link an entry makes (front matter and `scheme:target` links in its body).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LogLink {
    /// `dataset`, `manifest` or `event`.
    pub kind: String,
    pub target: String,
}

/// An entry read back from its file.
#[derive(Clone, Debug)]
pub struct LoadedEntry {
    pub row: LogRow,
    /// The file's text, unless it is too large (or not UTF-8).
    pub text: Option<String>,
    /// The parsed entry, when the front matter reads.
    pub entry: Option<LogEntry>,
}

/// What a rescan changed in the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RescanReport {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// Why a Knowledge-log write was refused.
#[derive(Debug, thiserror::Error)]
pub enum LogWriteError {
    #[error("{0}: changed outside the app since it was opened; nothing was overwritten")]
    ChangedOutside(PathBuf),
    #[error("{0}: already exists; nothing was overwritten")]
    Exists(PathBuf),
    #[error("'{0}': an entry ID is letters, digits, '-' and '_'")]
    BadId(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

// ---- front matter -------------------------------------------------------------------

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Whether a scalar can be written bare and read back the same.
fn plain_ok(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '+'))
}

fn scalar(text: &str) -> String {
    if plain_ok(text) {
        text.to_string()
    } else {
        quote(text)
    }
}

/// The file's text for an entry.
pub fn render_entry(e: &LogEntry) -> String {
    let f = &e.front;
    let mut out = String::from("---\n");
    out.push_str(&format!("id: {}\n", scalar(&f.id)));
    out.push_str(&format!("kind: {}\n", f.kind.as_str()));
    out.push_str(&format!("created: {}\n", scalar(&f.created)));
    out.push_str(&format!("created_ms: {}\n", f.created_ms));
    out.push_str(&format!("title: {}\n", quote(&f.title)));
    if let Some(m) = &f.manifest_id {
        out.push_str(&format!("manifest_id: {}\n", scalar(m)));
    }
    if f.datasets.is_empty() {
        out.push_str("datasets: []\n");
    } else {
        out.push_str("datasets:\n");
        for d in &f.datasets {
            out.push_str(&format!("  - {}\n", scalar(d)));
        }
    }
    if let Some(s) = &f.session {
        out.push_str(&format!("session: {}\n", scalar(s)));
    }
    if let Some(n) = f.event {
        out.push_str(&format!("event: {n}\n"));
    }
    out.push_str("---\n");
    out.push_str(&e.body);
    if !e.body.ends_with('\n') {
        out.push('\n');
    }
    out
}

enum Value {
    Scalar(String),
    List(Vec<String>),
}

fn parse_scalar(raw: &str, line: usize) -> Result<String, FrontMatterError> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).map_err(|e| FrontMatterError {
            line,
            problem: format!("a quoted value does not read ({e})"),
        })
    } else if raw.starts_with('\'') {
        raw.strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .map(|r| r.replace("''", "'"))
            .ok_or_else(|| FrontMatterError {
                line,
                problem: "a single-quoted value is not closed".into(),
            })
    } else {
        Ok(raw.to_string())
    }
}

fn parse_flow_list(raw: &str, line: usize) -> Result<Vec<String>, FrontMatterError> {
    let inner = raw
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| FrontMatterError {
            line,
            problem: "a list in [ ] is not closed".into(),
        })?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    // Items are IDs and plain words; a quoted item may not contain a comma.
    inner
        .split(',')
        .map(|item| parse_scalar(item, line))
        .collect()
}

/// Splits a file into its front matter and body, and reads the front matter.
pub fn parse_entry(text: &str) -> Result<LogEntry, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(FrontMatterError {
            line: 1,
            problem: "the file does not start with a '---' line".into(),
        });
    }
    let mut fields: Vec<(String, Value, usize)> = Vec::new();
    let mut consumed = first.len();
    let mut closed = false;
    for (k, raw) in lines.enumerate() {
        let line = k + 2;
        consumed += raw.len();
        let l = raw.trim_end_matches(['\n', '\r']);
        if l.trim_end() == "---" {
            closed = true;
            break;
        }
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if let Some(item) = l
            .trim_start()
            .strip_prefix("- ")
            .or_else(|| (l.trim_start() == "-").then_some(""))
        {
            match fields.last_mut() {
                Some((_, Value::List(items), _)) if l.starts_with([' ', '-']) => {
                    items.push(parse_scalar(item, line)?);
                    continue;
                }
                _ => {
                    return Err(FrontMatterError {
                        line,
                        problem: "a '- item' line that belongs to no list".into(),
                    });
                }
            }
        }
        if l.starts_with([' ', '\t']) {
            return Err(FrontMatterError {
                line,
                problem: "an indented line that is not a '- item'".into(),
            });
        }
        let Some((key, rest)) = l.split_once(':') else {
            return Err(FrontMatterError {
                line,
                problem: format!("expected 'key: value', found {:?}", truncate(l)),
            });
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(FrontMatterError {
                line,
                problem: format!("{:?} is not a key", truncate(key)),
            });
        }
        if fields.iter().any(|(k, _, _)| k == key) {
            return Err(FrontMatterError {
                line,
                problem: format!("'{key}' is given twice"),
            });
        }
        let rest = rest.trim();
        let value = if rest.is_empty() {
            Value::List(Vec::new())
        } else if rest.starts_with('[') {
            Value::List(parse_flow_list(rest, line)?)
        } else {
            Value::Scalar(parse_scalar(rest, line)?)
        };
        fields.push((key.to_string(), value, line));
    }
    if !closed {
        return Err(FrontMatterError {
            line: text.lines().count().max(1),
            problem: "the front matter has no closing '---' line".into(),
        });
    }
    let body = text[consumed.min(text.len())..].to_string();
    let get = |key: &str| fields.iter().find(|(k, _, _)| k == key);
    let need = |key: &str| -> Result<String, FrontMatterError> {
        match get(key) {
            Some((_, Value::Scalar(s), _)) => Ok(s.clone()),
            Some((_, Value::List(_), line)) => Err(FrontMatterError {
                line: *line,
                problem: format!("'{key}' must be a single value"),
            }),
            None => Err(FrontMatterError {
                line: 1,
                problem: format!("'{key}' is missing"),
            }),
        }
    };
    let optional = |key: &str| -> Result<Option<String>, FrontMatterError> {
        match get(key) {
            None => Ok(None),
            Some(_) => need(key).map(Some),
        }
    };
    let number = |key: &str| -> Result<Option<i64>, FrontMatterError> {
        optional(key)?
            .map(|s| {
                s.parse::<i64>().map_err(|_| FrontMatterError {
                    line: get(key).map_or(1, |f| f.2),
                    problem: format!("'{key}' must be a whole number, found {:?}", truncate(&s)),
                })
            })
            .transpose()
    };
    let id = need("id")?;
    if !valid_id(&id) {
        return Err(FrontMatterError {
            line: get("id").map_or(1, |f| f.2),
            problem: format!(
                "'id' {:?} is not letters, digits, '-' and '_'",
                truncate(&id)
            ),
        });
    }
    let kind = match need("kind")?.as_str() {
        "export" => EntryKind::Export,
        "note" => EntryKind::Note,
        other => {
            return Err(FrontMatterError {
                line: get("kind").map_or(1, |f| f.2),
                problem: format!("'kind' must be export or note, found {:?}", truncate(other)),
            });
        }
    };
    let datasets = match get("datasets") {
        None => Vec::new(),
        Some((_, Value::List(items), _)) => items.clone(),
        Some((_, Value::Scalar(s), _)) => vec![s.clone()],
    };
    let event = number("event")?;
    Ok(LogEntry {
        front: FrontMatter {
            id,
            kind,
            created: need("created")?,
            created_ms: number("created_ms")?.unwrap_or(0),
            title: optional("title")?.unwrap_or_default(),
            manifest_id: optional("manifest_id")?,
            datasets,
            session: optional("session")?,
            event: event.and_then(|n| u64::try_from(n).ok()),
        },
        body,
    })
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Whether `id` can name an entry (and its file).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 120
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The links an entry makes: its front matter's manifest and datasets, and every
/// `dataset:`, `manifest:` and `event:` link target in its body. Sorted, each once.
pub fn links_of(entry: &LogEntry) -> Vec<LogLink> {
    let mut links: Vec<LogLink> = Vec::new();
    let mut add = |kind: &str, target: &str| {
        links.push(LogLink {
            kind: kind.into(),
            target: target.into(),
        })
    };
    if let Some(m) = &entry.front.manifest_id {
        add("manifest", m);
    }
    for d in &entry.front.datasets {
        add("dataset", d);
    }
    for (kind, target) in body_links(&entry.body) {
        add(kind, &target);
    }
    links.sort();
    links.dedup();
    links
}

/// `scheme:target` link destinations in Markdown text (`(dataset:…)`, `<event:12>`).
pub fn body_links(body: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for scheme in ["dataset", "manifest", "event"] {
        let pattern = format!("{scheme}:");
        let mut from = 0;
        while let Some(at) = body[from..].find(&pattern) {
            let start = from + at;
            from = start + pattern.len();
            // Only as a link destination: right after '(' or '<'.
            let before = body[..start].chars().next_back();
            if !matches!(before, Some('(') | Some('<')) {
                continue;
            }
            let target: String = body[from..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'))
                .collect();
            if !target.is_empty() {
                out.push((scheme, target));
            }
        }
    }
    out
}

// ---- the index ----------------------------------------------------------------------

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

const ROW_COLUMNS: &str = "id, file, kind, created_ms, title, manifest_id, session_id, \
                           size_bytes, sha256, status, problem";

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogRow> {
    Ok(LogRow {
        id: r.get(0)?,
        file: r.get(1)?,
        kind: r.get(2)?,
        created_ms: r.get(3)?,
        title: r.get(4)?,
        manifest_id: r.get(5)?,
        session_id: r.get(6)?,
        size_bytes: r.get::<_, i64>(7)? as u64,
        sha256: r.get(8)?,
        status: LogStatus::parse(&r.get::<_, String>(9)?),
        problem: r.get(10)?,
    })
}

/// What a file says, read for the index.
struct Indexed {
    row: LogRow,
    mtime_ns: i64,
    links: Vec<LogLink>,
    search: String,
}

fn index_file(path: &Path, file: &str) -> std::io::Result<Indexed> {
    let meta = std::fs::metadata(path)?;
    let size_bytes = meta.len();
    let stem = file.trim_end_matches(".md").to_string();
    let fallback_ms = mtime_ns(&meta) / 1_000_000;
    let mut row = LogRow {
        id: stem.clone(),
        file: file.to_string(),
        kind: "unknown".into(),
        created_ms: fallback_ms,
        title: stem.clone(),
        manifest_id: None,
        session_id: None,
        size_bytes,
        sha256: String::new(),
        status: LogStatus::Ok,
        problem: None,
    };
    if size_bytes > MAX_RENDER_BYTES {
        // Hash it anyway (a streaming read): the index notices when it changes.
        let (sha, _) =
            super::blob::hash_file(path).map_err(|e| std::io::Error::other(e.to_string()))?;
        row.sha256 = sha;
        row.status = LogStatus::TooLarge;
        row.problem = Some(format!(
            "{} is larger than the {} the Knowledge-log renders; open the file to read it",
            crate::textfmt::size_text(size_bytes),
            crate::textfmt::size_text(MAX_RENDER_BYTES)
        ));
        return Ok(Indexed {
            search: stem.to_lowercase(),
            row,
            mtime_ns: mtime_ns(&meta),
            links: Vec::new(),
        });
    }
    let bytes = std::fs::read(path)?;
    row.sha256 = sha256_hex(&bytes);
    let text = String::from_utf8_lossy(&bytes);
    let mut links = Vec::new();
    match parse_entry(&text) {
        Ok(entry) => {
            if entry.front.id != stem {
                row.status = LogStatus::Broken;
                row.problem = Some(format!(
                    "its id '{}' differs from its file name; rename one of them",
                    entry.front.id
                ));
            }
            row.kind = entry.front.kind.as_str().into();
            row.created_ms = entry.front.created_ms;
            row.title = entry.front.title.clone();
            row.manifest_id = entry.front.manifest_id.clone();
            row.session_id = entry.front.session.clone();
            links = links_of(&entry);
        }
        Err(e) => {
            row.status = LogStatus::Broken;
            row.problem = Some(e.to_string());
        }
    }
    Ok(Indexed {
        search: text.to_lowercase(),
        row,
        mtime_ns: mtime_ns(&meta),
        links,
    })
}

fn put_indexed(tx: &rusqlite::Transaction<'_>, ix: &Indexed) -> rusqlite::Result<()> {
    let r = &ix.row;
    tx.execute(
        "INSERT OR REPLACE INTO log_entries(id, file, kind, created_ms, title, manifest_id, \
         session_id, size_bytes, mtime_ns, sha256, status, problem, search) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            r.id,
            r.file,
            r.kind,
            r.created_ms,
            r.title,
            r.manifest_id,
            r.session_id,
            r.size_bytes as i64,
            ix.mtime_ns,
            r.sha256,
            r.status.as_str(),
            r.problem,
            ix.search,
        ],
    )?;
    tx.execute("DELETE FROM log_links WHERE entry_id = ?1", [&r.id])?;
    for l in &ix.links {
        tx.execute(
            "INSERT OR IGNORE INTO log_links(entry_id, target_kind, target) VALUES (?1, ?2, ?3)",
            params![r.id, l.kind, l.target],
        )?;
    }
    Ok(())
}

impl Store {
    /// The Knowledge-log folder.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }

    /// Where an entry's file is.
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.log_dir().join(format!("{id}.md"))
    }

    /// Brings the index up to date with the files: new, changed (by size or mtime, then
    /// hash) and removed entries. Files are only read, never written.
    pub fn rescan_log(&mut self) -> Result<RescanReport, StoreError> {
        let dir = self.log_dir();
        super::blob::create_dirs(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let known: std::collections::HashMap<String, (i64, i64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT file, size_bytes, mtime_ns FROM log_entries")
                .map_err(self.sql_err())?;
            stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err())?
        };
        let read = std::fs::read_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut seen = std::collections::HashSet::new();
        let mut fresh: Vec<(bool, Indexed)> = Vec::new();
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".md") || name.starts_with('.') {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            seen.insert(name.clone());
            let stamp = (meta.len() as i64, mtime_ns(&meta));
            let is_new = !known.contains_key(&name);
            if known.get(&name) == Some(&stamp) {
                continue;
            }
            // A file that vanished or cannot be read between listing and reading is
            // picked up by the next rescan.
            if let Ok(ix) = index_file(&entry.path(), &name) {
                fresh.push((is_new, ix));
            }
        }
        let gone: Vec<&String> = known.keys().filter(|f| !seen.contains(*f)).collect();
        let mut report = RescanReport::default();
        if fresh.is_empty() && gone.is_empty() {
            return Ok(report);
        }
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let tx = begin_write(&mut self.conn, &index)?;
        for (is_new, ix) in &fresh {
            // Two files claiming one id: the later one replaces the earlier row, and
            // both are still on disk; the id-vs-file-name check marks the odd one broken.
            put_indexed(&tx, ix).map_err(sql)?;
            if *is_new {
                report.added += 1;
            } else {
                report.changed += 1;
            }
        }
        for file in gone {
            let ids: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM log_entries WHERE file = ?1")
                    .map_err(sql)?;
                stmt.query_map([file], |r| r.get(0))
                    .and_then(|rows| rows.collect())
                    .map_err(sql)?
            };
            for id in ids {
                tx.execute("DELETE FROM log_links WHERE entry_id = ?1", [&id])
                    .map_err(sql)?;
            }
            tx.execute("DELETE FROM log_entries WHERE file = ?1", [file])
                .map_err(sql)?;
            report.removed += 1;
        }
        tx.commit().map_err(sql)?;
        Ok(report)
    }

    /// Entries whose text contains every word of `search` (case-insensitive), newest
    /// first; at most `limit`.
    pub fn log_entries(&self, search: &str, limit: usize) -> Result<Vec<LogRow>, StoreError> {
        let words: Vec<String> = search
            .split_whitespace()
            .map(|w| format!("%{}%", w.to_lowercase().replace(['%', '_'], "")))
            .collect();
        let mut sql = format!("SELECT {ROW_COLUMNS} FROM log_entries WHERE 1");
        for k in 0..words.len() {
            sql.push_str(&format!(" AND search LIKE ?{}", k + 1));
        }
        sql.push_str(&format!(
            " ORDER BY created_ms DESC, id DESC LIMIT {}",
            limit.min(i64::MAX as usize)
        ));
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql_err())?;
        stmt.query_map(rusqlite::params_from_iter(words.iter()), row_of)
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err())
    }

    /// One entry's row.
    pub fn log_row(&self, id: &str) -> Result<Option<LogRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM log_entries WHERE id = ?1"),
                [id],
                row_of,
            )
            .optional()
            .map_err(self.sql_err())
    }

    /// Entries that link to `target` (`kind` is `dataset`, `manifest` or `event`), newest
    /// first.
    pub fn log_linking(&self, kind: &str, target: &str) -> Result<Vec<LogRow>, StoreError> {
        let cols: Vec<String> = ROW_COLUMNS
            .split(", ")
            .map(|c| format!("e.{}", c.trim()))
            .collect();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM log_entries e JOIN log_links l ON l.entry_id = e.id \
                 WHERE l.target_kind = ?1 AND l.target = ?2 ORDER BY e.created_ms DESC, e.id",
                cols.join(", ")
            ))
            .map_err(self.sql_err())?;
        stmt.query_map([kind, target], row_of)
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err())
    }

    /// The links an entry makes, as indexed.
    pub fn log_links(&self, id: &str) -> Result<Vec<LogLink>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT target_kind, target FROM log_links WHERE entry_id = ?1 \
                 ORDER BY target_kind, target",
            )
            .map_err(self.sql_err())?;
        stmt.query_map([id], |r| {
            Ok(LogLink {
                kind: r.get(0)?,
                target: r.get(1)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(self.sql_err())
    }

    /// Reads an entry's file (re-indexing it first if it changed on disk). `None` when no
    /// such entry is indexed or its file is gone.
    pub fn read_log_entry(&mut self, id: &str) -> Result<Option<LoadedEntry>, StoreError> {
        let Some(row) = self.log_row(id)? else {
            return Ok(None);
        };
        let path = self.log_dir().join(&row.file);
        if !path.exists() {
            self.rescan_log()?;
            return Ok(None);
        }
        let ix = index_file(&path, &row.file).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        if ix.row.sha256 != row.sha256 || ix.row.status != row.status {
            self.rescan_log()?;
        }
        let row = ix.row;
        if row.status == LogStatus::TooLarge {
            return Ok(Some(LoadedEntry {
                row,
                text: None,
                entry: None,
            }));
        }
        let bytes = std::fs::read(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let entry = parse_entry(&text).ok();
        Ok(Some(LoadedEntry {
            row,
            text: Some(text),
            entry,
        }))
    }

    /// Writes an entry's file atomically and indexes it. `expect_sha256` is the hash of
    /// the file the editor loaded (`None`: a new entry, whose file must not exist); if
    /// the file on disk is not that one, nothing is written.
    pub fn write_log_entry(
        &mut self,
        entry: &LogEntry,
        expect_sha256: Option<&str>,
    ) -> Result<LogRow, LogWriteError> {
        if !valid_id(&entry.front.id) {
            return Err(LogWriteError::BadId(entry.front.id.clone()));
        }
        let dir = self.log_dir();
        super::blob::create_dirs(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let file = format!("{}.md", entry.front.id);
        let path = dir.join(&file);
        match (expect_sha256, path.exists()) {
            (None, true) => return Err(LogWriteError::Exists(path)),
            (Some(expected), true) => {
                let (sha, _) = super::blob::hash_file(&path).map_err(StoreError::Blob)?;
                if sha != expected {
                    return Err(LogWriteError::ChangedOutside(path));
                }
            }
            (Some(_), false) => return Err(LogWriteError::ChangedOutside(path)),
            (None, false) => {}
        }
        let text = render_entry(entry);
        crate::atomic::write_atomic(&path, |w| w.write_all(text.as_bytes())).map_err(|source| {
            StoreError::Io {
                path: path.clone(),
                source,
            }
        })?;
        let ix = index_file(&path, &file).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let tx = begin_write(&mut self.conn, &index)?;
        put_indexed(&tx, &ix).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(ix.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogEntry {
        LogEntry {
            front: FrontMatter {
                id: "note-1-abc".into(),
                kind: EntryKind::Note,
                created: "2026-12-04T01:00:00+00:00".into(),
                created_ms: 1_796_346_000_000,
                title: "Hα looks \"broad\": a note, with commas".into(),
                manifest_id: Some("ab".repeat(32)),
                datasets: vec!["cd".repeat(32), "ef".repeat(32)],
                session: Some("gui-1-2".into()),
                event: Some(7),
            },
            body: "# Title\n\nSee [the data](dataset:abcd) and <event:3>.\n".into(),
        }
    }

    #[test]
    fn front_matter_round_trips() {
        let e = sample();
        let text = render_entry(&e);
        assert_eq!(parse_entry(&text).unwrap(), e);
    }

    #[test]
    fn flow_lists_and_quotes_read() {
        let text = "---\nid: x1\nkind: note\ncreated: '2026-01-01'\ntitle: plain words\ndatasets: [a, \"b\"]\n---\nbody\n";
        let e = parse_entry(text).unwrap();
        assert_eq!(e.front.datasets, vec!["a", "b"]);
        assert_eq!(e.front.created, "2026-01-01");
        assert_eq!(e.front.title, "plain words");
        assert_eq!(e.body, "body\n");
    }

    #[test]
    fn broken_front_matter_says_where() {
        for (text, line, needle) in [
            ("no front matter", 1, "does not start"),
            ("---\nid: a\n", 2, "no closing"),
            (
                "---\nid: a\nkind: note\ncreated: x\ntitle: \"open\n---\n",
                5,
                "quoted",
            ),
            ("---\nid: a\nid: b\n---\n", 3, "twice"),
            (
                "---\nid: a\nkind: poem\ncreated: x\n---\n",
                3,
                "export or note",
            ),
            ("---\njust words\n---\n", 2, "key: value"),
            ("---\nid: a\nkind: note\n---\n", 1, "'created' is missing"),
            ("---\n  - stray\n---\n", 2, "no list"),
        ] {
            let e = parse_entry(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.problem.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn body_links_are_destinations_only() {
        let links = body_links("[a](dataset:ab12) dataset:nope <manifest:ff00> (event:12)");
        assert_eq!(
            links,
            vec![
                ("dataset", "ab12".to_string()),
                ("manifest", "ff00".to_string()),
                ("event", "12".to_string())
            ]
        );
    }
}
