//! Delimited-text ingest (CSV, TSV, semicolon and whitespace separated).
//!
//! Detects comment lines, a header row, the delimiter and the x unit from the header;
//! takes explicit overrides; drops non-finite rows with a counted warning; sorts
//! descending (or unsorted) x; and rejects duplicate x, single-column and empty input.

use crate::ingest::{IngestProblem, Loaded, ReadOptions, SigmaForm, Warning, WarningKind};
use crate::spectrum::Spectrum;
use crate::units::XUnit;

/// Which column to read: a 1-based index or a header name (case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRef {
    /// 1-based column number, as `cut` counts.
    Index(usize),
    /// Header name, compared case-insensitively after trimming.
    Name(String),
}

impl ColumnRef {
    /// Parses a command-line column argument: digits are an index, anything else a name.
    pub fn parse(text: &str) -> ColumnRef {
        match text.trim().parse::<usize>() {
            Ok(i) => ColumnRef::Index(i),
            Err(_) => ColumnRef::Name(text.trim().to_string()),
        }
    }
}

/// The field separator of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Tab,
    Semicolon,
    /// Runs of spaces and tabs.
    Whitespace,
}

impl Delimiter {
    fn split(self, line: &str) -> Fields<'_> {
        match self {
            Delimiter::Comma => Fields::Byte(Some(line), b','),
            Delimiter::Tab => Fields::Byte(Some(line), b'\t'),
            Delimiter::Semicolon => Fields::Byte(Some(line), b';'),
            Delimiter::Whitespace => Fields::Blank(line.split_ascii_whitespace()),
        }
    }

    /// Fields in a line; delimiters inside double quotes do not count.
    fn count(self, line: &str) -> usize {
        match self {
            Delimiter::Whitespace => line.split_ascii_whitespace().count(),
            _ => self.split(line).count(),
        }
    }
}

/// The fields of one line (an enum, not a boxed iterator: this runs once per row).
enum Fields<'a> {
    /// Split at one ASCII byte; `None` once the last field was returned.
    Byte(Option<&'a str>, u8),
    Blank(std::str::SplitAsciiWhitespace<'a>),
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Fields::Byte(rest, delim) => {
                let r = (*rest)?;
                let bytes = r.as_bytes();
                // One pass for the delimiter or a quote; ASCII positions are char
                // boundaries. Inside double quotes ("Flux, erg") delimiters are text.
                let mut i = 0;
                let mut quoted = false;
                while i < bytes.len() {
                    let b = bytes[i];
                    if b == b'"' {
                        quoted = !quoted;
                    } else if b == *delim && !quoted {
                        *rest = Some(&r[i + 1..]);
                        return Some(&r[..i]);
                    }
                    i += 1;
                }
                *rest = None;
                Some(r)
            }
            Fields::Blank(it) => it.next(),
        }
    }
}

/// Lines that start with `#`, `%`, `!` or `//` (after leading blanks) are comments.
fn is_comment(line: &str) -> bool {
    let t = line.trim_ascii_start();
    match t.as_bytes().first() {
        Some(b'#' | b'%' | b'!') => true,
        Some(b'/') => t.starts_with("//"),
        _ => false,
    }
}

/// How many data lines the delimiter detection looks at.
const SNIFF_LINES: usize = 20;

/// Picks the delimiter that splits the sample lines into the same number (≥ 2) of fields.
fn detect_delimiter(sample: &[&str]) -> Option<Delimiter> {
    [
        Delimiter::Tab,
        Delimiter::Semicolon,
        Delimiter::Comma,
        Delimiter::Whitespace,
    ]
    .into_iter()
    .find(|&d| {
        let first = d.count(sample[0]);
        first >= 2 && sample.iter().all(|l| d.count(l) == first)
    })
}

/// Parses one numeric field. Empty fields and `nan` spellings give NaN (a droppable row);
/// anything else that is not a number is an error. With `decimal_comma`, `1,5` is 1.5.
fn parse_number(field: &str, decimal_comma: bool) -> Result<f64, ()> {
    let mut t = field.trim_ascii();
    if t.starts_with('"') {
        t = t.trim_matches('"').trim();
    }
    if t.is_empty() {
        return Ok(f64::NAN);
    }
    let parsed = if decimal_comma && t.contains(',') {
        fast_float2::parse::<f64, _>(t.replace(',', "."))
    } else {
        fast_float2::parse::<f64, _>(t)
    };
    match parsed {
        Ok(v) => Ok(v),
        Err(_) => match t.to_ascii_lowercase().as_str() {
            "nan" | "-nan" | "na" | "n/a" | "null" | "none" | "--" => Ok(f64::NAN),
            _ => Err(()),
        },
    }
}

/// Finds a unit inside a header such as `Wavelength (Å)`, `lambda [um]`, `wavelength_nm`
/// or `wavenumber (cm-1)`.
pub fn x_unit_from_header(header: &str) -> Option<XUnit> {
    let h = header.trim().trim_matches('"').to_lowercase();
    if let Some(u) = bracketed(&h).and_then(XUnit::parse_name) {
        return Some(u);
    }
    if h.contains("wavenumber") || h.contains("cm-1") || h.contains("cm^-1") || h.contains("1/cm") {
        return Some(XUnit::WavenumberPerCm);
    }
    // `wavelength_nm`, `wave-angstrom`, `lambda um`: the last token names the unit.
    let last = h.rsplit(['_', '-', ' ', '/']).next().unwrap_or("");
    XUnit::parse_name(last)
}

/// The text between the last `(`…`)` or `[`…`]` pair, if any.
fn bracketed(h: &str) -> Option<&str> {
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let (Some(a), Some(b)) = (h.rfind(open), h.rfind(close))
            && a < b
        {
            return Some(h[a + 1..b].trim());
        }
    }
    None
}

/// A y unit from a header such as `flux (erg/s/cm2/A)`; empty when none is given.
fn y_unit_from_header(header: &str) -> String {
    bracketed(header.trim().trim_matches('"'))
        .unwrap_or_default()
        .to_string()
}

/// The bare column name: lower case, unquoted, without a bracketed unit.
fn bare_name(name: &str) -> String {
    let n = name.trim().trim_matches('"').to_lowercase();
    n.split(['(', '[']).next().unwrap_or("").trim().to_string()
}

fn looks_like_ivar(name: &str) -> bool {
    matches!(
        bare_name(name).as_str(),
        "ivar" | "invvar" | "inv_var" | "ivariance" | "inverse_variance" | "flux_ivar"
    )
}

fn looks_like_variance(name: &str) -> bool {
    matches!(bare_name(name).as_str(), "var" | "variance" | "flux_var")
}

/// Header names that mark an uncertainty column.
fn looks_like_sigma(name: &str) -> bool {
    let n = name.trim().trim_matches('"').to_lowercase();
    let head = n.split(['(', '[']).next().unwrap_or("").trim();
    matches!(
        head,
        "sigma"
            | "err"
            | "error"
            | "errors"
            | "flux_err"
            | "flux_error"
            | "uncertainty"
            | "unc"
            | "e_flux"
            | "dy"
            | "yerr"
            | "y_err"
            | "stddev"
            | "std"
            | "noise"
    )
}

fn resolve_column(
    r: &ColumnRef,
    header: Option<&[String]>,
    n_cols: usize,
) -> Result<usize, IngestProblem> {
    match r {
        ColumnRef::Index(0) => Err(IngestProblem::BadColumn(
            "column numbers start at 1".to_string(),
        )),
        ColumnRef::Index(i) if *i > n_cols => Err(IngestProblem::BadColumn(format!(
            "column {i} requested but the table has {n_cols} columns"
        ))),
        ColumnRef::Index(i) => Ok(i - 1),
        ColumnRef::Name(name) => {
            let Some(header) = header else {
                return Err(IngestProblem::BadColumn(format!(
                    "column '{name}' requested but the table has no header row"
                )));
            };
            let want = name.trim().to_lowercase();
            header
                .iter()
                .position(|h| h.trim().trim_matches('"').trim().to_lowercase() == want)
                .ok_or_else(|| {
                    IngestProblem::BadColumn(format!(
                        "no column named '{name}' (columns: {})",
                        header.join(", ")
                    ))
                })
        }
    }
}

/// The medium a leading comment line states, as `# medium: air` or `# medium: vacuum`
/// (the form this app's templates and line lists use; case-insensitive).
fn comment_medium(line: &str) -> Option<crate::spectrum::Medium> {
    let body = line
        .trim_start()
        .trim_start_matches(['#', '%', '!', '/'])
        .trim();
    let (key, value) = body.split_once(':')?;
    if !key.trim().eq_ignore_ascii_case("medium") {
        return None;
    }
    match value.trim().to_ascii_lowercase().as_str() {
        "air" => Some(crate::spectrum::Medium::Air),
        "vacuum" => Some(crate::spectrum::Medium::Vacuum),
        _ => None,
    }
}

/// Parses delimited text into one spectrum. `name` becomes the spectrum's name.
pub fn parse_csv(text: &str, name: &str, options: &ReadOptions) -> Result<Loaded, IngestProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let plan = plan_csv(text, options, true)?.expect("a whole text always has its plan");
    let region = &text[plan.region_start..];
    let mut rows = Rows::default();
    parse_rows_into(&mut rows, region, plan.region_line, &plan.layout)?;
    finish_csv(plan, rows, name, &|row, plan: &Plan| {
        line_of_row(region, plan.region_line, &plan.layout, row)
    })
}

/// Files at least this large are read in chunks ([`read_csv_file`]).
pub(crate) const STREAM_BYTES: u64 = 8 << 20;

/// The chunk a large file is read in (its first one also holds the header).
const CHUNK_BYTES: usize = 4 << 20;

/// Reads a large CSV file chunk by chunk into one reused buffer and parses each chunk's
/// whole lines as it comes: the text is never held whole, so the kernel does not zero a
/// file-sized buffer that is read once (for a 24 MB file, most of the read's time).
/// The rows, warnings and errors are those of [`parse_csv`] on the whole text. `None`
/// when the beginning does not settle the layout or the bytes are not plain UTF-8 text
/// (UTF-16, Latin-1, binary): the caller then reads the text whole.
pub(crate) fn read_csv_file(
    path: &std::path::Path,
    name: &str,
    options: &ReadOptions,
    size: u64,
) -> Result<Option<Loaded>, IngestProblem> {
    let io = |e: std::io::Error| super::io_problem(&e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut filled = super::read_up_to(&mut file, &mut buf).map_err(io)?;
    let mut eof = filled < buf.len();
    let sniff = &buf[..filled.min(super::SNIFF_BYTES)];
    if super::utf16_order(sniff).is_some() || sniff.iter().any(|&b| super::is_binary_byte(b)) {
        return Ok(None);
    }
    // Whole lines only: a chunk ends after its last newline (the file's end excepted).
    let whole_lines = |bytes: &[u8], eof: bool| {
        if eof {
            Some(bytes.len())
        } else {
            bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1)
        }
    };
    let Some(cut) = whole_lines(&buf[..filled], eof) else {
        return Ok(None);
    };
    let Ok(head) = std::str::from_utf8(&buf[..cut]) else {
        return Ok(None);
    };
    let text = head.strip_prefix('\u{feff}').unwrap_or(head);
    let bom = head.len() - text.len();
    let Some(plan) = plan_csv(text, options, eof)? else {
        return Ok(None);
    };
    // Room for the rows at the head's bytes per line (and some), so the arrays do not
    // move while they grow; capacity that is never written costs no memory.
    let head_region = &text[plan.region_start..];
    let head_lines = head_region.bytes().filter(|&b| b == b'\n').count() + 1;
    // A row takes at least 4 bytes ("1,2\n"): the bound when the head says little.
    let estimate =
        ((size as f64 / head_region.len().max(1) as f64 * head_lines as f64 * 1.1) as usize + 1024)
            .min(size as usize / 4 + 2);
    let mut rows = Rows::default();
    rows.xs.reserve_exact(estimate);
    rows.ys.reserve_exact(estimate);
    if plan.layout.sigma_col.is_some() {
        rows.sigmas.reserve_exact(estimate);
    }
    let mut line =
        plan.region_line + parse_rows_into(&mut rows, head_region, plan.region_line, &plan.layout)?;
    let mut keep = filled - cut;
    buf.copy_within(cut..filled, 0);
    while !eof {
        let n = super::read_up_to(&mut file, &mut buf[keep..]).map_err(io)?;
        eof = n < buf.len() - keep;
        filled = keep + n;
        let Some(cut) = whole_lines(&buf[..filled], eof) else {
            return Ok(None); // a line longer than a chunk
        };
        let Ok(chunk) = std::str::from_utf8(&buf[..cut]) else {
            return Ok(None);
        };
        line += parse_rows_into(&mut rows, chunk, line, &plan.layout)?;
        keep = filled - cut;
        buf.copy_within(cut..filled, 0);
    }
    drop(buf);
    // An error's line: the text read again (a rare message; the rows never kept theirs).
    finish_csv(plan, rows, name, &|row, plan: &Plan| {
        std::fs::read(path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map_or(plan.region_line, |t| {
                let region = &t[bom + plan.region_start..];
                line_of_row(region, plan.region_line, &plan.layout, row)
            })
    })
    .map(Some)
}

/// What the lines before the data say: the layout of the rows, where they start, the
/// units, the header, σ's form and the medium, and the warnings so far.
struct Plan {
    warnings: Vec<Warning>,
    layout: RowLayout,
    /// Byte offset of the first data row in the text (after a BOM).
    region_start: usize,
    /// Its 1-based line number.
    region_line: usize,
    x_unit: XUnit,
    y_unit: String,
    header: Option<Vec<String>>,
    sigma_form: SigmaForm,
    medium: crate::spectrum::Medium,
}

/// Reads the header, comments and the first data lines of `text`. With `complete`
/// false, `text` is only the file's beginning (whole lines): when that beginning does
/// not hold the first data line and the lines the delimiter detection samples, the plan
/// is `None` and the caller reads the whole text.
fn plan_csv(
    text: &str,
    options: &ReadOptions,
    complete: bool,
) -> Result<Option<Plan>, IngestProblem> {
    let mut warnings = Vec::new();

    // Content lines with their 1-based line numbers; comments remembered for headers.
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let mut last_comment: Option<&str> = None;
    let mut first: Option<(usize, &str)> = None;
    let mut medium = crate::spectrum::Medium::Unknown;
    for (no, line) in lines.by_ref() {
        if is_comment(line) {
            last_comment = Some(line);
            medium = comment_medium(line).unwrap_or(medium);
        } else {
            first = Some((no, line));
            break;
        }
    }
    if first.is_none() && !complete {
        return Ok(None);
    }
    let Some(first) = first else {
        return Err(if text.trim().is_empty() {
            IngestProblem::Empty
        } else {
            IngestProblem::NoData("only comment lines".to_string())
        });
    };

    // The first content line is a header unless all its fields are numbers. Sniff on it
    // plus following lines.
    let mut sample: Vec<(usize, &str)> = vec![first];
    let mut rest = lines.filter(|(_, l)| !is_comment(l)).peekable();
    while sample.len() < SNIFF_LINES + 1 {
        match rest.next() {
            Some(l) => sample.push(l),
            None if complete => break,
            // The beginning ran out before the sample was whole.
            None => return Ok(None),
        }
    }
    let data_sample: Vec<&str> = sample.iter().skip(1).map(|(_, l)| *l).collect();
    let first_delim = detect_delimiter(&[first.1]);
    let delim_all = if data_sample.is_empty() {
        first_delim
    } else {
        detect_delimiter(&data_sample)
    };
    let Some(delimiter) = delim_all.or(first_delim) else {
        return Err(IngestProblem::SingleColumn);
    };
    let decimal_comma = delimiter == Delimiter::Semicolon
        && data_sample
            .iter()
            .chain(std::iter::once(&first.1))
            .any(|l| l.contains(',') && !l.contains('.'));
    let first_fields: Vec<&str> = delimiter.split(first.1).collect();
    let first_is_header = first_fields
        .iter()
        .any(|f| parse_number(f, decimal_comma).is_err());

    let n_cols = if first_is_header {
        data_sample
            .first()
            .map(|l| delimiter.count(l))
            .unwrap_or(first_fields.len())
    } else {
        first_fields.len()
    };
    if n_cols < 2 {
        return Err(IngestProblem::SingleColumn);
    }

    // A header is the first line when it is text, else the last comment line just above
    // the data when it has exactly one name per column (`# lambda flux err`).
    let header: Option<Vec<String>> = if first_is_header {
        Some(first_fields.iter().map(|f| f.trim().to_string()).collect())
    } else {
        last_comment.and_then(|c| {
            let body = c.trim_start().trim_start_matches(['#', '%', '!', '/']);
            let names: Vec<String> = delimiter
                .split(body)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() || delimiter != Delimiter::Whitespace)
                .collect();
            (names.len() == n_cols && names.iter().all(|n| parse_number(n, false).is_err()))
                .then_some(names)
        })
    };
    // A header with fewer names than the data have columns: the missing names are empty
    // (never an index past the end).
    let header = header.map(|mut h| {
        if h.len() < n_cols {
            h.resize(n_cols, String::new());
        }
        h
    });
    let header_ref = header.as_deref();

    let x_col = match &options.x_col {
        Some(r) => resolve_column(r, header_ref, n_cols)?,
        None => 0,
    };
    let y_col = match &options.y_col {
        Some(r) => resolve_column(r, header_ref, n_cols)?,
        None => usize::from(x_col == 0),
    };
    let named = |test: fn(&str) -> bool| {
        header_ref.and_then(|h| {
            h.iter()
                .enumerate()
                .position(|(i, n)| i != x_col && i != y_col && test(n))
        })
    };
    // σ from an error column, else from inverse variance or variance (recorded below).
    let (sigma_col, sigma_form) = match &options.sigma_col {
        Some(r) => (
            Some(resolve_column(r, header_ref, n_cols)?),
            SigmaForm::Error,
        ),
        None => match named(looks_like_sigma) {
            Some(i) => (Some(i), SigmaForm::Error),
            None => match named(looks_like_ivar) {
                Some(i) => (Some(i), SigmaForm::InverseVariance),
                None => (named(looks_like_variance), SigmaForm::Variance),
            },
        },
    };
    if x_col == y_col {
        return Err(IngestProblem::BadColumn(
            "x and y are the same column".to_string(),
        ));
    }
    if header_ref.is_none() && options.sigma_col.is_none() && n_cols >= 3 {
        warnings.push(Warning::file(
            WarningKind::ColumnsGuessed,
            format!(
                "{n_cols} columns without a header: read column 1 as x and 2 as y; \
                 pass --sigma-col 3 if column 3 is the uncertainty"
            ),
        ));
    }

    let x_unit = match options.x_unit {
        Some(u) => u,
        None => match header_ref.and_then(|h| x_unit_from_header(&h[x_col])) {
            Some(u) => u,
            None => {
                warnings.push(Warning::file(
                    WarningKind::UnitAssumed,
                    "x unit not stated in the header; assuming nm (use --x-unit)",
                ));
                XUnit::Nanometer
            }
        },
    };
    let y_unit = header_ref
        .map(|h| y_unit_from_header(&h[y_col]))
        .unwrap_or_default();

    // Parse every data row: from the line after the header (or the first data line) on.
    let need = x_col.max(y_col).max(sigma_col.unwrap_or(0)) + 1;
    let first_offset = first.1.as_ptr() as usize - text.as_ptr() as usize;
    let (region_start, region_line) = if first_is_header {
        match text[first_offset..].find('\n') {
            Some(nl) => (first_offset + nl + 1, first.0 + 1),
            None => (text.len(), first.0 + 1),
        }
    } else {
        (first_offset, first.0)
    };
    let layout = RowLayout {
        delimiter,
        decimal_comma,
        x_col,
        y_col,
        sigma_col,
        need,
    };
    Ok(Some(Plan {
        warnings,
        layout,
        region_start,
        region_line,
        x_unit,
        y_unit,
        header,
        sigma_form,
        medium,
    }))
}

/// The spectrum from the parsed rows: checks, conversion to nm, order, σ's form,
/// metadata. `line_of(row, plan)` finds a kept row's file line for a message.
fn finish_csv(
    plan: Plan,
    rows: Rows,
    name: &str,
    line_of: &dyn Fn(usize, &Plan) -> usize,
) -> Result<Loaded, IngestProblem> {
    let Rows {
        mut xs,
        ys,
        sigmas,
        dropped,
    } = rows;
    let line_of = |row: usize| line_of(row, &plan);
    let mut warnings = plan.warnings.clone();
    let (x_unit, sigma_form, medium) = (plan.x_unit, plan.sigma_form, plan.medium);
    let sigma_col = plan.layout.sigma_col;
    let header_ref = plan.header.as_deref();
    if dropped > 0 {
        warnings.push(Warning::file(
            WarningKind::RowsDropped,
            format!("{dropped} row(s) with NaN or missing values dropped"),
        ));
    }
    match xs.len() {
        0 if dropped > 0 => return Err(IngestProblem::NoData("every row is NaN".into())),
        0 => return Err(IngestProblem::NoData("a header but no data rows".into())),
        1 => {
            return Err(IngestProblem::NoData(
                "only 1 data row; a spectrum needs at least 2".into(),
            ));
        }
        _ => {}
    }
    // Check x > 0 and convert to nm in one pass, noting whether the values come strictly
    // increasing (the usual file: then there is neither an order to fix nor a duplicate
    // to look for, and no more passes over x).
    let mut strictly_increasing = true;
    let mut previous = f64::NEG_INFINITY;
    for (i, x) in xs.iter_mut().enumerate() {
        if *x <= 0.0 {
            return Err(IngestProblem::Malformed {
                line: line_of(i),
                message: format!("x = {x} is not positive"),
            });
        }
        let nm = x_unit.to_nm(*x);
        strictly_increasing &= nm > previous;
        previous = nm;
        *x = nm;
    }
    // Then order by increasing nm.
    let increasing = strictly_increasing || xs.windows(2).all(|w| w[0] <= w[1]);
    let decreasing = !increasing && xs.windows(2).all(|w| w[0] >= w[1]);
    let mut order: Vec<usize> = if increasing {
        Vec::new()
    } else {
        (0..xs.len()).collect()
    };
    if !increasing {
        if decreasing {
            order.reverse();
            if !x_unit.is_reversed() {
                warnings.push(Warning::file(
                    WarningKind::Reordered,
                    "x was descending; reversed to increasing wavelength",
                ));
            }
        } else {
            order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
            warnings.push(Warning::file(
                WarningKind::Reordered,
                "x was not monotonic; rows sorted by wavelength",
            ));
        }
    }
    // Neighbours in wavelength order; equal neighbours are duplicates.
    let duplicate = if strictly_increasing {
        None
    } else if increasing {
        xs.windows(2).position(|w| w[0] == w[1]).map(|i| (i, i + 1))
    } else {
        order
            .windows(2)
            .find(|w| xs[w[0]] == xs[w[1]])
            .map(|w| (w[0], w[1]))
    };
    if let Some((i, j)) = duplicate {
        return Err(IngestProblem::DuplicateX {
            x: x_unit.from_nm(xs[i]),
            line_a: line_of(i.min(j)),
            line_b: line_of(i.max(j)),
        });
    }
    let permute = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let (x_nm, y, sigma) = if increasing {
        (xs, ys, sigma_col.map(|_| sigmas))
    } else {
        (
            permute(&xs),
            permute(&ys),
            sigma_col.map(|_| permute(&sigmas)),
        )
    };

    // σ and, for inverse variance, the points without information (masked).
    let mut mask = None;
    let sigma = sigma.map(|s| {
        if sigma_form == SigmaForm::Error {
            return s;
        }
        let (sigma, masked): (Vec<f64>, Vec<bool>) = s.iter().map(|&v| sigma_form.sigma(v)).unzip();
        mask = Some(masked);
        sigma
    });
    let mut spectrum = Spectrum::new(name, x_nm, y, sigma).map_err(IngestProblem::Invalid)?;
    spectrum.set_mask(mask);
    if sigma_col.is_some() && sigma_form != SigmaForm::Error {
        spectrum
            .metadata
            .push(("sigma_from".into(), sigma_form.description().into()));
    }
    spectrum.y_unit = plan.y_unit.clone();
    if let Some(h) = header_ref {
        spectrum.metadata.push(("columns".into(), h.join(", ")));
    }
    spectrum
        .metadata
        .push(("x_unit_in_file".into(), x_unit.cli_name().into()));
    if medium != crate::spectrum::Medium::Unknown {
        spectrum.medium = medium;
    }
    Ok(Loaded {
        format: "csv",
        spectra: vec![spectrum],
        warnings,
        not_spectra: Vec::new(),
    })
}

/// Where the numbers are in each row.
struct RowLayout {
    delimiter: Delimiter,
    decimal_comma: bool,
    x_col: usize,
    y_col: usize,
    sigma_col: Option<usize>,
    /// Fields a row must have.
    need: usize,
}

/// Parsed data rows, in file order.
#[derive(Default)]
struct Rows {
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Empty without a σ column.
    sigmas: Vec<f64>,
    /// Rows dropped for NaN or missing values.
    dropped: usize,
}

/// Inputs at least this large are parsed by several threads, one part each.
const PARALLEL_BYTES: usize = 1 << 20;

/// Whether a parsed row is kept (finite x and y, and a finite, non-negative σ where
/// there is a σ column); the others are dropped and counted.
fn keeps(layout: &RowLayout, x: f64, y: f64, s: f64) -> bool {
    let sigma_ok = layout.sigma_col.is_none() || (s.is_finite() && s >= 0.0);
    x.is_finite() && y.is_finite() && sigma_ok
}

/// Calls `row(line number, x, y, σ)` for each data row of `region` in order (blank and
/// comment lines skipped) while it returns true; the first malformed row is the error.
fn for_each_row(
    region: &str,
    first_line: usize,
    layout: &RowLayout,
    mut row: impl FnMut(usize, f64, f64, f64) -> bool,
) -> Result<(), IngestProblem> {
    for (k, line) in region.split('\n').enumerate() {
        let no = first_line + k;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.bytes().all(|b| b.is_ascii_whitespace()) || is_comment(line) {
            continue;
        }
        let (mut x, mut y, mut s) = (f64::NAN, f64::NAN, f64::NAN);
        let mut seen = 0usize;
        for (i, field) in layout.delimiter.split(line).enumerate() {
            seen = i + 1;
            let slot = if i == layout.x_col {
                &mut x
            } else if i == layout.y_col {
                &mut y
            } else if Some(i) == layout.sigma_col {
                &mut s
            } else {
                continue;
            };
            *slot = parse_number(field, layout.decimal_comma).map_err(|()| {
                IngestProblem::Malformed {
                    line: no,
                    message: format!(
                        "'{}' in column {} is not a number",
                        truncate(field.trim(), 40),
                        i + 1
                    ),
                }
            })?;
        }
        if seen < layout.need {
            return Err(IngestProblem::Malformed {
                line: no,
                message: format!("has {seen} field(s); expected at least {}", layout.need),
            });
        }
        if !row(no, x, y, s) {
            break;
        }
    }
    Ok(())
}

/// The file line of kept row `index` of `region`, for error messages: it scans the rows
/// again rather than keeping a line number per row (8 bytes a row, for a rare message).
fn line_of_row(region: &str, first_line: usize, layout: &RowLayout, index: usize) -> usize {
    let (mut kept, mut line) = (0usize, first_line);
    let _ = for_each_row(region, first_line, layout, |no, x, y, s| {
        if keeps(layout, x, y, s) {
            if kept == index {
                line = no;
                return false;
            }
            kept += 1;
        }
        true
    });
    line
}

/// Parses one part's rows into its slots (as many as the part has lines); returns the
/// rows kept and dropped.
fn parse_part(
    part: &str,
    first_line: usize,
    layout: &RowLayout,
    xs: &mut [f64],
    ys: &mut [f64],
    sigmas: &mut [f64],
) -> Result<(usize, usize), IngestProblem> {
    let (mut kept, mut dropped) = (0usize, 0usize);
    for_each_row(part, first_line, layout, |_, x, y, s| {
        if keeps(layout, x, y, s) {
            xs[kept] = x;
            ys[kept] = y;
            if let Some(slot) = sigmas.get_mut(kept) {
                *slot = s;
            }
            kept += 1;
        } else {
            dropped += 1;
        }
        true
    })?;
    Ok((kept, dropped))
}

/// Parses the data rows of `region` (its first line is file line `first_line`) onto the
/// end of `rows`; returns the newlines in `region` (for the next region's line number).
///
/// Large inputs are cut at line ends into one part per thread. The arrays grow once,
/// by a slot per line; each part fills its own slots and the parts are then moved
/// together. Every page is touched about once, which is what matters: growing vectors
/// and joining parts touched each value's memory three times, and the kernel's zeroing
/// of fresh pages was most of a large read.
fn parse_rows_into(
    rows: &mut Rows,
    region: &str,
    first_line: usize,
    layout: &RowLayout,
) -> Result<usize, IngestProblem> {
    let threads = if region.len() < PARALLEL_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
    };
    // Parts: cut after the newline at or past each equal share.
    let mut parts: Vec<&str> = Vec::with_capacity(threads);
    let mut start = 0;
    for k in 1..=threads {
        let target = region.len() * k / threads;
        let end = if k == threads || target <= start {
            region.len()
        } else {
            region[target..]
                .find('\n')
                .map_or(region.len(), |i| target + i + 1)
        };
        if end > start || parts.is_empty() {
            parts.push(&region[start..end]);
        }
        start = end;
        if start == region.len() {
            break;
        }
    }
    let count_newlines = |p: &str| p.bytes().filter(|&b| b == b'\n').count();
    let newlines: Vec<usize> = if parts.len() > 1 {
        std::thread::scope(|scope| {
            let jobs: Vec<_> = parts
                .iter()
                .map(|p| scope.spawn(move || count_newlines(p)))
                .collect();
            jobs.into_iter()
                .map(|j| j.join().expect("counting does not panic"))
                .collect()
        })
    } else {
        vec![count_newlines(parts[0])]
    };
    // A part has at most (its newlines + 1) rows: its slots.
    let slots: Vec<usize> = newlines.iter().map(|n| n + 1).collect();
    let total: usize = slots.iter().sum();
    let with_sigma = layout.sigma_col.is_some();
    let base = rows.xs.len();
    // Growing with zeros writes every slot once more; fresh zeroed allocations do not
    // (their pages come zeroed), so an empty start takes those.
    let grow = |v: &mut Vec<f64>| {
        if v.is_empty() && v.capacity() < total {
            *v = vec![0.0; total];
        } else {
            v.resize(base + total, 0.0);
        }
    };
    grow(&mut rows.xs);
    grow(&mut rows.ys);
    if with_sigma {
        grow(&mut rows.sigmas);
    }
    let results: Vec<Result<(usize, usize), IngestProblem>> = {
        let mut jobs = Vec::with_capacity(parts.len());
        let (mut xr, mut yr, mut sr) = (
            &mut rows.xs[base..],
            &mut rows.ys[base..],
            if with_sigma {
                &mut rows.sigmas[base..]
            } else {
                &mut rows.sigmas[..0]
            },
        );
        let mut line = first_line;
        for (k, part) in parts.iter().enumerate() {
            let (x_part, x_rest) = std::mem::take(&mut xr).split_at_mut(slots[k]);
            let (y_part, y_rest) = std::mem::take(&mut yr).split_at_mut(slots[k]);
            let (s_part, s_rest) =
                std::mem::take(&mut sr).split_at_mut(if with_sigma { slots[k] } else { 0 });
            (xr, yr, sr) = (x_rest, y_rest, s_rest);
            jobs.push((*part, line, x_part, y_part, s_part));
            line += newlines[k];
        }
        if jobs.len() == 1 {
            jobs.into_iter()
                .map(|(p, l, x, y, s)| parse_part(p, l, layout, x, y, s))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = jobs
                    .into_iter()
                    .map(|(p, l, x, y, s)| scope.spawn(move || parse_part(p, l, layout, x, y, s)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("row parser does not panic"))
                    .collect()
            })
        }
    };
    // The first malformed row in file order is the error; then the parts move together.
    let mut dest = base;
    let mut offset = base;
    for (k, result) in results.into_iter().enumerate() {
        let (kept, part_dropped) = result?;
        if dest != offset {
            rows.xs.copy_within(offset..offset + kept, dest);
            rows.ys.copy_within(offset..offset + kept, dest);
            if with_sigma {
                rows.sigmas.copy_within(offset..offset + kept, dest);
            }
        }
        dest += kept;
        offset += slots[k];
        rows.dropped += part_dropped;
    }
    rows.xs.truncate(dest);
    rows.ys.truncate(dest);
    if with_sigma {
        rows.sigmas.truncate(dest);
    }
    Ok(newlines.iter().sum())
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max_chars).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Loaded, IngestProblem> {
        parse_csv(text, "t", &ReadOptions::default())
    }

    /// A CSV large enough to be parsed in parts: `rows` rows with a comment every 997
    /// rows, a blank line every 1013 and a NaN row every 4999; σ in a third column.
    fn large(rows: usize) -> (String, Vec<usize>) {
        let mut text = String::from("wavelength_nm,flux,sigma\n");
        let mut line = 1;
        let mut lines = Vec::new(); // file line of each kept row
        for i in 0..rows {
            if i % 997 == 0 {
                text.push_str("# a comment\n");
                line += 1;
            }
            if i % 1013 == 0 {
                text.push('\n');
                line += 1;
            }
            line += 1;
            if i % 4999 == 4998 {
                text.push_str(&format!("{},NaN,0.1\n", 400.0 + i as f64 * 0.001));
                continue;
            }
            text.push_str(&format!("{},{},0.1\n", 400.0 + i as f64 * 0.001, i % 17));
            lines.push(line);
        }
        (text, lines)
    }

    #[test]
    fn a_file_parsed_in_parts_equals_the_rows_read_one_by_one() {
        let (text, lines) = large(200_000);
        assert!(text.len() > 2 * PARALLEL_BYTES);
        let nan_rows = (0..200_000).filter(|i| i % 4999 == 4998).count();
        let loaded = parse(&text).unwrap();
        let s = &loaded.spectra[0];
        assert_eq!(s.len(), lines.len());
        // Row by row, as the serial parser reads them.
        let layout = RowLayout {
            delimiter: Delimiter::Comma,
            decimal_comma: false,
            x_col: 0,
            y_col: 1,
            sigma_col: Some(2),
            need: 3,
        };
        let region = &text[text.find('\n').unwrap() + 1..];
        let (mut xs, mut ys, mut seen_lines) = (Vec::new(), Vec::new(), Vec::new());
        for_each_row(region, 2, &layout, |no, x, y, sig| {
            if keeps(&layout, x, y, sig) {
                xs.push(x);
                ys.push(y);
                seen_lines.push(no);
            }
            true
        })
        .unwrap();
        assert_eq!(s.x_nm(), &xs[..]);
        assert_eq!(s.y(), &ys[..]);
        assert_eq!(seen_lines, lines);
        assert!(s.sigma().unwrap().iter().all(|&v| v == 0.1));
        assert!(loaded.warnings.iter().any(|w| {
            w.to_string()
                .contains(&format!("{nan_rows} row(s) with NaN"))
        }));
        // The line of a kept row, found again for messages.
        for row in [0, 1, 99_999, lines.len() - 1] {
            assert_eq!(line_of_row(region, 2, &layout, row), lines[row]);
        }
    }

    #[test]
    fn a_large_file_read_in_chunks_equals_the_whole_text_parsed() {
        let (text, lines) = large(900_000);
        assert!(text.len() > STREAM_BYTES as usize + CHUNK_BYTES);
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, body).unwrap();
            path
        };
        let stream = |path: &std::path::Path| {
            let size = std::fs::metadata(path).unwrap().len();
            read_csv_file(path, "t", &ReadOptions::default(), size)
        };
        let same = |a: &Loaded, b: &Loaded| format!("{a:?}") == format!("{b:?}");
        let path = write("big.csv", text.as_bytes());
        let streamed = stream(&path).unwrap().expect("a plain UTF-8 file streams");
        let whole = parse(&text).unwrap();
        assert_eq!(streamed.spectra[0].len(), lines.len());
        assert!(same(&streamed, &whole));
        // A BOM first: the same.
        let with_bom = format!("\u{feff}{text}");
        let path = write("bom.csv", with_bom.as_bytes());
        assert!(same(&stream(&path).unwrap().unwrap(), &whole));
        // An error in the third chunk: the same error, the same line.
        let target = lines[lines.len() - 10];
        let bad = with_line(&text, target, "500.0,abc,0.1");
        let path = write("bad.csv", bad.as_bytes());
        assert_eq!(stream(&path).unwrap_err(), parse(&bad).unwrap_err());
        // A duplicate x found after the parse: its lines found again from the file.
        let (a, b) = (lines[lines.len() - 5], lines[lines.len() - 4]);
        let dup = with_line(&text, b, &format!("{},1,0.1", x_field(&text, a)));
        let path = write("dup.csv", dup.as_bytes());
        let err = stream(&path).unwrap_err();
        assert_eq!(err, parse(&dup).unwrap_err());
        assert!(
            matches!(err, IngestProblem::DuplicateX { line_a, line_b, .. } if (line_a, line_b) == (a, b))
        );
        // A Latin-1 byte deep in the file: not streamed (the whole read says so).
        let mut latin = text.clone().into_bytes();
        let at = latin.len() - 100;
        let nl = at + latin[at..].iter().position(|&c| c == b'\n').unwrap();
        latin.splice(nl..nl, [b' ', b'#', 0xe9]);
        let path = write("latin1.csv", &latin);
        assert!(stream(&path).unwrap().is_none());
    }

    /// The first field of `text`'s 1-based line `line`.
    fn x_field(text: &str, line: usize) -> &str {
        let l = text.split('\n').nth(line - 1).unwrap();
        l.split(',').next().unwrap()
    }

    /// `text` with its 1-based line `line` replaced.
    fn with_line(text: &str, line: usize, new: &str) -> String {
        text.split('\n')
            .enumerate()
            .map(|(i, l)| if i + 1 == line { new } else { l })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn errors_deep_in_a_large_file_name_their_line() {
        let (text, lines) = large(200_000);
        let row_line = |row: usize| lines[row];
        // A malformed field in the last part.
        let target = row_line(180_000);
        let bad = with_line(&text, target, "500.0,abc,0.1");
        match parse(&bad) {
            Err(IngestProblem::Malformed { line, .. }) => assert_eq!(line, target),
            other => panic!("{other:?}"),
        }
        // A duplicate x in the second half: both lines named.
        let (a, b) = (row_line(120_000), row_line(120_001));
        let dup = with_line(&text, b, &format!("{},1,0.1", x_field(&text, a)));
        match parse(&dup) {
            Err(IngestProblem::DuplicateX { line_a, line_b, .. }) => {
                assert_eq!((line_a, line_b), (a, b));
            }
            other => panic!("{other:?}"),
        }
        // A non-positive x near the end.
        let c = row_line(190_000);
        let neg = with_line(&text, c, "-1,1,0.1");
        match parse(&neg) {
            Err(IngestProblem::Malformed { line, message }) => {
                assert_eq!(line, c, "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_units() {
        assert_eq!(x_unit_from_header("wavelength_nm"), Some(XUnit::Nanometer));
        assert_eq!(x_unit_from_header("Wavelength (Å)"), Some(XUnit::Angstrom));
        assert_eq!(x_unit_from_header("lambda [um]"), Some(XUnit::Micrometer));
        assert_eq!(
            x_unit_from_header("wavenumber (cm-1)"),
            Some(XUnit::WavenumberPerCm)
        );
        assert_eq!(
            x_unit_from_header("Wavenumber"),
            Some(XUnit::WavenumberPerCm)
        );
        assert_eq!(x_unit_from_header("wave_angstrom"), Some(XUnit::Angstrom));
        assert_eq!(x_unit_from_header("x"), None);
    }

    #[test]
    fn delimiters() {
        for text in [
            "wavelength_nm,flux\n500,1\n501,2\n",
            "wavelength_nm\tflux\n500\t1\n501\t2\n",
            "wavelength_nm;flux\n500;1\n501;2\n",
            "wavelength_nm flux\n500   1\n 501 2\n",
        ] {
            let l = parse(text).unwrap();
            assert_eq!(l.spectra[0].x_nm(), &[500.0, 501.0], "{text:?}");
            assert_eq!(l.spectra[0].y(), &[1.0, 2.0]);
            assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        }
    }

    /// Found by the `csv` fuzz target: a text first line with fewer fields than the data.
    #[test]
    fn a_short_header_does_not_index_past_its_end() {
        let text = "# A hand-made table: decimal85.86,0.02,0.005\n385.88,0.02,0.005\n38,8;3,5;0,03\n6560,0;nan;0,01\n6555,1;0,1;0,01\n";
        let _ = parse_csv(text, "fuzz.csv", &ReadOptions::default());
        let loaded = parse_csv(
            "wavelength_nm\n500;1;2\n501;2;3\n",
            "t.csv",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(loaded.spectra[0].y(), &[1.0, 2.0]);
    }

    #[test]
    fn sigma_from_inverse_variance_or_variance() {
        let l = parse_csv(
            "wavelength_nm,flux,ivar\n500,1,4\n501,2,0\n502,3,0.25\n",
            "t",
            &ReadOptions::default(),
        )
        .unwrap();
        let s = &l.spectra[0];
        assert_eq!(s.sigma().unwrap(), &[0.5, 0.0, 2.0]);
        assert_eq!(s.mask().unwrap(), &[false, true, false]);
        assert!(
            s.metadata
                .iter()
                .any(|(k, v)| k == "sigma_from" && v.contains("inverse"))
        );
        let l = parse_csv(
            "wavelength_nm,flux,variance\n500,1,4\n501,2,9\n",
            "t",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(l.spectra[0].sigma().unwrap(), &[2.0, 3.0]);
        assert!(l.spectra[0].mask().is_none());
        // An error column wins over a variance column.
        let l = parse_csv(
            "wavelength_nm,flux,var,err\n500,1,4,0.1\n501,2,9,0.2\n",
            "t",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(l.spectra[0].sigma().unwrap(), &[0.1, 0.2]);
    }

    #[test]
    fn quoted_headers_keep_their_delimiters() {
        let text = "# c\n\"Wavelength (Angstrom)\",\"Flux, erg\",\"Error\",extra\n5000,1.5,0.1,a\n5001,1.6,0.1,b\n5002,\"1.7\",0.2,c\n";
        let loaded = parse_csv(text, "q.csv", &ReadOptions::default()).unwrap();
        let s = &loaded.spectra[0];
        assert_eq!(s.x_nm(), &[500.0, 500.1, 500.2]);
        assert_eq!(s.y(), &[1.5, 1.6, 1.7]);
        assert_eq!(s.sigma().unwrap(), &[0.1, 0.1, 0.2]);
        let semi = "\"wavelength_nm\";\"flux; scaled\"\n500,1;1,5\n500,2;1,6\n";
        let loaded = parse_csv(semi, "s.csv", &ReadOptions::default()).unwrap();
        assert_eq!(loaded.spectra[0].y(), &[1.5, 1.6]);
    }

    #[test]
    fn decimal_comma_with_semicolons() {
        let l = parse("Wavelength (nm);Flux\n500,5;1,25\n501,5;2\n").unwrap();
        assert_eq!(l.spectra[0].x_nm(), &[500.5, 501.5]);
        assert_eq!(l.spectra[0].y(), &[1.25, 2.0]);
    }

    #[test]
    fn comments_bom_crlf_and_comment_header() {
        let l =
            parse("\u{feff}# made by hand\r\n# lambda[um] flux err\r\n0.5 1 0.1\r\n0.6 2 0.2\r\n")
                .unwrap();
        let s = &l.spectra[0];
        assert_eq!(s.x_nm(), &[500.0, 600.0]);
        assert_eq!(s.sigma(), Some(&[0.1, 0.2][..]));
    }

    #[test]
    fn a_leading_medium_comment_sets_the_medium() {
        let l = parse("# medium: air\nnm,flux\n500,1\n501,2\n").unwrap();
        assert_eq!(l.spectra[0].medium, crate::spectrum::Medium::Air);
        let l = parse("# Medium : VACUUM\n500,1\n501,2\n").unwrap();
        assert_eq!(l.spectra[0].medium, crate::spectrum::Medium::Vacuum);
        // Anything else leaves it unknown rather than guessing.
        let l = parse("# medium: glass\n500,1\n501,2\n").unwrap();
        assert_eq!(l.spectra[0].medium, crate::spectrum::Medium::Unknown);
    }

    #[test]
    fn angstrom_and_wavenumber_headers_convert_to_nm() {
        let l = parse("Wavelength (Å),flux (erg/s/cm2/A)\n5000,1\n5010,2\n").unwrap();
        assert_eq!(l.spectra[0].x_nm(), &[500.0, 501.0]);
        assert_eq!(l.spectra[0].y_unit, "erg/s/cm2/A");
        let l = parse("wavenumber (cm-1),absorbance\n1000,1\n2000,2\n").unwrap();
        // 2000 cm-1 = 5000 nm comes first once ordered by wavelength.
        assert_eq!(l.spectra[0].x_nm(), &[5000.0, 10000.0]);
        assert_eq!(l.spectra[0].y(), &[2.0, 1.0]);
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn descending_is_sorted_and_nan_rows_counted() {
        let l = parse("wavelength_nm,flux\n503,3\n502,nan\n501,1\n500,\n").unwrap();
        assert_eq!(l.spectra[0].x_nm(), &[501.0, 503.0]);
        assert_eq!(l.spectra[0].y(), &[1.0, 3.0]);
        assert!(
            l.warnings
                .iter()
                .any(|w| w.to_string().contains("2 row(s)"))
        );
        assert!(
            l.warnings
                .iter()
                .any(|w| w.to_string().contains("descending"))
        );
    }

    #[test]
    fn unsorted_is_sorted_with_warning() {
        let l = parse("wavelength_nm,flux\n502,2\n500,0\n501,1\n").unwrap();
        assert_eq!(l.spectra[0].x_nm(), &[500.0, 501.0, 502.0]);
        assert_eq!(l.spectra[0].y(), &[0.0, 1.0, 2.0]);
        assert!(
            l.warnings
                .iter()
                .any(|w| w.to_string().contains("not monotonic"))
        );
    }

    #[test]
    fn overrides() {
        let text = "a,b,c,d\n1,500,7,0.5\n2,501,8,0.25\n";
        let opts = ReadOptions {
            x_col: Some(ColumnRef::Name("B".into())),
            y_col: Some(ColumnRef::Index(3)),
            sigma_col: Some(ColumnRef::Index(4)),
            x_unit: Some(XUnit::Angstrom),
            ..Default::default()
        };
        let l = parse_csv(text, "t", &opts).unwrap();
        let s = &l.spectra[0];
        assert_eq!(s.x_nm(), &[50.0, 50.1]);
        assert_eq!(s.y(), &[7.0, 8.0]);
        assert_eq!(s.sigma(), Some(&[0.5, 0.25][..]));
    }

    #[test]
    fn errors() {
        assert_eq!(parse("").unwrap_err(), IngestProblem::Empty);
        assert_eq!(parse("\n \n").unwrap_err(), IngestProblem::Empty);
        assert!(matches!(
            parse("# only\n# comments\n"),
            Err(IngestProblem::NoData(_))
        ));
        assert_eq!(
            parse("500\n501\n502\n").unwrap_err(),
            IngestProblem::SingleColumn
        );
        assert!(
            matches!(parse("x,y\nnan,1\n2,nan\n"), Err(IngestProblem::NoData(m)) if m.contains("NaN"))
        );
        assert!(matches!(parse("x,y\n"), Err(IngestProblem::NoData(_))));
        assert!(
            matches!(parse("500,1\n"), Err(IngestProblem::NoData(m)) if m.contains("1 data row"))
        );
        assert_eq!(
            parse("wavelength_nm,y\n500,1\n501,2\n500,3\n").unwrap_err(),
            IngestProblem::DuplicateX {
                x: 500.0,
                line_a: 2,
                line_b: 4
            }
        );
        assert!(matches!(
            parse("x,y\n500,1\n501,abc\n"),
            Err(IngestProblem::Malformed { line: 3, .. })
        ));
        assert!(matches!(
            parse("x,y,z\n500,1,2\n501\n"),
            Err(IngestProblem::Malformed { line: 3, .. })
        ));
        assert!(matches!(
            parse("wavelength_nm,y\n-1,1\n501,2\n"),
            Err(IngestProblem::Malformed { line: 2, .. })
        ));
        let opts = ReadOptions {
            y_col: Some(ColumnRef::Name("nope".into())),
            ..Default::default()
        };
        assert!(matches!(
            parse_csv("x,y\n1,2\n3,4\n", "t", &opts),
            Err(IngestProblem::BadColumn(_))
        ));
    }
}
