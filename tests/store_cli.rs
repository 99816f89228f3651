//! The Library store through the real binary, each test in its own temporary store:
//! dedupe, list/show/pin/rm/gc/verify/export/index, prefixes, quarantine, bundle
//! import (and every kind of hostile bundle refused with nothing imported).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn recipe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dwarfs_calibrated.recipe.json")
}

/// The binary with `--store DIR`.
fn sw(store: &Path) -> Command {
    let mut c = common::bin();
    c.arg("--store").arg(store);
    c
}

fn run(store: &Path, args: &[&str]) -> Output {
    sw(store).args(args).output().unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let o = run(store, args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(store: &Path, args: &[&str], code: i32) -> String {
    let o = run(store, args);
    assert_eq!(o.status.code(), Some(code), "{args:?}");
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn list(store: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(store, &["store", "list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn convert(store: &Path, file: &Path, out: &Path) {
    let o = sw(store)
        .arg("convert")
        .arg(file)
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
}

#[test]
fn the_same_arrays_twice_are_one_entry_with_both_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let a = dir.path().join("first.csv");
    std::fs::copy(data("good/mixed_rows.csv"), &a).unwrap();
    let b = dir.path().join("renamed.csv");
    std::fs::copy(&a, &b).unwrap();
    convert(&store, &a, &dir.path().join("o1.csv"));
    let first = list(&store);
    assert_eq!(first.len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(5));
    convert(&store, &b, &dir.path().join("o2.csv"));
    let again = list(&store);
    assert_eq!(again.len(), 1, "deduplicated by Dataset ID");
    assert!(again[0]["last_seen_ms"].as_i64() > first[0]["last_seen_ms"].as_i64());
    assert_eq!(again[0]["first_seen_ms"], first[0]["first_seen_ms"]);
    let id = again[0]["id"].as_str().unwrap();
    let show: Value =
        serde_json::from_str(&ok(&store, &["store", "show", &id[..8], "--json"])).unwrap();
    assert_eq!(
        show["names"],
        serde_json::json!(["first.csv", "renamed.csv"])
    );
    // The source bytes are kept once, under their sha256.
    let sources = show["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["sha256"], sources[1]["sha256"]);
    assert_eq!(sources[0]["present"], true);
    // The blob is the Dataset ID's encoding: its name is its hash.
    let blob = store.join("blobs").join(&id[..2]).join(&id[2..4]).join(id);
    let bytes = std::fs::read(&blob).unwrap();
    assert_eq!(spectra_workbench::ids::sha256_hex(&bytes), id);
    ok(&store, &["store", "verify", "--read-data"]);
    // --no-store keeps nothing.
    let other = dir.path().join("other-store");
    let o = sw(&other)
        .arg("--no-store")
        .arg("convert")
        .arg(&a)
        .arg("--out")
        .arg(dir.path().join("o3.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!other.exists(), "--no-store must not create a store");
    // inspect is read-only.
    let o = sw(&other).arg("inspect").arg(&a).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!other.exists(), "inspect must not create a store");
}

#[test]
fn the_environment_names_the_store_and_store_path_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("env-store");
    let out = common::bin()
        .env("SPECTRA_WORKBENCH_STORE", &store)
        .args(["store", "path"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        store.display().to_string()
    );
    // --store wins over the environment.
    let flag = dir.path().join("flag-store");
    let out = common::bin()
        .env("SPECTRA_WORKBENCH_STORE", &store)
        .arg("--store")
        .arg(&flag)
        .args(["store", "path"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        flag.display().to_string()
    );
}

#[test]
fn apply_keeps_the_derived_trace_with_its_link_and_export_keeps_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let steps = dir.path().join("steps.json");
    std::fs::write(
        &steps,
        r#"[{"kind": "normalize", "params": {"mode": "max"}}]"#,
    )
    .unwrap();
    let o = sw(&store)
        .arg("apply")
        .arg(data("good/mixed_rows.csv"))
        .arg("--steps")
        .arg(&steps)
        .arg("--out")
        .arg(dir.path().join("n.csv"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let entries = list(&store);
    assert_eq!(entries.len(), 2);
    let derived = entries.iter().find(|e| e["format"] == "derived").unwrap();
    let input = entries.iter().find(|e| e["format"] != "derived").unwrap();
    let show: Value = serde_json::from_str(&ok(
        &store,
        &["store", "show", derived["id"].as_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(show["parents"][0]["dataset_id"], input["id"]);
    assert_eq!(show["parents"][0]["kind"], "normalize");
    let parent: Value = serde_json::from_str(&ok(
        &store,
        &["store", "show", input["id"].as_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(parent["children"][0]["dataset_id"], derived["id"]);

    // An export puts its datasets and manifest in, linked.
    let bundle = {
        let o = sw(&store)
            .arg("export")
            .arg(recipe())
            .arg("--out")
            .arg(dir.path().join("bundles"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
    };
    let manifest_id = std::fs::read_to_string(bundle.join("MANIFEST_ID")).unwrap();
    let manifest_id = manifest_id.trim();
    assert!(
        store
            .join("manifests")
            .join(format!("{manifest_id}.json"))
            .is_file()
    );
    let index: Value = serde_json::from_str(&ok(&store, &["store", "index", "--json"])).unwrap();
    let used: Vec<&String> = index
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| {
            v["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == manifest_id)
        })
        .map(|(k, _)| k)
        .collect();
    assert!(
        used.len() >= 2,
        "inputs and derived traces link to the manifest"
    );
    let with_citation = index
        .as_object()
        .unwrap()
        .values()
        .find(|v| !v["citations"].as_array().unwrap().is_empty());
    assert!(with_citation.is_some(), "citations travel into index.json");
    ok(&store, &["store", "verify", "--read-data"]);
}

#[test]
fn pins_refuse_rm_and_gc_keeps_what_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for name in ["good/mixed_rows.csv", "good/wavenumber.tsv"] {
        convert(&store, &data(name), &dir.path().join("o.csv"));
    }
    let entries = list(&store);
    assert_eq!(entries.len(), 2);
    let keep = entries[0]["id"].as_str().unwrap().to_string();
    let other = entries[1]["id"].as_str().unwrap().to_string();
    ok(&store, &["store", "pin", &keep[..10]]);
    let err = fails(&store, &["store", "rm", &keep], 2);
    assert!(err.contains("pinned"), "{err}");
    // Nothing goes while the limits hold.
    let dry = ok(&store, &["store", "gc", "--dry-run"]);
    assert!(dry.contains("0 entries would remove"), "{dry}");
    // A size limit of 0 bytes and no grace: everything unpinned would go, and why.
    ok(
        &store,
        &["store", "settings", "--max-bytes", "0", "--grace-days", "0"],
    );
    let plan: Value =
        serde_json::from_str(&ok(&store, &["store", "gc", "--dry-run", "--json"])).unwrap();
    let remove = plan["remove"].as_array().unwrap();
    assert_eq!(remove.len(), 1);
    assert_eq!(remove[0]["id"], other.as_str());
    assert_eq!(remove[0]["reason"], "size");
    assert_eq!(list(&store).len(), 2, "a dry run removes nothing");
    ok(&store, &["store", "gc"]);
    let left = list(&store);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], keep.as_str());
    ok(&store, &["store", "verify", "--read-data"]);
    ok(&store, &["store", "unpin", &keep]);
    ok(&store, &["store", "rm", &keep]);
    assert!(list(&store).is_empty());
    ok(&store, &["store", "verify", "--read-data"]);
}

#[test]
fn ids_resolve_by_unique_prefix_and_bad_ones_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    convert(
        &store,
        &data("good/mixed_rows.csv"),
        &dir.path().join("o.csv"),
    );
    let id = list(&store)[0]["id"].as_str().unwrap().to_string();
    for bad in ["abc", "zzzzzzzzzz", &id[..7]] {
        let err = fails(&store, &["store", "show", bad], 2);
        assert!(err.contains("at least 8 hex digits"), "{err}");
    }
    let err = fails(&store, &["store", "show", "00000000"], 2);
    assert!(err.contains("no dataset or manifest"), "{err}");
    let out = ok(&store, &["store", "show", &id[..8].to_uppercase()]);
    assert!(out.contains(&id));
    // Export writes the stored arrays back as CSV, the same as convert.
    let a = dir.path().join("a.csv");
    ok(
        &store,
        &["store", "export", &id[..12], "--out", a.to_str().unwrap()],
    );
    let b = dir.path().join("b.csv");
    convert(&store, &data("good/mixed_rows.csv"), &b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // Usage errors.
    fails(&store, &["store", "frobnicate"], 2);
    fails(&store, &["store", "list", "--sort", "colour"], 2);
}

#[test]
fn a_damaged_blob_is_quarantined_and_reported_and_nothing_else_is_affected() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for name in ["good/mixed_rows.csv", "good/wavenumber.tsv"] {
        convert(&store, &data(name), &dir.path().join("o.csv"));
    }
    let entries = list(&store);
    let bad = entries[0]["id"].as_str().unwrap().to_string();
    let good = entries[1]["id"].as_str().unwrap().to_string();
    let blob = store
        .join("blobs")
        .join(&bad[..2])
        .join(&bad[2..4])
        .join(&bad);
    let mut bytes = std::fs::read(&blob).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(&blob, &bytes).unwrap();
    // Structure alone still passes (the size is right)…
    ok(&store, &["store", "verify"]);
    // …reading the data finds it, quarantines it and fails.
    let err = fails(&store, &["store", "verify", "--read-data"], 1);
    assert!(err.contains(&bad) && err.contains("quarantine"), "{err}");
    assert!(!blob.exists());
    assert_eq!(
        std::fs::read_dir(store.join("quarantine")).unwrap().count(),
        1
    );
    let after = list(&store);
    let marked = after.iter().find(|e| e["id"] == bad.as_str()).unwrap();
    assert_eq!(marked["status"], "quarantined");
    // The rest is fine, and the store verifies again (the quarantine is a note).
    let out = ok(&store, &["store", "verify", "--read-data"]);
    assert!(out.contains("quarantined earlier"), "{out}");
    ok(
        &store,
        &[
            "store",
            "export",
            &good,
            "--out",
            dir.path().join("g.csv").to_str().unwrap(),
        ],
    );
    let err = fails(
        &store,
        &[
            "store",
            "export",
            &bad,
            "--out",
            dir.path().join("b.csv").to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("quarantined"), "{err}");
    // Opening the file again brings the blob back.
    let source = if entries[0]["name"] == "mixed_rows.csv" {
        data("good/mixed_rows.csv")
    } else {
        data("good/wavenumber.tsv")
    };
    convert(&store, &source, &dir.path().join("o.csv"));
    let restored = list(&store);
    assert!(restored.iter().all(|e| e["status"] == "ok"));
    ok(&store, &["store", "verify", "--read-data"]);
}

#[test]
fn a_bundle_rehydrates_with_ids_and_links_and_imports_twice_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = common::export(&recipe(), dir.path());
    let store = dir.path().join("store");
    let out: Value = serde_json::from_str(&ok(
        &store,
        &["store", "import", bundle.to_str().unwrap(), "--json"],
    ))
    .unwrap();
    let manifest_id = std::fs::read_to_string(bundle.join("MANIFEST_ID")).unwrap();
    assert_eq!(out["manifest_id"], manifest_id.trim());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let mut expected: Vec<String> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .chain(
            manifest["transforms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["output_id"].as_str().unwrap().to_string()),
        )
        .collect();
    expected.sort();
    expected.dedup();
    let mut stored: Vec<String> = list(&store)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    stored.sort();
    // Every input and every step's output (math_op's internal resampling of B aside).
    for id in &stored {
        assert!(expected.contains(id), "{id} was not in the bundle");
    }
    assert!(stored.len() > manifest["inputs"].as_array().unwrap().len());
    // Links: every derived dataset names its parent.
    for t in manifest["transforms"].as_array().unwrap() {
        let out_id = t["output_id"].as_str().unwrap();
        if !stored.iter().any(|s| s == out_id) {
            continue;
        }
        let show: Value =
            serde_json::from_str(&ok(&store, &["store", "show", out_id, "--json"])).unwrap();
        assert_eq!(show["parents"][0]["dataset_id"], t["parent_ids"][0]);
        assert!(
            show["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["manifest_id"] == manifest_id.trim())
        );
    }
    ok(&store, &["store", "verify", "--read-data"]);
    // Again: nothing new.
    let again: Value = serde_json::from_str(&ok(
        &store,
        &["store", "import", bundle.to_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(again["added"], 0);
    assert_eq!(list(&store).len(), stored.len());
}

/// A copy of a good bundle spoiled by `spoil`; importing it must fail with `code`, the
/// error must contain `words`, and the store must stay empty.
fn refused(spoil: impl FnOnce(&Path), words: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let good = common::export(&recipe(), &dir.path().join("good"));
    let bad = dir.path().join("bad");
    common::copy_dir(&good, &bad);
    spoil(&bad);
    let store = dir.path().join("store");
    let err = fails(&store, &["store", "import", bad.to_str().unwrap()], code);
    assert!(err.contains(words), "wanted '{words}' in: {err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert!(list(&store).is_empty(), "nothing is imported halfway");
    assert_eq!(
        std::fs::read_dir(store.join("blobs")).unwrap().count(),
        0,
        "no blob written for a refused bundle"
    );
    ok(&store, &["store", "verify", "--read-data"]);
}

fn edit_manifest(bundle: &Path, edit: impl FnOnce(&mut Value)) {
    let path = bundle.join("manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[test]
fn hostile_bundles_are_refused_with_their_reason() {
    // A path that climbs out, and an absolute one.
    refused(
        |b| {
            edit_manifest(b, |m| {
                m["outputs"][0]["path"] = "../../etc/passwd".into();
            })
        },
        "climbs out of the bundle",
        2,
    );
    refused(
        |b| {
            edit_manifest(b, |m| {
                m["outputs"][0]["path"] = "/etc/passwd".into();
            })
        },
        "absolute path",
        2,
    );
    #[cfg(unix)]
    refused(
        |b| std::os::unix::fs::symlink("/etc/passwd", b.join("sources/link.csv")).unwrap(),
        "symbolic link",
        2,
    );
    #[cfg(unix)]
    refused(
        |b| {
            let fifo = b.join("spectra/fifo");
            let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
            assert!(made.success());
        },
        "device, FIFO or socket",
        2,
    );
    // Two names that are one after case folding, and after Unicode normalization.
    refused(
        |b| std::fs::write(b.join("View.png"), b"x").unwrap(),
        "same name after Unicode normalization and case folding",
        2,
    );
    refused(
        |b| {
            std::fs::write(b.join("sources/caf\u{e9}.txt"), b"1").unwrap();
            std::fs::write(b.join("sources/cafe\u{301}.txt"), b"2").unwrap();
        },
        "same name after Unicode normalization and case folding",
        2,
    );
    // A file over 4 GiB (sparse: no disk used).
    refused(
        |b| {
            let f = std::fs::File::create(b.join("spectra/huge.bin")).unwrap();
            f.set_len((4u64 << 30) + 1).unwrap();
        },
        "over the 4 GiB limit",
        2,
    );
    // A tampered spectrum: the bundle does not verify.
    refused(
        |b| {
            let dir = b.join("spectra");
            let first = std::fs::read_dir(&dir)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let mut text = std::fs::read_to_string(&first).unwrap();
            text.push_str("# appended\n");
            std::fs::write(&first, text).unwrap();
        },
        "does not verify",
        1,
    );
    // Not a bundle at all.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let err = fails(
        &store,
        &[
            "store",
            "import",
            dir.path().join("missing").to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("no such directory"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = fails(&store, &["store", "import", empty.to_str().unwrap()], 2);
    assert!(err.contains("no manifest.json"), "{err}");
    std::fs::write(empty.join("manifest.json"), b"{ truncated").unwrap();
    let err = fails(&store, &["store", "import", empty.to_str().unwrap()], 2);
    assert!(err.contains("manifest.json"), "{err}");
}

#[test]
fn a_store_from_a_newer_build_is_refused_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["store", "list"]);
    let conn = rusqlite::Connection::open(store.join("index.sqlite")).unwrap();
    conn.execute(
        "UPDATE meta SET value = '99' WHERE key = 'layout_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let err = fails(&store, &["store", "list"], 2);
    assert!(err.contains("layout version 99"), "{err}");
    // Refused, not rewritten.
    let conn = rusqlite::Connection::open(store.join("index.sqlite")).unwrap();
    let v: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'layout_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, "99");
}

#[test]
fn several_processes_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let files = [data("good/mixed_rows.csv"), data("good/wavenumber.tsv")];
    // Eight converts (each file four times), a gc and two lists, all at once.
    let mut children: Vec<(String, std::process::Child)> = Vec::new();
    for k in 0..8 {
        let out = dir.path().join(format!("out{k}.csv"));
        let child = sw(&store)
            .arg("convert")
            .arg(&files[k % 2])
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        children.push((format!("convert {k}"), child));
    }
    for args in [
        &["store", "gc"][..],
        &["store", "list"],
        &["store", "list", "--json"],
    ] {
        let child = sw(&store)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        children.push((args.join(" "), child));
    }
    for (what, child) in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let entries = list(&store);
    assert_eq!(entries.len(), 2, "one entry per distinct dataset");
    ok(&store, &["store", "verify", "--read-data"]);
}
