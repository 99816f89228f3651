//! The menu bar and the toolbar. Every menu entry and toolbar button is a row of the
//! action table (`commands.rs`); the toolbar's settings widgets (unit, normalization,
//! smoothing, palette, LOD budget, checkboxes) push session commands directly.

use std::path::PathBuf;

use crate::gui::commands::{ACTIONS, Action, Enablement, Place, enabled, shortcuts_text};
use crate::lod::MIN_BUDGET_POINTS;
use crate::session::Command;
use crate::transforms::Normalization;
use crate::units::XUnit;
use crate::view::{PaletteKey, Smoothing, ViewState};

/// What the menus asked for this frame.
#[derive(Default)]
pub struct MenuOutput {
    pub actions: Vec<Action>,
    pub open_recent: Vec<PathBuf>,
}

/// One table row as a menu entry: label, shortcut, tooltip, greyed when disabled;
/// unit and theme entries are radio buttons showing the current choice.
fn entry(
    ui: &mut egui::Ui,
    spec: &crate::gui::commands::ActionSpec,
    view: &ViewState,
    now: &Enablement,
) -> bool {
    let selected = match spec.action {
        Action::DisplayUnit(u) => Some(view.display_unit == u),
        Action::Theme(t) => Some(view.theme == t),
        _ => None,
    };
    let shortcut = shortcuts_text(spec);
    ui.horizontal(|ui| {
        let response = match selected {
            Some(on) => ui.radio(on, spec.label),
            None => ui.add_enabled(enabled(spec.action, now), egui::Button::new(spec.label)),
        };
        // The shortcut beside the entry, not inside its label: the entry is found by
        // its label alone (accessibility, tests).
        if !shortcut.is_empty() {
            ui.weak(&shortcut);
        }
        response.on_hover_text(spec.tooltip).clicked()
    })
    .inner
}

/// Draws the menu bar from the action table.
pub fn menu_bar(
    ui: &mut egui::Ui,
    view: &ViewState,
    recent: &[PathBuf],
    now: &Enablement,
) -> MenuOutput {
    let mut out = MenuOutput::default();
    egui::Panel::top("menu_bar").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            for (place, title) in Place::MENUS {
                ui.menu_button(title, |ui| {
                    for spec in ACTIONS.iter().filter(|s| s.place == place) {
                        if spec.action == Action::OpenRecent {
                            ui.menu_button(spec.label, |ui| {
                                if recent.is_empty() {
                                    ui.label("(none yet)");
                                }
                                for path in recent {
                                    if ui.button(path.display().to_string()).clicked() {
                                        out.open_recent.push(path.clone());
                                    }
                                }
                            });
                        } else if entry(ui, spec, view, now) {
                            out.actions.push(spec.action);
                        }
                    }
                });
            }
        });
    });
    out
}

/// Draws the toolbar: settings widgets push commands; its buttons are the table's
/// toolbar rows, returned as actions.
pub fn toolbar(
    ui: &mut egui::Ui,
    view: &ViewState,
    calibration_open: bool,
    redshift_open: bool,
    now: &Enablement,
    commands: &mut Vec<Command>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    egui::Panel::top("toolbar").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            let mut unit = view.display_unit;
            egui::ComboBox::from_label("Display unit")
                .selected_text(unit.symbol())
                .show_ui(ui, |ui| {
                    for u in XUnit::ALL {
                        ui.selectable_value(&mut unit, u, u.axis_label());
                    }
                });
            if unit != view.display_unit {
                commands.push(Command::SetDisplayUnit(unit));
            }
            ui.separator();

            let mut norm = view.normalization;
            egui::ComboBox::from_label("Normalization")
                .selected_text(norm.label())
                .show_ui(ui, |ui| {
                    for n in Normalization::ALL {
                        ui.selectable_value(&mut norm, n, n.label());
                    }
                });
            if norm != view.normalization {
                commands.push(Command::SetNormalization(norm));
            }
            ui.separator();

            let mut on = view.smoothing != Smoothing::Off;
            let (mut window, mut poly) = match view.smoothing {
                Smoothing::Sg { window, poly } => (window, poly),
                Smoothing::Off => (11, 3),
            };
            egui::ComboBox::from_label("Smoothing")
                .selected_text(if on { "Savitzky–Golay" } else { "off" })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut on, false, "off");
                    ui.selectable_value(&mut on, true, "Savitzky–Golay");
                });
            if on {
                let wl = ui.label("window");
                ui.add(egui::DragValue::new(&mut window).range(3..=1001).speed(0.5))
                    .labelled_by(wl.id)
                    .on_hover_text("Odd number of samples");
                let pl = ui.label("order");
                ui.add(egui::DragValue::new(&mut poly).range(0..=10))
                    .labelled_by(pl.id);
                if window.is_multiple_of(2) {
                    // Step over even windows in the direction the user was going.
                    window += 1;
                }
                poly = poly.min(window - 1);
            }
            let smoothing = if on {
                Smoothing::Sg { window, poly }
            } else {
                Smoothing::Off
            };
            if smoothing != view.smoothing {
                commands.push(Command::SetSmoothing(smoothing));
            }
            ui.separator();

            let mut palette = view.palette_key;
            egui::ComboBox::from_label("Palette")
                .selected_text(palette.label())
                .show_ui(ui, |ui| {
                    for p in PaletteKey::ALL {
                        ui.selectable_value(&mut palette, p, p.label());
                    }
                });
            if palette != view.palette_key {
                commands.push(Command::SetPalette(palette));
            }
            ui.separator();

            let mut budget = view.lod_budget_points;
            let bl = ui.label("LOD budget");
            ui.add(
                egui::DragValue::new(&mut budget)
                    .range(MIN_BUDGET_POINTS..=200_000)
                    .speed(20.0)
                    .suffix(" pts"),
            )
            .labelled_by(bl.id)
            .on_hover_text(
                "Most points drawn per trace; min/max of every pixel column are always kept",
            );
            if budget != view.lod_budget_points {
                commands.push(Command::SetLodBudget(budget));
            }
            ui.separator();

            let mut crosshair = view.crosshair_visible;
            if ui.checkbox(&mut crosshair, "Crosshair").changed() {
                commands.push(Command::SetCrosshair(crosshair));
            }
            let mut snap = view.snap_to_peak;
            if ui.checkbox(&mut snap, "Snap to peak").changed() {
                commands.push(Command::SetSnapToPeak(snap));
            }
            let mut sigma = view.uncertainty_visible;
            if ui
                .checkbox(&mut sigma, "Uncertainty")
                .on_hover_text("Shade ±1σ around traces that have uncertainties")
                .changed()
            {
                commands.push(Command::SetUncertainty(sigma));
            }
            ui.separator();
            for spec in ACTIONS.iter().filter(|s| s.place == Place::Toolbar) {
                let shortcut = shortcuts_text(spec);
                let tip = if shortcut.is_empty() {
                    spec.tooltip.to_string()
                } else {
                    format!("{} ({shortcut})", spec.tooltip)
                };
                let toggled = match spec.action {
                    Action::ToggleCalibration => Some(calibration_open),
                    Action::ToggleRedshift => Some(redshift_open),
                    _ => None,
                };
                let clicked = if let Some(open) = toggled {
                    let mut open = open;
                    ui.toggle_value(&mut open, spec.label)
                        .on_hover_text(tip)
                        .clicked()
                } else {
                    ui.add_enabled(enabled(spec.action, now), egui::Button::new(spec.label))
                        .on_hover_text(tip)
                        .clicked()
                };
                if clicked {
                    actions.push(spec.action);
                }
                ui.separator();
            }
        });
    });
    actions
}
