//! Undo that scales, continuous edits, and the structured history, driven through
//! `Session::apply_at` as both frontends do.
//!
//! Memory is measured with a counting global allocator (live bytes), so the check is
//! exact and independent of the machine's load.

#![allow(unsafe_code)] // a counting allocator for the memory check

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use spectra_workbench::session::{Command, Dataset, EventKind, Session, SourceRef, UnixMillis};
use spectra_workbench::spectrum::Spectrum;
use spectra_workbench::transforms::Normalization;
use spectra_workbench::units::XUnit;
use spectra_workbench::view::Smoothing;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as for `alloc`/`dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn dataset(k: usize, n: usize) -> Dataset {
    let x: Vec<f64> = (0..n).map(|i| 400.0 + i as f64 * 1e-4).collect();
    let y: Vec<f64> = (0..n).map(|i| ((i + k) % 97) as f64).collect();
    let s = Spectrum::new(format!("trace {k}"), x, y, None).unwrap();
    Dataset::new(s, "csv", SourceRef::Bundled(format!("t{k}.csv")), vec![])
}

/// Every test in this file measures or drives one session at a time: the counting
/// allocator sees the whole process, so tests that measure must not overlap others.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_thousand_edits_on_ten_large_datasets_cost_under_ten_percent_of_their_size() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before_data = live();
    let datasets: Vec<Dataset> = (0..10).map(|k| dataset(k, 1_000_000)).collect();
    let ids: Vec<_> = datasets.iter().map(|d| d.id.clone()).collect();
    let mut s = Session::default();
    s.apply(Command::AddDatasets(datasets)).unwrap();
    let with_data = live();
    let data_bytes = with_data - before_data;
    assert!(
        data_bytes >= 160_000_000,
        "10 × 1e6 × (x, y) f64: {data_bytes}"
    );
    // 1,000 undoable edits of every kind that leaves the arrays alone, with undos and
    // redos among them, far apart in time (no coalescing helps).
    let units = XUnit::ALL;
    for k in 0..1000u64 {
        let at = Some(UnixMillis(k * 10_000));
        let c = match k % 6 {
            0 => Command::SetTraceVisible {
                id: ids[(k as usize / 6) % 10].clone(),
                visible: (k / 6) % 2 == 0,
            },
            1 => Command::SetDisplayUnit(units[(k as usize / 6) % units.len()]),
            2 => Command::SetNormalization(if (k / 6) % 2 == 0 {
                Normalization::Max
            } else {
                Normalization::None
            }),
            3 => Command::SetLodBudget(4_000 + k as usize),
            4 => Command::Undo,
            _ => Command::Redo,
        };
        // Undo/redo may find nothing to do; that is a refusal, not a change.
        let _ = s.apply_at(c, at);
    }
    let growth = live() - with_data;
    assert!(
        (growth as f64) < 0.10 * data_bytes as f64,
        "1,000 edits grew live memory by {growth} bytes ({:.2} % of the datasets' {data_bytes})",
        100.0 * growth as f64 / data_bytes as f64
    );
    let events = s.history().len();
    assert!(
        events >= 800,
        "only {events} of the 1,000 edits changed something"
    );
}

#[test]
fn undo_and_redo_share_arrays_and_bring_derived_records_back() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset(0, 1000);
    let input = d.id.clone();
    let mut s = Session::default();
    s.apply(Command::AddDatasets(vec![d])).unwrap();
    let step = serde_json::from_str(
        r#"{"kind":"velocity_shift","params":{"rv_kms":10.0,"frame":"heliocentric"}}"#,
    )
    .unwrap();
    let out = s.apply_step(&input, &step, false).unwrap();
    assert_eq!(s.records().len(), 1);
    let arrays = std::sync::Arc::as_ptr(&s.dataset(&input).unwrap().spectrum);
    s.apply(Command::Undo).unwrap();
    assert!(s.records().is_empty(), "undo takes the record back");
    assert!(s.dataset(&out).is_none());
    s.apply(Command::Redo).unwrap();
    assert_eq!(s.records().len(), 1, "redo brings it back");
    assert!(s.dataset(&out).is_some());
    assert_eq!(
        std::sync::Arc::as_ptr(&s.dataset(&input).unwrap().spectrum),
        arrays,
        "the input's arrays were never copied"
    );
    // A new edit after an undo drops what redo could have brought back.
    s.apply(Command::Undo).unwrap();
    s.apply(Command::SetCrosshair(false)).unwrap();
    assert!(!s.can_redo());
    assert!(s.records().is_empty());
    let again = s.apply_step(&input, &step, false).unwrap();
    assert_eq!(again, out);
    assert_eq!(s.records().len(), 1);
}

#[test]
fn a_slider_drag_is_one_undo_entry_and_one_event() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = Session::default();
    let start = s.view().lod_budget_points;
    // 40 values 30 ms apart, as a drag sends them.
    for k in 0..40u64 {
        s.apply_at(
            Command::SetLodBudget(5_000 + 100 * k as usize),
            Some(UnixMillis(1_000_000 + 30 * k)),
        )
        .unwrap();
    }
    assert_eq!(s.history().len(), 1, "{:?}", s.history());
    assert_eq!(s.history()[0].summary, "LOD budget → 8900 points");
    assert_eq!(s.undo_position(), 1);
    s.apply(Command::Undo).unwrap();
    assert_eq!(
        s.view().lod_budget_points,
        start,
        "one undo takes the whole drag back"
    );
    // Typing a smoothing window digit by digit, then a pause, then another edit.
    let mut s = Session::default();
    for (k, w) in [1usize, 11, 111].into_iter().enumerate() {
        if w >= 3 {
            s.apply_at(
                Command::SetSmoothing(Smoothing::Sg { window: w, poly: 2 }),
                Some(UnixMillis(5_000 + 200 * k as u64)),
            )
            .unwrap();
        }
    }
    s.apply_at(
        Command::SetSmoothing(Smoothing::Sg {
            window: 21,
            poly: 2,
        }),
        Some(UnixMillis(60_000)),
    )
    .unwrap();
    assert_eq!(s.history().len(), 2, "{:?}", s.history());
    // Without times (tests, replays) nothing coalesces.
    let mut s = Session::default();
    s.apply(Command::SetLodBudget(5_000)).unwrap();
    s.apply(Command::SetLodBudget(6_000)).unwrap();
    assert_eq!(s.history().len(), 2);
    // Different kinds never fold into each other.
    let mut s = Session::default();
    s.apply_at(Command::SetLodBudget(5_000), Some(UnixMillis(1)))
        .unwrap();
    s.apply_at(Command::SetSnapRadius(0.5), Some(UnixMillis(2)))
        .unwrap();
    assert_eq!(s.history().len(), 2);
}

#[test]
fn events_carry_kind_ids_time_and_the_undo_position() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset(3, 100);
    let input = d.id.clone();
    let mut s = Session::default();
    s.apply_at(Command::AddDatasets(vec![d]), Some(UnixMillis(42)))
        .unwrap();
    let step = serde_json::from_str(r#"{"kind":"normalize","params":{"mode":"max"}}"#).unwrap();
    let out = s.apply_step(&input, &step, true).unwrap();
    s.apply(Command::SetTraceVisible {
        id: out.clone(),
        visible: false,
    })
    .unwrap();
    s.apply(Command::Undo).unwrap();
    let h = s.history();
    assert_eq!(
        h.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EventKind::Open,
            EventKind::Transform,
            EventKind::Overlay,
            EventKind::Undo
        ]
    );
    assert_eq!(h.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(h[0].at, Some(UnixMillis(42)));
    assert_eq!(h[0].dataset_ids, vec![input.clone()]);
    assert_eq!(h[1].dataset_ids, vec![input.clone(), out.clone()]);
    assert_eq!(h[1].transform_ids, vec![s.records()[0].id.clone()]);
    assert_eq!(h[2].dataset_ids, vec![out.clone()]);
    assert_eq!(
        h.iter().map(|e| e.undo_position).collect::<Vec<_>>(),
        [1, 2, 3, 2]
    );
    assert_eq!(s.history_log().touching(&out).count(), 2);
    assert!(
        s.history_log()
            .log_text()
            .starts_with("   1  loaded trace 3 (")
    );
}

#[test]
fn view_masks_change_only_through_a_command_and_bad_ones_are_refused() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use spectra_workbench::view::MaskInterval;
    let mut s = Session::default();
    let good = MaskInterval {
        x_nm_start: 650.0,
        x_nm_end: 660.0,
        reason: "telluric".into(),
    };
    s.apply(Command::SetViewMasks(vec![good.clone()])).unwrap();
    assert_eq!(s.view().masks, vec![good]);
    let bad = MaskInterval {
        x_nm_start: 660.0,
        x_nm_end: 650.0,
        reason: String::new(),
    };
    assert!(s.apply(Command::SetViewMasks(vec![bad])).is_err());
    assert_eq!(s.view().masks.len(), 1);
    s.apply(Command::Undo).unwrap();
    assert!(s.view().masks.is_empty());
}
