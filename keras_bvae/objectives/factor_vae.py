"""FactorVAE: a discriminator's estimate of the total correlation
(Kim & Mnih 2018).

    loss = distortion + rate + gamma * TC,   TC ~ mean_i [l_0(z_i) - l_1(z_i)]

A discriminator D (an MLP on z with two logits: 0 "from q(z)", 1 "from the
product of its marginals") is trained beside the VAE to tell samples of
q(z) from samples whose dimensions were shuffled independently across the
batch (``permute_dims``). Its logit difference l_0 - l_1 = log D/(1 - D)
estimates the density ratio log q(z) / prod_j q(z_j), so its batch mean
estimates TC = KL(q(z) || prod_j q(z_j)) (the density-ratio trick).

After each VAE step the objective takes one step of its own Adam on the
discriminator's cross-entropy, on the same batch's z (held fixed) against
its permutation, as disentanglement_lib does; Kim & Mnih permute a second
batch. Under ``tf.distribute`` both use the global batch. The
discriminator and its optimiser state are saved with the model and in
training backups.

Locatello et al. (ICML 2019) search gamma in {10, 20, 30, 40, 50, 100}
with this discriminator (6 layers of 1000 leaky-ReLU units) and optimiser
(Adam 1e-4, beta_1 0.5, beta_2 0.9).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_bvae.objectives import register_objective
from keras_bvae.objectives.base import Objective, ObjectiveInputs
from keras_bvae.objectives.batch import global_batch, permute_dims
from keras_bvae.validation import check_int, check_number

__all__ = ["FactorVAE", "build_discriminator"]

# Separates the permutation's random stream from the model's noise stream.
_PERMUTATION_STREAM = 0x5EED


def build_discriminator(
    latent_dim: int, layers: int = 6, units: int = 1000
) -> keras.Sequential:
    """The FactorVAE discriminator: ``layers`` Dense(units) + LeakyReLU(0.2)
    on z (B, M), then two logits (Kim & Mnih 2018, Appendix).

    Always float32, also under a mixed precision policy: its loss is
    trained by its own optimiser, without loss scaling."""
    stack = [keras.Input((latent_dim,), dtype="float32")]
    for i in range(layers):
        stack.append(
            keras.layers.Dense(units, name=f"dense_{i}", dtype="float32")
        )
        stack.append(
            keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{i}", dtype="float32")
        )
    stack.append(keras.layers.Dense(2, name="logits", dtype="float32"))
    return keras.Sequential(stack, name="discriminator")


@register_objective("factor_vae")
class FactorVAE(Objective):
    """loss = distortion + rate + gamma TC, TC from a discriminator
    (Kim & Mnih 2018).

    Reference: H. Kim, A. Mnih, "Disentangling by Factorising", ICML 2018.

    Logs ``total_correlation`` (the discriminator's estimate on the VAE's
    batch), ``discriminator_loss`` (its cross-entropy, nats) and
    ``discriminator_accuracy`` (fraction of real and permuted codes it
    classifies right; 0.5 is chance).

    Args:
        gamma: float. Weight of the TC estimate. Defaults to 10, the
            smallest of Locatello et al.'s grid {10, 20, 30, 40, 50, 100}.
        discriminator_layers: int. Hidden layers of D. Defaults to 6.
        discriminator_units: int. Units per hidden layer. Defaults to 1000.
        learning_rate: float. D's Adam learning rate. Defaults to 1e-4.
        beta_1, beta_2: float. D's Adam moments. Default to 0.5 and 0.9.
        seed: int or None. Seeds the permutations (None: from Keras's
            global seed, ``keras.utils.set_random_seed``).

    Example:
    ```python
    model = keras_bvae.BetaVAE(objective=FactorVAE(gamma=40.0))
    ```
    """

    term_names = (
        "total_correlation",
        "discriminator_loss",
        "discriminator_accuracy",
    )
    hyperparameter = "gamma"
    study_grid = (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)

    def __init__(
        self,
        gamma: float = 10.0,
        discriminator_layers: int = 6,
        discriminator_units: int = 1000,
        learning_rate: float = 1e-4,
        beta_1: float = 0.5,
        beta_2: float = 0.9,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.gamma = check_number("gamma", gamma, minimum=0.0)
        self.discriminator_layers = check_int(
            "discriminator_layers", discriminator_layers, minimum=1
        )
        self.discriminator_units = check_int(
            "discriminator_units", discriminator_units, minimum=1
        )
        self.learning_rate = check_number(
            "learning_rate", learning_rate, positive=True
        )
        self.beta_1 = check_number("beta_1", beta_1, minimum=0.0, below=1.0)
        self.beta_2 = check_number("beta_2", beta_2, minimum=0.0, below=1.0)
        self.seed = seed
        self.permutation_seed = keras.random.SeedGenerator(
            seed, name="permutation_seed"
        )
        self.discriminator = None
        self.discriminator_optimizer = None

    def configure(self, latent_dim: int, input_size: int) -> None:
        if self.discriminator is not None:
            if self.discriminator.input_shape[-1] != latent_dim:
                raise ValueError(
                    f"this FactorVAE's discriminator reads "
                    f"{self.discriminator.input_shape[-1]} latents; the model "
                    f"has {latent_dim}: use a new FactorVAE"
                )
            return
        self.discriminator = build_discriminator(
            latent_dim, self.discriminator_layers, self.discriminator_units
        )
        # Made here, inside the model's construction (and so inside its
        # distribution strategy's scope), and built now so that weights
        # and optimiser state load into it.
        self.discriminator_optimizer = keras.optimizers.Adam(
            self.learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
        )
        self.discriminator_optimizer.build(
            self.discriminator.trainable_variables
        )

    @property
    def seed_generators(self) -> list:
        """The permutation seed: part of a training backup."""
        return [self.permutation_seed]

    def _discriminate(self, z: tf.Tensor) -> dict:
        """Cross-entropy and accuracy of D on z against permuted z."""
        # Folded with a constant: a permutation seed equal to the model's
        # noise seed (both start from the run's seed and advance once per
        # step) would draw the sort keys from the noise's own random bits,
        # tying each row's rank to its noise.
        seed = tf.random.experimental.stateless_fold_in(
            self.permutation_seed.next(), _PERMUTATION_STREAM
        )
        shuffled = permute_dims(z, seed)
        real = self.discriminator(z)
        fake = self.discriminator(shuffled)
        loss = 0.5 * (
            tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(
                    tf.one_hot(tf.zeros(tf.shape(z)[:1], tf.int32), 2), real
                )
            )
            + tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(
                    tf.one_hot(tf.ones(tf.shape(z)[:1], tf.int32), 2), fake
                )
            )
        )
        right = tf.concat(
            [real[:, 0] > real[:, 1], fake[:, 1] > fake[:, 0]], axis=0
        )
        accuracy = tf.reduce_mean(tf.cast(right, z.dtype))
        return {"discriminator_loss": loss, "discriminator_accuracy": accuracy}

    def terms(self, inputs: ObjectiveInputs) -> dict:
        logits = self.discriminator(global_batch(inputs.z))
        tc = tf.reduce_mean(logits[:, 0] - logits[:, 1])
        terms = {
            "loss": inputs.distortion + inputs.rate + self.gamma * tc,
            "total_correlation": tc,
        }
        if not inputs.training:
            # Training logs the discriminator in ``update``.
            z = tf.stop_gradient(global_batch(inputs.z))
            terms.update(self._discriminate(z))
        return terms

    def update(self, inputs: ObjectiveInputs) -> dict:
        z = tf.stop_gradient(global_batch(inputs.z))
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            terms = self._discriminate(z)
            # Every replica computes the loss on the global batch and the
            # optimiser sums their gradients: divide by the replicas.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = terms["discriminator_loss"] / float(replicas)
        gradients = tape.gradient(loss, variables)
        self.discriminator_optimizer.apply(gradients, variables)
        return terms

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "gamma": self.gamma,
            "discriminator_layers": self.discriminator_layers,
            "discriminator_units": self.discriminator_units,
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "seed": self.seed,
        }
