//! Spectral x-axis units and the conversions between them and canonical nanometres.
//!
//! Wavenumber (cm⁻¹) runs the other way: increasing nm is decreasing cm⁻¹. Every function
//! here maps single values; callers that map arrays must reverse them for wavenumber
//! (see [`XUnit::is_reversed`]).

use serde::{Deserialize, Serialize};

/// Å per nm (exact, so Å → nm is one correctly rounded division).
const ANGSTROM_PER_NM: f64 = 10.0;
/// nm per µm.
const NM_PER_MICROMETER: f64 = 1000.0;
/// nm · cm⁻¹ product: λ[nm] = 1e7 / ν̃[cm⁻¹].
const NM_TIMES_WAVENUMBER: f64 = 1.0e7;

/// A unit for the spectral axis, used both for display and for ingest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum XUnit {
    /// Nanometres (the canonical unit).
    #[default]
    #[serde(rename = "nm")]
    Nanometer,
    /// Ångström, 0.1 nm.
    #[serde(rename = "angstrom")]
    Angstrom,
    /// Micrometres, 1000 nm.
    #[serde(rename = "micrometer")]
    Micrometer,
    /// Wavenumber in cm⁻¹ (vacuum-style reciprocal wavelength, 1e7 / λ, λ in nm).
    #[serde(rename = "wavenumber_cm-1")]
    WavenumberPerCm,
}

impl XUnit {
    /// All units, in the order menus show them.
    pub const ALL: [XUnit; 4] = [
        XUnit::Nanometer,
        XUnit::Angstrom,
        XUnit::Micrometer,
        XUnit::WavenumberPerCm,
    ];

    /// Converts one value in this unit to nm.
    pub fn to_nm(self, value: f64) -> f64 {
        match self {
            XUnit::Nanometer => value,
            XUnit::Angstrom => value / ANGSTROM_PER_NM,
            XUnit::Micrometer => value * NM_PER_MICROMETER,
            XUnit::WavenumberPerCm => NM_TIMES_WAVENUMBER / value,
        }
    }

    /// Converts one value in nm to this unit.
    pub fn from_nm(self, x_nm: f64) -> f64 {
        match self {
            XUnit::Nanometer => x_nm,
            XUnit::Angstrom => x_nm * ANGSTROM_PER_NM,
            XUnit::Micrometer => x_nm / NM_PER_MICROMETER,
            XUnit::WavenumberPerCm => NM_TIMES_WAVENUMBER / x_nm,
        }
    }

    /// True when increasing nm maps to decreasing values in this unit.
    pub fn is_reversed(self) -> bool {
        self == XUnit::WavenumberPerCm
    }

    /// Short symbol for axis labels and readouts.
    pub fn symbol(self) -> &'static str {
        match self {
            XUnit::Nanometer => "nm",
            XUnit::Angstrom => "Å",
            XUnit::Micrometer => "µm",
            XUnit::WavenumberPerCm => "cm⁻¹",
        }
    }

    /// Axis title, e.g. `Wavelength (nm)` or `Wavenumber (cm⁻¹)`.
    pub fn axis_label(self) -> String {
        match self {
            XUnit::WavenumberPerCm => format!("Wavenumber ({})", self.symbol()),
            _ => format!("Wavelength ({})", self.symbol()),
        }
    }

    /// The name used on the command line (`--unit`) and in JSON.
    pub fn cli_name(self) -> &'static str {
        match self {
            XUnit::Nanometer => "nm",
            XUnit::Angstrom => "angstrom",
            XUnit::Micrometer => "micrometer",
            XUnit::WavenumberPerCm => "wavenumber",
        }
    }

    /// CSV column header written by `convert`, e.g. `wavelength_nm`, `wavenumber_cm-1`.
    pub fn csv_header(self) -> &'static str {
        match self {
            XUnit::Nanometer => "wavelength_nm",
            XUnit::Angstrom => "wavelength_angstrom",
            XUnit::Micrometer => "wavelength_um",
            XUnit::WavenumberPerCm => "wavenumber_cm-1",
        }
    }

    /// Parses a unit name as typed by a user (`nm`, `A`, `Å`, `angstrom`, `um`, `µm`,
    /// `micron`, `cm-1`, `1/cm`, `wavenumber`…), case-insensitively.
    pub fn parse_name(text: &str) -> Option<XUnit> {
        let t = text.trim().to_lowercase();
        let t = t.trim_matches(|c: char| c == '(' || c == ')' || c == '[' || c == ']');
        Some(match t {
            "nm" | "nanometer" | "nanometers" | "nanometre" | "nanometres" => XUnit::Nanometer,
            "a" | "å" | "aa" | "angstrom" | "angstroms" | "ångström" | "ang" => XUnit::Angstrom,
            "um" | "µm" | "μm" | "micron" | "microns" | "micrometer" | "micrometers"
            | "micrometre" | "micrometres" => XUnit::Micrometer,
            "cm-1" | "cm^-1" | "cm⁻¹" | "1/cm" | "/cm" | "wavenumber" | "wavenumbers"
            | "wavenumber_cm-1" | "kayser" => XUnit::WavenumberPerCm,
            _ => return None,
        })
    }

    /// Converts each value of a canonical (increasing nm) array to this unit; the result
    /// decreases when [`XUnit::is_reversed`].
    pub fn array_from_nm(self, x_nm: &[f64]) -> Vec<f64> {
        x_nm.iter().map(|&x| self.from_nm(x)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_both_ways() {
        // H-alpha (vacuum) 656.461 nm.
        assert_eq!(XUnit::Angstrom.from_nm(656.25), 6562.5);
        assert_eq!(XUnit::Angstrom.to_nm(6564.61), 656.461);
        assert_eq!(XUnit::Micrometer.from_nm(2200.0), 2.2);
        assert_eq!(XUnit::Micrometer.to_nm(2.2), 2200.0);
        assert_eq!(XUnit::WavenumberPerCm.from_nm(1000.0), 10_000.0);
        assert_eq!(XUnit::WavenumberPerCm.to_nm(10_000.0), 1000.0);
        assert_eq!(XUnit::Nanometer.to_nm(500.0), 500.0);
    }

    #[test]
    fn round_trips_are_exact_to_an_ulp_or_two() {
        for unit in XUnit::ALL {
            for &x_nm in &[200.0, 399.7, 656.461, 1234.5678, 25_000.0] {
                let back = unit.to_nm(unit.from_nm(x_nm));
                assert!(
                    (back - x_nm).abs() <= 4.0 * f64::EPSILON * x_nm,
                    "{unit:?} {x_nm} -> {back}"
                );
            }
        }
    }

    #[test]
    fn wavenumber_runs_the_other_way() {
        assert!(XUnit::WavenumberPerCm.is_reversed());
        assert!(XUnit::WavenumberPerCm.from_nm(500.0) > XUnit::WavenumberPerCm.from_nm(600.0));
        for unit in [XUnit::Nanometer, XUnit::Angstrom, XUnit::Micrometer] {
            assert!(!unit.is_reversed());
            assert!(unit.from_nm(500.0) < unit.from_nm(600.0));
        }
    }

    #[test]
    fn parses_user_names() {
        assert_eq!(XUnit::parse_name("Å"), Some(XUnit::Angstrom));
        assert_eq!(XUnit::parse_name("(um)"), Some(XUnit::Micrometer));
        assert_eq!(XUnit::parse_name("cm-1"), Some(XUnit::WavenumberPerCm));
        assert_eq!(XUnit::parse_name("NM"), Some(XUnit::Nanometer));
        assert_eq!(XUnit::parse_name("parsec"), None);
    }
}
