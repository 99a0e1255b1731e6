"""Check stored results by recomputing a sample of them.

A stored unit is trusted because its key names its configuration and the
numerics versions of the code (:mod:`.store`). :func:`verify` checks that
trust: it recomputes some stored units (without writing to the store) and
compares the numbers. It catches a change that alters numbers without a bump
of ``NUMERICS_VERSION``, a file edited by hand (the checksum only detects
accidental damage: an edited file with a recomputed checksum reads as valid),
and results computed by other code than the one at hand.

:func:`verify_committed` does the same for the results committed to git
(the unit files that ``git ls-files`` lists under the store's root): a
sample that covers every method kind present, drawn afresh for every commit
and sized to a time budget (``make verify``, which CI runs).

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
network's kinks), and such a grid number is unstable. The measurements
behind the tolerances are in ``book/performance.md`` ("Recomputing stored
results").
"""

from __future__ import annotations

import math
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import planning
from .records import migrate, read_records
from .execution import compute_units
from .specs import ExperimentSpec, Problem, Sampler, TestSpec, Unit, method_from_dict
from .store import Store

if TYPE_CHECKING:
    from distributed import Client

#: Fields compared as numbers (relative difference).
NUMBER_FIELDS: tuple[str, ...] = ("rel_l2", "rel_l2_grid", "abs_l2_grid", "rel_l2_mc", "linf", "train_loss")
#: Fields compared exactly, for CS and the existence network only.
EXACT_FIELDS: tuple[str, ...] = ("steps", "stop_reason")

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
#: each number field (relative to the larger of the two): 10%, 2,000 times
#: the largest difference measured between recomputations (see
#: ``book/performance.md``, "Recomputing stored results").
DNN_RTOL: float = 0.10
#: DNN: relative tolerance per trial on the errors (not the training loss, which
#: near the stopping tolerance varies more): within a factor of 2. Catches an
#: edited trial that the geometric mean over 20 trials would dilute.
DNN_TRIAL_RTOL: float = 0.5
#: The DNN fields compared per trial as well.
DNN_TRIAL_FIELDS: tuple[str, ...] = ("rel_l2", "rel_l2_grid", "abs_l2_grid", "rel_l2_mc", "linf")
#: Sparse-grid fields, compared per trial only where the grid is the unit's primary estimator.
GRID_FIELDS: tuple[str, ...] = ("rel_l2_grid", "abs_l2_grid")


@dataclass(frozen=True)
class Mismatch:
    """One field of one unit that differs beyond tolerance.

    ``difference`` is the largest relative difference over the unit's trials
    (CS, existence; DNNs when one trial is off) or of the geometric means
    (DNNs); ``inf`` for a value present on one side only or an exact field
    that differs. ``stored`` and ``recomputed`` are the values compared.

    >>> print(Mismatch("0123abcd", "exp_cos, d = 1, CS (HC, N ≤ 60), m = 20", "rel_l2", 1e-6, 2e-6, 0.5))
    exp_cos, d = 1, CS (HC, N ≤ 60), m = 20 [0123abcd]: rel_l2 differs by 0.5 (stored 1e-06, recomputed 2e-06)
    """

    key: str
    unit: str
    field: str
    stored: Any
    recomputed: Any
    difference: float

    def __str__(self) -> str:
        if self.field == "file":  # a damaged file: ``unit`` says what is wrong
            return f"{self.unit} [{self.key}]"
        return (f"{self.unit} [{self.key}]: {self.field} differs by {self.difference:.3g} "
                f"(stored {self.stored!r}, recomputed {self.recomputed!r})")


@dataclass
class VerifyReport:
    """What :func:`verify` checked and what failed.

    ``checked`` lists the units recomputed (their descriptions), ``mismatches``
    every field beyond tolerance, ``largest`` the largest relative difference
    seen per field over all units (within tolerance or not).

    Examples
    --------
    >>> VerifyReport("e1", stored=0).passed          # nothing checked: no pass
    False
    >>> unit = "exp_cos, d = 1, CS (HC, N ≤ 60), m = 20"
    >>> report = VerifyReport("e1", stored=3, checked=[f"{unit} [0123abcd]"],
    ...                       mismatches=[Mismatch("0123abcd", unit, "rel_l2", 1e-6, 2e-6, 0.5)])
    >>> report.passed, report.failed_units()
    (False, ['exp_cos, d = 1, CS (HC, N ≤ 60), m = 20'])
    >>> print(report)
    verify e1: 1 of 3 stored units recomputed, 1 failed
      checked: exp_cos, d = 1, CS (HC, N ≤ 60), m = 20 [0123abcd]: FAILED
      FAILED exp_cos, d = 1, CS (HC, N ≤ 60), m = 20 [0123abcd]: rel_l2 differs by 0.5 (stored 1e-06, recomputed 2e-06)
    """

    spec: str
    stored: int
    checked: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    largest: dict[str, float] = field(default_factory=dict)
    #: Per checked unit (its description): its kind, and how long it took.
    details: dict[str, str] = field(default_factory=dict)
    #: Lines printed before the units (e.g. how the sample was drawn).
    notes: list[str] = field(default_factory=list)
    #: Whether a report that checked nothing passes (:func:`verify_committed`
    #: with nothing committed), and what it then says.
    empty_passes: bool = False
    empty_message: str = "nothing to verify: no stored unit of this spec"

    @property
    def passed(self) -> bool:
        """True when some unit was checked and none differed: a verify that
        checked nothing does not pass (unless ``empty_passes``)."""
        return (bool(self.checked) or self.empty_passes) and not self.mismatches

    def failed_units(self) -> list[str]:
        return list(dict.fromkeys(m.unit for m in self.mismatches))

    def __str__(self) -> str:
        head = (f"verify {self.spec}: {len(self.checked)} of {self.stored} stored units recomputed, "
                f"{len(self.failed_units())} failed")
        failed = set(self.failed_units())
        lines = [head] + [f"  {note}" for note in self.notes]
        for c in self.checked:
            result = "FAILED" if c.rsplit(" [", 1)[0] in failed else "ok"
            detail = f" ({self.details[c]})" if c in self.details else ""
            lines.append(f"  checked: {c}: {result}{detail}")
        lines += [f"  largest relative difference of {k}: {v:.3g}" for k, v in sorted(self.largest.items())]
        lines += [f"  FAILED {m}" for m in self.mismatches]
        if not self.checked and not self.mismatches:
            lines.append(f"  {self.empty_message}")
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

    Examples
    --------
    >>> import tempfile
    >>> from dnngap import experiments
    >>> spec = experiments.get("cs_convergence", "smoke")
    >>> store = Store(tempfile.mkdtemp())
    >>> verify(spec, store).passed          # nothing stored: nothing verified
    False
    >>> _ = experiments.run(spec, store, progress=False)
    >>> report = verify(spec, store, sample=2)
    >>> report.passed, len(report.checked)
    (True, 2)
    """
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
        raise ValueError(f"sample must be an integer >= 1; got {sample!r}")
    store = store or Store()
    stored = {u: {"records": r} for u in spec.units() if (r := read_records(store, u)) is not None}
    report = VerifyReport(spec.name, len(stored))
    chosen = _choose(list(stored), stored, sample, cheapest, seed)
    _recompute(chosen, {u: p["records"] for u, p in stored.items()}, report, client)
    return report


def _recompute(units: list[Unit], stored: dict[Unit, list[dict]], report: VerifyReport,
               client: Client | None, log: Callable[[str], None] | None = None) -> None:
    """Recompute ``units`` (without writing them) and compare with their stored records."""
    start = last = time.perf_counter()
    for unit, fresh in compute_units(units, client):
        now = time.perf_counter()
        desc = _describe(unit)
        report.checked.append(desc)
        before = len(report.mismatches)
        _compare(unit, stored[unit], fresh, report)
        took = f"recomputed in {now - last:.0f} s" if client is None else f"done after {now - start:.0f} s"
        report.details[desc] = f"{unit.method.kind}, {took}"
        if log:
            result = "ok" if len(report.mismatches) == before else "FAILED"
            log(f"  {result}: {desc} ({report.details[desc]})")
        last = now


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
    dnn = not unit.method.deterministic  # trained networks: compared through their geometric means
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
            if name in DNN_TRIAL_FIELDS and not (name in GRID_FIELDS and _grid_not_primary(old)):
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


# ---------------------------------------------------------------------------
# committed results
# ---------------------------------------------------------------------------
#: Default time budget of :func:`verify_committed`, in seconds of recomputing
#: on one core as the stored wall times predict: half of CI's 5 minutes,
#: because those times were measured on other, possibly busier, cores.
COMMITTED_BUDGET: float = 150.0


def _git(root: Path, *args: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def committed_keys(store: Store) -> list[str] | None:
    """Keys of the unit files tracked by git under the store's root
    (``git ls-files``); ``None`` when the root is not in a git checkout.

    >>> import subprocess, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = Store(folder.name)
    >>> _ = store.write("0123abcd", {"m": 20}, [])
    >>> committed_keys(store) is None, committed_keys(Store(folder.name + "/absent"))
    (True, [])
    >>> git = lambda *args: subprocess.run(["git", "-C", folder.name, "-c", "user.name=doc",
    ...                                     "-c", "user.email=doc@example.org", *args], check=True, capture_output=True)
    >>> _ = git("init", "-q"), git("add", "."), git("commit", "-q", "-m", "results")
    >>> committed_keys(store)
    ['0123abcd']
    >>> folder.cleanup()
    """
    if not store.root.is_dir():
        return []
    out = _git(store.root, "ls-files", "-z", "--", ".")
    if out is None:
        return None
    keys = []
    for name in filter(None, out.split("\0")):
        path = Path(name)
        if path.suffix == ".json" and len(path.parts) == 2 and path.parent.name == path.stem[:2]:
            keys.append(path.stem)
    return sorted(keys)


def commit_seed(store: Store) -> tuple[int, str] | None:
    """A seed from the commit checked out at the store's root, and the
    commit's short name; ``None`` outside a git checkout.

    The seed is the commit's first 16 hex digits, the name its first 12:

    >>> import subprocess, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> commit_seed(Store(folder.name)) is None
    True
    >>> git = lambda *args: subprocess.run(["git", "-C", folder.name, "-c", "user.name=doc",
    ...                                     "-c", "user.email=doc@example.org", *args], check=True, capture_output=True)
    >>> _ = git("init", "-q"), git("commit", "-q", "--allow-empty", "-m", "empty")
    >>> seed, name = commit_seed(Store(folder.name))
    >>> len(name), seed >> 16 == int(name, 16)
    (12, True)
    >>> folder.cleanup()
    """
    out = _git(store.root, "rev-parse", "HEAD") if store.root.is_dir() else None
    if not out:
        return None
    sha = out.strip()
    return int(sha[:16], 16), sha[:12]


def unit_from_config(config: dict[str, Any]) -> Unit:
    """The :class:`Unit` a stored configuration (``Unit.config()``) describes,
    in a one-problem, one-method spec; its key is the stored key when the
    configuration is intact and its numerics versions are the current ones.

    Raises ``ValueError`` (or ``KeyError``/``TypeError``) on a configuration
    this code cannot read.

    >>> from dnngap import experiments
    >>> unit = experiments.get("e1", "smoke").units()[-1]
    >>> again = unit_from_config(unit.config())
    >>> again.key == unit.key, again.spec.name, again.method == unit.method
    (True, 'committed', True)
    >>> unit_from_config({**unit.config(), "method": {"kind": "svm"}})
    Traceback (most recent call last):
    ...
    ValueError: method.kind must be one of 'cs', 'dnn', 'existence', 'finetune', 'recipe'; got 'svm'
    """
    method = method_from_dict(config["method"])
    d, m = int(config["d"]), int(config["m"])
    problem = Problem(config["function"], d, (m,))
    test = config["test"]
    spec = ExperimentSpec(
        name="committed", title="a stored unit", scale="paper",  # neither is part of the key
        problems=(problem,), methods=(method,), trials=int(config["trials"]),
        sampler=Sampler(**config["sampler"]),
        test=TestSpec(estimator=test["estimator"], grid_levels=((d, int(test["grid_level"])),),
                      mc_points=int(test["mc_points"]), seed=int(test["seed"])),
        plot_points=int(config.get("plot_points", 0)))
    return Unit(spec, problem, method, m)


@dataclass(frozen=True)
class Candidate:
    """A committed unit that can be recomputed, and its estimated cost:
    ``seconds`` on one core (``None``: unknown, e.g. computed on a GPU with
    no CPU measurement of its cost class).

    >>> from dnngap import experiments
    >>> unit = experiments.get("e1", "smoke").units()[0]
    >>> Candidate(unit, [], 1.5).kind, Candidate(unit, [], None).seconds
    ('cs', None)
    """

    unit: Unit
    records: list[dict]
    seconds: float | None

    @property
    def kind(self) -> str:
        return self.unit.method.kind


@dataclass
class CommittedSample:
    """What :func:`sample_committed` found and chose.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:       # not in a git checkout
    ...     sample = sample_committed(Store(folder))
    >>> sample.committed, sample.kinds, sample.chosen, sample.commit, sample.budget
    (0, [], [], None, 150.0)
    """

    committed: int
    candidates: list[Candidate]
    chosen: list[Candidate]
    seed: int | None
    commit: str | None
    budget: float
    stale: list[str] = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """Method kinds among the committed units that this code can recompute."""
        return sorted({c.kind for c in self.candidates})


def _estimate(unit: Unit, records: list[dict], models: dict) -> float | None:
    """Seconds to recompute ``unit`` on one CPU core: its stored wall time
    if it ran on a CPU (× threads), else the CPU cost model's estimate."""
    device, threads = planning.parse_device(records[0].get("device", "cpu")) if records else ("cpu", 1)
    times = [r.get("wall_time") for r in records]
    if device == planning.CPU and times and all(isinstance(t, (int, float)) and t > 0 for t in times):
        return float(sum(times)) * threads
    model = models.get((planning.cost_class(unit.method), planning.CPU))
    if model is None:
        return None
    return model.seconds(planning.size(unit.method, unit.problem.d), unit.m) * unit.spec.trials


def _pick(group: list[Candidate], budget: float, rng: np.random.Generator,
          limit: float, kinds: int = 1) -> tuple[Candidate | None, str | None]:
    """One unit of a kind: at random among those estimated within ``budget``;
    else the cheapest known, unless even it is estimated beyond ``limit``
    (then none, and a note saying how to check it); else at random among
    the unknown."""
    within = [c for c in group if c.seconds is not None and c.seconds <= budget]
    if within:
        return within[int(rng.integers(len(within)))], None
    known = [c for c in group if c.seconds is not None]
    if known:
        pick = min(known, key=lambda c: c.seconds)
        if pick.seconds > limit:
            return None, (f"no {pick.kind} unit is checked: the cheapest is estimated at {pick.seconds:.0f} s, "
                          f"beyond {limit:.0f} s (twice the budget); `python -m dnngap verify --committed "
                          f"--budget {math.ceil(pick.seconds * kinds)}` or more checks it")
        return pick, f"no {pick.kind} unit fits {budget:.0f} s: the cheapest ({pick.seconds:.0f} s) is checked"
    pick = group[int(rng.integers(len(group)))]
    return pick, f"no {pick.kind} unit has a CPU time to estimate from: one is checked at random"


def sample_committed(store: Store | None = None, *, budget: float = COMMITTED_BUDGET,
                     seed: int | None = None) -> CommittedSample:
    """Choose the committed units that :func:`verify_committed` recomputes.

    One unit per method kind present among the committed units, so that
    every kind is checked: the budget is split evenly between the kinds, and
    each kind's unit is drawn at random among those whose estimated time to
    recompute on one core (the stored wall time, see :func:`_estimate`) fits
    its share; where none fits, its cheapest — unless even that one is
    estimated beyond twice the whole budget: that kind is then not checked,
    and a note says which budget would check it. The draw is seeded by the
    commit checked out, so successive commits check different units.

    Parameters
    ----------
    store
        Default :class:`Store` ``()``; its root must be in a git checkout for
        any unit to count as committed.
    budget
        Seconds, > 0, for all the units together (estimated).
    seed
        Seed of the draw; default: from the current commit.

    Returns
    -------
    CommittedSample
        Also lists the committed units that cannot be checked: ``damaged``
        (unreadable, or a configuration that does not hash to its key: a
        failure) and ``stale`` (computed with other numerics versions: the
        book does not use them, so they are not checked).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sample = sample_committed(Store(folder), seed=3)
    >>> sample.committed, sample.seed, sample.notes  # doctest: +ELLIPSIS
    (0, 3, ['... is not in a git checkout: no committed results'])
    >>> sample_committed(Store(folder), budget=0)
    Traceback (most recent call last):
    ...
    ValueError: budget must be a number of seconds > 0; got 0
    """
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0:
        raise ValueError(f"budget must be a number of seconds > 0; got {budget!r}")
    store = store or Store()
    keys = committed_keys(store)
    notes = []
    if keys is None:
        notes.append(f"{store.root} is not in a git checkout: no committed results")
        keys = []
    found = commit_seed(store)
    commit = found[1] if found else None
    if seed is None:
        seed = found[0] if found else 0
    candidates, stale, damaged, measurements = [], [], [], []
    for key in keys:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            payload = store.read(key)
        if payload is None:
            damaged.append((key, f"{store.path(key)}: unreadable or wrong checksum"))
            continue
        try:
            unit = unit_from_config(payload["config"])
        except (KeyError, TypeError, ValueError) as exc:
            stale.append(f"{store.path(key)}: a configuration this code cannot read ({exc})")
            continue
        if unit.key != key:
            current = unit.config()["numerics"]
            if payload["config"].get("numerics") != current:
                stale.append(f"{_describe(unit).rsplit(' [', 1)[0]} [{key}]: numerics "
                             f"{payload['config'].get('numerics')}, now {current}")
            else:
                damaged.append((key, f"{store.path(key)}: its configuration does not hash to its key"))
            continue
        candidates.append((unit, migrate(payload["records"], unit)))
        if (meas := planning.measurement(key, payload)) is not None:
            measurements.append(meas)
    models = planning.fit_models(measurements)
    pool = [Candidate(u, r, _estimate(u, r, models)) for u, r in candidates]
    sample = CommittedSample(len(keys), pool, [], seed, commit, float(budget), stale, damaged, notes)
    kinds = sample.kinds
    rng = np.random.default_rng(seed)
    for kind in kinds:
        pick, note = _pick([c for c in pool if c.kind == kind], budget / len(kinds), rng, limit=2 * budget,
                           kinds=len(kinds))
        if pick is not None:
            sample.chosen.append(pick)
        if note:
            notes.append(note)
    return sample


def verify_committed(store: Store | None = None, *, budget: float = COMMITTED_BUDGET, seed: int | None = None,
                     client: Client | None = None, log: Callable[[str], None] | None = None) -> VerifyReport:
    """Recompute a sample of the committed units, one per method kind, and
    compare the numbers (with :func:`verify`'s tolerances).

    Parameters
    ----------
    store
        Default :class:`Store` ``()``. Nothing is written to it.
    budget, seed
        See :func:`sample_committed`.
    client
        A :class:`distributed.Client` to recompute on; ``None``: in this process.
    log
        Called with a line per unit as it is recomputed (e.g. ``print``).

    Returns
    -------
    VerifyReport
        Passes when no checked unit differs and no committed file is damaged;
        also when nothing is committed (and says so).

    Examples
    --------
    Two CS units computed, committed to a new git repository, and one of
    them recomputed:

    >>> import subprocess, tempfile
    >>> from dnngap import experiments
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = Store(folder.name)
    >>> spec = experiments.get("cs_convergence", "smoke", m_values=[20])
    >>> _ = experiments.run(spec, store, progress=False)
    >>> git = lambda *args: subprocess.run(["git", "-C", folder.name, "-c", "user.name=doc",
    ...                                     "-c", "user.email=doc@example.org", *args], check=True, capture_output=True)
    >>> _ = git("init", "-q"), git("add", "."), git("commit", "-q", "-m", "results")
    >>> report = verify_committed(store)
    >>> report.passed, report.stored, len(report.checked), report.largest["rel_l2"]
    (True, 2, 1, 0.0)
    >>> folder.cleanup()
    """
    sample = sample_committed(store, budget=budget, seed=seed)
    report = VerifyReport("committed results", sample.committed, empty_passes=True,
                          empty_message="nothing to verify: no committed results")
    how = (f"seed {sample.seed} (from commit {sample.commit})" if sample.commit and seed is None
           else f"seed {sample.seed}")
    if sample.committed:
        report.notes.append(f"kinds committed: {', '.join(sample.kinds) or 'none readable'}; one unit each, "
                            f"drawn with {how} within {sample.budget:.0f} s estimated")
    report.notes += sample.notes
    if sample.stale:
        report.notes.append(f"{len(sample.stale)} committed units are stale (not used by the book, "
                            "not checked): " + "; ".join(sample.stale[:3]) + (" …" if len(sample.stale) > 3 else ""))
    for key, why in sample.damaged:
        report.mismatches.append(Mismatch(key, why, "file", None, None, math.inf))
    if log:
        for line in report.notes:
            log(line)
        for c in sample.chosen:
            est = "unknown" if c.seconds is None else f"{c.seconds:.0f} s"
            log(f"  recomputing: {_describe(c.unit)} ({c.kind}, estimated {est})")
    _recompute([c.unit for c in sample.chosen], {c.unit: c.records for c in sample.chosen}, report,
               client, log)
    return report
