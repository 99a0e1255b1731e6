"""Check stored results by recomputing a sample of them.

A stored unit is trusted because its key names its configuration and the
numerics versions of the code (:mod:`.store`). :func:`verify` checks that
trust: it recomputes some stored units (without writing to the store) and
compares the numbers. It catches a change that alters numbers without a bump
of ``NUMERICS_VERSION``, a file edited by hand (the checksum only detects
accidental damage: an edited file with a recomputed checksum reads as valid),
and results computed by other code than the one at hand.

Tolerances
----------
CS and the existence network are deterministic up to floating-point rounding
(BLAS, thread count, CPU or GPU): the solver stops at a certified duality gap,
so a different rounding moves the solution by far less than the gap. Their
errors and objective are compared with :data:`EXACT_RTOL` (above
:data:`EXACT_ATOL`), and their iteration counts and stop reasons exactly.

DNNs are trained in float32 over thousands of epochs, possibly on another
device, thread count or grouping of the trials into batches. Rounding
differences grow along the training trajectory, so the trained networks agree
only approximately. Their errors and training loss are compared through the
geometric mean over the unit's trials (the statistic the figures show) with
:data:`DNN_RTOL`, and each trial's errors within :data:`DNN_TRIAL_RTOL`;
epochs and stop reasons are not compared. A trial's sparse-grid error is not
compared on its own where the unit's primary estimator is Monte Carlo: the
runner recorded then that the grid misjudges this unit's error (a ReLU
network's kinks), and such a grid number is unstable. Measured on the
committed E1 unit ReLU 1×10, d = 8, m = 525 (20 trials, 50,000 epochs,
recomputed on the same CPU): 18 trials reproduced to 4 digits, two trained to
networks whose Monte Carlo error differed by 5% and 7%, and the grid error of
one of them moved from 0.016 to 0.038 (its Monte Carlo error being 0.003);
the geometric mean of the grid errors moved 4%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import runner
from .execution import compute_groups
from .specs import ExperimentSpec, Unit
from .store import Store

if TYPE_CHECKING:
    from distributed import Client

#: Fields compared as numbers (relative difference).
NUMBER_FIELDS: tuple[str, ...] = ("rel_l2", "rel_l2_grid", "rel_l2_mc", "linf", "train_loss")
#: Fields compared exactly, for CS and the existence network only.
EXACT_FIELDS: tuple[str, ...] = ("epochs", "stop_reason")

#: CS / existence: relative tolerance per trial. Recomputing on the same
#: machine gives identical numbers; a different BLAS or thread count changes
#: the iterates at rounding level (1e-12 relative, amplified by the
#: conditioning of the LASSO to at most ~1e-8 before the certified gap stops
#: the solver). 1e-4 leaves four orders of magnitude of margin and still
#: catches any real change of the method (those move errors by percents).
EXACT_RTOL: float = 1e-4
#: CS / existence: absolute floor. Errors at rounding level (an interpolated
#: polynomial, ~1e-14) differ by their own size between machines.
EXACT_ATOL: float = 1e-10

#: DNN: relative tolerance on the geometric mean over the unit's trials of
#: each number field (relative to the larger of the two). Measured by
#: recomputing e1 units on this project's 2-core CPU in float32 (smoke: 200
#: epochs; ci: 3,000 epochs; 1x10 and 4x40 ReLU networks, d = 1, 2, m = 20 to
#: 100): 1 vs 2 threads gave identical numbers; training several m as one
#: masked batch moved geometric means of the error by at most 5e-6 and single
#: trials by 1.5e-5 (train loss 4e-5); perturbing the data by one float32 ulp,
#: a proxy for another device's rounding, moved geometric means by at most
#: 5.3e-5, single trials by 1.3e-4 (train loss 6e-4). Rounding differences grow
#: with the length of training, and recomputing a paper-scale (50,000-epoch)
#: unit on another device was not measured, hence a tolerance 2,000 times the
#: largest measured difference: 10%.
DNN_RTOL: float = 0.10
#: DNN: relative tolerance per trial on the errors (not the training loss, which
#: near the stopping tolerance varies more): within a factor of 2. Catches an
#: edited trial that the geometric mean over 20 trials would dilute.
DNN_TRIAL_RTOL: float = 0.5
#: The DNN fields compared per trial as well.
DNN_TRIAL_FIELDS: tuple[str, ...] = ("rel_l2", "rel_l2_grid", "rel_l2_mc", "linf")


@dataclass(frozen=True)
class Mismatch:
    """One field of one unit that differs beyond tolerance.

    ``difference`` is the largest relative difference over the unit's trials
    (CS, existence; DNNs when one trial is off) or of the geometric means
    (DNNs); ``inf`` for a value present on one side only or an exact field
    that differs. ``stored`` and ``recomputed`` are the values compared.
    """

    key: str
    unit: str
    field: str
    stored: Any
    recomputed: Any
    difference: float

    def __str__(self) -> str:
        return (f"{self.unit} [{self.key}]: {self.field} differs by {self.difference:.3g} "
                f"(stored {self.stored!r}, recomputed {self.recomputed!r})")


@dataclass
class VerifyReport:
    """What :func:`verify` checked and what failed.

    ``checked`` lists the units recomputed (their descriptions), ``mismatches``
    every field beyond tolerance, ``largest`` the largest relative difference
    seen per field over all units (within tolerance or not).
    """

    spec: str
    stored: int
    checked: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    largest: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when some unit was checked and none differed: a verify that
        checked nothing does not pass."""
        return bool(self.checked) and not self.mismatches

    def failed_units(self) -> list[str]:
        return list(dict.fromkeys(m.unit for m in self.mismatches))

    def __str__(self) -> str:
        head = (f"verify {self.spec}: {len(self.checked)} of {self.stored} stored units recomputed, "
                f"{len(self.failed_units())} failed")
        lines = [head] + [f"  checked: {c}" for c in self.checked]
        lines += [f"  largest relative difference of {k}: {v:.3g}" for k, v in sorted(self.largest.items())]
        lines += [f"  FAILED {m}" for m in self.mismatches]
        if not self.checked:
            lines.append("  nothing to verify: no stored unit of this spec")
        return "\n".join(lines)


def verify(spec: ExperimentSpec, store: Store | None = None, *, sample: int = 3, cheapest: bool = False,
           seed: int = 0, client: Client | None = None) -> VerifyReport:
    """Recompute ``sample`` stored units of ``spec`` and compare the numbers.

    Parameters
    ----------
    spec
        The experiment whose stored units are checked.
    store
        Default :class:`Store` ``()``. Nothing is written to it.
    sample
        How many stored units to recompute (all of them if fewer are stored).
    cheapest
        Pick the units with the smallest stored compute time (sum of the
        records' ``wall_time``) rather than at random.
    seed
        Seed of ``numpy.random.default_rng`` for the random pick.
    client
        A :class:`distributed.Client` to recompute on; ``None``: in this process.

    Returns
    -------
    VerifyReport
        Its ``passed`` is false if any field differs beyond the module's
        tolerances, or if no stored unit was found.
    """
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
        raise ValueError(f"sample must be an integer >= 1; got {sample!r}")
    store = store or Store()
    stored = {u: p for u in spec.units() if (p := store.read(u.key)) is not None}
    report = VerifyReport(spec.name, len(stored))
    chosen = _choose(list(stored), stored, sample, cheapest, seed)
    for group, records in compute_groups(runner.plan(chosen), client):
        for unit, fresh in zip(group, records):
            report.checked.append(_describe(unit))
            _compare(unit, stored[unit]["records"], fresh, report)
    return report


def _choose(units: list[Unit], stored: dict, sample: int, cheapest: bool, seed: int) -> list[Unit]:
    if cheapest:
        cost = {u: sum(r.get("wall_time") or 0.0 for r in stored[u]["records"]) for u in units}
        return sorted(units, key=cost.__getitem__)[:sample]
    picks = np.random.default_rng(seed).permutation(len(units))[:sample]
    return [units[i] for i in sorted(picks)]


def _describe(unit: Unit) -> str:
    return f"{unit.problem.label}, {unit.method.label}, m = {unit.m} [{unit.key}]"


def _relative(a: float, b: float, atol: float = 0.0) -> float:
    """``|a - b| / max(|a|, |b|)``, 0 when both are within ``atol`` of each other."""
    if a == b or abs(a - b) <= atol:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def _compare(unit: Unit, old: list[dict], new: list[dict], report: VerifyReport) -> None:
    label = _describe(unit).rsplit(" [", 1)[0]
    fail = lambda name, a, b, diff: report.mismatches.append(Mismatch(unit.key, label, name, a, b, diff))
    if len(old) != len(new):
        fail("trials", len(old), len(new), math.inf)
        return
    old = sorted(old, key=lambda r: r["trial"])
    new = sorted(new, key=lambda r: r["trial"])
    dnn = unit.method.kind in ("dnn", "recipe")  # trained networks
    for name in NUMBER_FIELDS:
        a = [r.get(name) for r in old]
        b = [r.get(name) for r in new]
        if [x is None for x in a] != [x is None for x in b]:
            fail(name, a, b, math.inf)
            continue
        pairs = [(x, y) for x, y in zip(a, b) if x is not None]
        if not pairs:
            continue
        if dnn:
            diff = _geomean_difference(pairs)
            worst = (_geomean(p[0] for p in pairs), _geomean(p[1] for p in pairs))
            tol = DNN_RTOL
            if name in DNN_TRIAL_FIELDS and not (name == "rel_l2_grid" and _grid_not_primary(old)):
                trial = max(_relative(x, y) for x, y in pairs)
                if trial > DNN_TRIAL_RTOL and diff <= tol:  # report the per-trial failure
                    i = int(np.argmax([_relative(x, y) for x, y in pairs]))
                    diff, worst, tol = trial, pairs[i], DNN_TRIAL_RTOL
        else:
            diffs = [_relative(x, y, EXACT_ATOL) for x, y in pairs]
            diff = max(diffs)
            worst = pairs[int(np.argmax(diffs))]
            tol = EXACT_RTOL
        report.largest[name] = max(report.largest.get(name, 0.0), diff)
        if not diff <= tol:
            fail(name, worst[0], worst[1], diff)
    if not dnn:
        for name in EXACT_FIELDS:
            for x, y in zip(old, new):
                if x.get(name) != y.get(name):
                    fail(name, x.get(name), y.get(name), math.inf)
                    break


def _grid_not_primary(records: list[dict]) -> bool:
    """Whether the unit's stored primary estimator is not the sparse grid
    (the runner judged the grid unreliable for it, or was asked for Monte Carlo)."""
    return any(r.get("estimator") != "sparse_grid" for r in records)


def _geomean(values) -> float:
    vals = np.abs(np.asarray(list(values), float))
    vals = np.maximum(vals, np.finfo(float).tiny)
    return float(np.exp(np.mean(np.log(vals))))


def _geomean_difference(pairs: list[tuple[float, float]]) -> float:
    return _relative(_geomean(p[0] for p in pairs), _geomean(p[1] for p in pairs))
