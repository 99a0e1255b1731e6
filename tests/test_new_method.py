"""Adding a method kind is one class and one registry entry (dnngap.experiments.methods).

A newcomer's method -- least squares on a total-degree Legendre space -- is
written here exactly as the module's docstring says, registered, and run
through the whole pipeline (spec, store, runner, records, summary, plan)
without touching any other module. If some module branched on the known kinds,
this test would fail there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from dnngap import functions, polynomials, quadrature
from dnngap.experiments import ExperimentSpec, Problem, Store, TestSpec, methods, planning, run, runner
from dnngap.experiments.methods import _DATA, _Kind


@dataclass(frozen=True)
class LeastSquaresMethod(_Kind):
    """Least squares on the total-degree space of degree ``degree``."""

    kind: ClassVar[str] = "ls"
    role: ClassVar[str] = "cs"  # a polynomial method: compared as the CS baseline is
    deterministic: ClassVar[bool] = True
    on_gpu: ClassVar[bool] = False
    size_symbol: ClassVar[str] = "N"
    NUMERICS: ClassVar[dict[str, str]] = dict(_DATA)

    degree: int = 3

    @property
    def label(self) -> str:
        return f"LS (TD, degree {self.degree})"

    def _index_set(self, d: int) -> np.ndarray:
        return polynomials.total_degree(d, self.degree)

    def fit(self, y, fy, *, device="auto", progress=False):
        Lam = self._index_set(y.shape[2])
        coef = [np.linalg.lstsq(polynomials.features(yt, Lam), ft, rcond=None)[0] for yt, ft in zip(y, fy)]
        coef = np.array(coef)
        info = {"train_loss": [0.0] * len(y), "steps": [1] * len(y), "stop_reason": ["converged"] * len(y),
                "device": "cpu", "N": len(Lam)}
        return (lambda pts: coef @ polynomials.features(pts, Lam).T), info

    def size(self, d: int) -> int:
        return len(self._index_set(d))

    def cost_class(self) -> str:
        return "least squares"

    def work(self, d: int, m: int, trials: int) -> float:
        return float(trials * m * self.size(d) ** 2)


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(methods.METHODS, "ls", LeastSquaresMethod)


def test_a_new_method_runs_through_the_pipeline(registered, tmp_path):
    spec = ExperimentSpec("new_method", "a new method", "smoke", (Problem("exp_cos", 2, (40,)),),
                          (LeastSquaresMethod(degree=4),), trials=2,
                          test=TestSpec(estimator="monte_carlo", mc_points=2000))
    results = run(spec, Store(tmp_path), progress=False)
    assert results.complete and {r["method_kind"] for r in results.records} == {"ls"}
    # the stored error is the least-squares fit's error, measured as every unit's is
    rec = results.select(trial=0)[0]
    f = functions.get("exp_cos")
    y = runner._ProblemData(spec.problems[0], spec).samples(40)
    fy = f(y.reshape(-1, 2)).reshape(2, 40)
    predict, _ = LeastSquaresMethod(degree=4).fit(y, fy)
    mc = quadrature.monte_carlo_test_set(2, 2000, np.random.default_rng(spec.test.seed))
    expected = mc.errors(f(mc.points), predict(mc.points)[0]).rel_l2
    assert rec["rel_l2_mc"] == pytest.approx(float(expected), rel=1e-10)
    assert 1e-6 < rec["rel_l2"] < 1e-1  # a degree-4 fit of a smooth function: accurate, not exact
    # read back, summarised and planned like every other kind
    assert results.summary()[0].method == "LS (TD, degree 4)"
    assert run(spec, Store(tmp_path), progress=False).records == results.records  # stored, not recomputed
    bigger = ExperimentSpec("new_method", "a new method", "smoke", (Problem("exp_cos", 2, (40, 80)),),
                            spec.methods, trials=2, test=spec.test)
    todo = planning.plan(bigger, Store(tmp_path))
    assert [(e.unit.m, e.unit.method.kind) for e in todo.missing] == [(80, "ls")]
    assert ("least squares", planning.CPU) in todo.models  # its cost model, fitted to the unit stored
