"""Experiment specifications: what to compute, as frozen, validated dataclasses.

An experiment is a set of *problems* (a test function in a dimension ``d``
with a grid of sample sizes ``m``) crossed with a set of *methods* (CS,
trained DNNs, the existence-theorem network), each run for ``trials``
independent draws of the samples. The unit of work is one
``(problem, method, m)``: all its trials are computed together (DNN trials as
one batched model, CS trials by one batched solver) and stored together, one
record per trial.

Every spec serialises to plain JSON/YAML (:meth:`ExperimentSpec.to_dict`) and
back (:meth:`ExperimentSpec.from_dict`); validation happens at construction,
before any expensive work, with messages naming the field and the allowed
values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .. import functions
from .._validation import check_choice
from .methods import (METHODS, CSMethod, DNNMethod, ExistenceMethod, FinetuneMethod, Method, RecipeMethod,  # noqa: F401
                      _positive_int, _positive_or, method_from_dict, method_to_dict)

Scale = Literal["smoke", "ci", "paper"]
SCALES: tuple[str, ...] = get_args(Scale)
Estimator = Literal["auto", "sparse_grid", "monte_carlo"]
_ESTIMATORS = get_args(Estimator)
_SMOOTH_FOR_GRID = ("analytic", "smooth")


_choice = check_choice  # the name catalog.py imports


@dataclass(frozen=True)
class Problem:
    """A test function in dimension ``d`` with its grid of sample sizes.

    Parameters
    ----------
    function
        Name in :func:`dnngap.functions.available`.
    d
        Dimension of the domain :math:`U = [-1, 1]^d`.
    m_values
        Increasing sample sizes; the samples of a trial are nested in ``m``
        (a larger ``m`` extends the same trial's points).
    kinds
        Method kinds (``"cs"``, ``"dnn"``, ``"existence"``, ``"recipe"``) run on this
        problem; empty: every method of the spec.

    Examples
    --------
    >>> p = Problem("exp_cos", 2, (10, 20), kinds=("cs",))
    >>> p.label, p.runs(CSMethod()), p.runs(DNNMethod())
    ('exp_cos, d = 2', True, False)
    >>> Problem("exp_cos", 2, (20, 10))
    Traceback (most recent call last):
    ...
    ValueError: m_values must be strictly increasing; got (20, 10)
    """

    function: str
    d: int
    m_values: tuple[int, ...]
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.function not in functions.available():
            raise ValueError(
                f"function must be one of {', '.join(map(repr, functions.available()))}; "
                f"got {self.function!r}")
        _positive_int("d", self.d)
        f = functions.get(self.function)
        if f.dims is not None and self.d not in f.dims:
            raise ValueError(f"d must be one of {f.dims} for function {self.function!r}; got {self.d}")
        object.__setattr__(self, "m_values", tuple(self.m_values))
        if not self.m_values:
            raise ValueError("m_values must hold at least one sample size; got ()")
        for m in self.m_values:
            _positive_int("m_values[i]", m)
        if list(self.m_values) != sorted(set(self.m_values)):
            raise ValueError(f"m_values must be strictly increasing; got {self.m_values}")
        object.__setattr__(self, "kinds", tuple(self.kinds))
        for kind in self.kinds:
            _choice("problem.kinds[i]", kind, tuple(METHODS))

    def runs(self, method: "Method") -> bool:
        """Whether ``method`` is computed on this problem."""
        return not self.kinds or method.kind in self.kinds

    @property
    def label(self) -> str:
        return f"{self.function}, d = {self.d}"


@dataclass(frozen=True)
class Sampler:
    """How the training samples are drawn.

    ``kind="uniform"``: i.i.d. uniform on :math:`[-1,1]^d` from
    ``numpy.random.default_rng(seed)``, one child stream per trial
    (:func:`dnngap.sampling.uniform`); ``per_trial`` is ignored.

    ``kind="matlab"``: MATLAB's ``rand`` bit for bit
    (:func:`dnngap.sampling.matlab_samples`), ``seed`` ignored, seeded by
    ``per_trial``:

    * ``None`` (default): per problem, the authors' convention for its
      ``(function, d)`` (:func:`dnngap.sampling.matlab_convention`). For a
      released training set these are the authors' points (seed ``t`` for
      trial ``t`` for ``slower_decay_rational``, MATLAB's default stream for
      the others); for a ``(function, d)`` they did not release, MATLAB's
      default stream.
    * ``False``: MATLAB's default stream for every problem.
    * ``True``: a stream with seed ``t + 1`` for trial ``t``, for every problem.

    A unit's sampler is resolved for its problem (:meth:`resolve`), and the
    resolved one is what the store key records; so a sampler that draws the
    same points has the same key whichever way it was asked for.

    Examples
    --------
    >>> from dnngap.experiments import Sampler
    >>> Sampler(kind="matlab").resolve("slower_decay_rational", 8).per_trial
    True
    >>> Sampler(kind="matlab").resolve("exp_cos", 8) == Sampler(kind="matlab", per_trial=False)
    True
    """

    kind: Literal["uniform", "matlab"] = "uniform"
    seed: int = 0
    per_trial: bool | None = None

    def __post_init__(self) -> None:
        _choice("sampler.kind", self.kind, ("uniform", "matlab"))
        _positive_int("sampler.seed", self.seed, minimum=0)
        if not (self.per_trial is None or isinstance(self.per_trial, bool)):
            raise ValueError(f"sampler.per_trial must be None, True or False; got {self.per_trial!r}")

    def resolve(self, function: str, d: int) -> "Sampler":
        """This sampler for one problem, ``per_trial`` decided (a bool).

        ``kind="uniform"``: ``per_trial=False`` (it does not apply);
        ``kind="matlab"`` with ``per_trial=None``: ``True`` where
        :func:`dnngap.sampling.matlab_convention` is ``"per_trial"``.
        """
        if self.kind == "uniform":
            per_trial = False
        elif self.per_trial is None:
            from .. import sampling
            per_trial = sampling.matlab_convention(function, d) == "per_trial"
        else:
            per_trial = self.per_trial
        return self if per_trial is self.per_trial else dataclasses.replace(self, per_trial=per_trial)


@dataclass(frozen=True)
class TestSpec:
    """How error is measured (see :mod:`dnngap.quadrature`).

    Parameters
    ----------
    estimator
        ``"sparse_grid"``: the authors' Clenshaw--Curtis sparse-grid quadrature;
        ``"monte_carlo"``: ``mc_points`` uniform points; ``"auto"``: the sparse
        grid where its quadrature of :math:`f^2` agrees with the exact norm
        (:func:`dnngap.quadrature.grid_reliability`), Monte Carlo otherwise.
        Monte Carlo is always computed as well, as a cross-check.
    grid_levels
        Smolyak level per dimension, pairs ``(d, level)``; dimensions not
        listed use :func:`default_grid_level`.
    mc_points, seed
        Size and seed of the Monte Carlo test set.

    Examples
    --------
    >>> TestSpec().grid_level(8), TestSpec(grid_levels=((8, 3),)).grid_level(8)
    (5, 3)
    >>> TestSpec(estimator="exact")
    Traceback (most recent call last):
    ...
    ValueError: test.estimator must be one of 'auto', 'sparse_grid', 'monte_carlo'; got 'exact'
    """

    __test__ = False  # not a pytest class

    estimator: Estimator = "auto"
    grid_levels: tuple[tuple[int, int], ...] = ()
    mc_points: int = 20_000
    seed: int = 12345

    def __post_init__(self) -> None:
        _choice("test.estimator", self.estimator, _ESTIMATORS)
        _positive_int("test.mc_points", self.mc_points, minimum=10)
        object.__setattr__(self, "grid_levels", tuple(tuple(x) for x in self.grid_levels))
        for d, level in self.grid_levels:
            _positive_int("test.grid_levels[d]", d)
            _positive_int("test.grid_levels[level]", level, minimum=0)

    def grid_level(self, d: int) -> int:
        levels = dict(self.grid_levels)
        if d in levels:
            return levels[d]
        return default_grid_level(d)


#: Default Smolyak levels: about 10^4 points in every dimension (the size of
#: the grids in the authors' smaller data files).
_DEFAULT_LEVELS = {1: 13, 2: 10, 3: 8, 4: 7, 8: 5, 16: 3}
#: The authors' final test grids (see book/paper.md): d=1 65537, d=2 311297,
#: d=3 366593, d=4 643073, d=8 1863937, d=16 2098753 points.
PAPER_LEVELS = ((1, 16), (2, 15), (3, 13), (4, 12), (8, 9), (16, 6))


def default_grid_level(d: int) -> int:
    """The Smolyak level used in dimension ``d`` when a spec names none
    (:data:`_DEFAULT_LEVELS`, else ``max(2, 10 - d)``).

    >>> default_grid_level(2), default_grid_level(5), default_grid_level(16), default_grid_level(20)
    (10, 5, 3, 2)
    """
    if d in _DEFAULT_LEVELS:
        return _DEFAULT_LEVELS[d]
    return max(2, 10 - d)


def _construct(cls, data: dict[str, Any], where: str):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} in {where}; allowed: {sorted(names)}")
    return cls(**data)


@dataclass(frozen=True)
class ExperimentSpec:
    """A complete, resolved experiment.

    Parameters
    ----------
    name
        Short identifier (``"e1"`` …); results are stored under it.
    title
        One line for listings and captions.
    scale
        The preset this spec was resolved from (recorded in every result).
    problems, methods
        Every method runs on every problem.
    trials
        Independent sample draws per ``(problem, method, m)``.
    sampler, test
        How samples are drawn and how error is measured.
    plot_points
        For ``d = 1``: also store each trial's prediction on this many
        equispaced points (for drawing the network against ``f``); 0 for none.
    device
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``; not part of
        the result keys.

    Examples
    --------
    >>> spec = ExperimentSpec("demo", "A demo", "smoke", (Problem("exp_cos", 1, (10, 20)),),
    ...                       (CSMethod(n_max=20), DNNMethod(1, 5)), trials=2)
    >>> [(u.method.label, u.m) for u in spec.units()]
    [('CS (HC, N ≤ 20)', 10), ('CS (HC, N ≤ 20)', 20), ('ReLU 1×5', 10), ('ReLU 1×5', 20)]
    >>> ExperimentSpec.from_dict(spec.to_dict()) == spec
    True
    >>> ExperimentSpec("demo", "x", "smoke", (Problem("exp_cos", 2, (10,)),), (CSMethod(),),
    ...                trials=2, plot_points=5)
    Traceback (most recent call last):
    ...
    ValueError: plot_points needs every problem to have d = 1
    """

    name: str
    title: str
    scale: Scale
    problems: tuple[Problem, ...]
    methods: tuple[Method, ...]
    trials: int
    sampler: Sampler = field(default_factory=Sampler)
    test: TestSpec = field(default_factory=TestSpec)
    plot_points: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"name must be a non-empty identifier; got {self.name!r}")
        _choice("scale", self.scale, SCALES)
        object.__setattr__(self, "problems", tuple(self.problems))
        object.__setattr__(self, "methods", tuple(self.methods))
        if not self.problems:
            raise ValueError("problems must not be empty")
        if not self.methods:
            raise ValueError("methods must not be empty")
        for method in self.methods:
            if not isinstance(method, tuple(METHODS.values())):
                raise TypeError(f"methods must be instances of {', '.join(c.__name__ for c in METHODS.values())}; "
                                f"got {method!r}")
        labels = [m.label for m in self.methods]
        if len(set(labels)) != len(labels):
            raise ValueError(f"methods must have distinct labels (results are grouped by label); got {labels}")
        _positive_int("trials", self.trials)
        if self.sampler.kind == "matlab":
            if self.trials > 20:
                raise ValueError(f"trials must be <= 20 with sampler.kind='matlab' (the authors drew 20); got {self.trials}")
        _positive_int("plot_points", self.plot_points, minimum=0)
        if self.plot_points and any(p.d != 1 for p in self.problems):
            raise ValueError("plot_points needs every problem to have d = 1")
        _choice("device", self.device, ("auto", "cpu", "cuda"))
        for p in self.problems:
            smoothness = functions.get(p.function).smoothness
            if self.test.estimator == "sparse_grid" and smoothness not in _SMOOTH_FOR_GRID:
                raise ValueError(
                    f"test.estimator='sparse_grid' is not meaningful for {p.function!r} ({smoothness}): "
                    "sparse-grid quadrature is badly wrong for discontinuous functions; "
                    "use estimator 'auto' or 'monte_carlo'")
            if any(mt.role == "existence" and p.runs(mt) for mt in self.methods) and p.d > 8:
                raise ValueError(f"the existence network supports d <= 8; got d = {p.d} for {p.function!r}")

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "scale": self.scale,
            "problems": [dataclasses.asdict(p) | {"m_values": list(p.m_values), "kinds": list(p.kinds)}
                         for p in self.problems],
            "methods": [method_to_dict(m) for m in self.methods],
            "trials": self.trials,
            "sampler": dataclasses.asdict(self.sampler),
            "test": {**dataclasses.asdict(self.test), "grid_levels": [list(x) for x in self.test.grid_levels]},
            "plot_points": self.plot_points, "device": self.device,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExperimentSpec":
        data = dict(data)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)} in experiment spec; allowed: {sorted(names)}")
        data["problems"] = tuple(_construct(Problem, dict(p), "problem") for p in data.get("problems", ()))
        data["methods"] = tuple(method_from_dict(m) for m in data.get("methods", ()))
        if "sampler" in data:
            data["sampler"] = _construct(Sampler, dict(data["sampler"]), "sampler")
        if "test" in data:
            data["test"] = _construct(TestSpec, dict(data["test"]), "test")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def describe(self) -> str:
        """One sentence on which points this spec computes (for prose).

        >>> from dnngap import experiments
        >>> experiments.get("e6", "ci").describe()  # doctest: +NORMALIZE_WHITESPACE
        '5 trials per point; exp_cos in d = 8 at m = 75, 300; methods: CS (HC, N ≤ 2000) ·
        ReLU 2×20 · ReLU 2×20, double'
        """
        groups: dict[tuple, list[str]] = {}
        for p in self.problems:
            m_text = _describe_grid(p.m_values)
            only = f" ({', '.join(k.upper() if k == 'cs' else k for k in p.kinds)} only)" if p.kinds else ""
            groups.setdefault((p.function, m_text, only), []).append(str(p.d))
        problems = "; ".join(f"{fn} in d = {', '.join(ds)} at m = {m_text}{only}"
                             for (fn, m_text, only), ds in groups.items())
        return f"{self.trials} trials per point; {problems}; methods: {_describe_methods(self.methods)}"

    # -- work units ----------------------------------------------------
    def for_problem(self, problem: Problem) -> "ExperimentSpec":
        """This spec with its sampler resolved for ``problem``
        (:meth:`Sampler.resolve`): the spec its units carry."""
        sampler = self.sampler.resolve(problem.function, problem.d)
        return self if sampler == self.sampler else dataclasses.replace(self, sampler=sampler)

    def units(self) -> list["Unit"]:
        """Every ``(problem, method, m)``; a unit's ``spec`` is
        :meth:`for_problem` of its problem, so its sampler says exactly how
        its points are drawn."""
        out = []
        for p in self.problems:
            spec = self.for_problem(p)
            out += [Unit(spec, p, method, m) for method in self.methods if p.runs(method) for m in p.m_values]
        return out


def _describe_grid(ms: tuple[int, ...]) -> str:
    """``m`` values for prose: listed when few, else as arithmetic pieces.

    >>> _describe_grid((75, 300)), _describe_grid(tuple(range(5, 76, 5)) + tuple(range(150, 2251, 75)))
    ('75, 300', '5, 10, …, 75 then 150, 225, …, 2250 (44 values)')
    >>> from dnngap.sampling import RELEASED_M
    >>> RELEASED_M[("f1", 1)][:4], _describe_grid(RELEASED_M[("f1", 1)])
    ((25, 50, 76, 100), '25, 50, …, 1000 (40 values, steps of about 25)')
    """
    if len(ms) <= 6:
        return ", ".join(map(str, ms))
    pieces, start = [], 0
    for i in range(1, len(ms) + 1):
        if i == len(ms) or (i - start >= 2 and ms[i] - ms[i - 1] != ms[start + 1] - ms[start]):
            pieces.append(ms[start:i])
            start = i
    if len(pieces) > 3:  # a grid rounded to integers (e.g. 25, 50, 76, 100, ...): nearly arithmetic
        step = (ms[-1] - ms[0]) / (len(ms) - 1)
        return f"{ms[0]}, {ms[1]}, …, {ms[-1]} ({len(ms)} values, steps of about {step:.3g})"
    text = " then ".join(", ".join(map(str, q)) if len(q) <= 3 else f"{q[0]}, {q[1]}, …, {q[-1]}" for q in pieces)
    return f"{text} ({len(ms)} values)"


def _describe_methods(methods: tuple["Method", ...]) -> str:
    """Method labels, with the DNNs of one precision summarised as
    activations × architectures when they form that cross product."""
    dnns = [m for m in methods if isinstance(m, DNNMethod)]
    by_precision: dict[str, list[DNNMethod]] = {}
    for m in dnns:
        by_precision.setdefault(m.precision, []).append(m)
    parts = [m.label for m in methods if not isinstance(m, DNNMethod)]
    for precision, group in by_precision.items():
        acts = list(dict.fromkeys(m.architecture().label.split(" ")[0] for m in group))
        archs = list(dict.fromkeys(f"{m.depth}×{m.width}" for m in group))
        if len(group) > 2 and len(group) == len(acts) * len(archs):
            code = "L + 1" if group[0].convention == "code" else "L"
            parts.append(f"{'/'.join(acts)} networks {', '.join(archs)} ({precision} precision; "
                         f"{code} hidden layers)")
        else:
            parts.extend(m.label for m in group)
    return " · ".join(parts)


def method_key(method: Method) -> str:
    """A short stable hash of a method's full configuration.

    >>> method_key(CSMethod()), method_key(CSMethod(n_max=300))
    ('a244955c723cea85', '6a1ba32eec7d6025')
    """
    return _hash(method_to_dict(method))


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Unit:
    """One ``(problem, method, m)`` of a spec: its trials are computed together.

    ``spec`` is stored resolved for ``problem`` (:meth:`ExperimentSpec.for_problem`),
    so its sampler says exactly how the unit's points are drawn.

    Examples
    --------
    >>> spec = ExperimentSpec("demo", "A demo", "smoke", (Problem("exp_cos", 1, (10, 20)),),
    ...                       (CSMethod(n_max=20),), trials=2)
    >>> unit = spec.units()[0]
    >>> config = unit.config()
    >>> config["m"], config["test"]["grid_level"], config["method"]["n_max"], sorted(config["numerics"])
    (10, 13, 20, ['cs', 'data'])
    >>> len(unit.key), unit.key == spec.units()[1].key      # the key hashes the config
    (16, False)
    """

    spec: ExperimentSpec
    problem: Problem
    method: Method
    m: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", self.spec.for_problem(self.problem))

    def config(self) -> dict[str, Any]:
        """Everything the unit's numbers depend on (the store key hashes this):
        the resolved configuration and the numerics versions of the code
        (:func:`dnngap.experiments.store.numerics_versions` of its method)."""
        return {
            "function": self.problem.function, "d": self.problem.d, "m": self.m,
            "trials": self.spec.trials,
            "sampler": dataclasses.asdict(self.spec.sampler),
            "test": {"estimator": self.spec.test.estimator,
                     "grid_level": self.spec.test.grid_level(self.problem.d),
                     "mc_points": self.spec.test.mc_points, "seed": self.spec.test.seed},
            "method": method_to_dict(self.method),
            "plot_points": self.spec.plot_points,
            "numerics": self._numerics(),
        }

    def _numerics(self) -> dict[str, int]:
        from .store import numerics_versions

        return numerics_versions(self.method)

    @property
    def key(self) -> str:
        return _hash(self.config())
