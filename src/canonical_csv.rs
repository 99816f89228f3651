//! Canonical CSV output: the one writer behind `convert`, `apply`, the bundle's
//! `spectra/` and `traces/` files and replay's read-back. Rows run in increasing order of
//! the chosen x unit; numbers are the shortest text that reads back to the same f64
//! (`textfmt`), so a CSV read again gives the same bits.

use std::io::Write;

use crate::ids::DatasetId;
use crate::spectrum::Spectrum;
use crate::units::XUnit;

/// When the table has a `masked` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskColumn {
    /// Only when some sample is masked (spectrum files).
    WhenMasked,
    /// Always, `0` for every row of an unmasked trace (plotted traces in bundles).
    Always,
}

/// One table to write. Values are divided by `y_divisor` (σ too); 1.0 leaves them as
/// they are, bit for bit.
#[derive(Clone, Copy, Debug)]
pub struct CsvTable<'a> {
    /// The first line's text, after `# ` (line breaks are replaced by spaces).
    pub comment: &'a str,
    /// The x unit of the first column.
    pub unit: XUnit,
    /// The second column's header.
    pub y_header: &'a str,
    /// Wavelengths in nm, increasing.
    pub x_nm: &'a [f64],
    pub y: &'a [f64],
    /// Display divisor of y and σ (normalization); 1.0 for none.
    pub y_divisor: f64,
    pub sigma: Option<&'a [f64]>,
    pub mask: Option<&'a [bool]>,
    pub mask_column: MaskColumn,
}

/// Writes `table`. Rows are formatted into a buffer and written in blocks (this runs per
/// sample).
pub fn write_table(w: &mut dyn Write, table: &CsvTable<'_>) -> std::io::Result<()> {
    writeln!(w, "# {}", table.comment.replace(['\n', '\r'], " "))?;
    let unit = table.unit;
    write!(w, "{},{}", unit.csv_header(), table.y_header)?;
    if table.sigma.is_some() {
        write!(w, ",sigma")?;
    }
    let mask_column = match table.mask_column {
        MaskColumn::Always => true,
        MaskColumn::WhenMasked => table.mask.is_some(),
    };
    if mask_column {
        write!(w, ",masked")?;
    }
    writeln!(w)?;
    let (x, y, divisor) = (table.x_nm, table.y, table.y_divisor);
    let n = x.len();
    let mut buf = ryu::Buffer::new();
    let mut block = Vec::with_capacity(1 << 16);
    for k in 0..n {
        let i = if unit.is_reversed() { n - 1 - k } else { k };
        crate::textfmt::push_f64(&mut block, &mut buf, unit.from_nm(x[i]));
        block.push(b',');
        crate::textfmt::push_f64(&mut block, &mut buf, y[i] / divisor);
        if let Some(s) = table.sigma {
            block.push(b',');
            crate::textfmt::push_f64(&mut block, &mut buf, s[i] / divisor);
        }
        if mask_column {
            let masked = table.mask.is_some_and(|m| m[i]);
            block.extend_from_slice(if masked { b",1" } else { b",0" });
        }
        block.push(b'\n');
        if block.len() >= (1 << 16) - 128 {
            w.write_all(&block)?;
            block.clear();
        }
    }
    w.write_all(&block)
}

/// Writes a spectrum as CSV in `unit`: `# name (dataset ID)`, then x, `y (unit)`, σ and
/// `masked` when present.
pub fn write_spectrum(
    w: &mut dyn Write,
    spectrum: &Spectrum,
    id: &DatasetId,
    unit: XUnit,
) -> std::io::Result<()> {
    let y_header = if spectrum.y_unit.is_empty() {
        "y".to_string()
    } else {
        format!("y ({})", spectrum.y_unit)
    };
    write_table(
        w,
        &CsvTable {
            comment: &format!("{} (dataset {id})", spectrum.name),
            unit,
            y_header: &y_header,
            x_nm: spectrum.x_nm(),
            y: spectrum.y(),
            y_divisor: 1.0,
            sigma: spectrum.sigma(),
            mask: spectrum.mask(),
            mask_column: MaskColumn::WhenMasked,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectrum_csv_is_exact_and_masks_only_when_masked() {
        let mut s = Spectrum::new("a\nb", vec![500.0, 501.5], vec![0.1, 2.0], None).unwrap();
        s.y_unit = "Jy".into();
        let id = s.dataset_id();
        let mut out = Vec::new();
        write_spectrum(&mut out, &s, &id, XUnit::Nanometer).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("# a b (dataset {id})"));
        assert_eq!(lines[1], "wavelength_nm,y (Jy)");
        assert_eq!(lines[2..], ["500.0,0.1", "501.5,2.0"]);
        s.set_mask(Some(vec![false, true]));
        let mut out = Vec::new();
        write_spectrum(&mut out, &s, &id, XUnit::Nanometer).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("wavelength_nm,y (Jy),masked\n500.0,0.1,0\n501.5,2.0,1\n"),
            "{text}"
        );
    }

    #[test]
    fn a_reversed_unit_writes_rows_in_its_own_increasing_order() {
        let s = Spectrum::new("w", vec![500.0, 1000.0], vec![1.0, 2.0], None).unwrap();
        let mut out = Vec::new();
        write_table(
            &mut out,
            &CsvTable {
                comment: "c",
                unit: XUnit::WavenumberPerCm,
                y_header: "y",
                x_nm: s.x_nm(),
                y: s.y(),
                y_divisor: 2.0,
                sigma: None,
                mask: None,
                mask_column: MaskColumn::Always,
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(rows, ["10000.0,1.0,0", "20000.0,0.5,0"]);
    }
}
