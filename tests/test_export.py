"""SavedModel export: signatures in a TensorFlow-only process, config, CLI."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_bvae
from keras_bvae import BetaVAE
from keras_bvae.cli import main
from keras_bvae.export import (
    CONFIG_FILENAME,
    EXPORT_SUBDIR,
    export_saved_model,
)

LATENT_DIM = 3


@pytest.fixture(scope="module")
def spread_model(small_model):
    """``small_model`` (beta 4, uncompiled) with its posterior spread, so
    mean and log-variance are far from 0."""

    def make(seed=0, **kwargs):
        kwargs.setdefault("latent_dim", LATENT_DIM)
        kwargs.setdefault("beta", 4.0)
        model = small_model(optimizer=None, seed=seed, **kwargs)
        head = model.encoder.get_layer("posterior_params")
        head.bias.assign(np.linspace(-1.0, 1.0, 2 * model.latent_dim))
        return model

    return make


@pytest.fixture(scope="module")
def model(spread_model):
    return spread_model()


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    return export_saved_model(model, tmp_path_factory.mktemp("export") / "bvae")


# Runs in a fresh interpreter that has only TensorFlow: keras_bvae is made
# unimportable, so the export cannot lean on it.
_TF_ONLY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.modules["keras_bvae"] = None  # any import of it now fails
    import numpy as np
    import tensorflow as tf

    export_dir, inputs_path, outputs_path = sys.argv[1:4]
    served = tf.saved_model.load(export_dir)
    inputs = np.load(inputs_path)
    out = {"signatures": sorted(served.signatures)}
    specs = {}
    for name, fn in served.signatures.items():
        specs[name] = {
            k: s.shape.as_list()
            for k, s in fn.structured_input_signature[1].items()
        }
    out["input_shapes"] = specs
    arrays = {}
    for b in ("1", "5"):
        sig = served.signatures
        images = tf.constant(inputs["images_" + b])
        latents = tf.constant(inputs["latents_" + b])
        for key, value in sig["encode"](images=images).items():
            arrays[f"encode_{key}_{b}"] = value.numpy()
        for key, value in sig["decode"](latents=latents).items():
            arrays[f"decode_{key}_{b}"] = value.numpy()
        for key, value in sig["reconstruct"](images=images).items():
            arrays[f"reconstruct_{key}_{b}"] = value.numpy()
        for key, value in sig["serving_default"](images=images).items():
            arrays[f"serving_default_{key}_{b}"] = value.numpy()
        for key, value in sig["sample"](
            count=tf.constant(int(b), tf.int32),
            seed=tf.constant(7, tf.int64),
        ).items():
            arrays[f"sample_{key}_{b}"] = value.numpy()
    again = sig["sample"](count=tf.constant(5), seed=tf.constant(7, tf.int64))
    arrays["sample_again"] = again["probabilities"].numpy()
    other = sig["sample"](count=tf.constant(5), seed=tf.constant(8, tf.int64))
    arrays["sample_other_seed"] = other["latents"].numpy()
    # the Python-level functions of the loaded object work as well
    arrays["method_encode_mean"] = served.encode(
        tf.constant(inputs["images_5"]))["mean"].numpy()
    np.savez(outputs_path, **arrays)
    out["keras_bvae_imported"] = any(
        m.startswith("keras_bvae") and sys.modules[m] is not None
        for m in sys.modules
    )
    print(json.dumps(out))
    """
)


def test_signatures_match_the_model_in_a_tensorflow_only_process(
    blob_images, model, exported, tmp_path
):
    rng = np.random.default_rng(0)
    inputs = {}
    for b in (1, 5):
        inputs[f"images_{b}"] = blob_images(b, seed=b)
        inputs[f"latents_{b}"] = rng.normal(size=(b, LATENT_DIM)).astype(
            np.float32
        )
    np.savez(tmp_path / "inputs.npz", **inputs)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _TF_ONLY_SCRIPT,
            exported,
            str(tmp_path / "inputs.npz"),
            str(tmp_path / "outputs.npz"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["keras_bvae_imported"] is False
    assert info["signatures"] == sorted(
        ["encode", "decode", "reconstruct", "sample", "serving_default"]
    )
    shapes = info["input_shapes"]
    assert shapes["encode"] == {"images": [None, 64, 64, 1]}
    assert shapes["decode"] == {"latents": [None, LATENT_DIM]}
    assert shapes["sample"] == {"count": [], "seed": []}
    out = np.load(tmp_path / "outputs.npz")

    tol = {"rtol": 1e-5, "atol": 1e-5}
    for b in (1, 5):
        images, latents = inputs[f"images_{b}"], inputs[f"latents_{b}"]
        mean, logvar = model.posterior_params(images)
        np.testing.assert_allclose(out[f"encode_mean_{b}"], mean, **tol)
        np.testing.assert_allclose(out[f"encode_logvar_{b}"], logvar, **tol)
        np.testing.assert_allclose(
            out[f"decode_logits_{b}"],
            model.decoder(latents, training=False).numpy(),
            **tol,
        )
        np.testing.assert_allclose(
            out[f"decode_probabilities_{b}"], model.decode(latents), **tol
        )
        recon = model.reconstruct(images)
        np.testing.assert_allclose(
            out[f"reconstruct_probabilities_{b}"], recon, **tol
        )
        np.testing.assert_allclose(
            out[f"serving_default_probabilities_{b}"], recon, **tol
        )
        # sample: documented latents, decoded by the model
        expected_z = tf.random.stateless_normal(
            [b, LATENT_DIM], seed=[7, 0]
        ).numpy()
        np.testing.assert_allclose(
            out[f"sample_latents_{b}"], expected_z, **tol
        )
        np.testing.assert_allclose(
            out[f"sample_probabilities_{b}"], model.decode(expected_z), **tol
        )
    np.testing.assert_array_equal(
        out["sample_again"], out["sample_probabilities_5"]
    )
    assert not np.allclose(out["sample_other_seed"], out["sample_latents_5"])
    np.testing.assert_allclose(
        out["method_encode_mean"], model.encode(inputs["images_5"]), **tol
    )
    # the fixture's posterior is not degenerate, so the match is informative
    assert np.ptp(out["encode_logvar_5"]) > 0.5


def test_config_json_describes_the_model(model, exported):
    with open(os.path.join(exported, CONFIG_FILENAME)) as f:
        config = json.load(f)
    assert config["architecture"] == "burgess"
    assert config["latent_dim"] == LATENT_DIM
    assert config["beta"] == pytest.approx(4.0)
    assert config["normalized_beta"] == pytest.approx(
        4.0 * LATENT_DIM / (64 * 64)
    )
    assert config["likelihood"] == "bernoulli"
    assert config["image_shape"] == [64, 64, 1]
    assert config["signatures"]["serving_default"] == {"same_as": "reconstruct"}
    assert config["signatures"]["sample"]["inputs"]["count"]["dtype"] == (
        "int32"
    )
    assert config["model_config"] == json.loads(json.dumps(model.get_config()))


def test_signatures_reject_bad_inputs_inside_the_graph(blob_images, exported):
    served = tf.saved_model.load(exported)
    sig = served.signatures
    images = blob_images(2)
    images[0, 0, 0, 0] = 2.0
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[0, 1\]"):
        sig["encode"](images=tf.constant(images))
    images[0, 0, 0, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="finite"):
        sig["reconstruct"](images=tf.constant(images))
    latents = np.zeros((2, LATENT_DIM), np.float32)
    latents[1, 2] = np.inf
    with pytest.raises(tf.errors.InvalidArgumentError, match="finite"):
        sig["decode"](latents=tf.constant(latents))
    with pytest.raises(tf.errors.InvalidArgumentError, match="count"):
        sig["sample"](count=tf.constant(0), seed=tf.constant(1, tf.int64))
    # One request cannot ask for more images than a server should hold.
    with pytest.raises(tf.errors.InvalidArgumentError, match="<= 4096"):
        sig["sample"](count=tf.constant(10**8), seed=tf.constant(1, tf.int64))
    drawn = sig["sample"](
        count=tf.constant(4096), seed=tf.constant(1, tf.int64)
    )
    assert drawn["latents"].shape == (4096, LATENT_DIM)


def test_gaussian_export_accepts_images_outside_unit_range(
    spread_model, blob_images, tmp_path
):
    model = spread_model(likelihood="gaussian", latent_dim=2)
    path = export_saved_model(model, tmp_path / "gauss")
    with open(os.path.join(path, CONFIG_FILENAME)) as f:
        assert json.load(f)["likelihood"] == "gaussian"
    images = 1.5 * blob_images(3)
    out = tf.saved_model.load(path).signatures["encode"](
        images=tf.constant(images)
    )
    np.testing.assert_allclose(
        out["mean"].numpy(),
        model.encoder(images).numpy()[:, :2],
        rtol=1e-5,
        atol=1e-5,
    )


def test_load_rebuilds_the_keras_model_from_an_export(
    blob_images, model, exported, tmp_path
):
    images = blob_images(4, seed=3)
    rebuilt = keras_bvae.load(exported)
    assert isinstance(rebuilt, BetaVAE)
    assert rebuilt.get_config() == model.get_config()
    np.testing.assert_array_equal(rebuilt.encode(images), model.encode(images))
    # a saved_models/NAME folder with the export as savedmodel/
    folder = tmp_path / "NAME"
    export_saved_model(model, folder / EXPORT_SUBDIR)
    np.testing.assert_array_equal(
        keras_bvae.load(str(folder)).reconstruct(images),
        model.reconstruct(images),
    )


def test_cli_exports_a_saved_keras_file(blob_images, model, tmp_path, capsys):
    model.save(tmp_path / "model.keras")
    out = tmp_path / "exported"
    assert main(["export", str(tmp_path / "model.keras"), str(out)]) == 0
    assert "serving_default" in capsys.readouterr().out
    assert {"saved_model.pb", "variables", CONFIG_FILENAME} <= set(
        os.listdir(out)
    )
    images = blob_images(2)
    served = tf.saved_model.load(str(out))
    np.testing.assert_allclose(
        served.signatures["encode"](images=tf.constant(images))["mean"],
        model.encode(images),
        rtol=1e-5,
        atol=1e-5,
    )
    # without DIR: savedmodel/ inside the model folder
    assert main(["export", str(tmp_path)]) == 0
    assert os.path.isfile(tmp_path / EXPORT_SUBDIR / "saved_model.pb")


def test_cli_reports_a_bad_model_path(tmp_path, capsys):
    missing = tmp_path / "nope.keras"
    out = tmp_path / "out"
    assert main(["export", str(missing), str(out)]) == 2
    err = capsys.readouterr().err
    assert "keras-bvae export: error" in err and str(missing) in err
    assert not out.exists()


def test_non_empty_folder_is_refused_and_left_alone(model, tmp_path, capsys):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not empty"):
        export_saved_model(model, target)
    # overwrite only replaces an earlier export, never other folders
    with pytest.raises(FileExistsError, match="refusing"):
        export_saved_model(model, target, overwrite=True)
    assert os.listdir(target) == ["notes.txt"]
    assert (
        main(["export", "--overwrite", str(tmp_path / "m.keras"), str(target)])
        == 2
    )  # no such model
    model.save(tmp_path / "m.keras")
    assert main(["export", str(tmp_path / "m.keras"), str(target)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["busy", "m.keras"]  # no temp dirs


def test_overwrite_replaces_an_earlier_export(
    spread_model, blob_images, model, tmp_path
):
    target = tmp_path / "export"
    (target).mkdir()  # an empty folder is fine without overwrite
    export_saved_model(model, target)
    other = spread_model(seed=1)
    export_saved_model(other, target, overwrite=True)
    images = blob_images(2)
    mean = (
        tf.saved_model.load(str(target))
        .signatures["encode"](images=tf.constant(images))["mean"]
        .numpy()
    )
    np.testing.assert_allclose(mean, other.encode(images), rtol=1e-5, atol=1e-5)
    assert not np.allclose(mean, model.encode(images), atol=1e-3)
    assert os.listdir(tmp_path) == ["export"]


def test_a_failed_export_leaves_nothing_behind(model, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export_saved_model(model, tmp_path / "export")
    assert os.listdir(tmp_path) == []


def test_only_a_beta_vae_is_exported(tmp_path):
    with pytest.raises(TypeError, match="BetaVAE"):
        export_saved_model(
            keras.Sequential([keras.layers.Dense(2)]), tmp_path / "x"
        )


def test_a_failed_overwrite_keeps_the_earlier_export(
    spread_model, blob_images, model, tmp_path, monkeypatch
):
    target = tmp_path / "export"
    export_saved_model(model, target)
    before = sorted(os.listdir(target))

    def fail(*args, **kwargs):
        raise OSError("rename failed")

    monkeypatch.setattr("keras_bvae.export.os.replace", fail)
    with pytest.raises(OSError, match="rename failed"):
        export_saved_model(spread_model(seed=1), target, overwrite=True)
    monkeypatch.undo()
    assert sorted(os.listdir(target)) == before
    assert os.listdir(tmp_path) == ["export"]
    images = blob_images(2)
    mean = (
        tf.saved_model.load(str(target))
        .signatures["encode"](images=tf.constant(images))["mean"]
        .numpy()
    )
    np.testing.assert_allclose(mean, model.encode(images), rtol=1e-5, atol=1e-5)


def test_export_stores_each_weight_once(model, exported):
    variables = os.path.join(exported, "variables")
    stored = sum(
        os.path.getsize(os.path.join(variables, f))
        for f in os.listdir(variables)
    )
    weight_bytes = 4 * model.count_params()
    assert weight_bytes <= stored < 1.1 * weight_bytes
