"""Argument checks shared by the modules (private).

Bad input gets a clear error naming the parameter and what is allowed,
before any expensive work starts. One rule throughout: a value of the
wrong *type* raises :class:`TypeError` (``bool`` is never a number here), a
value of the right type outside the allowed range or set raises
:class:`ValueError`; a choice among strings is judged by value only
(anything not in the set is a ValueError). Messages start with the
parameter's name and end with ``got <value>``. :func:`is_integer` and
:func:`is_real` are the type tests of these checks, for arguments that take
several kinds of value (a seed or a generator, say).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def is_integer(value: object) -> bool:
    """Whether ``value`` is a Python or numpy integer (``bool`` is not).

    Examples
    --------
    >>> is_integer(3), is_integer(np.uint8(3)), is_integer(True), is_integer(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: object) -> bool:
    """Whether ``value`` is a Python or numpy integer or float (``bool`` is not).

    Examples
    --------
    >>> is_real(0.5), is_real(np.float32(0.5)), is_real(2), is_real(False), is_real("1")
    (True, True, True, False, False)
    """
    return is_integer(value) or isinstance(value, (float, np.floating))


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an ``int``; TypeError unless it is an integer (``bool``
    excluded), ValueError if it is below ``minimum``.

    Examples
    --------
    >>> check_int("d", np.int64(3), 1)
    3
    """
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def check_optional_int(name: str, value: object, minimum: int) -> int | None:
    """``None``, or ``value`` as an ``int``: as :func:`check_int`, with messages that allow ``None``.

    Examples
    --------
    >>> check_optional_int("batch_size", None, 1) is None
    True
    >>> check_optional_int("batch_size", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be None or an integer >= 1; got 0
    """
    if value is None:
        return None
    if not is_integer(value):
        raise TypeError(f"{name} must be None or an integer; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be None or an integer >= {minimum}; got {value}")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """``value`` as a ``bool``; TypeError unless it is a Python or numpy bool.

    Examples
    --------
    >>> check_bool("cache", np.True_)
    True
    >>> check_bool("cache", 1)
    Traceback (most recent call last):
    ...
    TypeError: cache must be a bool; got int 1
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")
    return bool(value)


def check_positive(name: str, value: object) -> float:
    """``value`` as a ``float``; TypeError unless it is a real number
    (``bool`` excluded), ValueError unless it is finite and > 0.

    Examples
    --------
    >>> check_positive("lam", np.float32(0.5))
    0.5
    >>> check_positive("lam", 0)
    Traceback (most recent call last):
    ...
    ValueError: lam must be a positive number (finite, > 0); got 0
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a positive real number; got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number (finite, > 0); got {value!r}")
    return float(value)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` as a ``str``; ValueError unless it is one of ``allowed``.

    Examples
    --------
    >>> check_choice("kind", "cs", ("cs", "dnn"))
    'cs'
    >>> check_choice("kind", "svm", ("cs", "dnn"))
    Traceback (most recent call last):
    ...
    ValueError: kind must be one of 'cs', 'dnn'; got 'svm'
    """
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_samples(y: object, f_values: object, mask: object = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Training data of T trials: ``y (T, m, d)``, ``f_values (T, m)``, and
    an optional bool ``mask (T, m)`` selecting at least one sample per trial.

    Returns the arrays (``np.asarray``, dtypes kept); TypeError for a
    non-real or non-bool dtype, ValueError for a wrong shape or a NaN.

    Examples
    --------
    >>> y, f, mask = check_samples(np.zeros((2, 3, 1)), np.ones((2, 3)))
    >>> y.shape, f.shape, mask
    ((2, 3, 1), (2, 3), None)
    >>> check_samples(np.zeros((2, 3, 1)), np.ones(3))
    Traceback (most recent call last):
    ...
    ValueError: f_values must have shape (T, m) = (2, 3) to match y; got (3,)
    """
    y = np.asarray(y)
    f_values = np.asarray(f_values)
    for name, arr in (("y", y), ("f_values", f_values)):
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must be a real array; got dtype {arr.dtype}")
    if y.ndim != 3 or min(y.shape) < 1:
        raise ValueError(f"y must have shape (T, m, d) with T, m, d >= 1; got {y.shape}")
    if f_values.shape != y.shape[:2]:
        raise ValueError(f"f_values must have shape (T, m) = {y.shape[:2]} to match y; got {f_values.shape}")
    if not (np.isfinite(y).all() and np.isfinite(f_values).all()):
        raise ValueError("y and f_values must be finite (pad masked entries with finite values)")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            raise TypeError(f"mask must be a bool array; got dtype {mask.dtype}")
        if mask.shape != y.shape[:2]:
            raise ValueError(f"mask must have shape (T, m) = {y.shape[:2]} to match y; got {mask.shape}")
        if not mask.any(axis=1).all():
            raise ValueError("mask must select at least one sample in every trial")
    return y, f_values, mask
