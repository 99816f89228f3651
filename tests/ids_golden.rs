//! Golden Dataset IDs: the encoding in docs/specs/ids.md, pinned on the committed samples.
//! The expected IDs were computed by tests/reference/make_fixtures.py, an independent
//! Python implementation of the spec (hashlib + struct), not by this crate.

use std::collections::BTreeMap;

#[test]
fn sample_ids_match_the_independent_reference() {
    let text = include_str!("reference/dataset_ids.json");
    let want: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
    assert_eq!(want.len(), spectra_workbench::samples::SAMPLES.len());
    for (name, id) in &want {
        let d = spectra_workbench::samples::load_sample(name)
            .expect("sample exists")
            .expect("sample loads");
        assert_eq!(d.id.as_str(), id, "{name}");
    }
}

#[test]
fn pinned_id_of_the_synthetic_lamp() {
    // If this changes, the ID encoding changed: that is a format version bump, not a fix.
    let d = spectra_workbench::samples::load_sample("synthetic_hydrogen_lamp.csv")
        .unwrap()
        .unwrap();
    assert_eq!(
        d.id.as_str(),
        "e969aff189fb16d5269c198079c7fbd9e6e87517679b82f5f6bcefc80daf0de0"
    );
}
