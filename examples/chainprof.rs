#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use spectra_workbench::transforms::airvac::{self, AirFormula, TargetMedium};
use spectra_workbench::transforms::lsf::{self, LsfWidth};
use spectra_workbench::transforms::resample;
use spectra_workbench::transforms::velocity::{self, Convention};
use std::hint::black_box;
fn main() {
    unsafe {
        libmimalloc_sys::mi_option_set(15, 1000);
    }
    let n = 1_000_000usize;
    let x: Vec<f64> = (0..n)
        .map(|i| 300.0 + i as f64 * (2200.0 / n as f64))
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.1 * (i as f64 * 1e-5).sin())
        .collect();
    let grid: Vec<f64> = (0..1_000_000).map(|i| 320.0 + i as f64 * 0.00216).collect();
    let part = std::env::args().nth(1).unwrap_or("all".into());
    let reps: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(200);
    let mut times = vec![];
    let lnx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let lng: Vec<f64> = (0..n)
        .map(|i| lnx[0] + (lnx[n - 1] - lnx[0]) * i as f64 / (n - 1) as f64)
        .collect();
    if part == "parts" {
        let mut best = [f64::MAX; 4];
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            let vac =
                airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000).unwrap();
            let t1 = std::time::Instant::now();
            let f = velocity::one_plus_z(-12.4, Convention::Relativistic).unwrap();
            let shifted = velocity::shift_axis_nm(&vac, f);
            let t2 = std::time::Instant::now();
            let (yl, _, _) = lsf::convolve_gaussian(
                &shifted,
                &y,
                None,
                LsfWidth::ResolvingPower(2000.0),
                None,
                false,
            )
            .unwrap();
            let t3 = std::time::Instant::now();
            black_box(resample::flux_conserving(&shifted, &yl, None, &grid).unwrap());
            let t4 = std::time::Instant::now();
            let d = [t1 - t0, t2 - t1, t3 - t2, t4 - t3];
            for (b, d) in best.iter_mut().zip(d) {
                *b = b.min(d.as_secs_f64() * 1e3);
            }
        }
        println!(
            "min air {:.2} shift {:.2} lsf {:.2} flux {:.2} sum {:.2}",
            best[0],
            best[1],
            best[2],
            best[3],
            best.iter().sum::<f64>()
        );
        return;
    }
    if part == "fluxchain" {
        let vac =
            airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000).unwrap();
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
        let mut best = f64::MAX;
        let mut best2 = f64::MAX;
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            black_box(resample::flux_conserving(&shifted, &yl, None, &grid).unwrap());
            best = best.min(t0.elapsed().as_secs_f64() * 1e3);
            let t0 = std::time::Instant::now();
            black_box(resample::flux_conserving(&x, &y, None, &grid).unwrap());
            best2 = best2.min(t0.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "flux on chain data {:.2}, on uniform data {:.2}",
            best, best2
        );
        return;
    }
    if part == "fft" {
        let w = lsf::gaussian_weights(102.0);
        let mut times = vec![];
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            black_box(lsf::convolve_reflect_fft(&y, &w));
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "fft taps {} median {:.3} min {:.3}",
            w.len(),
            times[times.len() / 2],
            times[0]
        );
        return;
    }
    if part == "bw" {
        for arrays in [1usize, 2, 4, 8] {
            let vs: Vec<Vec<f64>> = (0..arrays)
                .map(|k| (0..n).map(|i| (i + k) as f64).collect())
                .collect();
            let mut best = f64::MAX;
            for _ in 0..reps {
                let t0 = std::time::Instant::now();
                let mut acc = 0.0;
                for i in (0..n).step_by(1) {
                    for v in &vs {
                        acc += v[i];
                    }
                }
                black_box(acc);
                best = best.min(t0.elapsed().as_secs_f64() * 1e3);
            }
            let mut out = vec![0.0; n];
            let mut bestw = f64::MAX;
            for _ in 0..reps {
                let t0 = std::time::Instant::now();
                for (i, o) in out.iter_mut().enumerate() {
                    *o = vs[0][i] * 2.0;
                }
                black_box(&out);
                bestw = bestw.min(t0.elapsed().as_secs_f64() * 1e3);
            }
            println!(
                "{arrays} arrays read: {:.3} ms = {:.1} GB/s; copy-scale 1 array {:.3} ms",
                best,
                (arrays * n * 8) as f64 / best / 1e6,
                bestw
            );
        }
        return;
    }
    if part == "lin" || part == "linback" || part == "flux" {
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            if part == "lin" {
                black_box(resample::linear(&lnx, &y, None, &lng).unwrap());
            } else if part == "linback" {
                black_box(resample::linear(&lng, &y, None, &lnx).unwrap());
            } else {
                black_box(resample::flux_conserving(&x, &y, None, &grid).unwrap());
            }
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{part} median {:.3} ms min {:.3}",
            times[times.len() / 2],
            times[0]
        );
        return;
    }
    for _ in 0..reps {
        let t0 = std::time::Instant::now();
        let vac =
            airvac::convert_axis_nm(&x, TargetMedium::Vacuum, AirFormula::Morton2000).unwrap();
        if part == "air" {
            black_box(vac);
            times.push(t0.elapsed().as_secs_f64() * 1e3);
            continue;
        }
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
        if part == "lsf" {
            black_box(yl);
            times.push(t0.elapsed().as_secs_f64() * 1e3);
            continue;
        }
        black_box(resample::flux_conserving(&shifted, &yl, None, &grid).unwrap());
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "median {:.2} ms min {:.2}",
        times[times.len() / 2],
        times[0]
    );
}
