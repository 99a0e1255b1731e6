"""Paper-style figures drawn from stored results, and provenance captions.

Figures never compute: they take :class:`dnngap.experiments.Results`.
This book's statistic (:data:`dnngap.experiments.runner.BOOK_VIEW`): for
each method and sample size ``m``, the geometric mean of the relative error
over the trials (a line with filled markers) and a shaded band of ±1 standard
deviation of :math:`\\log_{10}` of the error. The authors' measurement
(:data:`~dnngap.experiments.runner.AUTHORS_VIEW`: absolute error on their
sparse grid, arithmetic mean over trials) is drawn with hollow markers and
no band, in panels of its own.
Compressed sensing is drawn in black, every other method in its own colour,
the same in every panel of a chapter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import functions
from .experiments import Results, git_commit
from .experiments.runner import STATISTICS, VIEWS

_PALETTE = plt.get_cmap("tab10").colors
_MARKERS = "osD^v<>ph*"


def method_styles(labels: Sequence[str]) -> dict[str, dict]:
    """Colour and marker per method label; CS (labels starting ``"CS"``) in black.

    >>> method_styles(["CS (HC)", "CS (HC, λ by CV)", "ReLU 4×40"])["CS (HC, λ by CV)"]["linestyle"]
    '--'
    """
    styles, k, n_cs = {}, 0, 0
    for label in labels:
        if label.startswith("CS"):  # the first solid, further CS variants dashed with open markers
            styles[label] = ({"color": "black", "marker": "s", "linestyle": "-"} if n_cs == 0 else
                             {"color": "black", "marker": "s", "linestyle": "--", "markerfacecolor": "none"})
            n_cs += 1
        else:
            styles[label] = {"color": _PALETTE[k % len(_PALETTE)], "marker": _MARKERS[k % len(_MARKERS)],
                             "linestyle": "-"}
            k += 1
    return styles


def error_vs_m(results: Results, *, function: str | None = None, d: int | None = None,
               methods: Sequence[str] | None = None, error: str = "rel_l2", statistic: str = "geomean",
               ax: Axes | None = None, legend: bool = True, title: str | None = None,
               references: bool = True) -> Figure:
    """Error versus ``m`` on a log scale, one line per method.

    Parameters
    ----------
    results
        Stored results of one experiment.
    function, d
        Which problem to draw (default: the only one, or the first).
    methods
        Labels to draw, in order (default: all of the spec's).
    error
        Record field: ``"rel_l2"`` (primary estimator), ``"rel_l2_grid"``,
        ``"rel_l2_mc"``, ``"abs_l2_grid"`` (the authors' measurement) or
        ``"linf"``.
    statistic
        ``"geomean"``: geometric mean over trials with a band of ±1 standard
        deviation of :math:`\\log_{10}` (filled markers); ``"mean"``: the
        arithmetic mean (hollow markers, no band).
    references
        Draw the reference lines of :func:`draw_references` (:math:`L^2`
        errors only; absolute ones for ``"abs_l2_grid"``).
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(map(repr, STATISTICS))}; got {statistic!r}")
    if function is None or d is None:
        first = results.spec.problems[0]
        function = function or first.function
        d = d if d is not None else first.d
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4))
    fig = ax.figure
    labels = list(methods) if methods is not None else results.methods()
    stops = {m.label: m.stopping_tolerance() for m in results.spec.methods}
    styles = method_styles(results.methods())
    rows = results.summary(error, function=function, d=d)
    for label in labels:
        mine = [r for r in rows if r.method == label and r.trials > 0]
        if not mine:
            continue
        m = np.array([r.m for r in mine])
        st = dict(styles.get(label, {}))
        if statistic == "mean":
            st["markerfacecolor"] = "none"
        ax.semilogy(m, [r.value(statistic) for r in mine], label=label, markersize=4, linewidth=1.3, **st)
        if statistic == "geomean":
            mu = np.log10([r.geomean for r in mine])
            sd = np.array([r.log10_std for r in mine])
            ax.fill_between(m, 10 ** (mu - sd), 10 ** (mu + sd), color=st.get("color"), alpha=0.15, linewidth=0)
    if references and error in ("rel_l2", "rel_l2_grid", "rel_l2_mc", "abs_l2_grid"):
        draw_references(ax, results, function, d, absolute=error == "abs_l2_grid",
                        dnn=any(stops.get(lab) is not None for lab in labels))
    ax.set_xlabel("number of samples $m$")
    ylabel = {"rel_l2": "relative $L^2_\\varrho$ error", "rel_l2_grid": "relative $L^2_\\varrho$ error (sparse grid)",
              "rel_l2_mc": "relative $L^2_\\varrho$ error (Monte Carlo)",
              "abs_l2_grid": "absolute $L^2_\\varrho$ error (sparse grid)", "linf": "$L^\\infty$ error"}.get(error, error)
    ax.set_ylabel(ylabel + ("" if statistic == "geomean" else ", mean"))
    ax.set_title(title if title is not None else f"{function}, $d = {d}$", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="best")
    return fig


#: Labels of the reference lines (legend entries; tests look for them).
CONSTANT_LABEL = "best constant $\\|f - \\mathbb{E}f\\|/\\|f\\|$"
TOLERANCE_LABEL = "training tolerance $\\sqrt{{\\mathrm{{tol}}}}/\\|f\\|$ ({})"
#: The same lines in panels of absolute errors.
CONSTANT_LABEL_ABS = "best constant $\\|f - \\mathbb{E}f\\|$"
TOLERANCE_LABEL_ABS = "training tolerance $\\sqrt{{\\mathrm{{tol}}}}$ ({})"


def draw_references(ax: Axes, results: Results, function: str, d: int, *, dnn: bool = True,
                    absolute: bool = False) -> None:
    r"""Reference lines that let a reader judge a panel.

    * the error of the best constant predictor,
      :math:`\|f - \mathbb{E}f\|/\|f\|` (exact), dashed grey: a method
      above it has learned nothing beyond the mean;
    * with ``dnn``, per DNN precision the tolerance floor
      :math:`\sqrt{\mathrm{tol}}/\|f\|`, dotted: a trial that stops by the
      training tolerance has a relative RMS training error of about this.

    With ``absolute`` both are multiplied by :math:`\|f\|` (exact), for
    panels of absolute errors.
    """
    scale = functions.get(function).norm(d) if absolute else 1.0
    const = results.constant_error(function, d)
    ax.axhline(const * scale, color="0.45", linestyle="--", linewidth=1,
               label=CONSTANT_LABEL_ABS if absolute else CONSTANT_LABEL, zorder=1)
    if dnn:
        for precision, floor in results.tolerance_floors(function, d).items():
            ax.axhline(floor * scale, color="0.45", linestyle=":", linewidth=1,
                       label=(TOLERANCE_LABEL_ABS if absolute else TOLERANCE_LABEL).format(precision), zorder=1)


def error_panels(results: Results, panels: Sequence[tuple[str, int]] | None = None, *,
                 methods: Sequence[str] | None = None, error: str = "rel_l2", ncols: int = 2,
                 panel_size: tuple[float, float] = (4.2, 3.2), views: Sequence[str] = ("book",)) -> Figure:
    """A grid of :func:`error_vs_m` panels with one shared legend below.

    ``views`` names the measurements drawn (:data:`dnngap.experiments.runner.VIEWS`):
    ``("book",)`` draws ``error`` by this book's statistic; ``("book",
    "authors")`` adds, below, the same panels in the authors' measurement
    (absolute error on their sparse grid, arithmetic mean over trials, hollow
    markers), each block of rows titled by its view.
    """
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise ValueError(f"views must be a non-empty sequence of {', '.join(map(repr, VIEWS))}; got {views!r}")
    if panels is None:
        panels = [(p.function, p.d) for p in results.spec.problems]
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows * len(views), ncols,
                             figsize=(panel_size[0] * ncols, panel_size[1] * nrows * len(views) + 0.6),
                             squeeze=False)
    for v, name in enumerate(views):
        view = VIEWS[name]
        block = axes[v * nrows:(v + 1) * nrows].flat
        for ax, (fn, d) in zip(block, panels):
            title = f"{fn}, $d = {d}$" + ("" if len(views) == 1 else f" — {_VIEW_TITLES[name]}")
            error_vs_m(results, function=fn, d=d, methods=methods, ax=ax, legend=False, title=title,
                       error=error if name == "book" else view.error, statistic=view.statistic)
        for ax in list(axes[v * nrows:(v + 1) * nrows].flat)[n:]:
            ax.set_visible(False)
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    per_row = max(1, min(4, len(labels), int(fig.get_figwidth() / 3.0)))  # about 3 inches an entry
    fig.legend(handles, labels, loc="lower center", ncol=per_row, fontsize=8, frameon=False)
    rows = math.ceil(len(labels) / per_row)
    fig.tight_layout(rect=(0, min(0.5, (0.17 * rows + 0.1) / fig.get_figheight()), 1, 1))
    return fig


#: Short panel titles of the views.
_VIEW_TITLES = {"book": "this book", "authors": "authors' measurement"}


def provenance_line(*, scale: str, seconds: float, devices: Sequence[str] = ("cpu",),
                    trials: int | None = None, epochs: Sequence[int] = (), versions: Sequence[str] = (),
                    commits: Sequence[str] = (), note: str = "", numerics: Sequence[str] = ()) -> str:
    """One caption line: scale, trials, epochs, device, wall time, code version
    (and the records' numerics versions, e.g. ``cs-v1+data-v1``, if given).

    >>> provenance_line(scale="ci", seconds=90, trials=3, epochs=[3000], versions=["0.1.0"], commits=["abc"])
    'scale ci · 3 trials · DNNs ≤ 3,000 epochs · device cpu · compute 1.5 min · dnngap 0.1.0 (commit abc)'
    """
    import dnngap

    parts = [f"scale {scale}" + (f" ({note})" if note else "")]
    parts.append(f"{trials} trials" if trials is not None else "no trials")
    parts.append("DNNs ≤ " + " / ".join(f"{e:,}" for e in sorted(set(epochs))) + " epochs"
                 if epochs else "no training")
    parts.append("device " + ", ".join(devices))
    parts.append(f"compute {seconds / 60:.1f} min" if seconds >= 60 else f"compute {seconds:.0f} s")
    parts.append(f"dnngap {', '.join(versions or [dnngap.__version__])} "
                 f"(commit {', '.join(commits or [git_commit()])})")
    if numerics:
        parts.append("numerics " + ", ".join(numerics))
    return " · ".join(parts)


def provenance(results: Results) -> str:
    """:func:`provenance_line` for stored results (what the caption of a figure drawn from them says)."""
    spec = results.spec
    notes = ["" if results.complete else f"incomplete: {len(results.missing)} units missing"]
    notes += dict.fromkeys(n for m in spec.methods if (n := m.protocol_note()))
    epochs = [e for m in spec.methods if (e := m.epoch_budget()) is not None]
    note = "; ".join(filter(None, notes))
    return provenance_line(
        scale=results.scale, seconds=results.compute_time(), devices=results.devices() or ["none"],
        trials=spec.trials, epochs=epochs,
        numerics=sorted({r["numerics"] for r in results.records}),
        commits=sorted({r["commit"] for r in results.records}), note=note)


def show_table(columns: Sequence[str], rows: Sequence[Sequence[object]]):
    """A small table for a notebook: a :class:`pandas.DataFrame` of ``rows``
    under ``columns``, rendered without its index (a pandas ``Styler``; its
    ``.data`` is the frame).

    >>> show_table(["d", "error"], [[2, "1e-3"], [8, "2e-3"]]).data.shape
    (2, 2)
    """
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns)).style.hide(axis="index")


def network_vs_function(results: Results, function: str, m: int, *, trial: int = 0,
                        methods: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """For ``d = 1``: the function and each method's prediction (one trial).

    Needs a spec with ``plot_points > 0`` (the predictions are stored).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    n = results.spec.plot_points
    if n == 0:
        raise ValueError("results.spec.plot_points must be > 0 to draw predictions")
    x = np.linspace(-1, 1, n)
    ax.plot(x, functions.get(function)(x[:, None]), color="0.6", linewidth=3, label="$f$")
    styles = method_styles(results.methods())
    for label in (methods or results.methods()):
        recs = results.select(function=function, m=m, method=label, trial=trial)
        if recs:
            ax.plot(x, recs[0]["prediction"], linewidth=1, label=label, color=styles[label]["color"])
    ax.set_xlabel("$y$")
    ax.set_title(f"{function}, $m = {m}$, trial {trial}", fontsize=10)
    ax.legend(fontsize=7)
    return ax.figure


__all__ = ["CONSTANT_LABEL", "CONSTANT_LABEL_ABS", "TOLERANCE_LABEL", "TOLERANCE_LABEL_ABS", "draw_references", "error_panels", "show_table", "error_vs_m", "method_styles", "network_vs_function", "provenance",
           "provenance_line"]
