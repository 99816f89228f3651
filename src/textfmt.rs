//! Float text for CSV outputs: the shortest decimal that reads back to the same f64
//! (Ryū), so every exported number round-trips exactly. One format everywhere (`convert`,
//! `apply`, bundles): `1.0`, `0.25`, `1e-7`, `6.02214076e23`, `-0.0`; never NaN or ∞
//! (spectra hold finite values only). Also RFC 3339 text for Unix times (exports, the
//! store's index), and byte counts for people (`19.1 KiB`).

/// Appends the shortest round-trip text of `v`.
#[inline]
pub fn push_f64(out: &mut Vec<u8>, buf: &mut ryu::Buffer, v: f64) {
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// The civil date (year, month, day) of a day counted from 1970-01-01 (H. Hinnant's
/// algorithm; proleptic Gregorian, any sign).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// RFC 3339 (UTC, `+00:00`) for seconds since the Unix epoch.
pub fn rfc3339_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A byte count for people: `512 B`, `19.1 KiB`, `375.1 MiB`, `2.0 GiB` (binary units).
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(19_558), "19.1 KiB");
        assert_eq!(size_text(393_300_000), "375.1 MiB");
        assert_eq!(size_text(2 << 30), "2.0 GiB");
    }

    #[test]
    fn round_trips_and_reads_as_plain_numbers() {
        let mut buf = ryu::Buffer::new();
        for v in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            6.02214076e23,
            656.2801,
            f64::MIN_POSITIVE,
            f64::MAX,
        ] {
            let mut out = Vec::new();
            push_f64(&mut out, &mut buf, v);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
    }
}
