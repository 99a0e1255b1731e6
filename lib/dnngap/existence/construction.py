r"""Construction of the network emulating the orthonormal Legendre features.

:func:`emulate_features` builds, for an index set :math:`\Lambda`, a ReLU (or
RePU) network whose outputs are the orthonormal tensor Legendre polynomials
:math:`(\Psi_\nu(y))_{\nu\in\Lambda}` (:mod:`dnngap.polynomials`) to
accuracy :math:`\delta`, as a :class:`~dnngap.existence.network.FeedForwardNetwork`
of explicit sparse layers; :func:`square_network` and :func:`product_network`
are its two gadgets alone. The a-priori error of the result is in
:mod:`dnngap.existence.bounds`; the order of the products in
:mod:`dnngap.existence.plan`.

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

RePU variant (``activation="repu"``, :math:`\sigma(t) = \max(t,0)^2`)
    :math:`x^2 = \sigma(x) + \sigma(-x)` exactly, so a product is one layer
    of four neurons and the network computes the features exactly (up to
    rounding); values are carried as
    :math:`v = (\sigma(v+2) - \sigma(2-v))/8` (exact for :math:`|v|\le2`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dnngap import polynomials
from dnngap._validation import check_choice
from dnngap._validation import check_int as _check_int

from ._common import (ACTIVATIONS, LEGENDRE_METHODS, Activation, LegendreMethod, check_Lambda, check_points,
                      check_s)
from .bounds import feature_error_constants
from .network import FeedForwardNetwork, Layer
from .plan import chebyshev_stages, legendre_chebyshev_coefficients, tree_plan

__all__ = ["EmulatedFeatures", "emulate_features", "product_network", "square_network"]


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

    Examples
    --------
    The Legendre polynomials of degree 0 to 3 in d = 1 with 4 sawtooth
    levels, within their a-priori bounds:

    >>> from dnngap.polynomials import features, hyperbolic_cross
    >>> net = emulate_features(hyperbolic_cross(1, 3), 4)
    >>> net.N, net.depth, net.feature_error_bounds.round(6).tolist()
    (4, 12, [0.0, 0.0, 0.003275, 0.009689])
    >>> y = np.linspace(-1, 1, 5)[:, None]
    >>> bool(np.all(np.abs(net(y) - features(y, net.Lambda)) <= net.feature_error_bounds))
    True
    >>> emulate_features(hyperbolic_cross(1, 3), None, activation="repu").delta_bound  # exact
    0.0
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
        return self.network(check_points(y, self.d, "y"))


def emulate_features(
    Lambda: np.ndarray,
    s: int | None = None,
    *,
    activation: Activation = "relu",
    legendre_method: LegendreMethod = "chebyshev",
) -> EmulatedFeatures:
    r"""Build the network emulating the orthonormal Legendre features on :math:`\Lambda`.

    See the module docstring for the construction, and :mod:`dnngap.existence.bounds`
    for its a-priori bound.

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
    >>> from dnngap.existence.bounds import depth_formula
    >>> from dnngap.polynomials import hyperbolic_cross, features
    >>> Lambda = hyperbolic_cross(2, 6)
    >>> net = emulate_features(Lambda, 12)
    >>> net.depth == depth_formula(Lambda, 12), net.delta_bound < 1e-5
    (True, True)
    >>> y = np.array([[0.3, -0.7], [1.0, 0.1]])
    >>> bool(np.all(np.abs(net(y) - features(y, Lambda)) <= net.feature_error_bounds))
    True
    """
    Lambda = check_Lambda(Lambda)
    activation = check_choice("activation", activation, ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, LEGENDRE_METHODS)
    s = check_s(s, activation)
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
        plans = [chebyshev_stages(int(n)) for n in degrees]
        for r in range(max(len(plan) for plan in plans)):
            items = [(("T", k, t), ("T", k, p), ("T", k, i), 2.0, ("T", k, p - i), -1.0)
                     for k in range(d) if r < len(plans[k]) for t, p, i in plans[k][r]]
            first, last = 2**r + 1, min(2 ** (r + 1), int(degrees.max()))
            sub = lambda k: str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
            span = f"T{sub(first)}" if first == last else f"T{sub(first)}–T{sub(last)}"
            stages.append((f"Chebyshev stage {r + 1} ({span})", items))
    else:  # P_{j+1} = ((2j+1) y P_j - j P_{j-1}) / (j+1)
        for j in range(1, int(degrees.max())):
            items = [(("P", k, j + 1), ("P", k, 1), ("P", k, j), (2 * j + 1) / (j + 1),
                      ("P", k, j - 1), -j / (j + 1))
                     for k in range(d) if degrees[k] >= j + 1]
            stages.append((f"recurrence stage {j} (P_{j + 1})", items))
    levels, roots = tree_plan(Lambda)
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

    cheb = [legendre_chebyshev_coefficients(int(n)) for n in degrees]
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
    net = B.output(outputs, purpose="Ψ_ν = u_ν · (product of its Legendre factors)")
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
    >>> from dnngap.existence.bounds import square_error_bound
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
    activation = check_choice("activation", activation, ACTIVATIONS)
    s = check_s(s, activation)
    B = _Builder(2, activation)
    x, y = B.inputs()
    prods, _ = _products(B, [(x, y)], {}, s, "product")
    return B.output(prods, purpose="x*y")
