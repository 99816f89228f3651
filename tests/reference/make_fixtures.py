"""Independent reference values for the Rust tests (run once; outputs committed).

Recipe:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy astropy
         /tmp/venv/bin/python tests/reference/make_fixtures.py
Writes tests/reference/*.json. Nothing here is imported by the Rust code: the tests read
the JSON and compare.
"""
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
from scipy.signal import savgol_filter

root = Path(__file__).resolve().parents[2]
ref = Path(__file__).parent


def read_csv(path):
    """Plain reader: comment lines '#', one header line, comma separated."""
    rows, header = [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        if header is None:
            header = line.strip().split(",")
            continue
        rows.append([float(v) for v in line.strip().split(",")])
    return header, np.array(rows)


def field(b):
    return struct.pack("<Q", len(b)) + b


def f64s(a):
    return field(b"".join(struct.pack("<d", 0.0 if v == 0.0 else float(v)) for v in a))


def dataset_id(x_nm, y, sigma, y_unit, instrument):
    """docs/specs/ids.md, written again from the spec, not from the Rust code."""
    data = field(b"spectra-workbench/dataset/v1") + f64s(x_nm) + f64s(y)
    data += f64s(sigma) if sigma is not None else field(b"")
    data += field(y_unit.encode()) + field(instrument.encode())
    return hashlib.sha256(data).hexdigest()


ids = {}
# Synthetic lamp: x already in nm, y unit "arbitrary".
_, d = read_csv(root / "assets/samples/synthetic_hydrogen_lamp.csv")
ids["synthetic_hydrogen_lamp.csv"] = dataset_id(d[:, 0], d[:, 1], d[:, 2], "arbitrary", "")
# SpeX: x in micrometres -> nm by multiplying by 1000 (exact scaling as in the Rust code).
_, d = read_csv(root / "assets/samples/spex_M6_dwarf_12043.csv")
ids["spex_M6_dwarf_12043.csv"] = dataset_id(d[:, 0] * 1000.0, d[:, 1], d[:, 2], "erg/s/cm2/A", "")
_, d = read_csv(root / "assets/samples/spex_T6_dwarf_11594.csv")
ids["spex_T6_dwarf_11594.csv"] = dataset_id(d[:, 0] * 1000.0, d[:, 1], d[:, 2], "", "")
(ref / "dataset_ids.json").write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n")

# Savitzky-Golay, scipy.signal.savgol_filter(mode='interp'), on real spectra.
sg = []
for name, window, poly in [
    ("spex_T6_dwarf_11594.csv", 11, 3),
    ("spex_M6_dwarf_12043.csv", 21, 3),
    ("spex_M6_dwarf_12043.csv", 7, 2),
    ("synthetic_hydrogen_lamp.csv", 31, 4),
]:
    _, d = read_csv(root / "assets/samples" / name)
    y = d[:, 1]
    sg.append({
        "sample": name,
        "window": window,
        "poly": poly,
        "y_smoothed": savgol_filter(y, window, poly, mode="interp").tolist(),
    })
(ref / "savgol_scipy.json").write_text(json.dumps(sg) + "\n")
print("ids:", ids)
