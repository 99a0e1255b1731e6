r"""The paper's training protocol: batched training of independent trials.

This module reproduces the authors' DNN protocol (see the book's page *The
paper, and what is known of its experiments*, ``book/paper.md``, "The DNN
protocol"): a fully connected network :math:`\Phi : \mathbb{R}^d \to
\mathbb{R}` is trained on :math:`m` samples :math:`(y_i, f(y_i))` by
minimising the mean squared error

.. math::

    \mathcal{L}(\theta) = \frac{1}{m} \sum_{i=1}^{m} \bigl(\Phi_\theta(y_i) -
    f(y_i)\bigr)^2

with full-batch Adam (or plain gradient descent) and the exponentially
decaying learning rate :math:`\eta_i = \eta_0 (\mathrm{tol}/\eta_0)^{i/E}`.
Each trial stops as soon as its training MSE is :math:`\le \mathrm{tol}` or
after :math:`E` epochs, and keeps the weights of lowest training loss.

The network, :class:`Architecture`, its flat parameters and the batched
forward pass are those of :mod:`dnngap.mlp` (where their conventions are
stated). The :math:`T` trials of an experiment (same architecture, different
samples) are trained *together* as one batched model, with the weights of
layer :math:`\ell` stacked into a tensor of shape ``(T, n_out, n_in)``
(:func:`dnngap.mlp.layer_views`). The backward pass is written out (the
operations autograd would run, into preallocated buffers), and the optimiser
is implemented with tensor operations on the stacked parameters, so every
trial has its own Adam state and its own stopping time; training them
together gives the same numbers as training them one at a time
(``tests/test_dnn.py`` checks this against :class:`torch.optim.Adam` on one
network per trial, ``tests/reference_training.py``).

Conventions
-----------
Network and parameters
    As in :mod:`dnngap.mlp`: ``TrainingResult.parameters`` has shape
    ``(T, P)``, one flat parameter vector per trial.
Epochs
    Epoch :math:`i = 0, 1, \dots` evaluates the loss of the current iterate
    :math:`\theta_i` (recorded, compared with the best so far and with the
    tolerance) and, unless the trial stops, takes one optimiser step with
    learning rate :math:`\eta_i` to :math:`\theta_{i+1}`. A trial that stops
    at epoch :math:`i` has taken :math:`i` steps; after :math:`E` steps the
    final iterate :math:`\theta_E` is evaluated and the trial stops with
    reason ``"epochs"``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from typing import Literal, get_args

import numpy as np
import torch
from tqdm import tqdm

from dnngap import mlp
from dnngap._validation import check_bool, check_choice, check_positive, check_samples
from dnngap._validation import check_int as _check_int
from dnngap._backward import Workspace as _Workspace
from dnngap.mlp import Architecture

#: Version of the numbers this module produces. Bump it by hand when a change
#: alters trained networks' results (initialisation, forward or backward pass,
#: optimiser, learning rate, stopping rule, presets...); refactoring that leaves
#: them unchanged (up to rounding) keeps it. The results store's key includes it
#: (:mod:`dnngap.experiments.store`), so a bump recomputes exactly the DNN results.
#: It also versions :mod:`dnngap.mlp` (the network and its forward pass) and
#: :mod:`dnngap._backward` (its backward pass).
NUMERICS_VERSION: int = 1

__all__ = [
    "ADAM_BETAS",
    "ADAM_EPS",
    "PRESETS",
    "Architecture",  # from dnngap.mlp
    "TrainingConfig",
    "TrainingResult",
    "initial_parameters",
    "learning_rate",
    "train",
]

Precision = Literal["single", "double"]
Optimizer = Literal["adam", "sgd"]
Init = Literal["normal", "he", "glorot"]

#: Adam's decay rates :math:`(\beta_1, \beta_2)` (TensorFlow's and PyTorch's defaults).
ADAM_BETAS: tuple[float, float] = (0.9, 0.999)
#: Adam's :math:`\varepsilon`.
ADAM_EPS: float = 1e-8

#: ``precision -> (tol, epochs)``: the authors' presets.
PRESETS: dict[str, tuple[float, int]] = {
    "single": (5e-7, 50_000),
    "double": (5e-16, 200_000),
}

_STOP_REASONS: tuple[str, ...] = ("epochs", "tolerance", "diverged")  # codes 0, 1, 2
# Epochs between host synchronisations (progress bar, early exit when every
# trial has stopped, dropping stopped trials from the batch). Stopping itself
# is decided every epoch with tensor masks and does not depend on this.
_SYNC_EVERY = 100
#: The authors' released code saves a checkpoint whenever the training loss has
#: fallen by this factor since the last one (``train(..., track_final=True)``).
_CHECKPOINT_DROP = 16.0


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingConfig:
    r"""How networks are initialised and trained.

    Parameters
    ----------
    precision : {'single', 'double'}
        Floating-point type of training (float32 or float64). Selects the
        authors' presets: ``"single"``: tol = 5e-7, E = 50,000 epochs;
        ``"double"``: tol = 5e-16, E = 200,000 epochs.
    epochs : int or None
        :math:`E`, the maximum number of optimiser steps; ``None`` = preset.
    tol : float or None
        Stop a trial once its training MSE is :math:`\le` tol; also the final
        learning rate of the schedule. ``None`` = preset.
    lr0 : float
        Initial learning rate :math:`\eta_0`; step :math:`i` uses
        :math:`\eta_i = \eta_0 (\mathrm{tol}/\eta_0)^{i/E}`
        (:func:`learning_rate`).
    optimizer : {'adam', 'sgd'}
        ``"adam"``: Adam with :data:`ADAM_BETAS` and :data:`ADAM_EPS`
        (the update of :class:`torch.optim.Adam`); ``"sgd"``: plain gradient
        descent :math:`\theta \leftarrow \theta - \eta_i \nabla \mathcal{L}`.
    init : {'normal', 'he', 'glorot'}
        ``"normal"`` (authors'): every weight and bias
        :math:`\sim N(0, \sigma^2)`. ``"he"``: weights
        :math:`\sim N(0, 2/n_\mathrm{in})`, biases 0. ``"glorot"``: weights
        :math:`\sim U(-a, a)`, :math:`a = \sqrt{6/(n_\mathrm{in} +
        n_\mathrm{out})}` (Keras' default), biases 0.
    sigma : float
        :math:`\sigma` of ``init="normal"`` (authors': 0.1).
    same_init : bool
        ``True`` (authors'): every trial starts from the same initial
        parameters, drawn once from ``seed``; ``False``: trial :math:`t`
        starts from the :math:`t`-th independent draw (so the first trials
        do not depend on the number of trials).
    seed : int
        Seed of the :class:`torch.Generator` that draws the initial
        parameters (the only randomness of training).
    history_stride : int
        Record the training loss every ``history_stride`` epochs.

    Examples
    --------
    >>> cfg = TrainingConfig(precision="double")
    >>> cfg.resolved_epochs, cfg.resolved_tol, cfg.dtype
    (200000, 5e-16, torch.float64)
    >>> TrainingConfig(epochs=10).resolved_epochs, TrainingConfig().resolved_tol
    (10, 5e-07)
    >>> TrainingConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    ValueError: optimizer must be one of 'adam', 'sgd'; got 'lbfgs'
    """

    precision: Precision = "single"
    epochs: int | None = None
    tol: float | None = None
    lr0: float = 1e-3
    optimizer: Optimizer = "adam"
    init: Init = "normal"
    sigma: float = 0.1
    same_init: bool = True
    seed: int = 0
    history_stride: int = 100

    def __post_init__(self) -> None:
        check_choice("precision", self.precision, get_args(Precision))
        if self.epochs is not None:
            _check_int("epochs", self.epochs, 1)
        if self.tol is not None:
            check_positive("tol", self.tol)
        check_positive("lr0", self.lr0)
        check_choice("optimizer", self.optimizer, get_args(Optimizer))
        check_choice("init", self.init, get_args(Init))
        check_positive("sigma", self.sigma)
        check_bool("same_init", self.same_init)
        _check_int("seed", self.seed, 0)
        _check_int("history_stride", self.history_stride, 1)

    @property
    def resolved_epochs(self) -> int:
        """:math:`E`: ``epochs``, or the preset of ``precision``."""
        return int(self.epochs) if self.epochs is not None else PRESETS[self.precision][1]

    @property
    def resolved_tol(self) -> float:
        """tol: ``tol``, or the preset of ``precision``."""
        return float(self.tol) if self.tol is not None else PRESETS[self.precision][0]

    @property
    def dtype(self) -> torch.dtype:
        """``torch.float32`` for single, ``torch.float64`` for double precision."""
        return mlp.DTYPES[self.precision]


def learning_rate(epoch: int | np.ndarray, *, lr0: float, tol: float, epochs: int) -> float | np.ndarray:
    r"""The authors' learning-rate schedule :math:`\eta_i = \eta_0 (\mathrm{tol}/\eta_0)^{i/E}`.

    It decays geometrically from :math:`\eta_0` at :math:`i = 0` to tol at
    :math:`i = E`.

    Examples
    --------
    >>> learning_rate(0, lr0=1e-3, tol=1e-7, epochs=4)
    0.001
    >>> round(learning_rate(2, lr0=1e-3, tol=1e-7, epochs=4), 12)
    1e-05
    """
    return lr0 * (tol / lr0) ** (epoch / epochs)


def initial_parameters(
    architecture: Architecture, d: int, config: TrainingConfig, trials: int
) -> torch.Tensor:
    r"""Initial parameters of ``trials`` networks, shape ``(trials, P)``, on the CPU.

    A :class:`torch.Generator` seeded with ``config.seed`` draws, per network,
    one float64 vector of :math:`P` standard normals (``init="normal"`` or
    ``"he"``) or :math:`U[0, 1)` variates (``"glorot"``), which is scaled
    layer by layer (see :class:`TrainingConfig`) and rounded to
    ``config.dtype``. Drawing in float64 makes single- and double-precision
    runs start from the same weights up to rounding. With
    ``config.same_init`` one vector is drawn and repeated; otherwise trial
    :math:`t` gets the :math:`t`-th draw.

    Examples
    --------
    >>> cfg = TrainingConfig(precision="double")
    >>> theta = initial_parameters(Architecture(1, 10), 2, cfg, trials=3)
    >>> tuple(theta.shape), bool((theta[0] == theta[2]).all())
    ((3, 151), True)
    """
    _check_int("d", d, 1)
    _check_int("trials", trials, 1)
    sizes = architecture.layer_sizes(d)
    n_params = architecture.n_parameters(d)
    generator = torch.Generator().manual_seed(int(config.seed))
    scale = torch.empty(n_params, dtype=torch.float64)
    offset = torch.zeros(n_params, dtype=torch.float64)
    pos = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        n_w = n_in * n_out
        if config.init == "normal":
            scale[pos : pos + n_w + n_out] = config.sigma
        elif config.init == "he":
            scale[pos : pos + n_w] = math.sqrt(2.0 / n_in)
            scale[pos + n_w : pos + n_w + n_out] = 0.0
        else:  # glorot: U(-a, a) = 2a U[0,1) - a
            a = math.sqrt(6.0 / (n_in + n_out))
            scale[pos : pos + n_w] = 2 * a
            offset[pos : pos + n_w] = -a
            scale[pos + n_w : pos + n_w + n_out] = 0.0
        pos += n_w + n_out
    draw = torch.rand if config.init == "glorot" else torch.randn
    n_draws = 1 if config.same_init else trials
    raw = torch.stack([draw(n_params, generator=generator, dtype=torch.float64) for _ in range(n_draws)])
    theta = raw * scale + offset
    if config.same_init:
        theta = theta.expand(trials, n_params)
    return theta.to(config.dtype).contiguous()


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TrainingResult:
    r"""The outcome of :func:`train` for ``T`` trials.

    Attributes
    ----------
    architecture, config : Architecture, TrainingConfig
        What was trained, and how.
    d : int
        Input dimension.
    losses : ndarray, shape (T,)
        Best (lowest) training MSE of each trial; the weights in
        ``parameters`` attain it. ``inf`` if no iterate had a finite loss.
    epochs : ndarray of int, shape (T,)
        Optimiser steps taken by each trial before it stopped.
    stop_reason : ndarray of str, shape (T,)
        ``"tolerance"`` (MSE :math:`\le` tol), ``"epochs"`` (ran all :math:`E`
        steps) or ``"diverged"`` (the loss became NaN or infinite; the trial
        stopped there, the others went on).
    history : ndarray, shape (T, K)
        Training MSE at epochs ``history_epochs`` (before that epoch's step);
        NaN after the trial stopped.
    history_epochs : ndarray of int, shape (K,)
        ``0, s, 2s, ... <= E`` for ``s = config.history_stride``.
    parameters : ndarray, shape (T, P)
        Best weights of each trial in the flat layout of the module docstring,
        in the training precision.
    wall_time : float
        Seconds spent in :func:`train`.
    device : str
        Where training ran, e.g. ``"cpu (2 threads)"``.
    final_parameters, authors_parameters : ndarray, shape (T, P), or None
        With ``train(..., track_final=True)``: the iterate each trial stopped
        at (:math:`\theta_E` for a trial that ran every epoch; the best one
        for a trial stopped by the tolerance), and the one the authors'
        released code keeps -- the final iterate unless the last checkpoint,
        saved whenever the loss fell 16-fold below the previous checkpoint's,
        has a lower loss. ``None`` otherwise.

    Examples
    --------
    Two trials of 50 epochs, the loss recorded every 10:

    >>> y = np.linspace(-1, 1, 6)[None, :, None].repeat(2, axis=0)
    >>> cfg = TrainingConfig(precision="double", epochs=50, tol=1e-10, history_stride=10)
    >>> res = train(Architecture(1, 5, "tanh"), cfg, y, y[..., 0], progress=False)
    >>> res.trials, res.parameters.shape, res.stop_reason.tolist()
    (2, (2, 46), ['epochs', 'epochs'])
    >>> res.history_epochs.tolist(), res.history.shape
    ([0, 10, 20, 30, 40, 50], (2, 6))
    >>> res.predict(np.zeros((3, 1)), iterate="final")
    Traceback (most recent call last):
    ...
    ValueError: iterate='final' needs train(..., track_final=True)
    """

    architecture: Architecture
    config: TrainingConfig
    d: int
    losses: np.ndarray
    epochs: np.ndarray
    stop_reason: np.ndarray
    history: np.ndarray
    history_epochs: np.ndarray
    parameters: np.ndarray
    wall_time: float
    device: str
    _torch_device: str = field(default="cpu", repr=False)
    final_parameters: np.ndarray | None = field(default=None, repr=False)
    authors_parameters: np.ndarray | None = field(default=None, repr=False)

    @property
    def trials(self) -> int:
        """Number ``T`` of trials."""
        return self.parameters.shape[0]

    def predict(self, points: np.ndarray, *, chunk_size: int | None = None,
                iterate: Literal["best", "final", "authors"] = "best") -> np.ndarray:
        """Evaluate every trial's best network at ``points``.

        Parameters
        ----------
        points : array_like, shape (n, d)
        iterate : {"best", "final", "authors"}
            Which weights: the lowest-loss iterate (``parameters``), or, after
            ``train(..., track_final=True)``, ``final_parameters`` or
            ``authors_parameters``.
        chunk_size : int, optional
            Points per batch; the default makes one activation tensor
            ``(T, N, chunk)`` about 4 MiB, so memory stays small for
            millions of points.

        Returns
        -------
        ndarray, shape (T, n), float64
            :math:`\\Phi_t(y_j)` computed in the training precision on the
            training device (CPU if that is no longer available), then
            converted to float64 (:func:`dnngap.mlp.predict`, kernel ``"shared"``).
        """
        choice = check_choice("iterate", iterate, ("best", "final", "authors"))
        weights = {"best": self.parameters, "final": self.final_parameters,
                   "authors": self.authors_parameters}[choice]
        if weights is None:
            raise ValueError(f"iterate={iterate!r} needs train(..., track_final=True)")
        return mlp.predict(weights, self.architecture, self.d, points, dtype=self.config.dtype,
                           device=self._torch_device, chunk_size=chunk_size, kernel="shared")


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def train(
    architecture: Architecture,
    config: TrainingConfig,
    y: np.ndarray,
    f_values: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    track_final: bool = False,
) -> TrainingResult:
    r"""Train one network per trial, all trials together as one batched model.

    Trial :math:`t` fits :math:`\Phi_{\theta_t}` to the samples
    ``(y[t, i], f_values[t, i])`` by minimising its own MSE
    :math:`\mathcal{L}_t(\theta_t) = \frac{1}{m_t}\sum_{i} \bigl(
    \Phi_{\theta_t}(y_{t,i}) - f_{t,i}\bigr)^2` (sum over the samples
    selected by ``mask[t]``, all :math:`m` of them without a mask). The
    gradient :math:`\nabla \mathcal{L}_t(\theta_t)` of every trial comes
    from a hand-written backward pass through the batched network (the
    operations autograd would run, into preallocated buffers; see
    :class:`dnngap._backward.Workspace`). Every epoch, each active trial

    1. evaluates :math:`\mathcal{L}_t(\theta_i)` and keeps :math:`\theta_i`
       if it is the best so far;
    2. stops with reason ``"tolerance"`` if :math:`\mathcal{L}_t \le` tol,
       ``"diverged"`` if it is NaN or infinite, ``"epochs"`` if :math:`i = E`;
    3. otherwise takes one Adam (or SGD) step with learning rate
       :math:`\eta_i` (:func:`learning_rate`).

    A stopped trial's results are final: it takes no part in the records
    (masked updates) until the next check, every 100 epochs, drops it from
    the batch. The trials do not interact, so the numbers are those of
    training them one by one.

    Parameters
    ----------
    architecture : Architecture
    config : TrainingConfig
    y : array_like, shape (T, m, d)
        Samples of trial ``t`` in ``y[t]``.
    f_values : array_like, shape (T, m)
        :math:`f(y_{t,i})`.
    mask : array_like of bool, shape (T, m), optional
        Which samples each trial uses, to train several sample sizes in one
        batch (pad ``y`` and ``f_values`` with finite values).
    device : 'auto', 'cpu', 'cuda' or torch.device
        ``"auto"`` takes CUDA when available, else the CPU.
    progress : bool
        Show a tqdm bar over epochs with the best and median loss of the
        active trials (updated every 100 epochs).
    track_final : bool
        Also keep the final iterate and the authors' checkpointed one
        (``TrainingResult.final_parameters``, ``authors_parameters``), to
        compare the rules that pick the trained network; the best iterate,
        and so every other result, is unchanged.

    Returns
    -------
    TrainingResult

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type, shape or value (before training).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 20, 1))
    >>> cfg = TrainingConfig(precision="double", epochs=200, tol=1e-8, lr0=1e-2)
    >>> res = train(Architecture(1, 10, "tanh"), cfg, y, np.sin(y[..., 0]), progress=False)
    >>> res.losses.shape, res.predict(np.zeros((5, 1))).shape
    ((2,), (2, 5))
    """
    if not isinstance(architecture, Architecture):
        raise TypeError(f"architecture must be an Architecture; got {type(architecture).__name__}")
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig; got {type(config).__name__}")
    y, f_values, mask = check_samples(y, f_values, mask)
    dev = mlp.resolve_device(device)
    started = time.perf_counter()

    n_trials, m, d = y.shape
    sizes = architecture.layer_sizes(d)
    n_epochs, tol = config.resolved_epochs, config.resolved_tol
    stride = config.history_stride
    batch = _Batch.start(architecture, config, y, f_values, mask, dev, track_final=track_final)
    out = _Outputs.empty(n_trials, batch.theta.shape[1], batch.history.shape[1], config.dtype,
                         track_final=track_final)

    bar = tqdm(total=n_epochs, desc=architecture.label, disable=not progress, leave=False)
    layers, grad, grad_layers, workspace = batch.bind(sizes, architecture.activation)
    epoch = 0
    for epoch in range(n_epochs + 1):
        final = epoch == n_epochs
        with torch.no_grad():
            if final:
                loss = workspace.loss(layers)
            else:
                loss = workspace.loss_and_gradient(layers, grad_layers)  # into grad
            batch.record(loss, epoch, stride)
            if final:
                break
            batch.stop(loss, epoch, tol)
            # Every trial takes the step, stopped ones too: the records above
            # are masked with `active`, the trials do not interact, and the
            # next sync drops stopped trials from the batch.
            lr = learning_rate(epoch, lr0=config.lr0, tol=tol, epochs=n_epochs)
            batch.step(grad, lr, epoch)
        if (epoch + 1) % _SYNC_EVERY == 0:
            n_active = int(batch.active.sum())
            bar.update(epoch + 1 - bar.n)
            if n_active:
                live = loss[batch.active].to(torch.float64).cpu()
                bar.set_postfix(best=f"{live.min().item():.2e}", median=f"{live.median().item():.2e}", active=n_active)
            if n_active == 0:
                break
            if n_active < batch.active.shape[0]:
                batch.flush(out)
                batch.keep(batch.active.clone())
                layers, grad, grad_layers, workspace = batch.bind(sizes, architecture.activation)
    batch.flush(out)
    bar.update(n_epochs - bar.n)
    bar.close()

    return TrainingResult(
        architecture=architecture,
        config=config,
        d=d,
        losses=out.losses,
        epochs=out.epochs,
        stop_reason=np.array(_STOP_REASONS)[out.reason],
        history=out.history,
        history_epochs=np.arange(out.history.shape[1]) * stride,
        parameters=out.parameters,
        wall_time=time.perf_counter() - started,
        device=mlp.device_description(dev),
        _torch_device=str(dev),
        final_parameters=out.final_parameters,
        authors_parameters=out.authors_parameters,
    )


@dataclass
class _Outputs:
    """Per-trial results of :func:`train`, on the host (row t is trial t)."""

    parameters: np.ndarray  # (T, P), in the training precision
    losses: np.ndarray  # (T,)
    epochs: np.ndarray  # (T,) int
    reason: np.ndarray  # (T,) codes into _STOP_REASONS
    history: np.ndarray  # (T, K)
    final_parameters: np.ndarray | None = None  # (T, P), with track_final
    authors_parameters: np.ndarray | None = None

    @classmethod
    def empty(cls, n_trials: int, n_parameters: int, n_history: int, dtype: torch.dtype,
              track_final: bool = False) -> _Outputs:
        np_dtype = np.float32 if dtype == torch.float32 else np.float64
        return cls(
            parameters=np.empty((n_trials, n_parameters), dtype=np_dtype),
            losses=np.empty(n_trials),
            epochs=np.empty(n_trials, dtype=np.int64),
            reason=np.empty(n_trials, dtype=np.int64),
            history=np.empty((n_trials, n_history)),
            final_parameters=np.empty((n_trials, n_parameters), dtype=np_dtype) if track_final else None,
            authors_parameters=np.empty((n_trials, n_parameters), dtype=np_dtype) if track_final else None,
        )


@dataclass
class _Batch:
    """The trials still being trained: row j of every tensor belongs to trial ``rows[j]``.

    Rows of stopped trials are written to the outputs (:meth:`flush`) and
    dropped (:meth:`keep`) at sync points.
    """

    rows: torch.Tensor  # (B,) trial of each row
    theta: torch.Tensor  # (B, P) current parameters, updated in place
    x: torch.Tensor  # (B, d, m) inputs, feature-major
    target: torch.Tensor  # (B, m)
    weight_mask: torch.Tensor | None  # (B, m) 1 for the samples used, or None
    count: torch.Tensor | None  # (B,) samples used, or None
    first_moment: torch.Tensor | None  # (B, P) Adam's state (None for SGD)
    second_moment: torch.Tensor | None
    best_theta: torch.Tensor  # (B, P) parameters of the lowest loss so far
    best_loss: torch.Tensor  # (B,)
    active: torch.Tensor  # (B,) bool: not stopped yet
    stop_epoch: torch.Tensor  # (B,) int64
    reason: torch.Tensor  # (B,) int64 codes into _STOP_REASONS
    history: torch.Tensor  # (B, K) losses every history_stride epochs
    # with track_final: the current iterate's loss, and the authors' checkpoint
    last_loss: torch.Tensor | None = None  # (B,)
    checkpoint_theta: torch.Tensor | None = None  # (B, P)
    checkpoint_loss: torch.Tensor | None = None  # (B,)

    @classmethod
    def start(cls, architecture, config, y, f_values, mask, dev, track_final: bool = False) -> _Batch:
        """Every trial, from its initial parameters."""
        n_trials, _, d = y.shape
        dtype = config.dtype
        n_epochs = config.resolved_epochs
        adam = config.optimizer == "adam"

        def tensor(a, dt=dtype):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=dev)

        theta = initial_parameters(architecture, d, config, n_trials).to(dev)
        weight_mask = count = None
        if mask is not None:
            weight_mask = tensor(mask)
            count = weight_mask.sum(dim=1)
        n_history = n_epochs // config.history_stride + 1
        return cls(
            rows=torch.arange(n_trials, device=dev),
            theta=theta,
            x=tensor(y.transpose(0, 2, 1)),
            target=tensor(f_values),
            weight_mask=weight_mask,
            count=count,
            first_moment=torch.zeros_like(theta) if adam else None,
            second_moment=torch.zeros_like(theta) if adam else None,
            best_theta=theta.clone(),
            best_loss=torch.full((n_trials,), math.inf, dtype=dtype, device=dev),
            active=torch.ones(n_trials, dtype=torch.bool, device=dev),
            stop_epoch=torch.full((n_trials,), n_epochs, dtype=torch.int64, device=dev),
            reason=torch.zeros(n_trials, dtype=torch.int64, device=dev),
            history=torch.full((n_trials, n_history), math.nan, dtype=dtype, device=dev),
            last_loss=torch.full((n_trials,), math.inf, dtype=dtype, device=dev) if track_final else None,
            checkpoint_theta=theta.clone() if track_final else None,
            checkpoint_loss=torch.full((n_trials,), math.inf, dtype=dtype, device=dev) if track_final else None,
        )

    def bind(self, sizes, activation):
        """Layer views into ``theta`` (updated in place) and into the gradient; work buffers."""
        grad = torch.empty_like(self.theta)  # the gradient, then Adam's denominator
        workspace = _Workspace(sizes, activation, self.x, self.target, self.weight_mask, self.count)
        return mlp.layer_views(self.theta, sizes), grad, mlp.layer_views(grad, sizes), workspace

    def record(self, loss: torch.Tensor, epoch: int, stride: int) -> None:
        """Keep improved parameters; write the history every ``stride`` epochs."""
        improved = (loss < self.best_loss) & self.active
        torch.where(improved, loss, self.best_loss, out=self.best_loss)
        torch.where(improved[:, None], self.theta, self.best_theta, out=self.best_theta)
        if epoch % stride == 0:
            self.history[:, epoch // stride] = torch.where(self.active, loss, math.nan)
        if self.last_loss is not None:  # track_final: the authors' checkpoint at each 16-fold drop
            torch.where(self.active, loss, self.last_loss, out=self.last_loss)
            dropped = (loss * _CHECKPOINT_DROP <= self.checkpoint_loss) & self.active
            torch.where(dropped, loss, self.checkpoint_loss, out=self.checkpoint_loss)
            torch.where(dropped[:, None], self.theta, self.checkpoint_theta, out=self.checkpoint_theta)

    def stop(self, loss: torch.Tensor, epoch: int, tol: float) -> None:
        """Stop the active trials that reached ``tol`` or diverged."""
        reached = (loss <= tol) & self.active
        diverged = torch.isfinite(loss).logical_not_() & self.active
        stopped = reached | diverged
        self.stop_epoch.masked_fill_(stopped, epoch)
        self.reason.masked_fill_(reached, 1)
        self.reason.masked_fill_(diverged, 2)
        self.active &= ~stopped

    def step(self, grad: torch.Tensor, lr: float, epoch: int) -> None:
        """One Adam (or gradient-descent) step of every row; ``grad`` is overwritten."""
        if self.first_moment is None:
            self.theta.add_(grad, alpha=-lr)
            return
        # torch.optim.Adam's update (its operations), step t = epoch + 1.
        beta1, beta2 = ADAM_BETAS
        step = epoch + 1
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        self.first_moment.lerp_(grad, 1 - beta1)
        self.second_moment.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = torch.sqrt(self.second_moment, out=grad).div_(bias_correction2_sqrt).add_(ADAM_EPS)
        self.theta.addcdiv_(self.first_moment, denom, value=-step_size)

    def flush(self, out: _Outputs) -> None:
        """Copy the rows' results to the outputs."""
        index = self.rows.cpu().numpy()
        out.parameters[index] = self.best_theta.cpu().numpy()
        out.losses[index] = self.best_loss.cpu().numpy()
        out.epochs[index] = self.stop_epoch.cpu().numpy()
        out.reason[index] = self.reason.cpu().numpy()
        out.history[index] = self.history.cpu().numpy()
        if self.last_loss is not None:
            # a trial that ran every epoch ends at theta_E; one stopped earlier at its best iterate
            ran_out = (self.reason == 0)[:, None]
            final = torch.where(ran_out, self.theta, self.best_theta)
            final_loss = torch.where(ran_out[:, 0], self.last_loss, self.best_loss)
            use_checkpoint = (self.checkpoint_loss < final_loss)[:, None]
            out.final_parameters[index] = final.cpu().numpy()
            out.authors_parameters[index] = torch.where(use_checkpoint, self.checkpoint_theta, final).cpu().numpy()

    def keep(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (a bool mask)."""
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value[keep])
