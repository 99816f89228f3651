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


# 1-2. SpeX prism spectra of an M6 and a T6 dwarf (rows: wavelength um, flux, uncertainty),
#      float32 in the file; written as the exact float64 of each float32.
SPEX = [
    ("12043_11769.fits.gz", "spex_M6_dwarf_12043.csv", "M6", 12043,
     "Bardalez Gagliuffi et al. 2019, ApJ 883, 205 (2019ApJ...883..205B)."),
    ("11594_11430.fits.gz", "spex_T6_dwarf_11594.csv", "T6", 11594,
     "Mace et al. 2013, ApJS 205, 6 (2013ApJS..205....6M)."),
]
for src, dst, sptype, key, cite in SPEX:
    with fits.open(shared / "fits/spex" / src) as h:
        d = h[0].data.astype(np.float64)
        yunits = h[0].header.get("YUNITS")
    w, f, e = d[0], d[1], d[2]
    ok = np.isfinite(w) & np.isfinite(f) & np.isfinite(e) & (e >= 0)
    write(
        out / dst,
        [
            f"IRTF SpeX prism spectrum of an {sptype} dwarf (SpeX Prism Library, data key {key})."
            if sptype[0] in "AEFHILMNORSX" else
            f"IRTF SpeX prism spectrum of a {sptype} dwarf (SpeX Prism Library, data key {key}).",
            f"Source: {src} from the MIT-licensed splat 1.14 package.",
            f"Cite: {cite}",
            f"{int((~ok).sum())} non-finite rows left out; values are the file's float32 numbers.",
        ],
        ["wavelength (um)", "flux (erg/s/cm2/A)" if yunits == "ergss-1cm-2A-1" else "flux", "sigma"],
        zip(w[ok], f[ok], e[ok]),
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
