"""The chapters' claim checks fail on plausible wrong results.

A chapter ends with checks from :mod:`dnngap.experiments.checks`. Here the
methods are replaced by deliberately broken ones (a network that returns the
sample mean, a CS solve capped at a few iterations) and the checks must fail;
with a network that has learned ``f`` (``f`` plus a small perturbation) and
the real CS solver the same checks pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from dnngap import cs, experiments, functions, plotting
from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem, Store, TestSpec, checks


def _spec() -> ExperimentSpec:
    return ExperimentSpec(name="checks", title="checks", scale="smoke",
                          problems=(Problem("exp_cos", 2, (40, 80)),),
                          methods=(CSMethod(n_max=60), DNNMethod(depth=1, width=10)), trials=3,
                          test=TestSpec(estimator="monte_carlo", mc_points=2000))


def _fake_dnn(kind: str):
    """A stand-in for training: ``"learned"`` predicts f(1 + 1e-4 sin(7 y_1)),
    ``"mean"`` predicts each trial's sample mean (what an untrained network
    that only fitted its bias would do)."""
    f = functions.get("exp_cos")

    def fit(y, fy):
        T = y.shape[0]
        info = {"train_loss": [0.0] * T, "steps": [50_000] * T, "stop_reason": ["epochs"] * T,
                "device": "cpu"}
        if kind == "mean":
            mean = fy.mean(axis=1)
            return (lambda pts: np.repeat(mean[:, None], len(pts), axis=1)), info
        return (lambda pts: np.tile(f(pts) * (1 + 1e-4 * np.sin(7 * pts[:, 0])), (T, 1))), info

    return fit


@pytest.fixture
def compute(monkeypatch, tmp_path):
    """Compute ``_spec()`` with a fake network (and optionally a capped CS)."""
    def run(dnn: str, cs_max_iter: int | None = None):
        monkeypatch.setattr(DNNMethod, "fit", lambda self, y, fy, **kw: _fake_dnn(dnn)(y, fy))
        if cs_max_iter is not None:
            real_cs_fit = cs.fit
            monkeypatch.setattr(cs, "fit", lambda *a, **k: real_cs_fit(*a, **k, max_iter=cs_max_iter))
        store = Store(tmp_path / f"{dnn}-{cs_max_iter}")
        return experiments.run(_spec(), store, progress=False)

    return run


def test_checks_pass_on_a_network_that_learned_f(compute):
    lines = checks.e1(compute("learned"))
    assert len(lines) == 4 and all(isinstance(x, str) for x in lines)


def test_a_network_that_returns_the_sample_mean_fails(compute):
    results = compute("mean")
    with pytest.raises(checks.CheckFailed, match="constant predictor"):
        checks.e1(results)
    # and the prose helper names it
    assert all(probs == [("exp_cos", 2)] for probs in checks.below_constant(results).values())


def test_a_capped_cs_solve_fails(compute):
    results = compute("learned", cs_max_iter=3)
    assert results.unconverged(), "a solve capped at 3 iterations must not certify convergence"
    with pytest.raises(checks.CheckFailed, match="did not converge"):
        checks.e1(results)


def test_a_gap_that_is_not_there_fails(compute):
    results = compute("learned")
    with pytest.raises(checks.CheckFailed, match="gap below"):
        checks.gap_at_least(results, 1e12)


def test_incomplete_results_fail(compute, tmp_path):
    results = experiments.load(_spec(), Store(tmp_path / "empty"))
    with pytest.raises(checks.CheckFailed, match="missing"):
        checks.complete_and_finite(results)


def test_stored_checks_judge_the_largest_complete_m(compute, tmp_path):
    results = compute("learned")
    M, lines = checks.e1_stored(results)
    assert M == 80 and len(lines) == 4
    # a copy of the store without the network at m = 80: the comparison moves to m = 40
    spec, source, partial = _spec(), Store(tmp_path / "learned-None"), Store(tmp_path / "partial")
    for u in spec.units():
        if not (u.m == 80 and isinstance(u.method, DNNMethod)):
            payload = source.read(u.key)
            partial.write(u.key, payload["config"], payload["records"])
    got = experiments.load(spec, partial)
    assert checks.largest_complete_m(got) == 40
    assert checks.e1_stored(got)[0] == 40
    assert checks.largest_complete_m(experiments.load(spec, Store(tmp_path / "empty"))) is None


def test_stored_checks_fail_on_a_network_that_returns_the_mean(compute):
    with pytest.raises(checks.CheckFailed, match="constant predictor"):
        checks.e1_stored(compute("mean"))


def test_comparison_uses_the_exact_constant_predictor(compute):
    results = compute("learned")
    (c,) = results.compare()
    assert c.constant == functions.get("exp_cos").constant_error(2)
    assert c.m == 80 and c.cs.method.startswith("CS") and c.dnn.method.startswith("ReLU")
    assert c.dnn_vs_constant < 0.1 and c.gap == c.dnn.geomean / c.cs.geomean


def test_figure_draws_the_reference_lines(compute):
    results = compute("learned")
    fig = plotting.error_vs_m(results)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert plotting.CONSTANT_LABEL in labels
    assert plotting.TOLERANCE_LABEL.format("single") in labels
    const = [line for line in ax.get_lines() if line.get_label() == plotting.CONSTANT_LABEL][0]
    assert const.get_ydata()[0] == pytest.approx(functions.get("exp_cos").constant_error(2))
    tol = [line for line in ax.get_lines() if line.get_label() == plotting.TOLERANCE_LABEL.format("single")][0]
    assert tol.get_ydata()[0] == pytest.approx(np.sqrt(5e-7) / functions.get("exp_cos").norm(2))
    assert ax.get_yscale() == "log" and "samples" in ax.get_xlabel()


def test_frame_table_and_csv(compute, tmp_path):
    results = compute("learned")
    frame = results.frame()
    assert len(frame) == len(results.records) == 2 * 2 * 3  # m values x methods x trials
    assert {"function", "d", "m", "trial", "method", "rel_l2", "stop_reason"} <= set(frame.columns)
    table = results.table()
    assert list(table.index.names) == ["function", "d", "m"] and len(table) == 2
    assert set(table.columns) == set(results.methods())
    stops = results.stop_table()
    assert stops.loc[("exp_cos", 2, 80), "ReLU 1×10"] == "3 ran all epochs"
    path = results.to_csv("x", folder=tmp_path)
    import pandas as pd
    back = pd.read_csv(path)
    assert len(back) == len(frame) and back["rel_l2"].tolist() == pytest.approx(frame["rel_l2"].tolist())


def test_error_panels_share_one_legend_with_the_reference_lines(compute):
    results = compute("learned")
    fig = plotting.error_panels(results, ncols=2)
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == results.methods()  # methods first, in the spec's order
    assert plotting.CONSTANT_LABEL in texts and plotting.TOLERANCE_LABEL.format("single") in texts
    assert len(texts) == len(set(texts))  # each entry once, whatever the number of panels


def test_provenance_says_when_training_was_shortened(compute):
    results = compute("learned")
    assert "not the paper's protocol" not in plotting.provenance(results)
    import dataclasses
    short = dataclasses.replace(results, spec=experiments.apply_overrides(results.spec, epochs=300))
    assert "not the paper's protocol" in plotting.provenance(short)
    line = plotting.provenance(results)
    assert line.startswith("scale smoke · 3 trials · dnngap ") and "built from commit " in line
    assert "numerics" not in line and "units" not in line  # what computed each result: the provenance table


def test_curve_peak_finds_the_rise_after_the_minimum():
    """A curve that falls, rises to a peak next to N, and falls again."""
    errors = {75: 4e-5, 450: 2e-7, 825: 1.5e-7, 1800: 4.5e-7, 2250: 1.8e-7}
    shape = checks.curve_peak(errors, N=1843)
    assert (shape.m_low, shape.m_peak, shape.near_N) == (825, 1800, True)
    assert shape.rise == pytest.approx(3.0)
    assert checks.curve_peak(errors, N=800).near_N is False      # peak is not next to N
    errors[1875] = 3e-7  # the first m above N: the peak at 1800, the last below, is still next to N
    assert checks.curve_peak(errors, N=1843).near_N is True
    assert checks.curve_peak(errors, N=2000).near_N is False     # 1875 and 2250 are next to 2000
    assert checks.curve_peak({75: 4e-5, 450: 2e-7}, N=1843) is None  # nothing after the minimum
