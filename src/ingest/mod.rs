//! Reading spectra from files: format detection, size and content sniffing, and the error
//! type that names the file and the problem. The file system is touched only here (and in
//! store and bundle code).

pub mod csv;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::spectrum::{Spectrum, SpectrumError};

pub use self::csv::{ColumnRef, CsvOptions};

/// What a reader produced: one or more spectra, the format name and any warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// Short format name for `inspect` (`csv`, …).
    pub format: &'static str,
    /// The spectra read (a multi-spectrum file gives several).
    pub spectra: Vec<Spectrum>,
    /// Things the user should know (rows dropped, units assumed, …), in the order found.
    pub warnings: Vec<String>,
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
pub fn read_text(path: &Path, warnings: &mut Vec<String>) -> Result<String, IngestProblem> {
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
    if let Some(pos) = head.iter().position(|&b| is_binary_byte(b)) {
        return Err(IngestProblem::Binary(format!(
            "byte 0x{:02x} at offset {pos}",
            head[pos]
        )));
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(|e| io_problem(&e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let bytes = err.into_bytes();
            if let Some(pos) = bytes.iter().position(|&b| is_binary_byte(b)) {
                return Err(IngestProblem::Binary(format!(
                    "byte 0x{:02x} at offset {pos}",
                    bytes[pos]
                )));
            }
            warnings.push("file is not UTF-8; read as Latin-1".into());
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
    }
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

fn io_problem(e: &std::io::Error) -> IngestProblem {
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

/// Reads a spectrum file of any supported format.
pub fn load_path(path: &Path, csv_options: &CsvOptions) -> Result<Loaded, IngestError> {
    let wrap = |problem| IngestError {
        path: path.to_path_buf(),
        problem,
    };
    match Format::from_path(path) {
        Format::Fits => Err(wrap(IngestProblem::Unsupported("FITS"))),
        Format::Jcamp => Err(wrap(IngestProblem::Unsupported("JCAMP-DX"))),
        Format::Csv => {
            let mut warnings = Vec::new();
            let text = read_text(path, &mut warnings).map_err(wrap)?;
            let mut loaded =
                csv::parse_csv(&text, &display_name(path), csv_options).map_err(wrap)?;
            warnings.append(&mut loaded.warnings);
            loaded.warnings = warnings;
            Ok(loaded)
        }
    }
}

/// Parses in-memory bytes that came with a file name (bundled samples, drag-and-drop
/// payloads without a path).
pub fn load_bytes(
    name: &str,
    bytes: &[u8],
    csv_options: &CsvOptions,
) -> Result<Loaded, IngestError> {
    let wrap = |problem| IngestError {
        path: PathBuf::from(name),
        problem,
    };
    match Format::from_path(Path::new(name)) {
        Format::Fits => Err(wrap(IngestProblem::Unsupported("FITS"))),
        Format::Jcamp => Err(wrap(IngestProblem::Unsupported("JCAMP-DX"))),
        Format::Csv => {
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
            csv::parse_csv(text, name, csv_options).map_err(wrap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let err = load_bytes("x.csv", b"\x00\x01garbage", &CsvOptions::default()).unwrap_err();
        assert!(matches!(err.problem, IngestProblem::Binary(_)));
        assert_eq!(err.to_string().split(':').next(), Some("x.csv"));
    }
}
