//! `history` and `log` through the real binary, each test in its own temporary store:
//! every store-changing verb records its run as a session; `export` writes its
//! Knowledge-log entry; notes; and bad input (unknown kinds, sessions and IDs, empty
//! notes, broken and huge files, links to IDs the store no longer has), each refused or
//! said with exit 2 or 1 and one line naming the problem, nothing overwritten.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn recipe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dwarfs_calibrated.recipe.json")
}

fn run(store: &Path, args: &[&str]) -> Output {
    let mut c = common::bin();
    c.arg("--store").arg(store).args(args);
    c.output().unwrap()
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

/// Runs a command that must fail with `code`; its stderr (one line, no panic).
fn fails(store: &Path, args: &[&str], code: i32) -> String {
    let o = run(store, args);
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Exports the example recipe into `out`; (bundle dir, MANIFEST_ID).
fn export(store: &Path, out: &Path) -> (PathBuf, String) {
    let dir = PathBuf::from(
        ok(
            store,
            &[
                "export",
                recipe().to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .trim(),
    );
    let mid = std::fs::read_to_string(dir.join("MANIFEST_ID"))
        .unwrap()
        .trim()
        .to_string();
    (dir, mid)
}

#[test]
fn each_store_changing_verb_is_a_session_and_history_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (bundle, mid) = export(&store, &dir.path().join("out"));
    ok(&store, &["store", "pin", &mid[..12]]);
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/good/wavenumber.tsv");
    ok(
        &store,
        &[
            "convert",
            csv.to_str().unwrap(),
            "--out",
            dir.path().join("c.csv").to_str().unwrap(),
        ],
    );
    let other = tempfile::tempdir().unwrap();
    ok(
        &other.path().join("s"),
        &["store", "import", bundle.to_str().unwrap()],
    );

    let events = json(&ok(&store, &["history", "--json"]));
    let events = events.as_array().unwrap();
    let sessions: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(sessions.len(), 3, "export, pin, convert: {sessions:?}");
    assert!(sessions.iter().any(|s| s.starts_with("cli-export-")));
    assert!(sessions.iter().any(|s| s.starts_with("cli-store-pin-")));
    let export = events.iter().find(|e| e["kind"] == "export").unwrap();
    assert_eq!(export["manifest_id"], mid.as_str());
    assert_eq!(
        export["log_entry"],
        format!("export-{}", &mid[..12]).as_str()
    );
    let transforms = events.iter().filter(|e| e["kind"] == "transform").count();
    assert_eq!(
        transforms, 5,
        "the recipe's five steps, as the run applied them"
    );
    let pin = events.iter().find(|e| e["kind"] == "pin").unwrap();
    assert_eq!(pin["manifest_id"], mid.as_str());
    assert!(
        events.iter().any(|e| e["kind"] == "store"),
        "convert stored its input"
    );

    // Filters: one session, one kind, one dataset (by prefix).
    let export_session = export["session_id"].as_str().unwrap();
    let one = json(&ok(
        &store,
        &["history", "--session", export_session, "--json"],
    ));
    assert!(
        one.as_array()
            .unwrap()
            .iter()
            .all(|e| e["session_id"] == export_session)
    );
    let kinds = json(&ok(&store, &["history", "--kind", "transform", "--json"]));
    assert_eq!(kinds.as_array().unwrap().len(), 5);
    let input = export["dataset_ids"][0].as_str().unwrap();
    let touching = json(&ok(
        &store,
        &["history", "--dataset", &input[..10], "--json"],
    ));
    assert!(!touching.as_array().unwrap().is_empty());
    assert!(touching.as_array().unwrap().iter().all(|e| {
        e["dataset_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == input)
    }));
    let text = ok(&store, &["history"]);
    assert!(
        text.contains(&format!("session {export_session}")),
        "{text}"
    );
    assert!(text.contains("[log export-"), "{text}");

    // The importing store recorded its own run.
    let imported = json(&ok(
        &other.path().join("s"),
        &["history", "--kind", "import", "--json"],
    ));
    assert_eq!(imported[0]["manifest_id"], mid.as_str());

    // Bad input: each refused with one line.
    assert!(fails(&store, &["history", "--kind", "dance"], 2).contains("not a kind of event"));
    assert!(
        fails(&store, &["history", "--session", "cli-nope-1-2"], 2).contains("no such session")
    );
    assert!(fails(&store, &["history", "--dataset", "zz"], 2).contains("zz"));
    assert!(fails(&store, &["history", "--dataset", "00000000"], 2).contains("no dataset"));
    // An empty store has no events, and says so.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(ok(empty.path(), &["history"]).trim(), "no events");
    assert_eq!(
        json(&ok(empty.path(), &["history", "--json"])),
        serde_json::json!([])
    );
}

#[test]
fn export_writes_its_entry_and_notes_are_written_listed_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (_bundle, mid) = export(&store, &dir.path().join("out"));
    let entry_id = format!("export-{}", &mid[..12]);
    let entry = ok(&store, &["log", "show", &entry_id]);
    for part in [
        &format!("Export bundle created — MANIFEST_ID={mid}")[..],
        "- Context: export verb",
        "- Inputs: 3 datasets",
        "- Key Steps: velocity_shift(",
        "- Outputs: ",
        "- References: schemas/provenance_schema.json@1.3.0",
        &format!("(manifest:{mid})"),
        "kind: export",
    ] {
        assert!(entry.contains(part), "{part} in {entry}");
    }
    // Exporting the same recipe again is the same manifest: still one entry.
    export(&store, &dir.path().join("out2"));
    let rows = json(&ok(&store, &["log", "list", "--json"]));
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "export")
            .count(),
        1
    );

    // A note about a dataset and the exported view.
    let input = json(&ok(&store, &["store", "list", "--json"]))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let note = ok(
        &store,
        &[
            "log",
            "add",
            "--text",
            "Hα wing is broader than the model",
            "--dataset",
            &input[..10],
            "--manifest",
            &mid[..10],
        ],
    );
    let note = note.trim();
    assert!(note.starts_with("note-"), "{note}");
    let shown = json(&ok(&store, &["log", "show", note, "--json"]));
    assert_eq!(shown["entry"]["manifest_id"], mid.as_str());
    assert!(
        shown["text"]
            .as_str()
            .unwrap()
            .contains("Hα wing is broader")
    );
    let links = shown["links"].as_array().unwrap();
    assert!(links.iter().all(|l| l["exists"] == true), "{links:?}");
    let list = ok(&store, &["log", "list", "--search", "broader model"]);
    assert!(list.contains(note) && !list.contains(&entry_id), "{list}");
    let notes = json(&ok(&store, &["history", "--kind", "note", "--json"]));
    assert_eq!(notes[0]["log_entry"], note);

    // The file is readable outside the app: Markdown with front matter.
    let path = store.join("knowledge-log").join(format!("{note}.md"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("---\nid: note-"), "{text}");

    // Bad input.
    assert!(fails(&store, &["log", "add", "--text", "  "], 2).contains("needs some text"));
    assert!(
        fails(
            &store,
            &["log", "add", "--text", "x", "--dataset", "0000000000"],
            2
        )
        .contains("no dataset")
    );
    assert!(
        fails(
            &store,
            &["log", "add", "--text", "x", "--manifest", &input[..10]],
            2
        )
        .contains("is a dataset")
    );
    assert!(fails(&store, &["log", "show", "note-none"], 2).contains("no Knowledge-log entry"));
}

#[test]
fn broken_huge_and_dangling_entries_are_said_and_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["log", "add", "--text", "a good note"]);
    let log = store.join("knowledge-log");
    let broken = "---\nid: broken-1\nkind: note\ncreated: [unclosed\n---\nbody\n";
    std::fs::write(log.join("broken-1.md"), broken).unwrap();
    std::fs::write(log.join("empty-1.md"), "").unwrap();
    let huge = vec![b'x'; 10 * 1024 * 1024];
    std::fs::write(log.join("huge-1.md"), &huge).unwrap();
    let ghost = "cd".repeat(32);
    std::fs::write(
        log.join("ghost-1.md"),
        format!("---\nid: ghost-1\nkind: note\ncreated: x\ndatasets: [{ghost}]\n---\nSee (dataset:{ghost}).\n"),
    )
    .unwrap();
    std::fs::write(log.join("binary-1.md"), [0xffu8, 0xfe, 0x00, 0x01]).unwrap();

    let rows = json(&ok(&store, &["log", "list", "--json"]));
    let rows = rows.as_array().unwrap();
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {rows:?}"))
            .clone()
    };
    assert_eq!(row("broken-1")["status"], "broken");
    assert!(
        row("broken-1")["problem"]
            .as_str()
            .unwrap()
            .contains("line 4")
    );
    assert_eq!(row("empty-1")["status"], "broken");
    assert_eq!(row("binary-1")["status"], "broken");
    assert_eq!(row("huge-1")["status"], "too_large");
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "ok").count(),
        2,
        "the good note and the ghost"
    );

    // show: the broken file's text with its problem on stderr; the huge one refused.
    let o = run(&store, &["log", "show", "broken-1"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().trim_end(),
        broken.trim_end()
    );
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("front matter, line 4")
    );
    assert!(fails(&store, &["log", "show", "huge-1"], 1).contains("larger than"));
    let o = run(&store, &["log", "show", "ghost-1"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("no longer has")
    );
    let shown = json(&ok(&store, &["log", "show", "ghost-1", "--json"]));
    assert!(
        shown["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["exists"] == false)
    );

    // Nothing was rewritten.
    assert_eq!(
        std::fs::read_to_string(log.join("broken-1.md")).unwrap(),
        broken
    );
    assert_eq!(
        std::fs::read(log.join("huge-1.md")).unwrap().len(),
        huge.len()
    );
    // An outside edit is picked up by the next command.
    std::fs::write(
        log.join("broken-1.md"),
        "---\nid: broken-1\nkind: note\ncreated: fixed\ntitle: mended\n---\nbody\n",
    )
    .unwrap();
    let rows = json(&ok(&store, &["log", "list", "--json"]));
    let mended = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "broken-1")
        .unwrap()
        .clone();
    assert_eq!(mended["status"], "ok");
    assert_eq!(mended["title"], "mended");
    // A removed file leaves the list.
    std::fs::remove_file(log.join("empty-1.md")).unwrap();
    let rows = json(&ok(&store, &["log", "list", "--json"]));
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != "empty-1")
    );
}

#[test]
fn a_file_holding_the_short_entry_name_is_left_alone_and_the_entry_takes_the_full_id() {
    let dir = tempfile::tempdir().unwrap();
    // Learn the recipe's MANIFEST_ID in one store, then squat its entry name in another.
    let (_, mid) = export(&dir.path().join("first"), &dir.path().join("out1"));
    let store = dir.path().join("store");
    let log = store.join("knowledge-log");
    std::fs::create_dir_all(&log).unwrap();
    let squat = format!(
        "---\nid: export-{}\nkind: note\ncreated: x\ntitle: mine\n---\nmy own words\n",
        &mid[..12]
    );
    std::fs::write(log.join(format!("export-{}.md", &mid[..12])), &squat).unwrap();
    export(&store, &dir.path().join("out2"));
    assert_eq!(
        std::fs::read_to_string(log.join(format!("export-{}.md", &mid[..12]))).unwrap(),
        squat,
        "the user's file is untouched"
    );
    let entry = ok(&store, &["log", "show", &format!("export-{mid}")]);
    assert!(entry.contains(&format!("MANIFEST_ID={mid}")), "{entry}");
    let events = json(&ok(&store, &["history", "--kind", "export", "--json"]));
    assert_eq!(events[0]["log_entry"], format!("export-{mid}").as_str());
}
