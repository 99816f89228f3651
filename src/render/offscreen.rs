//! Offscreen rendering of the canvas on the CPU: a headless egui context runs
//! [`super::draw_canvas`] at the view's canvas size and pixels-per-point, egui
//! tessellates, and this module rasterises the meshes itself (no GPU), with egui's
//! conventions: premultiplied sRGB-gamma colours, vertex colour × texture, blending
//! `dst = src + dst·(1 − src.a)` in gamma space, bilinear texture sampling, and the
//! top-left fill rule so that triangles sharing an edge never blend a pixel twice.
//!
//! Everything is f32 arithmetic in a fixed order, so the same build gives the same bytes
//! for the same view: the GUI's export and a headless replay produce one `view.png`.

use std::collections::BTreeMap;

use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId};

use crate::render::{SceneTrace, draw_canvas, install_fonts, visuals};
use crate::view::ViewState;

/// Passes run before the picture is taken: the first loads fonts, the next ones let
/// layout that depends on the previous pass (axis widths) settle.
const PASSES: usize = 3;

/// An RGBA8 image, rows top to bottom, not premultiplied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Picture {
    /// PNG bytes (deterministic: same pixels, same bytes).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        image::ImageEncoder::write_image(
            encoder,
            &self.rgba,
            self.width,
            self.height,
            image::ExtendedColorType::Rgba8,
        )
        .expect("encoding to memory cannot fail");
        out
    }
}

/// A texture as premultiplied RGBA f32 in gamma space.
struct Texture {
    size: [usize; 2],
    texels: Vec<[f32; 4]>,
}

impl Texture {
    fn sample(&self, u: f32, v: f32) -> [f32; 4] {
        // Bilinear, clamp to edge, texel centres at (i + 0.5) / size.
        let (w, h) = (self.size[0], self.size[1]);
        let x = u * w as f32 - 0.5;
        let y = v * h as f32 - 0.5;
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let clamp = |i: f32, n: usize| (i.max(0.0) as usize).min(n - 1);
        let (xa, xb) = (clamp(x0, w), clamp(x0 + 1.0, w));
        let (ya, yb) = (clamp(y0, h), clamp(y0 + 1.0, h));
        let t = |x: usize, y: usize| self.texels[y * w + x];
        let (p00, p10, p01, p11) = (t(xa, ya), t(xb, ya), t(xa, yb), t(xb, yb));
        let mut out = [0.0; 4];
        for c in 0..4 {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            out[c] = top + (bottom - top) * fy;
        }
        out
    }
}

fn apply_delta(
    textures: &mut BTreeMap<u64, Texture>,
    id: TextureId,
    delta: &egui::epaint::ImageDelta,
) {
    let key = texture_key(id);
    let ImageData::Color(image) = &delta.image;
    let texels: Vec<[f32; 4]> = image
        .pixels
        .iter()
        .map(|c| {
            let [r, g, b, a] = c.to_array();
            [
                r as f32 / 255.0,
                g as f32 / 255.0,
                b as f32 / 255.0,
                a as f32 / 255.0,
            ]
        })
        .collect();
    match delta.pos {
        None => {
            textures.insert(
                key,
                Texture {
                    size: image.size,
                    texels,
                },
            );
        }
        Some([px, py]) => {
            if let Some(t) = textures.get_mut(&key) {
                for row in 0..image.size[1] {
                    for col in 0..image.size[0] {
                        let (x, y) = (px + col, py + row);
                        if x < t.size[0] && y < t.size[1] {
                            t.texels[y * t.size[0] + x] = texels[row * image.size[0] + col];
                        }
                    }
                }
            }
        }
    }
}

fn texture_key(id: TextureId) -> u64 {
    match id {
        TextureId::Managed(k) => k,
        TextureId::User(k) => k | (1 << 63),
    }
}

/// Renders the canvas for `view` and `traces` to a picture of the view's canvas size in
/// physical pixels.
pub fn render_canvas(view: &ViewState, traces: &[SceneTrace<'_>]) -> Picture {
    let ppp = view.canvas.pixels_per_point.max(0.25);
    let size_pt = egui::vec2(
        view.canvas.width_pt.max(1.0),
        view.canvas.height_pt.max(1.0),
    );
    let width = (size_pt.x * ppp).round().max(1.0) as usize;
    let height = (size_pt.y * ppp).round().max(1.0) as usize;

    let ctx = egui::Context::default();
    install_fonts(&ctx);
    let vis = visuals(view.theme);
    ctx.set_visuals(vis.clone());
    let mut textures: BTreeMap<u64, Texture> = BTreeMap::new();
    let mut last = None;
    for _ in 0..PASSES {
        let mut raw = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size_pt)),
            max_texture_side: Some(8192),
            ..Default::default()
        };
        raw.viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(ppp);
        let mut out = ctx.run_ui(raw, |ui| {
            egui::CentralPanel::default()
                .frame(egui::Frame::central_panel(ui.style()).inner_margin(0.0))
                .show(ui, |ui| {
                    let _ = draw_canvas(ui, view, traces);
                });
        });
        for (id, deltas) in &out.textures_delta.set {
            for delta in deltas {
                apply_delta(&mut textures, *id, delta);
            }
        }
        for id in &out.textures_delta.free {
            textures.remove(&texture_key(*id));
        }
        out.textures_delta.clear();
        last = Some((std::mem::take(&mut out.shapes), out.pixels_per_point));
    }
    let (shapes, ppp_out) = last.expect("at least one pass");
    let primitives = ctx.tessellate(shapes, ppp_out);

    let bg = vis.panel_fill.to_array();
    let mut pixels = vec![
        [
            bg[0] as f32 / 255.0,
            bg[1] as f32 / 255.0,
            bg[2] as f32 / 255.0,
            1.0
        ];
        width * height
    ];
    for p in &primitives {
        rasterize(p, ppp_out, &textures, &mut pixels, width, height);
    }
    let rgba = pixels
        .iter()
        .flat_map(|p| {
            // Un-premultiply for PNG.
            let a = p[3];
            let un = |c: f32| {
                if a > 0.0 {
                    (c / a).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            };
            let q = |c: f32| (c * 255.0 + 0.5).floor().clamp(0.0, 255.0) as u8;
            [q(un(p[0])), q(un(p[1])), q(un(p[2])), q(a)]
        })
        .collect();
    Picture {
        width: width as u32,
        height: height as u32,
        rgba,
    }
}

/// Edge function: twice the signed area of (a, b, p).
#[inline]
fn edge(a: [f32; 2], b: [f32; 2], p: [f32; 2]) -> f32 {
    (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
}

fn rasterize(
    clipped: &ClippedPrimitive,
    ppp: f32,
    textures: &BTreeMap<u64, Texture>,
    pixels: &mut [[f32; 4]],
    width: usize,
    height: usize,
) {
    let Primitive::Mesh(mesh) = &clipped.primitive else {
        return; // paint callbacks (custom GPU painting) are not used by the canvas
    };
    let Some(texture) = textures.get(&texture_key(mesh.texture_id)) else {
        return;
    };
    // Scissor as egui_glow computes it: the clip rectangle in pixels, rounded.
    let clip = clipped.clip_rect;
    let cx0 = ((clip.min.x * ppp).round().max(0.0) as usize).min(width);
    let cy0 = ((clip.min.y * ppp).round().max(0.0) as usize).min(height);
    let cx1 = ((clip.max.x * ppp).round().max(0.0) as usize).min(width);
    let cy1 = ((clip.max.y * ppp).round().max(0.0) as usize).min(height);
    if cx0 >= cx1 || cy0 >= cy1 {
        return;
    }
    for tri in mesh.indices.chunks_exact(3) {
        let v = [0, 1, 2].map(|k| &mesh.vertices[tri[k] as usize]);
        let mut p = v.map(|v| [v.pos.x * ppp, v.pos.y * ppp]);
        let mut vv = v;
        let mut area = edge(p[0], p[1], p[2]);
        if area == 0.0 {
            continue;
        }
        if area < 0.0 {
            p.swap(1, 2);
            vv.swap(1, 2);
            area = -area;
        }
        let colors = vv.map(|v| {
            let [r, g, b, a] = v.color.to_array();
            [
                r as f32 / 255.0,
                g as f32 / 255.0,
                b as f32 / 255.0,
                a as f32 / 255.0,
            ]
        });
        let uvs = vv.map(|v| [v.uv.x, v.uv.y]);
        // The triangle's pixel bounding box, clipped to the clip rectangle.
        let span = |axis: usize| {
            let lo = p.iter().map(|q| q[axis]).fold(f32::INFINITY, f32::min);
            let hi = p.iter().map(|q| q[axis]).fold(f32::NEG_INFINITY, f32::max);
            (lo.floor(), hi.ceil())
        };
        let (x_lo, x_hi) = span(0);
        let (y_lo, y_hi) = span(1);
        let min_x = x_lo.max(cx0 as f32) as usize;
        let max_x = (x_hi as usize).min(cx1);
        let min_y = y_lo.max(cy0 as f32) as usize;
        let max_y = (y_hi as usize).min(cy1);
        // Top-left rule (y down, counter-clockwise in screen space after the swap):
        // an edge owns its pixels when it is a top or a left edge.
        let top_left = |a: [f32; 2], b: [f32; 2]| {
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            (dy == 0.0 && dx < 0.0) || dy > 0.0
        };
        let owns = [
            top_left(p[1], p[2]),
            top_left(p[2], p[0]),
            top_left(p[0], p[1]),
        ];
        for y in min_y..max_y {
            for x in min_x..max_x {
                let c = [x as f32 + 0.5, y as f32 + 0.5];
                let w = [
                    edge(p[1], p[2], c),
                    edge(p[2], p[0], c),
                    edge(p[0], p[1], c),
                ];
                let inside = (0..3).all(|k| w[k] > 0.0 || (w[k] == 0.0 && owns[k]));
                if !inside {
                    continue;
                }
                let b = w.map(|wk| wk / area);
                let mut col = [0.0f32; 4];
                for (k, ch) in col.iter_mut().enumerate() {
                    *ch = b[0] * colors[0][k] + b[1] * colors[1][k] + b[2] * colors[2][k];
                }
                let u = b[0] * uvs[0][0] + b[1] * uvs[1][0] + b[2] * uvs[2][0];
                let t = b[0] * uvs[0][1] + b[1] * uvs[1][1] + b[2] * uvs[2][1];
                let tex = texture.sample(u, t);
                let src = [
                    col[0] * tex[0],
                    col[1] * tex[1],
                    col[2] * tex[2],
                    col[3] * tex[3],
                ];
                let dst = &mut pixels[y * width + x];
                let keep = 1.0 - src[3];
                for k in 0..4 {
                    dst[k] = src[k] + dst[k] * keep;
                }
            }
        }
    }
}
