"""The claim checks that end every chapter, as functions tests can break.

Each check raises :class:`CheckFailed` (an ``AssertionError``) with the
numbers that failed, and returns one line per check that passed, for the
chapter to print. Every check is chosen to fail on a plausible wrong result:

* a network that outputs a constant (or the sample mean) has a relative
  error of at least the best constant predictor's,
  :math:`\\|f - \\mathbb{E}f\\|/\\|f\\|`, so :func:`networks_beat_constant`
  fails on it;
* an unconverged solver is recorded with ``stop_reason="max_iter"``, so
  :func:`solvers_converged` fails on it;
* a gap that comes from under-training or from a broken CS solve changes the
  factors :func:`gap_at_least` checks.

>>> from dnngap.experiments import checks
>>> issubclass(checks.CheckFailed, AssertionError)
True
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .methods import METHODS
from .records import Comparison, Results


def _count(n: int, noun: str) -> str:
    """``"1 problem"``, ``"3 problems"``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _all(n: int, noun: str) -> str:
    """``"the one problem"``, ``"all 3 problems"``."""
    return f"the one {noun}" if n == 1 else f"all {n:,} {noun}s"

#: A trained network must beat the best constant by this factor to count as
#: having learned more than the mean. A network that returns a constant --
#: the sample mean, say -- has an error of at least the constant predictor's
#: in exact arithmetic; measured by Monte Carlo (standard error at most a few
#: per cent of the error, checked in E4) it can come out at most ~5% below
#: it. So an error below 1/1.25 = 80% of the constant's is learning, with a
#: margin of four such errors.
CONSTANT_FACTOR = 1.25


class CheckFailed(AssertionError):
    """A chapter's claim does not hold for these results.

    >>> from dnngap import experiments
    >>> try:
    ...     complete_and_finite(Results(experiments.get("e1", "smoke"), [{"rel_l2": float("nan")}]))
    ... except AssertionError as err:
    ...     print(type(err).__name__, err)
    CheckFailed 1 records without a finite error, e.g. [{'rel_l2': nan}]
    """


def _factor(x: float) -> str:
    """A factor for a check's message, at most 3 significant digits (``9.14·10³``)."""
    from .describe import number
    return number(x, 3)


def _example() -> Results:
    """The results the examples of this module check: one problem
    (``exp_cos`` in d = 1, m = 20, best constant predictor's error 0.0174),
    one trial each of CS (error 1e-6), ReLU 1×10 (1e-3) and ReLU 2×20 (0.5,
    a network that learned little)."""
    from .methods import CSMethod, DNNMethod
    from .specs import ExperimentSpec, Problem

    spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
                          (CSMethod(), DNNMethod(1, 10), DNNMethod(2, 20)), trials=1)
    rec = lambda label, kind, err, stop: dict(function="exp_cos", d=1, m=20, trial=0, method=label,  # noqa: E731
                                              method_kind=kind, rel_l2=err, estimator="monte_carlo",
                                              stop_reason=stop)
    return Results(spec, [rec("CS (HC, N ≤ 2000)", "cs", 1e-6, "converged"),
                          rec("ReLU 1×10", "dnn", 1e-3, "epochs"), rec("ReLU 2×20", "dnn", 0.5, "epochs")])


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def complete_and_finite(results: Results) -> str:
    """Every unit is stored and every error is a finite number.

    >>> from dnngap import experiments
    >>> spec = experiments.get("e1", "smoke")
    >>> complete_and_finite(Results(spec, [{"rel_l2": 1e-3}] * 3))
    '3 records, all finite'
    >>> complete_and_finite(Results(spec, [{"rel_l2": 1e-3}, {"rel_l2": None}]))
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: 1 records without a finite error, e.g. [{'rel_l2': None}]
    """
    _require(results.complete, f"{_count(len(results.missing), 'unit')} missing from the store")
    bad = [r for r in results.records if r["rel_l2"] is None or not math.isfinite(r["rel_l2"])]
    _require(not bad, f"{len(bad)} records without a finite error, e.g. {bad[:1]}")
    return f"{len(results.records)} records, all finite"


def solvers_converged(results: Results) -> str:
    """Every CS and existence-network trial certified its convergence.

    >>> from dnngap import experiments
    >>> rec = dict(function="exp_cos", d=1, m=20, method="CS (HC, N ≤ 60)", method_kind="cs")
    >>> res = Results(experiments.get("e1", "smoke"), [rec | {"stop_reason": "converged"},
    ...                                                  rec | {"stop_reason": "converged", "method_kind": "dnn"}])
    >>> solvers_converged(res)
    'the one CS trial converged'
    >>> solvers_converged(Results(res.spec, [rec | {"stop_reason": "max_iter"}]))
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: 1 solver trials did not converge: CS (HC, N ≤ 60) on exp_cos, d = 1, m = 20
    """
    bad = results.unconverged()
    names = sorted({f"{r['method']} on {r['function']}, d = {r['d']}, m = {r['m']}" for r in bad})
    _require(not bad, f"{len(bad)} solver trials did not converge: {'; '.join(names[:5])}")
    solved = [r for r in results.records if METHODS[r["method_kind"]].deterministic]
    kinds = " and ".join(dict.fromkeys("CS" if r["method_kind"] == "cs" else "existence-network" for r in solved))
    return f"{_all(len(solved), (kinds or 'solver') + ' trial')} converged"


def networks_beat_constant(results: Results, factor: float = CONSTANT_FACTOR,
                           problems: list[Comparison] | None = None) -> str:
    """In every problem the best network at the largest ``m`` (or in each
    of ``problems``, comparisons at another ``m``) is at least ``factor``
    below the best constant predictor.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> networks_beat_constant(res)
    'best network below the constant predictor in the one problem (by >= 17.4x)'
    >>> networks_beat_constant(Results(res.spec, [r for r in res.records if r["method"] != "ReLU 1×10"]))
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: best network not below the constant predictor by a factor 1.25: exp_cos, d = 1: ReLU 2×20 5.00e-01 vs constant 1.74e-02
    """
    rows = [c for c in (problems if problems is not None else results.compare()) if c.dnn is not None]
    bad = [c for c in rows if c.dnn_vs_constant > 1 / factor]
    _require(not bad, "best network not below the constant predictor by a factor "
             f"{factor:g}: " + "; ".join(f"{c.function}, d = {c.d}: {c.dnn.method} {c.dnn.geomean:.2e} "
                                          f"vs constant {c.constant:.2e}" for c in bad))
    worst = max(c.dnn_vs_constant for c in rows)
    return f"best network below the constant predictor in {_all(len(rows), 'problem')} (by >= {1 / worst:.1f}x)"


def below_constant(results: Results, factor: float = CONSTANT_FACTOR) -> dict[str, list[tuple[str, int]]]:
    """Per network, the problems where it is *not* at least ``factor`` below
    the constant predictor at the largest ``m`` (empty list: it is everywhere).
    What a chapter's prose says about networks that learned little.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> below_constant(res)
    {'ReLU 1×10': [], 'ReLU 2×20': [('exp_cos', 1)]}
    """
    out: dict[str, list[tuple[str, int]]] = {}
    roles = {m.label: m.role for m in results.spec.methods}
    for p in results.spec.problems:
        m = results.largest_m(p.function, p.d)
        const = results.constant_error(p.function, p.d)
        for label, row in results.at_m(m, function=p.function, d=p.d).items():
            if roles[label] == "network":
                out.setdefault(label, [])
                if row.geomean > const / factor:
                    out[label].append((p.function, p.d))
    return out


def gap_at_least(results: Results, factor: float, problems: list[Comparison] | None = None) -> str:
    """CS beats the best network by at least ``factor`` at the largest ``m``.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> gap_at_least(res, 10)
    'CS beats the best network by >= 10x in 1 problem (least 1.00·10³x)'
    >>> gap_at_least(res, 1e4)
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: gap below 10000: exp_cos, d = 1: CS 1.00e-06, best DNN 1.00e-03
    """
    rows = problems if problems is not None else [c for c in results.compare() if c.cs and c.dnn]
    bad = [c for c in rows if c.gap < factor]
    _require(not bad, f"gap below {factor:g}: " + "; ".join(
        f"{c.function}, d = {c.d}: CS {c.cs.geomean:.2e}, best DNN {c.dnn.geomean:.2e}" for c in bad))
    return f"CS beats the best network by >= {factor:g}x in {_count(len(rows), 'problem')} (least {_factor(min(c.gap for c in rows))}x)"


def e1(results: Results) -> list[str]:
    """E1: complete; solvers converged; networks learned more than the mean;
    CS beats the best network by at least 10x in every dimension.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e1(res)[1:]
    ['the one CS trial converged', 'best network below the constant predictor in the one problem (by >= 17.4x)', 'CS beats the best network by >= 10x in 1 problem (least 1.00·10³x)']
    """
    return [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results),
            gap_at_least(results, 10)]


def largest_complete_m(results: Results) -> int | None:
    """The largest ``m`` at which every unit of the spec is stored (``None``
    if there is none): where a partly computed run can be compared fairly.

    >>> from dnngap import experiments
    >>> spec = experiments.get("e1", "smoke")          # m = 20, 40 in d = 1, 2
    >>> largest_complete_m(Results(spec, [], missing=[u for u in spec.units() if u.m == 40]))
    20
    >>> largest_complete_m(Results(spec, [], missing=spec.units())) is None
    True
    """
    ms = {m for p in results.spec.problems for m in p.m_values} - {u.m for u in results.missing}
    return max(ms, default=None)


def e1_stored(results: Results) -> tuple[int, list[str]]:
    """E1 on what the store holds of a partly computed run (the committed
    paper-scale slice): every stored error finite, every stored solve
    converged, and at ``M =`` :func:`largest_complete_m` the best network
    below the constant predictor and CS better than it by at least 10x.
    Returns ``M`` and the lines.

    Examples
    --------
    The demo problem of :func:`gap_at_least` with a second ``m`` not yet stored:

    >>> from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20, 40)),),
    ...                       (CSMethod(), DNNMethod(1, 10), DNNMethod(2, 20)), trials=1)
    >>> rec = lambda label, kind, err, stop: dict(function="exp_cos", d=1, m=20, trial=0, method=label,
    ...     method_kind=kind, rel_l2=err, estimator="monte_carlo", stop_reason=stop)
    >>> res = Results(spec, [rec("CS (HC, N ≤ 2000)", "cs", 1e-6, "converged"),
    ...                      rec("ReLU 1×10", "dnn", 1e-3, "epochs"), rec("ReLU 2×20", "dnn", 0.5, "epochs")])
    >>> partial = Results(spec, res.records, missing=[u for u in spec.units() if u.m == 40])
    >>> M, lines = e1_stored(partial)
    >>> M, lines[-1]
    (20, 'CS beats the best network by >= 10x in 1 problem (least 1.00·10³x) at m = 20')
    """
    M = largest_complete_m(results)
    _require(M is not None, "no m at which every method is stored")
    bad = [r for r in results.records if r["rel_l2"] is None or not math.isfinite(r["rel_l2"])]
    _require(not bad, f"{len(bad)} records without a finite error, e.g. {bad[:1]}")
    rows = [c for c in results.compare(m=M) if c.cs and c.dnn]
    return M, [f"{len(results.records)} stored records, all finite", solvers_converged(results),
               networks_beat_constant(results, problems=rows) + f" at m = {M}",
               gap_at_least(results, 10, problems=rows) + f" at m = {M}"]


class CurvePeak(NamedTuple):
    """Where an error curve, past its minimum, rises highest (see :func:`curve_peak`).

    >>> peak = curve_peak({20: 0.5, 40: 0.125, 80: 0.5, 160: 0.25}, N=60)
    >>> peak
    CurvePeak(m_low=40, m_peak=80, rise=4.0, near_N=True)
    >>> peak.rise == peak[2]
    True
    """

    m_low: int        #: the m of the smallest error
    m_peak: int       #: the m of the largest error after ``m_low``
    rise: float       #: error at ``m_peak`` / error at ``m_low``
    near_N: bool      #: whether ``m_peak`` is a stored m next to ``N`` (the last below or the first above)


def curve_peak(errors: dict[int, float], N: int) -> CurvePeak | None:
    """Describe an error curve ``m -> error`` past its minimum, against ``N``.

    ``m_low`` minimises the error; ``m_peak`` maximises it over ``m > m_low``;
    ``near_N`` says whether ``m_peak`` is next to ``N``: the last stored
    ``m <= N`` or the first ``m >= N`` (for CS, ``N`` is the size of the index
    set: at ``m = N`` the ``m x N`` sampling matrix is square). Returns None
    when no ``m`` follows the minimum.

    Examples
    --------
    >>> curve_peak({100: 1e-5, 500: 1e-7, 900: 3e-7, 1000: 2e-7}, N=950)
    CurvePeak(m_low=500, m_peak=900, rise=3.0, near_N=True)
    >>> curve_peak({100: 1e-5, 500: 1e-7, 900: 3e-7, 1000: 2e-7}, N=990).near_N  # 900 is next to 990
    True
    >>> curve_peak({100: 1e-5, 500: 1e-7}, N=950) is None
    True
    """
    m_low = min(errors, key=errors.get)
    after = [m for m in errors if m > m_low]
    if not after:
        return None
    m_peak = max(after, key=errors.get)
    below, above = [m for m in errors if m <= N], [m for m in errors if m >= N]
    next_to_N = {max(below, default=None), min(above, default=None)} - {None}
    return CurvePeak(m_low, m_peak, errors[m_peak] / errors[m_low], m_peak in next_to_N)


def architecture_spread(results: Results) -> tuple[float, float]:
    """At the largest ``m`` of the first problem: the factor between the worst
    and the best network *that beat the constant predictor by*
    :data:`CONSTANT_FACTOR`, and the gap from the best network to CS.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> spread, gap = architecture_spread(res)     # only ReLU 1×10 learned: spread 1
    >>> spread, round(gap)
    (1.0, 1000)
    """
    p = results.spec.problems[0]
    m = results.largest_m(p.function, p.d)
    roles = {x.label: x.role for x in results.spec.methods}
    rows = results.at_m(m, function=p.function, d=p.d)
    const = results.constant_error(p.function, p.d)
    learned = [r.geomean for label, r in rows.items()
               if roles[label] == "network" and r.geomean <= const / CONSTANT_FACTOR]
    cs = min(r.geomean for label, r in rows.items() if roles[label] == "cs")
    return max(learned) / min(learned), min(learned) / cs


def e2(results: Results) -> list[str]:
    """E2: as E1, and the networks that learned ``f`` differ among
    themselves by less than the best of them differs from CS.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e2(res)[-1]
    'architecture/activation spread 1.0x < gap to CS 1.00·10³x'
    """
    lines = [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results),
             gap_at_least(results, 10)]
    spread, gap = architecture_spread(results)
    _require(spread < gap, f"architecture/activation spread {spread:.1f}x is not below the gap {gap:.1f}x")
    return lines + [f"architecture/activation spread {spread:.1f}x < gap to CS {_factor(gap)}x"]


def e3(results: Results, easy: tuple[str, int] = ("exp_cos5", 1),
       hard: tuple[str, int] = ("slower_decay_rational", 8)) -> list[str]:
    """E3: networks learned more than the mean everywhere; the gap to CS on
    the ``hard`` problem is at least 10x narrower than on the ``easy`` one.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e3(res)[-1]
    "gap comparison not applicable: ('exp_cos5', 1) or ('slower_decay_rational', 8) not computed in this run"
    """
    lines = [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results)]
    gaps = {(c.function, c.d): c.gap for c in results.compare() if c.cs and c.dnn}
    if easy in gaps and hard in gaps:
        _require(gaps[hard] * 10 <= gaps[easy],
                 f"gap on {hard} ({gaps[hard]:.3g}x) is not 10x narrower than on {easy} ({gaps[easy]:.3g}x)")
        lines.append(f"gap {_factor(gaps[easy])}x on {easy[0]} (d = {easy[1]}) vs {gaps[hard]:.3g}x on "
                     f"{hard[0]} (d = {hard[1]})")
    else:
        lines.append(f"gap comparison not applicable: {easy} or {hard} not computed in this run")
    return lines


def e4(results: Results, factor: float = 2.0) -> list[str]:
    """E4: networks learned more than the mean; on every problem the best
    network is within ``factor`` of CS or better (the abstract's "performing
    well in comparison"), and Monte Carlo errors are measurements (standard
    error below a quarter of the error).

    Examples
    --------
    ``halfspace`` in d = 2, CS's error 0.2 and the network's 0.3 (a factor
    1.5), each measured to 1 %:

    >>> from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("halfspace", 2, (20,)),),
    ...                       (CSMethod(), DNNMethod(1, 10)), trials=1)
    >>> rec = lambda label, kind, err, stop: dict(function="halfspace", d=2, m=20, trial=0, method=label,
    ...     method_kind=kind, rel_l2=err, rel_l2_mc=err, rel_l2_mc_stderr=err / 100, estimator="monte_carlo",
    ...     stop_reason=stop)
    >>> res = Results(spec, [rec("CS (HC, N ≤ 2000)", "cs", 0.2, "converged"), rec("ReLU 1×10", "dnn", 0.3, "epochs")])
    >>> e4(res)[3]
    'best network within 2x of CS or better in 1 problem'
    >>> e4(res, factor=1.2)
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: CS better than the best network by more than a factor 1.2: halfspace, d = 2: 1.50
    """
    lines = [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results)]
    noisy = [r for r in results.records if r["rel_l2_mc_stderr"] >= 0.25 * r["rel_l2_mc"]]
    _require(not noisy, f"{len(noisy)} Monte Carlo errors with a standard error above a quarter of the error")
    rows = [c for c in results.compare() if c.cs and c.dnn]
    bad = [c for c in rows if c.gap > factor]
    _require(not bad, "CS better than the best network by more than a factor "
             f"{factor:g}: " + "; ".join(f"{c.function}, d = {c.d}: {c.gap:.2f}" for c in bad))
    return lines + [f"best network within {factor:g}x of CS or better in {_count(len(rows), 'problem')}",
                    "Monte Carlo standard errors below a quarter of every error"]


def e5(results: Results) -> list[str]:
    """E5: solvers converged and errors finite (what each method achieves per
    function is reported by the chapter, from the data).

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e5(res)
    ['3 records, all finite', 'the one CS trial converged']
    """
    return [complete_and_finite(results), solvers_converged(results)]


def e6(results: Results) -> list[str]:
    """E6: the paper's comparison of test errors: double precision does not
    bring the best network to CS (the gap stays at least 10x) and every
    network learned more than the mean.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e6(res)[2:]
    ['best network below the constant predictor in the one problem (by >= 17.4x)', 'CS beats the best network by >= 10x in 1 problem (least 1.00·10³x)']
    """
    return [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results),
            gap_at_least(results, 10)]


def e7(results: Results, rtol: float = 1e-3, floor: float = 1e-10) -> list[str]:
    """E7: per trial, the existence network's error equals CS's to ``rtol``
    relative to ``max(CS error, floor)`` (below ``floor``, rounding in a
    network of hundreds of layers sets the error), its solver converged, and
    the trained network is at least 10x worse than CS.

    Examples
    --------
    >>> from dnngap.experiments import CSMethod, ExistenceMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
    ...                       (CSMethod(n_max=30), ExistenceMethod(n_max=30)), trials=1)
    >>> rec = lambda label, kind, err: dict(function="exp_cos", d=1, m=20, trial=0, N=30, method=label,
    ...     method_kind=kind, rel_l2=err, estimator="monte_carlo", stop_reason="converged")
    >>> cs, net = "CS (HC, N ≤ 30)", "existence network (N ≤ 30, δ = 1e-08)"
    >>> e7(Results(spec, [rec(cs, "cs", 1e-6), rec(net, "existence", 1.00001e-6)]))[-1]
    'existence network equals CS on the same index set, per trial, to 1.0e-05 (allowed 0.001)'
    >>> e7(Results(spec, [rec(cs, "cs", 1e-6), rec(net, "existence", 2e-6)]))
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: existence network differs from CS by 1.00e+00 (relative) in some trial; allowed 0.001
    """
    lines = [complete_and_finite(results), solvers_converged(results)]
    roles = {m.label: m.role for m in results.spec.methods}
    by_key = {}  # CS and the existence network on the same index set (same N) and trial
    for r in results.records:
        if roles[r["method"]] in ("cs", "existence"):
            by_key[(r["function"], r["d"], r["m"], r["trial"], r["N"], roles[r["method"]])] = r["rel_l2"]
    worst, pairs = 0.0, 0
    for (fn, d, m, t, N, role), e in by_key.items():
        if role == "existence":
            cs = by_key[(fn, d, m, t, N, "cs")]
            worst, pairs = max(worst, abs(e - cs) / max(cs, floor)), pairs + 1
    _require(pairs > 0, "no existence-network trial with a CS trial on the same index set")
    _require(worst <= rtol, f"existence network differs from CS by {worst:.2e} (relative) in some trial; allowed {rtol:g}")
    lines.append(f"existence network equals CS on the same index set, per trial, to {worst:.1e} (allowed {rtol:g})")
    if any(role == "network" for role in roles.values()):
        lines.append(gap_at_least(results, 10))
    return lines


def network_gaps(results: Results) -> dict[str, dict[tuple[str, int], float]]:
    """Per trained network (role ``"network"``, :mod:`.methods`),
    per problem ``(function, d)``: its error over the best CS error at the
    problem's largest ``m`` (geometric means over the trials; > 1: CS is better).

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> {label: round(g[("exp_cos", 1)]) for label, g in network_gaps(res).items()}
    {'ReLU 1×10': 1000, 'ReLU 2×20': 500000}
    """
    roles = {m.label: m.role for m in results.spec.methods}
    out: dict[str, dict[tuple[str, int], float]] = {}
    for p in results.spec.problems:
        rows = results.at_m(results.largest_m(p.function, p.d), function=p.function, d=p.d)
        cs = min((r.geomean for label, r in rows.items() if roles[label] == "cs"), default=None)
        if cs is None:
            continue
        for label, r in rows.items():
            if roles[label] == "network":
                out.setdefault(label, {})[(p.function, p.d)] = r.geomean / cs
    return out


def cs_at_rounding(results: Results) -> set[tuple[str, int]]:
    """The problems ``(function, d)`` where the best CS error at the largest
    ``m`` is below :data:`dnngap.experiments.describe.ROUNDING` (exact to
    rounding): a factor against it measures distance from exact, so
    :func:`network_ranking` leaves them out.

    >>> from dnngap.experiments import CSMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)), Problem("exp_cos", 8, (20,))),
    ...                       (CSMethod(),), trials=1)
    >>> recs = [dict(function="exp_cos", d=d, m=20, trial=0, method="CS (HC, N ≤ 2000)", method_kind="cs",
    ...              rel_l2=e, estimator="monte_carlo", stop_reason="converged") for d, e in ((1, 3e-13), (8, 2e-7))]
    >>> cs_at_rounding(Results(spec, recs))
    {('exp_cos', 1)}
    """
    from .describe import ROUNDING

    roles = {m.label: m.role for m in results.spec.methods}
    out = set()
    for p in results.spec.problems:
        rows = results.at_m(results.largest_m(p.function, p.d), function=p.function, d=p.d)
        cs = min((r.geomean for label, r in rows.items() if roles[label] == "cs"), default=None)
        if cs is not None and cs < ROUNDING:
            out.add((p.function, p.d))
    return out


def network_ranking(results: Results) -> list[str]:
    """Network labels, best first, by the mean over the problems of
    :math:`\\log_{10}` of their error over CS's (:func:`network_gaps`),
    leaving out the problems where CS is exact to rounding
    (:func:`cs_at_rounding`) unless every problem is such.

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> network_ranking(res)
    ['ReLU 1×10', 'ReLU 2×20']
    """
    gaps = network_gaps(results)
    exact = cs_at_rounding(results)

    def score(label: str) -> float:
        kept = [g for problem, g in gaps[label].items() if problem not in exact] or list(gaps[label].values())
        return sum(math.log10(g) for g in kept) / len(kept)

    return sorted(gaps, key=score)


def e8(results: Results, *, ranking: list[str], closers: dict[tuple[str, int], list[str]], close: float,
       learned_little: dict[str, list[tuple[str, int]]]) -> list[str]:
    """E8: what the chapter states, recomputed from the summary statistics.

    Complete and finite; solvers converged; the networks' ``ranking`` is
    :func:`network_ranking`; on each problem the networks within a factor
    ``close`` of CS are exactly ``closers[problem]`` (so on a problem with
    none, CS beats every recipe by more than ``close``); and the networks
    *not* a factor :data:`CONSTANT_FACTOR` below the constant predictor are
    exactly ``learned_little`` (label -> problems; labels with none may be
    omitted).

    Examples
    --------
    >>> res = _example()   # CS 1e-6, ReLU 1×10 1e-3, ReLU 2×20 0.5 (learned little)
    >>> e8(res, ranking=["ReLU 1×10", "ReLU 2×20"], closers={}, close=2.0,
    ...    learned_little={"ReLU 2×20": [("exp_cos", 1)]})[2:4]
    ['ranking as stated: ReLU 1×10 < ReLU 2×20', 'a network within 2x of CS on 0 of 1 problems, as stated']
    >>> e8(res, ranking=["ReLU 2×20", "ReLU 1×10"], closers={}, close=2.0, learned_little={})
    Traceback (most recent call last):
    ...
    dnngap.experiments.checks.CheckFailed: stated ranking ['ReLU 2×20', 'ReLU 1×10'] is not the data's ['ReLU 1×10', 'ReLU 2×20']
    """
    lines = [complete_and_finite(results), solvers_converged(results)]
    actual = network_ranking(results)
    _require(list(ranking) == actual, f"stated ranking {list(ranking)} is not the data's {actual}")
    lines.append("ranking as stated: " + " < ".join(actual))
    gaps = network_gaps(results)
    problems = sorted({pr for per in gaps.values() for pr in per})
    for problem in problems:
        within = sorted(label for label, per in gaps.items() if per.get(problem, math.inf) <= close)
        _require(within == sorted(closers.get(problem, [])),
                 f"{problem}: networks within {close:g}x of CS are {within}, stated {sorted(closers.get(problem, []))}")
    n_closed = sum(bool(closers.get(pr)) for pr in problems)
    lines.append(f"a network within {close:g}x of CS on {n_closed} of {len(problems)} problems, as stated")
    actual_little = {label: sorted(pr) for label, pr in below_constant(results).items() if pr}
    stated_little = {label: sorted(pr) for label, pr in learned_little.items() if pr}
    _require(actual_little == stated_little,
             f"networks not {CONSTANT_FACTOR:g}x below the constant: {actual_little}, stated {stated_little}")
    lines.append(f"networks not {CONSTANT_FACTOR:g}x below the constant predictor as stated: "
                 + (", ".join(actual_little) or "none"))
    return lines


__all__ = ["CONSTANT_FACTOR", "CheckFailed", "architecture_spread", "below_constant", "complete_and_finite",
           "cs_at_rounding",
           "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "gap_at_least", "network_gaps", "network_ranking",
           "networks_beat_constant", "solvers_converged"]
