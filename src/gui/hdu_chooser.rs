//! The FITS HDU chooser: offered when a FITS file has other HDUs holding spectra, or a
//! layout this reader cannot guess. Lists the HDUs (from a header scan) and takes the
//! user's choice of HDU and, for tables, columns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::display::DisplayTrace;
use crate::ingest::{IngestError, WarningKind};
use crate::session::{Dataset, SourceRef};

/// The FITS HDU chooser's state: the file, why it is asked, its HDUs, column choices.
pub struct HduChooser {
    pub path: PathBuf,
    file_name: String,
    why: String,
    hdus: Vec<crate::ingest::fits::HduSummary>,
    pub x_col: String,
    pub y_col: String,
}

/// The HDU chooser a load calls for: a FITS file with other HDUs holding spectra, or one
/// whose layout this reader cannot guess. Scans headers only; `None` when not needed or
/// when even the scan fails.
pub fn chooser_for(
    result: &Result<Vec<(Dataset, Arc<DisplayTrace>)>, IngestError>,
) -> Option<HduChooser> {
    match result {
        Ok(loaded) => {
            let (d, _) = loaded.first()?;
            let SourceRef::File(path) = &d.source else {
                return None;
            };
            let why = d
                .warnings
                .iter()
                .find(|w| w.kind == WarningKind::OtherHdusHoldSpectra)?;
            HduChooser::new(path, why.to_string())
        }
        Err(e) => {
            let unknown_layout = crate::ingest::Format::from_path(&e.path)
                == crate::ingest::Format::Fits
                && matches!(
                    e.problem,
                    crate::ingest::IngestProblem::NoData(_)
                        | crate::ingest::IngestProblem::BadColumn(_)
                );
            unknown_layout
                .then(|| HduChooser::new(&e.path, e.problem.to_string()))
                .flatten()
        }
    }
}

impl HduChooser {
    /// Lists the file's HDUs (a header check only); `None` if even that fails.
    fn new(path: &Path, why: String) -> Option<Self> {
        let hdus = crate::ingest::fits::scan_file(path).ok()?;
        Some(Self {
            path: path.to_path_buf(),
            file_name: crate::ingest::display_name(path),
            why,
            hdus: crate::ingest::fits::summarize(&hdus),
            x_col: String::new(),
            y_col: String::new(),
        })
    }
}

/// What the chooser asked for.
pub struct ChooserOutput {
    /// False when the user closed it.
    pub open: bool,
    /// The HDU to open.
    pub choice: Option<usize>,
}

impl HduChooser {
    /// Draws the window.
    pub fn show(&mut self, ui: &mut egui::Ui) -> ChooserOutput {
        let chooser = self;
        let mut open = true;
        let mut choice = None;
        egui::Window::new(format!("Choose a FITS HDU — {}", chooser.file_name))
            .open(&mut open)
            .default_width(560.0)
            .show(ui.ctx(), |ui| {
                ui.label(&chooser.why);
                ui.horizontal(|ui| {
                    ui.label("x column");
                    ui.add(egui::TextEdit::singleline(&mut chooser.x_col).desired_width(120.0));
                    ui.label("y column");
                    ui.add(egui::TextEdit::singleline(&mut chooser.y_col).desired_width(120.0));
                    ui.weak("(tables only; empty = detect)");
                });
                egui::Grid::new("hdus").striped(true).show(ui, |ui| {
                    for h in &chooser.hdus {
                        ui.label(&h.description);
                        ui.label(h.columns.join(", "));
                        if ui.button(format!("Open HDU {}", h.index)).clicked() {
                            choice = Some(h.index);
                        }
                        ui.end_row();
                    }
                });
            });
        ChooserOutput { open, choice }
    }
}
