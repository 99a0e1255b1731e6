"""Benchmark: evaluating the fine-tuned existence network, by chunk size.

The fine-tuned network (:mod:`dnngap.existence.finetune`) is evaluated on the
paper's test sets, about 2·10⁶ points per trial in d = 8 (sparse grid of
level 9 and 10⁵ Monte Carlo points), one trial at a time. Its layers are very
sparse (about 0.2 % of a dense layer's entries), so on a CPU the time goes to
moving activations, not to arithmetic: a chunk of a few hundred points keeps a
layer's activations in cache. This benchmark times
:meth:`FinetuneResult.predict` on the existence network with N ≤ 300 in d = 8
(197,329 trainable parameters, 90 layers) for several chunk sizes against 8192
(the size used before ``PREDICT_CHUNK``), each repeated, in the same run, and
checks that every chunk size gives the same values bit for bit.

Usage::

    python benchmarks/finetune_predict.py            # 32,768 points, 5 repeats
    python benchmarks/finetune_predict.py --quick    # 8,192 points, 3 repeats (< 2 min)

The last line is ``finetune-predict-speedup <median time at 8192 / median time at the default>``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from dnngap.existence import finetune
from dnngap.experiments import methods


def network(n_max: int = 300, d: int = 8) -> finetune.FinetuneResult:
    """The constructed network on random samples, as a one-trial :class:`FinetuneResult` (untrained)."""
    rng = np.random.default_rng(0)
    y = rng.uniform(-1, 1, (1, 300, d))
    fit = methods.FinetuneMethod(n_max=n_max).start().construct(y, np.exp(-y[..., 0]))
    layers = fit.features.network.layers
    net = finetune.SparseNetwork(layers[:-1], finetune._output_columns(fit.features.network), device="cpu")
    theta = net.parameters_of(fit.network(0).layers)[None]
    one = np.ones(1)
    return finetune.FinetuneResult(fit, net, theta, one, one, one, one, one, np.array(["-"]), 0.0, "cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n, repeats = (8192, 3) if args.quick else (32_768, 5)
    res = network()
    points = np.random.default_rng(1).uniform(-1, 1, (n, 8))
    default = finetune.PREDICT_CHUNK["cpu"]
    sizes = sorted({8192, default, 64, 1024})
    reference = res.predict(points, chunk_size=8192)
    times = {}
    for c in sizes:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            values = res.predict(points, chunk_size=c)
            runs.append(time.perf_counter() - start)
        if not np.array_equal(values, reference):
            raise AssertionError(f"chunk_size={c} changes the values")
        times[c] = runs
        print(f"chunk {c:5d}: median {statistics.median(runs):.2f} s (min {min(runs):.2f}, max {max(runs):.2f}) "
              f"for {n:,} points, one core{'  <- default' if c == default else ''}", flush=True)
    speedup = [t8 / td for t8, td in zip(times[8192], times[default])]
    print(f"speed-up of the default over 8192, run by run: {min(speedup):.2f}–{max(speedup):.2f}")
    print(f"finetune-predict-speedup {statistics.median(times[8192]) / statistics.median(times[default]):.2f}")


if __name__ == "__main__":
    main()
