r"""Training recipes: named ways to train a fully connected network, one trial at a time.

The paper trains every network by one protocol (:mod:`dnngap.dnn`: Adam in
single precision, a learning rate decaying to the tolerance, early stop at a
training MSE of :math:`5\cdot10^{-7}`). A *recipe* is another way to train
the same kind of network on the same samples: each minimises the mean squared
error

.. math::

    \mathcal{L}_t(\theta) = \frac{1}{m} \sum_{i=1}^{m} \bigl(\Phi_\theta(y_{t,i}) - f(y_{t,i})\bigr)^2

of trial :math:`t` over the parameters :math:`\theta \in \mathbb{R}^P` of a
network :class:`dnngap.mlp.Architecture` (the authors' depth convention,
``"code"``: ``depth + 1`` activated hidden layers), and returns the iterate of
lowest training loss it evaluated. Recipes are registered by name
(:data:`RECIPES`, :func:`available`); the experiment catalog refers to them
through :class:`dnngap.experiments.RecipeMethod`.

Registered recipes
------------------
``paper``
    :func:`dnngap.dnn.train` with its defaults: the paper's protocol, the baseline.

Each of the next three is the paper's protocol with *one* change, so that a
difference in error is that change's:

``paper_double``
    precision: float64, with the single-precision schedule, 50,000 epochs
    and stopping tolerance :math:`5\cdot10^{-7}`.
``paper_long``
    budget: 200,000 epochs (the learning rate decaying over them), float32,
    the same tolerance.
``sgd``
    optimiser: plain full-batch gradient descent with the same learning
    rates (:class:`dnngap.dnn.TrainingConfig` ``optimizer="sgd"``).

The others change more than one thing at once, against the paper's protocol;
against each other, one thing each: ``adam_lbfgs`` replaces the last 3,000 of
``adam_double``'s Adam epochs by at most 500 L-BFGS iterations, ``tanh_lbfgs``
and ``he_lbfgs`` change ``adam_lbfgs``'s activation and initialisation.

``adam_double``
    float64, Adam with :math:`\eta_i = 10^{-3}\,(10^{-3})^{i/E}` (from
    :math:`10^{-3}` down to :math:`10^{-6}`) for :math:`E` = 4,000 epochs,
    no early stop.
``adam_lbfgs``
    float64, Adam from :math:`10^{-3}` down to :math:`10^{-4}` for 1,000
    epochs, then full-batch L-BFGS (:class:`torch.optim.LBFGS`, strong Wolfe
    line search, 50 correction pairs) for at most 500 iterations.
``tanh_lbfgs``
    ``adam_lbfgs`` with the tanh activation (smooth, so the network is a
    smooth function and L-BFGS's quasi-Newton model of the loss is accurate).
``he_lbfgs``
    ``adam_lbfgs`` from He initialisation (weights :math:`N(0, 2/n_\mathrm{in})`,
    biases 0) instead of the paper's :math:`N(0, 0.1^2)`.

Conventions
-----------
Trials
    Trial :math:`t` sees only its own samples ``y[t]``, ``f_values[t]``; every
    recipe gives trial :math:`t` the same result whether it is trained alone
    or with others (Adam is applied elementwise to the stacked parameters of
    all trials and the gradient of :math:`\sum_t \mathcal{L}_t` with respect
    to :math:`\theta_t` is that of :math:`\mathcal{L}_t`; L-BFGS runs trial
    by trial). Every trial starts from the same initial parameters, drawn by
    :func:`dnngap.dnn.initial_parameters` from a :class:`torch.Generator`
    seeded with ``seed`` (as in the paper).
Parameters
    A trial's parameters are a flat vector in the layout of
    :mod:`dnngap.mlp` (per layer, the weight matrix
    :math:`W \in \mathbb{R}^{n_\mathrm{out}\times n_\mathrm{in}}` row-major,
    then the bias). The network is evaluated by :mod:`dnngap.mlp` too (its
    ``baddbmm`` output kernel, differentiated by autograd).
Budget
    Every recipe has a fixed iteration budget; ``budget`` scales all of its
    epoch and iteration counts (``budget=0.01`` for a quick test). The
    numbers a recipe produces at ``budget=1`` are the ones the book reports.
Stop reasons
    ``paper``: those of :func:`dnngap.dnn.train` (``"tolerance"``,
    ``"epochs"``, ``"diverged"``). Adam alone: ``"epochs"`` (ran its budget)
    or ``"diverged"`` (the last loss was not finite). With an L-BFGS finish:
    ``"converged"`` (its gradient or change tolerance was met),
    ``"max_iter"`` (it used its iteration or evaluation budget) or
    ``"diverged"``.

Adding a recipe
---------------
Write one function ``(architecture, y, f_values, *, seed, budget, device) ->``
:class:`RecipeResult` in this module, decorated with :func:`recipe`, usually
by composing :func:`adam_stage` and :func:`lbfgs_stage`; then add
``RecipeMethod(recipe="name")`` to an experiment in
:mod:`dnngap.experiments.catalog`. Bump :data:`NUMERICS_VERSION` when a change
alters the numbers of an existing recipe.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from . import dnn, mlp
from ._validation import check_int, check_positive, check_samples

#: Version of the numbers this module produces. Bump it by hand when a change
#: alters a recipe's results (stages, schedules, budgets, tolerances...); the
#: results store's key includes it (:mod:`dnngap.experiments.store`), so a bump
#: recomputes exactly the recipe results.
NUMERICS_VERSION: int = 1

__all__ = [
    "LBFGS_HISTORY",
    "NUMERICS_VERSION",
    "RECIPES",
    "Recipe",
    "RecipeResult",
    "StageResult",
    "ValueAndGrad",
    "adam",
    "adam_lbfgs_stages",
    "adam_stage",
    "available",
    "get",
    "initial",
    "lbfgs",
    "lbfgs_stage",
    "mlp_value_and_grad",
    "recipe",
    "train",
]

#: Correction pairs kept by L-BFGS.
LBFGS_HISTORY: int = 50


# --------------------------------------------------------------------------
# The batched network (autograd), in the flat layout of dnngap.mlp
# --------------------------------------------------------------------------


def _forward(theta: torch.Tensor, sizes: tuple[int, ...], activation: str, x: torch.Tensor) -> torch.Tensor:
    r"""Networks of the trials at their own points: ``x (T, d, m)`` feature-major -> ``(T, m)``.

    Layer :math:`k` computes :math:`h \leftarrow \sigma(W_k h + b_k)` (the
    last one without :math:`\sigma`) as one batched product over trials
    (:func:`dnngap.mlp.hidden`, :func:`dnngap.mlp.output_bmm`).
    """
    layers = mlp.layer_views(theta, sizes)
    return mlp.output_bmm(layers[-1], mlp.hidden(layers, mlp.ACTIVATIONS[activation], x))


def _losses(theta: torch.Tensor, sizes: tuple[int, ...], activation: str, x: torch.Tensor,
            target: torch.Tensor) -> torch.Tensor:
    """Training MSE of every trial, shape ``(T,)``."""
    return (_forward(theta, sizes, activation, x) - target).square().mean(dim=1)


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StageResult:
    """What one stage (:func:`adam_stage`, :func:`lbfgs_stage`) returns.

    Attributes
    ----------
    parameters : Tensor, shape (T, P)
        Each trial's iterate of lowest training loss in this stage.
    losses : ndarray, shape (T,)
        Those losses (``inf`` if no finite loss was seen).
    steps : ndarray of int, shape (T,)
        Optimiser steps (Adam epochs, L-BFGS iterations) taken.
    evaluations : ndarray of int, shape (T,)
        Loss-and-gradient evaluations.
    stop_reason : ndarray of str, shape (T,)
    """

    parameters: torch.Tensor
    losses: np.ndarray
    steps: np.ndarray
    evaluations: np.ndarray
    stop_reason: np.ndarray


@dataclass(frozen=True, eq=False)
class RecipeResult:
    r"""The outcome of a recipe for ``T`` trials.

    Attributes
    ----------
    recipe : str
        Its name in :data:`RECIPES`.
    architecture : dnngap.mlp.Architecture
    d : int
        Input dimension.
    precision : {'single', 'double'}
        Precision of the final stage, and of :attr:`parameters` and :meth:`predict`.
    parameters : ndarray, shape (T, P)
        Each trial's final (lowest-loss) parameters, flat layout of :mod:`dnngap.dnn`.
    losses : ndarray, shape (T,)
        Each trial's training MSE at those parameters.
    adam_epochs, lbfgs_iterations : ndarray of int, shape (T,)
        Adam epochs and L-BFGS iterations taken (0 where a recipe has no such stage).
    evaluations : ndarray of int, shape (T,)
        Loss-and-gradient evaluations over all stages.
    stop_reason : ndarray of str, shape (T,)
        Why the last stage stopped (see the module's conventions).
    wall_time : float
        Seconds spent in the recipe.
    device : str
        Where it ran, e.g. ``"cpu (1 threads)"``.
    """

    recipe: str
    architecture: mlp.Architecture
    d: int
    precision: str
    parameters: np.ndarray
    losses: np.ndarray
    adam_epochs: np.ndarray
    lbfgs_iterations: np.ndarray
    evaluations: np.ndarray
    stop_reason: np.ndarray
    wall_time: float
    device: str
    _torch_device: str = "cpu"

    @property
    def trials(self) -> int:
        """Number ``T`` of trials."""
        return self.parameters.shape[0]

    @property
    def iterations(self) -> np.ndarray:
        """Optimiser steps of every stage together, ``adam_epochs + lbfgs_iterations``."""
        return self.adam_epochs + self.lbfgs_iterations

    def predict(self, points: np.ndarray, *, chunk_size: int | None = None) -> np.ndarray:
        r"""Every trial's network at ``points``.

        Parameters
        ----------
        points : array_like, shape (n, d)
        chunk_size : int, optional
            Points per batch (default 8192).

        Returns
        -------
        ndarray, shape (T, n), float64
            :math:`\Phi_{\theta_t}(y_j)` computed in :attr:`precision`
            (:func:`dnngap.mlp.predict`, kernel ``"batched"``).
        """
        return mlp.predict(self.parameters, self.architecture, self.d, points,
                           dtype=mlp.DTYPES[self.precision], device=self._torch_device,
                           chunk_size=chunk_size, kernel="batched")


# --------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------


def initial(architecture: mlp.Architecture, d: int, trials: int, *, seed: int, init: str = "normal",
            device: torch.device | str = "cpu") -> torch.Tensor:
    r"""Initial float64 parameters ``(trials, P)``, the same for every trial.

    :func:`dnngap.dnn.initial_parameters` with ``same_init=True``: ``"normal"``
    is the paper's :math:`N(0, 0.1^2)` for every weight and bias, ``"he"``
    and ``"glorot"`` as in :class:`dnngap.dnn.TrainingConfig`.
    """
    config = dnn.TrainingConfig(precision="double", init=init, seed=seed)
    return dnn.initial_parameters(architecture, d, config, trials).to(device)


#: ``value_and_grad(theta (T, P)) -> (losses (T,), gradient (T, P))``: the
#: training loss of every trial and its gradient with respect to that trial's
#: parameters (the stages below minimise any such loss; :func:`adam_stage` and
#: :func:`lbfgs_stage` give them the MSE of a fully connected network).
ValueAndGrad = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def mlp_value_and_grad(x: torch.Tensor, target: torch.Tensor, architecture: mlp.Architecture) -> ValueAndGrad:
    r"""The training MSE :math:`\mathcal{L}_t` of the network ``architecture``
    on samples ``x (T, d, m)``, ``target (T, m)``, and its gradient, by autograd
    (the gradient of :math:`\sum_t \mathcal{L}_t` with respect to
    :math:`\theta_t` is that of :math:`\mathcal{L}_t`)."""
    sizes = architecture.layer_sizes(x.shape[1])

    def value_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = theta.detach().requires_grad_(True)
        loss = _losses(theta, sizes, architecture.activation, x, target)
        (grad,) = torch.autograd.grad(loss.sum(), theta)
        return loss.detach(), grad

    return value_and_grad


def adam_stage(theta: torch.Tensor, x: torch.Tensor, target: torch.Tensor, architecture: mlp.Architecture,
               *, epochs: int, lr0: float, lr_final: float) -> StageResult:
    r"""Full-batch Adam on every trial of a fully connected network at once:
    :func:`adam` on the training MSE (:func:`mlp_value_and_grad`).

    Parameters
    ----------
    theta : Tensor, shape (T, P)
        Initial parameters (not modified); their dtype is the stage's.
    x : Tensor, shape (T, d, m)
        Samples, feature-major.
    target : Tensor, shape (T, m)
    architecture : dnngap.mlp.Architecture
    epochs, lr0, lr_final
        As for :func:`adam`.
    """
    return adam(theta, mlp_value_and_grad(x, target, architecture), epochs=epochs, lr0=lr0, lr_final=lr_final)


def adam(theta: torch.Tensor, value_and_grad: ValueAndGrad, *, epochs: int, lr0: float,
         lr_final: float) -> StageResult:
    r"""Full-batch Adam on every trial at once, without early stop.

    Epoch :math:`i = 0, \dots, E` evaluates :math:`\mathcal{L}_t(\theta_i)`
    (kept if it is the trial's lowest so far) and, for :math:`i < E`, takes
    the step of :class:`torch.optim.Adam` (:data:`dnngap.dnn.ADAM_BETAS`,
    :data:`dnngap.dnn.ADAM_EPS`) with learning rate
    :math:`\eta_i = \eta_0 (\eta_\mathrm{final}/\eta_0)^{i/E}`, elementwise,
    so that trials do not interact.

    Parameters
    ----------
    theta : Tensor, shape (T, P)
        Initial parameters (not modified); their dtype is the stage's.
    value_and_grad : callable
        The trials' losses and gradients (:data:`ValueAndGrad`).
    epochs : int
        :math:`E`.
    lr0, lr_final : float
        :math:`\eta_0` and :math:`\eta_E`.

    Examples
    --------
    The loss :math:`\|\theta_t - c_t\|^2` of two trials: Adam's steps are
    about :math:`\eta` each, so 500 epochs at :math:`\eta = 0.1 \to 10^{-4}`
    (about 7 in all) reach :math:`c_t` closely.

    >>> c = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    >>> quadratic = lambda th: (((th - c) ** 2).sum(1), 2 * (th - c))
    >>> res = adam(torch.zeros(2, 2, dtype=torch.float64), quadratic, epochs=500, lr0=0.1, lr_final=1e-4)
    >>> bool(res.losses.max() < 1e-6), res.stop_reason.tolist()
    (True, ['epochs', 'epochs'])
    """
    check_int("epochs", epochs, 1)
    beta1, beta2 = dnn.ADAM_BETAS
    theta = theta.detach().clone()
    first, second = torch.zeros_like(theta), torch.zeros_like(theta)
    best = theta.clone()
    best_loss = torch.full((theta.shape[0],), math.inf, dtype=theta.dtype, device=theta.device)
    loss = best_loss
    for epoch in range(epochs + 1):
        loss, grad = value_and_grad(theta)
        improved = loss < best_loss
        best_loss = torch.where(improved, loss, best_loss)
        best = torch.where(improved[:, None], theta, best)
        if epoch == epochs:
            break
        step = epoch + 1
        lr = lr0 * (lr_final / lr0) ** (epoch / epochs)
        first.lerp_(grad, 1 - beta1)
        second.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (second.sqrt() / math.sqrt(1 - beta2**step)).add_(dnn.ADAM_EPS)
        theta.addcdiv_(first, denom, value=-lr / (1 - beta1**step))
    finite = torch.isfinite(loss).cpu().numpy()
    n = theta.shape[0]
    return StageResult(parameters=best, losses=best_loss.cpu().numpy().astype(float),
                       steps=np.full(n, epochs), evaluations=np.full(n, epochs + 1),
                       stop_reason=np.where(finite, "epochs", "diverged"))


def lbfgs_stage(theta: torch.Tensor, x: torch.Tensor, target: torch.Tensor, architecture: mlp.Architecture,
                *, iterations: int, tolerance_grad: float = 1e-14, tolerance_change: float = 1e-32,
                history_size: int = LBFGS_HISTORY) -> StageResult:
    r"""Full-batch L-BFGS on every trial of a fully connected network:
    :func:`lbfgs` on the training MSE of trial :math:`t` alone
    (:func:`mlp_value_and_grad` on ``x[t]``, ``target[t]``).

    Parameters
    ----------
    theta : Tensor, shape (T, P)
        Starting parameters (not modified); their dtype is the stage's.
    x, target, architecture
        As for :func:`adam_stage`.
    iterations, tolerance_grad, tolerance_change, history_size
        As for :func:`lbfgs`.
    """
    def trial(t: int) -> ValueAndGrad:
        return mlp_value_and_grad(x[t : t + 1], target[t : t + 1], architecture)

    return lbfgs(theta, trial, iterations=iterations, tolerance_grad=tolerance_grad,
                 tolerance_change=tolerance_change, history_size=history_size)


def lbfgs(theta: torch.Tensor, trial_value_and_grad: Callable[[int], ValueAndGrad], *, iterations: int,
          tolerance_grad: float = 1e-14, tolerance_change: float = 1e-32,
          history_size: int = LBFGS_HISTORY) -> StageResult:
    r"""Full-batch L-BFGS, trial by trial, each with its own history and line search.

    For each trial :class:`torch.optim.LBFGS` with ``lr=1``,
    ``line_search_fn="strong_wolfe"``, ``history_size`` correction pairs,
    ``max_iter=iterations`` and ``max_eval=2*iterations`` minimises
    :math:`\mathcal{L}_t` from ``theta[t]``. It stops when
    :math:`\|\nabla\mathcal{L}_t\|_\infty \le` ``tolerance_grad``, when a step
    or the change of the loss is below ``tolerance_change`` (reason
    ``"converged"``), or at the iteration or evaluation budget
    (``"max_iter"``). The lowest loss of every point evaluated, line-search
    points included, is kept.

    Parameters
    ----------
    theta : Tensor, shape (T, P)
        Starting parameters (not modified); their dtype is the stage's.
    trial_value_and_grad : callable
        ``t -> value_and_grad`` of trial ``t`` alone (:data:`ValueAndGrad`
        for parameters of shape (1, P)).
    iterations : int
        Iteration budget per trial.
    tolerance_grad, tolerance_change : float
        :class:`torch.optim.LBFGS`'s tolerances (absolute). The defaults stop
        a trial only when its gradient is at rounding level or the loss stops
        changing: a training MSE of :math:`10^{-24}` (a relative error of
        :math:`10^{-12}` for :math:`\|f\| \approx 1`) still counts.
    history_size : int

    Examples
    --------
    A quadratic is minimised in a few iterations (``"converged"``):

    >>> c = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    >>> quadratic = lambda t: lambda th: (((th - c) ** 2).sum(1), 2 * (th - c))
    >>> res = lbfgs(torch.zeros(1, 2, dtype=torch.float64), quadratic, iterations=50)
    >>> res.parameters.round(decimals=12).tolist(), res.stop_reason.tolist()
    ([[1.0, -2.0]], ['converged'])
    """
    check_int("iterations", iterations, 1)
    n = theta.shape[0]
    best = theta.detach().clone()
    losses, steps = np.full(n, math.inf), np.zeros(n, dtype=np.int64)
    evaluations = np.zeros(n, dtype=np.int64)
    reasons = np.empty(n, dtype=object)
    for t in range(n):
        p = theta[t : t + 1].detach().clone().requires_grad_(True)
        value_and_grad = trial_value_and_grad(t)
        opt = torch.optim.LBFGS([p], lr=1, max_iter=iterations, max_eval=2 * iterations,
                                tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                                history_size=history_size, line_search_fn="strong_wolfe")
        record = {"loss": math.inf, "theta": p.detach().clone(), "evals": 0}

        def closure() -> torch.Tensor:
            loss, grad = value_and_grad(p.detach())
            p.grad = grad
            value = loss[0].item()
            record["evals"] += 1
            if value < record["loss"]:  # NaN never improves
                record["loss"], record["theta"] = value, p.detach().clone()
            return loss[0]

        opt.step(closure)
        state = opt.state[p]
        best[t] = record["theta"][0]
        losses[t], evaluations[t] = record["loss"], record["evals"]
        steps[t] = int(state.get("n_iter", 0))
        if not math.isfinite(record["loss"]):
            reasons[t] = "diverged"
        elif steps[t] >= iterations or evaluations[t] >= 2 * iterations:
            reasons[t] = "max_iter"
        else:
            reasons[t] = "converged"
    return StageResult(parameters=best, losses=losses, steps=steps, evaluations=evaluations,
                       stop_reason=reasons.astype(str))


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """A registered recipe.

    Attributes
    ----------
    name : str
        Its key in :data:`RECIPES`.
    title : str
        Short description for labels, e.g. ``"Adam+L-BFGS (double)"``.
    activation : str
        The activation it trains by default (:class:`dnngap.mlp.Architecture`).
    summary : str
        One sentence: what it does and why it might close the gap.
    cost : int
        Nominal loss-and-gradient evaluations per trial at ``budget=1``
        (only for ordering work).
    epochs : int or None
        For a recipe that is the paper's protocol with one change: its epoch
        budget at ``budget=1`` (captions); ``None`` for the others.
    function : callable
        ``(architecture, y, f_values, *, seed, budget, device) -> RecipeResult``.
    """

    name: str
    title: str
    activation: str
    summary: str
    cost: int
    epochs: int | None
    function: Callable[..., RecipeResult]


#: The registered recipes, by name, in registration order.
RECIPES: dict[str, Recipe] = {}


def recipe(name: str, *, title: str, summary: str, cost: int, activation: str = "relu",
           epochs: int | None = None):
    """Decorator registering a recipe function under ``name`` (see :class:`Recipe`)."""
    if name in RECIPES:
        raise ValueError(f"recipe {name!r} is already registered")
    mlp.Architecture(1, 1, activation)  # validates the activation, naming it

    def register(function: Callable[..., RecipeResult]) -> Callable[..., RecipeResult]:
        RECIPES[name] = Recipe(name, title, activation, summary, cost, epochs, function)
        return function

    return register


def available() -> list[str]:
    """Names of the registered recipes, in registration order."""
    return list(RECIPES)


def get(name: str) -> Recipe:
    """The recipe ``name``; ``ValueError`` naming the registered ones otherwise."""
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(map(repr, RECIPES))}; got {name!r}")
    return RECIPES[name]


def _scaled(n: int, budget: float) -> int:
    """``n`` epochs or iterations scaled by ``budget`` (at least 1)."""
    return max(1, int(round(n * budget)))


def train(name: str, architecture: mlp.Architecture, y: np.ndarray, f_values: np.ndarray, *,
          seed: int = 0, budget: float = 1.0, device: str | torch.device = "auto") -> RecipeResult:
    r"""Train one network per trial by the recipe ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`RECIPES`.
    architecture : dnngap.mlp.Architecture
        The network (its activation is used as given).
    y : array_like, shape (T, m, d)
        Samples of trial ``t`` in ``y[t]``.
    f_values : array_like, shape (T, m)
        :math:`f(y_{t,i})`.
    seed : int
        Seed of the initial parameters.
    budget : float
        Factor on every epoch and iteration count of the recipe (> 0; 1 = as designed).
    device : 'auto', 'cpu', 'cuda' or torch.device

    Returns
    -------
    RecipeResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 30, 1))
    >>> res = train("adam_lbfgs", mlp.Architecture(1, 8, "tanh"), y, np.sin(y[..., 0]), budget=0.01)
    >>> res.predict(np.zeros((4, 1))).shape, res.adam_epochs.tolist()
    ((2, 4), [10, 10])
    """
    entry = get(name)
    if not isinstance(architecture, mlp.Architecture):
        raise TypeError(f"architecture must be a dnngap.mlp.Architecture; got {type(architecture).__name__}")
    check_int("seed", seed, 0)
    budget = check_positive("budget", budget)
    y, f_values, _ = check_samples(y, f_values)
    y, f_values = y.astype(np.float64), f_values.astype(np.float64)
    dev = mlp.resolve_device(device)
    started = time.perf_counter()
    result = entry.function(architecture, y, f_values, seed=seed, budget=budget, device=dev)
    return RecipeResult(**{**result.__dict__, "recipe": name, "wall_time": time.perf_counter() - started})


def _data(y: np.ndarray, f_values: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """float64 ``x (T, d, m)`` feature-major and ``target (T, m)`` on ``device``."""
    x = torch.as_tensor(np.ascontiguousarray(y.transpose(0, 2, 1)), dtype=torch.float64, device=device)
    return x, torch.as_tensor(f_values, dtype=torch.float64, device=device)


def _result(architecture: mlp.Architecture, d: int, stages: dict[str, StageResult],
            device: torch.device) -> RecipeResult:
    """A double-precision :class:`RecipeResult` from the stages run (the last one is final)."""
    last = list(stages.values())[-1]
    n = last.parameters.shape[0]
    zeros = np.zeros(n, dtype=np.int64)
    return RecipeResult(
        recipe="", architecture=architecture, d=d, precision="double",
        parameters=last.parameters.detach().cpu().numpy(), losses=last.losses,
        adam_epochs=stages["adam"].steps if "adam" in stages else zeros,
        lbfgs_iterations=stages["lbfgs"].steps if "lbfgs" in stages else zeros,
        evaluations=sum(s.evaluations for s in stages.values()), stop_reason=last.stop_reason,
        wall_time=0.0, device=mlp.device_description(device), _torch_device=str(device))


# --------------------------------------------------------------------------
# The recipes
# --------------------------------------------------------------------------

#: Epochs of the paper's protocol in single precision (:class:`dnngap.dnn.TrainingConfig`).
PAPER_EPOCHS = 50_000
#: Adam epochs of ``adam_double``, and of the Adam stage before L-BFGS.
ADAM_EPOCHS, ADAM_LBFGS_EPOCHS = 4_000, 1_000
#: L-BFGS iteration budget of the recipes that finish with it.
LBFGS_ITERATIONS = 500


@recipe("paper", title="paper protocol", cost=PAPER_EPOCHS, epochs=PAPER_EPOCHS,
        summary="the paper's protocol (Adam in single precision, learning rate decaying from 1e-3 to the "
                "tolerance 5e-7 over 50,000 epochs, early stop at that training MSE), the baseline")
def paper(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """:func:`dnngap.dnn.train` with the defaults of :class:`dnngap.dnn.TrainingConfig` (and ``seed``)."""
    epochs = None if budget == 1 else _scaled(PAPER_EPOCHS, budget)
    return _protocol(dnn.TrainingConfig(seed=seed, epochs=epochs), architecture, y, f_values, device)


def _protocol(config: dnn.TrainingConfig, architecture, y, f_values, device) -> RecipeResult:
    """:func:`dnngap.dnn.train` by ``config``, as a :class:`RecipeResult` (its epochs are the
    optimiser's steps, whichever optimiser ``config`` names)."""
    res = dnn.train(architecture, config, y, f_values, device=device, progress=False)
    n = res.trials
    return RecipeResult(
        recipe="", architecture=architecture, d=res.d, precision=config.precision,
        parameters=res.parameters, losses=np.asarray(res.losses, float), adam_epochs=np.asarray(res.epochs),
        lbfgs_iterations=np.zeros(n, dtype=np.int64), evaluations=np.asarray(res.epochs) + 1,
        stop_reason=np.asarray(res.stop_reason).astype(str), wall_time=res.wall_time, device=res.device,
        _torch_device=str(device))


@recipe("paper_double", title="paper protocol in double", cost=PAPER_EPOCHS, epochs=PAPER_EPOCHS,
        summary="the paper's protocol with one change, the precision: float64 instead of float32, with the "
                "same schedule, budget (50,000 epochs) and stopping tolerance (training MSE 5e-7)")
def paper_double(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """The paper's single-precision schedule and stop, computed in float64."""
    config = dnn.TrainingConfig(precision="double", epochs=_scaled(PAPER_EPOCHS, budget),
                                tol=dnn.TrainingConfig().resolved_tol, seed=seed)
    return _protocol(config, architecture, y, f_values, device)


@recipe("paper_long", title="paper protocol, 4× epochs", cost=4 * PAPER_EPOCHS, epochs=4 * PAPER_EPOCHS,
        summary="the paper's protocol with one change, the budget: 200,000 epochs instead of 50,000 (the "
                "learning rate decaying over them), same precision (float32) and stopping tolerance")
def paper_long(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """The paper's protocol with four times its epochs."""
    config = dnn.TrainingConfig(epochs=_scaled(4 * PAPER_EPOCHS, budget), seed=seed)
    return _protocol(config, architecture, y, f_values, device)


@recipe("sgd", title="paper protocol with SGD", cost=PAPER_EPOCHS, epochs=PAPER_EPOCHS,
        summary="the paper's protocol with one change, the optimiser: plain full-batch gradient descent "
                "(the optimiser the authors' released script offers besides Adam) instead of Adam, with the "
                "same learning-rate schedule, budget, precision and stopping tolerance")
def sgd(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """The paper's protocol with plain gradient descent in place of Adam."""
    config = dnn.TrainingConfig(optimizer="sgd", epochs=None if budget == 1 else _scaled(PAPER_EPOCHS, budget),
                                seed=seed)
    return _protocol(config, architecture, y, f_values, device)


@recipe("adam_double", title="Adam (double)", cost=ADAM_EPOCHS,
        summary="the paper's optimiser without its two limits: float64 and no early stop at the training "
                "tolerance, the learning rate decaying from 1e-3 to 1e-6 over 4,000 epochs")
def adam_double(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """Adam in float64, :math:`10^{-3} \\to 10^{-6}` over 4,000 epochs, no early stop."""
    x, target = _data(y, f_values, device)
    theta = initial(architecture, y.shape[2], y.shape[0], seed=seed, device=device)
    adam = adam_stage(theta, x, target, architecture, epochs=_scaled(ADAM_EPOCHS, budget), lr0=1e-3, lr_final=1e-6)
    return _result(architecture, y.shape[2], {"adam": adam}, device)


def adam_lbfgs_stages(theta: torch.Tensor, value_and_grad: ValueAndGrad,
                      trial_value_and_grad: Callable[[int], ValueAndGrad], *,
                      budget: float = 1.0) -> dict[str, StageResult]:
    r"""The stages of ``adam_lbfgs``, on any loss: :func:`adam` from
    :math:`10^{-3}` down to :math:`10^{-4}` over :data:`ADAM_LBFGS_EPOCHS`
    epochs, then :func:`lbfgs` from each trial's best Adam iterate for at most
    :data:`LBFGS_ITERATIONS` iterations (both times ``budget``).

    Returns ``{"adam": ..., "lbfgs": ...}``; the L-BFGS stage's parameters are
    the final ones.
    """
    first = adam(theta, value_and_grad, epochs=_scaled(ADAM_LBFGS_EPOCHS, budget), lr0=1e-3, lr_final=1e-4)
    return {"adam": first, "lbfgs": lbfgs(first.parameters, trial_value_and_grad,
                                          iterations=_scaled(LBFGS_ITERATIONS, budget))}


def _adam_then_lbfgs(architecture, y, f_values, *, seed, budget, device, init="normal") -> RecipeResult:
    """:func:`adam_lbfgs_stages` on the network's training MSE, from its initial parameters."""
    x, target = _data(y, f_values, device)
    theta = initial(architecture, y.shape[2], y.shape[0], seed=seed, init=init, device=device)
    stages = adam_lbfgs_stages(
        theta, mlp_value_and_grad(x, target, architecture),
        lambda t: mlp_value_and_grad(x[t : t + 1], target[t : t + 1], architecture), budget=budget)
    return _result(architecture, y.shape[2], stages, device)


@recipe("adam_lbfgs", title="Adam+L-BFGS (double)", cost=ADAM_LBFGS_EPOCHS + 3 * LBFGS_ITERATIONS,
        summary="a quasi-Newton finish: 1,000 Adam epochs (1e-3 to 1e-4) to reach a good basin, then "
                "full-batch L-BFGS with a strong Wolfe line search for up to 500 iterations, all in float64, "
                "as is common when fitting smooth functions to high accuracy")
def adam_lbfgs(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """Adam, then L-BFGS, from the paper's initialisation (see the module docstring)."""
    return _adam_then_lbfgs(architecture, y, f_values, seed=seed, budget=budget, device=device)


@recipe("tanh_lbfgs", title="Adam+L-BFGS (double)", activation="tanh", cost=ADAM_LBFGS_EPOCHS + 3 * LBFGS_ITERATIONS,
        summary="the same finish on a tanh network: a smooth activation makes the network a smooth function, "
                "which can approximate a smooth f with fast-decaying error and gives L-BFGS an accurate "
                "quadratic model of the loss")
def tanh_lbfgs(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """``adam_lbfgs`` on the architecture as given (the catalog gives it tanh)."""
    return _adam_then_lbfgs(architecture, y, f_values, seed=seed, budget=budget, device=device)


@recipe("he_lbfgs", title="He init, Adam+L-BFGS (double)", cost=ADAM_LBFGS_EPOCHS + 3 * LBFGS_ITERATIONS,
        summary="the Adam+L-BFGS recipe from He initialisation (weights N(0, 2/fan-in), biases 0), which "
                "keeps the variance of ReLU activations constant from layer to layer, where the authors' code's "
                "N(0, 0.1²) shrinks them layer by layer")
def he_lbfgs(architecture, y, f_values, *, seed, budget, device) -> RecipeResult:
    """``adam_lbfgs`` from He initialisation."""
    return _adam_then_lbfgs(architecture, y, f_values, seed=seed, budget=budget, device=device, init="he")
