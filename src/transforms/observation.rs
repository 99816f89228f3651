//! What a barycentric or heliocentric correction needs, read from a spectrum's metadata:
//! the mid-exposure UTC (`DATE-OBS` with a time, or `DATE_OBS`/`DATE-OBS` + `TIME_OBS`/
//! `TIME-OBS`, else `MJD-OBS`/`MJD_OBS`), the pointing (`RA`/`DEC` or `TCS_RA`/`TCS_DEC`,
//! in degrees or sexagesimal hours and degrees), and the site (`OBSGEO-L/B/H`, else
//! `TELESCOP`/`OBSERVAT` looked up in [`SITES`]). The Calibration dock prefills its
//! velocity-shift form with this; the user can change every field.

use super::barycentric::Site;

/// An observatory the site table knows, with the names headers use for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NamedSite {
    /// Short name shown in the dock.
    pub name: &'static str,
    /// Lower-case words a `TELESCOP`/`OBSERVAT` value is matched against (any one).
    pub aliases: &'static [&'static str],
    pub site: Site,
}

/// Observatories, with astropy's site registry values (astropy-data
/// `coordinates/sites.json`; east longitudes, WGS84, metres).
pub const SITES: &[NamedSite] = &[
    NamedSite {
        name: "IRTF (Maunakea)",
        aliases: &["irtf", "maunakea", "mauna kea"],
        site: Site::IRTF,
    },
    NamedSite {
        name: "Kitt Peak",
        aliases: &["kitt peak", "kpno"],
        site: Site {
            lon_deg: 248.4 - 360.0,
            lat_deg: 31.963_333_333_333_33,
            height_m: 2120.0,
        },
    },
    NamedSite {
        name: "Apache Point",
        aliases: &["apache point", "apo", "sdss"],
        site: Site {
            lon_deg: 254.179_999_999_999_98 - 360.0,
            lat_deg: 32.78,
            height_m: 2798.0,
        },
    },
    NamedSite {
        name: "La Silla",
        aliases: &["la silla", "lasilla"],
        site: Site {
            lon_deg: 289.27 - 360.0,
            lat_deg: -29.256_666_666_666_668,
            height_m: 2347.0,
        },
    },
    NamedSite {
        name: "Paranal",
        aliases: &["paranal", "vlt"],
        site: Site {
            lon_deg: -70.404_986_88,
            lat_deg: -24.627_439_41,
            height_m: 2669.0,
        },
    },
    NamedSite {
        name: "Las Campanas",
        aliases: &["las campanas", "lco", "magellan", "du pont"],
        site: Site {
            lon_deg: 289.298_333_333_333_35 - 360.0,
            lat_deg: -29.003_333_333_333_334,
            height_m: 2282.0,
        },
    },
    NamedSite {
        name: "Palomar",
        aliases: &["palomar", "hale"],
        site: Site {
            lon_deg: 243.137 - 360.0,
            lat_deg: 33.356,
            height_m: 1706.0,
        },
    },
    NamedSite {
        name: "Lick",
        aliases: &["lick", "shane"],
        site: Site {
            lon_deg: 238.363_333_333_333_32 - 360.0,
            lat_deg: 37.343_333_333_333_334,
            height_m: 1290.0,
        },
    },
    NamedSite {
        name: "McDonald",
        aliases: &["mcdonald", "hobby-eberly", "het"],
        site: Site {
            lon_deg: 255.978_333_305_555_57 - 360.0,
            lat_deg: 30.671_666_694_444_447,
            height_m: 2075.0,
        },
    },
];

/// The site a `TELESCOP` or `OBSERVAT` value names, if the table knows it.
pub fn site_named(text: &str) -> Option<&'static NamedSite> {
    let t = text.to_lowercase();
    let words: Vec<&str> = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // One-word aliases match whole words ("het" is not in "sheth"); longer ones anywhere.
    SITES.iter().find(|s| {
        s.aliases.iter().any(|a| {
            if a.chars().all(|c| c.is_ascii_alphanumeric()) {
                words.contains(a)
            } else {
                t.contains(a)
            }
        })
    })
}

/// Sexagesimal `[+-]DD:MM:SS.s` (or with spaces) or a plain number, as a number of the
/// first field's unit.
fn sexagesimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let parts: Vec<&str> = rest.split([':', ' ']).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut value = 0.0;
    let mut scale = 1.0;
    for p in &parts {
        let v: f64 = p.parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        value += v / scale;
        scale *= 60.0;
    }
    Some(sign * value)
}

/// RA in degrees: a number is degrees, `HH:MM:SS` hours.
fn ra_deg(text: &str) -> Option<f64> {
    let t = text.trim();
    let deg = if t.contains([':', ' ']) {
        sexagesimal(t)? * 15.0
    } else {
        t.parse::<f64>().ok()?
    };
    (deg.is_finite() && (0.0..360.0).contains(&deg)).then_some(deg)
}

/// Dec in degrees, from a number or `±DD:MM:SS`.
fn dec_deg(text: &str) -> Option<f64> {
    let deg = sexagesimal(text)?;
    (deg.abs() <= 90.0).then_some(deg)
}

/// UTC text for a Modified Julian Date (to the millisecond).
fn utc_of_mjd(mjd: f64) -> Option<String> {
    if !mjd.is_finite() || !(0.0..200_000.0).contains(&mjd) {
        return None;
    }
    // MJD 40587 is 1970-01-01.
    let ms_total = ((mjd - 40_587.0) * 86_400_000.0).round() as i64;
    let days = ms_total.div_euclid(86_400_000);
    let ms = ms_total.rem_euclid(86_400_000);
    let (y, mo, d) = crate::textfmt::civil_from_days(days);
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    ))
}

/// What the metadata says about an observation; each field names the keys it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prefill {
    pub utc: Option<(String, &'static str)>,
    pub ra_deg: Option<(f64, &'static str)>,
    pub dec_deg: Option<(f64, &'static str)>,
    /// The site and where it came from (a table entry's name, or `OBSGEO-L/B/H`).
    pub site: Option<(Site, String)>,
}

impl Prefill {
    /// Whether everything a correction needs was found.
    pub fn is_complete(&self) -> bool {
        self.utc.is_some() && self.ra_deg.is_some() && self.dec_deg.is_some() && self.site.is_some()
    }
}

/// Reads what a correction needs from `metadata` (header keywords and values).
pub fn prefill(metadata: &[(String, String)]) -> Prefill {
    let get = |k: &str| {
        metadata
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim().trim_matches('\'').trim())
            .filter(|v| !v.is_empty())
    };
    let mut p = Prefill::default();
    // Time: a date with its time, a date plus a time keyword, else an MJD.
    for (date_key, time_key, label) in [
        ("DATE-OBS", "TIME-OBS", "DATE-OBS + TIME-OBS"),
        ("DATE_OBS", "TIME_OBS", "DATE_OBS + TIME_OBS"),
        ("DATE-OBS", "TIME_OBS", "DATE-OBS + TIME_OBS"),
        ("DATE-OBS", "UT", "DATE-OBS + UT"),
    ] {
        if p.utc.is_some() {
            break;
        }
        if let Some(date) = get(date_key) {
            let date = date.replace('/', "-");
            if date.contains('T') {
                p.utc = Some((
                    date,
                    if date_key == "DATE-OBS" {
                        "DATE-OBS"
                    } else {
                        "DATE_OBS"
                    },
                ));
            } else if let Some(time) = get(time_key) {
                p.utc = Some((format!("{date}T{time}"), label));
            }
        }
    }
    if p.utc.is_none() {
        for k in ["MJD-OBS", "MJD_OBS"] {
            if let Some(mjd) = get(k).and_then(|v| v.parse::<f64>().ok())
                && let Some(utc) = utc_of_mjd(mjd)
            {
                p.utc = Some((utc, if k == "MJD-OBS" { "MJD-OBS" } else { "MJD_OBS" }));
                break;
            }
        }
    }
    for (ra_key, dec_key) in [("RA", "DEC"), ("TCS_RA", "TCS_DEC")] {
        if let (Some(ra), Some(dec)) =
            (get(ra_key).and_then(ra_deg), get(dec_key).and_then(dec_deg))
        {
            p.ra_deg = Some((ra, if ra_key == "RA" { "RA" } else { "TCS_RA" }));
            p.dec_deg = Some((dec, if dec_key == "DEC" { "DEC" } else { "TCS_DEC" }));
            break;
        }
    }
    let geo =
        ["OBSGEO-L", "OBSGEO-B", "OBSGEO-H"].map(|k| get(k).and_then(|v| v.parse::<f64>().ok()));
    if let [Some(lon), Some(lat), Some(h)] = geo {
        p.site = Some((
            Site {
                lon_deg: lon,
                lat_deg: lat,
                height_m: h,
            },
            "OBSGEO-L/B/H".into(),
        ));
    } else if let Some((named, key)) = ["OBSERVAT", "TELESCOP"]
        .iter()
        .find_map(|k| get(k).and_then(site_named).map(|s| (s, *k)))
    {
        p.site = Some((named.site, format!("{key} → {}", named.name)));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_spex_header_gives_the_whole_observation() {
        // The keywords of tests/data/fits/12043_11769.fits.gz.
        let p = prefill(&meta(&[
            ("TELESCOP", "NASA IRTF"),
            ("DATE_OBS", "2016-02-20"),
            ("TIME_OBS", "09:52:10.233131"),
            ("MJD_OBS", "57438.4112295"),
            ("TCS_RA", "08:58:14.99"),
            ("TCS_DEC", "19:45:54.1"),
        ]));
        assert!(p.is_complete());
        assert_eq!(p.utc.as_ref().unwrap().0, "2016-02-20T09:52:10.233131");
        let ra = p.ra_deg.unwrap().0;
        let dec = p.dec_deg.unwrap().0;
        // 08:58:14.99 h = 134.5624583°, +19:45:54.1 = 19.7650278° (the recipe's numbers).
        assert!((ra - 134.562_458_3).abs() < 1e-6, "{ra}");
        assert!((dec - 19.765_027_8).abs() < 1e-6, "{dec}");
        assert_eq!(p.site.unwrap().0, Site::IRTF);
    }

    #[test]
    fn degrees_negative_declinations_mjd_and_obsgeo_read() {
        let p = prefill(&meta(&[
            ("RA", "210.5"),
            ("DEC", "-05:30:00"),
            ("MJD-OBS", "57438.5"),
            ("OBSGEO-L", "-70.4"),
            ("OBSGEO-B", "-24.6"),
            ("OBSGEO-H", "2600"),
            ("TELESCOP", "NASA IRTF"),
        ]));
        assert_eq!(p.ra_deg.unwrap().0, 210.5);
        assert_eq!(p.dec_deg.unwrap().0, -5.5);
        assert_eq!(p.utc.unwrap().0, "2016-02-20T12:00:00.000");
        let (site, from) = p.site.unwrap();
        assert_eq!(from, "OBSGEO-L/B/H", "coordinates win over a name");
        assert_eq!(site.lat_deg, -24.6);
        // -00:30 keeps its sign.
        assert_eq!(dec_deg("-00:30:00"), Some(-0.5));
    }

    #[test]
    fn telescope_names_find_their_site_and_nonsense_finds_nothing() {
        for (text, name) in [
            ("SDSS 2.5-M", "Apache Point"),
            ("Kitt Peak 4m", "Kitt Peak"),
            ("ESO-VLT-U2", "Paranal"),
            ("Magellan Clay", "Las Campanas"),
            ("Hale 200-inch", "Palomar"),
            ("Shane 3m", "Lick"),
            ("HET", "McDonald"),
            ("ESO La Silla 3.6m", "La Silla"),
        ] {
            assert_eq!(site_named(text).map(|s| s.name), Some(name), "{text}");
        }
        assert!(site_named("my backyard").is_none());
        assert!(site_named("").is_none());
        let p = prefill(&meta(&[
            ("RA", "25:00:00"),
            ("DEC", "91"),
            ("MJD-OBS", "nan"),
        ]));
        assert_eq!(p, Prefill::default(), "out-of-range values are not used");
    }
}
