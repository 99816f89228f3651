//! The command palette (Ctrl+Shift+P): type to filter the action table, arrows to move,
//! Enter to run, Escape to close; each row shows its shortcut, and a "?" that opens the
//! guide at the action's section.

use crate::gui::commands::{
    Action, ActionSpec, Enablement, enabled, palette_matches, shortcuts_text,
};

/// The palette's state while open.
#[derive(Clone, Debug, Default)]
pub struct Palette {
    pub query: String,
    /// The highlighted row.
    pub selected: usize,
    /// Focus the text field on the first frame.
    focused: bool,
}

/// What the palette asked for.
pub enum PaletteOutput {
    /// Keep it open.
    Open,
    /// Close it (Escape, or the window's close button).
    Close,
    /// Run this action, then close.
    Run(Action),
    /// Open the guide at this section.
    Help(&'static str),
}

impl Palette {
    /// Draws the palette; Enter runs the highlighted enabled row.
    pub fn show(&mut self, ui: &mut egui::Ui, now: &Enablement) -> PaletteOutput {
        let mut out = PaletteOutput::Open;
        let mut open = true;
        let hits: Vec<&'static ActionSpec> = palette_matches(&self.query);
        let (up, down, enter, escape) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::Enter),
                i.key_pressed(egui::Key::Escape),
            )
        });
        if down && self.selected + 1 < hits.len() {
            self.selected += 1;
        }
        if up {
            self.selected = self.selected.saturating_sub(1);
        }
        self.selected = self.selected.min(hits.len().saturating_sub(1));
        egui::Window::new("Command palette")
            .open(&mut open)
            .collapsible(false)
            .default_width(420.0)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 60.0))
            .show(ui.ctx(), |ui| {
                let field = ui.add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type a command…")
                        .desired_width(f32::INFINITY),
                );
                if !self.focused {
                    field.request_focus();
                    self.focused = true;
                }
                if field.changed() {
                    self.selected = 0;
                }
                if hits.is_empty() {
                    ui.weak("No matching command");
                }
                for (i, spec) in hits.iter().enumerate() {
                    let on = enabled(spec.action, now);
                    ui.horizontal(|ui| {
                        let row = ui
                            .add_enabled(
                                on,
                                egui::Button::selectable(i == self.selected, spec.label),
                            )
                            .on_hover_text(spec.tooltip);
                        if row.clicked() {
                            out = PaletteOutput::Run(spec.action);
                        }
                        let keys = shortcuts_text(spec);
                        if !keys.is_empty() {
                            ui.weak(keys);
                        }
                        if ui
                            .small_button("?")
                            .on_hover_text("Open the guide here")
                            .clicked()
                        {
                            out = PaletteOutput::Help(spec.doc_anchor);
                        }
                    });
                }
            });
        if enter
            && let Some(spec) = hits.get(self.selected)
            && enabled(spec.action, now)
        {
            out = PaletteOutput::Run(spec.action);
        }
        if escape || !open {
            out = PaletteOutput::Close;
        }
        out
    }
}
