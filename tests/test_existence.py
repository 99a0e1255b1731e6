"""Tests of the package dnngap.existence: the ReLU network of the practical existence theorem.

Taxonomy: exact values (the sawtooth square equals the piecewise-linear
interpolant of x^2 and attains its bound 4^-(s+1)), convergence rates (errors
fall by 4 per sawtooth level), bounds (every emulated feature within its
a-priori bound), exactness (the RePU network reproduces the features),
identities (sizes read off the matrices equal the closed forms; three
independent forward passes agree), closed-form optima of the SR-LASSO, and
a cross-check against compressed sensing on exact features.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.polynomial import chebyshev, legendre

from dnngap import cs, existence, functions, polynomials, sampling
from dnngap.existence import (
    EmulatedFeatures,
    depth_formula,
    emulate_features,
    feature_error_constants,
    fit_existence_network,
    product_network,
    required_s,
    square_error_bound,
    square_network,
    train_last_layer,
)
from dnngap.existence.plan import chebyshev_stages, legendre_chebyshev_coefficients

# Rounding slack for comparisons against exact-arithmetic bounds: a few
# hundred float64 operations on values of size <= u_nu <= 50.
ROUNDING = 1e-12


def _rel_l2(pred: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Monte Carlo relative L2 error of each row of pred."""
    return np.sqrt(np.mean((pred - exact) ** 2, axis=-1) / np.mean(exact**2))


# ------------------------------------------------------------ squares and products
@pytest.mark.parametrize("s", range(0, 11))
def test_sawtooth_square_is_the_dyadic_interpolant_of_x2(s):
    x = np.linspace(0.0, 1.0, 3001)
    nodes = np.linspace(0.0, 1.0, 2**s + 1)
    interpolant = np.interp(x, nodes, nodes**2)  # independent of the network
    got = square_network(s)(x[:, None])[:, 0]
    np.testing.assert_allclose(got, interpolant, rtol=0, atol=1e-15)


def test_square_error_attains_bound_and_falls_by_four_per_level():
    errors = []
    for s in range(0, 13):
        mid = 2.0 ** -(s + 1)  # midpoint of the first dyadic interval: maximal error
        x = np.concatenate([np.linspace(0.0, 1.0, 2049), [mid]])
        e = square_network(s)(x[:, None])[:, 0] - x**2
        assert e.min() >= -1e-16  # the interpolant of a convex function lies above it
        errors.append(e.max())
    errors = np.array(errors)
    bounds = np.array([square_error_bound(s) for s in range(13)])
    np.testing.assert_allclose(errors, bounds, rtol=1e-9)
    np.testing.assert_allclose(errors[:-1] / errors[1:], 4.0, rtol=1e-8)


@pytest.mark.parametrize("s", [0, 1, 3, 6, 9])
def test_product_within_bound_attained_and_exact_at_zero(s):
    g = np.linspace(-1.0, 1.0, 161)
    X, Y = np.meshgrid(g, g, indexing="ij")
    mid = 2.0 ** -(s + 1)
    px = np.concatenate([X.ravel(), [mid]])
    py = np.concatenate([Y.ravel(), [mid]])  # x = y = mid: error exactly the bound
    net = product_network(s)
    got = net(np.column_stack([px, py]))[:, 0]
    err = np.abs(got - px * py)
    assert err.max() <= square_error_bound(s) + 1e-16
    assert err[-1] == pytest.approx(square_error_bound(s), rel=1e-9)
    zero = (px == 0) | (py == 0)  # f_s(a) - f_s(b) with a = b: zero up to the rounding
    assert np.all(np.abs(got[zero]) <= 1e-16)  # of sums taken in different orders
    # symmetric in x and y
    swapped = net(np.column_stack([py, px]))[:, 0]
    np.testing.assert_allclose(got, swapped, rtol=0, atol=1e-15)
    assert (net.depth, net.width) == (s + 2, 8 if s else 4)


def test_repu_product_is_exact():
    rng = np.random.default_rng(3)
    p = 2 * rng.random((1000, 2)) - 1
    got = product_network(None, activation="repu")(p)[:, 0]
    np.testing.assert_allclose(got, p[:, 0] * p[:, 1], rtol=0, atol=1e-15)


# ------------------------------------------------------------ Legendre via Chebyshev
def test_legendre_chebyshev_coefficients_convex_and_exact():
    n = 12
    C = legendre_chebyshev_coefficients(n)
    assert np.all(C >= 0)
    np.testing.assert_allclose(C.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    for j in range(n + 1):
        ref = chebyshev.poly2cheb(legendre.leg2poly(np.eye(j + 1)[j]))
        # atol: the monomial route of the reference loses ~1e-13 by degree 11
        np.testing.assert_allclose(C[j, : j + 1], ref, rtol=0, atol=1e-12)
    # and as functions, at a higher degree where the monomial route is useless
    x = np.linspace(-1, 1, 501)
    C40 = legendre_chebyshev_coefficients(40)
    np.testing.assert_allclose(
        chebyshev.chebval(x, C40[40]), legendre.legval(x, np.eye(41)[40]), atol=1e-13
    )


def test_chebyshev_doubling_stages_cover_each_degree_once():
    for n in range(2, 40):
        targets = [t for stage in chebyshev_stages(n) for t, _, _ in stage]
        assert sorted(targets) == list(range(2, n + 1))
        assert len(chebyshev_stages(n)) == int(np.ceil(np.log2(n)))


# ------------------------------------------------------------ emulated features
CASES = [(1, 9), (2, 10), (3, 6), (5, 4)]


@pytest.mark.parametrize("d, order", CASES)
@pytest.mark.parametrize("method", ["chebyshev", "recurrence"])
def test_repu_network_reproduces_the_features(d, order, method):
    # RePU squares exactly, so this checks the wiring of the whole construction
    Lambda = polynomials.hyperbolic_cross(d, order)
    rng = np.random.default_rng(d)
    y = np.concatenate([np.ones((1, d)), -np.ones((1, d)), 2 * rng.random((300, d)) - 1])
    net = emulate_features(Lambda, activation="repu", legendre_method=method)
    np.testing.assert_allclose(net(y), polynomials.features(y, Lambda), rtol=0, atol=1e-11)
    assert net.delta_bound == 0.0


@pytest.mark.parametrize(
    "Lambda",
    [[[0, 0, 0]], [[0, 0, 0], [1, 0, 0]], [[3, 0, 0], [0, 5, 0], [2, 2, 0], [1, 1, 1]],
     [[0, 0, 7]]],
    ids=["constant", "affine", "not-downward-closed", "one-feature"],
)
@pytest.mark.parametrize("method", ["chebyshev", "recurrence"])
def test_any_index_set(Lambda, method):
    Lambda = np.array(Lambda)
    y = 2 * np.random.default_rng(4).random((200, 3)) - 1
    exact = polynomials.features(y, Lambda)
    relu = emulate_features(Lambda, 10, legendre_method=method)
    assert np.all(np.abs(relu(y) - exact).max(axis=0) <= relu.feature_error_bounds + ROUNDING)
    assert relu.depth == depth_formula(Lambda, 10, legendre_method=method)
    repu = emulate_features(Lambda, activation="repu", legendre_method=method)
    np.testing.assert_allclose(repu(y), exact, rtol=0, atol=1e-12)
    if Lambda.sum(axis=1).max() <= 1:  # affine features: no hidden layer at all
        assert (relu.depth, relu.width, relu.delta_bound) == (1, 0, 0.0)


@pytest.mark.parametrize("d, order", CASES)
@pytest.mark.parametrize("method", ["chebyshev", "recurrence"])
def test_relu_features_within_a_priori_bound(d, order, method):
    Lambda = polynomials.hyperbolic_cross(d, order)
    rng = np.random.default_rng(10 + d)
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * d)).reshape(d, -1).T
    y = np.concatenate([corners, 2 * rng.random((400, d)) - 1])
    exact = polynomials.features(y, Lambda)
    for s in (2, 5, 8):
        net = emulate_features(Lambda, s, legendre_method=method)
        err = np.abs(net(y) - exact).max(axis=0)
        assert np.all(err <= net.feature_error_bounds + ROUNDING)
        np.testing.assert_array_equal(  # the bound is linear in 4^-(s+1)
            net.feature_error_bounds,
            feature_error_constants(Lambda, legendre_method=method) * 4.0 ** -(s + 1),
        )
        # features built from exact pieces are exact: Psi_0 = 1, Psi_{e_k} = sqrt(3) y_k
        exact_columns = Lambda.sum(axis=1) <= 1
        assert np.all(err[exact_columns] <= 1e-15)


def test_feature_error_falls_by_four_per_level_and_tracks_the_bound():
    Lambda = polynomials.hyperbolic_cross(2, 12)
    rng = np.random.default_rng(7)
    corners = np.array([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    y = np.concatenate([corners, 2 * rng.random((1500, 2)) - 1])
    exact = polynomials.features(y, Lambda)
    s_values = np.arange(3, 13)
    errors, bounds = [], []
    for s in s_values:
        net = emulate_features(Lambda, int(s))
        errors.append(np.abs(net(y) - exact).max())
        bounds.append(net.delta_bound)
    errors, bounds = np.array(errors), np.array(bounds)
    slope = np.polyfit(s_values, np.log(errors) / np.log(4.0), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    # the Chebyshev bound is realistic: the sampled worst case (random points, not the
    # true supremum) reaches 0.24-0.66 of it here, so the bound is within a factor 8
    assert np.all(errors <= bounds) and np.all(errors >= bounds / 8)


def test_recurrence_bound_grows_exponentially_chebyshev_polynomially():
    C_cheb, C_rec = [], []
    degrees = np.array([4, 8, 16, 32])
    for n in degrees:
        Lambda = np.arange(n + 1)[:, None]
        C_cheb.append(feature_error_constants(Lambda)[-1] / np.sqrt(2 * n + 1))
        C_rec.append(feature_error_constants(Lambda, legendre_method="recurrence")[-1]
                     / np.sqrt(2 * n + 1))
    # recurrence: ratio per doubling of n grows (geometric in n, base -> 1 + sqrt(2))
    rec_growth = np.array(C_rec[1:]) / np.array(C_rec[:-1])
    assert np.all(np.diff(rec_growth) > 0) and rec_growth[-1] > 1e5
    # Chebyshev doubling: the doubling recursion gives at most 5^(#stages) ~ n^log2(5)
    assert np.all(np.array(C_cheb) <= 5.0 ** np.ceil(np.log2(degrees)))


def test_required_s_is_the_smallest_sufficient_depth():
    Lambda = polynomials.hyperbolic_cross(3, 8)
    for delta in (1e-2, 1e-6, 1e-11):
        s = required_s(Lambda, delta)
        C = feature_error_constants(Lambda).max()
        assert C * 4.0 ** -(s + 1) <= delta < C * 4.0**-s
    assert required_s(np.array([[0, 0], [1, 0], [0, 1]]), 1e-9) == 0  # exact features


# ------------------------------------------------------------ sizes and forward passes
@pytest.mark.parametrize(
    "activation, s, method",
    [("relu", 3, "chebyshev"), ("relu", 2, "recurrence"), ("repu", None, "chebyshev")],
)
def test_sizes_are_read_off_the_matrices_and_match_the_closed_form(activation, s, method):
    Lambda = polynomials.hyperbolic_cross(3, 7)
    feats = emulate_features(Lambda, s, activation=activation, legendre_method=method)
    net = feats.network
    layers = net.layers
    assert feats.depth == len(layers) == depth_formula(
        Lambda, s, activation=activation, legendre_method=method)
    assert feats.width == max(layer.W.shape[0] for layer in layers[:-1])
    assert feats.n_parameters == sum(
        np.count_nonzero(layer.W.toarray()) + np.count_nonzero(layer.b) for layer in layers)
    assert net.n_parameters_dense == sum(W.size + b.size for W, b in net.dense_layers())
    # consecutive layers fit together; input d, output N
    assert layers[0].W.shape[1] == 3 and layers[-1].W.shape[0] == len(Lambda)
    for a, b in zip(layers[:-1], layers[1:]):
        assert b.W.shape[1] == a.W.shape[0]
    assert all(layer.activation == activation for layer in layers[:-1])
    assert layers[-1].activation == "identity"

    # three forward passes agree: sparse numpy, dense numpy, torch
    y = 2 * np.random.default_rng(0).random((50, 3)) - 1
    h = y.T
    power = 1 if activation == "relu" else 2
    act = lambda z: np.maximum(z, 0) ** power  # noqa: E731
    dense = net.dense_layers()
    for W, b in dense[:-1]:
        h = act(W @ h + b[:, None])
    h = dense[-1][0] @ h + dense[-1][1][:, None]
    np.testing.assert_allclose(feats(y), h.T, rtol=0, atol=1e-12)
    got_torch = net.torch_module()(torch.as_tensor(y)).numpy()
    np.testing.assert_allclose(got_torch, h.T, rtol=0, atol=1e-12)


def test_network_values_do_not_depend_on_the_points_per_pass(monkeypatch):
    from dnngap.existence import network as network_module

    feats = emulate_features(polynomials.hyperbolic_cross(3, 6), 5)
    x = np.random.default_rng(4).uniform(-1, 1, (1000, 3))
    default = feats.network(x)
    assert default.shape == (1000, feats.network.output_dim) and np.ptp(default[:, 1]) > 0.1
    for chunk in (1, 7, 4096):
        monkeypatch.setattr(network_module, "_CHUNK", chunk)
        np.testing.assert_array_equal(feats.network(x), default)


def test_layer_table_covers_the_network():
    feats = emulate_features(polynomials.hyperbolic_cross(4, 8), 5)
    rows = existence.layer_table(feats)
    assert rows[0].first == 1 and rows[-1].last == feats.depth
    assert all(a.last + 1 == b.first for a, b in zip(rows[:-1], rows[1:]))
    assert sum(r.n_parameters for r in rows) == feats.n_parameters
    assert max(r.width for r in rows[:-1]) == feats.width
    # 3 Chebyshev stages (degree 8) and 2 tree levels (|supp nu| <= 3), then output
    assert [r.stage.split(" (")[0] for r in rows] == [
        "Chebyshev stage 1", "Chebyshev stage 2", "Chebyshev stage 3",
        "product tree level 1", "product tree level 2", "output"]
    assert rows[0].layers == "|x±y|, sawtooth levels 1-5, clip"
    assert rows[-2].layers == "|x±y|, sawtooth levels 1-5"  # no clip after the last products


def test_emulation_error_table_columns():
    Lambda = polynomials.hyperbolic_cross(2, 5)
    table = existence.emulation_error_table([1, 4, 7], Lambda, n_points=200)
    np.testing.assert_allclose(table.square_error, table.square_bound, rtol=1e-9)
    np.testing.assert_allclose(table.product_error, table.product_bound, rtol=1e-9)
    assert np.all(table.feature_error <= table.feature_bound + ROUNDING)
    assert np.all(np.diff(table.feature_error) < 0)
    assert table.depth.tolist() == [depth_formula(Lambda, s) for s in (1, 4, 7)]


# ------------------------------------------------------------ training the last layer
def _orthonormal_problem(m, N, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    A, w_dir = Q[:, :N], Q[:, N]  # w_dir is orthogonal to the range of A
    c = rng.choice([-1.0, 1.0], N) * (1 + rng.random(N))
    return A, c, w_dir


def test_train_last_layer_closed_form_optima():
    # A with orthonormal columns, b = A c + w, w orthogonal to range(A):
    # ||Az - b||^2 = ||z - c||^2 + ||w||^2, and when lam ||u|| < 1 and every |c_i| is
    # large enough the minimiser is z_i = c_i - sign(c_i) lam u_i R with
    # R = ||w|| / sqrt(1 - lam^2 ||u||^2)  (z = c exactly when w = 0: a kink of the loss).
    N, lam = 6, 0.05
    A, c, w_dir = _orthonormal_problem(10, N, 1)
    u = np.linspace(1.0, 3.0, N)
    for w_norm in (0.0, 0.3):
        b = A @ c + w_norm * w_dir
        R = w_norm / np.sqrt(1 - lam**2 * np.sum(u**2))
        expected = c - np.sign(c) * lam * u * R
        res = train_last_layer(A, b, u, lam)
        np.testing.assert_allclose(res.z, expected, rtol=0, atol=1e-9)
        assert res.converged
        # and the CS solver agrees (at its default tol = 1e-8 on the objective gap, z is
        # only good to about sqrt(tol), hence the tighter tol here)
        sol = cs.solve(A, b, u, lam, tol=1e-12)
        np.testing.assert_allclose(sol.z, expected, rtol=0, atol=1e-9)


def test_train_last_layer_is_batched_over_trials():
    A0, c, w_dir = _orthonormal_problem(8, 5, 2)
    A = np.stack([A0, 2 * A0])
    b = np.stack([A0 @ c + 0.1 * w_dir, 2 * A0 @ c + 0.2 * w_dir])
    u = np.ones(5)
    both = train_last_layer(A, b, u, 1e-2)
    for t in range(2):
        one = train_last_layer(A[t], b[t], u, 1e-2)
        np.testing.assert_allclose(both.z[t], one.z, rtol=0, atol=1e-12)
        assert both.objective[t] == pytest.approx(float(one.objective), rel=1e-14)


@pytest.fixture(scope="module")
def exp_cos_case():
    d = 2
    f = functions.get("exp_cos")
    Lambda = polynomials.hyperbolic_cross(d, 15)  # N = 50
    rng = np.random.default_rng(2021)
    test = 2 * rng.random((4000, d)) - 1
    return d, f, Lambda, test, f(test)


def _samples(f, d, m, trials, seed):
    y = sampling.uniform(d, m, trials, np.random.default_rng(seed))
    return y, f(y.reshape(-1, d)).reshape(trials, m)


@pytest.mark.slow
def test_existence_network_tracks_cs_on_exp_cos(exp_cos_case):
    d, f, Lambda, test, exact = exp_cos_case
    Psi = polynomials.features(test, Lambda)
    s_good = required_s(Lambda, 1e-8)
    for m in (100, 200, 400):
        y, fy = _samples(f, d, m, 2, m)
        cs_err = _rel_l2(cs.fit(y, fy, Lambda).z @ Psi.T, exact).mean()
        good = fit_existence_network(y, fy, Lambda, s=s_good)
        net_err = _rel_l2(good.predict(test), exact).mean()
        assert 0.5 <= net_err / cs_err <= 2.0, (m, net_err, cs_err)
        if m == 100:  # the comparison can fail: with one sawtooth level it is far worse
            poor = fit_existence_network(y, fy, Lambda, s=1)
            assert _rel_l2(poor.predict(test), exact).mean() > 100 * cs_err


@pytest.mark.slow
def test_gradient_training_reaches_the_cs_objective(exp_cos_case):
    d, f, Lambda, test, exact = exp_cos_case
    y, fy = _samples(f, d, 100, 2, 7)
    by_cs = fit_existence_network(y, fy, Lambda, s=12, training="cs")
    by_grad = fit_existence_network(y, fy, Lambda, s=12, training="gradient")
    assert np.all(by_grad.converged) and np.all(by_cs.converged)
    # the CS solver certifies a relative gap <= 1e-8 (its default tolerance)
    assert np.all(by_grad.objective <= by_cs.objective * (1 + 1e-8))
    np.testing.assert_allclose(by_grad.objective, by_cs.objective, rtol=1e-7)
    ratio = _rel_l2(by_grad.predict(test), exact) / _rel_l2(by_cs.predict(test), exact)
    assert np.all((ratio > 0.5) & (ratio < 2.0))


@pytest.mark.slow
def test_existence_network_with_fewer_samples_than_features(exp_cos_case):
    # m < N: the SR-LASSO minimiser interpolates (a kink of the loss); the decoder on
    # exact features is computed with the same optimiser, so this isolates the emulation
    d, f, Lambda, test, exact = exp_cos_case
    Psi = polynomials.features(test, Lambda)
    u = polynomials.weights(Lambda)
    y, fy = _samples(f, d, 30, 2, 30)
    A = polynomials.features(y.reshape(-1, d), Lambda).reshape(2, 30, -1) / np.sqrt(30)
    exact_fit = train_last_layer(A, fy / np.sqrt(30), u, cs.DEFAULT_LAMBDA)
    net = fit_existence_network(y, fy, Lambda, s=required_s(Lambda, 1e-8), training="gradient")
    np.testing.assert_allclose(net.objective, exact_fit.objective, rtol=1e-6)
    ratio = _rel_l2(net.predict(test), exact) / _rel_l2(exact_fit.z @ Psi.T, exact)
    assert np.all((ratio > 0.5) & (ratio < 2.0))


def test_whole_network_with_trained_last_layer(exp_cos_case):
    d, f, Lambda, test, exact = exp_cos_case
    y, fy = _samples(f, d, 40, 2, 0)
    fit = fit_existence_network(y, fy, Lambda, s=8, training="gradient")
    pred = fit.predict(test[:300])
    for t in range(2):
        net = fit.network(t)
        assert net.output_dim == 1 and net.depth == fit.features.depth
        np.testing.assert_allclose(net(test[:300])[:, 0], pred[t], rtol=0, atol=1e-13)
    # the objective reported is the SR-LASSO loss on the emulated features
    A = fit.features(y.reshape(-1, d)).reshape(2, 40, -1) / np.sqrt(40)
    b = fy / np.sqrt(40)
    u = polynomials.weights(Lambda)
    for t in range(2):
        loss = np.linalg.norm(A[t] @ fit.z[t] - b[t]) + fit.lam * np.sum(u * np.abs(fit.z[t]))
        assert fit.objective[t] == pytest.approx(loss, rel=1e-14)


# ------------------------------------------------------------ bad input
def test_bad_input_is_rejected_before_work():
    Lambda = polynomials.hyperbolic_cross(2, 4)
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'repu'"):
        emulate_features(Lambda, 3, activation="tanh")
    with pytest.raises(ValueError, match="legendre_method must be one of"):
        emulate_features(Lambda, 3, legendre_method="monomial")
    with pytest.raises(ValueError, match="s .* is required"):
        emulate_features(Lambda)
    with pytest.raises(ValueError, match="s must be None for activation='repu'"):
        emulate_features(Lambda, 3, activation="repu")
    with pytest.raises(ValueError, match="s must be >= 0"):
        emulate_features(Lambda, -1)
    with pytest.raises(TypeError, match="s must be an integer"):
        emulate_features(Lambda, 2.5)
    with pytest.raises(TypeError, match="Lambda must be an integer array"):
        emulate_features(Lambda.astype(float), 3)
    with pytest.raises(ValueError, match="repeated"):
        emulate_features(np.array([[0, 1], [0, 1]]), 3)
    with pytest.raises(ValueError, match=r"Lambda must have shape \(N, d\)"):
        emulate_features(np.array([0, 1]), 3)
    feats = emulate_features(Lambda, 2)
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]\^2"):
        feats(np.array([[0.0, 1.5]]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        feats(np.zeros((3, 3)))
    assert np.all(np.isfinite(feats(np.array([[1.0 + 1e-13, -1.0]]))))  # rounding tolerated

    y = np.zeros((1, 5, 2))
    fy = np.zeros((1, 5))
    with pytest.raises(ValueError, match="training must be one of 'cs', 'gradient'"):
        fit_existence_network(y, fy, Lambda, s=2, training="adam")
    with pytest.raises(ValueError, match="cs_method applies to training='cs' only"):
        fit_existence_network(y, fy, Lambda, s=2, training="gradient", cs_method="cvxpy")
    with pytest.raises(ValueError, match=r"f_values must have shape \(1, 5\)"):
        fit_existence_network(y, np.zeros(5), Lambda, s=2)
    with pytest.raises(ValueError, match=r"y must have shape \(T, m, 2\)"):
        fit_existence_network(np.zeros((5, 2)), fy, Lambda, s=2)
    with pytest.raises(ValueError, match="lam must be a positive number"):
        fit_existence_network(y, fy, Lambda, s=2, lam=0.0)
    with pytest.raises(ValueError, match="delta must be a positive number"):
        required_s(Lambda, 0.0)
    with pytest.raises(ValueError, match="weights must be positive"):
        train_last_layer(np.eye(2), np.ones(2), np.array([1.0, 0.0]), 0.1)
    with pytest.raises(TypeError, match="must be a FeedForwardNetwork or EmulatedFeatures"):
        existence.layer_table("network")
    assert isinstance(feats, EmulatedFeatures)


# ------------------------------------------------------------ the package
def test_package_exports_its_api_and_keys_results_by_its_numerics_version():
    """Every public name of the modules is importable from dnngap.existence,
    and the results store reads the package's NUMERICS_VERSION."""
    from dnngap import experiments
    from dnngap.existence import bounds, construction, last_layer, network, tables

    for module in (bounds, construction, last_layer, network, tables):
        for name in module.__all__:
            assert getattr(existence, name) is getattr(module, name), (module.__name__, name)
            assert name in existence.__all__, name
    assert experiments.numerics_versions("existence")["existence"] == existence.NUMERICS_VERSION == 1
