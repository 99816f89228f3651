//! Identification on the SpeX Prism Library dwarfs (tests/data/fits, splat 1.14, MIT):
//! the near-infrared K I doublets at 1.169/1.177 and 1.244/1.252 µm, unresolved at
//! R ≈ 120, must be identified where the dwarfs show them clearly (all four in the L5, T2 and T6
//! against the local parabola, one pair in the M6 and the L0); and identification
//! must give the same bytes twice.

use spectra_workbench::analysis::features::{FeatureContinuum, FeatureRequest};
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

/// The NIR K I lines (µm ×1000, as SPLAT lists them) identified in a dwarf at z = 0,
/// features measured against `continuum`.
fn k_i_lines(name: &str, continuum: FeatureContinuum) -> Vec<i64> {
    let list = linelist::bundled("strong_lines").unwrap();
    let req = IdentifyRequest {
        features: FeatureRequest {
            continuum,
            ..FeatureRequest::default()
        },
        ..IdentifyRequest::default()
    };
    let id = identify(&read(name), &list, &req).unwrap();
    let mut k: Vec<i64> = id
        .identified
        .iter()
        .filter(|l| l.species == "K I" && l.rest_nm > 1000.0)
        .map(|l| l.rest_nm.round() as i64)
        .collect();
    k.sort_unstable();
    k.dedup();
    println!("{name} ({}): K I {k:?}", continuum.as_str());
    k
}

#[test]
fn against_the_parabola_the_l5_t2_and_t6_dwarfs_show_all_four_k_i_lines() {
    // The T6's 1.25 µm pair is a notch on the steep blue side of the J peak: against a
    // running median (the data itself on a monotonic edge) it leaves no residual.
    for name in [
        "11240_11038.fits.gz",
        "10704_10139.fits.gz",
        "11594_11430.fits.gz",
    ] {
        assert_eq!(
            k_i_lines(name, FeatureContinuum::Parabola),
            vec![1169, 1177, 1244, 1252],
            "{name}"
        );
    }
    assert_eq!(
        k_i_lines("11594_11430.fits.gz", FeatureContinuum::RunningMedian),
        Vec::<i64>::new(),
        "the running median was expected to miss the T6's lines (docs, Limits)"
    );
}

#[test]
fn against_the_running_median_the_l5_and_t2_show_all_four() {
    for name in ["11240_11038.fits.gz", "10704_10139.fits.gz"] {
        assert_eq!(
            k_i_lines(name, FeatureContinuum::RunningMedian),
            vec![1169, 1177, 1244, 1252],
            "{name}"
        );
    }
}

#[test]
fn the_m6_and_l0_dwarfs_show_one_k_i_pair_each_against_either_continuum() {
    // The other pair blends with FeH and H₂O bands at R ≈ 150 (docs/user/
    // identification.md, Limits).
    for continuum in [FeatureContinuum::RunningMedian, FeatureContinuum::Parabola] {
        let l0 = k_i_lines("12021_11729.fits.gz", continuum);
        assert!(l0.contains(&1244) && l0.contains(&1252), "L0: {l0:?}");
    }
    // The M6 gives the 1.25 µm pair against the median, the 1.17 µm pair against the
    // parabola.
    let m6 = k_i_lines("12043_11769.fits.gz", FeatureContinuum::RunningMedian);
    assert!(m6.contains(&1244) && m6.contains(&1252), "M6: {m6:?}");
    let m6 = k_i_lines("12043_11769.fits.gz", FeatureContinuum::Parabola);
    assert!(m6.contains(&1169) && m6.contains(&1177), "M6: {m6:?}");
}

#[test]
fn identification_is_deterministic_to_the_byte() {
    let list = linelist::bundled("strong_lines").unwrap();
    let s = read("12021_11729.fits.gz");
    let a = serde_json::to_vec(&identify(&s, &list, &IdentifyRequest::default()).unwrap()).unwrap();
    let b = serde_json::to_vec(&identify(&s, &list, &IdentifyRequest::default()).unwrap()).unwrap();
    assert_eq!(a, b);
}
