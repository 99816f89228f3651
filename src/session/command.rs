//! Commands: every change to a session, the reasons one is refused, and the checks and
//! words that go with each (validation never changes anything).

use crate::ids::DatasetId;
use crate::lod::MIN_BUDGET_POINTS;
use crate::session::history::EventKind;
use crate::session::library::{Dataset, Library};
use crate::spectrum::Medium;
use crate::transforms::Normalization;
use crate::transforms::registry::{StepRecord, TransformError};
use crate::units::XUnit;
use crate::view::{Canvas, MaskInterval, PaletteKey, PlotBounds, Smoothing, Theme};

/// A change to the session. UI code builds these; [`crate::session::Session::apply`]
/// carries them out at the end of the frame.
#[must_use]
#[derive(Clone, Debug)]
pub enum Command {
    /// Adds datasets to the Library and shows them (an already loaded ID is just shown).
    /// A dataset whose every sample is masked is added hidden: it has nothing to show
    /// but its mask shading, which would cover the other traces.
    AddDatasets(Vec<Dataset>),
    SetDisplayUnit(XUnit),
    SetNormalization(Normalization),
    SetSmoothing(Smoothing),
    SetPalette(PaletteKey),
    SetTheme(Theme),
    /// Sets what exports may include and must say (data restrictions, notes).
    SetExportPolicy(ExportPolicy),
    SetLodBudget(usize),
    SetCrosshair(bool),
    SetUncertainty(bool),
    SetSnapToPeak(bool),
    /// Half-width of the snap search, nm (> 0).
    SetSnapRadius(f64),
    /// Replaces the view's mask intervals (shaded on the canvas).
    SetViewMasks(Vec<MaskInterval>),
    /// Shows a bundled line list over the plot at a redshift, or none.
    SetLineOverlay(Option<crate::view::LineOverlay>),
    SetTraceVisible {
        id: DatasetId,
        visible: bool,
    },
    /// Adds a dataset derived by transform steps (computed beforehand, see
    /// [`crate::session::derive()`]) with their records; with `replace`, the derived
    /// trace takes that trace's place on the canvas (the parent stays in the Library).
    AddDerived {
        dataset: Dataset,
        records: Vec<StepRecord>,
        replace: Option<DatasetId>,
    },
    /// Declares the medium of a dataset whose source did not say (not part of its ID).
    DeclareMedium {
        id: DatasetId,
        medium: Medium,
    },
    /// Removes a dataset from the canvas and the Library.
    RemoveDataset(DatasetId),
    /// Pan/zoom result (navigation: not undoable, not in history).
    SetBounds(Option<PlotBounds>),
    /// Canvas size and scale (layout: not undoable, not in history).
    SetCanvas(Canvas),
    Undo,
    Redo,
    /// Records something that happened outside the session's state (stored, exported,
    /// imported, pinned, deleted, a note written): an event, no undo entry.
    Record(Record),
    /// Adds an analysis record (a measurement, an RV, an identification), computed
    /// beforehand by [`crate::analysis::record::run`] from datasets of the session. One
    /// undo entry; undo takes the record out again.
    AddAnalysis(Box<crate::analysis::record::AnalysisRecord>),
    /// Restores an exported view (rebuilt by `provenance::knowledge::rebuild_from_store`)
    /// or a recipe's: adds its datasets and step records and sets its view state. One
    /// undo entry.
    Rebuild(Box<Rebuild>),
}

/// What a [`Command::Record`] records.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// One of the kinds for which [`EventKind::is_record`] holds.
    pub kind: EventKind,
    pub summary: String,
    pub dataset_ids: Vec<DatasetId>,
    pub manifest_id: Option<String>,
    pub log_entry: Option<String>,
}

/// What a [`Command::Rebuild`] restores: an exported view (from its manifest) or a
/// recipe's.
#[derive(Clone, Debug)]
pub struct Rebuild {
    /// The manifest whose view this is (`None` for a recipe).
    pub manifest_id: Option<String>,
    /// Where the view comes from, in words ("manifest 2176d98c0c97", "recipe a.json").
    pub source: String,
    /// Inputs and derived datasets, in the manifest's order.
    pub datasets: Vec<Dataset>,
    /// The step records that derived them, in order.
    pub records: Vec<StepRecord>,
    /// The analysis records of the view, in order.
    pub analyses: Vec<crate::analysis::record::AnalysisRecord>,
    /// The exported view state (its traces name datasets above or in the Library).
    pub view: crate::view::ViewState,
}

/// Why a command was refused. Nothing is changed when a command is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Smoothing(#[from] crate::transforms::SavGolError),
    #[error("LOD budget must be at least {MIN_BUDGET_POINTS} points, got {0}")]
    LodBudget(usize),
    #[error("snap radius must be a positive number of nm, got {0}")]
    SnapRadius(f64),
    #[error("no dataset {0} in this session")]
    UnknownDataset(String),
    #[error("plot bounds must be finite and increasing")]
    Bounds,
    #[error("mask intervals must be finite, with start below end (nm)")]
    Masks,
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
    #[error("{0}")]
    Transform(#[from] TransformError),
    #[error("{name} is already known to be in {known}")]
    MediumKnown { name: String, known: &'static str },
    #[error("{0} is not a kind of record")]
    NotARecord(&'static str),
    #[error("line overlay: {0}")]
    LineOverlay(String),
}

/// What an export may include and what it must say about the data: recorded in the
/// manifest (`data_restrictions`, `notes`), so part of MANIFEST_ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportPolicy {
    /// Terms that restrict the data (e.g. "proprietary until 2027-06-01"). When set, raw
    /// source files are left out of bundles unless `include_restricted_sources`.
    pub data_restrictions: Option<String>,
    /// The user's explicit opt-in to copy restricted raw sources into bundles anyway.
    pub include_restricted_sources: bool,
    /// Free text for the manifest's `notes`.
    pub notes: String,
}

impl ExportPolicy {
    /// Whether raw source files go into a bundle.
    pub fn sources_allowed(&self) -> bool {
        self.data_restrictions
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
            || self.include_restricted_sources
    }
}

/// Edits that arrive in bursts (a slider dragged, a number typed digit by digit): a run
/// of them with the same key, close together in time, is one undo entry and one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coalesce {
    LodBudget,
    Smoothing,
    SnapRadius,
    ExportPolicy,
    LineOverlay,
}

/// A validated command, described: the words and structure of its history event.
#[derive(Clone, Debug)]
pub(crate) struct Described {
    pub summary: String,
    pub kind: EventKind,
    pub dataset_ids: Vec<DatasetId>,
    pub transform_ids: Vec<String>,
    pub coalesce: Option<Coalesce>,
    pub manifest_id: Option<String>,
}

impl Described {
    fn new(kind: EventKind, summary: String) -> Self {
        Self {
            summary,
            kind,
            dataset_ids: Vec::new(),
            transform_ids: Vec::new(),
            coalesce: None,
            manifest_id: None,
        }
    }

    fn on(mut self, ids: impl IntoIterator<Item = DatasetId>) -> Self {
        self.dataset_ids.extend(ids);
        self
    }

    fn coalescing(mut self, key: Coalesce) -> Self {
        self.coalesce = Some(key);
        self
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Checks a state-changing command against the Library and describes it, without
/// changing anything. Navigation, layout, undo and redo are not described here.
pub(crate) fn describe(library: &Library, command: &Command) -> Result<Described, CommandError> {
    let known = |id: &DatasetId| {
        library
            .get(id)
            .ok_or_else(|| CommandError::UnknownDataset(id.to_string()))
    };
    use EventKind as K;
    Ok(match command {
        Command::AddDatasets(ds) => {
            let names: Vec<String> = ds
                .iter()
                .map(|d| format!("{} ({})", d.spectrum.name, d.id.short()))
                .collect();
            Described::new(K::Open, format!("loaded {}", names.join(", ")))
                .on(ds.iter().map(|d| d.id.clone()))
        }
        Command::SetDisplayUnit(u) => {
            Described::new(K::View, format!("display unit → {}", u.symbol()))
        }
        Command::SetNormalization(n) => {
            Described::new(K::View, format!("normalization → {}", n.label()))
        }
        Command::SetSmoothing(s) => {
            let text = if let Some(sg) = s.savgol() {
                // Checked against a long enough length: per-trace fit is the display's job.
                sg.validate(usize::MAX)?;
                format!("smoothing → Savitzky–Golay w={} p={}", sg.window, sg.poly)
            } else {
                "smoothing → off".into()
            };
            Described::new(K::View, text).coalescing(Coalesce::Smoothing)
        }
        Command::SetPalette(p) => Described::new(K::View, format!("palette → {}", p.label())),
        Command::SetTheme(t) => Described::new(K::View, format!("theme → {t:?}")),
        Command::SetExportPolicy(p) => {
            let text = match &p.data_restrictions {
                Some(t) if !t.trim().is_empty() => format!(
                    "data restrictions → {t:?}{}",
                    if p.include_restricted_sources {
                        " (raw sources included by opt-in)"
                    } else {
                        ""
                    }
                ),
                _ => "data restrictions → none".into(),
            };
            Described::new(K::ExportPolicy, text).coalescing(Coalesce::ExportPolicy)
        }
        Command::SetLodBudget(n) => {
            if *n < MIN_BUDGET_POINTS {
                return Err(CommandError::LodBudget(*n));
            }
            Described::new(K::View, format!("LOD budget → {n} points"))
                .coalescing(Coalesce::LodBudget)
        }
        Command::SetCrosshair(on) => Described::new(K::View, format!("crosshair {}", on_off(*on))),
        Command::SetUncertainty(on) => {
            Described::new(K::View, format!("uncertainty band {}", on_off(*on)))
        }
        Command::SetSnapToPeak(on) => {
            Described::new(K::View, format!("snap to peak {}", on_off(*on)))
        }
        Command::SetSnapRadius(r) => {
            if !(r.is_finite() && *r > 0.0) {
                return Err(CommandError::SnapRadius(*r));
            }
            Described::new(K::View, format!("snap radius → {r} nm"))
                .coalescing(Coalesce::SnapRadius)
        }
        Command::SetLineOverlay(overlay) => match overlay {
            None => Described::new(K::View, "line overlay off".into()),
            Some(o) => {
                if !crate::analysis::linelist::BUNDLED
                    .iter()
                    .any(|(k, _)| *k == o.list)
                {
                    return Err(CommandError::LineOverlay(format!(
                        "no bundled line list '{}'",
                        o.list
                    )));
                }
                if !(o.z.is_finite() && o.z > -1.0) {
                    return Err(CommandError::LineOverlay(format!(
                        "z must be finite and above −1 (got {})",
                        o.z
                    )));
                }
                Described::new(K::View, format!("lines {} at z = {}", o.list, o.z))
                    .coalescing(Coalesce::LineOverlay)
            }
        },
        Command::SetViewMasks(masks) => {
            if masks.iter().any(|m| {
                !(m.x_nm_start.is_finite() && m.x_nm_end.is_finite() && m.x_nm_start < m.x_nm_end)
            }) {
                return Err(CommandError::Masks);
            }
            Described::new(K::View, format!("mask intervals → {}", masks.len()))
        }
        Command::SetTraceVisible { id, visible } => {
            let d = known(id)?;
            Described::new(
                K::Overlay,
                format!(
                    "{} {}",
                    d.spectrum.name,
                    if *visible { "shown" } else { "hidden" }
                ),
            )
            .on([id.clone()])
        }
        Command::RemoveDataset(id) => {
            let d = known(id)?;
            Described::new(K::Remove, format!("removed {}", d.spectrum.name)).on([id.clone()])
        }
        Command::DeclareMedium { id, medium } => {
            let d = known(id)?;
            if d.spectrum.medium != Medium::Unknown && d.spectrum.medium != *medium {
                return Err(CommandError::MediumKnown {
                    name: d.spectrum.name.clone(),
                    known: d.spectrum.medium.as_str(),
                });
            }
            Described::new(
                K::DeclareMedium,
                format!("{} declared in {}", d.spectrum.name, medium.as_str()),
            )
            .on([id.clone()])
        }
        Command::AddDerived {
            dataset,
            records,
            replace,
        } => {
            if let Some(r) = replace {
                known(r)?;
            }
            let steps: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
            let mut d = Described::new(
                K::Transform,
                format!(
                    "{} → {} ({})",
                    steps.join(", "),
                    dataset.spectrum.name,
                    dataset.id.short()
                ),
            );
            // Parents first, then the result, each once.
            for r in records {
                for p in &r.parent_ids {
                    if !d.dataset_ids.contains(p) {
                        d.dataset_ids.push(p.clone());
                    }
                }
                d.transform_ids.push(r.id.clone());
            }
            if !d.dataset_ids.contains(&dataset.id) {
                d.dataset_ids.push(dataset.id.clone());
            }
            d
        }
        Command::AddAnalysis(a) => {
            let mut ids = Vec::new();
            for input in a.request.inputs() {
                let id = crate::ids::parse_dataset_id(&input)
                    .ok_or_else(|| CommandError::UnknownDataset(input.clone()))?;
                known(&id)?;
                ids.push(id);
            }
            Described::new(K::Analysis, a.summary.clone()).on(ids)
        }
        Command::Rebuild(r) => {
            for t in &r.view.active_traces {
                if !r.datasets.iter().any(|d| d.id == t.dataset_id) {
                    known(&t.dataset_id)?;
                }
            }
            let mut d = Described::new(
                K::Rebuild,
                format!(
                    "rebuilt the view of {} ({} datasets, {} steps)",
                    r.source,
                    r.datasets.len(),
                    r.records.len()
                ),
            )
            .on(r.datasets.iter().map(|d| d.id.clone()));
            d.transform_ids = r.records.iter().map(|s| s.id.clone()).collect();
            d.manifest_id = r.manifest_id.clone();
            d
        }
        Command::SetBounds(_)
        | Command::SetCanvas(_)
        | Command::Undo
        | Command::Redo
        | Command::Record(_) => {
            unreachable!("navigation, layout, undo, redo and records are applied directly")
        }
    })
}
