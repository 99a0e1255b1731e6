r"""Stage 1 of ``method="primal_dual"``: the LASSO homotopy, one trial at a time (private).

Follows the exact solution path of the LASSO down to the square-root LASSO
minimiser, or to a least-squares fit that certifies it in the interpolation
regime; gives up early when the solution is dense and the path expensive.
See :func:`homotopy` and the book's page *How the CS solver works*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular

from . import _tuning
from .certificate import dual_value


@dataclass(frozen=True)
class HomotopyResult:
    """Outcome of :func:`homotopy` on one trial (b scaled to unit norm).

    Examples
    --------
    With every threshold above :math:`|A^\top b|` the path never leaves
    z = 0, which p = -b certifies at once:

    >>> A, b = np.eye(2), np.array([0.6, 0.8])
    >>> homotopy(A, b, np.array([2.0, 2.0]), 1e-7, 100)
    HomotopyResult(z=array([0., 0.]), gap=0.0, steps=0, p=array([-0.6, -0.8]))
    """

    z: np.ndarray | None  # (N,) certified solution, None if the homotopy gave up
    gap: float  # relative gap of z by the segment formulas (best one seen if z is None)
    steps: int  # breakpoints followed
    p: np.ndarray | None = None  # (m,) the dual point of the certificate (with z)


def homotopy(A: np.ndarray, b: np.ndarray, thr: np.ndarray, tol: float, max_steps: int):
    """Square-root LASSO by the LASSO homotopy, with a certificate (one trial).

    With b scaled to unit norm, follow the solution path of the LASSO
    :math:`\\min_z \\tfrac12\\|Az-b\\|^2 + t\\sum_\\nu \\mathrm{thr}_\\nu|z_\\nu|`
    from :math:`t = \\max_\\nu |A_\\nu^\\top b|/\\mathrm{thr}_\\nu` (where z = 0)
    downwards. Between breakpoints the support S and signs s are fixed and

    .. math::
        z_S(t) = a - t v,\\quad a = G^{-1}A_S^\\top b,\\quad
        v = G^{-1}(\\mathrm{thr}_S s),\\quad G = A_S^\\top A_S,

    with residual :math:`r(t) = r_0 - t e`, :math:`r_0 = A_S a - b \\perp
    \\mathrm{range}(A_S)`, :math:`e = A_S v`; a coefficient enters when
    :math:`|A_\\nu^\\top r(t)| = t\\,\\mathrm{thr}_\\nu` and leaves when it
    reaches zero. The KKT conditions make :math:`p(t) = r(t)/t` dual feasible
    (:math:`|A^\\top p| \\le \\mathrm{thr}`) with
    :math:`A_S^\\top p = -\\mathrm{thr}_S s`. Two ways to finish:

    * the square-root LASSO minimiser is the LASSO minimiser at the t with
      :math:`t = \\|r(t)\\|`, i.e. :math:`t^2(1 - \\|e\\|^2) = \\|r_0\\|^2`
      on the current segment; then z(t), p(t) is an exact primal--dual pair;
    * in the interpolation regime that t does not exist (the residual
      vanishes with t). There, z = a (least squares on S) with
      :math:`p(\\tau) = r_0/\\tau - e` for τ in the segment has gap
      :math:`\\|r_0\\|(1 - \\|r_0\\|/\\tau)`: it certifies as soon as S fits the
      data to within ``tol`` of the objective, after about |S| steps. (The dual
      r(t)/t of the LASSO itself would not: dividing a residual at rounding
      level by a small t amplifies its rounding errors.)

    Each candidate pair is screened with its gap computed from the segment's
    inner products (p scaled into feasibility by
    :func:`dnngap.cs.certificate.dual_value`, as every certificate is); the
    returned pair ``(z, p)`` is certified on A and b by the caller
    (:func:`dnngap.cs.certificate.certify`). Numerics: G
    by an updated Cholesky factor (refactorised when a column leaves), a
    one-step refinement of a, and :math:`r_0` projected twice onto
    :math:`\\mathrm{range}(A_S)^\\perp` so that :math:`A_S^\\top p` is exact to
    rounding relative to p. Gives up (``z=None``) after ``max_steps`` steps;
    when the whole path (to a support of min(m, N) columns) would cost more
    than ``HOMOTOPY_WORK`` = 5e8 flops (:mod:`dnngap.cs._tuning`) and either the
    best gap is still above 0.4 after 12 breakpoints or above 0.1 after 20
    (``PROBES``) or the
    work exceeds a tenth of an estimate of
    the PDHG stage's, :math:`3 m k N + 2400 k N` flops, k = min(m, N);
    ten times more once the support is ill-conditioned (a squared Cholesky
    pivot below 0.1 of its column's squared norm, typical in d = 1: the PDHG
    stage's simplex polish struggles on such problems, while the homotopy
    only ever factors the support); when the best gap has not fallen
    10-fold over the last 50 steps after that budget; or when a new column
    is numerically dependent on S.

    Examples
    --------
    Five samples, eight unknowns, small λ: the minimiser interpolates the
    data and the least-squares fit on a support of five columns certifies it.

    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5, 8)) / np.sqrt(5)
    >>> b = rng.standard_normal(5)
    >>> b /= np.linalg.norm(b)
    >>> result = homotopy(A, b, np.full(8, 1e-4), 1e-7, 100)
    >>> int(np.count_nonzero(result.z)), bool(result.gap <= 1e-7), float(np.linalg.norm(A @ result.z - b)) < 1e-10
    (5, True, True)

    Out of steps before a certificate: ``z`` is None, ``gap`` the best seen.

    >>> result = homotopy(A, b, np.full(8, 1e-4), 1e-7, 3)
    >>> result.z is None, result.steps, bool(result.gap > 0.5)
    (True, 3, True)
    """
    r, N = A.shape
    Atb = A.T @ b
    rho0 = math.sqrt(b @ b)
    ratio = np.abs(Atb) / thr
    j = int(np.argmax(ratio))
    t = float(ratio[j])
    if t <= rho0:  # z = 0 is optimal, certified by p = -b / rho0
        return HomotopyResult(z=np.zeros(N), gap=0.0, steps=0, p=-b / rho0)
    kmax = min(r, N)
    # flops of the whole path if the support has to grow to kmax (a dense
    # solution): about 2 kmax breakpoints of 2 r N + 12 r k flops each
    full_path = 4.0 * r * N * kmax + 12.0 * r * kmax * kmax
    # flops of the PDHG stage, roughly: its set-up (a Gram matrix and its
    # factorisation) and some 600 iterations, two products with a kmax x N matrix each
    pdhg_work = 3.0 * r * kmax * N + 2400.0 * kmax * N
    support = _Support(A, kmax, j, np.sign(Atb[j]))
    blocked = -1  # the coefficient that just left may not re-enter at once
    history = []  # best certified relative gap after each step
    best = math.inf
    work = 0.0  # flops spent, roughly
    for step in range(1, max_steps + 1):
        k, Sk = support.k, support.S[: support.k]
        seg = _segment(A, b, thr, Atb, support)
        j_in, k_out, t_in, t_zero, t_next = _next_breakpoint(seg, thr, t, support, blocked)
        found, best = _certify_segment(seg, b, thr, Sk, t, t_next, tol, best)
        if found is not None:
            z = np.zeros(N)
            z[Sk] = found[0]
            return HomotopyResult(z=z, gap=found[1], steps=step, p=found[2])
        history.append(best)
        work += 2.0 * r * N + 12.0 * r * k + 4.0 * k * k
        if t_next <= 0.0 or _give_up(step, best, history, work, full_path, pdhg_work, support.min_pivot):
            break
        t = t_next
        if t_zero[k_out] >= t_in[j_in]:  # drop the coefficient that reached zero
            blocked = int(support.S[k_out])
            work += (k - 1) ** 3 / 3.0
            if not support.drop(k_out):
                break
        else:  # add the entering column
            sign = -np.sign(seg.alpha[j_in] - t * seg.gamma[j_in])
            if k == kmax or not support.add(j_in, sign):
                break
            blocked = -1
    return HomotopyResult(z=None, gap=best, steps=step)


class _Support:
    """Support S, signs s, columns A_S, Gram matrix G and its Cholesky factor L."""

    def __init__(self, A: np.ndarray, kmax: int, j: int, sign: float):
        r, N = A.shape
        self.A = A
        self.S = np.empty(kmax, dtype=np.int64)
        self.s = np.empty(kmax)
        self.AS = np.empty((r, kmax))
        self.G = np.empty((kmax, kmax))  # Gram matrix of the support
        self.L = np.zeros((kmax, kmax))  # its Cholesky factor
        self.S[0], self.s[0], self.AS[:, 0] = j, sign, A[:, j]
        self.G[0, 0] = A[:, j] @ A[:, j]
        self.L[0, 0] = math.sqrt(self.G[0, 0])
        self.k = 1
        self.in_S = np.zeros(N, dtype=bool)
        self.in_S[j] = True
        self.min_pivot = 1.0  # smallest squared Cholesky pivot / ||M_j||^2 so far

    def drop(self, k_out: int) -> bool:
        """Remove entry ``k_out``; False if the support became empty or singular."""
        k = self.k
        Sk, sk, Ak = self.S[:k], self.s[:k], self.AS[:, :k]
        self.in_S[int(Sk[k_out])] = False
        keep = np.flatnonzero(np.arange(k) != k_out)
        self.G[: k - 1, : k - 1] = self.G[np.ix_(keep, keep)]
        k -= 1
        self.S[:k], self.s[:k], self.AS[:, :k] = Sk[keep], sk[keep], Ak[:, keep]
        self.k = k
        if k == 0:
            return False
        try:
            self.L[:k, :k] = cholesky(self.G[:k, :k], lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return False
        return True

    def add(self, j: int, sign: float) -> bool:
        """Append column ``j`` with ``sign``; False if it is numerically dependent on S."""
        k = self.k
        column = self.A[:, j]
        cross = self.AS[:, :k].T @ column
        ell = solve_triangular(self.L[:k, :k], cross, lower=True, check_finite=False)
        pivot = column @ column - ell @ ell
        if not pivot > _tuning.CHOLESKY_PIVOT * (column @ column):
            return False
        self.min_pivot = min(self.min_pivot, pivot / (column @ column))
        self.S[k], self.s[k], self.AS[:, k] = j, sign, column
        self.G[k, :k], self.G[:k, k], self.G[k, k] = cross, cross, column @ column
        self.L[k, :k], self.L[k, k] = ell, math.sqrt(pivot)
        self.in_S[j] = True
        self.k = k + 1
        return True


@dataclass(frozen=True)
class _Segment:
    """The path on the current support: z_S(t) = a - t v, r(t) = rp - t e, A^T r(t) = alpha - t gamma."""

    a: np.ndarray
    v: np.ndarray
    rp: np.ndarray
    e: np.ndarray
    alpha: np.ndarray
    gamma: np.ndarray
    AS: np.ndarray  # the support's columns
    s: np.ndarray  # their signs


def _segment(A, b, thr, Atb, support: _Support) -> _Segment:
    """Least squares on S (refined) and the path's direction, with A^T of both."""
    k = support.k
    Sk, sk, Ak = support.S[:k], support.s[:k], support.AS[:, :k]
    factor = (support.L[:k, :k], True)

    def orthogonal(x):  # x minus its projection on range(A_S)
        return x - Ak @ cho_solve(factor, Ak.T @ x, check_finite=False)

    a = cho_solve(factor, Atb[Sk], check_finite=False)
    a -= cho_solve(factor, Ak.T @ (Ak @ a - b), check_finite=False)  # refinement
    r0 = Ak @ a - b
    rp = orthogonal(orthogonal(r0))
    v = cho_solve(factor, thr[Sk] * sk, check_finite=False)
    e = Ak @ v
    W = A.T @ np.stack([rp, e], axis=1)
    return _Segment(a=a, v=v, rp=rp, e=e, alpha=W[:, 0], gamma=W[:, 1], AS=Ak, s=sk)


def _next_breakpoint(seg: _Segment, thr, t, support: _Support, blocked: int):
    """The next t where a coefficient enters (j_in) or one reaches zero (k_out)."""
    alpha, gamma = seg.alpha, seg.gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = alpha / (gamma + thr)
        t2 = alpha / (gamma - thr)
    t_in = np.maximum(
        np.where((t1 > 0) & (t1 < t), t1, -np.inf), np.where((t2 > 0) & (t2 < t), t2, -np.inf)
    )
    t_in[np.abs(alpha - t * gamma) >= t * thr] = t  # violated by rounding: enter now
    t_in[support.in_S] = -np.inf
    if blocked >= 0:
        t_in[blocked] = -np.inf
    j_in = int(np.argmax(t_in))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_zero = np.where(seg.s * seg.v < 0, seg.a / seg.v, -np.inf)
    t_zero = np.where(t_zero > 0, np.minimum(t_zero, t), -np.inf)
    k_out = int(np.argmax(t_zero))
    t_next = max(float(t_in[j_in]), float(t_zero[k_out]), 0.0)
    return j_in, k_out, t_in, t_zero, t_next


def _certify_segment(seg: _Segment, b, thr, Sk, t, t_next, tol, best):
    """Screen the segment's candidate pairs (z_S, p = rp / tau - e).

    Returns ((z_S, relative gap, p) of the first pair that meets the stopping
    rule, or None; the best relative gap seen so far).
    """
    a, v, rp, e, Ak = seg.a, seg.v, seg.rp, seg.e, seg.AS
    ee, rr, re, grp, ge = e @ e, rp @ rp, rp @ e, b @ rp, b @ e
    candidates = []
    if ee < 1.0:
        t_sr = math.sqrt(rr / (1.0 - ee))
        if t_sr >= t_next:  # the square-root LASSO solution is on this segment
            t_sr = min(t_sr, t)
            candidates.append((a - t_sr * v, t_sr))
    low = t_next if t_next > 0 else 1e-6 * t
    points = _tuning.CERTIFICATE_POINTS
    taus = t * (low / t) ** ((np.arange(points) + 0.5) / points)
    candidates += [(a, tau) for tau in taus]
    for zS, tau in candidates:
        primal = thr[Sk] @ np.abs(zS) + math.sqrt(np.sum((Ak @ zS - b) ** 2))
        p_norm = math.sqrt(max(rr / tau**2 - 2.0 * re / tau + ee, 0.0))
        excess = float(np.max(np.abs(seg.alpha / tau - seg.gamma) / thr))
        gap_abs = primal - float(dual_value(grp / tau - ge, p_norm, excess))
        best = min(best, gap_abs / primal)
        if gap_abs <= max(tol * primal, _tuning.GAP_FLOOR):
            return (zS, gap_abs / primal, rp / tau - e), best
    return None, best


def _give_up(step, best, history, work, full_path, pdhg_work, min_pivot) -> bool:
    """The homotopy's budget rules (see :func:`homotopy`)."""
    budget = _tuning.HOMOTOPY_WORK * (_tuning.ILL_WORK if min_pivot < _tuning.ILL_PIVOT else 1.0)
    probes_failed = any(step >= n and best > g for n, g in _tuning.PROBES)
    patience = _tuning.HOMOTOPY_PATIENCE
    return (
        full_path > budget and (work > _tuning.HOMOTOPY_SHARE * pdhg_work or probes_failed)
    ) or (
        work > budget and step > patience and best > history[-1 - patience] / _tuning.HOMOTOPY_PROGRESS
    )
