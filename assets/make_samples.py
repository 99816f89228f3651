"""Regenerates the bundled sample spectra in assets/samples/ (run once, output committed).

Recipe (throw-away venv):  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy astropy
                           /tmp/venv/bin/python assets/make_samples.py ../shared/data
Inputs come from the project's shared data folder (see assets/README.md for origins).
Floats are written with repr(), the shortest text that round-trips the float32/float64 value.
"""
import sys
from pathlib import Path

import numpy as np
from astropy.io import fits

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
out = Path(__file__).parent / "samples"
out.mkdir(exist_ok=True)


def write(path, header_lines, columns, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in header_lines:
            f.write(f"# {line}\n")
        f.write(",".join(columns) + "\n")
        for row in rows:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


# 1. SpeX prism spectrum of a T2 dwarf (rows: wavelength um, flux, uncertainty), float32.
with fits.open(shared / "fits/spex/10704_10139.fits.gz") as h:
    d = h[0].data.astype(np.float64)
w, f, e = d[0], d[1], d[2]
ok = np.isfinite(w) & np.isfinite(f) & np.isfinite(e) & (e >= 0)
write(
    out / "spex_T2_dwarf_10704.csv",
    [
        "IRTF SpeX prism spectrum of a T2 dwarf (SpeX Prism Library, data key 10704).",
        "Source: 10704_10139.fits.gz from the MIT-licensed splat 1.14 package.",
        "Cite: Burgasser et al. 2008, ApJ 681, 579 (2008ApJ...681..579B).",
        "Flux normalized as distributed; values are the file's float32 numbers.",
    ],
    ["wavelength (um)", "flux", "sigma"],
    zip(w[ok], f[ok], e[ok]),
)

# 2. DESI SV3 coadd, blue arm of the brightest of the five spectra. sigma = 1/sqrt(ivar);
#    ivar = 0 samples (no information) are left out.
with fits.open(shared / "fits/desi/coadd-sv3-dark-26065.fits") as h:
    wave = h["B_WAVELENGTH"].data.astype(np.float64)
    flux = h["B_FLUX"].data.astype(np.float64)
    ivar = h["B_IVAR"].data.astype(np.float64)
    tid = h["FIBERMAP"].data["TARGETID"]
k = int(np.argmax(np.nanmedian(flux, axis=1)))
ok = ivar[k] > 0
write(
    out / f"desi_sv3_26065_B_{tid[k]}.csv",
    [
        f"DESI SV3 dark coadd, healpix 26065, TARGETID {tid[k]}, B arm (vacuum wavelengths).",
        "Source: coadd-sv3-dark-26065.fits from the BSD-3 specutils 2.4.0 package test data.",
        "Cite: DESI Collaboration 2024, AJ 168, 58 (Early Data Release), 2024AJ....168...58D.",
        "sigma = 1/sqrt(B_IVAR); samples with B_IVAR = 0 are omitted.",
    ],
    ["wavelength (Angstrom)", "flux (1e-17 erg/s/cm2/Angstrom)", "sigma"],
    zip(wave[ok], flux[k][ok], 1.0 / np.sqrt(ivar[k][ok])),
)

# 3. SYNTHETIC hydrogen lamp: Balmer lines (vacuum, nm) as Gaussians, FWHM 0.4 nm, on a
#    weak flat continuum. No noise. Relative strengths are illustrative, not physical.
lines_nm = {656.4614: 1.0, 486.2721: 0.42, 434.1692: 0.21, 410.2892: 0.12, 397.1198: 0.08}
x = np.round(np.arange(380.0, 700.0 + 1e-9, 0.02), 6)
sig = 0.4 / (2 * np.sqrt(2 * np.log(2)))
y = 0.02 + sum(a * np.exp(-0.5 * ((x - c) / sig) ** 2) for c, a in lines_nm.items())
write(
    out / "synthetic_hydrogen_lamp.csv",
    [
        "SYNTHETIC hydrogen lamp spectrum made by assets/make_samples.py - not a measurement.",
        "Balmer lines H-alpha..H-epsilon at vacuum wavelengths, Gaussian FWHM 0.4 nm, no noise.",
    ],
    ["wavelength_nm", "intensity (arbitrary)", "sigma"],
    zip(x, y, np.full_like(x, 0.005)),
)
print("wrote", sorted(p.name for p in out.iterdir()))
