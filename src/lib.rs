//! spectra-workbench: load, overlay, transform and export spectra with full provenance.
//!
//! The crate is one set of rooms in layers, listed bottom up in [`LAYERS`]. A module may
//! use its own layer and the layers below it, never one above; no two top-level modules
//! import each other; egui and eframe appear only from `render` up. `tests/architecture.rs`
//! checks all three on the source text, and `docs/dev/architecture.md` explains them.

/// The layers, bottom up, each with its top-level modules. `tests/architecture.rs` reads
/// this table: adding a module means placing it here.
pub const LAYERS: &[(&str, &[&str])] = &[
    // Plain helpers with no domain knowledge.
    ("foundation", &["atomic", "scan", "textfmt"]),
    // The pure core: no egui, no wall clock, no global state.
    (
        "core",
        &[
            "units",
            "ids",
            "spectrum",
            "ingest",
            "transforms",
            "analysis",
            "lod",
            "view",
            "display",
            "canonical_csv",
        ],
    ),
    // The Library store: the only code that persists the user's datasets (SQLite index,
    // content-addressed blobs).
    ("store", &["store"]),
    // The one command path: datasets by ID, commands, history, undo; bundled samples.
    ("session", &["session", "samples"]),
    // Draws a view state: egui_plot in the window, the CPU rasteriser offscreen.
    ("render", &["render"]),
    // Manifests, IDs of exports, bundles, verify, replay (renders view.png offscreen).
    ("provenance", &["provenance"]),
    // The eframe app: panels that show state and emit commands.
    ("gui", &["gui"]),
    // The binary's edge: argument parsing, exit codes.
    ("cli", &["cli"]),
];

pub mod analysis;
pub mod atomic;
pub mod canonical_csv;
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
pub mod store;
pub mod textfmt;
pub mod transforms;
pub mod units;
pub mod view;
