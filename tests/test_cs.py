"""Tests of dnngap.cs: weighted square-root LASSO solvers and the CS pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnngap import cs, functions, polynomials, sampling


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test here on one core (tests/conftest.py)."""


def _objective(A, b, u, lam, z):
    return lam * np.abs(z) @ u + np.linalg.norm(np.einsum("...mn,...n->...m", A, z) - b, axis=-1)


def _legendre_problem(rng, d, Lambda, m, T, f):
    y = rng.uniform(-1, 1, (T, m, d))
    A = cs.measurement_matrix(y, Lambda)
    b = f(y.reshape(-1, d)).reshape(T, m) / math.sqrt(m)
    return A, b


# ------------------------------------------------------------------ matrices
def test_measurement_matrix_is_scaled_features():
    rng = np.random.default_rng(0)
    Lambda = polynomials.total_degree(3, 4)
    y = rng.uniform(-1, 1, (2, 10, 3))
    A = cs.measurement_matrix(y, Lambda)
    assert A.shape == (2, 10, len(Lambda))
    for t in range(2):
        np.testing.assert_array_equal(A[t], polynomials.features(y[t], Lambda) / math.sqrt(10))


def test_measurement_matrix_gram_tends_to_identity():
    # E[A^T A] = I for uniform samples (orthonormal basis): Monte Carlo check
    rng = np.random.default_rng(1)
    Lambda = polynomials.total_degree(2, 3)
    A = cs.measurement_matrix(rng.uniform(-1, 1, (200_000, 2)), Lambda)
    # entries of A^T A are means of 200k products with variance <= 7^2 (|L_3| <= sqrt 7)
    np.testing.assert_allclose(A.T @ A, np.eye(len(Lambda)), atol=0.05)


def _without_homotopy(monkeypatch):
    """Make the homotopy stage give up at once, so that PDHG solves every trial."""
    monkeypatch.setattr(
        cs.homotopy, "homotopy", lambda *args: cs.homotopy.HomotopyResult(z=None, gap=math.inf, steps=0)
    )


# -------------------------------------------- primal-dual agrees with cvxpy
@pytest.mark.parametrize("stage", ["both", "pdhg"])
@pytest.mark.parametrize(
    ("m", "lam"),
    [(40, 1e-3), (120, 1e-3), (40, 0.05), (120, 0.3)],
    ids=["underdetermined", "overdetermined", "under-large-lam", "over-large-lam"],
)
def test_primal_dual_reaches_cvxpy_optimum(m, lam, stage, monkeypatch):
    # stage "both": homotopy, then PDHG for what it leaves; "pdhg": PDHG alone
    if stage == "pdhg":
        _without_homotopy(monkeypatch)
    rng = np.random.default_rng(m + int(1e3 * lam))
    Lambda = polynomials.total_degree(3, 6)  # N = 84
    u = polynomials.weights(Lambda)
    A, b = _legendre_problem(rng, 3, Lambda, m, 3, lambda y: np.exp(y.sum(1) / 3))
    fast = cs.solve(A, b, u, lam)  # the three trials together
    ref = cs.solve(A, b, u, lam, method="cvxpy")
    assert fast.converged.all() and ref.converged.all()
    assert set(fast.path) <= ({"pdhg"} if stage == "pdhg" else {"homotopy", "pdhg"})
    assert np.all(ref.path == "clarabel")
    rel = (fast.objective - ref.objective) / ref.objective
    assert np.all(np.abs(rel) <= 1e-6), rel
    # the certified gaps bound the true sub-optimality
    assert np.all(rel <= fast.gap + 1e-12)
    np.testing.assert_allclose(fast.objective, _objective(A, b, u, lam, fast.z), rtol=1e-12)


@pytest.mark.parametrize(("lam", "forms"), [(1e-3, [True]), (0.05, [True, False])],
                         ids=["interpolating", "not-interpolating"])
def test_interpolation_form_and_handoff(lam, forms, monkeypatch):
    """m <= N: PDHG first runs in the interpolation (basis pursuit) form. With
    a small lam the minimiser interpolates and that form certifies it; with a
    large one the basis pursuit optimum is not the minimiser, and the trials
    are handed to the general form. Either way the result is Clarabel's."""
    _without_homotopy(monkeypatch)
    calls, forms_used = [], []
    pd_batch, interpolation_form = cs.pdhg.pd_batch, cs.pdhg._interpolation_form

    def spy_batch(*args):
        calls.append(args[-1])
        return pd_batch(*args)

    def spy_form(A, b):
        pre = interpolation_form(A, b)
        forms_used.append(pre is not None)
        return pre

    monkeypatch.setattr(cs.pdhg, "pd_batch", spy_batch)
    monkeypatch.setattr(cs.pdhg, "_interpolation_form", spy_form)
    rng = np.random.default_rng(40)
    Lambda = polynomials.total_degree(3, 6)  # N = 84
    u = polynomials.weights(Lambda)
    A, b = _legendre_problem(rng, 3, Lambda, 40, 2, lambda y: np.exp(y.sum(1) / 3))
    fast = cs.solve(A, b, u, lam)
    ref = cs.solve(A, b, u, lam, method="cvxpy")
    assert calls == forms and forms_used == [True]
    assert fast.converged.all()
    np.testing.assert_allclose(fast.objective, ref.objective, rtol=1e-6)
    residual = np.linalg.norm(np.einsum("tmn,tn->tm", A, fast.z) - b, axis=1)
    if lam == 1e-3:  # interpolates: zero residual up to rounding
        assert np.all(residual <= 1e-10 * np.linalg.norm(b, axis=1))
    else:
        assert np.all(residual >= 1e-6 * np.linalg.norm(b, axis=1))


def test_partial_handoff_keeps_the_other_trials(monkeypatch):
    """A batch in which one trial interpolates (smooth data) and the other
    does not (noise, lam = 0.01): only the second is solved again in the
    general form, and both agree with Clarabel."""
    _without_homotopy(monkeypatch)
    calls = []
    pd_batch = cs.pdhg.pd_batch

    def spy(A, *args):
        calls.append((A.shape[0], args[-1]))
        return pd_batch(A, *args)

    monkeypatch.setattr(cs.pdhg, "pd_batch", spy)
    rng = np.random.default_rng(15)
    Lambda = polynomials.total_degree(3, 6)  # N = 84
    u = polynomials.weights(Lambda)
    y = rng.uniform(-1, 1, (2, 40, 3))
    A = cs.measurement_matrix(y, Lambda)
    b = np.stack([np.exp(y[0].sum(1) / 3), rng.standard_normal(40)]) / math.sqrt(40)
    fast = cs.solve(A, b, u, 0.01)
    ref = cs.solve(A, b, u, 0.01, method="cvxpy")
    assert calls == [(2, True), (1, False)]
    assert fast.converged.all()
    np.testing.assert_allclose(fast.objective, ref.objective, rtol=1e-6)
    residual = np.linalg.norm(np.einsum("tmn,tn->tm", A, fast.z) - b, axis=1)
    assert residual[0] <= 1e-10 * np.linalg.norm(b[0]) and residual[1] >= 1e-2 * np.linalg.norm(b[1])


@pytest.mark.parametrize("rows", [True, False])
def test_gram_lower_triangle_matches_the_product(rows):
    rng = np.random.default_rng(16)
    A = torch.as_tensor(rng.standard_normal((2, 7, 11)))
    full = A @ A.transpose(1, 2) if rows else A.transpose(1, 2) @ A
    gram = cs.pdhg._gram(A, rows=rows)
    assert gram.shape == full.shape
    np.testing.assert_allclose(torch.tril(gram), torch.tril(full), rtol=1e-13, atol=1e-13)
    # what the factorisations read: the lower triangle
    evals = torch.linalg.eigvalsh(full)  # (A^T A has zero eigenvalues: absolute tolerance)
    np.testing.assert_allclose(torch.linalg.eigvalsh(gram), evals, atol=1e-12 * float(evals.max()))


def test_homotopy_gives_up_early_only_on_an_expensive_dense_path(monkeypatch):
    """The homotopy follows a path whose full cost fits its budget to the end,
    and stops at a checkpoint where its gap is too large when the whole path
    (a dense solution, support of size m) would cost more than the budget."""
    rng = np.random.default_rng(41)
    Lambda = polynomials.total_degree(3, 6)  # N = 84
    A, b = _legendre_problem(rng, 3, Lambda, 40, 1, lambda y: np.exp(y.sum(1) / 3))
    A, b = A[0], b[0] / np.linalg.norm(b[0])
    thr = 1e-4 * polynomials.weights(Lambda)
    full = cs.homotopy.homotopy(A, b, thr, 1e-7, 10_000)
    assert full.z is not None and full.steps > 40  # dense: about m breakpoints
    full_path = 4.0 * 40 * 84 * 40 + 12.0 * 40 * 40**2  # the rule's estimate, 1.3e6 flops
    monkeypatch.setattr(cs._tuning, "PROBES", ((3, 1e-12),))
    monkeypatch.setattr(cs._tuning, "ILL_WORK", 1.0)
    monkeypatch.setattr(cs._tuning, "HOMOTOPY_WORK", 2 * full_path)
    assert cs.homotopy.homotopy(A, b, thr, 1e-7, 10_000).steps == full.steps
    monkeypatch.setattr(cs._tuning, "HOMOTOPY_WORK", full_path / 2)
    early = cs.homotopy.homotopy(A, b, thr, 1e-7, 10_000)
    assert early.z is None
    assert early.steps == 3  # the probe: gap above 1e-12 after 3 breakpoints
    # without the probe, it stops after a tenth of the PDHG stage's estimated
    # work, 3 m^2 N + 2400 m N flops (8.5e6 here): before the end of the path
    monkeypatch.setattr(cs._tuning, "PROBES", ())
    share = cs.homotopy.homotopy(A, b, thr, 1e-7, 10_000)
    assert share.z is None and early.steps < share.steps < full.steps
    assert share.steps <= 0.1 * (3 * 40 * 40 * 84 + 2400 * 40 * 84) / (2 * 40 * 84) + 2


def test_primal_weight_stays_bounded_on_a_degenerate_problem(monkeypatch):
    """A sparse interpolant in d = 2 (N = 399 > m = 200), PDHG alone: the
    primal iterate stalls while the free dual moves, which drove the primal
    weight to 1e60 within 3,000 iterations (and to overflow, NaN
    coefficients, later). It must stay within its bounds and z finite."""
    _without_homotopy(monkeypatch)
    weights_seen = []
    check = cs.pdhg._check_and_polish

    def spy(st, KTq, it, tol):
        weights_seen.append(float(st.omega.max()))
        return check(st, KTq, it, tol)

    monkeypatch.setattr(cs.pdhg, "_check_and_polish", spy)
    f = functions.get("exp_cos")
    Lambda = polynomials.hyperbolic_cross(2, polynomials.largest_order("hyperbolic_cross", 2, 400))
    y = sampling.uniform(2, 200, 1, np.random.default_rng(0))
    sol = cs.fit(y, f(y[0])[None], Lambda, max_iter=3000)
    assert max(weights_seen) <= cs._tuning.OMEGA_MAX
    assert np.all(np.isfinite(sol.z)) and np.isfinite(sol.objective).all()


def test_single_trial_shapes_and_batch_equivalence():
    rng = np.random.default_rng(5)
    Lambda = polynomials.hyperbolic_cross(2, 12)
    u = polynomials.weights(Lambda)
    A, b = _legendre_problem(rng, 2, Lambda, 20, 2, lambda y: np.cos(y).prod(1))
    both = cs.solve(A, b, u, 1e-3)
    one = cs.solve(A[1], b[1], u, 1e-3)
    assert one.z.shape == (len(Lambda),) and one.objective.shape == ()
    assert both.z.shape == (2, len(Lambda)) and both.converged.shape == (2,)
    # batching changes nothing but rounding: each trial runs the same
    # iteration, but batched BLAS kernels (Gram matrix, eigh) round differently
    np.testing.assert_allclose(one.z, both.z[1], rtol=0, atol=1e-12)
    separately = cs.solve(A, b, u, 1e-3, batch_size=1)
    np.testing.assert_allclose(separately.z, both.z, rtol=0, atol=1e-12)


def test_deterministic():
    rng = np.random.default_rng(6)
    Lambda = polynomials.hyperbolic_cross(3, 8)
    u = polynomials.weights(Lambda)
    A, b = _legendre_problem(rng, 3, Lambda, 25, 2, lambda y: 1 / (2 + y.sum(1)))
    np.testing.assert_array_equal(cs.solve(A, b, u, 1e-4).z, cs.solve(A, b, u, 1e-4).z)


def test_iteration_cap_reports_not_converged():
    rng = np.random.default_rng(7)
    Lambda = polynomials.hyperbolic_cross(3, 10)
    u = polynomials.weights(Lambda)
    A, b = _legendre_problem(rng, 3, Lambda, 30, 2, lambda y: np.exp(y.sum(1)))
    # max_iter caps both stages: 5 homotopy breakpoints, then 5 PDHG iterations
    sol = cs.solve(A, b, u, 1e-4, max_iter=5)
    assert not sol.converged.any()
    assert np.all(sol.iterations == 5)
    assert np.all(sol.path == "pdhg")
    assert np.all(sol.gap > 1e-7)


def test_zero_data_gives_zero_solution():
    Lambda = polynomials.hyperbolic_cross(2, 5)
    A = cs.measurement_matrix(np.random.default_rng(8).uniform(-1, 1, (2, 9, 2)), Lambda)
    b = np.zeros((2, 9))
    b[1] = A[1, :, 0]  # trial 1: f = Psi_0 = 1
    sol = cs.solve(A, b, polynomials.weights(Lambda), 1e-4)
    np.testing.assert_array_equal(sol.z[0], 0.0)
    assert sol.converged.all()


def test_ellipsoid_projection_against_bisection():
    """The dual projection onto {sum y_i^2 / s2_i + yb^2 <= 1} (Newton on the
    secular equation) against bisection for the multiplier."""
    from scipy.optimize import brentq

    rng = np.random.default_rng(13)
    s2 = rng.uniform(0.01, 20.0, (4, 30))
    y = rng.standard_normal((4, 30)) * np.array([[0.01], [1.0], [3.0], [10.0]])
    yb = rng.standard_normal(4)
    x, xb, _ = cs.pdhg._project_ellipsoid(
        torch.tensor(y), torch.tensor(yb), torch.tensor(s2), torch.zeros(4, dtype=torch.float64)
    )
    x, xb = x.numpy(), xb.numpy()
    for i in range(4):
        inside = (y[i] ** 2 / s2[i]).sum() + yb[i] ** 2 <= 1
        if inside:
            np.testing.assert_array_equal(x[i], y[i])
            continue
        def excess(mu, i=i):
            return (y[i] ** 2 * s2[i] / (s2[i] + mu) ** 2).sum() + yb[i] ** 2 / (1 + mu) ** 2 - 1

        mu = brentq(excess, 0.0, 1e8, xtol=1e-15, rtol=1e-15)
        np.testing.assert_allclose(x[i], y[i] * s2[i] / (s2[i] + mu), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(xb[i], yb[i] / (1 + mu), rtol=1e-10, atol=1e-14)
        assert abs((x[i] ** 2 / s2[i]).sum() + xb[i] ** 2 - 1) < 1e-12
    assert not all((y[i] ** 2 / s2[i]).sum() + yb[i] ** 2 <= 1 for i in range(4))


# ------------------------------------------------- exact sparse recovery
def test_exact_recovery_of_sparse_legendre_expansion():
    rng = np.random.default_rng(3)
    d = 4
    Lambda = polynomials.hyperbolic_cross(d, 15)  # N = 204
    support = np.array([0, 3, 17, 40, 77, 120])
    c = np.zeros(len(Lambda))
    c[support] = rng.standard_normal(support.size)
    for m in (40, 80):  # m << N: compressed sensing, not interpolation
        y = sampling.uniform(d, m, 3, rng)
        A = cs.measurement_matrix(y, Lambda)
        f_values = polynomials.features(y.reshape(-1, d), Lambda) @ c
        sol = cs.fit(y, f_values.reshape(3, m), Lambda, lam=1e-4)
        assert sol.converged.all()
        # noise-free data and a small lam: the minimiser is the sparse vector
        # itself, up to the solver's accuracy (the gap, ~1e-7 of |z|_{1,u})
        np.testing.assert_allclose(sol.z, np.broadcast_to(c, sol.z.shape), atol=1e-9)
        np.testing.assert_allclose(np.einsum("tmn,tn->tm", A, sol.z) * math.sqrt(m),
                                   f_values.reshape(3, m), atol=1e-9)


# ------------------------------------ low dimension: interpolation regime
@pytest.mark.parametrize(("d", "m", "n_max"), [(1, 100, 400), (2, 150, 500)])
def test_low_dimension_interpolation_regime(d, m, n_max):
    """exp_cos in d = 1 (N = 400) and d = 2 (N = 494) with m << N: its Legendre
    coefficients decay so fast that the minimiser interpolates the samples to
    rounding level with a few dozen nonzeros. PDHG alone stalls here (certified
    gaps of order 1 after thousands of iterations: the minimiser is a highly
    degenerate vertex, on which its simplex polish stalls); the homotopy stage
    certifies it after about |supp z| breakpoints."""
    f = functions.get("exp_cos")
    order = polynomials.largest_order("hyperbolic_cross", d, n_max)
    Lambda = polynomials.hyperbolic_cross(d, order)
    u = polynomials.weights(Lambda)
    y = sampling.uniform(d, m, 3, np.random.default_rng(2021))
    A = cs.measurement_matrix(y, Lambda)
    b = f(y.reshape(-1, d)).reshape(3, m) / math.sqrt(m)
    fast = cs.solve(A, b, u, cs.DEFAULT_LAMBDA)
    ref = cs.solve(A, b, u, cs.DEFAULT_LAMBDA, method="cvxpy")
    assert fast.converged.all() and ref.converged.all()
    assert np.all(fast.path == "homotopy")
    assert np.all(fast.iterations < 5000), fast.iterations
    rel = (fast.objective - ref.objective) / ref.objective
    assert np.all(np.abs(rel) <= 1e-6), rel
    assert np.all(rel <= fast.gap + 1e-12)  # the certified gap bounds the sub-optimality
    # the regime: both solutions interpolate, to far below the objective
    # lam ||z||_{1,u} (about 1e-4 ||b||)
    for sol in (fast, ref):
        resid = np.linalg.norm(np.einsum("tmn,tn->tm", A, sol.z) - b, axis=1)
        assert np.all(resid <= 1e-9 * np.linalg.norm(b, axis=1)), resid


def test_homotopy_solves_the_sparse_interpolant_in_d3_at_large_m():
    """exp_cos in d = 3, N = 1952, m = 1125 (a paper-scale E1 case): the
    solution is sparse compared with m and the homotopy certifies it after
    about 65 breakpoints; its budget must not stop it (the PDHG stage fails
    to converge here within 10,000 iterations)."""
    f = functions.get("exp_cos")
    Lambda = polynomials.hyperbolic_cross(3, polynomials.largest_order("hyperbolic_cross", 3, 2000))
    y = sampling.uniform(3, 1125, 1, np.random.default_rng(1))
    sol = cs.fit(y, f(y[0])[None], Lambda)
    assert sol.converged.all() and np.all(sol.path == "homotopy")
    assert np.all(sol.iterations < 200)


def test_gap_floor_certifies_objective_at_rounding_level(monkeypatch):
    """lam = 1e-13: the optimal value is about 1e-13 ||b||, so a relative gap of
    1e-7 would be an absolute 1e-20 ||b||, below what ||Az - b|| resolves in
    float64. The absolute floor 64 eps ||b|| certifies such solutions; without
    it none converges."""
    f = functions.get("exp_cos")
    Lambda = polynomials.hyperbolic_cross(1, 59)
    u = polynomials.weights(Lambda)
    y = sampling.uniform(1, 30, 2, np.random.default_rng(4))
    A = cs.measurement_matrix(y, Lambda)
    b = f(y.reshape(-1, 1)).reshape(2, 30) / math.sqrt(30)
    sol = cs.solve(A, b, u, 1e-13, max_iter=300)
    assert sol.converged.all()
    assert np.all(sol.objective < 1e-12 * np.linalg.norm(b, axis=1))
    absolute = sol.gap * sol.objective / np.linalg.norm(b, axis=1)
    assert np.all(absolute <= 64 * np.finfo(float).eps), absolute
    assert np.all(sol.gap > 1e-7)  # the relative test alone would not have stopped
    monkeypatch.setattr(cs._tuning, "GAP_FLOOR", 0.0)
    assert not cs.solve(A, b, u, 1e-13, max_iter=300).converged.any()


def test_simplex_resumes_from_its_last_basis(monkeypatch):
    """The simplex polish stopped every 3 pivots and resumed from the vertex
    it returns (better than its fresh start) reaches the same certified
    vertex as one uninterrupted run, with an objective that never increases
    between attempts."""
    rng = np.random.default_rng(15)
    Lambda = polynomials.hyperbolic_cross(2, 14)  # N = 49
    A = torch.as_tensor(cs.measurement_matrix(rng.uniform(-1, 1, (20, 2)), Lambda))
    g = torch.as_tensor(rng.standard_normal(20))
    g /= g.norm()
    thr = 1e-4 * torch.as_tensor(polynomials.weights(Lambda))

    def certified(z, p):
        gap, primal = cs.certificate.certify_pair(A, g, 0.0, 0.0, thr, z, p)
        return gap, bool(cs.certificate.accepted(gap, primal, 1e-7))

    start = torch.zeros(len(Lambda), dtype=torch.float64)
    dual0 = torch.zeros(20, dtype=torch.float64)
    (z_once, _), _, _ = cs.polish._simplex(A, g, thr, start, dual0, certified, 1e-7)
    monkeypatch.setattr(cs._tuning, "SIMPLEX_PIVOTS", 3)
    saved, objectives = None, []
    for _ in range(200):
        result, saved, _ = cs.polish._simplex(A, g, thr, start, dual0, certified, 1e-7, saved)
        if result is not None:
            break
        basis, objective = saved
        z_basis = torch.linalg.solve(A[:, basis], g)
        np.testing.assert_allclose(objective, float((thr[basis] * z_basis.abs()).sum()),
                                   rtol=1e-10)
        objectives.append(objective)
    assert result is not None and len(objectives) >= 3
    z, gap = result
    assert gap <= 1e-7
    assert np.all(np.diff(objectives) <= 1e-12 * objectives[0])
    objective = float((thr * z.abs()).sum())
    np.testing.assert_allclose(objective, float((thr * z_once.abs()).sum()), rtol=1e-10)
    assert objective <= objectives[-1] * (1 + 1e-12)


# -------------------------------------------------------- the paper's case
@pytest.mark.slow
def test_exp_cos_d8_reaches_paper_accuracy():
    """exp_cos, d = 8, hyperbolic cross of order 20 (N = 1771): the book's
    page *The paper, and what is known of its experiments* (book/paper.md)
    reports about 1e-6 relative L2_rho error at m = 750. Error by Monte
    Carlo on 20,000 independent uniform points."""
    f = functions.get("exp_cos")
    d = 8
    Lambda = polynomials.hyperbolic_cross(d, 20)
    assert len(Lambda) == 1771
    rng = np.random.default_rng(2021)
    points = rng.uniform(-1, 1, (20_000, d))
    values = f(points)
    errors = {}
    for m in (150, 750):
        y = sampling.uniform(d, m, 1, rng)
        sol = cs.fit(y, f(y.reshape(-1, d)).reshape(1, m), Lambda)
        assert sol.converged.all()
        approx = cs.evaluate(sol.z, points, Lambda)
        errors[m] = np.linalg.norm(approx - values, axis=1) / np.linalg.norm(values)
    assert errors[750][0] <= 1e-6, errors
    # sample complexity: five times the samples buys orders of magnitude
    assert errors[150][0] >= 100 * errors[750][0], errors


# -------------------------------------------------------------- evaluate
def test_evaluate_matches_feature_products_across_blocks():
    rng = np.random.default_rng(12)
    Lambda = polynomials.hyperbolic_cross(3, 9)
    z = rng.standard_normal((2, len(Lambda)))
    points = rng.uniform(-1, 1, (cs._tuning.EVAL_CHUNK + 5, 3))
    expected = z @ polynomials.features(points, Lambda).T
    np.testing.assert_allclose(cs.evaluate(z, points, Lambda), expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(cs.evaluate(z[1], points, Lambda), expected[1], rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- bad input
def _small():
    Lambda = polynomials.hyperbolic_cross(2, 3)
    y = np.random.default_rng(0).uniform(-1, 1, (2, 5, 2))
    return Lambda, y, cs.measurement_matrix(y, Lambda), np.ones((2, 5)), polynomials.weights(Lambda)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lam": 0.0}, ValueError, "lam must be a positive"),
        ({"lam": -1e-3}, ValueError, "lam must be a positive"),
        ({"lam": float("nan")}, ValueError, "lam must be a positive"),
        ({"lam": "1e-3"}, TypeError, "lam must be a positive real"),
        ({"method": "admm"}, ValueError, "method must be one of 'primal_dual', 'cvxpy'"),
        ({"tol": 0.0}, ValueError, "tol must be a positive"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1; got 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer; got float 2.5"),
        ({"batch_size": 0}, ValueError, "batch_size must be None or an integer >= 1; got 0"),
        ({"batch_size": True}, TypeError, "batch_size must be None or an integer; got bool True"),
        ({"threads": 2}, ValueError, "threads applies to method='cvxpy' only"),
        ({"threads": 0, "method": "cvxpy"}, ValueError, "threads must be >= 1; got 0"),
        ({"A": np.zeros((2, 0, 8))}, ValueError, "m must be >= 1"),
        ({"A": np.zeros((2, 5, 0)), "weights": np.ones(0)}, ValueError, "index set must be non-empty"),
        ({"b": np.ones((2, 4))}, ValueError, "b must have shape"),
        ({"weights": np.ones(3)}, ValueError, "weights must have shape"),
        ({"weights": -np.ones(8)}, ValueError, "weights must be positive"),
        ({"b": np.full((2, 5), np.nan)}, ValueError, "b must be finite"),
        ({"A": np.zeros((5, 8, 2, 1))}, ValueError, "A must have shape"),
    ],
)
def test_solve_bad_input(kwargs, error, match):
    _, _, A, b, u = _small()
    args = {"A": A, "b": b, "weights": u, "lam": 1e-3} | kwargs
    with pytest.raises(error, match=match):
        cs.solve(args.pop("A"), args.pop("b"), args.pop("weights"), args.pop("lam"), **args)


def test_fit_bad_input():
    Lambda, y, _, f_values, _ = _small()
    bad_y = y.copy()
    bad_y[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="y must be finite"):
        cs.fit(bad_y, f_values, Lambda)
    bad_f = f_values.copy()
    bad_f[1, 2] = np.nan
    with pytest.raises(ValueError, match="f_values must be finite"):
        cs.fit(y, bad_f, Lambda)
    with pytest.raises(ValueError, match="f_values must have shape"):
        cs.fit(y, f_values[:, :4], Lambda)
    with pytest.raises(ValueError, match="Lambda must be a non-empty"):
        cs.fit(y, f_values, np.zeros((0, 2), dtype=int))
    with pytest.raises(ValueError, match="y must have shape"):
        cs.fit(y[..., :1], f_values, Lambda)
    with pytest.raises(ValueError, match="m must be >= 1"):
        cs.fit(np.zeros((2, 0, 2)), np.zeros((2, 0)), Lambda)
    with pytest.raises(ValueError, match="lam must be a positive"):
        cs.fit(y, f_values, Lambda, lam=0)
    with pytest.raises(ValueError, match="z must have shape"):
        cs.evaluate(np.ones(3), y[0], Lambda)


def test_repeated_points_rank_deficient():
    """Repeated sample points make A A^T singular (m <= N): the dropped
    directions must not break the solver."""
    rng = np.random.default_rng(14)
    Lambda = polynomials.total_degree(3, 5)  # N = 56
    u = polynomials.weights(Lambda)
    y = rng.uniform(-1, 1, (2, 30, 3))
    y[:, 20:] = y[:, :10]  # ten repeated points per trial
    A = cs.measurement_matrix(y, Lambda)
    b = np.cos(y.sum(-1)) / math.sqrt(30)
    fast = cs.solve(A, b, u, 1e-3)
    ref = cs.solve(A, b, u, 1e-3, method="cvxpy")
    assert fast.converged.all()
    np.testing.assert_allclose(fast.objective, ref.objective, rtol=1e-6)
