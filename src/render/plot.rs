//! The spectrum canvas: traces (LOD-decimated), σ bands, mask shading, legend, crosshair
//! readout with optional snap-to-peak. Draws exactly what the view state says and reports
//! the user's interactions back as commands.

use egui_plot::{
    Corner, Legend, LegendGrouping, Line, MarkerShape, Plot, PlotPoints, Points, Span,
};

use crate::display::DisplayTrace;
use crate::ids::DatasetId;
use crate::lod::LodRequest;
use crate::render::color32;
use crate::session::{Command, Session};
use crate::transforms::Normalization;
use crate::view::{PlotBounds, ViewState};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One trace as the canvas needs it.
pub struct SceneTrace<'a> {
    pub id: &'a DatasetId,
    /// Legend label.
    pub name: &'a str,
    pub trace: &'a DisplayTrace,
    pub visible: bool,
    /// Position in the active order (decides the colour).
    pub order: usize,
}

/// The canvas's traces in active order, and the active IDs that have no dataset or no
/// prepared trace (shared by export and replay, so both draw the same scene).
pub fn scene_of<'a>(
    session: &'a Session,
    view: &'a crate::view::ViewState,
    traces: &'a BTreeMap<DatasetId, Arc<DisplayTrace>>,
) -> (Vec<SceneTrace<'a>>, Vec<&'a DatasetId>) {
    let mut scene = Vec::new();
    let mut unresolved = Vec::new();
    for (order, t) in view.active_traces.iter().enumerate() {
        match (session.dataset(&t.dataset_id), traces.get(&t.dataset_id)) {
            (Some(d), Some(trace)) => scene.push(SceneTrace {
                id: &d.id,
                name: &d.spectrum.name,
                trace,
                visible: t.visible,
                order,
            }),
            _ => unresolved.push(&t.dataset_id),
        }
    }
    (scene, unresolved)
}

/// What the canvas reports after a frame.
#[derive(Default)]
pub struct CanvasOutput {
    /// Commands from interaction (pan/zoom, legend toggles), to apply after the frame.
    pub commands: Vec<Command>,
    /// Crosshair readout in display units, when the pointer is over the plot.
    pub readout: Option<String>,
    /// The trace whose calibration banner line was clicked.
    pub banner_clicked: Option<DatasetId>,
    /// The x interval dragged out while [`CanvasTools::pick_region`] was on, nm (low,
    /// high), reported once, on release.
    pub picked_region_nm: Option<[f64; 2]>,
}

/// Tools the GUI lends the canvas for a frame. They are not part of the view: nothing
/// here is exported or replayed, and the default draws exactly the view.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CanvasTools {
    /// A primary-button drag picks an x interval (reported in
    /// [`CanvasOutput::picked_region_nm`]) instead of panning.
    pub pick_region: bool,
    /// The interval to show while picking, nm (the last one picked or typed).
    pub region_nm: Option<[f64; 2]>,
}

/// Fraction of the data range added on each side when fitting bounds.
const AUTO_MARGIN: f64 = 0.04;

/// Bounds that fit every visible trace (deterministic: used when the view has none).
pub fn auto_bounds(traces: &[SceneTrace<'_>], normalization: Normalization) -> PlotBounds {
    let mut x = [f64::INFINITY, f64::NEG_INFINITY];
    let mut y = [f64::INFINITY, f64::NEG_INFINITY];
    for t in traces.iter().filter(|t| t.visible) {
        let (a, b) = t.trace.spectrum.x_range_nm();
        x = [x[0].min(a), x[1].max(b)];
        let (lo, hi) = t.trace.y_range(normalization);
        y = [y[0].min(lo), y[1].max(hi)];
    }
    if !x[0].is_finite() {
        return PlotBounds {
            x_nm: [380.0, 750.0],
            y: [0.0, 1.0],
        };
    }
    let pad = |r: [f64; 2], fallback: f64| {
        let span = r[1] - r[0];
        let m = if span > 0.0 {
            span * AUTO_MARGIN
        } else {
            fallback.max(r[0].abs() * 0.05).max(1e-12)
        };
        [r[0] - m, r[1] + m]
    };
    PlotBounds {
        x_nm: pad(x, 1.0),
        y: pad(y, 1.0),
    }
}

/// Display-unit x range for bounds in nm (increasing in the display unit).
fn display_x(view: &ViewState, x_nm: [f64; 2]) -> [f64; 2] {
    let u = view.display_unit;
    let (a, b) = (u.from_nm(x_nm[0]), u.from_nm(x_nm[1]));
    [a.min(b), a.max(b)]
}

/// The calibration banner at the plot's top left: one line per calibrated visible trace,
/// from the view state, so the window, the export and the replay show the same text.
/// Returns the trace whose line was clicked (each line is a widget named by its text).
fn draw_banner(
    ui: &egui::Ui,
    view: &ViewState,
    traces: &[SceneTrace<'_>],
    rect: egui::Rect,
) -> Option<DatasetId> {
    if view.calibration_banner.is_empty() {
        return None;
    }
    let text = view
        .calibration_banner
        .iter()
        .map(|line| {
            let name = traces
                .iter()
                .find(|t| t.id == &line.dataset_id)
                // Derived names append their steps ("a.csv · smooth"); the banner says
                // what the steps did, so it names the input.
                .map_or("", |t| t.name.split(" · ").next().unwrap_or(t.name));
            format!("{name}: {}", line.text())
        })
        .collect::<Vec<_>>()
        .join("\n");
    let visuals = ui.visuals();
    let color = visuals.strong_text_color();
    let painter = ui.painter_at(rect);
    let galley = painter.layout(
        text.clone(),
        egui::FontId::proportional(12.0),
        color,
        (rect.width() * 0.6).max(120.0),
    );
    let pos = rect.left_top() + egui::vec2(70.0, 10.0);
    let background = egui::Rect::from_min_size(pos, galley.size()).expand(5.0);
    painter.rect_filled(
        background,
        4.0,
        visuals.extreme_bg_color.gamma_multiply(0.92),
    );
    painter.rect_stroke(
        background,
        4.0,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Outside,
    );
    // One click target per banner line (a line may wrap over several rows).
    let mut clicked = None;
    let mut line = 0;
    let mut line_rect = egui::Rect::NOTHING;
    let lines: Vec<&str> = text.split('\n').collect();
    for row in &galley.rows {
        line_rect = line_rect.union(row.rect().translate(pos.to_vec2()));
        if row.ends_with_newline || std::ptr::eq(row, galley.rows.last().expect("non-empty")) {
            if let (Some(banner), Some(words)) =
                (view.calibration_banner.get(line), lines.get(line))
            {
                let response = ui
                    .interact(
                        line_rect,
                        ui.scope_id().with(("calibration_banner", line)),
                        egui::Sense::click(),
                    )
                    .on_hover_text("Click: the History events that set this calibration");
                let label = format!("Calibration: {words}");
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, label.clone())
                });
                if response.clicked() {
                    clicked = Some(banner.dataset_id.clone());
                }
                if response.hovered() {
                    ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
                }
            }
            line += 1;
            line_rect = egui::Rect::NOTHING;
        }
    }
    painter.galley(pos, galley, color);
    clicked
}

/// The spacing between x tick labels, in points, below which they are hidden and above
/// which they are fully opaque: room for a five-digit label ("24000") and a gap.
const X_LABEL_SPACING_PT: [f32; 2] = [44.0, 52.0];

/// Draws the canvas for `view` with `traces` (in active order) into `ui`.
pub fn draw_canvas(ui: &mut egui::Ui, view: &ViewState, traces: &[SceneTrace<'_>]) -> CanvasOutput {
    draw_canvas_with(ui, view, traces, CanvasTools::default())
}

/// [`draw_canvas`] with the GUI's `tools` for this frame.
pub fn draw_canvas_with(
    ui: &mut egui::Ui,
    view: &ViewState,
    traces: &[SceneTrace<'_>],
    tools: CanvasTools,
) -> CanvasOutput {
    let mut out = CanvasOutput::default();
    let unit = view.display_unit;
    let bounds = view
        .bounds
        .unwrap_or_else(|| auto_bounds(traces, view.normalization));
    let dx = display_x(view, bounds.x_nm);
    let hidden: Vec<egui_plot::ItemId> = traces
        .iter()
        .filter(|t| !t.visible)
        .map(|t| egui_plot::ItemId::new(t.id.as_str()))
        .collect();
    let y_label = y_axis_label(view, traces);
    let unit_symbol = unit.symbol();
    let x_name = if unit.is_reversed() { "ν̃" } else { "λ" };
    // The crosshair label resolves one pixel of the current zoom, like the status bar.
    let tooltip_x_decimals =
        decimals_for_step((dx[1] - dx[0]).abs() / f64::from(ui.available_width().max(1.0)));

    let plot_id = ui.make_persistent_id("spectra_canvas");
    let plot = Plot::new("spectra_canvas")
        .id(plot_id)
        .legend(
            Legend::default()
                .position(Corner::RightTop)
                .follow_insertion_order(true)
                .grouping(LegendGrouping::ById)
                // The σ band shares the line's entry; show the line's colour.
                .color_conflict_handling(egui_plot::ColorConflictHandling::PickLast)
                .hidden_items(hidden.iter().copied()),
        )
        // egui_plot hides x labels closer than 60 pt, so a 650–2550 nm view labelled only
        // 1000 and 2000; its own fit check still keeps labels from overlapping.
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .label(unit.axis_label())
                .label_spacing(X_LABEL_SPACING_PT[0]..=X_LABEL_SPACING_PT[1]),
        ])
        .y_axis_label(y_label)
        .y_axis_formatter(|mark, range| tick_label(mark.value, mark.step_size, range))
        .invert_x(unit.is_reversed())
        .allow_double_click_reset(false)
        // While picking a region the primary drag is the pick, not a pan.
        .allow_drag(!tools.pick_region)
        .show_crosshair(view.crosshair_visible)
        .show_x(view.crosshair_visible)
        .show_y(view.crosshair_visible)
        .label_formatter(move |hover| {
            let p = match hover {
                egui_plot::HoverPosition::NearDataPoint { position, .. }
                | egui_plot::HoverPosition::Elsewhere { position } => position,
            };
            Some(format!(
                "{x_name} = {} {unit_symbol}\ny = {}",
                fixed(p.x, tooltip_x_decimals),
                readout_number(p.y)
            ))
        });

    let pixels_wide = (ui.available_width() * ui.ctx().pixels_per_point()).max(1.0) as usize;
    let response = plot.show(ui, |plot_ui| {
        plot_ui.set_plot_bounds_x(dx[0]..=dx[1]);
        plot_ui.set_plot_bounds_y(bounds.y[0]..=bounds.y[1]);
        for mask in &view.masks {
            let m = display_x(view, [mask.x_nm_start, mask.x_nm_end]);
            plot_ui.span(
                Span::new("", m[0]..=m[1])
                    .fill(egui::Color32::from_rgba_unmultiplied(128, 128, 128, 48)),
            );
        }
        let request = LodRequest {
            x_range_nm: (bounds.x_nm[0], bounds.x_nm[1]),
            columns: pixels_wide,
            budget_points: view.lod_budget_points,
            unit,
        };
        for t in traces.iter().filter(|t| t.visible) {
            for &(a, b) in &t.trace.mask_runs_nm {
                let m = display_x(view, [a, b]);
                let c = view.palette_key.color(t.order);
                plot_ui.span(
                    Span::new("", m[0]..=m[1])
                        .fill(egui::Color32::from_rgba_unmultiplied(c[0], c[1], c[2], 40)),
                );
            }
        }
        let all_points = lod_points_of(traces, view.normalization, &request);
        for (t, points) in traces.iter().zip(all_points) {
            let color = color32(view.palette_key.color(t.order));
            // Hidden traces are still handed over (egui_plot skips drawing them): an item
            // without points would drop out of the legend and could not be shown again.
            if view.uncertainty_visible && t.trace.sigma().is_some() && !points.is_empty() {
                let xs: Vec<f64> = points.iter().map(|p| p[0]).collect();
                let lo: Vec<f64> = points.iter().map(|p| p[1] - p[2]).collect();
                let hi: Vec<f64> = points.iter().map(|p| p[1] + p[2]).collect();
                plot_ui.add(
                    egui_plot::FilledArea::new(t.name, &xs, &lo, &hi)
                        .fill_color(color.gamma_multiply(0.25))
                        .id(t.id.as_str()),
                );
            }
            let line_points: PlotPoints<'_> = points.iter().map(|p| [p[0], p[1]]).collect();
            plot_ui.line(
                Line::new(t.name, line_points)
                    .color(color)
                    .width(1.5)
                    // egui_plot would draw a line with several points per pixel column as
                    // a band of per-column [min, max] bars, which leaves gaps wherever the
                    // trace climbs more than a bar between columns. The M4 points we hand
                    // over already are what a column needs: draw them as the polyline.
                    .allow_band(false)
                    .id(t.id.as_str()),
            );
        }
        if tools.pick_region {
            out.picked_region_nm = pick_region(plot_ui, view, tools.region_nm, plot_id);
        }
        let overlay_hover = view
            .line_overlay
            .as_ref()
            .and_then(|o| draw_line_overlay(plot_ui, view, traces, o, bounds));
        // egui_plot reports a pointer position wherever the pointer is: read out only
        // while it is over the plot, so the status bar clears when it leaves.
        let hovered = plot_ui.response().hovered();
        let bounds = plot_ui.plot_bounds();
        let size = plot_ui.response().rect.size();
        let digits = ReadoutDigits {
            x: decimals_for_step(bounds.width() / f64::from(size.x.max(1.0))),
            y: decimals_for_step(bounds.height() / f64::from(size.y.max(1.0))),
        };
        let pointer = plot_ui.pointer_coordinate().filter(|_| hovered);
        if hovered && let Some(text) = overlay_hover {
            plot_ui.response().clone().on_hover_text_at_pointer(text);
        }
        pointer
            .and_then(|p| readout(view, traces, p.x, p.y, digits))
            .map(|(text, marker)| {
                if let Some(m) = marker {
                    plot_ui.points(
                        Points::new("", vec![m])
                            .shape(MarkerShape::Circle)
                            .radius(4.0)
                            .filled(false)
                            .color(ui_marker_color(view)),
                    );
                }
                text
            })
    });
    out.banner_clicked = draw_banner(ui, view, traces, response.response.rect);
    out.readout = response.inner;

    // Interactions → commands.
    if response.response.double_clicked() {
        out.commands.push(Command::SetBounds(None));
    } else {
        let b = response.transform.bounds();
        let (nx, ny) = ([b.min()[0], b.max()[0]], [b.min()[1], b.max()[1]]);
        let moved = |a: [f64; 2], b: [f64; 2]| {
            let span = (a[1] - a[0]).abs().max(f64::MIN_POSITIVE);
            (a[0] - b[0]).abs() > 1e-9 * span || (a[1] - b[1]).abs() > 1e-9 * span
        };
        if moved(nx, dx) || moved(ny, bounds.y) {
            let (a, c) = (unit.to_nm(nx[0]), unit.to_nm(nx[1]));
            let new = PlotBounds {
                x_nm: [a.min(c), a.max(c)],
                y: ny,
            };
            if new.x_nm[0] < new.x_nm[1] && new.y[0] < new.y[1] && new.x_nm[0] > 0.0 {
                out.commands.push(Command::SetBounds(Some(new)));
            }
        }
    }
    if let Some(mem) = egui_plot::PlotMemory::load(ui.ctx(), plot_id) {
        for t in traces {
            let shown = !mem
                .hidden_items
                .contains(&egui_plot::ItemId::new(t.id.as_str()));
            if shown != t.visible {
                out.commands.push(Command::SetTraceVisible {
                    id: t.id.clone(),
                    visible: shown,
                });
            }
        }
    }
    out
}

/// Samples across all traces above which their LOD selections run on several threads.
const PARALLEL_LOD_SAMPLES: usize = 1 << 20;

/// Each trace's LOD points for `request`, in trace order. With many samples the traces
/// are shared out over a few threads (each selection is a pure function of its trace,
/// so the points are the same either way): ten 1e6-point traces would otherwise spend
/// most of a frame's CPU one after another on one core.
fn lod_points_of(
    traces: &[SceneTrace<'_>],
    normalization: Normalization,
    request: &LodRequest,
) -> Vec<Vec<[f64; 3]>> {
    let samples: usize = traces.iter().map(|t| t.trace.spectrum.len()).sum();
    let threads = if samples < PARALLEL_LOD_SAMPLES || traces.len() < 2 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
    };
    if threads == 1 {
        return traces
            .iter()
            .map(|t| t.trace.lod_points(normalization, request))
            .collect();
    }
    let per_thread = traces.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let jobs: Vec<_> = traces
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|t| t.trace.lod_points(normalization, request))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().expect("LOD selection does not panic"))
            .collect()
    })
}

/// The region pick: a primary drag from the press to the release, drawn as a span while
/// it lasts (the last region otherwise); returns the region, nm and sorted, on release.
fn pick_region(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    view: &ViewState,
    shown_nm: Option<[f64; 2]>,
    plot_id: egui::Id,
) -> Option<[f64; 2]> {
    let unit = view.display_unit;
    let key = plot_id.with("pick_region_start");
    let response = plot_ui.response().clone();
    let ctx = plot_ui.ctx().clone();
    // Positions straight from the pointer: with panning off the transform does not lag
    // behind the drag (pointer_coordinate corrects for a lag that is not there).
    let (origin, latest) = ctx.input(|i| (i.pointer.press_origin(), i.pointer.latest_pos()));
    let to_x = |p: egui::Pos2| plot_ui.plot_from_screen(p).x;
    if response.drag_started_by(egui::PointerButton::Primary)
        && let Some(p) = origin
    {
        ctx.data_mut(|d| d.insert_temp(key, to_x(p)));
    }
    let start: Option<f64> = ctx.data(|d| d.get_temp(key));
    let current = latest.map(to_x);
    let mut picked = None;
    let span_display = match (start, current) {
        (Some(a), Some(b)) if response.dragged_by(egui::PointerButton::Primary) => Some([a, b]),
        (Some(a), Some(b)) if response.drag_stopped() => {
            ctx.data_mut(|d| d.remove::<f64>(key));
            let (lo, hi) = (unit.to_nm(a), unit.to_nm(b));
            let region = [lo.min(hi), lo.max(hi)];
            if region[0] < region[1] && region[0] > 0.0 {
                picked = Some(region);
            }
            Some([a, b])
        }
        _ => shown_nm.map(|r| display_x(view, r)),
    };
    if let Some([a, b]) = span_display {
        plot_ui.span(
            Span::new("", a.min(b)..=a.max(b))
                .fill(egui::Color32::from_rgba_unmultiplied(230, 160, 30, 56)),
        );
    }
    if response.hovered() {
        ctx.set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
    }
    picked
}

/// Draws the view's line overlay: a thin vertical line per list line inside the x range,
/// and labels thinned so that none overlaps another (the strongest first, where the list
/// gives strengths; then by wavelength), with the overlay's list, medium and z written in
/// the plot's top-left corner. Returns the hover text of the line under the pointer
/// (within 5 points), if any.
fn draw_line_overlay(
    plot_ui: &mut egui_plot::PlotUi<'_>,
    view: &ViewState,
    traces: &[SceneTrace<'_>],
    overlay: &crate::view::LineOverlay,
    bounds: PlotBounds,
) -> Option<String> {
    use crate::analysis::linelist;
    let list = linelist::bundled(&overlay.list).ok()?;
    // The medium of the first visible trace that states one; else the list's own.
    let target = traces
        .iter()
        .filter(|t| t.visible)
        .map(|t| t.trace.spectrum.medium)
        .find(|m| *m != crate::spectrum::Medium::Unknown);
    let list = match target {
        Some(m) => list.to_medium(m).ok()?,
        None => list,
    };
    // Lines stay behind the data: a light dashed stroke; labels in the marker colour.
    let line_color = ui_marker_color(view).gamma_multiply(0.35);
    let color = ui_marker_color(view).gamma_multiply(0.8);
    let (lo, hi) = (bounds.x_nm[0], bounds.x_nm[1]);
    let shift = 1.0 + overlay.z;
    let shown: Vec<&linelist::Line> = list
        .lines
        .iter()
        .filter(|l| (lo..=hi).contains(&(l.rest_nm * shift)))
        .collect();
    let screen_x = |plot_ui: &egui_plot::PlotUi<'_>, x_nm: f64| {
        let x = display_x(view, [x_nm, x_nm])[0];
        plot_ui
            .screen_from_plot(egui_plot::PlotPoint::new(x, bounds.y[1]))
            .x
    };
    let pointer_x = plot_ui.pointer_coordinate().map(|p| {
        plot_ui
            .screen_from_plot(egui_plot::PlotPoint::new(p.x, p.y))
            .x
    });
    let mut hover: Option<(f32, String)> = None;
    for l in &shown {
        let obs = l.rest_nm * shift;
        let x = display_x(view, [obs, obs])[0];
        plot_ui.vline(
            egui_plot::VLine::new("", x)
                .color(line_color)
                .width(1.0)
                .style(egui_plot::LineStyle::dashed_loose()),
        );
        if let Some(px) = pointer_x {
            let d = (screen_x(plot_ui, obs) - px).abs();
            if d <= 5.0 && hover.as_ref().is_none_or(|(best, _)| d < *best) {
                let text = format!(
                    "{} ({})\nrest {:.4} nm, observed {:.4} nm at z = {:.6}\n{} wavelengths{}\n{}",
                    l.species,
                    l.label,
                    l.rest_nm,
                    obs,
                    overlay.z,
                    list.medium.as_str(),
                    list.converted
                        .as_ref()
                        .map(|c| format!(", converted {c}"))
                        .unwrap_or_default(),
                    if l.source.is_empty() {
                        &list.name
                    } else {
                        &l.source
                    }
                );
                hover = Some((d, text));
            }
        }
    }
    // Labels: strongest first (unstated strength counts as 0), then by wavelength.
    let mut order: Vec<&linelist::Line> = shown.clone();
    order.sort_by(|a, b| {
        b.strength
            .unwrap_or(0.0)
            .total_cmp(&a.strength.unwrap_or(0.0))
            .then(a.rest_nm.total_cmp(&b.rest_nm))
    });
    let mut placed: Vec<(f32, f32)> = Vec::new();
    let y_top = bounds.y[1] - 0.02 * (bounds.y[1] - bounds.y[0]);
    for l in order {
        let obs = l.rest_nm * shift;
        let centre = screen_x(plot_ui, obs);
        // Text width estimate at 11 pt: ≈ 6.2 pt per character, plus a gap.
        let half = 0.5 * (6.2 * l.label.chars().count() as f32 + 8.0);
        if placed.iter().any(|&(c, h)| (c - centre).abs() < h + half) {
            continue;
        }
        placed.push((centre, half));
        let x = display_x(view, [obs, obs])[0];
        plot_ui.text(
            egui_plot::Text::new(
                "",
                egui_plot::PlotPoint::new(x, y_top),
                egui::RichText::new(&l.label).size(11.0).color(color),
            )
            .anchor(egui::Align2::CENTER_TOP),
        );
    }
    let corner_x = display_x(view, [lo, lo])[0];
    let caption = format!(
        "lines: {} ({}{}) at z = {:.6}",
        list.key,
        list.medium.as_str(),
        if list.converted.is_some() {
            ", converted by Morton 2000"
        } else {
            ""
        },
        overlay.z
    );
    // In the lower left corner, clear of the labels along the top.
    let y_caption = bounds.y[0] + 0.02 * (bounds.y[1] - bounds.y[0]);
    plot_ui.text(
        egui_plot::Text::new(
            "",
            egui_plot::PlotPoint::new(corner_x, y_caption),
            egui::RichText::new(caption).size(11.0).color(color),
        )
        .anchor(egui::Align2::LEFT_BOTTOM),
    );
    hover.map(|(_, t)| t)
}

fn ui_marker_color(view: &ViewState) -> egui::Color32 {
    match view.theme {
        crate::view::Theme::Light => egui::Color32::BLACK,
        crate::view::Theme::Dark => egui::Color32::WHITE,
    }
}

/// Axis ranges whose largest magnitude is below this or at least [`SCIENTIFIC_ABOVE`]
/// get tick labels in scientific notation (flux in erg s⁻¹ cm⁻² Å⁻¹ is ~1e-13; written
/// out, "0.00000000000012" is unreadable and pushes the plot aside).
const SCIENTIFIC_BELOW: f64 = 1e-3;
const SCIENTIFIC_ABOVE: f64 = 1e6;

/// A tick label for `value` on an axis whose ticks are `step` apart and which shows
/// `range`: decimals as egui_plot writes them for ordinary ranges (same text), scientific
/// notation with just enough digits to tell neighbouring ticks apart for tiny or huge ones.
pub fn tick_label(value: f64, step: f64, range: &std::ops::RangeInclusive<f64>) -> String {
    let magnitude = range.start().abs().max(range.end().abs());
    if (SCIENTIFIC_BELOW..SCIENTIFIC_ABOVE).contains(&magnitude) || !step.is_finite() || step <= 0.0
    {
        let decimals = (-step.log10().round()).max(0.0) as usize;
        return egui::emath::format_with_decimals_in_range(value, decimals..=decimals);
    }
    // egui_plot labels coarse ticks with their own (larger) step; use the finest step
    // the range shows so that 1.0e-13 sits among 1.1e-13 and 9.0e-14 with the same digits.
    let span = (range.end() - range.start()).abs();
    let step = if span > 0.0 {
        step.min(10f64.powf(span.log10().floor() - 1.0))
    } else {
        step
    };
    // Ticks are multiples of `step`; anything smaller than half a step is rounding noise.
    if value.abs() < step / 2.0 {
        return "0".into();
    }
    // One number of digits for every tick: enough for the finest step at the range's
    // largest magnitude (so 9.0e-14 sits under 1.0e-13 and 1.1e-13).
    let exponent = (magnitude.log10() + 1e-9).floor();
    let decimals = (exponent - step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$e}")
}

/// Decimals the pointer readout shows: as many as one pixel of the current zoom
/// resolves (a pixel's width or height in display units), no false precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadoutDigits {
    pub x: usize,
    pub y: usize,
}

/// The decimals that resolve `step` (one pixel, in display units): 0 for a step of 1 or
/// more, 3 for 0.001…0.0099, at most 12.
pub fn decimals_for_step(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 6;
    }
    (-step.log10().floor()).clamp(0.0, 12.0) as usize
}

fn fixed(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// A y value to `decimals` decimals, or in scientific notation (to the same resolution)
/// where fixed decimals would hide it or it is huge.
fn readout_in(value: f64, decimals: usize) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (SCIENTIFIC_BELOW..SCIENTIFIC_ABOVE).contains(&magnitude) {
        fixed(value, decimals)
    } else {
        readout_number(value)
    }
}

/// A number for the pointer readout: six decimals, or six significant digits in
/// scientific notation when six decimals would hide it (or it is huge).
pub fn readout_number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (SCIENTIFIC_BELOW..SCIENTIFIC_ABOVE).contains(&magnitude) {
        format!("{value:.6}")
    } else {
        format!("{value:.5e}")
    }
}

/// The y-axis title: the common y unit of the visible traces, or "normalized".
fn y_axis_label(view: &ViewState, traces: &[SceneTrace<'_>]) -> String {
    match view.normalization {
        Normalization::Max => return "Normalized (max = 1)".into(),
        Normalization::Area => return "Normalized (area = 1 per nm)".into(),
        Normalization::None => {}
    }
    let mut units = traces
        .iter()
        .filter(|t| t.visible)
        .map(|t| t.trace.spectrum.y_unit.as_str());
    match units.next() {
        Some(first) if !first.is_empty() && units.all(|u| u == first) => format!("Flux ({first})"),
        _ => "Flux (mixed or unknown units)".into(),
    }
}

/// The crosshair readout for a pointer at display coordinates (`x`, `y`): the nearest
/// visible trace's sample (or its peak within the snap radius), and where to mark it.
fn readout(
    view: &ViewState,
    traces: &[SceneTrace<'_>],
    x: f64,
    y: f64,
    digits: ReadoutDigits,
) -> Option<(String, Option<[f64; 2]>)> {
    if !view.crosshair_visible {
        return None;
    }
    let unit = view.display_unit;
    let x_nm = unit.to_nm(x);
    if !(x_nm.is_finite() && x_nm > 0.0) {
        return None;
    }
    let mut best: Option<(f64, &SceneTrace<'_>, usize)> = None;
    for t in traces.iter().filter(|t| t.visible) {
        let (a, b) = t.trace.spectrum.x_range_nm();
        if x_nm < a || x_nm > b {
            continue;
        }
        let i = if view.snap_to_peak {
            t.trace
                .peak_near(x_nm, view.snap_radius_nm)
                .unwrap_or_else(|| t.trace.nearest(x_nm))
        } else {
            t.trace.nearest(x_nm)
        };
        let d = t.trace.divisor(view.normalization).unwrap_or(1.0);
        let dist = (t.trace.y()[i] / d - y).abs();
        if best.as_ref().is_none_or(|(bd, _, _)| dist < *bd) {
            best = Some((dist, t, i));
        }
    }
    let pointer_text = format!(
        "pointer {} {}, {}",
        fixed(x, digits.x),
        unit.symbol(),
        readout_in(y, digits.y)
    );
    let Some((_, t, i)) = best else {
        return Some((pointer_text, None));
    };
    let d = t.trace.divisor(view.normalization).unwrap_or(1.0);
    let sx = unit.from_nm(t.trace.spectrum.x_nm()[i]);
    let sy = t.trace.y()[i] / d;
    let sigma = t
        .trace
        .sigma()
        .map(|s| format!(" ± {:.4e}", s[i] / d))
        .unwrap_or_default();
    let snap = if view.snap_to_peak { "peak " } else { "" };
    Some((
        format!(
            "{pointer_text}   {snap}{}: {} {} → {:.6e}{sigma}",
            t.name,
            fixed(sx, digits.x),
            unit.symbol(),
            sy
        ),
        Some([sx, sy]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readout_resolves_one_pixel_and_no_more() {
        // 1900 nm over 1000 px: 1.9 nm a pixel, whole nanometres.
        assert_eq!(decimals_for_step(1.9), 0);
        // Zoomed to 2 nm over 1000 px: 0.002 nm a pixel, three decimals.
        assert_eq!(decimals_for_step(0.002), 3);
        assert_eq!(decimals_for_step(0.01), 2);
        assert_eq!(decimals_for_step(0.0099), 3);
        assert_eq!(decimals_for_step(250.0), 0);
        assert_eq!(decimals_for_step(1e-20), 12, "capped");
        assert_eq!(
            decimals_for_step(0.0),
            6,
            "degenerate zoom: the old default"
        );
        assert_eq!(fixed(1281.746155, decimals_for_step(1.9)), "1282");
        assert_eq!(fixed(1281.746155, decimals_for_step(0.002)), "1281.746");
        assert_eq!(readout_in(0.268095, 3), "0.268");
        assert_eq!(
            readout_in(1.2e-13, 3),
            readout_number(1.2e-13),
            "tiny flux stays readable"
        );
    }

    #[test]
    fn ordinary_ranges_keep_egui_plots_decimal_ticks() {
        let range = 0.0..=1.0;
        assert_eq!(tick_label(0.5, 0.1, &range), "0.5");
        assert_eq!(tick_label(0.25, 0.01, &range), "0.25");
        assert_eq!(tick_label(1200.0, 100.0, &(700.0..=2500.0)), "1200");
        assert_eq!(tick_label(-10.0, 5.0, &(-12.0..=15.0)), "-10");
    }

    #[test]
    fn tiny_and_huge_ranges_get_scientific_ticks_that_tell_neighbours_apart() {
        let flux = 1.4e-14..=1.25e-13;
        assert_eq!(tick_label(1.2e-13, 1e-14, &flux), "1.2e-13");
        assert_eq!(tick_label(1.1e-13, 1e-14, &flux), "1.1e-13");
        assert_eq!(tick_label(2e-14, 1e-14, &flux), "2.0e-14");
        assert_eq!(tick_label(1e-13, 1e-14, &flux), "1.0e-13");
        assert_eq!(tick_label(9.999_999_999_999e-14, 1e-14, &flux), "1.0e-13");
        assert_eq!(tick_label(1e-13, 1e-13, &flux), "1.0e-13", "a coarse tick");
        assert_eq!(tick_label(9e-14, 1e-14, &flux), "9.0e-14");
        assert_eq!(tick_label(0.0, 1e-14, &flux), "0");
        assert_eq!(tick_label(3e-30, 1e-14, &flux), "0", "float noise at zero");
        assert_eq!(tick_label(2.5e7, 5e6, &(0.0..=3e7)), "2.5e7");
        assert_eq!(tick_label(-2e-5, 1e-5, &(-3e-5..=3e-5)), "-2.0e-5");
    }

    #[test]
    fn readout_shows_small_numbers() {
        assert_eq!(readout_number(0.5), "0.500000");
        assert_eq!(readout_number(0.0), "0.000000");
        assert_eq!(readout_number(1.234567e-13), "1.23457e-13");
        assert_eq!(readout_number(-4.5e8), "-4.50000e8");
    }
}
