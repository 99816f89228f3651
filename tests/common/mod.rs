//! Helpers shared by the integration tests that run the real binary on bundles.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary under test.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"));
    // Never the user's own Library store: one shared by the test binaries (several
    // processes at once, as the store allows).
    command.env(
        "SPECTRA_WORKBENCH_STORE",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/shared-store"),
    );
    command
}

/// `export RECIPE --out OUT`, which must succeed; the bundle's path.
pub fn export(recipe: &Path, out: &Path) -> PathBuf {
    let o = bin()
        .arg("export")
        .arg(recipe)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// FITS header blocks (36 cards of 80 characters each) holding `cards` and `END`.
pub fn fits_header(cards: &[&str]) -> Vec<u8> {
    let mut block = String::new();
    for card in cards.iter().chain(&["END"]) {
        block.push_str(&format!("{card:<80}"));
    }
    let mut bytes = block.into_bytes();
    bytes.resize(bytes.len().div_ceil(2880) * 2880, b' ');
    bytes
}
