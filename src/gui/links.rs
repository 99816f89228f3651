//! Links between the Library, the History dock and the Knowledge-log: what a click on a
//! `dataset:`, `manifest:` or `event:` link (or a row's link) asks the app to open. The
//! panels emit them; [`super::WorkbenchApp`] follows them, so every link works the same
//! wherever it is clicked.

use crate::ids::DatasetId;

/// Something to open.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Link {
    /// Select the dataset in the Library store panel.
    Dataset(DatasetId),
    /// Open the manifest in the Library store panel's detail pane.
    Manifest(String),
    /// Open the Knowledge-log entry.
    LogEntry(String),
    /// Show the History row `seq` of `session` (`None`: this window's session).
    Event { session: Option<String>, seq: u64 },
    /// List the History events that touched a dataset.
    HistoryOfDataset(DatasetId),
    /// List the History events about a manifest.
    HistoryOfManifest(String),
}

impl Link {
    /// Reads a Markdown link destination (`dataset:<id>`, `manifest:<id>`,
    /// `event:<seq>`) written in an entry of `session`.
    pub fn parse(destination: &str, session: Option<&str>) -> Option<Link> {
        let (scheme, target) = destination.split_once(':')?;
        match scheme {
            "dataset" => crate::ids::parse_dataset_id(target).map(Link::Dataset),
            "manifest" if !target.is_empty() => Some(Link::Manifest(target.to_string())),
            "event" => {
                // `event:<seq>` is in the entry's session; `event:<session>/<seq>` names one.
                let (s, seq) = match target.rsplit_once('/') {
                    Some((s, seq)) => (Some(s.to_string()), seq),
                    None => (session.map(str::to_string), target),
                };
                seq.parse().ok().map(|seq| Link::Event { session: s, seq })
            }
            _ => None,
        }
    }
}
