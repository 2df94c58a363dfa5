"""AnnealedVAE: the capacity-annealed objective of Burgess et al. (2018).

    loss = distortion + gamma * |rate - C(t)|,  C(t) = C_max * min(1, t / T)

with t the optimiser step and T the number of annealing steps. The rate is
pulled towards a target capacity C that grows linearly, so the model first
encodes the factor that buys the largest drop in distortion per nat, then
the next. Burgess et al. used gamma = 1000 and C_max = 25 nats on dSprites;
Locatello et al. (ICML 2019) search C_max in {5, 10, 25, 50, 75, 100} with
gamma = 1000 and T = 100,000.

gamma only needs to exceed the slope of the rate-distortion curve at C (the
nats of distortion one more nat of rate buys). Much more starves the
encoder: with gamma = 1000 on dSprites and Adam, the rate's gradient on the
encoder was 120-1,100 times the reconstruction's, the KL target was met by
a constant shift of the posterior means, and nothing was learned for
thousands of steps; gamma = 100 learned x and y from step ~750
(docs/capacity_investigation.md).
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from keras_bvae.objectives import register_objective
from keras_bvae.objectives.base import Objective, ObjectiveInputs
from keras_bvae.validation import check_int, check_number

__all__ = ["AnnealedVAE", "CapacitySchedule"]


@dataclasses.dataclass(frozen=True)
class CapacitySchedule:
    """Linear capacity increase of Burgess et al. (2018).

    Args:
        capacity_max: float. C_max, the final target KL in nats. Defaults
            to 25 (Burgess et al. on dSprites).
        num_steps: int. T, the steps over which C rises from 0 to C_max.
            Defaults to 100,000.
        gamma: float. Weight of |KL - C|. Defaults to 1000.
    """

    capacity_max: float = 25.0
    num_steps: int = 100_000
    gamma: float = 1000.0

    def __post_init__(self):
        check_number("capacity_max", self.capacity_max, minimum=0.0)
        check_number("gamma", self.gamma, minimum=0.0)
        check_int("num_steps", self.num_steps, minimum=1)

    def capacity(self, step):
        """C(t) for step t (a number or tensor)."""
        if isinstance(step, (int, float)):
            return self.capacity_max * min(float(step) / self.num_steps, 1.0)
        fraction = tf.cast(step, tf.float32) / float(self.num_steps)
        return self.capacity_max * tf.minimum(fraction, 1.0)

    def get_config(self) -> dict:
        return dataclasses.asdict(self)


@register_objective("annealed_vae")
class AnnealedVAE(Objective):
    """loss = distortion + gamma |rate - C(t)| (Burgess et al. 2018).

    Reference: C. Burgess et al., "Understanding disentangling in
    beta-VAE", NeurIPS 2017 workshop, arXiv:1804.03599 (2018).

    Logs ``capacity``, the target C(t) of the step.

    Args:
        capacity_max: float. C_max in nats. Defaults to 25.
        num_steps: int. Steps T to reach C_max. Defaults to 100,000.
        gamma: float. Weight of |rate - C|. Defaults to 1000.

    Example:
    ```python
    model = keras_bvae.BetaVAE(
        objective=AnnealedVAE(capacity_max=25, num_steps=100_000)
    )
    ```
    """

    term_names = ("capacity",)
    hyperparameter = "capacity_max"
    study_grid = (5.0, 10.0, 25.0, 50.0, 75.0, 100.0)

    def __init__(
        self,
        capacity_max: float = 25.0,
        num_steps: int = 100_000,
        gamma: float = 1000.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.schedule = CapacitySchedule(capacity_max, num_steps, gamma)

    def terms(self, inputs: ObjectiveInputs) -> dict:
        target = self.schedule.capacity(inputs.step)
        gap = tf.abs(inputs.rate - target)
        return {
            "loss": inputs.distortion + self.schedule.gamma * gap,
            "capacity": target,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), **self.schedule.get_config()}
