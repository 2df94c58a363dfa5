"""Objective options by name: what a registered objective's constructor
takes, checked before it trains.

The workflow (``TrainConfig.objective_args``, ``--objective-arg NAME=VALUE``
on ``train``, ``sweep`` and ``compare``) knows an objective's options only
through its constructor's signature, so a new objective needs no edit
outside its own module.

Example:
```python
options = objective_options("factor_vae")   # {"gamma": float, ...}
args = check_objective_args("factor_vae", {"gamma": "20"})
objective = build_objective("factor_vae", args, seed=0)
```
"""

from __future__ import annotations

import inspect
import json
import types
import typing

from keras_bvae.objectives import OBJECTIVES, Objective

__all__ = [
    "build_objective",
    "check_objective_args",
    "objective_class",
    "objective_options",
    "parse_objective_arg",
]

# Keras layer arguments every objective inherits; not objective options.
_LAYER_ARGUMENTS = {"name", "dtype", "trainable", "autocast"}


def objective_class(name: str) -> type[Objective]:
    """The registered class of ``name``.

    Raises:
        ValueError: an unknown name (the message lists the names).
    """
    if name not in OBJECTIVES:
        raise ValueError(
            f"unknown objective {name!r}; choose one of {sorted(OBJECTIVES)}"
        )
    return OBJECTIVES[name]


def objective_options(name: str) -> dict[str, tuple[type, ...]]:
    """{option: accepted types} of a registered objective's constructor.

    Types come from the annotations (``float | None`` gives
    ``(float, NoneType)``); an option without one accepts anything.
    """
    cls = objective_class(name)
    hints = typing.get_type_hints(cls.__init__)
    options = {}
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name == "self" or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        if parameter.name in _LAYER_ARGUMENTS:
            continue
        hint = hints.get(parameter.name, object)
        if isinstance(hint, types.UnionType) or (
            typing.get_origin(hint) is typing.Union
        ):
            accepted = typing.get_args(hint)
        else:
            accepted = (hint,)
        options[parameter.name] = tuple(
            t if isinstance(t, type) else object for t in accepted
        )
    return options


def _fits(value, accepted: tuple[type, ...]) -> bool:
    if object in accepted:
        return True
    if isinstance(value, bool):
        return bool in accepted
    if isinstance(value, int) and float in accepted:
        return True
    return isinstance(value, accepted)


def _parse(text: str, accepted: tuple[type, ...]):
    """``text`` as the first accepted type it parses to."""
    lowered = text.strip().lower()
    if type(None) in accepted and lowered in ("none", "null"):
        return None
    for kind in accepted:
        if kind is bool and lowered in ("true", "false"):
            return lowered == "true"
        if kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
        if kind is str:
            return text
    if object in accepted:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    raise ValueError(text)


def _type_names(accepted: tuple[type, ...]) -> str:
    return " or ".join(
        "None" if t is type(None) else t.__name__ for t in accepted
    )


def check_objective_args(name: str, args: dict) -> dict:
    """``args`` checked against the constructor of objective ``name``;
    strings (from the command line) are parsed to the option's type.

    Args:
        name: str. A name in ``OBJECTIVES``.
        args: dict. {option: value}.

    Returns:
        A new dict of the checked, parsed values.

    Raises:
        ValueError: an unknown objective or option, or a value of the wrong
            type (the message names the option, its type and the choices).
    """
    options = objective_options(name)
    checked = {}
    for option, value in dict(args).items():
        if option not in options:
            raise ValueError(
                f"{name} has no option {option!r}; its options are "
                f"{sorted(options)}"
            )
        accepted = options[option]
        if isinstance(value, str) and str not in accepted:
            try:
                value = _parse(value, accepted)
            except ValueError:
                raise ValueError(
                    f"{name} option {option} must be "
                    f"{_type_names(accepted)}; got {value!r}"
                ) from None
        if not _fits(value, accepted):
            raise ValueError(
                f"{name} option {option} must be {_type_names(accepted)}; "
                f"got {value!r}"
            )
        checked[option] = value
    return checked


def parse_objective_arg(text: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` as (NAME, VALUE), for ``--objective-arg``.

    Raises:
        ValueError: no "=" or no name.
    """
    option, sep, value = text.partition("=")
    if not sep or not option.strip():
        raise ValueError(
            f"--objective-arg takes NAME=VALUE (e.g. gamma=20); got {text!r}"
        )
    return option.strip(), value


def build_objective(name: str, args: dict, seed: int | None = None):
    """The objective ``name`` built with ``args`` (checked first); its
    ``seed``, when the constructor takes one and ``args`` gives none, is
    ``seed``."""
    args = check_objective_args(name, args)
    if seed is not None and "seed" in objective_options(name):
        args.setdefault("seed", seed)
    return objective_class(name)(**args)
