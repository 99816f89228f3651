//! Drawing a view state with egui_plot. One function, [`plot::draw_canvas`], draws the
//! canvas for both the live GUI and (later) offscreen export, so the two cannot differ.

pub mod offscreen;
pub mod plot;

pub use plot::{
    CanvasOutput, CanvasTools, SceneTrace, auto_bounds, draw_canvas, draw_canvas_with, scene_of,
};

/// Converts a palette colour to egui's.
pub fn color32(rgb: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

/// egui visuals for a theme.
pub fn visuals(theme: crate::view::Theme) -> egui::Visuals {
    match theme {
        crate::view::Theme::Light => egui::Visuals::light(),
        crate::view::Theme::Dark => egui::Visuals::dark(),
    }
}

/// Installs the fonts the canvas and the app use: egui's defaults, with the monospace
/// font appended to the proportional family so that symbols it lacks (cm⁻¹, ν̃, →, ▸)
/// still render. Every context that draws a canvas (window or offscreen) calls this.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    let mono = fonts
        .families
        .get(&egui::FontFamily::Monospace)
        .cloned()
        .unwrap_or_default();
    let prop = fonts
        .families
        .entry(egui::FontFamily::Proportional)
        .or_default();
    for name in mono {
        if !prop.contains(&name) {
            prop.push(name);
        }
    }
    ctx.set_fonts(fonts);
}
