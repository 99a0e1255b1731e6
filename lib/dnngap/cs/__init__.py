"""Compressed-sensing baseline: weighted square-root LASSO in a Legendre basis.

Problem
-------
Given samples :math:`y_1..y_m` drawn from the uniform probability measure on
:math:`[-1,1]^d`, values :math:`f(y_i)`, an index set :math:`\\Lambda`
(:mod:`dnngap.polynomials`, :math:`N = |\\Lambda|`) and weights
:math:`u_\\nu = \\prod_k \\sqrt{2\\nu_k+1}`, form

.. math::
    A_{i\\nu} = \\Psi_\\nu(y_i)/\\sqrt m, \\qquad b_i = f(y_i)/\\sqrt m,

and solve, for every trial independently, the weighted square-root LASSO

.. math::
    \\min_{z \\in \\mathbb{R}^N}\\ \\mathcal{P}(z) =
    \\lambda \\|z\\|_{1,u} + \\|Az - b\\|_2, \\qquad
    \\|z\\|_{1,u} = \\sum_{\\nu} u_\\nu |z_\\nu| .

The approximation is :math:`\\hat f = \\sum_\\nu z_\\nu \\Psi_\\nu`.

Duality (used for the stopping rule and reported as ``gap``)
    For every :math:`p \\in \\mathbb{R}^m` with :math:`\\|p\\|_2 \\le 1` and
    :math:`|(A^\\top p)_\\nu| \\le \\lambda u_\\nu` one has
    :math:`\\mathcal{P}(z) \\ge \\mathcal{D}(p) = -\\langle b, p\\rangle`
    (weak duality of the saddle problem
    :math:`\\min_z \\max_{\\|p\\|\\le 1} \\langle Az-b, p\\rangle + \\lambda\\|z\\|_{1,u}`),
    so the *certified relative gap*
    :math:`(\\mathcal{P}(z) - \\mathcal{D}(p)) / \\mathcal{P}(z)` bounds the
    relative sub-optimality of :math:`z`. A solution counts as converged when
    this gap is ≤ ``tol`` or the absolute gap
    :math:`\\mathcal{P}(z) - \\mathcal{D}(p)` is below
    :math:`64\\varepsilon\\|b\\|_2` (rounding level; see :func:`solve`).

Solvers
-------
``method="primal_dual"`` (default)
    Two stages. First, trial by trial, the *LASSO homotopy*: the exact
    solution path of :math:`\\min_z \\tfrac12\\|Az-b\\|^2 + t\\lambda\\|z\\|_{1,u}`
    followed from z = 0 down in t, one breakpoint per coefficient entering
    or leaving the support. The square-root LASSO minimiser lies on that
    path (at :math:`t = \\|Az-b\\|`); when it interpolates the data (small λ
    and m ≤ N) the least-squares fits on the path's supports converge to it
    and are certified once they fit the data to within the tolerance. The
    cost is about one pass over A per breakpoint and about |supp z|
    breakpoints, so this stage wins when the solution is sparse compared
    with m: smooth functions in low dimension (``exp_cos`` in d = 1: six
    breakpoints), and ill-conditioned low-dimensional problems. It gives up
    early when the solution is dense and the whole path expensive. Then the
    restarted Halpern PDHG (the primal--dual hybrid gradient method of
    Chambolle and Pock with reflected Halpern anchoring and adaptive
    restarts, after Lu & Yang's r2HPDHG, and PDLP's primal-weight update),
    run on a *row-orthonormalised* form of the problem (for m ≤ N first the
    weighted basis pursuit, which the minimiser solves when it interpolates
    the data), the trials of a batch
    iterated together with batched matrix products (torch, float64). Once
    the support of the iterate settles it is *polished* to an exact vertex:
    by the simplex method on the weighted basis pursuit
    :math:`\\min \\lambda\\|z\\|_{1,u}` s.t. :math:`Az = b` when the data can
    be interpolated, else by the closed-form KKT solution on the
    support. Every answer carries a certified gap and ``Solution.path``
    says which stage produced it; see :func:`solve`.
``method="cvxpy"``
    The reference: the same problem in cvxpy, solved by the Clarabel
    interior-point solver, one problem per trial, at tight tolerances.

Choice of :data:`DEFAULT_LAMBDA`
--------------------------------
``DEFAULT_LAMBDA = 1e-4``, inside the range 1e-4 to 1e-3 that the book's page
*The paper, and what is known of its experiments* (``book/paper.md``) calls
sensible for noise-free data (the authors' λ is not public). In that range
and for m ≤ N the minimiser interpolates the data and does not depend on λ:
it is the weighted basis-pursuit solution. The measurements behind the
choice (``benchmarks/cs.py --lambda-sweep``) are on the book's page *How the
CS solver works* (``book/cs_solver.md``).

Package layout
--------------
The public API lives here; the stages of ``method="primal_dual"`` in
:mod:`dnngap.cs.homotopy` (stage 1), :mod:`dnngap.cs.pdhg` (stage 2) and
:mod:`dnngap.cs.polish` (its exact polish), the reference solver in
:mod:`dnngap.cs.reference`, the certificates every stage reports in
:mod:`dnngap.cs.certificate`, and the tuning constants, grouped by stage,
in :mod:`dnngap.cs._tuning`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch

from .. import polynomials
from .._validation import check_choice, check_int, check_optional_int, check_positive
from . import _tuning, homotopy, pdhg, reference
from .certificate import accepted, certify

#: Version of the numbers this package (and the existence network, which
#: builds on it) produces. Bump it by hand when a change alters the numbers CS
#: results hold (a new solver step, stopping rule, default ``lam``, basis
#: normalisation...); refactoring that leaves them unchanged keeps it. The
#: results store's key includes it (:mod:`dnngap.experiments.store`), so a bump
#: recomputes exactly the CS and existence-network results.
NUMERICS_VERSION: int = 1

__all__ = [
    "DEFAULT_LAMBDA",
    "Method",
    "Solution",
    "measurement_matrix",
    "solve",
    "fit",
    "evaluate",
]

#: Default regularisation parameter λ of the weighted square-root LASSO
#: (see the module docstring for the reasoning and evidence).
DEFAULT_LAMBDA: float = 1e-4

Method = Literal["primal_dual", "cvxpy"]
_METHODS: tuple[str, ...] = get_args(Method)



# ====================================================================== data
@dataclass(frozen=True)
class Solution:
    """Result of :func:`solve` / :func:`fit`.

    Attributes
    ----------
    z : numpy.ndarray, shape (T, N) or (N,)
        Coefficients :math:`z_\\nu` of :math:`\\hat f = \\sum_\\nu z_\\nu \\Psi_\\nu`,
        columns in the order of ``Lambda``.
    objective : numpy.ndarray, shape (T,) or ()
        :math:`\\lambda\\|z\\|_{1,u} + \\|Az-b\\|_2`, evaluated with the given
        ``A`` and ``b``.
    iterations : numpy.ndarray of int, shape (T,) or ()
        Iterations of the stage that produced ``z`` (see ``path``):
        breakpoints of the homotopy, PDHG iterations, or interior-point
        iterations (``cvxpy``).
    converged : numpy.ndarray of bool, shape (T,) or ()
        The stopping rule of :func:`solve` holds: certified relative gap ≤
        ``tol`` (1e-7 for ``cvxpy``), or certified absolute gap below the
        rounding floor :math:`64\\varepsilon\\|b\\|_2`; for ``cvxpy``
        Clarabel must also report ``optimal`` (or ``optimal_inaccurate``).
    gap : numpy.ndarray, shape (T,) or ()
        Certified relative duality gap (see the module docstring) of the
        returned z and a dual point, computed on A and b by the same rule
        for every stage (:func:`dnngap.cs.certificate.certify`); the dual
        point is the stage's own (homotopy, PDHG or polish) or Clarabel's
        multiplier of the residual constraint (``cvxpy``).
    method : str
    wall_time : float
        Seconds spent in the solver (setup included).
    path : numpy.ndarray of str, shape (T,) or ()
        Which stage produced ``z``: ``"homotopy"`` (the LASSO homotopy of
        :func:`solve`), ``"pdhg"`` (restarted PDHG, possibly polished) or
        ``"clarabel"`` (``method="cvxpy"``).

    Examples
    --------
    One trial (no leading T axis): every field but ``z`` is a 0-d array.

    >>> Lambda = polynomials.index_set("hyperbolic_cross", 1, 8)     # N = 9
    >>> y = np.linspace(-1, 1, 5)[:, None]
    >>> sol = fit(y, np.exp(y[:, 0]), Lambda)
    >>> sol.z.shape, sol.gap.shape, bool(sol.converged), str(sol.path), sol.method
    ((9,), (), True, 'homotopy', 'primal_dual')
    >>> bool(sol.gap <= 1e-7), int(np.count_nonzero(sol.z)) <= 5   # at most m nonzeros
    (True, True)
    """

    z: np.ndarray
    objective: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    gap: np.ndarray
    method: str
    wall_time: float
    path: np.ndarray


# ================================================================ validation
def _check_finite(name: str, arr: np.ndarray) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or infinity")


# ================================================================ matrices
def measurement_matrix(y: np.ndarray, Lambda: np.ndarray) -> np.ndarray:
    """Normalised measurement matrix :math:`A_{i\\nu} = \\Psi_\\nu(y_i)/\\sqrt m`.

    Parameters
    ----------
    y : array_like, shape (..., m, d)
        Sample points (any leading batch shape, e.g. trials).
    Lambda : array_like of int, shape (N, d)

    Returns
    -------
    numpy.ndarray, shape (..., m, N), float64
        With this scaling :math:`\\mathbb{E}[A^\\top A] = I` for uniform
        samples, and :math:`\\|Az - b\\|_2` is the empirical
        :math:`L^2_\\rho` misfit when :math:`b = f(y)/\\sqrt m`.

    Examples
    --------
    >>> A = measurement_matrix(np.zeros((2, 4, 3)), polynomials.hyperbolic_cross(3, 2))
    >>> A.shape, float(A[0, 0, 0])
    ((2, 4, 7), 0.5)
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim < 2:
        raise ValueError(f"y must have shape (..., m, d); got shape {y.shape}")
    m = y.shape[-2]
    if m < 1:
        raise ValueError(f"the number of samples m must be >= 1; got {m}")
    _check_finite("y", y)
    flat = y.reshape(-1, y.shape[-1])
    A = polynomials.features(flat, Lambda)
    A /= math.sqrt(m)
    return A.reshape(*y.shape[:-1], A.shape[-1])




# ================================================================== solve
def solve(
    A: np.ndarray,
    b: np.ndarray,
    weights: np.ndarray,
    lam: float,
    *,
    method: Method = "primal_dual",
    tol: float | None = None,
    max_iter: int | None = None,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    threads: int | None = None,
    progress: bool = False,
) -> Solution:
    """Solve :math:`\\min_z \\lambda\\|z\\|_{1,u} + \\|Az-b\\|_2` for each trial.

    Parameters
    ----------
    A : array_like, shape (T, m, N) or (m, N)
        Measurement matrices (:func:`measurement_matrix`).
    b : array_like, shape (T, m) or (m,)
        Right-hand sides :math:`f(y_i)/\\sqrt m`.
    weights : array_like, shape (N,)
        Positive weights :math:`u_\\nu` (:func:`dnngap.polynomials.weights`).
    lam : float
        :math:`\\lambda > 0`.
    method : {"primal_dual", "cvxpy"}
        Fast batched first-order solver, or the cvxpy + Clarabel reference.
    tol : float, optional
        ``primal_dual``: stop a trial once its certified relative duality
        gap is ≤ ``tol`` (default 1e-7, so the objective is within 1e-7 of
        the optimum, relatively), or its absolute gap is at rounding level
        (see *Stopping rule* below). ``cvxpy``: Clarabel's
        ``tol_gap_abs = tol_gap_rel = tol_feas`` on the problem scaled to
        :math:`\\|b\\|_2 = 1` (default 1e-10).
    max_iter : int, optional
        ``primal_dual``: cap per trial on the homotopy's breakpoints and,
        separately, on the PDHG iterations (default 10,000; the polish does
        not count; a trial handed from the interpolation form to the general
        one continues with the iterations left). In a sweep over the CS problems of the book's ci grid no
        trial that converged needed more than about 3,000 PDHG iterations;
        the cap keeps the rare one that does not from burning CPU minutes.
        ``cvxpy``: interior-point iterations (default 200).
    batch_size : int, optional
        ``primal_dual`` only: trials iterated together. Default: all trials
        on a GPU; on the CPU as many as keep the batch's matrices within
        about 12 MiB (at least one), because the iteration is bound by memory
        traffic and a batch that fits the cache runs several times faster
        per trial than one that does not.
    device : str or torch.device
        ``primal_dual`` only: torch device ("cpu", "cuda", ...). On the CPU
        torch uses ``torch.get_num_threads()`` threads; set that in scripts.
        (The homotopy stage and the Gram matrices use numpy's and scipy's
        BLAS, whose threads follow ``OMP_NUM_THREADS`` at start-up.)
    threads : int, optional
        ``cvxpy`` only: Clarabel's ``max_threads`` (default: Clarabel's
        choice, all cores).
    progress : bool
        Show a tqdm bar over trials.

    Returns
    -------
    Solution

    Notes
    -----
    ``primal_dual`` runs two stages: the LASSO homotopy, trial by trial
    (:mod:`dnngap.cs.homotopy`), then restarted Halpern PDHG with an exact
    polish, in batches, on the trials the homotopy did not certify
    (:mod:`dnngap.cs.pdhg`, :mod:`dnngap.cs.polish`). Whichever stage
    produced ``z``, its ``gap`` is certified on A and b themselves by the
    same rule (:func:`dnngap.cs.certificate.certify`: the stage's dual point
    scaled into feasibility). How the stages work and why the tuning
    constants have their values: the book's page *How the CS solver works*
    (``book/cs_solver.md``).

    *Stopping rule.* A trial stops (``converged = True``) when a primal--dual
    pair certifies it: relative gap :math:`(\\mathcal{P}-\\mathcal{D})/
    \\mathcal{P}` ≤ ``tol``, *or* absolute gap :math:`\\mathcal{P}-\\mathcal{D}
    \\le 64\\varepsilon\\|b\\|_2` (ε = 2.2e-16: below it the objective itself
    is not resolved; with the defaults the relative test is the binding
    one). Otherwise it stops after ``max_iter`` PDHG iterations
    (``converged = False``; the last iterate is returned, with its gap).

    Examples
    --------
    Three trials of 40 samples, 123 Legendre coefficients (fewer samples
    than unknowns): every trial is certified optimal by the homotopy.

    >>> rng = np.random.default_rng(0)
    >>> Lambda = polynomials.index_set("hyperbolic_cross", 2, 32)
    >>> y = rng.uniform(-1, 1, (3, 40, 2))
    >>> A = measurement_matrix(y, Lambda)
    >>> b = np.exp(-y[..., 0]) * np.cos(y[..., 1]) / np.sqrt(40)
    >>> sol = solve(A, b, polynomials.weights(Lambda), lam=1e-4)
    >>> sol.z.shape, sol.converged.tolist(), sol.path.tolist()
    ((3, 123), [True, True, True], ['homotopy', 'homotopy', 'homotopy'])
    >>> bool(np.all(sol.gap <= 1e-7))
    True
    """
    method = check_choice("method", method, _METHODS)
    lam = check_positive("lam", lam)
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    single = A.ndim == 2
    if A.ndim not in (2, 3):
        raise ValueError(f"A must have shape (T, m, N) or (m, N); got shape {A.shape}")
    if single:
        A, b = A[None], b[None] if b.ndim == 1 else b
    T, m, N = A.shape
    if m < 1:
        raise ValueError(f"the number of samples m must be >= 1; got A of shape {A.shape}")
    if N < 1:
        raise ValueError(f"the index set must be non-empty; got A of shape {A.shape}")
    if b.shape != (T, m):
        raise ValueError(
            f"b must have shape {(T, m) if not single else (m,)} to match A of shape "
            f"{A.shape if not single else A.shape[1:]}; got {b.shape if not single else b.shape[1:]}"
        )
    if weights.shape != (N,):
        raise ValueError(f"weights must have shape ({N},) to match A; got {weights.shape}")
    _check_finite("A", A)
    _check_finite("b", b)
    _check_finite("weights", weights)
    if np.any(weights <= 0):
        raise ValueError("weights must be positive")
    default_tol, default_iter = (
        (_tuning.PD_TOL, _tuning.PD_MAX_ITER)
        if method == "primal_dual"
        else (_tuning.CVXPY_TOL, _tuning.CVXPY_MAX_ITER)
    )
    tol = default_tol if tol is None else check_positive("tol", tol)
    max_iter = default_iter if max_iter is None else check_int("max_iter", max_iter, 1)
    batch_size = check_optional_int("batch_size", batch_size, 1)
    device = torch.device(device)
    if threads is not None:
        if method != "cvxpy":
            raise ValueError(
                "threads applies to method='cvxpy' only; for 'primal_dual' use torch.set_num_threads"
            )
        threads = check_int("threads", threads, 1)

    start = time.perf_counter()
    if method == "cvxpy":
        z, iters, conv, gap = reference.solve_cvxpy(A, b, weights, lam, tol, int(max_iter), threads, progress)
        path = np.full(T, "clarabel")
    else:
        z, iters, conv, gap, path = _solve_primal_dual(
            A, b, weights, lam, tol, int(max_iter), batch_size, device, progress
        )
    wall = time.perf_counter() - start
    objective = lam * np.abs(z) @ weights + np.linalg.norm(
        np.einsum("tmn,tn->tm", A, z) - b, axis=1
    )
    if single:
        z, objective, iters, conv, gap, path = (
            z[0], objective[0], iters[0], conv[0], gap[0], path[0]
        )  # fmt: skip
    return Solution(
        z=z,
        objective=np.asarray(objective),
        iterations=np.asarray(iters),
        converged=np.asarray(conv),
        gap=np.asarray(gap),
        method=method,
        wall_time=wall,
        path=np.asarray(path),
    )


def _solve_primal_dual(A, b, weights, lam, tol, max_iter, batch_size, device, progress):
    """Stage 1 (homotopy) per trial, then stage 2 (PDHG) in batches; see :func:`solve`."""
    from tqdm.auto import tqdm

    T, m, N = A.shape
    if batch_size is None:
        if device.type == "cpu":
            per_trial = (2 * m * N + m * m) * 8  # A, the orthonormalised K, L
            batch_size = max(1, _tuning.CPU_BATCH_BYTES // per_trial)
        else:
            batch_size = T
    z = np.zeros((T, N))
    iters = np.zeros(T, dtype=np.int64)
    conv = np.zeros(T, dtype=bool)
    gap = np.zeros(T)
    path = np.full(T, "homotopy", dtype=object)
    thr = lam * weights
    b_norm = np.linalg.norm(b, axis=1)
    conv[b_norm == 0] = True  # b = 0: z = 0 is optimal
    done = b_norm == 0  # solved by a stage
    with tqdm(total=T, desc="primal-dual", disable=not progress) as bar:
        # stage 1: the homotopy, per trial
        for t in np.flatnonzero(b_norm > 0):
            unit = b[t] / b_norm[t]
            result = homotopy.homotopy(A[t], unit, thr, tol, max_iter)
            gap[t] = result.gap
            if result.z is not None:
                z[t], iters[t], done[t] = result.z * b_norm[t], result.steps, True
                gap_t, primal = certify(A[t : t + 1], unit[None], thr, result.z[None], result.p[None])
                gap[t], conv[t] = gap_t[0], accepted(gap_t, primal, tol)[0]
                bar.update(1)
        bar.update(int(np.sum(b_norm == 0)))
        # stage 2: restarted PDHG, in batches, for the trials it did not certify
        rest = np.flatnonzero(~done)
        path[rest] = "pdhg"
        for lo in range(0, rest.size, batch_size):
            ids = rest[lo : lo + batch_size]
            out = pdhg.pd_batch(A[ids], b[ids], weights, lam, tol, max_iter, device, True)
            z[ids], iters[ids], p, handoff = out
            left = max_iter - int(iters[ids[handoff]].max(initial=0))
            if handoff.any() and left > 0:  # not interpolating at this lam: the general form
                again = ids[handoff]
                out = pdhg.pd_batch(A[again], b[again], weights, lam, tol, left, device, False)
                z[again], more, p[handoff], _ = out
                iters[again] += more
            # the stopping decisions were taken on the transformed problems;
            # the reported certificate is computed on A and b themselves
            scale = b_norm[ids, None]
            gap[ids], primal = certify(A[ids], b[ids] / scale, thr, z[ids] / scale, p)
            conv[ids] = accepted(gap[ids], primal, tol)
            bar.update(ids.size)
    return z, iters, conv, gap, path.astype(str)


# ====================================================================== fit
def fit(
    y: np.ndarray,
    f_values: np.ndarray,
    Lambda: np.ndarray,
    *,
    lam: float = DEFAULT_LAMBDA,
    method: Method = "primal_dual",
    **solver_options,
) -> Solution:
    """Fit Legendre coefficients to samples by the weighted square-root LASSO.

    Parameters
    ----------
    y : array_like, shape (T, m, d) or (m, d)
        Sample points in :math:`[-1, 1]^d`, one set per trial.
    f_values : array_like, shape (T, m) or (m,)
        :math:`f(y_i)`.
    Lambda : array_like of int, shape (N, d)
        Index set (:mod:`dnngap.polynomials`).
    lam : float
        λ, default :data:`DEFAULT_LAMBDA`.
    method : {"primal_dual", "cvxpy"}
    **solver_options
        ``tol``, ``max_iter``, ``batch_size``, ``device``, ``progress``
        (see :func:`solve`).

    Returns
    -------
    Solution
        ``z`` holds the coefficients in the order of ``Lambda``; evaluate the
        approximation with :func:`evaluate`.

    Examples
    --------
    Approximate :math:`e^{-y_1}\\cos y_2` from 40 random samples (3 trials)
    and measure the relative error on 1,000 other points:

    >>> rng = np.random.default_rng(0)
    >>> f = lambda p: np.exp(-p[..., 0]) * np.cos(p[..., 1])
    >>> Lambda = polynomials.index_set("hyperbolic_cross", 2, 32)
    >>> y = rng.uniform(-1, 1, (3, 40, 2))
    >>> sol = fit(y, f(y), Lambda)
    >>> x = rng.uniform(-1, 1, (1000, 2))
    >>> err = np.linalg.norm(evaluate(sol.z, x, Lambda) - f(x), axis=-1) / np.linalg.norm(f(x))
    >>> err.shape, bool(np.all(err < 1e-2))
    ((3,), True)
    """
    method = check_choice("method", method, _METHODS)
    lam = check_positive("lam", lam)
    Lambda = np.asarray(Lambda)
    if Lambda.ndim != 2 or Lambda.shape[0] == 0:
        raise ValueError(f"Lambda must be a non-empty (N, d) array; got shape {Lambda.shape}")
    y = np.asarray(y, dtype=np.float64)
    f_values = np.asarray(f_values, dtype=np.float64)
    if y.ndim not in (2, 3) or y.shape[-1] != Lambda.shape[1]:
        raise ValueError(
            f"y must have shape (T, m, d) or (m, d) with d = {Lambda.shape[1]}; got {y.shape}"
        )
    if f_values.shape != y.shape[:-1]:
        raise ValueError(f"f_values must have shape {y.shape[:-1]}; got {f_values.shape}")
    if y.shape[-2] < 1:
        raise ValueError(f"the number of samples m must be >= 1; got {y.shape[-2]}")
    _check_finite("y", y)
    _check_finite("f_values", f_values)
    m = y.shape[-2]
    A = measurement_matrix(y, Lambda)
    b = f_values / math.sqrt(m)
    return solve(A, b, polynomials.weights(Lambda), lam, method=method, **solver_options)


def evaluate(z: np.ndarray, points: np.ndarray, Lambda: np.ndarray) -> np.ndarray:
    """Evaluate :math:`\\hat f(y) = \\sum_{\\nu\\in\\Lambda} z_\\nu \\Psi_\\nu(y)`.

    Parameters
    ----------
    z : array_like, shape (T, N) or (N,)
        Coefficients in the order of ``Lambda``.
    points : array_like, shape (n, d)
    Lambda : array_like of int, shape (N, d)

    Returns
    -------
    numpy.ndarray, shape (T, n) or (n,)
        Computed in blocks of points (:data:`_tuning.EVAL_CHUNK`), so any n fits in memory.

    Examples
    --------
    >>> Lambda = polynomials.hyperbolic_cross(2, 1)      # {0, e_2, e_1}
    >>> evaluate(np.array([2.0, 0.0, 1.0]), np.array([[1.0, 0.3]]), Lambda).round(6)
    array([3.732051])
    """
    z = np.asarray(z, dtype=np.float64)
    Lambda = np.asarray(Lambda)
    points = np.asarray(points, dtype=np.float64)
    if Lambda.ndim != 2 or Lambda.shape[0] == 0:
        raise ValueError(f"Lambda must be a non-empty (N, d) array; got shape {Lambda.shape}")
    N = Lambda.shape[0]
    if z.ndim not in (1, 2) or z.shape[-1] != N:
        raise ValueError(f"z must have shape (T, {N}) or ({N},); got {z.shape}")
    if points.ndim != 2 or points.shape[1] != Lambda.shape[1]:
        raise ValueError(f"points must have shape (n, {Lambda.shape[1]}); got {points.shape}")
    zz = z.reshape(-1, N)
    out = np.empty((zz.shape[0], points.shape[0]))
    for lo in range(0, points.shape[0], _tuning.EVAL_CHUNK):
        hi = min(lo + _tuning.EVAL_CHUNK, points.shape[0])
        out[:, lo:hi] = zz @ polynomials.features_by_index(points[lo:hi], Lambda)
    return out[0] if z.ndim == 1 else out
