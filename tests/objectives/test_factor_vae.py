"""FactorVAE (Kim & Mnih 2018): the discriminator's TC estimate, its own
update, and its weights and optimiser state in saved models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae.objectives import FactorVAE
from keras_bvae.objectives.factor_vae import build_discriminator


def small_factor_vae(**kwargs):
    kwargs.setdefault("discriminator_layers", 2)
    kwargs.setdefault("discriminator_units", 16)
    kwargs.setdefault("seed", 0)
    objective = FactorVAE(**kwargs)
    objective.configure(latent_dim=3, input_size=16)
    return objective


def numpy_logits(discriminator, z):
    """The MLP evaluated by hand from its weights."""
    h = z
    dense = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    for layer in dense[:-1]:
        kernel, bias = (w.numpy() for w in layer.weights)
        h = h @ kernel + bias
        h = np.where(h > 0, h, 0.2 * h)
    kernel, bias = (w.numpy() for w in dense[-1].weights)
    return h @ kernel + bias


def test_discriminator_has_the_papers_shape():
    d = build_discriminator(10)
    units = [x.units for x in d.layers if isinstance(x, keras.layers.Dense)]
    assert units == [1000] * 6 + [2]
    leaky = [x for x in d.layers if isinstance(x, keras.layers.LeakyReLU)]
    assert len(leaky) == 6
    objective = FactorVAE()
    objective.configure(latent_dim=10, input_size=4096)
    optimizer = objective.discriminator_optimizer
    assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    assert (optimizer.beta_1, optimizer.beta_2) == (0.5, 0.9)


def test_tc_is_the_mean_logit_difference(objective_inputs):
    objective = small_factor_vae(gamma=30.0)
    inputs = objective_inputs(batch=6, latents=3)
    logits = numpy_logits(objective.discriminator, inputs.z.numpy())
    tc = float(np.mean(logits[:, 0] - logits[:, 1]))
    terms = objective.loss_terms(inputs)
    np.testing.assert_allclose(float(terms["total_correlation"]), tc, 1e-5)
    expected = float(inputs.distortion + inputs.rate) + 30.0 * tc
    np.testing.assert_allclose(float(terms["loss"]), expected, rtol=1e-5)


def test_update_trains_the_discriminator_only(objective_inputs):
    objective = small_factor_vae()
    objective.discriminator_optimizer.learning_rate.assign(1e-2)
    inputs = objective_inputs(batch=32, latents=3)
    # Correlated codes: q(z) differs from the product of its marginals.
    z = np.repeat(inputs.z.numpy()[:, :1], 3, axis=1)
    inputs = inputs._replace(z=tf.constant(z))
    before = [w.numpy() for w in objective.discriminator.weights]
    first = objective.update(inputs)
    for _ in range(60):
        last = objective.update(inputs)
    after = [w.numpy() for w in objective.discriminator.weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    assert int(objective.discriminator_optimizer.iterations) == 61
    assert float(last["discriminator_loss"]) < float(
        first["discriminator_loss"]
    )
    assert float(last["discriminator_accuracy"]) > 0.7


def test_vae_optimiser_leaves_the_discriminator_alone(small_model, images):
    model = small_model(objective=small_factor_vae())
    disc = model.objective.discriminator.weights
    # Still counted: among the non-trainable weights (Keras's summary).
    non_trainable = {id(v) for v in model.non_trainable_weights}
    assert {id(v) for v in disc} <= non_trainable
    total = sum(int(np.prod(v.shape)) for v in model.weights)
    assert model.count_params() == total
    assert not {id(v) for v in disc} & {
        id(v) for v in model.trainable_variables
    }
    history = model.fit(images, batch_size=16, epochs=1, verbose=0)
    logs = {k: v[0] for k, v in history.history.items()}
    for name in FactorVAE.term_names:
        assert np.isfinite(logs[name]), name
    # Two VAE steps, and one discriminator step after each.
    assert int(model.optimizer.iterations) == 2
    assert int(model.objective.discriminator_optimizer.iterations) == 2


def test_saved_model_keeps_discriminator_and_its_optimizer(
    small_model, images, tmp_path
):
    model = small_model(objective=small_factor_vae(gamma=20.0))
    model.fit(images, batch_size=16, epochs=1, verbose=0)
    path = str(tmp_path / "factor.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.objective, FactorVAE)
    assert loaded.objective.gamma == 20.0
    saved = model.objective.discriminator_optimizer.variables
    restored = loaded.objective.discriminator_optimizer.variables
    assert int(loaded.objective.discriminator_optimizer.iterations) == 2
    for a, b in zip(
        [*model.objective.discriminator.weights, *saved],
        [*loaded.objective.discriminator.weights, *restored],
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Training goes on from the restored state.
    loaded.fit(images, batch_size=16, epochs=1, verbose=0)
    assert int(loaded.objective.discriminator_optimizer.iterations) == 4


def test_evaluate_logs_the_discriminator(small_model, images):
    model = small_model(objective=small_factor_vae())
    logs = model.evaluate(images, batch_size=16, verbose=0, return_dict=True)
    assert 0.0 <= logs["discriminator_accuracy"] <= 1.0
    assert logs["discriminator_loss"] > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="gamma"):
        FactorVAE(gamma=-1.0)
    with pytest.raises(ValueError, match="discriminator_layers"):
        FactorVAE(discriminator_layers=0)
    with pytest.raises(ValueError, match="beta_1"):
        FactorVAE(beta_1=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        FactorVAE(learning_rate=0.0)


def test_permutations_do_not_follow_the_noise(small_model):
    # Model and objective seeded alike (as train() does): the shuffled
    # order must not be drawn from the reparameterisation noise's bits.
    import keras_bvae.objectives.factor_vae as module

    model = small_model(objective=small_factor_vae(seed=0))
    noise = model._noise(tf.zeros((4096, 3))).numpy()
    seed = tf.random.experimental.stateless_fold_in(
        model.objective.permutation_seed.next(), module._PERMUTATION_STREAM
    )
    keys = tf.random.stateless_uniform((4096, 3), seed=seed).numpy()
    assert abs(np.corrcoef(np.abs(noise).ravel(), keys.ravel())[0, 1]) < 0.05
