r"""Stage 2 of ``method="primal_dual"``: restarted Halpern PDHG on batches of trials (private).

The trials the homotopy did not certify are iterated together (torch,
float64) on a row-orthonormalised form of the problem: the interpolation
form (:func:`_interpolation_form`, m <= N: the weighted basis pursuit) or the
general form (:func:`_orthonormalise`). Every ``CHECK_EVERY`` iterations the
iterates' gaps are screened and trials whose support settled are polished
(:mod:`dnngap.cs.polish`). See :func:`pd_batch` and the Notes of
:func:`dnngap.cs.solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import _tuning
from .certificate import accepted, dual_value, relative_gap
from .polish import polish


@dataclass(frozen=True)
class _Orthonormalised:
    """Row-orthonormalised form of a batch (see the Notes of `solve`)."""

    K: torch.Tensor  # (B, r, N), orthonormal (or zero) rows
    sigma: torch.Tensor  # (B, r) singular values (1 for dropped rows)
    c: torch.Tensor  # (B, r)
    beta: torch.Tensor  # (B,)
    # beta where the dual bound may use it: the least-squares residual if m > N;
    # 0 if m <= N, where beta > 0 comes from dropped rows U_d whose U_d^T A is
    # small but not 0, so that ||Az - b|| may fall below (||Mz - g||^2 + beta^2)^(1/2)
    beta_dual: torch.Tensor  # (B,)
    # the matrices A and right-hand sides b themselves (for the final certificates)
    A: torch.Tensor  # (B, m, N)
    b: torch.Tensor  # (B, m)
    # interpolation form only (else None): A = L K with L the lower Cholesky factor of A A^T
    L: torch.Tensor | None = None  # (B, m, m)
    # general form with m <= N only (else None): the eigenvectors of A A^T
    # that are kept (dropped columns zero), so that p = U p_M for the rotated M = U^T A
    U: torch.Tensor | None = None  # (B, m, m)


def _gram(A: torch.Tensor, *, rows: bool) -> torch.Tensor:
    """Gram matrices :math:`AA^\\top` (``rows``) or :math:`A^\\top A`, batched.

    Only the lower triangle is guaranteed (the factorisations read nothing
    else): on the CPU in float64 it comes from BLAS ``dsyrk``, which computes
    just that triangle, in half the flops of a matrix product.
    """
    if A.device.type != "cpu" or A.dtype != torch.float64:
        return A @ A.transpose(1, 2) if rows else A.transpose(1, 2) @ A
    from scipy.linalg.blas import dsyrk

    grams = []
    for a in A.numpy():  # a (m, N) row-major is a.T (N, m) column-major
        grams.append(dsyrk(1.0, a.T, trans=1 if rows else 0, lower=1))
    return torch.from_numpy(np.stack(grams))


def _interpolation_form(A: torch.Tensor, b: torch.Tensor) -> _Orthonormalised | None:
    """Row-orthonormalised form for the interpolation regime (m <= N), or None.

    With :math:`AA^\\top = LL^\\top` (Cholesky), :math:`K = L^{-1}A` has
    orthonormal rows and :math:`Az = b \\iff Kz = c = L^{-1}b`. Returns None
    when some trial's :math:`AA^\\top` is not numerically positive definite
    (a squared Cholesky pivot below ``_tuning.CHOLESKY_RCOND`` times the largest
    diagonal entry, e.g. repeated sample points); the general form handles
    those.
    """
    G = _gram(A, rows=True)
    L, info = torch.linalg.cholesky_ex(G)
    if bool((info != 0).any()):
        return None
    pivots = torch.diagonal(L, dim1=1, dim2=2).square().min(1).values
    if not bool((pivots > _tuning.CHOLESKY_RCOND * torch.diagonal(G, dim1=1, dim2=2).max(1).values).all()):
        return None
    K = torch.linalg.solve_triangular(L, A, upper=False)
    c = torch.linalg.solve_triangular(L, b[:, :, None], upper=False)[:, :, 0]
    zeros = torch.zeros(A.shape[0], dtype=A.dtype, device=A.device)
    return _Orthonormalised(
        K=K, sigma=torch.ones_like(c), c=c, beta=zeros, beta_dual=zeros, L=L, A=A, b=b
    )


def _orthonormalise(A: torch.Tensor, b: torch.Tensor) -> _Orthonormalised:
    B, m, N = A.shape
    if m <= N:
        G = _gram(A, rows=True)
        evals, U = torch.linalg.eigh(G)  # ascending
        keep = evals > _tuning.RCOND * evals[:, -1:].clamp_min(0)
        s = torch.where(keep, evals.clamp_min(0).sqrt(), torch.ones_like(evals))
        K = (U.transpose(1, 2) @ A) / s[:, :, None]
        K = K * keep[:, :, None]
        Utb = (U.transpose(1, 2) @ b[:, :, None])[:, :, 0] * keep
        c = Utb / s
        # ||b||^2 - ||U_r^T b||^2 = squared norm of the dropped components
        beta = ((U.transpose(1, 2) @ b[:, :, None])[:, :, 0] * ~keep).norm(dim=1)
        beta_dual = torch.zeros_like(beta)
        U = U * keep[:, None, :]
    else:
        U = None
        G = _gram(A, rows=False)
        evals, V = torch.linalg.eigh(G)
        keep = evals > _tuning.RCOND * evals[:, -1:].clamp_min(0)
        s = torch.where(keep, evals.clamp_min(0).sqrt(), torch.ones_like(evals))
        inv_s2 = torch.where(keep, 1.0 / s**2, torch.zeros_like(s))

        def ls(rhs: torch.Tensor) -> torch.Tensor:  # pseudo-inverse of A^T A on A^T rhs
            w = (rhs[:, None, :] @ A)[:, 0]  # A^T rhs
            w = (w[:, None, :] @ V)[:, 0] * inv_s2
            return (V @ w[:, :, None])[:, :, 0]

        # least squares by the normal equations + two refinement steps, so
        # that the residual norm beta is accurate even when it is tiny
        z_ls = ls(b)
        for _ in range(2):
            r = b - (A @ z_ls[:, :, None])[:, :, 0]
            z_ls = z_ls + ls(r)
        beta = (b - (A @ z_ls[:, :, None])[:, :, 0]).norm(dim=1)
        K = V.transpose(1, 2) * keep[:, :, None]
        c = (z_ls[:, None, :] @ V)[:, 0] * keep
        beta_dual = beta
    return _Orthonormalised(
        K=K.contiguous(), sigma=s, c=c, beta=beta, beta_dual=beta_dual, A=A, b=b, U=U
    )


def _project_ellipsoid(y, yb, s2, mu):
    """Project (y, yb) onto {sum_i y_i^2 / s2_i + yb^2 <= 1}, batched.

    Outside points: x_i = y_i s2_i / (s2_i + mu), x_b = yb / (1 + mu) with
    mu > 0 the root of ||c / (s2 + mu)||^2 = 1, c = (y sqrt(s2), yb); solved
    by Newton's method on 1/||.|| - 1 (the trust-region secular equation,
    monotone from below), warm-started at the previous ``mu``.
    """
    value = (y * y / s2).sum(1) + yb * yb
    outside = value > 1.0
    if not bool(outside.any()):
        return y, yb, torch.zeros_like(mu)
    c2 = y * y * s2
    cb2 = yb * yb
    mu = torch.where(outside, mu, torch.zeros_like(mu))
    # a warm start above the root would break monotonicity: restart those at 0
    phi = (c2 / (s2 + mu[:, None]) ** 2).sum(1) + cb2 / (1 + mu) ** 2
    mu = torch.where(phi < 1.0, torch.zeros_like(mu), mu)
    for _ in range(100):
        den = s2 + mu[:, None]
        phi = (c2 / den**2).sum(1) + cb2 / (1 + mu) ** 2
        dphi = -2.0 * ((c2 / den**3).sum(1) + cb2 / (1 + mu) ** 3)
        g = phi.rsqrt() - 1.0
        dg = -0.5 * phi.pow(-1.5) * dphi
        step = torch.where(outside, g / dg, torch.zeros_like(mu))
        mu = (mu - step).clamp_min(0.0)
        if bool((step.abs() <= 1e-14 * (mu + s2.min(1).values)).all()):
            break
    x = y * s2 / (s2 + mu[:, None])
    xb = yb / (1 + mu)
    return (
        torch.where(outside[:, None], x, y),
        torch.where(outside, xb, yb),
        mu,
    )


def _certified_gap(st: "_State", KTq: torch.Tensor):
    """Relative gaps and primal values of the iterates (batched): the PDHG's screen.

    General form. Primal:
    :math:`\\lambda\\|z\\|_{1,u} + (\\|\\Sigma(Kz - c)\\|^2 + \\beta^2)^{1/2}`.
    Dual: q scaled by the largest s <= 1 keeping |K^T q| <= lam u and
    ||Sigma^{-1} q|| <= 1; then q_beta = (1 - ||s Sigma^{-1} q||^2)^{1/2}, its
    best value: D = -s <c, q> + beta_dual q_beta <= optimum <= primal
    (``beta_dual``: see `_Orthonormalised`).

    Interpolation form: on A and b themselves (two products with A, every
    ``CHECK_EVERY`` iterations), so that no rounding of L or K enters the
    screen: primal :math:`\\lambda\\|z\\|_{1,u} + \\|Az - b\\|`, dual
    point :math:`p = L^{-\\top}q` scaled by the largest s <= 1 keeping
    |A^T s p| <= lam u and ||s p|| <= 1, D = -s <b, p>.
    """
    if st.L is None:
        res = torch.sqrt(((st.sigma * (st.Kz - st.c)) ** 2).sum(1) + st.beta**2)
        dual_norm = torch.sqrt((st.q * st.q / st.sigma2).sum(1))
        rhs, y = st.c, st.q
    else:
        y = _dual_point(st.L, st.q)
        res = ((st.A @ st.z[:, :, None])[:, :, 0] - st.b).norm(dim=1)
        dual_norm = y.norm(dim=1)
        KTq = (y[:, None, :] @ st.A)[:, 0]
        rhs = st.b
    primal = (st.thr * st.z.abs()).sum(1) + res
    ratio = (KTq.abs() / st.thr).max(1).values
    dual = dual_value((rhs * y).sum(1), dual_norm, ratio, st.beta_dual)
    return relative_gap(primal, dual), primal


def _dual_point(L: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """:math:`p = L^{-\\top} q` (batched), the dual point of the interpolation form."""
    return torch.linalg.solve_triangular(L.transpose(-1, -2), q[..., None], upper=True)[..., 0]


class _State:
    """Working state of the trials of a batch that are still running.

    Row j of every tensor belongs to trial ``ids[j]`` of the batch.
    """

    tensors = (
        "K", "sigma", "sigma2", "c", "beta", "beta_dual", "thr", "z", "q", "qb", "Kz", "zp",
        "z0", "q0", "qb0", "Kz0", "z_last", "q_last", "omega", "tau", "sig", "tthr",
        "k", "res0", "res_prev", "mu", "support_prev", "A", "b", "L", "U",
    )  # fmt: skip
    arrays = ("ids", "next_polish", "backoff", "saved", "p_polish")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)

    def keep(self, mask: np.ndarray) -> None:
        index = torch.as_tensor(np.flatnonzero(mask), device=self.z.device)
        for name in self.tensors:
            value = getattr(self, name)
            if value is not None:  # L, U: one form only
                setattr(self, name, value[index])
        for name in self.arrays:
            setattr(self, name, getattr(self, name)[mask])

    def set_steps(self) -> None:
        self.tau = (_tuning.ETA / self.omega)[:, None]
        self.sig = (_tuning.ETA * self.omega)[:, None]
        self.tthr = self.tau * self.thr


def pd_batch(A_np, b_np, weights, lam, tol, max_iter, device, interpolate):
    """Restarted reflected Halpern PDHG with polishing on one batch of trials.

    ``interpolate``: try the interpolation form (:func:`_interpolation_form`,
    m <= N), where the iteration solves the weighted basis pursuit; the general
    form (:func:`_orthonormalise`) is used if it is False or not applicable.
    Returns numpy arrays z (B, N), iterations (B,), the dual point p (B, m)
    of each trial's final certificate, for b scaled to unit norm and in the
    coordinates of A and b (:func:`_original_dual`; :func:`dnngap.cs.solve`
    certifies the pair on A and b with :func:`dnngap.cs.certificate.certify`), and ``handoff``
    (B,): trials stopped because the data cannot be interpolated at this λ
    (the basis pursuit's optimal dual has norm > 1), to be solved again in
    the general form. Every trial must have b != 0.

    Examples
    --------
    Two trials, 5 samples, 8 unknowns; the pairs returned certify on A and b:

    >>> from dnngap.cs.certificate import certify
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((2, 5, 8)) / np.sqrt(5), rng.standard_normal((2, 5))
    >>> z, iters, p, handoff = pd_batch(A, b, np.ones(8), 1e-4, 1e-7, 10_000, "cpu", True)
    >>> scale = np.linalg.norm(b, axis=1, keepdims=True)
    >>> gap, _ = certify(A, b / scale, np.full(8, 1e-4), z / scale, p)
    >>> z.shape, handoff.tolist(), bool(np.all(gap <= 1e-7))
    ((2, 8), [False, False], True)

    At λ = 1 the minimiser does not interpolate: both trials are handed off.

    >>> pd_batch(A, b, np.ones(8), 1.0, 1e-7, 10_000, "cpu", True)[3].tolist()
    [True, True]
    """
    dtype = torch.float64
    B, m, N = A_np.shape
    out_z = np.zeros((B, N))
    out_iters = np.zeros(B, dtype=np.int64)
    out_p = np.zeros((B, m))
    out_handoff = np.zeros(B, dtype=bool)
    b_norm = np.linalg.norm(b_np, axis=1)
    A = torch.as_tensor(A_np, dtype=dtype, device=device)
    bs = torch.as_tensor(b_np / b_norm[:, None], dtype=dtype, device=device)
    pre = _interpolation_form(A, bs) if interpolate and m <= N else None
    if pre is None:
        pre = _orthonormalise(A, bs)
    r = pre.K.shape[1]

    def zeros(*shape):
        return torch.zeros(*shape, dtype=dtype, device=device)

    thr = (lam * torch.as_tensor(weights, dtype=dtype, device=device))[None, :].repeat(B, 1)
    st = _State(
        K=pre.K, sigma=pre.sigma, sigma2=pre.sigma**2, c=pre.c, beta=pre.beta,
        beta_dual=pre.beta_dual, thr=thr, z=zeros(B, N), q=zeros(B, r), qb=zeros(B),
        Kz=zeros(B, r),
        zp=zeros(B, N), z0=zeros(B, N), q0=zeros(B, r), qb0=zeros(B),
        Kz0=zeros(B, r), z_last=zeros(B, N), q_last=zeros(B, r),
        omega=torch.full((B,), _tuning.OMEGA0, dtype=dtype, device=device),
        tau=None, sig=None, tthr=None, k=zeros(B),
        res0=torch.full((B,), math.inf, dtype=dtype, device=device),
        res_prev=torch.full((B,), math.inf, dtype=dtype, device=device),
        mu=zeros(B), support_prev=torch.zeros(B, N, dtype=torch.bool, device=device),
        A=pre.A, b=pre.b, L=pre.L, U=pre.U,
        ids=np.arange(B), next_polish=np.zeros(B, dtype=np.int64),
        backoff=np.full(B, _tuning.POLISH_BACKOFF, dtype=np.int64),
        saved=np.full(B, None, dtype=object), p_polish=np.full(B, None, dtype=object),
    )  # fmt: skip
    del pre
    st.set_steps()
    it = 0
    while True:
        KTq = (st.q[:, None, :] @ st.K)[:, 0]
        if it % _tuning.CHECK_EVERY == 0 or it >= max_iter:
            done, handoff = _check_and_polish(st, KTq, it, tol)
            finished = done | handoff | (it >= max_iter)
            if finished.any():
                ids = st.ids[finished]
                out_z[ids] = st.z[torch.as_tensor(finished, device=device)].cpu().numpy()
                out_p[ids] = np.stack([_original_dual(st, j) for j in np.flatnonzero(finished)])
                out_iters[ids] = it
                out_handoff[ids] = handoff[finished]
                if finished.all():
                    break
                st.keep(~finished)
                KTq = (st.q[:, None, :] @ st.K)[:, 0]
        # PDHG step (z+, q+) = T(z, q)
        v = torch.addcmul(st.z, st.tau, KTq, value=-1.0)
        zp = v - torch.clamp(v, -st.tthr, st.tthr)  # soft thresholding
        Kzp = (zp[:, None, :] @ st.K.transpose(1, 2))[:, 0]
        yq = torch.addcmul(st.q, st.sig, (Kzp + Kzp).sub_(st.Kz).sub_(st.c))
        if st.L is None:
            yb = st.qb + st.sig[:, 0] * st.beta
            qp, qbp, st.mu = _project_ellipsoid(yq, yb, st.sigma2, st.mu)
        else:  # basis pursuit: the dual variable is free
            qp, qbp = yq, st.qb
        restart = _restart_due(st, zp, qp, qbp, Kzp, it)
        # reflected Halpern step w <- (k+1)/(k+2) (2 T(w) - w) + 1/(k+2) w0
        weight = ((st.k + 1) / (st.k + 2))[:, None]
        st.z = torch.lerp(st.z0, (zp + zp).sub_(st.z), weight)
        st.q = torch.lerp(st.q0, (qp + qp).sub_(st.q), weight)
        st.Kz = torch.lerp(st.Kz0, (Kzp + Kzp).sub_(st.Kz), weight)
        st.qb = torch.lerp(st.qb0, 2 * qbp - st.qb, weight[:, 0])
        st.zp = zp
        st.k += 1
        if bool(restart.any()):
            _restart(st, restart, zp, qp, qbp, Kzp)
        it += 1
    out_z *= b_norm[:, None]
    return out_z, out_iters, out_p, out_handoff


def _original_dual(st: "_State", j: int) -> np.ndarray:
    """Dual point of trial j's certificate in the coordinates of A and b (b scaled to unit norm).

    The polished pair's dual (polished on A and b themselves, except in the
    general form with m <= N), else the iterate's: :math:`p_M = \\Sigma^{-1}q`
    (general form) or :math:`L^{-\\top}q` (interpolation form, already in
    those coordinates). The rotated problem of the general form has
    :math:`M = U^\\top A` for m <= N, so :math:`p = Up_M`; for m > N,
    :math:`M = \\Sigma V^\\top` and :math:`Az - b = U_A(Mz - g) - r` with
    :math:`U_A = AV\\Sigma^{-1}` and the least-squares residual
    :math:`r \\perp \\mathrm{range}(A)`, :math:`\\|r\\| = \\beta`, so
    :math:`p = U_A p_M - (1 - \\|p_M\\|^2)_+^{1/2}\\, r/\\beta`.
    """
    polished = st.p_polish[j]  # on A, b, except in the general form with m <= N
    if polished is not None:
        p = polished if st.U is None else st.U[j] @ polished
    elif st.L is not None:
        p = _dual_point(st.L[j], st.q[j])
    else:
        p_M = st.q[j] / st.sigma[j]
        if st.U is not None:
            p = st.U[j] @ p_M
        else:
            A, K = st.A[j], st.K[j]
            p = A @ (K.T @ (p_M / st.sigma[j]))
            if float(st.beta[j]) > 0.0:
                # r / ||r||: the residual b - A z_ls is exact only to rounding
                # relative to b, so A^T r / ||r|| would not be small when ||r||
                # is; projecting it twice more onto range(A)^perp (with the
                # pseudo-inverse K^T diag(1/sigma^2) K A^T) makes A^T r small
                # relative to ||r|| itself
                residual = st.b[j] - A @ (K.T @ st.c[j])
                for _ in range(2):
                    residual = residual - A @ (K.T @ ((K @ (A.T @ residual)) / st.sigma2[j]))
                q_beta = math.sqrt(max(1.0 - float(p_M @ p_M), 0.0))
                p = p - q_beta / residual.norm().clamp_min(_tuning.TINY) * residual
    return p.cpu().numpy()


def _restart_due(st, zp, qp, qbp, Kzp, it):
    """Adaptive restart test on the fixed-point residual ||w - T(w)||_P."""
    dz, dq, dqb, dKz = st.z - zp, st.q - qp, st.qb - qbp, st.Kz - Kzp
    res = (
        (dz * dz).sum(1) / st.tau[:, 0]
        + ((dq * dq).sum(1) + dqb * dqb) / st.sig[:, 0]
        - 2.0 * (dKz * dq).sum(1)
    ).clamp_min(0.0).sqrt()
    first = torch.isinf(st.res0)
    st.res0 = torch.where(first, res, st.res0)
    restart = (
        (res <= _tuning.BETA_SUFFICIENT * st.res0)
        | ((res <= _tuning.BETA_NECESSARY * st.res0) & (res > st.res_prev))
        | (st.k >= _tuning.BETA_ARTIFICIAL * it)
    ) & ~first
    st.res_prev = res
    return restart


def _restart(st, restart, zp, qp, qbp, Kzp):
    """Restart the chosen trials at T(w) and update their primal weight."""
    R = restart[:, None]
    dz = (zp - st.z_last).norm(dim=1)
    dq = (qp - st.q_last).norm(dim=1)
    ok = restart & (dz > 0) & (dq > 0)
    log_target = torch.log(dq.clamp_min(1e-300) / dz.clamp_min(1e-300))
    smoothed = torch.exp(_tuning.THETA * log_target + (1 - _tuning.THETA) * torch.log(st.omega))
    st.omega = torch.where(ok, smoothed, st.omega).clamp(1.0 / _tuning.OMEGA_MAX, _tuning.OMEGA_MAX)
    st.set_steps()
    for name, new in (("z", zp), ("q", qp), ("Kz", Kzp), ("z0", zp), ("q0", qp), ("Kz0", Kzp),
                      ("z_last", zp), ("q_last", qp)):  # fmt: skip
        setattr(st, name, torch.where(R, new, getattr(st, name)))
    st.qb = torch.where(restart, qbp, st.qb)
    st.qb0 = torch.where(restart, qbp, st.qb0)
    st.k = torch.where(restart, torch.zeros_like(st.k), st.k)
    st.res0 = torch.where(restart, torch.full_like(st.res0, math.inf), st.res0)
    st.res_prev = torch.where(restart, torch.full_like(st.res_prev, math.inf), st.res_prev)


def _check_and_polish(st, KTq, it, tol):
    """Certified gaps of the running trials; polish those whose support settled.

    Returns numpy arrays ``done`` (stopping rule met) and ``handoff``
    (interpolation form: the minimiser does not interpolate, see
    :func:`dnngap.cs.polish.polish`); polished trials get their exact solution written into
    ``st.z`` and the dual point of its certificate into ``st.p_polish``.
    """
    gap_t, primal_t = _certified_gap(st, KTq)
    done = accepted(gap_t.cpu().numpy(), primal_t.cpu().numpy(), tol)
    handoff = np.zeros_like(done)
    if it == 0:
        return done, handoff
    support = st.zp != 0
    changed = (support != st.support_prev).sum(1)
    stable = (changed <= _tuning.SUPPORT_CHANGE * support.sum(1)).cpu().numpy()
    st.support_prev = support
    for j in np.flatnonzero(stable & ~done & (it >= st.next_polish)):
        beta, beta_dual, simplex = st.beta[j], st.beta_dual[j], True
        if st.L is not None:
            M, g, p0 = st.A[j], st.b[j], _dual_point(st.L[j], st.q[j])
        elif st.U is not None:  # the rotated problem M = U^T A = Sigma K, g = Sigma c, q = Sigma p
            M, g, p0 = st.sigma[j][:, None] * st.K[j], st.sigma[j] * st.c[j], st.q[j] / st.sigma[j]
        else:  # m > N: on A and b themselves (mapping a dual of the rotated problem
            # back multiplies its rounding errors by cond(A), see `_original_dual`)
            M, g, p0 = st.A[j], st.b[j], torch.as_tensor(_original_dual(st, j), device=st.z.device)
            beta = beta_dual = torch.zeros_like(beta)
            simplex = False
        result, last, not_interpolating = polish(
            M, g, beta, beta_dual, st.thr[j], st.zp[j], p0, tol, st.saved[j], simplex=simplex
        )
        if last is not None:  # the simplex ran out of pivots: keep its vertex
            st.saved[j] = last
        if result is not None:
            st.z[j], _, st.p_polish[j] = result
            done[j] = True
        elif not_interpolating and st.L is not None:
            handoff[j] = True
        else:
            st.next_polish[j] = it + st.backoff[j]
            st.backoff[j] *= _tuning.BACKOFF_GROWTH
    return done, handoff
