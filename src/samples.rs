//! The sample spectra bundled in `assets/samples/` (origins and citations in
//! `assets/README.md`), compiled into the binary so a fresh install shows data at once.

use crate::ingest::{IngestError, ReadOptions, load_bytes};
use crate::session::{Dataset, SourceRef};

/// (file name, bytes) of every bundled sample, in the order they are shown.
pub const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "spex_M6_dwarf_12043.csv",
        include_bytes!("../assets/samples/spex_M6_dwarf_12043.csv"),
    ),
    (
        "spex_T6_dwarf_11594.csv",
        include_bytes!("../assets/samples/spex_T6_dwarf_11594.csv"),
    ),
    (
        "synthetic_hydrogen_lamp.csv",
        include_bytes!("../assets/samples/synthetic_hydrogen_lamp.csv"),
    ),
];

/// The bytes of a bundled sample, by file name.
pub fn sample_bytes(name: &str) -> Option<&'static [u8]> {
    SAMPLES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Parses one bundled sample by file name.
pub fn load_sample(name: &str) -> Option<Result<Dataset, IngestError>> {
    let (name, bytes) = SAMPLES.iter().find(|(n, _)| *n == name)?;
    Some(
        load_bytes(name, bytes, &ReadOptions::default()).map(|mut loaded| {
            let spectrum = loaded.spectra.remove(0);
            Dataset::new(
                spectrum,
                loaded.format,
                SourceRef::Bundled((*name).to_string()),
                loaded.warnings,
            )
        }),
    )
}

/// Every bundled sample, parsed.
pub fn load_all() -> Vec<Dataset> {
    SAMPLES
        .iter()
        .filter_map(|(name, _)| load_sample(name))
        .map(|r| r.expect("bundled samples are valid (tested)"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_sample_loads_without_warnings() {
        for (name, _) in super::SAMPLES {
            let d = super::load_sample(name).unwrap().unwrap();
            assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
            assert!(d.spectrum.len() > 500, "{name}");
        }
    }
}
