//! The persisted History: every session that changed something (a GUI run, one CLI
//! verb) and its events, in the index's `sessions`, `events` and `event_datasets` tables.
//! The rows are plain (the store sits below the session layer); `session::persist`
//! converts the session's events to them. An event is keyed by (session, seq): writing
//! one again replaces it, which is how a continuous edit folded into the last event
//! reaches the store.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, begin_write, index_error};

/// One event as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub session_id: String,
    /// 1-based, within the session.
    pub seq: u64,
    /// When it happened, ms since the Unix epoch (UTC), if the frontend said.
    pub at_ms: Option<i64>,
    /// `EventKind::as_str` of its kind.
    pub kind: String,
    pub summary: String,
    /// The undo stack's depth after it.
    pub undo_position: u64,
    pub manifest_id: Option<String>,
    pub log_entry: Option<String>,
    pub dataset_ids: Vec<String>,
    pub transform_ids: Vec<String>,
}

/// One session's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    /// `gui-<ms>-<pid>` or `cli-<verb>-<ms>-<pid>`.
    pub id: String,
    /// `gui` or `cli <verb>`.
    pub frontend: String,
    /// ms since the Unix epoch (UTC).
    pub started_ms: i64,
    /// How many events it recorded.
    pub events: u64,
}

/// Which events to list. Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub session_id: Option<String>,
    /// Leave this session out (the GUI lists its own from memory).
    pub exclude_session: Option<String>,
    pub kind: Option<String>,
    pub dataset_id: Option<String>,
    pub manifest_id: Option<String>,
    pub log_entry: Option<String>,
}

fn split_ids(text: String) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

const COLUMNS: &str = "e.session_id, e.seq, e.at_ms, e.kind, e.summary, e.undo_position, \
     e.manifest_id, e.log_entry, e.dataset_ids, e.transform_ids";

fn event_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        session_id: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        at_ms: r.get(2)?,
        kind: r.get(3)?,
        summary: r.get(4)?,
        undo_position: r.get::<_, i64>(5)? as u64,
        manifest_id: r.get(6)?,
        log_entry: r.get(7)?,
        dataset_ids: split_ids(r.get(8)?),
        transform_ids: split_ids(r.get(9)?),
    })
}

impl Store {
    /// Writes a session's row (again: its frontend and start do not change) and the
    /// given events, replacing any with the same sequence numbers, as one change.
    pub fn put_events(
        &mut self,
        session: &SessionRow,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let index = self.root.join("index.sqlite");
        let sql = index_error(&index);
        let tx = begin_write(&mut self.conn, &index)?;
        tx.execute(
            "INSERT OR IGNORE INTO sessions(id, frontend, started_ms) VALUES (?1, ?2, ?3)",
            params![session.id, session.frontend, session.started_ms],
        )
        .map_err(sql)?;
        for e in events {
            let seq = e.seq as i64;
            tx.execute(
                "INSERT OR REPLACE INTO events(session_id, seq, at_ms, kind, summary, \
                 undo_position, manifest_id, log_entry, dataset_ids, transform_ids) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    e.session_id,
                    seq,
                    e.at_ms,
                    e.kind,
                    e.summary,
                    e.undo_position as i64,
                    e.manifest_id,
                    e.log_entry,
                    e.dataset_ids.join(" "),
                    e.transform_ids.join(" "),
                ],
            )
            .map_err(sql)?;
            tx.execute(
                "DELETE FROM event_datasets WHERE session_id = ?1 AND seq = ?2",
                params![e.session_id, seq],
            )
            .map_err(sql)?;
            for id in &e.dataset_ids {
                tx.execute(
                    "INSERT OR IGNORE INTO event_datasets(session_id, seq, dataset_id) \
                     VALUES (?1, ?2, ?3)",
                    params![e.session_id, seq, id],
                )
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Events matching `filter`, oldest first (by time, then session, then seq); at
    /// most `limit`, the newest ones when there are more.
    pub fn events(
        &self,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM events e JOIN sessions s ON s.id = e.session_id WHERE 1"
        );
        let mut args: Vec<String> = Vec::new();
        let mut clause = |sql: &mut String, text: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(v.clone());
                sql.push_str(&text.replace('?', &format!("?{}", args.len())));
            }
        };
        clause(&mut sql, " AND e.session_id = ?", &filter.session_id);
        clause(&mut sql, " AND e.session_id != ?", &filter.exclude_session);
        clause(&mut sql, " AND e.kind = ?", &filter.kind);
        clause(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM event_datasets d WHERE d.session_id = e.session_id \
             AND d.seq = e.seq AND d.dataset_id = ?)",
            &filter.dataset_id,
        );
        clause(&mut sql, " AND e.manifest_id = ?", &filter.manifest_id);
        clause(&mut sql, " AND e.log_entry = ?", &filter.log_entry);
        sql.push_str(&format!(
            " ORDER BY s.started_ms DESC, e.session_id DESC, e.seq DESC LIMIT {}",
            limit.min(i64::MAX as usize)
        ));
        let mut stmt = self.conn.prepare(&sql).map_err(self.sql_err())?;
        let mut rows: Vec<StoredEvent> = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), event_of)
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err())?;
        rows.reverse();
        Ok(rows)
    }

    /// One event, if recorded.
    pub fn event(&self, session_id: &str, seq: u64) -> Result<Option<StoredEvent>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM events e WHERE e.session_id = ?1 AND e.seq = ?2"),
                params![session_id, seq as i64],
                event_of,
            )
            .optional()
            .map_err(self.sql_err())
    }

    /// Every session, newest first, with its event count.
    pub fn sessions(&self) -> Result<Vec<SessionRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, s.frontend, s.started_ms, \
                 (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) \
                 FROM sessions s ORDER BY s.started_ms DESC, s.id DESC",
            )
            .map_err(self.sql_err())?;
        stmt.query_map([], |r| {
            Ok(SessionRow {
                id: r.get(0)?,
                frontend: r.get(1)?,
                started_ms: r.get(2)?,
                events: r.get::<_, i64>(3)? as u64,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(self.sql_err())
    }
}
