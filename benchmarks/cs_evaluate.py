"""Benchmark: evaluating a CS approximation on many points, point-major vs index-major features.

:func:`dnngap.cs.evaluate` computes :math:`\\hat f = Z \\Psi^T` on blocks of
points. The baseline builds each block's feature matrix point-major,
``polynomials.features(block, Lambda)`` of shape ``(n, N)``; the library
builds it index-major, ``polynomials.features_by_index`` of shape ``(N, n)``,
gathering whole rows of the 1D Legendre tables. Both give identical numbers
(checked here). Case: ``exp_cos``'s setting in d = 8, hyperbolic cross with
N = 1843 (the paper scale's index set), 20 trials, uniform points.

Usage::

    python benchmarks/cs_evaluate.py            # 200,000 points, 3 repeats
    python benchmarks/cs_evaluate.py --quick    # 50,000 points, 3 repeats

The last line is ``cs-evaluate-speedup <median ratio> (min <min>, max <max>)``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from dnngap import cs, polynomials


def baseline(z: np.ndarray, points: np.ndarray, Lambda: np.ndarray, chunk: int = 2048) -> np.ndarray:
    out = np.empty((z.shape[0], len(points)))
    for lo in range(0, len(points), chunk):
        out[:, lo:lo + chunk] = z @ polynomials.features(points[lo:lo + chunk], Lambda).T
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = 50_000 if args.quick else 200_000
    Lambda = polynomials.largest_index_set("hyperbolic_cross", 8, 2000)
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, (n, 8))
    z = rng.normal(size=(20, len(Lambda)))
    ratios = []
    for r in range(args.repeats):
        t = time.perf_counter()
        slow = baseline(z, points, Lambda)
        t_base = time.perf_counter() - t
        t = time.perf_counter()
        fast = cs.evaluate(z, points, Lambda)
        t_lib = time.perf_counter() - t
        if not np.array_equal(slow, fast):
            raise SystemExit("cs.evaluate differs from the point-major baseline")
        ratios.append(t_base / t_lib)
        print(f"repeat {r}: N = {len(Lambda)}, n = {n:,}: baseline {t_base:.2f} s, cs.evaluate {t_lib:.2f} s, "
              f"ratio {ratios[-1]:.2f}", flush=True)
    print(f"cs-evaluate-speedup {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
