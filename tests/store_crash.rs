//! Crash safety as a test, not a promise. A child process (this test binary, re-run in
//! writer mode) puts a stream of datasets, derived traces and bundle-like batches into
//! a store, removes old ones and collects, and is killed with SIGKILL at a random moment
//! — 200 times, seeded (the seed is printed; `STORE_CRASH_SEED` replays a run). After
//! each kill `store verify --read-data` (the real binary) passes and the next writer
//! proceeds. A second test fills the "disk" (a file-size limit on the writer, so its
//! writes fail as on a full disk) and checks that the failure is reported and the store
//! stays valid and usable.
#![cfg(unix)]
#![allow(unsafe_code)] // setrlimit and signal in the disk-full child

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use spectra_workbench::ids::DatasetId;
use spectra_workbench::spectrum::Spectrum;
use spectra_workbench::store::{Derivation, ManifestPut, PutItem, SourceInput, Store};

const CHILD_ENV: &str = "STORE_CRASH_CHILD";
const DISK_FULL_ENV: &str = "STORE_DISK_FULL_CHILD";

/// SplitMix64: a tiny seeded generator (no dependency, same numbers everywhere).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn spectrum(rng: &mut Rng, n: usize) -> Spectrum {
    let start = 300.0 + rng.below(1000) as f64;
    let x: Vec<f64> = (0..n).map(|i| start + i as f64 * 0.01).collect();
    let salt = rng.next() as f64 / u64::MAX as f64;
    let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.001 + salt).sin()).collect();
    let mut s = Spectrum::new(format!("s{salt:.6}"), x, y, None).unwrap();
    s.y_unit = "counts".into();
    s
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The writer: runs until killed.
fn writer(root: &Path, seed: u64) -> ! {
    let mut rng = Rng(seed);
    let mut store = Store::open(root).expect("the writer opens the store");
    loop {
        let n = 2_000 + rng.below(60_000) as usize;
        let a = spectrum(&mut rng, n);
        let a_id = a.dataset_id();
        let item = PutItem {
            spectrum: &a,
            id: &a_id,
            format: "csv",
            source_name: "a.csv",
            source: SourceInput::None,
            warnings: vec![],
            derivation: None,
        };
        store.put(&item, now_ms()).expect("put");
        // A derived trace linked to its parent.
        let b = a
            .derived(
                a.x_nm().to_vec(),
                a.y().iter().map(|v| v * 2.0).collect(),
                None,
            )
            .unwrap();
        let b_id = b.dataset_id();
        let derived = PutItem {
            spectrum: &b,
            id: &b_id,
            format: "derived",
            source_name: "",
            source: SourceInput::Bytes(b"raw source bytes"),
            warnings: vec!["a warning".into()],
            derivation: Some(Derivation {
                parents: vec![a_id.clone()],
                transform_id: format!("{:064x}", rng.next()),
                kind: "math_op".into(),
            }),
        };
        store.put(&derived, now_ms()).expect("put derived");
        // An import-like batch: two datasets and a manifest in one change.
        let n_c = 1_000 + rng.below(20_000) as usize;
        let c = spectrum(&mut rng, n_c);
        let c_id = c.dataset_id();
        let batch = [
            PutItem {
                spectrum: &c,
                id: &c_id,
                format: "bundle",
                source_name: "c.csv",
                source: SourceInput::Hash("00"),
                warnings: vec![],
                derivation: None,
            },
            item.clone(),
        ];
        let mid = format!("{:064x}", rng.next());
        let manifest = ManifestPut {
            manifest_id: &mid,
            bytes: b"{\"manifest\": true}",
            created_at: "2026-12-03T00:00:00+00:00",
            citations: vec!["[1] A. Author (2026). Title.".into()],
            datasets: vec![(c_id.clone(), "input"), (a_id.clone(), "input")],
        };
        store
            .put_batch(&batch, Some(&manifest), now_ms())
            .expect("put batch");
        // Keep the store small: remove the oldest, sometimes collect.
        let all = store
            .list(&spectra_workbench::store::Query::default())
            .expect("list");
        for e in all.iter().skip(12) {
            store.remove(&e.id).expect("rm");
        }
        if rng.below(4) == 0 {
            let plan = store.gc_plan(now_ms()).expect("plan");
            store.gc_run(&plan).expect("gc");
        }
    }
}

#[test]
fn crash_child() {
    // Only a writer when the parent below runs it; a no-op in a normal test run.
    if let Ok(root) = std::env::var(CHILD_ENV) {
        let seed = std::env::var("STORE_CRASH_CHILD_SEED")
            .unwrap()
            .parse()
            .unwrap();
        writer(Path::new(&root), seed);
    }
    if let Ok(root) = std::env::var(DISK_FULL_ENV) {
        disk_full_writer(Path::new(&root));
    }
}

fn verify_with_the_binary(root: &Path) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        .arg("--store")
        .arg(root)
        .args(["store", "verify", "--read-data"])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn two_hundred_sigkills_never_leave_a_broken_store() {
    let seed: u64 = std::env::var("STORE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_203);
    println!("crash test seed {seed} (STORE_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let exe = std::env::current_exe().unwrap();
    let mut entries_seen = Vec::new();
    let kills = 200;
    for k in 0..kills {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &root)
            .env("STORE_CRASH_CHILD_SEED", rng.next().to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + rng.below(120)));
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("kill {k} (seed {seed}): the writer stopped by itself ({status}): {err}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if let Err(report) = verify_with_the_binary(&root) {
            panic!("kill {k} (seed {seed}): store verify --read-data failed:\n{report}");
        }
        // Every entry points to a present blob whose bytes hash to its ID.
        let store = Store::open(&root).unwrap();
        let all = store
            .list(&spectra_workbench::store::Query::default())
            .unwrap();
        for e in &all {
            let bytes = std::fs::read(store.blob_path(&e.id))
                .unwrap_or_else(|err| panic!("kill {k}: {} has no blob: {err}", e.id));
            assert_eq!(
                spectra_workbench::ids::sha256_hex(&bytes),
                e.id.as_str(),
                "kill {k} (seed {seed})"
            );
            store.load(&e.id, now_ms()).unwrap();
        }
        entries_seen.push(all.len());
    }
    // The writers made progress between kills (the store was written, not only opened).
    assert!(
        entries_seen.iter().filter(|&&n| n > 0).count() > kills / 2,
        "{entries_seen:?}"
    );
    // And the next writer proceeds: a plain put after the last kill.
    let mut store = Store::open(&root).unwrap();
    let mut r = Rng(seed ^ 1);
    let s = spectrum(&mut r, 100);
    let id: DatasetId = s.dataset_id();
    store
        .put(
            &PutItem {
                spectrum: &s,
                id: &id,
                format: "csv",
                source_name: "after.csv",
                source: SourceInput::None,
                warnings: vec![],
                derivation: None,
            },
            now_ms(),
        )
        .unwrap();
    assert!(store.entry(&id).unwrap().is_some());
    // Nothing a dead writer left in tmp/ survives the next open.
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
}

/// The disk-full writer: a file-size limit of 1 MiB (writes past it fail with EFBIG as
/// on a full disk; SIGXFSZ ignored so the process sees the error), small puts that fit,
/// then one that cannot. Prints what happened and exits.
fn disk_full_writer(root: &Path) -> ! {
    let mut store = Store::open(root).unwrap();
    let mut rng = Rng(7);
    let small = spectrum(&mut rng, 1_000);
    let small_id = small.dataset_id();
    let put = |store: &mut Store, s: &Spectrum, id: &DatasetId| {
        store.put(
            &PutItem {
                spectrum: s,
                id,
                format: "csv",
                source_name: "x.csv",
                source: SourceInput::None,
                warnings: vec![],
                derivation: None,
            },
            now_ms(),
        )
    };
    put(&mut store, &small, &small_id).unwrap();
    let limit = libc::rlimit {
        rlim_cur: 1 << 20,
        rlim_max: 1 << 20,
    };
    // SAFETY: plain libc calls on this process with valid arguments; no memory is shared.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let big = spectrum(&mut rng, 400_000); // 6.4 MB of blob
    let big_id = big.dataset_id();
    match put(&mut store, &big, &big_id) {
        Ok(_) => {
            println!("UNEXPECTED: the big put succeeded");
            std::process::exit(3);
        }
        Err(e) => {
            println!("REPORTED: {e}");
            std::process::exit(0);
        }
    }
}

#[test]
fn a_full_disk_is_reported_and_the_store_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(DISK_FULL_ENV, &root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The test harness may print "test crash_child ... " on the same line.
    let line = stdout
        .lines()
        .find_map(|l| l.find("REPORTED: ").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no report in: {stdout}"));
    // The error names the file it could not write and the system's reason.
    assert!(line.contains(root.join("tmp").to_str().unwrap()), "{line}");
    assert!(line.to_lowercase().contains("too large"), "{line}");
    verify_with_the_binary(&root).unwrap();
    let store = Store::open(&root).unwrap();
    let all = store
        .list(&spectra_workbench::store::Query::default())
        .unwrap();
    assert_eq!(all.len(), 1, "the failed put left no entry");
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
}

/// Several writers (each with its own connection, as separate windows and CLI processes
/// have) put, re-put and remove the same datasets at once: every call succeeds or is
/// refused for a stated reason, and the store verifies afterwards with every entry
/// loadable. The race `put_batch` guards — a blob removed between its write and the
/// commit — happens here on purpose.
#[test]
fn concurrent_writers_and_removers_never_corrupt_the_store() {
    use spectra_workbench::store::{Query, StoreError};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    Store::open(&root).unwrap();
    let mut rng = Rng(0x5eed_0001);
    let pool: Vec<Spectrum> = (0..12).map(|_| spectrum(&mut rng, 3_000)).collect();
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let root = &root;
            let pool = &pool;
            scope.spawn(move || {
                let mut rng = Rng(100 + t);
                let mut store = Store::open(root).expect("open");
                for _ in 0..60 {
                    let s = &pool[rng.below(pool.len() as u64) as usize];
                    let id = s.dataset_id();
                    if rng.below(3) == 0 {
                        match store.remove(&id) {
                            Ok(()) | Err(StoreError::NotFound(_)) => {}
                            Err(e) => panic!("rm: {e}"),
                        }
                    } else {
                        let item = PutItem {
                            spectrum: s,
                            id: &id,
                            format: "csv",
                            source_name: "shared.csv",
                            source: SourceInput::None,
                            warnings: vec![],
                            derivation: None,
                        };
                        store.put(&item, now_ms()).expect("put");
                    }
                    store.list(&Query::default()).expect("list");
                }
            });
        }
    });
    verify_with_the_binary(&root).unwrap();
    let store = Store::open(&root).unwrap();
    let entries = store.list(&Query::default()).unwrap();
    for e in &entries {
        let loaded = store.load(&e.id, now_ms()).expect("every entry loads");
        assert_eq!(loaded.spectrum.dataset_id(), e.id);
    }
    assert!(std::fs::read_dir(root.join("tmp")).unwrap().count() == 0);
}
