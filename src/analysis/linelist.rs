//! Line lists and telluric bands: the bundled lists (`assets/linelists/`), a user's own CSV
//! list, the medium each is in, and conversion to a spectrum's medium (Morton 2000).
//!
//! A list file is CSV with `# key: value` header lines; `# medium: air|vacuum` is
//! required, because a list that does not say which it is cannot be placed on a spectrum
//! to better than ≈ 80 km/s in the optical (jdaviz #1517). Columns: `species`, a
//! wavelength column whose header names its unit (`wavelength_nm`, `wavelength_A`,
//! `wavelength_um`), and optionally `strength`, `label`, `source` and `type`
//! (`emission` or `absorption`).

use crate::spectrum::Medium;
use crate::transforms::airvac::{AirFormula, air_from_vacuum_nm, vacuum_from_air_nm};
use serde::Serialize;

/// Whether a line is seen in emission or absorption, where the list says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Emission,
    Absorption,
    #[default]
    Unknown,
}

/// One line of a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    /// Species as spectroscopists write it (`H I`, `[O III]`, `K I`).
    pub species: String,
    /// Rest wavelength in nm, in the list's medium (after [`LineList::to_medium`], in the
    /// spectrum's).
    pub rest_nm: f64,
    /// Relative strength where the list gives one (larger is stronger), else `None`.
    pub strength: Option<f64>,
    /// Short label for the plot (the source's own name of the line).
    pub label: String,
    /// Where this line's value comes from (a list may merge several sources).
    pub source: String,
    /// Emission or absorption (`type` column), when the list says.
    pub kind: LineKind,
}

/// A line list with its provenance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineList {
    /// Stable key: a bundled list's file stem (`strong_lines`) or a user file's name.
    pub key: String,
    /// Human name (`# name:`).
    pub name: String,
    /// Medium of `rest_nm` as the list now holds it.
    pub medium: Medium,
    /// `# citation:` text.
    pub citation: String,
    /// `# licence:` text.
    pub licence: String,
    /// sha256 of the list file's bytes (the envelope's external-data state).
    pub sha256: String,
    /// Air ↔ vacuum conversion applied, when one was: `"vacuum→air (Morton 2000)"`.
    pub converted: Option<String>,
    /// Lines sorted by rest wavelength, then species, then label.
    pub lines: Vec<Line>,
}

/// A telluric absorption band: an interval of observed (topocentric) wavelengths.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TelluricBand {
    pub name: String,
    pub molecule: String,
    /// Lower edge, nm (air wavelengths for optical bands as their sources give them;
    /// the bands are broad enough that the medium does not matter).
    pub lo_nm: f64,
    /// Upper edge, nm.
    pub hi_nm: f64,
    /// Masked by default in cross-correlation (`strong`) or only on request.
    pub strong: bool,
}

/// Why a line list could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LineListError {
    #[error(
        "no '# medium: air|vacuum' line (a line list must say whether its wavelengths are in air or vacuum)"
    )]
    NoMedium,
    #[error("'# medium: {0}' is neither air nor vacuum")]
    BadMedium(String),
    #[error(
        "no header row naming a species column and a wavelength column (wavelength_nm, wavelength_A or wavelength_um)"
    )]
    NoHeader,
    #[error("line {line}: {problem}")]
    Row { line: usize, problem: String },
    #[error("no lines")]
    Empty,
    #[error("unknown bundled list '{0}' (bundled: {1})")]
    UnknownBundled(String, String),
    #[error("{0}")]
    Medium(String),
}

/// The bundled lists: (key, file text).
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "strong_lines",
        include_str!("../../assets/linelists/strong_lines.csv"),
    ),
    ("galaxy", include_str!("../../assets/linelists/galaxy.csv")),
    ("qso", include_str!("../../assets/linelists/qso.csv")),
];

/// The bundled telluric band table.
pub const TELLURIC_CSV: &str = include_str!("../../assets/linelists/telluric.csv");

/// Path of a bundled list inside the project (cited in manifests).
pub fn bundled_path(key: &str) -> String {
    format!("assets/linelists/{key}.csv")
}

/// A bundled list by key.
pub fn bundled(key: &str) -> Result<LineList, LineListError> {
    let (_, text) = BUNDLED.iter().find(|(k, _)| *k == key).ok_or_else(|| {
        LineListError::UnknownBundled(
            key.to_string(),
            BUNDLED
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    parse(key, text)
}

/// `# key: value` pairs of the leading comment lines, in order.
pub fn header_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.trim_start_matches('#').split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

/// Splits one CSV record, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Parses a list file. `key` names it in errors and records.
pub fn parse(key: &str, text: &str) -> Result<LineList, LineListError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fields = header_fields(text);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let medium = match get("medium") {
        None => return Err(LineListError::NoMedium),
        Some(m) => match m.to_ascii_lowercase().as_str() {
            "air" => Medium::Air,
            "vacuum" | "vac" => Medium::Vacuum,
            _ => return Err(LineListError::BadMedium(m)),
        },
    };
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (_, header) = rows.next().ok_or(LineListError::NoHeader)?;
    let names: Vec<String> = split_csv(header)
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |n: &str| names.iter().position(|h| h == n);
    let species_col = col("species").ok_or(LineListError::NoHeader)?;
    let (wave_col, to_nm) = [
        ("wavelength_nm", 1.0),
        ("wavelength_a", 0.1),
        ("wavelength_angstrom", 0.1),
        ("wavelength_um", 1000.0),
        ("wavelength_micron", 1000.0),
    ]
    .iter()
    .find_map(|(n, f)| col(n).map(|c| (c, *f)))
    .ok_or(LineListError::NoHeader)?;
    let strength_col = col("strength");
    let label_col = col("label");
    let source_col = col("source");
    let type_col = col("type");
    let mut lines = Vec::new();
    for (no, row) in rows {
        let f = split_csv(row);
        let cell = |c: usize| f.get(c).map(String::as_str).unwrap_or("");
        let bad = |problem: String| LineListError::Row { line: no, problem };
        let species = cell(species_col).to_string();
        if species.is_empty() {
            return Err(bad("no species".into()));
        }
        let w: f64 = cell(wave_col)
            .parse()
            .map_err(|_| bad(format!("'{}' is not a wavelength", cell(wave_col))))?;
        let rest_nm = w * to_nm;
        if !rest_nm.is_finite() || rest_nm <= 0.0 {
            return Err(bad(format!("wavelength {w} is not positive and finite")));
        }
        let strength = match strength_col.map(cell).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let v: f64 = s
                    .parse()
                    .map_err(|_| bad(format!("strength '{s}' is not a number")))?;
                if !v.is_finite() || v < 0.0 {
                    return Err(bad(format!("strength {v} is not a non-negative number")));
                }
                Some(v)
            }
        };
        let label = label_col
            .map(cell)
            .filter(|s| !s.is_empty())
            .unwrap_or(&species)
            .to_string();
        lines.push(Line {
            species,
            rest_nm,
            strength,
            label,
            source: source_col.map(cell).unwrap_or("").to_string(),
            kind: match type_col.map(cell).unwrap_or("") {
                "" => LineKind::Unknown,
                t if t.eq_ignore_ascii_case("emission") => LineKind::Emission,
                t if t.eq_ignore_ascii_case("absorption") => LineKind::Absorption,
                t => {
                    return Err(bad(format!(
                        "type '{t}' is neither emission nor absorption"
                    )));
                }
            },
        });
    }
    if lines.is_empty() {
        return Err(LineListError::Empty);
    }
    sort_lines(&mut lines);
    Ok(LineList {
        key: key.to_string(),
        name: get("name").unwrap_or_else(|| key.to_string()),
        medium,
        citation: get("citation").unwrap_or_default(),
        licence: get("licence")
            .or_else(|| get("license"))
            .unwrap_or_default(),
        sha256: crate::ids::sha256_hex(text.as_bytes()),
        converted: None,
        lines,
    })
}

fn sort_lines(lines: &mut [Line]) {
    lines.sort_by(|a, b| {
        a.rest_nm
            .total_cmp(&b.rest_nm)
            .then_with(|| a.species.cmp(&b.species))
            .then_with(|| a.label.cmp(&b.label))
    });
}

impl LineList {
    /// The list in `target` medium: converted by Morton (2000) when the media differ and
    /// both are known; lines below the air limit (200 nm) stay vacuum, as is the
    /// convention for ultraviolet lines. An unknown target leaves the list as it is.
    pub fn to_medium(mut self, target: Medium) -> Result<Self, LineListError> {
        if target == Medium::Unknown || target == self.medium {
            return Ok(self);
        }
        let formula = AirFormula::Morton2000;
        for l in &mut self.lines {
            let converted = match target {
                Medium::Air => air_from_vacuum_nm(formula, l.rest_nm),
                _ => vacuum_from_air_nm(formula, l.rest_nm),
            };
            match converted {
                Ok(v) => l.rest_nm = v,
                Err(crate::transforms::airvac::AirVacError::BelowAirLimit(_)) => {}
                Err(e) => return Err(LineListError::Medium(e.to_string())),
            }
        }
        self.converted = Some(format!(
            "{}→{} (Morton 2000)",
            self.medium.as_str(),
            target.as_str()
        ));
        self.medium = target;
        sort_lines(&mut self.lines);
        Ok(self)
    }

    /// Lines whose observed wavelength at redshift `z` falls in `[lo_nm, hi_nm]`.
    pub fn in_range(&self, z: f64, lo_nm: f64, hi_nm: f64) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(move |l| {
            let obs = l.rest_nm * (1.0 + z);
            obs >= lo_nm && obs <= hi_nm
        })
    }
}

/// The bundled telluric bands.
pub fn telluric_bands() -> Vec<TelluricBand> {
    let mut out = Vec::new();
    let mut rows = TELLURIC_CSV
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    rows.next(); // header: name,molecule,lo_nm,hi_nm,strength,source
    for row in rows {
        let f = split_csv(row);
        let num = |i: usize| {
            f[i].parse::<f64>()
                .expect("bundled telluric table is valid")
        };
        out.push(TelluricBand {
            name: f[0].clone(),
            molecule: f[1].clone(),
            lo_nm: num(2),
            hi_nm: num(3),
            strong: f[4] == "strong",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_list_parses_sorted_and_states_its_medium() {
        for (key, _) in BUNDLED {
            let l = bundled(key).unwrap();
            assert_ne!(l.medium, Medium::Unknown, "{key}");
            assert!(!l.citation.is_empty() && !l.licence.is_empty(), "{key}");
            assert!(l.lines.windows(2).all(|w| w[0].rest_nm <= w[1].rest_nm));
        }
        assert!(!telluric_bands().is_empty());
        assert!(telluric_bands().iter().all(|b| b.lo_nm < b.hi_nm));
    }

    #[test]
    fn the_strong_list_holds_the_lines_the_issue_names() {
        let l = bundled("strong_lines").unwrap();
        for species in [
            "H I", "He I", "He II", "Na I", "Mg I", "Ca II", "K I", "Fe I", "Fe II", "O I",
            "[O II]", "[O III]", "[N II]", "[S II]", "[Ne III]",
        ] {
            assert!(l.lines.iter().any(|x| x.species == species), "{species}");
        }
        let k = l.lines.iter().filter(|x| x.species == "K I").count();
        assert!(k >= 4, "the four NIR K I lines at least");
    }

    #[test]
    fn conversion_to_air_follows_morton_and_is_recorded() {
        let l = bundled("galaxy").unwrap();
        let ha = |l: &LineList| {
            l.lines
                .iter()
                .find(|x| x.label == "Halpha")
                .unwrap()
                .rest_nm
        };
        let vac = ha(&l);
        let air = l.clone().to_medium(Medium::Air).unwrap();
        // Hα: 656.4613 nm vacuum; 656.28000 nm in air by Morton's eq. 8 evaluated
        // independently (λ_vac / n(λ_vac), the form Morton gives for vacuum → air).
        assert!((ha(&air) - 656.280_002).abs() < 1e-5, "{}", ha(&air));
        assert!(vac > ha(&air));
        assert_eq!(air.converted.as_deref(), Some("vacuum→air (Morton 2000)"));
        // Ultraviolet lines stay vacuum.
        let lya = |l: &LineList| {
            l.lines
                .iter()
                .find(|x| x.label == "Lyalpha")
                .unwrap()
                .rest_nm
        };
        assert_eq!(lya(&air), lya(&l));
        // Same medium: untouched.
        assert_eq!(l.clone().to_medium(Medium::Vacuum).unwrap(), l);
    }

    #[test]
    fn user_lists_must_state_a_medium_and_valid_rows() {
        let ok = "# medium: air\nspecies,wavelength_A,strength\nNa I,5889.95,2\nNa I,5895.92,\n";
        let l = parse("mine.csv", ok).unwrap();
        assert_eq!(l.lines.len(), 2);
        assert!((l.lines[0].rest_nm - 588.995).abs() < 1e-12);
        assert_eq!(l.lines[0].strength, Some(2.0));
        assert_eq!(l.lines[1].strength, None);
        assert_eq!(
            parse("x", "species,wavelength_nm\nH,656\n"),
            Err(LineListError::NoMedium)
        );
        assert!(matches!(
            parse("x", "# medium: glass\nspecies,wavelength_nm\nH,656\n"),
            Err(LineListError::BadMedium(_))
        ));
        assert_eq!(
            parse("x", "# medium: air\nname,wave\nH,656\n"),
            Err(LineListError::NoHeader)
        );
        assert_eq!(
            parse("x", "# medium: air\nspecies,wavelength_nm\n"),
            Err(LineListError::Empty)
        );
        for bad in ["H,abc", "H,-5", "H,inf", ",656", "H,656,-1", "H,656,x"] {
            let text = format!("# medium: air\nspecies,wavelength_nm,strength\n{bad}\n");
            assert!(
                matches!(parse("x", &text), Err(LineListError::Row { line: 3, .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            bundled("nope"),
            Err(LineListError::UnknownBundled(..))
        ));
    }

    #[test]
    fn quoted_fields_keep_their_commas() {
        assert_eq!(split_csv(r#"a,"b, c","d""e""#), vec!["a", "b, c", "d\"e"]);
    }
}
