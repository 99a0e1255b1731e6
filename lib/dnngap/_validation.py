"""Argument checks shared by the modules (private).

Bad input gets a clear error naming the parameter and what is allowed,
before any expensive work starts.
"""

from __future__ import annotations

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
