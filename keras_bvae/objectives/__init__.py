"""Objectives of the beta-VAE family, each a part ``BetaVAE`` plugs in.

All keep beta-VAE's encoder, decoder and prior and differ in the
regulariser (``keras_bvae.objectives.base`` describes the interface):

- ``"beta_vae"``: ``BetaVAEObjective``, distortion + beta * rate
  (Higgins et al. 2017); beta = 1 is the plain VAE.
- ``"annealed_vae"``: ``AnnealedVAE``, distortion + gamma |rate - C(t)|
  (Burgess et al. 2018).
- ``"beta_tcvae"``: ``BetaTCVAE``, distortion + rate + (beta - 1) TC, TC
  by minibatch weighted sampling (Chen et al. 2018).
- ``"factor_vae"``: ``FactorVAE``, distortion + rate + gamma TC, TC from a
  discriminator trained beside the VAE (Kim & Mnih 2018).
- ``"dip_vae_i"``, ``"dip_vae_ii"``: ``DIPVAEI``, ``DIPVAEII``, distortion +
  rate + moment-matching penalties on a covariance of the codes (Kumar et
  al. 2018).

``BetaVAE(objective=...)`` takes a name, an ``Objective`` instance or a
serialised config. A new objective is one module with a subclass of
``Objective`` decorated with ``register_objective(name)``.
"""

from __future__ import annotations

import keras

from keras_bvae.objectives.base import Objective, ObjectiveInputs

__all__ = [
    "AnnealedVAE",
    "BetaTCVAE",
    "BetaVAEObjective",
    "CapacitySchedule",
    "DIPVAEI",
    "DIPVAEII",
    "FactorVAE",
    "OBJECTIVES",
    "Objective",
    "ObjectiveInputs",
    "beta_from_normalized",
    "get_objective",
    "normalized_beta",
    "register_objective",
]

# Registered objective classes by name, in registration order.
OBJECTIVES: dict[str, type[Objective]] = {}


def register_objective(name: str):
    """Class decorator: makes an ``Objective`` selectable by ``name``.

    Also registers it with Keras serialisation (package "keras_bvae"), so a
    saved model that uses it loads again once its module is imported.

    Raises:
        ValueError: the name is taken by another class.
    """

    def decorate(cls: type[Objective]) -> type[Objective]:
        if not (isinstance(cls, type) and issubclass(cls, Objective)):
            raise ValueError(
                f"register_objective({name!r}) needs an Objective subclass; "
                f"got {cls!r}"
            )
        known = OBJECTIVES.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"objective name {name!r} is already used by {known!r}"
            )
        OBJECTIVES[name] = cls
        cls.registered_name = name
        return keras.saving.register_keras_serializable(package="keras_bvae")(
            cls
        )

    return decorate


def get_objective(identifier) -> Objective:
    """An ``Objective`` from a name, an instance or a serialised config.

    Args:
        identifier: str (a name in ``OBJECTIVES``), ``Objective`` or dict
            (``keras.saving.serialize_keras_object`` output).

    Raises:
        ValueError: an unknown name or type; the message lists the names.
    """
    if isinstance(identifier, Objective):
        return identifier
    if isinstance(identifier, str):
        if identifier not in OBJECTIVES:
            raise ValueError(
                f"unknown objective {identifier!r}; choose one of "
                f"{sorted(OBJECTIVES)}"
            )
        return OBJECTIVES[identifier]()
    if isinstance(identifier, dict):
        objective = keras.saving.deserialize_keras_object(identifier)
        if isinstance(objective, Objective):
            return objective
    raise ValueError(
        f"objective must be a name ({sorted(OBJECTIVES)}), an Objective or "
        f"its serialised config; got {identifier!r}"
    )


from keras_bvae.objectives.beta_vae import (  # noqa: E402, I001
    BetaVAEObjective,
    beta_from_normalized,
    normalized_beta,
)
from keras_bvae.objectives.annealed import (  # noqa: E402
    AnnealedVAE,
    CapacitySchedule,
)
from keras_bvae.objectives.beta_tcvae import BetaTCVAE  # noqa: E402
from keras_bvae.objectives.factor_vae import FactorVAE  # noqa: E402
from keras_bvae.objectives.dip_vae import DIPVAEI, DIPVAEII  # noqa: E402
