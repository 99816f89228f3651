"""Reference values for the transform tests, from specutils, scipy and numpy.

Recipe:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy astropy specutils
         /tmp/venv/bin/python tests/reference/make_transform_fixtures.py
Versions used are written into the output (tests/reference/transforms_reference.json).
"""
import json
from pathlib import Path

import astropy
import astropy.units as u
import numpy as np
import scipy
import specutils
from scipy.ndimage import gaussian_filter1d
from specutils import Spectrum
from specutils.manipulation import FluxConservingResampler
from specutils.utils.wcs_utils import air_to_vac, vac_to_air

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
    return np.array(rows)


out = {
    "made_with": {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "astropy": astropy.__version__,
        "specutils": specutils.__version__,
    }
}

# Air <-> vacuum, 250 nm (specutils' lower limit) to 10 um, three formulas.
wl_nm = np.geomspace(250.0, 10000.0, 400)
airvac = []
for method in ["Morton2000", "Ciddor1996", "Edlen1966"]:
    vac_of_air = air_to_vac(wl_nm * u.nm, scheme="iteration", method=method, precision=1e-15, maxiter=100)
    air_of_vac = vac_to_air(wl_nm * u.nm, method=method)
    airvac.append({
        "method": method,
        "wavelength_nm": wl_nm.tolist(),
        "vacuum_from_air_nm": vac_of_air.to_value(u.nm).tolist(),
        "air_from_vacuum_nm": air_of_vac.to_value(u.nm).tolist(),
    })
out["airvac"] = airvac

# Gaussian LSF on the uniform synthetic lamp grid: sigma_px from the grid step, exactly
# as the Rust code derives it; scipy's gaussian_filter1d (mode='reflect', truncate=4).
lamp = read_csv(root / "assets/samples/synthetic_hydrogen_lamp.csv")
x, y = lamp[:, 0], lamp[:, 1]
step = (x[-1] - x[0]) / (len(x) - 1)
lsf = []
for fwhm_nm in [0.1, 1.0, 5.0]:
    sigma_px = fwhm_nm / (2.0 * np.sqrt(2.0 * np.log(2.0))) / step
    lsf.append({
        "sample": "synthetic_hydrogen_lamp.csv",
        "fwhm_nm": fwhm_nm,
        "sigma_px": sigma_px,
        "y_convolved": gaussian_filter1d(y, sigma_px, mode="reflect", truncate=4.0).tolist(),
    })
out["lsf_gaussian"] = lsf

# numpy.interp and specutils' FluxConservingResampler on a real (non-uniform) SpeX grid.
m6 = read_csv(root / "assets/samples/spex_M6_dwarf_12043.csv")
x_nm, f = m6[:, 0] * 1000.0, m6[:, 1]
grid = np.arange(800.0, 2400.0, 7.5)
out["interp"] = {
    "sample": "spex_M6_dwarf_12043.csv",
    "grid_nm": grid.tolist(),
    "y": np.interp(grid, x_nm, f).tolist(),
}
spec = Spectrum(flux=f * u.Jy, spectral_axis=x_nm * u.nm)
res = FluxConservingResampler()(spec, grid * u.nm)
out["flux_conserving"] = {
    "sample": "spex_M6_dwarf_12043.csv",
    "grid_nm": grid.tolist(),
    "y": res.flux.value.tolist(),
}
(Path(__file__).parent / "transforms_reference.json").write_text(json.dumps(out) + "\n")
print("ok", out["made_with"])
