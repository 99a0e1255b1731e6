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
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from dnngap._validation import check_int

__all__ = ["MATLAB_DEFAULT_SEED", "as_generator", "matlab_samples", "uniform"]

#: The seed of MATLAB's default random stream (``rng('default')``).
MATLAB_DEFAULT_SEED = 5489


def as_generator(rng: object, *, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator`, or turn a seed into one.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        A generator (returned unchanged, so draws advance its state) or a
        non-negative integer seed for :func:`numpy.random.default_rng`.
    name : str
        Name of the argument, used in error messages.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
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
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be None, a non-negative integer or 'per_trial'; got {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32); got {seed}")
    stream = np.random.RandomState(int(seed))
    return 2 * stream.random_sample(trials * m * d).reshape(trials, m, d) - 1
