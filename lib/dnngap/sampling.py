r"""Training samples: i.i.d. uniform points on :math:`[-1, 1]^d`.

The paper draws :math:`m` points :math:`y_1, \dots, y_m` i.i.d. from the
uniform probability measure :math:`\rho = 2^{-d}\,\mathrm{d}y` on
:math:`U = [-1, 1]^d`, independently for each of (usually 20) trials. Both
samplers return an array of shape ``(trials, m, d)``: ``samples[t, i, k]`` is
coordinate ``k`` of point ``i`` of trial ``t``.

Two samplers:

:func:`uniform`
    The library's sampler. Trial ``t`` comes from its own child stream of a
    :class:`numpy.random.Generator` (``rng.spawn``), so trials are
    statistically independent and a trial's points do not depend on how many
    trials are drawn. Points are *nested in m*: the first ``m`` points of a
    trial are the same for every larger ``m`` (the prefix property), so an
    experiment over increasing ``m`` adds samples instead of redrawing them.

:func:`matlab_samples`
    Bit-for-bit the points of the authors' released data, generated as
    MATLAB's ``rand`` did (the Mersenne Twister with MATLAB's default seed
    5489); only trial 0 is nested in ``m`` there.

The authors' released training sets (repository ``ndexter/MLFA``, folder
``training_data/``: 22 pairs ``(function, d)``, 20 trials at each ``m``) are
listed in :data:`RELEASED_M`. Their seeding was read from their data, not
assumed: every set but one is MATLAB's default stream, and
``slower_decay_rational`` restarted the stream with seed ``t`` for trial
``t = 1, ..., 20`` (:data:`RELEASED_CONVENTIONS`, checked against points of
every released set by the tests). :func:`released_samples` returns a released
set; :func:`matlab_convention` is the convention the MATLAB-compatible sampler
of an experiment (:class:`dnngap.experiments.Sampler`) uses by default.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from dnngap._validation import check_int, is_integer

__all__ = ["MATLAB_DEFAULT_SEED", "RELEASED_CONVENTIONS", "RELEASED_M", "as_generator",
           "matlab_convention", "matlab_samples", "released_convention", "released_m",
           "released_samples", "uniform"]

#: The seed of MATLAB's default random stream (``rng('default')``).
MATLAB_DEFAULT_SEED = 5489

#: How a MATLAB-compatible training set is seeded (see :func:`matlab_samples`):
#: ``"stream"``, one stream from MATLAB's default seed 5489 cut into trials;
#: ``"per_trial"``, trial ``t`` (0-based) from its own stream with seed ``t + 1``.
Convention = Literal["stream", "per_trial"]

_M75 = tuple(range(75, 2251, 75))  # 75, 150, ..., 2250
_M25 = tuple(range(25, 751, 25))  # 25, 50, ..., 750
_M5 = tuple(range(5, 76, 5))  # 5, 10, ..., 75

#: The sample sizes of every training set the authors released (ndexter/MLFA,
#: ``training_data/``, 725 files, MIT licence, (c) 2020 Nick Dexter):
#: ``(function, d) -> m`` values, increasing; each file holds 20 trials.
#: Irregular grids are written out as released (the tests compare every list
#: with the authors' file listing).
RELEASED_M: dict[tuple[str, int], tuple[int, ...]] = {
    **{("exp_cos", d): _M75 for d in (1, 2, 3, 4, 8)},
    **{("exp_cos5", d): _M75 for d in (1, 2, 3, 4, 8)},
    ("f1", 1): (25, 50, 76, 100, 125, 150, 176, 200, 225, 250, 275, 301, 326, 351, 376, 400, 426,
                451, 476, 500, 525, 550, 576, 601, 626, 650, 675, 701, 726, 751, 775, 800, 826,
                851, 876, 900, 925, 951, 976, 1000),
    **{("halfspace", d): _M75 for d in (1, 2, 3)},
    ("halfspace", 4): _M5 + tuple(range(150, 5026, 75)),  # 81 values, up to 5025
    ("halfspace", 8): _M5 + _M75[1:],  # 44 values
    ("indicator", 1): (63, 125, 188, 250, 313, 375, 438, 500, 563, 625, 688, 751, 813, 876, 938,
                       1000, 1063, 1126, 1188, 1250, 1313, 1375, 1438, 1501, 1563, 1625, 1688,
                       1751, 1813, 1876, 1938, 2000, 2063, 2125, 2188, 2250, 2313, 2375, 2438, 2500),
    ("indicator", 2): tuple(range(76, 1502, 75)),  # 76, 151, ..., 1501
    ("indicator", 4): tuple(range(77, 1541, 77)),  # 77, 154, ..., 1540
    ("logsin_plus_sin_K1", 1): _M25,
    ("logsin_plus_sin_K10", 1): _M25,
    ("slower_decay_rational", 8): _M75,
}

#: The seeding of every released set, as found in the authors' data (the
#: first and last point of trials 0 and 19 at three values of m per set match
#: bit for bit; no set matches both conventions).
RELEASED_CONVENTIONS: dict[tuple[str, int], Convention] = {
    **{key: "stream" for key in RELEASED_M},
    ("slower_decay_rational", 8): "per_trial",
}


def _released_key(function: object, d: object) -> tuple[str, int]:
    d = check_int("d", d, 1)
    if (function, d) not in RELEASED_M:
        sets = ", ".join(f"({f!r}, {k})" for f, k in RELEASED_M)
        raise ValueError(f"(function, d) must be a released training set, one of {sets}; "
                         f"got ({function!r}, {d})")
    return function, d


def released_m(function: str, d: int) -> tuple[int, ...]:
    """The sample sizes the authors released for ``function`` in dimension ``d``.

    Parameters
    ----------
    function : str
        The authors' function name (see :func:`dnngap.functions.available`).
    d : int
        Dimension.

    Returns
    -------
    tuple of int
        Increasing ``m`` values (:data:`RELEASED_M`); a ``ValueError`` names
        the released ``(function, d)`` pairs if there is no such set.

    Examples
    --------
    >>> from dnngap.sampling import released_m
    >>> released_m("indicator", 2)[:3], len(released_m("halfspace", 4))
    ((76, 151, 226), 81)
    """
    return RELEASED_M[_released_key(function, d)]


def released_convention(function: str, d: int) -> Convention:
    """How the authors seeded their released training set for ``(function, d)``.

    Returns
    -------
    {"stream", "per_trial"}
        ``"stream"``: ``X = 2 * RandomState(5489).random_sample(20*m*d).reshape(20, m, d) - 1``,
        trial ``t`` is ``X[t]``. ``"per_trial"``: trial ``t`` (0-based) is
        ``2 * RandomState(t + 1).random_sample(m*d).reshape(m, d) - 1``.
        Read from the authors' data (:data:`RELEASED_CONVENTIONS`); a
        ``ValueError`` if the authors released no set for ``(function, d)``.

    Examples
    --------
    >>> from dnngap.sampling import released_convention
    >>> released_convention("exp_cos", 8), released_convention("slower_decay_rational", 8)
    ('stream', 'per_trial')
    """
    return RELEASED_CONVENTIONS[_released_key(function, d)]


def matlab_convention(function: str, d: int) -> Convention:
    """The seeding the MATLAB-compatible sampler uses for ``(function, d)``.

    The authors' convention (:func:`released_convention`) where they released
    a training set for ``(function, d)``; otherwise ``"stream"``, MATLAB's
    default stream. The latter is this library's choice for sets the authors
    did not release (e.g. ``mixed_trig_rational``, or ``exp_cos`` in
    ``d = 16``), not a statement about how they would have drawn them.

    Examples
    --------
    >>> from dnngap.sampling import matlab_convention
    >>> matlab_convention("slower_decay_rational", 8), matlab_convention("slower_decay_rational", 2)
    ('per_trial', 'stream')
    """
    if not isinstance(function, str):
        raise TypeError(f"function must be a str; got {type(function).__name__} {function!r}")
    d = check_int("d", d, 1)
    return RELEASED_CONVENTIONS.get((function, d), "stream")


def as_generator(rng: object, *, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator`, or turn a seed into one.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        A generator (returned unchanged, so draws advance its state) or a
        non-negative integer seed for :func:`numpy.random.default_rng`.
    name : str
        Name of the argument, used in error messages.

    Examples
    --------
    >>> g = np.random.default_rng(1)
    >>> as_generator(g) is g, int(as_generator(7).integers(100)) == int(np.random.default_rng(7).integers(100))
    (True, True)
    >>> as_generator(1.5, name="seed")
    Traceback (most recent call last):
    ...
    TypeError: seed must be a numpy.random.Generator or an integer seed; got float
    >>> as_generator(-1)
    Traceback (most recent call last):
    ...
    ValueError: rng seed must be non-negative; got -1
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if is_integer(rng):
        if rng < 0:
            raise ValueError(f"{name} seed must be non-negative; got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed; got {type(rng).__name__}"
    )


def uniform(d: int, m: int, trials: int, rng: np.random.Generator | int) -> np.ndarray:
    r"""Draw ``trials`` independent sets of ``m`` uniform points in :math:`[-1, 1]^d`.

    Parameters
    ----------
    d : int
        Dimension, ``d >= 1``.
    m : int
        Points per trial, ``m >= 1``.
    trials : int
        Number of independent trials, ``trials >= 1``.
    rng : numpy.random.Generator or int
        Source of randomness (an integer is a seed for
        :func:`numpy.random.default_rng`). Trial ``t`` is drawn from the
        ``t``-th child of ``rng.spawn(trials)``; spawning advances ``rng``'s
        spawn counter, so a second call with the same generator object gives
        new points, while a fresh generator with the same seed repeats them.

    Returns
    -------
    numpy.ndarray, shape (trials, m, d), float64
        ``samples[t]`` holds trial ``t``'s points, one per row, uniform on
        :math:`[-1, 1)^d`. Nested in ``m``: with the same seed,
        ``uniform(d, m2, T, s)[:, :m1] == uniform(d, m1, T, s)`` for
        ``m1 <= m2``; trial ``t`` does not depend on ``trials`` either.

    Examples
    --------
    >>> from dnngap.sampling import uniform
    >>> y = uniform(2, 5, 3, rng=0)
    >>> y.shape
    (3, 5, 2)
    >>> bool((uniform(2, 8, 3, rng=0)[:, :5] == y).all())
    True
    """
    d = check_int("d", d, 1)
    m = check_int("m", m, 1)
    trials = check_int("trials", trials, 1)
    generator = as_generator(rng)
    out = np.empty((trials, m, d))
    for t, child in enumerate(generator.spawn(trials)):
        # Doubles are generated in C order, so the first m*d draws (the first
        # m rows) are the same whatever m is: the prefix property.
        out[t] = child.uniform(-1.0, 1.0, size=(m, d))
    return out


def matlab_samples(
    d: int,
    m: int,
    trials: int = 20,
    seed: int | Literal["per_trial"] | None = None,
) -> np.ndarray:
    r"""The authors' training points, bit for bit as MATLAB's ``rand`` made them.

    MATLAB's default generator is the Mersenne Twister MT19937 seeded with
    5489, and ``rand`` turns two 32-bit outputs into a double exactly as
    numpy's legacy :class:`numpy.random.RandomState` ``random_sample`` does.
    (This is the only use of the legacy generator in the library.)

    Parameters
    ----------
    d, m : int
        Dimension and points per trial (both ``>= 1``).
    trials : int
        Number of trials, ``>= 1`` (the paper uses 20).
    seed : None, int or "per_trial"
        ``None`` (MATLAB's default stream, seed 5489) or an integer ``s``
        (MATLAB's ``rng(s)``): one stream of ``trials * m * d`` draws,
        ``X = 2 * u.reshape(trials, m, d) - 1``; every call restarts the
        stream, so trial 0 is nested in ``m`` but later trials are not.
        ``"per_trial"``: trial ``t`` (0-based) restarts the stream with seed
        ``t + 1``, ``X[t] = 2 * u_{t+1}.reshape(m, d) - 1``; the authors used
        this for ``slower_decay_rational``.

    Returns
    -------
    numpy.ndarray, shape (trials, m, d), float64
        Points in :math:`[-1, 1)^d`.

    Examples
    --------
    >>> from dnngap.sampling import matlab_samples
    >>> matlab_samples(1, 2, trials=1)[0, :, 0]   # 2 * rand(2, 1) - 1 in MATLAB
    array([0.62944737, 0.81158387])
    """
    d = check_int("d", d, 1)
    m = check_int("m", m, 1)
    trials = check_int("trials", trials, 1)
    if seed == "per_trial":
        out = np.empty((trials, m, d))
        for t in range(trials):
            stream = np.random.RandomState(t + 1)
            out[t] = 2 * stream.random_sample(m * d).reshape(m, d) - 1
        return out
    if seed is None:
        seed = MATLAB_DEFAULT_SEED
    elif not is_integer(seed):
        raise ValueError(f"seed must be None, a non-negative integer or 'per_trial'; got {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32); got {seed}")
    stream = np.random.RandomState(int(seed))
    return 2 * stream.random_sample(trials * m * d).reshape(trials, m, d) - 1


def released_samples(function: str, d: int, m: int, trials: int = 20) -> np.ndarray:
    r"""The points of the authors' released training set for ``(function, d, m)``.

    Bit for bit the ``X`` of their file (``training_data/``, ndexter/MLFA),
    drawn by :func:`matlab_samples` with the set's seeding
    (:func:`released_convention`).

    Parameters
    ----------
    function : str
        The authors' function name.
    d, m : int
        Dimension and sample size of a released set (:data:`RELEASED_M`).
    trials : int
        The first ``trials`` of the authors' 20 trials (``1 <= trials <= 20``);
        trial ``t`` does not depend on ``trials``.

    Returns
    -------
    numpy.ndarray, shape (trials, m, d), float64
        ``samples[t, i]`` is point ``i`` of trial ``t`` (the authors' files
        store the transpose, ``(trial, d, m)``).

    Raises
    ------
    ValueError
        If ``(function, d)`` was not released, ``m`` is not one of its sample
        sizes, or ``trials`` is outside ``1 .. 20``.

    Examples
    --------
    >>> from dnngap.sampling import released_samples
    >>> released_samples("exp_cos", 1, 75)[0, 0]   # the first point of the authors' file
    array([0.62944737])
    >>> released_samples("slower_decay_rational", 8, 75, trials=2).shape
    (2, 75, 8)
    """
    function, d = _released_key(function, d)
    m = check_int("m", m, 1)
    grid = RELEASED_M[(function, d)]
    if m not in grid:
        raise ValueError(f"m must be a released sample size for ({function!r}, {d}), one of "
                         f"{grid[0]}, {grid[1]}, ..., {grid[-1]} ({len(grid)} values); got {m}")
    trials = check_int("trials", trials, 1)
    if trials > 20:
        raise ValueError(f"trials must be <= 20 (the authors released 20); got {trials}")
    seed = "per_trial" if RELEASED_CONVENTIONS[(function, d)] == "per_trial" else None
    return matlab_samples(d, m, trials=trials, seed=seed)
