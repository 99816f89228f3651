//! spectra-workbench: load, overlay, transform and export spectra with full provenance.
//!
//! Layers, bottom up: the pure core (`spectrum`, `units`, `ids`, `ingest`, `transforms`,
//! `lod`, `view`, `display`, `session`, `samples`), `render` (draws a view state with
//! egui_plot), `gui` (the eframe app) and `cli` (the command line). See `docs/MAP.md`.

pub mod atomic;
pub mod cli;
pub mod display;
pub mod gui;
pub mod ids;
pub mod ingest;
pub mod lod;
pub mod provenance;
pub mod render;
pub mod samples;
pub(crate) mod scan;
pub mod session;
pub mod spectrum;
pub mod textfmt;
pub mod transforms;
pub mod units;
pub mod view;
