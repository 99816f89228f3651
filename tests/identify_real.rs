//! Identification on the SpeX Prism Library dwarfs (tests/data/fits, splat 1.14, MIT):
//! the near-infrared K I doublets at 1.169/1.177 and 1.244/1.252 µm, unresolved at
//! R ≈ 120, must be identified where the dwarfs show them clearly; and identification
//! must give the same bytes twice.

use spectra_workbench::analysis::identify::{IdentifyRequest, identify};
use spectra_workbench::analysis::linelist;
use spectra_workbench::ingest::{ReadOptions, read_spectra};
use spectra_workbench::spectrum::Spectrum;

fn read(name: &str) -> Spectrum {
    let options = ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..Default::default()
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fits")
        .join(name);
    read_spectra(&path, &options).unwrap().spectra.remove(0).0
}

/// The NIR K I lines (µm ×1000, as SPLAT lists them) identified in a dwarf at z = 0.
fn k_i_lines(name: &str) -> Vec<i64> {
    let list = linelist::bundled("strong_lines").unwrap();
    let id = identify(&read(name), &list, &IdentifyRequest::default()).unwrap();
    let mut k: Vec<i64> = id
        .identified
        .iter()
        .filter(|l| l.species == "K I" && l.rest_nm > 1000.0)
        .map(|l| l.rest_nm.round() as i64)
        .collect();
    k.sort_unstable();
    k.dedup();
    println!("{name}: K I {k:?}");
    k
}

#[test]
fn the_l5_and_t2_dwarfs_show_all_four_k_i_lines() {
    for name in ["11240_11038.fits.gz", "10704_10139.fits.gz"] {
        assert_eq!(k_i_lines(name), vec![1169, 1177, 1244, 1252], "{name}");
    }
}

#[test]
fn the_m6_and_l0_dwarfs_show_the_1_25_micron_pair() {
    // Their 1.169/1.177 µm pair sits in FeH and H₂O bands that the running-median
    // continuum does not follow (docs/user/identification.md, Limits).
    for name in ["12043_11769.fits.gz", "12021_11729.fits.gz"] {
        let k = k_i_lines(name);
        assert!(k.contains(&1244) && k.contains(&1252), "{name}: {k:?}");
    }
}

#[test]
fn identification_is_deterministic_to_the_byte() {
    let list = linelist::bundled("strong_lines").unwrap();
    let s = read("12021_11729.fits.gz");
    let a = serde_json::to_vec(&identify(&s, &list, &IdentifyRequest::default()).unwrap()).unwrap();
    let b = serde_json::to_vec(&identify(&s, &list, &IdentifyRequest::default()).unwrap()).unwrap();
    assert_eq!(a, b);
}
