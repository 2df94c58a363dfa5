"""Adding an objective is one module and its registration (no model edit)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import BetaVAE
from keras_bvae.objectives import (
    OBJECTIVES,
    BetaVAEObjective,
    Objective,
    get_objective,
    register_objective,
)


@register_objective("test_l1_vae")
class L1VAE(Objective):
    """A test objective: the VAE loss plus an L1 penalty on z, logged."""

    term_names = ("l1",)

    def __init__(self, weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight

    def terms(self, inputs):
        l1 = tf.reduce_mean(tf.reduce_sum(tf.abs(inputs.z), axis=-1))
        loss = inputs.distortion + inputs.rate + self.weight * l1
        return {"loss": loss, "l1": l1}

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


def test_registered_objective_trains_logs_and_round_trips(
    small_model, images, tmp_path
):
    assert OBJECTIVES["test_l1_vae"] is L1VAE
    model = small_model(objective=L1VAE(weight=2.0))
    history = model.fit(images, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["l1"][0])
    terms = model.loss_terms(images)
    # No noise difference matters here: the loss is built from the same
    # terms it returns.
    expected = terms["reconstruction_loss"] + terms["kl"] + 2.0 * terms["l1"]
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-5)
    path = str(tmp_path / "l1.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.objective) is L1VAE
    assert loaded.objective.weight == 2.0
    np.testing.assert_allclose(
        loaded.encode(images), model.encode(images), atol=1e-6
    )


def test_objective_by_name():
    model = BetaVAE(latent_dim=2, architecture="higgins", objective="beta_vae")
    assert type(model.objective) is BetaVAEObjective
    assert isinstance(get_objective("test_l1_vae"), L1VAE)


def test_unknown_objective_lists_the_names():
    with pytest.raises(ValueError, match="unknown objective 'nope'.*beta_vae"):
        BetaVAE(latent_dim=2, objective="nope")


def test_objective_and_beta_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        BetaVAE(latent_dim=2, objective="beta_vae", beta=4.0)


def test_objective_without_loss_is_refused(objective_inputs):
    class NoLoss(Objective):
        def terms(self, inputs):
            return {"l1": inputs.rate}

    with pytest.raises(ValueError, match="must return a 'loss'"):
        NoLoss().loss_terms(objective_inputs())
