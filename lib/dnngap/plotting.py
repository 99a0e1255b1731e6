"""Paper-style figures drawn from stored results, and provenance captions.

Figures never compute: they take :class:`dnngap.experiments.Results`.
This book's statistic (:data:`dnngap.experiments.records.BOOK_VIEW`): for
each method and sample size ``m``, the geometric mean of the relative error
over the trials (a line with filled markers) and a shaded band of ±1 standard
deviation of :math:`\\log_{10}` of the error. The authors' measurement
(:data:`~dnngap.experiments.records.AUTHORS_VIEW`: absolute error on their
sparse grid, arithmetic mean over trials) is drawn with hollow markers and
no band, in panels of its own.

Styles are fixed for the whole book (:func:`method_style`), keyed by the
method's configuration, never by its position in a chapter's list:
compressed sensing is black; a trained network takes the colour of its
architecture :math:`L \\times N` (:data:`ARCHITECTURE_COLOURS`) and the marker
of its activation (:data:`ACTIVATION_MARKERS`), dashed in double precision;
a training recipe other than the paper's protocol takes its recipe's colour
(:data:`RECIPE_COLOURS`); the existence network is drawn open and dashed in
:data:`EXISTENCE_COLOUR`. Reference lines are grey, each kind in its own
line style (:data:`REFERENCE_STYLES`). A method missing at an ``m`` that
the panel has is a gap in its line, not a straight segment across.

Figures are at most :data:`CONTENT_WIDTH` inches wide, the width of the
book's content column, so that they are shown at their own size; their
legends use :data:`LEGEND_FONTSIZE` (:func:`legend_points` measures the
size a reader sees, :func:`check_legible` enforces it).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import functions
from .experiments import Results, git_commit
from .experiments.records import STATISTICS, VIEWS

#: Width of the book's content column in inches: a wider figure is shown
#: scaled down, its fonts with it.
CONTENT_WIDTH = 7.0
#: Matplotlib's default ``pad_inches`` around a figure saved with a tight bounding box.
_PAD = 0.1
#: The width to give a figure so that, saved with its padding, it fills the column.
FIGURE_WIDTH = CONTENT_WIDTH - 2 * _PAD
#: Legend font size of the book's figures, in points.
LEGEND_FONTSIZE = 9.0
#: The smallest legend font a reader may see, in points at the displayed width.
MIN_LEGEND_POINTS = 9.0

#: One colour per network architecture ``(L, N)`` (tab10 without its grey,
#: which the reference lines use). Other architectures take a colour of
#: :data:`_MORE_COLOURS` chosen by a stable hash of ``(L, N)``.
ARCHITECTURE_COLOURS: dict[tuple[int, int], str] = {
    (1, 10): "#1f77b4", (2, 20): "#ff7f0e", (3, 30): "#2ca02c", (4, 40): "#d62728", (5, 50): "#9467bd",
    (10, 100): "#8c564b", (20, 200): "#e377c2", (30, 300): "#bcbd22", (8, 80): "#17becf",
}
#: One marker per activation.
ACTIVATION_MARKERS: dict[str, str] = {"relu": "o", "elu": "^", "tanh": "D", "sigmoid": "v", "softplus": "P"}
#: One colour per training recipe other than ``"paper"`` (which is the paper's
#: protocol and takes its architecture's colour).
RECIPE_COLOURS: dict[str, str] = {
    "adam_double": "#1b9e77", "adam_lbfgs": "#66a61e", "tanh_lbfgs": "#e6ab02", "he_lbfgs": "#7570b3",
    "paper_double": "#a6761d", "paper_long": "#393b79", "sgd": "#e7298a",
}
#: The existence theorem's network (open markers, dashed: it often lies on CS).
EXISTENCE_COLOUR = "#762a83"
#: Compressed sensing: black, one marker per index set.
CS_MARKERS: dict[str, str] = {"hyperbolic_cross": "s", "total_degree": "p", "tensor_product": "h"}
_MORE_MARKERS = ("v", "<", ">", "p", "*", "X", "d", "8")
_MORE_COLOURS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
                 "#756bb1", "#a55194")

#: Reference lines: the best constant predictor and, per precision, the
#: training tolerance; grey, each in its own line style.
REFERENCE_STYLES: dict[str, dict] = {
    "constant": {"color": "0.45", "linestyle": "--", "linewidth": 1.1},
    "single": {"color": "0.45", "linestyle": ":", "linewidth": 1.3},
    "double": {"color": "0.45", "linestyle": "-.", "linewidth": 1.1},
}
_OTHER_TOLERANCE = {"color": "0.45", "linestyle": (0, (6, 2, 1, 2, 1, 2)), "linewidth": 1.1}

#: Labels of the reference lines (legend entries; the same in panels of
#: relative and of absolute errors, where the captions say they are multiplied by ‖f‖).
CONSTANT_LABEL = "best constant predictor"
TOLERANCE_LABEL = "training tolerance ({})"


def _stable_pick(options: Sequence[str], key: str) -> str:
    return options[zlib.crc32(key.encode()) % len(options)]


def method_style(method) -> dict:
    """The fixed line style of a method (a :mod:`dnngap.experiments.methods` instance).

    Keyed by what the method is, not where it appears: the same network
    has the same style in every chapter.

    >>> from dnngap.experiments import CSMethod, DNNMethod
    >>> method_style(DNNMethod(depth=4, width=40))["color"] == method_style(DNNMethod(4, 40, precision="double"))["color"]
    True
    >>> method_style(CSMethod())["color"], method_style(CSMethod(lam="cv"))["linestyle"]
    ('black', '--')
    """
    if method.role == "cs":
        cv = getattr(method, "lam", None) == "cv"
        return {"color": "black", "marker": CS_MARKERS.get(getattr(method, "index_set", ""), "s"),
                "linestyle": "--" if cv else "-", **({"markerfacecolor": "none"} if cv else {})}
    if method.role == "existence":  # one marker per emulation accuracy δ (hexagon: the default 1e-8)
        delta = getattr(method, "delta", 1e-8)
        decade = round(-math.log10(delta)) if delta > 0 else 0
        marker = "h" if decade == 8 else _MORE_MARKERS[decade % len(_MORE_MARKERS)]
        if not method.deterministic:  # trained further from its construction: filled, solid
            return {"color": EXISTENCE_COLOUR, "marker": marker, "linestyle": "-", "markersize": 7, "zorder": 3}
        return {"color": EXISTENCE_COLOUR, "marker": marker, "linestyle": "--", "markerfacecolor": "none",
                "markersize": 7, "zorder": 3}
    arch = method.architecture()
    colour = ARCHITECTURE_COLOURS.get((arch.depth, arch.width)) or _stable_pick(
        _MORE_COLOURS, f"{arch.depth}x{arch.width}")
    recipe = getattr(method, "recipe", None)
    if recipe not in (None, "paper"):
        colour = RECIPE_COLOURS.get(recipe) or _stable_pick(_MORE_COLOURS, f"recipe {recipe}")
    style = {"color": colour, "marker": ACTIVATION_MARKERS.get(arch.activation, "o"),
             "linestyle": "--" if getattr(method, "precision", "single") == "double" else "-"}
    if arch.convention != "code":  # another network than the authors' code builds
        style["markerfacecolor"] = "none"
    return style


def _style_key(style: dict) -> tuple:
    return (style["color"], style["marker"], str(style["linestyle"]), style.get("markerfacecolor"))


def method_styles(methods: Results | Iterable) -> dict[str, dict]:
    """Per method label, :func:`method_style`; ``methods`` is a
    :class:`~dnngap.experiments.Results`, a spec or its methods.

    Two methods of one chapter whose fixed styles coincide (e.g. CS on two
    index-set sizes) are told apart, the later by open markers, then by a
    dash-dot line, then by other markers.

    >>> from dnngap.experiments import CSMethod
    >>> s = method_styles([CSMethod(n_max=300), CSMethod(n_max=2000)])
    >>> s["CS (HC, N ≤ 300)"]["markerfacecolor"] if "markerfacecolor" in s["CS (HC, N ≤ 300)"] else "filled"
    'filled'
    >>> s["CS (HC, N ≤ 2000)"]["markerfacecolor"]
    'none'
    """
    if isinstance(methods, Results):
        methods = methods.spec.methods
    elif hasattr(methods, "methods") and not callable(methods.methods):
        methods = methods.methods
    out, seen = {}, set()
    for method in methods:
        base = method_style(method)
        variants = [base, {**base, "markerfacecolor": "none"}, {**base, "linestyle": "-."},
                    {**base, "linestyle": "-.", "markerfacecolor": "none"}]
        variants += [{**base, "marker": marker} for marker in _MORE_MARKERS]
        style = next((v for v in variants if _style_key(v) not in seen), variants[-1])
        seen.add(_style_key(style))
        out[method.label] = style
    return out


def tolerance_style(precision: str) -> dict:
    """Line style of the training-tolerance line of a precision (:data:`REFERENCE_STYLES`).

    A precision without a style of its own gets a grey dash-dot-dot line:

    >>> tolerance_style("single")
    {'color': '0.45', 'linestyle': ':', 'linewidth': 1.3}
    >>> tolerance_style("half")["linestyle"]
    (0, (6, 2, 1, 2, 1, 2))
    """
    return dict(REFERENCE_STYLES.get(precision, _OTHER_TOLERANCE))


def _panel_m(results: Results, function: str, d: int, labels: Sequence[str], rows) -> dict[str, list[int]]:
    """Per label, the sample sizes its line runs over: every ``m`` some drawn
    method has in the panel, and every ``m`` the spec computes it at."""
    stored = {r.m for r in rows if r.method in labels and r.trials > 0}
    by_label = {m.label: m for m in results.spec.methods}
    out = {}
    for label in labels:
        method = by_label.get(label)
        planned = {m for p in results.spec.problems if (p.function, p.d) == (function, d)
                   and method is not None and p.runs(method) for m in p.m_values}
        out[label] = sorted(stored | planned)
    return out


def error_vs_m(results: Results, *, function: str | None = None, d: int | None = None,
               methods: Sequence[str] | None = None, error: str = "rel_l2", statistic: str = "geomean",
               ax: Axes | None = None, legend: bool = True, title: str | None = None,
               references: bool = True) -> Figure:
    """Error versus ``m`` on a log scale, one line per method.

    A method without a result at an ``m`` that another drawn method has (or
    that the spec computes it at) gets a gap there (``NaN``), not a line
    across.

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
    styles = method_styles(results)
    rows = results.summary(error, function=function, d=d)
    grids = _panel_m(results, function, d, labels, rows)
    for label in labels:
        mine = {r.m: r for r in rows if r.method == label and r.trials > 0}
        if not mine:
            continue
        m = np.array(grids[label], float)
        st = {"markersize": 4, "linewidth": 1.3, **styles.get(label, {})}
        if statistic == "mean":
            st["markerfacecolor"] = "none"
        values = np.array([mine[x].value(statistic) if x in mine else np.nan for x in grids[label]])
        ax.semilogy(m, values, label=label, **st)
        if statistic == "geomean":
            mu = np.array([np.log10(mine[x].geomean) if x in mine else np.nan for x in grids[label]])
            sd = np.array([mine[x].log10_std if x in mine else np.nan for x in grids[label]])
            ax.fill_between(m, 10 ** (mu - sd), 10 ** (mu + sd), color=st.get("color"), alpha=0.15, linewidth=0)
    if references and error in ("rel_l2", "rel_l2_grid", "rel_l2_mc", "abs_l2_grid"):
        draw_references(ax, results, function, d, absolute=error == "abs_l2_grid",
                        dnn=any(stops.get(lab) is not None for lab in labels))
    ax.set_xlabel("number of samples $m$")
    ylabel = {"rel_l2": "relative $L^2_\\varrho$ error", "rel_l2_grid": "relative error (sparse grid)",
              "rel_l2_mc": "relative error (Monte Carlo)", "abs_l2_grid": "absolute error (sparse grid)",
              "linf": "$L^\\infty$ error"}.get(error, error)
    ax.set_ylabel(ylabel + ("" if statistic == "geomean" else ", mean"))
    ax.set_title(title if title is not None else f"{function}, $d = {d}$", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize=LEGEND_FONTSIZE, loc="best")
    return fig


def draw_references(ax: Axes, results: Results, function: str, d: int, *, dnn: bool = True,
                    absolute: bool = False) -> None:
    r"""Reference lines that let a reader judge a panel (grey, each kind in
    its own line style, :data:`REFERENCE_STYLES`).

    * the error of the best constant predictor,
      :math:`\|f - \mathbb{E}f\|/\|f\|` (exact), dashed: a method
      above it has learned nothing beyond the mean;
    * with ``dnn``, per DNN precision the tolerance floor
      :math:`\sqrt{\mathrm{tol}}/\|f\|` (single precision dotted, double
      dash-dotted): a trial that stops by the training tolerance has a
      relative RMS training error of about this.

    With ``absolute`` both are multiplied by :math:`\|f\|` (exact), for
    panels of absolute errors.

    Examples
    --------
    E6 trains in both precisions, so both tolerance floors are drawn:

    >>> from dnngap import experiments
    >>> fig, ax = plt.subplots()
    >>> draw_references(ax, Results(experiments.get("e6", "smoke"), []), "exp_cos", 1)
    >>> [(line.get_label(), f"{line.get_ydata()[0]:.2e}") for line in ax.get_lines()]
    [('best constant predictor', '1.74e-02'), ('training tolerance (single)', '7.85e-04'), ('training tolerance (double)', '2.48e-08')]
    >>> plt.close(fig)
    """
    scale = functions.get(function).norm(d) if absolute else 1.0
    const = results.constant_error(function, d)
    ax.axhline(const * scale, label=CONSTANT_LABEL, zorder=1, **REFERENCE_STYLES["constant"])
    if dnn:
        for precision, floor in results.tolerance_floors(function, d).items():
            ax.axhline(floor * scale, label=TOLERANCE_LABEL.format(precision), zorder=1,
                       **tolerance_style(precision))


def _has_data(results: Results, function: str, d: int, error: str, labels: Sequence[str]) -> bool:
    return any(r.trials > 0 and r.method in labels for r in results.summary(error, function=function, d=d))


def error_panels(results: Results, panels: Sequence[tuple[str, int]] | None = None, *,
                 methods: Sequence[str] | None = None, error: str = "rel_l2", ncols: int = 2,
                 panel_size: tuple[float, float] | None = None, views: Sequence[str] = ("book",)) -> Figure:
    """A grid of :func:`error_vs_m` panels with one shared legend below.

    ``views`` names the measurements drawn (:data:`dnngap.experiments.records.VIEWS`):
    ``("book",)`` draws ``error`` by this book's statistic; ``("book",
    "authors")`` adds, below, the same panels in the authors' measurement
    (absolute error on their sparse grid, arithmetic mean over trials, hollow
    markers), each block of rows titled by its view. A panel without any
    result is left out (a figure with none says so). ``panel_size``
    defaults to the content width divided among ``ncols`` panels.
    """
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise ValueError(f"views must be a non-empty sequence of {', '.join(map(repr, VIEWS))}; got {views!r}")
    if panels is None:
        panels = list(dict.fromkeys((p.function, p.d) for p in results.spec.problems))
    labels = list(methods) if methods is not None else results.methods()
    blocks = []  # (view name, error field, the panels with data)
    for name in views:
        field = error if name == "book" else VIEWS[name].error
        shown = [(fn, d) for fn, d in panels if _has_data(results, fn, d, field, labels)]
        if shown:
            blocks.append((name, field, shown))
    if not blocks:
        return _no_results_figure()
    ncols = max(1, min(ncols, max(len(shown) for _, _, shown in blocks)))
    if panel_size is None:
        width = FIGURE_WIDTH / ncols
        panel_size = (width, max(2.6, min(4.2, 0.8 * width)))
    rows = [math.ceil(len(shown) / ncols) for _, _, shown in blocks]
    fig, axes = plt.subplots(sum(rows), ncols, figsize=(panel_size[0] * ncols, panel_size[1] * sum(rows)),
                             squeeze=False)
    used = []
    for (name, field, shown), first in zip(blocks, np.cumsum([0] + rows[:-1])):
        view = VIEWS[name]
        block = list(axes[first:first + math.ceil(len(shown) / ncols)].flat)
        for ax, (fn, d) in zip(block, shown):
            title = f"{fn}, $d = {d}$" + ("" if len(views) == 1 else f"\n{_VIEW_TITLES[name]}")
            error_vs_m(results, function=fn, d=d, methods=labels, ax=ax, legend=False, title=title,
                       error=field, statistic=view.statistic)
            used.append(ax)
    for ax in axes.flat:
        if ax not in used:
            fig.delaxes(ax)
    return shared_legend(fig)


def _no_results_figure() -> Figure:
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 1.2))
    ax.text(0.5, 0.5, "no results stored for this figure", ha="center", va="center", fontsize=11)
    ax.set_axis_off()
    return fig


#: Short panel titles of the views.
_VIEW_TITLES = {"book": "this book", "authors": "authors' measurement"}


def shared_legend(fig: Figure, *, fontsize: float = LEGEND_FONTSIZE, max_columns: int = 4) -> Figure:
    """Replace the legends of ``fig``'s axes by one legend below them.

    Entries are deduplicated by label, in the order the axes draw them,
    methods before the reference lines of :func:`draw_references`; the
    legend takes as many columns (at most ``max_columns``) as fit the
    figure's width, and the figure grows by its height, so the panels keep
    their size. Returns ``fig``.

    Examples
    --------
    >>> fig, (a, b) = plt.subplots(1, 2, figsize=(6, 2.5))
    >>> _ = a.axhline(0.5, label=CONSTANT_LABEL), a.plot([1, 2], [1, 2], label="CS")
    >>> _ = b.plot([1, 2], [2, 1], label="CS"), b.plot([1, 2], [1, 1], label="ReLU 1×10")
    >>> [t.get_text() for t in shared_legend(fig).legends[0].get_texts()]   # methods first
    ['CS', 'ReLU 1×10', 'best constant predictor']
    >>> plt.close(fig)
    """
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    order = sorted(range(len(labels)), key=lambda i: (_is_reference(labels[i]), i))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    for legend in list(fig.legends):
        legend.remove()
    fit_titles(fig)
    fig.tight_layout()
    if not labels:
        return fig
    renderer = fig.canvas.get_renderer()
    for ncol in range(min(max_columns, len(labels)), 0, -1):
        legend = fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
                            fontsize=fontsize, frameon=False)
        if legend.get_window_extent(renderer).width / fig.dpi <= fig.get_figwidth() - 0.1 or ncol == 1:
            break
        legend.remove()
    height = legend.get_window_extent(renderer).height / fig.dpi + 0.05
    total = fig.get_figheight() + height
    fig.set_figheight(total)
    fig.tight_layout(rect=(0, height / total, 1, 1))
    return fig


def _is_reference(label: str) -> bool:
    return label == CONSTANT_LABEL or label.startswith(TOLERANCE_LABEL.split("{")[0])


def fit_titles(fig: Figure, *, smallest: float = 8.0) -> Figure:
    """Make every axes title fit its axes' width: first by breaking it at
    " — " or ", " into two lines, then by a smaller font (not below
    ``smallest`` points). Returns ``fig``.

    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> _ = ax.set_title("exp_cos in d = 8 — every network and every CS method")
    >>> fit_titles(fig).axes[0].get_title()
    'exp_cos in d = 8\\nevery network and every CS method'
    >>> plt.close(fig)
    """
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        title = ax.title
        width = ax.get_position().width * fig.get_figwidth() * fig.dpi
        text = title.get_text()
        if not text or title.get_window_extent(renderer).width <= width:
            continue
        for sep in (" — ", ", "):
            if sep in text and "\n" not in text:
                head, _, tail = text.rpartition(sep) if sep == ", " else text.partition(sep)
                title.set_text(f"{head}{sep.strip() if sep == ', ' else ''}\n{tail}")
                break
        while title.get_window_extent(renderer).width > width and title.get_fontsize() > smallest:
            title.set_fontsize(title.get_fontsize() - 0.5)
    return fig


def displayed_width(fig: Figure) -> float:
    """The width in inches of ``fig`` as the book saves it (a tight bounding
    box with Matplotlib's default padding, what Jupyter's inline backend does).

    A 4-inch figure whose only axes fill it, drawn without ticks or labels:

    >>> fig = plt.figure(figsize=(4, 3))
    >>> fig.add_axes((0, 0, 1, 1)).set_axis_off()
    >>> round(float(displayed_width(fig)), 6)   # 4 inches and the padding
    4.2
    >>> plt.close(fig)
    """
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    return bbox.width + 2 * _PAD


def legend_points(fig: Figure) -> float:
    """The smallest legend font of ``fig`` in points as a reader sees it: its
    font size, scaled down where the saved figure is wider than
    :data:`CONTENT_WIDTH` (``inf`` without a legend).

    >>> fig = plt.figure(figsize=(8, 3))
    >>> ax = fig.add_axes((0, 0, 1, 1))
    >>> ax.set_axis_off()
    >>> legend_points(fig)
    inf
    >>> _ = ax.plot([0, 1], [0, 1], label="CS"), ax.legend(fontsize=10)
    >>> round(float(legend_points(fig)), 2)   # 10 pt shown at 7 / 8.2 of its size
    8.54
    >>> plt.close(fig)
    """
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    sizes = [t.get_fontsize() for legend in legends for t in legend.get_texts()]
    if not sizes:
        return math.inf
    return min(sizes) * min(1.0, CONTENT_WIDTH / displayed_width(fig))


def check_legible(fig: Figure) -> Figure:
    """``fig``, after checking that its legends are at least
    :data:`MIN_LEGEND_POINTS` at the displayed width and that it is not shown
    shrunk by more than 5 % (``ValueError`` otherwise).

    >>> fig = plt.figure(figsize=(4, 3))
    >>> ax = fig.add_axes((0, 0, 1, 1))
    >>> ax.set_axis_off()
    >>> _ = ax.plot([0, 1], [0, 1], label="CS"), ax.legend(fontsize=10)
    >>> check_legible(fig) is fig
    True
    >>> fig.set_size_inches(8, 3)
    >>> check_legible(fig)
    Traceback (most recent call last):
    ...
    ValueError: legend shown at 8.5 pt (figure 8.2 in wide, content column 7 in): at least 9 pt needed
    >>> plt.close(fig)
    """
    points = legend_points(fig)
    width = displayed_width(fig)
    if points < MIN_LEGEND_POINTS:
        raise ValueError(f"legend shown at {points:.1f} pt (figure {width:.1f} in wide, "
                         f"content column {CONTENT_WIDTH:g} in): at least {MIN_LEGEND_POINTS:g} pt needed")
    if width > 1.05 * CONTENT_WIDTH:
        raise ValueError(f"figure {width:.1f} in wide, shown shrunk to the content column's {CONTENT_WIDTH:g} in "
                         "with all its fonts: make it narrower")
    return fig


def _count(n: int, noun: str) -> str:
    """``"1 trial"``, ``"5 trials"``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def provenance_line(*, scale: str, trials: int | None = None, note: str = "") -> str:
    """One caption line: scale, trials, the library's version and the commit
    the page was built from. Which code computed each stored result is in
    the provenance table of the *Reproducing* page.

    >>> provenance_line(scale="ci", trials=3).split(" · ")[:2]
    ['scale ci', '3 trials']
    >>> provenance_line(scale="smoke", trials=1, note="incomplete").split(" · ")[:2]
    ['scale smoke (incomplete)', '1 trial']
    """
    import dnngap

    parts = [f"scale {scale}" + (f" ({note})" if note else "")]
    if trials is not None:
        parts.append(_count(trials, "trial"))
    parts.append(f"dnngap {dnngap.__version__}")
    parts.append(f"built from commit {git_commit()}")
    return " · ".join(parts)


def _merge_notes(notes: Iterable[str]) -> list[str]:
    """Notes that differ only in their last word after a shared two-word
    prefix, merged: ``training recipe a``, ``training recipe b`` ->
    ``training recipes a, b``."""
    groups: dict[str, list[str]] = {}
    for note in dict.fromkeys(notes):
        words = note.split(" ", 2)
        key = " ".join(words[:2]) if len(words) == 3 else note
        groups.setdefault(key, []).append(words[2] if len(words) == 3 else "")
    return [f"{key}s {', '.join(rest)}" if len(rest) > 1 else (f"{key} {rest[0]}" if rest[0] else key)
            for key, rest in groups.items()]


def provenance(results: Results) -> str:
    """:func:`provenance_line` for stored results (what the caption of a
    figure drawn from them says): with a note when results are missing or
    a method departs from the paper's protocol.

    >>> from dnngap import experiments
    >>> spec = experiments.get("e1", "smoke", epochs=10)
    >>> provenance(Results(spec, [], missing=spec.units()[:3])).split(" · ")[:2]
    ["scale smoke (incomplete: 3 points of 8 missing; DNN epochs or tolerance changed: not the paper's protocol)", '2 trials']
    """
    spec = results.spec
    total = len(spec.units())
    notes = [] if results.complete else [f"incomplete: {_count(len(results.missing), 'point')} of {total:,} missing"]
    notes += _merge_notes(n for m in spec.methods if (n := m.protocol_note()))
    return provenance_line(scale=results.scale, trials=spec.trials, note="; ".join(notes))


def _glue(name: str, value, display: bool = True) -> None:
    """MyST-NB's :func:`myst_nb.glue` (imported when first used; outside a
    notebook it only displays ``value``, as IPython's ``display`` does)."""
    from myst_nb import glue

    glue(name, value, display=display)


def publish(fig: Figure, name: str, *, results: Results | None = None, line: str | None = None,
            caption_key: str | None = None, csv: str | None = None, folder=None):
    """Publish a book figure: check it, glue it, close it, glue its
    provenance line and write the data behind it, in one call.

    In order: :func:`check_legible` (``ValueError`` before anything is
    glued), ``glue(name, fig)`` (MyST-NB; the page shows the figure only
    through its ``{glue:figure}``), ``plt.close(fig)``, then the caption's
    provenance line glued without display under ``caption_key``, then
    ``results.to_csv(csv, folder=folder)``.

    Parameters
    ----------
    fig
        The figure.
    name
        Its glue name, e.g. ``"fig-e1"`` (the name its caption's
        ``{glue:figure}`` refers to).
    results
        The results drawn: the provenance line is :func:`provenance` of them,
        and ``csv`` writes their records.
    line
        The provenance line itself, for figures not drawn from stored results
        (e.g. :func:`provenance_line` plus the points used); it takes
        precedence over ``results``'. Neither given: nothing is glued but the
        figure.
    caption_key
        Glue name of the provenance line; default ``"prov-"`` and ``name``
        without its ``"fig-"`` (``"fig-e1"`` → ``"prov-e1"``).
    csv
        Name of the CSV of ``results``' records (:meth:`Results.to_csv`), or
        ``None`` for none.
    folder
        Where the CSV goes; default ``$DNNGAP_DATA_DIR`` or ``./data``.

    Returns
    -------
    pathlib.Path or None
        The CSV written, if any.

    Examples
    --------
    Outside a notebook, glue only displays what it glues:

    >>> import tempfile
    >>> from dnngap import experiments
    >>> res = experiments.load(experiments.get("e1", "smoke"), experiments.Store(tempfile.mkdtemp()))
    >>> fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 2))
    >>> _ = ax.plot([1, 2], [1, 2], label="a line")
    >>> _ = ax.legend(fontsize=LEGEND_FONTSIZE)
    >>> path = publish(fig, "fig-demo", results=res, csv="demo", folder=tempfile.mkdtemp())
    <Figure size 680x200 with 1 Axes>
    >>> path.name, plt.fignum_exists(fig.number)
    ('demo.csv', False)
    """
    if csv is not None and results is None:
        raise ValueError(f"csv={csv!r} needs the results whose records it writes")
    check_legible(fig)
    _glue(name, fig)
    plt.close(fig)
    if line is None and results is not None:
        line = provenance(results)
    if line is not None:
        _glue(caption_key or "prov-" + name.removeprefix("fig-"), line, display=False)
    return results.to_csv(csv, folder=folder) if csv is not None else None


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
                        methods: Sequence[str] | None = None, ax: Axes | None = None,
                        legend: bool = True) -> Figure:
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
    styles = method_styles(results)
    for label in (methods or results.methods()):
        recs = results.select(function=function, m=m, method=label, trial=trial)
        if recs:
            st = styles[label]
            ax.plot(x, recs[0]["prediction"], linewidth=1, label=label, color=st["color"],
                    linestyle=st["linestyle"])
    ax.set_xlabel("$y$")
    ax.set_title(f"{function}, $m = {m}$, trial {trial}", fontsize=10)
    if legend:
        ax.legend(fontsize=LEGEND_FONTSIZE)
    return ax.figure


__all__ = ["ACTIVATION_MARKERS", "ARCHITECTURE_COLOURS", "CONSTANT_LABEL", "CONTENT_WIDTH", "EXISTENCE_COLOUR",
           "FIGURE_WIDTH", "LEGEND_FONTSIZE", "MIN_LEGEND_POINTS", "RECIPE_COLOURS", "REFERENCE_STYLES", "TOLERANCE_LABEL",
           "check_legible", "displayed_width", "draw_references", "error_panels", "error_vs_m", "fit_titles", "legend_points",
           "method_style", "method_styles", "network_vs_function", "provenance", "provenance_line",
           "shared_legend", "show_table", "tolerance_style"]
