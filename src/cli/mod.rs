//! The command line: `spectra-workbench` (GUI), `open FILE…`, and the headless verbs.
//! Every verb drives the same [`Session`] the GUI uses. Exit codes: 0 ok, 1 a check
//! failed, 2 bad input or usage (one line on stderr naming the file and the problem).

pub mod analysis_verbs;
pub mod log_verbs;
pub mod store_verbs;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::ingest::{ColumnRef, ReadOptions};
use crate::session::Session;
use crate::units::XUnit;

/// Spectra workbench: load, overlay, transform and export spectra with full provenance.
#[derive(Parser, Debug)]
#[command(name = "spectra-workbench", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Verb>,
    /// The Library store's folder (default: $SPECTRA_WORKBENCH_STORE, else the platform
    /// data folder's spectra-workbench/store).
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Do not put what this command opens or makes into the Library store.
    #[arg(long, global = true)]
    pub no_store: bool,
}

/// Where a verb keeps what it opens and makes: the store folder, or nowhere.
#[derive(Clone, Debug)]
pub struct StoreChoice {
    flag: Option<PathBuf>,
    off: bool,
}

impl StoreChoice {
    /// Opens the store unless `--no-store`.
    fn open(&self) -> Result<Option<crate::store::Store>, Failure> {
        if self.off {
            return Ok(None);
        }
        store_verbs::open(self.flag.as_deref()).map(Some)
    }

    /// The store folder for the GUI (`None` with `--no-store`).
    fn root(&self) -> Result<Option<PathBuf>, Failure> {
        if self.off {
            return Ok(None);
        }
        crate::store::resolve_root(self.flag.as_deref())
            .map(Some)
            .map_err(store_verbs::store_failure)
    }
}

/// Puts every dataset of a session into the store (when there is one), and records the
/// run's History (its events and a `store` event) as a session of its own.
fn persist(
    store: Option<&mut crate::store::Store>,
    session: &mut Session,
    verb: &str,
) -> Result<(), Failure> {
    let Some(store) = store else { return Ok(()) };
    let run = log_verbs::CliRun::new(verb);
    let all: Vec<&crate::session::Dataset> = session.datasets().iter().collect();
    crate::session::persist::put_datasets(store, &all, session.records(), store_verbs::now_ms())
        .map_err(store_verbs::store_failure)?;
    let ids: Vec<crate::ids::DatasetId> = session.datasets().iter().map(|d| d.id.clone()).collect();
    let summary = format!(
        "stored {} dataset{} in the Library",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    );
    let record = log_verbs::record(crate::session::EventKind::Store, summary, ids);
    run.finish(store, session, Some(record))
}

/// Column and unit choices shared by the verbs that read files.
#[derive(Args, Debug, Clone, Default)]
pub struct ReadArgs {
    /// Column holding x: a 1-based number or a header name.
    #[arg(long, value_name = "COL")]
    pub x_col: Option<String>,
    /// Column holding y: a 1-based number or a header name.
    #[arg(long, value_name = "COL")]
    pub y_col: Option<String>,
    /// Column holding the 1σ uncertainty: a 1-based number or a header name.
    #[arg(long, value_name = "COL")]
    pub sigma_col: Option<String>,
    /// Unit of x in the file when the header does not say (nm, angstrom, micrometer, wavenumber).
    #[arg(long, value_name = "UNIT", value_parser = parse_unit)]
    pub x_unit: Option<XUnit>,
    /// FITS: the HDU to read, a 0-based number or an EXTNAME.
    #[arg(long, value_name = "HDU")]
    pub hdu: Option<String>,
    /// JCAMP-DX: treat a failed DIF check value as an error (default: warn with a count).
    #[arg(long)]
    pub strict: bool,
    /// Of a file holding several spectra, the one to use: its number in `inspect`'s list
    /// (from 1) or its name (e.g. "B arm, spectrum 3").
    #[arg(long, value_name = "N|NAME")]
    pub spectrum: Option<String>,
}

impl ReadArgs {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            x_col: self.x_col.as_deref().map(ColumnRef::parse),
            y_col: self.y_col.as_deref().map(ColumnRef::parse),
            sigma_col: self.sigma_col.as_deref().map(ColumnRef::parse),
            x_unit: self.x_unit,
            hdu: self.hdu.clone(),
            strict: self.strict,
            spectrum: self.spectrum.clone(),
            ..ReadOptions::default()
        }
    }
}

fn parse_medium(text: &str) -> Result<crate::spectrum::Medium, String> {
    match text {
        "air" => Ok(crate::spectrum::Medium::Air),
        "vacuum" => Ok(crate::spectrum::Medium::Vacuum),
        _ => Err(format!("unknown medium '{text}' (use air or vacuum)")),
    }
}

fn parse_interval(text: &str) -> Result<crate::analysis::measure::Interval, String> {
    let (a, b) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}': want START:END in nm, e.g. 655.5:657.2"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("'{text}': '{t}' is not a number of nm"))
    };
    let (lo, hi) = (num(a)?, num(b)?);
    if lo >= hi {
        return Err(format!("'{text}': the start must be below the end"));
    }
    Ok(crate::analysis::measure::Interval {
        lo_nm: lo,
        hi_nm: hi,
    })
}

fn parse_unit(text: &str) -> Result<XUnit, String> {
    XUnit::parse_name(text).ok_or_else(|| {
        format!("unknown unit '{text}' (use nm, angstrom, micrometer or wavenumber)")
    })
}

#[derive(Subcommand, Debug)]
pub enum Verb {
    /// Open the GUI with these files loaded.
    Open {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Describe a spectrum file: ID, format, size, range, units.
    Inspect {
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Apply an ordered list of transform steps and write x_nm, y, σ as CSV.
    Apply {
        file: PathBuf,
        /// JSON array of steps: [{"kind": …, "params": {…}}, …] (docs/user/transforms.md).
        #[arg(long)]
        steps: PathBuf,
        /// Output CSV file (written atomically).
        #[arg(long)]
        out: PathBuf,
        /// Medium of the input when the file does not say.
        #[arg(long, value_parser = parse_medium)]
        medium: Option<crate::spectrum::Medium>,
        /// Further inputs a step may name (math_op's B, resample's match grid).
        #[arg(long = "with", value_name = "FILE")]
        with: Vec<PathBuf>,
        /// Print the step records as JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Export a recipe as a verifiable bundle under DIR; prints the bundle's path.
    Export {
        recipe: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a bundle: manifest, every file's hash and size, nothing missing or unlisted,
    /// pack and data hashes, MANIFEST_ID. Exit 1 listing each failure.
    Verify { bundle: PathBuf },
    /// Re-ingest a bundle's spectra, re-apply its steps, re-render view.png and compare;
    /// prints JSON {rmse, max_abs_diff, traces_equal, ids_equal, view_state_equal}.
    Replay { bundle: PathBuf },
    /// The Library store: list, show, pin, unpin, rm, gc, verify, import, export, index.
    Store {
        #[command(subcommand)]
        verb: store_verbs::StoreVerb,
    },
    /// List the History the store keeps: every session's events, oldest first.
    History {
        /// Only this session's events (IDs as `history` prints them).
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// Only events of this kind (open, transform, export, import, pin, note…).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Only events that touched this dataset (an ID or a unique prefix).
        #[arg(long, value_name = "ID")]
        dataset: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure one line: local continuum, centroid, FWHM, equivalent width, line flux,
    /// each with its uncertainty from σ (docs/user/measure.md).
    Measure {
        file: PathBuf,
        /// The line's region, nm: START:END.
        #[arg(long, value_name = "A:B", value_parser = parse_interval)]
        region: crate::analysis::measure::Interval,
        /// Continuum windows, nm: A:B,C:D (default: one region-wide window each side).
        #[arg(long, value_name = "A:B,C:D", value_delimiter = ',', value_parser = parse_interval)]
        continuum: Vec<crate::analysis::measure::Interval>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Radial velocity or redshift by cross-correlation against a template or a line
    /// list: best peak with σ, Tonry–Davis r, quality class, top five peaks
    /// (docs/user/identification.md).
    Rv(analysis_verbs::RvArgs),
    /// Find features and identify them with a line list: candidates with their named
    /// score components, and the redshift the identified lines give.
    Identify(analysis_verbs::IdentifyArgs),
    /// The Knowledge-log: list, show, add notes.
    Log {
        #[command(subcommand)]
        verb: log_verbs::LogVerb,
    },
    /// Write a spectrum as CSV (x, y, σ) in a chosen x unit.
    Convert {
        file: PathBuf,
        /// Output CSV file (written atomically).
        #[arg(long)]
        out: PathBuf,
        /// x unit of the output.
        #[arg(long, default_value = "nm", value_parser = parse_unit)]
        unit: XUnit,
        #[command(flatten)]
        read: ReadArgs,
    },
}

/// A failure at the binary's edge: the message (already naming the file) and exit code.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn bad_input(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            code: 2,
        }
    }
}

/// Clap's error text as one line: the message up to its `Usage:` block or help hint,
/// lines joined by spaces.
fn one_line_usage_error(text: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Usage:") || t.starts_with("For more information") {
            break;
        }
        if !t.is_empty() {
            words.push(t);
        }
    }
    words.join(" ")
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    // The isolated FITS reader runs this binary with a hidden subcommand; it bypasses
    // the parser so that it never appears in help or takes any option.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| a == crate::ingest::fits::child::SUBCOMMAND)
    {
        return crate::ingest::fits::child::child_main(&args[2..]);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // --help and --version: their text as clap writes it.
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // A usage error is one line on stderr, like every other refusal: clap's
            // message without its usage block and "try --help" footer.
            eprintln!(
                "spectra-workbench: {}",
                one_line_usage_error(&e.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("spectra-workbench: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let choice = StoreChoice {
        flag: cli.store.clone(),
        off: cli.no_store,
    };
    match cli.command {
        None => crate::gui::run(Vec::new(), ReadOptions::default(), choice.root()?)
            .map_err(Failure::bad_input),
        Some(Verb::Open { files, read }) => {
            for f in &files {
                if !f.exists() {
                    return Err(Failure::bad_input(format!("{}: no such file", f.display())));
                }
            }
            crate::gui::run(files, read.read_options(), choice.root()?).map_err(Failure::bad_input)
        }
        Some(Verb::Inspect { file, json, read }) => inspect(&file, json, &read.read_options()),
        Some(Verb::Export { recipe, out }) => export(&recipe, &out, &choice),
        Some(Verb::Store { verb }) => store_verbs::run(verb, cli.store.as_deref()),
        Some(Verb::History {
            session,
            kind,
            dataset,
            json,
        }) => log_verbs::history(cli.store.as_deref(), session, kind, dataset, json),
        Some(Verb::Log { verb }) => log_verbs::log(verb, cli.store.as_deref()),
        Some(Verb::Measure {
            file,
            region,
            continuum,
            json,
            read,
        }) => analysis_verbs::measure(
            &file,
            region,
            continuum,
            json,
            &read.read_options(),
            &choice,
        ),
        Some(Verb::Rv(args)) => analysis_verbs::rv(args, &choice),
        Some(Verb::Identify(args)) => analysis_verbs::identify(args, &choice),
        Some(Verb::Verify { bundle }) => verify(&bundle),
        Some(Verb::Replay { bundle }) => replay(&bundle),
        Some(Verb::Apply {
            file,
            steps,
            out,
            medium,
            with,
            json,
            read,
        }) => apply(
            &file,
            &steps,
            &out,
            medium,
            &with,
            json,
            &read.read_options(),
            &choice,
        ),
        Some(Verb::Convert {
            file,
            out,
            unit,
            read,
        }) => convert(&file, &out, unit, &read.read_options(), &choice),
    }
}

/// What `inspect --json` prints for each spectrum (or non-plottable block) in a file.
#[derive(Serialize, Debug)]
pub struct InspectReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    pub format: String,
    pub name: String,
    /// For a spectrum, its number in the file (from 1): what `--spectrum N` takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spectrum_number: Option<usize>,
    /// False for blocks that are read but not spectra the workbench plots (see `reason`).
    pub plottable: bool,
    pub n_points: usize,
    /// The x unit as the file states it (or as assumed; see the warnings).
    pub x_unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_nm_min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_nm_max: Option<f64>,
    pub y_unit: String,
    pub has_sigma: bool,
    /// Points masked on reading (ivar = 0, a mask column).
    pub n_masked: usize,
    pub medium: String,
    pub instrument: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub warnings: Vec<String>,
}

fn inspect(file: &Path, json: bool, options: &ReadOptions) -> Result<(), Failure> {
    let loaded = crate::ingest::load_path(file, options).map_err(Failure::bad_input)?;
    let mut reports: Vec<InspectReport> = loaded
        .spectra
        .iter()
        .zip(loaded.warnings_per_spectrum())
        .enumerate()
        .map(|(k, (s, warnings))| {
            let (lo, hi) = s.x_range_nm();
            InspectReport {
                dataset_id: Some(s.dataset_id().to_string()),
                format: loaded.format.to_string(),
                name: s.name.clone(),
                spectrum_number: Some(k + 1),
                plottable: true,
                n_points: s.len(),
                x_unit: s
                    .metadata
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "x_unit_in_file")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "nm".into()),
                x_nm_min: Some(lo),
                x_nm_max: Some(hi),
                y_unit: s.y_unit.clone(),
                has_sigma: s.sigma().is_some(),
                n_masked: s.mask().map_or(0, |m| m.iter().filter(|&&b| b).count()),
                medium: s.medium.as_str().to_string(),
                instrument: s.instrument.clone(),
                reason: None,
                warnings: warnings.iter().map(ToString::to_string).collect(),
            }
        })
        .collect();
    reports.extend(loaded.not_spectra.iter().map(|n| {
        InspectReport {
            dataset_id: None,
            format: loaded.format.to_string(),
            name: n.name.clone(),
            spectrum_number: None,
            plottable: false,
            n_points: n.n_points,
            x_unit: n.x_unit.clone(),
            x_nm_min: None,
            x_nm_max: None,
            y_unit: n.y_unit.clone(),
            has_sigma: false,
            n_masked: 0,
            medium: "unknown".into(),
            instrument: String::new(),
            reason: Some(n.reason.clone()),
            warnings: loaded
                .warnings_for(&n.name)
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }));
    let several = loaded.spectra.len() > 1;
    let mut stdout = std::io::stdout().lock();
    let written = if json {
        // One file with one spectrum prints an object; several print an array.
        let text = if reports.len() == 1 {
            serde_json::to_string_pretty(&reports[0])
        } else {
            serde_json::to_string_pretty(&reports)
        }
        .expect("plain data serializes");
        writeln!(stdout, "{text}")
    } else {
        reports.iter().try_for_each(|r| {
            if !r.plottable {
                return writeln!(
                    stdout,
                    "{}\n  format      {}\n  points      {}\n  x unit      {}\n  not shown   {}",
                    r.name,
                    r.format,
                    r.n_points,
                    r.x_unit,
                    r.reason.as_deref().unwrap_or(""),
                );
            }
            writeln!(
                stdout,
                "{}\n  dataset_id  {}\n  format      {}\n  points      {}\n  x unit      {}\n  x range     {} – {} nm\n  y unit      {}\n  sigma       {}\n  medium      {}\n  instrument  {}",
                r.name,
                r.dataset_id.as_deref().unwrap_or(""),
                r.format,
                r.n_points,
                r.x_unit,
                r.x_nm_min.unwrap_or(f64::NAN),
                r.x_nm_max.unwrap_or(f64::NAN),
                if r.y_unit.is_empty() { "(none)" } else { &r.y_unit },
                if r.has_sigma { "yes" } else { "no" },
                r.medium,
                if r.instrument.is_empty() { "(unknown)" } else { &r.instrument },
            )?;
            if let Some(k) = r.spectrum_number.filter(|_| several) {
                writeln!(stdout, "  choose      --spectrum {k}")?;
            }
            r.warnings
                .iter()
                .try_for_each(|w| writeln!(stdout, "  warning     {w}"))
        })
    };
    written.map_err(|e| Failure::bad_input(format!("stdout: {e}")))
}

/// Opens a file that must hold exactly one spectrum (`why` completes the error).
fn open_single(
    session: &mut Session,
    file: &Path,
    options: &ReadOptions,
    why: &str,
) -> Result<crate::ids::DatasetId, Failure> {
    let ids = session
        .open_path(file, options)
        .map_err(Failure::bad_input)?;
    match <[_; 1]>::try_from(ids) {
        Ok([id]) => Ok(id),
        Err(ids) => Err(Failure::bad_input(format!(
            "{}: holds {} spectra; {why}: choose it with --spectrum N|NAME (see inspect)",
            file.display(),
            ids.len()
        ))),
    }
}

fn convert(
    file: &Path,
    out: &Path,
    unit: XUnit,
    options: &ReadOptions,
    choice: &StoreChoice,
) -> Result<(), Failure> {
    let mut store = choice.open()?;
    let mut session = Session::default();
    let id = open_single(&mut session, file, options, "convert writes one")?;
    let d = session.dataset(&id).expect("just added");
    if out.is_dir() {
        return Err(Failure::bad_input(format!(
            "{}: is a directory",
            out.display()
        )));
    }
    crate::atomic::write_atomic(out, |w| {
        crate::canonical_csv::write_spectrum(w, &d.spectrum, &d.id, unit)
    })
    .map_err(|e| Failure::bad_input(format!("{}: cannot write: {e}", out.display())))?;
    persist(store.as_mut(), &mut session, "convert")
}

fn export(recipe_path: &Path, out: &Path, choice: &StoreChoice) -> Result<(), Failure> {
    let mut store = choice.open()?;
    use crate::provenance::{bundle, recipe};
    let text = std::fs::read_to_string(recipe_path)
        .map_err(|e| Failure::bad_input(format!("{}: cannot read: {e}", recipe_path.display())))?;
    let parsed = recipe::parse_recipe(&text)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", recipe_path.display())))?;
    let dir = recipe_path.parent().unwrap_or(Path::new("."));
    let mut session = recipe::session_from_recipe(&parsed, dir)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", recipe_path.display())))?;
    let exported = bundle::export_session(&session, out, &recipe::now_rfc3339())
        .map_err(|e| Failure::bad_input(format!("{}: {e}", recipe_path.display())))?;
    if let Some(store) = store.as_mut() {
        let run = log_verbs::CliRun::new("export");
        let now = store_verbs::now_ms();
        let mid = &exported.manifest_id;
        crate::provenance::archive::record_export(store, &session, &exported.dir, mid, now)
            .map_err(|e| Failure::bad_input(format!("store: {e}")))?;
        // The bundle and the store are complete here; an entry that cannot be written
        // is said, and the export stands.
        let context = format!("export verb, recipe {}", recipe_path.display());
        let origin = run.origin(&session);
        let log_entry = match crate::provenance::archive::read_manifest(&exported.dir) {
            Ok(manifest) => crate::provenance::knowledge::write_export_entry(
                store, &manifest, mid, &context, &origin, now,
            )
            .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let log_entry = match log_entry {
            Ok(id) => Some(id),
            Err(e) => {
                eprintln!(
                    "spectra-workbench: knowledge-log: the export's entry was not written: {e}"
                );
                None
            }
        };
        let ids: Vec<crate::ids::DatasetId> =
            session.datasets().iter().map(|d| d.id.clone()).collect();
        let mut record = log_verbs::record(
            crate::session::EventKind::Export,
            format!("exported bundle {}", crate::ids::short_hex(mid)),
            ids,
        );
        record.manifest_id = Some(mid.clone());
        record.log_entry = log_entry;
        run.finish(store, &mut session, Some(record))?;
    }
    println!("{}", exported.dir.display());
    Ok(())
}

fn replay(bundle: &Path) -> Result<(), Failure> {
    let report = crate::provenance::replay::replay_bundle(bundle)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", bundle.display())))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("report serializes")
    );
    if report.passed() {
        Ok(())
    } else {
        Err(Failure {
            message: format!(
                "{}: replay differs ({})",
                bundle.display(),
                report.problems.join("; ")
            ),
            code: 1,
        })
    }
}

fn verify(bundle: &Path) -> Result<(), Failure> {
    let (version, failures) =
        crate::provenance::verify::verify_bundle_versioned(bundle).map_err(Failure::bad_input)?;
    let format = version.map_or_else(String::new, |v| {
        let rule = if v == "1.2.0" {
            "pack and data hashes over lines sorted by hash"
        } else {
            "pack and data hashes over entries sorted by path"
        };
        format!(" (bundle format {v}: {rule})")
    });
    if failures.is_empty() {
        println!("{}: ok{format}", bundle.display());
        return Ok(());
    }
    for f in &failures {
        eprintln!("{}: {f}", bundle.display());
    }
    Err(Failure {
        message: format!(
            "{}: {} problem(s){format}",
            bundle.display(),
            failures.len()
        ),
        code: 1,
    })
}

#[allow(clippy::too_many_arguments)] // one per flag of the verb
fn apply(
    file: &Path,
    steps_path: &Path,
    out: &Path,
    medium: Option<crate::spectrum::Medium>,
    with: &[PathBuf],
    json: bool,
    options: &ReadOptions,
    choice: &StoreChoice,
) -> Result<(), Failure> {
    use crate::transforms::registry;
    let mut store = choice.open()?;
    let text = std::fs::read_to_string(steps_path)
        .map_err(|e| Failure::bad_input(format!("{}: cannot read: {e}", steps_path.display())))?;
    let steps = registry::parse_steps(&text)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", steps_path.display())))?;
    // The same session and commands as the GUI: open, declare, derive step by step.
    let mut session = Session::default();
    let ids = [open_single(&mut session, file, options, "apply takes one")?];
    if let Some(medium) = medium {
        session
            .apply(crate::session::Command::DeclareMedium {
                id: ids[0].clone(),
                medium,
            })
            .map_err(|e| Failure::bad_input(format!("{}: {e}", file.display())))?;
    }
    let mut others = Vec::new();
    // `--spectrum` picks from FILE; every spectrum of a `--with` file is offered.
    let with_options = ReadOptions {
        spectrum: None,
        ..options.clone()
    };
    for w in with {
        others.extend(
            session
                .open_path(w, &with_options)
                .map_err(Failure::bad_input)?,
        );
    }
    let mut current = ids[0].clone();
    for (k, step) in steps.iter().enumerate() {
        // math_op without explicit inputs: A is the chain's current result, B the first
        // --with input.
        let step = match step {
            registry::Step::MathOp(p) if p.inputs.is_empty() && !others.is_empty() => {
                let mut p = p.clone();
                p.inputs = vec![current.clone(), others[0].clone()];
                registry::Step::MathOp(p)
            }
            s => s.clone(),
        };
        current = session.apply_step(&current, &step, false).map_err(|e| {
            Failure::bad_input(format!(
                "{}: step {} ({}): {e}",
                steps_path.display(),
                k + 1,
                step.kind()
            ))
        })?;
    }
    let result = (*session.dataset(&current).expect("just derived").spectrum).clone();
    let records = session.records().to_vec();
    if out.is_dir() {
        return Err(Failure::bad_input(format!(
            "{}: is a directory",
            out.display()
        )));
    }
    let id = result.dataset_id();
    crate::atomic::write_atomic(out, |w| {
        crate::canonical_csv::write_spectrum(w, &result, &id, XUnit::Nanometer)
    })
    .map_err(|e| Failure::bad_input(format!("{}: cannot write: {e}", out.display())))?;
    persist(store.as_mut(), &mut session, "apply")?;
    if json {
        let text = serde_json::to_string_pretty(&records).expect("records serialize");
        println!("{text}");
    }
    Ok(())
}
