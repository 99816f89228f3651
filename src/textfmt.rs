//! Float text for CSV outputs: the shortest decimal that reads back to the same f64
//! (Ryū), so every exported number round-trips exactly. One format everywhere (`convert`,
//! `apply`, bundles): `1.0`, `0.25`, `1e-7`, `6.02214076e23`, `-0.0`; never NaN or ∞
//! (spectra hold finite values only).

/// Appends the shortest round-trip text of `v`.
#[inline]
pub fn push_f64(out: &mut Vec<u8>, buf: &mut ryu::Buffer, v: f64) {
    out.extend_from_slice(buf.format(v).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

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
