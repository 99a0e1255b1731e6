"""Methods: every kind of approximation an experiment can compute, one class each.

A method is a frozen dataclass: its fields are its configuration (part of
every unit's store key, :mod:`.specs`), and the class says everything the
rest of the library needs to know about its kind:

``kind``
    the name in records (``method_kind``) and specs (:data:`METHODS`);
``role``
    what it is in a comparison: ``"cs"`` (the compressed-sensing baseline),
    ``"network"`` (a network trained from a random start) or ``"existence"``
    (the existence theorem's constructed network, also when trained further
    from its constructed weights);
``deterministic``
    whether recomputing gives the same numbers up to rounding (CS, the
    existence network: :mod:`.verify` compares them tightly, and their
    ``stop_reason`` says whether the solver certified convergence) or only
    approximately (trained networks);
``on_gpu``
    whether it computes on the device a spec asks for (networks) or always on
    the CPU;
``size_symbol``
    what :meth:`size` counts: ``"P"`` (network parameters) or ``"N"``
    (index-set size);
``NUMERICS`` (and :meth:`numerics_modules`)
    the modules whose ``NUMERICS_VERSION`` its numbers depend on (part of the
    store key, :func:`.store.numerics_versions`);

and its behaviour: :meth:`fit` (all trials at once; a predictor and the
per-trial training outcome), :meth:`size` and :meth:`cost_class` (the cost
model of :mod:`.planning`), :meth:`work` (a rough cost for scheduling).

Adding a method is one class here and one entry in :data:`METHODS`; nothing
else branches on the kind. The class is a frozen dataclass deriving from
``_Kind`` (or ``_Network`` for a trained network) whose fields are its
settings; it sets the class attributes above and defines ``label`` (a
short name for legends), :meth:`fit`, :meth:`size`, :meth:`cost_class`
and :meth:`work`. ``tests/test_new_method.py`` writes one (least squares on
a total-degree space, about 30 lines) and runs it through the whole
pipeline -- store, records, summaries, cost plans -- without touching any
other module; a new kind's numbers get a ``NUMERICS_VERSION`` in the module
that computes them, named in ``NUMERICS``.

>>> from dnngap.experiments import methods
>>> sorted(methods.METHODS)
['cs', 'dnn', 'existence', 'finetune', 'recipe']
>>> [methods.METHODS[k].role for k in ("cs", "dnn", "existence", "recipe")]
['cs', 'network', 'existence', 'network']
>>> methods.METHODS["finetune"].role, methods.METHODS["finetune"].deterministic
('existence', False)
>>> methods.DNNMethod(depth=1, width=10).size(8), methods.CSMethod().size(8)
(211, 1843)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

import numpy as np

from .._validation import check_choice, check_positive

Role = Literal["cs", "network", "existence"]
#: ``predict(points (n, d)) -> (trials, n)`` and the per-trial training outcome:
#: ``train_loss``, ``steps``, ``stop_reason`` (lists over trials), ``device``,
#: and where they apply ``N``, ``lam``, ``stages``, ``start_train_loss`` (lists), and
#: ``release``, called once the unit's records are computed (to drop checkpoints).
Fit = tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]

#: The numbers every kind shares (samples, test sets, error estimation).
_DATA = {"data": "dnngap.experiments.runner"}


def _positive_or(name: str, value: object, alternatives: str) -> None:
    """:func:`check_positive`, its message naming the other values allowed."""
    try:
        check_positive(name, value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{err} (or {alternatives})") from None


def _positive_int(name: str, value: object, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _set_budget(method: object, prefix: str) -> None:
    """Validate ``method.budget`` (a finite number > 0; an int becomes a float, so
    that ``budget=2`` and ``budget=2.0`` are the same method and store key)."""
    budget = method.budget
    if isinstance(budget, int) and not isinstance(budget, bool):
        object.__setattr__(method, "budget", budget := float(budget))
    if not (isinstance(budget, float) and math.isfinite(budget) and budget > 0):
        raise ValueError(f"{prefix}.budget must be a finite number > 0; got {budget!r}")


@functools.lru_cache(maxsize=None)
def _index_set(kind: str, d: int, n_max: int) -> np.ndarray:
    """The largest index set of ``kind`` in ``d`` dimensions with at most ``n_max`` elements."""
    from .. import polynomials

    Lambda = polynomials.largest_index_set(kind, d, n_max)
    Lambda.setflags(write=False)  # cached: shared by every caller
    return Lambda


#: How labels write the activations.
_ACTIVATION_LABELS = {"relu": "ReLU", "elu": "ELU", "tanh": "tanh", "sigmoid": "sigmoid", "softplus": "softplus"}


def _network_label(depth: int, width: int, activation: str, convention: str) -> str:
    """``'ReLU 4×40'`` in the authors' convention (``depth + 1`` activated
    hidden layers, stated once in the book, not in labels); the paper
    convention says so: ``'ReLU 4×40 (paper: 4 hidden layers)'``."""
    name = f"{_ACTIVATION_LABELS.get(activation, activation)} {depth}×{width}"
    return name if convention == "code" else f"{name} ({convention}: {depth} hidden layers)"


def _solver_outcome(objective, iterations, converged, T: int) -> dict[str, Any]:
    """Per-trial ``train_loss`` (the objective), ``steps`` (iterations) and
    ``stop_reason`` of a solver that certifies convergence."""
    return {"train_loss": [float(v) for v in np.broadcast_to(np.asarray(objective, float), (T,))],
            "steps": [int(v) for v in np.broadcast_to(np.asarray(iterations), (T,))],
            "stop_reason": ["converged" if c else "max_iter" for c in np.broadcast_to(np.asarray(converged), (T,))]}


class _Kind:
    """What every method class shares."""

    NUMERICS: ClassVar[dict[str, str]]

    def numerics_modules(self) -> dict[str, str]:
        """Name -> module of each ``NUMERICS_VERSION`` this method's numbers depend on."""
        return dict(self.NUMERICS)

    def stopping_tolerance(self) -> tuple[str, float] | None:
        """``(name, tol)`` if training stops at a training MSE ``tol`` (the
        figures draw :math:`\\sqrt{\\mathrm{tol}}/\\|f\\|` for it), else ``None``."""
        return None

    def epoch_budget(self) -> int | None:
        """The epochs of gradient training it may run (captions), or ``None``."""
        return None

    def protocol_note(self) -> str | None:
        """How it departs from the paper's protocol, for captions, or ``None``."""
        return None


class _Network(_Kind):
    """What the trained-network kinds share: their role, that training is
    reproducible only up to rounding, that they run on the requested device,
    and their size, the parameter count of their ``architecture()``."""

    role: ClassVar[Role] = "network"
    deterministic: ClassVar[bool] = False
    on_gpu: ClassVar[bool] = True
    size_symbol: ClassVar[str] = "P"  # what :meth:`size` counts

    def size(self, d: int) -> int:
        """The number of network parameters :math:`P` in dimension ``d``."""
        return int(self.architecture().n_parameters(d))


@dataclass(frozen=True)
class CSMethod(_Kind):
    """Compressed sensing: weighted square-root LASSO on a Legendre index set.

    See :mod:`dnngap.cs`. The index set is the largest of its kind with at most
    ``n_max`` elements (:func:`dnngap.polynomials.largest_order`).

    Examples
    --------
    >>> cs = CSMethod(n_max=50)
    >>> cs.label, cs.size(2), CSMethod(lam="cv").label
    ('CS (HC, N ≤ 50)', 50, 'CS (HC, N ≤ 2000, λ by CV)')
    >>> y = np.random.default_rng(0).uniform(-1, 1, (2, 10, 1))     # 2 trials, m = 10
    >>> predict, info = cs.fit(y, np.exp(y[..., 0]))
    >>> predict(np.zeros((3, 1))).shape, info["stop_reason"], info["N"]
    ((2, 3), ['converged', 'converged'], 50)
    >>> CSMethod(lam=-1)
    Traceback (most recent call last):
    ...
    ValueError: cs.lam must be a positive number (finite, > 0); got -1 (or 'cv' or None)
    """

    kind: ClassVar[str] = "cs"
    role: ClassVar[Role] = "cs"
    deterministic: ClassVar[bool] = True
    on_gpu: ClassVar[bool] = False
    size_symbol: ClassVar[str] = "N"  # what :meth:`size` counts
    NUMERICS: ClassVar[dict[str, str]] = {"cs": "dnngap.cs", **_DATA}

    index_set: Literal["hyperbolic_cross", "total_degree", "tensor_product"] = "hyperbolic_cross"
    n_max: int = 2000
    #: ``None``: :data:`dnngap.cs.DEFAULT_LAMBDA`; a positive number: that λ;
    #: ``"cv"``: λ chosen per trial by cross-validation on its own training
    #: samples (:func:`dnngap.tuning.cross_validate_lambda`).
    lam: float | Literal["cv"] | None = None
    solver: Literal["primal_dual", "cvxpy"] = "primal_dual"

    def __post_init__(self) -> None:
        check_choice("cs.index_set", self.index_set, ("hyperbolic_cross", "total_degree", "tensor_product"))
        _positive_int("cs.n_max", self.n_max)
        if not (self.lam is None or (isinstance(self.lam, str) and self.lam == "cv")):
            _positive_or("cs.lam", self.lam, "'cv' or None")
        check_choice("cs.solver", self.solver, ("primal_dual", "cvxpy"))

    @property
    def label(self) -> str:
        short = {"hyperbolic_cross": "HC", "total_degree": "TD", "tensor_product": "TP"}[self.index_set]
        if self.lam == "cv":
            return f"CS ({short}, N ≤ {self.n_max}, λ by CV)"
        if self.lam is not None:
            return f"CS ({short}, N ≤ {self.n_max}, λ = {self.lam:.0e})".replace("e-0", "e-")
        return f"CS ({short}, N ≤ {self.n_max})"

    def fit(self, y: np.ndarray, fy: np.ndarray, *, device: str = "auto", progress: bool = False) -> Fit:
        """Solve every trial (one batched solve; λ by cross-validation per trial with ``lam="cv"``)."""
        from .. import cs

        T, _, d = y.shape
        Lambda = _index_set(self.index_set, d, self.n_max)
        if self.lam == "cv":
            from .. import tuning
            chosen = tuning.cross_validate_lambda(y, fy, Lambda, method=self.solver)
            z, per_trial = tuning.fit_cv(y, fy, Lambda, chosen, method=self.solver)
            objective, iterations, converged = map(list, zip(*per_trial))
            lams = chosen.lam.tolist()
        else:
            lam = cs.DEFAULT_LAMBDA if self.lam is None else self.lam
            sol = cs.fit(y, fy, Lambda, lam=lam, method=self.solver)
            z = np.asarray(sol.z).reshape(T, -1)
            objective, iterations, converged = sol.objective, sol.iterations, sol.converged
            lams = [float(lam)] * T
        info = {**_solver_outcome(objective, iterations, converged, T), "device": "cpu",
                "N": int(len(Lambda)), "lam": [float(v) for v in lams]}
        return (lambda pts: cs.evaluate(z, pts, Lambda)), info

    def numerics_modules(self) -> dict[str, str]:
        """Also :mod:`dnngap.tuning`'s version where λ is cross-validated."""
        return {**self.NUMERICS, **({"tuning": "dnngap.tuning"} if self.lam == "cv" else {})}

    def size(self, d: int) -> int:
        """:math:`N = |\\Lambda|` in dimension ``d``."""
        return int(len(_index_set(self.index_set, d, self.n_max)))

    def cost_class(self) -> str:
        return f"cs ({self.solver}" + (", λ by CV)" if self.lam == "cv" else ")")

    def work(self, d: int, m: int, trials: int) -> float:
        """``trials × m × n_max × 100``: an ``m × N`` matrix applied some hundred times."""
        return float(trials * m * self.n_max * 100)


@dataclass(frozen=True)
class DNNMethod(_Network):
    """A fully connected network trained by the paper's protocol (:mod:`dnngap.dnn`).

    Fields mirror :class:`dnngap.dnn.Architecture` and
    :class:`dnngap.dnn.TrainingConfig`; ``epochs``/``tol`` ``None`` take the
    precision's preset (single: 50,000 epochs, 5e-7; double: 200,000, 5e-16).

    Examples
    --------
    >>> DNNMethod(depth=1, width=10).size(8), DNNMethod().epoch_budget(), DNNMethod().paper_protocol
    (211, 50000, True)
    >>> net = DNNMethod(depth=1, width=5, epochs=10)
    >>> net.stopping_tolerance(), net.protocol_note()
    (('single', 5e-07), "DNN epochs or tolerance changed: not the paper's protocol")
    >>> y = np.random.default_rng(0).uniform(-1, 1, (2, 10, 1))
    >>> predict, info = net.fit(y, np.exp(y[..., 0]), device="cpu")
    >>> predict(np.zeros((3, 1))).shape, info["steps"], info["stop_reason"]
    ((2, 3), [10, 10], ['epochs', 'epochs'])
    """

    kind: ClassVar[str] = "dnn"
    NUMERICS: ClassVar[dict[str, str]] = {"dnn": "dnngap.dnn", **_DATA}

    depth: int = 4
    width: int = 40
    activation: Literal["relu", "elu", "tanh", "sigmoid", "softplus"] = "relu"
    convention: Literal["code", "paper"] = "code"
    precision: Literal["single", "double"] = "single"
    epochs: int | None = None
    tol: float | None = None
    optimizer: Literal["adam", "sgd"] = "adam"
    lr0: float = 1e-3
    init: Literal["normal", "he", "glorot"] = "normal"
    sigma: float = 0.1
    same_init: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        # dnn's own dataclasses validate every field, naming it
        self.architecture()
        self.training()

    def architecture(self):
        from .. import dnn
        return dnn.Architecture(depth=self.depth, width=self.width,
                                activation=self.activation, convention=self.convention)

    def training(self):
        from .. import dnn
        return dnn.TrainingConfig(precision=self.precision, epochs=self.epochs, tol=self.tol,
                                  lr0=self.lr0, optimizer=self.optimizer, init=self.init,
                                  sigma=self.sigma, same_init=self.same_init, seed=self.seed)

    @property
    def label(self) -> str:
        """Short: ``'ReLU 4×40'``, with ``', double'`` in double precision.

        :math:`L \\times N` counts as the authors' code does (``convention="code"``,
        :math:`L + 1` activated hidden layers; the book says so once, not in
        every label); the other convention is named:
        ``'ReLU 4×40 (paper: 4 hidden layers)'``.

        >>> DNNMethod(4, 40).label, DNNMethod(4, 40, convention="paper", precision="double").label
        ('ReLU 4×40', 'ReLU 4×40 (paper: 4 hidden layers), double')
        """
        return _network_label(self.depth, self.width, self.activation, self.convention) + (
            ", double" if self.precision == "double" else "")

    def stopping_tolerance(self) -> tuple[str, float] | None:
        """``(precision, tol)``: the paper's protocol stops at this training MSE."""
        return self.precision, self.training().resolved_tol

    def epoch_budget(self) -> int | None:
        return self.training().resolved_epochs

    def protocol_note(self) -> str | None:
        return None if self.paper_protocol else "DNN epochs or tolerance changed: not the paper's protocol"

    @property
    def paper_protocol(self) -> bool:
        """Whether training follows the paper's protocol (the precision's epochs and tolerance)."""
        return (self.epochs, self.tol) == (None, None)

    def fit(self, y: np.ndarray, fy: np.ndarray, *, device: str = "auto", progress: bool = False) -> Fit:
        """Train every trial as one batched model (:func:`dnngap.dnn.train`)."""
        from .. import dnn

        res = dnn.train(self.architecture(), self.training(), y, fy, device=device, progress=progress)
        info = {"train_loss": np.asarray(res.losses, float).tolist(),
                "steps": np.asarray(res.epochs).astype(int).tolist(),
                "stop_reason": [str(s) for s in res.stop_reason], "device": str(res.device)}
        return res.predict, info

    def cost_class(self) -> str:
        return f"dnn ({self.precision}, {self.training().resolved_epochs:,} epochs)"

    def work(self, d: int, m: int, trials: int) -> float:
        """``trials × m × P × E``: the flops of full-batch training to the epoch budget."""
        return float(trials * m * self.size(d) * self.training().resolved_epochs)


@dataclass(frozen=True)
class ExistenceMethod(_Kind):
    """The practical existence theorem's network (:mod:`dnngap.existence`).

    Hidden layers emulate the Legendre features of a hyperbolic cross with at
    most ``n_max`` elements to the a-priori accuracy ``delta`` (the sawtooth
    depth is :func:`dnngap.existence.required_s`); the last layer is trained
    with the weighted square-root-LASSO loss, by the CS solver (``"cs"``) or
    by proximal gradient descent on the last layer alone (``"gradient"``).

    Examples
    --------
    >>> net = ExistenceMethod(n_max=10)
    >>> net.label, net.size(1), net.cost_class()
    ('existence network (N ≤ 10, δ = 1e-08)', 10, 'existence (cs, δ = 1e-08)')
    >>> y = np.random.default_rng(0).uniform(-1, 1, (2, 10, 1))
    >>> predict, info = net.fit(y, np.exp(y[..., 0]))
    >>> predict(np.zeros((3, 1))).shape, info["stop_reason"]
    ((2, 3), ['converged', 'converged'])
    >>> ExistenceMethod(delta=1)
    Traceback (most recent call last):
    ...
    ValueError: existence.delta must be a float in (0, 1); got 1
    """

    kind: ClassVar[str] = "existence"
    role: ClassVar[Role] = "existence"
    deterministic: ClassVar[bool] = True
    on_gpu: ClassVar[bool] = False
    size_symbol: ClassVar[str] = "N"  # what :meth:`size` counts
    NUMERICS: ClassVar[dict[str, str]] = {"existence": "dnngap.existence", "cs": "dnngap.cs", **_DATA}

    n_max: int = 2000
    delta: float = 1e-8
    lam: float | None = None
    training: Literal["cs", "gradient"] = "cs"

    def __post_init__(self) -> None:
        _positive_int("existence.n_max", self.n_max)
        if not (isinstance(self.delta, float) and 0 < self.delta < 1):
            raise ValueError(f"existence.delta must be a float in (0, 1); got {self.delta!r}")
        if self.lam is not None:
            _positive_or("existence.lam", self.lam, "None")
        check_choice("existence.training", self.training, ("cs", "gradient"))

    @property
    def label(self) -> str:
        return f"existence network (N ≤ {self.n_max}, δ = {self.delta:.0e})"

    def construct(self, y: np.ndarray, fy: np.ndarray):
        """The emulating network with its last layer fitted on each trial
        (:func:`dnngap.existence.fit_existence_network`), an ``ExistenceFit``."""
        from .. import cs, existence

        Lambda = _index_set("hyperbolic_cross", y.shape[2], self.n_max)
        lam = cs.DEFAULT_LAMBDA if self.lam is None else self.lam
        s = existence.required_s(Lambda, self.delta)
        return existence.fit_existence_network(y, fy, Lambda, s=s, lam=lam, training=self.training)

    def fit(self, y: np.ndarray, fy: np.ndarray, *, device: str = "auto", progress: bool = False) -> Fit:
        """Build the emulating network and fit its last layer (:meth:`construct`)."""
        res = self.construct(y, fy)
        info = {**_solver_outcome(res.objective, res.iterations, res.converged, y.shape[0]), "device": "cpu",
                "N": int(res.z.shape[1])}
        return res.predict, info

    def size(self, d: int) -> int:
        """:math:`N = |\\Lambda|` of its hyperbolic cross in dimension ``d``."""
        return int(len(_index_set("hyperbolic_cross", d, self.n_max)))

    def cost_class(self) -> str:
        return f"existence ({self.training}, δ = {self.delta:g})"

    def work(self, d: int, m: int, trials: int) -> float:
        """``trials × m × 4 n_max × 100``: CS on the emulated features, which cost more to build."""
        return float(trials * m * 4 * self.n_max * 100)


@dataclass(frozen=True)
class RecipeMethod(_Network):
    """A fully connected network trained by a named recipe (:mod:`dnngap.recipes`).

    A separate kind from :class:`DNNMethod`: a recipe fixes the optimiser,
    precision, schedule and stopping rule itself, so none of
    :class:`DNNMethod`'s training fields applies, and :class:`DNNMethod`'s
    store keys stay as they are. The network is
    ``dnngap.dnn.Architecture(depth, width, activation)`` in the authors'
    depth convention (``"code"``: ``depth + 1`` hidden layers).

    Parameters
    ----------
    recipe
        A name in :func:`dnngap.recipes.available`.
    depth, width
        :math:`L \\times N` as in :class:`DNNMethod`.
    activation
        ``None``: the recipe's own (:attr:`dnngap.recipes.Recipe.activation`).
    seed
        Seed of the initial parameters (the same for every trial).
    budget
        Factor on every epoch and iteration count of the recipe; 1 (default)
        is the recipe as designed, smaller values are for quick tests.

    Examples
    --------
    >>> net = RecipeMethod("paper", depth=1, width=5, budget=0.001)
    >>> net.size(1), net.resolved_activation, net.epoch_budget(), net.protocol_note()
    (46, 'relu', 50, 'training recipe paper (budget ×0.001)')
    >>> RecipeMethod("adam_lbfgs").epoch_budget() is None, RecipeMethod(budget=2).budget
    (True, 2.0)
    >>> RecipeMethod(budget=0)
    Traceback (most recent call last):
    ...
    ValueError: recipe.budget must be a finite number > 0; got 0.0
    """

    kind: ClassVar[str] = "recipe"
    # the recipes that are the paper's protocol with one change run dnngap.dnn.train
    NUMERICS: ClassVar[dict[str, str]] = {"recipes": "dnngap.recipes", "dnn": "dnngap.dnn", **_DATA}

    recipe: str = "paper"
    depth: int = 4
    width: int = 40
    activation: Literal["relu", "elu", "tanh", "sigmoid", "softplus"] | None = None
    seed: int = 0
    budget: float = 1.0

    def __post_init__(self) -> None:
        from .. import recipes
        check_choice("recipe.recipe", self.recipe, tuple(recipes.available()))
        _positive_int("recipe.depth", self.depth)
        _positive_int("recipe.width", self.width)
        if self.activation is not None:
            check_choice("recipe.activation", self.activation, ("relu", "elu", "tanh", "sigmoid", "softplus"))
        _positive_int("recipe.seed", self.seed, minimum=0)
        _set_budget(self, "recipe")

    @property
    def resolved_activation(self) -> str:
        """``activation``, or the recipe's default."""
        from .. import recipes
        return self.activation or recipes.get(self.recipe).activation

    def architecture(self):
        from .. import dnn
        return dnn.Architecture(depth=self.depth, width=self.width, activation=self.resolved_activation)

    @property
    def label(self) -> str:
        """E.g. ``'ReLU 4×40, Adam+L-BFGS (double)'``; the budget when it is not 1."""
        from .. import recipes
        name = _network_label(self.depth, self.width, self.resolved_activation, "code")
        budget = f", budget ×{self.budget:g}" if self.budget != 1 else ""
        return f"{name}, {recipes.get(self.recipe).title}{budget}"

    def fit(self, y: np.ndarray, fy: np.ndarray, *, device: str = "auto", progress: bool = False) -> Fit:
        """Train every trial by the recipe (:func:`dnngap.recipes.train`)."""
        from .. import recipes

        res = recipes.train(self.recipe, self.architecture(), y, fy, seed=self.seed, budget=self.budget,
                            device=device)
        info = {"train_loss": np.asarray(res.losses, float).tolist(),
                "steps": res.iterations.astype(int).tolist(),
                "stop_reason": [str(s) for s in res.stop_reason], "device": str(res.device),
                "stages": [{"adam": int(a), "lbfgs": int(b)}
                           for a, b in zip(res.adam_epochs, res.lbfgs_iterations)]}
        return res.predict, info

    def epoch_budget(self) -> int | None:
        """The epochs of a recipe that is the paper's protocol with one change
        (:attr:`dnngap.recipes.Recipe.epochs`, times the budget); ``None`` for the others."""
        from .. import recipes
        epochs = recipes.get(self.recipe).epochs
        return None if epochs is None else max(1, round(epochs * self.budget))

    def protocol_note(self) -> str | None:
        """``"training recipe NAME"`` (with the budget when it is not 1)."""
        return f"training recipe {self.recipe}" + (f" (budget ×{self.budget:g})" if self.budget != 1 else "")

    def cost_class(self) -> str:
        return f"recipe {self.recipe}" + (f" (budget ×{self.budget:g})" if self.budget != 1 else "")

    def work(self, d: int, m: int, trials: int) -> float:
        """``trials × m × P × E`` with ``E`` the recipe's nominal evaluations (:attr:`dnngap.recipes.Recipe.cost`)."""
        from .. import recipes
        return float(trials * m * self.size(d) * recipes.get(self.recipe).cost * self.budget)


@functools.lru_cache(maxsize=None)
def _finetune_sizes(d: int, n_max: int, delta: float) -> tuple[int, int]:
    """Trainable parameters of the fine-tuned existence network (see :class:`FinetuneMethod`),
    and those of a dense network of the same layer sizes."""
    from .. import existence
    from ..existence import finetune

    Lambda = _index_set("hyperbolic_cross", d, n_max)
    network = existence.emulate_features(Lambda, existence.required_s(Lambda, delta)).network
    return finetune.trainable_parameters(network), finetune.dense_parameters(network)


@dataclass(frozen=True)
class FinetuneMethod(_Kind):
    """The existence network with every layer trained from its constructed weights.

    The network of :class:`ExistenceMethod` (``n_max``, ``delta``, last layer
    by CS) is the starting point; :func:`dnngap.existence.finetune.finetune`
    then trains the non-zero weights and the biases of all its layers on the
    training MSE by the stages of the ``adam_lbfgs`` recipe. Its role is
    the existence network's (it is that network, trained further), so that
    comparisons of networks trained from a random start leave it out; it is
    trained, so recomputing it reproduces it only up to rounding, on the
    device asked for. Its size is the number of trainable parameters.

    Examples
    --------
    >>> net = FinetuneMethod(n_max=10, budget=0.01)
    >>> net.label, net.size(1), net.dense_size(1), net.cost_class()
    ('existence network (N ≤ 10), every layer trained, budget ×0.01', 6493, 47675, 'finetune (Adam+L-BFGS, budget ×0.01)')
    >>> y = np.random.default_rng(0).uniform(-1, 1, (2, 10, 1))
    >>> predict, info = net.fit(y, np.exp(y[..., 0]), device="cpu")
    >>> predict(np.zeros((3, 1))).shape, info["stages"][0]["adam"], info["N"]
    ((2, 3), 10, 10)
    >>> info["release"]()  # what the runner calls once the records are computed: the checkpoints go
    >>> FinetuneMethod(n_max=0)
    Traceback (most recent call last):
    ...
    ValueError: finetune.n_max must be an integer >= 1; got 0
    """

    kind: ClassVar[str] = "finetune"
    role: ClassVar[Role] = "existence"
    deterministic: ClassVar[bool] = False
    on_gpu: ClassVar[bool] = True
    size_symbol: ClassVar[str] = "P"  # what :meth:`size` counts
    NUMERICS: ClassVar[dict[str, str]] = {"existence": "dnngap.existence", "cs": "dnngap.cs",
                                          "recipes": "dnngap.recipes", **_DATA}

    n_max: int = 2000
    delta: float = 1e-8
    budget: float = 1.0

    def __post_init__(self) -> None:
        _positive_int("finetune.n_max", self.n_max)
        if not (isinstance(self.delta, float) and 0 < self.delta < 1):
            raise ValueError(f"finetune.delta must be a float in (0, 1); got {self.delta!r}")
        _set_budget(self, "finetune")

    @property
    def label(self) -> str:
        delta = "" if self.delta == 1e-8 else f", δ = {self.delta:.0e}"
        budget = f", budget ×{self.budget:g}" if self.budget != 1 else ""
        return f"existence network (N ≤ {self.n_max}{delta}), every layer trained{budget}"

    def start(self) -> ExistenceMethod:
        """The constructed network training starts from."""
        return ExistenceMethod(n_max=self.n_max, delta=self.delta)

    def fit(self, y: np.ndarray, fy: np.ndarray, *, device: str = "auto", progress: bool = False) -> Fit:
        """Build and fit the existence network, then train all its layers, trial by trial.

        Finished trials are kept in :meth:`checkpoint_folder` until the unit's
        records are computed (``info["release"]`` removes them), so that an
        interrupted unit resumes from the trial in flight, or from its test-set
        evaluation."""
        import shutil

        from ..existence.finetune import finetune

        start = self.start().construct(y, fy)
        folder = self.checkpoint_folder(y, fy)
        res = finetune(start, y, fy, budget=self.budget, device=device, progress=progress, checkpoint=folder)
        info = {"train_loss": res.losses.tolist(), "start_train_loss": res.initial_losses.tolist(),
                "steps": (res.adam_epochs + res.lbfgs_iterations).tolist(),
                "stop_reason": res.stop_reason.tolist(), "device": res.device, "N": int(start.z.shape[1]),
                "stages": [{"adam": int(a), "lbfgs": int(b)} for a, b in zip(res.adam_epochs, res.lbfgs_iterations)],
                "release": lambda: shutil.rmtree(folder, ignore_errors=True)}
        return res.predict, info

    def checkpoint_folder(self, y: np.ndarray, fy: np.ndarray):
        """Where :meth:`fit` keeps finished trials: ``.partial/finetune-<digest>`` in the
        default results store (:func:`.store.default_root`, ``$DNNGAP_RESULTS``), the
        digest of this method's settings and the samples."""
        import hashlib
        import json

        from .store import default_root

        h = hashlib.sha256(json.dumps(method_to_dict(self), sort_keys=True).encode())
        for a in (y, fy):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        return default_root() / ".partial" / f"finetune-{h.hexdigest()[:16]}"

    def size(self, d: int) -> int:
        """Trainable parameters :math:`P`: the construction's non-zero weights and every bias."""
        return _finetune_sizes(d, self.n_max, self.delta)[0]

    def dense_size(self, d: int) -> int:
        """The parameters of a dense network with the same layer sizes (one output)."""
        return _finetune_sizes(d, self.n_max, self.delta)[1]

    def protocol_note(self) -> str | None:
        return "the existence network, every layer trained by Adam+L-BFGS"

    def cost_class(self) -> str:
        return "finetune (Adam+L-BFGS" + (f", budget ×{self.budget:g})" if self.budget != 1 else ")")

    def work(self, d: int, m: int, trials: int) -> float:
        """``trials × m × P × E``, ``E`` the nominal evaluations of ``adam_lbfgs``."""
        from .. import recipes
        return float(trials * m * self.size(d) * recipes.get("adam_lbfgs").cost * self.budget)


Method = Union[CSMethod, DNNMethod, ExistenceMethod, FinetuneMethod, RecipeMethod]
#: Every method kind, by name: the one place a new kind is registered.
METHODS: dict[str, type] = {cls.kind: cls for cls in (CSMethod, DNNMethod, ExistenceMethod, FinetuneMethod,
                                                       RecipeMethod)}


def role_of(kind: str) -> str:
    """The role of a method kind (for records, which store the kind).

    >>> role_of("cs"), role_of("recipe"), role_of("existence")
    ('cs', 'network', 'existence')
    """
    return METHODS[kind].role


def method_to_dict(method: Method) -> dict[str, Any]:
    """The method as plain data: its fields and ``kind``.

    >>> method_to_dict(CSMethod(n_max=300))
    {'kind': 'cs', 'index_set': 'hyperbolic_cross', 'n_max': 300, 'lam': None, 'solver': 'primal_dual'}
    >>> method_from_dict(method_to_dict(DNNMethod(2, 20))) == DNNMethod(2, 20)
    True
    """
    return {"kind": method.kind, **dataclasses.asdict(method)}


def method_from_dict(data: dict[str, Any]) -> Method:
    """Inverse of :func:`method_to_dict`; unknown keys raise ``ValueError`` naming them.

    >>> method_from_dict({"kind": "cs", "n_max": 300}).label
    'CS (HC, N ≤ 300)'
    """
    data = dict(data)
    kind = data.pop("kind", None)
    check_choice("method.kind", kind, tuple(METHODS))
    cls = METHODS[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} in method ({kind}); allowed: {sorted(names)}")
    return cls(**data)


__all__ = ["METHODS", "CSMethod", "DNNMethod", "ExistenceMethod", "FinetuneMethod", "Fit", "Method",
           "RecipeMethod", "method_from_dict", "method_to_dict", "role_of"]
