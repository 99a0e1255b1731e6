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
and for m ≤ N the minimiser interpolates the data and *does not depend on
λ at all*: it is the weighted basis-pursuit solution (an optimal dual p of
that LP has ‖p‖ ≤ 1 as long as λ is below a threshold). Measured with
``benchmarks/cs.py --lambda-sweep`` and a wider grid (d = 8, hyperbolic cross
of order 20, N = 1771, 3 trials, relative L²_ρ error by Monte Carlo on
20,000 points, geometric mean over trials):

=================  ========  ========  ========  ========  ========
λ                  1e-6..    3e-3      1e-2      3e-2      1e-1
                   1e-3
=================  ========  ========  ========  ========  ========
exp_cos, m = 150   2.5e-5    ..        2.5e-5    2.6e-5    ..
exp_cos, m = 750   1.6e-7    1.6e-7    1.4e-7    4.1e-6    1.7e-4
exp_cos, m = 2250  1.8e-7    ..        1.1e-7    2.3e-6    ..
slower_decay, 750  2.0e-2    2.0e-2    1.4e-2    2.9e-2    9.6e-2
=================  ========  ========  ========  ========  ========

(``..``: not measured; ``slower_decay``: ``slower_decay_rational``). The
paper's ballpark, ≈1e-6 for ``exp_cos`` at m ≈ 750 and ≈1e-2 for
``slower_decay_rational``, is met. λ ≈ 1e-2 is up to 1.6 times better on
these cases but sits next to a cliff (3e-2 is 30 times worse for
``exp_cos``), while every λ ≤ 1e-3 gives the same, robust solution; 1e-4
is the conservative choice and matches the paper's range.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch
from scipy.linalg import cho_solve, cholesky, solve_triangular

from . import polynomials

#: Version of the numbers this module (and :mod:`dnngap.polynomials`, which it
#: builds on) produces. Bump it by hand when a change alters the numbers CS
#: results hold (a new solver step, stopping rule, default ``lam``, basis
#: normalisation...); refactoring that leaves them unchanged keeps it. The
#: results store's key includes it (:mod:`dnngap.experiments.store`), so a bump
#: recomputes exactly the CS and existence-network results.
NUMERICS_VERSION: int = 1

__all__ = [
    "DEFAULT_LAMBDA",
    "Method",
    "Solution",
    "LambdaSweep",
    "measurement_matrix",
    "solve",
    "fit",
    "evaluate",
    "lambda_sweep",
]

#: Default regularisation parameter λ of the weighted square-root LASSO
#: (see the module docstring for the reasoning and evidence).
DEFAULT_LAMBDA: float = 1e-4

Method = Literal["primal_dual", "cvxpy"]
_METHODS: tuple[str, ...] = get_args(Method)

# Default tolerances and iteration caps per method.
_PD_TOL = 1e-7  # certified relative duality gap
# Absolute floor of the duality gap, in units of ||b||_2 (see `solve`, "Stopping
# rule"): about 64 rounding units, below which P(z) itself is not resolved.
_GAP_FLOOR = 64 * np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny
_PD_MAX_ITER = 10_000  # every converged trial of the ci grid needs <= 3,000 (see `solve`)
_CVXPY_TOL = 1e-10  # Clarabel tol_gap_abs = tol_gap_rel = tol_feas (on ||b|| = 1)
_CVXPY_MAX_ITER = 200

# Homotopy internals (documented in `solve` and `_homotopy`).
# Unless the whole path (to a dense solution) costs at most _HOMOTOPY_WORK
# flops, the homotopy gives up once its best gap is above g after n
# breakpoints, (n, g) in _PROBES, or once it has spent _HOMOTOPY_SHARE of the flops the
# PDHG stage would need (estimated); and in any case when ...
_HOMOTOPY_WORK = 5e8
_PROBES = ((12, 0.4), (20, 0.1))
_HOMOTOPY_SHARE = 0.1
_HOMOTOPY_PATIENCE = 50  # ... its best gap has not fallen ...
_HOMOTOPY_PROGRESS = 10.0  # ... this many times over the last _HOMOTOPY_PATIENCE steps
_ILL_PIVOT = 0.1  # support ill-conditioned once a squared Cholesky pivot / ||M_j||^2 < this:
_ILL_WORK = 10.0  # then the homotopy gets this many times _HOMOTOPY_WORK
_CERTIFICATE_POINTS = 4  # dual candidates tried per homotopy segment
_CHOLESKY_PIVOT = 1e-14  # a new column with ||M_j - proj||^2 below this * ||M_j||^2 is dependent

# Primal-dual internals (documented in `solve`).
_CHECK_EVERY = 32  # iterations between gap checks / polish attempts
_ETA = 0.99  # step size factor: tau * sigma * ||K||^2 = eta^2 < 1 (||K|| = 1)
_OMEGA0 = 1.0  # initial primal weight (b is scaled to unit norm)
# bounds of the primal weight: on degenerate problems (a sparse interpolant in
# low dimension) the primal iterate stalls while the free dual of the
# interpolation form keeps moving, and the unbounded weight overflowed
_OMEGA_MAX = 1e10
_THETA = 0.5  # smoothing of the primal-weight update at restarts
_BETA_SUFFICIENT, _BETA_NECESSARY, _BETA_ARTIFICIAL = 0.2, 0.8, 0.1
_POLISH_BACKOFF = 64  # iterations before retrying a failed polish ...
_BACKOFF_GROWTH = 2  # ... multiplied by this after each failure
_SUPPORT_CHANGE = 0.01  # polish once the support changes by <= 1% between checks
_POLISH_ROUNDS = 6  # sign-flip rounds of the support solve
_BETA_INTERPOLATION = 1e-14  # beta (with ||b|| = 1) below which Az = b is solvable
_SIMPLEX_PIVOTS = 800  # pivots per simplex attempt
_DUAL_OUTSIDE = 1e-3  # a (nearly) optimal basis-pursuit dual with ||p|| > 1 + this: no interpolation
_SIMPLEX_REFACTOR = 200  # pivots between refactorisations of the basis inverse
_RCOND = 1e-12  # Gram eigenvalues below _RCOND * max are treated as zero
_CHOLESKY_RCOND = 1e-8  # interpolation form only if every squared pivot of A A^T exceeds this * max
_CPU_BATCH_BYTES = 12 * 2**20  # matrices per CPU batch: about an L3 cache
_EVAL_CHUNK = 2048  # points per block in `evaluate`


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
        returned z and a dual point: the solver's own (``primal_dual``) or
        Clarabel's multiplier of the residual constraint (``cvxpy``).
    method : str
    wall_time : float
        Seconds spent in the solver (setup included).
    path : numpy.ndarray of str, shape (T,) or ()
        Which stage produced ``z``: ``"homotopy"`` (the LASSO homotopy of
        :func:`solve`), ``"pdhg"`` (restarted PDHG, possibly polished) or
        ``"clarabel"`` (``method="cvxpy"``).
    """

    z: np.ndarray
    objective: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    gap: np.ndarray
    method: str
    wall_time: float
    path: np.ndarray


@dataclass(frozen=True)
class LambdaSweep:
    """Validation errors of :func:`fit` over a grid of λ (:func:`lambda_sweep`).

    Attributes
    ----------
    lams : numpy.ndarray, shape (L,)
    rel_errors : numpy.ndarray, shape (L, T)
        Relative root-mean-square error on the validation points,
        :math:`\\|f - \\hat f\\|_{2} / \\|f\\|_{2}` over the points (a Monte
        Carlo estimate of the relative L²_ρ error for uniform points).
    """

    lams: np.ndarray
    rel_errors: np.ndarray

    @property
    def best_lam(self) -> float:
        """λ with the smallest geometric mean error over the trials."""
        score = np.mean(np.log(np.maximum(self.rel_errors, np.finfo(float).tiny)), axis=1)
        return float(self.lams[int(np.argmin(score))])


# ================================================================ validation
def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive real number; got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value}")
    return value


def _check_method(method: object) -> str:
    if method not in _METHODS:
        allowed = ", ".join(repr(m) for m in _METHODS)
        raise ValueError(f"method must be one of {allowed}; got {method!r}")
    return str(method)


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
    *Stage 1: homotopy* (:func:`_homotopy`, numpy, one trial at a time).
    With b scaled to unit norm, on the LASSO path the support S and signs s
    are piecewise constant in t, :math:`z_S(t) = a - t v` with
    :math:`a = G^{-1}A_S^\\top b`, :math:`v = G^{-1}(\\lambda u_S s)`,
    :math:`G = A_S^\\top A_S` (updated Cholesky factor), and the residual is
    :math:`r(t) = r_0 - t e`, :math:`r_0 = A_S a - b`, :math:`e = A_S v`. On
    each segment two certificates are tried: (i) the square-root LASSO
    minimiser itself, at the root of :math:`t^2(1-\\|e\\|^2) = \\|r_0\\|^2` if
    it lies in the segment (dual :math:`p = r(t)/t`, an exact pair); (ii) in
    the interpolation regime, z = a with :math:`p = r_0/\\tau - e` for τ
    inside the segment, whose gap is :math:`\\|r_0\\|(1-\\|r_0\\|/\\tau)` — it
    certifies once the least-squares fit on S leaves a residual below
    ``tol`` times the objective, which for ``exp_cos`` in d = 1 happens at
    |S| = 6. (The LASSO's own dual r(t)/t cannot certify there: a residual at
    rounding level divided by a small t amplifies its rounding errors. The
    PDHG stage alone fails in that regime too, with gaps of order 1 after
    50,000 iterations: the minimiser is a highly degenerate vertex, a few
    nonzeros against m equations, on which its simplex polish stalls.)
    Budget: the homotopy goes on past 12 breakpoints only if its certified
    gap is below 0.4 by then, past 20 only if it is below 0.1, and up to a
    tenth of the flops the PDHG stage
    would take (about :math:`3mkN + 2400kN`, k = min(m, N): its set-up and
    some 600 iterations) — enough for a solution that is sparse compared
    with m (``exp_cos`` in d = 1 needs 6 breakpoints; in d = 2 at m = 1200
    about 22, with a gap of 2e-2 after 6; in d = 3 at m = 1125 about 65,
    with 3e-4 after 20, where the PDHG stage fails to converge within
    10,000 iterations; ``exp_cos5`` in d = 1 at m = 400 about 28, with 0.3
    after 12 and 8e-5 after 20; whereas for ``exp_cos`` in d = 8 at m = 750
    the gap is still 0.5 after 12) — unless following the whole path, :math:`2\\min(m,N)` breakpoints,
    would cost at most 5e8 flops (5e9 once the support is ill-conditioned,
    as for discontinuous data in d = 1), because a dense solution
    (``exp_cos`` in d = 8 at m = 750 needs about 1,400 breakpoints, 9 s) is
    found far sooner by stage 2. It also gives up when its best gap has not
    fallen tenfold over 50 breakpoints after that budget, or when a new
    column is numerically dependent on S; the trial then goes to stage 2.

    *Stage 2: PDHG* (the trials the homotopy did not certify, in batches).
    The iteration decides when to stop on the transformed problems below;
    the certificate reported for each trial is then computed on A and b
    themselves: its dual point is mapped back to the coordinates of A
    (:func:`_original_dual`), scaled into feasibility there and compared
    with the true objective of the returned z (:func:`_certify`), so no
    rounding of the transformations enters ``gap`` or ``converged``.

    *Interpolation form* (m ≤ N, tried first). With small λ the minimiser
    interpolates the data, :math:`Az = b`, and is the weighted basis pursuit
    solution (see :data:`DEFAULT_LAMBDA`). With the Cholesky factorisation
    :math:`AA^\\top = LL^\\top`, :math:`K = L^{-1}A` has orthonormal rows and
    PDHG runs on :math:`\\min_z \\max_q \\langle Kz - c, q\\rangle +
    \\lambda\\|z\\|_{1,u}`, :math:`c = L^{-1}b`, with a free dual variable
    (:math:`p = L^{-\\top}q` in the certificates below). A Cholesky
    factorisation and a triangular solve cost about half the
    eigendecomposition of the general form. The polish (simplex on A, b)
    finishes it; if it finds the basis pursuit optimal but its dual has
    ‖p‖ > 1 (λ too large to interpolate), the trial is solved again in the
    general form. The general form is used from the start when m > N or
    :math:`AA^\\top` is numerically singular (a squared Cholesky pivot below
    1e-8 of its largest diagonal entry, e.g. repeated points) for some trial
    of the batch (then for the whole batch: only a matter of speed).

    *Row orthonormalisation (general form).* Write the thin SVD :math:`A = U\\Sigma V^\\top`
    (from an eigendecomposition of :math:`AA^\\top` if m ≤ N, of
    :math:`A^\\top A` otherwise; eigenvalues below ``1e-12 * max``, i.e.
    singular values below ``1e-6 * max``, the accuracy limit of a Gram
    matrix, are dropped, so repeated sample points are harmless). With :math:`K = V^\\top` (orthonormal rows,
    :math:`\\|K\\| = 1`), :math:`c = \\Sigma^{-1}U^\\top b` and
    :math:`\\beta = \\|b - UU^\\top b\\|_2`,

    .. math::
        \\|Az-b\\|_2^2 = \\|\\Sigma(Kz - c)\\|_2^2 + \\beta^2 ,

    so the problem is the saddle problem

    .. math::
        \\min_z \\max_{(q, q_\\beta) \\in E}\\
        \\langle Kz - c, q\\rangle + \\beta q_\\beta + \\lambda\\|z\\|_{1,u}

    over the ellipsoid
    :math:`E = \\{\\|\\Sigma^{-1} q\\|^2 + q_\\beta^2 \\le 1\\}`
    (:math:`p = U\\Sigma^{-1}q + q_\\beta (b - UU^\\top b)/\\beta`). The
    conditioning of :math:`A` then no longer slows the iteration; the price is
    one eigendecomposition per trial and a projection onto :math:`E`
    (a scalar secular equation, solved by Newton's method).

    *Iteration.* PDHG step :math:`T`:
    :math:`z^+ = \\mathrm{soft}(z - \\tau K^\\top q,\\ \\tau\\lambda u)`,
    :math:`q^+ = \\Pi_E(q + \\sigma(K(2z^+ - z) - c),\\ q_\\beta + \\sigma\\beta)`,
    with :math:`\\tau = \\eta/\\omega`, :math:`\\sigma = \\eta\\omega`,
    :math:`\\eta = 0.99`. Reflected Halpern iteration
    :math:`w^{k+1} = \\tfrac{k+1}{k+2}(2T(w^k) - w^k) + \\tfrac{1}{k+2}w^0`;
    restart (anchor :math:`w^0 \\leftarrow T(w^k)`) when the fixed-point
    residual :math:`\\|w^k - T(w^k)\\|_P` falls below 0.2 of its value at the
    last restart, or below 0.8 and rising, or after 0.1 of all iterations
    so far (0.1 rather than PDLP's 0.36: a third fewer iterations on
    ``exp_cos`` in d = 8, m = 750); at a restart the primal weight :math:`\\omega` moves halfway
    (in log) to :math:`\\|\\Delta q\\|/\\|\\Delta z\\|` since the last
    restart (PDLP), kept within :math:`[10^{-10}, 10^{10}]`. :math:`b` is
    scaled to unit norm first; :math:`\\omega_0 = 1`.

    *Polish.* Every 32 iterations the certified gap is evaluated at the
    current iterate (dual scaled into feasibility). Once the support of
    :math:`z^+` changes by at most 1% between two such checks, the trial is
    polished (:func:`_polish`): if the data can be interpolated
    (:math:`\\beta = 0`, full row rank) by the primal simplex method on the
    weighted basis pursuit, started from the basis of the largest entries of
    :math:`z^+` (100 to 200 pivots on ``exp_cos``, d = 8, m = 750);
    otherwise, or if that vertex is not certified (an optimal dual with
    :math:`\\|p\\| > 1`: λ too large to interpolate), by the closed-form KKT
    solution on the support S with signs s, :math:`z_S = z_{LS} - \\|r\\| G^{-1}\\lambda u_S s`,
    :math:`G = A_S^\\top A_S`,
    :math:`\\|r\\|^2 = (\\|r_{LS}\\|^2 + \\beta^2)/(1-\\kappa)`,
    :math:`\\kappa = \\lambda^2 (u_S s)^\\top G^{-1}(u_S s)`. A polished
    point is accepted only by the stopping rule below; a failed attempt
    is retried after 64, 128, … iterations, from the then current iterate
    or, if that gives a worse starting vertex, from the vertex where the
    last simplex attempt ran out of its 800 pivots (the objective never
    increases along the pivots, so that work is kept).

    *Stopping rule.* A trial stops (``converged = True``) when a primal--dual
    pair certifies it: relative gap :math:`(\\mathcal{P}-\\mathcal{D})/
    \\mathcal{P}` ≤ ``tol``, *or* absolute gap :math:`\\mathcal{P}-\\mathcal{D}
    \\le 64\\varepsilon\\|b\\|_2` (ε = 2.2e-16). The floor matters only when
    the optimal value itself is tiny (λ‖z‖_{1,u} and the residual both near
    rounding level): perturbing each :math:`b_i` by its own rounding error
    moves the optimal value by up to :math:`\\varepsilon\\|b\\|_2` (the
    objective is 1-Lipschitz in b), and evaluating :math:`\\|Az-b\\|` at an
    interpolating z returns rounding noise of that size, so smaller absolute
    gaps are not resolvable; with the defaults (λ = 1e-4, tol = 1e-7) the
    relative test is always the binding one. Otherwise the trial stops after
    ``max_iter`` PDHG iterations (``converged = False``; the last PDHG
    iterate is returned, with its gap).
    """
    method = _check_method(method)
    lam = _check_positive("lam", lam)
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
        (_PD_TOL, _PD_MAX_ITER) if method == "primal_dual" else (_CVXPY_TOL, _CVXPY_MAX_ITER)
    )
    tol = default_tol if tol is None else _check_positive("tol", tol)
    if max_iter is None:
        max_iter = default_iter
    elif isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size!r}")
    device = torch.device(device)
    if threads is not None:
        if method != "cvxpy":
            raise ValueError(
                "threads applies to method='cvxpy' only; for 'primal_dual' use torch.set_num_threads"
            )
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads must be a positive integer or None; got {threads!r}")

    start = time.perf_counter()
    if method == "cvxpy":
        z, iters, conv, gap = _solve_cvxpy(A, b, weights, lam, tol, int(max_iter), threads, progress)
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


# ------------------------------------------------------------------ cvxpy
def _solve_cvxpy(A, b, weights, lam, tol, max_iter, threads, progress):
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
                _certify(A[t : t + 1], bs[None], lam * weights, z.value[None],
                         sign * np.asarray(fit.dual_value)[None])[0][0]
                for sign in (1.0, -1.0)
            )  # fmt: skip
        solved = problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
        primal = lam * weights @ np.abs(z.value) + np.linalg.norm(A[t] @ z.value - bs)
        conv[t] = solved and bool(_accepted(gap[t], primal, _PD_TOL))
    return z_out, iters, conv, gap


def _accepted(gap, primal, tol):
    """The stopping rule: relative gap <= tol, or absolute gap <= the rounding
    floor (the problem scaled to ||b|| = 1). Works on scalars and arrays."""
    return (gap <= tol) | (gap * primal <= _GAP_FLOOR)


def _certify(A, b, thr, z, p):
    """Certified relative gaps (P(z) - D(p)) / P(z) and primal values P(z), batched.

    ``A (T, m, N)``, ``b (T, m)``, ``z (T, N)``, dual points ``p (T, m)``: p
    is scaled by the largest s <= 1 with ||s p|| <= 1 and |A^T s p| <= thr,
    and D = -s <b, p> (weak duality, module docstring). Everything is
    computed from A and b themselves.
    """
    tiny = np.finfo(np.float64).tiny
    primal = np.abs(z) @ thr + np.linalg.norm(np.einsum("tmn,tn->tm", A, z) - b, axis=1)
    ratio = np.max(np.abs(np.einsum("tmn,tm->tn", A, p)) / thr, axis=1)
    s = np.minimum(1.0, 1.0 / np.maximum(np.maximum(np.linalg.norm(p, axis=1), ratio), tiny))
    dual = -s * np.einsum("tm,tm->t", b, p)
    return (primal - dual) / np.maximum(primal, tiny), primal


# ---------------------------------------------------------------- homotopy
@dataclass(frozen=True)
class _HomotopyResult:
    """Outcome of :func:`_homotopy` on one trial (b scaled to unit norm)."""

    z: np.ndarray | None  # (N,) certified solution, None if the homotopy gave up
    gap: float  # certified relative gap of z (best one seen if z is None)
    steps: int  # breakpoints followed


def _homotopy(A: np.ndarray, b: np.ndarray, thr: np.ndarray, tol: float, max_steps: int):
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

    Each candidate pair is certified with its *computed* gap
    (:func:`_certified_pair`'s rule: p scaled into feasibility). Numerics: G
    by an updated Cholesky factor (refactorised when a column leaves), a
    one-step refinement of a, and :math:`r_0` projected twice onto
    :math:`\\mathrm{range}(A_S)^\\perp` so that :math:`A_S^\\top p` is exact to
    rounding relative to p. Gives up (``z=None``) after ``max_steps`` steps;
    when the whole path (to a support of min(m, N) columns) would cost more
    than ``_HOMOTOPY_WORK`` = 5e8 flops and either the best gap is still
    above 0.4 after 12 breakpoints or above 0.1 after 20 (``_PROBES``) or the
    work exceeds a tenth of an estimate of
    the PDHG stage's, :math:`3 m k N + 2400 k N` flops, k = min(m, N);
    ten times more once the support is ill-conditioned (a squared Cholesky
    pivot below 0.1 of its column's squared norm, typical in d = 1: the PDHG
    stage's simplex polish struggles on such problems, while the homotopy
    only ever factors the support); when the best gap has not fallen
    10-fold over the last 50 steps after that budget; or when a new column
    is numerically dependent on S.
    """
    r, N = A.shape
    Atb = A.T @ b
    rho0 = math.sqrt(b @ b)
    ratio = np.abs(Atb) / thr
    j = int(np.argmax(ratio))
    t = float(ratio[j])
    if t <= rho0:  # z = 0 is optimal, certified by p = -b / rho0
        return _HomotopyResult(z=np.zeros(N), gap=0.0, steps=0)
    kmax = min(r, N)
    # flops of the whole path if the support has to grow to kmax (a dense
    # solution): about 2 kmax breakpoints of 2 r N + 12 r k flops each
    full_path = 4.0 * r * N * kmax + 12.0 * r * kmax * kmax
    # flops of the PDHG stage, roughly: its set-up (a Gram matrix and its
    # factorisation) and some 600 iterations, two products with a kmax x N matrix each
    pdhg_work = 3.0 * r * kmax * N + 2400.0 * kmax * N
    S = np.empty(kmax, dtype=np.int64)
    s = np.empty(kmax)
    AS = np.empty((r, kmax))
    G = np.empty((kmax, kmax))  # Gram matrix of the support
    L = np.zeros((kmax, kmax))  # its Cholesky factor
    S[0], s[0], AS[:, 0] = j, np.sign(Atb[j]), A[:, j]
    G[0, 0] = A[:, j] @ A[:, j]
    L[0, 0] = math.sqrt(G[0, 0])
    k = 1
    in_S = np.zeros(N, dtype=bool)
    in_S[j] = True
    blocked = -1  # the coefficient that just left may not re-enter at once
    history = []  # best certified relative gap after each step
    best = math.inf
    work = 0.0  # flops spent, roughly
    min_pivot = 1.0  # smallest squared Cholesky pivot / ||M_j||^2 so far
    for step in range(1, max_steps + 1):
        Sk, sk, Ak = S[:k], s[:k], AS[:, :k]
        factor = (L[:k, :k], True)

        def orthogonal(x, Ak=Ak, factor=factor):  # x minus its projection on range(A_S)
            return x - Ak @ cho_solve(factor, Ak.T @ x, check_finite=False)

        a = cho_solve(factor, Atb[Sk], check_finite=False)
        a -= cho_solve(factor, Ak.T @ (Ak @ a - b), check_finite=False)  # refinement
        r0 = Ak @ a - b
        rp = orthogonal(orthogonal(r0))
        v = cho_solve(factor, thr[Sk] * sk, check_finite=False)
        e = Ak @ v
        W = A.T @ np.stack([rp, e], axis=1)
        alpha, gamma = W[:, 0], W[:, 1]  # A^T r(t) = alpha - t gamma
        # next breakpoint: a coefficient enters ...
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = alpha / (gamma + thr)
            t2 = alpha / (gamma - thr)
        t_in = np.maximum(
            np.where((t1 > 0) & (t1 < t), t1, -np.inf), np.where((t2 > 0) & (t2 < t), t2, -np.inf)
        )
        t_in[np.abs(alpha - t * gamma) >= t * thr] = t  # violated by rounding: enter now
        t_in[in_S] = -np.inf
        if blocked >= 0:
            t_in[blocked] = -np.inf
        j_in = int(np.argmax(t_in))
        # ... or one reaches zero
        with np.errstate(divide="ignore", invalid="ignore"):
            t_zero = np.where(sk * v < 0, a / v, -np.inf)
        t_zero = np.where(t_zero > 0, np.minimum(t_zero, t), -np.inf)
        k_out = int(np.argmax(t_zero))
        t_next = max(float(t_in[j_in]), float(t_zero[k_out]), 0.0)
        # candidate pairs (z_S, tau) with p = rp / tau - e
        ee, rr, re, grp, ge = e @ e, rp @ rp, rp @ e, b @ rp, b @ e
        candidates = []
        if ee < 1.0:
            t_sr = math.sqrt(rr / (1.0 - ee))
            if t_sr >= t_next:  # the square-root LASSO solution is on this segment
                t_sr = min(t_sr, t)
                candidates.append((a - t_sr * v, t_sr))
        low = t_next if t_next > 0 else 1e-6 * t
        taus = t * (low / t) ** ((np.arange(_CERTIFICATE_POINTS) + 0.5) / _CERTIFICATE_POINTS)
        candidates += [(a, tau) for tau in taus]
        found = None
        for zS, tau in candidates:
            primal = thr[Sk] @ np.abs(zS) + math.sqrt(np.sum((Ak @ zS - b) ** 2))
            p_norm = math.sqrt(max(rr / tau**2 - 2.0 * re / tau + ee, 0.0))
            excess = float(np.max(np.abs(alpha / tau - gamma) / thr))
            scale = min(1.0, 1.0 / max(p_norm, _TINY), 1.0 / max(excess, _TINY))
            dual = -scale * (grp / tau - ge)
            gap_abs = primal - dual
            best = min(best, gap_abs / primal)
            if gap_abs <= max(tol * primal, _GAP_FLOOR):
                found = zS, gap_abs / primal
                break
        if found is not None:
            z = np.zeros(N)
            z[Sk] = found[0]
            return _HomotopyResult(z=z, gap=found[1], steps=step)
        history.append(best)
        work += 2.0 * r * N + 12.0 * r * k + 4.0 * k * k
        budget = _HOMOTOPY_WORK * (_ILL_WORK if min_pivot < _ILL_PIVOT else 1.0)
        if (
            t_next <= 0.0
            or (
                full_path > budget
                and (work > _HOMOTOPY_SHARE * pdhg_work or any(step >= n and best > g for n, g in _PROBES))
            )
            or (
                work > budget
                and step > _HOMOTOPY_PATIENCE
                and best > history[-1 - _HOMOTOPY_PATIENCE] / _HOMOTOPY_PROGRESS
            )
        ):
            break
        t = t_next
        if t_zero[k_out] >= t_in[j_in]:  # drop the coefficient that reached zero
            blocked = int(S[k_out])
            in_S[blocked] = False
            keep = np.flatnonzero(np.arange(k) != k_out)
            G[: k - 1, : k - 1] = G[np.ix_(keep, keep)]
            k -= 1
            S[:k], s[:k], AS[:, :k] = Sk[keep], sk[keep], Ak[:, keep]
            work += k**3 / 3.0
            if k == 0:
                break
            try:
                L[:k, :k] = cholesky(G[:k, :k], lower=True, check_finite=False)
            except np.linalg.LinAlgError:
                break
        else:  # add the entering column
            if k == kmax:
                break
            column = A[:, j_in]
            cross = Ak.T @ column
            ell = solve_triangular(L[:k, :k], cross, lower=True, check_finite=False)
            pivot = column @ column - ell @ ell
            if not pivot > _CHOLESKY_PIVOT * (column @ column):
                break
            min_pivot = min(min_pivot, pivot / (column @ column))
            S[k], s[k], AS[:, k] = j_in, -np.sign(alpha[j_in] - t * gamma[j_in]), column
            G[k, :k], G[:k, k], G[k, k] = cross, cross, column @ column
            L[k, :k], L[k, k] = ell, math.sqrt(pivot)
            in_S[j_in] = True
            blocked = -1
            k += 1
    return _HomotopyResult(z=None, gap=best, steps=step)


# ------------------------------------------------------------ primal-dual
def _solve_primal_dual(A, b, weights, lam, tol, max_iter, batch_size, device, progress):
    from tqdm.auto import tqdm

    T, m, N = A.shape
    if batch_size is None:
        if device.type == "cpu":
            per_trial = (2 * m * N + m * m) * 8  # A, the orthonormalised K, L
            batch_size = max(1, _CPU_BATCH_BYTES // per_trial)
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
    with tqdm(total=T, desc="primal-dual", disable=not progress) as bar:
        # stage 1: the homotopy, per trial
        for t in np.flatnonzero(b_norm > 0):
            result = _homotopy(A[t], b[t] / b_norm[t], thr, tol, max_iter)
            gap[t] = result.gap
            if result.z is not None:
                z[t], iters[t], conv[t] = result.z * b_norm[t], result.steps, True
                bar.update(1)
        bar.update(int(np.sum(b_norm == 0)))
        # stage 2: restarted PDHG, in batches, for the trials it did not certify
        rest = np.flatnonzero((b_norm > 0) & ~conv)
        path[rest] = "pdhg"
        for lo in range(0, rest.size, batch_size):
            ids = rest[lo : lo + batch_size]
            out = _pd_batch(A[ids], b[ids], weights, lam, tol, max_iter, device, True)
            z[ids], iters[ids], p, handoff = out
            left = max_iter - int(iters[ids[handoff]].max(initial=0))
            if handoff.any() and left > 0:  # not interpolating at this lam: the general form
                again = ids[handoff]
                out = _pd_batch(A[again], b[again], weights, lam, tol, left, device, False)
                z[again], more, p[handoff], _ = out
                iters[again] += more
            # the stopping decisions were taken on the transformed problems;
            # the reported certificate is computed on A and b themselves
            scale = b_norm[ids, None]
            gap[ids], primal = _certify(A[ids], b[ids] / scale, thr, z[ids] / scale, p)
            conv[ids] = _accepted(gap[ids], primal, tol)
            bar.update(ids.size)
    return z, iters, conv, gap, path.astype(str)


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
    (a squared Cholesky pivot below ``_CHOLESKY_RCOND`` times the largest
    diagonal entry, e.g. repeated sample points); the general form handles
    those.
    """
    G = _gram(A, rows=True)
    L, info = torch.linalg.cholesky_ex(G)
    if bool((info != 0).any()):
        return None
    pivots = torch.diagonal(L, dim1=1, dim2=2).square().min(1).values
    if not bool((pivots > _CHOLESKY_RCOND * torch.diagonal(G, dim1=1, dim2=2).max(1).values).all()):
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
        keep = evals > _RCOND * evals[:, -1:].clamp_min(0)
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
        keep = evals > _RCOND * evals[:, -1:].clamp_min(0)
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
    """Certified relative gaps and primal values of the iterates (batched).

    General form. Primal:
    :math:`\\lambda\\|z\\|_{1,u} + (\\|\\Sigma(Kz - c)\\|^2 + \\beta^2)^{1/2}`.
    Dual: q scaled by the largest s <= 1 keeping |K^T q| <= lam u and
    ||Sigma^{-1} q|| <= 1; then q_beta = (1 - ||s Sigma^{-1} q||^2)^{1/2}, its
    best value: D = -s <c, q> + beta_dual q_beta <= optimum <= primal
    (``beta_dual``: see `_Orthonormalised`).

    Interpolation form: on A and b themselves (two products with A, every
    ``_CHECK_EVERY`` iterations), so that no rounding of L or K enters the
    certificate: primal :math:`\\lambda\\|z\\|_{1,u} + \\|Az - b\\|`, dual
    point :math:`p = L^{-\\top}q` scaled by the largest s <= 1 keeping
    |A^T s p| <= lam u and ||s p|| <= 1, D = -s <b, p>.
    """
    tiny = torch.finfo(st.z.dtype).tiny
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
    s = torch.minimum(
        1.0 / dual_norm.clamp_min(tiny), (st.thr / KTq.abs().clamp_min(tiny)).min(1).values
    ).clamp(max=1.0)
    qb_best = (1.0 - (s * dual_norm) ** 2).clamp_min(0.0).sqrt()
    dual = -s * (rhs * y).sum(1) + st.beta_dual * qb_best
    return (primal - dual) / primal.clamp_min(tiny), primal


def _dual_point(L: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """:math:`p = L^{-\\top} q` (batched), the dual point of the interpolation form."""
    return torch.linalg.solve_triangular(L.transpose(-1, -2), q[..., None], upper=True)[..., 0]


def _polish(M, g, beta, beta_dual, thr, zp, p0, tol, saved=None, *, simplex=True):
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
    """
    last_dual = []

    def certified(z, p):  # (relative gap, accepted by the stopping rule)
        gap, primal = _certified_pair(M, g, beta, beta_dual, thr, z, p)
        last_dual.append(p)
        return gap, bool(_accepted(gap, primal, tol))

    def with_dual(result):  # the accepted pair is the last one certified
        return None if result is None else (*result, last_dual[-1])

    lp_optimal = False
    if simplex and float(beta) <= _BETA_INTERPOLATION:
        result, last, lp_optimal = _simplex(M, g, thr, zp, p0, certified, tol, saved)
        if result is not None or last is not None:
            return with_dual(result), last, False
    result = _support_solve(M, g, beta, thr, zp, p0, certified, tol)
    return with_dual(result), None, lp_optimal and result is None


def _certified_pair(M, g, beta, beta_dual, thr, z, p):
    """Certified relative gap of (z, p) for the problem of :func:`_polish` (one trial).

    p is scaled by the largest s <= 1 with ||s p|| <= 1 and
    |M^T s p| <= lam u; the dual value is
    -s <g, p> + beta_dual (1 - ||s p||^2)^{1/2} (see `_Orthonormalised`).
    Returns (relative gap, primal value).
    """
    tiny = torch.finfo(z.dtype).tiny
    primal = (thr * z.abs()).sum() + torch.sqrt((M @ z - g).square().sum() + beta**2)
    pn = torch.sqrt(p @ p)
    ratio = (M.T @ p).abs() / thr
    s = torch.minimum(1.0 / pn.clamp_min(tiny), 1.0 / ratio.max().clamp_min(tiny)).clamp(max=1.0)
    dual = -s * (g @ p) + beta_dual * (1.0 - (s * pn) ** 2).clamp_min(0.0).sqrt()
    return float((primal - dual) / primal.clamp_min(tiny)), float(primal)


def _support_solve(M, g, beta, thr, zp, p0, certified, tol):
    """KKT solve on the support S of ``zp`` with the signs s of ``zp``.

    For fixed S and s the square-root LASSO's KKT conditions have the
    closed-form solution

        z_S = z_LS - ||r|| G^{-1} w,   ||r||^2 = (||r_LS||^2 + beta^2) / (1 - kappa),

    G = M_S^T M_S, w = lam u_S s, kappa = w^T G^{-1} w, with z_LS, r_LS the
    least-squares solution and residual on S. Indices whose sign flips are
    dropped and the solve repeated (at most ``_POLISH_ROUNDS`` times). Dual
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
    for _ in range(_POLISH_ROUNDS):
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
    solved afresh); both recomputed every ``_SIMPLEX_REFACTOR`` pivots.
    Returns ``(result, saved, lp_optimal)``: ((z, gap), None, False) once
    the certified gap is accepted; (None, (basis, objective), False) after
    ``_SIMPLEX_PIVOTS`` pivots; (None, None, True) at LP optimality without
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
    for pivot in range(_SIMPLEX_PIVOTS + 1):
        if pivot % _SIMPLEX_REFACTOR == 0:
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
            if worst <= 0.0 or float(p.norm()) > 1.0 + _DUAL_OUTSIDE:
                return None, None, True  # LP (nearly) optimal, not certified: ||p|| > 1
        if pivot == _SIMPLEX_PIVOTS:
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
        self.tau = (_ETA / self.omega)[:, None]
        self.sig = (_ETA * self.omega)[:, None]
        self.tthr = self.tau * self.thr


def _pd_batch(A_np, b_np, weights, lam, tol, max_iter, device, interpolate):
    """Restarted reflected Halpern PDHG with polishing on one batch of trials.

    ``interpolate``: try the interpolation form (:func:`_interpolation_form`,
    m <= N), where the iteration solves the weighted basis pursuit; the general
    form (:func:`_orthonormalise`) is used if it is False or not applicable.
    Returns numpy arrays z (B, N), iterations (B,), the dual point p (B, m)
    of each trial's final certificate, for b scaled to unit norm and in the
    coordinates of A and b (:func:`_original_dual`; ``_solve_primal_dual``
    certifies the pair on A and b with :func:`_certify`), and ``handoff``
    (B,): trials stopped because the data cannot be interpolated at this λ
    (the basis pursuit's optimal dual has norm > 1), to be solved again in
    the general form. Every trial must have b != 0.
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
        omega=torch.full((B,), _OMEGA0, dtype=dtype, device=device),
        tau=None, sig=None, tthr=None, k=zeros(B),
        res0=torch.full((B,), math.inf, dtype=dtype, device=device),
        res_prev=torch.full((B,), math.inf, dtype=dtype, device=device),
        mu=zeros(B), support_prev=torch.zeros(B, N, dtype=torch.bool, device=device),
        A=pre.A, b=pre.b, L=pre.L, U=pre.U,
        ids=np.arange(B), next_polish=np.zeros(B, dtype=np.int64),
        backoff=np.full(B, _POLISH_BACKOFF, dtype=np.int64),
        saved=np.full(B, None, dtype=object), p_polish=np.full(B, None, dtype=object),
    )  # fmt: skip
    del pre
    st.set_steps()
    it = 0
    while True:
        KTq = (st.q[:, None, :] @ st.K)[:, 0]
        if it % _CHECK_EVERY == 0 or it >= max_iter:
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
                p = p - q_beta / residual.norm().clamp_min(_TINY) * residual
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
        (res <= _BETA_SUFFICIENT * st.res0)
        | ((res <= _BETA_NECESSARY * st.res0) & (res > st.res_prev))
        | (st.k >= _BETA_ARTIFICIAL * it)
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
    smoothed = torch.exp(_THETA * log_target + (1 - _THETA) * torch.log(st.omega))
    st.omega = torch.where(ok, smoothed, st.omega).clamp(1.0 / _OMEGA_MAX, _OMEGA_MAX)
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
    :func:`_polish`); polished trials get their exact solution written into
    ``st.z`` and the dual point of its certificate into ``st.p_polish``.
    """
    gap_t, primal_t = _certified_gap(st, KTq)
    done = _accepted(gap_t.cpu().numpy(), primal_t.cpu().numpy(), tol)
    handoff = np.zeros_like(done)
    if it == 0:
        return done, handoff
    support = st.zp != 0
    changed = (support != st.support_prev).sum(1)
    stable = (changed <= _SUPPORT_CHANGE * support.sum(1)).cpu().numpy()
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
        result, last, not_interpolating = _polish(
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
            st.backoff[j] *= _BACKOFF_GROWTH
    return done, handoff


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
    """
    method = _check_method(method)
    lam = _check_positive("lam", lam)
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
        Computed in blocks of 2048 points, so any n fits in memory.

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
    for lo in range(0, points.shape[0], _EVAL_CHUNK):
        hi = min(lo + _EVAL_CHUNK, points.shape[0])
        out[:, lo:hi] = zz @ polynomials.features(points[lo:hi], Lambda).T
    return out[0] if z.ndim == 1 else out


def lambda_sweep(
    y: np.ndarray,
    f_values: np.ndarray,
    Lambda: np.ndarray,
    lams: np.ndarray,
    *,
    points: np.ndarray,
    values: np.ndarray,
    method: Method = "primal_dual",
    **solver_options,
) -> LambdaSweep:
    """Validation error of :func:`fit` for each λ in ``lams``.

    Parameters
    ----------
    y, f_values, Lambda
        As in :func:`fit`.
    lams : array_like, shape (L,)
        Positive values of λ.
    points : array_like, shape (n, d)
        Validation points (e.g. uniform on :math:`[-1,1]^d`, independent of
        the samples).
    values : array_like, shape (n,)
        :math:`f` at ``points``.
    method, **solver_options
        Passed to :func:`fit`.

    Returns
    -------
    LambdaSweep
        ``rel_errors[l, t] = ||f - f_hat||_2 / ||f||_2`` over ``points``.
    """
    lams = np.atleast_1d(np.asarray(lams, dtype=np.float64))
    if lams.ndim != 1 or lams.size == 0:
        raise ValueError(f"lams must be a non-empty 1D array; got shape {lams.shape}")
    for value in lams:
        _check_positive("lams[i]", float(value))
    values = np.asarray(values, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    if values.shape != points.shape[:1]:
        raise ValueError(f"values must have shape ({points.shape[0]},); got {values.shape}")
    _check_finite("values", values)
    norm = np.linalg.norm(values)
    if norm == 0:
        raise ValueError("values must not be identically zero (relative error undefined)")
    errors = []
    for lam in lams:
        sol = fit(y, f_values, Lambda, lam=float(lam), method=method, **solver_options)
        approx = evaluate(sol.z, points, Lambda)
        errors.append(np.atleast_1d(np.linalg.norm(approx - values, axis=-1) / norm))
    return LambdaSweep(lams=lams, rel_errors=np.array(errors))
