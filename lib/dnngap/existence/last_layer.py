r"""The trained last layer of the existence theorem's network.

The full network is :math:`\Phi_z(y) = \sum_\nu z_\nu \widetilde\Psi_\nu(y)`
(the output layer composed with :math:`z`). :func:`fit_existence_network`
chooses :math:`z` by minimising the loss of the theorem,

.. math::
    \sqrt{\tfrac1m \textstyle\sum_i |f(y_i) - \Phi_z(y_i)|^2}
    + \lambda \sum_\nu u_\nu |z_\nu|
    = \|Az - b\|_2 + \lambda\|z\|_{1,u},\qquad
    A = \widetilde\Psi(y)/\sqrt m,\ b = f(y)/\sqrt m,

either with the CS solver (``training="cs"``) or by first-order training of
the last layer alone (``training="gradient"``, see :func:`train_last_layer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from dnngap import cs, polynomials
from dnngap._validation import check_choice, check_positive
from dnngap._validation import check_int as _check_int

from ._common import (ACTIVATIONS, LEGENDRE_METHODS, TRAININGS, Activation, LegendreMethod, Training,
                      check_Lambda, check_points, check_s)
from .construction import EmulatedFeatures, emulate_features
from .network import FeedForwardNetwork, Layer

__all__ = ["ExistenceFit", "LastLayerResult", "fit_existence_network", "train_last_layer"]


@dataclass(frozen=True)
class LastLayerResult:
    r"""Result of :func:`train_last_layer` (leading trial axis as the inputs).

    Attributes
    ----------
    z : numpy.ndarray, shape (T, N) or (N,)
    objective : numpy.ndarray, shape (T,) or ()
        The exact objective :math:`\lambda\|z\|_{1,u} + \|Az - b\|_2`.
    iterations : numpy.ndarray of int, shape (T,) or ()
        Proximal-gradient steps taken, over all smoothing stages.
    converged : numpy.ndarray of bool, shape (T,) or ()
        Whether the objective changed by at most ``tol`` (relative) over the
        last smoothing stage (a stagnation test, not a certificate).

    Examples
    --------
    A = I, b = e_1, λ = 1/2 (u = 1): the minimiser is z = e_1, objective 1/2.

    >>> res = train_last_layer(np.eye(2)[None], np.array([[1.0, 0.0]]), np.ones(2), 0.5)
    >>> res.z.round(6).tolist(), res.objective.round(9).tolist(), res.converged.tolist()
    ([[1.0, 0.0]], [0.5], [True])
    """

    z: np.ndarray
    objective: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def _objective(A: np.ndarray, b: np.ndarray, z: np.ndarray, weights: np.ndarray, lam: float):
    r = np.einsum("tmn,tn->tm", A, z) - b
    return lam * np.abs(z) @ weights + np.linalg.norm(r, axis=1)


def train_last_layer(
    A: np.ndarray,
    b: np.ndarray,
    weights: np.ndarray,
    lam: float,
    *,
    tol: float = 1e-8,
    mu_stages: int = 12,
    max_iter: int = 5000,
) -> LastLayerResult:
    r"""Train the last layer by accelerated proximal gradient on the smoothed SR-LASSO loss.

    Minimises :math:`\mathcal P(z) = \|Az - b\|_2 + \lambda\|z\|_{1,u}` for
    each trial. The root-mean-square data term is not differentiable where
    the residual vanishes, which is where the minimiser lies when the
    samples can be interpolated (few samples, small :math:`\lambda`), so it
    is replaced by its smoothing :math:`\sqrt{\|Az-b\|^2 + \mu^2}` (within
    :math:`\mu` of it; gradient :math:`A^\top r/\sqrt{\|r\|^2+\mu^2}`,
    Lipschitz constant :math:`\|A\|_2^2/\mu`), and :math:`\mu` is
    decreased by continuation, :math:`\mu_j = 10^{-j}\|b\|_2`,
    :math:`j = 1, 2, \dots`, each stage warm-started from the last.

    A stage runs FISTA with the step :math:`\mu/\|A\|_2^2`, the weighted
    soft threshold :math:`z \mapsto \operatorname{sign}(z)\max(|z| -
    t\lambda u, 0)` as the proximal step of the penalty, and gradient-based
    adaptive restart (O'Donoghue & Candès 2015), until the gradient mapping
    is small, :math:`|x - z^+|/t \le 10^{-9}\lambda u` componentwise, or
    ``max_iter`` steps. All ``mu_stages`` stages are run: stopping when the
    objective stalls would keep the smoothing bias of :math:`z`, which the
    objective, flat at its minimum, does not show.

    This is gradient training of the last layer alone: only products with
    :math:`A` and :math:`A^\top`, i.e. forward and backward passes through
    the fixed hidden layers, with an optimiser independent of the CS
    solver's. On the problems of the tests it reaches the CS solver's
    objective to about :math:`10^{-7}` (relative) or better.

    Parameters
    ----------
    A : array_like, shape (T, m, N) or (m, N)
    b : array_like, shape (T, m) or (m,)
    weights : array_like, shape (N,), positive
    lam : float, > 0
    tol : float
        ``converged`` says whether the last stage changed the objective by at
        most ``tol`` (relative).
    mu_stages : int
        Largest number of continuation stages; the last smoothing error is
        at most :math:`10^{-\text{mu\_stages}}\|b\|_2`.
    max_iter : int
        Largest number of steps per stage.

    Returns
    -------
    LastLayerResult

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) / np.sqrt(3)
    >>> res = train_last_layer(A, A @ np.array([1.0, -2.0]), np.ones(2), 1e-3)
    >>> res.z.round(8).tolist(), bool(res.converged)
    ([1.0, -2.0], True)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim not in (2, 3):
        raise ValueError(f"A must have shape (T, m, N) or (m, N); got shape {A.shape}")
    single = A.ndim == 2
    if single:
        A, b = A[None], b[None]
    T, m, N = A.shape
    if b.shape != (T, m):
        want = (m,) if single else (T, m)
        raise ValueError(f"b must have shape {want}; got shape {b.shape[int(single):]}")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (N,) or np.any(weights <= 0):
        raise ValueError(f"weights must be positive with shape ({N},); got shape {weights.shape}")
    check_positive("lam", lam)
    check_positive("tol", tol)
    mu_stages = _check_int("mu_stages", mu_stages, 1)
    max_iter = _check_int("max_iter", max_iter, 1)

    tiny = np.finfo(float).tiny
    norm_A2 = np.maximum(np.linalg.norm(A, ord=2, axis=(1, 2)) ** 2, tiny)  # (T,)
    norm_b = np.linalg.norm(b, axis=1)
    threshold = 1e-9 * lam * weights  # gradient-mapping tolerance of a stage
    z = np.zeros((T, N))
    objective = _objective(A, b, z, weights, lam)
    iterations = np.zeros(T, dtype=np.int64)
    for j in range(1, mu_stages + 1):
        mu = np.maximum(10.0**-j * norm_b, tiny)
        step = (mu / norm_A2)[:, None]
        x, t = z.copy(), np.ones(T)
        active = np.ones(T, dtype=bool)
        for _ in range(max_iter):
            r = np.einsum("tmn,tn->tm", A, x) - b
            grad = np.einsum("tmn,tm->tn", A, r) / np.sqrt(np.sum(r * r, axis=1) + mu**2)[:, None]
            v = x - step * grad
            z_new = np.sign(v) * np.maximum(np.abs(v) - step * lam * weights, 0.0)
            stationary = np.all(np.abs(x - z_new) <= step * threshold, axis=1)
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            restart = np.sum((z_new - z) * (x - z_new), axis=1) > 0
            t_new[restart] = 1.0
            momentum = np.where(restart, 0.0, (t - 1.0) / t_new)[:, None]
            x_new = z_new + momentum * (z_new - z)
            z = np.where(active[:, None], z_new, z)  # finished trials keep their iterate
            x = np.where(active[:, None], x_new, x)
            t = np.where(active, t_new, t)
            iterations += active
            active &= ~stationary
            if not active.any():
                break
        previous, objective = objective, _objective(A, b, z, weights, lam)
    converged = np.abs(previous - objective) <= tol * objective
    if single:
        return LastLayerResult(z[0], objective[0], iterations[0], converged[0])
    return LastLayerResult(z, objective, iterations, converged)


@dataclass(frozen=True, eq=False)
class ExistenceFit:
    r"""The existence theorem's network with its trained last layer, one per trial.

    :math:`\Phi_{z_t}(y) = \sum_\nu z_{t\nu}\widetilde\Psi_\nu(y)`.

    Attributes
    ----------
    features : EmulatedFeatures
        The hidden layers (shared by all trials).
    z : numpy.ndarray, shape (T, N)
        Last-layer weights of each trial.
    objective : numpy.ndarray, shape (T,)
        :math:`\lambda\|z\|_{1,u} + \|Az - b\|_2` with :math:`A` built from
        the *emulated* features.
    lam : float
    training : {"cs", "gradient"}
    iterations : numpy.ndarray, shape (T,)
    converged : numpy.ndarray of bool, shape (T,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 10, 1))
    >>> fit = fit_existence_network(y, np.exp(y[..., 0]), polynomials.hyperbolic_cross(1, 5), s=8)
    >>> fit.z.shape, fit.converged.tolist(), fit.features.depth
    ((2, 6), [True, True], 30)
    >>> x = np.linspace(-1, 1, 4)[:, None]
    >>> bool(np.abs(fit.network(1)(x)[:, 0] - fit.predict(x)[1]).max() < 1e-12)
    True
    """

    features: EmulatedFeatures
    z: np.ndarray
    objective: np.ndarray
    lam: float
    training: Training
    iterations: np.ndarray
    converged: np.ndarray

    def __repr__(self) -> str:
        return (f"ExistenceFit(trials={self.z.shape[0]}, training={self.training!r}, "
                f"lam={self.lam:g}, features={self.features!r})")

    def predict(self, points: np.ndarray) -> np.ndarray:
        r"""Network outputs at ``points`` (n, d) in :math:`[-1,1]^d` -> (T, n)."""
        return self.z @ self.features(points).T

    def network(self, trial: int = 0) -> FeedForwardNetwork:
        r"""Trial ``trial``'s whole network, the last layer composed with the output layer.

        Its output layer is :math:`y \mapsto z^\top(W_L h + b_L)`, a single
        affine map with one output, so ``network(t)(points)[:, 0] ==
        predict(points)[t]`` up to rounding.
        """
        trial = _check_int("trial", trial, 0)
        if trial >= self.z.shape[0]:
            raise ValueError(f"trial must be < {self.z.shape[0]}; got {trial}")
        layers = self.features.network.layers
        last = layers[-1]
        zt = self.z[trial]
        W = sp.csr_array((zt @ last.W)[None, :])
        merged = Layer(W, np.array([zt @ last.b]), "identity", "output", "output",
                       "Φ_z = Σ_ν z_ν Ψ_ν (trained last layer)")
        return FeedForwardNetwork(layers[:-1] + (merged,), self.features.d)


def fit_existence_network(
    y: np.ndarray,
    f_values: np.ndarray,
    Lambda: np.ndarray,
    *,
    s: int | None,
    lam: float = cs.DEFAULT_LAMBDA,
    training: Training = "cs",
    activation: Activation = "relu",
    legendre_method: LegendreMethod = "chebyshev",
    cs_method: Literal["primal_dual", "cvxpy"] | None = None,
) -> ExistenceFit:
    r"""Build the emulated features and train the last layer on each trial's samples.

    With :math:`\widetilde\Psi` the network of :func:`emulate_features`,
    :math:`A_t = \widetilde\Psi(y_t)/\sqrt m` and :math:`b_t = f(y_t)/\sqrt m`,
    the last layer minimises the loss of the practical existence theorem,
    :math:`\sqrt{\frac1m\sum_i|f(y_i) - \Phi_z(y_i)|^2} + \lambda\sum_\nu
    u_\nu|z_\nu| = \|A_t z - b_t\|_2 + \lambda\|z\|_{1,u}`.

    Parameters
    ----------
    y : array_like, shape (T, m, d)
        Samples of each trial, in :math:`[-1,1]^d`.
    f_values : array_like, shape (T, m)
    Lambda : array_like of int, shape (N, d)
    s : int or None
        Sawtooth levels (ReLU; see :func:`~dnngap.existence.required_s`); None for RePU.
    lam : float
        :math:`\lambda` (default :data:`dnngap.cs.DEFAULT_LAMBDA`).
    training : {"cs", "gradient"}
        ``"cs"``: :func:`dnngap.cs.solve` on :math:`(A_t, b_t)`;
        ``"gradient"``: :func:`train_last_layer` (accelerated proximal
        gradient on the smoothed loss).
    activation, legendre_method
        As in :func:`emulate_features`.
    cs_method : {"primal_dual", "cvxpy"} or None
        Solver of :func:`dnngap.cs.solve` for ``training="cs"`` (None: its
        default); must be None for ``training="gradient"``.

    Returns
    -------
    ExistenceFit

    Examples
    --------
    :math:`e^y` from 10 samples (2 trials), Legendre degree ≤ 5 emulated
    with 8 sawtooth levels (feature error below 2e-4):

    >>> rng = np.random.default_rng(0)
    >>> y = rng.uniform(-1, 1, (2, 10, 1))
    >>> fit = fit_existence_network(y, np.exp(y[..., 0]), polynomials.hyperbolic_cross(1, 5), s=8)
    >>> fit
    ExistenceFit(trials=2, training='cs', lam=0.0001, features=EmulatedFeatures(d=1, N=6, s=8, activation='relu', legendre_method='chebyshev', depth=30, width=20, n_parameters=1319, delta_bound=0.000195))
    >>> x = np.linspace(-1, 1, 4)[:, None]
    >>> bool(np.abs(fit.predict(x) - np.exp(x[:, 0])).max() < 1e-2)
    True
    """
    training = check_choice("training", training, TRAININGS)
    activation = check_choice("activation", activation, ACTIVATIONS)
    legendre_method = check_choice("legendre_method", legendre_method, LEGENDRE_METHODS)
    s = check_s(s, activation)
    if cs_method is not None:
        if training != "cs":
            raise ValueError(
                f"cs_method applies to training='cs' only; got cs_method={cs_method!r}"
            )
        cs_method = check_choice("cs_method", cs_method, ("primal_dual", "cvxpy"))
    Lambda = check_Lambda(Lambda)
    d = Lambda.shape[1]
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 3 or y.shape[2] != d:
        raise ValueError(f"y must have shape (T, m, {d}); got shape {y.shape}")
    T, m, _ = y.shape
    f_values = np.asarray(f_values, dtype=np.float64)
    if f_values.shape != (T, m):
        raise ValueError(f"f_values must have shape {(T, m)}; got shape {f_values.shape}")
    check_points(y.reshape(-1, d), d, "y")
    check_positive("lam", lam)

    features = emulate_features(Lambda, s, activation=activation, legendre_method=legendre_method)
    A = features(y.reshape(-1, d)).reshape(T, m, -1) / np.sqrt(m)
    b = f_values / np.sqrt(m)
    u = polynomials.weights(Lambda)
    if training == "cs":
        kwargs = {} if cs_method is None else {"method": cs_method}
        res = cs.solve(A, b, u, float(lam), **kwargs)
    else:
        res = train_last_layer(A, b, u, float(lam))
    objective = _objective(A, b, res.z, u, float(lam))
    return ExistenceFit(
        features, np.asarray(res.z, dtype=np.float64), objective, float(lam), training,
        np.asarray(res.iterations), np.asarray(res.converged, dtype=bool),
    )
