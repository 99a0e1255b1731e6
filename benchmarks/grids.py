"""Benchmark: building the authors' largest Clenshaw-Curtis sparse grids.

Builds each grid from scratch (disk cache disabled) in a fresh subprocess and
reports its wall time and peak resident memory against the project's limits
(60 s and 2 GB per grid), together with two in-run baselines:

* memory: the process's peak RSS after ``import dnngap.quadrature``, before
  building (interpreter + numpy + scipy), and the size of the returned arrays
  (points + weights), the least any construction must hold;
* time: filling an array of the output's size with uniform random numbers,
  a floor for producing that much data.

Usage::

    python benchmarks/grids.py            # d = 8 level 9 and d = 16 level 6
    python benchmarks/grids.py --quick    # d = 8 level 7 and d = 16 level 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

TIME_LIMIT_S = 60.0
MEMORY_LIMIT_BYTES = 2 * 10**9

FULL = [(8, 9), (16, 6)]
QUICK = [(8, 7), (16, 4)]

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from dnngap.quadrature import sparse_grid, sparse_grid_size

d, level = int(sys.argv[1]), int(sys.argv[2])
expected = sparse_grid_size(d, level)
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
points, weights = sparse_grid(d, level, cache=False)
build_s = time.perf_counter() - start
rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
assert points.shape == (expected, d) and weights.shape == (expected,)
output_bytes = points.nbytes + weights.nbytes
del points, weights
start = time.perf_counter()
floor = np.random.default_rng(0).random((expected, d + 1))
floor_s = time.perf_counter() - start
print(json.dumps(dict(d=d, level=level, points=expected, build_s=build_s,
                      floor_s=floor_s, rss_import=rss_import, rss_peak=rss_peak,
                      output_bytes=output_bytes)))
"""


def measure(d: int, level: int) -> dict:
    """Build one grid in a fresh interpreter and return its measurements."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(d), str(level)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller grids (seconds)")
    args = parser.parse_args(argv)

    grids = QUICK if args.quick else FULL
    print(f"limits per grid: {TIME_LIMIT_S:.0f} s, {MEMORY_LIMIT_BYTES / 1e9:.0f} GB peak RSS")
    header = (
        f"{'d':>3} {'L':>2} {'points':>10} | {'build s':>8} {'/limit':>7} {'/floor':>7} | "
        f"{'peak MB':>8} {'/limit':>7} {'import MB':>9} {'output MB':>9} {'(peak-import)/output':>20}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for d, level in grids:
        r = measure(d, level)
        mb = 1e6
        within = r["build_s"] <= TIME_LIMIT_S and r["rss_peak"] <= MEMORY_LIMIT_BYTES
        ok &= within
        print(
            f"{d:>3} {level:>2} {r['points']:>10,} | {r['build_s']:>8.2f} "
            f"{r['build_s'] / TIME_LIMIT_S:>7.3f} {r['build_s'] / r['floor_s']:>7.1f} | "
            f"{r['rss_peak'] / mb:>8.0f} {r['rss_peak'] / MEMORY_LIMIT_BYTES:>7.3f} "
            f"{r['rss_import'] / mb:>9.0f} {r['output_bytes'] / mb:>9.0f} "
            f"{(r['rss_peak'] - r['rss_import']) / r['output_bytes']:>20.2f}"
            + ("" if within else "   OVER LIMIT")
        )
    print("all grids within limits" if ok else "SOME GRIDS EXCEED THE LIMITS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
