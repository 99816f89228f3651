//! Retention: what `store gc` removes and why. Never a pinned dataset, one a pinned
//! manifest used, one a running window holds, or one seen within the grace period.
//! Past that: entries older than the age limit go, then, while the store is over its
//! size limit, the least recently seen.

use serde::Serialize;

use super::{Store, StoreError};
use crate::ids::DatasetId;

const DAY_MS: i64 = 86_400_000;

/// Retention settings (kept in the index; `store settings` changes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// Total blob bytes above which the least recently seen entries go.
    pub max_bytes: u64,
    /// Entries not seen for longer than this go (0: no age limit).
    pub max_age_days: u64,
    /// Nothing seen more recently than this goes, whatever the limits say.
    pub grace_days: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_bytes: 20 << 30,
            max_age_days: 365,
            grace_days: 7,
        }
    }
}

/// Why an entry would go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum GcReason {
    /// Not seen for `days` days, over the age limit.
    Age { days: u64, limit_days: u64 },
    /// The store is over its size limit and this is among the least recently seen.
    Size { limit_bytes: u64 },
}

impl std::fmt::Display for GcReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GcReason::Age { days, limit_days } => {
                write!(f, "not seen for {days} days (limit {limit_days})")
            }
            GcReason::Size { limit_bytes } => write!(
                f,
                "least recently seen while the store is over its size limit ({limit_bytes} bytes)"
            ),
        }
    }
}

/// One entry `gc` would remove.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GcItem {
    pub id: DatasetId,
    pub name: String,
    pub size_bytes: u64,
    pub last_seen_ms: i64,
    #[serde(flatten)]
    pub reason: GcReason,
}

/// What `gc` would do.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GcPlan {
    pub remove: Vec<GcItem>,
    /// Entries kept because they are pinned, used by a pinned manifest, held by a
    /// running window, or inside the grace period.
    pub protected: usize,
    pub total_bytes: u64,
    pub freed_bytes: u64,
}

/// A candidate row: (id, name, size, last seen, protected).
type Row = (String, String, i64, i64, bool);

impl Store {
    /// Plans a collection at time `now_ms` under the stored settings.
    pub fn gc_plan(&self, now_ms: i64) -> Result<GcPlan, StoreError> {
        let r = self.retention()?;
        let live_pids: Vec<i64> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT DISTINCT pid FROM holds")
                .map_err(self.sql_err())?;
            let pids: Vec<i64> = stmt
                .query_map([], |row| row.get(0))
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err())?;
            pids.into_iter()
                .filter(|&p| u32::try_from(p).is_ok_and(super::pid_alive))
                .collect()
        };
        let pid_list = live_pids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let grace_from = now_ms - r.grace_days as i64 * DAY_MS;
        let sql = format!(
            "SELECT d.id, d.name, d.size_bytes, d.last_seen_ms, \
               (d.pinned OR d.last_seen_ms >= ?1 \
                OR EXISTS (SELECT 1 FROM manifest_datasets md JOIN manifests m \
                           ON m.id = md.manifest_id WHERE md.dataset_id = d.id AND m.pinned) \
                OR EXISTS (SELECT 1 FROM holds h WHERE h.dataset_id = d.id \
                           AND h.pid IN ({pid_list}))) \
             FROM datasets d WHERE d.status != 'quarantined' \
             ORDER BY d.last_seen_ms ASC, d.rowid ASC"
        );
        let rows: Vec<Row> = {
            let mut stmt = self.conn().prepare(&sql).map_err(self.sql_err())?;
            stmt.query_map([grace_from], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err())?
        };
        let mut plan = GcPlan {
            total_bytes: rows.iter().map(|r| r.2 as u64).sum(),
            protected: rows.iter().filter(|r| r.4).count(),
            ..GcPlan::default()
        };
        let mut remaining = plan.total_bytes;
        let item = |row: &Row, reason| GcItem {
            id: crate::ids::parse_dataset_id(&row.0).expect("stored IDs are checked"),
            name: row.1.clone(),
            size_bytes: row.2 as u64,
            last_seen_ms: row.3,
            reason,
        };
        // Oldest first, so age removals come first and the size pass continues in LRU
        // order from where they stopped.
        for row in rows.iter().filter(|r| !r.4) {
            let days = ((now_ms - row.3).max(0) / DAY_MS) as u64;
            let reason = if r.max_age_days > 0 && days > r.max_age_days {
                GcReason::Age {
                    days,
                    limit_days: r.max_age_days,
                }
            } else if remaining > r.max_bytes {
                GcReason::Size {
                    limit_bytes: r.max_bytes,
                }
            } else {
                continue;
            };
            remaining -= row.2 as u64;
            plan.freed_bytes += row.2 as u64;
            plan.remove.push(item(row, reason));
        }
        Ok(plan)
    }

    /// Carries a plan out; entries seen again since the plan was made stay. Returns what
    /// was removed.
    pub fn gc_run(&mut self, plan: &GcPlan) -> Result<Vec<GcItem>, StoreError> {
        let mut removed = Vec::new();
        for item in &plan.remove {
            if self.remove_rows(&item.id, Some(item.last_seen_ms))? {
                removed.push(item.clone());
            }
        }
        // Blobs no row names (a writer stopped between its blob and its row) go too.
        self.remove_unindexed_blobs()?;
        Ok(removed)
    }

    /// Removes blobs without a row, older than an hour (a live writer's newest blob may
    /// be waiting for its row).
    fn remove_unindexed_blobs(&mut self) -> Result<(), StoreError> {
        for path in super::check::blob_files(&self.root().join("blobs")) {
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(crate::ids::parse_dataset_id)
            else {
                continue;
            };
            let old = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if old && self.row_status(&id)?.is_none() {
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(())
    }
}
