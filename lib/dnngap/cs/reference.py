"""``method="cvxpy"``: the reference solver, cvxpy + Clarabel, one problem per trial (private)."""

from __future__ import annotations

import warnings

import numpy as np

from . import _tuning
from .certificate import accepted, certify


def solve_cvxpy(A, b, weights, lam, tol, max_iter, threads, progress):
    """Every trial by cvxpy + Clarabel; returns z (T, N), iterations, converged, gap.

    The gap is certified on A and b (:func:`dnngap.cs.certificate.certify`)
    with Clarabel's multiplier of the residual constraint as the dual point
    (of either sign: cvxpy's convention is not relied upon).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((1, 5, 8)) / np.sqrt(5), rng.standard_normal((1, 5))
    >>> z, iters, conv, gap = solve_cvxpy(A, b, np.ones(8), 1e-4, 1e-10, 200, 1, False)
    >>> z.shape, conv.tolist(), bool(gap[0] <= 1e-7)
    ((1, 8), [True], True)
    >>> solve_cvxpy(A, 0 * b, np.ones(8), 1e-4, 1e-10, 200, 1, False)[2:]    # b = 0: z = 0
    (array([ True]), array([0.]))
    """
    import cvxpy as cp
    from tqdm.auto import tqdm

    T, m, N = A.shape
    z_out = np.zeros((T, N))
    iters = np.zeros(T, dtype=np.int64)
    conv = np.zeros(T, dtype=bool)
    gap = np.full(T, np.nan)
    options = {} if threads is None else {"max_threads": int(threads)}
    for t in tqdm(range(T), desc="cvxpy/Clarabel", disable=not progress):
        scale = np.linalg.norm(b[t])
        if scale == 0.0:  # z = 0 is optimal
            conv[t], gap[t] = True, 0.0
            continue
        bs = b[t] / scale
        z = cp.Variable(N)
        r = cp.Variable(m)
        fit = r == A[t] @ z - bs  # its multiplier is the dual point p (up to sign)
        objective = lam * cp.sum(cp.multiply(weights, cp.abs(z))) + cp.norm(r, 2)
        problem = cp.Problem(cp.Minimize(objective), [fit])
        with warnings.catch_warnings():
            # "Solution may be inaccurate": judged below by the certified gap
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(
                solver=cp.CLARABEL,
                tol_gap_abs=tol,
                tol_gap_rel=tol,
                tol_feas=tol,
                max_iter=max_iter,
                **options,
            )
        stats = problem.solver_stats
        iters[t] = stats.num_iters if stats is not None and stats.num_iters is not None else -1
        if z.value is None:
            continue
        z_out[t] = z.value * scale
        if fit.dual_value is not None:
            gap[t] = min(
                certify(A[t : t + 1], bs[None], lam * weights, z.value[None],
                         sign * np.asarray(fit.dual_value)[None])[0][0]
                for sign in (1.0, -1.0)
            )  # fmt: skip
        solved = problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
        primal = lam * weights @ np.abs(z.value) + np.linalg.norm(A[t] @ z.value - bs)
        conv[t] = solved and bool(accepted(gap[t], primal, _tuning.PD_TOL))
    return z_out, iters, conv, gap
