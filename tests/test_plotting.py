"""Traversal, reconstruction and NMI figures are written as real PNG files,
traversal animations as real GIFs."""

import numpy as np
import pytest
from matplotlib.image import imread

from keras_bvae.plotting import (
    image_grid,
    plot_nmi_heatmap,
    plot_reconstructions,
    plot_traversals,
    save_figure,
    save_traversal_gif,
    traversal_frames,
)


def test_traversal_png_has_one_row_per_latent(blob_images, tmp_path):
    traversals = np.stack([blob_images(5, seed=s) for s in range(3)])
    figure = plot_traversals(
        traversals, values=np.linspace(-2, 2, 5), kl_per_dim=[1.0, 0.0, 2.5]
    )
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


def test_traversal_rows_carry_factor_labels(blob_images):
    traversals = np.stack([blob_images(3, seed=s) for s in range(2)])
    labels = ["z0: pos_x, NMI 0.81", "z1: inactive"]
    figure = plot_traversals(
        traversals, kl_per_dim=[3.2, 0.0], row_labels=labels
    )
    assert figure.axes[0].get_ylabel() == "z0: pos_x\nNMI 0.81\nKL 3.20"
    assert figure.axes[3].get_ylabel() == "z1: inactive\nKL 0.00"
    # Rows picked by ``dims`` still get their own latent's label.
    picked = plot_traversals(traversals[1:], dims=[1], row_labels=labels)
    assert picked.axes[0].get_ylabel() == "z1: inactive"


def test_nmi_heatmap_annotates_every_cell(tmp_path):
    nmi = np.array([[0.91, 0.02], [0.05, 0.40], [0.0, 0.01]])
    figure = plot_nmi_heatmap(nmi, ["pos_x", "scale"])
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pos_x", "scale"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["z0", "z1", "z2"]
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        ["0.91", "0.02", "0.05", "0.40", "0.00", "0.01"]
    )
    assert imread(save_figure(figure, str(tmp_path / "h.png"))).ndim == 3
    with pytest.raises(ValueError, match="shape \\(latents, 3 factors\\)"):
        plot_nmi_heatmap(nmi, ["a", "b", "c"])


def test_traversal_gif_loops_over_the_values(blob_images, tmp_path):
    from PIL import Image

    traversals = np.stack([blob_images(4, seed=s) for s in range(3)])
    path = save_traversal_gif(
        traversals,
        str(tmp_path / "t.gif"),
        values=[-2, -1, 1, 2],
        row_labels=["z0: pos_x, NMI 0.8", "z1: scale, NMI 0.5", "z2: inactive"],
        columns=2,
    )
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.is_animated
        assert gif.n_frames == 6  # forwards over 4 values, back over 2
        assert gif.info["loop"] == 0
    assert not (tmp_path / "t.gif.tmp.gif").exists()
    frames = traversal_frames(traversals, columns=2)
    assert len(frames) == 6 and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[3])


def test_colour_images_are_drawn_in_colour(tmp_path):
    red = np.zeros((2, 8, 8, 3), np.float32)
    red[..., 0] = 1.0
    figure = plot_reconstructions(red, red)
    picture = imread(save_figure(figure, str(tmp_path / "r.png")))
    reddish = (picture[..., 0] > 0.9) & (picture[..., 1] < 0.1)
    assert reddish.sum() > 100


def test_kl_curves_label_the_used_latents_only(tmp_path):
    from keras_bvae.plotting import plot_kl_per_latent

    steps = np.arange(5) * 1000
    kl = np.stack([np.linspace(0, 3, 5), np.full(5, 0.01)], axis=1)
    figure = plot_kl_per_latent(steps, kl, labels=["z0: posX", "z1"])
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["z0: posX"]
    assert imread(save_figure(figure, str(tmp_path / "kl.png"))).ndim == 3
    with pytest.raises(ValueError, match="len\\(steps\\)"):
        plot_kl_per_latent(steps[:3], kl)


def test_factor_nmi_curves_name_the_latent_where_it_changes(tmp_path):
    from keras_bvae.plotting import plot_factor_nmi_over_training

    steps = [1000, 2000, 3000]
    nmi = np.zeros((3, 2, 2))
    nmi[:, 0, 0] = [0.2, 0.5, 0.6]  # pos_x in z0 throughout
    nmi[:, 1, 1] = [0.0, 0.4, 0.1]  # shape in z1, then z0 at the end
    nmi[2, 0, 1] = 0.3
    figure = plot_factor_nmi_over_training(steps, nmi, ["pos_x", "shape"])
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "pos_x",
        "shape",
    ]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.0, 0.4, 0.3])
    assert [t.get_text() for t in ax.texts] == ["z0", "z0", "z1", "z0"]
    assert imread(save_figure(figure, str(tmp_path / "nmi.png"))).ndim == 3
    with pytest.raises(ValueError, match="len\\(steps\\)"):
        plot_factor_nmi_over_training(steps[:2], nmi, ["pos_x", "shape"])
    with pytest.raises(ValueError, match="factor names"):
        plot_factor_nmi_over_training(steps, nmi, ["pos_x"])


def test_rate_split_draws_kl_and_information_of_used_latents(tmp_path):
    from keras_bvae.plotting import plot_rate_split

    steps = [1000, 2000]
    kl = np.array([[1.0, 0.0], [2.0, 0.01]])
    info = np.array([[0.9, 0.0], [1.1, 0.0]])
    figure = plot_rate_split(steps, kl, info)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "z0 KL",
        "z0 information",
    ]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.9, 1.1])
    assert imread(save_figure(figure, str(tmp_path / "rate.png"))).ndim == 3
    with pytest.raises(ValueError, match="both be"):
        plot_rate_split(steps, kl, info[:, :1])
