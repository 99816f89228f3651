//! Cross-correlation templates: the bundled ones (`assets/templates/`, from MARZ) and
//! templates synthesised from a line list.

use crate::analysis::linelist::{LineKind, LineList};
use crate::spectrum::{Medium, Spectrum};

/// What a template is of; it picks the default grid (docs/user/identification.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    Star,
    Galaxy,
    Qso,
}

/// The bundled templates: (key, kind, file text).
pub const BUNDLED: &[(&str, TemplateKind, &str)] = &[
    (
        "marz_early_type_galaxy",
        TemplateKind::Galaxy,
        include_str!("../../assets/templates/marz_early_type_galaxy.csv"),
    ),
    (
        "marz_intermediate_galaxy",
        TemplateKind::Galaxy,
        include_str!("../../assets/templates/marz_intermediate_galaxy.csv"),
    ),
    (
        "marz_late_type_galaxy",
        TemplateKind::Galaxy,
        include_str!("../../assets/templates/marz_late_type_galaxy.csv"),
    ),
    (
        "marz_quasar",
        TemplateKind::Qso,
        include_str!("../../assets/templates/marz_quasar.csv"),
    ),
    (
        "marz_a_star",
        TemplateKind::Star,
        include_str!("../../assets/templates/marz_a_star.csv"),
    ),
    (
        "marz_g_star",
        TemplateKind::Star,
        include_str!("../../assets/templates/marz_g_star.csv"),
    ),
    (
        "marz_k_star",
        TemplateKind::Star,
        include_str!("../../assets/templates/marz_k_star.csv"),
    ),
];

/// Path of a bundled template inside the project (cited in manifests).
pub fn bundled_path(key: &str) -> String {
    format!("assets/templates/{key}.csv")
}

/// A bundled template by key, with its kind and the sha256 of its file.
pub fn bundled(key: &str) -> Option<(Spectrum, TemplateKind, String)> {
    let (_, kind, text) = BUNDLED.iter().find(|(k, ..)| *k == key)?;
    let loaded = crate::ingest::csv::parse_csv(text, key, &Default::default())
        .expect("bundled templates are valid CSV");
    let spectrum = loaded.spectra.into_iter().next().expect("one spectrum");
    Some((spectrum, *kind, crate::ids::sha256_hex(text.as_bytes())))
}

/// A template made of the list's lines: unit continuum, each line a Gaussian of
/// `fwhm_kms`, emission lines up and absorption lines down (`unknown_is_emission` says
/// which way lines of unstated kind go), with depth ∝ strength (1 where not given;
/// strengths are scaled so the strongest is 1). Sampled uniformly in ln λ at a quarter of
/// the FWHM over `lo_nm…hi_nm` (rest frame). `None` when no line falls in the range.
pub fn from_lines(
    list: &LineList,
    lo_nm: f64,
    hi_nm: f64,
    fwhm_kms: f64,
    unknown_is_emission: bool,
) -> Option<Spectrum> {
    let c_kms = crate::transforms::velocity::C_KMS;
    let sigma_ln = fwhm_kms / c_kms / 2.354_820_045;
    let reach = 5.0 * sigma_ln;
    let lines: Vec<_> = list
        .lines
        .iter()
        .filter(|l| l.rest_nm >= lo_nm && l.rest_nm <= hi_nm)
        .collect();
    if lines.is_empty() || sigma_ln.is_nan() || sigma_ln <= 0.0 {
        return None;
    }
    let max_strength = lines
        .iter()
        .filter_map(|l| l.strength)
        .fold(0.0f64, f64::max);
    let step = sigma_ln * 2.354_820_045 / 4.0;
    let u_lo = lo_nm.ln() - reach;
    let u_hi = hi_nm.ln() + reach;
    let n = ((u_hi - u_lo) / step).ceil() as usize + 1;
    if n > 50_000_000 {
        return None;
    }
    let x: Vec<f64> = (0..n).map(|i| (u_lo + i as f64 * step).exp()).collect();
    let mut y = vec![1.0; n];
    for l in lines {
        let depth = match (l.strength, max_strength > 0.0) {
            (Some(s), true) => s / max_strength,
            _ => 1.0,
        };
        let sign = match l.kind {
            LineKind::Emission => 1.0,
            LineKind::Absorption => -1.0,
            LineKind::Unknown => {
                if unknown_is_emission {
                    1.0
                } else {
                    -1.0
                }
            }
        };
        let u = l.rest_nm.ln();
        let first = (((u - reach) - u_lo) / step).floor().max(0.0) as usize;
        let last = ((((u + reach) - u_lo) / step).ceil() as usize).min(n - 1);
        for (i, yi) in y.iter_mut().enumerate().take(last + 1).skip(first) {
            let d = (u_lo + i as f64 * step - u) / sigma_ln;
            *yi += sign * depth * (-0.5 * d * d).exp();
        }
    }
    let mut s = Spectrum::new(format!("lines: {}", list.key), x, y, None).ok()?;
    s.medium = if list.medium == Medium::Unknown {
        Medium::Unknown
    } else {
        list.medium
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_template_loads_with_its_medium() {
        for (key, ..) in BUNDLED {
            let (s, _, sha) = bundled(key).unwrap();
            assert!(s.len() > 1000, "{key}");
            assert_ne!(s.medium, Medium::Unknown, "{key}");
            assert_eq!(sha.len(), 64);
        }
        assert!(bundled("nope").is_none());
    }

    #[test]
    fn a_line_template_has_its_lines_where_the_list_says() {
        let list = crate::analysis::linelist::bundled("galaxy").unwrap();
        let t = from_lines(&list, 640.0, 670.0, 100.0, true).unwrap();
        // Hα (emission, 656.46 nm vacuum) is the highest point.
        let (i, _) = t
            .y()
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        assert!((t.x_nm()[i] - 656.461).abs() < 0.02, "{}", t.x_nm()[i]);
        assert!(from_lines(&list, 10.0, 20.0, 100.0, true).is_none());
    }
}
