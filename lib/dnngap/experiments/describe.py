"""Sentences for the chapters, written from stored results.

Every number a chapter states comes from its data through these functions
(glued into the page), so a rerun never contradicts its text. Numbers are
shown with at most three significant digits (:func:`number`), ranges
collapse when their ends agree (:func:`span`).

>>> from dnngap.experiments import describe
>>> describe.number(6513.2), describe.span(3.04, 3.01)
('6.5·10³', '3.0')
"""

from __future__ import annotations

import math

import numpy as np

from .methods import METHODS
from .records import Results

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _example() -> Results:
    """The results the examples of this module describe: ``exp_cos`` in d = 1,
    m = 20, one trial each of CS and ReLU 1×10, with this book's measurement
    (``rel_l2``: 1e-6 and 1e-3) and the authors' (``abs_l2_grid``: 2e-6 and 1e-3)."""
    from .methods import CSMethod, DNNMethod
    from .specs import ExperimentSpec, Problem

    spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
                          (CSMethod(), DNNMethod(1, 10)), trials=1)
    rec = lambda label, kind, book, authors: dict(  # noqa: E731
        function="exp_cos", d=1, m=20, trial=0, method=label, method_kind=kind, rel_l2=book,
        abs_l2_grid=authors, estimator="sparse_grid", stop_reason="converged")
    return Results(spec, [rec("CS (HC, N ≤ 2000)", "cs", 1e-6, 2e-6), rec("ReLU 1×10", "dnn", 1e-3, 1e-3)])


def number(x: float, digits: int = 2) -> str:
    """``x`` with ``digits`` significant digits (at most 3), in plain
    notation between 0.01 and 1000 and as ``m·10ᵉ`` outside.

    >>> number(0.8312), number(12.46), number(9.96), number(215057668.0), number(1.5e-7)
    ('0.83', '12', '10', '2.2·10⁸', '1.5·10⁻⁷')
    """
    if not 1 <= digits <= 3:
        raise ValueError(f"digits must be 1, 2 or 3; got {digits!r}")
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    rounded = float(f"{x:.{digits}g}")
    if 0.01 <= abs(rounded) < 1000:
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
        return f"{rounded:.{decimals}f}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def tex_int(n: int) -> str:
    """An integer for TeX math, its thousands grouped without the space TeX puts after a comma.

    >>> tex_int(1200), tex_int(75)
    ('1{,}200', '75')
    """
    return f"{int(n):,}".replace(",", "{,}")


def span(lo: float, hi: float, digits: int = 2) -> str:
    """``"lo–hi"``, or one number where both print the same.

    >>> span(2.9, 12.8), span(1.001, 0.999)
    ('2.9–13', '1.0')
    """
    a, b = number(min(lo, hi), digits), number(max(lo, hi), digits)
    return a if a == b else f"{a}–{b}"


def stored(results: Results) -> str:
    """How many of the spec's points (units) are stored: ``"52 of 450"``.

    >>> from dnngap.experiments import CSMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20, 40)),), (CSMethod(),), trials=1)
    >>> stored(Results(spec, [], missing=spec.units()[:1]))
    '1 of 2'
    """
    total = len(results.spec.units())
    return f"{total - len(results.missing):,} of {total:,}"


def paper_status(results: Results) -> str:
    """One phrase for a chapter whose figures show another scale: whether
    its paper-scale ``results`` are computed, with :func:`stored`.

    >>> from dnngap.experiments import CSMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "paper", (Problem("exp_cos", 1, (20, 40)),), (CSMethod(),), trials=1)
    >>> paper_status(Results(spec, [], missing=spec.units()))
    'not computed yet at the paper scale (0 of 2 points stored)'
    """
    done = len(results.spec.units()) - len(results.missing)
    state = "computed" if not results.missing else "partly computed" if done else "not computed yet"
    names = {"cs": "CS", "network": "trained networks", "existence": "the existence network"}
    have = {METHODS[r["method_kind"]].role for r in results.records}
    lacking = [names[role] for role in dict.fromkeys(m.role for m in results.spec.methods) if role not in have]
    which = f": none yet of {' or '.join(lacking)}" if done and lacking else ""
    return f"{state} at the paper scale ({stored(results)} points stored{which})"


def above_constant(results: Results) -> str:
    """One sentence naming the (network, problem, ``m``) at which a trained
    network's error (geometric mean, this book's measurement) is not below
    the best constant predictor's — it has learned less than the mean there;
    ``""`` when there is none.

    >>> from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20, 40)),),
    ...                       (CSMethod(), DNNMethod(1, 10)), trials=1)
    >>> rec = lambda m, e: dict(function="exp_cos", d=1, m=m, trial=0, method="ReLU 1×10", method_kind="dnn",
    ...                         rel_l2=e, estimator="monte_carlo", stop_reason="epochs")
    >>> above_constant(Results(spec, [rec(20, 0.05), rec(40, 1e-3)]))
    'At $m$ = 20 on `exp_cos` in $d = 1$, ReLU 1×10 is not below the best constant predictor (error 0.050 against 0.017): it has learned less than the mean there.'
    """
    roles = {m.label: m.role for m in results.spec.methods}
    found = []
    for p in results.spec.problems:
        constant = results.constant_error(p.function, p.d)
        for row in results.summary(function=p.function, d=p.d):
            if roles.get(row.method) == "network" and row.geomean >= constant:
                found.append(f"at $m$ = {row.m:,} on `{p.function}` in $d = {p.d}$, {row.method} "
                             f"(error {number(row.geomean)} against {number(constant)})")
    if not found:
        return ""
    text = "; ".join(found)
    if len(found) == 1:
        head, _, tail = text.partition(", ")
        rest, _, numbers = tail.rpartition(" (")
        return (f"{head[0].upper() + head[1:]}, {rest} is not below the best constant predictor ({numbers}: "
                "it has learned less than the mean there.")
    return f"Not below the best constant predictor, having learned less than the mean there: {text}."


def views(results: Results, **where) -> str:
    """One sentence: how far the authors' measurement (absolute error on
    their sparse grid, arithmetic mean over trials) is from this book's
    (relative error by the unit's primary estimator, geometric mean), for
    the networks and for CS, and whether the two agree on the best network
    and the gap at the largest stored ``m``.

    Returns a MyST sentence, or one saying there is nothing to compare.

    Examples
    --------
    On the results of :func:`_example` (one trial each of CS and ReLU 1×10, by this
    book's measurement 1e-6 and 1e-3, by the authors' 2e-6 and 1e-3):

    >>> res = _example()
    >>> print(views(res))  # doctest: +NORMALIZE_WHITESPACE
    Measured as the authors' released code measures it — the absolute $L^2$ error on a sparse grid, their
    estimator, arithmetic mean over trials — the networks' errors are 1.0 times this book's (median 1.0) and
    CS's errors are 2.0 times this book's (median 2.0). The network for `exp_cos` in $d = 1$ at $m$ = 20,
    *ReLU 1×10*, has 1.0·10³ times CS's error by this book's measurement and 500 times by the authors'.
    """
    frame = results.views(**where).dropna(subset=["ratio"])
    if frame.empty:
        return ("The authors' measurement is not available for these results (no sparse grid was "
                "used, e.g. in $d = 16$).")
    roles = {m.label: m.role for m in results.spec.methods}
    frame = frame.assign(role=frame["method"].map(roles))
    parts = []
    for name, group in (("the networks'", frame[frame["role"] == "network"]),
                        ("CS's", frame[frame["role"] == "cs"])):
        if not group.empty:
            parts.append(f"{name} errors are {span(group['ratio'].min(), group['ratio'].max())} times "
                         f"this book's (median {number(float(np.median(group['ratio'])))})")
    if not parts:
        return "No network or CS point has both measurements."
    sentence = ("Measured as the authors' released code measures it — the absolute $L^2$ error on "
                "a sparse grid, their estimator, arithmetic mean over trials — " + " and ".join(parts) + ".")
    return sentence + _units_clause(frame) + _best_network_clause(results, frame, **where)


#: Norms outside this range make the absolute and the relative error differ
#: visibly by the units alone; :func:`views` then also divides by ``‖f‖``.
_UNIT_NORMS = (0.8, 1.25)


#: A CS error below this is rounding, not approximation (double precision
#: on these problems): a factor against it says how far a network is from
#: exact, not from a converging method.
ROUNDING = 1e-10


def rounding_note(cs_errors: dict[str, float]) -> str:
    """A parenthesis for a sentence that states factors against CS: which of
    ``cs_errors`` (place -> CS's error, e.g. ``{"d = 1": 8e-12}``; the place
    may be ``""`` for the only one) are at rounding level (< :data:`ROUNDING`);
    ``""`` when none is.

    >>> rounding_note({"d = 1": 8e-12, "d = 8": 2e-7})
    ' (In d = 1 CS is exact to rounding, below 10⁻¹⁰, so a factor against it says how far the networks are from exact, not from a converging method.)'
    >>> rounding_note({"": 2e-7})
    ''
    """
    places = [p for p, e in cs_errors.items() if e < ROUNDING]
    if not places:
        return ""
    where = f"In {', '.join(places)} CS" if any(places) else "Here CS"
    return (f" ({where} is exact to rounding, below 10⁻¹⁰, so a factor against it says how far the networks "
            "are from exact, not from a converging method.)")


def winner(results: Results, m: int, view: str, **where) -> str | None:
    """Which role has the smallest error at sample size ``m`` by a
    measurement (``view``: ``"book"`` or ``"authors"``, the columns of
    :meth:`Results.views`): ``"network"``, ``"cs"`` or ``"existence"``;
    ``None`` where nothing is stored.

    Examples
    --------
    On the results of :func:`_example` (one trial each of CS and ReLU 1×10, by this
    book's measurement 1e-6 and 1e-3, by the authors' 2e-6 and 1e-3):

    >>> res = _example()
    >>> winner(res, 20, "book"), winner(res, 40, "book")
    ('cs', None)
    """
    if view not in ("book", "authors"):
        raise ValueError(f"view must be 'book' or 'authors'; got {view!r}")
    frame = results.views(m=m, **where).dropna(subset=[view])
    if frame.empty:
        return None
    roles = {x.label: x.role for x in results.spec.methods}
    return roles[frame.loc[frame[view].idxmin(), "method"]]


def gap(results: Results, view: str, **where) -> float:
    """The best trained network's error over the better CS's, by a
    measurement (``view``: ``"book"`` or ``"authors"``, the columns of
    :meth:`Results.views`), over the records selected by ``where`` (e.g.
    ``d=8, m=2250``); ``nan`` where either is missing.

    Examples
    --------
    On the results of :func:`_example` (one trial each of CS and ReLU 1×10, by this
    book's measurement 1e-6 and 1e-3, by the authors' 2e-6 and 1e-3):

    >>> res = _example()
    >>> round(gap(res, "book"), 6), round(gap(res, "authors"), 6), gap(res, "book", m=40)
    (1000.0, 500.0, nan)
    >>> gap(res, "median")
    Traceback (most recent call last):
    ...
    ValueError: view must be 'book' or 'authors'; got 'median'
    """
    if view not in ("book", "authors"):
        raise ValueError(f"view must be 'book' or 'authors'; got {view!r}")
    frame = results.views(**where)
    role = frame["method"].map({x.label: x.role for x in results.spec.methods})
    nets, cs = frame[role == "network"][view].dropna(), frame[role == "cs"][view].dropna()
    return float(nets.min() / cs.min()) if len(nets) and len(cs) else math.nan


def ranking(results: Results, m: int, **where) -> str:
    """One sentence per measurement at sample size ``m``: the best trained
    network and the best CS method, and the network's error over CS's, by
    this book's measurement and by the authors' (see :func:`views`); says
    whether the two measurements rank them the same way.

    Returns a MyST sentence, or one saying what is missing.

    Examples
    --------
    On the results of :func:`_example` (one trial each of CS and ReLU 1×10, by this
    book's measurement 1e-6 and 1e-3, by the authors' 2e-6 and 1e-3):

    >>> res = _example()
    >>> print(ranking(res, 20))  # doctest: +NORMALIZE_WHITESPACE
    At $m$ = 20, by this book's measurement the best network, ReLU 1×10, has 1.0·10³ times the error of
    the better CS (CS (HC, N ≤ 2000)); by the authors' the best network, ReLU 1×10, has 500 times the
    error of the better CS (CS (HC, N ≤ 2000)). The two measurements agree on which is more accurate.
    >>> ranking(res, 40)
    'At $m$ = 40 not every method is stored.'
    """
    frame = results.views(**where)
    frame = frame[frame["m"] == m].assign(role=frame["method"].map({x.label: x.role for x in results.spec.methods}))
    parts, winners = [], {}
    for view, name in (("book", "this book's measurement"), ("authors", "the authors'")):
        nets = frame[(frame["role"] == "network") & frame[view].notna()]
        cs = frame[(frame["role"] == "cs") & frame[view].notna()]
        if nets.empty or cs.empty:
            continue
        net, best_cs = nets.loc[nets[view].idxmin()], cs.loc[cs[view].idxmin()]
        ratio = net[view] / best_cs[view]
        winners[view] = "network" if ratio < 1 else "CS"
        parts.append(f"by {name} the best network, {net['method']}, has {number(ratio)} times the error of "
                     f"the better CS ({best_cs['method']})")
    if not parts:
        return f"At $m$ = {m:,} not every method is stored."
    text = f"At $m$ = {m:,}, " + "; ".join(parts) + "."
    if len(winners) == 2:
        text += (" The two measurements agree on which is more accurate." if len(set(winners.values())) == 1
                 else f" The two measurements disagree: this book's finds the {winners['book']} more accurate, "
                      f"the authors' the {winners['authors']}.")
    return text


def _units_clause(frame) -> str:
    """Where ``‖f‖`` is far from 1, the ratios divided by it: the part that is
    due to the estimator and the statistic rather than to the units."""
    from .. import functions

    norms = {key: functions.get(key[0]).norm(key[1]) for key in set(zip(frame["function"], frame["d"]))}
    if any(v is None for v in norms.values()) or all(_UNIT_NORMS[0] <= v <= _UNIT_NORMS[1] for v in norms.values()):
        return ""
    scaled = frame.assign(scaled=frame["ratio"] / [norms[key] for key in zip(frame["function"], frame["d"])])
    parts = [f"{span(g['scaled'].min(), g['scaled'].max())} for {name}"
             for name, g in (("the networks", scaled[scaled["role"] == "network"]),
                             ("CS", scaled[scaled["role"] == "cs"])) if not g.empty]
    return (" Part of these factors is a matter of units: the absolute error is the relative one times "
            f"$\\|f\\|$ ({span(min(norms.values()), max(norms.values()))} here); divided by $\\|f\\|$ they "
            f"become {' and '.join(parts)}, the part due to the estimator and the statistic.")


def _best_network_clause(results: Results, frame, **where) -> str:
    nets = frame[frame["role"] == "network"]
    if nets.empty:
        return ""
    clauses = []
    for (fn, d), group in nets.groupby(["function", "d"]):
        at = group["m"].max()
        here = group[group["m"] == at]
        book = here.loc[here["book"].idxmin()]
        authors = here.loc[here["authors"].idxmin()]
        where_ = f"for `{fn}` in $d = {d}$ at $m$ = {at:,}"
        if here["method"].nunique() == 1:
            text = f"the network {where_}, *{book['method']}*,"
        elif book["method"] == authors["method"]:
            text = f"both measurements name *{book['method']}* the best network {where_}"
        else:
            text = (f"the best network {where_} is *{book['method']}* by this book's measurement and "
                    f"*{authors['method']}* by the authors'")
        cs = frame[(frame["function"] == fn) & (frame["d"] == d) & (frame["m"] == at) & (frame["role"] == "cs")]
        if not cs.empty:
            ours, theirs = number(book["book"] / cs["book"].min()), number(authors["authors"] / cs["authors"].min())
            has = " has" if here["method"].nunique() == 1 else ", with"
            text += (f"{has} {ours} times CS's error by both measurements" if ours == theirs else
                     f"{has} {ours} times CS's error by this book's measurement and {theirs} times by the authors'")
        elif here["method"].nunique() == 1:
            text = text.rstrip(",") + " is shown"
        clauses.append(text)
    text = "; ".join(clauses)
    return " " + text[0].upper() + text[1:] + "."


def cs_curve(results: Results) -> str:
    r"""CS's error curve past its minimum (:func:`~dnngap.experiments.checks.curve_peak`),
    against the size :math:`N = |\Lambda|` of its index set: how much it rises
    after its smallest value, and whether it peaks next to :math:`m = N`,
    where the :math:`m \times N` sampling matrix is nearly square.

    >>> from dnngap.experiments import CSMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "paper", (Problem("exp_cos", 8, (500, 900, 1000)),), (CSMethod(),),
    ...                       trials=1)
    >>> recs = [dict(function="exp_cos", d=8, m=m, trial=0, method="CS (HC, N ≤ 2000)", method_kind="cs", N=950,
    ...              rel_l2=e, estimator="sparse_grid", stop_reason="converged")
    ...         for m, e in ((500, 1e-7), (900, 3e-7), (1000, 2e-7))]
    >>> print(cs_curve(Results(spec, recs)))  # doctest: +NORMALIZE_WHITESPACE
    Past its fast decline CS's error is smallest, 1.0e-07 at $m$ = 500, and rises by a factor 3.0 to 3.0e-07 at
    $m$ = 900, the stored $m$ just below the size of its index set, $N = |\Lambda|$ = 950, where the
    $m \times N$ sampling matrix is nearly square; at $m$ = 1,000 it is 2.0e-07. (That CS does worst near
    $m = N$ is this book's reading of the data, not a statement of the paper: there the recovery problem is worst
    conditioned, as least squares is at its interpolation threshold.)
    """
    from .checks import curve_peak

    cs = {m: c.cs.geomean for m in sorted({r["m"] for r in results.records})
          for c in results.compare(m=m) if c.cs}
    Ns = {r["N"] for r in results.records if r["method_kind"] == "cs"}
    shape = curve_peak(cs, *Ns) if cs and len(Ns) == 1 else None
    if shape is None:
        return "Too few CS points are stored to describe the shape of its curve."
    (N,), last, low = Ns, max(cs), f"{cs[shape.m_low]:.1e} at $m$ = {shape.m_low:,}"
    if shape.rise < 1.5:
        return f"Past its fast decline CS's error stays within a factor 1.5 of its smallest value, {low}."
    side = "below" if shape.m_peak <= N else "above"
    where = (f"the stored $m$ just {side} the size of its index set, $N = |\\Lambda|$ = {N:,}, where the "
             "$m \\times N$ sampling matrix is nearly square" if shape.near_N
             else f"with $N = |\\Lambda|$ = {N:,}")
    reading = (" (That CS does worst near $m = N$ is this book's reading of the data, not a statement "
               "of the paper: there the recovery problem is worst conditioned, as least squares is at "
               "its interpolation threshold.)" if shape.near_N else "")
    return (f"Past its fast decline CS's error is smallest, {low}, and rises by a factor "
            f"{shape.rise:.1f} to {cs[shape.m_peak]:.1e} at $m$ = {shape.m_peak:,}, {where}; "
            f"at $m$ = {last:,} it is {cs[last]:.1e}.{reading}")


__all__ = ["ROUNDING", "above_constant", "cs_curve", "gap", "number", "ranking", "rounding_note", "span", "tex_int", "views", "winner"]
