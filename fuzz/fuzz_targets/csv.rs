//! The CSV parser on arbitrary text: it may refuse, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spectra_workbench::ingest::{ReadOptions, csv::parse_csv};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_csv(text, "fuzz.csv", &ReadOptions::default());
    }
});
