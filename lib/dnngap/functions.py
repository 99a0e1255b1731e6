r"""The paper's test functions and their exact norms.

Every function maps points of the hypercube :math:`U = [-1, 1]^d` to real
numbers. Norms are taken in :math:`L^2_\rho(U)` for the uniform *probability*
measure :math:`\rho = 2^{-d}\,\mathrm{d}y`,

.. math:: \|f\|_{L^2_\rho} = \Bigl(2^{-d} \int_U |f(y)|^2 \,\mathrm{d}y\Bigr)^{1/2}.

The registry holds the nine functions of Adcock & Dexter (2021) under the
authors' names; every one reproduces the values released with the paper
(``ndexter/MLFA``) to rounding error, see ``tests/test_functions.py``:

========================= =====================================================
name                      :math:`f(y)`
========================= =====================================================
``exp_cos``               :math:`\exp(-\tfrac{1}{8d}\sum_k \cos y_k)`
``exp_cos5``              :math:`\exp(-\sum_k \cos 5 y_k)`
``slower_decay_rational`` :math:`\bigl(\prod_{k\le h}(1+4^k y_k^2) /
                          \prod_{k>h}(100+5y_k)\bigr)^{1/d}`, :math:`h=\lceil d/2\rceil`
``mixed_trig_rational``   :math:`\prod_{k\le h}(1-y_k/4^k)^{-1}
                          \prod_{k>h}\cos(16 y_k/2^k)`
``halfspace``             :math:`1` if :math:`\sum_k y_k \ge 0`, else :math:`0`
``indicator``             :math:`1` if :math:`\max_k |y_k| \le 1/2`, else :math:`0`
``logsin_plus_sin_K1``    :math:`\log(\sin 10y + 2) + \sin y` (d = 1)
``logsin_plus_sin_K10``   :math:`\log(\sin 100y + 2) + \sin 10y` (d = 1)
``f1``                    :math:`0.98/(1 - 0.98\sin \pi y)` (d = 1)
========================= =====================================================

Coordinates are numbered :math:`k = 1, \dots, d`, i.e. column ``k - 1`` of the
``(n, d)`` point array.

Exact norms come from the product structure of :math:`f^2`: each norm is a
product of one-dimensional integrals, evaluated in closed form where one is
short (``mixed_trig_rational``, ``halfspace``, ``indicator``, ``f1``) and
otherwise by adaptive Gauss--Kronrod quadrature (``scipy.integrate.quad``,
relative tolerance 1e-13). They agree with the table of the paper's companion
notes to all printed digits.

Examples
--------
>>> import numpy as np
>>> from dnngap import functions
>>> f = functions.get("exp_cos")
>>> f(np.zeros((1, 3)))          # exp(-3 / 24)
array([0.8824969])
>>> round(f.norm(8), 9)
0.900192867
>>> functions.get("halfspace").norm(5) == 2 ** -0.5
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate

from dnngap._validation import check_int, is_integer

__all__ = ["DOMAIN_TOL", "TestFunction", "as_points", "available", "get", "register"]

#: Points may lie outside [-1, 1] by at most this much (absorbs rounding in
#: affine maps onto the cube); anything further out is rejected.
DOMAIN_TOL = 1e-12


def _check_d(d: object, dims: tuple[int, ...] | None, name: str) -> int:
    """Validate a dimension ``d`` against the supported ``dims``."""
    d = check_int("d", d, 1)
    if dims is not None and d not in dims:
        raise ValueError(
            f"function {name!r} supports d in {list(dims)} only; got d={d}"
        )
    return d


def as_points(y: object, *, name: str = "y") -> np.ndarray:
    """Validate an array of points in :math:`[-1, 1]^d` and return it as float64.

    Parameters
    ----------
    y : array_like, shape (n, d)
        Points, one per row. Integer and float dtypes are accepted.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, d), float64, C-contiguous
        ``y`` itself when it already is such an array, otherwise a copy.

    Raises
    ------
    TypeError
        If ``y`` is not real-valued.
    ValueError
        If ``y`` is not two-dimensional, has no columns, contains NaN or
        infinity, or has a coordinate with ``|y_k| > 1 + DOMAIN_TOL``.

    Examples
    --------
    >>> as_points([[0, 1], [-1, 0]])
    array([[ 0.,  1.],
           [-1.,  0.]])
    >>> as_points(np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: y must be a 2-D array of shape (n, d); got shape (3,)
    >>> as_points([[1.5]], name="points")
    Traceback (most recent call last):
    ...
    ValueError: points must lie in [-1, 1]^d; found a coordinate of size 1.5
    """
    arr = np.asarray(y)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array; got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, d); got shape {arr.shape}"
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.size:
        # min and max propagate NaN, and are infinite if any entry is: no
        # temporary array of the size of y is needed.
        lo, hi = float(arr.min()), float(arr.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"{name} contains NaN or infinite values")
        worst = max(-lo, hi)
        if worst > 1.0 + DOMAIN_TOL:
            raise ValueError(
                f"{name} must lie in [-1, 1]^d; found a coordinate of size {worst:.17g}"
            )
    return arr


@dataclass(frozen=True)
class TestFunction:
    r"""A test function on :math:`[-1, 1]^d` with metadata and exact norm.

    Calling the object evaluates the function: ``f(y)`` with ``y`` of shape
    ``(n, d)`` returns an ``(n,)`` float64 array. Points are validated first
    (see :func:`as_points`) and ``d`` is checked against :attr:`dims`.

    Parameters
    ----------
    name : str
        Registry key (the authors' name for the paper's functions).
    formula : str
        LaTeX formula of :math:`f(y)`.
    smoothness : str
        Smoothness class, e.g. ``"analytic"`` or ``"piecewise constant"``.
    dims : tuple of int or None
        Supported dimensions; ``None`` means every ``d >= 1``.
    evaluate : callable
        ``evaluate(y) -> (n,)`` on an already validated float64 array of shape
        ``(n, d)``.
    exact_norm : callable or None
        ``exact_norm(d) -> float``: :math:`\|f\|_{L^2_\rho([-1,1]^d)}`;
        ``None`` when no exact value is known.
    exact_mean : callable or None
        ``exact_mean(d) -> float``: :math:`\mathbb{E} f = \int_U f \,\mathrm{d}\rho`;
        ``None`` when no exact value is known.
    paper_dims : tuple of int
        Dimensions in which the authors released data for this function.
    notes : str
        One or two sentences on what makes the function easy or hard.

    Examples
    --------
    :math:`f(y) = y_1`, with :math:`\mathbb{E}f = 0` and :math:`\|f\| = 1/\sqrt 3`
    in every dimension (not registered; see :func:`register`):

    >>> f = TestFunction("first_coordinate", "y_1", "analytic", None, lambda y: y[:, 0],
    ...                  exact_norm=lambda d: 3 ** -0.5, exact_mean=lambda d: 0.0)
    >>> f(np.array([[0.5, -1.0], [0.25, 0.0]])), f.supports(7), f.constant_error(2)
    (array([0.5 , 0.25]), True, 1.0)
    >>> get("halfspace").supports(5), get("halfspace").norm(2) == 0.5 ** 0.5
    (True, True)
    """

    __test__ = False  # not a pytest test class despite the name

    name: str
    formula: str
    smoothness: str
    dims: tuple[int, ...] | None
    evaluate: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)
    exact_norm: Callable[[int], float] | None = field(
        default=None, repr=False, compare=False
    )
    exact_mean: Callable[[int], float] | None = field(
        default=None, repr=False, compare=False
    )
    paper_dims: tuple[int, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("name must be a non-empty string")
        if self.dims is not None:
            if not self.dims or any(
                not is_integer(k) or k < 1 for k in self.dims
            ):
                raise ValueError(
                    f"dims must be None or a non-empty tuple of integers >= 1; got {self.dims!r}"
                )
        if not callable(self.evaluate):
            raise TypeError("evaluate must be callable")
        if self.exact_norm is not None and not callable(self.exact_norm):
            raise TypeError("exact_norm must be callable or None")

    def supports(self, d: int) -> bool:
        """Whether the function is defined in dimension ``d``."""
        return self.dims is None or d in self.dims

    def __call__(self, y: object) -> np.ndarray:
        """Evaluate at the rows of ``y`` (shape ``(n, d)``); returns ``(n,)`` float64."""
        pts = as_points(y)
        _check_d(pts.shape[1], self.dims, self.name)
        values = np.asarray(self.evaluate(pts), dtype=np.float64)
        if values.shape != (pts.shape[0],):  # a defect of a registered function
            raise RuntimeError(
                f"function {self.name!r} returned shape {values.shape}; "
                f"expected ({pts.shape[0]},)"
            )
        return values

    def norm(self, d: int) -> float | None:
        r"""Exact :math:`\|f\|_{L^2_\rho([-1,1]^d)}`, or ``None`` if unknown.

        Raises ``ValueError`` if ``d`` is not supported.
        """
        d = _check_d(d, self.dims, self.name)
        if self.exact_norm is None:
            return None
        return float(self.exact_norm(d))

    def mean(self, d: int) -> float | None:
        r"""Exact :math:`\mathbb{E} f = \int_U f\,\mathrm{d}\rho`, or ``None`` if unknown."""
        d = _check_d(d, self.dims, self.name)
        if self.exact_mean is None:
            return None
        return float(self.exact_mean(d))

    def constant_error(self, d: int) -> float | None:
        r"""Relative error of the best constant predictor, exactly.

        The best constant in :math:`L^2_\rho` is :math:`c = \mathbb{E} f`, and

        .. math:: \frac{\|f - \mathbb{E} f\|}{\|f\|}
                  = \sqrt{1 - (\mathbb{E} f)^2 / \|f\|^2}.

        A method whose relative error is not below this has learned nothing
        beyond the mean. ``None`` when the mean or norm is unknown.

        >>> from dnngap import functions
        >>> round(functions.get("halfspace").constant_error(3), 12)  # sqrt(1 - (1/2)^2 / (1/2))
        0.707106781187
        """
        mean, norm = self.mean(d), self.norm(d)
        if mean is None or norm is None:
            return None
        return math.sqrt(max(0.0, 1.0 - (mean / norm) ** 2))


# --------------------------------------------------------------------------
# The paper's functions. The arithmetic mirrors the reference implementation
# operation for operation so that values agree with the released data to
# rounding error.


def _half(d: int) -> int:
    return math.ceil(d / 2)


def _exp_cos(y: np.ndarray) -> np.ndarray:
    d = y.shape[1]
    return np.exp(-np.sum(np.cos(y), axis=1) / (8 * d))


def _exp_cos5(y: np.ndarray) -> np.ndarray:
    return np.exp(-np.sum(np.cos(5 * y), axis=1))


def _slower_decay_rational(y: np.ndarray) -> np.ndarray:
    d = y.shape[1]
    h = _half(d)
    k = np.arange(1, d + 1)
    numerator = np.prod(1 + 4.0 ** k[:h] * y[:, :h] ** 2, axis=1)
    denominator = np.prod(100 + 5 * y[:, h:], axis=1)
    return (numerator / denominator) ** (1 / d)


def _mixed_trig_rational(y: np.ndarray) -> np.ndarray:
    d = y.shape[1]
    h = _half(d)
    k = np.arange(1, d + 1)
    rational = np.prod(1 / (1 - y[:, :h] / 4.0 ** k[:h]), axis=1)
    trig = np.prod(np.cos(16 * y[:, h:] / 2.0 ** k[h:]), axis=1)
    return rational * trig


def _halfspace(y: np.ndarray) -> np.ndarray:
    # numpy's own float64 row sum (y is C-contiguous float64 here): this exact
    # summation order reproduces the authors' labels on every released point.
    return (y.sum(axis=1) >= 0).astype(np.float64)


def _indicator(y: np.ndarray) -> np.ndarray:
    return (np.max(np.abs(y), axis=1) <= 0.5).astype(np.float64)


def _logsin_plus_sin(frequency: float) -> Callable[[np.ndarray], np.ndarray]:
    def evaluate(y: np.ndarray) -> np.ndarray:
        t = y[:, 0]
        return np.log(np.sin(10 * frequency * t) + 2) + np.sin(frequency * t)

    return evaluate


def _f1(y: np.ndarray) -> np.ndarray:
    t = y[:, 0]
    return 0.98 / (1 - 0.98 * np.sin(np.pi * t))


# --------------------------------------------------------------------------
# Exact norms. f^2 is a product of one-dimensional factors for every function
# below, so ||f||^2 is a product of 1D means (1/2) int_{-1}^{1} g(t) dt.


def _mean_1d(g: Callable[[float], float], breakpoints: tuple[float, ...] = ()) -> float:
    """(1/2) * integral of g over [-1, 1] by adaptive Gauss--Kronrod quadrature."""
    value, _ = integrate.quad(
        g, -1.0, 1.0, points=breakpoints or None, epsabs=0.0, epsrel=1e-13, limit=2000
    )
    return value / 2


@functools.lru_cache(maxsize=None)
def _exp_cos_norm(d: int) -> float:
    c = 1 / (4 * d)  # f^2 = prod_k exp(-cos(y_k) / (4d))
    return math.sqrt(_mean_1d(lambda t: math.exp(-c * math.cos(t))) ** d)


@functools.lru_cache(maxsize=None)
def _exp_cos5_norm(d: int) -> float:
    return math.sqrt(_mean_1d(lambda t: math.exp(-2 * math.cos(5 * t))) ** d)


@functools.lru_cache(maxsize=None)
def _slower_decay_rational_norm(d: int) -> float:
    h = _half(d)
    square = 1.0
    for k in range(1, h + 1):
        a = 4.0**k  # branch points at +-i/sqrt(a): split at the near-singular 0
        square *= _mean_1d(lambda t, a=a: (1 + a * t * t) ** (2 / d), (0.0,))
    if d > h:
        square *= _mean_1d(lambda t: (100 + 5 * t) ** (-2 / d)) ** (d - h)
    return math.sqrt(square)


@functools.lru_cache(maxsize=None)
def _mixed_trig_rational_norm(d: int) -> float:
    h = _half(d)
    square = 1.0
    for k in range(1, h + 1):
        a = 4.0**k  # (1/2) int (1 - t/a)^-2 dt = a^2 / (a^2 - 1)
        square *= a * a / (a * a - 1)
    for k in range(h + 1, d + 1):
        w = 16 / 2**k  # (1/2) int cos^2(w t) dt = 1/2 + sin(2w) / (4w)
        square *= 0.5 + math.sin(2 * w) / (4 * w)
    return math.sqrt(square)


@functools.lru_cache(maxsize=None)
def _logsin_plus_sin_norm(frequency: float) -> float:
    def square(t: float) -> float:
        return (math.log(math.sin(10 * frequency * t) + 2) + math.sin(frequency * t)) ** 2

    return math.sqrt(_mean_1d(square))


# Exact means E f: every function is a product of 1D factors (or 1D), so
# E f is a product of 1D means (closed form for halfspace and indicator).


@functools.lru_cache(maxsize=None)
def _exp_cos_mean(d: int) -> float:
    c = 1 / (8 * d)
    return _mean_1d(lambda t: math.exp(-c * math.cos(t))) ** d


@functools.lru_cache(maxsize=None)
def _exp_cos5_mean(d: int) -> float:
    return _mean_1d(lambda t: math.exp(-math.cos(5 * t))) ** d


@functools.lru_cache(maxsize=None)
def _slower_decay_rational_mean(d: int) -> float:
    h = _half(d)
    mean = 1.0
    for k in range(1, h + 1):
        a = 4.0**k
        mean *= _mean_1d(lambda t, a=a: (1 + a * t * t) ** (1 / d), (0.0,))
    if d > h:
        mean *= _mean_1d(lambda t: (100 + 5 * t) ** (-1 / d)) ** (d - h)
    return mean


@functools.lru_cache(maxsize=None)
def _mixed_trig_rational_mean(d: int) -> float:
    h = _half(d)
    mean = 1.0
    for k in range(1, h + 1):
        a = 4.0**k  # (1/2) int (1 - t/a)^-1 dt = (a/2) log((a+1)/(a-1))
        mean *= a / 2 * math.log((a + 1) / (a - 1))
    for k in range(h + 1, d + 1):
        w = 16 / 2**k  # (1/2) int cos(w t) dt = sin(w) / w
        mean *= math.sin(w) / w
    return mean


@functools.lru_cache(maxsize=None)
def _logsin_plus_sin_mean(frequency: float) -> float:
    return _mean_1d(lambda t: math.log(math.sin(10 * frequency * t) + 2) + math.sin(frequency * t))


def _f1_mean(d: int) -> float:
    # (1/2) int_{-1}^{1} a / (1 - a sin(pi y)) dy = a / sqrt(1 - a^2), a = 0.98
    a = 0.98
    return a / math.sqrt(1 - a * a)


def _f1_norm(d: int) -> float:
    # (1/2) int_{-1}^{1} a^2 / (1 - a sin(pi y))^2 dy = a^2 / (1 - a^2)^{3/2}
    # (a full period of sin), with a = 0.98.
    a = 0.98
    return math.sqrt(a * a / (1 - a * a) ** 1.5)


_PAPER_FUNCTIONS = (
    TestFunction(
        name="exp_cos",
        formula=r"f(y) = \exp\Bigl(-\frac{1}{8d}\sum_{k=1}^{d} \cos(y_k)\Bigr)",
        smoothness="analytic",
        dims=None,
        evaluate=_exp_cos,
        exact_norm=_exp_cos_norm,
        exact_mean=_exp_cos_mean,
        paper_dims=(1, 2, 3, 4, 8, 16),
        notes="Entire and nearly constant: its Legendre coefficients decay very "
        "fast, so compressed sensing reaches near machine precision.",
    ),
    TestFunction(
        name="exp_cos5",
        formula=r"f(y) = \exp\Bigl(-\sum_{k=1}^{d} \cos(5 y_k)\Bigr)",
        smoothness="analytic",
        dims=None,
        evaluate=_exp_cos5,
        exact_norm=_exp_cos5_norm,
        exact_mean=_exp_cos5_mean,
        paper_dims=(1, 2, 3, 4, 8),
        notes="Entire but oscillatory with a norm growing like 1.67^d; sparse "
        "grids badly underestimate its norm for d >= 4.",
    ),
    TestFunction(
        name="slower_decay_rational",
        formula=(
            r"f(y) = \Biggl(\frac{\prod_{k=1}^{\lceil d/2\rceil} (1 + 4^k y_k^2)}"
            r"{\prod_{k=\lceil d/2\rceil+1}^{d} (100 + 5 y_k)}\Biggr)^{1/d}"
        ),
        smoothness="analytic",
        dims=None,
        evaluate=_slower_decay_rational,
        exact_norm=_slower_decay_rational_norm,
        exact_mean=_slower_decay_rational_mean,
        paper_dims=(1, 2, 4, 8, 16),
        notes="Branch points at y_k = +-i 2^{-k}, close to the real axis, so its "
        "Legendre coefficients decay slowly: the hardest smooth function.",
    ),
    TestFunction(
        name="mixed_trig_rational",
        formula=(
            r"f(y) = \prod_{k=1}^{\lceil d/2\rceil} \Bigl(1 - \frac{y_k}{4^k}\Bigr)^{-1}"
            r"\prod_{k=\lceil d/2\rceil+1}^{d} \cos\Bigl(\frac{16 y_k}{2^k}\Bigr)"
        ),
        smoothness="analytic",
        dims=None,
        evaluate=_mixed_trig_rational,
        exact_norm=_mixed_trig_rational_norm,
        exact_mean=_mixed_trig_rational_mean,
        paper_dims=(1, 2, 4, 8, 16),
        notes="Anisotropic product of rational and trigonometric factors whose "
        "variation decreases with the coordinate index.",
    ),
    TestFunction(
        name="halfspace",
        formula=r"f(y) = \begin{cases} 1 & \sum_{k=1}^{d} y_k \ge 0 \\ 0 & \text{otherwise} \end{cases}",
        smoothness="piecewise constant",
        dims=None,
        evaluate=_halfspace,
        exact_norm=lambda d: 2**-0.5,
        exact_mean=lambda d: 0.5,
        paper_dims=(1, 2, 3, 4, 8),
        notes="Discontinuous across a hyperplane through the origin; its norm "
        "is 1/sqrt(2) in every dimension by symmetry.",
    ),
    TestFunction(
        name="indicator",
        formula=r"f(y) = \begin{cases} 1 & \max_k |y_k| \le 1/2 \\ 0 & \text{otherwise} \end{cases}",
        smoothness="piecewise constant",
        dims=None,
        evaluate=_indicator,
        exact_norm=lambda d: 2 ** (-d / 2),
        exact_mean=lambda d: 2.0 ** -d,
        paper_dims=(1, 2, 4),
        notes="Indicator of the cube [-1/2, 1/2]^d, of measure 2^-d; "
        "discontinuous on its boundary.",
    ),
    TestFunction(
        name="logsin_plus_sin_K1",
        formula=r"f(y) = \log\bigl(\sin(10 y) + 2\bigr) + \sin(y)",
        smoothness="analytic",
        dims=(1,),
        evaluate=_logsin_plus_sin(1.0),
        exact_norm=lambda d: _logsin_plus_sin_norm(1.0),
        exact_mean=lambda d: _logsin_plus_sin_mean(1.0),
        paper_dims=(1,),
        notes="One-dimensional and mildly oscillatory (about three periods).",
    ),
    TestFunction(
        name="logsin_plus_sin_K10",
        formula=r"f(y) = \log\bigl(\sin(100 y) + 2\bigr) + \sin(10 y)",
        smoothness="analytic",
        dims=(1,),
        evaluate=_logsin_plus_sin(10.0),
        exact_norm=lambda d: _logsin_plus_sin_norm(10.0),
        exact_mean=lambda d: _logsin_plus_sin_mean(10.0),
        paper_dims=(1,),
        notes="The same shape at ten times the frequency: about 32 periods of "
        "sin(100y) on [-1, 1].",
    ),
    TestFunction(
        name="f1",
        formula=r"f(y) = \frac{0.98}{1 - 0.98 \sin(\pi y)}",
        smoothness="analytic",
        dims=(1,),
        evaluate=_f1,
        exact_norm=_f1_norm,
        exact_mean=_f1_mean,
        paper_dims=(1,),
        notes="A sharp peak of height 49 at y = 1/2 from poles at distance about "
        "0.064 from the real axis.",
    ),
)

_REGISTRY: dict[str, TestFunction] = {f.name: f for f in _PAPER_FUNCTIONS}


def available() -> list[str]:
    """Names of the registered functions: the paper's nine first, in the paper's order.

    >>> available()[:3], len(available()) >= 9
    (['exp_cos', 'exp_cos5', 'slower_decay_rational'], True)
    """
    return list(_REGISTRY)


def get(name: str) -> TestFunction:
    """Return the registered function called ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If no function of that name is registered; the message lists the
        available names.

    Examples
    --------
    >>> f = get("exp_cos")
    >>> f(np.zeros((2, 3))).round(6).tolist(), round(f.norm(2), 6)   # f(0) = exp(-1/8)
    ([0.882497, 0.882497], 0.900295)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        choices = ", ".join(repr(n) for n in _REGISTRY)
        raise ValueError(f"function name must be one of {choices}; got {name!r}") from None


def register(function: TestFunction, *, overwrite: bool = False) -> TestFunction:
    """Add ``function`` to the registry under ``function.name`` and return it.

    Raises ``ValueError`` if the name is taken and ``overwrite`` is false.

    >>> register(get("exp_cos"))
    Traceback (most recent call last):
    ...
    ValueError: a function named 'exp_cos' is already registered; pass overwrite=True to replace it
    >>> register(get("exp_cos"), overwrite=True) is get("exp_cos")
    True
    """
    if not isinstance(function, TestFunction):
        raise TypeError(
            f"function must be a TestFunction; got {type(function).__name__}"
        )
    if function.name in _REGISTRY and not overwrite:
        raise ValueError(
            f"a function named {function.name!r} is already registered; "
            "pass overwrite=True to replace it"
        )
    _REGISTRY[function.name] = function
    return function
