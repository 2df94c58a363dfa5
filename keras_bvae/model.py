"""The beta-VAE as a ``keras.Model`` with a custom ``train_step``.

Objective (see ``keras_bvae.objectives``), per batch of B images:

    loss = distortion + beta * rate
    distortion = -1/B sum_b E_q[log p(x_b|z)]   (sum over pixels)
    rate = 1/B sum_b KL(q(z|x_b) || p(z))       (sum over latents)
    elbo = -(distortion + rate)

with q(z|x), p(z) and p(x|z) TensorFlow Probability distributions built from
the networks' outputs (``keras_bvae.distributions``). The expectation is
estimated with one reparameterised sample per image; the KL is analytic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_bvae import distributions as dists
from keras_bvae.inputs import check_images, check_images_tf, images_from
from keras_bvae.networks import build_decoder, build_encoder
from keras_bvae.objectives import (
    CapacitySchedule,
    resolve_beta,
)
from keras_bvae.objectives import (
    normalized_beta as _normalized_beta,
)

__all__ = ["BetaVAE"]


@keras.saving.register_keras_serializable(package="keras_bvae")
class BetaVAE(keras.Model):
    """beta-VAE (Higgins et al. 2017) with TFP posterior, prior, likelihood.

    Reference: I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts
    with a Constrained Variational Framework", ICLR 2017. Capacity annealing:
    C. Burgess et al., "Understanding disentangling in beta-VAE", 2018.

    Args:
        latent_dim: int. Number of latent dimensions M. Defaults to 10.
        architecture: str. ``"burgess"`` (conv) or ``"higgins"`` (MLP), used
            when no custom encoder/decoder is given. Defaults to "burgess".
        beta: float. Weight of the KL term; 1 is the plain VAE. Give this
            or ``normalized_beta``; with neither, beta = 1.
        normalized_beta: float. beta * M / N with N the pixels per image.
        likelihood: str. ``"bernoulli"`` (binary images, logits) or
            ``"gaussian"`` (mean sigmoid(logits), fixed scale). Defaults to
            "bernoulli".
        gaussian_scale: float. Scale of the Gaussian likelihood. Defaults to
            1/sqrt(2), which makes its loss the summed squared error.
        image_shape: tuple. (H, W, C) of the images. Defaults to (64, 64, 1).
        capacity: dict or CapacitySchedule. Optional capacity annealing
            (``capacity_max``, ``num_steps``, ``gamma``); replaces
            beta * rate by gamma * |rate - C(step)|. Defaults to None.
        encoder: keras.Model. Optional custom encoder: images -> (B, 2M).
        decoder: keras.Model. Optional custom decoder: (B, M) -> logits of
            image_shape.
        seed: int. Seed of the reparameterisation noise. Defaults to None.

    Example:
    ```python
    import keras, keras_bvae
    data = keras_bvae.datasets.DSpritesSimulator()
    ds = keras_bvae.datasets.make_dataset(data, batch_size=64, seed=0)
    model = keras_bvae.BetaVAE(latent_dim=10, beta=4.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(ds, epochs=1, steps_per_epoch=500)
    codes = model.encode(images)          # posterior means, numpy (B, 10)
    ```
    """

    def __init__(
        self,
        latent_dim: int = 10,
        architecture: str = "burgess",
        beta: float | None = None,
        normalized_beta: float | None = None,
        likelihood: str = "bernoulli",
        gaussian_scale: float = dists.DEFAULT_GAUSSIAN_SCALE,
        image_shape: Sequence[int] = (64, 64, 1),
        capacity: dict | CapacitySchedule | None = None,
        encoder: keras.Model | None = None,
        decoder: keras.Model | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            isinstance(latent_dim, bool)
            or not isinstance(latent_dim, (int, np.integer))
            or latent_dim < 1
        ):
            raise ValueError(
                f"latent_dim must be an integer >= 1; got {latent_dim!r}"
            )
        if likelihood not in dists.LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {likelihood!r}; choose one of "
                f"{list(dists.LIKELIHOODS)}"
            )
        image_shape = tuple(int(d) for d in image_shape)
        if len(image_shape) != 3 or min(image_shape) < 1:
            raise ValueError(
                f"image_shape must be (H, W, C) of positive sizes; got "
                f"{image_shape}"
            )
        if not math.isfinite(gaussian_scale) or gaussian_scale <= 0:
            raise ValueError(
                f"gaussian_scale must be > 0; got {gaussian_scale!r}"
            )
        self.latent_dim = int(latent_dim)
        self.architecture = architecture
        self.image_shape = image_shape
        self.input_size = int(np.prod(image_shape))
        self.likelihood = likelihood
        self.gaussian_scale = float(gaussian_scale)
        self._beta_arg = beta
        self._normalized_beta_arg = normalized_beta
        self.beta = resolve_beta(
            beta, normalized_beta, self.latent_dim, self.input_size
        )
        if isinstance(capacity, dict):
            capacity = CapacitySchedule(**capacity)
        if capacity is not None and not isinstance(capacity, CapacitySchedule):
            raise ValueError(
                "capacity must be a dict or CapacitySchedule; got "
                f"{type(capacity).__name__}"
            )
        self.capacity = capacity
        self.seed = seed
        self._custom_networks = encoder is not None or decoder is not None
        if (encoder is None) != (decoder is None):
            raise ValueError(
                "pass both a custom encoder and decoder, or neither"
            )
        self.encoder = encoder or build_encoder(
            architecture, image_shape, self.latent_dim
        )
        self.decoder = decoder or build_decoder(
            architecture, image_shape, self.latent_dim
        )
        self._check_networks()
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.distortion_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.rate_tracker = keras.metrics.Mean(name="kl")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        self.kl_dim_trackers = [
            keras.metrics.Mean(name=f"kl_{i}") for i in range(self.latent_dim)
        ]
        self._encode_fn = None
        self._decode_fn = None
        self.build()

    # -- construction ------------------------------------------------------

    def _check_networks(self) -> None:
        enc_out = self.encoder.compute_output_shape((None, *self.image_shape))
        if tuple(enc_out[1:]) != (2 * self.latent_dim,):
            raise ValueError(
                f"the encoder must output (B, {2 * self.latent_dim}) = mean "
                f"and log-variance of {self.latent_dim} latents; it outputs "
                f"{tuple(enc_out)}"
            )
        dec_out = self.decoder.compute_output_shape((None, self.latent_dim))
        if tuple(dec_out[1:]) != self.image_shape:
            raise ValueError(
                f"the decoder must output logits of shape (B, "
                f"{', '.join(map(str, self.image_shape))}); it outputs "
                f"{tuple(dec_out)}"
            )

    def build(self, input_shape=None):
        self.encoder.build((None, *self.image_shape))
        self.decoder.build((None, self.latent_dim))
        self.built = True

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.distortion_tracker,
            self.rate_tracker,
            self.elbo_tracker,
            *self.kl_dim_trackers,
        ]

    @property
    def normalized_beta(self) -> float:
        """beta * M / N for this model (Higgins et al. 2017)."""
        return _normalized_beta(self.beta, self.latent_dim, self.input_size)

    # -- the objective -----------------------------------------------------

    def _prepare(self, data) -> tf.Tensor:
        images = images_from(data)
        return tf.cast(images, self.compute_dtype)

    def loss_terms(self, images, training: bool = False) -> dict:
        """All terms of the objective for a batch, as tensors.

        Returns a dict with ``loss``, ``reconstruction_loss`` (distortion),
        ``kl`` (rate), ``elbo`` and ``kl_per_dim`` (M,), each averaged over
        the batch.
        """
        images = self._prepare(images)
        params = self.encoder(images, training=training)
        mean, logvar = dists.split_posterior_params(params)
        q_z = dists.posterior(mean, logvar)
        p_z = dists.prior(self.latent_dim, mean.dtype)
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            # Each replica draws its own noise for its share of the batch
            # (the shared SeedGenerator state would repeat it on every one).
            seed = tf.random.experimental.stateless_fold_in(
                self.noise_seed.next(), replica.replica_id_in_sync_group
            )
            noise = tf.random.stateless_normal(
                tf.shape(mean), seed=seed, dtype=mean.dtype
            )
        else:
            noise = keras.random.normal(
                tf.shape(mean), dtype=mean.dtype, seed=self.noise_seed
            )
        z = mean + tf.exp(0.5 * logvar) * noise
        logits = self.decoder(z, training=training)
        p_x = dists.likelihood(self.likelihood, logits, self.gaussian_scale)
        distortion = -tf.reduce_mean(p_x.log_prob(images))
        kl_per_dim = tf.reduce_mean(
            dists.tfp.distributions.kl_divergence(
                q_z.distribution, p_z.distribution
            ),
            axis=0,
        )
        rate = tf.reduce_sum(kl_per_dim)
        if self.capacity is not None:
            step = (
                tf.cast(self.optimizer.iterations, tf.float32)
                if (self.optimizer is not None)
                else tf.constant(0.0)
            )
            target = self.capacity.capacity(step)
            loss = distortion + self.capacity.gamma * tf.abs(rate - target)
        else:
            loss = distortion + self.beta * rate
        return {
            "loss": loss,
            "reconstruction_loss": distortion,
            "kl": rate,
            "elbo": -(distortion + rate),
            "kl_per_dim": kl_per_dim,
        }

    def _update_trackers(self, terms: dict) -> dict:
        self.loss_tracker.update_state(terms["loss"])
        self.distortion_tracker.update_state(terms["reconstruction_loss"])
        self.rate_tracker.update_state(terms["kl"])
        self.elbo_tracker.update_state(terms["elbo"])
        for i, tracker in enumerate(self.kl_dim_trackers):
            tracker.update_state(terms["kl_per_dim"][i])
        logs = {m.name: m.result() for m in self.metrics}
        strategy = tf.distribute.get_strategy()
        if (
            isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode()
        ):
            # Keras (3.15) averages the logs of several workers with
            # strategy.reduce("MEAN", value, axis=0), which fails on
            # scalars (tensorflow/tensorflow#72388): an axis of length 1
            # makes it the mean over replicas, and the logs scalars again.
            logs = {name: tf.reshape(v, [1]) for name, v in logs.items()}
        return logs

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.loss_terms(data, training=True)
            # Under tf.distribute each replica sees 1/R of the global batch
            # and the gradients are summed over replicas: scale the loss by
            # 1/R so the update is that of the global batch mean.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = terms["loss"] / tf.cast(replicas, terms["loss"].dtype)
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        # Speed: a plain Keras Adam is applied with TF's fused ApplyAdam
        # kernel, one pass over each variable instead of about ten
        # elementwise ops (1.4x the images per CPU-second on the "higgins"
        # MLP, whose 14M weights make Adam a third of the step; see
        # benchmarks/README.md). The update rule is Keras's Adam (Kingma &
        # Ba 2015, "epsilon hat" form; equal to float rounding, about 1e-8
        # after one step), t = iterations + 1:
        #   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
        #   w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
        # Every other case (other optimizers or subclasses, amsgrad, weight
        # decay, clipping, EMA, gradient accumulation, loss scaling,
        # constraints, tf.distribute) goes through optimizer.apply.
        opt = self.optimizer
        fused = (
            type(opt) is keras.optimizers.Adam
            and opt.built
            and not opt.amsgrad
            and opt.weight_decay is None
            and opt.clipnorm is None
            and opt.clipvalue is None
            and opt.global_clipnorm is None
            and not opt.use_ema
            and not opt.gradient_accumulation_steps
            and opt.loss_scale_factor is None
            and not tf.distribute.has_strategy()
            and hasattr(opt, "_momentums")
            and hasattr(opt, "_velocities")
            and all(
                g is not None
                and isinstance(g, tf.Tensor)
                and var.dtype == "float32"
                and g.dtype == tf.float32
                and var.constraint is None
                and not getattr(var, "overwrite_with_gradient", False)
                for g, var in zip(grads, variables)
            )
        )
        if not fused:
            opt.apply(grads, variables)
            return self._update_trackers(terms)
        step = tf.cast(opt.iterations + 1, tf.float32)
        beta_1 = tf.constant(opt.beta_1, tf.float32)
        beta_2 = tf.constant(opt.beta_2, tf.float32)
        hyper = {
            "beta1_power": tf.pow(beta_1, step),
            "beta2_power": tf.pow(beta_2, step),
            "lr": tf.cast(opt.learning_rate, tf.float32),
            "beta1": beta_1,
            "beta2": beta_2,
            "epsilon": tf.constant(opt.epsilon, tf.float32),
        }
        for g, var in zip(grads, variables):
            index = opt._get_variable_index(var)
            tf.raw_ops.ResourceApplyAdam(
                var=var.value.handle,
                m=opt._momentums[index].value.handle,
                v=opt._velocities[index].value.handle,
                grad=g,
                **hyper,
            )
        opt.iterations.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        return self._update_trackers(self.loss_terms(data, training=False))

    def call(self, inputs, training=False):
        """Reconstruction probabilities from the posterior mean."""
        images = self._prepare(inputs)
        mean, _ = dists.split_posterior_params(
            self.encoder(images, training=training)
        )
        return tf.sigmoid(self.decoder(mean, training=training))

    # -- input checks at the fit/evaluate edge -----------------------------

    def _checked_input(self, x):
        unit = self.likelihood == "bernoulli"
        if isinstance(x, tf.data.Dataset):
            spec = images_from(x.element_spec)
            shape = spec.shape
            if shape.rank is not None and shape.rank != 4:
                raise ValueError(
                    "the dataset must yield image batches of rank 4 (B, "
                    f"{', '.join(map(str, self.image_shape))}); its element "
                    f"shape is {shape}"
                )
            if shape.rank == 4 and not shape[1:].is_compatible_with(
                self.image_shape
            ):
                raise ValueError(
                    "the dataset yields images of shape "
                    f"{shape}; this model needs (B, "
                    f"{', '.join(map(str, self.image_shape))})"
                )
            image_shape = self.image_shape

            @tf.autograph.experimental.do_not_convert
            def checked(*element):
                return check_images_tf(
                    images_from(element), image_shape, unit_range=unit
                )

            return x.map(checked)
        if x is None or isinstance(x, keras.utils.PyDataset):
            return x
        return check_images(x, self.image_shape, unit_range=unit)

    def fit(self, x=None, y=None, *args, **kwargs):
        """Keras ``fit`` after checking the images; labels ``y`` are unused."""
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(self._checked_input(x), None, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Keras ``evaluate`` after checking the images."""
        return super().evaluate(self._checked_input(x), None, *args, **kwargs)

    # -- inference ---------------------------------------------------------

    def _check(self, images) -> np.ndarray:
        return check_images(
            images,
            self.image_shape,
            unit_range=self.likelihood == "bernoulli",
        )

    def _encoded(self, images: np.ndarray):
        if self._encode_fn is None:

            @tf.function(reduce_retracing=True)
            def encode_fn(x):
                params = self.encoder(x, training=False)
                return dists.split_posterior_params(params)

            self._encode_fn = encode_fn
        return self._encode_fn(tf.convert_to_tensor(images))

    def posterior_params(
        self, images, batch_size: int = 256
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance, numpy (B, M) each."""
        images = self._check(images)
        means, logvars = [], []
        for start in range(0, len(images), batch_size):
            mean, logvar = self._encoded(images[start : start + batch_size])
            means.append(mean.numpy())
            logvars.append(logvar.numpy())
        return np.concatenate(means), np.concatenate(logvars)

    def encode(self, images, batch_size: int = 256) -> np.ndarray:
        """The representation: posterior means, numpy (B, M)."""
        return self.posterior_params(images, batch_size)[0]

    def posterior(self, images):
        """q(z|x) as a TFP distribution with batch (B,), event (M,)."""
        mean, logvar = self.posterior_params(images)
        return dists.posterior(tf.constant(mean), tf.constant(logvar))

    def prior(self):
        """p(z) as a TFP distribution with event shape (M,)."""
        return dists.prior(self.latent_dim)

    def decode(self, latents, batch_size: int = 256) -> np.ndarray:
        """Mean of p(x|z) (pixel probabilities) for latents (B, M)."""
        z = np.asarray(latents, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"latents must have shape (B, {self.latent_dim}); got {z.shape}"
            )
        if not np.isfinite(z).all():
            raise ValueError("latents must be finite; got NaN or inf")
        if self._decode_fn is None:

            @tf.function(reduce_retracing=True)
            def decode_fn(latents):
                return tf.sigmoid(self.decoder(latents, training=False))

            self._decode_fn = decode_fn
        out = [
            self._decode_fn(tf.constant(z[s : s + batch_size])).numpy()
            for s in range(0, len(z), batch_size)
        ]
        if not out:
            return np.zeros((0, *self.image_shape), np.float32)
        return np.concatenate(out)

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        """Decoded posterior means: pixel probabilities like ``images``."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def sample(self, num: int, seed: int | None = None) -> np.ndarray:
        """Decodes ``num`` draws from the prior: pixel probabilities."""
        if int(num) < 1:
            raise ValueError(f"num must be >= 1; got {num!r}")
        z = (
            np.random.default_rng(seed)
            .standard_normal((int(num), self.latent_dim))
            .astype(np.float32)
        )
        return self.decode(z)

    def traverse(
        self,
        images=None,
        *,
        latents=None,
        dims: Sequence[int] | None = None,
        values: Sequence[float] = tuple(np.linspace(-2.0, 2.0, 9)),
    ) -> np.ndarray:
        """Latent traversal: vary one latent over ``values``, others fixed.

        The start point is the posterior mean of the first image, or the
        first row of ``latents`` (zeros when neither is given).

        Returns:
            float32 (len(dims), len(values), H, W, C) pixel probabilities.
        """
        if images is not None and latents is not None:
            raise ValueError("give images or latents, not both")
        if images is not None:
            start = self.encode(images)[0]
        elif latents is not None:
            start = np.asarray(latents, np.float32).reshape(
                -1, self.latent_dim
            )[0]
        else:
            start = np.zeros(self.latent_dim, np.float32)
        dims = list(range(self.latent_dim)) if dims is None else list(dims)
        for d in dims:
            if not 0 <= int(d) < self.latent_dim:
                raise ValueError(
                    f"latent dimension {d} is out of range [0, "
                    f"{self.latent_dim})"
                )
        values = np.asarray(values, np.float32)
        grid = np.repeat(start[None, None, :], len(dims), 0)
        grid = np.repeat(grid, len(values), 1)
        for row, d in enumerate(dims):
            grid[row, :, d] = values
        decoded = self.decode(grid.reshape(-1, self.latent_dim))
        return decoded.reshape(len(dims), len(values), *self.image_shape)

    # -- serialisation -----------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        config = {
            "latent_dim": self.latent_dim,
            "architecture": self.architecture,
            "beta": self._beta_arg,
            "normalized_beta": self._normalized_beta_arg,
            "likelihood": self.likelihood,
            "gaussian_scale": self.gaussian_scale,
            "image_shape": list(self.image_shape),
            "capacity": None
            if self.capacity is None
            else self.capacity.get_config(),
            "encoder": None,
            "decoder": None,
            "seed": self.seed,
            "name": self.name,
        }
        if self._custom_networks:
            config["encoder"] = keras.saving.serialize_keras_object(
                self.encoder
            )
            config["decoder"] = keras.saving.serialize_keras_object(
                self.decoder
            )
        return config

    @classmethod
    def from_config(cls, config: dict) -> BetaVAE:
        config = dict(config)
        for key in ("encoder", "decoder"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
