r"""A-priori error bounds and closed-form sizes of the ReLU construction.

With :math:`\varepsilon_s = 4^{-(s+1)}` (:func:`square_error_bound`, the sup
error of the sawtooth square on :math:`[0,1]`) the error of a product of
clipped values with errors :math:`e_x, e_y` is at most
:math:`e_x + e_y + \varepsilon_s`. Propagating this through the stages of
the construction (:mod:`dnngap.existence.construction`) gives
:math:`\sup_{y\in[-1,1]^d}|\widetilde\Psi_\nu(y) - \Psi_\nu(y)| \le
C_\nu\,\varepsilon_s` with constants :math:`C_\nu` that depend on
:math:`\Lambda` only (:func:`feature_error_constants`,
:attr:`~dnngap.existence.EmulatedFeatures.feature_error_bounds`); their
maximum is :attr:`~dnngap.existence.EmulatedFeatures.delta_bound`, exact
arithmetic assumed (float64 rounding adds roughly :math:`10^{-15} C_\nu`).
:func:`required_s` inverts the bound, :func:`depth_formula` gives the depth
of the network in closed form.
"""

from __future__ import annotations

import math

import numpy as np

from dnngap import polynomials
from dnngap._validation import check_choice, check_positive
from dnngap._validation import check_int as _check_int

from ._common import ACTIVATIONS, LEGENDRE_METHODS, Activation, LegendreMethod, check_Lambda, check_s
from .plan import chebyshev_stages, legendre_chebyshev_coefficients, tree_plan

__all__ = ["depth_formula", "feature_error_constants", "required_s", "square_error_bound"]


def feature_error_constants(
    Lambda: np.ndarray, *, legendre_method: LegendreMethod = "chebyshev"
) -> np.ndarray:
    r"""Constants :math:`C_\nu` of the a-priori bound of the ReLU construction.

    .. math::
        \sup_{y \in [-1,1]^d} |\widetilde\Psi_\nu(y) - \Psi_\nu(y)|
        \le C_\nu\, \varepsilon_s,\qquad \varepsilon_s = 4^{-(s+1)}.

    Computed by propagating "a product of clipped values with errors
    :math:`e_x, e_y` has error :math:`\le e_x + e_y + \varepsilon_s`"
    through the construction (:mod:`dnngap.existence.construction`): Chebyshev doubling
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
    Lambda = check_Lambda(Lambda)
    legendre_method = check_choice("legendre_method", legendre_method, LEGENDRE_METHODS)
    leaf = _leaf_constants(Lambda.max(axis=0), legendre_method)
    levels, roots = tree_plan(Lambda)
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
            for stage in chebyshev_stages(n):
                new = {t: 2.0 * (eT[p] + eT[i] + 1.0) + eT[p - i] for t, p, i in stage}
                for t, v in new.items():
                    eT[t] = v
            out.append(legendre_chebyshev_coefficients(n) @ eT)
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
    r"""Depth (number of affine layers) of :func:`~dnngap.existence.emulate_features`, in closed form.

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
    Lambda = check_Lambda(Lambda)
    activation = check_choice("activation", activation, ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, LEGENDRE_METHODS)
    s = check_s(s, activation)
    n = int(Lambda.max())
    R1 = len(chebyshev_stages(n)) if legendre_method == "chebyshev" else max(n - 1, 0)
    support = int((Lambda > 0).sum(axis=1).max())
    R2 = math.ceil(math.log2(support)) if support > 1 else 0
    R = R1 + R2
    if activation == "repu":
        return R + 1
    return (s + 2) * R - (R > 0) + 1
