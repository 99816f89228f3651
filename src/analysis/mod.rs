//! Analysis of spectra that produces numbers, not spectra: line measurement (and, to
//! come, feature finding, identification and cross-correlation). Pure core: no egui, no
//! clock, no global state.

pub mod features;
pub mod identify;
pub mod linelist;
pub mod measure;
pub mod record;
pub mod robust;
pub mod templates;
pub mod xcorr;
