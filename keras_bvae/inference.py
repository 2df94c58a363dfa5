"""Numpy in, numpy out: what a trained model says about images and latents.

``LatentInference`` gives ``BetaVAE`` its inference helpers (posterior
parameters and means, TFP posterior and prior, decoding, reconstruction,
prior samples, latent traversals), batched and checked, each traced once
with ``tf.function``. It relies on the model's ``encoder``, ``decoder``,
``latent_dim``, ``image_shape`` and ``likelihood``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_bvae import distributions as dists
from keras_bvae.inputs import check_images
from keras_bvae.precision import check_bfloat16_support

__all__ = ["LatentInference", "PRECISIONS", "check_bfloat16_support"]

PRECISIONS = ("float32", "bfloat16")


class LatentInference:
    """Mixin of ``BetaVAE``: encode, decode, sample and traverse.

    Example:
    ```python
    codes = model.encode(images)               # posterior means (B, M)
    q_z = model.posterior(images)              # a TFP distribution
    grid = model.traverse(images[:1])          # (M, 9, H, W, C)
    ```
    """

    _encode_fn = None
    _bfloat16_encode_fn = None
    _decode_fn = None

    def _posterior_tensors(self, images, training: bool = False):
        """float32 posterior mean and log-variance (B, M) of image tensors.

        The encoder computes in the model's compute dtype (bfloat16 or
        float16 under a mixed policy); its output is cast to float32
        before the log-variance is clamped, so everything downstream (KL,
        batch estimators, codes) is float32.
        """
        params = self.encoder(
            tf.cast(images, self.compute_dtype), training=training
        )
        return dists.split_posterior_params(tf.cast(params, tf.float32))

    def _logits_tensor(self, latents, training: bool = False):
        """float32 decoder logits of latent tensors (B, M), the decoder
        computing in the model's compute dtype. The latents go in as
        float32: each layer casts its inputs to its own compute dtype, and
        the package's decoders take them in a float32 layer
        (``keras_bvae.networks.LATENT_DTYPE``)."""
        logits = self.decoder(tf.cast(latents, tf.float32), training=training)
        return tf.cast(logits, tf.float32)

    def _check(self, images) -> np.ndarray:
        return check_images(
            images,
            self.image_shape,
            unit_range=self.likelihood == "bernoulli",
        )

    def _encoded(self, images: np.ndarray, precision: str = "float32"):
        if precision == "bfloat16":
            return self._bfloat16_encoded(images)
        if precision != "float32":
            raise ValueError(
                f"precision must be one of {PRECISIONS}; got {precision!r}"
            )
        if self._encode_fn is None:

            @tf.function(reduce_retracing=True)
            def encode_fn(x):
                return self._posterior_tensors(x)

            self._encode_fn = encode_fn
        return self._encode_fn(tf.convert_to_tensor(images))

    def _bfloat16_encoded(self, images: np.ndarray):
        if self._bfloat16_encode_fn is None:
            check_bfloat16_support()
            # A copy of the encoder computing in bfloat16 (float32
            # variables, cast on use), refreshed from the model's own
            # weights at every call so it follows further training.
            low = keras.models.clone_model(
                self.encoder,
                clone_function=lambda layer: layer.__class__.from_config(
                    {**layer.get_config(), "dtype": "mixed_bfloat16"}
                ),
            )
            pairs = list(zip(low.weights, self.encoder.weights))

            @tf.function(reduce_retracing=True)
            def encode_fn(x):
                for copy, weight in pairs:
                    copy.assign(weight)
                params = tf.cast(low(x, training=False), tf.float32)
                return dists.split_posterior_params(params)

            self._bfloat16_encode_fn = encode_fn
        return self._bfloat16_encode_fn(tf.convert_to_tensor(images))

    def posterior_params(
        self, images, batch_size: int = 256, precision: str = "float32"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance, numpy (B, M) each.

        Args:
            images: array (B, H, W, C) in the model's image shape.
            batch_size: int. Images per encoder call. Defaults to 256;
                the results depend on it only through float32 rounding
                (some CPUs' kernels sum in a batch-size-dependent order).
            precision: "float32" (default) or "bfloat16": the encoder's
                arithmetic. bfloat16 is about 3x faster on CPUs with AMX
                (measured on a Xeon with AMX; codes within about 1% of the
                float32 ones) and needs bfloat16 hardware (AMX or
                AVX512_BF16, or a GPU).
        """
        images = self._check(images)
        means, logvars = [], []
        for start in range(0, len(images), batch_size):
            mean, logvar = self._encoded(
                images[start : start + batch_size], precision
            )
            means.append(mean.numpy())
            logvars.append(logvar.numpy())
        return np.concatenate(means), np.concatenate(logvars)

    def encode(
        self, images, batch_size: int = 256, precision: str = "float32"
    ) -> np.ndarray:
        """The representation: posterior means, numpy (B, M).

        ``batch_size`` and ``precision`` as for ``posterior_params``.
        """
        return self.posterior_params(images, batch_size, precision)[0]

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
                return tf.sigmoid(self._logits_tensor(latents))

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
