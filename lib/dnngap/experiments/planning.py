"""Planning a run: the units a spec still lacks, and what they will cost.

:func:`plan` lists the units of a spec missing from the results store and
estimates their cost from the throughput *measured in the store*: every
stored unit records its wall time per trial (``wall_time``, the unit's wall
time divided by its trials) and the device it ran on (``device``, e.g.
``"cpu (1 threads)"`` or ``"cuda:0 (NVIDIA H100 80GB HBM3)"``).

Cost model
----------
Units are grouped into *cost classes*: the method kind together with what
changes the cost of a unit beyond its size (:func:`cost_class`): CS by its
solver and whether λ is cross-validated; DNNs by precision and epoch budget;
training recipes by recipe and budget; the existence network by its training
and δ. For every cost class and device, the time per trial is modelled as a
power law of the method's *size* ``S`` and the sample size ``m``,

.. math:: t(S, m) = e^{a}\\, S^{b}\\, m^{c},

with ``S`` the number of network parameters ``P``
(:meth:`dnngap.dnn.Architecture.n_parameters`) for DNNs and recipes, and
the index-set size :math:`N = |\\Lambda|` for CS and the existence network.
``a, b, c`` are fitted by least squares to :math:`\\log t` over every stored
unit of that class and device (any experiment, any numerics version; the
time of a CPU unit counted in core-seconds, wall time × threads). An
exponent the stored units cannot determine (they span less than a factor
:data:`MIN_SPREAD` in ``S``, or in ``m``, or are too few to separate the
two) is fixed at 1, the flops of an
epoch or a solver iteration being proportional to ``S m``: one stored unit
then scales linearly in both. A missing unit costs ``t(S, m) × trials``.
A class with no stored unit on a device has no estimate there: it is
reported as ``"no measurement"``, never guessed; an estimate beyond the
sizes or ``m`` measured is marked as extrapolated.

CPU times are *core-hours* as measured by the runs that filled the store
(so: on the machine, and under the load, they ran with); GPU times are
*GPU-hours*, one column per GPU model found in the store. CS and the
existence network run on the CPU whatever the device.

The model ignores what it cannot see: the function (a network that reaches
the training tolerance early stops early; E1's networks in d = 8 stopped
after 500 to 50,000 epochs), the activation, the size of the test sets and
contention on the measuring machine. Expect a factor of 2 either way: the
estimate sizes and orders the work, it does not promise it.

:func:`run_largest_first` computes the missing units in decreasing order of
estimated cost, as many as fit a wall-clock budget (a GPU session).

Examples
--------
>>> import tempfile
>>> from dnngap import experiments
>>> empty = experiments.Store(tempfile.mkdtemp())
>>> p = experiments.plan(experiments.get("e1", "smoke"), empty)
>>> len(p.missing), p.total
(8, 8)
>>> p.rows()[0].method, p.rows()[0].units, p.rows()[0].core_hours is None
('CS (HC, N ≤ 60)', 4, True)
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .methods import METHODS
from .specs import ExperimentSpec, Unit, method_from_dict
from .store import Store

#: The device name under which CPU measurements are kept.
CPU = "cpu"
#: Method kinds that run on the GPU when one is asked for (the others run on the CPU).
GPU_KINDS: frozenset[str] = frozenset(k for k, cls in METHODS.items() if cls.on_gpu)
#: An exponent is fitted only where the stored units span at least this
#: factor in that variable (a narrower range does not determine it).
MIN_SPREAD = 2.0
#: The kinds a unit can have (for validating ``kinds`` arguments).
KINDS: tuple[str, ...] = tuple(METHODS)


# ---------------------------------------------------------------------------
# size and cost class of a method
# ---------------------------------------------------------------------------
def size(method, d: int) -> int:
    """The size ``S`` the cost model uses: the method's
    :meth:`~dnngap.experiments.methods.DNNMethod.size` (network parameters
    ``P`` for networks, index-set size ``N`` for CS and the existence network).

    >>> from dnngap.experiments import CSMethod, DNNMethod
    >>> size(DNNMethod(depth=1, width=10), 8), size(CSMethod(n_max=2000), 8)
    (211, 1843)
    """
    _check_method(method)
    return method.size(d)


def cost_class(method) -> str:
    """The cost class of a method: its kind and what, beyond its size, sets
    the cost of a unit (see the module docstring).

    >>> from dnngap.experiments import CSMethod, DNNMethod
    >>> cost_class(DNNMethod(depth=4, width=40)), cost_class(CSMethod(lam="cv"))
    ('dnn (single, 50,000 epochs)', 'cs (primal_dual, λ by CV)')
    """
    _check_method(method)
    return method.cost_class()


def _check_method(method) -> None:
    if not isinstance(method, tuple(METHODS.values())):
        raise TypeError(f"method must be one of {', '.join(c.__name__ for c in METHODS.values())}; got {method!r}")


def parse_device(device: str) -> tuple[str, int]:
    """``(device name, threads)`` of a record's ``device`` field: ``"cpu"``
    and its thread count (1 where not recorded), or the GPU's model name and 1.

    >>> parse_device("cpu (2 threads)"), parse_device("cpu")
    (('cpu', 2), ('cpu', 1))
    >>> parse_device("cuda:0 (NVIDIA H100 80GB HBM3)")
    ('NVIDIA H100 80GB HBM3', 1)
    """
    text = str(device).strip()
    if text.startswith("cpu"):
        found = re.search(r"\((\d+) threads?\)", text)
        return CPU, int(found.group(1)) if found else 1
    if text.startswith("cuda"):
        found = re.search(r"\((.+)\)\s*$", text)
        return (found.group(1) if found else "cuda"), 1
    return text, 1


# ---------------------------------------------------------------------------
# measurements and fitted models
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """One stored unit's time: seconds per trial (core-seconds on a CPU).

    A CS unit of two trials that took 0.5 s and 1.5 s on 2 threads:
    2 core-seconds per trial.

    >>> payload = {"config": {"method": {"kind": "cs", "n_max": 60}, "d": 1, "m": 20},
    ...            "records": [{"wall_time": 0.5, "device": "cpu (2 threads)"},
    ...                        {"wall_time": 1.5, "device": "cpu (2 threads)"}]}
    >>> measurement("0123abcd", payload)
    Measurement(key='0123abcd', cost_class='cs (primal_dual)', device='cpu', size=60, m=20, seconds=2.0, kind='cs')
    """

    key: str
    cost_class: str
    device: str
    size: int
    m: int
    seconds: float
    kind: str


def measurement(key: str, payload: dict) -> Measurement | None:
    """The measurement in a stored unit (``Store.read`` payload), or ``None``
    when it has no usable time or an unknown method.

    >>> payload = {"config": {"method": {"kind": "cs", "n_max": 60}, "d": 1, "m": 20},
    ...            "records": [{"wall_time": 0.5, "device": "cpu (2 threads)"},
    ...                        {"wall_time": 1.5, "device": "cpu (2 threads)"}]}
    >>> measurement("0123abcd", payload).seconds          # mean per trial × threads
    2.0
    >>> measurement("0123abcd", {**payload, "records": [{"wall_time": None}]}) is None
    True
    """
    config, records = payload.get("config") or {}, payload.get("records") or []
    times = [r.get("wall_time") for r in records]
    if not records or any(not isinstance(t, (int, float)) or not t > 0 for t in times):
        return None
    try:
        method = method_from_dict(config["method"])
        d, m = int(config["d"]), int(config["m"])
        unit_size = size(method, d)
    except (KeyError, TypeError, ValueError):
        return None
    device, threads = parse_device(records[0].get("device", CPU))
    return Measurement(key, cost_class(method), device, unit_size, m,
                       float(np.mean(times)) * threads, method.kind)


@dataclass(frozen=True)
class CostModel:
    """``t(S, m) = exp(log_scale) · S**size_exponent · m**m_exponent``
    seconds per trial for one cost class on one device, fitted to ``units``
    stored units (``fitted`` names the exponents fitted; the others are 1).

    Two units of one ``m``: the exponent of ``m`` is fixed at 1.

    >>> model = fit([Measurement("a", "c", "cpu", 100, 100, 1e-2, "dnn"),
    ...              Measurement("b", "c", "cpu", 400, 100, 4e-2, "dnn")])
    >>> print(model)
    c on cpu: 1e-06 · S^1.00 · m^1.00 core-seconds per trial, fitted to 2 units (S = 100–400, m = 100; exponent of m fixed at 1)
    >>> model.fitted, model.covers(200, 100), model.covers(200, 400), round(model.seconds(200, 400), 9)
    (('P/N',), True, False, 0.08)
    """

    cost_class: str
    device: str
    log_scale: float
    size_exponent: float
    m_exponent: float
    units: int
    fitted: tuple[str, ...]
    size_range: tuple[int, int]
    m_range: tuple[int, int]

    def covers(self, size: int, m: int) -> bool:
        """Whether ``(size, m)`` lies within the measured sizes and ``m``
        (otherwise an estimate there is an extrapolation)."""
        return self.size_range[0] <= size <= self.size_range[1] and self.m_range[0] <= m <= self.m_range[1]

    def seconds(self, size: float, m: float) -> float:
        """Seconds per trial at size ``size`` and sample size ``m``."""
        return float(math.exp(self.log_scale + self.size_exponent * math.log(size)
                              + self.m_exponent * math.log(m)))

    def __str__(self) -> str:
        what = "core-seconds" if self.device == CPU else "GPU-seconds"
        kind = METHODS.get(self.cost_class.split()[0])
        symbol = kind.size_symbol if kind is not None else "S"
        how = (f"fitted to {self.units} units" if self.fitted
               else f"scaled linearly from {self.units} unit{'s' * (self.units != 1)}")
        ranges = f"{symbol} = {_range(self.size_range)}, m = {_range(self.m_range)}"
        if self.fitted and len(self.fitted) < 2:
            ranges += f"; exponent of {'m' if 'm' not in self.fitted else symbol} fixed at 1"
        return (f"{self.cost_class} on {self.device}: {math.exp(self.log_scale):.3g} · "
                f"{symbol}^{self.size_exponent:.2f} · m^{self.m_exponent:.2f} {what} per trial, {how} "
                f"({ranges})")


def fit(measurements: Iterable[Measurement]) -> CostModel:
    """Fit the power law of the module docstring to the measurements of one
    cost class on one device (at least one).

    >>> ms = [Measurement(str(i), "c", "cpu", s, m, 1e-6 * s * m**0.5, "dnn")
    ...       for i, (s, m) in enumerate([(100, 100), (400, 100), (100, 400)])]
    >>> model = fit(ms)
    >>> round(model.size_exponent, 6), round(model.m_exponent, 6)
    (1.0, 0.5)
    >>> round(model.seconds(200, 900) / (1e-6 * 200 * 30), 6)
    1.0
    """
    points = list(measurements)
    if not points:
        raise ValueError("measurements must hold at least one stored unit; got none")
    classes = {(p.cost_class, p.device) for p in points}
    if len(classes) != 1:
        raise ValueError(f"measurements must share one cost class and device; got {sorted(classes)}")
    log_s = np.log([p.size for p in points])
    log_m = np.log([p.m for p in points])
    log_t = np.log([p.seconds for p in points])
    columns = {"size": log_s, "m": log_m}
    distinct = {name: np.ptp(col) >= math.log(MIN_SPREAD) - 1e-9 for name, col in columns.items()}
    for free in (("size", "m"), ("size",), ("m",), ()):
        if not all(distinct[name] for name in free):
            continue
        X = np.column_stack([np.ones(len(points))] + [columns[name] for name in free])
        if np.linalg.matrix_rank(X) == X.shape[1]:
            break
    fixed = sum(columns[name] for name in ("size", "m") if name not in free)
    coef, *_ = np.linalg.lstsq(X, log_t - fixed, rcond=None)
    exps = dict(zip(free, coef[1:]))
    cls, device = classes.pop()
    sizes, ms = [p.size for p in points], [p.m for p in points]
    return CostModel(cls, device, float(coef[0]), float(exps.get("size", 1.0)), float(exps.get("m", 1.0)),
                     len(points), tuple("P/N" if n == "size" else "m" for n in free),
                     (min(sizes), max(sizes)), (min(ms), max(ms)))


def fit_models(measurements: Iterable[Measurement]) -> dict[tuple[str, str], CostModel]:
    """One :class:`CostModel` per ``(cost class, device)`` found.

    >>> ms = [Measurement("a", "c", "cpu", 100, 100, 1e-2, "dnn"), Measurement("b", "c", "cpu", 400, 100, 4e-2, "dnn"),
    ...       Measurement("g", "c", "NVIDIA H100", 100, 100, 1e-3, "dnn")]
    >>> {key: model.units for key, model in fit_models(ms).items()}
    {('c', 'NVIDIA H100'): 1, ('c', 'cpu'): 2}
    """
    groups: dict[tuple[str, str], list[Measurement]] = {}
    for p in measurements:
        groups.setdefault((p.cost_class, p.device), []).append(p)
    return {key: fit(group) for key, group in sorted(groups.items())}


# ---------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitEstimate:
    """A missing unit and its estimated cost: ``seconds`` maps each device
    (``"cpu"`` or a GPU model) to the unit's total seconds (all trials;
    core-seconds on the CPU), ``None`` where that device has no measurement
    of the unit's cost class.

    >>> from dnngap import experiments
    >>> cs_unit, _, dnn_unit = experiments.get("e1", "smoke").units()[:3]
    >>> cs = UnitEstimate(cs_unit, "cs (primal_dual)", 60, {"cpu": 2.0, "NVIDIA H100": None})
    >>> dnn = UnitEstimate(dnn_unit, "dnn (single, 50,000 epochs)", 141, {"cpu": 90.0, "NVIDIA H100": None})
    >>> cs.on("NVIDIA H100"), dnn.on("NVIDIA H100"), dnn.describe()     # CS runs on the CPU anyway
    (2.0, None, 'exp_cos, d = 1, ReLU 1×10, m = 20')
    """

    unit: Unit
    cost_class: str
    size: int
    seconds: dict[str, float | None]

    @property
    def kind(self) -> str:
        return self.unit.method.kind

    def on(self, device: str) -> float | None:
        """Seconds on ``device``; CS and the existence network run on the CPU
        whatever the device, so their GPU cost is their CPU cost."""
        if device != CPU and self.kind not in GPU_KINDS:
            device = CPU
        return self.seconds.get(device)

    def describe(self) -> str:
        u = self.unit
        return f"{u.problem.label}, {u.method.label}, m = {u.m}"


@dataclass(frozen=True)
class MethodRow:
    """The missing units of one method and their summed cost (``None``: no
    measurement to estimate from).

    >>> import tempfile
    >>> from dnngap import experiments
    >>> with tempfile.TemporaryDirectory() as folder:           # nothing measured
    ...     rows = plan(experiments.get("e1", "smoke"), experiments.Store(folder)).rows()
    >>> rows[0]
    MethodRow(method='CS (HC, N ≤ 60)', kind='cs', units=4, core_hours=None, gpu_hours={}, extrapolated=frozenset())
    """

    method: str
    kind: str
    units: int
    core_hours: float | None
    gpu_hours: dict[str, float | None]
    #: Devices on which some unit's estimate extrapolates beyond the measured sizes or m.
    extrapolated: frozenset[str] = frozenset()


@dataclass
class Plan:
    """What :func:`plan` found: the spec's ``missing`` units with estimates,
    the ``total`` number of units, and the ``models`` they came from.

    Examples
    --------
    Once the CS units of d = 1 are stored, those of d = 2 have an estimate:

    >>> import tempfile
    >>> from dnngap import experiments
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     store = experiments.Store(folder)
    ...     _ = experiments.run(experiments.get("cs_convergence", "smoke", dims=[1]), store, progress=False)
    ...     p = plan(experiments.get("cs_convergence", "smoke"), store)
    >>> p.total, [e.describe() for e in p.missing]
    (4, ['exp_cos, d = 2, CS (HC, N ≤ 60), m = 20', 'exp_cos, d = 2, CS (HC, N ≤ 60), m = 40'])
    >>> hours, unknown = p.core_hours()
    >>> hours > 0, unknown, list(p.models), p.gpus
    (True, 0, [('cs (primal_dual)', 'cpu')], [])
    """

    spec: ExperimentSpec
    store: str
    total: int
    missing: list[UnitEstimate]
    models: dict[tuple[str, str], CostModel] = field(default_factory=dict)

    @property
    def gpus(self) -> list[str]:
        """GPU models measured in the store."""
        return sorted({dev for _, dev in self.models if dev != CPU})

    def rows(self) -> list[MethodRow]:
        """One row per method with missing units, in the spec's order."""
        out = []
        for method in self.spec.methods:
            mine = [e for e in self.missing if e.unit.method == method]
            if not mine:
                continue
            core = _sum(e.on(CPU) for e in mine)
            gpu = {g: _sum(e.on(g) for e in mine) if method.kind in GPU_KINDS else None for g in self.gpus}
            beyond = frozenset(dev for dev in [CPU, *self.gpus] if any(self._beyond(e, dev) for e in mine))
            out.append(MethodRow(method.label, method.kind, len(mine),
                                 None if core is None else core / 3600,
                                 {g: None if v is None else v / 3600 for g, v in gpu.items()}, beyond))
        return out

    def _beyond(self, e: UnitEstimate, device: str) -> bool:
        model = self.models.get((e.cost_class, device if e.kind in GPU_KINDS else CPU))
        return model is not None and not model.covers(e.size, e.unit.m)

    def core_hours(self) -> tuple[float, int]:
        """Estimated core-hours of the missing units that have an estimate,
        and the number of missing units without one."""
        known = [e.on(CPU) for e in self.missing]
        return sum(v for v in known if v is not None) / 3600, sum(v is None for v in known)

    def largest_first(self, device: str = CPU) -> list[UnitEstimate]:
        """The missing units in decreasing order of estimated seconds on
        ``device``; units without an estimate there are ordered by their CPU
        estimate among them, and units without any estimate come last (in the
        order of :func:`dnngap.experiments.execution.unit_cost`, a flop count)."""
        from .execution import unit_cost

        def key(e: UnitEstimate):
            here, cpu = e.on(device), e.on(CPU)
            return (-(here if here is not None else cpu if cpu is not None else -1.0), -unit_cost(e.unit))
        return sorted(self.missing, key=key)

    def table(self) -> str:
        """The per-method table, a total, and the cost models used."""
        gpus = self.gpus
        head = [("method", "<"), ("missing", ">"), ("core-hours", ">")] + [(f"GPU-hours ({g})", ">") for g in gpus]
        body = []
        mark = lambda row, dev: "†" if dev in row.extrapolated else ""
        for row in self.rows():
            body.append([row.method, str(row.units), _hours(row.core_hours) + mark(row, CPU)]
                        + [_hours(row.gpu_hours[g]) + mark(row, g) if row.kind in GPU_KINDS else "CPU only"
                           for g in gpus])
        hours, unknown = self.core_hours()
        total = ["total", str(len(self.missing)), _partial(hours, unknown, len(self.missing))]
        for g in gpus:
            on_gpu = [e.on(g) for e in self.missing if e.kind in GPU_KINDS]
            known = [v for v in on_gpu if v is not None]
            total.append(_partial(sum(known) / 3600, len(on_gpu) - len(known), len(on_gpu)) if on_gpu else "–")
        lines = _format([h for h, _ in head], body + [total], [a for _, a in head])
        if any(cell.endswith("*") for cell in total):
            lines.append("* leaves out the units with no measurement")
        if any(row.extrapolated for row in self.rows()):
            lines.append("† extrapolated: some units lie beyond the sizes or m measured (ranges below)")
        if not gpus:
            lines.append("GPU: no measurement in the store")
        used = {(e.cost_class, dev) for e in self.missing for dev in [CPU, *gpus]}
        models = [str(m) for k, m in self.models.items() if k in used]
        if models:
            lines.append("cost models (see dnngap.experiments.planning):")
            lines += [f"  {m}" for m in models]
        return "\n".join(lines)

    def unit_lines(self, device: str = CPU) -> list[str]:
        """One line per missing unit, largest first on ``device``."""
        out = []
        for e in self.largest_first(device):
            cost = [f"{_seconds(e.on(CPU))} CPU"] + [f"{_seconds(e.on(g))} on {g}" for g in self.gpus
                                                      if e.kind in GPU_KINDS]
            out.append(f"  {e.describe()} [{e.kind}]: " + ", ".join(cost))
        return out

    def __str__(self) -> str:
        done = self.total - len(self.missing)
        head = (f"{self.spec.name} at scale {self.spec.scale}: {self.total} units, {done} stored in "
                f"{self.store}, {len(self.missing)} missing")
        if not self.missing:
            return head + "\nnothing to compute"
        return head + "\n" + self.table()


def _sum(values: Iterable[float | None]) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else float(sum(values))


def _hours(h: float | None) -> str:
    if h is None:
        return "no measurement"
    if h >= 100:
        return f"{h:,.0f}"
    return f"{h:.3g}" if h >= 0.01 else f"{h:.2g}"


def _partial(hours: float, unknown: int, n: int) -> str:
    """A total over ``n`` units of which ``unknown`` have no estimate."""
    if unknown == n:
        return _hours(None)
    return _hours(hours) + ("*" if unknown else "")


def _range(r: tuple[int, int]) -> str:
    return f"{r[0]:,}" if r[0] == r[1] else f"{r[0]:,}–{r[1]:,}"


def _seconds(s: float | None) -> str:
    if s is None:
        return "no measurement"
    return f"{s:,.0f} s" if s >= 10 else f"{s:.2g} s"


def _format(head: list[str], rows: list[list[str]], align: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    fmt = lambda r: "  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()
    return [fmt(head)] + [fmt(r) for r in rows]


def read_measurements(store: Store, keys: Iterable[str] | None = None) -> tuple[dict[str, Measurement | None], set[str]]:
    """Measurements of the stored units (``keys``: only these), and the keys
    of every readable stored unit.

    >>> import tempfile
    >>> from dnngap import experiments
    >>> spec = experiments.get("cs_convergence", "smoke", dims=[1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     store = experiments.Store(folder)
    ...     _ = experiments.run(spec, store, progress=False)
    ...     found, keys = read_measurements(store)
    >>> keys == {u.key for u in spec.units()}, sorted(m.m for m in found.values())
    (True, [20, 40])
    """
    found: dict[str, Measurement | None] = {}
    for key in (store.keys() if keys is None else sorted(keys)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # damaged files: recomputed by `run`, no estimate here
            payload = store.read(key)
        if payload is not None:
            found[key] = measurement(key, payload)
    return found, set(found)


def plan(spec: ExperimentSpec, store: Store | None = None, *, keys: Iterable[str] | None = None,
         kinds: Iterable[str] | None = None) -> Plan:
    """The units of ``spec`` missing from the store, with estimated costs.

    Parameters
    ----------
    spec
        The experiment to plan.
    store
        Default :class:`Store` ``()``. Its units (of any experiment) are the
        measurements the costs are estimated from; nothing is written.
    keys
        Only these stored units count, as done and as measurements (e.g. the
        committed ones); default: every unit in the store.
    kinds
        Only units of these method kinds (``"cs"``, ``"dnn"``,
        ``"existence"``, ``"recipe"``); default: all.

    Returns
    -------
    Plan
        ``str(plan)`` is the per-method table with a total; see the module
        docstring for the cost model.

    Examples
    --------
    >>> import tempfile
    >>> from dnngap import experiments
    >>> p = experiments.plan(experiments.get("e1", "smoke"), experiments.Store(tempfile.mkdtemp()),
    ...                      kinds=["dnn"])
    >>> print(p)  # doctest: +ELLIPSIS
    e1 at scale smoke: 4 units, 0 stored in ..., 4 missing
    method     missing      core-hours
    ReLU 1×10        4  no measurement
    total            4  no measurement
    GPU: no measurement in the store
    """
    store = store or Store()
    kinds = _check_kinds(kinds)
    found, stored = read_measurements(store, keys)
    models = fit_models(m for m in found.values() if m is not None)
    units = [u for u in spec.units() if kinds is None or u.method.kind in kinds]
    devices = [CPU] + sorted({dev for _, dev in models if dev != CPU})
    missing = []
    for u in units:
        if u.key in stored:
            continue
        cls, s = cost_class(u.method), size(u.method, u.problem.d)
        seconds = {}
        for dev in devices:
            model = models.get((cls, dev))
            seconds[dev] = None if model is None else model.seconds(s, u.m) * u.spec.trials
        missing.append(UnitEstimate(u, cls, s, seconds))
    return Plan(spec, str(store.root), len(units), missing, models)


def _check_kinds(kinds: Iterable[str] | None) -> frozenset[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [k for k in kinds.split(",") if k.strip()]
    kinds = frozenset(k.strip() for k in kinds)
    bad = sorted(kinds - set(KINDS))
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty list of {', '.join(map(repr, KINDS))}; got {sorted(kinds)}")
    return kinds


# ---------------------------------------------------------------------------
# computing within a budget
# ---------------------------------------------------------------------------
def current_device(spec: ExperimentSpec) -> str:
    """The device whose estimates apply to running ``spec`` here: the GPU's
    model name when the spec's networks go to CUDA (``device="cuda"``, or
    ``"auto"`` with CUDA present), else ``"cpu"``.

    >>> from dnngap import experiments
    >>> current_device(experiments.get("e1", "smoke", device="cpu"))
    'cpu'
    """
    if spec.device == "cpu":
        return CPU
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return CPU


def run_largest_first(spec: ExperimentSpec, store: Store | None = None, *, budget: float,
                      kinds: Iterable[str] | None = None, device: str | None = None,
                      clock: Callable[[], float] = time.monotonic,
                      log: Callable[[str], None] | None = print) -> list[UnitEstimate]:
    """Compute missing units of ``spec``, largest first, as many as fit ``budget``.

    Before each unit the plan is made afresh (so the units just computed
    refine the estimates), and the largest missing unit whose estimate on
    ``device`` fits the time left is computed, in this process, into the
    store (under its lock, as :func:`dnngap.experiments.run` does). A unit
    without an estimate on ``device`` is taken in its turn (ordered by its CPU
    estimate): it is what gives the next ones an estimate. Wrap the call in a
    hard limit (``timeout``) as well: an estimate is not a promise, and a
    killed run loses only the unit in flight.

    Parameters
    ----------
    spec, store
        As for :func:`dnngap.experiments.run`.
    budget
        Wall-clock seconds, > 0.
    kinds
        Only units of these method kinds (e.g. ``["dnn", "recipe"]`` on a GPU).
    device
        Whose estimates to use: ``"cpu"`` or a GPU model name; default
        :func:`current_device`.
    clock
        Seconds, monotone (for tests).
    log
        Called with one line per unit computed; ``None``: silent.

    Returns
    -------
    list of UnitEstimate
        The units computed, in order, with the estimates they were chosen by.

    Examples
    --------
    Nothing is measured at first: the larger unit goes first, and gives the
    second its estimate.

    >>> import tempfile
    >>> from dnngap import experiments
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     done = run_largest_first(experiments.get("cs_convergence", "smoke", dims=[1]),
    ...                              experiments.Store(folder), budget=60, device="cpu", log=None)
    >>> [(e.unit.m, e.on("cpu") is None) for e in done]
    [(40, True), (20, False)]
    >>> run_largest_first(experiments.get("e1", "smoke"), budget=0)
    Traceback (most recent call last):
    ...
    ValueError: budget must be a number of seconds > 0; got 0
    """
    from .execution import compute_local

    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0:
        raise ValueError(f"budget must be a number of seconds > 0; got {budget!r}")
    store = store or Store()
    device = device or current_device(spec)
    deadline = clock() + budget
    done: list[UnitEstimate] = []
    passed: set[str] = set()  # locked by another run, or found done meanwhile
    data: dict = {}
    while True:
        left = deadline - clock()
        if left <= 0:
            break
        todo = [e for e in plan(spec, store, kinds=kinds).largest_first(device) if e.unit.key not in passed]
        pick = next((e for e in todo if e.on(device) is None or e.on(device) <= left), None)
        if pick is None:
            break
        with store.lock(pick.unit.key) as mine:
            if not mine or store.read(pick.unit.key) is not None:
                passed.add(pick.unit.key)
                continue
            start = clock()
            records = compute_local(pick.unit, data)
            store.write(pick.unit.key, pick.unit.config(), records)
        done.append(pick)
        if log:
            log(f"computed {pick.describe()} [{pick.kind}] in {clock() - start:.0f} s "
                f"(estimated {_seconds(pick.on(device))} on {device}); {max(0.0, deadline - clock()):.0f} s left")
    if log:
        rest = [e for e in plan(spec, store, kinds=kinds).missing]
        log(f"{len(done)} units computed; {len(rest)} still missing")
    return done
