r"""Sparse feed-forward networks stored as their affine layers.

The networks of :mod:`dnngap.existence` are built, not trained, and very
sparse, so they are stored explicitly: a network is a sequence of affine
layers :math:`x \mapsto Wx + b`, each followed by the activation except the
last, with :math:`W` a ``scipy.sparse.csr_array`` (float64). Points are the
rows of an ``(n, d)`` array.

Sizes are read off the stored matrices: **depth** = number of affine layers
(= hidden layers + 1), **width** = largest hidden layer, **n_parameters** =
number of non-zero entries of all :math:`W` and :math:`b` (the count used
in approximation theory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

__all__ = ["FeedForwardNetwork", "Layer"]

#: Bytes of one layer's activations that :func:`points_per_pass` aims at (4 MiB).
ACTIVATION_BYTES = 2**22


def points_per_pass(width: int) -> int:
    r"""How many points to evaluate at once on a CPU, for a sparse network of ``width``.

    The power of two nearest to ``ACTIVATION_BYTES / (8 width)`` (float64
    activations of one layer of about 4 MiB), within [16, 4096]. The layers
    of the existence network are very sparse, so on a CPU the time goes to
    moving activations, not to arithmetic: with few enough points a layer's
    input and output stay in cache. In d = 8 this evaluates the networks
    2-7 times faster than 4096 or 8192 points at once, with the same values
    (``benchmarks/sparse_chunks.py``; the book's performance notes).

    >>> points_per_pass(1472), points_per_pass(8472), points_per_pass(3)
    (256, 64, 4096)
    """
    ideal = ACTIVATION_BYTES / (8 * max(int(width), 1))
    return int(min(max(2 ** round(math.log2(ideal)), 16), 4096))


# Points evaluated at once by FeedForwardNetwork.__call__: None, points_per_pass(width).
_CHUNK: int | None = None


@dataclass(frozen=True, eq=False)
class Layer:
    r"""One affine layer :math:`x \mapsto \mathrm{act}(Wx + b)`.

    Attributes
    ----------
    W : scipy.sparse.csr_array, shape (n_out, n_in), float64
    b : numpy.ndarray, shape (n_out,), float64
    activation : {"relu", "repu", "identity"}
    stage : str
        The construction step the layer belongs to (e.g. ``"Chebyshev stage 2"``).
    name : str
        The layer's role in its step (``"|x±y|"``, ``"sawtooth level 3"``,
        ``"clip"``, ``"products"``, ``"output"``).
    purpose : str
        One sentence saying what the layer's neurons compute.

    Examples
    --------
    ReLU(x) and ReLU(-x) on two points (the columns of ``h``):

    >>> hidden = Layer(sp.csr_array(np.array([[1.0], [-1.0]])), np.zeros(2), "relu", "demo", "abs",
    ...                "relu(x), relu(-x)")
    >>> output = Layer(sp.csr_array(np.array([[1.0, 1.0]])), np.zeros(1), "identity", "demo", "output", "|x|")
    >>> hidden.n_parameters, hidden(np.array([[-2.0, 3.0]])).tolist()
    (2, [[0.0, 3.0], [2.0, 0.0]])
    """

    W: sp.csr_array
    b: np.ndarray
    activation: Literal["relu", "repu", "identity"]
    stage: str
    name: str
    purpose: str

    @property
    def n_parameters(self) -> int:
        r"""Non-zero entries of ``W`` and ``b``."""
        return int(self.W.count_nonzero()) + int(np.count_nonzero(self.b))

    def __call__(self, h: np.ndarray) -> np.ndarray:
        r"""Apply the layer to ``h`` of shape (n_in, n) (points are columns)."""
        z = self.W @ h + self.b[:, None]
        if self.activation == "relu":
            return np.maximum(z, 0.0)
        if self.activation == "repu":
            return np.square(np.maximum(z, 0.0))
        return z


@dataclass(frozen=True, eq=False)
class FeedForwardNetwork:
    r"""A fully connected feed-forward network stored as its affine layers.

    All hidden layers share one activation (ReLU, or RePU
    :math:`\max(t,0)^2`); the last layer is affine. Sizes are read off the
    stored matrices.

    Attributes
    ----------
    layers : tuple of Layer
        ``layers[:-1]`` hidden, ``layers[-1]`` the affine output layer.
    input_dim : int

    Examples
    --------
    :math:`|x| = \mathrm{ReLU}(x) + \mathrm{ReLU}(-x)` as a network of two layers:

    >>> hidden = Layer(sp.csr_array(np.array([[1.0], [-1.0]])), np.zeros(2), "relu", "demo", "abs",
    ...                "relu(x), relu(-x)")
    >>> output = Layer(sp.csr_array(np.array([[1.0, 1.0]])), np.zeros(1), "identity", "demo", "output", "|x|")
    >>> net = FeedForwardNetwork((hidden, output), input_dim=1)
    >>> net
    FeedForwardNetwork(input_dim=1, output_dim=1, activation='relu', depth=2, width=2, n_parameters=4)
    >>> net(np.array([[-2.0], [0.5]]))[:, 0].tolist(), net.n_parameters_dense
    ([2.0, 0.5], 7)
    """

    layers: tuple[Layer, ...]
    input_dim: int

    def __repr__(self) -> str:
        act = self.layers[0].activation if len(self.layers) > 1 else "none"
        return (f"FeedForwardNetwork(input_dim={self.input_dim}, output_dim={self.output_dim}, "
                f"activation={act!r}, depth={self.depth}, width={self.width}, "
                f"n_parameters={self.n_parameters})")

    @property
    def depth(self) -> int:
        r"""Number of affine layers (hidden layers + 1)."""
        return len(self.layers)

    @property
    def n_hidden_layers(self) -> int:
        return len(self.layers) - 1

    @property
    def widths(self) -> tuple[int, ...]:
        r"""Neurons of each hidden layer."""
        return tuple(layer.W.shape[0] for layer in self.layers[:-1])

    @property
    def width(self) -> int:
        r"""Largest hidden layer (0 for a purely affine network)."""
        return max(self.widths, default=0)

    @property
    def output_dim(self) -> int:
        return self.layers[-1].W.shape[0]

    @property
    def n_parameters(self) -> int:
        r"""Non-zero weights and biases of all layers."""
        return sum(layer.n_parameters for layer in self.layers)

    @property
    def n_parameters_dense(self) -> int:
        r"""Weights and biases of a dense network with the same layer sizes."""
        return sum(layer.W.shape[0] * (layer.W.shape[1] + 1) for layer in self.layers)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        r"""Evaluate the network at the rows of ``x`` (n, input_dim) -> (n, output_dim).

        A genuine layer-by-layer evaluation of the stored matrices (float64),
        in blocks of points.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"x must have shape (n, {self.input_dim}); got shape {x.shape}")
        out = np.empty((x.shape[0], self.output_dim))
        chunk = points_per_pass(self.width) if _CHUNK is None else _CHUNK
        for start in range(0, x.shape[0], chunk):
            h = np.ascontiguousarray(x[start : start + chunk].T)
            for layer in self.layers:
                h = layer(h)
            out[start : start + chunk] = h.T
        return out

    def dense_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""The layers as dense ``(W, b)`` numpy pairs (memory: n_parameters_dense * 8 bytes)."""
        return [(layer.W.toarray(), layer.b.copy()) for layer in self.layers]

    def torch_module(self, dtype=None):
        r"""The same network as a ``torch.nn.Module`` (sparse CSR weights, CPU only).

        ``module(x)`` maps a tensor of shape (n, input_dim) to (n, output_dim);
        ``dtype`` defaults to ``torch.float64``.
        """
        import torch

        dtype = dtype or torch.float64
        layers = self.layers

        class TorchNetwork(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.activations = [layer.activation for layer in layers]
                self.weights = [
                    torch.sparse_csr_tensor(
                        torch.as_tensor(layer.W.indptr, dtype=torch.int64),
                        torch.as_tensor(layer.W.indices, dtype=torch.int64),
                        torch.as_tensor(layer.W.data, dtype=dtype),
                        size=layer.W.shape,
                    )
                    for layer in layers
                ]
                self.biases = [torch.as_tensor(layer.b, dtype=dtype) for layer in layers]

            def forward(self, x):
                h = x.T
                for W, b, act in zip(self.weights, self.biases, self.activations):
                    h = W @ h + b[:, None]
                    if act == "relu":
                        h = torch.relu(h)
                    elif act == "repu":
                        h = torch.relu(h) ** 2
                return h.T

        return TorchNetwork()
