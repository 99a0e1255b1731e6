"""Choosing λ of the CS decoder without the test set: K-fold cross-validation.

Rule
----
For each trial separately, its m training samples :math:`(y_i, f(y_i))` are
split, in their given order, into K contiguous folds (default K = 3, see
:data:`DEFAULT_FOLDS`) of sizes differing by at
most one (the samples are i.i.d., so no shuffling is needed and the split is
deterministic). For every λ of a grid and every fold k, the weighted
square-root LASSO (:func:`dnngap.cs.fit`) is solved on the other K - 1 folds
and its root-mean-square error on fold k is measured,

.. math::
    e_k(\\lambda) = \\Bigl(\\frac{1}{|F_k|}\\sum_{i \\in F_k}
    \\bigl(f(y_i) - \\hat f_{\\lambda,-k}(y_i)\\bigr)^2\\Bigr)^{1/2},
    \\qquad \\bar e(\\lambda) = \\frac1K \\sum_k e_k(\\lambda).

The chosen λ is the *largest* λ of the grid with
:math:`\\bar e(\\lambda) \\le (1 + \\texttt{TIE_RTOL}) \\min_{\\lambda'} \\bar e(\\lambda')`:
the least mean validation error, ties (within 1 %, far below the spread of
errors between trials, and above the solver's tolerance) going to the larger,
more regularising λ. Only the trial's own training samples enter: the rule
never sees test points or other trials.

Because :math:`A_{i\\nu} = \\Psi_\\nu(y_i)/\\sqrt m` is normalised by the
number of samples, :math:`\\|Az - b\\|_2` is an empirical RMS misfit whatever
m is, so a λ chosen with :math:`m(K-1)/K` samples transfers to the fit on all
m.

Shortcut (exact)
    For m ≤ N and small λ the minimiser interpolates the data and is then the
    weighted basis-pursuit solution for *every* smaller λ: an interpolant
    :math:`z^\\star` is optimal for λ iff some :math:`p` with
    :math:`\\|p\\|_2 \\le 1` has :math:`-A^\\top p \\in \\lambda\\, u \\circ
    \\partial\\|z^\\star\\|_1`, and then :math:`(\\lambda'/\\lambda)p` works for
    :math:`\\lambda' < \\lambda`. The grid is therefore solved from the largest
    λ down, and a (trial, fold) whose solution fits its data to within
    ``INTERPOLATION_RTOL`` (relative RMS residual) reuses that solution for the
    smaller λ instead of solving again.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from . import cs, functions, polynomials, sampling
from ._validation import check_int

__all__ = [
    "LAMBDA_GRID",
    "DEFAULT_FOLDS",
    "TIE_RTOL",
    "CVResult",
    "fold_slices",
    "cross_validate_lambda",
    "fit_cv",
    "SweepResult",
    "lambda_sweep",
    "least_squares_error",
]

#: Bump by hand when a change alters the λ this module chooses (grid, folds,
#: tie rule); the store key of every CS unit with ``lam="cv"`` includes it.
NUMERICS_VERSION: int = 1

#: λ grid of the cross-validation, one value per decade from 1e-6 to 1e-1.
#: Below 1e-6 nothing changes: for noise-free data the minimiser already
#: interpolates (is the weighted basis-pursuit solution) from about 1e-3 down
#: (see :data:`dnngap.cs.DEFAULT_LAMBDA`), so 1e-6 stands for "interpolate".
#: At 1e-1 the weighted l1 penalty (weights u ≥ 1, columns of unit RMS norm)
#: already shrinks the fit towards a few low-degree terms, and λ ≳ 1 gives
#: z = 0. One value per decade is as fine as the data can resolve: the
#: validation error of a fold varies between trials by a factor of about 2.
LAMBDA_GRID: np.ndarray = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])

#: Number of folds. 3, not the customary 5: the cost is dominated by the
#: fold-fits at the first λ that interpolates (smaller λ reuse them, larger λ
#: are cheap), i.e. by ``folds`` solves as expensive as the fixed-λ fit. The
#: measurements behind the choice are in ``book/performance.md``
#: ("Cross-validation of λ").
DEFAULT_FOLDS: int = 3

#: Relative tolerance within which two mean validation errors count as a tie.
TIE_RTOL: float = 1e-2

#: A fold-fit interpolates (see *Shortcut*) once its RMS residual is at most
#: this times the RMS of its data.
INTERPOLATION_RTOL: float = 1e-9


@dataclass(frozen=True)
class CVResult:
    """Result of :func:`cross_validate_lambda` for T trials and L values of λ.

    Attributes
    ----------
    grid : numpy.ndarray, shape (L,)
        The λ values, increasing.
    lam : numpy.ndarray, shape (T,)
        Chosen λ per trial.
    validation_rms : numpy.ndarray, shape (T, L)
        Mean over the folds of the validation RMS error :math:`\\bar e(\\lambda)`.
    folds : int
    solves : int
        Fold-fits actually solved (trials × folds × λ, less the reused ones).
    wall_time : float
        Seconds.

    Examples
    --------
    :math:`e^y` in d = 1 from 12 samples, 2 trials, 3 folds: λ = 1 shrinks
    the fit to zero (validation error of the size of f) and is never chosen.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 12, 1))
    >>> cv = cross_validate_lambda(y, np.exp(y[..., 0]), polynomials.total_degree(1, 6),
    ...                            grid=[1e-4, 1e-2, 1.0], folds=3)
    >>> cv.validation_rms.shape, cv.folds, bool(np.all(cv.lam < 1)), bool(np.all(cv.validation_rms[:, 2] > 1))
    ((2, 3), 3, True, True)
    """

    grid: np.ndarray
    lam: np.ndarray
    validation_rms: np.ndarray
    folds: int
    solves: int
    wall_time: float


def _check_grid(grid: object) -> np.ndarray:
    arr = np.asarray(grid, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"grid must be a non-empty 1D sequence of λ values; got shape {arr.shape}")
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"grid must hold positive finite λ values; got {arr.tolist()}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"grid must be strictly increasing; got {arr.tolist()}")
    return arr


def fold_slices(m: int, folds: int) -> list[slice]:
    """Contiguous folds of ``range(m)``, sizes differing by at most one.

    Examples
    --------
    >>> fold_slices(7, 3)
    [slice(0, 3, None), slice(3, 5, None), slice(5, 7, None)]
    """
    m = check_int("m", m, 1)
    folds = check_int("folds", folds, 2)
    if folds > m:
        raise ValueError(f"folds must be <= the number of samples m = {m}; got {folds}")
    bounds = np.cumsum([0] + [m // folds + (k < m % folds) for k in range(folds)])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _fold_problems(y, fv, folds):
    """Training and validation sets per (trial, fold), grouped by training size.

    Returns a list of ``(pairs, y_train, f_train, y_val, f_val)`` where
    ``pairs`` lists the (trial, fold) of each row; rows of one group share
    their training size, so one batched solve covers them.
    """
    T, m, _ = y.shape
    groups: dict[int, list[tuple[int, int]]] = {}
    slices = fold_slices(m, folds)
    for k, s in enumerate(slices):
        groups.setdefault(m - (s.stop - s.start), []).extend((t, k) for t in range(T))
    out = []
    for pairs in groups.values():
        keep = [np.r_[0:slices[k].start, slices[k].stop:m] for _, k in pairs]
        out.append((pairs,
                    np.stack([y[t, i] for (t, _), i in zip(pairs, keep)]),
                    np.stack([fv[t, i] for (t, _), i in zip(pairs, keep)]),
                    [y[t, slices[k]] for t, k in pairs],
                    [fv[t, slices[k]] for t, k in pairs]))
    return out


def _sweep_group(y_tr, f_tr, phi_val, f_val, Lambda, grid, solver_options):
    """Validation RMS (rows, L) of a batch of fits over ``grid``, λ from large to small.

    ``phi_val[r]`` holds the features :math:`\\Psi_\\nu` at row r's validation
    points and ``f_val[r]`` the values there. Returns ``(rms, solves)``.
    """
    rows, m_tr = f_tr.shape
    out = np.empty((rows, len(grid)))
    A = cs.measurement_matrix(y_tr, Lambda)
    b = f_tr / math.sqrt(m_tr)
    scale = np.maximum(np.linalg.norm(b, axis=1), np.finfo(float).tiny)
    z = np.zeros((rows, len(Lambda)))
    open_ = np.ones(rows, dtype=bool)  # not yet interpolating: solve again
    solves = 0
    for j in range(len(grid) - 1, -1, -1):
        idx = np.flatnonzero(open_)
        if idx.size:
            sol = cs.fit(y_tr[idx], f_tr[idx], Lambda, lam=float(grid[j]), **solver_options)
            z[idx] = np.asarray(sol.z).reshape(idx.size, -1)
            solves += idx.size
            residual = np.linalg.norm(np.einsum("rmn,rn->rm", A[idx], z[idx]) - b[idx], axis=1)
            open_[idx] = residual > INTERPOLATION_RTOL * scale[idx]
        for r in range(rows):
            out[r, j] = math.sqrt(np.mean((phi_val[r] @ z[r] - f_val[r]) ** 2))
    return out, solves


def _choose(validation_rms: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Largest λ whose error is within ``TIE_RTOL`` of the least, per row."""
    best = validation_rms.min(axis=1, keepdims=True)
    ok = validation_rms <= (1 + TIE_RTOL) * best
    last = validation_rms.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    return grid[last]


def cross_validate_lambda(
    y: np.ndarray,
    f_values: np.ndarray,
    Lambda: np.ndarray,
    *,
    grid: np.ndarray = LAMBDA_GRID,
    folds: int = DEFAULT_FOLDS,
    **solver_options,
) -> CVResult:
    """Choose λ per trial by K-fold cross-validation on its training samples.

    Parameters
    ----------
    y : array_like, shape (T, m, d) or (m, d)
        Training points of each trial.
    f_values : array_like, shape (T, m) or (m,)
        :math:`f(y_i)`.
    Lambda : array_like of int, shape (N, d)
        Index set of the decoder.
    grid : array_like, shape (L,)
        Strictly increasing positive λ values (default :data:`LAMBDA_GRID`).
    folds : int
        K ≥ 2, at most m (default :data:`DEFAULT_FOLDS`).
    **solver_options
        Passed to :func:`dnngap.cs.fit` (``method``, ``tol``, ``device`` ...).

    Returns
    -------
    CVResult
        The rule is in the module docstring; a trial's choice depends on its
        own samples only (each fold-fit is an independent solve).

    Examples
    --------
    Two Legendre terms, noise-free, more samples than unknowns: every λ of
    the grid recovers them exactly (validation error at rounding level), so
    the tie rule picks the largest; the first solve (λ = 0.1) interpolates
    every fold, and the smaller λ reuse it (8 solves instead of 48).

    >>> rng = np.random.default_rng(0)
    >>> Lambda = polynomials.total_degree(2, 6)                  # N = 28
    >>> y = rng.uniform(-1, 1, (2, 40, 2))
    >>> fv = 1 + 0.5 * polynomials.features(y.reshape(-1, 2), Lambda)[:, 4].reshape(2, 40)
    >>> res = cross_validate_lambda(y, fv, Lambda, folds=4)
    >>> res.lam, res.solves, bool(res.validation_rms.max() < 1e-12)
    (array([0.1, 0.1]), 8, True)
    """
    start = time.perf_counter()
    grid = _check_grid(grid)
    folds = check_int("folds", folds, 2)
    y = np.asarray(y, dtype=np.float64)
    f_values = np.asarray(f_values, dtype=np.float64)
    if y.ndim == 2:  # one trial
        y, f_values = y[None], f_values[None]
    if y.ndim != 3 or f_values.shape != y.shape[:2]:
        raise ValueError(f"y must have shape (T, m, d) and f_values (T, m); got {y.shape} and {f_values.shape}")
    T, m, _ = y.shape
    fold_slices(m, folds)  # validates folds <= m
    fold_rms = np.empty((T, folds, len(grid)))
    solves = 0
    for pairs, y_tr, f_tr, y_val, f_val in _fold_problems(y, f_values, folds):
        phi_val = [polynomials.features(points, Lambda) for points in y_val]
        rms, n = _sweep_group(y_tr, f_tr, phi_val, f_val, Lambda, grid, solver_options)
        solves += n
        for (t, k), row in zip(pairs, rms):
            fold_rms[t, k] = row
    validation = fold_rms.mean(axis=1)
    lam = _choose(validation, grid)
    return CVResult(grid=grid, lam=lam, validation_rms=validation,
                    folds=folds, solves=solves, wall_time=time.perf_counter() - start)


def fit_cv(y, f_values, Lambda, cv: CVResult, **solver_options) -> tuple[np.ndarray, list]:
    """Fit each trial with its own cross-validated λ; ``(z (T, N), solutions)``.

    Trials that chose the same λ are solved together (one batched solve per
    distinct λ). Each solution is ``(objective, iterations, converged)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 12, 1))
    >>> fv, Lambda = np.exp(y[..., 0]), polynomials.total_degree(1, 6)      # N = 7
    >>> cv = cross_validate_lambda(y, fv, Lambda, grid=[1e-4, 1e-2, 1.0], folds=3)
    >>> z, solutions = fit_cv(y, fv, Lambda, cv)
    >>> z.shape, [converged for _, _, converged in solutions]
    ((2, 7), [True, True])
    """
    y = np.asarray(y, dtype=np.float64)
    f_values = np.asarray(f_values, dtype=np.float64)
    z = np.empty((y.shape[0], len(Lambda)))
    solutions = [None] * y.shape[0]
    for lam in np.unique(cv.lam):
        idx = np.flatnonzero(cv.lam == lam)
        sol = cs.fit(y[idx], f_values[idx], Lambda, lam=float(lam), **solver_options)
        z[idx] = np.asarray(sol.z).reshape(idx.size, -1)
        for r, t in enumerate(idx):
            solutions[t] = (float(np.ravel(sol.objective)[r]), int(np.ravel(sol.iterations)[r]),
                            bool(np.ravel(sol.converged)[r]))
    return z, solutions


@dataclass(frozen=True)
class SweepResult:
    """Test error of CS over a λ grid (:func:`lambda_sweep`).

    Attributes
    ----------
    lams : numpy.ndarray, shape (L,)
    rel_errors : numpy.ndarray, shape (T, L)
        Relative RMS error :math:`\\|f - \\hat f\\|/\\|f\\|` on the Monte Carlo
        test points, per trial and λ.
    cv : CVResult
        λ chosen by :func:`cross_validate_lambda` on each trial's samples.
    cv_rel_errors : numpy.ndarray, shape (T,)
        Test error of each trial fitted with its cross-validated λ.
    n_test : int
        Number of test points.
    wall_time : float
        Seconds (sweep and cross-validation).

    Examples
    --------
    At λ = 1 the fit is zero, so its relative error is exactly 1:

    >>> res = lambda_sweep("exp_cos", 1, 12, polynomials.total_degree(1, 6), [1e-4, 1.0], 2,
    ...                    np.random.default_rng(0), n_test=100, folds=3)
    >>> res.rel_errors[:, 1].round(12).tolist(), bool(np.all(res.rel_errors[:, 0] < 1e-4))
    ([1.0, 1.0], True)
    >>> res.cv_rel_errors.shape, res.n_test, len(res.cv.grid)
    ((2,), 100, 6)
    """

    lams: np.ndarray
    rel_errors: np.ndarray
    cv: CVResult
    cv_rel_errors: np.ndarray
    n_test: int
    wall_time: float


def lambda_sweep(
    function: str,
    d: int,
    m: int,
    Lambda: np.ndarray,
    lams: np.ndarray,
    trials: int,
    rng: np.random.Generator,
    *,
    n_test: int = 5000,
    folds: int = DEFAULT_FOLDS,
    **solver_options,
) -> SweepResult:
    """Test error against λ, with the cross-validated λ of each trial.

    Draws ``trials`` sets of m uniform samples (:func:`dnngap.sampling.uniform`),
    then ``n_test`` uniform test points, both from ``rng``; fits every λ of
    ``lams`` (:func:`dnngap.cs.fit`, with the interpolation shortcut of the
    module docstring) and the λ chosen by :func:`cross_validate_lambda`
    (default grid; its fit is looked up in the sweep when ``lams`` holds
    it), and measures the relative
    RMS error on the test points (a Monte Carlo estimate of the relative
    :math:`L^2_\\rho` error). The test points are used for measuring only.

    Examples
    --------
    >>> res = lambda_sweep("exp_cos", 2, 30, polynomials.hyperbolic_cross(2, 15),
    ...                    [1e-4, 1e-1], 2, np.random.default_rng(0), n_test=200)
    >>> res.rel_errors.shape, bool(np.all(res.rel_errors[:, 0] < res.rel_errors[:, 1]))
    ((2, 2), True)
    >>> res.cv.lam
    array([0.01, 0.01])
    """
    start = time.perf_counter()
    f = functions.get(function)
    lams = _check_grid(lams)
    y = sampling.uniform(d, m, trials, rng)
    fv = f(y.reshape(-1, d)).reshape(trials, m)
    test = rng.uniform(-1.0, 1.0, (check_int("n_test", n_test, 2), d))
    ft = f(test)

    phi = polynomials.features(test, Lambda)
    rms, _ = _sweep_group(y, fv, [phi] * trials, [ft] * trials, Lambda, lams, solver_options)
    errors = rms / math.sqrt(np.mean(ft**2))
    cv = cross_validate_lambda(y, fv, Lambda, folds=folds, **solver_options)
    if np.all(np.isin(cv.lam, lams)):  # the sweep already has these fits
        cv_errors = errors[np.arange(trials), np.searchsorted(lams, cv.lam)]
    else:
        z_cv, _ = fit_cv(y, fv, Lambda, cv, **solver_options)
        cv_errors = np.sqrt(np.mean((z_cv @ phi.T - ft) ** 2, axis=1) / np.mean(ft**2))
    return SweepResult(lams=lams, rel_errors=errors, cv=cv, cv_rel_errors=cv_errors,
                       n_test=int(n_test), wall_time=time.perf_counter() - start)


def least_squares_error(
    function: str,
    d: int,
    Lambda: np.ndarray,
    rng: np.random.Generator,
    *,
    oversampling: int = 10,
    n_test: int = 5000,
) -> float:
    """Estimate of the best approximation error :math:`\\|f - P_\\Lambda f\\|/\\|f\\|`.

    Least-squares fit of :math:`f` in :math:`\\mathrm{span}\\{\\Psi_\\nu\\}_{\\nu\\in\\Lambda}`
    on ``oversampling * |Λ|`` uniform points, then its relative RMS error on
    ``n_test`` fresh uniform points (both from ``rng``). The fit lies in the
    span, so up to Monte Carlo error this is an *upper* estimate of the
    floor; it is close when the least-squares problem is well conditioned
    (random points oversample :math:`\\Lambda` enough; solved by the normal
    equations, falling back to a QR-based solver when they are too ill
    conditioned), which fails for
    high degrees in low dimension (d = 1 with |Λ| = 2000 would need about
    :math:`|\\Lambda|^2` points). Costs about ``oversampling`` · |Λ|³ flops.

    Examples
    --------
    >>> e = least_squares_error("exp_cos", 2, polynomials.hyperbolic_cross(2, 10),
    ...                         np.random.default_rng(0), n_test=500)
    >>> bool(1e-7 < e < 1e-5)
    True
    """
    f = functions.get(function)
    N = len(Lambda)
    pts = rng.uniform(-1.0, 1.0, (check_int("oversampling", oversampling, 1) * N, d))
    Phi = polynomials.features(pts, Lambda)
    coef = _least_squares(Phi, f(pts))
    test = rng.uniform(-1.0, 1.0, (check_int("n_test", n_test, 2), d))
    ft = f(test)
    return float(np.linalg.norm(cs.evaluate(coef, test, Lambda) - ft) / np.linalg.norm(ft))


def _least_squares(Phi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares coefficients: normal equations (a matrix product and a
    Cholesky factorisation, several times faster than QR), or QR with column
    pivoting when the Gram matrix is not numerically positive definite."""
    G = Phi.T @ Phi
    try:
        factor = scipy.linalg.cho_factor(G, check_finite=False)
        pivots = np.abs(np.diag(factor[0]))
        if pivots.max() < 1e3 * pivots.min():  # cond(G) >= (max/min pivot)^2: else use QR
            return scipy.linalg.cho_solve(factor, Phi.T @ values, check_finite=False)
    except np.linalg.LinAlgError:
        pass
    coef, *_ = scipy.linalg.lstsq(Phi, values, lapack_driver="gelsy", check_finite=False)
    return coef
