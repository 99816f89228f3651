//! The JCAMP-DX parser (lenient and strict) and the spectrum conversion on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spectra_workbench::ingest::jcamp::{JcampOptions, parse_jcamp, to_loaded};

fuzz_target!(|data: &[u8]| {
    let text: String = data.iter().map(|&b| b as char).collect();
    for strict in [false, true] {
        if let Ok(blocks) = parse_jcamp(&text, JcampOptions { strict }) {
            let _ = to_loaded("fuzz.jdx", blocks);
        }
    }
});
