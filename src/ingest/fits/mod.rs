//! FITS spectra: a Rust structure check ([`header`]), the layout rules that decide which
//! HDUs and columns make a spectrum (this module, pure), and the isolated reader
//! ([`child`]) that runs cfitsio in a child process with a wall-clock and a memory limit.
//!
//! Why a child: the bundled cfitsio (3.49) predates fixes for memory-safety bugs on
//! malformed files. The header check catches what it can before any C call; whatever
//! slips through can crash or hang only the child, which becomes a clean error.
//!
//! Layouts: a 1-D image with a linear or log-linear WCS (`CTYPE1 = WAVE/AWAV[-LOG]`,
//! IRAF `DC-FLAG = 1`); SpeX-style 2-D images whose rows are λ / flux / σ [/ flags];
//! binary tables with wavelength (or SDSS `loglam`) / flux / error, inverse-variance or
//! variance columns, one spectrum per row when the columns are vectors (HST x1d); and
//! DESI-style arms (`B_WAVELENGTH`, `B_FLUX`, `B_IVAR`, `B_MASK`), one dataset per
//! spectrum and arm.

pub mod child;
pub mod header;

use std::io::{Read, Seek};
use std::path::Path;

use self::header::{Hdu, HduKind};
use super::{IngestProblem, Loaded, ReadOptions, SigmaForm, Warning, WarningKind};
use crate::ingest::ColumnRef;
use crate::spectrum::{Medium, Spectrum};
use crate::units::XUnit;

/// Checks a FITS file's structure without loading its data: a plain file is scanned with
/// seeks, a gzipped one (detected by its magic bytes) by streaming decompression.
pub fn scan_file(path: &Path) -> Result<Vec<Hdu>, IngestProblem> {
    let meta = std::fs::metadata(path).map_err(|e| super::io_problem(&e))?;
    if meta.is_dir() {
        return Err(IngestProblem::IsDirectory);
    }
    if meta.len() == 0 {
        return Err(IngestProblem::Empty);
    }
    let mut file = std::fs::File::open(path).map_err(|e| super::io_problem(&e))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(|e| super::io_problem(&e))?;
    file.rewind().map_err(|e| super::io_problem(&e))?;
    let scanned = if n == 2 && magic == [0x1f, 0x8b] {
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        header::scan_blocks(&mut header::StreamBlocks(
            flate2::read::MultiGzDecoder::new(reader),
        ))
    } else {
        header::scan_blocks(&mut header::SeekBlocks::new(file, meta.len()))
    };
    scanned.map_err(|e| IngestProblem::BadFits(e.to_string()))
}

/// Checks a gzipped FITS stream by decompressing as it goes (nothing is kept but headers).
pub fn scan_gzip<R: Read>(reader: R) -> Result<Vec<Hdu>, header::HeaderProblem> {
    header::scan_blocks(&mut header::StreamBlocks(
        flate2::read::MultiGzDecoder::new(reader),
    ))
}

/// One array the child reads with cfitsio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// All `n` elements of the image in HDU `hdu` (0-based), as f64 with scaling applied.
    Image { hdu: usize, n: u64 },
    /// `n` elements of column `col` (1-based) of the table in HDU `hdu`, row-major.
    Column { hdu: usize, col: usize, n: u64 },
}

impl Request {
    /// The command-line form passed to the child.
    pub fn to_arg(&self) -> String {
        match self {
            Request::Image { hdu, n } => format!("i:{hdu}:{n}"),
            Request::Column { hdu, col, n } => format!("c:{hdu}:{col}:{n}"),
        }
    }

    /// Parses [`Request::to_arg`]'s form.
    pub fn from_arg(text: &str) -> Option<Request> {
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["i", h, n] => Some(Request::Image {
                hdu: h.parse().ok()?,
                n: n.parse().ok()?,
            }),
            ["c", h, c, n] => Some(Request::Column {
                hdu: h.parse().ok()?,
                col: c.parse().ok()?,
                n: n.parse().ok()?,
            }),
            _ => None,
        }
    }

    /// Elements this request returns.
    pub fn len(&self) -> u64 {
        match self {
            Request::Image { n, .. } | Request::Column { n, .. } => *n,
        }
    }

    /// Whether the request returns nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a vector of a planned spectrum comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// `len` elements from request `req`, starting at `offset`.
    Array {
        req: usize,
        offset: usize,
        len: usize,
    },
    /// `len` elements from request `req`: the first at `offset`, then every `stride`-th
    /// (a SpeX image stored transposed, one point per row).
    Strided {
        req: usize,
        offset: usize,
        stride: usize,
        len: usize,
    },
    /// Computed in Rust from the header (a WCS axis), already in the file's unit.
    Computed(Vec<f64>),
}

/// The x unit of a FITS axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FitsXUnit {
    Unit(XUnit),
    Metre,
    /// log10 of wavelength in Å (SDSS `loglam`).
    Log10Angstrom,
}

impl FitsXUnit {
    fn to_nm(self, v: f64) -> f64 {
        match self {
            FitsXUnit::Unit(u) => u.to_nm(v),
            FitsXUnit::Metre => v * 1e9,
            FitsXUnit::Log10Angstrom => 10f64.powf(v) / 10.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FitsXUnit::Unit(u) => u.cli_name(),
            FitsXUnit::Metre => "m",
            FitsXUnit::Log10Angstrom => "log10(angstrom)",
        }
    }
}

/// One spectrum to build once the arrays are read.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub name: String,
    pub x: Source,
    pub x_unit: FitsXUnit,
    pub y: Source,
    pub sigma: Option<(Source, SigmaForm)>,
    /// Non-zero = masked (DESI `*_MASK`, SpeX flags are not a mask and are not used).
    pub mask: Option<Source>,
    pub y_unit: String,
    pub medium: Medium,
    pub instrument: String,
    pub metadata: Vec<(String, String)>,
}

/// What to read and what to build from it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub requests: Vec<Request>,
    pub spectra: Vec<Planned>,
    pub warnings: Vec<Warning>,
}

/// Header keywords copied into a spectrum's metadata (from the HDU, else the primary).
const KEPT_KEYS: &[&str] = &[
    "OBJECT", "TELESCOP", "INSTRUME", "DATE-OBS", "DATE_OBS", "TIME_OBS", "MJD-OBS", "MJD_OBS",
    "RA", "DEC", "TCS_RA", "TCS_DEC", "RP", "SPECRES", "EXPTIME", "ITIME", "SPECSYS", "BUNIT",
    "CTYPE1", "CUNIT1", "WAVETYPE", "AIRORVAC",
    // What a barycentric correction needs besides the above (`transforms::observation`).
    "TIME-OBS", "UT", "OBSERVAT", "OBSGEO-L", "OBSGEO-B", "OBSGEO-H",
];

/// A keyword from the HDU, else from the primary header (inherited keywords).
fn key<'a>(hdus: &'a [Hdu], hdu: &'a Hdu, k: &str) -> Option<&'a str> {
    hdu.get(k)
        .or_else(|| hdus.first().and_then(|p| p.get(k)))
        .filter(|v| !v.is_empty())
}

fn x_unit_from_text(text: &str) -> Option<FitsXUnit> {
    let t = text.trim();
    match t.to_lowercase().as_str() {
        "m" | "meter" | "meters" | "metre" | "metres" => Some(FitsXUnit::Metre),
        "angstroms" | "angstrom" | "angstroem" => Some(FitsXUnit::Unit(XUnit::Angstrom)),
        _ => XUnit::parse_name(t).map(FitsXUnit::Unit),
    }
}

fn medium_of(hdus: &[Hdu], hdu: &Hdu) -> Medium {
    if let Some(ct) = key(hdus, hdu, "CTYPE1") {
        let ct = ct.to_uppercase();
        if ct.starts_with("AWAV") {
            return Medium::Air;
        }
        if ct.starts_with("WAVE") {
            return Medium::Vacuum;
        }
    }
    for k in ["WAVETYPE", "AIRORVAC", "VACUUM"] {
        if let Some(v) = key(hdus, hdu, k) {
            let v = v.trim().to_lowercase();
            if v.starts_with("air") || (k == "VACUUM" && v == "f") {
                return Medium::Air;
            }
            if v.starts_with("vac") || (k == "VACUUM" && v == "t") {
                return Medium::Vacuum;
            }
        }
    }
    Medium::Unknown
}

/// The medium an IVOA UCD on the wavelength column states (ESO Phase 3 and other VO
/// products write `TUCDn = 'em.wl;obs.atmos'` for air wavelengths).
fn column_ucd_medium(hdu: &Hdu, column: usize) -> Medium {
    match hdu.get(&format!("TUCD{column}")) {
        Some(ucd) if ucd.to_ascii_lowercase().contains("em.wl") => {
            if ucd.to_ascii_lowercase().contains("obs.atmos") {
                Medium::Air
            } else {
                Medium::Unknown
            }
        }
        _ => Medium::Unknown,
    }
}

fn instrument_of(hdus: &[Hdu], hdu: &Hdu) -> String {
    let parts: Vec<&str> = ["TELESCOP", "INSTRUME"]
        .iter()
        .filter_map(|k| key(hdus, hdu, k))
        .collect();
    parts.join(" / ")
}

fn metadata_of(hdus: &[Hdu], hdu: &Hdu, file_x_unit: &str) -> Vec<(String, String)> {
    let mut m: Vec<(String, String)> = KEPT_KEYS
        .iter()
        .filter_map(|k| key(hdus, hdu, k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    m.push((
        "fits_hdu".into(),
        if hdu.name.is_empty() {
            hdu.index.to_string()
        } else {
            format!("{} ({})", hdu.index, hdu.name)
        },
    ));
    m.push(("x_unit_in_file".into(), file_x_unit.to_string()));
    m
}

/// The chosen HDU (`--hdu`: a 0-based index or an `EXTNAME`).
fn chosen<'a>(hdus: &'a [Hdu], choice: &str) -> Result<&'a Hdu, IngestProblem> {
    let found = match choice.trim().parse::<usize>() {
        Ok(i) => hdus.get(i),
        Err(_) => hdus
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(choice.trim())),
    };
    found.ok_or_else(|| {
        IngestProblem::BadColumn(format!(
            "no HDU '{choice}'; the file has {}",
            hdu_list(hdus)
        ))
    })
}

/// A one-line list of HDUs for errors and warnings: `0 PRIMARY (image 811×4), 1 …`.
pub fn hdu_list(hdus: &[Hdu]) -> String {
    hdus.iter()
        .map(|h| {
            let kind = match h.kind {
                HduKind::Image => "image",
                HduKind::BinTable => "table",
                HduKind::AsciiTable => "ascii table",
                HduKind::Other => "other",
            };
            let dims: Vec<String> = h.naxes.iter().map(u64::to_string).collect();
            format!("{} {} ({kind} {})", h.index, h.name, dims.join("×")).replace("  ", " ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The words of the warning that says other HDUs hold spectra too (the GUI offers its HDU
/// chooser when a load carries it).
pub const OTHER_HDUS_HOLD_SPECTRA: &str = "also hold spectra";

/// Decides what to read. Pure: headers and options in, a plan out.
pub fn plan(name: &str, hdus: &[Hdu], options: &ReadOptions) -> Result<Plan, IngestProblem> {
    let mut plan = Plan::default();
    if options.hdu.is_none() && plan_desi(name, hdus, &mut plan)? {
        return Ok(plan);
    }
    let candidates: Vec<&Hdu> = match &options.hdu {
        Some(choice) => vec![chosen(hdus, choice)?],
        None => hdus.iter().collect(),
    };
    let mut found = Vec::new();
    let mut first_error = None;
    for hdu in candidates {
        let attempt = match hdu.kind {
            HduKind::Image => plan_image(name, hdus, hdu, options),
            HduKind::BinTable => plan_table(name, hdus, hdu, options),
            _ => Ok(None),
        };
        match attempt {
            Ok(Some(p)) => found.push((hdu.index, p)),
            Ok(None) => {}
            Err(e) => {
                if options.hdu.is_some() {
                    return Err(e);
                }
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((index, mut p)) = (!found.is_empty()).then(|| found.remove(0)) else {
        return Err(first_error.unwrap_or_else(|| {
            IngestProblem::NoData(format!(
                "no HDU holds a spectrum layout this reader knows; HDUs: {}",
                hdu_list(hdus)
            ))
        }));
    };
    if !found.is_empty() {
        let others: Vec<String> = found.iter().map(|(i, _)| i.to_string()).collect();
        p.warnings.push(Warning::file(
            WarningKind::OtherHdusHoldSpectra,
            format!(
                "read HDU {index}; HDU(s) {} {OTHER_HDUS_HOLD_SPECTRA} (choose with --hdu, or in the app's HDU window)",
                others.join(", ")
            ),
        ));
    }
    Ok(p)
}

/// DESI-style arms: `<ARM>_WAVELENGTH` (1-D) with `<ARM>_FLUX` (nwave × nspec) and
/// optional `<ARM>_IVAR`, `<ARM>_MASK`.
fn plan_desi(name: &str, hdus: &[Hdu], plan: &mut Plan) -> Result<bool, IngestProblem> {
    let by_name = |n: &str| hdus.iter().find(|h| h.name.eq_ignore_ascii_case(n));
    let mut any = false;
    for wave in hdus
        .iter()
        .filter(|h| h.name.to_uppercase().ends_with("_WAVELENGTH"))
    {
        let arm = &wave.name[..wave.name.len() - "_WAVELENGTH".len()];
        let Some(flux) = by_name(&format!("{arm}_FLUX")) else {
            continue;
        };
        let nwave = wave.n_elements();
        if wave.naxes.len() != 1 || flux.naxes.first() != Some(&nwave) || flux.naxes.len() > 2 {
            return Err(IngestProblem::NoData(format!(
                "arm {arm}: {}_FLUX does not match {}_WAVELENGTH's {nwave} points",
                arm, arm
            )));
        }
        any = true;
        let nspec = flux.naxes.get(1).copied().unwrap_or(1) as usize;
        let nwave = nwave as usize;
        let mut push = |r: Request| {
            plan.requests.push(r);
            plan.requests.len() - 1
        };
        let wreq = push(Request::Image {
            hdu: wave.index,
            n: nwave as u64,
        });
        let freq = push(Request::Image {
            hdu: flux.index,
            n: flux.n_elements(),
        });
        let same_shape = |h: &&Hdu| h.naxes == flux.naxes && h.kind == HduKind::Image;
        let ireq = by_name(&format!("{arm}_IVAR")).filter(same_shape).map(|h| {
            push(Request::Image {
                hdu: h.index,
                n: h.n_elements(),
            })
        });
        let mreq = by_name(&format!("{arm}_MASK")).filter(same_shape).map(|h| {
            push(Request::Image {
                hdu: h.index,
                n: h.n_elements(),
            })
        });
        let x_text = key(hdus, wave, "BUNIT").unwrap_or("Angstrom");
        let x_unit = x_unit_from_text(x_text).ok_or_else(|| {
            IngestProblem::BadColumn(format!("{}: unknown wavelength unit '{x_text}'", wave.name))
        })?;
        for s in 0..nspec {
            let arr = |req| Source::Array {
                req,
                offset: s * nwave,
                len: nwave,
            };
            let mut metadata = metadata_of(hdus, flux, x_text);
            metadata.push(("spectrum_index".into(), s.to_string()));
            plan.spectra.push(Planned {
                name: format!("{name} [{arm} arm, spectrum {}]", s + 1),
                x: Source::Array {
                    req: wreq,
                    offset: 0,
                    len: nwave,
                },
                x_unit,
                y: arr(freq),
                sigma: ireq.map(|r| (arr(r), SigmaForm::InverseVariance)),
                mask: mreq.map(arr),
                y_unit: key(hdus, flux, "BUNIT").unwrap_or("").to_string(),
                // The DESI data model states vacuum wavelengths; the files carry no keyword.
                medium: match medium_of(hdus, wave) {
                    Medium::Unknown => Medium::Vacuum,
                    m => m,
                },
                instrument: match instrument_of(hdus, flux) {
                    i if i.is_empty() => "DESI".into(),
                    i => i,
                },
                metadata,
            });
        }
    }
    if any {
        plan.warnings.push(Warning::file(
            WarningKind::MediumAssumed,
            "DESI layout: wavelengths taken as vacuum (DESI data model)",
        ));
    }
    Ok(any)
}

fn plan_image(
    name: &str,
    hdus: &[Hdu],
    hdu: &Hdu,
    options: &ReadOptions,
) -> Result<Option<Plan>, IngestProblem> {
    let label = if hdu.index == 0 {
        name.to_string()
    } else {
        format!("{name} [HDU {}]", hdu.index)
    };
    match hdu.naxes.as_slice() {
        [n] if *n >= 2 => {
            let n = *n as usize;
            let mut warnings = Vec::new();
            let crval = hdu.number("CRVAL1");
            let cdelt = hdu.number("CDELT1").or_else(|| hdu.number("CD1_1"));
            let (Some(crval), Some(cdelt)) = (crval, cdelt) else {
                return Err(IngestProblem::NoData(format!(
                    "HDU {}: a 1-D image without CRVAL1 and CDELT1/CD1_1 has no wavelength axis",
                    hdu.index
                )));
            };
            let crpix = hdu.number("CRPIX1").unwrap_or(1.0);
            let ctype = hdu.get("CTYPE1").unwrap_or("").to_uppercase();
            let dc_flag = hdu.number("DC-FLAG").unwrap_or(0.0) == 1.0;
            let unit_text = options
                .x_unit
                .map(|u| u.cli_name().to_string())
                .or_else(|| hdu.get("CUNIT1").map(str::to_string))
                .or_else(|| key(hdus, hdu, "XUNITS").map(str::to_string));
            let x_unit = match &unit_text {
                Some(t) => x_unit_from_text(t).ok_or_else(|| {
                    IngestProblem::BadColumn(format!("HDU {}: unknown CUNIT1 '{t}'", hdu.index))
                })?,
                None => {
                    warnings.push(Warning::file(
                        WarningKind::UnitAssumed,
                        "CUNIT1 not given: wavelengths taken as Å (IRAF convention)",
                    ));
                    FitsXUnit::Unit(XUnit::Angstrom)
                }
            };
            let x: Vec<f64> = (0..n)
                .map(|i| {
                    let w = (i as f64 + 1.0 - crpix) * cdelt;
                    if dc_flag {
                        10f64.powf(crval + w)
                    } else if ctype.ends_with("-LOG") {
                        // FITS WCS Paper III: λ = CRVAL·exp(w / CRVAL).
                        crval * (w / crval).exp()
                    } else {
                        crval + w
                    }
                })
                .collect();
            let mut plan = Plan {
                requests: vec![Request::Image {
                    hdu: hdu.index,
                    n: n as u64,
                }],
                spectra: Vec::new(),
                warnings,
            };
            plan.spectra.push(Planned {
                name: label,
                x: Source::Computed(x),
                x_unit,
                y: Source::Array {
                    req: 0,
                    offset: 0,
                    len: n,
                },
                sigma: None,
                mask: None,
                y_unit: key(hdus, hdu, "BUNIT").unwrap_or("").to_string(),
                medium: medium_of(hdus, hdu),
                instrument: instrument_of(hdus, hdu),
                metadata: metadata_of(hdus, hdu, x_unit.name()),
            });
            Ok(Some(plan))
        }
        // SpeX-style: rows are λ, flux, σ, [flags]; some library files store the image
        // transposed (NAXIS1 = 2..4, one point per row) and read the same.
        [n, rows] | [rows, n]
            if (2..=4).contains(rows) && *n >= 2 && (hdu.naxes[1] == *rows || *n > 4) =>
        {
            let transposed = hdu.naxes[0] == *rows && hdu.naxes[1] != *rows;
            let (n, rows) = (*n as usize, *rows as usize);
            let text = options
                .x_unit
                .map(|u| u.cli_name().to_string())
                .or_else(|| key(hdus, hdu, "XUNITS").map(str::to_string))
                .or_else(|| key(hdus, hdu, "CUNIT1").map(str::to_string));
            let mut warnings = Vec::new();
            let x_unit = match &text {
                Some(t) => x_unit_from_text(t).ok_or_else(|| {
                    IngestProblem::BadColumn(format!("HDU {}: unknown XUNITS '{t}'", hdu.index))
                })?,
                None => {
                    warnings.push(Warning::file(
                        WarningKind::UnitAssumed,
                        "XUNITS not given: wavelengths taken as µm (SpeX convention)",
                    ));
                    FitsXUnit::Unit(XUnit::Micrometer)
                }
            };
            let row = |r: usize| {
                if transposed {
                    Source::Strided {
                        req: 0,
                        offset: r,
                        stride: rows,
                        len: n,
                    }
                } else {
                    Source::Array {
                        req: 0,
                        offset: r * n,
                        len: n,
                    }
                }
            };
            let planned = Planned {
                name: label,
                x: row(0),
                x_unit,
                y: row(1),
                sigma: (rows >= 3).then(|| (row(2), SigmaForm::Error)),
                mask: None,
                y_unit: key(hdus, hdu, "YUNITS")
                    .or_else(|| key(hdus, hdu, "BUNIT"))
                    .unwrap_or("")
                    .to_string(),
                medium: medium_of(hdus, hdu),
                instrument: instrument_of(hdus, hdu),
                metadata: metadata_of(hdus, hdu, x_unit.name()),
            };
            Ok(Some(Plan {
                requests: vec![Request::Image {
                    hdu: hdu.index,
                    n: hdu.n_elements(),
                }],
                spectra: vec![planned],
                warnings,
            }))
        }
        _ => Ok(None),
    }
}

/// A binary-table column from its header cards.
#[derive(Clone, Debug)]
struct Column {
    /// 1-based.
    number: usize,
    name: String,
    unit: String,
    repeat: u64,
    numeric: bool,
}

fn columns(hdu: &Hdu) -> Vec<Column> {
    let n = hdu.number("TFIELDS").unwrap_or(0.0).clamp(0.0, 999.0) as usize;
    (1..=n)
        .map(|i| {
            let tform = hdu
                .get(&format!("TFORM{i}"))
                .unwrap_or("")
                .trim()
                .to_uppercase();
            let digits: String = tform.chars().take_while(char::is_ascii_digit).collect();
            let repeat = if digits.is_empty() {
                1
            } else {
                digits.parse().unwrap_or(0)
            };
            let code = tform[digits.len()..].chars().next().unwrap_or(' ');
            Column {
                number: i,
                name: hdu
                    .get(&format!("TTYPE{i}"))
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                unit: hdu
                    .get(&format!("TUNIT{i}"))
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                repeat,
                numeric: matches!(code, 'B' | 'I' | 'J' | 'K' | 'E' | 'D'),
            }
        })
        .collect()
}

/// One HDU as the GUI's chooser lists it: index, a description, and for tables the
/// numeric column names.
#[derive(Clone, Debug, PartialEq)]
pub struct HduSummary {
    pub index: usize,
    pub description: String,
    pub columns: Vec<String>,
}

/// Lists a file's HDUs for a person to choose from (header check only; no C code).
pub fn summarize(hdus: &[Hdu]) -> Vec<HduSummary> {
    hdus.iter()
        .map(|h| HduSummary {
            index: h.index,
            description: hdu_list(std::slice::from_ref(h)),
            columns: columns(h)
                .into_iter()
                .filter(|c| c.numeric)
                .map(|c| c.name)
                .collect(),
        })
        .collect()
}

fn pick<'a>(cols: &'a [Column], choice: Option<&ColumnRef>, names: &[&str]) -> Option<&'a Column> {
    match choice {
        Some(ColumnRef::Index(i)) => cols.iter().find(|c| c.number == *i),
        Some(ColumnRef::Name(n)) => cols.iter().find(|c| c.name.eq_ignore_ascii_case(n)),
        None => names
            .iter()
            .find_map(|n| cols.iter().find(|c| c.name.eq_ignore_ascii_case(n))),
    }
}

fn plan_table(
    name: &str,
    hdus: &[Hdu],
    hdu: &Hdu,
    options: &ReadOptions,
) -> Result<Option<Plan>, IngestProblem> {
    let cols = columns(hdu);
    let x = pick(
        &cols,
        options.x_col.as_ref(),
        &["WAVELENGTH", "WAVE", "LAMBDA", "LOGLAM", "LOGLAMBDA"],
    );
    let y = pick(
        &cols,
        options.y_col.as_ref(),
        &["FLUX", "SPECTRUM", "FLUX_DENSITY"],
    );
    let (Some(x), Some(y)) = (x, y) else {
        if options.x_col.is_some() || options.y_col.is_some() {
            let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
            return Err(IngestProblem::BadColumn(format!(
                "HDU {}: no such column; columns are {}",
                hdu.index,
                names.join(", ")
            )));
        }
        return Ok(None);
    };
    let rows = hdu.naxes.get(1).copied().unwrap_or(0);
    if rows == 0 {
        return Err(IngestProblem::NoData(format!(
            "HDU {}: the table has no rows",
            hdu.index
        )));
    }
    if !x.numeric || !y.numeric || x.repeat != y.repeat || x.repeat == 0 {
        return Err(IngestProblem::BadColumn(format!(
            "HDU {}: columns {} and {} are not numeric columns of the same length",
            hdu.index, x.name, y.name
        )));
    }
    let sigma = match &options.sigma_col {
        Some(c) => pick(&cols, Some(c), &[]).map(|c| (c, SigmaForm::Error)),
        None => [
            ("ERROR", SigmaForm::Error),
            ("ERR", SigmaForm::Error),
            ("SIGMA", SigmaForm::Error),
            ("UNCERTAINTY", SigmaForm::Error),
            ("FLUX_ERROR", SigmaForm::Error),
            ("IVAR", SigmaForm::InverseVariance),
            ("INVVAR", SigmaForm::InverseVariance),
            ("IVARIANCE", SigmaForm::InverseVariance),
            ("VAR", SigmaForm::Variance),
            ("VARIANCE", SigmaForm::Variance),
        ]
        .iter()
        .find_map(|(n, f)| pick(&cols, None, &[n]).map(|c| (c, *f))),
    }
    .filter(|(c, _)| c.numeric && c.repeat == x.repeat);
    let mut warnings = Vec::new();
    let x_unit =
        if x.name.eq_ignore_ascii_case("LOGLAM") || x.name.eq_ignore_ascii_case("LOGLAMBDA") {
            FitsXUnit::Log10Angstrom
        } else if let Some(u) = options.x_unit {
            FitsXUnit::Unit(u)
        } else if x.unit.is_empty() {
            warnings.push(Warning::file(
                WarningKind::UnitAssumed,
                format!("column {} has no TUNIT: taken as Å", x.name),
            ));
            FitsXUnit::Unit(XUnit::Angstrom)
        } else {
            x_unit_from_text(&x.unit).ok_or_else(|| {
                IngestProblem::BadColumn(format!("column {}: unknown unit '{}'", x.name, x.unit))
            })?
        };
    let n_total = rows
        .checked_mul(x.repeat)
        .ok_or(IngestProblem::NoData("table too large".into()))?;
    let mut requests = vec![
        Request::Column {
            hdu: hdu.index,
            col: x.number,
            n: n_total,
        },
        Request::Column {
            hdu: hdu.index,
            col: y.number,
            n: n_total,
        },
    ];
    let sreq = sigma.map(|(c, form)| {
        requests.push(Request::Column {
            hdu: hdu.index,
            col: c.number,
            n: n_total,
        });
        (requests.len() - 1, form)
    });
    let mut medium = medium_of(hdus, hdu);
    if medium == Medium::Unknown {
        medium = column_ucd_medium(hdu, x.number);
    }
    if medium == Medium::Unknown && x_unit == FitsXUnit::Log10Angstrom {
        medium = Medium::Vacuum;
        warnings.push(Warning::file(
            WarningKind::MediumAssumed,
            "SDSS loglam layout: wavelengths taken as vacuum (SDSS convention)",
        ));
    }
    let per_row = x.repeat > 1;
    let (count, len) = if per_row {
        (rows as usize, x.repeat as usize)
    } else {
        (1, rows as usize)
    };
    let spectra = (0..count)
        .map(|r| {
            let arr = |req| Source::Array {
                req,
                offset: r * len,
                len,
            };
            let label = match (hdu.index, per_row && count > 1) {
                (_, true) => format!("{name} [HDU {} row {}]", hdu.index, r + 1),
                (1, false) => name.to_string(),
                (i, false) => format!("{name} [HDU {i}]"),
            };
            Planned {
                name: label,
                x: arr(0),
                x_unit,
                y: arr(1),
                sigma: sreq.map(|(req, form)| (arr(req), form)),
                mask: None,
                // SDSS spec-lite tables carry no TUNIT for flux: the primary header's
                // BUNIT says it (the table's own header first, then the primary).
                y_unit: if y.unit.is_empty() {
                    key(hdus, hdu, "BUNIT").unwrap_or("").to_string()
                } else {
                    y.unit.clone()
                },
                medium,
                instrument: instrument_of(hdus, hdu),
                metadata: metadata_of(
                    hdus,
                    hdu,
                    if x.unit.is_empty() {
                        x_unit.name()
                    } else {
                        &x.unit
                    },
                ),
            }
        })
        .collect();
    Ok(Some(Plan {
        requests,
        spectra,
        warnings,
    }))
}

/// Builds spectra from a plan and the arrays the child returned.
///
/// Memory: a 1e8-point spectrum is 1.6 GB of f64 arrays, so nothing here holds a second
/// copy of one. A computed axis is moved out of the plan, and a returned array that a
/// source takes whole, for the last time, is moved out of `arrays`; values are converted,
/// filtered and masked in place in those vectors, which become the spectrum's arrays.
pub fn build(plan: Plan, mut arrays: Vec<Vec<f64>>) -> Result<Loaded, IngestProblem> {
    let mut loaded = Loaded {
        format: "fits",
        spectra: Vec::new(),
        warnings: plan.warnings,
        not_spectra: Vec::new(),
    };
    // How many sources still read each returned array: the last one may take it whole.
    let mut uses = vec![0usize; arrays.len()];
    for p in &plan.spectra {
        let sources = [
            Some(&p.x),
            Some(&p.y),
            p.sigma.as_ref().map(|(s, _)| s),
            p.mask.as_ref(),
        ];
        for src in sources.into_iter().flatten() {
            if let Source::Array { req, .. } | Source::Strided { req, .. } = src
                && let Some(u) = uses.get_mut(*req)
            {
                *u += 1;
            }
        }
    }
    let too_few = || IngestProblem::NoData("the reader returned too few values".into());
    let mut take = |src: Source| -> Result<Vec<f64>, IngestProblem> {
        match src {
            Source::Computed(v) => Ok(v),
            Source::Array { req, offset, len } => {
                let a = arrays.get_mut(req).ok_or_else(too_few)?;
                uses[req] -= 1;
                if offset == 0 && len == a.len() && uses[req] == 0 {
                    Ok(std::mem::take(a))
                } else {
                    a.get(offset..offset + len)
                        .map(<[f64]>::to_vec)
                        .ok_or_else(too_few)
                }
            }
            Source::Strided {
                req,
                offset,
                stride,
                len,
            } => {
                let a = arrays.get(req).ok_or_else(too_few)?;
                uses[req] -= 1;
                let last = offset + stride * len.saturating_sub(1);
                if len > 0 && last < a.len() {
                    Ok(a[offset..]
                        .iter()
                        .step_by(stride)
                        .take(len)
                        .copied()
                        .collect())
                } else {
                    Err(too_few())
                }
            }
        }
    };
    for p in plan.spectra {
        let mut xs = take(p.x)?;
        let mut ys = take(p.y)?;
        let mut sig = p.sigma.map(|(s, f)| take(s).map(|v| (v, f))).transpose()?;
        let mask_src = p.mask.map(&mut take).transpose()?;
        let n = xs.len();
        if ys.len() != n
            || sig.as_ref().is_some_and(|(v, _)| v.len() != n)
            || mask_src.as_ref().is_some_and(|m| m.len() != n)
        {
            return Err(too_few());
        }
        let mut mask: Vec<bool> = Vec::with_capacity(n);
        let mut dropped = 0usize;
        // Points whose σ carries no information (≤ 0, NaN, infinite): kept and masked, as
        // ivar = 0 is, so that no wavelength range shrinks silently.
        let mut bad_sigma = 0usize;
        // Kept points are moved down to `kept` (never above i): filtering in place.
        let mut kept = 0usize;
        for i in 0..n {
            let x_nm = p.x_unit.to_nm(xs[i]);
            let y = ys[i];
            let (mut sigma, mut no_information) =
                sig.as_ref().map_or((0.0, false), |(v, f)| f.sigma(v[i]));
            if !(x_nm.is_finite() && x_nm > 0.0 && y.is_finite()) {
                dropped += 1;
                continue;
            }
            if sig.is_some() && !no_information && !(sigma.is_finite() && sigma > 0.0) {
                bad_sigma += 1;
                sigma = 0.0;
                no_information = true;
            }
            xs[kept] = x_nm;
            ys[kept] = y;
            if let Some((v, _)) = sig.as_mut() {
                v[kept] = sigma;
            }
            mask.push(no_information || mask_src.as_ref().is_some_and(|m| m[i] != 0.0));
            kept += 1;
        }
        drop(mask_src);
        xs.truncate(kept);
        ys.truncate(kept);
        if let Some((v, _)) = sig.as_mut() {
            v.truncate(kept);
        }
        if bad_sigma > 0 {
            loaded.warnings.push(Warning::about(
                &p.name,
                WarningKind::PointsMasked,
                format!(
                    "{bad_sigma} point(s) with σ ≤ 0 or not finite kept and masked (no uncertainty information)"
                ),
            ));
        }
        if kept == 0 {
            return Err(IngestProblem::NoData(format!(
                "{}: no finite flux values (all {n} are NaN or invalid)",
                p.name,
            )));
        }
        if dropped > 0 {
            loaded.warnings.push(Warning::about(
                &p.name,
                WarningKind::RowsDropped,
                format!("{dropped} point(s) with NaN or invalid values dropped"),
            ));
        }
        if xs.windows(2).any(|w| w[1] < w[0]) {
            // A stable sort by x, as the points' order before (rare: one index array and
            // the reordered copies).
            let mut order: Vec<usize> = (0..kept).collect();
            order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
            xs = order.iter().map(|&i| xs[i]).collect();
            ys = order.iter().map(|&i| ys[i]).collect();
            if let Some((v, _)) = sig.as_mut() {
                *v = order.iter().map(|&i| v[i]).collect();
            }
            mask = order.iter().map(|&i| mask[i]).collect();
            loaded.warnings.push(Warning::about(
                &p.name,
                WarningKind::Reordered,
                "wavelengths were not increasing; sorted",
            ));
        }
        let sigma_form = sig.as_ref().map(|(_, f)| *f);
        let mut s = Spectrum::new(p.name.clone(), xs, ys, sig.map(|(v, _)| v))
            .map_err(IngestProblem::Invalid)?;
        if mask.iter().any(|&m| m) {
            s.set_mask(Some(mask));
        }
        s.y_unit = p.y_unit;
        s.medium = p.medium;
        s.instrument = p.instrument;
        s.metadata = p.metadata;
        if let Some(form) = sigma_form {
            s.metadata
                .push(("sigma_from".into(), form.description().into()));
        }
        loaded.spectra.push(s);
    }
    Ok(loaded)
}

/// Reads a FITS file: header check, plan, isolated cfitsio read, build.
pub fn load(path: &Path, name: &str, options: &ReadOptions) -> Result<Loaded, IngestProblem> {
    let hdus = scan_file(path)?;
    let plan = plan(name, &hdus, options)?;
    let arrays = child::read_arrays(path, &plan.requests, options)?;
    build(plan, arrays)
}
