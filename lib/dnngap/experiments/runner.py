"""Compute the units of an experiment spec: the records a run stores.

Data flows one way: spec → samples (:mod:`dnngap.sampling`) → method
(:mod:`dnngap.cs`, :mod:`dnngap.dnn`, :mod:`dnngap.existence`) → errors
(:mod:`dnngap.quadrature`) → store (:mod:`.store`) → figure
(:mod:`dnngap.plotting`).

Every record is one trial of one ``(problem, method, m)`` and holds:

``function, d, m, trial, method, method_kind, method_key``
    what was computed;
``rel_l2, estimator``
    the relative :math:`L^2_\\rho` error by the *primary* estimator:
    ``"sparse_grid"`` where the grid is reliable for this function *and*
    agrees with Monte Carlo on this unit's own error, else ``"monte_carlo"``
    (:func:`_primary_estimator`, :class:`dnngap.experiments.TestSpec`);
``rel_l2_grid, rel_l2_mc, rel_l2_mc_stderr, linf``
    both estimators side by side (``rel_l2_grid`` is ``None`` where the grid
    was not used), Monte Carlo's standard error, and the maximum error on the
    primary test points;
``abs_l2_grid``
    the authors' own measurement: the *absolute* :math:`L^2_\\rho` error on
    the unit's Clenshaw--Curtis sparse grid, :math:`(2^{-d}|\\sum_i w_i
    (f - \\hat f)(y_i)^2|)^{1/2}`, as the released ``DNN.py`` computes it
    (``None`` where no grid was used). At the paper scale the grid is the
    authors' final test grid for that :math:`d` (``PAPER_LEVELS``). Records
    stored before the field existed get it on reading, exactly, as
    ``rel_l2_grid`` times the same grid's quadrature of :math:`\\|f\\|`
    (:func:`.results.migrate`);
``train_loss, steps, stop_reason``
    training outcome. Networks: best training MSE, optimiser steps taken
    (epochs; for a training recipe, the steps of all its stages, with
    ``stages`` = ``{"adam": epochs, "lbfgs": iterations}``) and why training
    stopped, ``"tolerance"``, ``"epochs"`` or ``"diverged"``. CS and the
    existence network: the final objective, solver iterations, and
    ``"converged"`` (certified) or ``"max_iter"``. (Records stored before
    the names were settled say ``epochs`` and ``code``; :func:`.results.migrate`
    renames them on reading.)
``seed, wall_time, device, numerics, commit, timestamp, executor``
    provenance (``wall_time`` is the unit's time divided by its trials;
    ``numerics`` the numerics versions, e.g. ``"cs-v1+data-v1"``, see
    :mod:`.store`; ``executor`` ``"local"`` or the Dask worker's address, see
    :mod:`.execution`).
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import functions, quadrature, sampling
from .specs import ExperimentSpec, Problem, Unit, method_key
from .store import code_version, git_commit

# The read side lives in :mod:`.records`; its names stay importable from here.
from .records import (AUTHORS_VIEW, BOOK_VIEW, STATISTICS, VIEWS, Comparison, Results,  # noqa: F401
                      SummaryRow, View, estimator_notes, grid_norm, load, migrate, read_records)

_CHUNK = 50_000

#: Version of the numbers every method kind shares: samples, test sets and
#: error estimation (:mod:`dnngap.functions`, :mod:`dnngap.sampling`,
#: :mod:`dnngap.smolyak`, :mod:`dnngap.quadrature` and :func:`compute_unit`'s assembly of them). Bump
#: it by hand when a change alters those numbers; the results store's key
#: includes it (:mod:`.store`), so a bump recomputes every unit.
NUMERICS_VERSION: int = 2  # 2: primary estimator judged on each unit's own error


# ---------------------------------------------------------------------------
# inputs of a problem: samples and test sets (computed once per problem)
# ---------------------------------------------------------------------------
@dataclass
class _ProblemData:
    problem: Problem
    spec: ExperimentSpec
    _samples: np.ndarray | None = None
    _tests: dict[str, Any] | None = None

    @property
    def f(self):
        return functions.get(self.problem.function)

    def samples(self, m: int) -> np.ndarray:
        """``(trials, m, d)`` training points, nested in ``m``."""
        s, d, T = self.spec.sampler, self.problem.d, self.spec.trials
        if s.kind == "matlab":
            return sampling.matlab_samples(d, m, trials=T, seed="per_trial" if s.per_trial else None)
        if self._samples is None:
            rng = np.random.default_rng(s.seed)
            self._samples = sampling.uniform(d, max(self.problem.m_values), T, rng)
        return self._samples[:, :m, :]

    def tests(self) -> dict[str, Any]:
        """Test sets with the exact values of ``f`` on them.

        Keys: ``"grid"`` (``TestSet`` or ``None``), ``"mc"`` (``TestSet``),
        ``"primary"`` (``"sparse_grid"`` or ``"monte_carlo"``), ``"why"``,
        ``"f_grid"``, ``"f_mc"``, ``"plot_x"``.
        """
        if self._tests is not None:
            return self._tests
        t, d, f = self.spec.test, self.problem.d, self.f
        mc = quadrature.monte_carlo_test_set(d, t.mc_points, np.random.default_rng(t.seed))
        grid, primary, why = None, "monte_carlo", "estimator 'monte_carlo' requested"
        if t.estimator in ("auto", "sparse_grid"):
            level = t.grid_level(d)
            if t.estimator == "auto":
                check = quadrature.grid_reliability(f, d, level, rng=np.random.default_rng(t.seed + 1))
                if check.reliable:
                    primary, why = "sparse_grid", f"sparse grid reliable ({check.relative_discrepancy:.1e} discrepancy in ‖f‖)"
                else:
                    why = (f"sparse grid unreliable for {f.name} in d = {d}: ‖f‖ by quadrature "
                           f"{check.quadrature_norm:.4g} vs {check.reference_norm:.4g} ({check.reference_kind})")
            else:
                primary, why = "sparse_grid", "estimator 'sparse_grid' requested"
            grid = quadrature.sparse_grid_test_set(d, level)
        plot_x = (np.linspace(-1, 1, self.spec.plot_points)[:, None] if self.spec.plot_points else None)
        self._tests = {
            "grid": grid, "mc": mc, "primary": primary, "why": why,
            "f_grid": f(grid.points) if grid is not None else None,
            "f_mc": f(mc.points), "plot_x": plot_x,
        }
        return self._tests


# ---------------------------------------------------------------------------
# methods: fit on (trials, m, d) samples, predict on points
# ---------------------------------------------------------------------------
def _predict_chunked(predict, points: np.ndarray) -> np.ndarray:
    parts = [predict(points[i:i + _CHUNK]) for i in range(0, len(points), _CHUNK)]
    return np.concatenate(parts, axis=-1)


def _none_if_nan(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


#: The sparse grid stays the primary estimator of a unit only if, for every
#: trial, it agrees with Monte Carlo on that unit's own error within this
#: many Monte Carlo standard errors (4: a false alarm among 20 trials has
#: probability about 0.1%).
AGREEMENT_SIGMAS = 4.0


def _primary_estimator(requested: str, tests: dict[str, Any], grid_err, mc_err) -> tuple[str, str]:
    r"""The unit's primary estimator and why: judged on the error itself.

    With ``estimator="auto"`` the sparse grid must pass two tests: its
    quadrature of :math:`f^2` matches the exact norm (``tests["primary"]``),
    and on this unit's residual :math:`|f - \hat f|^2` -- which for a ReLU
    network has kinks the grid cannot integrate -- every trial's grid error
    lies within :data:`AGREEMENT_SIGMAS` Monte Carlo standard errors of the
    Monte Carlo error. Otherwise Monte Carlo is primary."""
    if tests["primary"] != "sparse_grid" or requested == "sparse_grid":
        return tests["primary"], tests["why"]
    z = np.abs(grid_err.rel_l2 - mc_err.rel_l2) / np.maximum(mc_err.rel_l2_stderr, 1e-300)
    if np.all(np.isfinite(z)) and z.max() <= AGREEMENT_SIGMAS:
        return "sparse_grid", (f"{tests['why']}; agrees with Monte Carlo on this unit's error "
                               f"(within {z.max():.1f} standard errors)")
    worst = int(np.nanargmax(np.where(np.isfinite(z), z, np.inf)))
    return "monte_carlo", (f"Monte Carlo: the sparse grid misjudges this unit's error (trial {worst}: "
                           f"grid {grid_err.rel_l2[worst]:.2e} vs Monte Carlo {mc_err.rel_l2[worst]:.2e} "
                           f"± {mc_err.rel_l2_stderr[worst]:.1e})")


def compute_unit(unit: Unit, data: _ProblemData, *, progress: bool = False) -> list[dict[str, Any]]:
    """Compute one unit; return its records (one per trial).

    >>> from dnngap import experiments
    >>> unit = experiments.get("cs_convergence", "smoke", dims=[1], m_values=[20]).units()[0]
    >>> records = compute_unit(unit, _ProblemData(unit.problem, unit.spec))
    >>> [(r["trial"], r["method"], r["estimator"]) for r in records]
    [(0, 'CS (HC, N ≤ 60)', 'sparse_grid'), (1, 'CS (HC, N ≤ 60)', 'sparse_grid')]
    >>> all(r["rel_l2"] < 1e-3 for r in records), "executor" in records[0]    # the executor stamps that
    (True, False)
    """
    start = time.perf_counter()
    f, m = data.f, unit.m
    y = data.samples(m)
    T, _, d = y.shape
    fy = f(y.reshape(-1, d)).reshape(T, m)
    tests = data.tests()
    predict, info = unit.method.fit(y, fy, device=unit.spec.device, progress=progress)

    blocks = [tests["mc"].points]
    if tests["grid"] is not None:
        blocks.append(tests["grid"].points)
    if tests["plot_x"] is not None:
        blocks.append(tests["plot_x"])
    pred = _predict_chunked(predict, np.concatenate(blocks, axis=0))
    n_mc = len(tests["mc"].points)
    mc_err = tests["mc"].errors(tests["f_mc"], pred[:, :n_mc])
    grid_err = None
    if tests["grid"] is not None:
        n_grid = len(tests["grid"].points)
        grid_err = tests["grid"].errors(tests["f_grid"], pred[:, n_mc:n_mc + n_grid])
    estimator, why = _primary_estimator(unit.spec.test.estimator, tests, grid_err, mc_err)
    primary = grid_err if estimator == "sparse_grid" else mc_err
    wall = time.perf_counter() - start

    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    records = []
    for t in range(T):
        rec = {
            "function": f.name, "d": d, "m": m, "trial": t,
            "method": unit.method.label, "method_kind": unit.method.kind,
            "method_key": method_key(unit.method),
            "rel_l2": _none_if_nan(primary.rel_l2[t]), "estimator": estimator,
            "estimator_reason": why,
            "rel_l2_grid": None if grid_err is None else _none_if_nan(grid_err.rel_l2[t]),
            "abs_l2_grid": None if grid_err is None else _none_if_nan(grid_err.l2[t]),
            "rel_l2_mc": _none_if_nan(mc_err.rel_l2[t]),
            "rel_l2_mc_stderr": _none_if_nan(mc_err.rel_l2_stderr[t]),
            "linf": _none_if_nan(primary.linf[t]),
            "train_loss": _none_if_nan(info["train_loss"][t]),
            "steps": int(info["steps"][t]), "stop_reason": info["stop_reason"][t],
            "seed": unit.spec.sampler.seed, "sampler": unit.spec.sampler.kind,
            "wall_time": wall / T, "device": info["device"],
            "numerics": code_version(unit.method), "commit": git_commit(), "timestamp": now,
        }
        if "N" in info:
            rec["N"] = info["N"]
        if "lam" in info:  # CS: the λ of this trial (fixed, or chosen by cross-validation)
            rec["lam"] = info["lam"][t]
        if "stages" in info:  # recipes: Adam epochs and L-BFGS iterations of this trial
            rec["stages"] = info["stages"][t]
        if "start_train_loss" in info:  # the fine-tuned existence network: the training MSE it started from
            rec["start_train_loss"] = _none_if_nan(info["start_train_loss"][t])
        if tests["plot_x"] is not None:
            rec["prediction"] = pred[t, -len(tests["plot_x"]):].tolist()
        records.append(rec)
    if "release" in info:  # e.g. the fine-tuned network's checkpoints, kept until now
        info["release"]()
    return records
