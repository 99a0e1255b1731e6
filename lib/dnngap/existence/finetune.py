r"""Training every layer of the existence network, from its constructed weights.

The network of :func:`~dnngap.existence.fit_existence_network` -- hidden
layers that emulate the Legendre features, a last layer fitted by CS -- is a
ReLU network like any trained one, only with very good weights. Fine-tuning
asks what training does to it: every layer is trained on the training MSE

.. math::

    \mathcal{L}_t(\theta) = \frac{1}{m}\sum_{i=1}^m \bigl(\Phi_\theta(y_{t,i}) - f(y_{t,i})\bigr)^2

of trial :math:`t`, starting from the constructed :math:`\theta`, by the
stages of the ``adam_lbfgs`` recipe (:func:`dnngap.recipes.adam_lbfgs_stages`:
1,000 Adam epochs from :math:`10^{-3}` down to :math:`10^{-4}`, then at most
500 L-BFGS iterations, float64), the best ReLU recipe of the book's E8.

Conventions
-----------
Parameters
    The trainable parameters are the **non-zero entries** of every weight
    matrix (the construction's sparsity pattern is kept: a weight that is zero
    stays zero, as the network's dense form would have about
    ``n_parameters_dense`` -- :math:`10^8` and more -- parameters) and **every
    bias entry**. The output layer is trial :math:`t`'s composition
    :math:`h \mapsto z_t^\top(W_L h + b_L)`
    (:meth:`~dnngap.existence.ExistenceFit.network`), one row whose pattern
    is every column :math:`W_L` uses, whether or not :math:`z_t` is zero
    there, so that all trials share one layout. A trial's parameters are a
    flat float64 vector: layer by layer, the non-zero values of :math:`W` in
    CSR order, then :math:`b`.
Best iterate
    As in every recipe, each stage returns the iterate of lowest training
    loss it evaluated, and Adam's epoch 0 evaluates the start: fine-tuning
    never ends at a higher training MSE than the constructed network's. What
    it can change is the error away from the samples.
Trials
    One at a time (each has its own last layer and its own samples); a trial's
    result does not depend on the others.
Cost
    A loss-and-gradient evaluation makes three sparse products per layer
    (with :math:`W`, with :math:`W^\top`, and the sampled product
    :math:`(g h^\top)_{jk}` on the pattern for the weights' gradient,
    :func:`torch.sparse.sampled_addmm`) and keeps every layer's activations,
    width × m numbers each. In :math:`d = 8` at :math:`m = 1200`, measured on
    one core of the book's 2-core machine (while loaded): 0.5--1.0 s for
    :math:`N \le 300` (90 layers, width 1,472, :math:`2\cdot10^5`
    parameters) and 16--19 s for :math:`N \le 2000` (140 layers, width
    8,472, :math:`1.4\cdot10^6` parameters, its time spent moving the
    activations). A trial makes up to 2,001 evaluations (1,001 Adam epochs,
    then L-BFGS up to its cap of 1,000): the first paper trial at
    :math:`N \le 300` (``exp_cos``) used them all, in 14 minutes. At
    :math:`N \le 2000` that is some 9 core-hours a trial: the paper-scale
    units are a GPU's work (``tools/gpu_session.sh e8``), resumable trial by
    trial (``checkpoint``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from .. import mlp, recipes
from .._validation import check_int, check_positive, check_samples
from .last_layer import ExistenceFit
from .network import FeedForwardNetwork, Layer, points_per_pass

__all__ = ["FinetuneResult", "SparseNetwork", "dense_parameters", "finetune", "trainable_parameters"]

# torch's CSR tensors work (and are tested here) but announce themselves as beta once per process
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)


@dataclass(frozen=True, eq=False)
class _Pattern:
    """One layer's sparsity pattern: CSR of ``W`` and of ``W.T`` (with the
    permutation taking ``W``'s values to ``W.T``'s), and the activation."""

    crow: torch.Tensor
    col: torch.Tensor
    crow_t: torch.Tensor
    col_t: torch.Tensor
    perm: torch.Tensor
    shape: tuple[int, int]
    activation: str

    @classmethod
    def of(cls, W: sp.csr_array, activation: str, device: torch.device) -> _Pattern:
        W = sp.csr_array(W, copy=True)
        W.sort_indices()
        order = sp.csr_array((np.arange(W.nnz, dtype=np.float64), W.indices, W.indptr), shape=W.shape)
        T = sp.csr_array(order.T)
        T.sort_indices()
        as_long = lambda a: torch.as_tensor(np.asarray(a, dtype=np.int64), device=device)
        return cls(as_long(W.indptr), as_long(W.indices), as_long(T.indptr), as_long(T.indices),
                   as_long(T.data), (int(W.shape[0]), int(W.shape[1])), activation)

    @property
    def nnz(self) -> int:
        return int(self.col.numel())

    def matrix(self, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.crow, self.col, values, self.shape, check_invariants=False)

    def transpose(self, values: torch.Tensor) -> torch.Tensor:
        return torch.sparse_csr_tensor(self.crow_t, self.col_t, values[self.perm], self.shape[::-1],
                                       check_invariants=False)


class _SparseProduct(torch.autograd.Function):
    """``W(values) @ h`` for a fixed pattern, differentiable in ``values`` and ``h``."""

    @staticmethod
    def forward(ctx, values: torch.Tensor, h: torch.Tensor, pattern: _Pattern) -> torch.Tensor:
        ctx.save_for_backward(values, h)
        ctx.pattern = pattern
        return pattern.matrix(values) @ h

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        values, h = ctx.saved_tensors
        p = ctx.pattern
        grad_values = torch.sparse.sampled_addmm(p.matrix(torch.zeros_like(values)), g, h.T, beta=0.0).values()
        grad_h = p.transpose(values) @ g if ctx.needs_input_grad[1] else None
        return grad_values, grad_h, None


def _output_columns(network: FeedForwardNetwork) -> np.ndarray:
    """The columns of the last hidden layer that the features' output layer uses."""
    return np.unique(sp.csr_array(network.layers[-1].W).indices)


def trainable_parameters(network: FeedForwardNetwork) -> int:
    """:math:`P` of the fine-tuned network built on the features ``network``: the
    stored entries of every hidden weight matrix, every hidden bias, and the one
    output row on :func:`_output_columns` with its bias (as :class:`SparseNetwork` lays them out).

    >>> from dnngap import existence, polynomials
    >>> features = existence.emulate_features(polynomials.hyperbolic_cross(1, 3), 6).network
    >>> trainable_parameters(features) == SparseNetwork(features.layers[:-1], _output_columns(features)).n_parameters
    True
    """
    hidden = sum(layer.W.nnz + layer.W.shape[0] for layer in network.layers[:-1])
    return int(hidden + len(_output_columns(network)) + 1)


def dense_parameters(network: FeedForwardNetwork) -> int:
    """The parameters of a dense network with the hidden layers of ``network`` and one output."""
    hidden = FeedForwardNetwork(network.layers[:-1], network.input_dim).n_parameters_dense
    return int(hidden + network.layers[-1].W.shape[1] + 1)


class SparseNetwork:
    r"""A ReLU network with fixed sparsity patterns, its weights a flat trainable vector.

    Built from the hidden layers of an existence network and the columns its
    output row may use (see the module's conventions for the layout).

    Parameters
    ----------
    hidden : sequence of Layer
        The hidden layers (ReLU).
    output_columns : array_like of int
        Columns of the last hidden layer the one output row may use.
    device : 'auto', 'cpu', 'cuda' or torch.device

    Examples
    --------
    :math:`|x| = \mathrm{ReLU}(x) + \mathrm{ReLU}(-x)`, its two output weights and bias trainable:

    >>> hidden = Layer(sp.csr_array(np.array([[1.0], [-1.0]])), np.zeros(2), "relu", "demo", "abs", "±x")
    >>> net = SparseNetwork([hidden], [0, 1], device="cpu")
    >>> theta = torch.tensor([1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    >>> net.n_parameters, net(theta, torch.tensor([[-2.0, 0.5]], dtype=torch.float64)).tolist()
    (7, [2.0, 0.5])
    """

    def __init__(self, hidden, output_columns, *, device: str | torch.device = "auto"):
        self.device = mlp.resolve_device(device)
        columns = np.asarray(output_columns, dtype=np.int64)
        width = hidden[-1].W.shape[0]
        output = sp.csr_array((np.ones(len(columns)), columns, [0, len(columns)]), shape=(1, width))
        self.patterns = [_Pattern.of(layer.W, layer.activation, self.device) for layer in hidden]
        self.patterns.append(_Pattern.of(output, "identity", self.device))
        sizes = [(p.nnz, p.shape[0]) for p in self.patterns]
        self._offsets = np.cumsum([0] + [n + b for n, b in sizes])
        self._sizes = sizes
        self.input_dim = hidden[0].W.shape[1]

    @property
    def n_parameters(self) -> int:
        """Trainable parameters :math:`P`: the patterns' non-zeros and every bias entry."""
        return int(self._offsets[-1])

    def _layers(self, theta: torch.Tensor):
        for pattern, start, (nnz, n_out) in zip(self.patterns, self._offsets, self._sizes):
            yield pattern, theta[start : start + nnz], theta[start + nnz : start + nnz + n_out]

    def __call__(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        r"""The network with parameters ``theta (P,)`` at the columns of ``x (d, n)`` -> ``(n,)``."""
        h = x
        for pattern, values, bias in self._layers(theta):
            h = _SparseProduct.apply(values, h, pattern) + bias[:, None]
            if pattern.activation == "relu":
                h = torch.relu(h)
        return h[0]

    def value_and_grad(self, x: torch.Tensor, target: torch.Tensor) -> recipes.ValueAndGrad:
        r"""The training MSE on the columns of ``x (d, m)`` against ``target (m,)``
        and its gradient, for parameters of shape (1, P) (:data:`dnngap.recipes.ValueAndGrad`)."""

        def value_and_grad(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            theta = theta.detach()[0].requires_grad_(True)
            loss = (self(theta, x) - target).square().mean()
            (grad,) = torch.autograd.grad(loss, theta)
            return loss.detach()[None], grad[None]

        return value_and_grad

    def parameters_of(self, layers) -> np.ndarray:
        """The flat parameters of ``layers`` (same shapes; every non-zero weight within the pattern)."""
        parts = []
        for pattern, layer in zip(self.patterns, layers):
            crow, col = pattern.crow.cpu().numpy(), pattern.col.cpu().numpy()
            keys = np.repeat(np.arange(pattern.shape[0]), np.diff(crow)) * pattern.shape[1] + col  # sorted
            W = sp.coo_array(layer.W)
            if W.shape != pattern.shape:
                raise ValueError(f"layer shapes must be the network's; got {W.shape}, expected {pattern.shape}")
            wanted = W.row.astype(np.int64) * pattern.shape[1] + W.col
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            inside = keys[at] == wanted if len(keys) else np.zeros(len(wanted), bool)
            if not np.all(inside | (W.data == 0)):
                raise ValueError("layers have non-zero weights outside the network's sparsity pattern")
            values = np.zeros(pattern.nnz)
            np.add.at(values, at[inside], W.data[inside])
            parts += [values, np.asarray(layer.b, dtype=np.float64)]
        return np.concatenate(parts)

    def network(self, theta: np.ndarray) -> FeedForwardNetwork:
        """The network of parameters ``theta (P,)`` as explicit sparse layers."""
        theta = torch.as_tensor(np.asarray(theta, dtype=np.float64))
        layers = []
        for pattern, values, bias in self._layers(theta):
            W = sp.csr_array((values.numpy(), pattern.col.cpu().numpy(), pattern.crow.cpu().numpy()),
                             shape=pattern.shape)
            layers.append(Layer(W, bias.numpy().copy(), pattern.activation, "fine-tuned", "", "trained"))
        return FeedForwardNetwork(tuple(layers), self.input_dim)


#: Points per forward pass of :meth:`FinetuneResult.predict` on a GPU, which wants large
#: batches; on a CPU: :func:`dnngap.existence.network.points_per_pass` of the network's width.
GPU_POINTS_PER_PASS: int = 65536


@dataclass(frozen=True, eq=False)
class FinetuneResult:
    r"""The fine-tuned existence networks of ``T`` trials.

    Attributes
    ----------
    start : ExistenceFit
        The constructed networks training started from.
    network : SparseNetwork
        The layout of the parameters.
    parameters : ndarray, shape (T, P)
        Each trial's final (lowest-training-loss) parameters.
    initial_losses, losses : ndarray, shape (T,)
        Training MSE of the constructed network and of the final one.
    adam_epochs, lbfgs_iterations, evaluations : ndarray of int, shape (T,)
    stop_reason : ndarray of str, shape (T,)
        The L-BFGS stage's (:func:`dnngap.recipes.lbfgs`).
    wall_time : float
    device : str
    checkpoint : Path or None
        The folder :func:`finetune` kept the trials in; :meth:`predict` keeps its values there.
    """

    start: ExistenceFit
    network: SparseNetwork
    parameters: np.ndarray
    initial_losses: np.ndarray
    losses: np.ndarray
    adam_epochs: np.ndarray
    lbfgs_iterations: np.ndarray
    evaluations: np.ndarray
    stop_reason: np.ndarray
    wall_time: float
    device: str
    checkpoint: Path | None = None

    @functools.cached_property
    def _digest(self) -> bytes:
        return hashlib.sha256(np.ascontiguousarray(self.parameters, dtype=np.float64).tobytes()).digest()

    def predict(self, points: np.ndarray, *, chunk_size: int | None = None) -> np.ndarray:
        r"""Every trial's fine-tuned network at ``points (n, d)`` -> ``(T, n)`` (float64).

        ``chunk_size`` points at a time (default: :data:`GPU_POINTS_PER_PASS` on a
        GPU, :func:`~dnngap.existence.network.points_per_pass` of the network's
        width on a CPU); the values do not depend on it. With a
        ``checkpoint`` folder (see :func:`finetune`) each call's values are
        kept there, keyed by the points and the parameters, and a later call
        on the same points reads them: an interrupted evaluation on large
        test sets resumes from the call in flight.
        """
        points = np.asarray(points, dtype=np.float64)
        if self.checkpoint is None:
            return self._predict(points, chunk_size)
        key = hashlib.sha256(self._digest + np.ascontiguousarray(points).tobytes()).hexdigest()[:20]
        path = Path(self.checkpoint) / f"predict_{key}.npy"
        if path.exists():
            return np.load(path)
        out = self._predict(points, chunk_size)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.npy")
        np.save(tmp, out)
        os.replace(tmp, path)
        return out

    def _predict(self, points: np.ndarray, chunk_size: int | None) -> np.ndarray:
        out = np.empty((self.parameters.shape[0], points.shape[0]))
        dev = self.network.device
        if chunk_size is None:
            width = max(p.shape[0] for p in self.network.patterns)
            chunk_size = GPU_POINTS_PER_PASS if dev.type == "cuda" else points_per_pass(width)
        chunk_size = check_int("chunk_size", chunk_size, 1)
        with torch.no_grad():
            for t, theta in enumerate(self.parameters):
                theta = torch.as_tensor(theta, device=dev)
                for s in range(0, points.shape[0], chunk_size):
                    x = torch.as_tensor(np.ascontiguousarray(points[s : s + chunk_size].T), device=dev)
                    out[t, s : s + chunk_size] = self.network(theta, x).cpu().numpy()
        return out


def _initial(fit: ExistenceFit, network: SparseNetwork, trial: int) -> np.ndarray:
    return network.parameters_of(fit.network(trial).layers)


#: What one trial's fine-tuning keeps (and a checkpoint file holds), besides its parameters.
_TRIAL_FIELDS = ("start_loss", "loss", "adam_epochs", "lbfgs_iterations", "evaluations", "stop_reason")


def _train_trial(network: SparseNetwork, theta0: np.ndarray, y: np.ndarray, f_values: np.ndarray,
                 budget: float) -> dict:
    """One trial: the constructed parameters ``theta0``, trained by ``adam_lbfgs``'s stages."""
    dev = network.device
    x = torch.as_tensor(np.ascontiguousarray(y.T), dtype=torch.float64, device=dev)
    target = torch.as_tensor(f_values, dtype=torch.float64, device=dev)
    theta = torch.as_tensor(theta0, device=dev)[None]
    value_and_grad = network.value_and_grad(x, target)
    start_loss = float(value_and_grad(theta)[0][0])
    stages = recipes.adam_lbfgs_stages(theta, value_and_grad, lambda _, vg=value_and_grad: vg, budget=budget)
    adam, lbfgs = stages["adam"], stages["lbfgs"]
    return {"parameters": lbfgs.parameters[0].cpu().numpy(), "start_loss": start_loss, "loss": float(lbfgs.losses[0]),
            "adam_epochs": int(adam.steps[0]), "lbfgs_iterations": int(lbfgs.steps[0]),
            "evaluations": int(adam.evaluations[0] + lbfgs.evaluations[0]), "stop_reason": str(lbfgs.stop_reason[0])}


def _fingerprint(theta0: np.ndarray, y: np.ndarray, f_values: np.ndarray, budget: float, device: torch.device) -> str:
    """What a trial's result depends on: its start, samples, budget, the device kind and the numerics."""
    from . import NUMERICS_VERSION

    h = hashlib.sha256()
    for a in (theta0, y, f_values):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    h.update(f"{budget!r} {device.type} recipes-v{recipes.NUMERICS_VERSION} existence-v{NUMERICS_VERSION}".encode())
    return h.hexdigest()


def _checkpointed(folder: Path | None, t: int, fingerprint: str, train) -> dict:
    """Trial ``t``'s result from ``folder`` if a file there has this ``fingerprint``;
    otherwise ``train()``, saved there (atomically) before it is returned."""
    if folder is None:
        return train()
    path = folder / f"trial_{t}.npz"
    if path.exists():
        with np.load(path) as saved:
            if str(saved["fingerprint"]) == fingerprint:
                return {k: (saved[k] if k == "parameters" else saved[k].item()) for k in ("parameters", *_TRIAL_FIELDS)}
    result = train()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".trial_{t}.{os.getpid()}.npz"
    np.savez(tmp, fingerprint=fingerprint, **result)
    os.replace(tmp, path)
    return result


def finetune(fit: ExistenceFit, y: np.ndarray, f_values: np.ndarray, *, budget: float = 1.0,
             device: str | torch.device = "auto", progress: bool = False,
             checkpoint: str | os.PathLike | None = None) -> FinetuneResult:
    r"""Train every layer of each trial's existence network on its own samples.

    Parameters
    ----------
    fit : ExistenceFit
        The constructed networks (:func:`~dnngap.existence.fit_existence_network`, ReLU).
    y : array_like, shape (T, m, d)
        The samples ``fit`` was trained on.
    f_values : array_like, shape (T, m)
    budget : float
        Factor on the stages' epoch and iteration counts (1 = as designed).
    device : 'auto', 'cpu', 'cuda' or torch.device
    progress : bool
        A tqdm bar over the trials.
    checkpoint : path-like, optional
        A folder for finished trials: each trial's result is saved there as
        soon as it is trained, and a later call loads it instead of training
        it again when nothing it depends on has changed (its samples and
        starting network, ``budget``, the kind of device, the numerics
        versions; otherwise the file is overwritten). An interrupted run (a
        killed process, a GPU session's time limit) so loses at most the
        trial in flight. The result's :meth:`FinetuneResult.predict` keeps
        its values there too (one file per call), so that an interrupted
        evaluation resumes as well. ``None``: keep nothing.

    Returns
    -------
    FinetuneResult

    Examples
    --------
    :math:`e^{y}` in :math:`d = 1` from 12 samples, degree ≤ 3 emulated with 6
    sawtooth levels: training every layer cannot end above the constructed
    network's training MSE.

    >>> from dnngap import existence, polynomials
    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 12, 1))
    >>> fit = existence.fit_existence_network(y, np.exp(y[..., 0]), polynomials.hyperbolic_cross(1, 3), s=6)
    >>> res = finetune(fit, y, np.exp(y[..., 0]), budget=0.01, device="cpu")
    >>> bool(np.all(res.losses <= res.initial_losses)), res.predict(np.zeros((3, 1))).shape
    (True, (2, 3))
    """
    from tqdm.auto import tqdm

    if not isinstance(fit, ExistenceFit):
        raise TypeError(f"fit must be a dnngap.existence.ExistenceFit; got {type(fit).__name__}")
    if fit.features.activation != "relu":
        raise ValueError(f"fit must be a ReLU existence network; got activation={fit.features.activation!r}")
    budget = check_positive("budget", budget)
    y, f_values, _ = check_samples(y, f_values)
    if y.shape[0] != fit.z.shape[0]:
        raise ValueError(f"y must hold the {fit.z.shape[0]} trials of fit; got {y.shape[0]}")
    folder = None if checkpoint is None else Path(checkpoint)
    started = time.perf_counter()
    layers = fit.features.network.layers
    network = SparseNetwork(layers[:-1], _output_columns(fit.features.network), device=device)
    trials = []
    for t in tqdm(range(y.shape[0]), desc="fine-tuning", unit="trial", disable=not progress):
        theta0 = _initial(fit, network, t)
        key = _fingerprint(theta0, y[t], f_values[t], budget, network.device)
        trials.append(_checkpointed(folder, t, key, lambda t=t, theta0=theta0: _train_trial(
            network, theta0, y[t], f_values[t], budget)))
    column = lambda name: np.array([r[name] for r in trials])  # noqa: E731
    return FinetuneResult(
        start=fit, network=network, parameters=np.stack([r["parameters"] for r in trials]),
        initial_losses=column("start_loss"), losses=column("loss"), adam_epochs=column("adam_epochs"),
        lbfgs_iterations=column("lbfgs_iterations"), evaluations=column("evaluations"),
        stop_reason=column("stop_reason").astype(str), wall_time=time.perf_counter() - started,
        device=mlp.device_description(network.device), checkpoint=folder)
