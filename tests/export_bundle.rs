//! Export bundles on the real binary: round trip (export → verify), determinism, tampering
//! of every kind of file, no paths of the user's machine inside.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::{bin, copy_dir, export};

fn recipe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dwarfs_calibrated.recipe.json")
}

fn verify(bundle: &Path) -> Output {
    bin().arg("verify").arg(bundle).output().unwrap()
}

fn replay(bundle: &Path) -> Output {
    bin().arg("replay").arg(bundle).output().unwrap()
}

#[test]
fn export_then_verify_is_clean_and_two_exports_agree() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let bundle_a = export(&recipe(), a.path());
    let bundle_b = export(&recipe(), b.path());
    assert_eq!(verify(&bundle_a).status.code(), Some(0));
    assert_eq!(
        bundle_a.file_name(),
        bundle_b.file_name(),
        "same MANIFEST_ID"
    );
    for file in ["data_sha256.txt", "view.png", "MANIFEST_ID"] {
        assert_eq!(
            std::fs::read(bundle_a.join(file)).unwrap(),
            std::fs::read(bundle_b.join(file)).unwrap(),
            "{file} differs between two exports"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle_a.join("manifest.json")).unwrap()).unwrap();
    // Bundle format 1.3.0: pack and data hashes over entries sorted by path (seed 003).
    assert_eq!(manifest["schema_version"], "1.3.0");
    assert_eq!(manifest["transforms"].as_array().unwrap().len(), 5);
    assert!(manifest["created_at"].as_str().unwrap().ends_with("+00:00"));
    let outputs = manifest["outputs"].as_array().unwrap();
    let paths: Vec<&str> = outputs
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(paths.iter().any(|p| p.starts_with("traces/")));
    assert!(paths.contains(&"view.png"));
}

#[test]
fn verify_names_every_kind_of_tampering() {
    let out = tempfile::tempdir().unwrap();
    let original = export(&recipe(), out.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(original.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<String> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect();
    let mut kinds_checked = 0;
    for prefix in [
        "spectra/",
        "traces/",
        "sources/",
        "view.png",
        "logs/",
        "CITATION.txt",
        "MANIFEST_ID",
    ] {
        let Some(path) = listed.iter().find(|p| p.starts_with(prefix)) else {
            continue;
        };
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join(original.file_name().unwrap());
        copy_dir(&original, &copy);
        let f = copy.join(path);
        let mut bytes = std::fs::read(&f).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        std::fs::write(&f, bytes).unwrap();
        let o = verify(&copy);
        assert_eq!(o.status.code(), Some(1), "{path}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(path.as_str()),
            "{path}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        kinds_checked += 1;
    }
    assert_eq!(kinds_checked, 7);
    // An added file, a deleted file, an edited manifest field.
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join(original.file_name().unwrap());
    copy_dir(&original, &copy);
    std::fs::write(copy.join("spectra/extra.csv"), "x,y\n1,2\n").unwrap();
    std::fs::remove_file(copy.join("logs/log.txt")).unwrap();
    let text = std::fs::read_to_string(copy.join("manifest.json")).unwrap();
    std::fs::write(
        copy.join("manifest.json"),
        text.replace("\"seed\": 0", "\"seed\": 1"),
    )
    .unwrap();
    let o = verify(&copy);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("spectra/extra.csv: not listed"), "{stderr}");
    assert!(stderr.contains("logs/log.txt: missing"), "{stderr}");
    assert!(stderr.contains("MANIFEST_ID"), "{stderr}");
}

#[test]
fn no_path_of_the_users_machine_is_inside_the_bundle() {
    // A recipe and its input under a fake home folder with a recognisable name.
    let home = tempfile::tempdir().unwrap();
    let secret = home.path().join("home").join("alice-secret-user");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(
        secret.join("lamp.csv"),
        "wavelength_nm,counts\n500,1\n501,3\n502,2\n",
    )
    .unwrap();
    let r = secret.join("r.recipe.json");
    std::fs::write(
        &r,
        r#"{"inputs":[{"file":{"path":"lamp.csv"}}],"view":{"canvas":{"width_pt":400,"height_pt":300,"pixels_per_point":1}}}"#,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&r, out.path());
    assert_eq!(verify(&bundle).status.code(), Some(0));
    let mut stack = vec![bundle.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains("alice-secret-user"),
                    "{} leaks the home path",
                    p.display()
                );
                assert!(
                    !text.contains(&*home.path().to_string_lossy()),
                    "{} leaks a path",
                    p.display()
                );
            }
        }
    }
    assert!(bundle.join("sources/lamp.csv").exists());
}

#[test]
fn bad_recipes_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (text, says) in [
        ("{", "EOF"),
        (
            r#"{"inputs":[{"bundled":"nope.csv"}]}"#,
            "no bundled sample",
        ),
        (
            r#"{"inputs":[{"bundled":"a.csv"}],"surprise":1}"#,
            "'surprise' was unexpected",
        ),
        (r#"{"inputs":[]}"#, "at '/inputs': [] has less than 1 item"),
        (
            r#"{"inputs":[{"bundled":"synthetic_hydrogen_lamp.csv"}],"derive":[{"from":3,"steps":[{"kind":"normalize","params":{"mode":"max"}}]}]}"#,
            "no dataset at index 3",
        ),
        // Duplicate keys pass a schema; the typed decoding refuses them.
        (
            r#"{"inputs":[{"bundled":"synthetic_hydrogen_lamp.csv"}],"inputs":[{"bundled":"synthetic_hydrogen_lamp.csv"}]}"#,
            "duplicate field",
        ),
    ] {
        let r = dir.path().join("bad.recipe.json");
        std::fs::write(&r, text).unwrap();
        let o = bin()
            .arg("export")
            .arg(&r)
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains(says), "{text}: {stderr}");
        assert!(
            !dir.path().join("out").exists()
                || std::fs::read_dir(dir.path().join("out")).unwrap().count() == 0
        );
    }
    let o = verify(&dir.path().join("missing"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn replay_reproduces_the_bundle_exactly_and_notices_changed_data() {
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&recipe(), out.path());
    let o = replay(&bundle);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["rmse"], 0.0);
    assert_eq!(report["max_abs_diff"], 0);
    assert_eq!(report["traces_equal"], true);
    assert_eq!(report["ids_equal"], true);
    assert_eq!(report["view_state_equal"], true);
    // Change one number of one input: its ID and everything derived from it change.
    let spectra = bundle.join("spectra");
    let file = std::fs::read_dir(&spectra)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let row = lines.len() / 2;
    let mut fields: Vec<String> = lines[row].split(',').map(str::to_string).collect();
    fields[1] = format!("{}", fields[1].parse::<f64>().unwrap() * 1.5 + 1.0);
    lines[row] = fields.join(",");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let o = replay(&bundle);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["ids_equal"], false);
}

#[test]
fn restricted_data_leaves_sources_out_unless_the_user_opts_in() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lamp.csv");
    std::fs::write(&input, "wavelength_nm,counts\n500,1\n501,5\n502,2\n").unwrap();
    let write_recipe = |name: &str, opt_in: bool| {
        let r = serde_json::json!({
            "inputs": [{"file": {"path": "lamp.csv"}}],
            "data_restrictions": "proprietary until 2027-06-01 (PI: test)",
            "include_restricted_sources": opt_in,
            "notes": "restricted test"
        });
        let p = dir.path().join(name);
        std::fs::write(&p, r.to_string()).unwrap();
        p
    };
    let out = tempfile::tempdir().unwrap();
    let closed = export(&write_recipe("closed.json", false), &out.path().join("a"));
    assert!(
        !closed.join("sources").exists(),
        "restricted sources copied without opt-in"
    );
    assert!(closed.join("spectra").exists());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(closed.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        m["data_restrictions"],
        "proprietary until 2027-06-01 (PI: test)"
    );
    assert_eq!(m["notes"], "restricted test");
    assert_eq!(verify(&closed).status.code(), Some(0));
    let open = export(&write_recipe("open.json", true), &out.path().join("b"));
    assert!(
        open.join("sources/lamp.csv").exists(),
        "opt-in must copy the source"
    );
    assert_eq!(verify(&open).status.code(), Some(0));
}

#[test]
fn every_committed_recipe_validates_against_the_recipe_schema() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut n = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".recipe.json") {
            let text = std::fs::read_to_string(&path).unwrap();
            spectra_workbench::provenance::recipe::parse_recipe(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 1);
    // And the schema catches what it should, naming where.
    let bad = r#"{"inputs":[{"bundled":"a.csv"}],"derive":[{"from":0,"steps":[{"kind":"smooth","params":{"method":"sg","window":11}}]}]}"#;
    let e = spectra_workbench::provenance::recipe::parse_recipe(bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/derive/0/steps/0/params") && e.contains("poly"),
        "{e}"
    );
}

#[test]
fn a_recipe_with_fits_and_jcamp_inputs_exports_verifies_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    std::fs::copy(
        data.join("fits/12043_11769.fits.gz"),
        dir.path().join("m6.fits.gz"),
    )
    .unwrap();
    std::fs::copy(data.join("jcamp/LABCALC.DX"), dir.path().join("ir.dx")).unwrap();
    let recipe = serde_json::json!({
        "inputs": [{"file": {"path": "m6.fits.gz"}}, {"file": {"path": "ir.dx"}}],
        "derive": [{"from": 0, "steps": [{"kind": "smooth", "params": {"method": "sg", "window": 11, "poly": 3}}], "in_place": true}],
        "view": {"normalization": "max"}
    });
    let path = dir.path().join("formats.recipe.json");
    std::fs::write(&path, recipe.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&path, out.path());
    assert!(bundle.join("sources/m6.fits.gz").exists());
    assert!(bundle.join("sources/ir.dx").exists());
    assert_eq!(verify(&bundle).status.code(), Some(0));
    let replayed = replay(&bundle);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replayed.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert_eq!(report["ids_equal"], true);
    assert_eq!(report["rmse"], 0.0);
}

#[test]
fn a_recipe_can_take_one_spectrum_of_a_multi_spectrum_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    std::fs::copy(
        data.join("fits/coadd-sv3-dark-26065.fits"),
        dir.path().join("desi.fits"),
    )
    .unwrap();
    let recipe = serde_json::json!({
        "inputs": [{"file": {"path": "desi.fits", "spectrum": "R arm, spectrum 3"}}],
        "derive": [{"from": 0, "steps": [{"kind": "normalize", "params": {"mode": "max"}}]}]
    });
    let path = dir.path().join("one.recipe.json");
    std::fs::write(&path, recipe.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&path, out.path());
    assert_eq!(verify(&bundle).status.code(), Some(0));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(m["transforms"].as_array().unwrap().len(), 1);
    // A choice the file does not hold: exit 2, naming the recipe.
    let bad = serde_json::json!({"inputs": [{"file": {"path": "desi.fits", "spectrum": "99"}}]});
    std::fs::write(&path, bad.to_string()).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let run = bin()
        .arg("export")
        .arg(&path)
        .arg("--out")
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("one.recipe.json") && stderr.contains("no spectrum '99'"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn every_csv_row_count_in_the_manifest_matches_its_file() {
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&recipe(), out.path());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for o in m["outputs"].as_array().unwrap() {
        let Some(rows) = o["row_count"].as_u64() else {
            continue;
        };
        let text = std::fs::read_to_string(bundle.join(o["path"].as_str().unwrap())).unwrap();
        let counted = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count()
            - 1;
        assert_eq!(rows, counted as u64, "{}", o["path"]);
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
}

#[test]
fn replay_names_the_code_versions_when_a_step_recorded_by_another_version_differs() {
    let out = tempfile::tempdir().unwrap();
    let bundle = export(&recipe(), out.path());
    let path = bundle.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let lsf = manifest["transforms"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["kind"] == "lsf_convolve")
        .unwrap();
    let now = lsf["code_version"].as_str().unwrap().to_string();
    lsf["code_version"] = "lsf_convolve@0".into();
    lsf["output_id"] = "0".repeat(64).into();
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let o = replay(&bundle);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["ids_equal"], false);
    let problems = report["problems"].to_string();
    assert!(
        problems.contains(&format!("(recorded by lsf_convolve@0, replayed by {now})")),
        "{problems}"
    );
}
