"""Tests of dnngap.polynomials: Legendre values, orthonormality, index sets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg

from dnngap import polynomials as P


# --------------------------------------------------------------- 1D Legendre
def test_legendre_matches_numpy_legval():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.uniform(-1, 1, 200), [-1.0, 0.0, 1.0]])
    degree = 40
    values = P.legendre(y, degree)
    assert values.shape == (y.size, degree + 1)
    for k in range(degree + 1):
        coef = np.zeros(k + 1)
        coef[k] = math.sqrt(2 * k + 1)
        # legval runs Clenshaw's backward recurrence, legendre() the forward
        # three-term recurrence; both are stable, so they agree to a few ulps
        # of the values (|L_k| <= sqrt(2k + 1) ~ 9)
        np.testing.assert_allclose(values[:, k], npleg.legval(y, coef), rtol=0, atol=1e-13)


def test_legendre_endpoint_values_are_sup_norms():
    degree = 30
    values = P.legendre(np.array([1.0, -1.0]), degree)
    k = np.arange(degree + 1)
    np.testing.assert_allclose(values[0], np.sqrt(2 * k + 1), rtol=1e-14)
    np.testing.assert_allclose(values[1], (-1.0) ** k * np.sqrt(2 * k + 1), rtol=1e-14)


def test_legendre_low_degree_closed_forms():
    y = np.linspace(-1, 1, 7)
    values = P.legendre(y, 3)
    np.testing.assert_allclose(values[:, 0], 1.0, rtol=0, atol=0)
    np.testing.assert_allclose(values[:, 1], math.sqrt(3) * y, rtol=0, atol=1e-15)
    np.testing.assert_allclose(values[:, 2], math.sqrt(5) * (3 * y**2 - 1) / 2, atol=1e-15)
    np.testing.assert_allclose(values[:, 3], math.sqrt(7) * (5 * y**3 - 3 * y) / 2, atol=1e-15)


def test_legendre_orthonormal_by_gauss_quadrature():
    degree = 60
    x, w = npleg.leggauss(degree + 1)  # exact for degree <= 2 * degree + 1
    L = P.legendre(x, degree)
    gram = (L * (w / 2)[:, None]).T @ L  # uniform probability measure on [-1, 1]
    np.testing.assert_allclose(gram, np.eye(degree + 1), rtol=0, atol=1e-13)


# ---------------------------------------------------------------- index sets
@pytest.mark.parametrize(
    ("d", "order", "size"),
    [(8, 20, 1771), (16, 10, 1681), (8, 18, 1419), (8, 25, 2903), (1, 7, 8), (2, 3, 8)],
)
def test_hyperbolic_cross_sizes(d, order, size):
    Lambda = P.hyperbolic_cross(d, order)
    assert Lambda.shape == (size, d)
    assert P.index_set_size("hyperbolic_cross", d, order) == size


def test_hyperbolic_cross_exact_table():
    assert P.hyperbolic_cross(2, 3).tolist() == [
        [0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [2, 0], [3, 0],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("hyperbolic_cross", lambda nu, n: np.prod(nu + 1) <= n + 1),
        ("total_degree", lambda nu, n: nu.sum() <= n),
        ("tensor_product", lambda nu, n: nu.max() <= n),
    ],
)
@pytest.mark.parametrize(("d", "order"), [(1, 5), (2, 6), (3, 7), (4, 3)])
def test_index_sets_match_brute_force_filter(kind, rule, d, order):
    grid = np.array(list(itertools.product(range(order + 1), repeat=d)), dtype=np.int64)
    expected = grid[[bool(rule(nu, order)) for nu in grid]]  # product() is lexicographic
    Lambda = P.index_set(kind, d, order)
    np.testing.assert_array_equal(Lambda, expected)
    assert Lambda.dtype == np.int64
    assert P.index_set_size(kind, d, order) == len(expected)


@pytest.mark.parametrize("kind", ["hyperbolic_cross", "total_degree", "tensor_product"])
def test_index_set_order_and_downward_closed(kind):
    d, order = (16, 10) if kind == "hyperbolic_cross" else (5, 4)
    Lambda = P.index_set(kind, d, order)
    assert not Lambda[0].any()  # zero multi-index first
    # strictly increasing in lexicographic order (so also no duplicates)
    rows = [tuple(nu) for nu in Lambda]
    assert all(a < b for a, b in zip(rows, rows[1:]))
    members = set(rows)
    for nu in Lambda:  # lower set: nu - e_k stays in the set
        for k in np.flatnonzero(nu):
            lower = nu.copy()
            lower[k] -= 1
            assert tuple(lower) in members


@pytest.mark.parametrize(("d", "order"), [(1, 9), (3, 4), (8, 3), (16, 2), (10, 6)])
def test_total_degree_size_is_binomial(d, order):
    assert len(P.total_degree(d, order)) == math.comb(order + d, d)
    assert P.index_set_size("total_degree", d, order) == math.comb(order + d, d)


def test_tensor_product_size():
    assert P.tensor_product(3, 4).shape == (125, 3)
    assert P.index_set_size("tensor_product", 16, 1) == 2**16


def test_index_sets_return_independent_copies():
    first = P.hyperbolic_cross(3, 5)
    first[:] = 99
    assert not P.hyperbolic_cross(3, 5)[0].any()


@pytest.mark.parametrize("kind", ["hyperbolic_cross", "total_degree", "tensor_product"])
@pytest.mark.parametrize("d", [1, 2, 8, 16])
@pytest.mark.parametrize("N_max", [1, 7, 1000, 1771, 3000])
def test_largest_order_is_the_boundary(kind, d, N_max):
    order = P.largest_order(kind, d, N_max)
    assert P.index_set_size(kind, d, order) <= N_max < P.index_set_size(kind, d, order + 1)


def test_largest_order_values_of_the_paper():
    assert P.largest_order("hyperbolic_cross", 8, 1771) == 20
    assert P.largest_order("hyperbolic_cross", 8, 1800) == 20
    assert P.largest_order("hyperbolic_cross", 16, 1700) == 10
    assert P.largest_order("hyperbolic_cross", 8, 2903) == 25


# -------------------------------------------------------- weights / features
def test_weights_are_sup_norms():
    Lambda = P.hyperbolic_cross(3, 12)
    u = P.weights(Lambda)
    np.testing.assert_allclose(u, np.sqrt(np.prod(2 * Lambda + 1, axis=1)), rtol=1e-15)
    # u_nu = Psi_nu(1, ..., 1) = max |Psi_nu|
    np.testing.assert_allclose(P.features(np.ones((1, 3)), Lambda)[0], u, rtol=1e-13)


def test_features_orthonormal_by_tensor_gauss_quadrature():
    d, order = 3, 12
    Lambda = P.hyperbolic_cross(d, order)
    n = order + 1  # per-coordinate degree <= order: products have degree <= 2n - 2
    x, w = npleg.leggauss(n)
    points = np.array(list(itertools.product(x, repeat=d)))
    weights = np.prod(np.array(list(itertools.product(w / 2, repeat=d))), axis=1)
    F = P.features(points, Lambda)
    gram = (F * weights[:, None]).T @ F
    np.testing.assert_allclose(gram, np.eye(len(Lambda)), rtol=0, atol=1e-13)


@pytest.mark.parametrize(("d", "order"), [(16, 10), (8, 20), (4, 6)])
def test_features_equal_products_of_1d_tables(d, order):
    rng = np.random.default_rng(d)
    y = rng.uniform(-1, 1, (50, d))
    Lambda = P.hyperbolic_cross(d, order)
    expected = np.ones((50, len(Lambda)))
    for k in range(d):
        expected *= P.legendre(y[:, k], order)[:, Lambda[:, k]]
    np.testing.assert_allclose(P.features(y, Lambda), expected, rtol=1e-14, atol=1e-14)


def test_features_chunked_rows_agree():
    rng = np.random.default_rng(1)
    y = rng.uniform(-1, 1, (2 * P._CHUNK_ROWS + 17, 3))  # spans three blocks
    Lambda = P.total_degree(3, 5)
    whole = P.features(y, Lambda)
    pieces = np.vstack([P.features(y[i : i + 100], Lambda) for i in range(0, len(y), 100)])
    np.testing.assert_array_equal(whole, pieces)


def test_features_of_constant_and_1d_sets():
    y = np.random.default_rng(2).uniform(-1, 1, (9, 2))
    np.testing.assert_array_equal(P.features(y, np.zeros((1, 2), dtype=int)), np.ones((9, 1)))
    Lambda = np.array([[0, k] for k in range(6)])
    np.testing.assert_allclose(P.features(y, Lambda), P.legendre(y[:, 1], 5), rtol=0, atol=0)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: P.index_set("hyperbolic", 2, 3), ValueError, "kind must be one of"),
        (lambda: P.largest_order("sparse", 2, 3), ValueError, "kind must be one of"),
        (lambda: P.hyperbolic_cross(0, 3), ValueError, "d must be >= 1"),
        (lambda: P.total_degree(2, -1), ValueError, "order must be >= 0"),
        (lambda: P.tensor_product(2, 1.5), TypeError, "order must be an integer"),
        (lambda: P.largest_order("total_degree", 3, 0), ValueError, "N_max must be >= 1"),
        (lambda: P.legendre(np.zeros((2, 2)), 3), ValueError, "y must have shape"),
        (lambda: P.legendre(np.zeros(2), -1), ValueError, "degree must be >= 0"),
        (lambda: P.weights(np.zeros((0, 2), dtype=int)), ValueError, "at least one"),
        (lambda: P.weights(np.array([[0, -1]])), ValueError, "non-negative"),
        (lambda: P.weights(np.array([[0.0, 1.0]])), TypeError, "integer array"),
        (
            lambda: P.features(np.zeros((3, 2)), np.zeros((1, 3), dtype=int)),
            ValueError,
            "y must have shape",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_features_by_index_is_features_transposed_exactly():
    rng = np.random.default_rng(7)
    for d, order in ((1, 30), (3, 12), (8, 22)):
        Lambda = P.hyperbolic_cross(d, order)
        y = rng.uniform(-1, 1, (37, d))
        np.testing.assert_array_equal(P.features_by_index(y, Lambda), P.features(y, Lambda).T)
    only_constant = np.zeros((1, 2), dtype=int)
    np.testing.assert_array_equal(P.features_by_index(rng.uniform(-1, 1, (4, 2)), only_constant),
                                  np.ones((1, 4)))
    with pytest.raises(ValueError, match="y must have shape"):
        P.features_by_index(np.zeros((3, 2)), P.hyperbolic_cross(3, 2))
