"""Keras Tuner over a ``BetaVAEHyperModel``: the search algorithm, local or
distributed (``keras_bvae.runs.tuning`` explains the modes)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import keras_tuner

if TYPE_CHECKING:
    from keras_bvae.runs.tuning import BetaVAEHyperModel

__all__ = ["distributed_role", "make_tuner", "tune"]

_TUNERS = {
    "grid": keras_tuner.GridSearch,
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
}


def distributed_role() -> str | None:
    """ "chief", "worker" or None (local), from Keras Tuner's variables.

    Raises:
        ValueError: KERASTUNER_ORACLE_IP is set without the port or id.
    """
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return None
    missing = [
        name
        for name in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID")
        if name not in os.environ
    ]
    if missing:
        raise ValueError(
            "KERASTUNER_ORACLE_IP is set but not " + ", ".join(missing)
        )
    return (
        "chief" if "chief" in os.environ["KERASTUNER_TUNER_ID"] else ("worker")
    )


def make_tuner(
    hypermodel: BetaVAEHyperModel,
    algorithm: str = "grid",
    directory: str = "tuning",
    project_name: str = "beta_vae",
    max_trials: int | None = None,
    overwrite: bool = False,
    seed: int = 0,
    **kwargs,
) -> keras_tuner.Tuner:
    """A Keras Tuner over ``hypermodel`` with its objective.

    Args:
        hypermodel: BetaVAEHyperModel.
        algorithm: str. "grid" (every combination), "random" or
            "bayesian". Defaults to "grid".
        directory, project_name: where trials are stored (shared by the
            chief and the workers in distributed mode).
        max_trials: int or None. Trial limit (None: the whole grid; random
            and bayesian need one).
        overwrite: bool. Start over instead of resuming. Defaults to False.
        seed: int. The search algorithm's seed.
        **kwargs: passed to the Keras Tuner class.
    """
    try:
        tuner_class = _TUNERS[algorithm]
    except KeyError:
        raise ValueError(
            f"unknown algorithm {algorithm!r}; choose from {sorted(_TUNERS)}"
        ) from None
    if max_trials is None and algorithm != "grid":
        raise ValueError(f"algorithm {algorithm!r} needs max_trials")
    return tuner_class(
        hypermodel=hypermodel,
        objective=hypermodel.objective,
        max_trials=max_trials,
        directory=directory,
        project_name=project_name,
        overwrite=overwrite,
        seed=seed,
        **kwargs,
    )


def tune(
    hypermodel: BetaVAEHyperModel,
    epochs: int = 1,
    verbose: int | str = 0,
    **tuner_kwargs,
) -> keras_tuner.Tuner:
    """Runs ``make_tuner(hypermodel, **tuner_kwargs).search(epochs=...)``.

    Locally, and in a distributed worker, trials are trained here; in the
    distributed chief this serves the oracle until every trial is done.
    Returns the tuner (``tuner.get_best_hyperparameters()``,
    ``tuner.oracle.get_best_trials()``).
    """
    distributed_role()  # checks the environment variables
    tuner = make_tuner(hypermodel, **tuner_kwargs)
    tuner.search(epochs=epochs, verbose=verbose)
    return tuner
