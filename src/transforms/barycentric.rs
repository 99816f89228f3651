//! Barycentric and heliocentric radial-velocity corrections for an observation (time,
//! sky position, site), computed the way astropy's `SkyCoord.radial_velocity_correction`
//! does, with the SOFA routines of the pure-Rust `sofars` port:
//!
//! - Earth's barycentric (or heliocentric) velocity from `epv00` at TT;
//! - the site's geocentric position from WGS84 geodetic coordinates (`gd2gc`), taken to
//!   GCRS through the Earth rotation angle (`era00`) and the IAU 2006/2000A
//!   celestial-to-intermediate matrix (`c2i06a`); its velocity is ω × r about the CIP;
//! - barycentric: z_b = γ(1 + β·n)/(1 + Φ/c) with β the observer's barycentric velocity
//!   over c and Φ = −Σ GM/(c r) for the Sun and the Earth (Wright & Eastman 2014, eq. 28);
//!   the correction is (z_b − 1)·c;
//! - heliocentric: n·v, no relativistic terms (as astropy).
//!
//! Approximations, each below 0.05 m/s: UT1 = UTC (|DUT1| < 0.9 s), no polar motion,
//! Jupiter's and the Moon's potentials left out (< 1 mm/s). The target is a direction
//! (no parallax, no proper motion).

use serde::{Deserialize, Serialize};

/// Speed of light, m/s.
const C_M_PER_S: f64 = 299_792_458.0;
/// Astronomical unit, m.
const AU_M: f64 = 149_597_870_700.0;
/// Seconds per day.
const DAY_S: f64 = 86_400.0;
/// Earth's rotation rate, rad/s (1.00273781191135448 cycles per UT1 day, as astropy).
const OMEGA_EARTH_RAD_S: f64 = 1.002_737_811_911_354_5 * std::f64::consts::TAU / DAY_S;
/// IAU 2015 nominal heliocentric gravitational constant, m³/s².
const GM_SUN: f64 = 1.327_124_4e20;
/// IAU 2015 nominal geocentric gravitational constant, m³/s².
const GM_EARTH: f64 = 3.986_004e14;

/// Where the telescope is (WGS84).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// East longitude, degrees.
    pub lon_deg: f64,
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Height above the ellipsoid, m.
    pub height_m: f64,
}

impl Site {
    /// NASA IRTF on Maunakea (astropy's site registry values).
    pub const IRTF: Site = Site {
        lon_deg: -155.471_999,
        lat_deg: 19.826_218,
        height_m: 4168.0,
    };
}

/// Which correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    Barycentric,
    Heliocentric,
}

/// An observation to correct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// UTC as `YYYY-MM-DDTHH:MM:SS[.fff]` (mid-exposure).
    pub utc: String,
    /// Right ascension (ICRS), degrees.
    pub ra_deg: f64,
    /// Declination (ICRS), degrees.
    pub dec_deg: f64,
    pub site: Site,
}

/// Why a correction cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CorrectionError {
    #[error("cannot read UTC '{0}' (want YYYY-MM-DDTHH:MM:SS[.fff])")]
    BadTime(String),
    #[error("the date is outside what the time-scale and ephemeris routines accept")]
    DateOutOfRange,
    #[error("right ascension and declination must be finite, with |dec| <= 90")]
    BadPosition,
    #[error("site coordinates must be finite, with |lat| <= 90")]
    BadSite,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]` (a space may stand for `T`).
fn parse_utc(text: &str) -> Result<(i32, i32, i32, i32, i32, f64), CorrectionError> {
    let bad = || CorrectionError::BadTime(text.to_string());
    let (date, time) = text.trim().split_once(['T', ' ']).ok_or_else(bad)?;
    let mut d = date.split('-');
    let mut t = time.split(':');
    let int = |it: &mut dyn Iterator<Item = &str>| -> Result<i32, CorrectionError> {
        it.next().ok_or_else(bad)?.parse::<i32>().map_err(|_| bad())
    };
    let (y, mo, da) = (int(&mut d)?, int(&mut d)?, int(&mut d)?);
    let (h, mi) = (int(&mut t)?, int(&mut t)?);
    let s: f64 = t.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    if d.next().is_some() || t.next().is_some() {
        return Err(bad());
    }
    Ok((y, mo, da, h, mi, s))
}

fn mat_t_vec(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[0][i] * v[0] + m[1][i] * v[1] + m[2][i] * v[2])
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// The radial-velocity correction in m/s (add it to a measured velocity, or multiply
/// wavelengths by 1 + correction/c).
pub fn radial_velocity_correction_m_per_s(
    kind: CorrectionKind,
    obs: &Observation,
) -> Result<f64, CorrectionError> {
    let (y, mo, d, h, mi, s) = parse_utc(&obs.utc)?;
    if !(obs.ra_deg.is_finite() && obs.dec_deg.is_finite() && obs.dec_deg.abs() <= 90.0) {
        return Err(CorrectionError::BadPosition);
    }
    let site = obs.site;
    if !(site.lon_deg.is_finite() && site.lat_deg.is_finite() && site.height_m.is_finite())
        || site.lat_deg.abs() > 90.0
    {
        return Err(CorrectionError::BadSite);
    }
    let out_of_range = |_| CorrectionError::DateOutOfRange;
    let (utc1, utc2) = sofars::ts::dtf2d("UTC", y, mo, d, h, mi, s)
        .map_err(|_| CorrectionError::BadTime(obs.utc.clone()))?;
    let (tai1, tai2) = sofars::ts::utctai(utc1, utc2).map_err(out_of_range)?;
    let (tt1, tt2) = sofars::ts::taitt(tai1, tai2).map_err(out_of_range)?;
    let (pvh, pvb) = sofars::eph::epv00(tt1, tt2).ok_or(CorrectionError::DateOutOfRange)?;

    // Observer in GCRS: ITRS → (ERA) → CIRS → (C2I ᵀ) → GCRS; UT1 taken as UTC.
    let r_itrs = sofars::coords::gd2gc(
        1,
        site.lon_deg.to_radians(),
        site.lat_deg.to_radians(),
        site.height_m,
    )
    .map_err(|_| CorrectionError::BadSite)?;
    let era = sofars::erst::era00(utc1, utc2);
    let (se, ce) = era.sin_cos();
    // CIRS = R3(−ERA) · ITRS, R3(θ) = [[cos θ, sin θ, 0], [−sin θ, cos θ, 0], [0, 0, 1]].
    let r_cirs = [
        ce * r_itrs[0] - se * r_itrs[1],
        se * r_itrs[0] + ce * r_itrs[1],
        r_itrs[2],
    ];
    let c2i = sofars::pnp::c2i06a(tt1, tt2);
    let r_gcrs = mat_t_vec(&c2i, r_cirs);
    let pole_gcrs = mat_t_vec(&c2i, [0.0, 0.0, 1.0]);
    let omega = pole_gcrs.map(|p| p * OMEGA_EARTH_RAD_S);
    let v_obs = cross(omega, r_gcrs);

    let (ra, dec) = (obs.ra_deg.to_radians(), obs.dec_deg.to_radians());
    let n = [dec.cos() * ra.cos(), dec.cos() * ra.sin(), dec.sin()];
    let au_per_day_to_m_per_s = AU_M / DAY_S;
    match kind {
        CorrectionKind::Heliocentric => {
            let v = [0, 1, 2].map(|i| pvh[1][i] * au_per_day_to_m_per_s + v_obs[i]);
            Ok(dot(n, v))
        }
        CorrectionKind::Barycentric => {
            let beta =
                [0, 1, 2].map(|i| (pvb[1][i] * au_per_day_to_m_per_s + v_obs[i]) / C_M_PER_S);
            let gamma = 1.0 / (1.0 - dot(beta, beta)).sqrt();
            let sun_distance_m = norm(pvh[0]) * AU_M;
            let phi = -(GM_SUN / C_M_PER_S / sun_distance_m) - GM_EARTH / C_M_PER_S / norm(r_itrs);
            let zb = gamma * (1.0 + dot(beta, n)) / (1.0 + phi / C_M_PER_S);
            Ok((zb - 1.0) * C_M_PER_S)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_parsing_and_bad_input() {
        assert_eq!(
            parse_utc("2016-02-20T09:52:10.5").unwrap(),
            (2016, 2, 20, 9, 52, 10.5)
        );
        assert_eq!(parse_utc("2016-02-20 09:52:10").unwrap().5, 10.0);
        for bad in [
            "2016-02-20",
            "20-02-2016T1:2",
            "2016-02-20T09:52:xx",
            "2016-02-20T09:52:10:11",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
        let obs = Observation {
            utc: "2016-02-20T09:52:10".into(),
            ra_deg: 10.0,
            dec_deg: 95.0,
            site: Site::IRTF,
        };
        assert_eq!(
            radial_velocity_correction_m_per_s(CorrectionKind::Barycentric, &obs),
            Err(CorrectionError::BadPosition)
        );
    }

    #[test]
    fn magnitude_is_earth_orbital_speed_at_most() {
        let obs = Observation {
            utc: "2016-02-20T09:52:10".into(),
            ra_deg: 134.5625,
            dec_deg: 19.765,
            site: Site::IRTF,
        };
        let v = radial_velocity_correction_m_per_s(CorrectionKind::Barycentric, &obs).unwrap();
        assert!(v.abs() < 31_000.0, "{v}");
    }
}
