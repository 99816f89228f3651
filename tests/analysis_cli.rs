//! `rv` and `identify` through the real binary, in a temp dir with a store of its own:
//! what they print, that the analysis lands in History, and their bad input — each
//! refused with exit 2, one line naming the file and the problem, and nothing recorded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        .env("SPECTRA_WORKBENCH_STORE", store)
        .args(args)
        .output()
        .unwrap()
}

fn path(rel: &str) -> String {
    root().join(rel).to_str().unwrap().to_string()
}

/// The kinds of the events the store's History holds.
fn history_kinds(store: &Path) -> Vec<String> {
    if !store.exists() {
        return Vec::new();
    }
    let o = run(store, &["history", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn rv_prints_its_record_and_history_keeps_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let o = run(
        &store,
        &[
            "rv",
            &path("tests/data/rv/NGC3522_SDSS_DR18.fits"),
            "--template",
            "marz_early_type_galaxy",
            "--json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["record"];
    assert_eq!(r["request"]["kind"], "rv");
    assert_eq!(r["request"]["request"]["grid"]["kind"], "redshift");
    assert_eq!(
        r["external"][0]["path"],
        "assets/templates/marz_early_type_galaxy.csv"
    );
    let z = r["result"]["z"].as_f64().unwrap();
    assert!((z - 0.00404).abs() < 1e-4, "{z}");
    assert_eq!(r["result"]["peaks"].as_array().unwrap().len(), 5);
    assert_eq!(r["result"]["quality"]["class"], 4);
    assert!(r["result"]["tonry_davis"]["r"].as_f64().unwrap() > 3.0);
    assert_eq!(
        r["result"]["ccf"]["x"].as_array().unwrap().len(),
        r["result"]["ccf"]["y"].as_array().unwrap().len()
    );
    assert!(history_kinds(&store).contains(&"analysis".to_string()));
    // Text: the answer first.
    let o = run(
        &store,
        &[
            "rv",
            &path("tests/data/rv/NGC3522_SDSS_DR18.fits"),
            "--template",
            "marz_early_type_galaxy",
        ],
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("quality     4 reliable"), "{text}");
    assert!(text.contains("Tonry–Davis r"), "{text}");
}

#[test]
fn identify_prints_candidates_with_their_components() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let o = run(
        &store,
        &[
            "identify",
            &path("tests/data/fits/11240_11038.fits.gz"),
            "--json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let features = v["record"]["result"]["features"].as_array().unwrap();
    let with_candidates = features
        .iter()
        .find(|f| !f["candidates"].as_array().unwrap().is_empty())
        .unwrap();
    let c = &with_candidates["candidates"][0]["components"];
    for k in [
        "residual_sigma",
        "wavelength",
        "strength",
        "species",
        "snr",
        "blend",
    ] {
        assert!(c[k].is_number(), "{k} in {c}");
    }
    let identified = v["record"]["result"]["identified"].as_array().unwrap();
    assert!(identified.iter().any(|l| l["species"] == "K I"));
    // The same input gives the same bytes (the record, not the file path).
    let again = run(
        &store,
        &[
            "identify",
            &path("tests/data/fits/11240_11038.fits.gz"),
            "--json",
        ],
    );
    let w: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["record"], w["record"]);
    // The default continuum is not written: records keep the bytes (and IDs) they had
    // before the choice existed.
    assert!(v["record"]["request"]["request"]["features"]["continuum"].is_null());
    // The T6's K I lines need the parabola continuum; the record says which was used.
    let t6 = run(
        &store,
        &[
            "identify",
            &path("tests/data/fits/11594_11430.fits.gz"),
            "--continuum",
            "parabola",
            "--json",
        ],
    );
    assert_eq!(t6.status.code(), Some(0));
    let t: Value = serde_json::from_slice(&t6.stdout).unwrap();
    assert_eq!(
        t["record"]["request"]["request"]["features"]["continuum"],
        "parabola"
    );
    let k: Vec<&Value> = t["record"]["result"]["identified"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["species"] == "K I")
        .collect();
    assert_eq!(k.len(), 4, "{k:?}");
}

#[test]
fn bad_requests_exit_2_with_one_line_and_record_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let dir = tmp.path();
    // Every sample masked (tests/data/rv/make_rv_data.py: σ = 0 in a FITS table).
    let masked = root().join("tests/data/rv/all_masked.fits");
    let far = dir.join("far_lines.csv");
    std::fs::write(&far, "# medium: vacuum\nspecies,wavelength_nm\nX I,5000\n").unwrap();
    let no_medium = dir.join("no_medium.csv");
    std::fs::write(&no_medium, "species,wavelength_nm\nH I,656.46\n").unwrap();
    let huge = dir.join("huge.csv");
    std::fs::write(&huge, vec![b'#'; 1 << 21]).unwrap();
    let sdss = path("tests/data/rv/NGC3522_SDSS_DR18.fits");
    let spex = path("assets/samples/spex_M6_dwarf_12043.csv");
    let lamp = path("assets/samples/synthetic_hydrogen_lamp.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        // A template that does not overlap: the QSO template's far UV against SpeX at
        // z ≤ 0.01 (every lag leaves them apart).
        (
            vec![
                "rv",
                &spex,
                "--template",
                "marz_quasar",
                "--z-min",
                "0",
                "--z-max",
                "0.01",
            ],
            "does not overlap",
        ),
        // A grid finer than the data can resolve.
        (
            vec![
                "rv",
                &sdss,
                "--template",
                "marz_early_type_galaxy",
                "--v-min",
                "-1",
                "--v-max",
                "1",
                "--v-step",
                "0.000001",
            ],
            "finer than the data can resolve",
        ),
        // A grid too narrow for SpeX's 460 km/s pixels.
        (
            vec!["rv", &spex, "--template", "marz_g_star"],
            "needs at least 3",
        ),
        // An all-masked spectrum.
        (
            vec![
                "rv",
                masked.to_str().unwrap(),
                "--template",
                "marz_g_star",
                "--v-min",
                "-9000",
                "--v-max",
                "9000",
            ],
            "every sample of the spectrum is masked",
        ),
        (
            vec!["identify", masked.to_str().unwrap()],
            "unmasked samples",
        ),
        // A list with no lines in range.
        (
            vec!["identify", &lamp, "--lines", far.to_str().unwrap()],
            "no line of",
        ),
        // z < 0 of a galaxy template.
        (
            vec![
                "rv",
                &sdss,
                "--template",
                "marz_early_type_galaxy",
                "--z-min",
                "-0.1",
            ],
            "cannot start below z = 0",
        ),
        // Lists that are not lists.
        (
            vec!["identify", &lamp, "--lines", no_medium.to_str().unwrap()],
            "medium",
        ),
        (
            vec!["identify", &lamp, "--lines", huge.to_str().unwrap()],
            "larger than 1 MiB",
        ),
        (
            vec!["identify", &lamp, "--lines", "nope"],
            "not a bundled line list",
        ),
        (
            vec!["rv", &lamp, "--template", "nope"],
            "not a bundled template",
        ),
        (vec!["identify", &lamp, "--z", "-2"], "z must be"),
        (
            vec!["identify", &lamp, "--z-range", "1:0"],
            "start must be below",
        ),
        (vec!["identify", &lamp, "--threshold", "0"], "threshold"),
        (
            vec!["identify", &lamp, "--continuum", "spline"],
            "not a continuum",
        ),
    ];
    for (args, says) in cases {
        let o = run(&store, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing printed");
    }
    assert!(
        !history_kinds(&store).contains(&"analysis".to_string()),
        "a refused analysis records nothing"
    );
}
