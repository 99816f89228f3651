//! The safety rules a bundle's files must pass before anything is read from them for an
//! import: only regular files and folders (no symlink, device, FIFO or socket), nothing
//! over 4 GiB, no two paths that become one after Unicode normalization (NFC) and case
//! folding (they would overwrite each other on macOS and Windows), and every path a
//! manifest names relative, `/`-separated, without `..` or an empty part.

use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

/// The largest file an import accepts.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// Why a bundle is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeBundle {
    #[error("{0}: is a symbolic link; bundles hold only regular files")]
    Symlink(String),
    #[error("{0}: is a device, FIFO or socket; bundles hold only regular files")]
    Special(String),
    #[error("{path}: is {bytes} bytes, over the 4 GiB limit")]
    TooLarge { path: String, bytes: u64 },
    #[error("'{a}' and '{b}' are the same name after Unicode normalization and case folding")]
    Collision { a: String, b: String },
    #[error("'{path}': {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
}

/// A path a manifest names: relative, `/`-separated, no `..`, `.` or empty parts, no
/// backslash, drive letter or NUL.
pub fn check_relative(path: &str) -> Result<(), UnsafeBundle> {
    let bad = |reason| {
        Err(UnsafeBundle::BadPath {
            path: path.to_string(),
            reason,
        })
    };
    if path.is_empty() {
        return bad("is empty");
    }
    if path.starts_with('/') || Path::new(path).is_absolute() {
        return bad("is an absolute path");
    }
    if path.contains('\\') || path.contains('\0') {
        return bad("holds a backslash or NUL");
    }
    if path.len() >= 2 && path.as_bytes()[1] == b':' {
        return bad("starts with a drive letter");
    }
    for part in path.split('/') {
        match part {
            ".." => return bad("climbs out of the bundle (..)"),
            "." | "" => return bad("has an empty or '.' part"),
            _ => {}
        }
    }
    Ok(())
}

/// The key two names collide under.
fn fold(path: &str) -> String {
    path.nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// Walks a bundle folder without following links; returns its regular files (relative,
/// `/`-separated, sorted) or the first rule broken.
pub fn check_tree(root: &Path) -> Result<Vec<String>, UnsafeBundle> {
    let mut files = Vec::new();
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| UnsafeBundle::Unreadable {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| UnsafeBundle::Unreadable {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(UnsafeBundle::BadPath {
                    path: format!("{rel_dir}{}", name.to_string_lossy()),
                    reason: "is not valid UTF-8",
                });
            };
            let rel = format!("{rel_dir}{name}");
            // symlink_metadata: the entry itself, never what a link points to.
            let meta =
                std::fs::symlink_metadata(entry.path()).map_err(|e| UnsafeBundle::Unreadable {
                    path: rel.clone(),
                    message: e.to_string(),
                })?;
            let kind = meta.file_type();
            if kind.is_symlink() {
                return Err(UnsafeBundle::Symlink(rel));
            }
            if let Some(previous) = seen.insert(fold(&rel), rel.clone()) {
                let (a, b) = if previous < rel {
                    (previous, rel)
                } else {
                    (rel, previous)
                };
                return Err(UnsafeBundle::Collision { a, b });
            }
            if kind.is_dir() {
                stack.push((entry.path(), format!("{rel}/")));
            } else if kind.is_file() {
                if meta.len() > MAX_FILE_BYTES {
                    return Err(UnsafeBundle::TooLarge {
                        path: rel,
                        bytes: meta.len(),
                    });
                }
                files.push(rel);
            } else {
                return Err(UnsafeBundle::Special(rel));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_that_leave_the_bundle_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "C:x",
            "a\0b",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?}");
        }
        for good in ["manifest.json", "spectra/abc.csv", "a/b/c"] {
            check_relative(good).unwrap();
        }
    }

    #[test]
    fn names_equal_after_normalization_or_case_collide() {
        let dir = tempfile::tempdir().unwrap();
        // "é" precomposed and decomposed.
        std::fs::write(dir.path().join("caf\u{e9}.csv"), "1").unwrap();
        std::fs::write(dir.path().join("cafe\u{301}.csv"), "2").unwrap();
        assert!(matches!(
            check_tree(dir.path()),
            Err(UnsafeBundle::Collision { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("View.png"), "1").unwrap();
        std::fs::write(dir.path().join("view.png"), "2").unwrap();
        assert!(matches!(
            check_tree(dir.path()),
            Err(UnsafeBundle::Collision { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_and_fifos_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "1").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("b")).unwrap();
        assert!(matches!(
            check_tree(dir.path()),
            Err(UnsafeBundle::Symlink(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            assert!(matches!(
                check_tree(dir.path()),
                Err(UnsafeBundle::Special(_))
            ));
        }
    }

    #[test]
    fn a_plain_tree_lists_its_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("spectra")).unwrap();
        std::fs::write(dir.path().join("spectra/b.csv"), "1").unwrap();
        std::fs::write(dir.path().join("manifest.json"), "{}").unwrap();
        assert_eq!(
            check_tree(dir.path()).unwrap(),
            vec!["manifest.json".to_string(), "spectra/b.csv".to_string()]
        );
    }
}
