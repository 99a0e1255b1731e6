"""Benchmark: batched training of T trials against training them one at a time.

For ReLU networks 1×10, 4×40 and 10×100 (code convention) at d = 8, m = 500,
T = 20, in float32 and float64, all measured in this run:

- trial-epochs per second of :func:`dnngap.dnn.train` (all T trials as one
  batched model) and of the sequential reference ``train_sequential`` of
  ``tests/reference_training.py`` (one ``torch.nn.Sequential`` and
  ``torch.optim.Adam`` per trial, the plain way), their ratio, and for the smaller networks the ratio against the
  batched engine run with T = 1 per trial;
- achieved GFLOP/s of batched training, counting the matmul flops of forward
  and backward (forward 2 m sum n_in n_out per trial; backward twice that,
  less the input gradient of the first layer, which is not needed), as a
  fraction of this machine's matmul throughput: a bmm of the 10×100 hidden
  layer's size, and a large square matmul;
- the largest relative difference of the float64 loss histories of batched
  and sequential training (they must agree to rounding).

Usage: ``python benchmarks/dnn.py [--quick] [--threads N] [--device cuda]``.
The last line printed is ``dnn-speedup <1x10 float32 ratio> <4x40 float32
ratio> maxdiff <float64 difference>``. With ``--device cuda`` every method,
the matmul throughput included, runs on the GPU (CUDA kernels are
asynchronous: the timings synchronise). Timings on a shared machine are
noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dnngap import dnn, mlp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_training import train_sequential  # noqa: E402  (the tests' reference)

D, M, TRIALS = 8, 500, 20
SHAPES = [(1, 10), (4, 40), (10, 100)]
# (batched epochs, sequential trials, sequential epochs) per shape, full and quick
EPOCHS = {
    False: {(1, 10): (2000, 3, 1000), (4, 40): (400, 2, 300), (10, 100): (20, 2, 10)},
    True: {(1, 10): (300, 2, 150), (4, 40): (50, 2, 40), (10, 100): (3, 1, 2)},
}


def matmul_flops(architecture: dnn.Architecture, d: int, m: int) -> float:
    """Matmul flops of one epoch (forward + backward) of one trial."""
    sizes = architecture.layer_sizes(d)
    forward = 2.0 * m * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 3.0 * forward - 2.0 * m * sizes[0] * sizes[1]


def gflops(fn, flops: float, repeat: int, device: torch.device) -> float:
    """GFLOP/s of the fastest of ``repeat`` calls (after one warm-up call)."""

    def timed() -> float:
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    timed()
    return flops / min(timed() for _ in range(repeat)) / 1e9


def matmul_throughput(dtype: torch.dtype, quick: bool, device: torch.device) -> tuple[float, float]:
    """GFLOP/s of a (20, 500, 100) @ (20, 100, 100) bmm and of a square matmul."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(TRIALS, M, 100, generator=g, dtype=dtype).to(device)
    b = torch.randn(TRIALS, 100, 100, generator=g, dtype=dtype).to(device)
    bmm = gflops(lambda: torch.bmm(a, b), 2.0 * TRIALS * M * 100 * 100, 20 if quick else 100, device)
    n = 1024 if quick else 2048
    sq = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    square = gflops(lambda: sq @ sq, 2.0 * n**3, 5 if quick else 10, device)
    return bmm, square


def trial_epochs_per_second(results: list[dnn.TrainingResult]) -> float:
    return sum(float(r.epochs.sum()) for r in results) / sum(r.wall_time for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (under 5 minutes)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--repeat", type=int, default=None, help="timings per method, best kept (default 3, quick 2)")
    parser.add_argument("--device", default="cpu", help="torch device for every method (default cpu)")
    args = parser.parse_args()
    device = mlp.resolve_device(args.device)  # a clear error if CUDA is missing
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    repeat = args.repeat or (2 if args.quick else 3)
    print(
        f"torch {torch.__version__}, device {mlp.device_description(device)}, d={D}, m={M}, T={TRIALS}; "
        f"rates are the best of {repeat} alternating timings"
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    rng = np.random.default_rng(0)
    y = rng.uniform(-1.0, 1.0, (TRIALS, M, D))
    f = np.exp(-np.cos(y).sum(axis=-1) / (8 * D))

    ratios: dict[tuple, float] = {}
    maxdiff = 0.0
    print(
        f"{'network':<38}{'precision':<10}{'batched/s':>11}{'seq/s':>9}{'ratio':>7}"
        f"{'T=1 ratio':>10}{'GFLOP/s':>9}{'% bmm':>7}{'% square':>9}"
    )
    for precision in ("single", "double"):
        dtype = dnn.TrainingConfig(precision=precision).dtype
        bmm_rate = square_rate = 0.0
        rows = []
        for shape in SHAPES:
            arch = dnn.Architecture(*shape)
            epochs, seq_trials, seq_epochs = EPOCHS[args.quick][shape]
            cfg = dnn.TrainingConfig(precision=precision, epochs=epochs, history_stride=max(1, epochs // 20))
            seq_cfg = dnn.TrainingConfig(precision=precision, epochs=seq_epochs, history_stride=cfg.history_stride)
            warm_up = dnn.TrainingConfig(precision=precision, epochs=2)  # one-time costs, not timed
            dnn.train(arch, warm_up, y, f, device=device, progress=False)
            train_sequential(arch, warm_up, y[:1], f[:1], device=device)
            rate_b = rate_s = rate_1 = 0.0
            for _ in range(repeat):  # alternate the methods; keep each one's best
                bmm_now, square_now = matmul_throughput(dtype, args.quick, device)
                bmm_rate, square_rate = max(bmm_rate, bmm_now), max(square_rate, square_now)
                rate_b = max(rate_b, trial_epochs_per_second([dnn.train(arch, cfg, y, f, device=device, progress=False)]))
                sequential = train_sequential(arch, seq_cfg, y[:seq_trials], f[:seq_trials], device=device)
                rate_s = max(rate_s, trial_epochs_per_second([sequential]))
                if shape != (10, 100):  # the batched engine on one trial at a time
                    one = [
                        dnn.train(arch, seq_cfg, y[t : t + 1], f[t : t + 1], device=device, progress=False)
                        for t in range(seq_trials)
                    ]
                    rate_1 = max(rate_1, trial_epochs_per_second(one))
            ratio = rate_b / rate_s
            ratios[(shape, precision)] = ratio
            one_ratio = f"{rate_b / rate_1:.1f}" if rate_1 else ""
            if precision == "double":
                # same configuration on the same trials: compare loss histories
                check = dnn.train(arch, seq_cfg, y[:seq_trials], f[:seq_trials], device=device, progress=False)
                diff = np.abs(check.history - sequential.history) / np.abs(sequential.history)
                maxdiff = max(maxdiff, float(np.nanmax(diff)))
            rows.append((arch, rate_b, rate_s, ratio, one_ratio, rate_b * matmul_flops(arch, D, M) / 1e9))
        # matmul throughput: the best seen while timing this precision's networks
        print(f"matmul {precision}: bmm (20,500,100)x(20,100,100) {bmm_rate:.1f} GFLOP/s, square {square_rate:.1f} GFLOP/s")
        for arch, rate_b, rate_s, ratio, one_ratio, achieved in rows:
            print(
                f"{arch.label:<38}{precision:<10}{rate_b:>11.0f}{rate_s:>9.0f}{ratio:>7.1f}{one_ratio:>10}"
                f"{achieved:>9.1f}{100 * achieved / bmm_rate:>6.0f}%{100 * achieved / square_rate:>8.0f}%",
                flush=True,
            )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (timings are noisy on a shared machine)")
    print("ratio = batched vs torch.optim one trial at a time; T=1 ratio = batched vs this engine one trial at a time")
    print(f"maxdiff = largest relative float64 loss difference, batched vs sequential: {maxdiff:.2e}")
    print(f"dnn-speedup {ratios[((1, 10), 'single')]:.1f} {ratios[((4, 40), 'single')]:.1f} maxdiff {maxdiff:.1e}")


if __name__ == "__main__":
    main()
