"""Benchmark: evaluating the existence network's sparse layers, by points per pass.

The existence network (chapters E7, E8) is evaluated on the paper's test sets,
about 2·10⁶ points in d = 8 (a sparse grid of level 9 and 10⁵ Monte Carlo
points): once per unit for the constructed network (its hidden layers are
shared by the trials), once per trial for the fine-tuned one. Its layers hold
well under 1 % of a dense layer's entries, so on a CPU the time goes to moving
activations, not to arithmetic, and depends on how many points go through the
network at once: with a few hundred, a layer's input and output stay in cache.

This benchmark times, on one core and in the same run, for several numbers of
points per pass (each repeated):

* ``constructed``: the emulated Legendre features of the hyperbolic cross
  with N ≤ 300 and N ≤ 2000 in d = 8, δ = 1e-8
  (:class:`dnngap.existence.FeedForwardNetwork`, scipy; formerly 4096 points
  per pass);
* ``fine-tuned``: the N ≤ 300 network as :class:`SparseNetwork` (torch),
  through :meth:`FinetuneResult.predict` (formerly 8192);

the default for both is :func:`dnngap.existence.network.points_per_pass` of the
network's width (256 for N ≤ 300, 64 for N ≤ 2000);

and checks that every size gives the same values bit for bit.

Usage::

    python benchmarks/sparse_chunks.py            # 16,384 points, 5 repeats
    python benchmarks/sparse_chunks.py --quick    # 8,192 points, 3 repeats, N ≤ 300 only (< 2 min)

The last line is ``sparse-chunks-speedup <smallest speed-up of a default over its former size>``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from dnngap import existence
from dnngap.existence import finetune
from dnngap.existence import network as network_module
from dnngap.experiments import methods


def _constructed(n_max: int):
    """The emulated features as a function of the points and the chunk size."""
    Lambda = methods._index_set("hyperbolic_cross", 8, n_max)
    features = existence.emulate_features(Lambda, existence.required_s(Lambda, 1e-8))

    def evaluate(points, chunk):
        network_module._CHUNK = chunk
        return features(points)

    return evaluate, network_module.points_per_pass(features.network.width)


def _finetuned(n_max: int):
    """The constructed N ≤ n_max network on random samples as an untrained one-trial FinetuneResult."""
    y = np.random.default_rng(0).uniform(-1, 1, (1, 300, 8))
    fit = methods.FinetuneMethod(n_max=n_max).start().construct(y, np.exp(-y[..., 0]))
    layers = fit.features.network.layers
    net = finetune.SparseNetwork(layers[:-1], finetune._output_columns(fit.features.network), device="cpu")
    theta = net.parameters_of(fit.network(0).layers)[None]
    one = np.ones(1)
    res = finetune.FinetuneResult(fit, net, theta, one, one, one, one, one, np.array(["-"]), 0.0, "cpu")
    width = max(p.shape[0] for p in net.patterns)
    return (lambda points, chunk: res.predict(points, chunk_size=chunk)), network_module.points_per_pass(width)


def _time(name: str, evaluate, default: int, former: int, points: np.ndarray, repeats: int) -> float:
    sizes = sorted({64, default, 1024, former})
    reference = evaluate(points, former)
    times = {}
    for c in sizes:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            values = evaluate(points, c)
            runs.append(time.perf_counter() - start)
        if not np.array_equal(values, reference):
            raise AssertionError(f"{name}: {c} points per pass change the values")
        times[c] = runs
        mark = "  <- default" if c == default else "  (former)" if c == former else ""
        print(f"{name}: {c:5d} points per pass: median {statistics.median(runs):.2f} s "
              f"(min {min(runs):.2f}, max {max(runs):.2f}){mark}", flush=True)
    ratios = [a / b for a, b in zip(times[former], times[default])]
    print(f"{name}: default over former, run by run: {min(ratios):.2f}–{max(ratios):.2f}×", flush=True)
    return statistics.median(times[former]) / statistics.median(times[default])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n, repeats = (8192, 3) if args.quick else (16_384, 5)
    points = np.random.default_rng(1).uniform(-1, 1, (n, 8))
    print(f"{n:,} points in d = 8, one core")
    speedups = []
    for n_max in (300,) if args.quick else (300, 2000):
        evaluate, default = _constructed(n_max)
        speedups.append(_time(f"constructed, N ≤ {n_max}", evaluate, default, 4096, points, repeats))
    evaluate, default = _finetuned(300)
    speedups.append(_time("fine-tuned, N ≤ 300", evaluate, default, 8192, points, repeats))
    print(f"sparse-chunks-speedup {min(speedups):.2f}")


if __name__ == "__main__":
    main()
