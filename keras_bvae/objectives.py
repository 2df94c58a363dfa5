"""The beta-weighted objective and its options.

For a batch of B images x_b with posterior q(z|x_b), the loss minimised is

    distortion = -1/B sum_b E_q[log p(x_b|z)]          (summed over pixels)
    rate       =  1/B sum_b KL(q(z|x_b) || p(z))       (summed over latents)
    loss       =  distortion + beta * rate

so beta = 1 gives the negative ELBO of the plain VAE (Kingma & Welling 2014)
and beta > 1 the beta-VAE of Higgins et al. (2017). Because both terms are
sums (not means) over pixels and latents, a given beta means the same as in
the paper. Higgins et al. report the normalised value

    beta_norm = beta * M / N,    M = latent size, N = pixels per image,

which ``resolve_beta`` converts. With capacity annealing (Burgess et al.
2018, "Understanding disentangling in beta-VAE") the loss is instead

    loss = distortion + gamma * |rate - C(t)|,  C(t) = C_max * min(1, t / T)

with t the optimiser step and T the number of annealing steps.
"""

from __future__ import annotations

import dataclasses
import math

__all__ = ["resolve_beta", "normalized_beta", "CapacitySchedule"]


def resolve_beta(
    beta: float | None,
    normalized_beta_value: float | None,
    latent_dim: int,
    input_size: int,
) -> float:
    """Returns the raw beta from either beta or normalised beta.

    Exactly one may be given; with neither, beta = 1 (the plain VAE).

    Raises:
        ValueError: both given, or a negative or non-finite value.
    """
    if beta is not None and normalized_beta_value is not None:
        raise ValueError(
            f"give beta or normalized_beta, not both (got beta={beta}, "
            f"normalized_beta={normalized_beta_value})"
        )
    if normalized_beta_value is not None:
        _check_nonnegative("normalized_beta", normalized_beta_value)
        return float(normalized_beta_value) * input_size / latent_dim
    if beta is None:
        return 1.0
    _check_nonnegative("beta", beta)
    return float(beta)


def normalized_beta(beta: float, latent_dim: int, input_size: int) -> float:
    """beta_norm = beta * M / N (Higgins et al. 2017)."""
    return float(beta) * latent_dim / input_size


def _check_nonnegative(name: str, value) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be finite and >= 0; got {value!r}")


@dataclasses.dataclass(frozen=True)
class CapacitySchedule:
    """Linear capacity increase of Burgess et al. (2018).

    Args:
        capacity_max: float. C_max, the final target KL in nats. Burgess et
            al. used 25 on dSprites.
        num_steps: int. T, the steps over which C rises from 0 to C_max.
        gamma: float. Weight of |KL - C|; Burgess et al. used 1000.
    """

    capacity_max: float = 25.0
    num_steps: int = 100_000
    gamma: float = 1000.0

    def __post_init__(self):
        _check_nonnegative("capacity_max", self.capacity_max)
        _check_nonnegative("gamma", self.gamma)
        if int(self.num_steps) != self.num_steps or self.num_steps < 1:
            raise ValueError(
                f"num_steps must be a positive integer; got {self.num_steps!r}"
            )

    def capacity(self, step):
        """C(t) for step t (a number or tensor)."""
        fraction = step / self.num_steps
        if hasattr(fraction, "dtype"):
            import tensorflow as tf

            fraction = tf.minimum(tf.cast(fraction, tf.float32), 1.0)
        else:
            fraction = min(float(fraction), 1.0)
        return self.capacity_max * fraction

    def get_config(self) -> dict:
        return dataclasses.asdict(self)
