"""Resume: a run killed mid-epoch and rerun ends like an uninterrupted one.

The runs happen in subprocesses; the interrupted one is ended by SIGKILL
(no Python cleanup) right after a chosen step, some steps after a backup.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Trains a tiny model through keras_bvae.runs.train; KILL_AT_STEP makes
# the process SIGKILL itself at the end of that optimiser step.
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    sys.path.insert(0, {tests!r})
    import keras
    import numpy as np
    from support import blob_images
    from keras_bvae.runs.training import TrainConfig, train

    out = sys.argv[1]
    kill_at = int(os.environ.get("KILL_AT_STEP", "0"))

    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    config = TrainConfig(
        output_dir=out, latent_dim=2, batch_size=8, epochs=3,
        steps_per_epoch=5, backup_every=3, learning_rate=3e-3, seed=7,
        **json.loads(os.environ["OBJECTIVE"]),
    )
    model, _ = train(
        config, data=blob_images(36, seed=3, size=16), verbose=0,
        callbacks=[Kill()] if kill_at else [],
    )
    np.savez(
        os.path.join(out, "state.npz"),
        *[v.numpy() for v in model.weights],
        *[v.numpy() for v in model.optimizer.variables],
        *[v.numpy() for v in model.objective.variables],
        *[v.numpy() for v in getattr(
            model.objective, "discriminator_optimizer", model.optimizer
        ).variables],
    )
    """
).format(tests=TESTS)


# The objective settings of the child's run: capacity annealing, and
# FactorVAE, whose discriminator and its Adam must survive the kill too;
# the beta-VAE with Adagrad (Higgins et al.'s optimizer), whose
# accumulators must.
ANNEALED = {
    "objective": "annealed_vae",
    "objective_args": {"capacity_max": 5.0, "num_steps": 12, "gamma": 10.0},
}
FACTOR_VAE = {"objective": "factor_vae", "objective_args": {"gamma": 5.0}}
ADAGRAD = {"optimizer": "adagrad"}


def start_child(script, out, kill_at=None, objective=None):
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        OBJECTIVE=json.dumps(ANNEALED if objective is None else objective),
    )
    if kill_at:
        env["KILL_AT_STEP"] = str(kill_at)
    return subprocess.Popen(
        [sys.executable, str(script), str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process):
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr[-3000:]


def load_state(out):
    with np.load(os.path.join(out, "state.npz")) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def _bfloat16_missing() -> bool:
    from keras_bvae.precision import check_bfloat16_support

    try:
        check_bfloat16_support()
    except ValueError:
        return True
    return False


# The same under the mixed_bfloat16 policy (a CPU with AMX or AVX512_BF16).
BFLOAT16 = pytest.param(
    {**FACTOR_VAE, "precision": "bfloat16"},
    marks=pytest.mark.skipif(_bfloat16_missing(), reason="no bfloat16"),
    id="factor_vae-bfloat16",
)


@pytest.mark.parametrize("objective", [ANNEALED, FACTOR_VAE, ADAGRAD, BFLOAT16])
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, objective):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    full, broken = tmp_path / "full", tmp_path / "broken"

    # 5 steps per epoch, backups every 3 steps and at epoch ends: the last
    # backup before step 8 is step 6 = epoch 1, batch 1 (mid-epoch).
    done = start_child(script, full, objective=objective)
    killed = start_child(script, broken, kill_at=8, objective=objective)
    code, stderr = finish(done)
    assert code == 0, stderr
    code, stderr = finish(killed)
    assert code == -signal.SIGKILL, stderr
    assert not (broken / "model.keras").exists()
    state = json.loads((broken / "backup" / "state.json").read_text())
    assert (state["step"], state["epoch"], state["batch"]) == (6, 1, 1)
    assert state["metrics"] is not None  # mid-epoch tracker sums kept

    code, stderr = finish(start_child(script, broken, objective=objective))
    assert code == 0, stderr
    assert (broken / "model.keras").exists()
    assert not (broken / "backup").exists()  # removed after success
    summary = json.loads((broken / "summary.json").read_text())
    assert summary["resumed_from_step"] == 6

    # Weights, Adam moments and step count: identical to the last bit.
    expected, got = load_state(full), load_state(broken)
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)
    # Every epoch's logged means too, the interrupted epoch included:
    # exactly for the AnnealedVAE run; for FactorVAE (float32 and bfloat16)
    # one mean of the interrupted epoch has differed in the 7th digit (CI,
    # 2026-11-26 and 2026-12-06; not investigated) while every weight and
    # optimiser state was identical.
    full_rows = (full / "history.csv").read_text().splitlines()
    broken_rows = (broken / "history.csv").read_text().splitlines()
    assert full_rows[0] == broken_rows[0] and len(full_rows) == len(broken_rows)
    if objective.get("objective") != "factor_vae":
        assert full_rows == broken_rows
    expected_logs = np.array([r.split(",") for r in full_rows[1:]], float)
    got_logs = np.array([r.split(",") for r in broken_rows[1:]], float)
    np.testing.assert_allclose(got_logs, expected_logs, rtol=1e-6)


class CrashAtEnd(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        raise KeyboardInterrupt("stopped before model.keras was written")


def test_interruption_after_the_last_step_still_yields_the_model(
    blob_images, tmp_path
):
    from keras_bvae.runs.training import TrainConfig, train

    config = TrainConfig(
        output_dir=str(tmp_path / "run"),
        latent_dim=2,
        batch_size=8,
        epochs=1,
        steps_per_epoch=3,
    )
    images = blob_images(16, size=16)
    with pytest.raises(KeyboardInterrupt):
        train(config, data=images, verbose=0, callbacks=[CrashAtEnd()])
    assert not (tmp_path / "run" / "model.keras").exists()
    trained = json.loads(
        (tmp_path / "run" / "backup" / "state.json").read_text()
    )
    assert trained["step"] == 3

    model, history = train(config, data=images, verbose=0)
    assert history.epoch == []  # nothing left to train
    assert int(model.optimizer.iterations.numpy()) == 3
    assert (tmp_path / "run" / "model.keras").exists()
    assert not (tmp_path / "run" / "backup").exists()
    rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(rows) == 2  # header and the one epoch


class StopAt(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == self.step:
            raise KeyboardInterrupt("interrupted")


class Count(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("begin")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(epoch)

    def on_train_end(self, logs=None):
        self.calls.append("end")


def test_callbacks_see_one_training_run_after_a_mid_epoch_resume(
    blob_images, tmp_path
):
    from keras_bvae.runs.training import TrainConfig, train

    config = TrainConfig(
        output_dir=str(tmp_path / "run"),
        latent_dim=2,
        batch_size=8,
        epochs=3,
        steps_per_epoch=3,
        backup_every=2,
    )
    images = blob_images(16, size=16)
    with pytest.raises(KeyboardInterrupt):
        train(config, data=images, verbose=0, callbacks=[StopAt(5)])
    count = Count()
    # Backup at step 4 = epoch 1, batch 1: the resume needs two fit calls.
    _, history = train(config, data=images, verbose=0, callbacks=[count])
    assert count.calls == ["begin", 1, 2, "end"]
    assert history.epoch == [1, 2]
