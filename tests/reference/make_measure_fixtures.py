"""Reference line measurements from specutils.analysis, for tests/measure_reference.rs.

Recipe:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy astropy specutils
         /tmp/venv/bin/python tests/reference/make_measure_fixtures.py
Writes tests/reference/measure_specutils.json (with the versions used).

The region's points are those with start <= x <= end (x in nm; the SpeX samples are in
micrometres and are multiplied by 1000, as the workbench reads them). The continuum is a
straight line fitted by numpy.polyfit to the continuum windows' points (x measured from
the region's centre). specutils then measures, with no region argument (the points are
already cut):
  line_flux(f - c, sigma), centroid(f - c, sigma), fwhm(+-(f - c)),
  equivalent_width(f, continuum=c).
The Gaussian: astropy.modeling's LevMarLSQFitter fits Gaussian1D to f - c with weights
1/sigma (astropy weights multiply the residuals), started from the extreme of f - c, the
centroid and the non-parametric FWHM / 2.3548, to a relative tolerance of 1e-12.
"""
import json
from pathlib import Path

import astropy
import astropy.units as u
import numpy as np
import specutils
from astropy.nddata import StdDevUncertainty
from specutils import Spectrum
from astropy.modeling import fitting, models
from specutils.analysis import centroid, equivalent_width, fwhm, line_flux

root = Path(__file__).resolve().parents[2]


def read_csv(path):
    rows, header = [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        if header is None:
            header = line
            continue
        rows.append([float(v) for v in line.strip().split(",")])
    return header, np.array(rows)


CASES = [
    # (name, sample file, region, continuum windows or None for the default)
    ("lamp H-beta emission, default windows", "synthetic_hydrogen_lamp.csv", (485.6, 486.8), None),
    ("M6 dwarf 1.25 um absorption", "spex_M6_dwarf_12043.csv", (1240.0, 1256.0), [(1225.0, 1238.0), (1258.0, 1270.0)]),
    ("T6 dwarf 1.1-1.2 um band", "spex_T6_dwarf_11594.csv", (1100.0, 1200.0), [(1040.0, 1090.0), (1240.0, 1300.0)]),
]

out = {
    "made_with": {
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
        "astropy": astropy.__version__,
        "specutils": specutils.__version__,
    },
    "cases": [],
}
for name, file, (lo, hi), windows in CASES:
    header, data = read_csv(root / "assets" / "samples" / file)
    x = data[:, 0] * (1000.0 if "(um)" in header else 1.0)
    y, s = data[:, 1], data[:, 2]
    if windows is None:
        w = hi - lo
        windows = [(lo - w, lo), (hi, hi + w)]
    sel = (x >= lo) & (x <= hi)
    cmask = np.zeros_like(x, dtype=bool)
    for a, b in windows:
        cmask |= (x >= a) & (x <= b)
    centre = (lo + hi) / 2
    slope, c0 = np.polyfit(x[cmask] - centre, y[cmask], 1)
    xs, ys, ss = x[sel], y[sel], s[sel]
    c = c0 + slope * (xs - centre)
    g = ys - c
    axis = xs * u.nm
    sub = Spectrum(flux=g * u.Jy, spectral_axis=axis, uncertainty=StdDevUncertainty(ss * u.Jy))
    lf = line_flux(sub)
    cen = centroid(sub)
    absorption = lf.value < 0
    shape = Spectrum(flux=(-g if absorption else g) * u.Jy, spectral_axis=axis)
    width = fwhm(shape)
    ew = equivalent_width(Spectrum(flux=ys * u.Jy, spectral_axis=axis), continuum=c * u.Jy)
    amp0 = g[np.argmax(np.abs(g))]
    start = models.Gaussian1D(amplitude=amp0, mean=cen.value, stddev=width.value / 2.354820045030949)
    fitter = fitting.LevMarLSQFitter()
    fit = fitter(start, xs, g, weights=1.0 / ss, acc=1e-12, maxiter=1000)
    out["cases"].append({
        "name": name,
        "file": file,
        "region": [lo, hi],
        "continuum": [list(wd) for wd in windows],
        "n_points": int(sel.sum()),
        "continuum_at_centre": float(c0),
        "continuum_slope_per_nm": float(slope),
        "line_flux": float(lf.value),
        "line_flux_sigma": float(lf.uncertainty.value),
        "centroid_nm": float(cen.value),
        "centroid_sigma_nm": float(cen.uncertainty.value),
        "fwhm_nm": float(width.value),
        "equivalent_width_nm": float(ew.value),
        "gaussian_amplitude": float(fit.amplitude.value),
        "gaussian_mean_nm": float(fit.mean.value),
        "gaussian_stddev_nm": float(abs(fit.stddev.value)),
    })
path = root / "tests" / "reference" / "measure_specutils.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
