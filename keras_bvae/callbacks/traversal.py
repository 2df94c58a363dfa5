"""A callback that draws latent traversals and reconstructions during fit."""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np

from keras_bvae.plotting import (
    plot_nmi_heatmap,
    plot_reconstructions,
    plot_traversals,
    save_figure,
)

__all__ = ["LatentTraversalCallback"]


class LatentTraversalCallback(keras.callbacks.Callback):
    """Renders traversals and reconstructions every N epochs.

    Writes ``traversals_epoch{E:03d}.png`` and
    ``reconstructions_epoch{E:03d}.png`` into ``output_dir`` and, when
    ``tensorboard_dir`` is given, logs both as TensorBoard images under
    ``traversals`` and ``reconstructions``, and the drawing with each row
    labelled (latent, KL, factor) under ``labelled_traversals``.

    Given ground-truth ``data``, each drawing also labels every latent with
    the factor it carries (``label_latents``: the latent x factor NMI of
    the posterior means, "z3: orientation, NMI 0.41"; latents whose KL in
    the epoch's logs is below 0.1 nats are "inactive"), writes the NMI
    heatmap ``nmi_epoch{E:03d}.png``, logs the labels as TensorBoard text
    ``latent_labels`` and keeps the last result in ``latent_factors``.

    Args:
        images: array (B, H, W, C). Reconstructed each time; the first image
            is the start point of the traversal.
        output_dir: str or None. Folder for the PNG files.
        every_n_epochs: int. How often to draw. Defaults to 1.
        values: sequence of float. Latent values of the traversal.
            Defaults to 9 values in [-2, 2].
        tensorboard_dir: str or None. TensorBoard log folder.
        data: GroundTruthData or None. Ground truth to label rows with.
        label_samples: int. Samples for the NMI. Defaults to 2000 (MIG's
            quick protocol); the full protocol's 10,000 is more exact but
            about five times slower.
        num_bins: int. Bins per latent for the NMI. Defaults to 20.
        seed: int. Seed of the NMI samples (the same every epoch, so the
            labels change only with the model). Defaults to 0.

    Example:
    ```python
    data = datasets.DSpritesSimulator()
    _, images = data.sample(8, rng=0)
    callback = LatentTraversalCallback(images, "pictures", data=data,
                                       every_n_epochs=5)
    model.fit(train_ds, epochs=30, callbacks=[callback])
    callback.latent_factors["labels"]     # ["z0: pos_x, NMI 0.71", ...]
    ```
    """

    ACTIVE_KL = 0.1

    def __init__(
        self,
        images,
        output_dir: str | None = None,
        every_n_epochs: int = 1,
        values: Sequence[float] = tuple(np.linspace(-2.0, 2.0, 9)),
        tensorboard_dir: str | None = None,
        data=None,
        label_samples: int = 2000,
        num_bins: int = 20,
        seed: int = 0,
    ):
        super().__init__()
        if output_dir is None and tensorboard_dir is None:
            raise ValueError("give output_dir, tensorboard_dir, or both")
        if int(every_n_epochs) < 1:
            raise ValueError(
                f"every_n_epochs must be >= 1; got {every_n_epochs!r}"
            )
        self.images = np.asarray(images, np.float32)
        self.output_dir = output_dir
        self.every_n_epochs = int(every_n_epochs)
        self.values = list(values)
        self.tensorboard_dir = tensorboard_dir
        self.data = data
        self.label_samples = int(label_samples)
        self.num_bins = int(num_bins)
        self.seed = seed
        if data is not None and self.label_samples < 2:
            raise ValueError(
                f"label_samples must be >= 2; got {label_samples!r}"
            )
        self.latent_factors = None
        self._writer = None

    def _label(self, kl) -> dict:
        from keras_bvae.disentanglement.latent_factors import label_latents

        kl = np.asarray(kl, dtype=np.float64)
        active = None if np.isnan(kl).any() else kl > self.ACTIVE_KL
        return label_latents(
            self.data,
            self.model.encode,
            seed=self.seed,
            num_samples=self.label_samples,
            num_bins=self.num_bins,
            active=active,
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        logs = logs or {}
        model = self.model
        kl = [logs.get(f"kl_{i}", np.nan) for i in range(model.latent_dim)]
        traversals = model.traverse(self.images[:1], values=self.values)
        recon = model.reconstruct(self.images)
        labels = None
        if self.data is not None:
            self.latent_factors = self._label(kl)
            labels = self.latent_factors["labels"]
        if self.output_dir:
            title = f"epoch {epoch + 1}"
            save_figure(
                plot_traversals(
                    traversals,
                    self.values,
                    kl_per_dim=kl,
                    title=title,
                    row_labels=labels,
                ),
                os.path.join(
                    self.output_dir, f"traversals_epoch{epoch + 1:03d}.png"
                ),
            )
            save_figure(
                plot_reconstructions(self.images, recon, title=title),
                os.path.join(
                    self.output_dir,
                    f"reconstructions_epoch{epoch + 1:03d}.png",
                ),
            )
            if labels is not None:
                save_figure(
                    plot_nmi_heatmap(
                        self.latent_factors["nmi"],
                        self.latent_factors["factor_names"],
                        title=f"latent x factor NMI, {title}",
                    ),
                    os.path.join(
                        self.output_dir, f"nmi_epoch{epoch + 1:03d}.png"
                    ),
                )
        if self.tensorboard_dir:
            self._log_tensorboard(epoch, traversals, recon, labels, kl)

    def _log_tensorboard(self, epoch, traversals, recon, labels, kl):
        import tensorflow as tf

        from keras_bvae.plotting import figure_array, image_grid

        labelled = figure_array(
            plot_traversals(
                traversals,
                self.values,
                kl_per_dim=kl,
                title=f"epoch {epoch + 1}",
                row_labels=labels,
            )
        )

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)
        pairs = np.stack([self.images, recon])
        with self._writer.as_default():
            for name, grid in (
                ("traversals", image_grid(traversals)),
                ("reconstructions", image_grid(pairs)),
            ):
                tf.summary.image(name, grid[None, :, :, None], step=epoch + 1)
            # Each row titled with its latent, its KL and, given data, the
            # factor it carries.
            tf.summary.image(
                "labelled_traversals", labelled[None], step=epoch + 1
            )
            if labels is not None:
                tf.summary.text(
                    "latent_labels", "\n\n".join(labels), step=epoch + 1
                )
        self._writer.flush()
