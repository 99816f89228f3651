//! Line identification with an explainable score, and the redshift the identified lines
//! give.
//!
//! Each feature (`analysis::features`) is compared with the list's lines at redshift z.
//! A line is a candidate when its kind (emission/absorption, where the list says) agrees
//! with the feature's and its observed wavelength λ_rest(1 + z) lies within
//! max(3σ_λ, FWHM/2) of the feature's centroid, where σ_λ = √(σ_centroid² + (0.1·FWHM)²):
//! the tenth of the width stands for calibration and blending, which the centroid's
//! noise alone does not cover. Each candidate gets named components, each in 0…1:
//!
//! - `wavelength` = exp(−r²/2), r = (λ_feature − λ_expected)/σ_λ (`residual_sigma`),
//!   λ_expected = λ_line(1+z), or, when other lines of the species lie within the
//!   feature's FWHM of it, their strength-weighted mean (an unresolved multiplet);
//! - `strength`: the line's relative intensity over the strongest line of the list that
//!   falls in the spectrum at z (0.5 where the list gives none);
//! - `species`: (1 + m)/(1 + e), e the species' other lines in the spectrum at z (those at
//!   least a tenth as strong as its strongest, where strengths are given) and m of them
//!   matched by a feature;
//! - `snr` = S/N/(S/N + 10);
//! - `blend` = 1/(number of species among the feature's candidates).
//!
//! score = wavelength × (0.2·strength + 0.4·species + 0.2·snr + 0.2·blend). Candidates are
//! ordered by score, ties broken by |r|, then rest wavelength, then species (a total
//! order: the same input gives the same bytes). A feature is identified with its best
//! candidate when the score is at least [`IdentifyRequest::min_score`]; other candidates
//! of the same species within 3σ_λ are listed as members of the blend.
//!
//! The redshift is the σ-weighted mean of λ_feature/λ_expected,rest − 1 over identified
//! features whose candidates are all of one species (blends of different species would
//! pull it), its σ scaled by √χ² when χ² > 1. With
//! a z range instead of a z, the starting z is the one at which the most features find a
//! line (Σ of their best `wavelength` components; ties to the lower z), then the lines
//! identified there give z, and the features are scored again at it.

use crate::analysis::features::{
    Feature, FeatureError, FeatureKind, FeatureRequest, find_features,
};
use crate::analysis::linelist::{LineKind, LineList, LineListError};
use crate::spectrum::{Medium, Spectrum};
use serde::{Deserialize, Serialize};

/// Component weights (documented in the module docs).
const W_STRENGTH: f64 = 0.2;
const W_SPECIES: f64 = 0.4;
const W_SNR: f64 = 0.2;
const W_BLEND: f64 = 0.2;

/// The redshift to identify at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ZChoice {
    Fixed { z: f64 },
    Range { z_min: f64, z_max: f64 },
}

/// What to identify and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentifyRequest {
    pub z: ZChoice,
    pub features: FeatureRequest,
    /// Candidates kept per feature.
    pub max_candidates: usize,
    /// Least score for a feature to count as identified.
    pub min_score: f64,
}

impl Default for IdentifyRequest {
    fn default() -> Self {
        Self {
            z: ZChoice::Fixed { z: 0.0 },
            features: FeatureRequest::default(),
            max_candidates: 5,
            min_score: 0.4,
        }
    }
}

/// The named parts of a candidate's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Components {
    /// Signed wavelength residual in σ_λ.
    pub residual_sigma: f64,
    pub wavelength: f64,
    pub strength: f64,
    pub species: f64,
    pub snr: f64,
    pub blend: f64,
}

/// One candidate line of a feature.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub species: String,
    pub label: String,
    /// Rest wavelength in the spectrum's medium, nm.
    pub rest_nm: f64,
    /// Where the feature's centroid is expected: λ_rest·(1 + z), or the (strength-
    /// weighted) mean of the species' lines within the feature's width, nm.
    pub expected_nm: f64,
    pub components: Components,
    pub score: f64,
}

/// A feature with its candidates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredFeature {
    pub feature: Feature,
    /// Best first; at most `max_candidates`.
    pub candidates: Vec<Candidate>,
    /// Whether the best candidate reached `min_score`.
    pub identified: bool,
    /// The z the candidates were scored at.
    #[serde(skip)]
    z_scored: f64,
}

/// A line the spectrum shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentifiedLine {
    pub species: String,
    pub label: String,
    pub rest_nm: f64,
    /// Index into `features`.
    pub feature: usize,
    pub observed_nm: f64,
    /// `best` or `blend` (another line of the species inside the same feature).
    pub role: &'static str,
    pub score: f64,
}

/// The redshift the identified lines give.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineRedshift {
    pub z: f64,
    pub z_sigma: f64,
    pub n_lines: usize,
    pub chi2_reduced: f64,
}

/// The list as used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListUsed {
    pub key: String,
    pub name: String,
    pub medium: Medium,
    pub converted: Option<String>,
    pub sha256: String,
    pub citation: String,
    pub licence: String,
}

/// The answer of [`identify`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Identification {
    pub list: ListUsed,
    /// The z the final scores are at.
    pub z_scored: f64,
    pub redshift: Option<LineRedshift>,
    pub noise_source: &'static str,
    pub features: Vec<ScoredFeature>,
    pub identified: Vec<IdentifiedLine>,
    pub warnings: Vec<String>,
}

/// Why identification cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IdentifyError {
    #[error("{0}")]
    Features(#[from] FeatureError),
    #[error("line list: {0}")]
    List(#[from] LineListError),
    #[error("z must be finite and above −1 (got {0})")]
    BadZ(f64),
    #[error("z range {0}:{1}: need finite values, −1 < start < end")]
    BadRange(f64, f64),
    #[error(
        "no line of '{list}' falls in the spectrum ({lo_nm:.2}–{hi_nm:.2} nm) at any z asked for"
    )]
    NoLinesInRange {
        list: String,
        lo_nm: f64,
        hi_nm: f64,
    },
}

/// σ_λ of a feature (see the module docs).
fn sigma_lambda(f: &Feature) -> f64 {
    (f.centroid_sigma_nm.powi(2) + (0.2 * f.fwhm_nm).powi(2)).sqrt()
}

fn kinds_agree(line: LineKind, feature: FeatureKind) -> bool {
    matches!(
        (line, feature),
        (LineKind::Unknown, _)
            | (LineKind::Emission, FeatureKind::Emission)
            | (LineKind::Absorption, FeatureKind::Absorption)
    )
}

/// Lines of the list that land inside the spectrum at z (unmasked at their position).
fn observable(list: &LineList, s: &Spectrum, z: f64) -> Vec<usize> {
    let (lo, hi) = s.x_range_nm();
    let x = s.x_nm();
    list.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let obs = l.rest_nm * (1.0 + z);
            if obs < lo || obs > hi {
                return false;
            }
            let i = x.partition_point(|&v| v < obs).min(x.len() - 1);
            !s.is_masked(i)
        })
        .map(|(i, _)| i)
        .collect()
}

fn score_at(
    s: &Spectrum,
    list: &LineList,
    features: &[Feature],
    z: f64,
    req: &IdentifyRequest,
) -> Vec<ScoredFeature> {
    let seen = observable(list, s, z);
    let max_strength = seen
        .iter()
        .filter_map(|&i| list.lines[i].strength)
        .fold(0.0f64, f64::max);
    // Candidates: (feature, line, residual in σ) inside each feature's window. A line's
    // expected position is its own, or, when other lines of its species fall within the
    // feature's width of it (a multiplet the resolution blends), their mean (weighted by
    // strength where given): an unresolved doublet's centroid sits between its members.
    let expected_rest = |f: &Feature, line: usize| -> f64 {
        let l = &list.lines[line];
        let reach = f.fwhm_nm / (1.0 + z);
        let (mut sw, mut swx) = (0.0, 0.0);
        for &j in &seen {
            let m = &list.lines[j];
            if m.species == l.species
                && kinds_agree(m.kind, f.kind)
                && (m.rest_nm - l.rest_nm).abs() <= reach
            {
                let w = m.strength.unwrap_or(1.0).max(1e-6);
                sw += w;
                swx += w * m.rest_nm;
            }
        }
        if sw > 0.0 { swx / sw } else { l.rest_nm }
    };
    let within = |f: &Feature, line: usize| -> Option<(f64, f64)> {
        let l = &list.lines[line];
        if !kinds_agree(l.kind, f.kind) {
            return None;
        }
        let sl = sigma_lambda(f);
        let window = (3.0 * sl).max(0.5 * f.fwhm_nm);
        if (f.centroid_nm - l.rest_nm * (1.0 + z)).abs() > window {
            return None;
        }
        let expected = expected_rest(f, line) * (1.0 + z);
        Some(((f.centroid_nm - expected) / sl, expected))
    };
    let per_feature: Vec<Vec<(usize, f64, f64)>> = features
        .iter()
        .map(|f| {
            seen.iter()
                .filter_map(|&i| within(f, i).map(|(r, e)| (i, r, e)))
                .collect()
        })
        .collect();
    let matched_line = |line: usize| {
        per_feature
            .iter()
            .any(|c| c.iter().any(|(i, ..)| *i == line))
    };
    features
        .iter()
        .zip(&per_feature)
        .map(|(f, cands)| {
            // Distinct species among the candidates: lines of one species are one blend.
            let mut species_here: Vec<&str> = cands
                .iter()
                .map(|(i, ..)| list.lines[*i].species.as_str())
                .collect();
            species_here.sort_unstable();
            species_here.dedup();
            let n = species_here.len();
            let mut scored: Vec<Candidate> = cands
                .iter()
                .map(|&(i, r, expected_nm)| {
                    let l = &list.lines[i];
                    let wavelength = (-0.5 * r * r).exp();
                    let strength = match (l.strength, max_strength > 0.0) {
                        (Some(v), true) => (v / max_strength).min(1.0),
                        _ => 0.5,
                    };
                    let species_lines: Vec<usize> = seen
                        .iter()
                        .copied()
                        .filter(|&j| j != i && list.lines[j].species == l.species)
                        .collect();
                    let strongest = species_lines
                        .iter()
                        .chain(std::iter::once(&i))
                        .filter_map(|&j| list.lines[j].strength)
                        .fold(0.0f64, f64::max);
                    let expected: Vec<usize> = species_lines
                        .into_iter()
                        .filter(|&j| {
                            list.lines[j]
                                .strength
                                .is_none_or(|v| strongest <= 0.0 || v >= 0.1 * strongest)
                        })
                        .collect();
                    let matched = expected.iter().filter(|&&j| matched_line(j)).count();
                    let species = (1 + matched) as f64 / (1 + expected.len()) as f64;
                    let snr = f.snr.max(0.0) / (f.snr.max(0.0) + 10.0);
                    let blend = 1.0 / n as f64;
                    let score = wavelength
                        * (W_STRENGTH * strength
                            + W_SPECIES * species
                            + W_SNR * snr
                            + W_BLEND * blend);
                    Candidate {
                        species: l.species.clone(),
                        label: l.label.clone(),
                        rest_nm: l.rest_nm,
                        expected_nm,
                        components: Components {
                            residual_sigma: r,
                            wavelength,
                            strength,
                            species,
                            snr,
                            blend,
                        },
                        score,
                    }
                })
                .collect();
            scored.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(
                        a.components
                            .residual_sigma
                            .abs()
                            .total_cmp(&b.components.residual_sigma.abs()),
                    )
                    .then(a.rest_nm.total_cmp(&b.rest_nm))
                    .then(a.species.cmp(&b.species))
            });
            scored.truncate(req.max_candidates.max(1));
            let identified = scored.first().is_some_and(|c| c.score >= req.min_score);
            ScoredFeature {
                feature: f.clone(),
                candidates: scored,
                identified,
                z_scored: z,
            }
        })
        .collect()
}

/// The redshift from identified single-candidate features.
fn line_redshift(scored: &[ScoredFeature]) -> Option<LineRedshift> {
    let pts: Vec<(f64, f64)> = scored
        .iter()
        .filter(|f| {
            f.identified
                && f.candidates
                    .iter()
                    .all(|c| c.species == f.candidates[0].species)
        })
        .map(|f| {
            let c = &f.candidates[0];
            // The expected centroid at z_scored maps back to the rest wavelength it stands
            // for (a multiplet's mean); z follows from the centroid against it.
            let rest = c.expected_nm / (1.0 + f.z_scored);
            let z = f.feature.centroid_nm / rest - 1.0;
            (z, sigma_lambda(&f.feature) / rest)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    if pts.is_empty() {
        return None;
    }
    let wsum: f64 = pts.iter().map(|(_, s)| 1.0 / (s * s)).sum();
    let z = pts.iter().map(|(z, s)| z / (s * s)).sum::<f64>() / wsum;
    let chi2 = if pts.len() > 1 {
        pts.iter()
            .map(|(zi, s)| ((zi - z) / s).powi(2))
            .sum::<f64>()
            / (pts.len() - 1) as f64
    } else {
        1.0
    };
    Some(LineRedshift {
        z,
        z_sigma: (1.0 / wsum).sqrt() * chi2.max(1.0).sqrt(),
        n_lines: pts.len(),
        chi2_reduced: chi2,
    })
}

/// Identifies the features of `s` with the lines of `list`.
pub fn identify(
    s: &Spectrum,
    list: &LineList,
    req: &IdentifyRequest,
) -> Result<Identification, IdentifyError> {
    let mut warnings = Vec::new();
    match req.z {
        ZChoice::Fixed { z } if !(z.is_finite() && z > -1.0) => return Err(IdentifyError::BadZ(z)),
        ZChoice::Range { z_min, z_max }
            if !(z_min.is_finite() && z_max.is_finite() && z_min > -1.0 && z_min < z_max) =>
        {
            return Err(IdentifyError::BadRange(z_min, z_max));
        }
        _ => {}
    }
    let list = if s.medium == Medium::Unknown {
        warnings.push(format!(
            "the spectrum's medium is unknown: the list's {} wavelengths are used as they are",
            list.medium.as_str()
        ));
        list.clone()
    } else {
        list.clone().to_medium(s.medium)?
    };
    let (lo, hi) = s.x_range_nm();
    let (z_lo, z_hi) = match req.z {
        ZChoice::Fixed { z } => (z, z),
        ZChoice::Range { z_min, z_max } => (z_min, z_max),
    };
    let any_in_range = list
        .lines
        .iter()
        .any(|l| l.rest_nm * (1.0 + z_hi) >= lo && l.rest_nm * (1.0 + z_lo) <= hi);
    if !any_in_range {
        return Err(IdentifyError::NoLinesInRange {
            list: list.key.clone(),
            lo_nm: lo,
            hi_nm: hi,
        });
    }
    let found = find_features(s, &req.features)?;
    warnings.extend(found.warnings.iter().cloned());
    let features = found.features;
    let z0 = match req.z {
        ZChoice::Fixed { z } => z,
        ZChoice::Range { z_min, z_max } => {
            // Every feature–line pair proposes a z; keep the one most features agree on.
            let mut proposals: Vec<f64> = Vec::new();
            for f in &features {
                for l in &list.lines {
                    if kinds_agree(l.kind, f.kind) {
                        let z = f.centroid_nm / l.rest_nm - 1.0;
                        if z >= z_min && z <= z_max {
                            proposals.push(z);
                        }
                    }
                }
            }
            proposals.sort_by(f64::total_cmp);
            proposals.dedup();
            let support = |z: f64| -> f64 {
                features
                    .iter()
                    .map(|f| {
                        let sl = sigma_lambda(f);
                        list.lines
                            .iter()
                            .filter(|l| kinds_agree(l.kind, f.kind))
                            .map(|l| {
                                let r = (f.centroid_nm - l.rest_nm * (1.0 + z)) / sl;
                                (-0.5 * r * r).exp()
                            })
                            .fold(0.0f64, f64::max)
                    })
                    .sum()
            };
            let mut best = (f64::NEG_INFINITY, z_min);
            for z in proposals {
                let v = support(z);
                if v > best.0 {
                    best = (v, z);
                }
            }
            if best.0 <= 0.0 {
                warnings.push("no feature matches a line anywhere in the z range".into());
            }
            best.1
        }
    };
    let mut scored = score_at(s, &list, &features, z0, req);
    let mut redshift = line_redshift(&scored);
    let mut z_scored = z0;
    if let (ZChoice::Range { z_min, z_max }, Some(r)) = (req.z, &redshift)
        && r.z >= z_min
        && r.z <= z_max
    {
        z_scored = r.z;
        scored = score_at(s, &list, &features, z_scored, req);
        redshift = line_redshift(&scored);
    }
    let mut identified = Vec::new();
    for (k, f) in scored.iter().enumerate() {
        if !f.identified {
            continue;
        }
        let best = &f.candidates[0];
        identified.push(IdentifiedLine {
            species: best.species.clone(),
            label: best.label.clone(),
            rest_nm: best.rest_nm,
            feature: k,
            observed_nm: f.feature.centroid_nm,
            role: "best",
            score: best.score,
        });
        for c in f.candidates.iter().skip(1) {
            if c.species == best.species && c.components.residual_sigma.abs() <= 3.0 {
                identified.push(IdentifiedLine {
                    species: c.species.clone(),
                    label: c.label.clone(),
                    rest_nm: c.rest_nm,
                    feature: k,
                    observed_nm: f.feature.centroid_nm,
                    role: "blend",
                    score: c.score,
                });
            }
        }
    }
    Ok(Identification {
        list: ListUsed {
            key: list.key.clone(),
            name: list.name.clone(),
            medium: list.medium,
            converted: list.converted.clone(),
            sha256: list.sha256.clone(),
            citation: list.citation.clone(),
            licence: list.licence.clone(),
        },
        z_scored,
        redshift,
        noise_source: found.noise_source,
        features: scored,
        identified,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::linelist;

    /// Emission lines of the galaxy list at z, σ 0.01 noise-free model with σ given.
    fn galaxy_at(z: f64) -> Spectrum {
        let list = linelist::bundled("galaxy").unwrap();
        let x: Vec<f64> = (0..12_000).map(|i| 380.0 + 0.05 * i as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&x| {
                let mut y = 1.0;
                for l in list.lines.iter().filter(|l| l.kind == LineKind::Emission) {
                    let c = l.rest_nm * (1.0 + z);
                    let a = l.strength.map_or(1.0, |s| s.min(3.0) / 3.0 + 0.2);
                    y += a * (-0.5 * ((x - c) / 0.12).powi(2)).exp();
                }
                y
            })
            .collect();
        let mut s = Spectrum::new("g", x, y.clone(), Some(vec![0.01; y.len()])).unwrap();
        s.medium = Medium::Vacuum;
        s
    }

    #[test]
    fn emission_lines_are_identified_and_give_the_redshift() {
        let list = linelist::bundled("galaxy").unwrap();
        let s = galaxy_at(0.1);
        let req = IdentifyRequest {
            z: ZChoice::Range {
                z_min: 0.0,
                z_max: 0.5,
            },
            ..Default::default()
        };
        let id = identify(&s, &list, &req).unwrap();
        let r = id.redshift.as_ref().unwrap();
        assert!((r.z - 0.1).abs() < 1e-5, "{r:?}");
        assert!(r.n_lines >= 5);
        for label in ["Halpha", "Hbeta", "[OIII]_5007"] {
            assert!(
                id.identified.iter().any(|l| l.label == label),
                "{label}: {:?}",
                id.identified
            );
        }
        // Every component is in 0…1 and the score is what the formula says.
        for f in &id.features {
            for c in &f.candidates {
                let k = &c.components;
                for v in [k.wavelength, k.strength, k.species, k.snr, k.blend] {
                    assert!((0.0..=1.0).contains(&v));
                }
                let expected = k.wavelength
                    * (W_STRENGTH * k.strength
                        + W_SPECIES * k.species
                        + W_SNR * k.snr
                        + W_BLEND * k.blend);
                assert!((c.score - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let list = linelist::bundled("galaxy").unwrap();
        let s = galaxy_at(0.05);
        let req = IdentifyRequest {
            z: ZChoice::Range {
                z_min: 0.0,
                z_max: 0.3,
            },
            ..Default::default()
        };
        let a = serde_json::to_string(&identify(&s, &list, &req).unwrap()).unwrap();
        let b = serde_json::to_string(&identify(&s, &list, &req).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_requests_and_a_list_with_nothing_in_range_are_refused() {
        let list = linelist::bundled("galaxy").unwrap();
        let s = galaxy_at(0.0);
        let at = |z| IdentifyRequest {
            z: ZChoice::Fixed { z },
            ..Default::default()
        };
        assert_eq!(
            identify(&s, &list, &at(-1.0)),
            Err(IdentifyError::BadZ(-1.0))
        );
        assert!(matches!(
            identify(&s, &list, &at(f64::NAN)),
            Err(IdentifyError::BadZ(_))
        ));
        assert!(matches!(
            identify(&s, &list, &at(100.0)),
            Err(IdentifyError::NoLinesInRange { .. })
        ));
        let range = IdentifyRequest {
            z: ZChoice::Range {
                z_min: 0.5,
                z_max: 0.2,
            },
            ..Default::default()
        };
        assert!(matches!(
            identify(&s, &list, &range),
            Err(IdentifyError::BadRange(..))
        ));
    }
}
