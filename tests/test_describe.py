"""dnngap.experiments.describe: sentences that change when the data change."""

from dnngap.experiments import CSMethod, ExperimentSpec, Problem, describe
from dnngap.experiments.records import Results


def _cs(errors: dict[int, float], N: int = 950) -> Results:
    spec = ExperimentSpec("demo", "demo", "paper", (Problem("exp_cos", 8, tuple(errors)),), (CSMethod(),), trials=1)
    return Results(spec, [dict(function="exp_cos", d=8, m=m, trial=0, method=CSMethod().label, method_kind="cs", N=N,
                               rel_l2=e, estimator="sparse_grid", stop_reason="converged") for m, e in errors.items()])


def test_cs_curve_says_where_it_peaks():
    near = describe.cs_curve(_cs({500: 1e-7, 900: 3e-7, 1000: 2e-7}))
    assert "rises by a factor 3.0 to 3.0e-07 at $m$ = 900, the stored $m$ just below" in near
    far = describe.cs_curve(_cs({500: 1e-7, 900: 3e-7, 1000: 2e-7, 2000: 1e-7}, N=1900))
    assert "with $N = |\\Lambda|$ = 1,900" in far and "book's reading" not in far
    flat = describe.cs_curve(_cs({500: 1e-7, 900: 1.2e-7}))
    assert flat.startswith("Past its fast decline CS's error stays within a factor 1.5")
    assert describe.cs_curve(_cs({500: 1e-7})) == "Too few CS points are stored to describe the shape of its curve."
