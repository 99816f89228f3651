//! The real binary on good and bad files, in temp dirs: exit codes, one-line errors that
//! name the file, no partial outputs.

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

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/samples")
        .join(name)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// `convert SRC --out OUT` followed by `extra` arguments.
fn convert(src: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("convert")
        .arg(src)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("binary runs")
}

/// Exit 2 and exactly one stderr line that names `file`.
fn assert_bad_input(out: &Output, file: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(file), "{stderr:?} should name {file}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

fn inspect_json(path: &Path) -> serde_json::Value {
    inspect_json_with(path, &[])
}

/// `inspect PATH --json` followed by `extra` arguments; must succeed.
fn inspect_json_with(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = bin()
        .arg("inspect")
        .arg(path)
        .arg("--json")
        .args(extra)
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn inspect_json_on_a_real_sample() {
    let v = inspect_json(&sample("spex_T6_dwarf_11594.csv"));
    assert_eq!(v["format"], "csv");
    assert_eq!(v["n_points"], 564);
    assert_eq!(v["has_sigma"], true);
    assert_eq!(v["medium"], "unknown");
    assert_eq!(
        v["dataset_id"],
        "c64f0c99062df96d2030f61c424a995d34a885111dfd1c5062f8f9790aef8091"
    );
    let lo = v["x_nm_min"].as_f64().unwrap();
    // The file's first wavelength, 0.6458006 µm as float32.
    assert_eq!(lo, 0.645_800_590_515_136_7 * 1000.0);
    for key in [
        "dataset_id",
        "format",
        "n_points",
        "x_nm_min",
        "x_nm_max",
        "y_unit",
        "has_sigma",
        "medium",
        "instrument",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn inspect_reports_warnings_and_units_of_a_messy_table() {
    let v = inspect_json(&data("good/mixed_rows.csv"));
    assert_eq!(v["n_points"], 4);
    assert_eq!(v["y_unit"], "erg/s/cm2/A");
    assert_eq!(v["x_nm_min"], 655.51);
    assert_eq!(v["x_nm_max"], 657.05);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn inspect_text_output() {
    let out = run(&["inspect".as_ref(), data("good/wavenumber.tsv").as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("points      4"), "{text}");
    assert!(text.contains("4000 – 10000 nm"), "{text}");
}

#[test]
fn column_and_unit_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("table.txt");
    std::fs::write(&f, "idx a b\n1 5000 3\n2 5001 4\n").unwrap();
    let out = run(&[
        "inspect".as_ref(),
        f.as_os_str(),
        "--json".as_ref(),
        "--x-col".as_ref(),
        "a".as_ref(),
        "--y-col".as_ref(),
        "3".as_ref(),
        "--x-unit".as_ref(),
        "angstrom".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["x_nm_min"], 500.0);
    assert_eq!(v["x_nm_max"], 500.1);
}

#[test]
fn every_bad_file_exits_2_with_one_line_naming_it() {
    let dir = data("bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for verb in ["inspect", "convert"] {
            let tmp = tempfile::tempdir().unwrap();
            let out_csv = tmp.path().join("out.csv");
            // --strict: a broken JCAMP check value is an error (by default, a warning).
            let out = if verb == "inspect" {
                run(&[verb.as_ref(), path.as_os_str(), "--strict".as_ref()])
            } else {
                run(&[
                    verb.as_ref(),
                    path.as_os_str(),
                    "--strict".as_ref(),
                    "--out".as_ref(),
                    out_csv.as_os_str(),
                ])
            };
            assert_bad_input(&out, &name);
            assert_eq!(
                std::fs::read_dir(tmp.path()).unwrap().count(),
                0,
                "{name}: left files behind"
            );
        }
        n += 1;
    }
    assert!(n >= 25, "the bad-input corpus is missing files ({n})");
}

#[test]
fn the_bad_corpus_errors_say_what_is_wrong() {
    let cases = [
        ("empty.csv", "empty file"),
        ("single_column.csv", "one column"),
        ("all_nan.csv", "NaN"),
        ("duplicate_x.csv", "duplicate x value 500 on lines 2 and 4"),
        ("one_line.csv", "only 1 data row"),
        ("header_only.csv", "no data rows"),
        ("binary_garbage.csv", "binary data"),
        ("malformed_row.csv", "line 4"),
        ("truncated.csv", "line 3"),
        ("negative_x.csv", "not positive"),
        ("empty.fits", "empty file"),
        ("empty.jdx", "empty file"),
        ("fits_truncated_header.fits", "truncated in the header"),
        (
            "fits_truncated_data.fits",
            "promises 2000 bytes of data but the file ends after 1000",
        ),
        ("fits_naxis_2gb.fits", "promises 2147483648 bytes"),
        ("fits_bad_bitpix.fits", "BITPIX = 12"),
        ("fits_empty_table.fits", "the table has no rows"),
        ("fits_nan_flux.fits", "no finite flux values"),
        ("garbage.fits", "not a FITS file"),
        ("garbage.fits.gz", "corrupt deflate stream"),
        ("gzip_of_garbage.fits.gz", "not a FITS file"),
        ("garbage.jdx", "binary data"),
        ("jcamp_broken_check.jdx", "line 11: DIF check value 5"),
        ("jcamp_missing_end.jdx", "has no ##END="),
        (
            "jcamp_npoints_mismatch.jdx",
            "NPOINTS says 5 but the data hold 4",
        ),
    ];
    for (file, says) in cases {
        let out = run(&[
            "inspect".as_ref(),
            data(&format!("bad/{file}")).as_os_str(),
            "--strict".as_ref(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{file}: {stderr}");
    }
}

#[test]
fn missing_file_directory_and_sparse_2gb_file() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.csv");
    assert_bad_input(
        &run(&["inspect".as_ref(), missing.as_os_str()]),
        "missing.csv",
    );
    let folder = tmp.path().join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let out = run(&["inspect".as_ref(), folder.as_os_str()]);
    assert_bad_input(&out, "folder.csv");
    assert!(String::from_utf8_lossy(&out.stderr).contains("directory"));
    // A 2 GB file of zeros that takes no disk space: rejected from its first bytes.
    let sparse = tmp.path().join("huge.csv");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let out = run(&["inspect".as_ref(), sparse.as_os_str()]);
    assert_bad_input(&out, "huge.csv");
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary"));
}

#[test]
fn a_broken_jcamp_check_value_is_a_warning_unless_strict() {
    let v = inspect_json(&data("bad/jcamp_broken_check.jdx"));
    assert_eq!(v["n_points"], 5);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("1 of 1 DIF check values")
    );
}

#[test]
fn fits_and_jcamp_named_directories_and_unreadable_files() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["folder.fits", "folder.jdx", "folder.fits.gz"] {
        let folder = tmp.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        let out = run(&["inspect".as_ref(), folder.as_os_str()]);
        assert_bad_input(&out, name);
        assert!(String::from_utf8_lossy(&out.stderr).contains("directory"));
    }
    // A sparse 2 GB .fits file: rejected by the header check, not read.
    let sparse = tmp.path().join("huge.fits");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let out = run(&["inspect".as_ref(), sparse.as_os_str()]);
    assert_bad_input(&out, "huge.fits");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["locked.fits", "locked.jdx"] {
            let f = tmp.path().join(name);
            std::fs::copy(data("bad/fits_nan_flux.fits"), &f).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
            if std::fs::read(&f).is_ok() {
                return; // root: permissions do not stop reads
            }
            let out = run(&["inspect".as_ref(), f.as_os_str()]);
            assert_bad_input(&out, name);
            assert!(String::from_utf8_lossy(&out.stderr).contains("permission denied"));
        }
    }
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("locked.csv");
    std::fs::write(&f, "x,y\n1,2\n3,4\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test here.
        return;
    }
    assert_bad_input(&run(&["inspect".as_ref(), f.as_os_str()]), "locked.csv");
}

#[test]
fn convert_round_trips_exactly_in_nm_and_to_float_precision_in_other_units() {
    let tmp = tempfile::tempdir().unwrap();
    let src = sample("spex_M6_dwarf_12043.csv");
    let original = inspect_json(&src);
    let nm = tmp.path().join("nm.csv");
    let out = convert(&src, &nm, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        inspect_json(&nm)["dataset_id"],
        original["dataset_id"],
        "nm CSV is lossless"
    );
    for unit in ["angstrom", "micrometer", "wavenumber"] {
        let f = tmp.path().join(format!("{unit}.csv"));
        let out = convert(&src, &f, &["--unit", unit]);
        assert_eq!(out.status.code(), Some(0), "{unit}");
        let text = std::fs::read_to_string(&f).unwrap();
        let header = text.lines().nth(1).unwrap();
        assert!(
            header.starts_with(match unit {
                "angstrom" => "wavelength_angstrom,",
                "micrometer" => "wavelength_um,",
                _ => "wavenumber_cm-1,",
            }),
            "{header}"
        );
        let back = inspect_json(&f);
        assert_eq!(back["n_points"], original["n_points"]);
        for key in ["x_nm_min", "x_nm_max"] {
            let (a, b) = (back[key].as_f64().unwrap(), original[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b,
                "{unit} {key}: {a} vs {b}"
            );
        }
        assert!(
            back["warnings"].as_array().unwrap().is_empty(),
            "{unit}: {}",
            back["warnings"]
        );
    }
}

#[test]
fn convert_never_leaves_a_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("no_such_dir").join("out.csv");
    let out = convert(&sample("spex_T6_dwarf_11594.csv"), &target, &[]);
    assert_bad_input(&out, "out.csv");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // An output that is a directory.
    let out = convert(&sample("spex_T6_dwarf_11594.csv"), tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["frobnicate"],
        vec!["inspect"],
        vec!["convert", "a.csv"],
        vec!["convert", "a.csv", "--out", "b.csv", "--unit", "parsec"],
        vec!["open"],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = bin().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    for verb in ["inspect", "convert", "open"] {
        assert!(String::from_utf8_lossy(&out.stdout).contains(verb));
    }
}

#[test]
fn open_with_a_missing_file_fails_before_any_window() {
    let out = run(&["open".as_ref(), "definitely-missing.csv".as_ref()]);
    assert_bad_input(&out, "definitely-missing.csv");
}

/// Every input a fuzz target crashed on (tests/data/fuzz_regressions/, see fuzz/README.md)
/// now gives a result or a clean one-line error, never a panic.
#[test]
fn fuzz_regressions_never_panic() {
    let mut n = 0;
    for entry in std::fs::read_dir(data("fuzz_regressions")).unwrap() {
        let path = entry.unwrap().path();
        let out = run(&["inspect".as_ref(), path.as_os_str()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}: {stderr}",
            path.display()
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn spectrum_picks_one_spectrum_of_a_multi_spectrum_file() {
    let desi = data("fits/coadd-sv3-dark-26065.fits");
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("b3.csv");
    // Without a choice, convert refuses and says how to choose.
    let out = convert(&desi, &out_csv, &[]);
    assert_bad_input(&out, "coadd-sv3-dark-26065.fits");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--spectrum"));
    assert!(!out_csv.exists());
    // inspect numbers the spectra as --spectrum takes them.
    let all = inspect_json(&desi);
    let numbers: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["spectrum_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=15).collect::<Vec<u64>>());
    assert_eq!(
        all[7]["name"],
        "coadd-sv3-dark-26065.fits [R arm, spectrum 3]"
    );
    // By name (what the brackets hold) and by number: the same spectrum.
    let by_name = inspect_json_with(&desi, &["--spectrum", "B arm, spectrum 3"]);
    let by_number = inspect_json_with(&desi, &["--spectrum", "3"]);
    assert_eq!(by_name, by_number);
    // One report: an object, as for any single-spectrum file.
    assert_eq!(
        by_name["name"],
        "coadd-sv3-dark-26065.fits [B arm, spectrum 3]"
    );
    assert_eq!(by_name["n_points"], 2751);
    // Its warnings are its own and the file's, not the other spectra's.
    let warnings = by_name["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| !w.as_str().unwrap().contains("spectrum 1]"))
    );
    let out = convert(&desi, &out_csv, &["--spectrum", "B arm, spectrum 3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_csv).unwrap();
    assert!(text.starts_with("# coadd-sv3-dark-26065.fits [B arm, spectrum 3] (dataset "));
    assert_eq!(text.lines().count(), 2 + 2751);
    // A choice that names nothing: exit 2, naming the file, listing what there is.
    for bad in ["16", "0", "Q arm", ""] {
        let out = run(&[
            "inspect".as_ref(),
            desi.as_os_str(),
            "--spectrum".as_ref(),
            bad.as_ref(),
        ]);
        assert_bad_input(&out, "coadd-sv3-dark-26065.fits");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("it holds 15: 1 [B arm, spectrum 1], 2 [B arm"),
            "{stderr}"
        );
    }
}

/// A real SpeX table (a bundled sample) saved as a Windows editor would: UTF-8 with a
/// byte-order mark, UTF-16 little- and big-endian with one. Each reads as the same
/// dataset; broken UTF-16 is refused naming the file.
#[test]
fn utf8_bom_and_utf16_text_tables_read_as_the_same_dataset() {
    let original = std::fs::read_to_string(sample("spex_T6_dwarf_11594.csv")).unwrap();
    let want = inspect_json(&sample("spex_T6_dwarf_11594.csv"));
    let dir = tempfile::tempdir().unwrap();
    let utf16 = |big: bool| -> Vec<u8> {
        let mut out = if big {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for u in original.encode_utf16() {
            out.extend(if big {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    };
    let mut bom8 = vec![0xef, 0xbb, 0xbf];
    bom8.extend(original.as_bytes());
    for (name, bytes) in [
        ("bom8.csv", bom8),
        ("le16.csv", utf16(false)),
        ("be16.csv", utf16(true)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let got = inspect_json(&path);
        for key in ["dataset_id", "n_points", "x_unit", "y_unit", "has_sigma"] {
            assert_eq!(got[key], want[key], "{name}: {key}");
        }
        assert_eq!(got["warnings"], want["warnings"], "{name}");
    }
    let mut odd = utf16(false);
    odd.push(b'1');
    let path = dir.path().join("odd16.csv");
    std::fs::write(&path, odd).unwrap();
    let out = run(&["inspect".as_ref(), path.as_os_str()]);
    assert_bad_input(&out, "odd16.csv");
    let mut lone = vec![0xff, 0xfe];
    lone.extend(0xd800u16.to_le_bytes());
    let path = dir.path().join("surrogate16.csv");
    std::fs::write(&path, lone).unwrap();
    let out = run(&["inspect".as_ref(), path.as_os_str()]);
    assert_bad_input(&out, "surrogate16.csv");
}
