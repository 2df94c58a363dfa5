"""The beta-weighted objective of Higgins et al. (2017).

For a batch of B images the loss minimised is

    loss = distortion + beta * rate

(distortion and rate as in ``keras_bvae.objectives.base``: sums over pixels
and latents, means over the batch), so beta = 1 gives the negative ELBO of
the plain VAE (Kingma & Welling 2014) and beta > 1 the beta-VAE. Because
both terms are sums, a given beta means the same as in the paper. Higgins et
al. report the normalised value

    beta_norm = beta * M / N,    M = latent size, N = pixels per image.

Locatello et al. (ICML 2019) search beta in {1, 2, 4, 6, 8, 16}.
"""

from __future__ import annotations

from keras_bvae.objectives import register_objective
from keras_bvae.objectives.base import Objective, ObjectiveInputs
from keras_bvae.validation import check_number

__all__ = ["BetaVAEObjective", "beta_from_normalized", "normalized_beta"]


def normalized_beta(beta: float, latent_dim: int, input_size: int) -> float:
    """beta_norm = beta * M / N (Higgins et al. 2017)."""
    return float(beta) * latent_dim / input_size


def beta_from_normalized(
    normalized: float, latent_dim: int, input_size: int
) -> float:
    """beta = beta_norm * N / M, the inverse of ``normalized_beta``."""
    return float(normalized) * input_size / latent_dim


@register_objective("beta_vae")
class BetaVAEObjective(Objective):
    """loss = distortion + beta * rate (Higgins et al., ICLR 2017).

    Reference: I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts
    with a Constrained Variational Framework", ICLR 2017.

    Args:
        beta: float. Weight of the KL term; 1 is the plain VAE. Give this
            or ``normalized_beta``; with neither, beta = 1.
        normalized_beta: float. beta * M / N, resolved when the model
            configures the objective with its M and N.

    Example:
    ```python
    model = keras_bvae.BetaVAE(objective=BetaVAEObjective(beta=4.0))
    ```
    """

    hyperparameter = "beta"
    study_grid = (1.0, 2.0, 4.0, 6.0, 8.0, 16.0)
    # The README's main job: ``keras-bvae train`` with no option.
    run_defaults = {"beta": 4.0}

    def __init__(
        self,
        beta: float | None = None,
        normalized_beta: float | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if beta is not None and normalized_beta is not None:
            raise ValueError(
                f"give beta or normalized_beta, not both (got beta={beta}, "
                f"normalized_beta={normalized_beta})"
            )
        if normalized_beta is not None:
            normalized_beta = check_number(
                "normalized_beta", normalized_beta, minimum=0.0
            )
        if beta is not None:
            beta = check_number("beta", beta, minimum=0.0)
        self.beta_arg = beta
        self.normalized_beta_arg = normalized_beta
        self.beta = 1.0 if beta is None else beta

    def configure(self, latent_dim: int, input_size: int) -> None:
        if self.normalized_beta_arg is not None:
            self.beta = beta_from_normalized(
                self.normalized_beta_arg, latent_dim, input_size
            )

    def terms(self, inputs: ObjectiveInputs) -> dict:
        return {"loss": inputs.distortion + self.beta * inputs.rate}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta": self.beta_arg,
            "normalized_beta": self.normalized_beta_arg,
        }
