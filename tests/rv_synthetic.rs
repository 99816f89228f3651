//! Cross-correlation on synthetic spectra built from the bundled line list, with an
//! injected velocity and Gaussian noise: 200 noise realisations at each of three S/N
//! levels. The velocity must be recovered within 0.1 pixel at high S/N, and the reported
//! σ must be honest: the standard deviation of (measured − true)/σ lies in 0.8…1.25.

use spectra_workbench::analysis::linelist;
use spectra_workbench::analysis::xcorr::{Grid, RvRequest, TelluricMask, cross_correlate};
use spectra_workbench::spectrum::{Medium, Spectrum};

const C_KMS: f64 = 299_792.458;
const TRUE_RV_KMS: f64 = 37.3;

/// splitmix64 → standard normals (Box–Muller), so every run sees the same noise.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Absorption-line model at `rv_kms`: continuum 1 with a gentle slope, every line of the
/// strong list between 480 and 680 nm as a Gaussian of FWHM `fwhm_nm`, depth 0.4.
fn model(x_nm: &[f64], rv_kms: f64, fwhm_nm: f64) -> Vec<f64> {
    let list = linelist::bundled("strong_lines").unwrap();
    let shift = 1.0 + rv_kms / C_KMS;
    let s = fwhm_nm / 2.354_820_045;
    x_nm.iter()
        .map(|&x| {
            let mut y = 1.0 + 0.2 * (x - 580.0) / 100.0;
            for l in list.in_range(0.0, 470.0, 690.0) {
                let c = l.rest_nm * shift;
                y -= 0.4 * (-0.5 * ((x - c) / s).powi(2)).exp();
            }
            y
        })
        .collect()
}

fn spectrum(x: Vec<f64>, y: Vec<f64>, sigma: Option<Vec<f64>>) -> Spectrum {
    let mut s = Spectrum::new("synthetic", x, y, sigma).unwrap();
    s.medium = Medium::Vacuum;
    s
}

/// The observed wavelength grid: uniform in λ, 0.05 nm (≈ 26 km/s at 580 nm).
fn observed_axis() -> Vec<f64> {
    (0..4000).map(|i| 480.0 + 0.05 * i as f64).collect()
}

/// The template on its own grid (uniform in ln λ, 4 km/s), noiseless, at rest.
fn template() -> Spectrum {
    let step = 4.0 / C_KMS;
    let x: Vec<f64> = (0..)
        .map(|i| 470.0 * (i as f64 * step).exp())
        .take_while(|&x| x < 690.0)
        .collect();
    let y = model(&x, 0.0, 0.15);
    spectrum(x, y, None)
}

struct Run {
    errors_px: Vec<f64>,
    pulls: Vec<f64>,
}

fn run(snr: f64, realisations: usize, seed: u64) -> Run {
    let x = observed_axis();
    let clean = model(&x, TRUE_RV_KMS, 0.15);
    let t = template();
    let req = RvRequest {
        grid: Grid::STAR,
        telluric: TelluricMask::None,
        ..RvRequest::default()
    };
    let mut rng = Normal(seed);
    let mut out = Run {
        errors_px: Vec::new(),
        pulls: Vec::new(),
    };
    for _ in 0..realisations {
        let sigma: Vec<f64> = clean.iter().map(|&y| y / snr).collect();
        let y: Vec<f64> = clean
            .iter()
            .zip(&sigma)
            .map(|(&y, &s)| y + s * rng.next())
            .collect();
        let s = spectrum(x.clone(), y, Some(sigma));
        let r = cross_correlate(&s, &t, &req).unwrap();
        let err = r.rv_kms - TRUE_RV_KMS;
        out.errors_px.push(err / r.native_pixel_kms);
        out.pulls.push(err / r.rv_sigma_kms);
    }
    out
}

fn std_dev(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

#[test]
fn rv_is_recovered_and_its_sigma_is_honest_at_three_signal_to_noise_levels() {
    let mut report = Vec::new();
    // The three levels run side by side (each is independent and seeded).
    let runs: Vec<(f64, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [(100.0, 1), (30.0, 2), (10.0, 3)]
            .into_iter()
            .map(|(snr, seed)| scope.spawn(move || (snr, run(snr, 200, seed))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (snr, r) in runs {
        let pull_sd = std_dev(&r.pulls);
        let worst = r.errors_px.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        let mean = r.errors_px.iter().sum::<f64>() / r.errors_px.len() as f64;
        let mean_pull = r.pulls.iter().sum::<f64>() / r.pulls.len() as f64;
        report.push(format!(
            "S/N {snr}: pull sd {pull_sd:.3} (mean {mean_pull:+.3}), mean error {mean:+.4} px, worst {worst:.4} px"
        ));
        assert!(
            (0.8..=1.25).contains(&pull_sd),
            "S/N {snr}: sd of (measured − true)/σ is {pull_sd:.3}\n{}",
            report.join("\n")
        );
        // No bias hidden under the scatter: the mean pull is within a few standard errors
        // (1/√200 ≈ 0.07) of zero.
        assert!(
            mean_pull.abs() < 0.35,
            "S/N {snr}: mean (measured − true)/σ is {mean_pull:+.3}\n{}",
            report.join("\n")
        );
        if snr >= 100.0 {
            assert!(
                worst < 0.1,
                "S/N {snr}: worst error {worst:.4} pixel\n{}",
                report.join("\n")
            );
        }
    }
    println!("{}", report.join("\n"));
}

#[test]
fn without_sigma_the_estimate_is_still_honest_and_a_warning_says_so() {
    let x = observed_axis();
    let clean = model(&x, TRUE_RV_KMS, 0.15);
    let t = template();
    let mut rng = Normal(9);
    let mut pulls = Vec::new();
    let req = RvRequest {
        telluric: TelluricMask::None,
        ..RvRequest::default()
    };
    for _ in 0..100 {
        let y: Vec<f64> = clean.iter().map(|&y| y + y / 30.0 * rng.next()).collect();
        let s = spectrum(x.clone(), y, None);
        let r = cross_correlate(&s, &t, &req).unwrap();
        assert_eq!(r.sigma_source, "estimated");
        assert!(r.warnings.iter().any(|w| w.contains("σ estimated")));
        pulls.push((r.rv_kms - TRUE_RV_KMS) / r.rv_sigma_kms);
    }
    let sd = std_dev(&pulls);
    assert!((0.75..=1.33).contains(&sd), "pull sd {sd:.3}");
}
