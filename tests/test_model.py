"""BetaVAE: the objective, training, inference helpers and serialisation."""

import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import blob_images as make_blobs

from keras_bvae import BetaVAE, CapacitySchedule


def test_loss_falls_over_a_short_fit(images):
    keras.utils.set_random_seed(0)
    model = BetaVAE(latent_dim=3, beta=1.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(images, batch_size=16, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_logged_loss_is_reconstruction_plus_beta_times_kl(small_model, images):
    model = small_model(beta=4.0)
    model.fit(images, batch_size=16, epochs=1, verbose=0)
    logs = model.evaluate(images, batch_size=16, verbose=0, return_dict=True)
    expected = logs["reconstruction_loss"] + 4.0 * logs["kl"]
    assert logs["kl"] > 0
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(
        logs["elbo"], -(logs["reconstruction_loss"] + logs["kl"]), rtol=1e-5
    )
    per_dim = sum(logs[f"kl_{i}"] for i in range(3))
    np.testing.assert_allclose(per_dim, logs["kl"], rtol=1e-5)


def test_beta_zero_and_four_differ_by_exactly_four_kl(small_model, images):
    plain = small_model(beta=0.0)
    # shift the posterior means to ~1 so the KL (~1.5 nats) is well above
    # float32 rounding of a ~2800-nat loss
    head = plain.encoder.get_layer("posterior_params")
    head.bias.assign(head.bias + np.r_[np.ones(3), np.zeros(3)])
    weighted = small_model(beta=4.0)
    weighted.set_weights(plain.get_weights())  # same weights, same noise state
    a = plain.loss_terms(images)
    b = weighted.loss_terms(images)
    np.testing.assert_allclose(a["kl"], b["kl"], rtol=1e-6)
    np.testing.assert_allclose(b["loss"] - a["loss"], 4.0 * a["kl"], rtol=1e-4)
    np.testing.assert_allclose(a["loss"], a["reconstruction_loss"], rtol=1e-6)


def test_tfp_kl_equals_closed_form(small_model, images):
    model = small_model()
    mean, logvar = model.posterior_params(images)
    kl_tfp = model.posterior(images).kl_divergence(model.prior()).numpy()
    closed = 0.5 * np.sum(mean**2 + np.exp(logvar) - 1.0 - logvar, axis=1)
    np.testing.assert_allclose(kl_tfp, closed, rtol=1e-4, atol=1e-5)


def test_normalized_beta_converts_to_raw_beta():
    model = BetaVAE(latent_dim=10, normalized_beta=0.01)
    assert model.beta == pytest.approx(0.01 * 4096 / 10)
    assert model.normalized_beta == pytest.approx(0.01)
    assert BetaVAE(latent_dim=10).beta == 1.0


def test_capacity_objective_uses_the_annealed_target(small_model, images):
    schedule = CapacitySchedule(capacity_max=10.0, num_steps=4, gamma=100.0)
    model = small_model(capacity=schedule)
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(2)  # C = 10 * 2 / 4 = 5
    terms = model.loss_terms(images)
    expected = terms["reconstruction_loss"] + 100.0 * abs(terms["kl"] - 5.0)
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-5)
    assert schedule.capacity(100) == 10.0


def test_trackers_reset_every_epoch(small_model, images):
    model = small_model(beta=1.0)
    history = model.fit(images, batch_size=16, epochs=2, verbose=0)
    # A running mean over both epochs could not exceed the first epoch's
    # loss by construction; per-epoch means match evaluate-style resets.
    assert len(history.history["loss"]) == 2
    assert {"loss", "reconstruction_loss", "kl", "elbo", "kl_0"} <= set(
        history.history
    )
    for metric in model.metrics:
        metric.reset_state()
    assert float(model.term_trackers["loss"].result()) == 0.0


def test_accepts_uint8_dicts_and_datasets(small_model, images):
    model = small_model()
    as_uint8 = images.astype(np.uint8)
    np.testing.assert_allclose(
        model.encode(as_uint8), model.encode(images), atol=1e-6
    )
    np.testing.assert_allclose(
        model.encode({"image": as_uint8}), model.encode(images), atol=1e-6
    )
    ds = tf.data.Dataset.from_tensor_slices({"image": as_uint8}).batch(16)
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_inference_shapes(small_model, images):
    model = small_model(latent_dim=4)
    assert model.encode(images).shape == (32, 4)
    assert model.reconstruct(images[:5]).shape == (5, 64, 64, 1)
    assert model.decode(np.zeros((2, 4))).shape == (2, 64, 64, 1)
    samples = model.sample(3, seed=1)
    assert samples.shape == (3, 64, 64, 1)
    assert samples.min() >= 0 and samples.max() <= 1
    traversal = model.traverse(images[:1], dims=[0, 2], values=[-1, 0, 1])
    assert traversal.shape == (2, 3, 64, 64, 1)
    # the middle column (value 0) differs from the ends only in latent 0/2
    assert not np.allclose(traversal[0, 0], traversal[0, 2])


def test_higgins_mlp_trains(small_model, images):
    model = small_model(architecture="higgins", latent_dim=2)
    history = model.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_gaussian_likelihood_accepts_values_outside_unit_range(
    small_model, blob_images
):
    model = small_model(likelihood="gaussian")
    x = blob_images(4) * 1.5
    assert np.isfinite(model.encode(x)).all()


def test_custom_networks_round_trip(small_model, tmp_path, images):
    encoder = keras.Sequential(
        [
            keras.Input((64, 64, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(4),
        ]
    )
    decoder = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(64 * 64),
            keras.layers.Reshape((64, 64, 1)),
        ]
    )
    model = small_model(latent_dim=2, encoder=encoder, decoder=decoder)
    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.encode(images), model.encode(images))


@pytest.mark.parametrize(
    "objective",
    [
        {"normalized_beta": 0.002},
        {"capacity": {"capacity_max": 5.0, "num_steps": 10, "gamma": 10.0}},
    ],
)
def test_config_round_trip(objective):
    model = BetaVAE(latent_dim=5, likelihood="gaussian", **objective)
    clone = BetaVAE.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.beta == model.beta
    assert type(clone.objective) is type(model.objective)


def test_config_of_earlier_versions_loads():
    # keras_bvae 0.1 wrote the objective as beta / normalized_beta /
    # capacity keys (the committed saved models have such configs).
    old = {
        "latent_dim": 4,
        "architecture": "burgess",
        "beta": None,
        "normalized_beta": 0.03,
        "likelihood": "bernoulli",
        "gaussian_scale": 0.5,
        "image_shape": [64, 64, 1],
        "capacity": None,
        "encoder": None,
        "decoder": None,
        "seed": 0,
        "name": "beta_vae",
    }
    model = BetaVAE.from_config(old)
    assert model.beta == pytest.approx(0.03 * 4096 / 4)
    # With capacity it also wrote the default beta it ignored.
    annealed = BetaVAE.from_config(
        {
            **old,
            "beta": 4.0,
            "normalized_beta": None,
            "capacity": {"capacity_max": 5.0},
        }
    )
    assert annealed.objective.schedule.capacity_max == 5.0


def test_capacity_and_beta_together_are_refused():
    with pytest.raises(ValueError, match="replaces beta"):
        BetaVAE(latent_dim=2, beta=4.0, capacity={"capacity_max": 5.0})


def test_keras_file_round_trip_in_a_fresh_process(
    small_model, tmp_path, images
):
    model = small_model(beta=4.0)
    model.fit(images, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", images)
    script = textwrap.dedent(f"""
        import numpy as np, keras
        import keras_bvae  # keras is imported: registers the classes
        model = keras.models.load_model({str(path)!r})
        np.save({str(tmp_path / "codes.npy")!r},
                model.encode(np.load({str(tmp_path / "x.npy")!r})))
        assert model.beta == 4.0
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    codes = np.load(tmp_path / "codes.npy")
    np.testing.assert_array_equal(codes, model.encode(images))


BAD_CONSTRUCTION = [
    (dict(beta=-1.0), "beta must be finite and >= 0; got -1.0"),
    (dict(beta=float("nan")), "beta must be finite"),
    (dict(latent_dim=0), "latent_dim must be an integer >= 1; got 0"),
    (dict(latent_dim=2.5), "latent_dim must be an integer >= 1; got 2.5"),
    (dict(beta=1.0, normalized_beta=0.1), "not both"),
    (dict(architecture="resnet"), "unknown architecture 'resnet'"),
    (dict(likelihood="poisson"), "unknown likelihood 'poisson'"),
    (dict(image_shape=(60, 60, 1)), "4 times a power of two"),
]


@pytest.mark.parametrize("kwargs, message", BAD_CONSTRUCTION)
def test_bad_construction_raises_clear_errors(kwargs, message):
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        BetaVAE(**kwargs)


def _with_nan():
    x = make_blobs(2)
    x[1, 3, 4, 0] = np.nan
    return x


BAD_IMAGES = [
    (np.zeros((64, 64, 1)), "got a single image of shape"),
    (
        np.zeros((2, 32, 32, 1)),
        r"must have shape \(B, 64, 64, 1\); got \(2, 32",
    ),
    (np.zeros((2, 64, 64)), "must have rank 4"),
    (np.zeros((0, 64, 64, 1)), "empty batch"),
    (_with_nan(), r"nan at index \(1, 3, 4, 0\)"),
    (np.full((2, 64, 64, 1), 255, np.uint8), "must lie in \\[0, 1\\].*255"),
    (-make_blobs(2), "must lie in \\[0, 1\\]"),
    ({"img": np.zeros((2, 64, 64, 1))}, "under 'image'"),
    (np.array([["a"]]), "must be numeric"),
]


@pytest.mark.parametrize("bad, message", BAD_IMAGES)
def test_bad_images_raise_clear_errors(small_model, bad, message):
    model = small_model()
    with pytest.raises(ValueError, match=message):
        model.encode(bad)
    with pytest.raises(ValueError, match=message):
        model.fit(bad, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "entry",
    [
        "train_on_batch",
        "test_on_batch",
        "predict_on_batch",
        "predict",
        "evaluate",
    ],
)
def test_every_keras_entry_point_refuses_bad_images(small_model, entry):
    model = small_model()
    weights = model.get_weights()
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\].*3.0"):
        getattr(model, entry)(np.full((4, 64, 64, 1), 3.0, np.float32))
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # nothing trained


def test_progress_bar_fits_one_100_column_line(small_model, images, capsys):
    # 10 latents, 500 steps per epoch (the default run): one line per
    # epoch, with the loss terms and without kl_0..kl_9 or the ELBO.
    encoder = keras.Sequential(
        [
            keras.Input((64, 64, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(20),
        ]
    )
    decoder = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64 * 64),
            keras.layers.Reshape((64, 64, 1)),
        ]
    )
    model = small_model(latent_dim=10, encoder=encoder, decoder=decoder)
    dataset = tf.data.Dataset.from_tensors(images[:4]).repeat()
    model.fit(dataset, epochs=1, steps_per_epoch=500, verbose=1)
    out = capsys.readouterr().out
    last = out.replace("\r", "\n").strip().splitlines()[-1]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", last)
    assert "loss:" in plain and "reconstruction_loss:" in plain
    assert "kl_0" not in plain and "elbo" not in plain
    assert len(plain) <= 100, plain
    history = model.history.history
    assert {"elbo", "kl_0", "kl_9"} <= set(history)


def test_bad_dataset_elements_raise(small_model):
    model = small_model()
    wrong_shape = tf.data.Dataset.from_tensor_slices(
        np.zeros((4, 32, 32, 1), np.float32)
    ).batch(2)
    with pytest.raises(ValueError, match="this model needs"):
        model.fit(wrong_shape, epochs=1, verbose=0)
    out_of_range = tf.data.Dataset.from_tensor_slices(
        np.full((4, 64, 64, 1), 2.0, np.float32)
    ).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="\\[0, 1\\]"):
        model.fit(out_of_range, epochs=1, verbose=0)


def test_bad_latents_and_dims_raise(small_model):
    model = small_model()
    with pytest.raises(ValueError, match=r"shape \(B, 3\)"):
        model.decode(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        model.decode(np.full((1, 3), np.inf))
    with pytest.raises(ValueError, match="latent dimension 7 is out of range"):
        model.traverse(dims=[7])
    with pytest.raises(ValueError, match="num must be >= 1"):
        model.sample(0)
