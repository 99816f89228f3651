//! Recipes: what to export, without the generated parts — inputs by bundled name or path,
//! transform chains, and the view settings. `spectra-workbench export RECIPE.json --out DIR`
//! turns one into a bundle through the same session commands as the GUI.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ingest::ReadOptions;
use crate::session::{Command, Session};
use crate::spectrum::Medium;
use crate::transforms::Normalization;
use crate::transforms::registry::Step;
use crate::units::XUnit;
use crate::view::{Canvas, MaskInterval, PaletteKey, PlotBounds, Smoothing, Theme};

/// One input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RecipeInput {
    /// A sample from `assets/samples/`, by file name.
    Bundled(String),
    /// A file, relative to the recipe's folder (or absolute).
    File {
        path: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        medium: Option<Medium>,
        /// Of a file holding several spectra, the one to use (as `--spectrum`: a 1-based
        /// number or a name); all of them when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spectrum: Option<String>,
    },
}

/// A chain of steps applied to one dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeDerive {
    /// Index of the dataset to start from, in Library order (inputs first, then derived
    /// datasets in the order the recipe makes them).
    pub from: usize,
    pub steps: Vec<Step>,
    /// Replace the starting trace on the canvas instead of adding one.
    #[serde(default)]
    pub in_place: bool,
}

/// View settings; anything left out keeps its default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeView {
    pub display_unit: Option<XUnit>,
    pub normalization: Option<Normalization>,
    pub smoothing: Option<Smoothing>,
    pub palette_key: Option<PaletteKey>,
    pub theme: Option<Theme>,
    pub lod_budget_points: Option<usize>,
    pub crosshair_visible: Option<bool>,
    pub uncertainty_visible: Option<bool>,
    pub snap_to_peak: Option<bool>,
    pub snap_radius_nm: Option<f64>,
    pub masks: Option<Vec<MaskInterval>>,
    pub bounds: Option<PlotBounds>,
    pub canvas: Option<Canvas>,
}

/// A recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub inputs: Vec<RecipeInput>,
    #[serde(default)]
    pub derive: Vec<RecipeDerive>,
    #[serde(default)]
    pub view: RecipeView,
    /// Terms restricting the data; raw sources are then left out of the bundle unless
    /// `include_restricted_sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_restrictions: Option<String>,
    /// Explicit opt-in: copy restricted raw sources anyway.
    #[serde(default)]
    pub include_restricted_sources: bool,
    /// Free text for the manifest's `notes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Why a recipe could not be read or built. Each message is one line naming what failed
/// (the CLI prefixes the recipe's path).
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("does not match the recipe schema: {}", .0.join("; "))]
    Schema(Vec<String>),
    #[error("{0}")]
    Decode(serde_json::Error),
    #[error("no bundled sample named {0}")]
    NoSample(String),
    #[error("{0}")]
    Ingest(#[from] crate::ingest::IngestError),
    #[error("{0}")]
    Command(#[from] crate::session::CommandError),
    #[error("derive[{derive}]: no dataset at index {from}")]
    NoDataset { derive: usize, from: usize },
    #[error("derive[{derive}] step {step} ({kind}): {source}")]
    Step {
        derive: usize,
        /// 1-based.
        step: usize,
        kind: &'static str,
        source: crate::session::CommandError,
    },
    #[error("view: {0}")]
    View(crate::session::CommandError),
}

/// The recipe schema (JSON Schema 2020-12), embedded: `schemas/recipe.schema.json`.
pub const RECIPE_SCHEMA: &str = include_str!("../../schemas/recipe.schema.json");

/// Parses a recipe: JSON, then the schema (every violation, by JSON pointer), then the
/// typed decoding (which also rejects what a schema cannot, such as duplicate keys).
pub fn parse_recipe(text: &str) -> Result<Recipe, RecipeError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(RecipeError::NotJson)?;
    let schema: serde_json::Value =
        serde_json::from_str(RECIPE_SCHEMA).expect("the embedded recipe schema is JSON");
    let validator =
        jsonschema::validator_for(&schema).expect("the embedded recipe schema is valid");
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!(
                "at '{}': {e}",
                if at.is_empty() { "/" } else { at.as_str() }
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(RecipeError::Schema(problems));
    }
    serde_json::from_str(text).map_err(RecipeError::Decode)
}

/// Builds the session a recipe describes. Errors are one line naming what failed.
pub fn session_from_recipe(recipe: &Recipe, recipe_dir: &Path) -> Result<Session, RecipeError> {
    let mut s = Session::default();
    for input in &recipe.inputs {
        match input {
            RecipeInput::Bundled(name) => {
                let d = crate::samples::load_sample(name)
                    .ok_or_else(|| RecipeError::NoSample(name.clone()))??;
                s.apply(Command::AddDatasets(vec![d]))?;
            }
            RecipeInput::File {
                path,
                medium,
                spectrum,
            } => {
                let full = if path.is_absolute() {
                    path.clone()
                } else {
                    recipe_dir.join(path)
                };
                let options = ReadOptions {
                    spectrum: spectrum.clone(),
                    ..ReadOptions::default()
                };
                let ids = s.open_path(&full, &options)?;
                if let Some(m) = medium {
                    for id in ids {
                        s.apply(Command::DeclareMedium { id, medium: *m })?;
                    }
                }
            }
        }
    }
    for (k, d) in recipe.derive.iter().enumerate() {
        let start = s
            .datasets()
            .get(d.from)
            .ok_or(RecipeError::NoDataset {
                derive: k,
                from: d.from,
            })?
            .id
            .clone();
        let mut current = start;
        for (j, step) in d.steps.iter().enumerate() {
            let in_place = d.in_place;
            current =
                s.apply_step(&current, step, in_place)
                    .map_err(|source| RecipeError::Step {
                        derive: k,
                        step: j + 1,
                        kind: step.kind(),
                        source,
                    })?;
        }
    }
    if recipe.data_restrictions.is_some() || recipe.notes.is_some() {
        s.apply(Command::SetExportPolicy(crate::session::ExportPolicy {
            data_restrictions: recipe.data_restrictions.clone(),
            include_restricted_sources: recipe.include_restricted_sources,
            notes: recipe.notes.clone().unwrap_or_default(),
        }))?;
    }
    let v = &recipe.view;
    let mut commands = Vec::new();
    if let Some(x) = v.display_unit {
        commands.push(Command::SetDisplayUnit(x));
    }
    if let Some(x) = v.normalization {
        commands.push(Command::SetNormalization(x));
    }
    if let Some(x) = v.smoothing {
        commands.push(Command::SetSmoothing(x));
    }
    if let Some(x) = v.palette_key {
        commands.push(Command::SetPalette(x));
    }
    if let Some(x) = v.theme {
        commands.push(Command::SetTheme(x));
    }
    if let Some(x) = v.lod_budget_points {
        commands.push(Command::SetLodBudget(x));
    }
    if let Some(x) = v.crosshair_visible {
        commands.push(Command::SetCrosshair(x));
    }
    if let Some(x) = v.uncertainty_visible {
        commands.push(Command::SetUncertainty(x));
    }
    if let Some(x) = v.snap_to_peak {
        commands.push(Command::SetSnapToPeak(x));
    }
    if let Some(x) = v.snap_radius_nm {
        commands.push(Command::SetSnapRadius(x));
    }
    if let Some(x) = v.bounds {
        commands.push(Command::SetBounds(Some(x)));
    }
    if let Some(x) = v.canvas {
        commands.push(Command::SetCanvas(x));
    }
    if let Some(masks) = &v.masks {
        commands.push(Command::SetViewMasks(masks.clone()));
    }
    for c in commands {
        s.apply(c).map_err(RecipeError::View)?;
    }
    Ok(s)
}

/// The current UTC time as RFC 3339 with an explicit offset (`…+00:00`). The only place
/// the clock is read for exports; the core takes time as a value.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339_from_unix(secs)
}

pub use crate::textfmt::rfc3339_from_unix;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(
            rfc3339_from_unix(1_795_327_200),
            "2026-11-22T06:00:00+00:00"
        );
    }
}
