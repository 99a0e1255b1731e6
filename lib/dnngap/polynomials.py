"""Orthonormal tensor Legendre polynomials and multi-index sets.

Conventions
-----------
Domain and measure
    :math:`U = [-1, 1]^d` with the uniform *probability* measure
    :math:`\\rho = 2^{-d}\\,dy`.
One-dimensional basis
    :math:`L_k(y) = \\sqrt{2k+1}\\,P_k(y)`, where :math:`P_k` is the classical
    Legendre polynomial (:math:`P_k(1) = 1`). Then
    :math:`\\tfrac12\\int_{-1}^{1} L_j L_k \\,dy = \\delta_{jk}` and
    :math:`\\|L_k\\|_{L^\\infty} = L_k(1) = \\sqrt{2k+1}`.
Tensor basis
    :math:`\\Psi_\\nu(y) = \\prod_{k=1}^d L_{\\nu_k}(y_k)` for a multi-index
    :math:`\\nu \\in \\mathbb{N}_0^d`; orthonormal in :math:`L^2_\\rho(U)` with
    :math:`\\|\\Psi_\\nu\\|_{L^\\infty} = u_\\nu = \\prod_k \\sqrt{2\\nu_k+1}`
    (the weights of the weighted :math:`\\ell^1` norm in :mod:`dnngap.cs`).
Index sets
    A set :math:`\\Lambda` of multi-indices is an ``int64`` array of shape
    ``(N, d)``, one multi-index per row, sorted **lexicographically** (first
    coordinate most significant), so the zero multi-index comes first. The
    three kinds, of order :math:`n`:

    ========================  ==============================================
    ``"hyperbolic_cross"``    :math:`\\prod_k (\\nu_k + 1) \\le n + 1`
    ``"total_degree"``        :math:`\\sum_k \\nu_k \\le n`,
                              :math:`|\\Lambda| = \\binom{n+d}{d}`
    ``"tensor_product"``      :math:`\\max_k \\nu_k \\le n`,
                              :math:`|\\Lambda| = (n+1)^d`
    ========================  ==============================================

    All three are *downward closed* (lower sets). They are generated
    coordinate by coordinate, never by filtering the full tensor grid, so a
    hyperbolic cross in d = 16 costs time proportional to its size.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal, get_args

import numpy as np

from dnngap._validation import check_choice
from dnngap._validation import check_int as _check_int

__all__ = [
    "IndexSetKind",
    "legendre",
    "hyperbolic_cross",
    "total_degree",
    "tensor_product",
    "index_set",
    "index_set_size",
    "largest_index_set",
    "largest_order",
    "weights",
    "features",
    "features_by_index",
]

IndexSetKind = Literal["hyperbolic_cross", "total_degree", "tensor_product"]
_KINDS: tuple[str, ...] = get_args(IndexSetKind)

# Rows of the feature matrix computed at once in `features`: bounds the
# temporary memory to about _CHUNK_ROWS * N * 8 bytes (16 MiB for N = 1024).
_CHUNK_ROWS = 2048


# ---------------------------------------------------------------- validation
def _check_Lambda(Lambda: object) -> np.ndarray:
    arr = np.asarray(Lambda)
    if arr.ndim != 2:
        raise ValueError(f"Lambda must have shape (N, d); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("Lambda must contain at least one multi-index; got an empty set")
    if arr.shape[1] == 0:
        raise ValueError("Lambda must have d >= 1 columns; got shape (N, 0)")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"Lambda must be an integer array; got dtype {arr.dtype}")
    if arr.min() < 0:
        raise ValueError("Lambda must contain non-negative multi-indices")
    return arr.astype(np.int64, copy=False)


# ---------------------------------------------------------------- 1D Legendre
def legendre(y: np.ndarray, degree: int) -> np.ndarray:
    """Orthonormal Legendre polynomials :math:`L_0, \\dots, L_n` at points ``y``.

    Uses the three-term recurrence of the classical polynomials,

    .. math::
        P_0 = 1,\\quad P_1 = y,\\quad
        (k+1) P_{k+1}(y) = (2k+1)\\, y\\, P_k(y) - k\\, P_{k-1}(y),

    which is forward stable on :math:`[-1, 1]`, and returns
    :math:`L_k = \\sqrt{2k+1} P_k`, orthonormal for the uniform probability
    measure on :math:`[-1, 1]`.

    Parameters
    ----------
    y : array_like, shape (n,)
        Evaluation points (normally in ``[-1, 1]``).
    degree : int
        Largest degree :math:`n \\ge 0`.

    Returns
    -------
    numpy.ndarray, shape (n, degree + 1), float64
        Column ``k`` holds :math:`L_k(y)`.

    Examples
    --------
    >>> legendre(np.array([1.0, 0.0]), 2).round(12)
    array([[ 1.        ,  1.73205081,  2.23606798],
           [ 1.        ,  0.        , -1.11803399]])
    """
    degree = _check_int("degree", degree, 0)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n,); got shape {y.shape}")
    out = np.empty((y.shape[0], degree + 1), dtype=np.float64)
    _legendre_into(y, out)
    return out


def _legendre_into(y: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out[:, k] = L_k(y)`` for ``k < out.shape[1]`` (no validation)."""
    degree = out.shape[1] - 1
    out[:, 0] = 1.0
    if degree >= 1:
        out[:, 1] = y
    for k in range(1, degree):
        # classical P_{k+1} from P_k, P_{k-1} (columns still unnormalised)
        out[:, k + 1] = ((2 * k + 1) * y * out[:, k] - k * out[:, k - 1]) / (k + 1)
    out *= np.sqrt(2.0 * np.arange(degree + 1) + 1.0)


# ---------------------------------------------------------------- index sets
@lru_cache(maxsize=None)
def _hyperbolic_cross(d: int, budget: int) -> np.ndarray:
    """All nu in N_0^d with prod(nu_k + 1) <= budget, lexicographic order.

    Recursion on the first coordinate: nu_1 = v leaves the budget
    floor(budget / (v + 1)) for the remaining d - 1 coordinates.
    """
    if d == 1:
        return np.arange(budget, dtype=np.int64)[:, None]
    blocks = []
    for v in range(budget):
        rest = _hyperbolic_cross(d - 1, budget // (v + 1))
        block = np.empty((rest.shape[0], d), dtype=np.int64)
        block[:, 0] = v
        block[:, 1:] = rest
        blocks.append(block)
    return np.concatenate(blocks)


@lru_cache(maxsize=None)
def _hyperbolic_cross_size(d: int, budget: int) -> int:
    if d == 1:
        return budget
    return sum(_hyperbolic_cross_size(d - 1, budget // (v + 1)) for v in range(budget))


@lru_cache(maxsize=None)
def _total_degree(d: int, order: int) -> np.ndarray:
    """All nu in N_0^d with sum(nu) <= order, lexicographic order."""
    if d == 1:
        return np.arange(order + 1, dtype=np.int64)[:, None]
    blocks = []
    for v in range(order + 1):
        rest = _total_degree(d - 1, order - v)
        block = np.empty((rest.shape[0], d), dtype=np.int64)
        block[:, 0] = v
        block[:, 1:] = rest
        blocks.append(block)
    return np.concatenate(blocks)


def hyperbolic_cross(d: int, order: int) -> np.ndarray:
    """Hyperbolic cross :math:`\\{\\nu \\in \\mathbb{N}_0^d : \\prod_k (\\nu_k+1) \\le n+1\\}`.

    Parameters
    ----------
    d : int
        Dimension, ``d >= 1``.
    order : int
        Order :math:`n \\ge 0`.

    Returns
    -------
    numpy.ndarray, shape (N, d), int64
        Multi-indices in lexicographic order (zero multi-index first).

    Examples
    --------
    >>> hyperbolic_cross(2, 3).tolist()
    [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [2, 0], [3, 0]]
    >>> hyperbolic_cross(8, 20).shape
    (1771, 8)
    """
    d = _check_int("d", d, 1)
    order = _check_int("order", order, 0)
    # copy: callers must not be able to corrupt the cache
    return _hyperbolic_cross(d, order + 1).copy()


def total_degree(d: int, order: int) -> np.ndarray:
    """Total-degree set :math:`\\{\\nu : \\sum_k \\nu_k \\le n\\}`, size :math:`\\binom{n+d}{d}`.

    Same conventions as :func:`hyperbolic_cross`.

    Examples
    --------
    >>> total_degree(2, 2).tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0]]
    """
    d = _check_int("d", d, 1)
    order = _check_int("order", order, 0)
    return _total_degree(d, order).copy()


def tensor_product(d: int, order: int) -> np.ndarray:
    """Tensor-product set :math:`\\{\\nu : \\max_k \\nu_k \\le n\\}`, size :math:`(n+1)^d`.

    Same conventions as :func:`hyperbolic_cross`.

    Examples
    --------
    >>> tensor_product(2, 1).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    d = _check_int("d", d, 1)
    order = _check_int("order", order, 0)
    # np.indices enumerates in C (lexicographic) order.
    return np.indices((order + 1,) * d, dtype=np.int64).reshape(d, -1).T.copy()


def index_set(kind: IndexSetKind, d: int, order: int) -> np.ndarray:
    """The index set of the given ``kind``, dimension and order.

    Parameters
    ----------
    kind : {"hyperbolic_cross", "total_degree", "tensor_product"}
    d, order : int
        Dimension ``d >= 1`` and order ``n >= 0`` (see the module docstring).

    Returns
    -------
    numpy.ndarray, shape (N, d), int64, lexicographic order.

    Examples
    --------
    >>> index_set("total_degree", 2, 2).tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [2, 0]]
    """
    kind = check_choice("kind", kind, _KINDS)
    if kind == "hyperbolic_cross":
        return hyperbolic_cross(d, order)
    if kind == "total_degree":
        return total_degree(d, order)
    return tensor_product(d, order)


def index_set_size(kind: IndexSetKind, d: int, order: int) -> int:
    """Number of multi-indices :math:`|\\Lambda|`, computed without building the set.

    Examples
    --------
    >>> index_set_size("hyperbolic_cross", 16, 10)
    1681
    >>> index_set_size("total_degree", 8, 3)   # C(11, 8)
    165
    """
    kind = check_choice("kind", kind, _KINDS)
    d = _check_int("d", d, 1)
    order = _check_int("order", order, 0)
    if kind == "hyperbolic_cross":
        return _hyperbolic_cross_size(d, order + 1)
    if kind == "total_degree":
        return math.comb(order + d, d)
    return (order + 1) ** d


def largest_order(kind: IndexSetKind, d: int, N_max: int) -> int:
    """Largest order :math:`n` with :math:`|\\Lambda| \\le N_{\\max}`.

    The sizes of all three kinds grow strictly with :math:`n`, so this is
    well defined for every ``N_max >= 1`` (order 0 is the set ``{0}``).

    Examples
    --------
    >>> largest_order("hyperbolic_cross", 8, 1800)
    20
    >>> largest_order("hyperbolic_cross", 16, 2000)
    10
    """
    kind = check_choice("kind", kind, _KINDS)
    d = _check_int("d", d, 1)
    N_max = _check_int("N_max", N_max, 1)
    order = 0
    while index_set_size(kind, d, order + 1) <= N_max:
        order += 1
    return order


def largest_index_set(kind: IndexSetKind, d: int, N_max: int) -> np.ndarray:
    """The largest index set of ``kind`` in ``d`` dimensions with at most
    ``N_max`` elements: :func:`index_set` at :func:`largest_order` (the
    book's CS uses the hyperbolic cross with ``N_max = 2000``).

    Examples
    --------
    >>> largest_index_set("hyperbolic_cross", 8, 2000).shape
    (1843, 8)
    >>> largest_index_set("total_degree", 2, 10).tolist()
    [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [3, 0]]
    """
    return index_set(kind, d, largest_order(kind, d, N_max))


def weights(Lambda: np.ndarray) -> np.ndarray:
    """Weights :math:`u_\\nu = \\|\\Psi_\\nu\\|_{L^\\infty} = \\prod_k \\sqrt{2\\nu_k + 1}`.

    Parameters
    ----------
    Lambda : array_like of int, shape (N, d)

    Returns
    -------
    numpy.ndarray, shape (N,), float64

    Examples
    --------
    >>> weights(np.array([[0, 0], [1, 0], [1, 4]])).round(6)
    array([1.      , 1.732051, 5.196152])
    """
    Lambda = _check_Lambda(Lambda)
    return np.sqrt(np.prod(2.0 * Lambda + 1.0, axis=1))


# ---------------------------------------------------------------- features
def features(y: np.ndarray, Lambda: np.ndarray) -> np.ndarray:
    """Tensor Legendre features :math:`\\Psi_\\nu(y_i)` for every point and index.

    .. math::
        \\Psi_{i\\nu} = \\prod_{k=1}^d L_{\\nu_k}(y_{ik}),
        \\qquad i = 1..n,\\ \\nu \\in \\Lambda.

    For each coordinate the 1D table :math:`L_0..L_{p_k}(y_{\\cdot k})`, with
    :math:`p_k = \\max_{\\nu \\in \\Lambda} \\nu_k`, is computed once; the
    matrix is the product, over the *non-zero* entries of each
    :math:`\\nu` only (:math:`L_0 = 1`), of the gathered table columns,
    computed in blocks of rows so that temporaries stay small (the result
    itself is ``n * N * 8`` bytes).

    Parameters
    ----------
    y : array_like, shape (n, d)
        Points, normally in :math:`[-1, 1]^d`.
    Lambda : array_like of int, shape (N, d)
        Multi-indices; column ``j`` of the result belongs to ``Lambda[j]``.

    Returns
    -------
    numpy.ndarray, shape (n, N), float64

    Examples
    --------
    >>> features(np.array([[1.0, 0.5]]), np.array([[0, 0], [1, 0], [1, 1]])).round(6)
    array([[1.      , 1.732051, 1.5     ]])
    """
    Lambda = _check_Lambda(Lambda)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != Lambda.shape[1]:
        raise ValueError(
            f"y must have shape (n, d) with d = Lambda.shape[1] = {Lambda.shape[1]}; "
            f"got shape {y.shape}"
        )
    n, N = y.shape[0], Lambda.shape[0]
    out = np.empty((n, N), dtype=np.float64)
    columns, offsets, degrees = _sparse_columns(Lambda)
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        block = out[start:stop]
        if columns.shape[1] == 0:  # Lambda = {0}
            block.fill(1.0)
            continue
        # all 1D tables side by side: column 0 is L_0 = 1, then coordinate k's
        # L_1..L_{p_k} at columns offsets[k] .. offsets[k] + p_k - 1
        tables = np.empty((stop - start, offsets[-1]), dtype=np.float64)
        tables[:, 0] = 1.0
        scratch = np.empty((stop - start, degrees.max() + 1), dtype=np.float64)
        for k in np.flatnonzero(degrees):
            view = scratch[:, : degrees[k] + 1]
            _legendre_into(y[start:stop, k], view)
            tables[:, offsets[k] : offsets[k] + degrees[k]] = view[:, 1:]
        np.take(tables, columns[:, 0], axis=1, out=block)
        for j in range(1, columns.shape[1]):
            block *= np.take(tables, columns[:, j], axis=1)
    return out


def features_by_index(y: np.ndarray, Lambda: np.ndarray) -> np.ndarray:
    """:func:`features` transposed, shape ``(N, n)``: row ``j`` holds
    :math:`\\Psi_{\\nu_j}` at every point.

    The same products in the same order, so the numbers equal
    ``features(y, Lambda).T`` exactly; it gathers whole rows of the 1D
    tables rather than scattered columns, which is faster for evaluating on
    many points (``benchmarks/cs_evaluate.py`` measures the ratio). Call it
    on blocks of about a thousand points (:func:`dnngap.cs.evaluate` does).

    >>> y = np.array([[1.0, 0.5], [0.2, -0.3]])
    >>> L = np.array([[0, 0], [1, 0], [1, 1]])
    >>> bool((features_by_index(y, L) == features(y, L).T).all())
    True
    """
    Lambda = _check_Lambda(Lambda)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != Lambda.shape[1]:
        raise ValueError(f"y must have shape (n, d) with d = Lambda.shape[1] = {Lambda.shape[1]}; "
                         f"got shape {y.shape}")
    columns, offsets, degrees = _sparse_columns(Lambda)
    n = y.shape[0]
    tables = np.empty((offsets[-1], n), dtype=np.float64)  # row 0: L_0 = 1, then each coordinate's L_1..L_p
    tables[0] = 1.0
    scratch = np.empty((n, degrees.max() + 1), dtype=np.float64)
    for k in np.flatnonzero(degrees):
        view = scratch[:, : degrees[k] + 1]
        _legendre_into(y[:, k], view)
        tables[offsets[k] : offsets[k] + degrees[k]] = view[:, 1:].T
    out = tables[columns[:, 0]] if columns.shape[1] else np.ones((Lambda.shape[0], n))
    for j in range(1, columns.shape[1]):
        out *= tables[columns[:, j]]
    return out


def _sparse_columns(Lambda: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encode each multi-index by the table columns of its non-zero entries.

    Returns ``columns`` (N, s) with s the largest number of non-zero entries
    of a multi-index (padded with column 0, which holds L_0 = 1), the
    column ``offsets`` (d + 1,) of each coordinate's block in the
    concatenated table (``offsets[-1]`` = number of columns) and the
    largest degree per coordinate. A hyperbolic cross of order n has
    s <= log2(n + 1), so this needs far fewer products than d.
    """
    degrees = Lambda.max(axis=0)
    offsets = np.concatenate([[1], 1 + np.cumsum(degrees)])
    nonzero = Lambda > 0
    s = int(nonzero.sum(axis=1).max())
    columns = np.zeros((Lambda.shape[0], s), dtype=np.int64)
    rows, coords = np.nonzero(nonzero)  # row-major: coordinates ascend within a row
    slot = np.arange(rows.size) - np.searchsorted(rows, rows)
    columns[rows, slot] = offsets[coords] + Lambda[rows, coords] - 1
    return columns, offsets, degrees
