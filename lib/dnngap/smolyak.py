r"""Clenshaw--Curtis Smolyak sparse grids: the authors' test points and weights.

The error estimators built on these grids are in :mod:`dnngap.quadrature`,
which re-exports the functions of this module.

The paper measures errors on Smolyak sparse grids built from nested
Clenshaw--Curtis rules. The one-dimensional rule of level :math:`l` is

* :math:`l = 0`: the midpoint rule, node :math:`0`, weight :math:`2`;
* :math:`l \ge 1`: :math:`2^l + 1` nodes :math:`x_j = -\cos(\pi j / 2^l)`,
  :math:`j = 0, \dots, 2^l`, with the Clenshaw--Curtis weights, which
  integrate polynomials of degree :math:`2^l + 1` exactly.

The rules are nested (level :math:`l` contains the nodes of level
:math:`l - 1`) and their weights sum to 2, the length of :math:`[-1, 1]`.
With the difference rules :math:`\Delta_l = U_l - U_{l-1}` (:math:`U_{-1} = 0`)
the Smolyak rule of level :math:`L` in :math:`d` dimensions is

.. math:: A(L, d) = \sum_{l \in \mathbb{N}_0^d,\ |l|_1 \le L}
          \Delta_{l_1} \otimes \cdots \otimes \Delta_{l_d},

an approximation of :math:`\int_{[-1,1]^d} g(y)\,\mathrm{d}y` (Lebesgue
measure: the weights sum to :math:`2^d`, as in the authors' data; many are
negative). It integrates exactly every monomial :math:`y^\alpha` with
:math:`\alpha_k \le m(l_k)` for some :math:`|l|_1 \le L`, where
:math:`m(0) = 1` and :math:`m(l) = 2^l + 1`. The authors' data field ``depth``
is :math:`L + 1`.

Construction. A node of the level-:math:`L` rule is stored as its integer
index :math:`i` on the finest 1D grid, :math:`x = -\cos(\pi i / 2^L)`, so a
grid point is an integer tuple and no floating-point de-duplication is needed.
Each point is generated once, from the 1D nodes that are *new* at levels
:math:`j_1, \dots, j_d` with :math:`|j|_1 \le L`; its weight is

.. math:: w(x) = \sum_{r \in \mathbb{N}_0^d,\ |r|_1 \le L - |j|_1}
          \prod_{k=1}^{d} \delta_{j_k + r_k}(x_k),

where :math:`\delta_l(x)` is the weight of :math:`x` in :math:`\Delta_l`.
The sum is evaluated for all points at once by a truncated polynomial
product over the coordinates (cost :math:`O(n d L^2)`, memory a small
multiple of the output). ``benchmarks/grids.py`` measures the authors' largest
grids (d = 8, L = 9: 1,863,937 points; d = 16, L = 6: 2,098,753 points)
against the project's limits. Grids of at least :data:`CACHE_MIN_POINTS`
points are cached on disk (see :func:`cache_dir`).

Points are returned in a fixed order: by total level :math:`|j|_1` first, so
``sparse_grid(d, L)[0][:sparse_grid_size(d, L')]`` is exactly
``sparse_grid(d, L')[0]`` for :math:`L' \le L` (the first point is the
centre).
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from dnngap._validation import check_bool
from dnngap._validation import check_int as _check_int

__all__ = [
    "CACHE_MIN_POINTS",
    "cache_dir",
    "clenshaw_curtis",
    "sparse_grid",
    "sparse_grid_size",
]

#: Grids with fewer points are rebuilt rather than cached: below about 1e5
#: points building takes less time than reading a file.
CACHE_MIN_POINTS = 100_000

# Bump when the construction or the file layout changes: old cache files are
# then ignored (the version is part of the file name).
_GRID_FORMAT = 1

# Refuse grids whose points would take more memory than this.
_MAX_POINT_BYTES = 4 * 2**30

# Points per block in the weight computation (bounds its temporary memory).
_CHUNK = 1 << 17


# --------------------------------------------------------------------------
# One-dimensional Clenshaw--Curtis rules


def _cc_weights(level: int) -> np.ndarray:
    """Clenshaw--Curtis weights of the level-``level`` rule (Waldvogel's FFT algorithm).

    J. Waldvogel, Fast construction of the Fejer and Clenshaw--Curtis
    quadrature rules, BIT 46 (2006) 195--202. Weights are symmetrised, which
    leaves them exact and makes them symmetric to the last bit.
    """
    if level == 0:
        return np.array([2.0])
    n = 2**level  # number of intervals; n + 1 nodes
    odd = np.arange(1, n, 2)
    n_odd = len(odd)
    rest = n - n_odd
    v0 = np.concatenate([2 / odd / (odd - 2), [1 / odd[-1]], np.zeros(rest)])
    v2 = -v0[:-1] - v0[:0:-1]
    g0 = -np.ones(n)
    g0[n_odd] += n
    g0[rest] += n
    g = g0 / (n**2 - 1 + n % 2)
    w = np.fft.ifft(v2 + g).real
    w = np.concatenate([w, w[:1]])
    return (w + w[::-1]) / 2


def _node_values(n_intervals: int) -> np.ndarray:
    """Nodes -cos(pi i / N), i = 0..N, computed as sin(pi (2i - N) / (2N)).

    The sine form is exactly odd about the centre, exactly 0 at i = N/2 and
    exactly +-1 at the ends; scaling N by a power of 2 gives identical values.
    """
    i = np.arange(n_intervals + 1)
    return np.sin(np.pi * (2 * i - n_intervals) / (2 * n_intervals))


def clenshaw_curtis(level: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The level-``level`` Clenshaw--Curtis rule on :math:`[-1, 1]`.

    Parameters
    ----------
    level : int
        ``0`` for the midpoint rule (node 0, weight 2); ``l >= 1`` for the
        :math:`2^l + 1`-point rule.

    Returns
    -------
    nodes : numpy.ndarray, shape (1,) or (2**level + 1,)
        :math:`x_j = -\cos(\pi j / 2^l)`, increasing.
    weights : numpy.ndarray, same shape
        Positive, summing to 2; the rule integrates polynomials of degree
        :math:`2^l + 1` exactly (degree 1 for level 0).

    Examples
    --------
    >>> from dnngap.quadrature import clenshaw_curtis
    >>> x, w = clenshaw_curtis(1)
    >>> x, w * 3
    (array([-1.,  0.,  1.]), array([1., 4., 1.]))
    """
    level = _check_int("level", level, 0)
    if level > 24:
        raise ValueError(f"level must be <= 24 (2**24 + 1 nodes); got {level}")
    if level == 0:
        return np.array([0.0]), np.array([2.0])
    return _node_values(2**level), _cc_weights(level)


# --------------------------------------------------------------------------
# Smolyak sparse grids


def sparse_grid_size(d: int, level: int) -> int:
    r"""Number of points of the Clenshaw--Curtis Smolyak grid of level ``level`` in ``d`` dimensions.

    Counts the points :math:`\sum_{|j|_1 \le L} \prod_k n_{\mathrm{new}}(j_k)`
    with :math:`n_{\mathrm{new}}(0) = 1`, :math:`n_{\mathrm{new}}(1) = 2`,
    :math:`n_{\mathrm{new}}(l) = 2^{l-1}` (the nodes first present at level
    :math:`l`), in exact integer arithmetic and without building the grid.

    Examples
    --------
    >>> from dnngap.quadrature import sparse_grid_size
    >>> [sparse_grid_size(2, L) for L in range(5)]
    [1, 5, 13, 29, 65]
    >>> sparse_grid_size(16, 6)
    2098753
    """
    d = _check_int("d", d, 1)
    level = _check_int("level", level, 0)
    new = [1, 2] + [2 ** (l - 1) for l in range(2, level + 1)]
    new = new[: level + 1]
    # counts[t] = number of points with total level t among the first k coordinates
    counts = [1] + [0] * level
    for _ in range(d):
        counts = [sum(counts[t - l] * new[l] for l in range(t + 1)) for t in range(level + 1)]
    return sum(counts)


def _node_levels(n_intervals: int) -> np.ndarray:
    """Level at which each finest-grid node index 0..N first appears."""
    i = np.arange(n_intervals + 1)
    levels = np.empty(n_intervals + 1, dtype=np.int64)
    inner = (i > 0) & (i < n_intervals)
    lowbit = i[inner] & -i[inner]  # largest power of two dividing i
    finest = int(round(math.log2(n_intervals)))
    levels[inner] = finest - np.round(np.log2(lowbit)).astype(np.int64)
    levels[0] = levels[n_intervals] = 1
    levels[n_intervals // 2] = 0
    return levels


def _new_nodes(level: int, n_intervals: int) -> list[np.ndarray]:
    """Finest-grid indices of the nodes that are new at levels 0..level."""
    new = [np.array([n_intervals // 2])]
    if level >= 1:
        new.append(np.array([0, n_intervals]))
    for l in range(2, level + 1):
        stride = n_intervals >> l
        new.append(np.arange(stride, n_intervals, 2 * stride))
    return new


def _surplus_table(level: int, n_intervals: int, node_levels: np.ndarray) -> np.ndarray:
    """``T[r, i]``: weight of finest-grid node ``i`` in the difference rule of level ``j(i) + r``."""
    full = np.zeros((level + 1, n_intervals + 1))  # full[l, i]: weight of node i in U_l
    full[0, n_intervals // 2] = 2.0
    for l in range(1, level + 1):
        full[l, :: n_intervals >> l] = _cc_weights(l)
    delta = np.diff(full, axis=0, prepend=0.0)  # delta[l] = U_l - U_{l-1}
    table = np.zeros((level + 1, n_intervals + 1))
    for r in range(level + 1):
        rows = node_levels + r
        ok = rows <= level
        table[r, ok] = delta[rows[ok], np.flatnonzero(ok)]
    return table


def _index_dtype(n_intervals: int) -> type:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_intervals <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


def _grid_indices(d: int, level: int, n_intervals: int) -> tuple[np.ndarray, np.ndarray]:
    """All grid points as finest-grid index tuples, and their total levels |j|_1.

    Built coordinate by coordinate: a partial point of total level t is
    extended by every node new at level l <= level - t. Every partial point
    has an extension (the centre node, level 0), so no intermediate array is
    larger than the result.
    """
    dtype = _index_dtype(n_intervals)
    new = [nodes.astype(dtype) for nodes in _new_nodes(level, n_intervals)]
    index = np.zeros((1, 0), dtype=dtype)
    used = np.zeros(1, dtype=np.int16)
    for k in range(d):
        blocks, block_used = [], []
        for l, nodes in enumerate(new):
            rows = np.flatnonzero(used <= level - l)
            if rows.size == 0:
                continue
            rows = np.repeat(rows, len(nodes))
            block = np.empty((len(rows), k + 1), dtype=dtype)
            block[:, :k] = index[rows]
            block[:, k] = np.tile(nodes, len(rows) // len(nodes))
            blocks.append(block)
            block_used.append(used[rows] + l)
        index = np.concatenate(blocks)
        used = np.concatenate(block_used)
        del blocks, block_used
    # Order by total level (stable): lower-level grids become prefixes.
    order = np.argsort(used, kind="stable")
    return index[order], used[order]


def _grid_weights(index: np.ndarray, used: np.ndarray, table: np.ndarray, level: int) -> np.ndarray:
    """Weights w(x) = sum_{|r| <= L - |j|} prod_k T[r_k, i_k], block by block."""
    n, d = index.shape
    weights = np.empty(n)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        slack = level - used[start:stop].astype(np.int64)
        top = int(slack.max())
        # acc[t] = coefficient of z^t in prod_k (sum_r T[r, i_k] z^r), truncated at z^top
        acc = np.zeros((top + 1, stop - start))
        acc[0] = 1.0
        for k in range(d):
            factor = table[: top + 1, index[start:stop, k]]
            nxt = acc * factor[0]
            for t in range(1, top + 1):
                for u in range(t):
                    nxt[t] += acc[u] * factor[t - u]
            acc = nxt
        np.cumsum(acc, axis=0, out=acc)
        weights[start:stop] = acc[slack, np.arange(stop - start)]
    return weights


def _build_grid(d: int, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (finest-grid index (n, d), node values (N + 1,), weights (n,))."""
    n_intervals = 2 ** max(level, 1)
    node_levels = _node_levels(n_intervals)
    table = _surplus_table(level, n_intervals, node_levels)
    index, used = _grid_indices(d, level, n_intervals)
    weights = _grid_weights(index, used, table, level)
    return index, _node_values(n_intervals), weights


def cache_dir() -> Path:
    """Directory of cached grids: ``$DNNGAP_CACHE/sparse_grids`` (default ``~/.cache/dnngap``)."""
    root = os.environ.get("DNNGAP_CACHE") or Path.home() / ".cache" / "dnngap"
    return Path(root) / "sparse_grids"


def _cache_path(d: int, level: int) -> Path:
    return cache_dir() / f"cc_smolyak_d{d}_level{level}_v{_GRID_FORMAT}.npz"


def _load_cached(path: Path, d: int, level: int, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Read a cached grid; None if missing, unreadable or inconsistent."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            index = data["index"]
            weights = data["weights"]
            ok = (
                int(data["format"]) == _GRID_FORMAT
                and int(data["d"]) == d
                and int(data["level"]) == level
                and index.shape == (n, d)
                and weights.shape == (n,)
                and index.dtype.kind == "u"
                and weights.dtype == np.float64
            )
    except Exception as exc:  # corrupt or truncated file: rebuild it
        warnings.warn(f"ignoring unreadable sparse-grid cache {path}: {exc}", stacklevel=3)
        return None
    if not ok or (n and int(index.max()) > 2 ** max(level, 1)):
        warnings.warn(f"ignoring inconsistent sparse-grid cache {path}", stacklevel=3)
        return None
    return index, weights


def _save_cached(path: Path, d: int, level: int, index: np.ndarray, weights: np.ndarray) -> None:
    """Write atomically: a temporary file in the same directory, then os.replace."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, index=index, weights=weights, d=d, level=level, format=_GRID_FORMAT)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a cache is shareable
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:  # read-only or full disk: the grid is still returned
        warnings.warn(f"could not cache sparse grid at {path}: {exc}", stacklevel=3)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def sparse_grid(d: int, level: int, *, cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    r"""Clenshaw--Curtis Smolyak sparse grid of total level ``level`` on :math:`[-1, 1]^d`.

    Parameters
    ----------
    d : int
        Dimension, ``>= 1``.
    level : int
        Smolyak level :math:`L \ge 0` (the rule :math:`\sum_{|l|_1 \le L}
        \bigotimes_k \Delta_{l_k}`); the authors' ``depth`` is :math:`L + 1`.
    cache : bool
        Read and write grids of at least :data:`CACHE_MIN_POINTS` points in
        :func:`cache_dir` (one ``.npz`` per ``(d, level)`` holding integer node
        indices and weights; written atomically). ``False`` always rebuilds.

    Returns
    -------
    points : numpy.ndarray, shape (n, d), float64
        Distinct points, ``n = sparse_grid_size(d, level)``, ordered by
        hierarchical level (centre first; the grid of every lower level is a
        prefix).
    weights : numpy.ndarray, shape (n,), float64
        Quadrature weights for Lebesgue measure on :math:`[-1, 1]^d`: they sum
        to :math:`2^d`, many are negative. ``weights @ g(points) / 2**d``
        approximates the mean of ``g`` under the uniform probability measure.

    Raises
    ------
    ValueError
        If ``d < 1``, ``level < 0`` or the points would need more than 4 GiB.

    Examples
    --------
    >>> from dnngap.quadrature import sparse_grid
    >>> points, weights = sparse_grid(2, 1)
    >>> points
    array([[ 0.,  0.],
           [-1.,  0.],
           [ 1.,  0.],
           [ 0., -1.],
           [ 0.,  1.]])
    >>> weights * 3
    array([4., 2., 2., 2., 2.])
    """
    d = _check_int("d", d, 1)
    level = _check_int("level", level, 0)
    cache = check_bool("cache", cache)
    n = sparse_grid_size(d, level)
    if n * d * 8 > _MAX_POINT_BYTES:
        raise ValueError(
            f"sparse grid d={d}, level={level} has {n:,} points "
            f"({n * d * 8 / 2**30:.1f} GiB); the limit is {_MAX_POINT_BYTES / 2**30:.0f} GiB"
        )
    n_intervals = 2 ** max(level, 1)
    use_cache = cache and n >= CACHE_MIN_POINTS
    loaded = _load_cached(_cache_path(d, level), d, level, n) if use_cache else None
    if loaded is not None:
        index, weights = loaded
        nodes = _node_values(n_intervals)
    else:
        index, nodes, weights = _build_grid(d, level)
        if use_cache:
            _save_cached(_cache_path(d, level), d, level, index, weights)
    return nodes[index], weights
