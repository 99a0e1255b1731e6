r"""Tables for the book: measured emulation errors, and a network described stage by stage.

Used by the chapter on the practical existence theorem
(``notebooks/e7_existence_theorem.md``) and by ``benchmarks/existence.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnngap import polynomials
from dnngap._validation import check_choice
from dnngap._validation import check_int as _check_int

from ._common import LEGENDRE_METHODS, LegendreMethod, check_Lambda
from .construction import EmulatedFeatures, emulate_features, product_network, square_network
from .network import FeedForwardNetwork

__all__ = ["EmulationErrorTable", "LayerGroup", "emulation_error_table", "layer_table"]


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
        :attr:`~dnngap.existence.EmulatedFeatures.delta_bound`.
    depth, width, n_parameters : numpy.ndarray of int, shape (k,)
        Size of the feature network for each ``s``.

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross
    >>> t = emulation_error_table([2, 3], hyperbolic_cross(2, 3), n_points=50)
    >>> t.s.tolist(), t.product_bound.tolist(), t.depth.tolist()
    ([2, 3], [0.015625, 0.00390625], [12, 15])
    >>> bool(np.all(t.feature_error <= t.feature_bound))
    True
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
    Lambda = check_Lambda(Lambda)
    legendre_method = check_choice("legendre_method", legendre_method, LEGENDRE_METHODS)
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
        The construction step (e.g. ``"Chebyshev stage 2 (T₃–T₄)"``).
    layers : str
        The layers' roles, repeated sawtooth levels collapsed
        (e.g. ``"|x±y|, sawtooth levels 1-12, clip"``).
    width : int
        Largest layer of the group (the output dimension for the output layer).
    n_parameters : int
        Non-zero weights and biases of the group.
    purpose : str
        What the group computes (the purpose of its first layer).

    Examples
    --------
    >>> from dnngap.polynomials import hyperbolic_cross
    >>> row = layer_table(emulate_features(hyperbolic_cross(1, 3), 4))[0]
    >>> row.first, row.last, row.stage, row.layers, row.width
    (1, 6, 'Chebyshev stage 1 (T₂)', '|x±y|, sawtooth levels 1-4, clip', 10)
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
    1 6 Chebyshev stage 1 (T₂) | |x±y|, sawtooth levels 1-4, clip
    7 12 Chebyshev stage 2 (T₃) | |x±y|, sawtooth levels 1-4, clip
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
