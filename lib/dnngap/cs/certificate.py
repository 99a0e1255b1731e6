r"""Duality-gap certificates and the stopping rule (private).

Weak duality (module docstring of :mod:`dnngap.cs`): every :math:`p` with
:math:`\|p\|_2 \le 1` and :math:`|(A^\top p)_\nu| \le \lambda u_\nu` gives a
lower bound :math:`\mathcal{D}(p) = -\langle b, p\rangle` on the optimal
value. A dual point produced by any stage is generally a little infeasible;
:func:`dual_value` scales it by the largest :math:`s \le 1` that makes it
feasible. That one rule serves every stage:

* :func:`certify` computes the gap that :class:`dnngap.cs.Solution` reports,
  on A and b themselves, whichever stage (homotopy, PDHG, polish, Clarabel)
  produced the primal--dual pair, so that ``gap`` and ``converged`` mean the
  same thing on every path;
* the stages' own cheaper screens (the homotopy's segment formulas, the
  PDHG iterate on the transformed problem, a polished pair) compute the
  inner products their own way and pass them to :func:`dual_value` and
  :func:`relative_gap`.

All problems here have b scaled to unit norm.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _tuning


def _floor(x, low: float):
    """max(x, low), for floats, numpy arrays and tensors."""
    return x.clamp_min(low) if isinstance(x, torch.Tensor) else np.maximum(x, low)


def _maximum(x, y):
    return torch.maximum(x, y) if isinstance(x, torch.Tensor) else np.maximum(x, y)


def dual_value(b_dot_p, p_norm, constraint_ratio, beta_dual=None):
    r"""Dual value of p scaled into feasibility (scalars, arrays or tensors).

    Parameters
    ----------
    b_dot_p : float, array or tensor
        :math:`\langle b, p\rangle` (or :math:`\langle c, q\rangle` on a
        transformed problem).
    p_norm : same type
        :math:`\|p\|_2` in the norm of the dual ball (:math:`\|\Sigma^{-1}q\|`
        on the general form).
    constraint_ratio : same type
        :math:`\max_\nu |(A^\top p)_\nu| / (\lambda u_\nu)`.
    beta_dual : same type, optional
        For problems :math:`\min \lambda\|z\|_{1,u} + (\|Mz-g\|^2 +
        \beta^2)^{1/2}`: the dual of the extra coordinate, at its best value
        :math:`(1 - \|sp\|^2)^{1/2}`, adds
        :math:`\beta (1 - \|sp\|^2)^{1/2}`.

    Returns
    -------
    float, array or tensor
        :math:`\mathcal{D}(sp) = -s\langle b, p\rangle\ [+\ \beta(1 - s^2\|p\|^2)^{1/2}]`
        with :math:`s = \min(1, 1/\max(\|p\|, \text{ratio}))`, the largest
        :math:`s \le 1` that makes :math:`sp` feasible.

    Examples
    --------
    :math:`\|p\| = 2` is the binding constraint, so s = 1/2:

    >>> float(dual_value(-1.0, 2.0, 0.5))
    0.5
    >>> dual_value(np.array([-1.0, -1.0]), np.array([0.5, 0.5]), np.array([0.25, 4.0]))
    array([1.  , 0.25])
    """
    s = 1.0 / _floor(_maximum(p_norm, constraint_ratio), _tuning.TINY)
    s = s.clamp(max=1.0) if isinstance(s, torch.Tensor) else np.minimum(1.0, s)
    dual = -s * b_dot_p
    if beta_dual is not None:
        slack = _floor(1.0 - (s * p_norm) ** 2, 0.0)
        dual = dual + beta_dual * (slack.sqrt() if isinstance(slack, torch.Tensor) else np.sqrt(slack))
    return dual


def relative_gap(primal, dual):
    r""":math:`(\mathcal{P} - \mathcal{D}) / \mathcal{P}` (guarded against :math:`\mathcal{P} = 0`).

    Examples
    --------
    >>> float(relative_gap(2.0, 1.5))
    0.25
    >>> float(relative_gap(0.0, 0.0))      # P = D = 0: no division by zero
    0.0
    """
    return (primal - dual) / _floor(primal, _tuning.TINY)


def certify(A: np.ndarray, b: np.ndarray, thr: np.ndarray, z: np.ndarray, p: np.ndarray):
    r"""Certified relative gaps and primal values of pairs (z, p), batched, on A and b.

    Parameters
    ----------
    A : numpy.ndarray, shape (T, m, N)
    b : numpy.ndarray, shape (T, m)
        Scaled to unit norm.
    thr : numpy.ndarray, shape (N,)
        :math:`\lambda u`.
    z : numpy.ndarray, shape (T, N)
    p : numpy.ndarray, shape (T, m)
        Dual points, scaled into feasibility here (:func:`dual_value`).

    Returns
    -------
    gap, primal : numpy.ndarray, shape (T,)
        :math:`(\mathcal{P}(z) - \mathcal{D}(sp)) / \mathcal{P}(z)` and
        :math:`\mathcal{P}(z)`, everything computed from A and b themselves.

    Examples
    --------
    A = I, b = e_1, λu = (1/2, 1/2): z = b is optimal with value 1/2, and
    p = -b (scaled by 1/2 into feasibility) proves it; z = 0 is off by half.

    >>> A, b, thr = np.eye(2)[None], np.array([[1.0, 0.0]]), np.array([0.5, 0.5])
    >>> p = np.array([[-1.0, 0.0]])
    >>> certify(A, b, thr, np.array([[1.0, 0.0]]), p)
    (array([0.]), array([0.5]))
    >>> certify(A, b, thr, np.zeros((1, 2)), p)
    (array([0.5]), array([1.]))
    """
    primal = np.abs(z) @ thr + np.linalg.norm(np.einsum("tmn,tn->tm", A, z) - b, axis=1)
    ratio = np.max(np.abs(np.einsum("tmn,tm->tn", A, p)) / thr, axis=1)
    dual = dual_value(np.einsum("tm,tm->t", b, p), np.linalg.norm(p, axis=1), ratio)
    return relative_gap(primal, dual), primal


def certify_pair(M, g, beta, beta_dual, thr, z, p):
    r"""Relative gap and primal value of (z, p) on a problem of the polish (one trial, torch).

    The problem is :math:`\min_z \lambda\|z\|_{1,u} + \|(Mz - g, \beta)\|_2`
    (``M`` r x N): A and b themselves, or a rotated form with the same
    objective (:func:`dnngap.cs.polish.polish`); ``beta_dual``: see
    :class:`dnngap.cs.pdhg.Orthonormalised`. Returns two floats.

    Examples
    --------
    The pair of :func:`certify`'s example, as tensors, with beta = 0:

    >>> t = lambda *v: torch.tensor(v, dtype=torch.float64)
    >>> M = torch.eye(2, dtype=torch.float64)
    >>> certify_pair(M, t(1.0, 0.0), 0.0, None, t(0.5, 0.5), t(1.0, 0.0), t(-0.5, 0.0))
    (0.0, 0.5)
    """
    primal = (thr * z.abs()).sum() + torch.sqrt((M @ z - g).square().sum() + beta**2)
    ratio = ((M.T @ p).abs() / thr).max()
    dual = dual_value(g @ p, torch.sqrt(p @ p), ratio, beta_dual)
    return float(relative_gap(primal, dual)), float(primal)


def accepted(gap, primal, tol: float):
    """The stopping rule: relative gap <= tol, or absolute gap <= the rounding
    floor (the problem scaled to ||b|| = 1). Works on scalars and arrays.

    Examples
    --------
    The third pair fails the relative test but its absolute gap is negligible:

    >>> accepted(np.array([1e-8, 1e-3, 1e-3]), np.array([1.0, 1.0, 1e-20]), 1e-7)
    array([ True, False,  True])
    """
    return (gap <= tol) | (gap * primal <= _tuning.GAP_FLOOR)
