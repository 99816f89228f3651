#!/usr/bin/env python3
"""Copies the real spectra the RV tests use, trimmed, and prints the published values.

    python3 -m venv /tmp/rvenv && /tmp/rvenv/bin/pip install astropy
    /tmp/rvenv/bin/python tests/data/rv/make_rv_data.py

The spectra ship in ppxf 9.5.2 (`ppxf/spectra/`): two SDSS DR18 spectra and one LEGA-C
DR3 spectrum (ESO Phase 3). They are survey data, public with acknowledgement (SDSS;
ESO/LEGA-C, van der Wel et al. 2021, ApJS 256, 44); ppxf's own code is not used or
copied. The SDSS files are cut to their first three HDUs (primary, COADD, SPECOBJ); the
per-exposure HDUs are not needed.

Published values the tests compare with (none computed by this project):
  NGC 3522, SDSS DR18 pipeline (SPECOBJ Z, Z_ERR; CLASS GALAXY, ZWARNING 0)
  NGC 3522, ppxf 9.5.2 reference output, ppxf_example_kinematics_sdss.py:
            "Best-fitting redshift z = 0.0040560 +/- 0.0000055"
  NGC 3073, ppxf 9.5.2 reference output, ppxf_example_gas_sdss_tied.py: stellar
            component "comp. 0: 1149 35" (V = c ln(1+z), km/s). SDSS's own pipeline
            classed this galaxy a STAR (A0), so its SDSS Z is a stellar-template fit.
  LEGA-C M19_56670 (ID 414 in DR3), LEGA-C catalogue z = 0.6686 (quoted in
            ppxf_example_legac_photometry.py) and ppxf's fit "z = 0.668380 +/- 0.000016".
            The file's wavelengths are in air (TUCD1 = 'em.wl;obs.atmos'); ppxf's example
            fits them with vacuum (FSPS) templates without converting.
"""
import subprocess, sys, tempfile, zipfile
from pathlib import Path

from astropy.io import fits

HERE = Path(__file__).resolve().parent

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "-d", tmp, "ppxf==9.5.2"], check=True)
    wheel = zipfile.ZipFile(next(Path(tmp).glob("ppxf-9.5.2-*.whl")))
    for name in ["NGC3522_SDSS_DR18.fits", "NGC3073_SDSS_DR18.fits"]:
        src = Path(tmp) / name
        src.write_bytes(wheel.read(f"ppxf/spectra/{name}"))
        with fits.open(src) as h:
            fits.HDUList([h[0], h[1], h[2]]).writeto(HERE / name, overwrite=True)
            s = h["SPECOBJ"].data
            print(name, "SDSS z", s["Z"][0], "+/-", s["Z_ERR"][0], s["CLASS"][0])
    (HERE / "legac_M19_56670_v3.0.fits").write_bytes(
        wheel.read("ppxf/spectra/legac_M19_56670_v3.0.fits"))
    out = wheel.read("ppxf/examples/ppxf_python_reference_output.txt").decode()
    for line in out.splitlines():
        if "Running:" in line or "Best-fitting redshift" in line or "comp.  0" in line:
            print(line)

# A spectrum with every sample masked (σ = 0 on every row of a FITS table is kept and
# masked by ingest): the bad-input case of rv and identify.
import numpy as np

wave = 5000.0 + np.arange(200) * 0.5
cols = fits.ColDefs([
    fits.Column(name="WAVE", format="D", unit="Angstrom", array=wave),
    fits.Column(name="FLUX", format="D", array=1.0 + 0.1 * np.sin(wave / 7.0)),
    fits.Column(name="ERR", format="D", array=np.zeros_like(wave)),
])
fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols)]).writeto(
    HERE / "all_masked.fits", overwrite=True)
