//! `spectra-workbench store …`: list, show, pin, unpin, rm, gc, verify, import, export,
//! index and settings on the Library store (`--store DIR` or `SPECTRA_WORKBENCH_STORE`,
//! else the platform data folder).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Failure;
use super::log_verbs::{CliRun, record};
use crate::session::EventKind;
use crate::store::{Query, Resolved, Retention, SortKey, Store, StoreError};
use crate::textfmt::size_text;
use crate::units::XUnit;

#[derive(Subcommand, Debug)]
pub enum StoreVerb {
    /// List the datasets in the store (most recently seen first).
    List {
        /// Keep entries whose names, object, instrument, ID or metadata contain TEXT.
        #[arg(long, value_name = "TEXT")]
        query: Option<String>,
        /// Order by: name, object, instrument, x, points, sigma, size, seen, pinned.
        #[arg(long, value_name = "KEY", value_parser = parse_sort)]
        sort: Option<SortKey>,
        /// Ascending order (the default for every key but last seen).
        #[arg(long)]
        ascending: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Everything the store knows about one dataset: names, sources, links, manifests.
    Show {
        /// A Dataset ID or MANIFEST_ID, or a unique prefix of at least 8 hex digits.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Keep a dataset (or a manifest and every dataset it used) whatever retention says.
    Pin { id: String },
    /// Undo `pin`.
    Unpin { id: String },
    /// Remove a dataset from the store (refused while it is pinned).
    Rm { id: String },
    /// Remove what retention lets go (see `store settings`); `--dry-run` lists it and why.
    Gc {
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check the index and that every entry's blob is there with its size; with
    /// `--read-data`, hash every blob again. Exit 1 listing each problem.
    Verify {
        #[arg(long)]
        read_data: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a bundle, then import its spectra, derived traces and manifest.
    Import {
        bundle: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a stored dataset as CSV (x, y, σ).
    Export {
        id: String,
        /// The CSV file to write (written whole, or not at all).
        #[arg(long)]
        out: PathBuf,
        /// x unit of the output.
        #[arg(long, default_value = "nm", value_parser = super::parse_unit)]
        unit: XUnit,
    },
    /// Print the index as JSON (Dataset ID → metadata, names, timestamps, citations).
    Index {
        /// Accepted for symmetry with the other verbs: the index is always JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or change retention: size limit, age limit, grace period.
    Settings {
        #[arg(long, value_name = "BYTES")]
        max_bytes: Option<u64>,
        #[arg(long, value_name = "DAYS")]
        max_age_days: Option<u64>,
        #[arg(long, value_name = "DAYS")]
        grace_days: Option<u64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the store's folder.
    Path,
}

fn parse_sort(text: &str) -> Result<SortKey, String> {
    Ok(match text {
        "name" => SortKey::Name,
        "object" => SortKey::Object,
        "instrument" => SortKey::Instrument,
        "x" => SortKey::XRange,
        "points" => SortKey::Points,
        "sigma" => SortKey::Sigma,
        "size" => SortKey::Size,
        "seen" => SortKey::LastSeen,
        "pinned" => SortKey::Pinned,
        _ => {
            return Err(format!(
                "unknown sort key '{text}' (name, object, instrument, x, points, sigma, size, seen, pinned)"
            ));
        }
    })
}

/// Milliseconds since the Unix epoch: the binary's edge reads the clock, the store
/// takes the time as a value.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Opens the store named by `--store`, the environment or the platform default.
pub(super) fn open(flag: Option<&Path>) -> Result<Store, Failure> {
    let root = crate::store::resolve_root(flag).map_err(store_failure)?;
    Store::open(&root).map_err(|e| Failure::bad_input(format!("store {}: {e}", root.display())))
}

pub(super) fn store_failure(e: StoreError) -> Failure {
    Failure::bad_input(format!("store: {e}"))
}

/// Prints one block of text on stdout.
pub(super) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Failure::bad_input(format!("stdout: {e}")))
}

/// Pretty JSON of plain data.
pub(super) fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serializes")
}

pub(super) fn run(verb: StoreVerb, flag: Option<&Path>) -> Result<(), Failure> {
    if let StoreVerb::Path = verb {
        let root = crate::store::resolve_root(flag).map_err(store_failure)?;
        return print(&root.display().to_string());
    }
    let mut store = open(flag)?;
    let now = now_ms();
    match verb {
        StoreVerb::Path => unreachable!("handled above"),
        StoreVerb::List {
            query,
            sort,
            ascending,
            json: as_json,
        } => {
            let sort = sort.unwrap_or_default();
            let query = Query {
                text: query.unwrap_or_default(),
                sort,
                descending: !ascending && sort == SortKey::LastSeen,
            };
            let entries = store.list(&query).map_err(store_failure)?;
            if as_json {
                return print(&json(&entries));
            }
            let mut lines = Vec::with_capacity(entries.len());
            for e in &entries {
                lines.push(format!(
                    "{}  {:<32} {:>9} pts  {:>10.3}–{:<10.3} nm  {:>9}{}{}",
                    e.id.short(),
                    e.name,
                    e.n_points,
                    e.x_min_nm,
                    e.x_max_nm,
                    size_text(e.size_bytes),
                    if e.pinned { "  pinned" } else { "" },
                    if e.status == "ok" {
                        String::new()
                    } else {
                        format!("  {}", e.status)
                    },
                ));
            }
            if lines.is_empty() {
                lines.push("(no datasets)".into());
            }
            print(&lines.join("\n"))
        }
        StoreVerb::Show { id, json: as_json } => match store.resolve(&id).map_err(store_failure)? {
            Resolved::Dataset(id) => {
                let d = store.detail(&id).map_err(store_failure)?;
                if as_json {
                    return print(&json(&d));
                }
                let e = &d.entry;
                let mut t = format!(
                    "{}\n  dataset_id  {}\n  format      {}\n  points      {}\n  x range     {} – {} nm\n  y unit      {}\n  sigma       {}\n  instrument  {}\n  object      {}\n  size        {}\n  pinned      {}\n  status      {}\n  first seen  {}\n  last seen   {}\n",
                    e.name,
                    e.id,
                    e.format,
                    e.n_points,
                    e.x_min_nm,
                    e.x_max_nm,
                    e.y_unit,
                    if e.has_sigma { "yes" } else { "no" },
                    e.instrument,
                    e.object,
                    size_text(e.size_bytes),
                    if e.pinned { "yes" } else { "no" },
                    e.status,
                    crate::textfmt::rfc3339_from_unix((e.first_seen_ms.max(0) / 1000) as u64),
                    crate::textfmt::rfc3339_from_unix((e.last_seen_ms.max(0) / 1000) as u64),
                );
                for n in &d.names {
                    t.push_str(&format!("  name        {n}\n"));
                }
                for s in &d.sources {
                    t.push_str(&format!(
                        "  source      {} sha256 {}{}\n",
                        s.name,
                        s.sha256,
                        if s.present { "" } else { " (bytes not kept)" }
                    ));
                }
                for p in &d.parents {
                    t.push_str(&format!("  parent      {} ({})\n", p.dataset_id, p.kind));
                }
                for c in &d.children {
                    t.push_str(&format!("  child       {} ({})\n", c.dataset_id, c.kind));
                }
                for m in &d.manifests {
                    t.push_str(&format!("  manifest    {} ({})\n", m.manifest_id, m.role));
                }
                for w in &d.warnings {
                    t.push_str(&format!("  warning     {w}\n"));
                }
                print(t.trim_end())
            }
            Resolved::Manifest(mid) => {
                let path = store.manifest_path(&mid);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Failure::bad_input(format!("{}: cannot read: {e}", path.display()))
                })?;
                if as_json {
                    print(text.trim_end())
                } else {
                    print(&format!("manifest {mid}\n  file        {}", path.display()))
                }
            }
        },
        StoreVerb::Pin { ref id } | StoreVerb::Unpin { ref id } => {
            let pin = matches!(verb, StoreVerb::Pin { .. });
            let id = id.clone();
            let target = store.resolve(&id).map_err(store_failure)?;
            let run = CliRun::new(if pin { "store pin" } else { "store unpin" });
            store.set_pinned(&target, pin).map_err(store_failure)?;
            let kind = if pin {
                EventKind::Pin
            } else {
                EventKind::Unpin
            };
            let r = match &target {
                Resolved::Dataset(d) => record(
                    kind,
                    format!("{} dataset {}", kind.as_str(), d.short()),
                    vec![d.clone()],
                ),
                Resolved::Manifest(m) => {
                    let mut r = record(
                        kind,
                        format!("{} manifest {}", kind.as_str(), crate::ids::short_hex(m)),
                        Vec::new(),
                    );
                    r.manifest_id = Some(m.clone());
                    r
                }
            };
            run.single(&mut store, r)
        }
        StoreVerb::Rm { id } => {
            let id = store.resolve_dataset(&id).map_err(store_failure)?;
            let run = CliRun::new("store rm");
            let name = store
                .entry(&id)
                .map_err(store_failure)?
                .map(|e| e.name)
                .unwrap_or_default();
            store.remove(&id).map_err(store_failure)?;
            let r = record(
                EventKind::Delete,
                format!("deleted {name} ({}) from the store", id.short()),
                vec![id],
            );
            run.single(&mut store, r)
        }
        StoreVerb::Gc {
            dry_run,
            json: as_json,
        } => {
            let plan = store.gc_plan(now).map_err(store_failure)?;
            let removed = if dry_run {
                plan.remove.clone()
            } else {
                store.gc_run(&plan).map_err(store_failure)?
            };
            if as_json {
                return print(&json(&serde_json::json!({
                    "dry_run": dry_run,
                    "remove": removed,
                    "protected": plan.protected,
                    "total_bytes": plan.total_bytes,
                    "freed_bytes": removed.iter().map(|i| i.size_bytes).sum::<u64>(),
                })));
            }
            let verb = if dry_run { "would remove" } else { "removed" };
            let mut lines: Vec<String> = removed
                .iter()
                .map(|i| {
                    format!(
                        "{verb} {}  {}  {}: {}",
                        i.id.short(),
                        i.name,
                        size_text(i.size_bytes),
                        i.reason
                    )
                })
                .collect();
            lines.push(format!(
                "{} entr{} {verb}, {} freed; {} protected (pinned, in a pinned manifest, open, or within the grace period)",
                removed.len(),
                if removed.len() == 1 { "y" } else { "ies" },
                size_text(removed.iter().map(|i| i.size_bytes).sum()),
                plan.protected
            ));
            print(&lines.join("\n"))
        }
        StoreVerb::Verify {
            read_data,
            json: as_json,
        } => {
            let report = store.verify(read_data, now).map_err(store_failure)?;
            let root = store.root().display().to_string();
            if as_json {
                print(&json(&report))?;
            } else {
                for n in &report.notes {
                    print(&format!("{root}: note: {n}"))?;
                }
                for p in &report.problems {
                    eprintln!("{root}: {p}");
                }
                if report.passed() {
                    print(&format!(
                        "{root}: ok ({} datasets{})",
                        report.datasets,
                        if read_data {
                            format!(", {} blobs re-hashed", report.blobs_hashed)
                        } else {
                            String::new()
                        }
                    ))?;
                }
            }
            if report.passed() {
                Ok(())
            } else {
                Err(Failure {
                    message: format!("{root}: {} problem(s)", report.problems.len()),
                    code: 1,
                })
            }
        }
        StoreVerb::Import {
            bundle,
            json: as_json,
        } => {
            let run = CliRun::new("store import");
            let report = crate::provenance::archive::import_bundle(&mut store, &bundle, now)
                .map_err(|e| match e {
                    crate::provenance::archive::ImportError::Verify(failures) => Failure {
                        message: format!(
                            "{}: does not verify, nothing imported ({})",
                            bundle.display(),
                            failures.join("; ")
                        ),
                        code: 1,
                    },
                    e => Failure::bad_input(format!("{}: {e}; nothing imported", bundle.display())),
                })?;
            let mut r = record(
                EventKind::Import,
                format!(
                    "imported bundle {} ({} datasets, {} new)",
                    crate::ids::short_hex(&report.manifest_id),
                    report.datasets.len(),
                    report.added
                ),
                report.datasets.iter().map(|d| d.id.clone()).collect(),
            );
            r.manifest_id = Some(report.manifest_id.clone());
            run.single(&mut store, r)?;
            if as_json {
                print(&json(&report))
            } else {
                print(&format!(
                    "{}: imported manifest {} with {} dataset(s) ({} new)",
                    bundle.display(),
                    report.manifest_id,
                    report.datasets.len(),
                    report.added
                ))
            }
        }
        StoreVerb::Export { id, out, unit } => {
            let id = store.resolve_dataset(&id).map_err(store_failure)?;
            let loaded = store.load(&id, now).map_err(store_failure)?;
            if out.is_dir() {
                return Err(Failure::bad_input(format!(
                    "{}: is a directory",
                    out.display()
                )));
            }
            crate::atomic::write_atomic(&out, |w| {
                crate::canonical_csv::write_spectrum(w, &loaded.spectrum, &id, unit)
            })
            .map_err(|e| Failure::bad_input(format!("{}: cannot write: {e}", out.display())))
        }
        StoreVerb::Index { json: _ } => {
            let index = store.index_json().map_err(store_failure)?;
            print(&json(&index))
        }
        StoreVerb::Settings {
            max_bytes,
            max_age_days,
            grace_days,
            json: as_json,
        } => {
            let mut r: Retention = store.retention().map_err(store_failure)?;
            if max_bytes.is_some() || max_age_days.is_some() || grace_days.is_some() {
                r.max_bytes = max_bytes.unwrap_or(r.max_bytes);
                r.max_age_days = max_age_days.unwrap_or(r.max_age_days);
                r.grace_days = grace_days.unwrap_or(r.grace_days);
                store.set_retention(&r).map_err(store_failure)?;
            }
            if as_json {
                print(&json(&r))
            } else {
                print(&format!(
                    "max size    {} ({} bytes)\nmax age     {} days (0: none)\ngrace       {} days",
                    size_text(r.max_bytes),
                    r.max_bytes,
                    r.max_age_days,
                    r.grace_days
                ))
            }
        }
    }
}
