"""verify's comparison of a DNN unit's sparse-grid error where the grid is not
the unit's primary estimator."""

from __future__ import annotations

import importlib


from dnngap.experiments import DNNMethod, ExperimentSpec, Problem, TestSpec

verify_module = importlib.import_module("dnngap.experiments.verify")


def test_grid_error_of_a_unit_whose_grid_is_not_primary_is_not_compared_per_trial():
    """A ReLU network's sparse-grid error is unstable where the runner judged the
    grid unreliable (primary estimator Monte Carlo): compared through the geometric
    mean only. Where the grid is primary, a trial off by a factor 2.3 fails."""
    spec = ExperimentSpec(name="tiny", title="tiny", scale="smoke", problems=(Problem("exp_cos", 2, (20,)),),
                          methods=(DNNMethod(depth=1, width=5, epochs=150),), trials=20,
                          test=TestSpec(estimator="monte_carlo", mc_points=500))
    unit = spec.units()[0]

    def records(estimator, grid15):
        return [{"trial": t, "estimator": estimator, "rel_l2": 0.005, "rel_l2_mc": 0.005, "linf": 0.05,
                 "rel_l2_grid": grid15 if t == 15 else 0.01, "train_loss": 1e-5} for t in range(20)]

    for estimator, fails in (("monte_carlo", False), ("sparse_grid", True)):
        report = verify_module.VerifyReport("x", 1)
        verify_module._compare(unit, records(estimator, 0.0162), records(estimator, 0.0377), report)
        assert [m.field for m in report.mismatches] == (["rel_l2_grid"] if fails else []), estimator
        assert report.largest["rel_l2_grid"] > 0
    # the geometric mean still counts: every trial's grid error doubled fails
    report = verify_module.VerifyReport("x", 1)
    doubled = [dict(r, rel_l2_grid=0.02) for r in records("monte_carlo", 0.01)]
    verify_module._compare(unit, records("monte_carlo", 0.01), doubled, report)
    assert [m.field for m in report.mismatches] == ["rel_l2_grid"]
