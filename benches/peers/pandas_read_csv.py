#!/usr/bin/env python3
"""pandas' C-engine CSV parse of one file, timed in-process (the peer of the `csv`
benchmark). Prints the median of RUNS parses in ms, the rows read and pandas' version as
JSON. Only the parse is timed: not Python's start-up, not the import of pandas.

    python3 benches/peers/pandas_read_csv.py FILE RUNS
"""
import json
import sys
import time

import pandas as pd

path, runs = sys.argv[1], int(sys.argv[2])
frame = pd.read_csv(path, engine="c")
times = []
for _ in range(runs):
    t = time.perf_counter()
    frame = pd.read_csv(path, engine="c")
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2], "rows": len(frame),
                  "pandas": pd.__version__}))
