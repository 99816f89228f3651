//! Format benchmarks: a 1e6-point FITS image read with cfitsio in process, through the
//! isolated child, and as a whole load; JCAMP-DX DIF decoding of 1e5 points. Each row
//! prints its ratio to one memory pass over the same number of f64 values.
//! Run: `cargo bench --bench formats` (sections: `-- fits jcamp`).

mod common;

use std::hint::black_box;
use std::io::Write;

use common::{Table, floor_ms, median_ms, wanted};
use spectra_workbench::ingest::fits::{Request, child};
use spectra_workbench::ingest::jcamp::{JcampOptions, parse_jcamp};
use spectra_workbench::ingest::{ReadOptions, load_path};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A 1-D float32 FITS image with a linear WCS.
fn write_fits(path: &std::path::Path, n: usize) {
    let cards = [
        "SIMPLE  =                    T".to_string(),
        "BITPIX  =                  -32".to_string(),
        "NAXIS   =                    1".to_string(),
        format!("NAXIS1  = {n:>20}"),
        "CTYPE1  = 'WAVE    '".to_string(),
        "CUNIT1  = 'nm      '".to_string(),
        "CRVAL1  =                300.0".to_string(),
        "CDELT1  =               0.0022".to_string(),
        "CRPIX1  =                  1.0".to_string(),
        "END".to_string(),
    ];
    let mut header: String = cards.iter().map(|c| format!("{c:<80}")).collect();
    while !header.len().is_multiple_of(2880) {
        header.push(' ');
    }
    let mut bytes = header.into_bytes();
    for i in 0..n {
        bytes.extend_from_slice(&(1.0f32 + (i % 977) as f32 * 1e-3).to_be_bytes());
    }
    while !bytes.len().is_multiple_of(2880) {
        bytes.push(0);
    }
    std::fs::File::create(path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
}

fn sqz(v: i64, dif: bool, out: &mut String) {
    let digits = v.unsigned_abs().to_string();
    let first = digits.as_bytes()[0] - b'0';
    let c = match (dif, v < 0, first) {
        (false, _, 0) => '@',
        (true, _, 0) => '%',
        (false, false, d) => (b'A' + d - 1) as char,
        (false, true, d) => (b'a' + d - 1) as char,
        (true, false, d) => (b'J' + d - 1) as char,
        (true, true, d) => (b'j' + d - 1) as char,
    };
    out.push(c);
    out.push_str(&digits[1..]);
}

/// DIF-encoded `(X++(Y..Y))` of a random walk, 10 ordinates a line, Y-checks included.
fn dif_text(n: usize) -> String {
    let mut y = Vec::with_capacity(n);
    let mut v: i64 = 1000;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v += (state % 2001) as i64 - 1000;
        y.push(v);
    }
    let mut t = format!(
        "##TITLE=bench\n##JCAMP-DX=5.01\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##FIRSTX=0\n##LASTX={}\n##NPOINTS={n}\n##XYDATA=(X++(Y..Y))\n",
        n - 1
    );
    let mut i = 0;
    while i < n {
        // The line starts with its first value absolute; after the first line that value
        // repeats the previous line's last (the Y-check).
        let start = if i == 0 { 0 } else { i - 1 };
        t.push_str(&start.to_string());
        sqz(y[start], false, &mut t);
        let end = (if i == 0 { 10 } else { i + 10 }).min(n);
        for k in start + 1..end {
            sqz(y[k] - y[k - 1], true, &mut t);
        }
        t.push('\n');
        i = end;
    }
    t.push_str("##END=\n");
    t
}

fn main() {
    common::tune_allocator();
    let mut table = Table::new("formats");
    if wanted("fits") {
        let n = 1_000_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image_1e6.fits");
        write_fits(&path, n);
        let floor = floor_ms(&vec![1.0; n]);
        let floor_name = "1 pass over 1e6 f64";
        let req = [Request::Image {
            hdu: 0,
            n: n as u64,
        }];
        let in_process = median_ms(15, || {
            black_box(child::read_in_process(&path, &req).unwrap());
        });
        table.push(
            "FITS 1e6 f32 image: cfitsio in process",
            in_process,
            floor_name,
            floor,
            "astropy ~2.6 ms",
        );
        // The real binary as the reader (cargo builds it with the bench profile).
        let options = ReadOptions {
            fits_reader: Some(env!("CARGO_BIN_EXE_spectra-workbench").into()),
            ..ReadOptions::default()
        };
        let via_child = median_ms(15, || {
            black_box(child::read_arrays(&path, &req, &options).unwrap());
        });
        table.push(
            "FITS 1e6 f32 image: cfitsio in the child process",
            via_child,
            floor_name,
            floor,
            "",
        );
        table.push(
            "FITS child-process overhead (child - in process)",
            via_child - in_process,
            floor_name,
            floor,
            "<= 20 ms",
        );
        let whole = median_ms(15, || {
            black_box(load_path(&path, &options).unwrap());
        });
        table.push(
            "FITS 1e6 whole load (check + child + spectrum)",
            whole,
            floor_name,
            floor,
            "",
        );
    }
    if wanted("jcamp") {
        let n = 100_000;
        let text = dif_text(n);
        let parsed = parse_jcamp(&text, JcampOptions { strict: true }).unwrap();
        assert_eq!(parsed[0].y.len(), n);
        assert!(parsed[0].y_checks > 9000 && parsed[0].y_check_failures == 0);
        let floor = floor_ms(&vec![1.0; n]);
        let t = median_ms(21, || {
            black_box(parse_jcamp(black_box(&text), JcampOptions { strict: true }).unwrap());
        });
        table.push(
            "JCAMP DIF decode, 1e5 points (strict checks)",
            t,
            "1 pass over 1e5 f64",
            floor,
            "<= 5 ms",
        );
    }
    table.write();
}
