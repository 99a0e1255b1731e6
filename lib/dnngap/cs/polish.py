r"""Polish of a PDHG iterate to an exact vertex, with its certificate (private).

If the data can be interpolated, the primal simplex method on the weighted
basis pursuit (:func:`_simplex`); otherwise, or if that vertex is not
certified, the closed-form KKT solution on the iterate's support
(:func:`_support_solve`). See :func:`polish`.
"""

from __future__ import annotations

import math

import torch

from . import _tuning
from .certificate import accepted, certify_pair


def polish(M, g, beta, beta_dual, thr, zp, p0, tol, saved=None, *, simplex=True):
    """Exact solution near the PDHG iterate, with a dual certificate (one trial).

    Works on a problem :math:`\\min_z \\lambda\\|z\\|_{1,u} +
    \\|(Mz - g, \\beta)\\|_2` (r x N) with the same objective as the original
    one: A, b themselves (interpolation form) or the rotated M = Sigma K,
    g = Sigma c (general form); ``p0`` is the PDHG dual as a point of
    R^r. If the data can be interpolated (beta = 0, and ``simplex``) first the
    weighted basis pursuit :func:`_simplex` started from ``zp``; if that
    reaches LP optimality without certificate (λ too large to interpolate),
    or if beta > 0, :func:`_support_solve` on the support of ``zp``.
    ``saved``: (basis, objective) where the previous simplex attempt ran
    out of pivots (see :func:`_simplex`). Returns ((z, certified gap, dual
    point p of the accepted pair) or None, the (basis, objective) to keep for next time or None,
    whether the simplex found the basis pursuit optimal but uncertified and
    the support solve failed too: then the minimiser does not interpolate).

    Examples
    --------
    M = I, g = e_1, λu = (1/2, 1/2): from a rough iterate the simplex finds
    the exact vertex z = e_1 with a zero certified gap.

    >>> t = lambda *v: torch.tensor(v, dtype=torch.float64)
    >>> M, zero = torch.eye(2, dtype=torch.float64), t(0.0)
    >>> (z, gap, p), saved, no_interpolation = polish(
    ...     M, t(1.0, 0.0), zero, zero, t(0.5, 0.5), t(0.9, 0.01), t(-0.4, 0.0), 1e-7)
    >>> z.tolist(), gap, saved, no_interpolation
    ([1.0, 0.0], 0.0, None, False)
    """
    last_dual = []

    def certified(z, p):  # (relative gap, accepted by the stopping rule)
        gap, primal = certify_pair(M, g, beta, beta_dual, thr, z, p)
        last_dual.append(p)
        return gap, bool(accepted(gap, primal, tol))

    def with_dual(result):  # the accepted pair is the last one certified
        return None if result is None else (*result, last_dual[-1])

    lp_optimal = False
    if simplex and float(beta) <= _tuning.BETA_INTERPOLATION:
        result, last, lp_optimal = _simplex(M, g, thr, zp, p0, certified, tol, saved)
        if result is not None or last is not None:
            return with_dual(result), last, False
    result = _support_solve(M, g, beta, thr, zp, p0, certified, tol)
    return with_dual(result), None, lp_optimal and result is None


def _support_solve(M, g, beta, thr, zp, p0, certified, tol):
    """KKT solve on the support S of ``zp`` with the signs s of ``zp``.

    For fixed S and s the square-root LASSO's KKT conditions have the
    closed-form solution

        z_S = z_LS - ||r|| G^{-1} w,   ||r||^2 = (||r_LS||^2 + beta^2) / (1 - kappa),

    G = M_S^T M_S, w = lam u_S s, kappa = w^T G^{-1} w, with z_LS, r_LS the
    least-squares solution and residual on S. Indices whose sign flips are
    dropped and the solve repeated (at most ``_tuning.POLISH_ROUNDS`` times). Dual
    candidates: the residual direction r/||r|| (the dual when r != 0) and
    the PDHG dual projected onto {M_S^T p = -w}. Returns (z, gap) if one
    pair is certified to ``tol``, else None.
    """
    r_rows = M.shape[0]
    S = torch.nonzero(zp).flatten()
    if S.numel() == 0 or S.numel() > r_rows:
        return None
    signs = torch.sign(zp[S])
    M_S = M[:, S]
    G = M_S.T @ M_S
    for _ in range(_tuning.POLISH_ROUNDS):
        L, info = torch.linalg.cholesky_ex(G)
        if int(info) != 0:
            return None
        w = thr[S] * signs
        z_ls = torch.cholesky_solve((M_S.T @ g)[:, None], L)[:, 0]
        r_ls = M_S @ z_ls - g
        Gw = torch.cholesky_solve(w[:, None], L)[:, 0]
        kappa = float(w @ Gw)
        if not kappa < 1.0:
            return None
        zS = z_ls - torch.sqrt((r_ls @ r_ls + beta**2) / (1.0 - kappa)) * Gw
        agree = torch.sign(zS) == signs
        if bool(agree.all()):
            break
        keep = torch.nonzero(agree).flatten()
        if keep.numel() == 0:
            return None
        S, signs, M_S, G = S[keep], signs[keep], M_S[:, keep], G[keep][:, keep]
    else:
        return None
    z = torch.zeros_like(zp)
    z[S] = zS
    resid = M_S @ zS - g
    res_norm = torch.sqrt(resid @ resid + beta**2)
    candidates = [p0 - M_S @ torch.cholesky_solve((M_S.T @ p0 + w)[:, None], L)[:, 0]]
    if float(res_norm) > 0.0:
        candidates.append(resid / res_norm)
    for p in candidates:
        gap, accepted = certified(z, p)
        if accepted:
            return z, gap
    return None


def _simplex(M, g, thr, zp, p0, certified, tol, saved=None):
    """Weighted basis pursuit min sum_j thr_j |z_j| s.t. M z = g by primal simplex.

    M is r x N with full row rank. When the square-root LASSO minimiser
    interpolates the data (small lam, m <= N) it solves this LP, and an
    optimal LP dual p with ||p|| <= 1 certifies it for the square-root LASSO
    too (the certified gap decides).

    Start: the r largest entries of the PDHG output ``zp``, completed by the
    columns whose dual constraints |M_j^T p0| <= thr_j are closest to active;
    any basis is a feasible vertex once each basic variable takes the sign
    of its value. ``saved = (basis, objective)``, where an earlier attempt
    ran out of pivots, replaces that start if its objective is not larger
    (the objective never increases along the pivots, so the work is kept
    while the PDHG iterate has not moved to a better vertex). Pivot: the most
    violated dual constraint |M_j^T p| / thr_j - 1 (Dantzig's rule) enters;
    *long-step* ratio test: along the step the objective is convex piecewise
    linear, with a kink where a basic variable crosses zero, so the step goes
    on through the kinks while the slope stays negative; the variable at the
    kink where it turns non-negative leaves and those crossed before change
    sign (as in Barrodale and Roberts' simplex for l1 problems; several
    times fewer pivots than stopping at the first kink). Rank-one updates
    of the basis inverse, and of the dual p when no sign changed (else p is
    solved afresh); both recomputed every ``_tuning.SIMPLEX_REFACTOR`` pivots.
    Returns ``(result, saved, lp_optimal)``: ((z, gap), None, False) once
    the certified gap is accepted; (None, (basis, objective), False) after
    ``_tuning.SIMPLEX_PIVOTS`` pivots; (None, None, True) at LP optimality without
    certificate (||p|| > 1; also near optimality, max excess <= 2 tol, with
    ||p|| > 1 + 1e-3); (None, None, False) on a singular basis.
    """
    r, N = M.shape
    order = torch.argsort(zp.abs(), descending=True)
    basis = order[: min(int((zp != 0).sum()), r)]
    if basis.numel() < r:
        closeness = (M.T @ p0).abs() / thr
        closeness[basis] = -math.inf
        extra = torch.argsort(closeness, descending=True)[: r - basis.numel()]
        basis = torch.cat([basis, extra])
    Binv = None  # the inverse of M[:, basis], once computed
    if saved is not None:
        Binv, info = torch.linalg.inv_ex(M[:, basis])
        fresh = float((thr[basis] * (Binv @ g).abs()).sum()) if int(info) == 0 else math.inf
        if saved[1] <= fresh:
            basis, Binv = saved[0].clone(), None
    for pivot in range(_tuning.SIMPLEX_PIVOTS + 1):
        if pivot % _tuning.SIMPLEX_REFACTOR == 0:
            if pivot > 0 or Binv is None:
                Binv, info = torch.linalg.inv_ex(M[:, basis])
            if int(info) != 0:
                return None, None, False
            zB = Binv @ g
            signs = torch.where(zB < 0, -1.0, 1.0).to(zB.dtype)
            p = -(Binv.T @ (thr[basis] * signs))
        Mtp = M.T @ p
        excess = Mtp.abs() / thr - 1.0
        excess[basis] = -math.inf
        j = int(torch.argmax(excess))
        worst = float(excess[j])
        # the certified gap is about max(excess) / (1 + max(excess)) or more
        if worst <= 2.0 * tol:
            z = torch.zeros_like(zp)
            z[basis] = zB
            gap, accepted = certified(z, p)
            if accepted:
                return (z, gap), None, False
            if worst <= 0.0 or float(p.norm()) > 1.0 + _tuning.DUAL_OUTSIDE:
                return None, None, True  # LP (nearly) optimal, not certified: ||p|| > 1
        if pivot == _tuning.SIMPLEX_PIVOTS:
            return None, (basis, float((thr[basis] * zB.abs()).sum())), False
        Mtp_j = Mtp[j]
        direction = -torch.sign(Mtp_j)  # z_j enters with this sign
        dB = Binv @ M[:, j]
        rates = signs * direction * dB  # decrease of |z_i| per unit step
        positive = rates > 1e-12 * dB.abs().max()
        if not bool(positive.any()):
            return None, None, False
        # long-step ratio test: along the step t the objective is convex
        # piecewise linear, with slope thr_j - |M_j^T p| < 0 at t = 0, rising
        # by 2 thr_i rates_i where basic z_i crosses zero; step to the
        # breakpoint where the slope turns >= 0 (that z_i leaves), the basic
        # variables crossing zero before it change sign and stay
        steps = torch.where(positive, zB.abs() / rates.clamp_min(1e-300), torch.full_like(zB, math.inf))
        crossing = torch.argsort(steps)[: int(positive.sum())]
        slope = (thr[j] - Mtp_j.abs()) + torch.cumsum(2.0 * thr[basis][crossing] * rates[crossing], 0)
        turned = torch.nonzero(slope >= 0)
        k = int(turned[0]) if turned.numel() else crossing.numel() - 1
        leave, flipped = int(crossing[k]), crossing[:k]
        step = steps[leave]
        rho = Binv[leave].clone()
        zB -= (step * direction) * dB
        zB[leave] = step * direction
        signs[flipped] = -signs[flipped]
        signs[leave] = direction
        # product-form update of the inverse for column `leave` <- M[:, j]
        pivot_row = rho / dB[leave]
        Binv.addr_(dB, pivot_row, alpha=-1.0)
        Binv[leave] = pivot_row
        basis[leave] = j
        if k == 0:  # dual: p + delta rho keeps M_i^T p for i != leave, makes M_j^T p = -thr_j direction
            p = p - ((direction * thr[j] + Mtp_j) / dB[leave]) * rho
        else:  # signs changed: solve B^T p = -thr_B signs afresh
            p = -(Binv.T @ (thr[basis] * signs))
    raise AssertionError("unreachable: the last pivot returns")
