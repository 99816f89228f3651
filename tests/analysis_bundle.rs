//! Analysis records in bundles: an exported view with an RV, an identification and a
//! measurement carries them in the manifest's identification block and in
//! reports/identification.json, hashes and cites the bundled lists and templates they
//! read, validates against the schema, verifies, and replays to the same results; a
//! changed result is caught. Undo takes a record back out.

use spectra_workbench::analysis::identify::IdentifyRequest;
use spectra_workbench::analysis::measure::{Interval, MeasureRequest};
use spectra_workbench::analysis::record::{AnalysisRequest, ListRef, TemplateRef};
use spectra_workbench::analysis::xcorr::{Grid, RvRequest};
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::provenance::bundle::export_session;
use spectra_workbench::provenance::replay::replay_bundle;
use spectra_workbench::provenance::verify::{schema_errors, verify_bundle};
use spectra_workbench::session::{Command, Session};

fn session_with_analyses() -> Session {
    let mut session = Session::default();
    let options = ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..Default::default()
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rv/NGC3522_SDSS_DR18.fits");
    let id = session
        .open_path(&path, &options)
        .unwrap()
        .remove(0)
        .to_string();
    let requests = [
        AnalysisRequest::Rv {
            spectrum: id.clone(),
            template: TemplateRef::Bundled {
                key: "marz_early_type_galaxy".into(),
            },
            request: RvRequest {
                grid: Grid::GALAXY,
                ..RvRequest::default()
            },
        },
        AnalysisRequest::Identify {
            spectrum: id.clone(),
            list: ListRef::Bundled {
                key: "galaxy".into(),
            },
            request: IdentifyRequest {
                z: spectra_workbench::analysis::identify::ZChoice::Fixed { z: 0.004 },
                ..IdentifyRequest::default()
            },
        },
        AnalysisRequest::Measure {
            spectrum: id,
            request: MeasureRequest {
                region: Interval {
                    lo_nm: 658.0,
                    hi_nm: 660.5,
                },
                continuum: Vec::new(),
            },
        },
    ];
    for r in &requests {
        let record = session.run_analysis(r).unwrap();
        session
            .apply(Command::AddAnalysis(Box::new(record)))
            .unwrap();
    }
    session
}

#[test]
fn records_travel_in_the_bundle_verify_and_replay_to_the_same_results() {
    let session = session_with_analyses();
    assert_eq!(session.analyses().len(), 3);
    let tmp = tempfile::tempdir().unwrap();
    let exported = export_session(&session, tmp.path(), "2026-12-04T05:00:00+00:00").unwrap();
    let dir = &exported.dir;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(schema_errors(&manifest), Vec::<String>::new());
    let records = manifest["identification"]["records"].as_array().unwrap();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["request"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["rv", "identify", "measure"]);
    // The report holds the same records.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("reports/identification.json")).unwrap())
            .unwrap();
    assert_eq!(&report["records"], &manifest["identification"]["records"]);
    assert_eq!(report["manifest_id"], exported.manifest_id);
    // The bundled template and list are external data (hashed) and cited.
    let external: Vec<&str> = manifest["envelope"]["external_data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    for p in [
        "assets/linelists/galaxy.csv",
        "assets/templates/marz_early_type_galaxy.csv",
    ] {
        assert!(external.contains(&p), "{p} in {external:?}");
        assert!(
            manifest["citations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["title"] == p),
            "{p} cited"
        );
    }
    assert_eq!(verify_bundle(dir).unwrap(), Vec::<String>::new());
    let replayed = replay_bundle(dir).unwrap();
    assert!(replayed.analyses_equal, "{:?}", replayed.problems);
    assert!(replayed.passed(), "{:?}", replayed.problems);
}

#[test]
fn replay_notices_a_changed_result() {
    let session = session_with_analyses();
    let tmp = tempfile::tempdir().unwrap();
    let exported = export_session(&session, tmp.path(), "2026-12-04T05:00:00+00:00").unwrap();
    let path = exported.dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["identification"]["records"][0]["result"]["z"] = serde_json::json!(0.5);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let replayed = replay_bundle(&exported.dir).unwrap();
    assert!(!replayed.analyses_equal);
    assert!(!replayed.passed());
    assert!(
        replayed
            .problems
            .iter()
            .any(|p| p.starts_with("identification.records[0] (rv)")),
        "{:?}",
        replayed.problems
    );
    // Verify catches the edit too (the manifest no longer matches its ID).
    assert!(!verify_bundle(&exported.dir).unwrap().is_empty());
}

#[test]
fn undo_takes_an_analysis_back_and_redo_returns_it() {
    let mut session = session_with_analyses();
    session.apply(Command::Undo).unwrap();
    assert_eq!(session.analyses().len(), 2);
    session.apply(Command::Redo).unwrap();
    assert_eq!(session.analyses().len(), 3);
    assert_eq!(session.history().last().unwrap().kind.as_str(), "redo");
    let analyses = session
        .history()
        .iter()
        .filter(|e| e.kind.as_str() == "analysis")
        .count();
    assert_eq!(analyses, 3);
    // A record about a dataset the session does not have is refused.
    let mut other = Session::default();
    let record = session.analyses()[0].clone();
    assert!(other.apply(Command::AddAnalysis(Box::new(record))).is_err());
}
