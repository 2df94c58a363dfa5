"""``keras_bvae.explorer``: the latent explorer page, written in Python.

The page running in a browser is tested in ``test_explorer_browser.py``.
"""

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from support import example_images, read_page

import keras_bvae
from keras_bvae import cli, datasets
from keras_bvae.explorer import decoder_layers, write_page
from keras_bvae.objectives import OBJECTIVES

FAMILY = [
    "beta_vae",
    "annealed_vae",
    "beta_tcvae",
    "factor_vae",
    "dip_vae_i",
    "dip_vae_ii",
]
SMALL = {"factor_vae": {"discriminator_layers": 2, "discriminator_units": 32}}


def assert_self_contained(text):
    # Nothing that a browser would fetch: no URLs, no external sources.
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)


@pytest.mark.parametrize("name", FAMILY)
def test_page_for_every_objective(name, small_model, blob_images, tmp_path):
    model = small_model(
        objective=OBJECTIVES[name](**SMALL.get(name, {})),
        image_shape=(16, 16, 1),
        optimizer=None,
    )
    images = blob_images(24, size=16)
    path = write_page(model, str(tmp_path / "page.html"), data=images)
    payload, weights, text = read_page(tmp_path / "page.html")
    assert path == str(tmp_path / "page.html")
    assert_self_contained(text)
    assert payload["objective"] == type(model.objective).__name__
    assert weights.size == model.decoder.count_params()
    # Images without factors: the latents are labelled by their KL.
    assert [lat["label"].split(":")[0] for lat in payload["latents"]] == [
        "z0",
        "z1",
        "z2",
    ]
    assert all("KL" in lat["label"] for lat in payload["latents"])
    examples = example_images(payload)
    assert examples.shape == (8, 16, 16, 1)
    np.testing.assert_allclose(
        payload["codes"], model.encode(examples / 255.0), atol=1e-5
    )


@pytest.mark.parametrize("architecture", ["burgess", "higgins"])
@pytest.mark.parametrize("channels", [1, 3])
def test_page_for_each_network_grey_and_colour(
    architecture, channels, small_model, tmp_path
):
    shape = (16, 16, channels)
    model = small_model(
        architecture=architecture, image_shape=shape, optimizer=None
    )
    rng = np.random.default_rng(0)
    data = datasets.ImageSet(rng.integers(0, 256, (20, *shape), np.uint8))
    write_page(model, str(tmp_path / "p.html"), data=data, num_examples=3)
    payload, weights, _ = read_page(tmp_path / "p.html")
    assert payload["imageShape"] == list(shape)
    assert payload["architecture"] == architecture
    kinds = [layer["type"] for layer in payload["layers"]]
    if architecture == "burgess":
        assert kinds == ["dense"] * 3 + ["reshape"] + ["deconv"] * 2
    else:
        assert kinds == ["dense"] * 4 + ["reshape"]
    assert weights.size == model.decoder.count_params()
    # Every weight is in the page, at its layer's offset (deconv kernels
    # stored as (in, kh, kw, out)).
    last = model.decoder.layers[-1 if architecture == "burgess" else -2]
    spec = payload["layers"][-1 if architecture == "burgess" else -2]
    kernel = last.kernel.numpy()
    if architecture == "burgess":
        kernel = kernel.transpose(3, 0, 1, 2)
    stored = weights[spec["kernel"] : spec["kernel"] + kernel.size]
    np.testing.assert_array_equal(stored, kernel.reshape(-1))
    assert example_images(payload).shape == (3, *shape)


def test_labelled_data_labels_latents_by_factor(small_model, tmp_path):
    model = small_model(image_shape=(64, 64, 1), optimizer=None)
    write_page(
        model,
        str(tmp_path / "p.html"),
        data="dsprites-sim",
        num_samples=300,
        num_examples=2,
    )
    payload, _, _ = read_page(tmp_path / "p.html")
    assert "NMI" in payload["labelSource"]
    for lat in payload["latents"]:
        # "z0: pos_x, NMI 0.12 | KL 0.50", "z1: inactive | KL 0.01", ...
        assert re.match(rf"z{lat['index']}: .+ \| KL \d+\.\d\d$", lat["label"])
        assert ("inactive" in lat["label"]) == (not lat["active"])


def test_without_data_every_latent_is_shown(small_model, tmp_path):
    model = small_model(image_shape=(16, 16, 1), optimizer=None)
    write_page(model, str(tmp_path / "p.html"))
    payload, _, _ = read_page(tmp_path / "p.html")
    assert payload["examples"] == [] and payload["codes"] == []
    assert all(lat["active"] for lat in payload["latents"])


def test_refuses_what_it_cannot_run(small_model, tmp_path):
    with pytest.raises(TypeError, match="BetaVAE"):
        write_page(keras.Sequential([keras.Input((3,))]), "x.html")
    images = np.zeros((4, 16, 16, 1), np.float32)
    model = small_model(image_shape=(16, 16, 1), optimizer=None)
    with pytest.raises(ValueError, match=r"\(8, 8, 1\)"):
        write_page(model, str(tmp_path / "p.html"), data=images[:, :8, :8])
    with pytest.raises(ValueError, match="1.5"):
        write_page(model, str(tmp_path / "p.html"), data=images + 1.5)
    inputs = keras.Input((3,))
    x = keras.layers.Dense(256)(inputs)
    x = keras.layers.BatchNormalization(name="norm")(x)
    x = keras.layers.Reshape((16, 16, 1))(x)
    encoder = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(6),
        ]
    )
    custom = small_model(
        encoder=encoder,
        decoder=keras.Model(inputs, x),
        image_shape=(16, 16, 1),
        optimizer=None,
    )
    with pytest.raises(ValueError, match="'norm'.*BatchNormalization"):
        write_page(custom, str(tmp_path / "p.html"))


def test_command_writes_pages_and_index(small_model, tmp_path, capsys):
    for name in ("a", "b"):
        small_model(latent_dim=2, optimizer=None).save(
            str(tmp_path / f"{name}.keras")
        )
    out = tmp_path / "site"
    code = cli.main(
        [
            "explore",
            str(tmp_path / "a.keras"),
            str(tmp_path / "b.keras"),
            "--out",
            str(out),
            "--num-samples",
            "200",
            "--num-examples",
            "2",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "a.html",
        "b.html",
        "index.html",
    ]
    index = (out / "index.html").read_text()
    assert 'href="a.html"' in index and 'href="b.html"' in index
    payload, _, _ = read_page(out / "a.html")
    assert payload["title"] == "a (dsprites-sim)"
    assert "NMI" in payload["labelSource"]
    assert "wrote" in capsys.readouterr().out


def test_command_refuses_a_model_that_is_not_a_beta_vae(tmp_path, capsys):
    path = str(tmp_path / "plain.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    code = cli.main(["explore", path, "--out", str(tmp_path / "site")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "Sequential, not a keras_bvae BetaVAE" in err


@pytest.mark.parametrize(
    "name", ["beta_vae_b12_s0", "annealed_c25_g100_s0", "vae_b1_s0"]
)
def test_committed_flagship_pages_hold_their_models(name):
    root = Path(__file__).resolve().parents[1]
    model = keras_bvae.load(root / "saved_models" / "flagship" / name)
    payload, weights, text = read_page(
        root / "docs" / "explorer" / f"{name}.html"
    )
    assert_self_contained(text)
    np.testing.assert_array_equal(weights, decoder_layers(model.decoder)[1])
    np.testing.assert_allclose(
        payload["codes"],
        model.encode(example_images(payload) / 255.0),
        atol=1e-5,
    )
    labels = json.loads(
        (
            root / "saved_models" / "flagship" / name / "latent_factors.json"
        ).read_text()
    )
    # The same latents active as in the model's own traversal labels.
    assert [lat["active"] for lat in payload["latents"]] == labels["active"]
    index = (root / "docs" / "explorer" / "index.html").read_text()
    assert f'href="{name}.html"' in index
