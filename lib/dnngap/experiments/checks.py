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

from .runner import Comparison, Results

#: A trained network must beat the best constant by this factor to count as
#: having learned the function: with 5+ trials the geometric mean of a
#: network that learned only the mean is within a few per cent of the
#: constant's error, never half of it.
CONSTANT_FACTOR = 2.0


class CheckFailed(AssertionError):
    """A chapter's claim does not hold for these results."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def complete_and_finite(results: Results) -> str:
    """Every unit is stored and every error is a finite number."""
    _require(results.complete, f"{len(results.missing)} units missing from the store")
    bad = [r for r in results.records if r["rel_l2"] is None or not math.isfinite(r["rel_l2"])]
    _require(not bad, f"{len(bad)} records without a finite error, e.g. {bad[:1]}")
    return f"{len(results.records)} records, all finite"


def solvers_converged(results: Results) -> str:
    """Every CS and existence-network trial certified its convergence."""
    bad = results.unconverged()
    names = sorted({f"{r['method']} on {r['function']}, d = {r['d']}, m = {r['m']}" for r in bad})
    _require(not bad, f"{len(bad)} solver trials did not converge: {'; '.join(names[:5])}")
    n = sum(r["method_kind"] in ("cs", "existence") for r in results.records)
    return f"all {n} CS/existence trials converged"


def networks_beat_constant(results: Results, factor: float = CONSTANT_FACTOR) -> str:
    """In every problem the best network at the largest ``m`` is at least
    ``factor`` below the best constant predictor."""
    rows = [c for c in results.compare() if c.dnn is not None]
    bad = [c for c in rows if c.dnn_vs_constant > 1 / factor]
    _require(not bad, "best network not below the constant predictor by a factor "
             f"{factor:g}: " + "; ".join(f"{c.function}, d = {c.d}: {c.dnn.method} {c.dnn.geomean:.2e} "
                                          f"vs constant {c.constant:.2e}" for c in bad))
    worst = max(c.dnn_vs_constant for c in rows)
    return f"best network below the constant predictor in all {len(rows)} problems (by >= {1 / worst:.1f}x)"


def below_constant(results: Results, factor: float = CONSTANT_FACTOR) -> dict[str, list[tuple[str, int]]]:
    """Per network, the problems where it is *not* at least ``factor`` below
    the constant predictor at the largest ``m`` (empty list: it is everywhere).
    What a chapter's prose says about networks that learned little."""
    out: dict[str, list[tuple[str, int]]] = {}
    kinds = {m.label: m.kind for m in results.spec.methods}
    for p in results.spec.problems:
        m = results.largest_m(p.function, p.d)
        const = results.constant_error(p.function, p.d)
        for label, row in results.best(m=m, function=p.function, d=p.d).items():
            if kinds[label] == "dnn":
                out.setdefault(label, [])
                if row.geomean > const / factor:
                    out[label].append((p.function, p.d))
    return out


def gap_at_least(results: Results, factor: float, problems: list[Comparison] | None = None) -> str:
    """CS beats the best network by at least ``factor`` at the largest ``m``."""
    rows = problems if problems is not None else [c for c in results.compare() if c.cs and c.dnn]
    bad = [c for c in rows if c.gap < factor]
    _require(not bad, f"gap below {factor:g}: " + "; ".join(
        f"{c.function}, d = {c.d}: CS {c.cs.geomean:.2e}, best DNN {c.dnn.geomean:.2e}" for c in bad))
    return f"CS beats the best network by >= {factor:g}x in {len(rows)} problems (least {min(c.gap for c in rows):,.0f}x)"


def e1(results: Results) -> list[str]:
    """E1: complete; solvers converged; networks learned more than the mean;
    CS beats the best network by at least 10x in every dimension."""
    return [complete_and_finite(results), solvers_converged(results), networks_beat_constant(results),
            gap_at_least(results, 10)]


__all__ = ["CONSTANT_FACTOR", "CheckFailed", "below_constant", "complete_and_finite", "e1",
           "gap_at_least", "networks_beat_constant", "solvers_converged"]
