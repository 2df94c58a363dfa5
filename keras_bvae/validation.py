"""Argument checks shared by the whole package.

Every public constructor and function validates its numbers through these
two helpers, so a bad value raises the same kind of ``ValueError`` with the
same wording everywhere, naming the argument and the value it got.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_int", "check_number"]


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Returns ``value`` as an int after checking it is an integer.

    Args:
        name: str. The argument's name, used in the message.
        value: the value to check; bools are refused.
        minimum: int or None. Smallest allowed value. Defaults to None.

    Returns:
        int(value).

    Raises:
        ValueError: not an integer, or below ``minimum``.

    Example:
    ```python
    steps = check_int("steps", steps, minimum=1)
    ```
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{name} must be an integer{bound}; got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {value!r}"
        )
    return int(value)


def check_number(
    name: str,
    value,
    minimum: float | None = None,
    *,
    positive: bool = False,
    below: float | None = None,
) -> float:
    """Returns ``value`` as a finite float after checking its bounds.

    Args:
        name: str. The argument's name, used in the message.
        value: the value to check.
        minimum: float or None. Smallest allowed value (inclusive).
            Defaults to None.
        positive: bool. Require a value > 0. Defaults to False.
        below: float or None. The value must be smaller (exclusive).
            Defaults to None.

    Returns:
        float(value).

    Raises:
        ValueError: not a number, NaN or inf, or out of bounds.

    Example:
    ```python
    beta = check_number("beta", beta, minimum=0.0)
    ```
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number; got {value!r}")
    if positive and not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be finite and > 0; got {value!r}")
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" and >= {minimum:g}"
        raise ValueError(f"{name} must be finite{bound}; got {value!r}")
    if below is not None and not number < below:
        raise ValueError(f"{name} must be < {below:g}; got {value!r}")
    return number
