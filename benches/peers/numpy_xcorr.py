#!/usr/bin/env python3
"""numpy's FFT cross-correlation of two f64 arrays, timed in-process (the peer of the
`analysis` benchmark). Reads a.f64 and b.f64 (raw little-endian float64) from the folder
given, correlates them as people do with numpy (zero-padded rfft, product with the
conjugate, irfft), and prints the median of RUNS runs in ms as JSON.

    python3 benches/peers/numpy_xcorr.py DIR RUNS
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

folder, runs = Path(sys.argv[1]), int(sys.argv[2])
a = np.fromfile(folder / "a.f64", dtype="<f8")
b = np.fromfile(folder / "b.f64", dtype="<f8")
n = 1 << int(np.ceil(np.log2(len(a) + len(b) - 1)))


def correlate():
    fa = np.fft.rfft(a, n)
    fb = np.fft.rfft(b, n)
    return np.fft.irfft(fa * np.conj(fb), n)


correlate()
times = []
for _ in range(runs):
    t = time.perf_counter()
    c = correlate()
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2], "n_fft": n, "numpy": np.__version__,
                  "checksum": float(c[:5].sum())}))
