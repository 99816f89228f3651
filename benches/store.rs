//! Library store benchmarks, each against a floor or a peer measured in the same run:
//! - `put`: putting a 1e7-point dataset vs hashing its encoding once and writing it once
//!   (with the same fsync), target ≤ 1.2×;
//! - `open`: opening a store of 100,000 entries and drawing the first Library frame vs
//!   the same with 100 entries, target ≤ 2× (and about 150 ms at most);
//! - `scroll` / `filter`: a Library frame while scrolling or typing a search over 100,000
//!   entries vs the same at 100, target ≤ 1.2×;
//! - `verify`: `store verify --read-data` over 1 GB of blobs vs hashing the same bytes
//!   from memory on every core, target ≤ 1.2×.
//!
//! `cargo bench --bench store [-- put open scroll filter verify]`. The 100,000-entry
//! store is built once (through the store's own API) and kept under
//! `target/bench/store-100000/`; the 1 GB store is removed when the section ends.

mod common;

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{Table, median_ms, signal, wanted};
use sha2::{Digest, Sha256};
use spectra_workbench::gui::WorkbenchApp;
use spectra_workbench::ingest::ReadOptions;
use spectra_workbench::session::persist::put_item;
use spectra_workbench::session::{Dataset, SourceRef};
use spectra_workbench::spectrum::Spectrum;
use spectra_workbench::store::blob::fields_of;
use spectra_workbench::store::{Query, Store};

const NOW_MS: i64 = 1_790_000_000_000;

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench")
}

/// A dataset of `n` points whose values depend on `seed` (so each is a new ID).
fn dataset(n: usize, seed: u64, name: &str) -> Dataset {
    let (x, mut y) = signal(n);
    y[0] += seed as f64;
    let s = Spectrum::new(name.to_string(), x, y, None).expect("valid spectrum");
    Dataset::new(s, "csv", SourceRef::Bundled(format!("{name}.csv")), vec![])
}

fn encoding(d: &Dataset) -> Vec<u8> {
    let mut bytes = Vec::new();
    spectra_workbench::ids::encode_id_fields(&fields_of(&d.spectrum), &mut bytes);
    bytes
}

/// The floor of a put: hash the encoded bytes once, write them once, fsync, rename.
fn hash_and_write(bytes: &[u8], dir: &Path) {
    let hash = Sha256::digest(bytes);
    let tmp = dir.join("floor.tmp");
    let mut f = std::fs::File::create(&tmp).expect("floor file");
    f.write_all(bytes).expect("floor write");
    f.sync_all().expect("floor fsync");
    std::fs::rename(&tmp, dir.join(spectra_workbench::ids::hex(&hash))).expect("rename");
}

/// Lets the disk finish the previous run's write-back (outside the timing), so that each
/// measured write starts from the same state.
fn settle_disk() {
    let _ = std::process::Command::new("sync").status();
}

fn put_section(table: &mut Table) {
    let work = tempfile::tempdir_in(bench_dir()).expect("bench dir");
    let n = 10_000_000;
    let runs = 9;
    let mut put_ms = Vec::new();
    let mut floor_ms = Vec::new();
    let mut bytes_len = 0;
    for run in 0..=runs {
        let d = dataset(n, run as u64, "put");
        let bytes = encoding(&d);
        bytes_len = bytes.len();
        // The floor, into a folder of its own on the same disk.
        let floor_dir = work.path().join(format!("floor-{run}"));
        std::fs::create_dir_all(&floor_dir).unwrap();
        settle_disk();
        let t = Instant::now();
        hash_and_write(black_box(&bytes), &floor_dir);
        let floor = t.elapsed().as_secs_f64() * 1e3;
        drop(bytes);
        std::fs::remove_dir_all(&floor_dir).unwrap();
        // The put, into a fresh store.
        let root = work.path().join(format!("store-{run}"));
        let mut store = Store::open(&root).expect("store");
        let item = put_item(&d, &[]);
        settle_disk();
        let t = Instant::now();
        store.put(&item, NOW_MS).expect("put");
        let put = t.elapsed().as_secs_f64() * 1e3;
        drop(store);
        std::fs::remove_dir_all(&root).unwrap();
        // The first run warms the page cache and the allocator.
        if run > 0 {
            put_ms.push(put);
            floor_ms.push(floor);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    table.push(
        &format!(
            "store put, 1e7 points ({} MB encoded)",
            bytes_len / 1_000_000
        ),
        median(put_ms),
        "sha256 once + write once + fsync",
        median(floor_ms),
        "<= 1.2x",
    );
}

/// A store of `count` small, distinct entries (names, objects, instruments and
/// metadata that vary), built through `put_batch`; kept for later runs when `keep`.
fn entries_store(count: usize, keep: bool) -> (PathBuf, Option<tempfile::TempDir>) {
    let (root, temp) = if keep {
        (bench_dir().join(format!("store-{count}")), None)
    } else {
        let t = tempfile::tempdir_in(bench_dir()).unwrap();
        (t.path().join("store"), Some(t))
    };
    if let Ok(store) = Store::open(&root)
        && store.count(&Query::default()).unwrap_or(0) == count
    {
        return (root, temp);
    }
    let _ = std::fs::remove_dir_all(&root);
    let mut store = Store::open(&root).expect("store");
    let t = Instant::now();
    let objects = ["Vega", "Sirius", "2MASS J0559-1404", "HD 19445", "NGC 7027"];
    let instruments = ["SpeX", "SDSS", "DESI", "FTIR", "STIS"];
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let datasets: Vec<Dataset> = chunk
            .iter()
            .map(|&i| {
                let x: Vec<f64> = (0..16)
                    .map(|k| 400.0 + k as f64 + i as f64 * 1e-6)
                    .collect();
                let y: Vec<f64> = (0..16).map(|k| 1.0 + (k * i) as f64 * 1e-3).collect();
                let mut s = Spectrum::new(format!("spectrum {i:06}"), x, y, None).unwrap();
                s.instrument = instruments[(i / 7) % instruments.len()].to_string();
                s.metadata
                    .push(("OBJECT".into(), objects[i % objects.len()].to_string()));
                s.metadata
                    .push(("OBSERVER".into(), format!("observer {}", i % 97)));
                Dataset::new(s, "csv", SourceRef::Bundled(format!("s{i:06}.csv")), vec![])
            })
            .collect();
        let items: Vec<_> = datasets.iter().map(|d| put_item(d, &[])).collect();
        store
            .put_batch(&items, None, NOW_MS + chunk[0] as i64)
            .expect("put_batch");
    }
    println!(
        "built a store of {count} entries in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    (root, temp)
}

/// One whole frame (UI + tessellation).
fn frame(ctx: &egui::Context, app: &mut WorkbenchApp, step: usize, events: Vec<egui::Event>) {
    common::app_frame(ctx, app, step, events);
}

/// Frames until the Library's list has arrived.
fn settle(ctx: &egui::Context, app: &mut WorkbenchApp) {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    let mut step = 0;
    while (app.library_busy() || app.library_view().len().is_none()) && Instant::now() < deadline {
        frame(ctx, app, step, vec![]);
        step += 1;
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(!app.library_busy(), "the Library never settled");
}

fn open_section(table: &mut Table, small: &Path, large: &Path) {
    let ctx = egui::Context::default();
    spectra_workbench::render::install_fonts(&ctx);
    let open_and_draw = |root: &Path| {
        let mut app = WorkbenchApp::empty_with_store(ReadOptions::default(), root.to_path_buf());
        frame(&ctx, &mut app, 0, vec![]);
        assert!(
            app.library_view().rows_drawn > 5,
            "the first frame shows rows"
        );
        app
    };
    // Alternate the two so that neither gets a warmer machine.
    let mut small_ms = Vec::new();
    let mut large_ms = Vec::new();
    for run in 0..10 {
        for (root, out) in [(small, &mut small_ms), (large, &mut large_ms)] {
            let t = Instant::now();
            let mut app = open_and_draw(root);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            settle(&ctx, &mut app);
            if run > 0 {
                out.push(ms);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    table.push(
        "open store + first Library frame, 100,000 entries",
        median(large_ms),
        "the same, 100 entries",
        median(small_ms),
        "<= 2x (and <= 150 ms)",
    );
}

/// Median Library frame while scrolling (`filter` false) or typing a search (`true`).
fn library_frames(root: &Path, filter: bool) -> (f64, usize) {
    let ctx = egui::Context::default();
    spectra_workbench::render::install_fonts(&ctx);
    let mut app = WorkbenchApp::empty_with_store(ReadOptions::default(), root.to_path_buf());
    settle(&ctx, &mut app);
    let pointer = egui::pos2(400.0, 820.0);
    let searches = [
        "",
        "s",
        "sp",
        "spe",
        "spec",
        "vega",
        "sirius",
        "observer 4",
        "desi",
    ];
    let mut step = 1;
    let mut rows = 0;
    let mut deepest = 0;
    let run = |app: &mut WorkbenchApp, step: usize| {
        let events = if filter {
            app.library_view_mut().query.text = searches[step % searches.len()].into();
            vec![egui::Event::PointerMoved(pointer)]
        } else {
            // Forty frames down, forty up: the 100-entry list never hits its end.
            let down = (step / 40).is_multiple_of(2);
            vec![
                egui::Event::PointerMoved(pointer),
                egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: egui::vec2(0.0, if down { -40.0 } else { 40.0 }),
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Unknown,
                    modifiers: egui::Modifiers::NONE,
                },
            ]
        };
        frame(&ctx, app, step, events);
    };
    for _ in 0..10 {
        run(&mut app, step);
        step += 1;
    }
    let t = median_ms(81, || {
        run(&mut app, step);
        rows = rows.max(app.library_view().rows_drawn);
        deepest = deepest.max(app.library_view().first_row_drawn);
        step += 1;
    });
    assert!(
        filter || deepest > 20,
        "scrolling moved the list ({deepest})"
    );
    settle(&ctx, &mut app);
    (t, rows)
}

/// How long a search's full result list takes to arrive (the background fetch the
/// frames above do not wait for); printed, not a target.
fn search_latency(large: &Path) {
    let store = Store::open(large).expect("store");
    for text in ["vega", "observer 4", "spectrum 0999", "no such thing"] {
        let query = Query {
            text: text.into(),
            ..Query::default()
        };
        let mut n = 0;
        let t = median_ms(5, || n = store.rowids(&query).expect("rowids").len());
        println!("search {text:?} over 100,000 entries: {n} rows in {t:.1} ms (background)");
    }
}

fn frames_section(table: &mut Table, small: &Path, large: &Path) {
    for filter in [false, true] {
        let (small_ms, small_rows) = library_frames(small, filter);
        let (large_ms, large_rows) = library_frames(large, filter);
        assert!(small_rows > 5 && large_rows > 5, "rows were drawn");
        let what = if filter {
            "typing a search"
        } else {
            "scrolling"
        };
        table.push(
            &format!("Library frame {what}, 100,000 entries ({large_rows} rows drawn)"),
            large_ms,
            &format!("the same, 100 entries ({small_rows} rows)"),
            small_ms,
            "<= 1.2x",
        );
    }
}

fn verify_section(table: &mut Table) {
    let work = tempfile::tempdir_in(bench_dir()).expect("bench dir");
    let root = work.path().join("store");
    let mut store = Store::open(&root).expect("store");
    // Eight blobs of 8e6 points: 8 × 128 MB ≈ 1 GB.
    let mut ids = Vec::new();
    for k in 0..8 {
        let d = dataset(8_000_000, 100 + k, &format!("big {k}"));
        store.put(&put_item(&d, &[]), NOW_MS).expect("put");
        ids.push(d.id.clone());
    }
    let blobs: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| std::fs::read(store.blob_path(id)).unwrap())
        .collect();
    let total: usize = blobs.iter().map(Vec::len).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let floor = median_ms(5, || {
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(b) = blobs.get(i) else { break };
                        black_box(Sha256::digest(b));
                    }
                });
            }
        });
    });
    drop(blobs);
    let t = median_ms(5, || {
        let report = store.verify(true, NOW_MS).expect("verify");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    });
    table.push(
        &format!(
            "store verify --read-data, {} MB of blobs",
            total / 1_000_000
        ),
        t,
        &format!("sha256 of the same bytes in memory, {threads} threads"),
        floor,
        "<= 1.2x",
    );
}

fn main() {
    common::tune_allocator();
    std::fs::create_dir_all(bench_dir()).expect("target/bench");
    let mut table = Table::new("store");
    if wanted("put") {
        put_section(&mut table);
    }
    if wanted("open") || wanted("scroll") || wanted("filter") {
        let (small, _small_dir) = entries_store(100, false);
        let (large, _) = entries_store(100_000, true);
        if wanted("open") {
            open_section(&mut table, &small, &large);
        }
        if wanted("scroll") || wanted("filter") {
            frames_section(&mut table, &small, &large);
            search_latency(&large);
        }
    }
    if wanted("verify") {
        verify_section(&mut table);
    }
    table.write();
}
