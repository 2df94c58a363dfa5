"""The beta-VAE as a ``keras.Model`` with a custom ``train_step``.

Per batch of B images the model computes what every objective of the
beta-VAE family shares,

    distortion = -1/B sum_b E_q[log p(x_b|z)]   (sum over pixels)
    rate       =  1/B sum_b KL(q(z|x_b) || p(z)) (sum over latents)
    elbo       = -(distortion + rate)

with q(z|x), p(z) and p(x|z) TensorFlow Probability distributions built from
the networks' outputs (``keras_bvae.distributions``), one reparameterised
sample per image and the analytic KL. Its objective part
(``keras_bvae.objectives``) turns these into the loss; the default is
beta-VAE's ``distortion + beta * rate``.

Logged names: ``loss``; ``reconstruction_loss`` is the distortion (the
negative expected log-likelihood); ``kl`` is the rate; ``elbo``; ``kl_0`` ...
``kl_{M-1}`` the rate of each latent; and the objective's own terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_bvae import distributions as dists
from keras_bvae import optimizers as _optimizers  # noqa: F401 (see below)
from keras_bvae.callbacks.progress import LossTermsProgbar
from keras_bvae.inference import LatentInference
from keras_bvae.inputs import check_images, check_images_tf, images_from
from keras_bvae.networks import build_decoder, build_encoder
from keras_bvae.objectives import (
    AnnealedVAE,
    BetaVAEObjective,
    CapacitySchedule,
    Objective,
    ObjectiveInputs,
    get_objective,
)
from keras_bvae.objectives import (
    normalized_beta as _normalized_beta,
)
from keras_bvae.optimizers import CountingLossScaleOptimizer, FusedAdam
from keras_bvae.validation import check_int, check_number

__all__ = ["BetaVAE", "MAX_LATENT_DIM", "check_latent_dim"]

# Importing this module registers every class a saved BetaVAE refers to:
# the model, the objectives and FusedAdam, the optimizer train() compiles
# with, so keras.models.load_model reads a run's model.keras in a process
# that imported nothing else (keras_bvae.load imports this module).

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "keras_bvae needs Keras on the TensorFlow backend; KERAS_BACKEND is "
        f"{keras.backend.backend()!r}"
    )

# Logged every step besides the objective's own terms and kl_0..kl_{M-1}.
BASE_TERMS = ("loss", "reconstruction_loss", "kl", "elbo")

# The largest latent size M a BetaVAE takes. Each latent has its own KL
# tracker, log key kl_j, history.csv column and traversal row, so the
# training graph and the pictures grow with M: the first training step
# took 93 s at M = 256 (10 s at M = 10; 2 shared Xeon cores), had not
# ended after 15 min at M = 1024, and M = 10,000 ran out of memory.
MAX_LATENT_DIM = 256


def check_latent_dim(latent_dim) -> int:
    """``latent_dim`` as an int in [1, MAX_LATENT_DIM], else a ValueError
    that gives the reason."""
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    if latent_dim > MAX_LATENT_DIM:
        raise ValueError(
            f"latent_dim must be at most {MAX_LATENT_DIM}; got {latent_dim}: "
            "each latent is logged and drawn on its own (kl_0, kl_1, ... "
            "and a traversal row each), which makes larger models too "
            "slow to build"
        )
    return latent_dim


@keras.saving.register_keras_serializable(package="keras_bvae")
class BetaVAE(LatentInference, keras.Model):
    """beta-VAE (Higgins et al. 2017) with TFP posterior, prior, likelihood.

    Reference: I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts
    with a Constrained Variational Framework", ICLR 2017.

    Args:
        latent_dim: int. Number of latent dimensions M. Defaults to 10.
        architecture: str. ``"burgess"`` (conv) or ``"higgins"`` (MLP), used
            when no custom encoder/decoder is given. Defaults to "burgess".
        objective: str, Objective or dict. The objective part: a name in
            ``keras_bvae.objectives.OBJECTIVES`` ("beta_vae",
            "annealed_vae", ...), an instance or its serialised config.
            Defaults to beta-VAE with ``beta`` / ``normalized_beta``.
        beta: float. Shortcut for ``objective=BetaVAEObjective(beta=...)``;
            1 is the plain VAE. With no objective and no beta, beta = 1.
        normalized_beta: float. Shortcut for the beta-VAE objective with
            beta * M / N given (N the pixels per image).
        likelihood: str. ``"bernoulli"`` (binary images, logits) or
            ``"gaussian"`` (mean sigmoid(logits), fixed scale). Defaults to
            "bernoulli", for grey and colour images alike: on intensities
            in [0, 1] it is the cross-entropy loss that disentanglement_lib
            uses for its colour data sets too (Locatello et al. 2019);
            "gaussian" is the squared-error alternative.
        gaussian_scale: float. Scale of the Gaussian likelihood. Defaults to
            1/sqrt(2), which makes its loss the summed squared error.
        image_shape: tuple. (H, W, C) of the images; C is 1 or 3 (any C
            works). The "burgess" network needs square sides 16 ... 256,
            4 times a power of two. Defaults to (64, 64, 1).
        capacity: dict or CapacitySchedule. Shortcut for
            ``objective=AnnealedVAE(...)`` (``capacity_max``, ``num_steps``,
            ``gamma``). Defaults to None.
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
        objective: str | Objective | dict | None = None,
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
        self.latent_dim = check_latent_dim(latent_dim)
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
        self.gaussian_scale = check_number(
            "gaussian_scale", gaussian_scale, positive=True
        )
        self.architecture = architecture
        self.image_shape = image_shape
        self.input_size = int(np.prod(image_shape))
        self.likelihood = likelihood
        self.objective = _make_objective(
            objective, beta, normalized_beta, capacity
        )
        self.objective.configure(self.latent_dim, self.input_size)
        self.seed = seed
        self.custom_networks = encoder is not None or decoder is not None
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

        extra = [n for n in self.objective.term_names if n not in BASE_TERMS]
        self.term_trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (*BASE_TERMS, *extra)
        }
        self.kl_dim_trackers = [
            keras.metrics.Mean(name=f"kl_{i}") for i in range(self.latent_dim)
        ]
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
        return [*self.term_trackers.values(), *self.kl_dim_trackers]

    @property
    def progress_hidden_keys(self) -> tuple[str, ...]:
        """Logged keys the progress bar leaves out (kept in the history)."""
        return ("elbo", *(t.name for t in self.kl_dim_trackers))

    @property
    def vae_variables(self) -> list:
        """The encoder's and decoder's trainable variables: what the
        model's optimiser updates (an objective trains its own parts)."""
        return [
            *self.encoder.trainable_variables,
            *self.decoder.trainable_variables,
        ]

    @property
    def trainable_weights(self) -> list:
        """The variables ``model.optimizer`` trains: ``vae_variables``.

        An objective's own trainable parts (FactorVAE's discriminator) are
        left out: they are trained by the objective's optimiser, and Keras
        builds the model's optimiser (also when loading a saved model) for
        the variables listed here. They are still saved with the model.
        """
        return self.vae_variables if self.trainable else []

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_weights(self) -> list:
        """Every weight ``trainable_weights`` leaves out, the objective's
        own parts included."""
        trained = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trained]

    @property
    def non_trainable_variables(self) -> list:
        trained = {id(v) for v in self.trainable_variables}
        return [v for v in self.variables if id(v) not in trained]

    @property
    def seed_generators(self) -> list:
        """Every ``keras.random.SeedGenerator`` of the model, in a fixed
        order: their states are part of a training backup."""
        generators = [self.noise_seed]
        generators += getattr(self.objective, "seed_generators", [])
        return generators

    @property
    def beta(self) -> float | None:
        """The objective's beta (beta-VAE), None for other objectives."""
        if isinstance(self.objective, BetaVAEObjective):
            return self.objective.beta
        return None

    @property
    def normalized_beta(self) -> float | None:
        """beta * M / N for this model (Higgins et al. 2017)."""
        if self.beta is None:
            return None
        return _normalized_beta(self.beta, self.latent_dim, self.input_size)

    # -- the objective -----------------------------------------------------

    def _prepare(self, data) -> tf.Tensor:
        """The images of a batch as float32 (the likelihood's dtype; the
        encoder casts them to the compute dtype itself)."""
        return tf.cast(images_from(data), tf.float32)

    def _noise(self, mean: tf.Tensor) -> tf.Tensor:
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            # Each replica draws its own noise for its share of the batch
            # (the shared SeedGenerator state would repeat it on every one).
            seed = tf.random.experimental.stateless_fold_in(
                self.noise_seed.next(), replica.replica_id_in_sync_group
            )
            return tf.random.stateless_normal(
                tf.shape(mean), seed=seed, dtype=mean.dtype
            )
        return keras.random.normal(
            tf.shape(mean), dtype=mean.dtype, seed=self.noise_seed
        )

    def objective_inputs(self, images, training: bool = False):
        """Encodes, samples and decodes a batch: the ``ObjectiveInputs``."""
        images = self._prepare(images)
        # The networks compute in the policy's dtype; everything from
        # their outputs on (distributions, sample, loss) in float32.
        mean, logvar = self._posterior_tensors(images, training=training)
        q_z = dists.posterior(mean, logvar)
        p_z = dists.prior(self.latent_dim, mean.dtype)
        z = mean + tf.exp(0.5 * logvar) * self._noise(mean)
        logits = self._logits_tensor(z, training=training)
        p_x = dists.likelihood(self.likelihood, logits, self.gaussian_scale)
        kl_per_dim = tf.reduce_mean(
            dists.tfd.kl_divergence(q_z.distribution, p_z.distribution),
            axis=0,
        )
        optimizer = getattr(self, "optimizer", None)  # None until compiled
        step = (
            optimizer.iterations
            if optimizer is not None
            else tf.constant(0, tf.int64)
        )
        return ObjectiveInputs(
            images=images,
            mean=mean,
            logvar=logvar,
            z=z,
            distortion=-tf.reduce_mean(p_x.log_prob(images)),
            rate=tf.reduce_sum(kl_per_dim),
            kl_per_dim=kl_per_dim,
            step=step,
            training=training,
        )

    def loss_terms(self, images, training: bool = False) -> dict:
        """All terms of the objective for a batch, as tensors.

        Returns a dict with ``loss``, ``reconstruction_loss`` (distortion),
        ``kl`` (rate), ``elbo``, ``kl_per_dim`` (M,) and the objective's
        own terms, each averaged over the batch.
        """
        return self._terms(self.objective_inputs(images, training))

    def _terms(self, inputs: ObjectiveInputs) -> dict:
        return {
            "reconstruction_loss": inputs.distortion,
            "kl": inputs.rate,
            "elbo": -(inputs.distortion + inputs.rate),
            "kl_per_dim": inputs.kl_per_dim,
            **self.objective.loss_terms(inputs),
        }

    def _update_trackers(self, terms: dict) -> dict:
        for name, tracker in self.term_trackers.items():
            if name in terms:
                tracker.update_state(terms[name])
        for i, tracker in enumerate(self.kl_dim_trackers):
            tracker.update_state(terms["kl_per_dim"][i])
        logs = {m.name: m.result() for m in self.metrics}
        if _several_workers(tf.distribute.get_strategy()):
            # Keras (3.15) averages the logs of several workers with
            # strategy.reduce("MEAN", value, axis=0), which fails on
            # scalars (tensorflow/tensorflow#72388): an axis of length 1
            # makes it the mean over replicas, and the logs scalars again.
            logs = {name: tf.reshape(v, [1]) for name, v in logs.items()}
        return logs

    def train_step(self, data):
        with tf.GradientTape() as tape:
            inputs = self.objective_inputs(data, training=True)
            terms = self._terms(inputs)
            # Under tf.distribute each replica sees 1/R of the global batch
            # and the gradients are summed over replicas: scale the loss by
            # 1/R so the update is that of the global batch mean.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = terms["loss"] / tf.cast(replicas, terms["loss"].dtype)
            # Multiplied by the loss scale under mixed_float16 (the
            # LossScaleOptimizer divides the gradients by it again), so
            # that small gradients do not underflow in float16.
            scaled = self.optimizer.scale_loss(loss)
        variables = self.vae_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        terms.update(self.objective.update(inputs))
        return self._update_trackers(terms)

    def test_step(self, data):
        return self._update_trackers(self.loss_terms(data, training=False))

    def call(self, inputs, training=False):
        """Reconstruction probabilities from the posterior mean."""
        mean, _ = self._posterior_tensors(
            self._prepare(inputs), training=training
        )
        return tf.sigmoid(self._logits_tensor(mean, training=training))

    def compile(self, optimizer="rmsprop", **kwargs):
        """Keras ``compile``, with two changes to the optimiser.

        ``optimizer="adam"`` (the name) gets ``FusedAdam``: Keras's Adam
        with its defaults, the same maths, each update one fused kernel
        (keras_bvae/optimizers.py); under a ``tf.distribute`` strategy it
        stays Keras's Adam. An optimiser instance is used as given. Under
        the ``mixed_float16`` policy the optimiser is wrapped in a
        ``CountingLossScaleOptimizer`` (where Keras would wrap it in its
        ``LossScaleOptimizer``), whose ``iterations`` counts the steps that
        an overflow skipped too, so the step count stays the number of
        batches trained; a ``LossScaleOptimizer`` given is kept, and
        ``auto_scale_loss=False`` wraps nothing (as in Keras).
        """
        if (
            isinstance(optimizer, str)
            and optimizer.lower() == "adam"
            and not tf.distribute.has_strategy()
        ):
            optimizer = FusedAdam()
        if (
            self.dtype_policy.name == "mixed_float16"
            and kwargs.get("auto_scale_loss", True)
            and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        ):
            optimizer = CountingLossScaleOptimizer(
                keras.optimizers.get(optimizer)
            )
        super().compile(optimizer, **kwargs)

    def compile_from_config(self, config):
        """Compiles a loaded model as saved (Keras skips models whose
        ``compile`` is overridden unless they override this too)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    # -- input checks at every Keras entry point ---------------------------

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
        """Keras ``fit`` after checking the images; labels ``y`` are unused.

        Resumes from a ``keras_bvae.callbacks.TrainingBackup`` among the
        callbacks (restored before training; ``fit`` starts at the backup's
        epoch), and shows the loss terms on the progress bar while the
        per-latent KL goes to the logs only (``LossTermsProgbar``).
        """
        from keras_bvae.callbacks.backup import TrainingBackup

        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        callbacks = list(kwargs.pop("callbacks", None) or [])
        if not any(
            isinstance(cb, keras.callbacks.ProgbarLogger) for cb in callbacks
        ):
            callbacks.append(LossTermsProgbar(self.progress_hidden_keys))
        for callback in callbacks:
            if isinstance(callback, TrainingBackup) and not callback.restored:
                epoch = callback.restore_for_fit(
                    self, _steps_per_epoch(x, kwargs)
                )
                if epoch is not None:
                    kwargs["initial_epoch"] = max(
                        epoch, kwargs.get("initial_epoch", 0)
                    )
        return super().fit(
            self._checked_input(x), None, *args, callbacks=callbacks, **kwargs
        )

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Keras ``evaluate`` after checking the images."""
        return super().evaluate(self._checked_input(x), None, *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        """Keras ``train_on_batch`` after checking the images."""
        return super().train_on_batch(
            self._checked_input(x), None, *args, **kwargs
        )

    def test_on_batch(self, x, y=None, *args, **kwargs):
        """Keras ``test_on_batch`` after checking the images."""
        return super().test_on_batch(
            self._checked_input(x), None, *args, **kwargs
        )

    def predict(self, x, *args, **kwargs):
        """Keras ``predict`` (reconstructions) after checking the images."""
        return super().predict(self._checked_input(x), *args, **kwargs)

    def predict_on_batch(self, x):
        """Keras ``predict_on_batch`` after checking the images."""
        return super().predict_on_batch(self._checked_input(x))

    # -- serialisation -----------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        config = {
            "latent_dim": self.latent_dim,
            "architecture": self.architecture,
            "objective": keras.saving.serialize_keras_object(self.objective),
            "beta": None,
            "normalized_beta": None,
            "likelihood": self.likelihood,
            "gaussian_scale": self.gaussian_scale,
            "image_shape": list(self.image_shape),
            "capacity": None,
            "encoder": None,
            "decoder": None,
            "seed": self.seed,
            "name": self.name,
        }
        if self.custom_networks:
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
        if config.get("capacity") is not None and "objective" not in config:
            # Files saved before objectives were parts store the unused
            # default beta beside capacity, which replaced it.
            config["beta"] = config["normalized_beta"] = None
        for key in ("encoder", "decoder"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _steps_per_epoch(x, fit_kwargs: dict) -> int | None:
    """The steps of one epoch of ``fit(x, **fit_kwargs)``, if known."""
    if fit_kwargs.get("steps_per_epoch") is not None:
        return int(fit_kwargs["steps_per_epoch"])
    if isinstance(x, tf.data.Dataset):
        cardinality = int(x.cardinality())
        return cardinality if cardinality > 0 else None
    if hasattr(x, "__len__") and not isinstance(x, dict):
        batch_size = fit_kwargs.get("batch_size") or 32  # Keras's default
        return -(-len(x) // int(batch_size))
    return None


def _several_workers(strategy) -> bool:
    """True under a MultiWorkerMirroredStrategy of more than one task."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    spec = strategy.cluster_resolver.cluster_spec()
    return sum(spec.num_tasks(job) for job in spec.jobs) > 1


def _make_objective(objective, beta, normalized_beta, capacity) -> Objective:
    """The objective part from ``BetaVAE``'s arguments (see there)."""
    shortcuts = {
        "beta": beta,
        "normalized_beta": normalized_beta,
        "capacity": capacity,
    }
    given = [name for name, value in shortcuts.items() if value is not None]
    if objective is not None:
        if given:
            raise ValueError(
                f"give objective= or {' / '.join(given)}, not both; e.g. "
                "objective=BetaVAEObjective(beta=4.0)"
            )
        return get_objective(objective)
    if capacity is not None:
        if beta is not None or normalized_beta is not None:
            raise ValueError(
                "capacity annealing replaces beta; give capacity or beta, "
                "not both"
            )
        if isinstance(capacity, dict):
            capacity = CapacitySchedule(**capacity)
        if not isinstance(capacity, CapacitySchedule):
            raise ValueError(
                "capacity must be a dict or CapacitySchedule; got "
                f"{type(capacity).__name__}"
            )
        return AnnealedVAE(**capacity.get_config())
    return BetaVAEObjective(beta=beta, normalized_beta=normalized_beta)
