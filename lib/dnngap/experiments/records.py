"""Reading results back: the records of a spec as far as the store has them.

:func:`load` reads a spec's units from the :class:`~.store.Store` (nothing is
computed; :func:`~dnngap.experiments.run` computes) and returns
:class:`Results`, whose methods give the statistics over trials
(:class:`SummaryRow`), the two measurements of the error (:data:`VIEWS`),
the per-problem comparison of CS and networks (:class:`Comparison`), tables
and the CSV behind a figure. Records written by older versions are brought
up to date on reading (:func:`migrate`). The fields of a record are
described in :mod:`.runner`, which writes them.

>>> import tempfile
>>> from dnngap import experiments
>>> res = load(experiments.get("e1", "smoke"), experiments.Store(tempfile.mkdtemp()))
>>> res.complete, len(res.records), len(res.missing) > 0    # an empty store
(False, 0, True)
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import functions, quadrature
from .methods import METHODS
from .specs import ExperimentSpec, Unit
from .store import Store

if TYPE_CHECKING:  # pandas is imported where a frame is built
    import pandas


# ---------------------------------------------------------------------------
# statistics over trials, measurements, comparisons
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryRow:
    r"""Statistics over the trials of one ``(function, d, method, m)``.

    ``geomean`` is :math:`10^{\mu}` and ``log10_std`` is :math:`\sigma`,
    where :math:`\mu, \sigma` are the mean and standard deviation of
    :math:`\log_{10}` of the error over the trials (this book's statistic);
    ``mean`` is the arithmetic mean (the statistic the authors' released code
    writes). Trials with a missing, infinite or zero error are left out of
    all of them; ``trials`` counts the rest.

    Examples
    --------
    Two trials with errors 1e-6 and 1e-4: geometric mean 1e-5, one decade
    of spread in :math:`\log_{10}`.

    >>> row = SummaryRow("exp_cos", 1, "CS (HC, N ≤ 2000)", 20, trials=2, geomean=1e-5, log10_std=1.0,
    ...                  minimum=1e-6, maximum=1e-4, estimator="monte_carlo", mean=5.05e-5)
    >>> row.value("geomean"), row.value("mean")
    (1e-05, 5.05e-05)
    >>> row.value("median")
    Traceback (most recent call last):
    ...
    ValueError: statistic must be one of 'geomean', 'mean'; got 'median'
    """

    function: str
    d: int
    method: str
    m: int
    trials: int
    geomean: float
    log10_std: float
    minimum: float
    maximum: float
    estimator: str
    mean: float = math.nan

    def value(self, statistic: str) -> float:
        """``geomean`` or ``mean`` by name (see :data:`STATISTICS`)."""
        if statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {', '.join(map(repr, STATISTICS))}; got {statistic!r}")
        return getattr(self, statistic)


#: Statistics over trials a :class:`SummaryRow` holds.
STATISTICS: tuple[str, ...] = ("geomean", "mean")


@dataclass(frozen=True)
class View:
    """How a figure measures the error: a record field and a statistic over trials.

    >>> [(v.name, v.error, v.statistic) for v in VIEWS.values()]
    [('book', 'rel_l2', 'geomean'), ('authors', 'abs_l2_grid', 'mean')]
    """

    name: str
    error: str
    statistic: str
    description: str


#: This book's measurement: the relative error by the unit's primary
#: estimator (Monte Carlo wherever the sparse grid misjudges the error), and
#: the geometric mean over trials with a ±1 standard deviation band in
#: :math:`\log_{10}` (errors spread over decades; one bad trial should not
#: dominate).
BOOK_VIEW = View("book", "rel_l2", "geomean",
                 "relative error (Monte Carlo or checked sparse grid), geometric mean over trials")
#: The authors' measurement as their released code writes it: the absolute
#: error on their sparse grid, arithmetic mean over trials.
AUTHORS_VIEW = View("authors", "abs_l2_grid", "mean",
                    "absolute error on the authors' sparse grid, arithmetic mean over trials")
VIEWS: dict[str, View] = {v.name: v for v in (BOOK_VIEW, AUTHORS_VIEW)}




@dataclass(frozen=True)
class Comparison:
    """One problem at one ``m``: the best CS method, the best trained network
    (methods of role ``"network"``: the paper's protocol or a training recipe),
    the best existence network (each ``None`` where absent) and the relative
    error of the best constant predictor.

    Examples
    --------
    See :class:`Results`, whose example ends with a comparison.
    """

    function: str
    d: int
    m: int
    cs: SummaryRow | None
    dnn: SummaryRow | None
    existence: SummaryRow | None
    constant: float

    @property
    def gap(self) -> float:
        """Best DNN error over CS error (> 1: CS is better)."""
        return self.dnn.geomean / self.cs.geomean

    @property
    def dnn_vs_constant(self) -> float:
        """Best DNN error over the constant predictor's (< 1: it learned more than the mean)."""
        return self.dnn.geomean / self.constant


@dataclass
class Results:
    """The records of a spec as far as the store has them.

    Examples
    --------
    Usually from :func:`load`; here two trials each of CS and a network,
    built by hand:

    >>> from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
    >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
    ...                       (CSMethod(), DNNMethod(1, 10)), trials=2)
    >>> rec = lambda label, kind, err, stop: dict(function="exp_cos", d=1, m=20, trial=0, method=label,
    ...     method_kind=kind, rel_l2=err, estimator="monte_carlo", stop_reason=stop)
    >>> res = Results(spec, [rec("CS (HC, N ≤ 2000)", "cs", 1e-6, "converged"),
    ...                      rec("CS (HC, N ≤ 2000)", "cs", 1e-4, "converged"),
    ...                      rec("ReLU 1×10", "dnn", 1e-3, "epochs"), rec("ReLU 1×10", "dnn", 1e-2, "tolerance")])
    >>> res.complete, res.methods()
    (True, ['CS (HC, N ≤ 2000)', 'ReLU 1×10'])
    >>> [(r.method, r.trials, round(r.geomean, 8), round(r.log10_std, 8)) for r in res.summary()]
    [('CS (HC, N ≤ 2000)', 2, 1e-05, 1.0), ('ReLU 1×10', 2, 0.00316228, 0.5)]
    >>> res.stop_counts()[("exp_cos", 1, "ReLU 1×10", 20)]
    {'tolerance': 1, 'epochs': 1}
    >>> res.table().loc[("exp_cos", 1, 20)].tolist()      # geometric mean (std of log10)
    ['1.00e-05 (1.00)', '3.16e-03 (0.50)']
    >>> c = res.compare()[0]    # a Comparison: the network's error over CS's, and over the constant's (0.0174)
    >>> c.cs.method, c.dnn.method, c.existence, round(c.gap, 1), round(c.dnn_vs_constant, 3)
    ('CS (HC, N ≤ 2000)', 'ReLU 1×10', None, 316.2, 0.181)
    """

    spec: ExperimentSpec
    records: list[dict[str, Any]]
    missing: list[Unit] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def scale(self) -> str:
        return self.spec.scale

    def select(self, **where: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the given values, e.g. ``select(d=8)``."""
        for key in where:
            if self.records and key not in self.records[0]:
                raise ValueError(f"unknown record field {key!r}; allowed: {sorted(self.records[0])}")
        return [r for r in self.records if all(r.get(k) == v for k, v in where.items())]

    def by_trial(self, field: str = "rel_l2", **where: Any) -> "pandas.DataFrame":
        """One record field per trial and method: rows ``trial``, columns the
        method labels in the spec's order, over the records :meth:`select`
        picks (which must hold one record per trial and method: give the
        problem and ``m``).

        >>> from dnngap.experiments import CSMethod, ExperimentSpec, Problem
        >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
        ...                       (CSMethod(lam=1e-3), CSMethod(lam="cv")), trials=2)
        >>> recs = [dict(function="exp_cos", d=1, m=20, trial=t, method=mt.label, lam=lam, rel_l2=e)
        ...         for mt, lam, e in ((spec.methods[0], 1e-3, 0.1), (spec.methods[1], 1e-2, 0.2)) for t in (0, 1)]
        >>> Results(spec, recs).by_trial("lam", m=20).to_numpy().tolist()
        [[0.001, 0.01], [0.001, 0.01]]
        """
        import pandas

        rows = self.select(**where)
        frame = pandas.DataFrame(rows, columns=["trial", "method", field]) if rows else None
        if frame is None or frame.duplicated(["trial", "method"]).any():
            raise ValueError(f"by_trial needs one record per trial and method; {len(rows)} records match {where}")
        table = frame.pivot(index="trial", columns="method", values=field)
        return table[[label for label in self.methods() if label in table.columns]]

    def paired_factors(self, reference: str, *, function: str, d: int, m: int, field: str = "rel_l2",
                       confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> "pandas.DataFrame":
        r"""Each method's error as a factor of the ``reference`` method's, trial
        by trial on the same samples, with a bootstrap interval over trials.

        For trial :math:`t` the ratio is :math:`r_t = e_t / e^{\mathrm{ref}}_t`
        (both methods saw trial :math:`t`'s samples); the factor is the
        geometric mean of the :math:`r_t`, and its interval the percentile
        bootstrap (:func:`scipy.stats.bootstrap`, ``resamples`` draws from a
        generator seeded with ``seed``) of the mean of :math:`\log r_t`,
        exponentiated. Above 1: the reference is the more accurate.

        Returns a frame with one row per method (the spec's order): ``method``,
        ``trials``, ``error`` (geometric mean of ``field``), ``factor``, ``low``,
        ``high``.

        >>> from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
        >>> spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
        ...                       (CSMethod(), DNNMethod(1, 10)), trials=4)
        >>> recs = [dict(function="exp_cos", d=1, m=20, trial=t, method=mt.label, rel_l2=e * 10.0 ** t)
        ...         for mt, e in zip(spec.methods, (1e-6, 1e-3)) for t in range(4)]
        >>> frame = Results(spec, recs).paired_factors("CS (HC, N ≤ 2000)", function="exp_cos", d=1, m=20)
        >>> frame[["method", "trials", "factor", "low", "high"]].round(6).values.tolist()
        [['CS (HC, N ≤ 2000)', 4, 1.0, 1.0, 1.0], ['ReLU 1×10', 4, 1000.0, 1000.0, 1000.0]]
        """
        import pandas
        from scipy import stats

        table = np.log(self.by_trial(field, function=function, d=d, m=m).astype(float))
        if reference not in table.columns:
            raise ValueError(f"reference must be one of {list(table.columns)}; got {reference!r}")
        rows = []
        for method in table.columns:
            logs = (table[method] - table[reference]).dropna().to_numpy()
            if len(logs) > 1 and np.ptp(logs) > 0:
                ci = stats.bootstrap((logs,), np.mean, confidence_level=confidence, n_resamples=resamples,
                                     method="percentile", random_state=np.random.default_rng(seed))
                low, high = math.exp(ci.confidence_interval.low), math.exp(ci.confidence_interval.high)
            else:  # one trial, or equal ratios: no spread to resample
                low = high = math.exp(logs.mean()) if len(logs) else math.nan
            rows.append({"method": method, "trials": len(logs), "error": math.exp(table[method].mean()),
                         "factor": math.exp(logs.mean()) if len(logs) else math.nan, "low": low, "high": high})
        return pandas.DataFrame(rows)

    def methods(self) -> list[str]:
        """Method labels in the spec's order."""
        return [m.label for m in self.spec.methods]

    def summary(self, error: str = "rel_l2", **where: Any) -> list[SummaryRow]:
        """Statistics of the record field ``error`` over trials (:class:`SummaryRow`)."""
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in self.select(**where):
            groups[(r["function"], r["d"], r["method"], r["m"])].append(r)
        order = {label: i for i, label in enumerate(self.methods())}
        rows = []
        for (fn, d, method, m), recs in groups.items():
            vals = np.array([r[error] if r[error] is not None else np.nan for r in recs], float)
            vals = vals[np.isfinite(vals) & (vals > 0)]
            logs = np.log10(vals) if len(vals) else np.array([np.nan])
            rows.append(SummaryRow(fn, d, method, m, len(vals), float(10 ** logs.mean()),
                                   float(logs.std()), float(np.min(vals)) if len(vals) else np.nan,
                                   float(np.max(vals)) if len(vals) else np.nan, recs[0]["estimator"],
                                   float(np.mean(vals)) if len(vals) else np.nan))
        rows.sort(key=lambda r: (r.function, r.d, order.get(r.method, 99), r.m))
        return rows

    def at_m(self, m: int, error: str = "rel_l2", **where: Any) -> dict[str, SummaryRow]:
        """Per method label, its :class:`SummaryRow` at sample size ``m``
        (methods without records there are absent)."""
        return {r.method: r for r in self.summary(error, **where) if r.m == m}

    def summary_frame(self, error: str = "rel_l2", **where: Any) -> "pandas.DataFrame":
        """:meth:`summary` as a numeric table: one row per ``(function, d,
        method, m)``, columns the :class:`SummaryRow` fields (``geomean``,
        ``log10_std``, ``mean``, ``minimum``, ``maximum``, ``trials``, ...).

        >>> from dnngap import experiments
        >>> res = experiments.load(experiments.get("e1", "smoke"), experiments.Store("/nonexistent"))
        >>> list(res.summary_frame().columns)[:6]
        ['function', 'd', 'method', 'm', 'trials', 'geomean']
        """
        import pandas as pd

        columns = [f.name for f in dataclasses.fields(SummaryRow)]
        return pd.DataFrame([dataclasses.astuple(r) for r in self.summary(error, **where)], columns=columns)

    def views(self, **where: Any) -> "pandas.DataFrame":
        """Both measurements of every point side by side (:data:`BOOK_VIEW`,
        :data:`AUTHORS_VIEW`): one row per ``(function, d, method, m)`` with
        columns ``book``, ``authors`` and ``ratio`` = authors / book
        (``NaN`` where the authors' grid was not used).

        >>> from dnngap import experiments
        >>> res = experiments.load(experiments.get("e1", "smoke"), experiments.Store("/nonexistent"))
        >>> list(res.views().columns)
        ['function', 'd', 'method', 'm', 'book', 'authors', 'ratio']
        """
        import pandas as pd

        columns = ["function", "d", "method", "m", "book", "authors", "ratio"]
        values = {}
        for view in (BOOK_VIEW, AUTHORS_VIEW):
            for r in self.summary(view.error, **where):
                values.setdefault((r.function, r.d, r.method, r.m), {})[view.name] = (
                    r.value(view.statistic) if r.trials else math.nan)
        rows = [[*key, v.get("book", math.nan), v.get("authors", math.nan)] for key, v in values.items()]
        frame = pd.DataFrame(rows, columns=columns[:-1])
        frame["ratio"] = frame["authors"] / frame["book"]
        return frame

    def constant_error(self, function: str, d: int) -> float:
        """Relative error of the best constant predictor (exact; see
        :meth:`dnngap.functions.TestFunction.constant_error`)."""
        value = functions.get(function).constant_error(d)
        if value is None:
            raise ValueError(f"no exact mean/norm for {function!r}: no constant-predictor baseline")
        return value

    def tolerance_floors(self, function: str, d: int) -> dict[str, float]:
        r"""Per DNN precision, :math:`\sqrt{\mathrm{tol}}/\|f\|`: the relative
        RMS training error at which training stops (a network that stops there
        has test error of about this size or more)."""
        norm = functions.get(function).norm(d)
        out = {}
        for method in self.spec.methods:
            if (stop := method.stopping_tolerance()) is not None and norm:
                out[stop[0]] = math.sqrt(stop[1]) / norm
        return out

    def stop_counts(self, **where: Any) -> dict[tuple[str, int, str, int], dict[str, int]]:
        """Per ``(function, d, method, m)``: how many trials stopped for each
        reason (DNNs: ``tolerance``, ``epochs``, ``diverged``; CS and the
        existence network: ``converged``, ``max_iter``), the reasons in the
        order of :attr:`STOP_WORDS`."""
        out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in self.select(**where):
            out[(r["function"], r["d"], r["method"], r["m"])][r["stop_reason"]] += 1
        order = {reason: i for i, reason in enumerate(self.STOP_WORDS)}
        return {k: dict(sorted(v.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
                for k, v in out.items()}

    def unconverged(self) -> list[dict[str, Any]]:
        """CS and existence-network records whose solver did not certify convergence."""
        return [r for r in self.records
                if METHODS[r["method_kind"]].deterministic and r["stop_reason"] != "converged"]

    def largest_m(self, function: str, d: int) -> int:
        """The largest ``m`` of a problem in the spec."""
        return max(p.m_values[-1] for p in self.spec.problems if (p.function, p.d) == (function, d))

    def compare(self, m: int | None = None) -> list["Comparison"]:
        """Per problem, at ``m`` (default: its largest): the best CS method,
        the best network (paper protocol or recipe) and the constant
        predictor (see :class:`Comparison`)."""
        out = []
        roles = {m_.label: m_.role for m_ in self.spec.methods}
        for p in self.spec.problems:
            at = m if m is not None else self.largest_m(p.function, p.d)
            rows = [r for r in self.at_m(at, function=p.function, d=p.d).values() if r.trials]
            best = {role: min((r for r in rows if roles[r.method] == role), key=lambda r: r.geomean, default=None)
                    for role in ("cs", "network", "existence")}
            out.append(Comparison(p.function, p.d, at, best["cs"], best["network"], best["existence"],
                                  self.constant_error(p.function, p.d)))
        return out

    def compute_time(self) -> float:
        """Total compute time of the records shown, in seconds."""
        return float(sum(r["wall_time"] for r in self.records))

    def devices(self) -> list[str]:
        return sorted({r["device"] for r in self.records})

    def frame(self) -> "pandas.DataFrame":
        """The records as a tidy table: one row per trial, every record field a
        column (``prediction``, where stored, holds each trial's list of values).

        >>> from dnngap import experiments
        >>> res = experiments.load(experiments.get("e1", "smoke"), experiments.Store("/nonexistent"))
        >>> res.frame().shape   # nothing stored there
        (0, 0)
        """
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    #: The columns of every CSV :meth:`to_csv` writes, in this order (the
    #: record fields of the module docstring; the book's page *The data behind
    #: the figures* explains each). A column no record has is written empty;
    #: fields not listed here follow, sorted by name.
    CSV_COLUMNS = ("function", "d", "m", "trial", "method", "method_kind", "method_key",
                   "rel_l2", "estimator", "estimator_reason", "rel_l2_grid", "abs_l2_grid",
                   "rel_l2_mc", "rel_l2_mc_stderr", "linf", "train_loss", "start_train_loss", "steps", "stop_reason",
                   "seed", "sampler", "wall_time", "device", "numerics", "commit", "timestamp",
                   "executor", "N", "lam", "stages")

    def to_csv(self, name: str, *, folder: str | os.PathLike | None = None) -> Path:
        """Write :meth:`frame` (without stored predictions) to ``<folder>/<name>.csv``,
        its columns in the order of :attr:`CSV_COLUMNS`.

        ``folder`` defaults to ``$DNNGAP_DATA_DIR`` or ``./data``; the book's
        build sets the variable and links the file next to each figure.
        Returns the path written."""
        folder = Path(folder if folder is not None else os.environ.get("DNNGAP_DATA_DIR", "data"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.csv"
        frame = self.frame().drop(columns=["prediction"], errors="ignore")
        extra = sorted(c for c in frame.columns if c not in self.CSV_COLUMNS)
        frame.reindex(columns=[*self.CSV_COLUMNS, *extra]).to_csv(path, index=False)
        return path

    def table(self, error: str = "rel_l2", **where: Any) -> "pandas.DataFrame":
        """The numbers behind a figure: per ``(function, d, m)`` and method, the
        geometric mean of ``error`` over the trials with the standard deviation
        of its :math:`\\log_{10}` in brackets (strings, for reading)."""
        import pandas as pd

        rows = self.summary(error, **where)
        methods = [m for m in self.methods() if any(r.method == m for r in rows)]
        cell = {(r.function, r.d, r.m, r.method): f"{r.geomean:.2e} ({r.log10_std:.2f})" for r in rows}
        keys = sorted({(r.function, r.d, r.m) for r in rows})
        data = [[cell.get(k + (method,), "–") for method in methods] for k in keys]
        index = pd.MultiIndex.from_tuples(keys, names=["function", "d", "m"])
        return pd.DataFrame(data, index=index, columns=methods)

    #: How a table says why trials stopped: reason -> words after the count.
    STOP_WORDS = {"tolerance": "reached tolerance", "epochs": "ran all epochs", "diverged": "diverged",
                  "converged": "converged", "max_iter": "hit the iteration cap"}

    @classmethod
    def stop_words(cls, counts: dict[str, int]) -> str:
        """Counts of stop reasons in words: ``{"tolerance": 3, "epochs": 2}``
        -> ``'3 reached tolerance, 2 ran all epochs'`` (``'–'`` for none).

        >>> Results.stop_words({"epochs": 1, "tolerance": 20}), Results.stop_words({"converged": 5})
        ('20 reached tolerance, 1 ran all epochs', '5 converged')
        """
        order = {reason: i for i, reason in enumerate(cls.STOP_WORDS)}
        items = sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        return ", ".join(f"{n} {cls.STOP_WORDS.get(reason, reason.replace('_', ' '))}" for reason, n in items) or "–"

    def stop_table(self, **where: Any) -> "pandas.DataFrame":
        """How the trials of each point stopped, per method and ``m``, in words
        (:meth:`stop_words`): networks "reached tolerance" (training MSE
        below the tolerance), "ran all epochs" or "diverged"; CS and the
        existence network "converged" (certified) or "hit the iteration cap"."""
        import pandas as pd

        counts = self.stop_counts(**where)
        methods = [m for m in self.methods() if any(k[2] == m for k in counts)]
        keys = sorted({(fn, d, m) for fn, d, _, m in counts})
        data = [[self.stop_words(counts.get(key[:2] + (method, key[2]), {})) for method in methods]
                for key in keys]
        index = pd.MultiIndex.from_tuples(keys, names=["function", "d", "m"])
        return pd.DataFrame(data, index=index, columns=methods)


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------
#: Record fields renamed since results were first stored: old -> new.
_RENAMED = {"epochs": "steps", "code": "numerics"}


@functools.lru_cache(maxsize=16)
def grid_norm(function: str, d: int, level: int) -> float:
    r"""The sparse grid's estimate of :math:`\|f\|_{L^2_\rho}`:
    :math:`(2^{-d}|\sum_i w_i f(y_i)^2|)^{1/2}` on the Clenshaw--Curtis
    Smolyak grid of that level (what a record's ``rel_l2_grid`` divides by).

    >>> round(grid_norm("exp_cos", 2, 4), 6)   # exact: 0.900295
    0.900295
    """
    grid = quadrature.sparse_grid_test_set(d, level)
    return grid.norm(functions.get(function)(grid.points))


def migrate(records: list[dict[str, Any]], unit: Unit) -> list[dict[str, Any]]:
    r"""Records as this version of the library writes them (in place; returned).

    Every record gets the method's label as this version writes it (a label
    is derived from the configuration the key hashes, so it may change
    without a new key), and the field names of :data:`_RENAMED`.
    Records stored before ``abs_l2_grid`` existed get it from their own
    fields: ``rel_l2_grid`` is :math:`\|f-\hat f\|_G/\|f\|_G` on the
    unit's grid :math:`G`, so ``abs_l2_grid`` = ``rel_l2_grid`` ×
    :func:`grid_norm` -- the same two quadratures the computation uses, exact
    to rounding, with no recomputation (so no numerics bump).

    Examples
    --------
    >>> from dnngap import experiments
    >>> unit = experiments.get("e1", "smoke").units()[0]           # CS, exp_cos in d = 1
    >>> old = [{"function": "exp_cos", "d": 1, "method": "CS (old label)", "epochs": 12, "rel_l2_grid": 0.5}]
    >>> rec = migrate(old, unit)[0]
    >>> rec["method"], rec["steps"], "epochs" in rec, round(rec["abs_l2_grid"] / grid_norm("exp_cos", 1, 6), 12)
    ('CS (HC, N ≤ 60)', 12, False, 0.5)
    """
    label = unit.method.label  # labels are presentation, not part of the key: this version's
    for rec in records:
        rec["method"] = label
        for old, new in _RENAMED.items():
            if old in rec:
                rec[new] = rec.pop(old)
        if "abs_l2_grid" not in rec:
            rel = rec.get("rel_l2_grid")
            rec["abs_l2_grid"] = None if rel is None else rel * grid_norm(
                rec["function"], rec["d"], unit.spec.test.grid_level(rec["d"]))
    return records


def read_records(store: Store, unit: Unit) -> list[dict[str, Any]] | None:
    """A stored unit's records, migrated (:func:`migrate`); ``None`` if it is not stored.

    >>> import tempfile
    >>> from dnngap import experiments
    >>> spec = experiments.get("cs_convergence", "smoke", dims=[1], m_values=[20])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     store = experiments.Store(folder)
    ...     before = read_records(store, spec.units()[0])
    ...     _ = experiments.run(spec, store, progress=False)
    ...     after = read_records(store, spec.units()[0])
    >>> before, len(after), after[0]["method"], after[0]["stop_reason"]
    (None, 2, 'CS (HC, N ≤ 60)', 'converged')
    """
    payload = store.read(unit.key)
    return None if payload is None else migrate(payload["records"], unit)


def load(spec: ExperimentSpec, store: Store | None = None) -> Results:
    """The spec's records that are in the store (nothing is computed).

    Parameters
    ----------
    spec
        The experiment.
    store
        Default :class:`Store` ``()`` (``$DNNGAP_RESULTS`` or ``./results``).

    Returns
    -------
    Results
        The records found (migrated, :func:`migrate`) and, in ``missing``,
        the units not stored.

    Examples
    --------
    >>> import tempfile
    >>> from dnngap import experiments
    >>> spec = experiments.get("cs_convergence", "smoke")
    >>> store = experiments.Store(tempfile.mkdtemp())
    >>> len(load(spec, store).missing), len(spec.units())     # nothing stored yet
    (4, 4)
    >>> _ = experiments.run(spec, store, progress=False)
    >>> res = load(spec, store)
    >>> res.complete, len(res.records), sorted({r["m"] for r in res.records})
    (True, 8, [20, 40])
    """
    store = store or Store()
    records, missing = [], []
    for unit in spec.units():
        stored = read_records(store, unit)
        if stored is None:
            missing.append(unit)
        else:
            records.extend(stored)
    return Results(spec, records, missing)


def estimator_notes(results: Results) -> dict[tuple[str, int], str]:
    """Per ``(function, d)``: how many units used each primary estimator, and
    why (the reason recorded by the first unit of each kind; the estimator is
    chosen per unit, see :func:`.runner._primary_estimator`).

    >>> from dnngap import experiments
    >>> r = lambda m, estimator, why: dict(function="exp_cos", d=1, method="CS", m=m, estimator=estimator,
    ...                                    estimator_reason=why)
    >>> res = Results(experiments.get("e1", "smoke"), [r(20, "sparse_grid", "grid reliable"),
    ...               r(20, "sparse_grid", "grid reliable"), r(40, "monte_carlo", "grid disagrees")])
    >>> estimator_notes(res)          # two units: (CS, 20) and (CS, 40)
    {('exp_cos', 1): 'monte carlo for 1 of 2 (method, m) pairs (grid disagrees); sparse grid for 1 of 2 (method, m) pairs (grid reliable)'}
    """
    units: dict[tuple[str, int], dict[str, dict[tuple, str]]] = {}
    for r in results.records:
        per = units.setdefault((r["function"], r["d"]), {})
        per.setdefault(r["estimator"], {}).setdefault((r["method"], r["m"]), r["estimator_reason"])
    notes = {}
    for key, per in units.items():
        total = sum(len(u) for u in per.values())
        notes[key] = "; ".join(f"{name.replace('_', ' ')} for {len(u)} of {total} (method, m) pairs "
                               f"({_three_digits(next(iter(u.values())))})" for name, u in sorted(per.items()))
    return notes


def _three_digits(text: str) -> str:
    """Decimal numbers in ``text`` shown with 3 significant digits (stored reasons keep 4).

    >>> _three_digits("‖f‖ by quadrature 0.6943 vs 0.7071 (exact)")
    '‖f‖ by quadrature 0.694 vs 0.707 (exact)'
    """
    import re
    return re.sub(r"\d+\.\d{3,}", lambda match: f"{float(match.group()):.3g}", text)
