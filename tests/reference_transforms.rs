//! Transforms against independent references (specutils, scipy, numpy), from
//! tests/reference/transforms_reference.json made by make_transform_fixtures.py.
//! Tolerance: 1e-9 relative in f64 unless a comment says why not.

use serde_json::Value;
use spectra_workbench::transforms::airvac::{self, AirFormula};
use spectra_workbench::transforms::lsf::{LsfWidth, convolve_gaussian};
use spectra_workbench::transforms::resample;

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/transforms_reference.json")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn sample(name: &str) -> std::sync::Arc<spectra_workbench::spectrum::Spectrum> {
    spectra_workbench::samples::load_sample(name)
        .unwrap()
        .unwrap()
        .spectrum
}

/// |a − b| ≤ rel · scale for every pair, with `scale` the reference's magnitude.
fn assert_close(got: &[f64], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= rel * scale, "{what} [{i}]: {a} vs {b}");
    }
}

#[test]
fn air_vacuum_equals_specutils_for_three_formulas() {
    let r = reference();
    for case in r["airvac"].as_array().unwrap() {
        let formula = match case["method"].as_str().unwrap() {
            "Morton2000" => AirFormula::Morton2000,
            "Ciddor1996" => AirFormula::Ciddor1996,
            "Edlen1966" => AirFormula::Edlen1966,
            other => panic!("{other}"),
        };
        let wl = floats(&case["wavelength_nm"]);
        let to_air: Vec<f64> = wl
            .iter()
            .map(|&w| airvac::air_from_vacuum_nm(formula, w).unwrap())
            .collect();
        let to_vac: Vec<f64> = wl
            .iter()
            .map(|&w| airvac::vacuum_from_air_nm(formula, w).unwrap())
            .collect();
        // Pointwise relative: both are smooth maps of λ.
        for (got, want) in [
            (to_air, floats(&case["air_from_vacuum_nm"])),
            (to_vac, floats(&case["vacuum_from_air_nm"])),
        ] {
            for (a, b) in got.iter().zip(&want) {
                assert!(((a - b) / b).abs() < 1e-12, "{formula:?}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn gaussian_lsf_equals_scipy_gaussian_filter1d_direct_and_fft() {
    let r = reference();
    let lamp = sample("synthetic_hydrogen_lamp.csv");
    for case in r["lsf_gaussian"].as_array().unwrap() {
        let fwhm = case["fwhm_nm"].as_f64().unwrap();
        let (y, _, applied) = convolve_gaussian(
            lamp.x_nm(),
            lamp.y(),
            None,
            LsfWidth::FwhmNm(fwhm),
            None,
            false,
        )
        .unwrap();
        assert!(!applied.resampled, "the lamp grid is uniform");
        let want_sigma = case["sigma_px"].as_f64().unwrap();
        assert!((applied.sigma_px - want_sigma).abs() < 1e-12 * want_sigma);
        assert_close(
            &y,
            &floats(&case["y_convolved"]),
            1e-9,
            &format!("fwhm {fwhm} (fft: {})", applied.fft),
        );
    }
}

#[test]
fn linear_resampling_equals_numpy_interp() {
    let r = reference();
    let m6 = sample("spex_M6_dwarf_12043.csv");
    let grid = floats(&r["interp"]["grid_nm"]);
    let (y, _) = resample::linear(m6.x_nm(), m6.y(), None, &grid).unwrap();
    assert_close(&y, &floats(&r["interp"]["y"]), 1e-9, "interp");
}

#[test]
fn flux_conserving_resampling_equals_specutils() {
    let r = reference();
    let m6 = sample("spex_M6_dwarf_12043.csv");
    let grid = floats(&r["flux_conserving"]["grid_nm"]);
    let (y, _) = resample::flux_conserving(m6.x_nm(), m6.y(), None, &grid).unwrap();
    assert_close(
        &y,
        &floats(&r["flux_conserving"]["y"]),
        1e-9,
        "flux conserving",
    );
}
