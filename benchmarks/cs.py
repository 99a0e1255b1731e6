"""Benchmark: the batched primal-dual CS solver against cvxpy + Clarabel.

Problem: ``exp_cos`` in d = 8, hyperbolic-cross index sets, uniform samples,
the weighted square-root LASSO with ``lam = dnngap.cs.DEFAULT_LAMBDA``. For
each (N, m) both solvers run on the same trials in the same process:

* ``cvxpy``: :func:`dnngap.cs.solve` with ``method="cvxpy"`` (Clarabel, tight
  tolerances), one problem per trial;
* ``primal_dual``: :func:`dnngap.cs.solve` with the default method, all
  trials in one call.

Reported: assembly time of the measurement matrices (shared by both, not
included in the solver times), total wall time of each solver, their ratio,
and the relative objective gap (P_fast - P_clarabel) / P_clarabel per trial
(negative: the fast solver found the lower objective). Both solvers use the
same number of threads (``--threads``, default 1: torch's intra-op threads
and Clarabel's ``max_threads``).

Usage::

    python benchmarks/cs.py            # N = 1843 (the book's) and 2903, m = 150, 750, 2250, 20 trials
    python benchmarks/cs.py --quick    # N = 1419, m = 750, 3 trials (about a minute)
    python benchmarks/cs.py --trials 2 # the full grid with fewer trials
    python benchmarks/cs.py --low-dim  # d = 1, 2: the interpolation regime, 3 trials

The last line of ``--quick`` is ``cs-speedup <ratio> gap <max relative gap>``.

``--low-dim`` runs the cases where the minimiser interpolates the samples to
rounding level with few nonzeros (``exp_cos`` in d = 1 with m = 200 and
N = 400 or 2000; d = 2 with m = 600, N = 1996): there the homotopy stage of
the fast solver does the work (``path`` in the report), where the PDHG stage
alone used to stall at its iteration cap with gaps of order 1.

``--lambda-sweep`` instead prints the evidence behind ``DEFAULT_LAMBDA``: the
relative L2_rho error (Monte Carlo, 20,000 uniform points) of the CS
approximation of ``exp_cos`` and ``slower_decay_rational`` in d = 8
(the book's index set, N = 1843; m = 150, 750, 2250 for ``exp_cos``, 750 for
``slower_decay_rational``; 3 trials) for lam = 1e-6 ... 1e-1.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from dnngap import cs, functions, polynomials, sampling, tuning


def run_case(d: int, order: int, m: int, trials: int, seed: int, threads: int) -> dict:
    """Time both solvers on one (index set, m) case; return the measurements."""
    f = functions.get("exp_cos")
    Lambda = polynomials.hyperbolic_cross(d, order)
    u = polynomials.weights(Lambda)
    y = sampling.uniform(d, m, trials, np.random.default_rng(seed))
    start = time.perf_counter()
    A = cs.measurement_matrix(y, Lambda)
    b = f(y.reshape(-1, d)).reshape(trials, m) / math.sqrt(m)
    assembly_s = time.perf_counter() - start

    start = time.perf_counter()
    ref = cs.solve(A, b, u, cs.DEFAULT_LAMBDA, method="cvxpy", threads=threads)
    clarabel_s = time.perf_counter() - start
    start = time.perf_counter()
    fast = cs.solve(A, b, u, cs.DEFAULT_LAMBDA)
    fast_s = time.perf_counter() - start

    gap = (fast.objective - ref.objective) / ref.objective
    return dict(
        N=len(Lambda), order=order, m=m, trials=trials, assembly_s=assembly_s,
        clarabel_s=clarabel_s, fast_s=fast_s, speedup=clarabel_s / fast_s,
        gap=gap, fast_iters=fast.iterations, fast_converged=fast.converged,
        fast_cert=fast.gap, fast_path=fast.path, clarabel_iters=ref.iterations, clarabel_converged=ref.converged,
        clarabel_cert=ref.gap,
    )  # fmt: skip


def report(r: dict) -> None:
    print(
        f"N={r['N']:5d} (HC order {r['order']:2d}) m={r['m']:5d} trials={r['trials']:3d} | "
        f"assembly {r['assembly_s']:7.2f} s | Clarabel {r['clarabel_s']:8.2f} s "
        f"({np.median(r['clarabel_iters']):.0f} IPM it) | primal-dual {r['fast_s']:7.2f} s "
        f"(median {np.median(r['fast_iters']):.0f} it, converged {int(r['fast_converged'].sum())}"
        f"/{r['trials']}) | speedup {r['speedup']:6.1f} | rel. objective gap max "
        f"{r['gap'].max():+.1e} min {r['gap'].min():+.1e} | certified gaps: fast max "
        f"{r['fast_cert'].max():.1e}, Clarabel max {np.nanmax(r['clarabel_cert']):.1e} | "
        f"fast stages {', '.join(sorted(set(r['fast_path'])))}",
        flush=True,
    )


def summarise(label: str, results: list[dict]) -> None:
    """The last line: ``<label> <ratio of total wall times> gap <max relative gap>``."""
    total_clarabel = sum(r["clarabel_s"] for r in results)
    total_fast = sum(r["fast_s"] for r in results)
    max_gap = max(float(r["gap"].max()) for r in results)
    print(f"{label} {total_clarabel / total_fast:.1f} gap {max_gap:.1e}")


def lambda_sweep(seed: int) -> None:
    """Relative errors over a grid of lam, and the cross-validated choice.

    :func:`dnngap.tuning.lambda_sweep`: fresh uniform samples per function,
    relative L2 error by Monte Carlo on 20,000 uniform test points.
    """
    d, trials = 8, 3
    Lambda = polynomials.largest_index_set("hyperbolic_cross", d, 2000)
    lams = np.array([1e-6, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1])
    print(f"d = {d}, N = {len(Lambda)}, {trials} trials; relative L2 error "
          "(Monte Carlo, 20,000 points): geometric mean [min, max] over trials")
    for name, m in (("exp_cos", 150), ("exp_cos", 750), ("exp_cos", 2250), ("slower_decay_rational", 750)):
        print(f"{name}, m = {m}")
        sweep = tuning.lambda_sweep(name, d, m, Lambda, lams, trials,
                                    np.random.default_rng(seed), n_test=20_000)
        geo = np.exp(np.mean(np.log(sweep.rel_errors), axis=0))
        for lam, g, errors in zip(lams, geo, sweep.rel_errors.T):
            print(f"{name:>22} lam = {lam:7.0e}: {g:.2e} [{errors.min():.2e}, {errors.max():.2e}]")
        print(f"{name:>22} best lam {lams[int(np.argmin(geo))]:g}; cross-validated lam per "
              f"trial {sweep.cv.lam.tolist()} ({sweep.wall_time:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 1419, m = 750, 3 trials")
    parser.add_argument("--threads", type=int, default=1, help="threads for both solvers")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample points")
    parser.add_argument("--trials", type=int, default=None,
                        help="trials per case (default: 3 with --quick, else 20)")
    parser.add_argument("--lambda-sweep", action="store_true",
                        help="print validation errors over a grid of lam instead")
    parser.add_argument("--low-dim", action="store_true",
                        help="d = 1, 2 interpolation-regime cases instead (3 trials)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.lambda_sweep:
        lambda_sweep(args.seed)
        return 0

    if args.low_dim:
        trials = 3 if args.trials is None else args.trials
        results = []
        for d, n_max, m in ((1, 400, 200), (1, 2000, 200), (2, 2000, 600)):
            order = polynomials.largest_order("hyperbolic_cross", d, n_max)
            print(f"exp_cos, d = {d}, lam = {cs.DEFAULT_LAMBDA:g}, threads = {args.threads}")
            result = run_case(d, order, m, trials, args.seed, args.threads)
            report(result)
            results.append(result)
        summarise("cs-low-dim-speedup", results)
        return 0

    d = 8
    if args.quick:
        trials = 3 if args.trials is None else args.trials
        cases = [(18, 750, trials)]  # N = 1419
    else:
        trials = 20 if args.trials is None else args.trials
        orders = [polynomials.largest_order("hyperbolic_cross", d, n) for n in (2000, 2903)]  # N = 1843, 2903
        cases = [(order, m, trials) for order in orders for m in (150, 750, 2250)]
    print(f"exp_cos, d = {d}, lam = {cs.DEFAULT_LAMBDA:g}, threads = {args.threads}, "
          f"torch {torch.__version__}")
    results = []
    for order, m, trials in cases:
        result = run_case(d, order, m, trials, args.seed, args.threads)
        report(result)
        results.append(result)
    summarise("cs-speedup", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
