//! `apply` on the real binary: every transform kind, step records, and bad steps.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"));
    // Never the user's own Library store: one shared by the test binaries (several
    // processes at once, as the store allows).
    command.env(
        "SPECTRA_WORKBENCH_STORE",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/shared-store"),
    );
    command
}

fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn apply(input: &Path, steps: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let steps_path = dir.path().join("steps.json");
    std::fs::write(&steps_path, steps).unwrap();
    let out = bin()
        .arg("apply")
        .arg(input)
        .arg("--steps")
        .arg(&steps_path)
        .arg("--out")
        .arg(dir.path().join("out.csv"))
        .args(extra)
        .output()
        .unwrap();
    (out, dir)
}

fn lamp() -> PathBuf {
    root("assets/samples/synthetic_hydrogen_lamp.csv")
}

#[test]
fn the_committed_chain_runs_and_records_linked_steps() {
    let steps = std::fs::read_to_string(root("tests/data/steps/chain.json")).unwrap();
    let (out, dir) = apply(&lamp(), &steps, &["--medium", "air", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 7);
    for w in records.windows(2) {
        assert_eq!(w[1]["parent_ids"][0], w[0]["output_id"]);
    }
    assert!(
        records[3]["notes"]["flux_conservation_relative_error"]
            .as_f64()
            .unwrap()
            < 1e-4
    );
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("wavelength_nm,y (arbitrary),sigma,masked")
    );
    // The output reads back, and its ID is the last record's output.
    let inspect = bin()
        .arg("inspect")
        .arg(dir.path().join("out.csv"))
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(v["n_points"], 5801);
}

#[test]
fn every_kind_applies_alone() {
    let m6 = root("assets/samples/spex_M6_dwarf_12043.csv");
    for step in [
        r#"{"kind":"airvac_convert","params":{"to":"air"}}"#,
        r#"{"kind":"velocity_shift","params":{"rv_kms":100,"frame":"barycentric","convention":"optical"}}"#,
        r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","resolving_power":50}}"#,
        r#"{"kind":"lsf_convolve","params":{"kernel":"gaussian","resolving_power":60,"convolve_down_only":true,"current_resolving_power":130}}"#,
        r#"{"kind":"resample","params":{"method":"linear","grid":{"log_uniform":{"start_nm":700,"stop_nm":2500,"n":300}}}}"#,
        r#"{"kind":"normalize","params":{"mode":"max"}}"#,
        r#"{"kind":"smooth","params":{"method":"sg","window":11,"poly":3}}"#,
        r#"{"kind":"mask_interval","params":{"x_nm_start":1350,"x_nm_end":1450,"reason":"telluric"}}"#,
    ] {
        let (out, _dir) = apply(&m6, &format!("[{step}]"), &["--medium", "vacuum"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{step}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // math_op needs B.
    let t6 = root("assets/samples/spex_T6_dwarf_11594.csv");
    for op in ["A_minus_B", "A_div_B"] {
        let steps = format!(r#"[{{"kind":"math_op","params":{{"op":"{op}","epsilon_y":1e-20}}}}]"#);
        let (out, _dir) = apply(&m6, &steps, &["--with", t6.to_str().unwrap(), "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{op}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            records[0]["kind"], "resample",
            "B's resampling is its own step"
        );
        assert_eq!(records[1]["kind"], "math_op");
    }
}

#[test]
fn bad_steps_exit_2_with_one_line_and_no_output() {
    let cases = [
        (
            "[{\"kind\":\"smooth\",\"params\":{\"method\":\"sg\",\"window\":99999,\"poly\":2}}]",
            "longer than the data",
        ),
        (
            "[{\"kind\":\"smooth\",\"params\":{\"method\":\"sg\",\"window\":6,\"poly\":2}}]",
            "odd",
        ),
        (
            "[{\"kind\":\"smooth\",\"params\":{\"method\":\"sg\",\"window\":5,\"poly\":5}}]",
            "less than the window",
        ),
        (
            "[{\"kind\":\"lsf_convolve\",\"params\":{\"kernel\":\"gaussian\",\"fwhm_nm\":-0.3}}]",
            "FWHM",
        ),
        (
            "[{\"kind\":\"lsf_convolve\",\"params\":{\"kernel\":\"gaussian\",\"resolving_power\":0}}]",
            "resolving power",
        ),
        (
            "[{\"kind\":\"resample\",\"params\":{\"method\":\"linear\",\"grid\":{\"uniform\":{\"start_nm\":900,\"stop_nm\":950,\"step_nm\":1}}}}]",
            "outside the data",
        ),
        (
            "[{\"kind\":\"velocity_shift\",\"params\":{\"rv_kms\":-400000,\"frame\":\"heliocentric\"}}]",
            "speed of light",
        ),
        (
            "[{\"kind\":\"mask_interval\",\"params\":{\"x_nm_start\":1,\"x_nm_end\":100000,\"reason\":\"all\"}}]",
            "cover every sample",
        ),
        (
            "[{\"kind\":\"airvac_convert\",\"params\":{\"to\":\"vacuum\"}}]",
            "medium is unknown",
        ),
        (
            "[{\"kind\":\"math_op\",\"params\":{\"op\":\"A_div_B\"}}]",
            "second input",
        ),
        (
            "[{\"kind\":\"velocity_shift\",\"params\":{\"rv\":10,\"frame\":\"heliocentric\"}}]",
            "unknown field",
        ),
        ("[{\"kind\":\"normalize\",\"params\":{}}]", "missing field"),
        ("[{\"kind\":\"normalize\"", "EOF"),
        ("{}", "expected a sequence"),
    ];
    for (steps, says) in cases {
        let (out, dir) = apply(&lamp(), steps, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{steps}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{steps}: {stderr}");
        assert!(
            stderr.contains("steps.json") || stderr.contains("synthetic"),
            "{stderr}"
        );
        assert!(!dir.path().join("out.csv").exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only steps.json remains"
        );
    }
}

#[test]
fn division_by_an_all_zero_spectrum_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.csv");
    let mut text = String::from("wavelength_nm,y (arbitrary)\n");
    for i in 0..100 {
        text.push_str(&format!("{},0\n", 380.0 + i as f64 * 4.0));
    }
    std::fs::write(&zero, text).unwrap();
    let (out, _d) = apply(
        &lamp(),
        r#"[{"kind":"math_op","params":{"op":"A_div_B","epsilon_y":1e-12}}]"#,
        &["--with", zero.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("every sample of the result is masked"));
}
