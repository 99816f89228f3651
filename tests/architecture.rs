//! The layer rules of `src/lib.rs` (`LAYERS`), checked on the source text:
//! - a module may use modules of its own layer or of lower layers, never of a higher one;
//! - no two top-level modules import each other (not even within one layer);
//! - egui, eframe and egui_plot appear only in `render` and above;
//! - `docs/MAP.md` names every file in `src/`.
//!
//! The checker reads every `crate::…` path (grouped `use crate::{a, b::c}` included) and
//! every `super::…` path that climbs to the crate root, outside comments and string
//! literals. Unit-test modules (`#[cfg(test)]` at the end of a file) are not checked:
//! tests may build fixtures from any layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use spectra_workbench::LAYERS;

/// Crates that draw or run windows: allowed from the `render` layer up.
const GUI_CRATES: &[&str] = &[
    "egui",
    "eframe",
    "egui_plot",
    "egui_kittest",
    "egui_commonmark",
];

/// The lowest layer that may use [`GUI_CRATES`].
const FIRST_GUI_LAYER: &str = "render";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.what)
    }
}

/// One source file: its path relative to the project root (`src/…`) and its text.
struct Source {
    path: String,
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files
        .into_iter()
        .map(|p| Source {
            path: p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect()
}

/// The binary's own modules (`mod x;` in `src/main.rs`): not part of the library.
fn binary_modules() -> Vec<String> {
    let main = std::fs::read_to_string(root().join("src/main.rs")).unwrap_or_default();
    main.lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .map(|m| m.trim_end_matches(';').trim().to_string())
        .collect()
}

/// The module path of a file below `src/`: `src/a/b.rs` → [a, b], `src/a/mod.rs` → [a].
/// `None` for the crate roots (`lib.rs`, `main.rs`) and the binary's own modules.
fn module_path(path: &str) -> Option<Vec<String>> {
    let parts = module_path_of(path)?;
    if binary_modules().contains(&parts[0]) {
        return None;
    }
    Some(parts)
}

fn module_path_of(path: &str) -> Option<Vec<String>> {
    let rel = path.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [one] if one == "lib" || one == "main" => None,
        _ => Some(parts),
    }
}

/// The source with comments and string/char literals blanked (newlines kept, so line
/// numbers stay right), and everything from a trailing `#[cfg(test)]` module on removed.
fn code_only(text: &str) -> String {
    let cut = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i]);
    let b: Vec<char> = cut.chars().collect();
    let mut out = String::with_capacity(cut.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)).copied())
        {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a): blank only literals.
            let close = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(j) => {
                    for _ in i..=j {
                        out.push(' ');
                    }
                    i = j + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn ident_at(b: &[char], mut i: usize) -> (String, usize) {
    while i < b.len() && b[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < b.len() && ident_char(Some(b[i])) {
        i += 1;
    }
    (b[start..i].iter().collect(), i)
}

/// The first identifiers of the items of a `{…}` group starting at `b[i] == '{'`, each
/// with its position.
fn group_heads(b: &[char], i: usize) -> Vec<(String, usize)> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            '{' => {
                depth += 1;
                if depth == 1 {
                    expect_head = true;
                }
                j += 1;
            }
            '}' => {
                depth -= 1;
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                expect_head = true;
                j += 1;
            }
            c if depth == 1 && expect_head && (c.is_alphabetic() || c == '_') => {
                let (id, k) = ident_at(b, j);
                heads.push((id, j));
                expect_head = false;
                j = k;
            }
            _ => j += 1,
        }
    }
    heads
}

/// Every top-level module a file names, with the line it is named on.
fn uses(source: &Source) -> Vec<(String, usize)> {
    let Some(here) = module_path(&source.path) else {
        return Vec::new();
    };
    let code = code_only(&source.text);
    let b: Vec<char> = code.chars().collect();
    let line_of = |i: usize| b[..i].iter().filter(|&&c| c == '\n').count() + 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if ident_char(b.get(i.wrapping_sub(1)).copied()) || !(b[i] == 'c' || b[i] == 's') {
            i += 1;
            continue;
        }
        let (word, mut j) = ident_at(&b, i);
        let path_sep = |k: usize| b.get(k) == Some(&':') && b.get(k + 1) == Some(&':');
        if word == "crate" && path_sep(j) {
            j += 2;
            if b.get(j) == Some(&'{') {
                for (h, at) in group_heads(&b, j) {
                    found.push((h, line_of(at)));
                }
            } else {
                let (m, _) = ident_at(&b, j);
                found.push((m, line_of(i)));
            }
        } else if word == "super" && path_sep(j) {
            // Climb: each `super` drops one level of this file's module path.
            let mut level = here.len() - 1;
            let mut k = j + 2;
            loop {
                let (w, after) = ident_at(&b, k);
                if w == "super" && path_sep(after) {
                    level = level.saturating_sub(1);
                    k = after + 2;
                } else {
                    if level == 0 {
                        if b.get(k) == Some(&'{') {
                            for (h, at) in group_heads(&b, k) {
                                found.push((h, line_of(at)));
                            }
                        } else if !w.is_empty() {
                            found.push((w, line_of(i)));
                        }
                    }
                    break;
                }
            }
        }
        i = j.max(i + 1);
    }
    found
}

/// Lines that name a GUI crate as a path (`egui::…`, `use eframe`, `egui_plot::{…}`).
fn gui_mentions(source: &Source) -> Vec<(String, usize)> {
    let code = code_only(&source.text);
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let b: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < b.len() {
            if ident_char(b.get(i.wrapping_sub(1)).copied()) {
                i += 1;
                continue;
            }
            let (w, j) = ident_at(&b, i);
            if w.is_empty() {
                i += 1;
                continue;
            }
            let is_path = b.get(j) == Some(&':') && b.get(j + 1) == Some(&':');
            let after_use = line[..line.char_indices().nth(i).map_or(line.len(), |(k, _)| k)]
                .trim_end()
                .ends_with("use");
            if GUI_CRATES.contains(&w.as_str()) && (is_path || after_use) {
                out.push((w, n + 1));
            }
            i = j;
        }
    }
    out
}

/// Checks the rules on a set of sources; returns every violation, in file order.
fn check(sources: &[Source], layers: &[(&str, &[&str])]) -> Vec<Violation> {
    let rank: BTreeMap<&str, (usize, &str)> = layers
        .iter()
        .enumerate()
        .flat_map(|(r, (name, mods))| mods.iter().map(move |m| (*m, (r, *name))))
        .collect();
    let gui_rank = layers
        .iter()
        .position(|(n, _)| *n == FIRST_GUI_LAYER)
        .expect("a render layer");
    let mut out = Vec::new();
    // (from, to) → first place it happens, for the mutual-import check.
    let mut edges: BTreeMap<(String, String), (String, usize)> = BTreeMap::new();
    for s in sources {
        let Some(path) = module_path(&s.path) else {
            continue;
        };
        let top = path[0].clone();
        let Some(&(my_rank, my_layer)) = rank.get(top.as_str()) else {
            out.push(Violation {
                file: s.path.clone(),
                line: 1,
                what: format!("module `{top}` is in no layer of LAYERS (src/lib.rs)"),
            });
            continue;
        };
        for (m, line) in uses(s) {
            if m == top {
                continue;
            }
            let Some(&(their_rank, their_layer)) = rank.get(m.as_str()) else {
                continue; // crate-root items (macros, LAYERS) are not modules
            };
            edges
                .entry((top.clone(), m.clone()))
                .or_insert((s.path.clone(), line));
            if their_rank > my_rank {
                out.push(Violation {
                    file: s.path.clone(),
                    line,
                    what: format!(
                        "`{top}` ({my_layer}) uses `{m}` of the higher layer {their_layer}"
                    ),
                });
            }
        }
        if my_rank < gui_rank {
            for (c, line) in gui_mentions(s) {
                out.push(Violation {
                    file: s.path.clone(),
                    line,
                    what: format!(
                        "`{top}` ({my_layer}) uses `{c}`, which belongs to render and above"
                    ),
                });
            }
        }
    }
    let mut said = BTreeSet::new();
    for ((a, b), (file, line)) in &edges {
        if a < b
            && let Some((file_b, line_b)) = edges.get(&(b.clone(), a.clone()))
            && said.insert((a.clone(), b.clone()))
        {
            out.push(Violation {
                file: file.clone(),
                line: *line,
                what: format!(
                    "`{a}` and `{b}` import each other (the other way at {file_b}:{line_b})"
                ),
            });
        }
    }
    out
}

#[test]
fn every_module_is_in_a_layer_and_no_layer_reaches_up() {
    let v = check(&sources(), LAYERS);
    assert!(
        v.is_empty(),
        "layer violations:\n{}",
        v.iter().map(|v| format!("  {v}\n")).collect::<String>()
    );
}

#[test]
fn every_top_level_module_of_lib_rs_is_in_layers() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("pub(crate) mod "))
                .or_else(|| l.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').to_string())
        })
        .collect();
    let layered: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|(_, m)| m.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(declared, layered, "lib.rs modules vs LAYERS");
}

/// The checker must fail on a back-import: the real sources with one added, in memory.
#[test]
fn a_deliberate_back_import_is_caught_with_file_and_line() {
    let mut all = sources();
    let spectrum = all
        .iter_mut()
        .find(|s| s.path == "src/spectrum.rs")
        .unwrap();
    let lines_before = spectrum.text.lines().count();
    spectrum.text = format!("use crate::gui::WorkbenchApp;\n{}", spectrum.text);
    let v = check(&all, LAYERS);
    assert!(
        v.iter()
            .any(|v| v.file == "src/spectrum.rs" && v.line == 1 && v.what.contains("`gui`")),
        "{v:?}"
    );
    assert!(lines_before > 0);
}

#[test]
fn grouped_and_super_paths_and_cycles_and_egui_are_caught() {
    let files = vec![
        Source {
            path: "src/spectrum.rs".into(),
            text: "use crate::{units::XUnit,\n    session::Session};\n".into(),
        },
        Source {
            path: "src/ids.rs".into(),
            text: "fn f() { super::units::x(); }\n".into(),
        },
        Source {
            path: "src/units.rs".into(),
            text: "use crate::ids::DatasetId;\nfn g() -> egui::Color32 { todo() }\n".into(),
        },
        Source {
            path: "src/view.rs".into(),
            text: "// crate::gui in a comment\nconst S: &str = \"crate::gui\";\nfn h<'a>(x: &'a str) {}\n"
                .into(),
        },
    ];
    let v = check(&files, LAYERS);
    let has = |file: &str, line: usize, needle: &str| {
        v.iter()
            .any(|x| x.file == file && x.line == line && x.what.contains(needle))
    };
    assert!(has("src/spectrum.rs", 2, "`session`"), "{v:?}");
    assert!(has("src/units.rs", 2, "`egui`"), "{v:?}");
    assert!(
        v.iter().any(|x| x.what.contains("import each other")
            && x.what.contains("`ids`")
            && x.what.contains("`units`")),
        "{v:?}"
    );
    assert!(!v.iter().any(|x| x.file == "src/view.rs"), "{v:?}");
}

#[test]
fn docs_map_names_every_source_file() {
    let map = std::fs::read_to_string(root().join("docs/MAP.md")).unwrap();
    let missing: Vec<String> = sources()
        .into_iter()
        .map(|s| s.path)
        .filter(|p| !map.contains(&format!("`{p}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/MAP.md does not name (as `src/…`): {missing:?}"
    );
}
