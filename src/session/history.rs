//! The session's history: one structured event per applied command, with its sequence
//! number, the time it was applied (a value the frontend passes in: the session reads no
//! clock), its kind, the Dataset and Transform IDs it touched and the undo position it
//! left. Bundles' `logs/log.txt` is written from these events; the History dock lists
//! them.

use serde::{Deserialize, Serialize};

use crate::ids::DatasetId;

/// What kind of change an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Datasets were opened or added to the Library.
    Open,
    /// A trace was shown or hidden (overlay).
    Overlay,
    /// A display setting changed (unit, normalization, smoothing, palette, masks…).
    View,
    /// A transform step derived a dataset.
    Transform,
    /// A dataset's medium was declared.
    DeclareMedium,
    /// What exports may include changed.
    ExportPolicy,
    /// A dataset was removed.
    Remove,
    Undo,
    Redo,
    /// Datasets were put into the Library store (ingested).
    Store,
    /// A bundle was exported (its manifest and Knowledge-log entry are linked).
    Export,
    /// A bundle was imported into the store (rehydrated).
    Import,
    /// A store record was pinned.
    Pin,
    /// A store record was unpinned.
    Unpin,
    /// A dataset was deleted from the store.
    Delete,
    /// A Knowledge-log note was written or edited.
    Note,
    /// An exported view was rebuilt from the store.
    Rebuild,
    /// An analysis (measurement, RV, identification) was recorded.
    Analysis,
}

impl EventKind {
    /// Every kind, in the order filters list them.
    pub const ALL: [EventKind; 18] = [
        EventKind::Open,
        EventKind::Overlay,
        EventKind::View,
        EventKind::Transform,
        EventKind::DeclareMedium,
        EventKind::ExportPolicy,
        EventKind::Remove,
        EventKind::Undo,
        EventKind::Redo,
        EventKind::Store,
        EventKind::Export,
        EventKind::Import,
        EventKind::Pin,
        EventKind::Unpin,
        EventKind::Delete,
        EventKind::Note,
        EventKind::Rebuild,
        EventKind::Analysis,
    ];

    /// The kind's name in JSON and in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Open => "open",
            EventKind::Overlay => "overlay",
            EventKind::View => "view",
            EventKind::Transform => "transform",
            EventKind::DeclareMedium => "declare_medium",
            EventKind::ExportPolicy => "export_policy",
            EventKind::Remove => "remove",
            EventKind::Undo => "undo",
            EventKind::Redo => "redo",
            EventKind::Store => "store",
            EventKind::Export => "export",
            EventKind::Import => "import",
            EventKind::Pin => "pin",
            EventKind::Unpin => "unpin",
            EventKind::Delete => "delete",
            EventKind::Note => "note",
            EventKind::Rebuild => "rebuild",
            EventKind::Analysis => "analysis",
        }
    }

    /// The kind named `text` (as [`EventKind::as_str`] writes it).
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether events of this kind come from the store or the Knowledge-log rather than
    /// from a change to the session's state (they take no undo entry).
    pub fn is_record(self) -> bool {
        matches!(
            self,
            EventKind::Store
                | EventKind::Export
                | EventKind::Import
                | EventKind::Pin
                | EventKind::Unpin
                | EventKind::Delete
                | EventKind::Note
        )
    }
}

/// A time as the frontend passes it in: milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

/// One applied command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// 1-based sequence number within the session.
    pub seq: u64,
    /// When it was applied, if the frontend said (tests and replays may not).
    pub at: Option<UnixMillis>,
    pub kind: EventKind,
    /// The datasets it touched (added, shown, derived from and into, removed).
    pub dataset_ids: Vec<DatasetId>,
    /// The Transform IDs of the steps it applied.
    pub transform_ids: Vec<String>,
    /// The undo stack's depth after it: undoing down to this depth takes it back.
    pub undo_position: usize,
    /// What happened, in words (the line in `logs/log.txt`).
    pub summary: String,
    /// The manifest an export, import or rebuild is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_id: Option<String>,
    /// The Knowledge-log entry the event wrote (an export's entry, a note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_entry: Option<String>,
}

/// The old name of [`HistoryEvent`].
pub type HistoryEntry = HistoryEvent;

/// The events of a session, oldest first.
#[derive(Clone, Debug, Default)]
pub struct History {
    events: Vec<HistoryEvent>,
}

impl History {
    /// Every event, oldest first.
    pub fn events(&self) -> &[HistoryEvent] {
        &self.events
    }

    /// Appends an event; its sequence number is the next one.
    pub(crate) fn push(&mut self, mut event: HistoryEvent) -> u64 {
        event.seq = self.events.len() as u64 + 1;
        let seq = event.seq;
        self.events.push(event);
        seq
    }

    /// The last event, to fold a continuous edit into.
    pub(crate) fn last_mut(&mut self) -> Option<&mut HistoryEvent> {
        self.events.last_mut()
    }

    /// The events that touched `id`, oldest first.
    pub fn touching<'a>(&'a self, id: &'a DatasetId) -> impl Iterator<Item = &'a HistoryEvent> {
        self.events
            .iter()
            .filter(move |e| e.dataset_ids.contains(id))
    }

    /// The human-readable log written into bundles (`logs/log.txt`).
    pub fn log_text(&self) -> String {
        self.events
            .iter()
            .map(|h| format!("{:>4}  {}\n", h.seq, h.summary))
            .collect()
    }
}
