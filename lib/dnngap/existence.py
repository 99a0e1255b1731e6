r"""The practical existence theorem's network: ReLU emulation of Legendre features.

Adcock & Dexter prove that *some* deep network, trained in *some* way, does
as well as compressed sensing (CS) on smooth functions (the book's page
*The paper, and what is known of its experiments*, ``book/paper.md``,
section "The practical existence theorem", reconstructed). The network is
built, not trained: its hidden layers compute, to accuracy :math:`\delta`,
the vector of orthonormal tensor Legendre polynomials :math:`(\Psi_\nu(y))_{\nu\in\Lambda}`
(:mod:`dnngap.polynomials`), and only the last layer :math:`z \in \mathbb{R}^N`
is trained, with the weighted square-root-LASSO loss of :mod:`dnngap.cs`.
This module builds that network explicitly, as a list of weight matrices and
biases, and trains its last layer.

Construction (ReLU, depth parameter :math:`s`)
-----------------------------------------------
1. **Squares** (Yarotsky). With the hat :math:`g(x) = 2\sigma(x) -
   4\sigma(x-\tfrac12) + 2\sigma(x-1)` (:math:`\sigma` = ReLU) and its
   :math:`j`-fold composition :math:`g_j`, the function
   :math:`f_s(x) = x - \sum_{j=1}^{s} g_j(x)/4^j` is the piecewise-linear
   interpolant of :math:`x^2` on the grid :math:`2^{-s}\mathbb{Z}\cap[0,1]`,
   so :math:`0 \le f_s(x) - x^2 \le \varepsilon_s := 4^{-(s+1)}` on
   :math:`[0,1]`. It costs one layer per level (3 hat neurons and one neuron
   carrying the non-negative partial sum).
2. **Products**. For :math:`x, y \in [-1,1]`,
   :math:`xy = a^2 - b^2` with :math:`a = |x+y|/2,\ b = |x-y|/2 \in [0,1]`
   (one layer of four neurons for the absolute values), so
   :math:`\widetilde{xy} = f_s(a) - f_s(b)` has
   :math:`|\widetilde{xy} - xy| \le \varepsilon_s` (both errors lie in
   :math:`[0,\varepsilon_s]`), is exactly 0 when :math:`x` or :math:`y` is,
   and costs :math:`s+1` layers of width 8.
3. **Clipping** :math:`c(t) = \sigma(t+1) - \sigma(t-1) - 1` (one layer)
   projects onto :math:`[-1,1]`; it never moves a value away from a true
   value in :math:`[-1,1]`, and keeps every input of a product in range.
4. **Univariate Legendre polynomials** :math:`P_j` (classical,
   :math:`|P_j|\le1`), two ways (``legendre_method``):

   ``"chebyshev"`` (default)
       Chebyshev polynomials by doubling,
       :math:`T_{2^r+i} = 2T_{2^r}T_i - T_{2^r-i}` for
       :math:`1 \le i \le 2^r`, each stage one emulated product and a clip;
       then :math:`P_j = \sum_i c_{ji} T_i` with the Chebyshev coefficients
       :math:`c_{ji} \ge 0`, :math:`\sum_i c_{ji} = P_j(1) = 1`
       (from :math:`P_n(\cos\theta) = \sum_k a_k a_{n-k}\cos((n-2k)\theta)`,
       :math:`a_k = \binom{2k}{k}4^{-k}`), a convex combination computed by
       the next affine map. :math:`\lceil\log_2 n\rceil` stages; the error
       bound grows like :math:`n^{\log_2 5}`.
   ``"recurrence"``
       The three-term recurrence
       :math:`P_{k+1} = ((2k+1)\,y P_k - k P_{k-1})/(k+1)`, one emulated
       product and a clip per degree: :math:`n-1` stages, and a worst-case
       error bound that grows like :math:`(1+\sqrt2)^n`.
5. **Tensor products**. :math:`\Psi_\nu = u_\nu \prod_{k:\nu_k>0}
   P_{\nu_k}(y_k)`, :math:`u_\nu = \prod_k\sqrt{2\nu_k+1}`: the factors
   (sorted by coordinate) are multiplied pairwise in a binary tree of
   emulated products, :math:`\lceil\log_2 \max_\nu|\operatorname{supp}\nu|
   \rceil` levels; equal sub-products of different :math:`\nu` are computed
   once. The output layer multiplies by :math:`u_\nu`.
6. Every value needed later is carried through each layer as the pair
   :math:`\sigma(v) - \sigma(-v)` (exact), as constructions do.

A-priori error bound. With :math:`\varepsilon_s = 4^{-(s+1)}` the error of a
product of clipped values with errors :math:`e_x, e_y` is at most
:math:`e_x + e_y + \varepsilon_s`. Propagating this through the stages gives
:math:`\sup_{y\in[-1,1]^d}|\widetilde\Psi_\nu(y) - \Psi_\nu(y)| \le
C_\nu\,\varepsilon_s` with constants :math:`C_\nu` that depend on
:math:`\Lambda` only (:attr:`EmulatedFeatures.feature_error_bounds`);
:attr:`EmulatedFeatures.delta_bound` is their maximum, exact arithmetic
assumed (float64 rounding adds roughly :math:`10^{-15} C_\nu`).

RePU variant (``activation="repu"``, :math:`\sigma(t) = \max(t,0)^2`)
    :math:`x^2 = \sigma(x) + \sigma(-x)` exactly, so a product is one layer
    of four neurons and the network computes the features exactly (up to
    rounding); values are carried as
    :math:`v = (\sigma(v+2) - \sigma(2-v))/8` (exact for :math:`|v|\le2`).

Conventions
-----------
* Domain :math:`[-1,1]^d`; points are rows of an ``(n, d)`` array; the bound
  holds only there. Points within :data:`dnngap.functions.DOMAIN_TOL` of the
  cube are clipped onto it, points further out are refused.
* Feature ``j`` belongs to ``Lambda[j]`` (the order of :mod:`dnngap.polynomials`).
* A network is a sequence of affine layers :math:`x \mapsto Wx + b`, each
  followed by the activation except the last. **depth** = number of affine
  layers (= hidden layers + 1), **width** = largest hidden layer,
  **n_parameters** = number of non-zero entries of all :math:`W` and
  :math:`b` (the count used in approximation theory), all read off the
  stored matrices. Weights are stored as ``scipy.sparse.csr_array``
  (float64): the construction is very sparse.

Training the last layer
-----------------------
The full network is :math:`\Phi_z(y) = \sum_\nu z_\nu \widetilde\Psi_\nu(y)`
(the output layer composed with :math:`z`). :func:`fit_existence_network`
chooses :math:`z` by minimising the loss of the theorem,

.. math::
    \sqrt{\tfrac1m \textstyle\sum_i |f(y_i) - \Phi_z(y_i)|^2}
    + \lambda \sum_\nu u_\nu |z_\nu|
    = \|Az - b\|_2 + \lambda\|z\|_{1,u},\qquad
    A = \widetilde\Psi(y)/\sqrt m,\ b = f(y)/\sqrt m,

either with the CS solver (``training="cs"``) or by first-order training of
the last layer alone (``training="gradient"``, see :func:`train_last_layer`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import scipy.sparse as sp

from dnngap import cs, polynomials
from dnngap._validation import check_choice, check_positive
from dnngap._validation import check_int as _check_int
from dnngap.functions import DOMAIN_TOL

#: Version of the numbers this module produces. Bump it by hand when a change
#: alters the existence network's results (emulation, training of the last
#: layer...); refactoring that leaves them unchanged keeps it. The results
#: store's key includes it, and :data:`dnngap.cs.NUMERICS_VERSION` (its
#: default last-layer training is the CS solver).
NUMERICS_VERSION: int = 1

__all__ = [
    "Activation",
    "LegendreMethod",
    "Training",
    "Layer",
    "FeedForwardNetwork",
    "EmulatedFeatures",
    "LastLayerResult",
    "ExistenceFit",
    "LayerGroup",
    "EmulationErrorTable",
    "square_error_bound",
    "square_network",
    "product_network",
    "emulate_features",
    "feature_error_constants",
    "required_s",
    "depth_formula",
    "train_last_layer",
    "fit_existence_network",
    "emulation_error_table",
    "layer_table",
]

Activation = Literal["relu", "repu"]
LegendreMethod = Literal["chebyshev", "recurrence"]
Training = Literal["cs", "gradient"]
_ACTIVATIONS: tuple[str, ...] = get_args(Activation)
_LEGENDRE_METHODS: tuple[str, ...] = get_args(LegendreMethod)
_TRAININGS: tuple[str, ...] = get_args(Training)

# Points evaluated at once in a forward pass: bounds the temporaries to about
# _CHUNK * width * 8 bytes (about 30 MiB for width 1000).
_CHUNK = 4096


# ============================================================ validation
def _check_s(s: object, activation: str) -> int | None:
    r"""``s`` is required (int >= 0) for ReLU and must be None for RePU."""
    if activation == "repu":
        if s is not None:
            raise ValueError(
                "s must be None for activation='repu' (RePU squares exactly; "
                f"there is no depth parameter); got {s!r}"
            )
        return None
    if s is None:
        raise ValueError("s (the number of sawtooth levels) is required for activation='relu'")
    return _check_int("s", s, 0)


def _check_Lambda(Lambda: object) -> np.ndarray:
    arr = np.asarray(Lambda)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"Lambda must have shape (N, d) with N, d >= 1; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"Lambda must be an integer array; got dtype {arr.dtype}")
    if arr.min() < 0:
        raise ValueError("Lambda must contain non-negative multi-indices")
    if len({tuple(r) for r in arr.tolist()}) != arr.shape[0]:
        raise ValueError("Lambda must not contain repeated multi-indices")
    return arr.astype(np.int64, copy=False)


def _check_points(points: object, d: int, name: str = "points") -> np.ndarray:
    y = np.asarray(points, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != d:
        raise ValueError(f"{name} must have shape (n, {d}); got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} must be finite")
    if y.size and np.abs(y).max() > 1.0 + DOMAIN_TOL:
        raise ValueError(
            f"{name} must lie in [-1, 1]^{d} (the emulation bound holds only there); "
            f"got max |y| = {np.abs(y).max():.6g}"
        )
    return np.clip(y, -1.0, 1.0)  # points within DOMAIN_TOL outside: onto the cube


# ============================================================ networks
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
        for start in range(0, x.shape[0], _CHUNK):
            h = np.ascontiguousarray(x[start : start + _CHUNK].T)
            for layer in self.layers:
                h = layer(h)
            out[start : start + _CHUNK] = h.T
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


# ============================================================ builder
class _Aff:
    r"""An affine expression sum_i terms[i] * unit_i + const over the current layer's units."""

    __slots__ = ("terms", "const")

    def __init__(self, terms: dict[int, float] | None = None, const: float = 0.0):
        self.terms = terms or {}
        self.const = float(const)

    def __add__(self, other: _Aff | float) -> _Aff:
        if not isinstance(other, _Aff):
            return _Aff(dict(self.terms), self.const + other)
        terms = dict(self.terms)
        for i, c in other.terms.items():
            terms[i] = terms.get(i, 0.0) + c
        return _Aff(terms, self.const + other.const)

    __radd__ = __add__

    def __mul__(self, c: float) -> _Aff:
        return _Aff({i: c * v for i, v in self.terms.items()}, c * self.const)

    __rmul__ = __mul__

    def __neg__(self) -> _Aff:
        return self * -1.0

    def __sub__(self, other: _Aff | float) -> _Aff:
        return self + (-other)

    def __rsub__(self, other: float) -> _Aff:
        return (-self) + other


def _unit(i: int) -> _Aff:
    return _Aff({i: 1.0})


class _Builder:
    r"""Compiles lock-step layers of neurons plus carried values into sparse matrices."""

    def __init__(self, d: int, activation: str):
        self.d = d
        self.activation = activation
        self.n_units = d
        self.layers: list[Layer] = []

    def inputs(self) -> list[_Aff]:
        return [_unit(k) for k in range(self.d)]

    def layer(
        self, neurons: list[_Aff], carried: dict, *, stage: str, name: str, purpose: str
    ) -> tuple[list[_Aff], dict]:
        r"""Add a hidden layer computing act(neuron) for each expression, carrying ``carried``.

        Returns handles of the new neurons and of the carried values, as
        affine expressions over the new layer's units. Constants are carried
        for free (in the biases of the next layer).
        """
        pre = list(neurons)
        carry_plan = []
        for key, v in carried.items():
            if not v.terms:
                carry_plan.append((key, None, v.const))
                continue
            if self.activation == "relu":  # v = relu(v) - relu(-v)
                carry_plan.append((key, len(pre), None))
                pre += [v, -v]
            else:  # v = (repu(v + 2) - repu(2 - v)) / 8 for |v| <= 2
                carry_plan.append((key, len(pre), None))
                pre += [v + 2.0, 2.0 - v]
        self._append(pre, self.activation, stage, name, purpose)
        outs = [_unit(i) for i in range(len(neurons))]
        new_carried = {}
        for key, i, const in carry_plan:
            if i is None:
                new_carried[key] = _Aff({}, const)
            elif self.activation == "relu":
                new_carried[key] = _Aff({i: 1.0, i + 1: -1.0})
            else:
                new_carried[key] = _Aff({i: 0.125, i + 1: -0.125})
        return outs, new_carried

    def output(self, outputs: list[_Aff], *, purpose: str) -> FeedForwardNetwork:
        self._append(outputs, "identity", "output", "output", purpose)
        return FeedForwardNetwork(tuple(self.layers), self.d)

    def _append(
        self, pre: list[_Aff], activation: str, stage: str, name: str, purpose: str
    ) -> None:
        rows, cols, vals = [], [], []
        b = np.empty(len(pre))
        for r, e in enumerate(pre):
            for c, v in e.terms.items():
                if v != 0.0:
                    rows.append(r)
                    cols.append(c)
                    vals.append(v)
            b[r] = e.const
        W = sp.csr_array((vals, (rows, cols)), shape=(len(pre), self.n_units), dtype=np.float64)
        W.sum_duplicates()
        self.layers.append(Layer(W, b, activation, stage, name, purpose))
        self.n_units = len(pre)


def _products(
    B: _Builder, pairs: list[tuple[_Aff, _Aff]], carried: dict, s: int | None, stage: str
) -> tuple[list[_Aff], dict]:
    r"""Emulated products x*y of values in [-1, 1] (ReLU: s + 1 layers; RePU: 1 layer).

    Returns the product expressions over the last layer's units and the
    carried values.
    """
    if B.activation == "repu":
        neurons = []
        for x, y in pairs:  # 4xy = (x+y)^2 - (x-y)^2, each square = repu(t) + repu(-t)
            neurons += [x + y, -(x + y), x - y, y - x]
        u, carried = B.layer(
            neurons, carried, stage=stage, name="products",
            purpose=f"{len(pairs)} products: RePU squares of ±(x+y), ±(x-y); "
            "xy = ((x+y)^2 - (x-y)^2)/4 exactly",
        )
        return [(u[4 * t] + u[4 * t + 1] - u[4 * t + 2] - u[4 * t + 3]) * 0.25
                for t in range(len(pairs))], carried
    neurons = []
    for x, y in pairs:
        neurons += [x + y, -(x + y), x - y, y - x]
    u, carried = B.layer(
        neurons, carried, stage=stage, name="|x±y|",
        purpose=f"{len(pairs)} products: ReLU(±(x+y)), ReLU(±(x-y)), "
        "so a = |x+y|/2, b = |x-y|/2 in [0, 1]",
    )
    # h = current hat iterate g_j(a), acc = partial sum f_j(a) >= 0; a and b interleaved
    h, acc = [], []
    for t in range(len(pairs)):
        a = (u[4 * t] + u[4 * t + 1]) * 0.5
        b = (u[4 * t + 2] + u[4 * t + 3]) * 0.5
        h += [a, b]
        acc += [a, b]
    for j in range(1, s + 1):
        neurons = []
        for hv, av in zip(h, acc):
            neurons += [hv, hv - 0.5, hv - 1.0, av]
        u, carried = B.layer(
            neurons, carried, stage=stage, name=f"sawtooth level {j}",
            purpose=f"for a and b: the hat of g_{j - 1} (3 neurons) and the partial "
            f"sum f_{j - 1} >= 0 (1 neuron)",
        )
        h, acc = [], []
        for t in range(len(neurons) // 4):
            g = u[4 * t] * 2.0 - u[4 * t + 1] * 4.0 + u[4 * t + 2] * 2.0
            h.append(g)
            acc.append(u[4 * t + 3] - g * (1.0 / 4.0**j))
    return [acc[2 * t] - acc[2 * t + 1] for t in range(len(pairs))], carried


def _clip(B: _Builder, values: list[_Aff], carried: dict, stage: str) -> tuple[list[_Aff], dict]:
    r"""Clip to [-1, 1]: c(t) = relu(t + 1) - relu(t - 1) - 1 (ReLU only; RePU is exact)."""
    if B.activation == "repu":
        return values, carried
    neurons = []
    for v in values:
        neurons += [v + 1.0, v - 1.0]
    u, carried = B.layer(
        neurons, carried, stage=stage, name="clip",
        purpose=f"{len(values)} values clipped to [-1, 1]: relu(t+1) - relu(t-1) - 1",
    )
    return [u[2 * i] - u[2 * i + 1] - 1.0 for i in range(len(values))], carried


# ============================================================ plan and bounds
def _legendre_chebyshev_coefficients(n: int) -> np.ndarray:
    r"""C (n+1, n+1) with P_j = sum_i C[j, i] T_i; entries >= 0, rows sum to 1.

    From P_j(cos t) = sum_k a_k a_{j-k} cos((j - 2k) t), a_k = binom(2k, k) / 4^k.
    """
    # exact integers, one correctly rounded division: 4.0**k overflows for k >= 512
    a = np.array([math.comb(2 * k, k) / 4**k for k in range(n + 1)])
    C = np.zeros((n + 1, n + 1))
    for j in range(n + 1):
        for k in range(j + 1):
            C[j, abs(j - 2 * k)] += a[k] * a[j - k]
    return C


def _chebyshev_stages(n: int) -> list[list[tuple[int, int, int]]]:
    r"""Doubling stages: list of (target, 2^r, i) with T_target = 2 T_{2^r} T_i - T_{2^r - i}."""
    stages, p = [], 1
    while p < n:
        stages.append([(p + i, p, i) for i in range(1, min(p, n - p) + 1)])
        p *= 2
    return stages


def _tree_plan(Lambda: np.ndarray):
    r"""Binary product trees of the factors of every nu, with shared sub-products.

    A node is a tuple of leaves ``(k, j)`` (coordinate k, degree j >= 1),
    sorted by coordinate; ``()`` is the constant 1. Returns ``levels`` (a
    list of dicts node -> (left, right), in order) and ``roots`` (the node of
    each nu).
    """
    nodes = [[((k, int(nu[k])),) for k in np.flatnonzero(nu)] for nu in Lambda]
    levels = []
    while any(len(ns) > 1 for ns in nodes):
        pairs: dict = {}
        nxt_all = []
        for ns in nodes:
            nxt = []
            for i in range(0, len(ns) - 1, 2):
                key = ns[i] + ns[i + 1]
                pairs.setdefault(key, (ns[i], ns[i + 1]))
                nxt.append(key)
            if len(ns) % 2:
                nxt.append(ns[-1])
            nxt_all.append(nxt)
        levels.append(pairs)
        nodes = nxt_all
    roots = [ns[0] if ns else () for ns in nodes]
    return levels, roots


def feature_error_constants(
    Lambda: np.ndarray, *, legendre_method: LegendreMethod = "chebyshev"
) -> np.ndarray:
    r"""Constants :math:`C_\nu` of the a-priori bound of the ReLU construction.

    .. math::
        \sup_{y \in [-1,1]^d} |\widetilde\Psi_\nu(y) - \Psi_\nu(y)|
        \le C_\nu\, \varepsilon_s,\qquad \varepsilon_s = 4^{-(s+1)}.

    Computed by propagating "a product of clipped values with errors
    :math:`e_x, e_y` has error :math:`\le e_x + e_y + \varepsilon_s`"
    through the construction (module docstring): Chebyshev doubling
    :math:`e(T_{2^r+i}) \le 2(e(T_{2^r}) + e(T_i) + \varepsilon_s) +
    e(T_{2^r-i})`, convex combinations :math:`e(P_j) \le \sum_i c_{ji}
    e(T_i)`, or the recurrence :math:`e_{k+1} \le ((2k+1)(e_k +
    \varepsilon_s) + k e_{k-1})/(k+1)`; then the product tree and the factor
    :math:`u_\nu`. All bounds are linear in :math:`\varepsilon_s`.

    Parameters
    ----------
    Lambda : array_like of int, shape (N, d)
    legendre_method : {"chebyshev", "recurrence"}

    Returns
    -------
    numpy.ndarray, shape (N,), float64

    Examples
    --------
    >>> C = feature_error_constants(np.array([[0], [1], [2]]))
    >>> C.tolist() == [0.0, 0.0, 3 / 4 * 2 * 5**0.5]  # P_2 = (3 T_2 + 1)/4, e(T_2) <= 2 eps
    True
    """
    Lambda = _check_Lambda(Lambda)
    legendre_method = check_choice("legendre_method", legendre_method, _LEGENDRE_METHODS)
    leaf = _leaf_constants(Lambda.max(axis=0), legendre_method)
    levels, roots = _tree_plan(Lambda)
    const: dict = {(): 0.0}
    for k, row in enumerate(leaf):
        for j, c in enumerate(row):
            const[((k, j),)] = c
    for pairs in levels:
        for key, (left, right) in pairs.items():
            const[key] = const[left] + const[right] + 1.0
    return polynomials.weights(Lambda) * np.array([const[r] for r in roots])


def _leaf_constants(degrees: np.ndarray, legendre_method: str) -> list[np.ndarray]:
    r"""Per coordinate k: array c with e(P_j(y_k)) <= c[j] eps for j = 0..n_k."""
    out = []
    for n in degrees:
        n = int(n)
        if legendre_method == "chebyshev":
            eT = np.zeros(n + 1)
            for stage in _chebyshev_stages(n):
                new = {t: 2.0 * (eT[p] + eT[i] + 1.0) + eT[p - i] for t, p, i in stage}
                for t, v in new.items():
                    eT[t] = v
            out.append(_legendre_chebyshev_coefficients(n) @ eT)
        else:
            e = np.zeros(n + 1)
            for k in range(1, n):
                e[k + 1] = ((2 * k + 1) * (e[k] + 1.0) + k * e[k - 1]) / (k + 1)
            out.append(e)
    return out


def square_error_bound(s: int) -> float:
    r""":math:`\varepsilon_s = 4^{-(s+1)}`: sup error of the sawtooth square on [0, 1].

    Also the bound for the emulated product of two numbers in [-1, 1].

    Examples
    --------
    >>> square_error_bound(0), square_error_bound(3)
    (0.25, 0.00390625)
    """
    return 4.0 ** -(_check_int("s", s, 0) + 1)


def required_s(
    Lambda: np.ndarray, delta: float, *, legendre_method: LegendreMethod = "chebyshev"
) -> int:
    r"""Smallest ``s`` whose a-priori bound :math:`\max_\nu C_\nu 4^{-(s+1)}` is <= ``delta``.

    :math:`s = \max(0, \lceil \log_4(\max_\nu C_\nu/\delta) \rceil - 1)`,
    logarithmic in :math:`1/\delta`.

    Examples
    --------
    >>> required_s(np.array([[0], [1], [2]]), 1e-6)
    10
    """
    check_positive("delta", delta)
    C = float(feature_error_constants(Lambda, legendre_method=legendre_method).max())
    if C == 0.0:
        return 0
    s = max(0, math.ceil(math.log(C / delta, 4)) - 1)
    while s > 0 and C * 4.0 ** -s <= delta:  # guard the rounding of log
        s -= 1
    while C * 4.0 ** -(s + 1) > delta:
        s += 1
    return s


def depth_formula(
    Lambda: np.ndarray,
    s: int | None,
    *,
    activation: Activation = "relu",
    legendre_method: LegendreMethod = "chebyshev",
) -> int:
    r"""Depth (number of affine layers) of :func:`emulate_features`, in closed form.

    With :math:`R_1` univariate stages (:math:`\lceil\log_2 n\rceil` for
    Chebyshev doubling, :math:`n - 1` for the recurrence; :math:`n = \max
    \nu_k`), :math:`R_2 = \lceil\log_2 \max_\nu |\operatorname{supp}
    \nu|\rceil` product-tree levels and :math:`R = R_1 + R_2`:

    * ReLU: :math:`(s+2)R - [R > 0] + 1` (each stage: ``|x±y|``, :math:`s`
      sawtooth levels, clip; no clip after the last stage; output layer);
    * RePU: :math:`R + 1`.

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross
    >>> depth_formula(hyperbolic_cross(2, 8), 10)   # R1 = 3, R2 = 1
    48
    """
    Lambda = _check_Lambda(Lambda)
    activation = check_choice("activation", activation, _ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, _LEGENDRE_METHODS)
    s = _check_s(s, activation)
    n = int(Lambda.max())
    R1 = len(_chebyshev_stages(n)) if legendre_method == "chebyshev" else max(n - 1, 0)
    support = int((Lambda > 0).sum(axis=1).max())
    R2 = math.ceil(math.log2(support)) if support > 1 else 0
    R = R1 + R2
    if activation == "repu":
        return R + 1
    return (s + 2) * R - (R > 0) + 1


# ============================================================ emulated features
@dataclass(frozen=True, eq=False)
class EmulatedFeatures:
    r"""A network whose outputs approximate :math:`(\Psi_\nu(y))_{\nu\in\Lambda}`.

    Build with :func:`emulate_features`. Calling it on points ``y`` of shape
    (n, d) in :math:`[-1,1]^d` returns the (n, N) matrix
    :math:`\widetilde\Psi_\nu(y_i)` (column ``j`` for ``Lambda[j]``),
    computed by a genuine layer-by-layer evaluation of :attr:`network`.

    Attributes
    ----------
    Lambda : numpy.ndarray, shape (N, d)
    s : int or None
        Sawtooth levels per product (ReLU); None for RePU.
    activation : {"relu", "repu"}
    legendre_method : {"chebyshev", "recurrence"}
    network : FeedForwardNetwork
        The layers; depth, width and parameter counts are read off them.
    feature_error_bounds : numpy.ndarray, shape (N,)
        A-priori bounds :math:`C_\nu 4^{-(s+1)}` on
        :math:`\sup_{[-1,1]^d}|\widetilde\Psi_\nu - \Psi_\nu|` in exact
        arithmetic (zeros for RePU, which is exact).
    """

    Lambda: np.ndarray
    s: int | None
    activation: Activation
    legendre_method: LegendreMethod
    network: FeedForwardNetwork
    feature_error_bounds: np.ndarray

    def __repr__(self) -> str:
        return (f"EmulatedFeatures(d={self.d}, N={self.N}, s={self.s}, "
                f"activation={self.activation!r}, legendre_method={self.legendre_method!r}, "
                f"depth={self.depth}, width={self.width}, n_parameters={self.n_parameters}, "
                f"delta_bound={self.delta_bound:.3g})")

    @property
    def d(self) -> int:
        return self.Lambda.shape[1]

    @property
    def N(self) -> int:
        return self.Lambda.shape[0]

    @property
    def delta_bound(self) -> float:
        r""":math:`\delta = \max_\nu` of :attr:`feature_error_bounds`."""
        return float(self.feature_error_bounds.max())

    @property
    def depth(self) -> int:
        return self.network.depth

    @property
    def width(self) -> int:
        return self.network.width

    @property
    def n_parameters(self) -> int:
        return self.network.n_parameters

    def __call__(self, y: np.ndarray) -> np.ndarray:
        return self.network(_check_points(y, self.d, "y"))


def emulate_features(
    Lambda: np.ndarray,
    s: int | None = None,
    *,
    activation: Activation = "relu",
    legendre_method: LegendreMethod = "chebyshev",
) -> EmulatedFeatures:
    r"""Build the network emulating the orthonormal Legendre features on :math:`\Lambda`.

    See the module docstring for the construction and its a-priori bound.

    Parameters
    ----------
    Lambda : array_like of int, shape (N, d)
        Any set of distinct multi-indices (need not be downward closed).
    s : int or None
        Number of sawtooth levels of every emulated square/product
        (ReLU; each product then has error :math:`\le 4^{-(s+1)}`). Must be
        None for ``activation="repu"``.
    activation : {"relu", "repu"}
    legendre_method : {"chebyshev", "recurrence"}
        How the univariate :math:`P_j` are built (ReLU and RePU alike).

    Returns
    -------
    EmulatedFeatures

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross, features
    >>> Lambda = hyperbolic_cross(2, 6)
    >>> net = emulate_features(Lambda, 12)
    >>> net.depth == depth_formula(Lambda, 12), net.delta_bound < 1e-5
    (True, True)
    >>> y = np.array([[0.3, -0.7], [1.0, 0.1]])
    >>> bool(np.all(np.abs(net(y) - features(y, Lambda)) <= net.feature_error_bounds))
    True
    """
    Lambda = _check_Lambda(Lambda)
    activation = check_choice("activation", activation, _ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, _LEGENDRE_METHODS)
    s = _check_s(s, activation)
    d = Lambda.shape[1]
    degrees = Lambda.max(axis=0)
    B = _Builder(d, activation)
    y = B.inputs()

    # ---- univariate stages. Values are keyed (base, k, degree), base "T" for the
    # Chebyshev polynomials of y_k, "P" for the Legendre ones; an item
    # (out, x, y, a, w, c) means out = a * (x * y) + c * w.
    base = "T" if legendre_method == "chebyshev" else "P"
    vals: dict = {}
    for k in range(d):
        vals[(base, k, 0)] = _Aff({}, 1.0)
        if degrees[k] >= 1:
            vals[(base, k, 1)] = y[k]
    stages = []
    if legendre_method == "chebyshev":  # T_t = 2 T_p T_i - T_{p-i}, t = p + i
        plans = [_chebyshev_stages(int(n)) for n in degrees]
        for r in range(max(len(plan) for plan in plans)):
            items = [(("T", k, t), ("T", k, p), ("T", k, i), 2.0, ("T", k, p - i), -1.0)
                     for k in range(d) if r < len(plans[k]) for t, p, i in plans[k][r]]
            first, last = 2**r + 1, min(2 ** (r + 1), int(degrees.max()))
            stages.append((f"Chebyshev stage {r + 1} (T_{first}..T_{last})", items))
    else:  # P_{j+1} = ((2j+1) y P_j - j P_{j-1}) / (j+1)
        for j in range(1, int(degrees.max())):
            items = [(("P", k, j + 1), ("P", k, 1), ("P", k, j), (2 * j + 1) / (j + 1),
                      ("P", k, j - 1), -j / (j + 1))
                     for k in range(d) if degrees[k] >= j + 1]
            stages.append((f"recurrence stage {j} (P_{j + 1})", items))
    levels, roots = _tree_plan(Lambda)
    n_total = len(stages) + len(levels)
    count = 0
    for label, items in stages:
        count += 1
        pairs = [(vals[x], vals[z]) for _, x, z, *_ in items]
        prods, vals = _products(B, pairs, vals, s, label)
        new = [p * a + vals[w] * c for p, (_, _, _, a, w, c) in zip(prods, items)]
        if count < n_total:  # later products need their inputs in [-1, 1]
            new, vals = _clip(B, new, vals, label)
        vals.update((item[0], v) for item, v in zip(items, new))

    # ---- leaves P_j(y_k): convex combinations of the T's (no layer), or the P's
    def leaf(k: int, j: int) -> _Aff:
        if legendre_method == "recurrence":
            return vals[("P", k, j)]
        c = cheb[k][j]
        return sum((vals[("T", k, int(i))] * float(c[i]) for i in np.flatnonzero(c)), _Aff())

    cheb = [_legendre_chebyshev_coefficients(int(n)) for n in degrees]
    leaf_keys = sorted({((k, int(nu[k])),) for nu in Lambda for k in np.flatnonzero(nu)})
    nodes = {key: leaf(*key[0]) for key in leaf_keys}
    nodes[()] = _Aff({}, 1.0)

    # ---- product tree
    for ell, pairs_map in enumerate(levels):
        count += 1
        needed_later = set(roots)
        for later in levels[ell + 1 :]:
            for left, right in later.values():
                needed_later.update((left, right))
        carried = {key: v for key, v in nodes.items() if key in needed_later}
        pairs = [(nodes[left], nodes[right]) for left, right in pairs_map.values()]
        label = f"product tree level {ell + 1}"
        prods, carried = _products(B, pairs, carried, s, label)
        if count < n_total:
            prods, carried = _clip(B, prods, carried, label)
        nodes = dict(carried)
        nodes.update(zip(pairs_map.keys(), prods))
    u = polynomials.weights(Lambda)
    outputs = [nodes[r] * float(w) for r, w in zip(roots, u)]
    net = B.output(outputs, purpose="Psi_nu = u_nu * (product of its Legendre factors)")
    if activation == "repu":
        bounds = np.zeros(Lambda.shape[0])
    else:
        bounds = feature_error_constants(Lambda, legendre_method=legendre_method) * 4.0 ** -(s + 1)
    return EmulatedFeatures(Lambda.copy(), s, activation, legendre_method, net, bounds)


# ============================================================ gadgets alone
def square_network(s: int) -> FeedForwardNetwork:
    r"""The sawtooth square :math:`f_s(|x|)` as a ReLU network on :math:`x \in [-1, 1]`.

    The product gadget applied to :math:`(x, x)`: :math:`a = |x|`, :math:`b = 0`,
    output :math:`f_s(|x|) = |x| - \sum_{j=1}^s g_j(|x|)/4^j`, with
    :math:`0 \le f_s(|x|) - x^2 \le 4^{-(s+1)}`, equality at the midpoints
    of the dyadic intervals of length :math:`2^{-s}`. Depth :math:`s + 2`.

    Examples
    --------
    >>> net = square_network(2)
    >>> net(np.array([[0.5], [0.125], [1.0]]))[:, 0].tolist()  # 0.125 is a midpoint
    [0.25, 0.03125, 1.0]
    >>> 0.03125 - 0.125**2 == square_error_bound(2)
    True
    """
    s = _check_int("s", s, 0)
    B = _Builder(1, "relu")
    (x,) = B.inputs()
    prods, _ = _products(B, [(x, x)], {}, s, "square")
    return B.output(prods, purpose="f_s(|x|)")


def product_network(
    s: int | None = None, *, activation: Activation = "relu"
) -> FeedForwardNetwork:
    r"""The emulated product :math:`\widetilde{xy}` of :math:`(x, y) \in [-1, 1]^2`.

    ReLU: :math:`f_s(|x+y|/2) - f_s(|x-y|/2)`, error :math:`\le 4^{-(s+1)}`,
    depth :math:`s + 2`, width 8 (4 for :math:`s = 0`). RePU (``s=None``): exact,
    depth 2, width 4.
    Input shape (n, 2), output (n, 1).

    Examples
    --------
    >>> product_network(None, activation="repu")(np.array([[0.3, -0.5]]))[:, 0].round(15).tolist()
    [-0.15]
    """
    activation = check_choice("activation", activation, _ACTIVATIONS)
    s = _check_s(s, activation)
    B = _Builder(2, activation)
    x, y = B.inputs()
    prods, _ = _products(B, [(x, y)], {}, s, "product")
    return B.output(prods, purpose="x*y")


# ============================================================ the last layer
@dataclass(frozen=True)
class LastLayerResult:
    r"""Result of :func:`train_last_layer` (leading trial axis as the inputs).

    Attributes
    ----------
    z : numpy.ndarray, shape (T, N) or (N,)
    objective : numpy.ndarray, shape (T,) or ()
        The exact objective :math:`\lambda\|z\|_{1,u} + \|Az - b\|_2`.
    iterations : numpy.ndarray of int, shape (T,) or ()
        Proximal-gradient steps taken, over all smoothing stages.
    converged : numpy.ndarray of bool, shape (T,) or ()
        Whether the objective changed by at most ``tol`` (relative) over the
        last smoothing stage (a stagnation test, not a certificate).
    """

    z: np.ndarray
    objective: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def _objective(A: np.ndarray, b: np.ndarray, z: np.ndarray, weights: np.ndarray, lam: float):
    r = np.einsum("tmn,tn->tm", A, z) - b
    return lam * np.abs(z) @ weights + np.linalg.norm(r, axis=1)


def train_last_layer(
    A: np.ndarray,
    b: np.ndarray,
    weights: np.ndarray,
    lam: float,
    *,
    tol: float = 1e-8,
    mu_stages: int = 12,
    max_iter: int = 5000,
) -> LastLayerResult:
    r"""Train the last layer by accelerated proximal gradient on the smoothed SR-LASSO loss.

    Minimises :math:`\mathcal P(z) = \|Az - b\|_2 + \lambda\|z\|_{1,u}` for
    each trial. The root-mean-square data term is not differentiable where
    the residual vanishes, which is where the minimiser lies when the
    samples can be interpolated (few samples, small :math:`\lambda`), so it
    is replaced by its smoothing :math:`\sqrt{\|Az-b\|^2 + \mu^2}` (within
    :math:`\mu` of it; gradient :math:`A^\top r/\sqrt{\|r\|^2+\mu^2}`,
    Lipschitz constant :math:`\|A\|_2^2/\mu`), and :math:`\mu` is
    decreased by continuation, :math:`\mu_j = 10^{-j}\|b\|_2`,
    :math:`j = 1, 2, \dots`, each stage warm-started from the last.

    A stage runs FISTA with the step :math:`\mu/\|A\|_2^2`, the weighted
    soft threshold :math:`z \mapsto \operatorname{sign}(z)\max(|z| -
    t\lambda u, 0)` as the proximal step of the penalty, and gradient-based
    adaptive restart (O'Donoghue & Candès 2015), until the gradient mapping
    is small, :math:`|x - z^+|/t \le 10^{-9}\lambda u` componentwise, or
    ``max_iter`` steps. All ``mu_stages`` stages are run: stopping when the
    objective stalls would keep the smoothing bias of :math:`z`, which the
    objective, flat at its minimum, does not show.

    This is gradient training of the last layer alone: only products with
    :math:`A` and :math:`A^\top`, i.e. forward and backward passes through
    the fixed hidden layers, with an optimiser independent of the CS
    solver's. On the problems of the tests it reaches the CS solver's
    objective to about :math:`10^{-7}` (relative) or better.

    Parameters
    ----------
    A : array_like, shape (T, m, N) or (m, N)
    b : array_like, shape (T, m) or (m,)
    weights : array_like, shape (N,), positive
    lam : float, > 0
    tol : float
        ``converged`` says whether the last stage changed the objective by at
        most ``tol`` (relative).
    mu_stages : int
        Largest number of continuation stages; the last smoothing error is
        at most :math:`10^{-\text{mu\_stages}}\|b\|_2`.
    max_iter : int
        Largest number of steps per stage.

    Returns
    -------
    LastLayerResult

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) / np.sqrt(3)
    >>> res = train_last_layer(A, A @ np.array([1.0, -2.0]), np.ones(2), 1e-3)
    >>> res.z.round(8).tolist(), bool(res.converged)
    ([1.0, -2.0], True)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim not in (2, 3):
        raise ValueError(f"A must have shape (T, m, N) or (m, N); got shape {A.shape}")
    single = A.ndim == 2
    if single:
        A, b = A[None], b[None]
    T, m, N = A.shape
    if b.shape != (T, m):
        want = (m,) if single else (T, m)
        raise ValueError(f"b must have shape {want}; got shape {b.shape[int(single):]}")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (N,) or np.any(weights <= 0):
        raise ValueError(f"weights must be positive with shape ({N},); got shape {weights.shape}")
    check_positive("lam", lam)
    check_positive("tol", tol)
    mu_stages = _check_int("mu_stages", mu_stages, 1)
    max_iter = _check_int("max_iter", max_iter, 1)

    tiny = np.finfo(float).tiny
    norm_A2 = np.maximum(np.linalg.norm(A, ord=2, axis=(1, 2)) ** 2, tiny)  # (T,)
    norm_b = np.linalg.norm(b, axis=1)
    threshold = 1e-9 * lam * weights  # gradient-mapping tolerance of a stage
    z = np.zeros((T, N))
    objective = _objective(A, b, z, weights, lam)
    iterations = np.zeros(T, dtype=np.int64)
    for j in range(1, mu_stages + 1):
        mu = np.maximum(10.0**-j * norm_b, tiny)
        step = (mu / norm_A2)[:, None]
        x, t = z.copy(), np.ones(T)
        active = np.ones(T, dtype=bool)
        for _ in range(max_iter):
            r = np.einsum("tmn,tn->tm", A, x) - b
            grad = np.einsum("tmn,tm->tn", A, r) / np.sqrt(np.sum(r * r, axis=1) + mu**2)[:, None]
            v = x - step * grad
            z_new = np.sign(v) * np.maximum(np.abs(v) - step * lam * weights, 0.0)
            stationary = np.all(np.abs(x - z_new) <= step * threshold, axis=1)
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            restart = np.sum((z_new - z) * (x - z_new), axis=1) > 0
            t_new[restart] = 1.0
            momentum = np.where(restart, 0.0, (t - 1.0) / t_new)[:, None]
            x_new = z_new + momentum * (z_new - z)
            z = np.where(active[:, None], z_new, z)  # finished trials keep their iterate
            x = np.where(active[:, None], x_new, x)
            t = np.where(active, t_new, t)
            iterations += active
            active &= ~stationary
            if not active.any():
                break
        previous, objective = objective, _objective(A, b, z, weights, lam)
    converged = np.abs(previous - objective) <= tol * objective
    if single:
        return LastLayerResult(z[0], objective[0], iterations[0], converged[0])
    return LastLayerResult(z, objective, iterations, converged)


@dataclass(frozen=True, eq=False)
class ExistenceFit:
    r"""The existence theorem's network with its trained last layer, one per trial.

    :math:`\Phi_{z_t}(y) = \sum_\nu z_{t\nu}\widetilde\Psi_\nu(y)`.

    Attributes
    ----------
    features : EmulatedFeatures
        The hidden layers (shared by all trials).
    z : numpy.ndarray, shape (T, N)
        Last-layer weights of each trial.
    objective : numpy.ndarray, shape (T,)
        :math:`\lambda\|z\|_{1,u} + \|Az - b\|_2` with :math:`A` built from
        the *emulated* features.
    lam : float
    training : {"cs", "gradient"}
    iterations : numpy.ndarray, shape (T,)
    converged : numpy.ndarray of bool, shape (T,)
    """

    features: EmulatedFeatures
    z: np.ndarray
    objective: np.ndarray
    lam: float
    training: Training
    iterations: np.ndarray
    converged: np.ndarray

    def __repr__(self) -> str:
        return (f"ExistenceFit(trials={self.z.shape[0]}, training={self.training!r}, "
                f"lam={self.lam:g}, features={self.features!r})")

    def predict(self, points: np.ndarray) -> np.ndarray:
        r"""Network outputs at ``points`` (n, d) in :math:`[-1,1]^d` -> (T, n)."""
        return self.z @ self.features(points).T

    def network(self, trial: int = 0) -> FeedForwardNetwork:
        r"""Trial ``trial``'s whole network, the last layer composed with the output layer.

        Its output layer is :math:`y \mapsto z^\top(W_L h + b_L)`, a single
        affine map with one output, so ``network(t)(points)[:, 0] ==
        predict(points)[t]`` up to rounding.
        """
        trial = _check_int("trial", trial, 0)
        if trial >= self.z.shape[0]:
            raise ValueError(f"trial must be < {self.z.shape[0]}; got {trial}")
        layers = self.features.network.layers
        last = layers[-1]
        zt = self.z[trial]
        W = sp.csr_array((zt @ last.W)[None, :])
        merged = Layer(W, np.array([zt @ last.b]), "identity", "output", "output",
                       "Phi_z = sum_nu z_nu Psi_nu (trained last layer)")
        return FeedForwardNetwork(layers[:-1] + (merged,), self.features.d)


def fit_existence_network(
    y: np.ndarray,
    f_values: np.ndarray,
    Lambda: np.ndarray,
    *,
    s: int | None,
    lam: float = cs.DEFAULT_LAMBDA,
    training: Training = "cs",
    activation: Activation = "relu",
    legendre_method: LegendreMethod = "chebyshev",
    cs_method: Literal["primal_dual", "cvxpy"] | None = None,
) -> ExistenceFit:
    r"""Build the emulated features and train the last layer on each trial's samples.

    With :math:`\widetilde\Psi` the network of :func:`emulate_features`,
    :math:`A_t = \widetilde\Psi(y_t)/\sqrt m` and :math:`b_t = f(y_t)/\sqrt m`,
    the last layer minimises the loss of the practical existence theorem,
    :math:`\sqrt{\frac1m\sum_i|f(y_i) - \Phi_z(y_i)|^2} + \lambda\sum_\nu
    u_\nu|z_\nu| = \|A_t z - b_t\|_2 + \lambda\|z\|_{1,u}`.

    Parameters
    ----------
    y : array_like, shape (T, m, d)
        Samples of each trial, in :math:`[-1,1]^d`.
    f_values : array_like, shape (T, m)
    Lambda : array_like of int, shape (N, d)
    s : int or None
        Sawtooth levels (ReLU; see :func:`required_s`); None for RePU.
    lam : float
        :math:`\lambda` (default :data:`dnngap.cs.DEFAULT_LAMBDA`).
    training : {"cs", "gradient"}
        ``"cs"``: :func:`dnngap.cs.solve` on :math:`(A_t, b_t)`;
        ``"gradient"``: :func:`train_last_layer` (accelerated proximal
        gradient on the smoothed loss).
    activation, legendre_method
        As in :func:`emulate_features`.
    cs_method : {"primal_dual", "cvxpy"} or None
        Solver of :func:`dnngap.cs.solve` for ``training="cs"`` (None: its
        default); must be None for ``training="gradient"``.

    Returns
    -------
    ExistenceFit
    """
    training = check_choice("training", training, _TRAININGS)
    activation = check_choice("activation", activation, _ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, _LEGENDRE_METHODS)
    s = _check_s(s, activation)
    if cs_method is not None:
        if training != "cs":
            raise ValueError(
                f"cs_method applies to training='cs' only; got cs_method={cs_method!r}"
            )
        cs_method = check_choice("cs_method", cs_method, ("primal_dual", "cvxpy"))
    Lambda = _check_Lambda(Lambda)
    d = Lambda.shape[1]
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 3 or y.shape[2] != d:
        raise ValueError(f"y must have shape (T, m, {d}); got shape {y.shape}")
    T, m, _ = y.shape
    f_values = np.asarray(f_values, dtype=np.float64)
    if f_values.shape != (T, m):
        raise ValueError(f"f_values must have shape {(T, m)}; got shape {f_values.shape}")
    _check_points(y.reshape(-1, d), d, "y")
    check_positive("lam", lam)

    features = emulate_features(Lambda, s, activation=activation, legendre_method=legendre_method)
    A = features(y.reshape(-1, d)).reshape(T, m, -1) / np.sqrt(m)
    b = f_values / np.sqrt(m)
    u = polynomials.weights(Lambda)
    if training == "cs":
        kwargs = {} if cs_method is None else {"method": cs_method}
        res = cs.solve(A, b, u, float(lam), **kwargs)
    else:
        res = train_last_layer(A, b, u, float(lam))
    objective = _objective(A, b, res.z, u, float(lam))
    return ExistenceFit(
        features, np.asarray(res.z, dtype=np.float64), objective, float(lam), training,
        np.asarray(res.iterations), np.asarray(res.converged, dtype=bool),
    )


# ============================================================ tables for the book
@dataclass(frozen=True)
class EmulationErrorTable:
    r"""Measured emulation errors against their a-priori bounds, one entry per ``s``.

    Attributes
    ----------
    s : numpy.ndarray of int, shape (k,)
    square_error, square_bound : numpy.ndarray, shape (k,)
        :math:`\max|f_s(x) - x^2|` over a grid of :math:`[0,1]` containing a
        dyadic midpoint (where the bound :math:`4^{-(s+1)}` is attained).
    product_error, product_bound : numpy.ndarray, shape (k,)
        :math:`\max|\widetilde{xy} - xy|` over a grid of :math:`[-1,1]^2`
        (with dyadic points on the diagonal), bound :math:`4^{-(s+1)}`.
    feature_error, feature_bound : numpy.ndarray, shape (k,)
        :math:`\max_{\nu, i}|\widetilde\Psi_\nu(y_i) - \Psi_\nu(y_i)|`
        over Monte Carlo points and the corners of :math:`[-1,1]^d`, and
        :attr:`EmulatedFeatures.delta_bound`.
    depth, width, n_parameters : numpy.ndarray of int, shape (k,)
        Size of the feature network for each ``s``.
    """

    s: np.ndarray
    square_error: np.ndarray
    square_bound: np.ndarray
    product_error: np.ndarray
    product_bound: np.ndarray
    feature_error: np.ndarray
    feature_bound: np.ndarray
    depth: np.ndarray
    width: np.ndarray
    n_parameters: np.ndarray


def emulation_error_table(
    s_values,
    Lambda: np.ndarray,
    *,
    n_points: int = 2000,
    rng: np.random.Generator | int = 0,
    legendre_method: LegendreMethod = "chebyshev",
) -> EmulationErrorTable:
    r"""Emulation error of squares, products and features versus ``s`` (ReLU).

    Parameters
    ----------
    s_values : sequence of int
        Sawtooth levels to tabulate.
    Lambda : array_like of int, shape (N, d)
        Index set of the feature networks (errors against
        :func:`dnngap.polynomials.features`).
    n_points : int
        Uniform random points for the feature error (plus the :math:`2^d`
        corners, where Legendre polynomials peak).
    rng : numpy.random.Generator or int
        Source of the random points (an int is a seed).
    legendre_method : {"chebyshev", "recurrence"}

    Returns
    -------
    EmulationErrorTable

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross
    >>> t = emulation_error_table([2, 3], hyperbolic_cross(2, 3), n_points=50)
    >>> (t.square_error / t.square_bound).round(12).tolist()
    [1.0, 1.0]
    """
    s_values = np.array([_check_int("s", s, 0) for s in s_values], dtype=np.int64)
    if s_values.size == 0:
        raise ValueError("s_values must contain at least one s")
    Lambda = _check_Lambda(Lambda)
    legendre_method = check_choice("legendre_method", legendre_method, _LEGENDRE_METHODS)
    n_points = _check_int("n_points", n_points, 1)
    gen = np.random.default_rng(rng)
    d = Lambda.shape[1]
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * d, indexing="ij")).reshape(d, -1).T
    y = np.concatenate([corners, 2.0 * gen.random((n_points, d)) - 1.0])
    exact = polynomials.features(y, Lambda)
    grid = np.linspace(-1.0, 1.0, 201)
    X, Y = np.meshgrid(grid, grid, indexing="ij")
    cols = {k: np.empty(s_values.size) for k in ("sq", "pr", "fe", "fb")}
    sizes = {k: np.empty(s_values.size, dtype=np.int64) for k in ("depth", "width", "params")}
    for i, s in enumerate(s_values):
        s = int(s)
        mid = 2.0 ** -(s + 1)  # a dyadic midpoint of level s
        x = np.concatenate([np.linspace(0.0, 1.0, 4097), [mid, 1.0 - mid]])
        cols["sq"][i] = np.abs(square_network(s)(x[:, None])[:, 0] - x**2).max()
        diag = np.array([mid, 1.0 - mid, -mid])
        px = np.concatenate([X.ravel(), diag])
        py = np.concatenate([Y.ravel(), diag])
        approx = product_network(s)(np.column_stack([px, py]))[:, 0]
        cols["pr"][i] = np.abs(approx - px * py).max()
        net = emulate_features(Lambda, s, legendre_method=legendre_method)
        cols["fe"][i] = np.abs(net(y) - exact).max()
        cols["fb"][i] = net.delta_bound
        sizes["depth"][i], sizes["width"][i], sizes["params"][i] = (
            net.depth, net.width, net.n_parameters)
    bound = 4.0 ** -(s_values + 1.0)
    return EmulationErrorTable(
        s_values, cols["sq"], bound, cols["pr"], bound.copy(), cols["fe"], cols["fb"],
        sizes["depth"], sizes["width"], sizes["params"],
    )


@dataclass(frozen=True)
class LayerGroup:
    r"""Consecutive layers of one construction step (a row of :func:`layer_table`).

    Attributes
    ----------
    first, last : int
        1-based indices of the first and last affine layer of the group.
    stage : str
        The construction step (e.g. ``"Chebyshev stage 2 (T_3..T_4)"``).
    layers : str
        The layers' roles, repeated sawtooth levels collapsed
        (e.g. ``"|x±y|, sawtooth levels 1-12, clip"``).
    width : int
        Largest layer of the group (the output dimension for the output layer).
    n_parameters : int
        Non-zero weights and biases of the group.
    purpose : str
        What the group computes (the purpose of its first layer).
    """

    first: int
    last: int
    stage: str
    layers: str
    width: int
    n_parameters: int
    purpose: str


def layer_table(network: FeedForwardNetwork | EmulatedFeatures) -> list[LayerGroup]:
    r"""Describe a constructed network stage by stage, for the book's table.

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross
    >>> rows = layer_table(emulate_features(hyperbolic_cross(2, 3), 4))
    >>> for r in rows:
    ...     print(r.first, r.last, r.stage, "|", r.layers)
    1 6 Chebyshev stage 1 (T_2..T_2) | |x±y|, sawtooth levels 1-4, clip
    7 12 Chebyshev stage 2 (T_3..T_3) | |x±y|, sawtooth levels 1-4, clip
    13 17 product tree level 1 | |x±y|, sawtooth levels 1-4
    18 18 output | output
    """
    if isinstance(network, EmulatedFeatures):
        network = network.network
    if not isinstance(network, FeedForwardNetwork):
        raise TypeError(
            "network must be a FeedForwardNetwork or EmulatedFeatures; "
            f"got {type(network).__name__}"
        )
    rows: list[LayerGroup] = []
    layers = network.layers
    start = 0
    for i in range(1, len(layers) + 1):
        if i < len(layers) and layers[i].stage == layers[start].stage:
            continue
        group = layers[start:i]
        names = [layer.name for layer in group]
        levels = [n for n in names if n.startswith("sawtooth level")]
        parts = [n for n in names if not n.startswith("sawtooth level")]
        if levels:
            span = f"sawtooth levels 1-{len(levels)}" if len(levels) > 1 else levels[0]
            parts.insert(1 if parts and parts[0] == "|x±y|" else 0, span)
        rows.append(LayerGroup(
            first=start + 1, last=i, stage=group[0].stage, layers=", ".join(parts),
            width=max(layer.W.shape[0] for layer in group),
            n_parameters=sum(layer.n_parameters for layer in group),
            purpose=group[0].purpose,
        ))
        start = i
    return rows
