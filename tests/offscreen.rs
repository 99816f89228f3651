//! The offscreen CPU renderer: size, determinism, and that the traces are really drawn.
//! Set SPECTRA_WORKBENCH_SAVE_RENDER=path.png to keep the picture for a look.

use std::sync::Arc;

use spectra_workbench::display::DisplayTrace;
use spectra_workbench::render::SceneTrace;
use spectra_workbench::render::offscreen::render_canvas;
use spectra_workbench::session::{Command, Session};
use spectra_workbench::transforms::Normalization;
use spectra_workbench::view::Canvas;

fn sample_session(canvas: Canvas) -> (Session, Vec<Arc<DisplayTrace>>) {
    let mut s = Session::default();
    s.apply(Command::AddDatasets(spectra_workbench::samples::load_all()))
        .unwrap();
    s.apply(Command::SetNormalization(Normalization::Max))
        .unwrap();
    s.apply(Command::SetCanvas(canvas)).unwrap();
    let traces = s
        .datasets()
        .iter()
        .map(|d| Arc::new(DisplayTrace::build(d.spectrum.clone(), s.view().smoothing)))
        .collect();
    (s, traces)
}

fn render(
    session: &Session,
    traces: &[Arc<DisplayTrace>],
) -> spectra_workbench::render::offscreen::Picture {
    let scene: Vec<SceneTrace<'_>> = session
        .datasets()
        .iter()
        .zip(traces)
        .enumerate()
        .map(|(order, (d, t))| SceneTrace {
            id: &d.id,
            name: &d.spectrum.name,
            trace: t,
            visible: true,
            order,
        })
        .collect();
    render_canvas(session.view(), &scene)
}

#[test]
fn renders_the_samples_deterministically_at_the_canvas_size() {
    let canvas = Canvas {
        width_pt: 800.0,
        height_pt: 450.0,
        pixels_per_point: 1.5,
    };
    let (session, traces) = sample_session(canvas);
    let a = render(&session, &traces);
    assert_eq!((a.width, a.height), (1200, 675));
    let b = render(&session, &traces);
    assert_eq!(a, b, "same view, same pixels");
    let png = a.to_png();
    assert_eq!(png, b.to_png(), "same pixels, same bytes");
    if let Ok(path) = std::env::var("SPECTRA_WORKBENCH_SAVE_RENDER") {
        std::fs::write(path, &png).unwrap();
    }
    // Each trace's palette colour appears (the lines are really drawn).
    for order in 0..3 {
        let [r, g, b] = session.view().palette_key.color(order);
        let close = a.rgba.chunks_exact(4).filter(|p| {
            (p[0] as i32 - r as i32).abs() < 24
                && (p[1] as i32 - g as i32).abs() < 24
                && (p[2] as i32 - b as i32).abs() < 24
        });
        assert!(close.count() > 50, "trace {order} colour missing");
    }
}
