//! The one table of app actions: each action's id, label, shortcuts, tooltip, the user
//! guide section its "?" opens, where it appears and when it is enabled. Menus, toolbar
//! buttons, the keyboard-shortcut sheet and the command palette are all generated from
//! [`ACTIONS`], so they cannot drift apart.

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::units::XUnit;
use crate::view::Theme;

/// An app action (the parameters travel inside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    OpenFiles,
    /// The File ▸ Open recent submenu (its entries are the recent files).
    OpenRecent,
    /// File ▸ Import bundle…: verify a bundle, then keep its spectra in the Library store.
    ImportBundle,
    Quit,
    Undo,
    Redo,
    DisplayUnit(XUnit),
    Theme(Theme),
    FitAll,
    ToggleCalibration,
    /// Show or hide the Redshift dock (line overlay, cross-correlation, identification,
    /// measurement).
    ToggleRedshift,
    /// Show or hide the Library store panel.
    ToggleLibraryStore,
    ExportView,
    ViewLineage,
    CommandPalette,
    UserGuide,
    Shortcuts,
    About,
}

/// Where an action is offered (besides the palette, which offers every action).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    FileMenu,
    EditMenu,
    ViewMenu,
    HelpMenu,
    Toolbar,
}

impl Place {
    /// The menus, in menu-bar order, with their titles.
    pub const MENUS: [(Place, &'static str); 4] = [
        (Place::FileMenu, "File"),
        (Place::EditMenu, "Edit"),
        (Place::ViewMenu, "View"),
        (Place::HelpMenu, "Help"),
    ];
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct ActionSpec {
    pub action: Action,
    /// Stable identifier (for docs and tests).
    pub id: &'static str,
    /// The label in menus, on buttons and in the palette.
    pub label: &'static str,
    pub place: Place,
    /// Keyboard shortcuts, the first one shown in menus.
    pub shortcuts: &'static [KeyboardShortcut],
    pub tooltip: &'static str,
    /// The heading of `docs/user/guide.md` that explains it (its "?" opens it).
    pub doc_anchor: &'static str,
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

const fn key(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

const fn spec(
    action: Action,
    id: &'static str,
    label: &'static str,
    place: Place,
    shortcuts: &'static [KeyboardShortcut],
    tooltip: &'static str,
    doc_anchor: &'static str,
) -> ActionSpec {
    ActionSpec {
        action,
        id,
        label,
        place,
        shortcuts,
        tooltip,
        doc_anchor,
    }
}

/// Every app action, in menu order.
pub const ACTIONS: &[ActionSpec] = &[
    spec(
        Action::OpenFiles,
        "file.open",
        "Open…",
        Place::FileMenu,
        &[key(CMD, Key::O)],
        "Open spectrum files (CSV, FITS, JCAMP-DX)",
        "Opening spectra",
    ),
    spec(
        Action::OpenRecent,
        "file.open_recent",
        "Open recent",
        Place::FileMenu,
        &[],
        "Open a file you opened before",
        "Opening spectra",
    ),
    spec(
        Action::ImportBundle,
        "file.import_bundle",
        "Import bundle…",
        Place::FileMenu,
        &[],
        "Verify an exported bundle, then keep its spectra, sources and manifest in the Library",
        "Importing a bundle",
    ),
    spec(
        Action::Quit,
        "file.quit",
        "Quit",
        Place::FileMenu,
        &[key(CMD, Key::Q)],
        "Close the window (the view and open files are saved)",
        "Where settings live",
    ),
    spec(
        Action::Undo,
        "edit.undo",
        "Undo",
        Place::EditMenu,
        &[key(CMD, Key::Z)],
        "Take back the last change",
        "The toolbar",
    ),
    spec(
        Action::Redo,
        "edit.redo",
        "Redo",
        Place::EditMenu,
        &[key(CMD_SHIFT, Key::Z), key(CMD, Key::Y)],
        "Apply again what was undone",
        "The toolbar",
    ),
    spec(
        Action::DisplayUnit(XUnit::Nanometer),
        "view.unit.nm",
        "Wavelength (nm)",
        Place::ViewMenu,
        &[],
        "Show x in nanometres",
        "The toolbar",
    ),
    spec(
        Action::DisplayUnit(XUnit::Angstrom),
        "view.unit.angstrom",
        "Wavelength (Å)",
        Place::ViewMenu,
        &[],
        "Show x in ångström",
        "The toolbar",
    ),
    spec(
        Action::DisplayUnit(XUnit::Micrometer),
        "view.unit.micrometer",
        "Wavelength (µm)",
        Place::ViewMenu,
        &[],
        "Show x in micrometres",
        "The toolbar",
    ),
    spec(
        Action::DisplayUnit(XUnit::WavenumberPerCm),
        "view.unit.wavenumber",
        "Wavenumber (cm⁻¹)",
        Place::ViewMenu,
        &[],
        "Show x as wavenumber",
        "The toolbar",
    ),
    spec(
        Action::Theme(Theme::Light),
        "view.theme.light",
        "Light theme",
        Place::ViewMenu,
        &[],
        "Light background",
        "The toolbar",
    ),
    spec(
        Action::Theme(Theme::Dark),
        "view.theme.dark",
        "Dark theme",
        Place::ViewMenu,
        &[],
        "Dark background",
        "The toolbar",
    ),
    spec(
        Action::FitAll,
        "view.fit_all",
        "Fit all traces",
        Place::ViewMenu,
        &[],
        "Zoom to show every visible trace (or double-click the plot)",
        "The canvas",
    ),
    spec(
        Action::ToggleLibraryStore,
        "view.library_store",
        "Library store",
        Place::ViewMenu,
        &[key(CMD, Key::L)],
        "Show or hide the Library: everything you opened, made or imported, kept on disk",
        "The Library store panel",
    ),
    spec(
        Action::CommandPalette,
        "view.palette",
        "Command palette…",
        Place::ViewMenu,
        &[key(CMD_SHIFT, Key::P)],
        "Find any action by name and run it",
        "The toolbar",
    ),
    spec(
        Action::ToggleCalibration,
        "tools.calibration",
        "Calibration",
        Place::Toolbar,
        &[],
        "Transforms: air/vacuum, velocity, LSF, resample, normalize, smooth, masks, A−B, A÷B",
        "Calibration",
    ),
    spec(
        Action::ToggleRedshift,
        "tools.redshift",
        "Redshift",
        Place::Toolbar,
        &[],
        "Line lists over the plot, RV and redshift by cross-correlation, line identification and measurement",
        "Redshift and lines",
    ),
    spec(
        Action::ExportView,
        "tools.export",
        "Export view",
        Place::Toolbar,
        &[key(CMD, Key::E)],
        "Write a verifiable bundle of exactly this view",
        "The toolbar",
    ),
    spec(
        Action::ViewLineage,
        "tools.lineage",
        "View lineage",
        Place::Toolbar,
        &[],
        "Where every trace on the canvas came from; data restrictions for exports",
        "The toolbar",
    ),
    spec(
        Action::UserGuide,
        "help.guide",
        "User guide",
        Place::HelpMenu,
        &[key(Modifiers::NONE, Key::F1)],
        "How to use the workbench",
        "Opening spectra",
    ),
    spec(
        Action::Shortcuts,
        "help.shortcuts",
        "Keyboard shortcuts",
        Place::HelpMenu,
        &[],
        "Every shortcut, from this table",
        "The toolbar",
    ),
    spec(
        Action::About,
        "help.about",
        "About",
        Place::HelpMenu,
        &[],
        "Version and licence",
        "Opening spectra",
    ),
];

/// The row of an action.
pub fn spec_of(action: Action) -> &'static ActionSpec {
    ACTIONS
        .iter()
        .find(|s| s.action == action)
        .expect("every action has a row")
}

/// What decides whether an action can run now.
#[derive(Clone, Copy, Debug, Default)]
pub struct Enablement {
    pub can_undo: bool,
    pub can_redo: bool,
    /// Some trace is on the canvas.
    pub has_traces: bool,
    /// An export job is running.
    pub exporting: bool,
    /// A Library store is attached.
    pub has_store: bool,
}

/// Whether `action` can run now (menus grey it out, the palette says so, shortcuts do
/// nothing).
pub fn enabled(action: Action, now: &Enablement) -> bool {
    match action {
        Action::Undo => now.can_undo,
        Action::Redo => now.can_redo,
        Action::ExportView => now.has_traces && !now.exporting,
        Action::ImportBundle => now.has_store,
        _ => true,
    }
}

/// A shortcut as text for menus, the sheet and the palette (`Ctrl+Shift+P`).
pub fn shortcut_text(shortcut: &KeyboardShortcut) -> String {
    shortcut.format(&egui::ModifierNames::NAMES, false)
}

/// All of an action's shortcuts as text (`Ctrl+Shift+Z / Ctrl+Y`), empty when none.
pub fn shortcuts_text(spec: &ActionSpec) -> String {
    spec.shortcuts
        .iter()
        .map(shortcut_text)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The keyboard-shortcut sheet (Help ▸ Keyboard shortcuts): one line per action with a
/// shortcut, `<keys>\t<label>`, then the plot's mouse gestures.
pub fn shortcut_sheet() -> String {
    let mut text: String = ACTIONS
        .iter()
        .filter(|s| !s.shortcuts.is_empty())
        .map(|s| format!("{}\t{}\n", shortcuts_text(s), s.label))
        .collect();
    text.push_str(PLOT_GESTURES);
    text
}

/// The canvas's own mouse gestures (not actions: egui_plot handles them).
pub const PLOT_GESTURES: &str = "\nPlot: drag to pan, scroll to pan, Ctrl+scroll to zoom, right-drag to zoom into a box,\n\
double-click to fit all visible traces. Click a legend entry to hide or show its trace.";

/// The actions whose shortcut was pressed this frame (consumed from the input). Longer
/// chords are tried first, so Ctrl+Shift+Z is not taken for Ctrl+Z.
pub fn pressed(input: &mut egui::InputState) -> Vec<Action> {
    let mut all: Vec<(&KeyboardShortcut, Action)> = ACTIONS
        .iter()
        .flat_map(|s| s.shortcuts.iter().map(move |k| (k, s.action)))
        .collect();
    let weight = |m: &Modifiers| {
        [m.alt, m.ctrl, m.shift, m.mac_cmd, m.command]
            .iter()
            .filter(|b| **b)
            .count()
    };
    all.sort_by_key(|(k, _)| std::cmp::Reverse(weight(&k.modifiers)));
    let mut out = Vec::new();
    for (k, action) in all {
        if input.consume_shortcut(k) && !out.contains(&action) {
            out.push(action);
        }
    }
    out
}

/// The palette's matches for `query`: every word of it appears in the label or id
/// (case-insensitive), best first (label prefix, then table order).
pub fn palette_matches(query: &str) -> Vec<&'static ActionSpec> {
    let q = query.trim().to_lowercase();
    let words: Vec<&str> = q.split_whitespace().collect();
    let mut hits: Vec<(bool, usize, &'static ActionSpec)> = ACTIONS
        .iter()
        .enumerate()
        .filter(|(_, s)| s.action != Action::OpenRecent)
        .filter(|(_, s)| {
            let hay = format!("{} {}", s.label.to_lowercase(), s.id);
            words.iter().all(|w| hay.contains(w))
        })
        .map(|(i, s)| (!s.label.to_lowercase().starts_with(&q), i, s))
        .collect();
    hits.sort_by_key(|(not_prefix, i, _)| (*not_prefix, *i));
    hits.into_iter().map(|(_, _, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_row_and_ids_are_unique() {
        let mut ids: Vec<&str> = ACTIONS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ACTIONS.len());
        for s in ACTIONS {
            assert_eq!(spec_of(s.action).id, s.id);
        }
    }

    #[test]
    fn unit_entries_are_labelled_as_the_axis_is() {
        for u in XUnit::ALL {
            assert_eq!(spec_of(Action::DisplayUnit(u)).label, u.axis_label());
        }
    }

    #[test]
    fn no_two_actions_share_a_shortcut() {
        let mut seen: Vec<String> = Vec::new();
        for s in ACTIONS {
            for k in s.shortcuts {
                let t = shortcut_text(k);
                assert!(!seen.contains(&t), "{t} twice");
                seen.push(t);
            }
        }
    }

    #[test]
    fn every_doc_anchor_is_a_heading_of_the_guide() {
        let guide = include_str!("../../docs/user/guide.md");
        for s in ACTIONS {
            assert!(
                guide.lines().any(|l| l.trim_start_matches('#').trim() == s.doc_anchor
                    && l.starts_with('#')),
                "{}: no heading '{}' in docs/user/guide.md",
                s.id,
                s.doc_anchor
            );
        }
    }

    #[test]
    fn the_palette_filters_by_words_and_prefers_label_prefixes() {
        let hits = palette_matches("exp");
        assert_eq!(hits[0].action, Action::ExportView);
        assert!(palette_matches("zzz").is_empty());
        assert_eq!(
            palette_matches("dark THEME")[0].action,
            Action::Theme(Theme::Dark)
        );
        assert_eq!(palette_matches("").len(), ACTIONS.len() - 1);
    }

    #[test]
    fn the_sheet_lists_ctrl_e_and_both_redo_keys() {
        let sheet = shortcut_sheet();
        assert!(sheet.contains("Ctrl+E\tExport view"), "{sheet}");
        assert!(sheet.contains("Ctrl+Shift+Z / Ctrl+Y\tRedo"), "{sheet}");
    }
}
