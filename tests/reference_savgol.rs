//! Savitzky–Golay against scipy.signal.savgol_filter(mode='interp') on real spectra
//! (fixture made by tests/reference/make_fixtures.py).

use serde::Deserialize;
use spectra_workbench::transforms::SavGol;

#[derive(Deserialize)]
struct Case {
    sample: String,
    window: usize,
    poly: usize,
    y_smoothed: Vec<f64>,
}

#[test]
fn equals_scipy_to_1e9_relative() {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("reference/savgol_scipy.json")).unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let d = spectra_workbench::samples::load_sample(&case.sample)
            .unwrap()
            .unwrap();
        let sg = SavGol {
            window: case.window,
            poly: case.poly,
        };
        let (got, _) = sg.apply(d.spectrum.y(), None).unwrap();
        assert_eq!(got.len(), case.y_smoothed.len());
        // Scale: the data's own magnitude, so near-zero values compare absolutely.
        let scale = case.y_smoothed.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (a, b)) in got.iter().zip(&case.y_smoothed).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9 * scale,
                "{} w={} p={} at {i}: {a} vs scipy {b}",
                case.sample,
                case.window,
                case.poly
            );
        }
    }
}
