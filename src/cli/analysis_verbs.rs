//! The analysis verbs: `measure`, `rv` and `identify`. Each opens its file into a
//! session, computes an analysis record there (the one command path), prints it, and puts
//! the datasets and the run's History (with its `analysis` event) into the Library store
//! unless `--no-store`. A refused analysis records nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Failure, ReadArgs, StoreChoice, open_single, persist};
use crate::analysis::identify::{IdentifyRequest, ZChoice};
use crate::analysis::measure::{Interval, MeasureRequest, Measured};
use crate::analysis::record::{
    AnalysisRecord, AnalysisRequest, ListRef, MAX_LIST_BYTES, TemplateRef,
};
use crate::analysis::templates::{self, TemplateKind};
use crate::analysis::xcorr::{Grid, RvRequest, TelluricMask};
use crate::analysis::{
    features::{FeatureContinuum, FeatureRequest},
    linelist,
};
use crate::ingest::ReadOptions;
use crate::session::{Command, Session};

/// `rv` arguments.
#[derive(Args, Debug)]
pub struct RvArgs {
    pub file: PathBuf,
    /// Template: a bundled one (marz_early_type_galaxy, marz_quasar, marz_g_star…) or a
    /// spectrum file at rest.
    #[arg(
        long,
        value_name = "T",
        conflicts_with = "lines",
        required_unless_present = "lines"
    )]
    pub template: Option<String>,
    /// Correlate against a template made of a line list's lines: a bundled list
    /// (strong_lines, galaxy, qso) or a CSV list file.
    #[arg(long, value_name = "LIST")]
    pub lines: Option<String>,
    /// Velocity grid, km/s (default for stars: −500…+500 by 0.5).
    #[arg(long, value_name = "KMS", allow_negative_numbers = true)]
    pub v_min: Option<f64>,
    #[arg(long, value_name = "KMS", allow_negative_numbers = true)]
    pub v_max: Option<f64>,
    #[arg(long, value_name = "KMS")]
    pub v_step: Option<f64>,
    /// Redshift grid (default for galaxy templates: 0…1.5; for the QSO template 0…5).
    #[arg(long, value_name = "Z", allow_negative_numbers = true, conflicts_with_all = ["v_min", "v_max", "v_step"])]
    pub z_min: Option<f64>,
    #[arg(long, value_name = "Z", allow_negative_numbers = true)]
    pub z_max: Option<f64>,
    #[arg(long, value_name = "DZ")]
    pub z_step: Option<f64>,
    /// Telluric bands to zero: none, strong (O₂ A and B, NIR H₂O; the default) or all.
    #[arg(long, value_name = "WHICH", default_value = "strong", value_parser = parse_telluric)]
    pub telluric: TelluricMask,
    /// Width of the lines of a --lines template, km/s (default: two pixels of the data).
    #[arg(long, value_name = "KMS")]
    pub line_fwhm: Option<f64>,
    /// Lines of unstated kind in a --lines template are emission (default: absorption).
    #[arg(long)]
    pub emission: bool,
    /// Print JSON (the analysis record) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// `identify` arguments.
#[derive(Args, Debug)]
pub struct IdentifyArgs {
    pub file: PathBuf,
    /// Line list: a bundled one (strong_lines, galaxy, qso) or a CSV list file.
    #[arg(long, value_name = "LIST", default_value = "strong_lines")]
    pub lines: String,
    /// Identify at this redshift (default 0).
    #[arg(
        long,
        value_name = "Z",
        allow_negative_numbers = true,
        conflicts_with = "z_range"
    )]
    pub z: Option<f64>,
    /// Search this redshift range for the z most features agree on: A:B.
    #[arg(long, value_name = "A:B", value_parser = parse_z_range)]
    pub z_range: Option<(f64, f64)>,
    /// Detection threshold, σ.
    #[arg(long, value_name = "SIGMA", default_value_t = 4.0)]
    pub threshold: f64,
    /// Continuum window, samples.
    #[arg(long, value_name = "N", default_value_t = 21)]
    pub continuum_px: usize,
    /// Continuum the features are measured against: `median` (a running median) or
    /// `parabola` (a local parabola with clipping: follows steep band edges, for spectra
    /// whose lines are a few samples wide).
    #[arg(long, value_name = "median|parabola", default_value = "median", value_parser = parse_feature_continuum)]
    pub continuum: FeatureContinuum,
    /// Print JSON (the analysis record) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

fn parse_telluric(text: &str) -> Result<TelluricMask, String> {
    match text {
        "none" => Ok(TelluricMask::None),
        "strong" => Ok(TelluricMask::Strong),
        "all" => Ok(TelluricMask::All),
        _ => Err(format!("'{text}': use none, strong or all")),
    }
}

fn parse_feature_continuum(text: &str) -> Result<FeatureContinuum, String> {
    match text {
        "median" | "running_median" => Ok(FeatureContinuum::RunningMedian),
        "parabola" => Ok(FeatureContinuum::Parabola),
        other => Err(format!("'{other}' is not a continuum (median or parabola)")),
    }
}

fn parse_z_range(text: &str) -> Result<(f64, f64), String> {
    let (a, b) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}': want START:END, e.g. 0:1.5"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("'{text}': '{t}' is not a number"))
    };
    let (lo, hi) = (num(a)?, num(b)?);
    if lo >= hi {
        return Err(format!("'{text}': the start must be below the end"));
    }
    Ok((lo, hi))
}

/// A list named on the command line: a file when one is there, else a bundled key.
fn list_ref(text: &str) -> Result<ListRef, Failure> {
    let path = Path::new(text);
    if path.is_file() {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len > MAX_LIST_BYTES as u64 {
            return Err(Failure::bad_input(format!(
                "{text}: line list larger than 1 MiB"
            )));
        }
        let text_body = std::fs::read_to_string(path)
            .map_err(|e| Failure::bad_input(format!("{text}: {e}")))?;
        return Ok(ListRef::File {
            name: crate::ingest::display_name(path),
            text: text_body,
        });
    }
    if linelist::BUNDLED.iter().any(|(k, _)| *k == text) {
        return Ok(ListRef::Bundled { key: text.into() });
    }
    Err(Failure::bad_input(format!(
        "{text}: no such file, and not a bundled line list ({})",
        linelist::BUNDLED
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Computes `request` in `session`, applies it (one command), and returns the record.
fn record_in(
    session: &mut Session,
    request: &AnalysisRequest,
    file: &Path,
) -> Result<AnalysisRecord, Failure> {
    let record = session
        .run_analysis(request)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", file.display())))?;
    session
        .apply(Command::AddAnalysis(Box::new(record.clone())))
        .map_err(|e| Failure::bad_input(format!("{}: {e}", file.display())))?;
    Ok(record)
}

fn print(text: &str) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{text}")
        .map_err(|e| Failure::bad_input(format!("stdout: {e}")))
}

fn print_json(file: &Path, record: &AnalysisRecord, session: &Session) -> Result<(), Failure> {
    let inputs: Vec<serde_json::Value> = record
        .request
        .inputs()
        .iter()
        .filter_map(|id| crate::ids::parse_dataset_id(id))
        .filter_map(|id| session.dataset(&id))
        .map(|d| {
            serde_json::json!({
                "dataset_id": d.id,
                "name": d.spectrum.name,
                "medium": d.spectrum.medium.as_str(),
                "has_sigma": d.spectrum.sigma().is_some(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "file": file,
        "inputs": inputs,
        "record": record,
    });
    print(&serde_json::to_string_pretty(&value).expect("plain data"))
}

/// `measure FILE --region A:B [--continuum A:B,C:D] [--json]`.
pub(super) fn measure(
    file: &Path,
    region: Interval,
    continuum: Vec<Interval>,
    json: bool,
    options: &ReadOptions,
    choice: &StoreChoice,
) -> Result<(), Failure> {
    let mut store = choice.open()?;
    let mut session = Session::default();
    let id = open_single(&mut session, file, options, "measure takes one")?;
    let request = AnalysisRequest::Measure {
        spectrum: id.to_string(),
        request: MeasureRequest { region, continuum },
    };
    let record = record_in(&mut session, &request, file)?;
    let d = session.dataset(&id).expect("just added");
    if json {
        let m = &record.result;
        let value = serde_json::json!({
            "file": file,
            "dataset_id": id,
            "y_unit": d.spectrum.y_unit,
            "has_sigma": d.spectrum.sigma().is_some(),
            "measurement": m,
            "record_id": record.id,
        });
        print(&serde_json::to_string_pretty(&value).expect("plain data"))?;
    } else {
        let m: crate::analysis::measure::Measurement = crate::analysis::measure::measure(
            &d.spectrum,
            match &record.request {
                AnalysisRequest::Measure { request, .. } => request,
                _ => unreachable!("a measure request"),
            },
        )
        .expect("measured just now");
        let pm = |v: &Measured, unit: &str| match v.sigma {
            Some(s) => format!("{:.6} ± {:.6} {unit}", v.value, s),
            None => format!("{:.6} {unit} (no σ in the file)", v.value),
        };
        let unit = if d.spectrum.y_unit.is_empty() {
            "(y unit)".to_string()
        } else {
            d.spectrum.y_unit.clone()
        };
        let gaussian = match &m.gaussian {
            Some(g) => format!(
                "{} (Gaussian fit, mean {})",
                pm(&g.fwhm_nm, "nm"),
                pm(&g.mean_nm, "nm")
            ),
            None => "no Gaussian fit converged".into(),
        };
        print(&format!(
            "{} line, {}–{} nm ({} points; continuum from {} points)\n  centroid    {}\n  FWHM        {:.6} nm (half-maximum width)\n              {gaussian}\n  EW          {}\n  line flux   {}",
            m.kind,
            m.region.lo_nm,
            m.region.hi_nm,
            m.n_points,
            m.n_continuum_points,
            pm(&m.centroid_nm, "nm"),
            m.fwhm_nm,
            pm(&m.equivalent_width_nm, "nm"),
            pm(&m.line_flux, &format!("{unit} × nm")),
        ))?;
    }
    persist(store.as_mut(), &mut session, "measure")
}

/// `rv FILE (--template T | --lines LIST) [grid] [--json]`.
pub(super) fn rv(args: RvArgs, choice: &StoreChoice) -> Result<(), Failure> {
    let mut store = choice.open()?;
    let mut session = Session::default();
    let file = &args.file;
    let id = open_single(
        &mut session,
        file,
        &args.read.read_options(),
        "rv takes one",
    )?;
    let spectrum_pixel_kms = {
        let d = session.dataset(&id).expect("just added");
        crate::analysis::xcorr::native_pixel_kms(d.spectrum.x_nm())
    };
    let (template, kind) = match (&args.template, &args.lines) {
        (Some(t), _) => {
            let path = Path::new(t);
            if path.is_file() {
                let tid = open_single(
                    &mut session,
                    path,
                    &ReadOptions::default(),
                    "a template is one spectrum",
                )?;
                (
                    TemplateRef::Dataset {
                        id: tid.to_string(),
                    },
                    TemplateKind::Star,
                )
            } else if let Some((_, kind, _)) = templates::BUNDLED.iter().find(|(k, ..)| k == t) {
                (TemplateRef::Bundled { key: t.clone() }, *kind)
            } else {
                return Err(Failure::bad_input(format!(
                    "{t}: no such file, and not a bundled template ({})",
                    templates::BUNDLED
                        .iter()
                        .map(|(k, ..)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        (None, Some(l)) => {
            let list = list_ref(l)?;
            let kind = match &list {
                ListRef::Bundled { key } if key == "galaxy" => TemplateKind::Galaxy,
                ListRef::Bundled { key } if key == "qso" => TemplateKind::Qso,
                _ => TemplateKind::Star,
            };
            let fwhm_kms = args.line_fwhm.unwrap_or(2.0 * spectrum_pixel_kms);
            (
                TemplateRef::Lines {
                    list,
                    fwhm_kms,
                    unknown_is_emission: args.emission,
                },
                kind,
            )
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let velocity = args.v_min.is_some() || args.v_max.is_some() || args.v_step.is_some();
    let redshift = args.z_min.is_some() || args.z_max.is_some() || args.z_step.is_some();
    let default = match kind {
        TemplateKind::Star => Grid::STAR,
        TemplateKind::Galaxy => Grid::GALAXY,
        TemplateKind::Qso => Grid::QSO,
    };
    let grid = if velocity {
        let (v0, v1, dv) = match Grid::STAR {
            Grid::Velocity {
                v_min_kms,
                v_max_kms,
                v_step_kms,
            } => (v_min_kms, v_max_kms, v_step_kms),
            Grid::Redshift { .. } => unreachable!("the star grid is in velocity"),
        };
        Grid::Velocity {
            v_min_kms: args.v_min.unwrap_or(v0),
            v_max_kms: args.v_max.unwrap_or(v1),
            v_step_kms: args.v_step.unwrap_or(dv),
        }
    } else if redshift {
        let (z0, z1) = match default {
            Grid::Redshift { z_min, z_max, .. } => (z_min, z_max),
            Grid::Velocity { .. } => (0.0, 1.5),
        };
        Grid::Redshift {
            z_min: args.z_min.unwrap_or(z0),
            z_max: args.z_max.unwrap_or(z1),
            z_step: args.z_step,
        }
    } else {
        default
    };
    let request = AnalysisRequest::Rv {
        spectrum: id.to_string(),
        template,
        request: RvRequest {
            grid,
            telluric: args.telluric,
            ..RvRequest::default()
        },
    };
    let record = record_in(&mut session, &request, file)?;
    if args.json {
        print_json(file, &record, &session)?;
    } else {
        let r: RvView = serde_result(&record);
        let mut out = vec![
            record.summary.clone(),
            format!("  z           {:.7} ± {:.7}", r.z, r.z_sigma),
            format!(
                "  cz          {:.3} ± {:.3} km/s ({} vertex; σ from {}{})",
                r.rv_kms,
                r.rv_sigma_kms,
                r.method,
                if r.sigma_source == "file" {
                    "the file's σ"
                } else {
                    "σ estimated from the residuals"
                },
                if r.sigma_scale > 1.0 {
                    format!(
                        ", × {:.2} for template mismatch (χ² {:.2})",
                        r.sigma_scale,
                        r.chi2_reduced.unwrap_or(0.0)
                    )
                } else {
                    String::new()
                }
            ),
        ];
        if let Some(g) = &r.gaussian {
            out.push(format!(
                "  Gaussian    {:.3} km/s, FWHM {:.1} km/s, height {:.4}",
                g.rv_kms, g.fwhm_kms, g.height
            ));
        }
        out.push(format!(
            "  Tonry–Davis r = {:.2}, σ = {:.3} km/s",
            r.tonry_davis.r, r.tonry_davis.sigma_kms
        ));
        out.push(format!(
            "  quality     {} {} (figure of merit {:.2})",
            r.quality.class, r.quality.label, r.quality.figure_of_merit
        ));
        for (k, p) in r.peaks.iter().enumerate() {
            out.push(format!(
                "  peak {}      z {:.6}  cz {:.2} km/s  height {:.4} ({:.1} × rms)",
                k + 1,
                p.z,
                p.rv_kms,
                p.height,
                p.height_over_rms
            ));
        }
        out.push(format!(
            "  grid pixel  {:.3} km/s (data: {:.3} km/s)",
            r.pixel_kms, r.native_pixel_kms
        ));
        if let Some(c) = &r.template_conversion {
            out.push(format!("  medium      {c}"));
        }
        for w in &r.warnings {
            out.push(format!("  warning     {w}"));
        }
        print(&out.join("\n"))?;
    }
    persist(store.as_mut(), &mut session, "rv")
}

fn serde_result<T: serde::de::DeserializeOwned>(record: &AnalysisRecord) -> T {
    serde_json::from_value(record.result.clone()).expect("a record's result reads back")
}

/// `identify FILE [--lines LIST] [--z Z | --z-range A:B] [--json]`.
pub(super) fn identify(args: IdentifyArgs, choice: &StoreChoice) -> Result<(), Failure> {
    let mut store = choice.open()?;
    let mut session = Session::default();
    let file = &args.file;
    let id = open_single(
        &mut session,
        file,
        &args.read.read_options(),
        "identify takes one",
    )?;
    let list = list_ref(&args.lines)?;
    let z = match (args.z, args.z_range) {
        (_, Some((z_min, z_max))) => ZChoice::Range { z_min, z_max },
        (z, None) => ZChoice::Fixed {
            z: z.unwrap_or(0.0),
        },
    };
    let request = AnalysisRequest::Identify {
        spectrum: id.to_string(),
        list,
        request: IdentifyRequest {
            z,
            features: FeatureRequest {
                continuum_px: args.continuum_px,
                continuum: args.continuum,
                threshold_sigma: args.threshold,
            },
            ..IdentifyRequest::default()
        },
    };
    let record = record_in(&mut session, &request, file)?;
    if args.json {
        print_json(file, &record, &session)?;
    } else {
        let r: IdentifyView = serde_result(&record);
        let mut out = vec![record.summary.clone()];
        out.push(format!(
            "  list        {} ({}, {}{})",
            r.list.key,
            r.list.name,
            r.list.medium,
            r.list
                .converted
                .as_ref()
                .map(|c| format!("; converted {c}"))
                .unwrap_or_default()
        ));
        out.push(format!("  scored at   z = {:.7}", r.z_scored));
        if let Some(z) = &r.redshift {
            out.push(format!(
                "  redshift    z = {:.7} ± {:.7} from {} lines (χ² {:.2})",
                z.z, z.z_sigma, z.n_lines, z.chi2_reduced
            ));
        }
        out.push(
            "  feature (nm)        kind        S/N    best candidate           score  [wavelength strength species snr blend]"
                .into(),
        );
        for f in &r.features {
            let best = f.candidates.first();
            out.push(format!(
                "  {:>9.3} ± {:<7.3} {:<11} {:>6.1}  {:<24} {}",
                f.feature.centroid_nm,
                f.feature.centroid_sigma_nm,
                f.feature.kind,
                f.feature.snr,
                best.map(|c| format!("{} {:.3}", c.species, c.rest_nm))
                    .unwrap_or_else(|| "—".into()),
                best.map(|c| format!(
                    "{:.3}{} [{:.2} {:.2} {:.2} {:.2} {:.2}]",
                    c.score,
                    if f.identified { " ✓" } else { "  " },
                    c.components.wavelength,
                    c.components.strength,
                    c.components.species,
                    c.components.snr,
                    c.components.blend
                ))
                .unwrap_or_default()
            ));
        }
        for w in &r.warnings {
            out.push(format!("  warning     {w}"));
        }
        print(&out.join("\n"))?;
    }
    persist(store.as_mut(), &mut session, "identify")
}

/// What the text output reads back from an identification record.
#[derive(serde::Deserialize)]
struct IdentifyView {
    list: ListView,
    z_scored: f64,
    redshift: Option<ZView>,
    features: Vec<FeatureView>,
    warnings: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ListView {
    key: String,
    name: String,
    medium: String,
    converted: Option<String>,
}

#[derive(serde::Deserialize)]
struct ZView {
    z: f64,
    z_sigma: f64,
    n_lines: usize,
    chi2_reduced: f64,
}

#[derive(serde::Deserialize)]
struct FeatureView {
    feature: FeatureFields,
    candidates: Vec<CandidateView>,
    identified: bool,
}

#[derive(serde::Deserialize)]
struct FeatureFields {
    kind: String,
    centroid_nm: f64,
    centroid_sigma_nm: f64,
    snr: f64,
}

#[derive(serde::Deserialize)]
struct CandidateView {
    species: String,
    rest_nm: f64,
    score: f64,
    components: ComponentView,
}

#[derive(serde::Deserialize)]
struct ComponentView {
    wavelength: f64,
    strength: f64,
    species: f64,
    snr: f64,
    blend: f64,
}

/// What the text output reads back from an RV record.
#[derive(serde::Deserialize)]
struct RvView {
    rv_kms: f64,
    rv_sigma_kms: f64,
    z: f64,
    z_sigma: f64,
    method: String,
    gaussian: Option<GaussianView>,
    tonry_davis: TdView,
    quality: QualityView,
    peaks: Vec<PeakView>,
    pixel_kms: f64,
    native_pixel_kms: f64,
    sigma_source: String,
    chi2_reduced: Option<f64>,
    sigma_scale: f64,
    template_conversion: Option<String>,
    warnings: Vec<String>,
}

#[derive(serde::Deserialize)]
struct GaussianView {
    rv_kms: f64,
    fwhm_kms: f64,
    height: f64,
}

#[derive(serde::Deserialize)]
struct TdView {
    r: f64,
    sigma_kms: f64,
}

#[derive(serde::Deserialize)]
struct QualityView {
    figure_of_merit: f64,
    class: u8,
    label: String,
}

#[derive(serde::Deserialize)]
struct PeakView {
    rv_kms: f64,
    z: f64,
    height: f64,
    height_over_rms: f64,
}
