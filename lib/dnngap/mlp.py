r"""Multilayer perceptrons: the network, its flat parameters, batched evaluation.

The fully connected networks of the paper, shared by :mod:`dnngap.dnn` (the
paper's training protocol) and :mod:`dnngap.recipes` (other ways to train
the same networks). A network :math:`\Phi_\theta : \mathbb{R}^d \to
\mathbb{R}` is stored as a flat parameter vector :math:`\theta`; the
:math:`T` trials of an experiment (same architecture, different samples)
are evaluated together as one batched model.

Conventions
-----------
Network
    ``Architecture(depth=L, width=N)``: an input layer
    :math:`h_1 = \sigma(W_0 y + b_0)` of width :math:`N`, then more hidden
    layers :math:`h_{k+1} = \sigma(W_k h_k + b_k)` of width :math:`N`, then
    a linear output :math:`\Phi(y) = W_H h_H + b_H`. The number :math:`H` of
    activated hidden layers is :math:`L + 1` with ``convention="code"`` (the
    authors' code: ``nb_layers = L`` layers *after* the input layer) and
    :math:`L` with ``convention="paper"``.
Parameter layout
    The parameters of one network form a flat vector of length
    :math:`P` (:meth:`Architecture.n_parameters`): for each layer in order,
    its weight matrix :math:`W \in \mathbb{R}^{n_\mathrm{out} \times
    n_\mathrm{in}}` in row-major order (the layer computes :math:`W h + b`,
    as ``torch.nn.Linear`` stores it), then its bias ``(n_out,)``. The
    parameters of :math:`T` networks are a ``(T, P)`` array.
Batched evaluation
    The weights of layer :math:`\ell` of all trials are views of shape
    ``(T, n_out, n_in)`` into ``theta (T, P)`` (:func:`layer_views`),
    applied with :func:`torch.baddbmm` to activations stored feature-major,
    ``(T, n_in, m)``, one column per point (for narrow layers the matrix
    products are several times faster this way round).
Output kernels
    The linear output layer has two implementations that round differently:
    :func:`output_layer` (a broadcast product and a sum, whose backward is
    fast on the CPU; :mod:`dnngap.dnn`) and :func:`output_bmm` (a
    ``baddbmm``; :mod:`dnngap.recipes`). Each trainer keeps its own, so that
    stored results stay reproducible bit for bit.
Numbers
    This module has no ``NUMERICS_VERSION`` of its own: every stored result
    computed with it (DNN and recipe units) is keyed by
    :data:`dnngap.dnn.NUMERICS_VERSION`, which a change that alters the
    numbers here must bump.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F

from dnngap._validation import check_choice, check_int

__all__ = [
    "ACTIVATIONS",
    "ACTIVATIONS_IN_PLACE",
    "ACTIVATION_NAMES",
    "DTYPES",
    "Architecture",
    "device_description",
    "forward",
    "forward_shared",
    "hidden",
    "layer_views",
    "output_bmm",
    "output_layer",
    "predict",
    "resolve_device",
]

Activation = Literal["relu", "elu", "tanh", "sigmoid", "softplus"]
Convention = Literal["code", "paper"]
Kernel = Literal["shared", "batched"]
Layers = list[tuple[torch.Tensor, torch.Tensor]]

#: ``precision -> torch dtype``.
DTYPES: dict[str, torch.dtype] = {"single": torch.float32, "double": torch.float64}
#: The activations :math:`\sigma`, as functions autograd can differentiate.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "elu": F.elu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
}
#: The same activations in place where torch has them (the same kernels):
#: for evaluation without autograd, and for the hand-written backward of
#: :mod:`dnngap.dnn`, whose derivatives use the activation's output.
ACTIVATIONS_IN_PLACE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu_,
    "elu": F.elu_,
    "tanh": torch.tanh_,
    "sigmoid": torch.sigmoid_,
    "softplus": F.softplus,
}
#: Names of the activations in labels.
ACTIVATION_NAMES: dict[str, str] = {
    "relu": "ReLU", "elu": "ELU", "tanh": "tanh", "sigmoid": "sigmoid", "softplus": "softplus",
}
# Bytes of one activation tensor (T, width, chunk) in predict with the
# "shared" kernel: cache-sized (book/performance.md, "Prediction chunks").
_PREDICT_BYTES = 4 * 2**20
# Points per block in predict with the "batched" kernel.
_BATCHED_CHUNK = 8192


@dataclass(frozen=True)
class Architecture:
    r"""A fully connected network of a given depth and width.

    Parameters
    ----------
    depth : int
        :math:`L \ge 1`, the depth in the label :math:`L \times N`.
    width : int
        :math:`N \ge 1`, the width of every hidden layer.
    activation : {'relu', 'elu', 'tanh', 'sigmoid', 'softplus'}
        :math:`\sigma`, applied elementwise after every hidden layer (the
        output layer is linear). ``softplus`` is :math:`\log(1 + e^x)`, ``elu``
        is :math:`x` for :math:`x > 0` and :math:`e^x - 1` otherwise.
    convention : {'code', 'paper'}
        How :math:`L` counts hidden layers: ``"code"`` (default, the authors'
        code, ``nb_layers = L``) builds :math:`L + 1` activated hidden layers,
        ``"paper"`` builds :math:`L`. Which one the paper's labels use is not
        known (the book's page *The paper, and what is known of its
        experiments*, ``book/paper.md``); the label always says which was
        used.

    Examples
    --------
    >>> a = Architecture(4, 40)
    >>> a.hidden_layers, a.label
    (5, 'ReLU 4×40 (code: 5 hidden layers)')
    >>> a.layer_sizes(8)
    (8, 40, 40, 40, 40, 40, 1)
    >>> Architecture(1, 10, "tanh", "paper").n_parameters(1)  # 1*10 + 10 + 10 + 1
    31
    """

    depth: int
    width: int
    activation: Activation = "relu"
    convention: Convention = "code"

    def __post_init__(self) -> None:
        check_int("depth", self.depth, 1)
        check_int("width", self.width, 1)
        check_choice("activation", self.activation, get_args(Activation))
        check_choice("convention", self.convention, get_args(Convention))

    @property
    def hidden_layers(self) -> int:
        """Number :math:`H` of activated hidden layers (``depth + 1`` for "code")."""
        return self.depth + 1 if self.convention == "code" else self.depth

    @property
    def label(self) -> str:
        """E.g. ``'ReLU 4×40 (code: 5 hidden layers)'``."""
        name = ACTIVATION_NAMES[self.activation]
        return (
            f"{name} {self.depth}×{self.width} "
            f"({self.convention}: {self.hidden_layers} hidden layers)"
        )

    def layer_sizes(self, d: int) -> tuple[int, ...]:
        """Widths ``(d, N, ..., N, 1)`` of input, the :math:`H` hidden layers and output."""
        check_int("d", d, 1)
        return (d,) + (self.width,) * self.hidden_layers + (1,)

    def n_parameters(self, d: int) -> int:
        r"""Number :math:`P` of weights and biases for input dimension ``d``.

        :math:`P = (d + 1) N + (H - 1)(N + 1) N + N + 1`.
        """
        sizes = self.layer_sizes(d)
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def layer_views(theta: torch.Tensor, sizes: tuple[int, ...]) -> Layers:
    r"""Views ``(W (T, n_out, n_in), b (T, n_out, 1))`` into flat parameters ``theta (T, P)``.

    The views share ``theta``'s memory (updating ``theta`` in place updates
    them; writing into them writes into ``theta``), so the last dimension of
    ``theta`` must be contiguous.

    Examples
    --------
    >>> theta = torch.arange(7.0)[None]           # d = 1, N = 2: W0 (2, 1), b0, W1 (1, 2), b1
    >>> [(tuple(w.shape), tuple(b.shape)) for w, b in layer_views(theta, (1, 2, 1))]
    [((1, 2, 1), (1, 2, 1)), ((1, 1, 2), (1, 1, 1))]
    >>> layer_views(theta, (1, 2, 1))[1][0].flatten().tolist()   # W1, after W0 and b0
    [4.0, 5.0]
    """
    n_trials = theta.shape[0]
    layers = []
    pos = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weight = theta[:, pos : pos + n_in * n_out].view(n_trials, n_out, n_in)
        pos += n_in * n_out
        bias = theta[:, pos : pos + n_out].view(n_trials, n_out, 1)
        pos += n_out
        layers.append((weight, bias))
    return layers


def hidden(layers: Layers, sigma: Callable, h: torch.Tensor) -> torch.Tensor:
    r"""The hidden layers, :math:`h \leftarrow \sigma(W_k h + b_k)`: ``(T, d, m) -> (T, N, m)``.

    ``layers`` are those of :func:`layer_views` (the output layer, last, is
    not applied); ``sigma`` one of :data:`ACTIVATIONS` or
    :data:`ACTIVATIONS_IN_PLACE`.

    Examples
    --------
    A network :math:`y \mapsto 2\,\mathrm{relu}(y) + 3\,\mathrm{relu}(-y) + 1/2` (d = 1, N = 2, one trial):

    >>> theta = torch.tensor([[1.0, -1.0, 0.0, 0.0, 2.0, 3.0, 0.5]])  # W0, b0, W1, b1
    >>> layers = layer_views(theta, (1, 2, 1))
    >>> h = torch.tensor([[[-1.0, 0.5, 2.0]]])                      # (T, d, m) = (1, 1, 3)
    >>> hidden(layers, ACTIVATIONS["relu"], h).tolist()         # relu(y), relu(-y)
    [[[0.0, 0.5, 2.0], [1.0, 0.0, 0.0]]]
    """
    for weight, bias in layers[:-1]:
        h = sigma(torch.baddbmm(bias, weight, h))
    return h


def output_layer(layer: tuple[torch.Tensor, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
    """Linear output ``(T, N, m) -> (T, m)``: ``w h + b`` for ``w (T, 1, N)``, ``b (T, 1, 1)``.

    Written as a broadcast product and a sum rather than a ``bmm`` with one
    output row: the backward of the latter is a rank-one ``bmm`` (inner
    dimension 1), which is several times slower on the CPU.

    Examples
    --------
    >>> w, b = torch.tensor([[[2.0, 3.0]]]), torch.tensor([[[0.5]]])     # T = 1, N = 2
    >>> output_layer((w, b), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])).tolist()   # m = 2
    [[2.5, 3.5]]
    """
    weight, bias = layer
    return (weight.transpose(1, 2) * h).sum(dim=1) + bias[:, 0]


def output_bmm(layer: tuple[torch.Tensor, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
    """Linear output ``(T, N, m) -> (T, m)`` as one ``baddbmm`` (rounds unlike :func:`output_layer`).

    >>> w, b = torch.tensor([[[2.0, 3.0]]]), torch.tensor([[[0.5]]])
    >>> output_bmm((w, b), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])).tolist()
    [[2.5, 3.5]]
    """
    weight, bias = layer
    return torch.baddbmm(bias, weight, h)[:, 0, :]


def forward(layers: Layers, sigma: Callable, h: torch.Tensor) -> torch.Tensor:
    """Batched network on feature-major inputs: ``h (T, d, m) -> (T, m)`` (:func:`output_layer`).

    Examples
    --------
    A network :math:`y \\mapsto 2\\,\\mathrm{relu}(y) + 3\\,\\mathrm{relu}(-y) + 1/2` (d = 1, N = 2, one trial):

    >>> theta = torch.tensor([[1.0, -1.0, 0.0, 0.0, 2.0, 3.0, 0.5]])  # W0, b0, W1, b1
    >>> layers = layer_views(theta, (1, 2, 1))
    >>> h = torch.tensor([[[-1.0, 0.5, 2.0]]])                      # (T, d, m) = (1, 1, 3)
    >>> forward(layers, ACTIVATIONS["relu"], h).tolist()
    [[3.5, 1.5, 4.5]]
    """
    return output_layer(layers[-1], hidden(layers, sigma, h))


def forward_shared(layers: Layers, sigma: Callable, x: torch.Tensor) -> torch.Tensor:
    """Batched network on points shared by all trials: ``x (n, d) -> (T, n)``.

    The first layer is one ``matmul`` of every trial's weights with the
    points; then as :func:`forward`.

    Examples
    --------
    The network of :func:`forward`'s example, at points of shape (n, d):

    >>> theta = torch.tensor([[1.0, -1.0, 0.0, 0.0, 2.0, 3.0, 0.5]])
    >>> x = torch.tensor([[-1.0], [0.5], [2.0]])
    >>> forward_shared(layer_views(theta, (1, 2, 1)), ACTIVATIONS["relu"], x).tolist()
    [[3.5, 1.5, 4.5]]
    """
    weight, bias = layers[0]
    h = sigma(torch.matmul(weight, x.T) + bias)  # (T, N, n)
    return forward(layers[1:], sigma, h)


def predict(parameters: np.ndarray, architecture: Architecture, d: int, points: np.ndarray, *,
            dtype: torch.dtype, device: str, chunk_size: int | None = None,
            kernel: Kernel = "shared") -> np.ndarray:
    r"""Every trial's network at ``points``: :math:`\Phi_{\theta_t}(y_j)`, shape ``(T, n)``.

    Parameters
    ----------
    parameters : array_like, shape (T, P)
        Flat parameters of the trials.
    architecture : Architecture
    d : int
        Input dimension.
    points : array_like, shape (n, d)
    dtype : torch.dtype
        Precision of the evaluation.
    device : str
        Torch device; the CPU if it is CUDA and CUDA is no longer available.
    chunk_size : int, optional
        Points per block. Default: ``"shared"``, a block whose activation
        tensor ``(T, N, chunk)`` is about 4 MiB (memory stays small for
        millions of points); ``"batched"``, 8192.
    kernel : {"shared", "batched"}
        ``"shared"`` (:mod:`dnngap.dnn`): :func:`forward_shared`, in-place
        activations. ``"batched"`` (:mod:`dnngap.recipes`): the points
        expanded to every trial, :func:`hidden` and :func:`output_bmm`. They
        differ by rounding.

    Returns
    -------
    ndarray, shape (T, n), float64
        Computed in ``dtype``, then converted.

    Examples
    --------
    >>> arch = Architecture(1, 3, "tanh")
    >>> theta = np.zeros((2, arch.n_parameters(2)))
    >>> theta[1, -1] = 0.5                              # trial 1: output bias 0.5
    >>> predict(theta, arch, 2, np.zeros((4, 2)), dtype=torch.float64, device="cpu").tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]]
    """
    pts = np.asarray(points)
    if pts.ndim != 2 or pts.shape[1] != d:
        raise ValueError(f"points must have shape (n, {d}); got {pts.shape}")
    kernel = check_choice("kernel", kernel, get_args(Kernel))
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        dev = torch.device("cpu")
    theta = torch.as_tensor(np.ascontiguousarray(parameters), dtype=dtype, device=dev)
    layers = layer_views(theta, architecture.layer_sizes(d))
    chunk_size = _chunk_size(chunk_size, kernel, theta, architecture.width)
    out = np.empty((theta.shape[0], pts.shape[0]), dtype=np.float64)
    with torch.inference_mode():
        for start in range(0, pts.shape[0], chunk_size):
            block = pts[start : start + chunk_size]
            values = _evaluate(layers, architecture.activation, block, kernel, dtype, dev)
            out[:, start : start + block.shape[0]] = values.to(torch.float64).cpu().numpy()
    return out


def _chunk_size(chunk_size: int | None, kernel: str, theta: torch.Tensor, width: int) -> int:
    """The points per block of :func:`predict` (checked, or its kernel's default)."""
    if chunk_size is not None:
        return check_int("chunk_size", chunk_size, 1)
    if kernel == "batched":
        return _BATCHED_CHUNK
    per_point = theta.shape[0] * max(width, 1) * theta.element_size()
    return max(1, _PREDICT_BYTES // per_point)


def _evaluate(layers: Layers, activation: str, block: np.ndarray, kernel: str, dtype: torch.dtype,
              dev: torch.device) -> torch.Tensor:
    """The networks at the points ``block (n, d)`` by ``kernel``: ``(T, n)``."""
    if kernel == "shared":
        x = torch.as_tensor(block, dtype=dtype, device=dev)
        return forward_shared(layers, ACTIVATIONS_IN_PLACE[activation], x)
    x = torch.as_tensor(block.T, dtype=dtype, device=dev)
    x = x.expand(layers[0][0].shape[0], *x.shape)
    return output_bmm(layers[-1], hidden(layers, ACTIVATIONS[activation], x))


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device of ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``, ``"cuda"``...

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device; got {device!r}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return dev


def device_description(dev: torch.device) -> str:
    """Where computations run, e.g. ``"cpu (2 threads)"`` or ``"cuda:0 (NVIDIA H100 ...)"``.

    >>> device_description(torch.device("cpu"))  # doctest: +ELLIPSIS
    'cpu (... threads)'
    """
    if dev.type == "cuda":
        return f"{dev} ({torch.cuda.get_device_name(dev)})"
    if dev.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(dev)
