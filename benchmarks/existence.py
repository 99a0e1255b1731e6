"""Benchmark: the practical existence theorem's network against compressed sensing.

Problem: ``exp_cos`` (exp(-(1/(8d)) sum_k cos y_k)) on [-1, 1]^d, uniform
samples, the hyperbolic cross with the largest order whose size is at most
``N_max``, the weighted square-root LASSO with ``lam = dnngap.cs.DEFAULT_LAMBDA``.
For each (d, m) and the same trials (same samples) it compares the mean, over
trials, of the relative L2_rho error on a Monte Carlo test set of

* ``cs``: compressed sensing on the exact Legendre features (:func:`dnngap.cs.fit`);
* ``net``: the existence network: hidden layers emulating the features to the
  a-priori accuracy ``--delta`` (``s = required_s(Lambda, delta)`` sawtooth
  levels), last layer trained on the same SR-LASSO loss by the CS solver
  (:func:`dnngap.existence.fit_existence_network`, ``training="cs"``);
* ``net-grad``: the same network, last layer trained by accelerated proximal
  gradient on the smoothed loss (``training="gradient"``).

The ratio columns are mean network error / mean CS error (the theorem says
the network does as well as CS, no better: ratios near 1). It also prints the
measured emulation errors against their bounds, and the network's size from
its matrices against the theorem's bounds as the book's page *The paper, and
what is known of its experiments* (book/paper.md) reconstructs them
(depth and width growing polynomially or logarithmically in m, d and 1/delta):
for this construction depth = (s + 2)(R1 + R2) (+ 0 or 1), with R1 =
ceil(log2 n) Chebyshev stages and R2 = ceil(log2 max|supp nu|) product-tree
levels, and s = O(log(1/delta) + log n); the width does not depend on delta.

Usage::

    python benchmarks/existence.py            # d = 2, 4, 8; 5 values of m; 10 trials; 1e5 points
    python benchmarks/existence.py --quick    # d = 2, m = 25..200, 3 trials, 1e4 points (< 5 min)

The last line is ``existence-ratio <max over (d, m) of mean net error / mean CS error>``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from tqdm import tqdm

from dnngap import cs, existence, functions, polynomials, quadrature, sampling

QUICK = dict(cases=[(2, 100, (25, 50, 100, 200))], trials=3, n_test=10_000)
FULL = dict(
    cases=[
        (2, 200, (25, 50, 100, 200, 400)),
        (4, 400, (50, 100, 200, 400, 800)),
        (8, 800, (75, 150, 300, 600, 1200)),
    ],
    trials=10,
    n_test=100_000,
)


def compare(d: int, N_max: int, ms, trials: int, n_test: int, delta: float, seed: int,
            progress: bool) -> list[dict]:
    """Errors of CS and of the existence network for each m (same samples, same test set)."""
    f = functions.get("exp_cos")
    order = polynomials.largest_order("hyperbolic_cross", d, N_max)
    Lambda = polynomials.hyperbolic_cross(d, order)
    s = existence.required_s(Lambda, delta)
    root = np.random.default_rng([seed, d])
    test = quadrature.monte_carlo_test_set(d, n_test, root.spawn(1)[0])
    exact = f(test.points)
    Psi = polynomials.features(test.points, Lambda)
    rows = []
    for m in tqdm(ms, desc=f"d={d}", disable=not progress):
        y = sampling.uniform(d, m, trials, np.random.default_rng([seed, d, m]))
        fy = f(y.reshape(-1, d)).reshape(trials, m)
        row = dict(d=d, order=order, N=len(Lambda), m=m, s=s)
        start = time.perf_counter()
        sol = cs.fit(y, fy, Lambda)
        row["cs_s"] = time.perf_counter() - start
        row["cs"] = test.errors(exact, sol.z @ Psi.T).rel_l2.mean()
        for training, key in (("cs", "net"), ("gradient", "net-grad")):
            start = time.perf_counter()
            fit = existence.fit_existence_network(y, fy, Lambda, s=s, training=training)
            row[f"{key}_s"] = time.perf_counter() - start
            row[key] = test.errors(exact, fit.predict(test.points)).rel_l2.mean()
        row["ratio"] = row["net"] / row["cs"]
        row["ratio_grad"] = row["net-grad"] / row["cs"]
        row["delta_bound"] = fit.features.delta_bound
        rows.append(row)
    return rows


def print_errors(rows: list[dict]) -> None:
    print(f"{'d':>2} {'N':>4} {'m':>5} {'s':>3} {'CS':>10} {'net':>10} {'ratio':>6} "
          f"{'net-grad':>10} {'ratio':>6} {'t_cs':>6} {'t_net':>6} {'t_grad':>6}")
    for r in rows:
        print(f"{r['d']:>2} {r['N']:>4} {r['m']:>5} {r['s']:>3} {r['cs']:>10.3e} "
              f"{r['net']:>10.3e} {r['ratio']:>6.3f} {r['net-grad']:>10.3e} "
              f"{r['ratio_grad']:>6.3f} {r['cs_s']:>6.1f} {r['net_s']:>6.1f} "
              f"{r['net-grad_s']:>6.1f}")


def print_emulation(d: int, order: int, s_values) -> None:
    Lambda = polynomials.hyperbolic_cross(d, order)
    t = existence.emulation_error_table(s_values, Lambda, n_points=2000)
    print(f"\nEmulation error vs s (sup over a grid / 2000 random points and the corners), "
          f"hyperbolic cross d={d}, order {order}, N={len(Lambda)}")
    print(f"{'s':>3} {'x^2 err':>10} {'bound':>10} {'xy err':>10} {'bound':>10} "
          f"{'Psi err':>10} {'bound':>10} {'depth':>5} {'width':>5} {'params':>8}")
    for i, s in enumerate(t.s):
        print(f"{s:>3} {t.square_error[i]:>10.3e} {t.square_bound[i]:>10.3e} "
              f"{t.product_error[i]:>10.3e} {t.product_bound[i]:>10.3e} "
              f"{t.feature_error[i]:>10.3e} {t.feature_bound[i]:>10.3e} "
              f"{t.depth[i]:>5} {t.width[i]:>5} {t.n_parameters[i]:>8}")


def print_sizes(cases, delta: float) -> None:
    print(f"\nNetwork size (read off the matrices) vs |Lambda| at delta = {delta:g}, "
          "and the construction's bounds")
    print(f"{'d':>2} {'n':>3} {'N':>5} {'s':>3} {'depth':>5} {'formula':>7} "
          f"{'depth/(log2(n) log4(1/delta))':>29} {'width':>6} {'width/N':>7} "
          f"{'params':>8} {'dense':>11} {'delta bound':>11}")
    for d, N_max in cases:
        for frac in (0.25, 0.5, 1.0):
            order = polynomials.largest_order("hyperbolic_cross", d, max(1, int(frac * N_max)))
            Lambda = polynomials.hyperbolic_cross(d, order)
            s = existence.required_s(Lambda, delta)
            net = existence.emulate_features(Lambda, s)
            scale = math.log2(max(order, 2)) * math.log(1 / delta, 4)
            print(f"{d:>2} {order:>3} {len(Lambda):>5} {s:>3} {net.depth:>5} "
                  f"{existence.depth_formula(Lambda, s):>7} {net.depth / scale:>29.2f} "
                  f"{net.width:>6} {net.width / len(Lambda):>7.2f} {net.n_parameters:>8} "
                  f"{net.network.n_parameters_dense:>11} {net.delta_bound:>11.2e}")
    print("theorem (book/paper.md, reconstructed): depth and width polynomial or logarithmic in "
          "m, d, 1/delta; here depth = O(log n * (log(1/delta) + log n)) and the width, "
          "O(N + sum_k n_k) products and carried values, does not grow with 1/delta")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="d = 2 only, 3 trials, 1e4 points")
    parser.add_argument("--delta", type=float, default=1e-8,
                        help="a-priori emulation accuracy; s = required_s(Lambda, delta)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = QUICK if args.quick else FULL
    start = time.perf_counter()
    print(f"existence benchmark: exp_cos, lam = {cs.DEFAULT_LAMBDA:g}, "
          f"{config['trials']} trials, Monte Carlo test set of {config['n_test']:,} points, "
          f"delta = {args.delta:g}, seed {args.seed}, torch threads {args.threads}")
    rows = []
    for d, N_max, ms in config["cases"]:
        rows += compare(d, N_max, ms, config["trials"], config["n_test"], args.delta,
                        args.seed, not args.no_progress)
    print_errors(rows)
    d0, N0, _ = config["cases"][0]
    print_emulation(d0, polynomials.largest_order("hyperbolic_cross", d0, N0 // 4),
                    range(0, 21, 2 if args.quick else 1))
    print_sizes([(d, N_max) for d, N_max, _ in config["cases"]], args.delta)
    print(f"\nwall time {time.perf_counter() - start:.0f} s")
    print(f"existence-ratio {max(r['ratio'] for r in rows):.3f}")


if __name__ == "__main__":
    main()
