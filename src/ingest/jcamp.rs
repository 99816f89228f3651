//! JCAMP-DX 4.24 / 5.01 reader (our own; no crate exists): labelled data records, the
//! ASDF compressions (AFFN, PAC, SQZ, DIF, DUP and their mixes) in `(X++(Y..Y))`,
//! `(XY..XY)` point lists, `XFACTOR`/`YFACTOR`, `FIRSTX`/`LASTX`/`NPOINTS` consistency,
//! DIF Y-check values, compound (`LINK`) files with one dataset per block, and the first
//! page of `NTUPLES`.
//!
//! The parser is pure: text in, [`JcampBlock`]s out, with x in the file's own unit. Which
//! blocks become spectra (optical x axes) is decided by [`to_loaded`]; peak tables and
//! non-optical axes (NMR in Hz or ppm, MS in m/z, IMS in ms) are reported, not plotted.
//!
//! Two pitfalls the format sets: in SQZ/DIF data `E`/`e` are SQZ digits (+5/−5), not
//! exponents (`1946E434` is X=1946 then Y=+5434); and when a line ends in DIF form the first
//! Y of the next line repeats the last one as a check, it is not a new point.

use super::{IngestProblem, Loaded, NotSpectrum, Warning, WarningKind};
use crate::spectrum::Spectrum;
use crate::units::XUnit;

/// The largest `NPOINTS` accepted before any data is decoded (a hostile header must not
/// make us reserve gigabytes).
const MAX_POINTS: usize = 20_000_000;

/// What kind of data a block holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// `##XYDATA=(X++(Y..Y))`: equally spaced ordinates.
    XyData,
    /// `##XYPOINTS=(XY..XY)` or `##XYDATA=(XY..XY)`: explicit pairs.
    XyPoints,
    /// `##PEAK TABLE=` / `##PEAK ASSIGNMENTS=`: a list of peaks, not a sampled spectrum.
    PeakTable,
    /// First page of an `##NTUPLES=` block.
    NtuplesPage,
}

/// One decoded data block.
#[derive(Clone, Debug, PartialEq)]
pub struct JcampBlock {
    /// `##TITLE=`.
    pub title: String,
    /// `##DATA TYPE=` (e.g. `INFRARED SPECTRUM`, `NMR SPECTRUM`).
    pub data_type: String,
    /// `##JCAMP-DX=` version text.
    pub version: String,
    /// The x unit exactly as the file writes it (`1/CM`, `HZ`, `NANOMETERS`, …).
    pub x_units: String,
    /// The y unit as written.
    pub y_units: String,
    pub kind: BlockKind,
    /// Abscissae in `x_units`, in file order (FIRSTX→LASTX for `(X++(Y..Y))`).
    pub x: Vec<f64>,
    /// Ordinates in `y_units` (YFACTOR applied).
    pub y: Vec<f64>,
    /// Compressions seen in the data lines, sorted and deduplicated (`AFFN`, `DIF`, …).
    pub encodings: Vec<&'static str>,
    /// How many DIF Y-check values were verified.
    pub y_checks: usize,
    /// How many DIF Y-check values did not match (always 0 in strict mode: that is an error).
    pub y_check_failures: usize,
    /// How many line abscissae disagreed with FIRSTX + i·ΔX by more than one step.
    pub x_check_failures: usize,
    /// Every other labelled record of the block, in file order.
    pub metadata: Vec<(String, String)>,
}

/// A parse failure: the 1-based line and the problem.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct JcampError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> JcampError {
    JcampError {
        line,
        message: message.into(),
    }
}

/// Options for [`parse_jcamp`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JcampOptions {
    /// A failed DIF Y-check is an error (default: a warning with a count).
    pub strict: bool,
}

/// Whether text looks like JCAMP-DX (its first non-blank line is a `##` record).
pub fn looks_like_jcamp(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("##"))
}

/// A label reduced for comparison: the spec compares labels ignoring case, spaces,
/// dashes, slashes and underscores (`DATA TYPE` = `DATATYPE`, `JCAMP-DX` = `JCAMPDX`).
fn norm_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '/' | '_' | '\t'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Drops a `$$` comment.
fn strip_comment(line: &str) -> &str {
    match line.find("$$") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// One labelled record and where it starts; its data lines follow until the next record.
struct Record<'a> {
    line: usize,
    label: String,
    raw_label: &'a str,
    value: String,
    data: Vec<(usize, &'a str)>,
}

fn records(text: &str) -> Vec<Record<'_>> {
    let mut out: Vec<Record<'_>> = Vec::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim_start();
        if let Some(rest) = trimmed.strip_prefix("##") {
            let (label, value) = rest.split_once('=').unwrap_or((rest, ""));
            out.push(Record {
                line: line_no,
                label: norm_label(label),
                raw_label: label.trim(),
                value: strip_comment(value).trim().to_string(),
                data: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            let content = strip_comment(raw);
            if !content.trim().is_empty() {
                last.data.push((line_no, content));
            }
        }
        // Text before the first record is ignored (some writers put a banner there).
    }
    out
}

/// Parses a whole file into its data blocks (compound files give several).
pub fn parse_jcamp(text: &str, options: JcampOptions) -> Result<Vec<JcampBlock>, JcampError> {
    let recs = records(text);
    if recs.is_empty() {
        return Err(err(1, "no ##TITLE= record: not JCAMP-DX"));
    }
    if recs[0].label != "TITLE" {
        return Err(err(recs[0].line, "the file must start with ##TITLE="));
    }
    let mut blocks = Vec::new();
    // A stack of open blocks: compound (LINK) blocks nest data blocks.
    let mut stack: Vec<BlockBuilder<'_>> = Vec::new();
    for rec in &recs {
        match rec.label.as_str() {
            "TITLE" => stack.push(BlockBuilder::new(rec.line, &rec.value)),
            "END" => {
                let Some(b) = stack.pop() else {
                    return Err(err(rec.line, "##END= without an open block"));
                };
                if let Some(block) = b.finish(options)? {
                    blocks.push(block);
                }
            }
            _ => {
                let Some(b) = stack.last_mut() else {
                    return Err(err(
                        rec.line,
                        format!("##{} outside a block", rec.raw_label),
                    ));
                };
                b.record(rec)?;
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(err(
            open.start_line,
            format!("block '{}' has no ##END=", open.title),
        ));
    }
    Ok(blocks)
}

#[derive(Default)]
struct BlockBuilder<'a> {
    start_line: usize,
    title: String,
    data_type: String,
    version: String,
    labels: Vec<(String, String, String)>,
    data: Option<DataRecord<'a>>,
}

struct DataRecord<'a> {
    line: usize,
    kind: BlockKind,
    form: String,
    lines: Vec<(usize, &'a str)>,
}

impl<'a> BlockBuilder<'a> {
    fn new(line: usize, title: &str) -> Self {
        Self {
            start_line: line,
            title: title.to_string(),
            ..Default::default()
        }
    }

    fn get(&self, label: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(l, _, _)| l == label)
            .map(|(_, _, v)| v.as_str())
    }

    fn record(&mut self, rec: &Record<'a>) -> Result<(), JcampError> {
        let in_ntuples = self.labels.iter().any(|(l, _, _)| l == "NTUPLES");
        if in_ntuples && self.data.is_some() {
            // Records after the first NTUPLES page belong to later pages: not read.
            return Ok(());
        }
        match rec.label.as_str() {
            "JCAMPDX" => self.version = rec.value.clone(),
            "DATATYPE" => self.data_type = rec.value.clone(),
            "XYDATA" | "XYPOINTS" | "PEAKTABLE" | "PEAKASSIGNMENTS" | "DATATABLE" => {
                if rec.label == "DATATABLE" && !in_ntuples {
                    return Err(err(rec.line, "##DATA TABLE= outside ##NTUPLES="));
                }
                if self.data.is_some() {
                    return Err(err(rec.line, "a second data table in one block"));
                }
                let form: String = rec.value.chars().filter(|c| !c.is_whitespace()).collect();
                let form = form.to_uppercase();
                let kind = match rec.label.as_str() {
                    "PEAKTABLE" | "PEAKASSIGNMENTS" => BlockKind::PeakTable,
                    "DATATABLE" if form.contains("PEAK") => BlockKind::PeakTable,
                    "DATATABLE" => BlockKind::NtuplesPage,
                    _ if form.starts_with("(X++(") => BlockKind::XyData,
                    _ if form.starts_with("(XY..XY)") || form.starts_with("(XYW..XYW)") => {
                        BlockKind::XyPoints
                    }
                    _ => {
                        return Err(err(
                            rec.line,
                            format!("unsupported data form '{}'", rec.value),
                        ));
                    }
                };
                self.data = Some(DataRecord {
                    line: rec.line,
                    kind,
                    form,
                    lines: rec.data.clone(),
                });
            }
            _ => {
                if !rec.data.is_empty() {
                    // A multi-line value (e.g. a long comment): keep it joined.
                    let mut v = rec.value.clone();
                    for (_, l) in &rec.data {
                        v.push('\n');
                        v.push_str(l.trim());
                    }
                    self.labels
                        .push((rec.label.clone(), rec.raw_label.to_string(), v));
                } else {
                    self.labels.push((
                        rec.label.clone(),
                        rec.raw_label.to_string(),
                        rec.value.clone(),
                    ));
                }
            }
        }
        Ok(())
    }

    fn number(&self, label: &str) -> Result<Option<f64>, JcampError> {
        match self.get(label) {
            None => Ok(None),
            Some("") => Ok(None),
            Some(v) => parse_affn(v.trim())
                .map(Some)
                .ok_or_else(|| err(self.start_line, format!("##{label}= '{v}' is not a number"))),
        }
    }

    fn finish(self, options: JcampOptions) -> Result<Option<JcampBlock>, JcampError> {
        let Some(data) = self.data.as_ref() else {
            // Link blocks and blocks without data give no dataset.
            return Ok(None);
        };
        let mut block = JcampBlock {
            title: self.title.clone(),
            data_type: self.data_type.clone(),
            version: self.version.clone(),
            x_units: self.get("XUNITS").unwrap_or("").to_string(),
            y_units: self.get("YUNITS").unwrap_or("").to_string(),
            kind: data.kind,
            x: Vec::new(),
            y: Vec::new(),
            encodings: Vec::new(),
            y_checks: 0,
            y_check_failures: 0,
            x_check_failures: 0,
            metadata: self
                .labels
                .iter()
                .map(|(_, raw, v)| (raw.clone(), v.clone()))
                .collect(),
        };
        let mut x_factor = self.number("XFACTOR")?.unwrap_or(1.0);
        let mut y_factor = self.number("YFACTOR")?.unwrap_or(1.0);
        let mut first_x = self.number("FIRSTX")?;
        let mut last_x = self.number("LASTX")?;
        let mut npoints = match self.number("NPOINTS")? {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Some(n as usize),
            Some(n) => {
                return Err(err(
                    self.start_line,
                    format!("##NPOINTS={n} is not a count"),
                ));
            }
            None => None,
        };
        if data.kind == BlockKind::PeakTable && self.get("NTUPLES").is_some() {
            // NTUPLES peak pages state their units in ##UNITS=, not XUNITS/YUNITS.
            let units: Vec<String> = self
                .get("UNITS")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default();
            block.x_units = units.first().cloned().unwrap_or_default();
            block.y_units = units.get(1).cloned().unwrap_or_default();
        }
        if data.kind == BlockKind::NtuplesPage {
            let nt = NtupleColumns::read(&self, data)?;
            x_factor = nt.x_factor;
            y_factor = nt.y_factor;
            first_x = nt.first_x;
            last_x = nt.last_x;
            npoints = nt.npoints;
            block.x_units = nt.x_units;
            block.y_units = nt.y_units;
        }
        if npoints.is_some_and(|n| n > MAX_POINTS) {
            return Err(err(
                data.line,
                format!("NPOINTS={} is more than {MAX_POINTS}", npoints.unwrap_or(0)),
            ));
        }
        match data.kind {
            BlockKind::XyData | BlockKind::NtuplesPage if data.form.starts_with("(X++(") => {
                let decoded = decode_x_plus_plus(&data.lines, npoints, options)?;
                block.encodings = decoded.encodings;
                block.y_checks = decoded.y_checks;
                block.y_check_failures = decoded.y_check_failures;
                let n = decoded.y.len();
                if n == 0 {
                    return Err(err(data.line, "the data table is empty"));
                }
                if let Some(declared) = npoints
                    && declared != n
                {
                    return Err(err(
                        data.line,
                        format!("NPOINTS says {declared} but the data hold {n} points"),
                    ));
                }
                let (fx, lx) = match (first_x, last_x) {
                    (Some(f), Some(l)) => (f, l),
                    _ => {
                        // Without FIRSTX/LASTX the line abscissae are all there is.
                        let f = decoded
                            .line_x
                            .first()
                            .map(|p| p.0 * x_factor)
                            .unwrap_or(0.0);
                        let l = match decoded.line_x.as_slice() {
                            [.., (x, i)] if *i > 0 => {
                                let step = (x * x_factor - f) / *i as f64;
                                f + step * (n - 1) as f64
                            }
                            _ => f,
                        };
                        (f, l)
                    }
                };
                block.x = linspace(fx, lx, n);
                // X-check: each line's abscissa (× XFACTOR) within one step of the grid.
                let step = if n > 1 {
                    (lx - fx) / (n - 1) as f64
                } else {
                    0.0
                };
                block.x_check_failures = decoded
                    .line_x
                    .iter()
                    .filter(|(x, i)| {
                        let expected = fx + step * *i as f64;
                        // Abscissae are written rounded to XFACTOR units: half a step, or
                        // one XFACTOR, whichever is larger.
                        (x * x_factor - expected).abs() > (0.5 * step.abs()).max(x_factor.abs())
                    })
                    .count();
                block.y = decoded.y.iter().map(|v| v * y_factor).collect();
            }
            BlockKind::XyData | BlockKind::NtuplesPage => {
                return Err(err(
                    data.line,
                    format!("unsupported data form '{}'", data.form),
                ));
            }
            BlockKind::PeakTable
                if data
                    .form
                    .split(')')
                    .next()
                    .is_some_and(|f| f.contains('A') || f.contains('M')) =>
            {
                // Assignments `(x, y, m, <text>)`: the first two fields of each entry.
                let (x, y) = decode_assignments(&data.lines);
                block.x = x.iter().map(|v| v * x_factor).collect();
                block.y = y.iter().map(|v| v * y_factor).collect();
            }
            BlockKind::XyPoints | BlockKind::PeakTable => {
                let (x, y) = decode_pairs(&data.lines, data.kind == BlockKind::PeakTable)?;
                if x.is_empty() {
                    return Err(err(data.line, "the data table is empty"));
                }
                if let Some(declared) = npoints
                    && declared != x.len()
                {
                    return Err(err(
                        data.line,
                        format!(
                            "NPOINTS says {declared} but the data hold {} points",
                            x.len()
                        ),
                    ));
                }
                block.encodings = vec!["AFFN"];
                block.x = x.iter().map(|v| v * x_factor).collect();
                block.y = y.iter().map(|v| v * y_factor).collect();
            }
        }
        Ok(Some(block))
    }
}

/// `numpy.linspace(start, stop, n)` bit for bit: `i·step + start`, the last set to `stop`.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (stop - start) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
    v[n - 1] = stop;
    v
}

/// The first page's variables of an NTUPLES block.
struct NtupleColumns {
    x_units: String,
    y_units: String,
    x_factor: f64,
    y_factor: f64,
    first_x: Option<f64>,
    last_x: Option<f64>,
    npoints: Option<usize>,
}

impl NtupleColumns {
    fn read(b: &BlockBuilder<'_>, data: &DataRecord<'_>) -> Result<Self, JcampError> {
        let list = |label: &str| -> Vec<String> {
            b.get(label)
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default()
        };
        let symbols = list("SYMBOL");
        // "(X++(R..R))": the abscissa symbol and the ordinate symbol.
        let inner = data.form.trim_start_matches("(X++(");
        let y_symbol = inner.split("..").next().unwrap_or("Y").to_string();
        let col = |sym: &str| symbols.iter().position(|s| s.eq_ignore_ascii_case(sym));
        let xi = col("X").unwrap_or(0);
        let yi = col(&y_symbol).unwrap_or(1);
        let num = |label: &str, i: usize| -> Result<Option<f64>, JcampError> {
            match list(label).get(i).map(String::as_str) {
                None | Some("") => Ok(None),
                Some(v) => parse_affn(v).map(Some).ok_or_else(|| {
                    err(data.line, format!("##{label}= entry '{v}' is not a number"))
                }),
            }
        };
        // The first page's NPOINTS, when it states one, comes last before its table.
        let page_points = b
            .labels
            .iter()
            .rev()
            .find(|(l, _, _)| l == "NPOINTS")
            .and_then(|(_, _, v)| v.trim().parse::<usize>().ok());
        let var_dim = num("VARDIM", xi)?.map(|v| v as usize);
        Ok(Self {
            x_units: list("UNITS").get(xi).cloned().unwrap_or_default(),
            y_units: list("UNITS").get(yi).cloned().unwrap_or_default(),
            x_factor: num("FACTOR", xi)?.unwrap_or(1.0),
            y_factor: num("FACTOR", yi)?.unwrap_or(1.0),
            first_x: num("FIRST", xi)?,
            last_x: num("LAST", xi)?,
            npoints: page_points.or(var_dim),
        })
    }
}

/// One ASDF token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    /// An absolute value (AFFN, PAC or SQZ).
    Abs(f64),
    /// A difference from the previous value (DIF).
    Dif(f64),
    /// Repeat the previous token's effect until it has occurred this many times (DUP).
    Dup(u32),
}

/// The compression a token was written in (for `encodings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Enc {
    Affn,
    Pac,
    Sqz,
    Dif,
    Dup,
}

impl Enc {
    fn name(self) -> &'static str {
        match self {
            Enc::Affn => "AFFN",
            Enc::Pac => "PAC",
            Enc::Sqz => "SQZ",
            Enc::Dif => "DIF",
            Enc::Dup => "DUP",
        }
    }
}

fn sqz_digit(c: u8) -> Option<(f64, u8)> {
    match c {
        b'@' => Some((1.0, 0)),
        b'A'..=b'I' => Some((1.0, c - b'A' + 1)),
        b'a'..=b'i' => Some((-1.0, c - b'a' + 1)),
        _ => None,
    }
}

fn dif_digit(c: u8) -> Option<(f64, u8)> {
    match c {
        b'%' => Some((1.0, 0)),
        b'J'..=b'R' => Some((1.0, c - b'J' + 1)),
        b'j'..=b'r' => Some((-1.0, c - b'j' + 1)),
        _ => None,
    }
}

fn dup_digit(c: u8) -> Option<u8> {
    match c {
        b'S'..=b'Z' => Some(c - b'S' + 1),
        b's' => Some(9),
        _ => None,
    }
}

/// Reads the digits (and one decimal point) after a leading digit `first`.
fn read_magnitude(bytes: &[u8], i: &mut usize, first: u8) -> f64 {
    let mut int: u64 = first as u64;
    let mut exact = true;
    let start = *i;
    while *i < bytes.len() && bytes[*i].is_ascii_digit() {
        match int
            .checked_mul(10)
            .and_then(|v| v.checked_add((bytes[*i] - b'0') as u64))
        {
            Some(v) => int = v,
            None => exact = false,
        }
        *i += 1;
    }
    if *i < bytes.len() && bytes[*i] == b'.' {
        *i += 1;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        exact = false;
    }
    if exact && int < (1u64 << 53) {
        return int as f64;
    }
    let text = format!(
        "{}{}",
        first,
        std::str::from_utf8(&bytes[start..*i]).unwrap_or("0")
    );
    text.parse::<f64>().unwrap_or(f64::NAN)
}

/// Splits one data line into tokens.
fn tokenize(
    line: &str,
    line_no: usize,
    out: &mut Vec<Tok>,
    encs: &mut u8,
) -> Result<(), JcampError> {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut after_separator = true;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b' ' | b'\t' | b',' | b';') {
            i += 1;
            after_separator = true;
            continue;
        }
        if c.is_ascii_digit() || c == b'.' || c == b'+' || c == b'-' {
            // AFFN (after a separator) or PAC (a sign as the separator).
            let start = i;
            if c == b'+' || c == b'-' {
                i += 1;
            }
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            // An exponent only as E/e followed by a sign and a digit, after a digit: bare
            // E/e followed by digits is an SQZ value.
            if i > start
                && i + 2 < bytes.len()
                && matches!(bytes[i], b'E' | b'e')
                && matches!(bytes[i + 1], b'+' | b'-')
                && bytes[i + 2].is_ascii_digit()
            {
                i += 2;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = &line[start..i];
            let v = parse_affn(text).ok_or_else(|| err(line_no, format!("bad number '{text}'")))?;
            out.push(Tok::Abs(v));
            *encs |= 1
                << (if (c == b'+' || c == b'-') && !after_separator {
                    Enc::Pac
                } else {
                    Enc::Affn
                } as u8);
            after_separator = false;
            continue;
        }
        i += 1;
        if let Some((sign, d)) = sqz_digit(c) {
            let v = read_magnitude(bytes, &mut i, d);
            out.push(Tok::Abs(sign * v));
            *encs |= 1 << (Enc::Sqz as u8);
        } else if let Some((sign, d)) = dif_digit(c) {
            let v = read_magnitude(bytes, &mut i, d);
            out.push(Tok::Dif(sign * v));
            *encs |= 1 << (Enc::Dif as u8);
        } else if let Some(d) = dup_digit(c) {
            let v = read_magnitude(bytes, &mut i, d);
            if !(1.0..=1e9).contains(&v) || v.fract() != 0.0 {
                return Err(err(line_no, format!("bad DUP count {v}")));
            }
            out.push(Tok::Dup(v as u32));
            *encs |= 1 << (Enc::Dup as u8);
        } else if c == b'?' {
            return Err(err(line_no, "missing value '?' in the data"));
        } else {
            let ch = line[i - 1..].chars().next().unwrap_or('?');
            return Err(err(
                line_no,
                format!("unexpected character '{ch}' in the data"),
            ));
        }
        after_separator = false;
    }
    Ok(())
}

/// Parses a plain decimal number (AFFN, with an optional exponent and leading `+`).
fn parse_affn(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() {
        return None;
    }
    fast_float2::parse::<f64, _>(t)
        .ok()
        .filter(|v| v.is_finite())
}

struct Decoded {
    y: Vec<f64>,
    /// Each line's abscissa (as written) and the index of its first new ordinate.
    line_x: Vec<(f64, usize)>,
    encodings: Vec<&'static str>,
    y_checks: usize,
    y_check_failures: usize,
}

/// Decodes `(X++(Y..Y))` lines: ASDF tokens, DUP expansion, DIF accumulation and the
/// DIF Y-check across line ends.
fn decode_x_plus_plus(
    lines: &[(usize, &str)],
    npoints: Option<usize>,
    options: JcampOptions,
) -> Result<Decoded, JcampError> {
    let mut y: Vec<f64> = Vec::with_capacity(npoints.unwrap_or(0).min(MAX_POINTS));
    // Decoding stops as soon as the data hold more than NPOINTS (a few bytes of DUP can
    // ask for millions of values); without NPOINTS, at the global limit.
    let limit = npoints.unwrap_or(MAX_POINTS);
    let too_many = |line_no: usize| match npoints {
        Some(n) => err(line_no, format!("NPOINTS says {n} but the data hold more")),
        None => err(line_no, format!("more than {MAX_POINTS} points")),
    };
    let mut line_x = Vec::with_capacity(lines.len());
    let mut encs: u8 = 0;
    let mut toks: Vec<Tok> = Vec::new();
    let mut line_vals: Vec<f64> = Vec::new();
    let mut prev_ended_dif = false;
    let (mut y_checks, mut y_check_failures) = (0, 0);
    for (line_no, line) in lines {
        let line_no = *line_no;
        toks.clear();
        tokenize(line, line_no, &mut toks, &mut encs)?;
        if toks.is_empty() {
            continue;
        }
        let Tok::Abs(x) = toks[0] else {
            return Err(err(line_no, "a data line must start with its abscissa"));
        };
        // Expand the ordinates of this line.
        line_vals.clear();
        let mut last_delta: Option<f64> = None;
        let mut ends_dif = false;
        for tok in &toks[1..] {
            match *tok {
                Tok::Abs(v) => {
                    line_vals.push(v);
                    last_delta = None;
                    ends_dif = false;
                }
                Tok::Dif(d) => {
                    let base = line_vals
                        .last()
                        .or(y.last())
                        .copied()
                        .ok_or_else(|| err(line_no, "a DIF value with nothing before it"))?;
                    line_vals.push(base + d);
                    last_delta = Some(d);
                    ends_dif = true;
                }
                Tok::Dup(n) => {
                    let Some(&prev) = line_vals.last() else {
                        return Err(err(line_no, "a DUP count with nothing to repeat"));
                    };
                    // +1: the line's first value may be a check value, not a point.
                    if y.len() + line_vals.len() + (n as usize - 1) > limit + 1 {
                        return Err(too_many(line_no));
                    }
                    // After DIF the difference repeats; after a value, the value.
                    let delta = last_delta.unwrap_or(0.0);
                    let mut v = prev;
                    for _ in 1..n {
                        v += delta;
                        line_vals.push(v);
                    }
                }
            }
        }
        let mut new_vals: &[f64] = &line_vals;
        if prev_ended_dif && !line_vals.is_empty() {
            // The first ordinate repeats the previous line's last one: a check.
            y_checks += 1;
            let expected = *y.last().unwrap_or(&f64::NAN);
            let got = line_vals[0];
            if (got - expected).abs() > 1e-9 * expected.abs().max(1.0) {
                if options.strict {
                    return Err(err(
                        line_no,
                        format!(
                            "DIF check value {got} does not match the previous line's last value {expected}"
                        ),
                    ));
                }
                y_check_failures += 1;
            }
            new_vals = &line_vals[1..];
        }
        // A line's abscissa belongs to its first ordinate: the check value's point
        // when there is one.
        if !line_vals.is_empty() {
            let first_index = if new_vals.len() < line_vals.len() {
                y.len().saturating_sub(1)
            } else {
                y.len()
            };
            line_x.push((x, first_index));
        }
        if y.len() + new_vals.len() > limit {
            return Err(too_many(line_no));
        }
        y.extend_from_slice(new_vals);
        prev_ended_dif = ends_dif;
    }

    Ok(Decoded {
        y,
        line_x,
        encodings: [Enc::Affn, Enc::Pac, Enc::Sqz, Enc::Dif, Enc::Dup]
            .into_iter()
            .filter(|e| encs & (1 << *e as u8) != 0)
            .map(Enc::name)
            .collect(),
        y_checks,
        y_check_failures,
    })
}

/// Reads the x and y of each `(x, y, …, <text>)` peak assignment; entries whose first two
/// fields are not numbers are skipped (assignments are reported, never plotted).
fn decode_assignments(lines: &[(usize, &str)]) -> (Vec<f64>, Vec<f64>) {
    let joined: String = lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(" ");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for entry in joined.split('(').skip(1) {
        let body = entry.split(')').next().unwrap_or("");
        let mut fields = body.split(',').map(str::trim);
        if let (Some(a), Some(b)) = (fields.next(), fields.next())
            && let (Some(px), Some(py)) = (parse_affn(a), parse_affn(b))
        {
            x.push(px);
            y.push(py);
        }
    }
    (x, y)
}

/// Decodes `(XY..XY)` pairs (AFFN, separated by commas, semicolons or blanks).
fn decode_pairs(
    lines: &[(usize, &str)],
    allow_triples: bool,
) -> Result<(Vec<f64>, Vec<f64>), JcampError> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (line_no, line) in lines {
        let values: Vec<&str> = line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if !values.len().is_multiple_of(2) {
            // (XYW..XYW) and (XYM..XYM) peak tables carry a third field; keep x and y.
            if allow_triples && values.len().is_multiple_of(3) {
                for t in values.chunks(3) {
                    push_pair(t[0], t[1], *line_no, &mut x, &mut y)?;
                }
                continue;
            }
            return Err(err(*line_no, "an x without its y"));
        }
        for pair in values.chunks(2) {
            push_pair(pair[0], pair[1], *line_no, &mut x, &mut y)?;
        }
        if x.len() > MAX_POINTS {
            return Err(err(*line_no, "more than the point limit"));
        }
    }
    Ok((x, y))
}

fn push_pair(
    xs: &str,
    ys: &str,
    line_no: usize,
    x: &mut Vec<f64>,
    y: &mut Vec<f64>,
) -> Result<(), JcampError> {
    let px = parse_affn(xs).ok_or_else(|| err(line_no, format!("bad number '{xs}'")))?;
    let py = parse_affn(ys).ok_or_else(|| err(line_no, format!("bad number '{ys}'")))?;
    x.push(px);
    y.push(py);
    Ok(())
}

/// Maps a JCAMP `XUNITS` value to an optical axis unit, if it is one: the spellings the
/// JCAMP-DX standard uses, then the ones every reader of this workbench knows.
pub fn optical_unit(x_units: &str) -> Option<XUnit> {
    match x_units.trim().to_uppercase().as_str() {
        "1/CM" | "WAVENUMBERS" => Some(XUnit::WavenumberPerCm),
        "NANOMETERS" => Some(XUnit::Nanometer),
        "MICROMETERS" | "MICRONS" => Some(XUnit::Micrometer),
        "ANGSTROMS" => Some(XUnit::Angstrom),
        _ => XUnit::parse_name(x_units),
    }
}

/// Why a block whose x axis is not optical cannot be plotted, in words.
fn axis_reason(b: &JcampBlock) -> String {
    let what = if b.data_type.trim().is_empty() {
        "this block".to_string()
    } else {
        format!("this {}", b.data_type.trim().to_lowercase())
    };
    format!(
        "{what} has x in {}, not a wavelength or wavenumber; the workbench plots optical spectra only",
        if b.x_units.is_empty() {
            "no stated unit"
        } else {
            &b.x_units
        }
    )
}

/// Turns parsed blocks into spectra (optical axes) and reports (everything else).
pub fn to_loaded(name: &str, blocks: Vec<JcampBlock>) -> Result<Loaded, IngestProblem> {
    if blocks.is_empty() {
        return Err(IngestProblem::NoData("no data block in the file".into()));
    }
    let many = blocks.len() > 1;
    let mut loaded = Loaded {
        format: "jcamp-dx",
        spectra: Vec::new(),
        warnings: Vec::new(),
        not_spectra: Vec::new(),
    };
    for (i, b) in blocks.into_iter().enumerate() {
        let block_name = if many {
            format!("{name} [block {}: {}]", i + 1, b.title)
        } else {
            name.to_string()
        };
        if b.y_check_failures > 0 {
            loaded.warnings.push(Warning::about(
                &block_name,
                WarningKind::ChecksFailed,
                format!(
                    "{} of {} DIF check values did not match",
                    b.y_check_failures, b.y_checks
                ),
            ));
        }
        if b.x_check_failures > 0 {
            loaded.warnings.push(Warning::about(
                &block_name,
                WarningKind::ChecksFailed,
                format!(
                    "{} line abscissae disagree with FIRSTX/LASTX",
                    b.x_check_failures
                ),
            ));
        }
        let report = |reason: String| NotSpectrum {
            name: block_name.clone(),
            n_points: b.y.len(),
            x_unit: b.x_units.clone(),
            y_unit: b.y_units.clone(),
            reason,
        };
        if b.kind == BlockKind::PeakTable {
            loaded.not_spectra.push(report(
                "a peak table (a list of peak positions), not a sampled spectrum".into(),
            ));
            continue;
        }
        let Some(unit) = optical_unit(&b.x_units) else {
            loaded.not_spectra.push(report(axis_reason(&b)));
            continue;
        };
        let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(b.x.len());
        for (&xv, &yv) in b.x.iter().zip(&b.y) {
            if !(xv.is_finite() && xv > 0.0) {
                return Err(IngestProblem::NoData(format!(
                    "{block_name}: x value {xv} {} has no wavelength",
                    b.x_units
                )));
            }
            pairs.push((unit.to_nm(xv), yv));
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (x_nm, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let mut s = Spectrum::new(block_name, x_nm, y, None).map_err(IngestProblem::Invalid)?;
        s.y_unit = b.y_units.clone();
        s.instrument = b
            .metadata
            .iter()
            .find(|(k, _)| {
                let n = norm_label(k);
                n == "SPECTROMETERDATASYSTEM" || n == "INSTRUMENT"
            })
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        s.metadata = b.metadata.clone();
        s.metadata
            .push(("x_unit_in_file".into(), b.x_units.clone()));
        s.metadata
            .push(("jcamp_encodings".into(), b.encodings.join(" ")));
        loaded.spectra.push(s);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> JcampBlock {
        let mut b = parse_jcamp(text, JcampOptions::default()).unwrap();
        assert_eq!(b.len(), 1);
        b.remove(0)
    }

    const HEAD: &str = "##TITLE=t\n##JCAMP-DX=4.24\n##XUNITS=1/CM\n##YUNITS=A\n";

    #[test]
    fn sqz_e_is_a_digit_not_an_exponent() {
        let text = format!(
            "{HEAD}##FIRSTX=1946\n##LASTX=1947\n##NPOINTS=2\n##XYDATA=(X++(Y..Y))\n1946E434e1\n##END=\n"
        );
        let b = one(&text);
        assert_eq!(b.y, vec![5434.0, -51.0]);
        assert_eq!(b.encodings, vec!["AFFN", "SQZ"]);
    }

    #[test]
    fn affn_exponent_needs_a_sign() {
        let text = format!(
            "{HEAD}##FIRSTX=1\n##LASTX=2\n##NPOINTS=2\n##XYDATA=(X++(Y..Y))\n1 1.5E+02 2.5e-01\n##END=\n"
        );
        assert_eq!(one(&text).y, vec![150.0, 0.25]);
    }

    #[test]
    fn dif_dup_and_y_check() {
        // 1, 2 (+1), 3 (DUP 2: the +1 twice); line 2 starts with the check value 3.
        let text = format!(
            "{HEAD}##FIRSTX=1\n##LASTX=5\n##NPOINTS=5\n##XYDATA=(X++(Y..Y))\n1A JT\n3C J J\n##END=\n"
        );
        let b = one(&text);
        assert_eq!(b.y, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((b.y_checks, b.y_check_failures), (1, 0));
    }

    #[test]
    fn broken_check_is_counted_or_fatal() {
        let text = format!(
            "{HEAD}##FIRSTX=1\n##LASTX=5\n##NPOINTS=5\n##XYDATA=(X++(Y..Y))\n1A JT\n3E J J\n##END=\n"
        );
        let b = one(&text);
        assert_eq!(b.y_check_failures, 1);
        let e = parse_jcamp(&text, JcampOptions { strict: true }).unwrap_err();
        assert_eq!(e.line, 10);
        assert!(e.message.contains("DIF check"), "{e}");
    }

    #[test]
    fn npoints_must_agree() {
        let text = format!(
            "{HEAD}##FIRSTX=1\n##LASTX=3\n##NPOINTS=4\n##XYDATA=(X++(Y..Y))\n1 1 2 3\n##END=\n"
        );
        let e = parse_jcamp(&text, JcampOptions::default()).unwrap_err();
        assert!(
            e.message.contains("NPOINTS says 4 but the data hold 3"),
            "{e}"
        );
    }

    #[test]
    fn missing_end_is_an_error() {
        let text =
            format!("{HEAD}##FIRSTX=1\n##LASTX=3\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1 1 2 3\n");
        let e = parse_jcamp(&text, JcampOptions::default()).unwrap_err();
        assert!(e.message.contains("no ##END="), "{e}");
    }

    #[test]
    fn pac_signs_separate_values() {
        let text = format!(
            "{HEAD}##FIRSTX=1\n##LASTX=3\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1+10-5+7\n##END=\n"
        );
        let b = one(&text);
        assert_eq!(b.y, vec![10.0, -5.0, 7.0]);
        assert_eq!(b.encodings, vec!["AFFN", "PAC"]);
    }

    /// Found by the `jcamp` fuzz target: a few DUP bytes asked for millions of values.
    #[test]
    fn dup_cannot_expand_past_npoints() {
        let text = "##TITLE=x\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1 1 s99999999\n##END=\n";
        let e = parse_jcamp(text, JcampOptions::default()).unwrap_err();
        assert!(
            e.message.contains("NPOINTS says 3 but the data hold more"),
            "{e}"
        );
    }

    #[test]
    fn hostile_inputs_error_cleanly() {
        for text in [
            "",
            "##",
            "garbage",
            "##TITLE=x\n##XYDATA=(X++(Y..Y))\n1 ~\n##END=\n",
            "##TITLE=x\n##NPOINTS=999999999999\n##XYDATA=(X++(Y..Y))\n1 1\n##END=\n",
            "##TITLE=x\n##XYDATA=(X++(Y..Y))\n1 1 s999999999\n##END=\n",
            "##TITLE=x\n##XYDATA=(X++(Y..Y))\nJ1\n##END=\n",
            "##END=\n",
            "##TITLE=x\n##XYDATA=(XY..XY)\n1, 2, 3\n##END=\n",
        ] {
            assert!(
                parse_jcamp(text, JcampOptions::default()).is_err(),
                "{text:?}"
            );
        }
    }
}
