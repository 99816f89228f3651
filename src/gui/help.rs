//! The help windows: the user guide (optionally opened at a section), the keyboard
//! shortcut sheet (generated from the action table) and About.

/// Which help window is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelpWindow {
    /// The guide, from the section with this heading (`None`: from the top).
    Guide(Option<&'static str>),
    Shortcuts,
    About,
}

/// The user guide shown in Help ▸ User guide (the same text as `docs/user/guide.md`).
pub const USER_GUIDE: &str = include_str!("../../docs/user/guide.md");

const ABOUT: &str = concat!(
    "spectra-workbench ",
    env!("CARGO_PKG_VERSION"),
    "\nA desktop spectra workbench: load, overlay, transform and export spectra with full provenance.\n\
Licence: MIT OR Apache-2.0. Bundled sample data: see assets/README.md."
);

/// The guide from the heading `anchor` on (the whole guide when it has no such heading).
pub fn guide_from(anchor: &str) -> &'static str {
    let mut offset = 0;
    for line in USER_GUIDE.split_inclusive('\n') {
        if line.starts_with('#') && line.trim_start_matches('#').trim() == anchor {
            return &USER_GUIDE[offset..];
        }
        offset += line.len();
    }
    USER_GUIDE
}

/// Draws the open help window; returns false when the user closed it.
pub fn show(ui: &mut egui::Ui, which: &HelpWindow) -> bool {
    let mut open = true;
    let sheet;
    let (title, body) = match which {
        HelpWindow::Guide(None) => ("User guide", USER_GUIDE),
        HelpWindow::Guide(Some(anchor)) => ("User guide", guide_from(anchor)),
        HelpWindow::Shortcuts => {
            sheet = crate::gui::commands::shortcut_sheet();
            ("Keyboard shortcuts", sheet.as_str())
        }
        HelpWindow::About => ("About spectra-workbench", ABOUT),
    };
    egui::Window::new(title)
        .open(&mut open)
        .resizable(true)
        .default_width(520.0)
        .show(ui.ctx(), |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.label(body);
            });
        });
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_opens_at_a_section() {
        assert!(guide_from("Calibration").starts_with("## Calibration"));
        assert_eq!(guide_from("no such heading"), USER_GUIDE);
    }
}
