"""Writes the FITS and JCAMP-DX cases of the bad-input corpus (tests/data/bad/).

Recipe: /tmp/venv/bin/python tests/data/make_bad_formats.py  (numpy + astropy)
Every file here must make `inspect` and `convert` exit 2 with one line naming it.
"""
import gzip
from pathlib import Path

import numpy as np
from astropy.io import fits

here = Path(__file__).resolve().parent / "bad"
good = (here.parent / "fits" / "made" / "linear_wcs_air.fits").read_bytes()


def header(cards):
    text = "".join(f"{c:<80}" for c in cards + ["END"])
    return (text + " " * (-len(text) % 2880)).encode("ascii")


(here / "fits_truncated_header.fits").write_bytes(good[:1000])
(here / "fits_truncated_data.fits").write_bytes(good[: 2880 + 1000])
(here / "fits_naxis_2gb.fits").write_bytes(header([
    "SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    1",
    "NAXIS1  =           2147483648"]))
(here / "fits_bad_bitpix.fits").write_bytes(header([
    "SIMPLE  =                    T", "BITPIX  =                   12", "NAXIS   =                    1",
    "NAXIS1  =                   10"]) + bytes(2880))
cols = fits.ColDefs([fits.Column(name="WAVELENGTH", format="D", unit="Angstrom", array=np.zeros(0)),
                     fits.Column(name="FLUX", format="E", array=np.zeros(0, dtype=np.float32))])
fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols)]).writeto(
    here / "fits_empty_table.fits", overwrite=True)
h = fits.PrimaryHDU(np.full(100, np.nan, dtype=np.float32))
h.header.update({"CTYPE1": "WAVE", "CUNIT1": "nm", "CRVAL1": 500.0, "CDELT1": 0.1, "CRPIX1": 1.0})
h.writeto(here / "fits_nan_flux.fits", overwrite=True)
rng = np.random.default_rng(7)
garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
(here / "garbage.fits").write_bytes(garbage)
(here / "garbage.jdx").write_bytes(garbage)
(here / "garbage.fits.gz").write_bytes(b"\x1f\x8b\x08\x00" + garbage)
(here / "gzip_of_garbage.fits.gz").write_bytes(gzip.compress(garbage, mtime=0))
(here / "empty.fits").write_bytes(b"")
(here / "empty.jdx").write_bytes(b"")

head = "##TITLE=bad\n##JCAMP-DX=4.24\n##DATA TYPE=INFRARED SPECTRUM\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n"
(here / "jcamp_broken_check.jdx").write_text(
    head + "##FIRSTX=1000\n##LASTX=1004\n##NPOINTS=5\n##XYDATA=(X++(Y..Y))\n1000A JT\n1002E J J\n##END=\n")
(here / "jcamp_missing_end.jdx").write_text(
    head + "##FIRSTX=1000\n##LASTX=1002\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1000 1 2 3\n")
(here / "jcamp_npoints_mismatch.jdx").write_text(
    head + "##FIRSTX=1000\n##LASTX=1003\n##NPOINTS=5\n##XYDATA=(X++(Y..Y))\n1000 1 2 3 4\n##END=\n")
print("ok")
