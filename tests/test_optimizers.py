"""FusedAdam: Keras's Adam to float rounding, on the fused kernel."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae.optimizers import FusedAdam


def _train(optimizer, steps=5):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8), keras.layers.Dense(3)]
    )
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps * 8, 6)).astype("float32")
    y = rng.normal(size=(steps * 8, 3)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"clipnorm": 0.1}, {"weight_decay": 0.01}, {"beta_1": 0.5}],
)
def test_equals_keras_adam(kwargs):
    keras_model = _train(keras.optimizers.Adam(1e-2, **kwargs))
    fused_model = _train(FusedAdam(1e-2, **kwargs))
    # Equal to float rounding: the two order their float32 operations
    # differently, which after 5 steps leaves differences of ~1e-7.
    for a, b in zip(keras_model.get_weights(), fused_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    keras_vars = keras_model.optimizer.variables
    fused_vars = fused_model.optimizer.variables

    # The same slots in the same order, so weights files load into either.
    def slots(variables):
        kinds = [
            v.path.rsplit("/", 1)[-1].rsplit("_", 1)[-1] for v in variables
        ]
        return list(zip(kinds, [v.shape for v in variables]))

    assert slots(keras_vars) == slots(fused_vars)
    for a, b in zip(keras_vars, fused_vars):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


def test_betavae_step_equals_keras_adam(small_model, images):
    plain = small_model(seed=0, optimizer=keras.optimizers.Adam(1e-3))
    fused = small_model(seed=0, optimizer=FusedAdam(1e-3))
    start = plain.get_weights()
    for model in (plain, fused):
        model.fit(images[:16], batch_size=16, epochs=1, verbose=0)
    for a, b in zip(plain.get_weights(), fused.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert not np.allclose(plain.get_weights()[0], start[0])


def test_refuses_amsgrad_and_distribution():
    with pytest.raises(ValueError, match="amsgrad"):
        FusedAdam(amsgrad=True)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        variable = keras.Variable(np.zeros(3, np.float32))
        with pytest.raises(ValueError, match="default strategy"):
            FusedAdam().build([variable])


def test_saves_and_loads_with_the_model(tmp_path):
    model = _train(FusedAdam(1e-2))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is FusedAdam
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
