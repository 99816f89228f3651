//! The Rust FITS structure check (what runs before any C code) and the layout planner on
//! arbitrary bytes, plain and as a gzip stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::ingest::fits::{header::scan, plan, scan_gzip};

fuzz_target!(|data: &[u8]| {
    if let Ok(hdus) = scan(data) {
        let _ = plan("fuzz.fits", &hdus, &ReadOptions::default());
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        let _ = scan_gzip(data);
    }
});
