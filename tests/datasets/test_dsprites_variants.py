"""The colour, noisy and scream dSprites (Locatello et al. 2019): the rules
of disentanglement_lib on top of the binary renderer, determinism, the row
interface, the batch stream and an oracle score."""

import itertools

import numpy as np
import pytest

from keras_bvae.datasets import DSpritesSimulator, get_data, make_dataset
from keras_bvae.datasets.base import WrappedGroundTruthData
from keras_bvae.datasets.dsprites_variants import (
    VARIANTS,
    colorize,
    scream_texture,
)
from keras_bvae.datasets.simulator import render
from keras_bvae.disentanglement import mig

COLOURED = ("color", "noisy", "scream")


@pytest.fixture(scope="module")
def factors():
    return DSpritesSimulator().sample_factors(32, rng=0)


@pytest.fixture(scope="module")
def masks(factors):
    return render(factors).astype(bool)


@pytest.mark.parametrize("variant", VARIANTS)
def test_shape_dtype_range_and_same_seed_same_images(variant, factors):
    data = DSpritesSimulator(variant=variant)
    channels = 1 if variant == "binary" else 3
    assert data.observation_shape == (64, 64, channels)
    assert data.factor_names == DSpritesSimulator().factor_names
    assert data.factor_sizes == (3, 6, 40, 32, 32)
    a = data.sample_observations_from_factors(factors, rng=5)
    b = data.sample_observations_from_factors(factors, np.random.default_rng(5))
    assert a.shape == (32, 64, 64, channels) and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    if variant != "binary":
        c = data.sample_observations_from_factors(factors, rng=6)
        assert not np.array_equal(a, c)


def test_color_paints_the_sprite_one_colour_in_half_to_one(factors, masks):
    images = DSpritesSimulator(
        variant="color"
    ).sample_observations_from_factors(factors, rng=0)
    assert np.all(images[~masks] == 0.0)  # black background
    colours = []
    for image, mask in zip(images, masks):
        lit = image[mask]  # (pixels, 3)
        assert np.all(lit == lit[0])
        colours.append(lit[0])
    colours = np.array(colours)
    assert colours.min() >= 0.5 and colours.max() <= 1.0
    assert len(np.unique(colours, axis=0)) == len(colours)  # per image


def test_noisy_has_white_sprite_on_uniform_noise(factors, masks):
    data = DSpritesSimulator(variant="noisy")
    images = data.sample_observations_from_factors(factors, rng=0)
    assert np.all(images[masks] == 1.0)
    background = images[~masks]
    assert background.max() < 1.0
    assert abs(background.mean() - 0.5) < 0.01
    assert abs(background.var() - 1 / 12) < 0.002  # U[0, 1)


def test_scream_sprite_inverts_the_background_patch(factors, masks):
    images = DSpritesSimulator(
        variant="scream"
    ).sample_observations_from_factors(factors, rng=3)
    # Redo the documented draws: row offsets, column offsets, colours.
    rng = np.random.default_rng(3)
    texture = scream_texture()
    n = len(factors)
    top = rng.integers(0, texture.shape[0] - 63, n)
    left = rng.integers(0, texture.shape[1] - 63, n)
    colour = rng.random((n, 1, 1, 3), dtype=np.float32)
    for i in range(n):
        patch = texture[top[i] : top[i] + 64, left[i] : left[i] + 64]
        background = (patch + colour[i]) / 2
        np.testing.assert_allclose(images[i][~masks[i]], background[~masks[i]])
        np.testing.assert_allclose(
            images[i][masks[i]], 1 - background[masks[i]], atol=1e-6
        )


def test_texture_is_fixed_varied_and_read_only():
    texture = scream_texture()
    assert texture.shape == (256, 256, 3) and texture.dtype == np.float32
    assert texture.min() >= 0 and texture.max() <= 1
    assert texture.std(axis=(0, 1)).min() > 0.15  # not flat in any channel
    assert not texture.flags.writeable
    assert scream_texture() is texture
    # Patches differ from place to place.
    assert np.abs(texture[:64, :64] - texture[-64:, -64:]).mean() > 0.1


def test_colorize_rejects_unknown_variant():
    with pytest.raises(ValueError, match="valid: binary, color, noisy"):
        colorize(np.zeros((1, 64, 64)), "sepia", np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown dSprites variant 'sepia'"):
        DSpritesSimulator(variant="sepia")


@pytest.mark.parametrize("variant", COLOURED)
def test_rows_are_a_function_of_the_rows(variant):
    data = DSpritesSimulator(variant=variant)
    index = np.array([0, 5, 737279])
    factors, images = data.rows(index)
    np.testing.assert_array_equal(factors, data.factors_of(index))
    np.testing.assert_array_equal(images, data.rows(index)[1])
    assert images.shape == (3, 64, 64, 3)
    lit = render(factors).astype(bool)
    assert not np.array_equal(images[0][lit[0]], data.rows([5])[1][0][lit[0]])


def test_batch_stream_serves_rgb_batches_by_seed():
    data = get_data("dsprites-scream-sim")
    ds = make_dataset(data, 8, seed=1, steps=2, with_factors=True)
    batches = [(x.numpy(), f.numpy()) for x, f in ds]
    again = [(x.numpy(), f.numpy()) for x, f in ds]
    assert batches[0][0].shape == (8, 64, 64, 3)
    assert batches[0][0].dtype == np.float32
    assert batches[0][1].shape == (8, 5)
    for (x, f), (y, g) in zip(batches, again):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(f, g)
    other = next(iter(make_dataset(data, 8, seed=2, steps=1))).numpy()
    assert not np.array_equal(other, batches[0][0])


class RenderingStore:
    """Stands in for the 377 MB materialized store: same ``take``."""

    def take(self, rows, dtype=np.float32):
        sim = DSpritesSimulator()
        return render(sim.factors_of(rows))[..., None].astype(dtype)


@pytest.mark.parametrize("variant", COLOURED)
def test_materialized_sprites_are_coloured_the_same(variant, factors):
    fresh = DSpritesSimulator(variant=variant)
    stored = DSpritesSimulator(variant=variant)
    stored._store = RenderingStore()
    np.testing.assert_array_equal(
        stored.sample_observations_from_factors(factors, rng=4),
        fresh.sample_observations_from_factors(factors, rng=4),
    )


@pytest.mark.parametrize("variant", COLOURED)
def test_get_data_names(variant):
    data = get_data(f"dsprites-{variant}-sim", data_dir="ignored")
    assert isinstance(data, DSpritesSimulator) and data.variant == variant


def test_official_file_writers_refuse_variants(tmp_path):
    data = DSpritesSimulator(variant="noisy")
    with pytest.raises(ValueError, match="official binary layout"):
        data.write_hdf5(tmp_path / "x.h5", [0])
    with pytest.raises(ValueError, match="official binary layout"):
        data.write_npz(tmp_path / "x.npz", [0])


# -- oracle: the true factors read back from the sprite ------------------

# Two classes of each factor but shape: 48 combinations with distinct masks.
SUBSET = np.array(
    list(itertools.product(range(3), (0, 5), (0, 5), (0, 31), (0, 31)))
)


class OnSubset(WrappedGroundTruthData):
    """Samples only SUBSET, so the oracle can look every mask up."""

    def sample_factors(self, num, rng=None):
        rng = np.random.default_rng(rng)
        return SUBSET[rng.integers(0, len(SUBSET), num)]


def mask_oracle(variant):
    keys = {
        np.packbits(mask).tobytes(): f
        for mask, f in zip(render(SUBSET), SUBSET)
    }
    assert len(keys) == len(SUBSET)

    def read(images):
        if variant == "color":
            lit = images.max(axis=-1) > 0
        else:  # noisy: only sprite pixels are 1 in every channel
            lit = images.min(axis=-1) == 1
        return np.array(
            [keys[np.packbits(m.astype(np.uint8)).tobytes()] for m in lit],
            dtype=np.float64,
        )

    return read


@pytest.mark.parametrize("variant", ["color", "noisy"])
def test_identity_code_scores_near_one_on_mig(variant):
    data = OnSubset(DSpritesSimulator(variant=variant))
    result = mig(data, mask_oracle(variant), seed=0, num_train=1000)
    assert result["mig"] > 0.95
