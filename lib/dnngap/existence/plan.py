r"""The plan of the construction: which products are computed, in which order.

Shared by the network builder (:mod:`dnngap.existence.construction`) and the
a-priori bounds (:mod:`dnngap.existence.bounds`), which follow the same plan:
the stages of Chebyshev doubling, the Chebyshev coefficients of the Legendre
polynomials, and the binary product trees of the tensor-product features.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["chebyshev_stages", "legendre_chebyshev_coefficients", "tree_plan"]


def legendre_chebyshev_coefficients(n: int) -> np.ndarray:
    r"""Chebyshev coefficients of the Legendre polynomials :math:`P_0, \dots, P_n`.

    :math:`C` of shape ``(n + 1, n + 1)`` with :math:`P_j = \sum_i C_{ji} T_i`:
    entries :math:`\ge 0`, rows summing to :math:`P_j(1) = 1`, from
    :math:`P_j(\cos t) = \sum_k a_k a_{j-k} \cos((j - 2k) t)`,
    :math:`a_k = \binom{2k}{k} 4^{-k}`.

    Examples
    --------
    >>> legendre_chebyshev_coefficients(2)[2].tolist()   # P_2 = (3 T_2 + T_0) / 4
    [0.25, 0.0, 0.75]
    """
    # exact integers, one correctly rounded division: 4.0**k overflows for k >= 512
    a = np.array([math.comb(2 * k, k) / 4**k for k in range(n + 1)])
    C = np.zeros((n + 1, n + 1))
    for j in range(n + 1):
        for k in range(j + 1):
            C[j, abs(j - 2 * k)] += a[k] * a[j - k]
    return C


def chebyshev_stages(n: int) -> list[list[tuple[int, int, int]]]:
    r"""Stages of Chebyshev doubling up to :math:`T_n`, one list of items per stage.

    Stage :math:`r` (from 0) holds the items ``(t, p, i)``, :math:`p = 2^r`,
    :math:`t = p + i \le n`: :math:`T_t = 2 T_p T_i - T_{p-i}`
    for :math:`1 \le i \le p`; :math:`\lceil\log_2 n\rceil` stages.

    Examples
    --------
    >>> chebyshev_stages(5)
    [[(2, 1, 1)], [(3, 2, 1), (4, 2, 2)], [(5, 4, 1)]]
    """
    stages, p = [], 1
    while p < n:
        stages.append([(p + i, p, i) for i in range(1, min(p, n - p) + 1)])
        p *= 2
    return stages


def tree_plan(Lambda: np.ndarray) -> tuple[list[dict], list[tuple]]:
    r"""Binary product trees of the factors of every :math:`\nu`, with shared sub-products.

    A node is a tuple of leaves ``(k, j)`` (coordinate :math:`k`, degree
    :math:`j \ge 1`), sorted by coordinate; ``()`` is the constant 1.
    Returns ``levels`` (one dict ``node -> (left, right)`` per level of
    products, in order) and ``roots`` (the node of each row of ``Lambda``).

    Examples
    --------
    >>> levels, roots = tree_plan(np.array([[0, 0, 0], [2, 0, 1], [1, 1, 1]]))
    >>> [len(root) for root in roots]       # leaves of each nu: none, P_2(y_0) P_1(y_2), three
    [0, 2, 3]
    >>> [len(level) for level in levels]    # P_2(y_0) P_1(y_2) and y_0 y_1, then (y_0 y_1) y_2
    [2, 1]
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
