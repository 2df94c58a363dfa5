"""A callback that draws latent traversals and reconstructions during fit."""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np

from keras_bvae.plotting import (
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
    ``traversals`` and ``reconstructions``.

    Args:
        images: array (B, H, W, C). Reconstructed each time; the first image
            is the start point of the traversal.
        output_dir: str or None. Folder for the PNG files.
        every_n_epochs: int. How often to draw. Defaults to 1.
        values: sequence of float. Latent values of the traversal.
            Defaults to 9 values in [-2, 2].
        tensorboard_dir: str or None. TensorBoard log folder.
    """

    def __init__(
        self,
        images,
        output_dir: str | None = None,
        every_n_epochs: int = 1,
        values: Sequence[float] = tuple(np.linspace(-2.0, 2.0, 9)),
        tensorboard_dir: str | None = None,
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
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        logs = logs or {}
        model = self.model
        kl = [logs.get(f"kl_{i}", np.nan) for i in range(model.latent_dim)]
        traversals = model.traverse(self.images[:1], values=self.values)
        recon = model.reconstruct(self.images)
        if self.output_dir:
            title = f"epoch {epoch + 1}"
            save_figure(
                plot_traversals(traversals, self.values, kl_per_dim=kl,
                                title=title),
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
        if self.tensorboard_dir:
            self._log_tensorboard(epoch, traversals, recon)

    def _log_tensorboard(self, epoch, traversals, recon):
        import tensorflow as tf

        from keras_bvae.plotting import image_grid

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)
        pairs = np.stack([self.images, recon])
        with self._writer.as_default():
            for name, grid in (
                ("traversals", image_grid(traversals)),
                ("reconstructions", image_grid(pairs)),
            ):
                tf.summary.image(name, grid[None, :, :, None], step=epoch + 1)
        self._writer.flush()
