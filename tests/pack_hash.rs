//! The pack and data hashes as seed 003 defines them, recomputed here by a second
//! implementation written from the seed's text (it shares no code with the writer: it
//! hashes every file itself, walks the bundle itself, and builds the lines itself), and
//! the committed bundle of the previous format (1.2.0), which still verifies by its own
//! rule and says so.
//!
//! Seed 003, "Deterministic Pack Hash": list every file of the pack with its
//! `relative_path` (POSIX, from the pack root) and `sha256`, excluding the manifests and
//! the files holding the final hashes; sort the entries by `relative_path`; hash the
//! concatenation of `"{sha256}  {relative_path}\n"` in that order. The data hash
//! (citation) is the same over the data files only (here `spectra/` and `traces/`).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

mod common;

use common::{bin, copy_dir, export};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file below `root`, as (POSIX relative path, sha256 of its bytes).
fn files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(root, &p, out);
        } else {
            let rel: Vec<String> = p
                .strip_prefix(root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let sha = hex(&Sha256::digest(std::fs::read(&p).unwrap()));
            out.push((rel.join("/"), sha));
        }
    }
}

/// The seed's procedure, literally.
fn seed_hash(mut entries: Vec<(String, String)>) -> String {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    for (path, sha) in &entries {
        text.push_str(&format!("{sha}  {path}\n"));
    }
    hex(&Sha256::digest(text.as_bytes()))
}

fn read_hash(bundle: &Path, file: &str) -> String {
    std::fs::read_to_string(bundle.join(file))
        .unwrap()
        .trim()
        .to_string()
}

/// The pack's entries: every file but the manifest and the files holding the hashes.
fn pack_entries(bundle: &Path) -> Vec<(String, String)> {
    let mut all = Vec::new();
    files(bundle, bundle, &mut all);
    all.into_iter()
        .filter(|(p, _)| {
            !["manifest.json", "pack_sha256.txt", "data_sha256.txt"].contains(&p.as_str())
        })
        .collect()
}

#[test]
fn an_outside_verifier_following_seed_003_reproduces_both_hashes_of_a_fresh_bundle() {
    let out = tempfile::tempdir().unwrap();
    let recipe =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dwarfs_calibrated.recipe.json");
    let bundle = export(&recipe, out.path());
    // The manifest and the hash files are not part of what they describe.
    let pack = pack_entries(&bundle);
    let data: Vec<_> = pack
        .iter()
        .filter(|(p, _)| p.starts_with("spectra/") || p.starts_with("traces/"))
        .cloned()
        .collect();
    assert!(data.len() >= 4, "{data:?}");
    assert_eq!(
        read_hash(&bundle, "pack_sha256.txt"),
        seed_hash(pack.clone())
    );
    assert_eq!(
        read_hash(&bundle, "data_sha256.txt"),
        seed_hash(data.clone())
    );
    // The order matters: the lines sorted by hash (the old rule) give another pack hash,
    // so this test would catch a writer that sorted lines.
    let mut by_line: Vec<String> = pack.iter().map(|(p, s)| format!("{s}  {p}\n")).collect();
    by_line.sort();
    assert_ne!(
        hex(&Sha256::digest(by_line.concat().as_bytes())),
        read_hash(&bundle, "pack_sha256.txt"),
        "this bundle's lines sort the same both ways; the test would prove nothing"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["schema_version"], "1.3.0");
    let v = bin().arg("verify").arg(&bundle).output().unwrap();
    assert_eq!(v.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&v.stdout).contains("bundle format 1.3.0"),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

fn golden() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundles/format-1.2.0");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("export_")
        })
        .expect("the committed 1.2.0 bundle")
}

#[test]
fn the_committed_1_2_0_bundle_verifies_by_its_own_rule_and_says_so() {
    let bundle = golden();
    let v = bin().arg("verify").arg(&bundle).output().unwrap();
    let stdout = String::from_utf8_lossy(&v.stdout);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(
        stdout.contains("bundle format 1.2.0: pack and data hashes over lines sorted by hash"),
        "{stdout}"
    );
    // Its hashes are the old rule's, not the seed's (that is why it is a golden file).
    let pack = pack_entries(&bundle);
    assert_ne!(read_hash(&bundle, "pack_sha256.txt"), seed_hash(pack));
    // It also replays exactly.
    let r = bin().arg("replay").arg(&bundle).output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn a_bundle_of_an_unknown_format_is_refused_naming_its_version() {
    let tmp = tempfile::tempdir().unwrap();
    let src = golden();
    let dst = tmp.path().join(src.file_name().unwrap());
    copy_dir(&src, &dst);
    let path = dst.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"1.2.0\"", "\"9.0.0\"");
    std::fs::write(&path, text).unwrap();
    let v = bin().arg("verify").arg(&dst).output().unwrap();
    assert_eq!(v.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&v.stderr);
    assert!(stderr.contains("9.0.0"), "{stderr}");
}
