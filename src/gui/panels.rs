//! The panels around the canvas: menu bar, toolbar, Library and status bar. Each reads
//! state and pushes commands; none changes state itself.

use std::path::PathBuf;

use crate::lod::MIN_BUDGET_POINTS;
use crate::session::{Command, Session};
use crate::transforms::Normalization;
use crate::units::XUnit;
use crate::view::{PaletteKey, Smoothing, Theme, ViewState};

/// Help windows the menu can open.
pub enum Help {
    Guide,
    Shortcuts,
    About,
}

/// Menu actions that are not session commands.
#[derive(Default)]
pub struct MenuActions {
    pub open_dialog: bool,
    pub open_recent: Vec<PathBuf>,
    pub help: Option<Help>,
}

pub fn menu_bar(
    ui: &mut egui::Ui,
    session: &Session,
    recent: &[PathBuf],
    commands: &mut Vec<Command>,
) -> MenuActions {
    let mut actions = MenuActions::default();
    let view = session.view();
    egui::Panel::top("menu_bar").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open…").clicked() {
                    actions.open_dialog = true;
                }
                ui.menu_button("Open recent", |ui| {
                    if recent.is_empty() {
                        ui.label("(none yet)");
                    }
                    for path in recent {
                        if ui.button(path.display().to_string()).clicked() {
                            actions.open_recent.push(path.clone());
                        }
                    }
                });
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(session.can_undo(), egui::Button::new("Undo"))
                    .clicked()
                {
                    commands.push(Command::Undo);
                }
                if ui
                    .add_enabled(session.can_redo(), egui::Button::new("Redo"))
                    .clicked()
                {
                    commands.push(Command::Redo);
                }
            });
            ui.menu_button("View", |ui| {
                ui.label("Display unit");
                for unit in XUnit::ALL {
                    if ui
                        .radio(view.display_unit == unit, unit.axis_label())
                        .clicked()
                    {
                        commands.push(Command::SetDisplayUnit(unit));
                    }
                }
                ui.separator();
                ui.label("Theme");
                for (theme, label) in [(Theme::Light, "Light"), (Theme::Dark, "Dark")] {
                    if ui.radio(view.theme == theme, label).clicked() {
                        commands.push(Command::SetTheme(theme));
                    }
                }
                ui.separator();
                if ui.button("Fit all traces").clicked() {
                    commands.push(Command::SetBounds(None));
                }
            });
            ui.menu_button("Help", |ui| {
                if ui.button("User guide").clicked() {
                    actions.help = Some(Help::Guide);
                }
                if ui.button("Keyboard shortcuts").clicked() {
                    actions.help = Some(Help::Shortcuts);
                }
                if ui.button("About").clicked() {
                    actions.help = Some(Help::About);
                }
            });
        });
    });
    actions
}

/// Toolbar actions that are not session commands.
#[derive(Default)]
pub struct ToolbarActions {
    pub export: bool,
    pub lineage: bool,
}

pub fn toolbar(
    ui: &mut egui::Ui,
    view: &ViewState,
    calibration_open: &mut bool,
    commands: &mut Vec<Command>,
) -> ToolbarActions {
    let mut actions = ToolbarActions::default();
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
            ui.toggle_value(calibration_open, "Calibration")
                .on_hover_text("Transforms: air/vacuum, velocity, LSF, resample, normalize, smooth, masks, A−B, A÷B");
            ui.separator();
            if ui
                .button("Export view")
                .on_hover_text("Write a verifiable bundle of exactly this view (Ctrl+E)")
                .clicked()
            {
                actions.export = true;
            }
            if ui.button("View lineage").clicked() {
                actions.lineage = true;
            }
        });
    });
    actions
}

pub fn library(ui: &mut egui::Ui, session: &Session, commands: &mut Vec<Command>) {
    egui::Panel::left("library")
        .resizable(true)
        .default_size(260.0)
        .show(ui, |ui| {
            ui.heading("Library");
            if session.datasets().is_empty() {
                ui.label("No spectra loaded. Use File ▸ Open… or drop files here.");
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                for d in session.datasets() {
                    let visible = session
                        .view()
                        .active_traces
                        .iter()
                        .find(|t| t.dataset_id == d.id)
                        .is_some_and(|t| t.visible);
                    ui.group(|ui| {
                        ui.horizontal(|ui| {
                            let mut shown = visible;
                            if ui
                                .checkbox(&mut shown, "")
                                .on_hover_text("Show on the canvas")
                                .changed()
                            {
                                commands.push(Command::SetTraceVisible {
                                    id: d.id.clone(),
                                    visible: shown,
                                });
                            }
                            ui.strong(&d.spectrum.name);
                        });
                        let (lo, hi) = d.spectrum.x_range_nm();
                        ui.small(format!(
                            "{} points · {:.1}–{:.1} nm · {}{}",
                            d.spectrum.len(),
                            lo,
                            hi,
                            d.format,
                            if d.spectrum.sigma().is_some() {
                                " · σ"
                            } else {
                                ""
                            }
                        ));
                        ui.horizontal(|ui| {
                            ui.small(format!("id {}", d.id.short()))
                                .on_hover_text(d.id.as_str());
                            if ui.small_button("Copy ID").clicked() {
                                ui.ctx().copy_text(d.id.to_string());
                            }
                            if ui.small_button("Remove").clicked() {
                                commands.push(Command::RemoveDataset(d.id.clone()));
                            }
                        });
                    });
                }
            });
        });
}

/// Draws the status bar; returns the index of a notice the user dismissed.
pub fn status_bar(
    ui: &mut egui::Ui,
    session: &Session,
    notices: &[crate::gui::Notice],
    pending: &[PathBuf],
    readout: Option<&str>,
) -> Option<usize> {
    let mut dismissed = None;
    egui::Panel::bottom("status_bar").show(ui, |ui| {
        for (i, n) in notices.iter().enumerate() {
            // The button first, so a long notice (which wraps) never pushes it away.
            ui.horizontal(|ui| {
                if ui.small_button("Dismiss").clicked() {
                    dismissed = Some(i);
                }
                let text = if n.is_error {
                    egui::RichText::new(format!("Error: {}", n.text))
                        .color(ui.visuals().error_fg_color)
                } else {
                    egui::RichText::new(format!("Note: {}", n.text))
                };
                ui.add(egui::Label::new(text).wrap());
            });
        }
        ui.horizontal(|ui| {
            let view = session.view();
            let shown = view.active_traces.iter().filter(|t| t.visible).count();
            ui.label(format!(
                "{} datasets · {} shown · unit {} · normalization {}",
                session.datasets().len(),
                shown,
                view.display_unit.symbol(),
                view.normalization.label()
            ));
            for p in pending {
                ui.separator();
                ui.spinner();
                ui.label(format!("loading {}", crate::ingest::display_name(p)));
            }
            if let Some(r) = readout {
                ui.separator();
                ui.monospace(r);
            }
        });
    });
    dismissed
}
