"""TrainingBackup and NonFiniteLossGuard: what a backup holds, how it is
restored (by train() and by BetaVAE.fit), and the guard's message."""

import json
import os

import numpy as np
import pytest

from keras_bvae.callbacks import NonFiniteLossGuard, TrainingBackup


@pytest.fixture
def tiny_model(small_model):
    """A 16x16 model with 2 latents."""

    def make(seed=0):
        return small_model(latent_dim=2, image_shape=(16, 16, 1), seed=seed)

    return make


def test_backup_restores_noise_seed_and_step(tiny_model, blob_images, tmp_path):
    images = blob_images(16, size=16)
    model = tiny_model()
    backup = TrainingBackup(
        str(tmp_path / "b"), save_freq=2, delete_on_end=False
    )
    model.fit(images, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    assert state["step"] == 4
    # Keras' save_weights omits the SeedGenerator; the backup keeps it.
    assert state["seed_states"] == [model.noise_seed.state.numpy().tolist()]
    assert state["seed_states"] != [[0, 0]]

    other = tiny_model(seed=1)
    assert TrainingBackup(str(tmp_path / "b")).restore(other) == 4
    assert int(other.optimizer.iterations.numpy()) == 4
    np.testing.assert_array_equal(
        other.noise_seed.state.numpy(), model.noise_seed.state.numpy()
    )
    for a, b in zip(model.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_plain_fit_resumes_at_the_epoch_of_the_backup(
    tiny_model, blob_images, tmp_path
):
    images = blob_images(16, size=16)
    model = tiny_model()
    backup_dir = str(tmp_path / "b")
    model.fit(
        images,
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[TrainingBackup(backup_dir, delete_on_end=False)],
    )
    again = tiny_model()
    history = again.fit(
        images,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[TrainingBackup(backup_dir)],
    )
    assert history.epoch == [2]
    assert int(again.optimizer.iterations.numpy()) == 6
    assert not os.path.exists(backup_dir)


def test_a_backup_is_never_written_from_nan_weights(
    tiny_model, blob_images, tmp_path
):
    model = tiny_model()
    model.fit(blob_images(8, size=16), batch_size=8, epochs=1, verbose=0)
    backup = TrainingBackup(str(tmp_path / "b"))
    backup.set_model(model)
    assert backup.save({"loss": 1.0}) is not None
    assert backup.save({"loss": float("nan")}) is None
    kernel = model.decoder.weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    assert backup.save({"loss": 1.0}) is None
    assert backup.last_step == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "unreadable"),
        ('{"step": 3, "weights": "gone.weights.h5"}', "missing"),
    ],
)
def test_corrupt_backup_gives_a_clear_error(
    tiny_model, tmp_path, content, message
):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "state.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        TrainingBackup(str(folder)).restore(tiny_model())


def test_guard_names_step_and_backup(tiny_model, tmp_path):
    backup = TrainingBackup(str(tmp_path / "b"))
    backup.last_checkpoint, backup.last_step = "x/step-000000004.h5", 4
    guard = NonFiniteLossGuard(backup)
    guard.set_model(tiny_model())
    guard.on_train_batch_end(0, {"loss": 3.0})
    with pytest.raises(
        RuntimeError,
        match=r"loss became inf at training "
        r"step 0 .*x/step-000000004.h5 \(step 4\)",
    ):
        guard.on_train_batch_end(1, {"loss": float("inf")})
