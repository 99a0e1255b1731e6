"""Tests of dnngap.smolyak and dnngap.quadrature: Clenshaw-Curtis sparse grids and error estimators.

Reference values: the authors' sparse grids (tests/data/mlfa, see its
README), the point counts tabulated in the notes on the paper, exactness on
polynomials, closed-form Clenshaw-Curtis weights, and cross-checks between
quadrature and Monte Carlo.
"""

from __future__ import annotations

import doctest
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from dnngap import functions, quadrature, smolyak
from dnngap.functions import TestFunction
from dnngap.quadrature import (
    Errors,
    TestSet,
    clenshaw_curtis,
    grid_reliability,
    monte_carlo_test_set,
    reliable_test_set,
    sparse_grid,
    sparse_grid_size,
    sparse_grid_test_set,
)

DATA = Path(__file__).parent / "data" / "mlfa"


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory):
    """Keep grids cached by these tests out of the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DNNGAP_CACHE", str(tmp_path_factory.mktemp("dnngap-cache")))
        yield


# --------------------------------------------------------------------------
# One-dimensional Clenshaw-Curtis rules


def test_cc_exact_small_rules():
    x, w = clenshaw_curtis(0)
    np.testing.assert_array_equal(x, [0.0])
    np.testing.assert_array_equal(w, [2.0])
    x, w = clenshaw_curtis(2)
    # one unit in the last place at 1 (the rounding of either expression)
    np.testing.assert_allclose(x, [-1, -math.sqrt(0.5), 0, math.sqrt(0.5), 1], rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(w, np.array([1, 8, 12, 8, 1]) / 15, rtol=1e-15)


@pytest.mark.parametrize("level", range(1, 11))
def test_cc_weights_match_cosine_formula(level):
    # w_j = (c_j / N) (1 - sum_{k=1}^{N/2} b_k cos(2 k theta_j) / (4 k^2 - 1)),
    # theta_j = j pi / N, c_0 = c_N = 1, c_j = 2 otherwise, b_{N/2} = 1,
    # b_k = 2 otherwise (Trefethen, Spectral Methods in MATLAB, clencurt).
    n = 2**level
    theta = np.pi * np.arange(n + 1) / n
    k = np.arange(1, n // 2 + 1)
    b = np.where(k == n // 2, 1.0, 2.0)
    c = np.full(n + 1, 2.0)
    c[[0, n]] = 1.0
    direct = c / n * (1 - (b / (4 * k**2 - 1)) @ np.cos(2 * np.outer(k, theta)))
    x, w = clenshaw_curtis(level)
    # Absolute tolerances of two units in the last place at 1: both sides
    # carry their own rounding (-cos vs the library's sine form of the nodes;
    # the direct sum cancels for the small end weights 1/(N^2 - 1)).
    # Observed: nodes 2.8e-16, weights 2.2e-16 (level 1) down to 3e-18.
    np.testing.assert_allclose(x, -np.cos(theta), rtol=0, atol=4.5e-16)
    np.testing.assert_allclose(w, direct, rtol=0, atol=4.5e-16)
    assert (w > 0).all()
    np.testing.assert_array_equal(w, w[::-1])


@pytest.mark.parametrize("level", range(0, 11))
def test_cc_polynomial_exactness(level):
    # Chebyshev polynomials, int_{-1}^{1} T_k = 2 / (1 - k^2) for even k, 0
    # for odd k: exact up to degree N + 1 (N + 1 nodes, N = 2^l even). On the
    # nodes T_{N+2} equals T_{N-2}, so the rule returns the integral of
    # T_{N-2} instead, an error of ~16/N^3 that we check exactly.
    # (Monomials are no use: x^(N+2) is integrated to rounding for N >= 64.)
    _, w = clenshaw_curtis(level)
    n = 2**level
    degree = 1 if level == 0 else n + 1
    j = np.arange(n + 1) if level else np.array([1])  # node 0 = -cos(pi/2)
    period = 2 * n if level else 4

    def integral(k):
        return 2 / (1 - k * k) if k % 2 == 0 else 0.0

    def chebyshev(k):
        # T_k(-cos(pi j/N)) = (-1)^k cos(pi k j/N), with k j reduced mod 2N in
        # integers so the argument is exact
        return (-1) ** k * np.cos(2 * np.pi * ((k * j) % period) / period)

    for k in range(degree + 1):
        assert abs(w @ chebyshev(k) - integral(k)) < 1e-14, k
    if level >= 1:
        k = n + 2
        assert w @ chebyshev(k) == pytest.approx(integral(n - 2), rel=1e-9, abs=1e-15)
        assert abs(integral(n - 2) - integral(k)) > 1e-9


def test_cc_rejects_bad_level():
    with pytest.raises(ValueError, match="level must be >= 0"):
        clenshaw_curtis(-1)
    with pytest.raises(TypeError, match="level must be an integer"):
        clenshaw_curtis(1.0)


# --------------------------------------------------------------------------
# Point counts

# Points per authors' depth = level + 1, from the notes on the paper.
PAPER_COUNTS = {
    1: [1, 3, 5, 9, 17, 33, 65, 129, 257, 513, 1025, 2049, 4097, 8193, 16385, 32769, 65537],
    2: [1, 5, 13, 29, 65, 145, 321, 705, 1537, 3329, 7169, 15361, 32769, 69633, 147457, 311297],
    4: [1, 9, 41, 137, 401, 1105, 2929, 7537, 18945, 46721, 113409, 271617, 643073],
    8: [1, 17, 145, 849, 3937, 15713, 56737, 190881, 609025, 1863937],
    16: [1, 33, 545, 6049, 51137, 353729, 2098753],
}


@pytest.mark.parametrize("d", sorted(PAPER_COUNTS))
def test_sizes_match_paper_tables(d):
    assert [sparse_grid_size(d, L) for L in range(len(PAPER_COUNTS[d]))] == PAPER_COUNTS[d]


def test_authors_final_grid_in_d3():
    assert sparse_grid_size(3, 13) == 366593


@pytest.mark.parametrize(
    "d,level", [(1, 0), (1, 5), (2, 0), (2, 7), (3, 6), (4, 5), (5, 4), (8, 3), (16, 2), (40, 1)]
)
def test_built_grids_have_distinct_points_and_the_right_count(d, level):
    points, weights = sparse_grid(d, level)
    n = sparse_grid_size(d, level)
    assert points.shape == (n, d) and weights.shape == (n,)
    assert len(np.unique(points, axis=0)) == n
    assert np.abs(points).max() <= 1
    np.testing.assert_array_equal(points[0], np.zeros(d))  # centre first
    # the weights integrate 1: sum = 2^d up to rounding in the cancellation
    assert abs(weights.sum() - 2**d) <= 1e-14 * np.abs(weights).sum()


def test_size_rejects_bad_input():
    with pytest.raises(ValueError, match="d must be >= 1"):
        sparse_grid_size(0, 3)
    with pytest.raises(ValueError, match="level must be >= 0"):
        sparse_grid_size(2, -1)


# --------------------------------------------------------------------------
# The authors' grids

GRID_FIXTURES = {}
for _path in sorted(DATA.glob("grid_*.npz")):
    with np.load(_path) as _data:
        _key = (_data["X"].shape[1], int(_data["level"]) - 1)
    GRID_FIXTURES.setdefault(_key, _path)  # one file per distinct grid


@pytest.mark.parametrize(
    "d,level", sorted(GRID_FIXTURES), ids=[f"d{d}-L{L}" for d, L in sorted(GRID_FIXTURES)]
)
def test_grid_matches_authors(d, level):
    with np.load(GRID_FIXTURES[d, level]) as data:
        x_ref, w_ref = data["X"], data["W"]
    points, weights = sparse_grid(d, level)
    assert points.shape == x_ref.shape
    # same point set; the order differs, so sort both lexicographically
    mine, theirs = np.lexsort(points.T[::-1]), np.lexsort(x_ref.T[::-1])
    assert np.abs(points[mine] - x_ref[theirs]).max() <= 1e-12  # observed 4.4e-16
    # Weights relative to the largest: they reach 1.4e5 in d = 16 (level 3)
    # through cancellation between large terms, so both constructions carry
    # absolute rounding errors of ~1e-16 * 1.4e5. Observed <= 1.3e-13.
    scale = np.abs(w_ref).max()
    assert np.abs(weights[mine] - w_ref[theirs]).max() <= 1e-12 * scale
    # d = 1 is the Clenshaw-Curtis rule itself (positive weights); the
    # Smolyak combination has negative weights for d >= 2
    assert (weights < 0).any() == (d >= 2)


def test_weights_integrate_one_more_accurately_than_authors():
    # Cross-check of accuracy, not of agreement: sum w = 2^d exactly in exact
    # arithmetic. Ours is the closer in d = 16 (1e-9 vs 5e-8 of 2^16).
    with np.load(GRID_FIXTURES[16, 3]) as data:
        w_ref = data["W"]
    _, weights = sparse_grid(16, 3)
    assert abs(math.fsum(weights) - 2**16) < abs(math.fsum(w_ref) - 2**16)


# --------------------------------------------------------------------------
# Structure and exactness


def test_lower_levels_are_prefixes():
    fine, _ = sparse_grid(3, 7)
    for level in range(7):
        coarse, _ = sparse_grid(3, level)
        np.testing.assert_array_equal(fine[: len(coarse)], coarse)


def test_weights_symmetric_under_reflection_and_permutation():
    points, weights = sparse_grid(3, 6)
    order = np.lexsort(points.T[::-1])
    # reflection y -> -y: the nodes are exactly odd, the weights exactly even
    reflected = np.lexsort((-points).T[::-1])
    np.testing.assert_array_equal(points[order], -points[reflected])
    np.testing.assert_array_equal(weights[order], weights[reflected])
    # coordinate permutation: same weights up to rounding (the products are
    # formed in another order)
    swapped = points[:, [2, 0, 1]]
    permuted = np.lexsort(swapped.T[::-1])
    np.testing.assert_array_equal(points[order], swapped[permuted])
    np.testing.assert_allclose(weights[permuted], weights[order], rtol=0, atol=1e-13 * np.abs(weights).max())


def _exactness_degree(level: int) -> int:
    return 1 if level == 0 else 2**level + 1


@pytest.mark.parametrize("d,level,box", [(2, 3, 12), (2, 4, 20), (3, 2, 8), (4, 2, 6)])
def test_exact_on_exactly_the_smolyak_polynomial_space(d, level, box):
    # y^alpha (alpha even; odd powers vanish by symmetry) is integrated exactly
    # iff alpha_k <= m(l_k) for some |l|_1 <= L, m(0) = 1, m(l) = 2^l + 1.
    points, weights = sparse_grid(d, level)
    levels = [l for l in itertools.product(range(level + 1), repeat=d) if sum(l) <= level]
    for alpha in itertools.product(range(0, box + 1, 2), repeat=d):
        exact = math.prod(2 / (a + 1) for a in alpha)
        error = abs(weights @ np.prod(points ** np.array(alpha), axis=1) - exact)
        in_space = any(all(a <= _exactness_degree(l) for a, l in zip(alpha, ls)) for ls in levels)
        if in_space:
            assert error < 1e-13, alpha
        else:
            assert error > 1e-10, alpha


def test_exact_for_total_degree_2L_plus_1_in_d8():
    # Every monomial of total degree <= 2L + 1 lies in the Smolyak space; a
    # sample of mixed ones in d = 8, level 4.
    points, weights = sparse_grid(8, 4)
    for alpha in [(2, 2, 2, 2, 0, 0, 0, 0), (4, 0, 2, 0, 0, 2, 0, 0), (8, 0, 0, 0, 0, 0, 0, 0),
                  (2, 0, 2, 0, 2, 0, 2, 0), (0, 0, 0, 0, 0, 0, 6, 2)]:
        exact = math.prod(2 / (a + 1) for a in alpha)
        assert weights @ np.prod(points ** np.array(alpha), axis=1) == pytest.approx(exact, rel=1e-12)


# --------------------------------------------------------------------------
# Norms of the test functions by quadrature


@pytest.mark.parametrize(
    "name,d,levels",
    [
        ("exp_cos", 8, range(1, 7)),
        ("mixed_trig_rational", 16, range(1, 5)),
        ("slower_decay_rational", 4, range(4, 10)),
        ("f1", 1, range(4, 9)),
    ],
)
def test_quadrature_norm_converges_geometrically(name, d, levels):
    # Analytic functions: the Smolyak error decays exponentially in the level.
    # We require a strict decrease level by level and an average reduction of
    # at least 10x per level down to the rounding floor 1e-14 (observed: 47x
    # to 235x), ending within 1e-9 of the exact norm.
    f = functions.get(name)
    discrepancy = [grid_reliability(f, d, L).relative_discrepancy for L in levels]
    floor = 1e-14
    for a, b in zip(discrepancy, discrepancy[1:]):
        assert b < a or b < 1e-13
    rate = (discrepancy[0] / max(discrepancy[-1], floor)) ** (1 / (len(discrepancy) - 1))
    assert rate >= 10
    assert discrepancy[-1] < 1e-9


def test_halfspace_grid_fact_from_paper():
    # ||halfspace|| on the d = 8, 609,025-point grid comes out 2.66, not 0.707.
    check = grid_reliability("halfspace", 8, 8)
    assert check.n_points == 609025
    assert abs(check.quadrature_norm - 2.66) < 0.005
    assert check.reference_norm == 2**-0.5 and check.reference_kind == "exact"
    assert not check.reliable


def test_exp_cos5_grid_fact_from_paper():
    # exp_cos5 in d = 8: 1.90 instead of 61.5.
    check = grid_reliability("exp_cos5", 8, 8)
    assert abs(check.quadrature_norm - 1.90) < 0.005
    assert abs(check.reference_norm - 61.5) < 0.05
    assert not check.reliable


def test_exp_cos_grid_is_reliable_in_d8():
    check = grid_reliability("exp_cos", 8, 8)
    assert check.reliable and check.relative_discrepancy < 1e-10


def test_exp_cos5_flagged_on_authors_final_d4_grid():
    # The notes: the grids are badly wrong for exp_cos5 in d >= 4. On the
    # final d = 4 grid (643,073 points) the norm is off by 4e-3, beyond the
    # default tolerance; in d = 3 (366,593 points) the grid is fine.
    assert not grid_reliability("exp_cos5", 4, 12).reliable
    assert grid_reliability("exp_cos5", 3, 13).relative_discrepancy < 1e-8


# --------------------------------------------------------------------------
# Error estimators


def test_sparse_grid_errors_exact_on_polynomials():
    # e = y_1 y_2^2 is of degree (1, 2) <= (3, 3): e^2 of degree (2, 4) is
    # integrated exactly at level 3 ((1, 2) <= m(1), m(2) = 3, 5).
    test_set = sparse_grid_test_set(2, 3)
    y = test_set.points
    exact = np.ones(len(y))
    errors = test_set.errors(exact, exact + y[:, 0] * y[:, 1] ** 2)
    assert errors.l2.shape == ()
    assert float(errors.l2) == pytest.approx(math.sqrt(1 / 3 * 1 / 5), rel=1e-14)
    assert float(errors.rel_l2) == pytest.approx(math.sqrt(1 / 15), rel=1e-14)
    assert errors.f_norm == pytest.approx(1.0, rel=1e-15)
    assert float(errors.linf) == pytest.approx(1.0, rel=1e-15)
    assert errors.rel_l2_stderr is None and errors.l2_stderr is None


def test_sparse_grid_errors_follow_authors_formula_and_vectorise():
    test_set = sparse_grid_test_set(4, 5)
    f = functions.get("exp_cos")(test_set.points)
    rng = np.random.default_rng(0)
    approx = f + 1e-3 * rng.standard_normal((2, 3, test_set.n))
    errors = test_set.errors(f, approx.astype(np.float32))
    assert errors.l2.shape == errors.rel_l2.shape == errors.linf.shape == (2, 3)
    w = test_set.weights
    for i, j in itertools.product(range(2), range(3)):
        e = approx[i, j].astype(np.float32).astype(np.float64) - f
        l2 = math.sqrt(abs(w @ e**2) / 2**4)
        assert errors.l2[i, j] == pytest.approx(l2, rel=1e-14)
        assert errors.rel_l2[i, j] == pytest.approx(l2 / math.sqrt(abs(w @ f**2) / 16), rel=1e-14)
        assert errors.linf[i, j] == np.abs(e).max()


def test_monte_carlo_errors_of_a_constant_shift():
    test_set = monte_carlo_test_set(3, 1000, np.random.default_rng(3))
    f = functions.get("exp_cos")(test_set.points)
    errors = test_set.errors(f, f + 0.25)
    assert float(errors.l2) == pytest.approx(0.25, rel=1e-13)
    assert float(errors.linf) == pytest.approx(0.25, rel=1e-13)
    assert float(errors.l2_stderr) < 1e-15  # e^2 is constant
    assert float(errors.rel_l2) == pytest.approx(0.25 / math.sqrt(np.mean(f**2)), rel=1e-13)


def test_monte_carlo_agrees_with_quadrature_on_a_smooth_error():
    # exp_cos in d = 4, perturbed by 0.05 sin(y_1 + 2 y_2): the level-8 grid
    # is accurate to ~1e-8 for these analytic integrands; Monte Carlo with
    # 2e5 points must agree within 4 of its standard errors.
    f = functions.get("exp_cos")
    grid = sparse_grid_test_set(4, 8)
    mc = monte_carlo_test_set(4, 200_000, np.random.default_rng(2024))

    def approx(y):
        return f(y) + 0.05 * np.sin(y[:, 0] + 2 * y[:, 1])

    by_grid = grid.errors(f(grid.points), approx(grid.points))
    by_mc = mc.errors(f(mc.points), approx(mc.points))
    assert abs(by_mc.rel_l2 - by_grid.rel_l2) < 4 * by_mc.rel_l2_stderr
    assert abs(by_mc.l2 - by_grid.l2) < 4 * by_mc.l2_stderr
    assert abs(by_mc.f_norm - f.norm(4)) < 0.01  # ||f|| is ~0.9, MC error ~1e-4
    assert by_grid.f_norm == pytest.approx(f.norm(4), rel=1e-8)


def test_monte_carlo_standard_errors_are_calibrated():
    # 400 independent estimates with n = 500: their spread must match the
    # reported standard error. The sample standard deviation of 400 values
    # has a relative error of ~1/sqrt(800) = 3.5%; we allow 15% (> 4 sigma).
    f = functions.get("mixed_trig_rational")
    rng = np.random.default_rng(99)
    rel, rel_se, l2, l2_se = [], [], [], []
    for _ in range(400):
        test_set = monte_carlo_test_set(2, 500, rng)
        y = test_set.points
        values = f(y)
        errors = test_set.errors(values, values + 0.1 * y[:, 0] ** 2)
        rel.append(float(errors.rel_l2))
        rel_se.append(float(errors.rel_l2_stderr))
        l2.append(float(errors.l2))
        l2_se.append(float(errors.l2_stderr))
    assert np.std(rel, ddof=1) / np.mean(rel_se) == pytest.approx(1, abs=0.15)
    assert np.std(l2, ddof=1) / np.mean(l2_se) == pytest.approx(1, abs=0.15)
    # and both centre on the truth: ||0.1 y1^2|| = 0.1/sqrt(5)
    assert abs(np.mean(l2) - 0.1 / math.sqrt(5)) < 4 * np.std(l2) / math.sqrt(400)


def test_errors_of_diverged_approximations_are_recorded_not_raised():
    test_set = sparse_grid_test_set(2, 3)
    f = np.ones(test_set.n)
    approx = np.stack([f, np.full_like(f, np.inf)])
    errors = test_set.errors(f, approx)
    assert errors.l2[0] == 0 and not np.isfinite(errors.l2[1])


def test_errors_reject_bad_input():
    test_set = sparse_grid_test_set(2, 2)
    f = np.ones(test_set.n)
    with pytest.raises(ValueError, match=r"exact must have shape \(13,\)"):
        test_set.errors(f[:-1], f)
    with pytest.raises(ValueError, match=r"approx must have shape \(\.\.\., 13\)"):
        test_set.errors(f, np.ones((3, 12)))
    with pytest.raises(ValueError, match="exact contains NaN"):
        test_set.errors(np.full(13, np.nan), f)
    with pytest.raises(TypeError, match="approx must be a real array"):
        test_set.errors(f, f.astype(complex))


def test_test_set_validation():
    points, weights = sparse_grid(2, 2)
    with pytest.raises(ValueError, match="kind must be one of 'sparse_grid', 'monte_carlo'"):
        TestSet(points, weights, "grid")
    with pytest.raises(ValueError, match="needs weights"):
        TestSet(points, None, "sparse_grid")
    with pytest.raises(ValueError, match=r"weights must have shape \(13,\)"):
        TestSet(points, weights[:5], "sparse_grid")
    with pytest.raises(ValueError, match="takes weights=None"):
        TestSet(points, weights, "monte_carlo")
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]\^d"):
        TestSet(2 * points, weights, "sparse_grid")
    with pytest.raises(ValueError, match="at least 2 points"):
        TestSet(points[:1], None, "monte_carlo")
    with pytest.raises(ValueError, match="n must be >= 2; got 1"):
        monte_carlo_test_set(2, 1, 0)
    test_set = TestSet(points, weights, "sparse_grid", "grid")
    assert (test_set.d, test_set.n) == (2, 13)


def test_monte_carlo_test_set_is_seeded():
    a = monte_carlo_test_set(3, 10, 5)
    b = monte_carlo_test_set(3, 10, np.random.default_rng(5))
    np.testing.assert_array_equal(a.points, b.points)
    assert a.kind == "monte_carlo" and a.weights is None and "10 uniform points" in a.description


# --------------------------------------------------------------------------
# Reliability checks


def _no_norm(name, evaluate):
    return TestFunction(name, "f(y) = ...", "analytic", None, evaluate)


def test_reliability_with_a_monte_carlo_reference():
    # 1 + y1 y2: its square has degree (2, 2), integrated exactly at level 2,
    # so the grid is right and the Monte Carlo reference must agree.
    g = _no_norm("bilinear", lambda y: 1 + y[:, 0] * y[:, 1])
    check = grid_reliability(g, 2, 2, monte_carlo_n=100_000, rng=np.random.default_rng(1))
    assert check.reference_kind == "monte_carlo" and check.reference_stderr > 0
    assert check.quadrature_norm == pytest.approx(math.sqrt(1 + 1 / 9), rel=1e-14)
    assert check.tolerance == pytest.approx(1e-3 + 3 * check.reference_stderr / check.reference_norm)
    assert check.reliable
    # an unnormed discontinuous function on a bad grid is caught the same way
    step = _no_norm("step", lambda y: (y.sum(axis=1) >= 0).astype(float))
    assert not grid_reliability(step, 8, 8, monte_carlo_n=20_000, rng=0).reliable


def test_reliability_needs_rng_without_exact_norm():
    g = _no_norm("bilinear", lambda y: 1 + y[:, 0] * y[:, 1])
    with pytest.raises(ValueError, match="no exact norm: pass rng"):
        grid_reliability(g, 2, 2)


def test_reliability_rejects_bad_input():
    with pytest.raises(ValueError, match="must be one of"):
        grid_reliability("nope", 2, 2)
    with pytest.raises(ValueError, match=r"supports d in \[1\] only"):
        grid_reliability("f1", 2, 2)
    with pytest.raises(ValueError, match=r"rtol must lie in \(0, 1\)"):
        grid_reliability("exp_cos", 2, 2, rtol=0)
    with pytest.raises(TypeError, match="rtol must be a number; got bool"):
        grid_reliability("exp_cos", 2, 2, rtol=True)
    with pytest.raises(TypeError, match="function must be a TestFunction"):
        grid_reliability(len, 2, 2)


def test_reliable_test_set_falls_back_to_monte_carlo():
    test_set = reliable_test_set("halfspace", 8, 8, monte_carlo_n=10_000, rng=7)
    assert test_set.kind == "monte_carlo" and test_set.n == 10_000 and test_set.d == 8
    assert "UNRELIABLE" in test_set.description and "2.66461" in test_set.description
    again = reliable_test_set("halfspace", 8, 8, monte_carlo_n=10_000, rng=7)
    np.testing.assert_array_equal(again.points, test_set.points)


def test_reliable_test_set_keeps_a_good_grid():
    test_set = reliable_test_set("exp_cos", 8, 8, monte_carlo_n=10_000, rng=7)
    assert test_set.kind == "sparse_grid" and test_set.n == 609025
    assert "reliable" in test_set.description and "depth 9" in test_set.description


# --------------------------------------------------------------------------
# Disk cache and input validation


def test_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_CACHE", str(tmp_path))
    monkeypatch.setattr(smolyak, "CACHE_MIN_POINTS", 0)
    built = sparse_grid(3, 4, cache=False)
    assert not any(tmp_path.rglob("*"))  # cache=False writes nothing
    first = sparse_grid(3, 4)
    files = list((tmp_path / "sparse_grids").iterdir())
    assert [f.name for f in files] == ["cc_smolyak_d3_level4_v1.npz"]
    loaded = sparse_grid(3, 4)
    for a, b, c in zip(built, first, loaded):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # a corrupt file is reported and replaced
    files[0].write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="unreadable sparse-grid cache"):
        again = sparse_grid(3, 4)
    np.testing.assert_array_equal(again[1], built[1])
    assert sparse_grid(3, 4)[0].shape == (sparse_grid_size(3, 4), 3)  # rewritten, loads cleanly
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_reads_what_it_wrote(tmp_path, monkeypatch):
    # Plant a file with different (wrong) weights: a cache hit must return it,
    # which proves the second call reads the file instead of rebuilding.
    monkeypatch.setenv("DNNGAP_CACHE", str(tmp_path))
    monkeypatch.setattr(smolyak, "CACHE_MIN_POINTS", 0)
    sparse_grid(2, 3)
    path = smolyak._cache_path(2, 3)
    with np.load(path) as data:
        content = dict(data)
    content["weights"] = content["weights"] * 2
    with open(path, "wb") as fh:
        np.savez(fh, **content)
    assert sparse_grid(2, 3)[1].sum() == pytest.approx(8.0)


def test_small_grids_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_CACHE", str(tmp_path))
    sparse_grid(2, 3)  # 29 points < CACHE_MIN_POINTS
    assert not any(tmp_path.rglob("*.npz"))


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("DNNGAP_CACHE", raising=False)
    assert quadrature.cache_dir() == Path.home() / ".cache" / "dnngap" / "sparse_grids"


@pytest.mark.parametrize(
    "args,error,message",
    [
        ((0, 2), ValueError, "d must be >= 1"),
        ((2, -1), ValueError, "level must be >= 0"),
        ((2, 1.5), TypeError, "level must be an integer"),
        ((16, 20), ValueError, "the limit is 4 GiB"),
    ],
)
def test_sparse_grid_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        sparse_grid(*args)


def test_sparse_grid_rejects_non_bool_cache():
    with pytest.raises(TypeError, match="cache must be a bool; got str 'yes'"):
        sparse_grid(2, 2, cache="yes")
    with pytest.raises(TypeError, match="cache must be a bool; got int 1"):
        sparse_grid(2, 2, cache=1)


def test_errors_dataclass_is_frozen():
    errors = Errors(np.zeros(()), np.zeros(()), np.zeros(()))
    with pytest.raises(AttributeError):
        errors.l2 = np.ones(())


def test_docstring_examples():
    assert doctest.testmod(quadrature).failed == 0

