//! Transform benchmarks on 1e6 and 1e7 points (Savitzky–Golay, Gaussian LSF, linear and
//! flux-conserving resampling, a calibration chain) and the direct/FFT crossover of the
//! LSF convolution. Table and JSON as in every bench (`target/bench/transforms.json`).
//!
//! Run: `cargo bench --bench transforms [-- sg lsf resample chain crossover]`.

mod common;

/// The binary's allocator, so benchmarks measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;

use common::{Table, floor_ms, median_ms, signal, wanted};
use spectra_workbench::spectrum::{Medium, Spectrum};
use spectra_workbench::transforms::SavGol;
use spectra_workbench::transforms::lsf::{self, FWHM_PER_SIGMA, LsfWidth};
use spectra_workbench::transforms::registry::{Step, apply_steps};
use spectra_workbench::transforms::resample;

fn main() {
    common::tune_allocator();
    let mut table = Table::new("transforms");
    for n in [1_000_000usize, 10_000_000] {
        let label = if n == 1_000_000 { "1e6" } else { "1e7" };
        let (x, y) = signal(n);
        let floor = floor_ms(&y);
        let floor_name = format!("1 pass over y ({label} f64)");
        let pick = |small: &str, large: &str| {
            if n == 1_000_000 {
                small.to_string()
            } else {
                large.to_string()
            }
        };
        if wanted("sg") {
            let sg = SavGol {
                window: 21,
                poly: 3,
            };
            let t = median_ms(7, || {
                black_box(sg.apply(black_box(&y), None).unwrap());
            });
            table.push(
                &format!("Savitzky-Golay w=21 p=3, {label}"),
                t,
                &floor_name,
                floor,
                &pick("<= 2.5 ms", "<= 25 ms"),
            );
        }
        if wanted("lsf") {
            let step = (x[n - 1] - x[0]) / (n - 1) as f64;
            let fwhm = 5.0 * FWHM_PER_SIGMA * step;
            let t = median_ms(7, || {
                black_box(
                    lsf::convolve_gaussian(&x, &y, None, LsfWidth::FwhmNm(fwhm), None, false)
                        .unwrap(),
                );
            });
            table.push(
                &format!("Gaussian LSF sigma=5 px (41 taps), {label}"),
                t,
                &floor_name,
                floor,
                &pick("<= 4 ms", "<= 40 ms"),
            );
        }
        if wanted("resample") {
            let grid: Vec<f64> = (0..1_000_000)
                .map(|i| 310.0 + i as f64 * (2180.0 / 1e6))
                .collect();
            let t = median_ms(7, || {
                black_box(resample::linear(&x, &y, None, &grid).unwrap());
            });
            table.push(
                &format!("linear resample {label} -> 1e6 grid"),
                t,
                &floor_name,
                floor,
                &pick("<= 3 ms", "<= 12 ms"),
            );
            let t = median_ms(7, || {
                black_box(resample::flux_conserving(&x, &y, None, &grid).unwrap());
            });
            table.push(
                &format!("flux-conserving resample {label} -> 1e6 grid"),
                t,
                &floor_name,
                floor,
                &pick("<= 7 ms", "<= 30 ms"),
            );
        }
        if wanted("chain") && n == 1_000_000 {
            let mut s = Spectrum::new("bench", x.clone(), y.clone(), None).unwrap();
            s.medium = Medium::Air;
            let steps: Vec<Step> = serde_json::from_str(
                r#"[{"kind":"airvac_convert","params":{"to":"vacuum"}},
                    {"kind":"velocity_shift","params":{"rv_kms":-12.4,"frame":"heliocentric"}},
                    {"kind":"lsf_convolve","params":{"kernel":"gaussian","resolving_power":2000}},
                    {"kind":"resample","params":{"method":"flux_conserving","grid":{"uniform":{"start_nm":320,"stop_nm":2480,"step_nm":0.00216}}}}]"#,
            )
            .expect("valid steps");
            let t = median_ms(5, || {
                black_box(apply_steps(&steps, &s, &[]).unwrap());
            });
            table.push(
                "calibration chain with records and IDs, 1e6",
                t,
                &floor_name,
                floor,
                "<= 20 ms",
            );
            // The same numbers without the step records: no Dataset IDs (sha256 of every
            // intermediate) and no derived-spectrum bookkeeping.
            let grid: Vec<f64> = (0..1_000_000).map(|i| 320.0 + i as f64 * 0.00216).collect();
            let t = median_ms(11, || {
                use spectra_workbench::transforms::airvac::{self, AirFormula, TargetMedium};
                use spectra_workbench::transforms::velocity::{self, Convention};
                let vac = airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000)
                    .unwrap();
                let f = velocity::one_plus_z(-12.4, Convention::Relativistic).unwrap();
                let shifted = velocity::shift_axis_nm(&vac, f);
                let (yl, _, _) = lsf::convolve_gaussian(
                    &shifted,
                    &y,
                    None,
                    LsfWidth::ResolvingPower(2000.0),
                    None,
                    false,
                )
                .unwrap();
                black_box(resample::flux_conserving(&shifted, &yl, None, &grid).unwrap());
            });
            // Its parts, to see where the time goes.
            {
                use spectra_workbench::transforms::airvac::{self, AirFormula, TargetMedium};
                let t_air = median_ms(5, || {
                    black_box(
                        airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000)
                            .unwrap(),
                    );
                });
                table.push(
                    "chain part: air -> vacuum (Morton, iterated), 1e6",
                    t_air,
                    &floor_name,
                    floor,
                    "",
                );
                let vac = airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000)
                    .unwrap();
                let t_lsf = median_ms(5, || {
                    black_box(
                        lsf::convolve_gaussian(
                            &vac,
                            &y,
                            None,
                            LsfWidth::ResolvingPower(2000.0),
                            None,
                            false,
                        )
                        .unwrap(),
                    );
                });
                table.push(
                    "chain part: LSF R=2000 on the vacuum grid (non-uniform in ln λ), 1e6",
                    t_lsf,
                    &floor_name,
                    floor,
                    "",
                );
                use spectra_workbench::transforms::velocity;
                let t_shift = median_ms(11, || {
                    black_box(velocity::shift_axis_nm(&vac, 0.99995));
                });
                table.push(
                    "chain part: velocity shift of the axis, 1e6",
                    t_shift,
                    &floor_name,
                    floor,
                    "",
                );
                let t_flux = median_ms(11, || {
                    black_box(resample::flux_conserving(&vac, &y, None, &grid).unwrap());
                });
                table.push(
                    "chain part: flux-conserving resample onto the 1e6 grid",
                    t_flux,
                    &floor_name,
                    floor,
                    "",
                );
            }
            table.push(
                "calibration chain, numbers only, 1e6",
                t,
                &floor_name,
                floor,
                "<= 20 ms",
            );
        }
        if wanted("crossover") && n == 1_000_000 {
            for taps in [41usize, 81, 121, 161, 241, 321, 641] {
                let sigma_px = (taps / 2) as f64 / 4.0;
                let w = lsf::gaussian_weights(sigma_px);
                let direct = median_ms(5, || {
                    black_box(lsf::convolve_reflect_direct(&y, &w));
                });
                let fft = median_ms(5, || {
                    black_box(lsf::convolve_reflect_fft(&y, &w));
                });
                table.push(
                    &format!("LSF direct, {} taps, 1e6", w.len()),
                    direct,
                    &floor_name,
                    floor,
                    "crossover",
                );
                table.push(
                    &format!("LSF FFT, {} taps, 1e6", w.len()),
                    fft,
                    &floor_name,
                    floor,
                    "crossover",
                );
            }
        }
    }
    table.write();
}
