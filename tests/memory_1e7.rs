//! Issue 17's memory guard: opening a 1e7-point spectrum (an f32 FITS image with a linear
//! WCS, written here into a temporary folder) costs at most 1.5 × its f64 arrays (x and
//! y, 160 MB) of peak resident memory in the real binary's `inspect`. The reader's answer
//! is decoded as it arrives and the arrays are moved, not copied, into the spectrum; before
//! that the peak was 5.1 ×. The pixels, read and sent by the child in pieces, are
//! checked one by one.
//!
//! Alone in its own test binary: the peak is read with getrusage(RUSAGE_CHILDREN), which
//! covers every child this process has waited for (the `inspect` process and, through
//! it, the FITS reader's child).

#![cfg(target_os = "linux")]
#![allow(unsafe_code)] // getrusage, see the SAFETY comment

mod common;

use std::io::Write;
use std::process::Command;

const N: usize = 10_000_000;

fn write_image(path: &std::path::Path) {
    let n = format!("NAXIS1  = {N:>20}");
    let header = common::fits_header(&[
        "SIMPLE  =                    T",
        "BITPIX  =                  -32",
        "NAXIS   =                    1",
        &n,
        "CRPIX1  =                  1.0",
        "CRVAL1  =                500.0",
        "CDELT1  =               0.0001",
        "CTYPE1  = 'WAVE    '",
        "CUNIT1  = 'nm      '",
    ]);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&header).unwrap();
    for i in 0..N {
        f.write_all(&pixel(i).to_be_bytes()).unwrap();
    }
    f.write_all(&vec![0u8; (2880 - (N * 4) % 2880) % 2880])
        .unwrap();
    f.flush().unwrap();
}

/// The largest peak resident set of the children waited for so far, bytes.
fn children_peak_bytes() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the pointer it is given, which points to
    // a zeroed rusage that lives until the read below.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: getrusage succeeded, so the value is initialised (it was zeroed anyway).
    let usage = unsafe { usage.assume_init() };
    usage.ru_maxrss as u64 * 1024 // Linux reports KiB
}

#[test]
fn opening_a_1e7_point_fits_image_peaks_under_1_5_times_its_arrays() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("image_1e7.fits");
    write_image(&file);
    let before = children_peak_bytes();
    let out = Command::new(env!("CARGO_BIN_EXE_spectra-workbench"))
        .args(["inspect", file.to_str().unwrap(), "--json", "--no-store"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n_points"].as_u64(), Some(N as u64), "{v}");
    let peak = children_peak_bytes();
    assert!(peak > before, "the peak must come from this run");
    let arrays = (2 * 8 * N) as f64;
    let ratio = peak as f64 / arrays;
    println!(
        "inspect on {N} points: peak resident {:.0} MB, {ratio:.2} × the f64 arrays ({:.0} MB)",
        peak as f64 / 1e6,
        arrays / 1e6
    );
    assert!(
        ratio <= 1.5,
        "peak resident memory {ratio:.2} × the arrays (bound 1.5)"
    );

    // The image came over in pieces: every pixel, across every piece's border, is the
    // one written (f32 → f64 is exact), and x follows the WCS.
    let options = spectra_workbench::ingest::ReadOptions {
        fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
        ..Default::default()
    };
    let s = spectra_workbench::ingest::read_spectra(&file, &options)
        .unwrap()
        .spectra
        .remove(0)
        .0;
    assert_eq!(s.len(), N);
    for (i, &y) in s.y().iter().enumerate() {
        assert_eq!(y, pixel(i) as f64, "pixel {i}");
    }
    for i in [0, (1 << 20) - 1, 1 << 20, N - 1] {
        let x = 500.0 + i as f64 * 0.0001;
        assert!((s.x_nm()[i] - x).abs() < 1e-9, "x[{i}] = {}", s.x_nm()[i]);
    }
}

/// The value written at pixel `i`.
fn pixel(i: usize) -> f32 {
    1.0 + 0.1 * ((i as f32) * 1e-3).sin()
}
