"""Types and argument checks shared by the modules of :mod:`dnngap.existence` (private)."""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from dnngap._validation import check_int as _check_int
from dnngap.functions import DOMAIN_TOL

Activation = Literal["relu", "repu"]
LegendreMethod = Literal["chebyshev", "recurrence"]
Training = Literal["cs", "gradient"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
LEGENDRE_METHODS: tuple[str, ...] = get_args(LegendreMethod)
TRAININGS: tuple[str, ...] = get_args(Training)


def check_s(s: object, activation: str) -> int | None:
    r"""``s`` is required (int >= 0) for ReLU and must be None for RePU.

    >>> check_s(3, "relu"), check_s(None, "repu")
    (3, None)
    >>> check_s(None, "relu")
    Traceback (most recent call last):
    ...
    ValueError: s (the number of sawtooth levels) is required for activation='relu'
    """
    if activation == "repu":
        if s is not None:
            raise ValueError(
                "s must be None for activation='repu' (RePU squares exactly; "
                f"there is no depth parameter); got {s!r}"
            )
        return None
    if s is None:
        raise ValueError("s (the number of sawtooth levels) is required for activation='relu'")
    return _check_int("s", s, 0)


def check_Lambda(Lambda: object) -> np.ndarray:
    r"""``Lambda`` as an ``(N, d)`` int64 array of distinct non-negative multi-indices.

    >>> check_Lambda([[0, 0], [1, 0]]).dtype
    dtype('int64')
    >>> check_Lambda([[0, 1], [0, 1]])
    Traceback (most recent call last):
    ...
    ValueError: Lambda must not contain repeated multi-indices
    """
    arr = np.asarray(Lambda)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"Lambda must have shape (N, d) with N, d >= 1; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"Lambda must be an integer array; got dtype {arr.dtype}")
    if arr.min() < 0:
        raise ValueError("Lambda must contain non-negative multi-indices")
    if len({tuple(r) for r in arr.tolist()}) != arr.shape[0]:
        raise ValueError("Lambda must not contain repeated multi-indices")
    return arr.astype(np.int64, copy=False)


def check_points(points: object, d: int, name: str = "points") -> np.ndarray:
    r"""``points`` as a finite float64 ``(n, d)`` array in :math:`[-1,1]^d` (within
    :data:`dnngap.functions.DOMAIN_TOL`, then clipped onto the cube).

    >>> check_points([[1.0 + 1e-15, -0.5]], 2)             # rounding outside: clipped
    array([[ 1. , -0.5]])
    >>> check_points([[1.5, 0.0]], 2)
    Traceback (most recent call last):
    ...
    ValueError: points must lie in [-1, 1]^2 (the emulation bound holds only there); got max |y| = 1.5
    """
    y = np.asarray(points, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != d:
        raise ValueError(f"{name} must have shape (n, {d}); got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} must be finite")
    if y.size and np.abs(y).max() > 1.0 + DOMAIN_TOL:
        raise ValueError(
            f"{name} must lie in [-1, 1]^{d} (the emulation bound holds only there); "
            f"got max |y| = {np.abs(y).max():.6g}"
        )
    return np.clip(y, -1.0, 1.0)  # points within DOMAIN_TOL outside: onto the cube
