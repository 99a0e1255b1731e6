"""Measure which trained network the kept-iterate rule gives: best vs final vs the authors'.

This book keeps each trial's lowest-loss iterate; the authors' released code
keeps the final iterate unless a checkpoint (saved at each 16-fold drop of
the loss) is lower. The two agree for a trial stopped by the tolerance and
can differ for one that ran every epoch. This script retrains paper-protocol
units of E1 (``exp_cos``, d = 8, the authors' samples, 20 trials) with
``dnn.train(..., track_final=True)`` and writes, per unit and rule, both
measurements (this book's relative Monte Carlo error, geometric mean; the
authors' absolute sparse-grid error, arithmetic mean) to a JSON file with
its provenance. The E1 chapter reads it.

    OMP_NUM_THREADS=1 .venv/bin/python tools/measure_kept_iterate.py \
        --architectures 1x10 2x20 --m 300 1200 2250 --out results/measurements/kept_iterate.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np

import dnngap
from dnngap import dnn, experiments
from dnngap.experiments import runner, store

RULES = ("best", "final", "authors")


def measure(architecture: str, m: int) -> dict:
    """One unit of E1's paper scale (d = 8, ReLU), retrained with every rule's iterate kept."""
    spec = experiments.get("e1", "paper", dims=[8], activations=["relu"], architectures=[architecture],
                           m_values=[m])
    (unit,) = [u for u in spec.units() if u.method.kind == "dnn"]
    data = runner._ProblemData(unit.problem, spec)
    y = data.samples(m)
    fy = data.f(y.reshape(-1, 8)).reshape(y.shape[:2])
    tests = data.tests()
    start = time.perf_counter()
    res = dnn.train(unit.method.architecture(), unit.method.training(), y, fy, device="cpu", progress=False,
                    track_final=True)
    stored = runner.read_records(experiments.Store(), unit)
    out = {"architecture": architecture, "method": unit.method.label, "m": m, "key": unit.key,
           "stored_book": None if stored is None else float(np.exp(np.mean(np.log([r["rel_l2_mc"] for r in stored])))),
           "trials": int(y.shape[0]), "epoch_capped": int((res.stop_reason == "epochs").sum()),
           "seconds": round(time.perf_counter() - start, 1)}
    for rule in RULES:
        mc = tests["mc"].errors(tests["f_mc"], res.predict(tests["mc"].points, iterate=rule))
        grid = tests["grid"].errors(tests["f_grid"], res.predict(tests["grid"].points, iterate=rule))
        out[rule] = {"rel_l2_mc": mc.rel_l2.tolist(), "abs_l2_grid": grid.l2.tolist(),
                     "book": float(np.exp(np.mean(np.log(mc.rel_l2)))),
                     "authors": float(np.mean(grid.l2))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architectures", nargs="+", default=["1x10", "2x20"])
    parser.add_argument("--m", nargs="+", type=int, default=[300, 1200, 2250])
    parser.add_argument("--out", type=Path, default=Path("results/measurements/kept_iterate.json"))
    args = parser.parse_args()
    units = []
    for arch in args.architectures:
        for m in args.m:
            units.append(measure(arch, m))
            u = units[-1]
            print(f"{u['method']}, m = {m}: {u['epoch_capped']}/{u['trials']} epoch-capped; "
                  + ", ".join(f"{r} {u[r]['book']:.3e}/{u[r]['authors']:.3e}" for r in RULES), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "what": "E1 paper protocol (exp_cos, d = 8, ReLU, 20 trials), retrained with every kept-iterate rule",
        "rules": {"best": "lowest training loss (this book)", "final": "the last iterate",
                  "authors": "final unless the last 16-fold-drop checkpoint is lower (released code)"},
        "units": units, "dnngap": dnngap.__version__, "commit": store.git_commit(),
        "numerics": store.code_version("dnn"),
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
