"""Traversal and reconstruction figures are written as real PNG files."""

import numpy as np
import pytest
from matplotlib.image import imread

from keras_bvae.plotting import (
    image_grid,
    plot_reconstructions,
    plot_traversals,
    save_figure,
)


def test_traversal_png_has_one_row_per_latent(blob_images, tmp_path):
    traversals = np.stack([blob_images(5, seed=s) for s in range(3)])
    figure = plot_traversals(traversals, values=np.linspace(-2, 2, 5),
                             kl_per_dim=[1.0, 0.0, 2.5])
    assert len(figure.axes) == 15
    assert figure.axes[0].get_ylabel().startswith("z0\nKL 1.00")
    path = save_figure(figure, str(tmp_path / "t.png"))
    picture = imread(path)
    assert picture.ndim == 3 and picture.shape[0] > 100
    assert not (tmp_path / "t.png.tmp.png").exists()


def test_reconstruction_figure_checks_shapes(blob_images):
    images = blob_images(4)
    assert len(plot_reconstructions(images, images).axes) == 8
    with pytest.raises(ValueError, match="same shape"):
        plot_reconstructions(images, images[:2])


def test_image_grid_tiles_images():
    grid = image_grid(np.zeros((2, 3, 8, 8, 1)), pad=1)
    assert grid.shape == (2 * 9 + 1, 3 * 9 + 1)
    assert grid[1:9, 1:9].max() == 0.0 and grid[0, 0] == 1.0
