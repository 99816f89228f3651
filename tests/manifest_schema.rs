//! The manifest schema: the committed example manifest (format 1.2.0) validates, decodes
//! into the typed manifest, and its MANIFEST_ID is pinned (a change means the ID
//! algorithm or the format changed: a version bump, not a fix). The schema rejects
//! unknown fields, missing blocks and unit-less parameters.

use spectra_workbench::provenance::manifest::Manifest;
use spectra_workbench::provenance::verify::schema_errors;

fn example() -> serde_json::Value {
    serde_json::from_str(include_str!("../examples/dwarfs_calibrated.manifest.json")).unwrap()
}

#[test]
fn the_committed_manifest_validates_decodes_and_keeps_its_id() {
    let value = example();
    assert_eq!(schema_errors(&value), Vec::<String>::new());
    let m: Manifest = serde_json::from_value(value).unwrap();
    assert_eq!(m.schema_version, "1.2.0");
    assert_eq!(m.manifest_id(), GOLDEN_ID);
}

const GOLDEN_ID: &str = "281a23a8b5286564afc149348e0da696e8cbca4f2c1e3eb6208796d3903c97ef";

#[test]
fn the_schema_rejects_unknown_fields_missing_blocks_and_unitless_numbers() {
    let mut unknown = example();
    unknown["surprise"] = serde_json::json!(1);
    assert!(!schema_errors(&unknown).is_empty());
    let mut missing = example();
    missing.as_object_mut().unwrap().remove("view_state");
    assert!(!schema_errors(&missing).is_empty());
    let mut unitless = example();
    let params = unitless["transforms"][0]["params"].as_object_mut().unwrap();
    let rv = params.remove("rv_kms").unwrap();
    params.insert("rv".into(), rv);
    assert!(!schema_errors(&unitless).is_empty());
    let mut bad_path = example();
    bad_path["outputs"][0]["path"] = serde_json::json!("../../etc/passwd");
    assert!(!schema_errors(&bad_path).is_empty());
}
