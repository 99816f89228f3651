//! Reading spectra from files: format detection, size and content sniffing, and the error
//! type that names the file and the problem. The file system is touched only here (and in
//! store and bundle code).

pub mod csv;
pub mod fits;
pub mod jcamp;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::spectrum::{Spectrum, SpectrumError};

pub use self::csv::ColumnRef;
use crate::units::XUnit;

/// Explicit choices that override detection, for every format.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// Column holding x (default: the first; FITS tables: a wavelength column).
    pub x_col: Option<ColumnRef>,
    /// Column holding y (default: the second; FITS tables: `FLUX`).
    pub y_col: Option<ColumnRef>,
    /// Column holding σ (default: a column whose header names an error or uncertainty).
    pub sigma_col: Option<ColumnRef>,
    /// Unit of x (default: from the header; nm with a warning when the header says none).
    pub x_unit: Option<XUnit>,
    /// FITS: the HDU to read, a 0-based index or an `EXTNAME` (default: the first that
    /// holds a known layout).
    pub hdu: Option<String>,
    /// JCAMP-DX: a failed DIF check value is an error instead of a counted warning.
    pub strict: bool,
    /// Of a file holding several spectra, keep only this one: a 1-based number in the
    /// order `inspect` lists them, or a name (the full name, or what its brackets hold,
    /// e.g. `B arm, spectrum 3`).
    pub spectrum: Option<String>,
    /// FITS: the program run as the isolated reader (default: this executable).
    pub fits_reader: Option<PathBuf>,
    /// FITS: the reader's time and memory limits.
    pub fits_limits: fits::child::ChildLimits,
}

/// How an uncertainty column is stored (CSV and FITS readers alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigmaForm {
    /// One-sigma error.
    Error,
    /// Inverse variance: σ = 1/√ivar; ivar ≤ 0 carries no information and masks the point.
    InverseVariance,
    /// Variance: σ = √var.
    Variance,
}

impl SigmaForm {
    /// σ from one stored value, and whether the point is masked (then σ is stored as 0
    /// and never used).
    pub fn sigma(self, stored: f64) -> (f64, bool) {
        match self {
            SigmaForm::Error => (stored, false),
            SigmaForm::Variance => (stored.sqrt(), false),
            SigmaForm::InverseVariance if stored > 0.0 => (1.0 / stored.sqrt(), false),
            SigmaForm::InverseVariance => (0.0, true),
        }
    }

    /// The `sigma_from` metadata text.
    pub fn description(self) -> &'static str {
        match self {
            SigmaForm::Error => "error",
            SigmaForm::InverseVariance => "inverse variance (1/sqrt(ivar); ivar = 0 masked)",
            SigmaForm::Variance => "variance (sqrt(var))",
        }
    }
}

/// A block a file holds that is not a plottable spectrum (a peak table, an NMR or mass
/// spectrum): reported by `inspect`, refused with its reason by `open`.
#[derive(Clone, Debug, PartialEq)]
pub struct NotSpectrum {
    pub name: String,
    pub n_points: usize,
    /// The x unit as the file writes it.
    pub x_unit: String,
    pub y_unit: String,
    pub reason: String,
}

/// What a warning is about, so that frontends act on the kind, never on the words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningKind {
    /// The file was not UTF-8 and was read as Latin-1.
    Encoding,
    /// Columns were chosen by position because nothing named them.
    ColumnsGuessed,
    /// A unit was assumed because the file did not state it.
    UnitAssumed,
    /// Rows or points with NaN, missing or invalid values were dropped.
    RowsDropped,
    /// Samples were reordered to increasing wavelength.
    Reordered,
    /// The medium (air or vacuum) was taken from a convention.
    MediumAssumed,
    /// Other HDUs of the FITS file also hold spectra (the app offers its HDU chooser).
    OtherHdusHoldSpectra,
    /// Points were kept but masked because their uncertainty carries no information
    /// (σ ≤ 0 or not finite).
    PointsMasked,
    /// Every sample is masked: nothing usable to plot.
    FullyMasked,
    /// A format's own check values did not match (JCAMP-DX DIF, abscissae).
    ChecksFailed,
}

/// Something the user should know about what was read: the spectrum it concerns (by
/// name; `None` for the whole file), its kind, and the words. Displays as
/// `"<spectrum>: <message>"` (or just the message), the text `inspect` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub spectrum: Option<String>,
    pub kind: WarningKind,
    pub message: String,
}

impl Warning {
    /// A warning about the whole file.
    pub fn file(kind: WarningKind, message: impl Into<String>) -> Self {
        Self {
            spectrum: None,
            kind,
            message: message.into(),
        }
    }

    /// A warning about one spectrum or block of the file.
    pub fn about(spectrum: &str, kind: WarningKind, message: impl Into<String>) -> Self {
        Self {
            spectrum: Some(spectrum.to_string()),
            kind,
            message: message.into(),
        }
    }

    /// Whether this warning concerns the spectrum or block `name` (file-wide ones do).
    pub fn concerns(&self, name: &str) -> bool {
        self.spectrum.as_deref().is_none_or(|s| s == name)
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.spectrum {
            Some(name) => write!(f, "{name}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What a reader produced: one or more spectra, the format name and any warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// Short format name for `inspect` (`csv`, …).
    pub format: &'static str,
    /// The spectra read (a multi-spectrum file gives several).
    pub spectra: Vec<Spectrum>,
    /// Things the user should know (rows dropped, units assumed, …), in the order found.
    pub warnings: Vec<Warning>,
    /// Blocks that were read but are not plottable spectra.
    pub not_spectra: Vec<NotSpectrum>,
}

impl Loaded {
    /// The warnings that concern the spectrum or block called `name`: those about the
    /// whole file, and its own, not those about another.
    pub fn warnings_for(&self, name: &str) -> Vec<Warning> {
        self.warnings
            .iter()
            .filter(|w| w.concerns(name))
            .cloned()
            .collect()
    }

    /// [`Loaded::warnings_for`] of every spectrum, in order.
    pub fn warnings_per_spectrum(&self) -> Vec<Vec<Warning>> {
        self.spectra
            .iter()
            .map(|s| self.warnings_for(&s.name))
            .collect()
    }
}

/// A file read for the session: each spectrum with the warnings that concern it, the
/// format, and the sha256 of the file's bytes (for provenance).
#[derive(Clone, Debug)]
pub struct FileRead {
    pub path: PathBuf,
    pub format: &'static str,
    pub spectra: Vec<(Spectrum, Vec<Warning>)>,
    pub source_sha256: Option<String>,
}

/// Reads a file that must hold at least one plottable spectrum (blocks that are not
/// spectra make the error's reason when nothing else is there).
pub fn read_spectra(path: &Path, options: &ReadOptions) -> Result<FileRead, IngestError> {
    let loaded = load_path(path, options)?;
    if loaded.spectra.is_empty() {
        let reason = loaded
            .not_spectra
            .first()
            .map(|n| n.reason.clone())
            .unwrap_or_else(|| "nothing to plot".into());
        return Err(IngestError {
            path: path.to_path_buf(),
            problem: IngestProblem::NotASpectrum(reason),
        });
    }
    // The original bytes' hash, for provenance (read again: ingest may have decoded them).
    let source_sha256 = std::fs::read(path).ok().map(|b| crate::ids::sha256_hex(&b));
    let warnings = loaded.warnings_per_spectrum();
    Ok(FileRead {
        path: path.to_path_buf(),
        format: loaded.format,
        spectra: loaded.spectra.into_iter().zip(warnings).collect(),
        source_sha256,
    })
}

/// What went wrong reading a file, without the path (see [`IngestError`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IngestProblem {
    #[error("no such file")]
    NotFound,
    #[error("is a directory, not a file")]
    IsDirectory,
    #[error("permission denied")]
    PermissionDenied,
    #[error("cannot read: {0}")]
    Io(String),
    #[error("empty file")]
    Empty,
    #[error("binary data, not a text table ({0})")]
    Binary(String),
    #[error("only one column found; need at least x and y")]
    SingleColumn,
    #[error("no usable data: {0}")]
    NoData(String),
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("duplicate x value {x} on lines {line_a} and {line_b}")]
    DuplicateX {
        x: f64,
        line_a: usize,
        line_b: usize,
    },
    #[error("{0}")]
    BadColumn(String),
    #[error("{0}")]
    Invalid(SpectrumError),
    #[error("{0} files are not supported by this version")]
    Unsupported(&'static str),
    #[error("not valid FITS: {0}")]
    BadFits(String),
    #[error("{0}")]
    ReaderFailed(String),
    #[error("JCAMP-DX {0}")]
    Jcamp(jcamp::JcampError),
    #[error("holds no plottable spectrum: {0}")]
    NotASpectrum(String),
    #[error("no spectrum '{wanted}' (it holds {count}: {names})")]
    NoSuchSpectrum {
        wanted: String,
        count: usize,
        /// The first names, numbered as `--spectrum` takes them.
        names: String,
    },
}

/// A read failure: the file and the problem, displayed as one line `FILE: problem`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct IngestError {
    pub path: PathBuf,
    pub problem: IngestProblem,
}

/// The formats the workbench recognises by file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv,
    Fits,
    Jcamp,
}

impl Format {
    /// Guesses the format from the file name; unknown extensions are tried as text.
    pub fn from_path(path: &Path) -> Format {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let stem = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "fits" | "fit" | "fts" => Format::Fits,
            "jdx" | "dx" | "jcm" | "jcamp" => Format::Jcamp,
            _ => Format::Csv,
        }
    }
}

/// How many leading bytes are checked for binary content before the whole file is read.
const SNIFF_BYTES: usize = 64 * 1024;

/// Reads a file as text: rejects directories, binary data (NUL bytes or control
/// characters in the first 64 KiB) before reading the rest, and decodes UTF-8, falling
/// back to Latin-1 with a warning.
pub fn read_text(path: &Path, warnings: &mut Vec<Warning>) -> Result<String, IngestProblem> {
    let meta = std::fs::metadata(path).map_err(|e| io_problem(&e))?;
    if meta.is_dir() {
        return Err(IngestProblem::IsDirectory);
    }
    let mut file = File::open(path).map_err(|e| io_problem(&e))?;
    let mut head = vec![0u8; SNIFF_BYTES.min(meta.len() as usize).max(1)];
    let n = read_up_to(&mut file, &mut head).map_err(|e| io_problem(&e))?;
    head.truncate(n);
    if n == 0 {
        return Err(IngestProblem::Empty);
    }
    if utf16_order(&head).is_some() {
        // UTF-16 text (a common Windows export) holds NUL bytes: decode before sniffing.
        let mut bytes = head;
        file.read_to_end(&mut bytes).map_err(|e| io_problem(&e))?;
        return decode_utf16(&bytes);
    }
    if let Some(pos) = head.iter().position(|&b| is_binary_byte(b)) {
        return Err(IngestProblem::Binary(format!(
            "byte 0x{:02x} at offset {pos}",
            head[pos]
        )));
    }
    let mut bytes = head;
    // Room for the whole file at once: growing by doubling would copy it and touch
    // about twice its size in fresh pages.
    bytes.reserve_exact((meta.len() as usize).saturating_sub(bytes.len()) + 1);
    file.read_to_end(&mut bytes).map_err(|e| io_problem(&e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix(UTF8_BOM) {
            Some(rest) => rest.to_string(),
            None => text,
        }),
        Err(err) => {
            let bytes = err.into_bytes();
            if let Some(pos) = bytes.iter().position(|&b| is_binary_byte(b)) {
                return Err(IngestProblem::Binary(format!(
                    "byte 0x{:02x} at offset {pos}",
                    bytes[pos]
                )));
            }
            warnings.push(Warning::file(
                WarningKind::Encoding,
                "file is not UTF-8; read as Latin-1",
            ));
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
    }
}

/// The byte-order mark some editors put first in UTF-8 text (not part of the header).
const UTF8_BOM: char = '\u{feff}';

/// Whether `bytes` start with a UTF-16 byte-order mark: `Some(true)` little-endian.
fn utf16_order(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xff, 0xfe, ..] => Some(true),
        [0xfe, 0xff, ..] => Some(false),
        _ => None,
    }
}

/// Decodes UTF-16 text with its byte-order mark (which is dropped).
fn decode_utf16(bytes: &[u8]) -> Result<String, IngestProblem> {
    let little = utf16_order(bytes)
        .ok_or_else(|| IngestProblem::Binary("no UTF-16 byte-order mark".into()))?;
    let body = &bytes[2..];
    if !body.len().is_multiple_of(2) {
        return Err(IngestProblem::Binary(format!(
            "UTF-16 text with an odd number of bytes ({})",
            bytes.len()
        )));
    }
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|c| {
            if little {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    String::from_utf16(&units).map_err(|_| {
        IngestProblem::Binary("UTF-16 byte-order mark, but not valid UTF-16 text".into())
    })
}

/// NUL and C0 control characters other than tab, LF, CR and form feed never occur in
/// text tables.
fn is_binary_byte(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

pub(crate) fn io_problem(e: &std::io::Error) -> IngestProblem {
    match e.kind() {
        std::io::ErrorKind::NotFound => IngestProblem::NotFound,
        std::io::ErrorKind::PermissionDenied => IngestProblem::PermissionDenied,
        std::io::ErrorKind::IsADirectory => IngestProblem::IsDirectory,
        _ => IngestProblem::Io(e.to_string()),
    }
}

/// Display name of a file: its file name, never its full path (paths can hold user names).
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

/// Recognises a format by content where the name says nothing certain: FITS by
/// `SIMPLE  =` (or gzip around it, for `.fits.gz`), JCAMP-DX by a leading `##` record.
fn sniff(path: &Path, by_name: Format) -> Format {
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if head.starts_with(b"SIMPLE  =") {
        return Format::Fits;
    }
    if by_name == Format::Csv {
        let text = String::from_utf8_lossy(head);
        if jcamp::looks_like_jcamp(&text) {
            return Format::Jcamp;
        }
    }
    by_name
}

/// Reads a spectrum file of any supported format.
pub fn load_path(path: &Path, options: &ReadOptions) -> Result<Loaded, IngestError> {
    let wrap = |problem| IngestError {
        path: path.to_path_buf(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| wrap(io_problem(&e)))?;
    if meta.is_dir() {
        return Err(wrap(IngestProblem::IsDirectory));
    }
    let name = display_name(path);
    let mut loaded = match sniff(path, Format::from_path(path)) {
        Format::Fits => fits::load(path, &name, options).map_err(wrap),
        Format::Jcamp => {
            let mut warnings = Vec::new();
            let text = read_text(path, &mut warnings).map_err(wrap)?;
            let mut loaded = parse_jcamp_text(&text, &name, options).map_err(wrap)?;
            warnings.append(&mut loaded.warnings);
            loaded.warnings = warnings;
            Ok(loaded)
        }
        Format::Csv => {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            let streamed = if size >= csv::STREAM_BYTES {
                csv::read_csv_file(path, &name, options, size).map_err(wrap)?
            } else {
                None
            };
            match streamed {
                Some(loaded) => Ok(loaded),
                None => {
                    let mut warnings = Vec::new();
                    let text = read_text(path, &mut warnings).map_err(wrap)?;
                    let mut loaded = csv::parse_csv(&text, &name, options).map_err(wrap)?;
                    warnings.append(&mut loaded.warnings);
                    loaded.warnings = warnings;
                    Ok(loaded)
                }
            }
        }
    }?;
    if let Some(wanted) = &options.spectrum {
        select_spectrum(&mut loaded, wanted).map_err(wrap)?;
    }
    for s in &loaded.spectra {
        if s.is_fully_masked() {
            loaded.warnings.push(Warning::about(
                &s.name,
                WarningKind::FullyMasked,
                format!(
                    "{FULLY_MASKED} (inverse variance 0 or a mask bit at every point: no usable data)"
                ),
            ));
        }
    }
    Ok(loaded)
}

/// Keeps only the spectrum `wanted` names (see [`ReadOptions::spectrum`]), with the
/// warnings that concern it; blocks that are not spectra are dropped too.
fn select_spectrum(loaded: &mut Loaded, wanted: &str) -> Result<(), IngestProblem> {
    let wanted_trimmed = wanted.trim();
    let bracketed = |name: &str| {
        name.strip_suffix(']')
            .and_then(|n| n.rsplit_once('['))
            .map(|(_, inner)| inner.trim().to_string())
    };
    let index = match wanted_trimmed.parse::<usize>() {
        Ok(k) if (1..=loaded.spectra.len()).contains(&k) => Some(k - 1),
        Ok(_) => None,
        Err(_) => loaded.spectra.iter().position(|s| {
            s.name == wanted_trimmed || bracketed(&s.name).as_deref() == Some(wanted_trimmed)
        }),
    };
    let Some(index) = index else {
        const SHOWN: usize = 12;
        let mut names: Vec<String> = loaded
            .spectra
            .iter()
            .take(SHOWN)
            .enumerate()
            .map(|(k, s)| match bracketed(&s.name) {
                Some(inner) => format!("{} [{inner}]", k + 1),
                None => format!("{} {}", k + 1, s.name),
            })
            .collect();
        if loaded.spectra.len() > SHOWN {
            names.push("…".into());
        }
        return Err(IngestProblem::NoSuchSpectrum {
            wanted: wanted.to_string(),
            count: loaded.spectra.len(),
            names: names.join(", "),
        });
    };
    loaded.warnings = loaded.warnings_for(&loaded.spectra[index].name);
    let kept = loaded.spectra.swap_remove(index);
    loaded.spectra = vec![kept];
    loaded.not_spectra.clear();
    Ok(())
}

/// The words of the warning given for a spectrum whose every sample is masked (the GUI
/// also uses them in its one summary notice per file).
pub const FULLY_MASKED: &str = "every sample is masked";

/// Parses JCAMP-DX text into spectra and reports.
pub fn parse_jcamp_text(
    text: &str,
    name: &str,
    options: &ReadOptions,
) -> Result<Loaded, IngestProblem> {
    let blocks = jcamp::parse_jcamp(
        text,
        jcamp::JcampOptions {
            strict: options.strict,
        },
    )
    .map_err(IngestProblem::Jcamp)?;
    jcamp::to_loaded(name, blocks)
}

/// Parses in-memory bytes that came with a file name (bundled samples, drag-and-drop
/// payloads without a path). FITS needs a file (its reader is a separate process).
pub fn load_bytes(name: &str, bytes: &[u8], options: &ReadOptions) -> Result<Loaded, IngestError> {
    let wrap = |problem| IngestError {
        path: PathBuf::from(name),
        problem,
    };
    let format = if bytes.starts_with(b"SIMPLE  =") {
        Format::Fits
    } else {
        Format::from_path(Path::new(name))
    };
    if format == Format::Fits {
        return Err(wrap(IngestProblem::ReaderFailed(
            "FITS data can only be opened from a file".into(),
        )));
    }
    let utf16;
    let text: &str = if utf16_order(bytes).is_some() {
        utf16 = decode_utf16(bytes).map_err(wrap)?;
        &utf16
    } else {
        if let Some(pos) = bytes
            .iter()
            .take(SNIFF_BYTES)
            .position(|&b| is_binary_byte(b))
        {
            return Err(wrap(IngestProblem::Binary(format!(
                "byte 0x{:02x} at offset {pos}",
                bytes[pos]
            ))));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| wrap(IngestProblem::Binary(format!("not UTF-8: {e}"))))?;
        text.strip_prefix(UTF8_BOM).unwrap_or(text)
    };
    if format == Format::Jcamp || jcamp::looks_like_jcamp(text) {
        return parse_jcamp_text(text, name, options).map_err(wrap);
    }
    csv::parse_csv(text, name, options).map_err(wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_for_keeps_file_warnings_and_its_own_not_others() {
        let spectrum =
            |name: &str| Spectrum::new(name, vec![1.0, 2.0], vec![0.0, 0.0], None).unwrap();
        let loaded = Loaded {
            format: "fits",
            spectra: vec![spectrum("f [s 1]"), spectrum("f [s 10]")],
            warnings: vec![
                Warning::file(WarningKind::ColumnsGuessed, "layout guessed"),
                Warning::about("f [s 1]", WarningKind::RowsDropped, "2 point(s) dropped"),
                Warning::about(
                    "f [s 10]",
                    WarningKind::FullyMasked,
                    "every sample is masked",
                ),
                // A name that is a prefix of another must not capture its warnings.
                Warning::about("f [s 1]0", WarningKind::RowsDropped, "not ours"),
            ],
            not_spectra: Vec::new(),
        };
        let texts = |ws: Vec<Warning>| ws.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            texts(loaded.warnings_for("f [s 1]")),
            vec![
                "layout guessed".to_string(),
                "f [s 1]: 2 point(s) dropped".into()
            ]
        );
        assert_eq!(
            texts(loaded.warnings_for("f [s 10]")),
            vec![
                "layout guessed".to_string(),
                "f [s 10]: every sample is masked".into()
            ]
        );
        assert_eq!(
            loaded.warnings_per_spectrum(),
            vec![
                loaded.warnings_for("f [s 1]"),
                loaded.warnings_for("f [s 10]")
            ]
        );
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::from_path(Path::new("a.fits.gz")), Format::Fits);
        assert_eq!(Format::from_path(Path::new("A.FIT")), Format::Fits);
        assert_eq!(Format::from_path(Path::new("x.jdx")), Format::Jcamp);
        assert_eq!(Format::from_path(Path::new("x.csv")), Format::Csv);
        assert_eq!(Format::from_path(Path::new("noext")), Format::Csv);
    }

    #[test]
    fn binary_bytes_are_rejected_before_parsing() {
        let err = load_bytes("x.csv", b"\x00\x01garbage", &ReadOptions::default()).unwrap_err();
        assert!(matches!(err.problem, IngestProblem::Binary(_)));
        assert_eq!(err.to_string().split(':').next(), Some("x.csv"));
    }
}
