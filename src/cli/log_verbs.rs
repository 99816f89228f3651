//! `spectra-workbench history` and `log …`, and the History every store-changing verb
//! records: each run is a session of its own (`cli-<verb>-<ms>-<pid>`), whose events go
//! into the store with the datasets, manifests and Knowledge-log entries they touched.

use std::path::Path;

use clap::Subcommand;
use serde::Serialize;

use super::Failure;
use super::store_verbs::{json, now_ms, open, print, store_failure};
use crate::ids::DatasetId;
use crate::provenance::knowledge::{Origin, note_entry};
use crate::session::persist::HistoryWriter;
use crate::session::{Command, EventKind, Record, Session};
use crate::store::Store;
use crate::store::history::EventFilter;
use crate::store::knowledge::{LogRow, LogStatus};

#[derive(Subcommand, Debug)]
pub enum LogVerb {
    /// List Knowledge-log entries, newest first.
    List {
        /// Keep entries whose text contains every word of TEXT.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print one entry's Markdown (and, with --json, its row and links).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a note, tied to datasets (IDs or unique prefixes) and/or an exported view.
    Add {
        /// The note's Markdown.
        #[arg(long)]
        text: String,
        #[arg(long = "dataset", value_name = "ID")]
        datasets: Vec<String>,
        /// The exported view (MANIFEST_ID or prefix) the note is about.
        #[arg(long, value_name = "ID")]
        manifest: Option<String>,
    },
}

/// One CLI run's History, written to the store when the verb has done its work.
pub(super) struct CliRun {
    writer: HistoryWriter,
}

impl CliRun {
    /// A run of `verb` (`apply`, `store import`…), starting now.
    pub(super) fn new(verb: &str) -> Self {
        Self {
            writer: HistoryWriter::new(&format!("cli {verb}"), now_ms()),
        }
    }

    /// Who writes a Knowledge-log entry for the event `session` records next.
    pub(super) fn origin(&self, session: &Session) -> Origin {
        Origin {
            session_id: self.writer.session_id().to_string(),
            event_seq: session.history().len() as u64 + 1,
        }
    }

    /// Records `record` in `session` (stamped now) and writes the session's events.
    pub(super) fn finish(
        mut self,
        store: &mut Store,
        session: &mut Session,
        record: Option<Record>,
    ) -> Result<(), Failure> {
        let at = Some(crate::session::UnixMillis(now_ms().max(0) as u64));
        if let Some(r) = record {
            session
                .apply_at(Command::Record(r), at)
                .expect("a record kind");
        }
        self.writer
            .flush(store, session.history())
            .map_err(store_failure)?;
        Ok(())
    }

    /// Records one event for a verb that has no session of its own (pin, rm, import).
    pub(super) fn single(self, store: &mut Store, record: Record) -> Result<(), Failure> {
        let mut session = Session::default();
        self.finish(store, &mut session, Some(record))
    }
}

/// A record of `kind`.
pub(super) fn record(kind: EventKind, summary: String, dataset_ids: Vec<DatasetId>) -> Record {
    Record {
        kind,
        summary,
        dataset_ids,
        manifest_id: None,
        log_entry: None,
    }
}

/// `history [--session ID] [--kind K] [--dataset ID] [--json]`.
pub(super) fn history(
    flag: Option<&Path>,
    session: Option<String>,
    kind: Option<String>,
    dataset: Option<String>,
    as_json: bool,
) -> Result<(), Failure> {
    let store = open(flag)?;
    if let Some(k) = &kind
        && EventKind::parse(k).is_none()
    {
        let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(Failure::bad_input(format!(
            "--kind {k}: not a kind of event (one of {})",
            known.join(", ")
        )));
    }
    let dataset = match dataset {
        Some(d) => Some(
            store
                .resolve_dataset(&d)
                .map_err(store_failure)?
                .to_string(),
        ),
        None => None,
    };
    if let Some(s) = &session
        && !store
            .sessions()
            .map_err(store_failure)?
            .iter()
            .any(|r| &r.id == s)
    {
        return Err(Failure::bad_input(format!(
            "--session {s}: no such session in the store"
        )));
    }
    let filter = EventFilter {
        session_id: session,
        kind,
        dataset_id: dataset,
        ..EventFilter::default()
    };
    let events = store.events(&filter, usize::MAX).map_err(store_failure)?;
    if as_json {
        return print(&json(&events));
    }
    let mut lines = Vec::new();
    let mut current = None;
    for e in &events {
        if current != Some(&e.session_id) {
            current = Some(&e.session_id);
            lines.push(format!("session {}", e.session_id));
        }
        let at = e
            .at_ms
            .map(|ms| crate::textfmt::rfc3339_from_unix((ms.max(0) / 1000) as u64))
            .unwrap_or_else(|| "-".into());
        let mut line = format!("{:>5}  {at}  {:<13} {}", e.seq, e.kind, e.summary);
        if let Some(m) = &e.manifest_id {
            line.push_str(&format!("  [manifest {}]", crate::ids::short_hex(m)));
        }
        if let Some(l) = &e.log_entry {
            line.push_str(&format!("  [log {l}]"));
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push("no events".into());
    }
    print(&lines.join("\n"))
}

#[derive(Serialize)]
struct LinkStatus {
    kind: String,
    target: String,
    /// Whether the store still has it (`event` links: whether the event is recorded).
    exists: bool,
}

fn link_statuses(store: &Store, row: &LogRow) -> Result<Vec<LinkStatus>, Failure> {
    let links = store.log_links(&row.id).map_err(store_failure)?;
    links
        .into_iter()
        .map(|l| {
            let exists = match l.kind.as_str() {
                "event" => match (&row.session_id, l.target.parse::<u64>()) {
                    (Some(s), Ok(seq)) => store.event(s, seq).map_err(store_failure)?.is_some(),
                    _ => false,
                },
                _ => store.resolve(&l.target).is_ok(),
            };
            Ok(LinkStatus {
                kind: l.kind,
                target: l.target,
                exists,
            })
        })
        .collect()
}

/// `log list | show | add`.
pub(super) fn log(verb: LogVerb, flag: Option<&Path>) -> Result<(), Failure> {
    let mut store = open(flag)?;
    store.rescan_log().map_err(store_failure)?;
    match verb {
        LogVerb::List {
            search,
            json: as_json,
        } => {
            let rows = store
                .log_entries(search.as_deref().unwrap_or(""), usize::MAX)
                .map_err(store_failure)?;
            if as_json {
                return print(&json(&rows));
            }
            let mut lines: Vec<String> = rows
                .iter()
                .map(|r| {
                    let when =
                        crate::textfmt::rfc3339_from_unix((r.created_ms.max(0) / 1000) as u64);
                    let mut line = format!("{}  {when}  {:<7} {}", r.id, r.kind, r.title);
                    if let Some(p) = &r.problem {
                        line.push_str(&format!("  ({p})"));
                    }
                    line
                })
                .collect();
            if lines.is_empty() {
                lines.push("no entries".into());
            }
            print(&lines.join("\n"))
        }
        LogVerb::Show { id, json: as_json } => {
            let Some(loaded) = store.read_log_entry(&id).map_err(store_failure)? else {
                return Err(Failure::bad_input(format!(
                    "{}: no Knowledge-log entry '{id}'",
                    store.log_dir().display()
                )));
            };
            let links = link_statuses(&store, &loaded.row)?;
            let path = store.log_dir().join(&loaded.row.file);
            if as_json {
                return print(&json(&serde_json::json!({
                    "entry": loaded.row,
                    "path": path,
                    "links": links,
                    "text": loaded.text,
                })));
            }
            if let (Some(p), LogStatus::Broken) = (&loaded.row.problem, loaded.row.status) {
                eprintln!("spectra-workbench: {}: {p}", path.display());
            }
            for l in links.iter().filter(|l| !l.exists) {
                eprintln!(
                    "spectra-workbench: {}: links to {}:{}, which the store no longer has",
                    path.display(),
                    l.kind,
                    l.target
                );
            }
            match (&loaded.text, loaded.row.status) {
                (Some(text), _) => print(text.trim_end()),
                (None, LogStatus::TooLarge) => Err(Failure {
                    message: format!(
                        "{}: {}",
                        path.display(),
                        loaded.row.problem.unwrap_or_default()
                    ),
                    code: 1,
                }),
                (None, _) => Ok(()),
            }
        }
        LogVerb::Add {
            text,
            datasets,
            manifest,
        } => {
            if text.trim().is_empty() {
                return Err(Failure::bad_input("--text: a note needs some text"));
            }
            let ids: Vec<DatasetId> = datasets
                .iter()
                .map(|d| store.resolve_dataset(d))
                .collect::<Result<_, _>>()
                .map_err(store_failure)?;
            let manifest = match manifest {
                Some(m) => match store.resolve(&m).map_err(store_failure)? {
                    crate::store::Resolved::Manifest(id) => Some(id),
                    crate::store::Resolved::Dataset(_) => {
                        return Err(Failure::bad_input(format!(
                            "--manifest {m}: that is a dataset; give it with --dataset"
                        )));
                    }
                },
                None => None,
            };
            let run = CliRun::new("log add");
            let mut session = Session::default();
            let origin = run.origin(&session);
            let entry = note_entry(&text, &ids, manifest.as_deref(), &origin, now_ms());
            let row = store
                .write_log_entry(&entry, None)
                .map_err(|e| Failure::bad_input(format!("log: {e}")))?;
            let mut r = record(EventKind::Note, format!("note: {}", entry.front.title), ids);
            r.manifest_id = manifest;
            r.log_entry = Some(row.id.clone());
            run.finish(&mut store, &mut session, Some(r))?;
            print(&row.id)
        }
    }
}
