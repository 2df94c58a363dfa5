"""Mixed precision: every objective trains under mixed_float16 and
mixed_bfloat16 close to float32, the loss is scaled, outputs are float32,
and a model saves and loads under a policy.

Tiny Dense networks (8x8 images) keep float16 fast on CPUs, where
TensorFlow's float16 convolution gradients are a slow reference kernel.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import BetaVAE
from keras_bvae.objectives import OBJECTIVES as OBJECTIVE_CLASSES
from keras_bvae.objectives import Objective
from keras_bvae.optimizers import CountingLossScaleOptimizer, FusedAdam
from keras_bvae.precision import check_bfloat16_support

SHAPE = (8, 8, 1)
LATENTS = 3
POLICIES = ("mixed_float16", "mixed_bfloat16")
OBJECTIVES = {
    "beta_vae": {"beta": 4.0},
    "annealed_vae": {"capacity_max": 5.0, "num_steps": 4, "gamma": 10.0},
    "beta_tcvae": {"beta": 6.0},
    "factor_vae": {
        "gamma": 10.0,
        "discriminator_layers": 2,
        "discriminator_units": 16,
        "seed": 0,
    },
    "dip_vae_i": {"lambda_od": 10.0},
    "dip_vae_ii": {"lambda_od": 10.0},
}
# Largest relative difference of a step's loss from float32's over six
# steps (the same seed, data and initial weights), measured over the six
# objectives on a Xeon with AMX: 8.2e-4 (float16) and 4.1e-3 (bfloat16,
# 8 significant bits), both dip_vae_i's; the tolerances allow 5x that.
TOLERANCE = {"mixed_float16": 5e-3, "mixed_bfloat16": 2e-2}


@pytest.fixture(autouse=True)
def restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def needs(policy):
    if policy == "mixed_bfloat16":
        try:
            check_bfloat16_support()
        except ValueError as error:
            pytest.skip(str(error))


def tiny_model(policy, objective="beta_vae", options=None, seed=0, **kwargs):
    """A BetaVAE of Dense networks built under ``policy``."""
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(seed)
    encoder = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(2 * LATENTS),
        ]
    )
    decoder = keras.Sequential(
        [
            keras.Input((LATENTS,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(int(np.prod(SHAPE))),
            keras.layers.Reshape(SHAPE),
        ]
    )
    if isinstance(objective, str):
        objective = OBJECTIVE_CLASSES[objective](**(options or {}))
    model = BetaVAE(
        latent_dim=LATENTS,
        image_shape=SHAPE,
        encoder=encoder,
        decoder=decoder,
        objective=objective,
        seed=seed,
        **kwargs,
    )
    keras.mixed_precision.set_global_policy("float32")
    return model


def data(num=64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((num, *SHAPE)) < 0.3).astype(np.float32)


def step_losses(model, images, steps=6, batch=16):
    out = []
    for i in range(steps):
        start = (i * batch) % len(images)
        logs = model.train_on_batch(
            images[start : start + batch], return_dict=True
        )
        out.append(logs)
    return out


def optimizer_for(policy):
    """Adam 1e-2; under float16 a loss scale that never overflows here.

    Keras's initial scale (2**15) overflows the first steps of some
    objectives, which are then skipped while the scale halves (tested in
    ``test_skipped_steps_still_count``); 16 keeps every update, so the
    losses compare step by step with float32's.
    """
    if policy == "mixed_float16":
        return CountingLossScaleOptimizer(FusedAdam(1e-2), initial_scale=16)
    return FusedAdam(1e-2)


_FLOAT32_LOSSES = {}


def float32_losses(name):
    if name not in _FLOAT32_LOSSES:
        model = tiny_model("float32", name, OBJECTIVES[name])
        model.compile(optimizer=optimizer_for("float32"))
        _FLOAT32_LOSSES[name] = step_losses(model, data())
    return _FLOAT32_LOSSES[name]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_every_objective_trains_close_to_float32(policy, name):
    needs(policy)
    model = tiny_model(policy, name, OBJECTIVES[name])
    model.compile(optimizer=optimizer_for(policy))
    got = step_losses(model, data())
    expected = float32_losses(name)
    for low, exact in zip(got, expected):
        assert set(low) == set(exact)
        for key, value in low.items():
            assert np.isfinite(value), (key, value)
        assert low["loss"] == pytest.approx(
            exact["loss"], rel=TOLERANCE[policy]
        )
    # The networks did compute in low precision; the terms are float32.
    assert model.encoder.layers[-1].compute_dtype == policy.split("_")[1]
    assert all(m.dtype == "float32" for m in model.metrics)
    terms = model.loss_terms(data(8))
    assert {t.dtype for t in terms.values()} == {tf.float32}


class TinyLoss(Objective):
    """The ELBO times 1e-7: its float16 gradients underflow to zero
    unless the loss is scaled."""

    def terms(self, inputs):
        return {"loss": 1e-7 * (inputs.distortion + inputs.rate)}

    def get_config(self):
        return super().get_config()


def test_the_loss_is_scaled_so_small_gradients_survive_float16():
    images = data(16)
    low = tiny_model("mixed_float16", TinyLoss())
    low.compile(optimizer=FusedAdam(1e-3))
    assert isinstance(low.optimizer, CountingLossScaleOptimizer)
    # Without the scale, the decoder's float16 gradients are all zero.
    with tf.GradientTape() as tape:
        loss = low.loss_terms(images, training=True)["loss"]
    unscaled = tape.gradient(loss, low.decoder.trainable_variables)
    assert not any(np.any(g.numpy()) for g in unscaled)
    exact = tiny_model("float32", TinyLoss())
    exact.compile(optimizer=FusedAdam(1e-3))
    before = [w.numpy() for w in low.decoder.weights]
    low.train_on_batch(images)
    exact.train_on_batch(images)
    assert int(low.optimizer.updates_made) == 1  # the step was not skipped
    for start, a, b in zip(before, low.decoder.weights, exact.decoder.weights):
        # Adam moved the weights as in float32 (about 1e-3 each; those
        # behind a ReLU that was off for the whole batch stay).
        moved, moved_exact = (
            np.mean(a.numpy() != start),
            np.mean(b.numpy() != start),
        )
        assert moved >= 0.9 * moved_exact > 0
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=2e-4)


def test_skipped_steps_still_count():
    # Keras's initial scale 2**15 overflows dip_vae_i's first float16
    # steps: they are skipped, yet counted as steps trained.
    model = tiny_model("mixed_float16", "dip_vae_i", OBJECTIVES["dip_vae_i"])
    model.compile(optimizer="adam")
    losses = step_losses(model, data())
    assert all(np.isfinite(logs["loss"]) for logs in losses)
    assert int(model.optimizer.iterations) == 6
    assert 0 < int(model.optimizer.updates_made) < 6
    assert float(model.optimizer.dynamic_scale) < 2.0**15


@pytest.mark.parametrize("policy", POLICIES)
def test_outputs_are_float32(policy, tmp_path):
    needs(policy)
    from keras_bvae.export import export_saved_model

    model = tiny_model(policy)
    model.compile(optimizer="adam")
    images = data(4)
    latents = np.zeros((2, LATENTS), np.float32)
    outputs = [
        model.encode(images),
        *model.posterior_params(images),
        model.decode(latents),
        model.reconstruct(images),
        model.sample(2, seed=0),
        model.predict(images, verbose=0),
        model(images).numpy(),
    ]
    assert [o.dtype for o in outputs] == [np.float32] * len(outputs)
    served = tf.saved_model.load(export_saved_model(model, tmp_path / "e"))
    for name, args in [
        ("encode", [tf.constant(images)]),
        ("decode", [tf.constant(latents)]),
        ("reconstruct", [tf.constant(images)]),
    ]:
        result = served.signatures[name](*args)
        assert {t.dtype for t in result.values()} == {tf.float32}, name
    codes = served.signatures["encode"](tf.constant(images))["mean"]
    np.testing.assert_allclose(codes.numpy(), model.encode(images), 1e-6)


@pytest.mark.parametrize("policy", POLICIES)
def test_save_load_and_resume_under_a_policy(policy, tmp_path):
    needs(policy)
    images = data()
    model = tiny_model(policy, "factor_vae", OBJECTIVES["factor_vae"])
    model.compile(optimizer="adam")
    model.fit(images[:32], batch_size=16, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    keras.mixed_precision.set_global_policy(policy)
    loaded = keras.models.load_model(path)
    keras.mixed_precision.set_global_policy("float32")
    assert loaded.dtype_policy.name == policy
    assert type(loaded.optimizer) is type(model.optimizer)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Training goes on from the saved state as if never interrupted (with
    # the noise seeds' states, which a TrainingBackup keeps beside them).
    for a, b in zip(model.seed_generators, loaded.seed_generators):
        b.state.assign(a.state)
    for m in (model, loaded):
        m.fit(images[32:], batch_size=16, epochs=1, verbose=0)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.optimizer.iterations) == 4
    # A float32 process reads the same model as float32.
    plain = keras.models.load_model(path)
    assert plain.dtype_policy.name == "float32"
    assert plain.encode(images).dtype == np.float32


def test_compile_adam_by_name_is_the_fused_adam():
    images = data(32)
    named = tiny_model("float32")
    named.compile(optimizer="adam")
    assert type(named.optimizer) is FusedAdam
    reference = keras.optimizers.get("adam")
    for key in ("learning_rate", "beta_1", "beta_2", "epsilon"):
        assert (
            named.optimizer.get_config()[key] == (reference.get_config()[key])
        )
    given = keras.optimizers.Adam()
    plain = tiny_model("float32")
    plain.compile(optimizer=given)
    assert plain.optimizer is given
    for m in (named, plain):
        m.fit(images, batch_size=16, epochs=1, verbose=0)
    for a, b in zip(named.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: [])


@pytest.mark.parametrize("command", ["train", "sweep", "compare"])
def test_cli_refuses_float16_without_a_gpu(command, no_gpu, tmp_path, capsys):
    from keras_bvae import cli

    out = tmp_path / "out"
    args = [command, "--out", str(out), "--precision", "float16"]
    if command == "sweep":
        args += ["--betas", "1"]
    assert cli.main(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert "float16' needs a GPU" in error and "bfloat16" in error
    assert not out.exists()


def test_train_config_checks_the_precision_name():
    from keras_bvae.runs.config import TrainConfig

    assert TrainConfig().precision == "float32"
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainConfig(precision="half")


def test_cli_trains_in_bfloat16(tmp_path, blob_images):
    needs("mixed_bfloat16")
    import json

    from keras_bvae import cli, load

    folder = tmp_path / "images"
    folder.mkdir()
    from PIL import Image

    for i, image in enumerate(blob_images(8, size=16)):
        Image.fromarray((image[..., 0] * 255).astype(np.uint8)).save(
            folder / f"{i}.png"
        )
    out = tmp_path / "run"
    args = ["train", "--data", f"folder:{folder}", "--image-size", "16"]
    args += ["--channels", "1", "--out", str(out), "--latent-dim", "2"]
    args += ["--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "3"]
    assert cli.main([*args, "--verbose", "0", "--precision", "bfloat16"]) == 0
    assert json.loads((out / "config.json").read_text())["precision"] == (
        "bfloat16"
    )
    assert keras.mixed_precision.global_policy().name == "float32"
    model = load(str(out / "model.keras"))  # float32 where it is loaded
    codes = model.encode(blob_images(4, size=16))
    assert codes.dtype == np.float32 and np.isfinite(codes).all()


@pytest.mark.parametrize("architecture", ["burgess", "higgins"])
def test_the_latent_code_keeps_float32_precision(architecture):
    """Under mixed_bfloat16 the layers next to the code compute in float32:
    a change of a latent far below bfloat16's resolution (steps of 0.0078
    near 1.5) still reaches the decoder, and the posterior mean is not
    rounded to bfloat16."""
    needs("mixed_bfloat16")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    model = BetaVAE(latent_dim=4, architecture=architecture)
    model(np.zeros((1, 64, 64, 1), np.float32))
    assert model.encoder.get_layer("posterior_params").compute_dtype == (
        "float32"
    )
    assert model.decoder.get_layer("dense1").compute_dtype == "float32"
    assert model.encoder.get_layer("dense1").compute_dtype == "bfloat16"
    assert model.decoder.get_layer("dense2").compute_dtype == "bfloat16"
    z = np.full((1, 4), 1.5, np.float32)
    assert not np.array_equal(model.decode(z), model.decode(z + 1e-4))
    images = (np.random.default_rng(0).random((8, 64, 64, 1)) < 0.1).astype(
        np.float32
    )
    means = model.encode(images)
    as_bf16 = tf.cast(tf.cast(means, tf.bfloat16), tf.float32).numpy()
    assert not np.array_equal(means, as_bf16)
