"""Reference arrays for the format readers: the `jcamp` Python package (1.3.2) for every
JCAMP-DX file in tests/data/jcamp/, astropy for every FITS file in tests/data/fits/.

It also *writes* the FITS layouts that ../shared/data has no real file for (1-D linear and
log-linear WCS, IRAF DC-FLAG, an SDSS-style loglam/flux/ivar table, an HST-x1d-style table
with vector columns), with astropy, into tests/data/fits/made/; their expected wavelengths
come from astropy.wcs (or the IRAF formula for DC-FLAG, which astropy does not know).

Recipe:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy astropy jcamp==1.3.2
         /tmp/venv/bin/python tests/reference/formats/make_format_fixtures.py
Each array is stored as its length, its sum (math.fsum) and every k-th value
(k = max(1, n // 200)), so the fixture stays small while every region is checked.
"""
import json
import math
from pathlib import Path

import astropy
import jcamp
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

root = Path(__file__).resolve().parents[3]
data = root / "tests" / "data"
made = data / "fits" / "made"
made.mkdir(parents=True, exist_ok=True)


def summary(a):
    a = np.asarray(a, dtype=np.float64)
    k = max(1, len(a) // 200)
    return {"n": int(len(a)), "sum": math.fsum(a.tolist()), "stride": k, "samples": a[::k].tolist()}


out = {
    "versions": {"jcamp": "1.3.2", "astropy": astropy.__version__, "numpy": np.__version__},
    "jcamp": {},
    "fits": {},
}

# --- JCAMP-DX -------------------------------------------------------------------------
for path in sorted((data / "jcamp").iterdir()):
    if path.name == "DX-DIR.TXT":
        continue
    try:
        d = jcamp.readfile(str(path))
    except Exception as e:  # noqa: BLE001 - the fixture records what the package does
        out["jcamp"][path.name] = {"error": repr(e)}
        continue
    entry = {"xunits": str(d.get("xunits", "")), "yunits": str(d.get("yunits", ""))}
    if len(d.get("y", [])) > 0:
        entry["x"] = summary(d["x"])
        entry["y"] = summary(d["y"])
    out["jcamp"][path.name] = entry


# --- FITS: files written here for the layouts without a real file ---------------------
def write(name, hdul):
    hdul.writeto(made / name, overwrite=True, output_verify="exception")


rng = np.random.default_rng(20261122)
n = 500
flux = (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

h = fits.PrimaryHDU(flux)
h.header.update({"CTYPE1": "AWAV", "CUNIT1": "Angstrom", "CRVAL1": 6500.0, "CDELT1": 0.25,
                 "CRPIX1": 11.0, "BUNIT": "erg/s/cm2/Angstrom", "TELESCOP": "TEST", "INSTRUME": "LIN",
                 "OBJECT": "linear-wcs", "DATE-OBS": "2020-01-02T03:04:05"})
write("linear_wcs_air.fits", fits.HDUList([h]))

h = fits.PrimaryHDU(flux)
h.header.update({"CTYPE1": "WAVE-LOG", "CUNIT1": "nm", "CRVAL1": 400.0, "CDELT1": 0.05,
                 "CRPIX1": 1.0, "BUNIT": "adu"})
write("log_wcs_vacuum.fits", fits.HDUList([h]))

h = fits.PrimaryHDU(flux)
h.header.update({"CRVAL1": 3.6, "CDELT1": 1e-4, "CRPIX1": 1.0, "DC-FLAG": 1, "CUNIT1": "Angstrom",
                 "AIRORVAC": "air"})
write("iraf_dcflag_log10.fits", fits.HDUList([h]))

# Two HDUs that each hold a spectrum: the reader takes the first and says so; the GUI
# offers the other in its HDU chooser.
h0 = fits.PrimaryHDU(flux)
h0.header.update({"CTYPE1": "WAVE", "CUNIT1": "nm", "CRVAL1": 500.0, "CDELT1": 0.01, "CRPIX1": 1.0})
h1 = fits.ImageHDU(flux[::-1].copy(), name="SECOND")
h1.header.update({"CTYPE1": "WAVE", "CUNIT1": "nm", "CRVAL1": 600.0, "CDELT1": 0.01, "CRPIX1": 1.0})
write("two_spectrum_hdus.fits", fits.HDUList([h0, h1]))

loglam = (3.5 + 1e-4 * np.arange(n)).astype(np.float32)
ivar = np.abs(rng.standard_normal(n)).astype(np.float32) * 100
ivar[[3, 77, 400]] = 0.0
cols = fits.ColDefs([
    fits.Column(name="flux", format="E", array=flux),
    fits.Column(name="loglam", format="E", array=loglam),
    fits.Column(name="ivar", format="E", array=ivar),
])
write("sdss_like_table.fits", fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols, name="COADD")]))

nseg, m = 2, 300
wave = np.vstack([1150.0 + 0.1 * np.arange(m), 1500.0 + 0.1 * np.arange(m)])
fl = rng.standard_normal((nseg, m)).astype(np.float32) * 1e-14
er = np.abs(rng.standard_normal((nseg, m))).astype(np.float32) * 1e-15
cols = fits.ColDefs([
    fits.Column(name="SPORDER", format="I", array=np.array([1, 2])),
    fits.Column(name="WAVELENGTH", format=f"{m}D", unit="Angstrom", array=wave),
    fits.Column(name="FLUX", format=f"{m}E", unit="erg/s/cm**2/Angstrom", array=fl),
    fits.Column(name="ERROR", format=f"{m}E", unit="erg/s/cm**2/Angstrom", array=er),
])
prim = fits.PrimaryHDU()
prim.header.update({"TELESCOP": "HST", "INSTRUME": "STIS", "OBJECT": "x1d-like"})
write("hst_x1d_like.fits", fits.HDUList([prim, fits.BinTableHDU.from_columns(cols, name="SCI")]))

# --- FITS expected arrays ----------------------------------------------------------------
def finite_rows(*arrays):
    ok = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a)
    return ok


for path in sorted((data / "fits").glob("*.fits*")):
    with fits.open(path) as hd:
        if path.name.startswith("coadd"):
            entries = {}
            for arm in "BRZ":
                w = hd[f"{arm}_WAVELENGTH"].data.astype(np.float64)
                for s in range(hd[f"{arm}_FLUX"].data.shape[0]):
                    f = hd[f"{arm}_FLUX"].data[s].astype(np.float64)
                    iv = hd[f"{arm}_IVAR"].data[s].astype(np.float64)
                    mk = hd[f"{arm}_MASK"].data[s]
                    sig = np.where(iv > 0, 1.0 / np.sqrt(np.where(iv > 0, iv, 1.0)), 0.0)
                    entries[f"{arm}{s + 1}"] = {
                        "x_nm": summary(w / 10.0), "y": summary(f), "sigma": summary(sig),
                        "n_masked": int(((iv <= 0) | (mk != 0)).sum()),
                    }
            out["fits"][path.name] = {"medium": "vacuum", "spectra": entries}
        else:  # SpeX: rows wavelength (um), flux, error
            d = hd[0].data.astype(np.float64)
            ok = finite_rows(d[0], d[1], d[2]) & (d[2] >= 0)
            # No WAVETYPE keyword: the medium is not stated (the reader says "unknown").
            medium = hd[0].header.get("WAVETYPE", "unknown").strip().lower()
            out["fits"][path.name] = {
                "medium": medium, "y_unit": hd[0].header.get("YUNITS", ""),
                "spectra": {"0": {"x_nm": summary(d[0][ok] * 1000.0), "y": summary(d[1][ok]),
                                  "sigma": summary(d[2][ok]), "n_masked": 0}},
            }

for path in sorted(made.glob("*.fits")):
    with fits.open(path) as hd:
        name = "made/" + path.name
        if path.name.startswith("sdss"):
            t = hd[1].data
            iv = t["ivar"].astype(np.float64)
            x_nm = 10.0 ** t["loglam"].astype(np.float64) / 10.0
            sig = np.where(iv > 0, 1.0 / np.sqrt(np.where(iv > 0, iv, 1.0)), 0.0)
            out["fits"][name] = {"medium": "vacuum", "spectra": {"0": {
                "x_nm": summary(x_nm), "y": summary(t["flux"]), "sigma": summary(sig),
                "n_masked": int((iv <= 0).sum())}}}
        elif path.name.startswith("hst"):
            t = hd[1].data
            out["fits"][name] = {"medium": "unknown", "spectra": {
                str(r): {"x_nm": summary(t["WAVELENGTH"][r] / 10.0), "y": summary(t["FLUX"][r]),
                         "sigma": summary(t["ERROR"][r]), "n_masked": 0} for r in range(2)}}
        else:
            hdr = hd[0].header
            pix = np.arange(hdr["NAXIS1"], dtype=np.float64)
            if "DC-FLAG" in hdr:
                x = 10.0 ** (hdr["CRVAL1"] + (pix + 1 - hdr["CRPIX1"]) * hdr["CDELT1"])
                x_nm = x / 10.0
            else:
                w = WCS(hdr)
                x_m = w.pixel_to_world_values(pix)  # SI: metres
                x_nm = np.asarray(x_m) * 1e9
            medium = {"linear_wcs_air.fits": "air", "log_wcs_vacuum.fits": "vacuum",
                      "iraf_dcflag_log10.fits": "air", "two_spectrum_hdus.fits": "vacuum"}[path.name]
            out["fits"][name] = {"medium": medium, "spectra": {"0": {
                "x_nm": summary(x_nm), "y": summary(hd[0].data), "n_masked": 0}}}

(root / "tests" / "reference" / "formats" / "formats_reference.json").write_text(
    json.dumps(out, indent=1, sort_keys=True) + "\n")
print("wrote", len(out["jcamp"]), "JCAMP and", len(out["fits"]), "FITS references")
