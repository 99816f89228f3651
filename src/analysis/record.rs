//! Analysis records: results that are numbers, not spectra (a line measurement, an RV
//! or redshift by cross-correlation, an identification), each with what it was computed
//! from (Dataset IDs, bundled list or template by path and hash, a user's list by its
//! text), its parameters with their units, the code version and the result.
//!
//! [`run`] computes a record from its request; replay runs the same request on the
//! replayed datasets and compares the results. A record's ID is the sha256 of the
//! canonical JSON of its request and code version, so the same analysis of the same data
//! has the same ID.

use crate::analysis::identify::{IdentifyError, IdentifyRequest, identify};
use crate::analysis::linelist::{self, LineList, LineListError};
use crate::analysis::measure::{MeasureError, MeasureRequest, measure};
use crate::analysis::templates;
use crate::analysis::xcorr::{Grid, RvError, RvRequest, cross_correlate};
use crate::spectrum::Spectrum;
use serde::{Deserialize, Serialize};

/// Bumped when an analysis' numbers change for the same input.
pub const ANALYSIS_VERSION: u32 = 1;

/// The code that computes records, as written into them.
pub fn code_version() -> String {
    format!(
        "spectra-workbench {} analysis v{ANALYSIS_VERSION}",
        env!("CARGO_PKG_VERSION")
    )
}

/// A line list as an analysis names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ListRef {
    /// `assets/linelists/<key>.csv`.
    Bundled { key: String },
    /// A user's list, carried whole so that replay needs nothing else (≤ 1 MiB).
    File { name: String, text: String },
}

/// Largest user list a record carries.
pub const MAX_LIST_BYTES: usize = 1 << 20;

impl ListRef {
    /// The list, parsed.
    pub fn load(&self) -> Result<LineList, LineListError> {
        match self {
            ListRef::Bundled { key } => linelist::bundled(key),
            ListRef::File { name, text } => linelist::parse(name, text),
        }
    }

    fn describe(&self) -> String {
        match self {
            ListRef::Bundled { key } => key.clone(),
            ListRef::File { name, .. } => name.clone(),
        }
    }
}

/// A cross-correlation template as an analysis names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateRef {
    /// `assets/templates/<key>.csv`.
    Bundled { key: String },
    /// A dataset of the session (a spectrum of a known star, say).
    Dataset { id: String },
    /// Synthesised from a line list: Gaussian lines of `fwhm_kms` on a unit continuum.
    Lines {
        list: ListRef,
        fwhm_kms: f64,
        unknown_is_emission: bool,
    },
}

/// What to compute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnalysisRequest {
    Measure {
        spectrum: String,
        request: MeasureRequest,
    },
    Rv {
        spectrum: String,
        template: TemplateRef,
        request: RvRequest,
    },
    Identify {
        spectrum: String,
        list: ListRef,
        request: IdentifyRequest,
    },
}

impl AnalysisRequest {
    /// `measure`, `rv` or `identify`.
    pub fn kind(&self) -> &'static str {
        match self {
            AnalysisRequest::Measure { .. } => "measure",
            AnalysisRequest::Rv { .. } => "rv",
            AnalysisRequest::Identify { .. } => "identify",
        }
    }

    /// The Dataset IDs it reads, the analysed spectrum first.
    pub fn inputs(&self) -> Vec<String> {
        match self {
            AnalysisRequest::Measure { spectrum, .. }
            | AnalysisRequest::Identify { spectrum, .. } => {
                vec![spectrum.clone()]
            }
            AnalysisRequest::Rv {
                spectrum, template, ..
            } => match template {
                TemplateRef::Dataset { id } => vec![spectrum.clone(), id.clone()],
                _ => vec![spectrum.clone()],
            },
        }
    }
}

/// A bundled file a record used, for the envelope's external-data state and citations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalFile {
    /// Path inside the project (`assets/linelists/galaxy.csv`).
    pub path: String,
    pub sha256: String,
    pub citation: String,
    pub licence: String,
}

/// One analysis, done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    /// sha256 of the canonical JSON of {request, code_version}.
    pub id: String,
    pub request: AnalysisRequest,
    pub code_version: String,
    /// Bundled lists and templates it read (sorted by path).
    pub external: Vec<ExternalFile>,
    /// One line for History and the lineage panel.
    pub summary: String,
    /// The result as the analysis returns it (units in the field names).
    pub result: serde_json::Value,
}

/// Why an analysis could not be done. Nothing is recorded then.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("no dataset {0} in this session")]
    UnknownDataset(String),
    #[error("unknown template '{0}' (bundled: {1})")]
    UnknownTemplate(String, String),
    #[error("line list {0}: {1}")]
    List(String, LineListError),
    #[error("line list {0} is larger than 1 MiB")]
    ListTooLarge(String),
    #[error("no line of '{0}' falls in the spectrum at any z or velocity on the grid")]
    NoLinesInRange(String),
    #[error("line template FWHM must be a positive number of km/s (got {0})")]
    BadFwhm(f64),
    #[error("{0}")]
    Measure(#[from] MeasureError),
    #[error("{0}")]
    Rv(#[from] RvError),
    #[error("{0}")]
    Identify(#[from] IdentifyError),
}

fn bundled_list_file(key: &str) -> Option<ExternalFile> {
    let l = linelist::bundled(key).ok()?;
    Some(ExternalFile {
        path: linelist::bundled_path(key),
        sha256: l.sha256,
        citation: l.citation,
        licence: l.licence,
    })
}

/// The grid's z range (velocities as cz).
fn z_range(grid: &Grid) -> (f64, f64) {
    match *grid {
        Grid::Velocity {
            v_min_kms,
            v_max_kms,
            ..
        } => (
            v_min_kms / crate::transforms::velocity::C_KMS,
            v_max_kms / crate::transforms::velocity::C_KMS,
        ),
        Grid::Redshift { z_min, z_max, .. } => (z_min, z_max),
    }
}

/// Computes the analysis `request` asks for; `dataset` finds a spectrum by Dataset ID.
pub fn run<'a>(
    request: &AnalysisRequest,
    dataset: impl Fn(&str) -> Option<&'a Spectrum>,
) -> Result<AnalysisRecord, AnalysisError> {
    let get = |id: &str| dataset(id).ok_or_else(|| AnalysisError::UnknownDataset(id.to_string()));
    let mut external = Vec::new();
    let (summary, result) = match request {
        AnalysisRequest::Measure { spectrum, request } => {
            let s = get(spectrum)?;
            let m = measure(s, request)?;
            let summary = format!(
                "measure {}: centroid {:.4} nm, FWHM {:.4} nm, EW {:.4} nm",
                s.name, m.centroid_nm.value, m.fwhm_nm, m.equivalent_width_nm.value
            );
            (summary, serde_json::to_value(&m))
        }
        AnalysisRequest::Rv {
            spectrum,
            template,
            request,
        } => {
            let s = get(spectrum)?;
            let (t, t_name): (Spectrum, String) = match template {
                TemplateRef::Bundled { key } => {
                    let (t, _, sha) = templates::bundled(key).ok_or_else(|| {
                        AnalysisError::UnknownTemplate(
                            key.clone(),
                            templates::BUNDLED
                                .iter()
                                .map(|(k, ..)| *k)
                                .collect::<Vec<_>>()
                                .join(", "),
                        )
                    })?;
                    let fields = linelist::header_fields(
                        templates::BUNDLED
                            .iter()
                            .find(|(k, ..)| k == key)
                            .map(|(.., text)| *text)
                            .unwrap_or_default(),
                    );
                    let field = |k: &str| {
                        fields
                            .iter()
                            .find(|(f, _)| f == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    external.push(ExternalFile {
                        path: templates::bundled_path(key),
                        sha256: sha,
                        citation: field("citation"),
                        licence: field("licence"),
                    });
                    (t, key.clone())
                }
                TemplateRef::Dataset { id } => {
                    let t = get(id)?;
                    (t.clone(), t.name.clone())
                }
                TemplateRef::Lines {
                    list,
                    fwhm_kms,
                    unknown_is_emission,
                } => {
                    if !(fwhm_kms.is_finite() && *fwhm_kms > 0.0) {
                        return Err(AnalysisError::BadFwhm(*fwhm_kms));
                    }
                    let l = list
                        .load()
                        .map_err(|e| AnalysisError::List(list.describe(), e))?;
                    if let ListRef::File { name, text } = list
                        && text.len() > MAX_LIST_BYTES
                    {
                        return Err(AnalysisError::ListTooLarge(name.clone()));
                    }
                    if let ListRef::Bundled { key } = list {
                        external.extend(bundled_list_file(key));
                    }
                    let (z_lo, z_hi) = z_range(&request.grid);
                    let (lo, hi) = s.x_range_nm();
                    let t = templates::from_lines(
                        &l,
                        lo / (1.0 + z_hi),
                        hi / (1.0 + z_lo),
                        *fwhm_kms,
                        *unknown_is_emission,
                    )
                    .ok_or_else(|| AnalysisError::NoLinesInRange(l.key.clone()))?;
                    (t, format!("lines of {}", l.key))
                }
            };
            let r = cross_correlate(s, &t, request)?;
            let summary = format!(
                "rv {} vs {t_name}: {:.3} ± {:.3} km/s (z = {:.6} ± {:.6}), quality {} ({})",
                s.name, r.rv_kms, r.rv_sigma_kms, r.z, r.z_sigma, r.quality.class, r.quality.label
            );
            (summary, serde_json::to_value(&r))
        }
        AnalysisRequest::Identify {
            spectrum,
            list,
            request,
        } => {
            let s = get(spectrum)?;
            if let ListRef::File { name, text } = list
                && text.len() > MAX_LIST_BYTES
            {
                return Err(AnalysisError::ListTooLarge(name.clone()));
            }
            let l = list
                .load()
                .map_err(|e| AnalysisError::List(list.describe(), e))?;
            if let ListRef::Bundled { key } = list {
                external.extend(bundled_list_file(key));
            }
            let id = identify(s, &l, request)?;
            let z = match &id.redshift {
                Some(r) => format!(
                    ", z = {:.6} ± {:.6} from {} lines",
                    r.z, r.z_sigma, r.n_lines
                ),
                None => String::new(),
            };
            let summary = format!(
                "identify {} with {}: {} of {} features identified{z}",
                s.name,
                l.key,
                id.features.iter().filter(|f| f.identified).count(),
                id.features.len()
            );
            (summary, serde_json::to_value(&id))
        }
    };
    external.sort_by(|a, b| a.path.cmp(&b.path));
    external.dedup();
    let code_version = code_version();
    // Canonical JSON: a serde_json Value's maps are sorted (no preserve_order feature), and
    // to_string writes no whitespace; provenance::canonical_json is the same call.
    let id_source = serde_json::json!({ "request": request, "code_version": code_version });
    let id = crate::ids::sha256_hex(
        serde_json::to_string(&id_source)
            .expect("JSON values serialize")
            .as_bytes(),
    );
    Ok(AnalysisRecord {
        id,
        request: request.clone(),
        code_version,
        external,
        summary,
        result: result.expect("analysis results serialize"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::measure::Interval;

    fn line_spectrum() -> Spectrum {
        let x: Vec<f64> = (0..400).map(|i| 650.0 + 0.05 * i as f64).collect();
        let y = x
            .iter()
            .map(|&x| 1.0 + 2.0 * (-0.5 * ((x - 656.5) / 0.2).powi(2)).exp())
            .collect();
        Spectrum::new("line", x, y, Some(vec![0.01; 400])).unwrap()
    }

    #[test]
    fn the_same_request_gives_the_same_record_and_id() {
        let s = line_spectrum();
        let req = AnalysisRequest::Measure {
            spectrum: "a".into(),
            request: MeasureRequest {
                region: Interval {
                    lo_nm: 655.0,
                    hi_nm: 658.0,
                },
                continuum: Vec::new(),
            },
        };
        let a = run(&req, |id| (id == "a").then_some(&s)).unwrap();
        let b = run(&req, |id| (id == "a").then_some(&s)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.id.len(), 64);
        assert_eq!(a.request.inputs(), vec!["a".to_string()]);
        // Round trip through JSON, as a manifest stores it.
        let back: AnalysisRecord =
            serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(
            run(&req, |_| None),
            Err(AnalysisError::UnknownDataset("a".into()))
        );
    }

    #[test]
    fn bundled_lists_and_templates_are_named_with_their_hashes() {
        let mut s = line_spectrum();
        s.medium = crate::spectrum::Medium::Vacuum;
        let req = AnalysisRequest::Identify {
            spectrum: "a".into(),
            list: ListRef::Bundled {
                key: "galaxy".into(),
            },
            request: IdentifyRequest::default(),
        };
        let r = run(&req, |_| Some(&s)).unwrap();
        assert_eq!(r.external.len(), 1);
        assert_eq!(r.external[0].path, "assets/linelists/galaxy.csv");
        let bad = AnalysisRequest::Rv {
            spectrum: "a".into(),
            template: TemplateRef::Bundled { key: "nope".into() },
            request: RvRequest::default(),
        };
        assert!(matches!(
            run(&bad, |_| Some(&s)),
            Err(AnalysisError::UnknownTemplate(..))
        ));
    }
}
