"""Figures a reader can read: one style per network across the book, gaps
where results are missing, legible legends at the book's width, reference
lines told apart, short labels, stop reasons in words, one-line provenance.

The results are made up (records written here, nothing computed), so these
tests are fast."""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dnngap import experiments, plotting  # noqa: E402
from dnngap.experiments import (CSMethod, DNNMethod, ExistenceMethod, ExperimentSpec, Problem,  # noqa: E402
                                RecipeMethod, TestSpec, runner)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _spec(methods, problems=(Problem("exp_cos", 2, (10, 20, 30)),), trials=3) -> ExperimentSpec:
    return ExperimentSpec(name="t", title="t", scale="smoke", problems=tuple(problems), methods=tuple(methods),
                          trials=trials, test=TestSpec(estimator="monte_carlo", mc_points=100))


def _results(spec, points, stops=None) -> runner.Results:
    """Records for ``points``: {(label, function, d): {m: error}}, one per trial
    (errors spread by ±10 % over trials); ``stops``: {label: [reason per trial]}."""
    kinds = {m.label: m.kind for m in spec.methods}
    records = []
    for (label, fn, d), errors in points.items():
        for m, err in errors.items():
            for t in range(spec.trials):
                e = err * (1 + 0.1 * (t - 1))
                records.append({"function": fn, "d": d, "m": m, "trial": t, "method": label,
                                "method_kind": kinds[label], "rel_l2": e, "abs_l2_grid": 0.9 * e,
                                "estimator": "monte_carlo",
                                "stop_reason": (stops or {}).get(label, ["epochs"] * spec.trials)[t]})
    return runner.Results(spec, records)


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


# --- one style per network, whatever the chapter -------------------------------------------------


def test_an_architecture_has_the_same_colour_in_two_specs():
    a = _spec([CSMethod(n_max=60), DNNMethod(1, 10), DNNMethod(4, 40)])
    b = _spec([DNNMethod(4, 40, activation="tanh"), DNNMethod(4, 40), DNNMethod(2, 20), CSMethod(lam="cv")])
    fig_a = plotting.error_vs_m(_results(a, {(m.label, "exp_cos", 2): {10: 1e-2, 20: 1e-3, 30: 1e-4}
                                             for m in a.methods}))
    fig_b = plotting.error_vs_m(_results(b, {(m.label, "exp_cos", 2): {10: 1e-2, 20: 1e-3, 30: 1e-4}
                                             for m in b.methods}))
    relu_a, relu_b = _line(fig_a.axes[0], "ReLU 4×40"), _line(fig_b.axes[0], "ReLU 4×40")
    assert relu_a.get_color() == relu_b.get_color() == plotting.ARCHITECTURE_COLOURS[4, 40]
    assert relu_a.get_marker() == relu_b.get_marker()
    # the same architecture with another activation: same colour, another marker
    tanh = _line(fig_b.axes[0], "tanh 4×40")
    assert tanh.get_color() == relu_b.get_color() and tanh.get_marker() != relu_b.get_marker()
    # position in the list does not matter: 1×10 first in one spec, absent in the other
    assert _line(fig_a.axes[0], "ReLU 1×10").get_color() != relu_a.get_color()
    assert _line(fig_a.axes[0], "CS (HC, N ≤ 60)").get_color() == "black"
    assert _line(fig_b.axes[0], "CS (HC, N ≤ 2000, λ by CV)").get_color() == "black"


def test_every_network_of_the_book_has_one_style_in_every_chapter():
    styles: dict[str, dict] = {}
    for name, scale in itertools.product(experiments.available(), ("smoke", "ci", "paper")):
        spec = experiments.get(name, scale)
        for method in spec.methods:
            st = plotting.method_styles(spec)[method.label]
            if method.role == "network":
                assert styles.setdefault(method.label, st) == st, (name, scale, method.label)
            else:  # CS and existence networks: colour and marker fixed (two index-set sizes in one
                # chapter are told apart by their fill)
                key = {k: st[k] for k in ("color", "marker")}
                assert styles.setdefault(method.label, key) in (key, st), (name, scale, method.label)
        drawn = [plotting.method_styles(spec)[m.label] for m in spec.methods]
        keys = [(s["color"], s["marker"], str(s["linestyle"]), s.get("markerfacecolor")) for s in drawn]
        assert len(set(keys)) == len(keys), f"two methods of {name} at {scale} look the same"


def test_recipes_differ_from_each_other_and_the_paper_recipe_is_the_paper_network():
    methods = [RecipeMethod(r, 4, 40) for r in ("paper", "adam_double", "adam_lbfgs", "he_lbfgs")]
    colours = [plotting.method_style(m)["color"] for m in methods]
    assert len(set(colours)) == len(colours)
    assert plotting.method_style(methods[0])["color"] == plotting.method_style(DNNMethod(4, 40))["color"]
    ex = plotting.method_style(ExistenceMethod(n_max=300))
    assert ex["color"] not in colours + ["black"] and ex["markerfacecolor"] == "none"


# --- gaps ---------------------------------------------------------------------------------------


def test_a_missing_m_is_a_gap_not_a_line_across():
    spec = _spec([CSMethod(n_max=60), DNNMethod(1, 10)])
    res = _results(spec, {("CS (HC, N ≤ 60)", "exp_cos", 2): {10: 1e-2, 20: 1e-4, 30: 1e-6},
                          ("ReLU 1×10", "exp_cos", 2): {10: 1e-2, 30: 1e-3}})
    ax = plotting.error_vs_m(res).axes[0]
    dnn = _line(ax, "ReLU 1×10")
    assert list(dnn.get_xdata()) == [10, 20, 30]
    y = np.asarray(dnn.get_ydata(), float)
    assert math.isnan(y[1]) and np.isfinite(y[[0, 2]]).all()
    assert np.isfinite(np.asarray(_line(ax, "CS (HC, N ≤ 60)").get_ydata(), float)).all()
    # the ±1 standard deviation band breaks too: two pieces, not one
    bands = [c for c in ax.collections if len(c.get_paths()) and np.allclose(
        c.get_facecolor()[0][:3], matplotlib.colors.to_rgb(dnn.get_color()))]
    assert len(bands) == 1 and len(bands[0].get_paths()) == 2


def test_a_unit_missing_for_every_method_is_a_gap_too():
    spec = _spec([CSMethod(n_max=60)])
    res = _results(spec, {("CS (HC, N ≤ 60)", "exp_cos", 2): {10: 1e-2, 30: 1e-6}})
    y = np.asarray(_line(plotting.error_vs_m(res).axes[0], "CS (HC, N ≤ 60)").get_ydata(), float)
    assert math.isnan(y[1])


def test_no_empty_panels():
    spec = _spec([CSMethod(n_max=60)], problems=(Problem("exp_cos", 1, (10, 20)), Problem("exp_cos", 2, (10, 20)),
                                                Problem("exp_cos", 4, (10, 20))))
    res = _results(spec, {("CS (HC, N ≤ 60)", "exp_cos", 1): {10: 1e-2, 20: 1e-3},
                          ("CS (HC, N ≤ 60)", "exp_cos", 4): {10: 1e-2, 20: 1e-3}})
    fig = plotting.error_panels(res, ncols=2, views=("book", "authors"))
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 4 and not any("d = 2" in t for t in titles)
    assert all(any(ln.get_label() == "CS (HC, N ≤ 60)" for ln in ax.get_lines()) for ax in fig.axes)
    empty = plotting.error_panels(_results(spec, {}))
    assert "no results" in empty.axes[0].texts[0].get_text()


# --- legible legends ----------------------------------------------------------------------------


def _book_figure():
    methods = [CSMethod(n_max=60), CSMethod(n_max=60, lam="cv")] + [
        DNNMethod(L, 10 * L, activation=a) for L in (1, 2, 4) for a in ("relu", "tanh")]
    problems = [Problem("exp_cos", d, (10, 20, 30)) for d in (1, 2, 4)]
    spec = _spec(methods, problems=problems)
    res = _results(spec, {(m.label, "exp_cos", p.d): {10: 1e-2, 20: 1e-3, 30: 1e-4}
                          for m in methods for p in problems})
    return plotting.error_panels(res, ncols=2, views=("book", "authors"))


def test_legend_is_at_least_9_points_at_the_displayed_width():
    fig = _book_figure()
    assert plotting.legend_points(fig) >= plotting.MIN_LEGEND_POINTS == 9
    assert plotting.displayed_width(fig) <= plotting.CONTENT_WIDTH + 0.05
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(texts) == len(set(texts))  # each entry once over both views
    assert plotting.check_legible(fig) is fig


def test_a_wide_figure_shrinks_its_legend_below_what_a_reader_can_read():
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.plot([0, 1], [0, 1], label="ReLU 4×40")
    ax.legend(fontsize=9)
    assert plotting.legend_points(fig) < 7  # 9 pt shown at about 7/10 of its size
    with pytest.raises(ValueError, match="legend shown at"):
        plotting.check_legible(fig)


# --- reference lines ----------------------------------------------------------------------------


def test_reference_lines_have_distinct_styles():
    spec = _spec([CSMethod(n_max=60), DNNMethod(1, 10), DNNMethod(1, 10, precision="double")])
    res = _results(spec, {(m.label, "exp_cos", 2): {10: 1e-2, 20: 1e-3, 30: 1e-4} for m in spec.methods})
    for error in ("rel_l2", "abs_l2_grid"):
        ax = plotting.error_vs_m(res, error=error).axes[0]
        refs = [_line(ax, plotting.CONSTANT_LABEL), _line(ax, plotting.TOLERANCE_LABEL.format("single")),
                _line(ax, plotting.TOLERANCE_LABEL.format("double"))]
        styles = {(ln.get_linestyle(), ln.get_color()) for ln in refs}
        assert len(styles) == 3
        methods = {(ln.get_linestyle(), ln.get_color()) for ln in ax.get_lines() if ln not in refs}
        assert not styles & methods
    # single and double precision of one network: same colour, another line style
    single, double = _line(ax, "ReLU 1×10"), _line(ax, "ReLU 1×10, double")
    assert single.get_color() == double.get_color() and single.get_linestyle() != double.get_linestyle()


# --- labels -------------------------------------------------------------------------------------


def test_labels_are_short_and_name_another_convention():
    for name, scale in itertools.product(experiments.available(), ("smoke", "ci", "paper")):
        for label in (m.label for m in experiments.get(name, scale).methods):
            assert "(code" not in label and "hidden layers" not in label, label
    assert DNNMethod(4, 40).label == "ReLU 4×40"
    assert DNNMethod(2, 20, activation="elu", precision="double").label == "ELU 2×20, double"
    paper = DNNMethod(4, 40, convention="paper")
    assert paper.label == "ReLU 4×40 (paper: 4 hidden layers)"
    assert RecipeMethod("adam_lbfgs", 4, 40).label == "ReLU 4×40, Adam+L-BFGS (double)"
    # both conventions in one spec: distinct labels, so the spec is valid
    _spec([DNNMethod(4, 40), paper])


# --- stop reasons in words ----------------------------------------------------------------------


def test_stop_table_says_why_in_words():
    spec = _spec([CSMethod(n_max=60), DNNMethod(1, 10)], trials=3)
    res = _results(spec, {("CS (HC, N ≤ 60)", "exp_cos", 2): {10: 1e-2},
                          ("ReLU 1×10", "exp_cos", 2): {10: 1e-2}},
                   stops={"CS (HC, N ≤ 60)": ["converged"] * 3,
                          "ReLU 1×10": ["epochs", "tolerance", "tolerance"]})
    table = res.stop_table()
    assert table.loc[("exp_cos", 2, 10), "ReLU 1×10"] == "2 reached tolerance, 1 ran all epochs"
    assert table.loc[("exp_cos", 2, 10), "CS (HC, N ≤ 60)"] == "3 converged"
    assert runner.Results.stop_words({"max_iter": 1, "diverged": 2}) == "2 diverged, 1 hit the iteration cap"
    assert runner.Results.stop_words({}) == "–"


# --- provenance ---------------------------------------------------------------------------------


def test_provenance_is_one_plain_line():
    spec = _spec([CSMethod(n_max=60)], trials=1)
    res = runner.Results(spec, [], missing=spec.units()[:1])
    line = plotting.provenance(res)
    assert line.startswith("scale smoke (incomplete: 1 point of 3 missing) · 1 trial · dnngap ")
    assert "built from commit" in line and "numerics" not in line and "units" not in line
    assert "\n" not in line
    recipes = _spec([RecipeMethod("paper", 1, 10), RecipeMethod("adam_double", 1, 10)])
    assert "training recipes paper, adam_double" in plotting.provenance(runner.Results(recipes, []))


# --- publishing a figure --------------------------------------------------------------------------

@pytest.fixture
def glued(monkeypatch):
    """What :func:`plotting.publish` glues, in order: (name, value, display)."""
    calls = []
    monkeypatch.setattr(plotting, "_glue", lambda name, value, display=True: calls.append((name, value, display)))
    return calls


def _small_figure(width=plotting.FIGURE_WIDTH):
    fig, ax = plt.subplots(figsize=(width, 2))
    ax.plot([0, 1], [0, 1], label="ReLU 4×40")
    ax.legend(fontsize=plotting.LEGEND_FONTSIZE)
    return fig


def test_publish_glues_the_figure_then_its_provenance_and_writes_its_data(glued, tmp_path):
    spec = _spec([CSMethod(n_max=60)], trials=1)
    res = _results(spec, {(spec.methods[0].label, "exp_cos", 2): {10: 0.1, 20: 0.05}})
    fig = _small_figure()
    path = plotting.publish(fig, "fig-e9", results=res, csv="e9", folder=tmp_path)
    assert [(name, display) for name, _, display in glued] == [("fig-e9", True), ("prov-e9", False)]
    assert glued[0][1] is fig and glued[1][1] == plotting.provenance(res)
    assert not plt.fignum_exists(fig.number)  # closed: the page shows it only through its glue
    assert path == tmp_path / "e9.csv"
    assert path.read_text().splitlines()[0].startswith("function,d,m,trial,method")
    assert len(path.read_text().splitlines()) == 1 + len(res.records)


def test_publish_takes_a_line_and_a_caption_key_and_writes_nothing_unasked(glued, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plotting.publish(_small_figure(), "fig-e9-m", line="scale ci · 3 trials", caption_key="prov-e9")
    plotting.publish(_small_figure(), "fig-e9-arch")  # the figure alone
    assert glued[1:] == [("prov-e9", "scale ci · 3 trials", False), ("fig-e9-arch", glued[2][1], True)]
    assert list(tmp_path.iterdir()) == []  # no CSV without csv=


def test_publish_checks_legibility_before_gluing_anything(glued):
    with pytest.raises(ValueError, match="legend shown at"):
        plotting.publish(_small_figure(width=12), "fig-wide")
    with pytest.raises(ValueError, match="needs the results"):
        plotting.publish(_small_figure(), "fig-e9", csv="e9")
    assert glued == []
