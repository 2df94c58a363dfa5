"""The grid of a sweep: one ``RunSpec`` a run (an objective's setting, a
latent size, a seed), and ``make_grid``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from keras_bvae.objectives import (
    OBJECTIVES,
    beta_from_normalized,
    normalized_beta,
)
from keras_bvae.validation import check_int, check_number

__all__ = ["RunSpec", "make_grid"]


def _number_text(value: float) -> str:
    return f"{value:g}"


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One grid point: an objective and its setting, a latent size, a seed.

    Args:
        latent_dim: int. Latent size M.
        seed: int. Seed of the run (weights, data order, noise).
        beta: float or None. Raw KL weight ("beta_vae").
        normalized_beta: float or None. beta * M / N; give this or beta
            ("beta_vae").
        objective: str. A name in ``keras_bvae.objectives.OBJECTIVES``.
            Defaults to "beta_vae".
        value: float or None. The objective's ``hyperparameter`` (e.g.
            FactorVAE's gamma), for objectives other than "beta_vae".
    """

    latent_dim: int
    seed: int = 0
    beta: float | None = None
    normalized_beta: float | None = None
    objective: str = "beta_vae"
    value: float | None = None

    def __post_init__(self):
        check_int("latent_dim", self.latent_dim, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.objective != "beta_vae":
            if self.objective not in OBJECTIVES:
                raise ValueError(
                    f"unknown objective {self.objective!r}; choose one of "
                    f"{sorted(OBJECTIVES)}"
                )
            if self.value is None or self.beta is not None:
                raise ValueError(
                    f"a {self.objective} run takes value= (its "
                    f"{self.hyperparameter}), not beta; got value="
                    f"{self.value!r}, beta={self.beta!r}"
                )
            check_number(self.hyperparameter, self.value, minimum=0.0)
            return
        if self.value is not None:
            raise ValueError("a beta_vae run takes beta or normalized_beta")
        if (self.beta is None) == (self.normalized_beta is None):
            raise ValueError(
                "give exactly one of beta and normalized_beta; got beta="
                f"{self.beta!r}, normalized_beta={self.normalized_beta!r}"
            )
        value = self.beta if self.beta is not None else self.normalized_beta
        check_number("beta", value, minimum=0.0)

    @property
    def hyperparameter(self) -> str:
        """The setting the grid varies (``Objective.hyperparameter``)."""
        return OBJECTIVES[self.objective].hyperparameter

    @property
    def setting(self) -> dict[str, float]:
        """This run's objective arguments (``TrainConfig.objective_args``)."""
        if self.objective == "beta_vae":
            if self.beta is not None:
                return {"beta": float(self.beta)}
            return {"normalized_beta": float(self.normalized_beta)}
        return {self.hyperparameter: float(self.value)}

    @property
    def run_id(self) -> str:
        """A name unique in the grid: ``m10_nb0.01_s0``, ``m10_b1_s0`` or,
        for other objectives, ``factor_vae_gamma10_m10_s0``."""
        if self.objective != "beta_vae":
            return (
                f"{self.objective}_{self.hyperparameter}"
                f"{_number_text(self.value)}_m{self.latent_dim}_s{self.seed}"
            )
        if self.beta is not None:
            tag = f"b{_number_text(self.beta)}"
        else:
            tag = f"nb{_number_text(self.normalized_beta)}"
        return f"m{self.latent_dim}_{tag}_s{self.seed}"

    def raw_beta(self, input_size: int) -> float | None:
        if self.objective != "beta_vae":
            return None
        if self.beta is not None:
            return float(self.beta)
        return beta_from_normalized(
            self.normalized_beta, self.latent_dim, input_size
        )

    def norm_beta(self, input_size: int) -> float | None:
        if self.objective != "beta_vae":
            return None
        if self.normalized_beta is not None:
            return float(self.normalized_beta)
        return normalized_beta(self.beta, self.latent_dim, input_size)

    def describe(self, input_size: int) -> str:
        """The setting in words, for progress lines."""
        if self.objective != "beta_vae":
            return (
                f"{self.objective}, {self.hyperparameter}="
                f"{_number_text(self.value)}"
            )
        return (
            f"beta={self.raw_beta(input_size):.4g}, normalised "
            f"{self.norm_beta(input_size):.4g}"
        )


def make_grid(
    latent_dims: Iterable[int],
    normalized_betas: Iterable[float] = (),
    betas: Iterable[float] = (),
    seeds: Iterable[int] = (0,),
    objective: str = "beta_vae",
    values: Iterable[float] = (),
) -> list[RunSpec]:
    """The grid latent size x (normalised betas, then raw betas) x seed,
    or, for another objective, latent size x ``values`` of its
    hyperparameter x seed.

    Ordered seed-major, so that a sweep stopped early has covered the whole
    beta x latent grid for the first seeds.

    Raises:
        ValueError: an empty grid, or a bad value (named in the message).
    """
    latent_dims, seeds = list(latent_dims), list(seeds)
    if objective != "beta_vae":
        if list(normalized_betas) or list(betas):
            raise ValueError(
                f"betas are the beta_vae grid; give {objective}'s settings "
                "as values"
            )
        settings = [("value", float(v)) for v in values]
        extra = {"objective": objective}
    else:
        if list(values):
            raise ValueError("the beta_vae grid takes betas, not values")
        settings = [("normalized_beta", float(v)) for v in normalized_betas]
        settings += [("beta", float(v)) for v in betas]
        extra = {}
    values = settings
    if not latent_dims or not seeds or not values:
        raise ValueError(
            "the grid is empty: give at least one latent size, one seed and "
            f"one beta (got latent_dims={latent_dims}, seeds={seeds}, "
            f"betas={[v for _, v in values]})"
        )
    grid = [
        RunSpec(latent_dim=int(m), seed=int(s), **{kind: value}, **extra)
        for s in seeds
        for m in latent_dims
        for kind, value in values
    ]
    ids = [spec.run_id for spec in grid]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"the grid repeats runs: {duplicates}")
    return grid
