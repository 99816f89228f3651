//! Format readers against independent references: every JCAMP-DX file against the
//! `jcamp` Python package, every FITS file against astropy (fixtures and the script that
//! made them in `tests/reference/formats/`), the BRUK identity, the isolated FITS reader's
//! failure handling, and `inspect --json` on every shared file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use spectra_workbench::ingest::fits::child::{ChildLimits, run_child};
use spectra_workbench::ingest::fits::{self, Request};
use spectra_workbench::ingest::jcamp::{JcampBlock, JcampOptions, parse_jcamp};
use spectra_workbench::ingest::{IngestProblem, ReadOptions, load_path};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn reference() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/formats/formats_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Read options that run this build's binary as the isolated FITS reader.
fn options() -> ReadOptions {
    ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..ReadOptions::default()
    }
}

fn blocks(rel: &str, strict: bool) -> Vec<JcampBlock> {
    let bytes = std::fs::read(data(rel)).unwrap();
    let text: String = String::from_utf8(bytes.clone())
        .unwrap_or_else(|_| bytes.iter().map(|&b| b as char).collect());
    parse_jcamp(&text, JcampOptions { strict }).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Compares an array with a fixture summary (length, sum, every k-th value).
fn assert_matches(what: &str, got: &[f64], want: &Value, rel_tol: f64) {
    let n = want["n"].as_u64().unwrap() as usize;
    assert_eq!(got.len(), n, "{what}: length");
    let stride = want["stride"].as_u64().unwrap() as usize;
    for (j, w) in want["samples"].as_array().unwrap().iter().enumerate() {
        let w = w.as_f64().unwrap();
        let g = got[j * stride];
        assert!(
            (g - w).abs() <= rel_tol * w.abs().max(1e-300),
            "{what}[{}]: {g} vs {w}",
            j * stride
        );
    }
    let sum: f64 = got.iter().sum();
    let want_sum = want["sum"].as_f64().unwrap();
    let scale: f64 = got.iter().map(|v| v.abs()).sum::<f64>().max(1e-300);
    assert!(
        (sum - want_sum).abs() <= 1e-9 * scale,
        "{what}: sum {sum} vs {want_sum}"
    );
}

#[test]
fn jcamp_arrays_equal_the_jcamp_python_package() {
    let r = reference();
    let mut compared = 0;
    for (file, entry) in r["jcamp"].as_object().unwrap() {
        let (Some(x), Some(y)) = (entry.get("x"), entry.get("y")) else {
            continue; // the package could not read it (see the fixture's "error")
        };
        let b = &blocks(&format!("jcamp/{file}"), false)[0];
        assert_eq!(b.x_units, entry["xunits"].as_str().unwrap(), "{file}");
        assert_matches(&format!("{file} x"), &b.x, x, 1e-12);
        if x["n"] != y["n"] {
            // The package itself prints "Mismatch of array lengths" here (BRUKER2.JCM:
            // 3735 x for 3710 y), so its y is no reference; ours holds NPOINTS values.
            assert_eq!(b.y.len() as u64, x["n"].as_u64().unwrap(), "{file}");
            continue;
        }
        assert_matches(&format!("{file} y"), &b.y, y, 1e-12);
        compared += 1;
    }
    assert!(compared >= 14, "only {compared} files compared");
}

/// Panics at the first differing index (never prints 16k-element arrays).
fn assert_same(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("{what}: index {i}: {} vs {}", a[i], b[i]);
    }
}

#[test]
fn the_four_bruk_encodings_decode_to_identical_arrays_and_every_dif_check_passes() {
    let affn = &blocks("jcamp/BRUKAFFN.DX", true)[0];
    assert_eq!(affn.y.len(), 16384);
    assert_eq!(affn.encodings, vec!["AFFN"]);
    for (file, enc) in [("jcamp/BRUKPAC.DX", "PAC"), ("jcamp/BRUKSQZ.DX", "SQZ")] {
        let b = &blocks(file, true)[0];
        assert!(b.encodings.contains(&enc), "{file}: {:?}", b.encodings);
        assert_same(&format!("{file} y"), &b.y, &affn.y);
        assert_same(&format!("{file} x"), &b.x, &affn.x);
    }
    // BRUKDIF is not the same digitisation: its header says TITLE=testspec and
    // FIRSTY=2254931 (AFFN/PAC/SQZ: TITLE=diff, FIRSTY=2259260); it is the 16-bit
    // TESTSPEC.DX spectrum re-encoded by Bruker. So it must equal TESTSPEC (written by a
    // different program, in another compression) exactly, and AFFN to its quantisation.
    let testspec = &blocks("jcamp/TESTSPEC.DX", true)[0];
    for file in ["jcamp/BRUKDIF.DX", "jcamp/brukdif.jdx"] {
        // Strict: any failed DIF check would be an error here.
        let b = &blocks(file, true)[0];
        assert!(b.encodings.contains(&"DIF"), "{file}: {:?}", b.encodings);
        assert_eq!(b.y_check_failures, 0);
        assert!(b.y_checks > 1000, "{file}: {} checks", b.y_checks);
        assert_same(&format!("{file} x"), &b.x, &affn.x);
        let full_scale = affn.y.iter().fold(0f64, |m, v| m.max(v.abs()));
        let worst =
            b.y.iter()
                .zip(&affn.y)
                .map(|(p, q)| (p - q).abs())
                .fold(0f64, f64::max);
        assert!(worst / full_scale < 2e-5, "{file}: {worst}");
        assert_eq!(b.y[0], 2254931.0);
        let scale = testspec.y[0] / b.y[0];
        assert!(
            testspec
                .y
                .iter()
                .zip(&b.y)
                .all(|(t, d)| (t - d * scale).abs() <= 1e-6 * full_scale.max(t.abs())),
            "{file} vs TESTSPEC"
        );
    }
    // The NTUPLES form of the same spectrum: its first page is the real part.
    let ntup = &blocks("jcamp/BRUKNTUP.DX", true)[0];
    assert_eq!(ntup.y.len(), 16384);
    assert_eq!(ntup.x_units, "HZ");
    assert_eq!(ntup.y[0], 2254931.0);
}

#[test]
fn every_jcamp_file_parses_with_its_declared_point_count() {
    for entry in std::fs::read_dir(data("jcamp")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // DX-DIR.TXT is the set's index, not JCAMP; jcamp2001_example.txt is an excerpt
        // whose NPOINTS (2400) disagrees with the 106 points it holds: an error, tested below.
        if name == "DX-DIR.TXT" || name == "jcamp2001_example.txt" {
            continue;
        }
        let text: String = std::fs::read(&path)
            .unwrap()
            .iter()
            .map(|&b| b as char)
            .collect();
        let bs =
            parse_jcamp(&text, JcampOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!bs.is_empty(), "{name}");
        for b in &bs {
            assert!(
                !b.y.is_empty() || b.kind == spectra_workbench::ingest::jcamp::BlockKind::PeakTable
            );
            assert_eq!(b.x.len(), b.y.len(), "{name}");
        }
    }
    let e = load_path(&data("jcamp/jcamp2001_example.txt"), &options()).unwrap_err();
    assert!(
        e.to_string()
            .contains("NPOINTS says 2400 but the data hold 106"),
        "{e}"
    );
}

#[test]
fn specfile_has_one_broken_check_value_warned_by_default_and_fatal_when_strict() {
    let loaded = load_path(&data("jcamp/SPECFILE.DX"), &options()).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.to_string().contains("1 of 86 DIF check values")),
        "{:?}",
        loaded.warnings
    );
    let strict = ReadOptions {
        strict: true,
        ..options()
    };
    let e = load_path(&data("jcamp/SPECFILE.DX"), &strict).unwrap_err();
    assert!(e.to_string().contains("DIF check value"), "{e}");
}

#[test]
fn ir_spectra_become_spectra_and_other_axes_are_reported_not_plotted() {
    let ir = load_path(&data("jcamp/LABCALC.DX"), &options()).unwrap();
    assert_eq!(ir.spectra.len(), 1);
    let s = &ir.spectra[0];
    // 1/CM is converted to nm and sorted increasing.
    let (lo, hi) = s.x_range_nm();
    assert!(lo > 2000.0 && hi < 50000.0, "{lo} {hi}");
    assert!(s.x_nm().windows(2).all(|w| w[1] > w[0]));
    let nmr = load_path(&data("jcamp/BRUKAFFN.DX"), &options()).unwrap();
    assert!(nmr.spectra.is_empty());
    assert!(
        nmr.not_spectra[0].reason.contains("HZ"),
        "{:?}",
        nmr.not_spectra
    );
    let peaks = load_path(&data("jcamp/ISAS_MS1.DX"), &options()).unwrap();
    assert!(peaks.not_spectra[0].reason.contains("peak table"));
}

fn fits_spectra_against(file: &str, entry: &Value) {
    let loaded =
        load_path(&data(&format!("fits/{file}")), &options()).unwrap_or_else(|e| panic!("{e}"));
    let want = entry["spectra"].as_object().unwrap();
    // Fixture keys sort like the reader's order for every file here (B1..B5, R1.., Z1..).
    assert_eq!(loaded.spectra.len(), want.len(), "{file}");
    for (s, (key, w)) in loaded.spectra.iter().zip(want) {
        let what = format!("{file} {key}");
        assert_eq!(
            s.medium.as_str(),
            entry["medium"].as_str().unwrap(),
            "{what}"
        );
        // float32 files: both sides widen the same float32 values; 1e-12 leaves room
        // only for the nm conversion's last bit.
        assert_matches(&format!("{what} x"), s.x_nm(), &w["x_nm"], 1e-12);
        assert_matches(&format!("{what} y"), s.y(), &w["y"], 1e-12);
        if let Some(sig) = w.get("sigma") {
            assert_matches(&format!("{what} sigma"), s.sigma().unwrap(), sig, 1e-12);
        }
        let masked = s.mask().map_or(0, |m| m.iter().filter(|&&b| b).count());
        assert_eq!(
            masked as u64,
            w["n_masked"].as_u64().unwrap(),
            "{what} masked"
        );
    }
}

#[test]
fn fits_arrays_equal_astropy() {
    let r = reference();
    let files = r["fits"].as_object().unwrap();
    assert!(files.len() >= 11);
    for (file, entry) in files {
        fits_spectra_against(file, entry);
    }
}

#[test]
fn fits_metadata_units_and_ambiguity() {
    let spex = load_path(&data("fits/12021_11729.fits.gz"), &options()).unwrap();
    let s = &spex.spectra[0];
    assert_eq!(s.instrument, "NASA IRTF / SpeX Spectrograph");
    let meta = |k: &str| {
        s.metadata
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(meta("RP").as_deref(), Some("132"));
    assert!(meta("MJD_OBS").is_some() && meta("TCS_RA").is_some());
    assert_eq!(meta("x_unit_in_file").as_deref(), Some("micrometer"));
    // --hdu picks one DESI arm by EXTNAME: an image of 5 rows, not a SpeX layout.
    let desi = data("fits/coadd-sv3-dark-26065.fits");
    let all = load_path(&desi, &options()).unwrap();
    assert_eq!(all.spectra.len(), 15);
    let bad_hdu = ReadOptions {
        hdu: Some("NOPE".into()),
        ..options()
    };
    let e = load_path(&desi, &bad_hdu).unwrap_err();
    assert!(
        e.to_string().contains("no HDU 'NOPE'") && e.to_string().contains("B_FLUX"),
        "{e}"
    );
    // A table column chosen by name.
    let hst = ReadOptions {
        hdu: Some("SCI".into()),
        sigma_col: Some(spectra_workbench::ingest::ColumnRef::Name("ERROR".into())),
        ..options()
    };
    assert_eq!(
        load_path(&data("fits/made/hst_x1d_like.fits"), &hst)
            .unwrap()
            .spectra
            .len(),
        2
    );
}

#[test]
fn ivar_zero_masks_the_point() {
    let loaded = load_path(&data("fits/made/sdss_like_table.fits"), &options()).unwrap();
    let s = &loaded.spectra[0];
    let mask = s.mask().unwrap();
    assert_eq!(
        (0..s.len()).filter(|&i| mask[i]).collect::<Vec<_>>(),
        vec![3, 77, 400]
    );
    assert!(
        s.metadata
            .iter()
            .any(|(k, v)| k == "sigma_from" && v.contains("inverse variance"))
    );
}

fn sh(script: &str) -> Vec<std::ffi::OsString> {
    vec!["-c".into(), script.into()]
}

#[test]
fn a_crashing_hanging_or_lying_reader_is_a_clean_error() {
    let req = [Request::Image { hdu: 0, n: 4 }];
    let limits = ChildLimits {
        timeout: Duration::from_millis(500),
        ..ChildLimits::default()
    };
    let run = |script: &str| run_child(Path::new("/bin/sh"), &sh(script), &req, &limits);
    let crash = run("kill -SEGV $$").unwrap_err().to_string();
    assert!(crash.contains("crashed (signal 11)"), "{crash}");
    let started = std::time::Instant::now();
    let hang = run("sleep 30").unwrap_err().to_string();
    assert!(hang.contains("did not finish within 0.5 s"), "{hang}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let garbage = run("echo hello").unwrap_err().to_string();
    assert!(garbage.contains("not in its format"), "{garbage}");
    let flood = run("head -c 100000000 /dev/zero").unwrap_err().to_string();
    assert!(flood.contains("more data than asked"), "{flood}");
    let failed = run("echo 'cfitsio error 108: oops' >&2; exit 3")
        .unwrap_err()
        .to_string();
    assert_eq!(failed, "cfitsio error 108: oops");
    // An allocation blow-up: the address-space limit stops the child, not the machine.
    let tight = ChildLimits {
        base_memory_bytes: 64 << 20,
        ..limits.clone()
    };
    let blowup = run_child(
        Path::new("/bin/sh"),
        &sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}"),
        &req,
        &tight,
    );
    assert!(
        matches!(blowup, Err(IngestProblem::ReaderFailed(_))),
        "{blowup:?}"
    );
}

#[test]
fn the_real_reader_answers_exactly_what_was_asked() {
    let path = data("fits/made/linear_wcs_air.fits");
    let hdus = fits::scan_file(&path).unwrap();
    assert_eq!(hdus[0].naxes, vec![500]);
    let arrays =
        fits::child::read_arrays(&path, &[Request::Image { hdu: 0, n: 500 }], &options()).unwrap();
    assert_eq!(arrays[0].len(), 500);
    // Asking for an HDU that is not there is the child's clean error, not a crash.
    let e = fits::child::read_arrays(&path, &[Request::Image { hdu: 5, n: 1 }], &options())
        .unwrap_err();
    assert!(e.to_string().contains("cfitsio error"), "{e}");
}

fn inspect(path: &Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        // Never the user's own Library store: one shared by the test binaries (several
        // processes at once, as the store allows).
        .env(
            "SPECTRA_WORKBENCH_STORE",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/shared-store"),
        )
        .args(["inspect", "--json"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).unwrap() {
        Value::Array(a) => a,
        v => vec![v],
    }
}

#[test]
fn inspect_json_on_every_shared_fits_and_jcamp_file() {
    // (file, format, x unit, medium, points of the first block, blocks)
    let cases = [
        // Two SpeX headers state no XUNITS (µm assumed, with a warning) and three no
        // WAVETYPE (medium unknown: the file does not say).
        (
            "fits/10704_10139.fits.gz",
            "fits",
            "micrometer",
            "unknown",
            None,
            1,
        ),
        (
            "fits/11240_11038.fits.gz",
            "fits",
            "micrometer",
            "unknown",
            None,
            1,
        ),
        (
            "fits/11594_11430.fits.gz",
            "fits",
            "micrometer",
            "unknown",
            None,
            1,
        ),
        (
            "fits/12021_11729.fits.gz",
            "fits",
            "micrometer",
            "vacuum",
            None,
            1,
        ),
        (
            "fits/12043_11769.fits.gz",
            "fits",
            "micrometer",
            "vacuum",
            Some(810),
            1,
        ),
        (
            "fits/coadd-sv3-dark-26065.fits",
            "fits",
            "Angstrom",
            "vacuum",
            Some(2751),
            15,
        ),
        (
            "jcamp/BRUKAFFN.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/BRUKPAC.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/BRUKSQZ.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/BRUKDIF.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/BRUKNTUP.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/BRUKER1.JCM",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(3735),
            1,
        ),
        (
            "jcamp/BRUKER2.JCM",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(3735),
            1,
        ),
        (
            "jcamp/IMSDEMO.DX",
            "jcamp-dx",
            "MILLISECONDS",
            "unknown",
            Some(1000),
            1,
        ),
        (
            "jcamp/IMS_TEST1.DX",
            "jcamp-dx",
            "MILLISECONDS",
            "unknown",
            Some(2400),
            1,
        ),
        (
            "jcamp/ISAS_CDX.DX",
            "jcamp-dx",
            "PPM",
            "unknown",
            Some(16),
            1,
        ),
        (
            "jcamp/ISAS_MS1.DX",
            "jcamp-dx",
            "M/Z",
            "unknown",
            Some(26),
            1,
        ),
        (
            "jcamp/ISAS_MS2.DX",
            "jcamp-dx",
            "SECONDS",
            "unknown",
            Some(346),
            1,
        ),
        (
            "jcamp/ISAS_MS3.DX",
            "jcamp-dx",
            "M/Z",
            "unknown",
            Some(18),
            1,
        ),
        (
            "jcamp/LABCALC.DX",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(3435),
            1,
        ),
        (
            "jcamp/PE1800.DX",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(3301),
            1,
        ),
        (
            "jcamp/SPECFILE.DX",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(1801),
            1,
        ),
        (
            "jcamp/TEST32.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/TESTFID.DX",
            "jcamp-dx",
            "SECONDS",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/TESTNTUP.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/TESTSPEC.DX",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/1HQuinine.jdx",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(65536),
            1,
        ),
        (
            "jcamp/2Methyl1Propanol.jdx",
            "jcamp-dx",
            "PPM",
            "unknown",
            Some(2153),
            1,
        ),
        (
            "jcamp/brukdif.jdx",
            "jcamp-dx",
            "HZ",
            "unknown",
            Some(16384),
            1,
        ),
        (
            "jcamp/difdup_example.jdx",
            "jcamp-dx",
            "MILLISECONDS",
            "unknown",
            Some(53),
            1,
        ),
        (
            "jcamp/noencoding_example.jdx",
            "jcamp-dx",
            "MILLISECONDS",
            "unknown",
            Some(53),
            1,
        ),
        (
            "jcamp/scientific_notation_example.jdx",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(1867),
            1,
        ),
        (
            "jcamp/tannic_acid.jdx",
            "jcamp-dx",
            "1/CM",
            "unknown",
            Some(1949),
            1,
        ),
    ];
    for (file, format, unit, medium, points, n_blocks) in cases {
        let reports = inspect(&data(file));
        assert_eq!(reports.len(), n_blocks, "{file}");
        let r = &reports[0];
        assert_eq!(r["format"], format, "{file}");
        assert_eq!(r["x_unit"], unit, "{file}");
        assert_eq!(r["medium"], medium, "{file}");
        if let Some(p) = points {
            assert_eq!(r["n_points"], p, "{file}");
        }
        let optical = ["micrometer", "Angstrom", "1/CM"].contains(&unit);
        assert_eq!(r["plottable"], optical, "{file}");
    }
    // SpeX point counts: every finite row (the fixture drops the same NaN rows).
    let r = reference();
    for f in [
        "10704_10139.fits.gz",
        "11240_11038.fits.gz",
        "11594_11430.fits.gz",
        "12021_11729.fits.gz",
    ] {
        let reports = inspect(&data(&format!("fits/{f}")));
        assert_eq!(
            reports[0]["n_points"], r["fits"][f]["spectra"]["0"]["x_nm"]["n"],
            "{f}"
        );
    }
}

/// An SDSS-style table whose flux column has no TUNIT takes the flux unit from the
/// primary header's BUNIT (as SDSS spec-lite files say it); the table's own TUNIT wins.
#[test]
fn a_table_without_tunit_takes_bunit_from_the_primary_header() {
    let original = std::fs::read(data("fits/made/sdss_like_table.fits")).unwrap();
    let plain = load_path(&data("fits/made/sdss_like_table.fits"), &options()).unwrap();
    assert_eq!(
        plain.spectra[0].y_unit, "",
        "no unit anywhere: none claimed"
    );
    // The same file with BUNIT added to the primary header (its free card after EXTEND).
    let mut bytes = original.clone();
    let card = |text: &str| format!("{text:<80}").into_bytes();
    let end = (0..36)
        .find(|i| bytes[i * 80..i * 80 + 3] == *b"END")
        .unwrap();
    bytes[end * 80..end * 80 + 80].copy_from_slice(&card("BUNIT   = '1E-17 erg/s/cm^2/Ang'"));
    bytes[(end + 1) * 80..(end + 2) * 80].copy_from_slice(&card("END"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sdss_bunit.fits");
    std::fs::write(&path, &bytes).unwrap();
    let loaded = load_path(&path, &options()).unwrap();
    assert_eq!(loaded.spectra[0].y_unit, "1E-17 erg/s/cm^2/Ang");
    assert_eq!(loaded.spectra[0].y(), plain.spectra[0].y(), "same numbers");
    // And `inspect --json` shows it.
    let out = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        // Never the user's own Library store: one shared by the test binaries (several
        // processes at once, as the store allows).
        .env(
            "SPECTRA_WORKBENCH_STORE",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/shared-store"),
        )
        .arg("inspect")
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["y_unit"], "1E-17 erg/s/cm^2/Ang");
}

/// The real SpeX spectrum 11594_11430, decompressed: a primary image of 3 rows (λ, flux,
/// σ) of 564 big-endian f32.
fn spex_bytes() -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data("fits/11594_11430.fits.gz")).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// The index of the primary header's END card (its data starts at the next block).
fn end_card(bytes: &[u8]) -> usize {
    (0..bytes.len() / 80)
        .find(|i| bytes[i * 80..i * 80 + 8] == *b"END     ")
        .unwrap()
}

/// A real SpeX spectrum with a few σ values made ≤ 0 or NaN keeps every point: those
/// are masked (as ivar = 0 is), counted in a warning, and the wavelength range is the
/// original's.
#[test]
fn points_with_sigma_at_or_below_zero_or_nan_are_kept_and_masked() {
    let mut bytes = spex_bytes();
    let original = load_path(&data("fits/11594_11430.fits.gz"), &options()).unwrap();
    let before = &original.spectra[0];
    // The header ends at the block holding END; rows are λ, flux, σ (f32, big-endian).
    let end = end_card(&bytes);
    let data_start = (end * 80 / 2880 + 1) * 2880;
    let n = 564;
    let sigma_at = |i: usize| data_start + (2 * n + i) * 4;
    // The first and last points (they set the range), and one inside.
    for (i, v) in [(0usize, -1.0f32), (n - 1, f32::NAN), (100, 0.0)] {
        bytes[sigma_at(i)..sigma_at(i) + 4].copy_from_slice(&v.to_be_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spex_bad_sigma.fits");
    std::fs::write(&path, &bytes).unwrap();
    let loaded = load_path(&path, &options()).unwrap();
    let s = &loaded.spectra[0];
    assert_eq!(s.len(), before.len(), "no point dropped");
    assert_eq!(
        s.x_range_nm(),
        before.x_range_nm(),
        "the range did not shrink"
    );
    let mask = s.mask().expect("the bad points are masked");
    let masked: Vec<usize> = (0..s.len()).filter(|&i| mask[i]).collect();
    assert_eq!(masked, vec![0, 100, n - 1]);
    assert!(
        loaded.warnings.iter().any(|w| w.kind
            == spectra_workbench::ingest::WarningKind::PointsMasked
            && w.message
                .starts_with("3 point(s) with σ ≤ 0 or not finite kept and masked")),
        "{:?}",
        loaded.warnings
    );
}

/// Some SpeX library files store the image transposed (NAXIS1 = 3: one point per row).
/// The real 11594_11430 spectrum, transposed byte for byte, reads as the same dataset.
#[test]
fn a_transposed_spex_image_reads_the_same_as_the_usual_orientation() {
    let bytes = spex_bytes();
    let original = load_path(&data("fits/11594_11430.fits.gz"), &options()).unwrap();
    let end = end_card(&bytes);
    let start = (end * 80 / 2880 + 1) * 2880;
    let (n, rows) = (564usize, 3usize);
    let value = |r: usize, i: usize| {
        let at = start + (r * n + i) * 4;
        [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]
    };
    let mut moved = bytes.clone();
    for i in 0..n {
        for r in 0..rows {
            let at = start + (i * rows + r) * 4;
            moved[at..at + 4].copy_from_slice(&value(r, i));
        }
    }
    let card = |text: &str| format!("{text:<80}").into_bytes();
    for k in 0..end {
        let key = &moved[k * 80..k * 80 + 8];
        if key == b"NAXIS1  " {
            moved[k * 80..k * 80 + 80].copy_from_slice(&card("NAXIS1  =                    3"));
        } else if key == b"NAXIS2  " {
            moved[k * 80..k * 80 + 80].copy_from_slice(&card("NAXIS2  =                  564"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spex_transposed.fits");
    std::fs::write(&path, &moved).unwrap();
    let loaded = load_path(&path, &options()).unwrap();
    let (a, b) = (&original.spectra[0], &loaded.spectra[0]);
    assert_eq!(b.x_nm(), a.x_nm());
    assert_eq!(b.y(), a.y());
    assert_eq!(b.sigma(), a.sigma());
    assert_eq!(b.dataset_id(), a.dataset_id());
}
