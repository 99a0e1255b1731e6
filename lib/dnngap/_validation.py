"""Argument checks shared by the modules (private).

Bad input gets a clear error naming the parameter and what is allowed,
before any expensive work starts. One rule throughout: a value of the
wrong *type* raises :class:`TypeError` (``bool`` is never a number here), a
value of the right type outside the allowed range or set raises
:class:`ValueError`; a choice among strings is judged by value only
(anything not in the set is a ValueError). Messages start with the
parameter's name and end with ``got <value>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an ``int``; TypeError unless it is an integer (``bool``
    excluded), ValueError if it is below ``minimum``.

    Examples
    --------
    >>> check_int("d", np.int64(3), 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


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
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
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
