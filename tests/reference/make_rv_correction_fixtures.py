"""astropy radial_velocity_correction for the SpeX observations (site IRTF, Maunakea) and a
few more epochs and directions. Offline: IERS auto-download off (bundled IERS-B).

Recipe:  /tmp/venv/bin/pip install numpy astropy
         /tmp/venv/bin/python tests/reference/make_rv_correction_fixtures.py
"""
import json
from pathlib import Path

import astropy
import astropy.units as u
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = "warn"

IRTF = dict(lon_deg=-155.471999, lat_deg=19.826218, height_m=4168.0)

cases = [
    # SpeX headers: DATE_OBS + TIME_OBS, pointing RA/DEC (TCS_RA/TCS_DEC or RA/DEC).
    ("spex 11240 (1416+1348)", "2009-06-28T06:42:53.795336", "14:16:23.88", "+13:48:30.8"),
    ("spex 12021 (0804+6153)", "2016-02-19T08:18:07.33348", "08:04:06.14", "+61:53:42.0"),
    ("spex 12043 (0858+1945B)", "2016-02-20T09:52:10.233131", "08:58:14.99", "+19:45:54.1"),
    ("equator at J2000", "2000-01-01T12:00:00", "00:00:00", "+00:00:00"),
    ("galactic centre", "2012-06-21T10:30:00", "17:45:40.04", "-29:00:28.1"),
    ("Crab", "2019-11-05T13:00:00", "05:34:31.94", "+22:00:52.2"),
]
out = {"made_with": {"astropy": astropy.__version__}, "site": IRTF, "cases": []}
loc = EarthLocation.from_geodetic(IRTF["lon_deg"] * u.deg, IRTF["lat_deg"] * u.deg, IRTF["height_m"] * u.m)
for name, utc, ra, dec in cases:
    c = SkyCoord(ra, dec, unit=(u.hourangle, u.deg), frame="icrs")
    t = Time(utc, scale="utc")
    bary = c.radial_velocity_correction(kind="barycentric", obstime=t, location=loc).to_value(u.m / u.s)
    helio = c.radial_velocity_correction(kind="heliocentric", obstime=t, location=loc).to_value(u.m / u.s)
    out["cases"].append({
        "name": name,
        "utc": utc,
        "ra_deg": c.ra.deg,
        "dec_deg": c.dec.deg,
        "barycentric_ms": bary,
        "heliocentric_ms": helio,
    })
(Path(__file__).parent / "rv_correction_astropy.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps(out["cases"], indent=1))
