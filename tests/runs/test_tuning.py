"""Keras Tuner over beta: the HyperModel, the objective, distributed mode."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import keras_tuner
import numpy as np
import pytest
from support import Squares

from keras_bvae.datasets import ImageSet
from keras_bvae.disentanglement.udr import codes_and_kl, udr
from keras_bvae.runs import tuning
from keras_bvae.runs.sweep import held_out_images

TINY_METRIC = {"num_train": 20, "num_eval": 20, "batch_size": 4}


def toy_hypermodel(betas, steps, **kwargs):
    return tuning.BetaVAEHyperModel(
        Squares(),
        betas=betas,
        latent_dims=2,
        architecture="higgins",
        batch_size=16,
        learning_rate=1e-3,
        steps_per_epoch=steps,
        metrics=["beta_vae"],
        metric_settings=TINY_METRIC,
        **kwargs,
    )


def test_search_space_and_objective():
    hm = tuning.BetaVAEHyperModel(
        Squares(),
        normalized_betas=[0.001, 0.01],
        latent_dims=[2, 4],
        capacity_max=[5.0],
        metrics=["mig", "beta_vae"],
    )
    assert hm.objective.name == "mig"
    assert hm.objective.direction == "max"
    hp = keras_tuner.HyperParameters()
    hp.values.update({"normalized_beta": 0.01, "latent_dim": 4})
    config = hm.config_for(hp)
    # capacity_max set: AnnealedVAE trains, and the beta is not passed on.
    assert (config.latent_dim, config.objective) == (4, "annealed_vae")
    assert config.objective_args["capacity_max"] == 5.0
    assert "normalized_beta" not in config.objective_args
    assert sorted(hp.values) == [
        "capacity_max",
        "latent_dim",
        "normalized_beta",
    ]
    model = hm.build(hp)
    # capacity_max set: the AnnealedVAE objective, which has no beta.
    assert model.objective.schedule.capacity_max == 5.0
    assert model.beta is None
    mixed = toy_hypermodel([1.0], 1, reconstruction_weight=2.0)
    assert mixed.objective.name == tuning.MIX_NAME
    assert mixed.score == "beta_vae_eval_accuracy"
    ranged = tuning.BetaVAEHyperModel(Squares(), beta_range=(0.5, 16))
    hp = keras_tuner.HyperParameters()
    assert 0.5 <= ranged.config_for(hp).objective_args["beta"] <= 16
    assert hp.space[0].sampling == "log"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "exactly one of betas"),
        (dict(betas=[1], beta_range=(1, 2)), "exactly one of betas"),
        (dict(betas=[1, -2]), "betas must be finite and >= 0; got -2.0"),
        (dict(beta_range=(4, 2)), "0 < low < high; got \\(4, 2\\)"),
        (dict(betas=[1], metrics=["higgins"]), "unknown metrics \\['higgins"),
        (dict(betas=[1], score="mig"), "score 'mig' is not logged"),
        (dict(betas=[1], latent_dims=[0]), "latent_dims must be integers"),
        (dict(betas=[1], batch_size=0), "batch_size must be an integer"),
        (dict(betas=[1], metrics=()), "metrics is empty.*score='udr'"),
        (dict(betas=[1], score="udr", udr_seeds=1), "udr_seeds must be"),
        (
            dict(betas=[1], score="udr", reconstruction_weight=1.0),
            "score='udr' takes no reconstruction_weight",
        ),
        (
            dict(betas=[1], score="udr", udr_method="pearson"),
            "udr_method must be one of .*'pearson'",
        ),
    ],
)
def test_bad_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tuning.BetaVAEHyperModel(Squares(), **kwargs)


def test_make_tuner_checks_algorithm(tmp_path):
    hm = toy_hypermodel([1.0], 1)
    with pytest.raises(ValueError, match="unknown algorithm 'hyperband'"):
        tuning.make_tuner(hm, "hyperband", directory=str(tmp_path))
    with pytest.raises(ValueError, match="'random' needs max_trials"):
        tuning.make_tuner(hm, "random", directory=str(tmp_path))


def test_distributed_role(monkeypatch):
    for name in (
        "KERASTUNER_ORACLE_IP",
        "KERASTUNER_ORACLE_PORT",
        "KERASTUNER_TUNER_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    assert tuning.distributed_role() is None
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    with pytest.raises(ValueError, match="not KERASTUNER_ORACLE_PORT"):
        tuning.distributed_role()
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    assert tuning.distributed_role() == "chief"
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner1")
    assert tuning.distributed_role() == "worker"


def test_tuner_picks_the_beta_with_the_better_objective(tmp_path):
    """beta = 500 vs 0.1 on 16 squares at 4 x 4 positions, 2 latents.

    With beta = 500 the KL term forces the posterior to the prior, so the
    decoder can only learn the mean image: distortion stays near the 16
    squares' entropy, hundreds of nats above what beta = 0.1 reaches. With
    a reconstruction weight of 20 per nat per pixel that gap outweighs any
    difference of the score (in [0, 1]), so beta = 0.1 must win. The
    worse beta is listed first, so taking the first trial would fail.
    """
    weight = 20.0
    hm = toy_hypermodel([500.0, 0.1], steps=40, reconstruction_weight=weight)
    tuner = tuning.tune(
        hm, epochs=1, directory=str(tmp_path), project_name="toy"
    )
    trials = {
        t.hyperparameters.values["beta"]: t
        for t in tuner.oracle.trials.values()
    }
    assert sorted(trials) == [0.1, 500.0]
    assert all(t.status == "COMPLETED" for t in trials.values())
    assert tuner.get_best_hyperparameters()[0].values == {"beta": 0.1}
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.hyperparameters.values == {"beta": 0.1}

    def last(beta, name):
        return trials[beta].metrics.get_last_value(name)

    # The premise: the reconstruction gap alone decides the objective.
    gap = last(500.0, "reconstruction_loss") - last(0.1, "reconstruction_loss")
    assert weight * gap / 4096 > 1.0
    assert last(500.0, "kl") < last(0.1, "kl")
    for beta in trials:
        expected = last(beta, "beta_vae_eval_accuracy") - (
            weight * last(beta, "reconstruction_loss") / 4096
        )
        assert last(beta, tuning.MIX_NAME) == pytest.approx(expected)


WORKER_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {tests!r})
    sys.path.insert(0, os.path.dirname({tests!r}))
    from test_tuning import toy_hypermodel
    from keras_bvae.runs import tuning

    hm = toy_hypermodel({betas!r}, steps=3, reconstruction_weight=20.0)
    tuner = tuning.make_tuner(hm, "grid", directory={directory!r},
                              project_name="dist")
    ran = []
    end = tuner.on_trial_end

    def on_trial_end(trial):
        ran.append(trial.trial_id)
        end(trial)

    tuner.on_trial_end = on_trial_end
    tuner.search(epochs=1)
    role = tuning.distributed_role()
    report = {{"role": role, "ran": ran}}
    if role == "chief":
        report["trials"] = {{
            tid: [t.status, t.hyperparameters.values["beta"]]
            for tid, t in tuner.oracle.trials.items()
        }}
        best = tuner.oracle.get_best_trials(1)[0]
        report["best"] = best.hyperparameters.values["beta"]
    print("REPORT " + json.dumps(report), flush=True)
""")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_distributed_chief_and_two_workers_on_loopback(tmp_path):
    """A chief oracle and two worker processes share a 4-beta grid."""
    betas = [500.0, 0.1, 2.0, 50.0]
    script = tmp_path / "tune.py"
    script.write_text(
        WORKER_SCRIPT.format(
            tests=os.path.dirname(os.path.abspath(__file__)),
            betas=betas,
            directory=str(tmp_path / "tuning"),
        )
    )
    port = free_loopback_port()
    base_env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": str(port),
    }
    procs = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        procs[tuner_id] = subprocess.Popen(
            [sys.executable, str(script)],
            env={**base_env, "KERASTUNER_TUNER_ID": tuner_id},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    deadline = time.time() + 420
    reports, errors = {}, {}
    try:
        for tuner_id, proc in procs.items():
            out, err = proc.communicate(
                timeout=max(1.0, deadline - time.time())
            )
            errors[tuner_id] = err[-3000:]
            assert proc.returncode == 0, (tuner_id, err[-3000:])
            lines = [ln for ln in out.splitlines() if ln.startswith("REPORT ")]
            reports[tuner_id] = json.loads(lines[-1][len("REPORT ") :])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    chief = reports["chief"]
    assert chief["role"] == "chief" and chief["ran"] == []
    assert sorted(b for _, b in chief["trials"].values()) == sorted(betas)
    assert all(s == "COMPLETED" for s, _ in chief["trials"].values())
    ran = reports["tuner0"]["ran"] + reports["tuner1"]["ran"]
    assert reports["tuner0"]["role"] == "worker"
    assert sorted(ran) == sorted(chief["trials"])  # each trial run once
    assert chief["best"] == 0.1


def test_another_objective_is_tuned_over_its_hyperparameter(tmp_path):
    hm = tuning.BetaVAEHyperModel(
        Squares(),
        objective="factor_vae",
        values=[10.0, 40.0],
        latent_dims=2,
        architecture="higgins",
    )
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    assert hp.values == {"gamma": 10.0}
    assert type(model.objective).__name__ == "FactorVAE"
    assert model.objective.gamma == 10.0
    hp.values["gamma"] = 40.0
    assert hm.config_for(hp).objective_args == {"gamma": 40.0}
    with pytest.raises(ValueError, match="tune dip_vae_i with values="):
        tuning.BetaVAEHyperModel(Squares(), objective="dip_vae_i", betas=[1])
    with pytest.raises(ValueError, match="unknown objective"):
        tuning.BetaVAEHyperModel(Squares(), objective="tc", values=[1.0])


def udr_hypermodel(data, betas, steps, **kwargs):
    return tuning.BetaVAEHyperModel(
        data,
        betas=betas,
        latent_dims=2,
        architecture="higgins",
        batch_size=16,
        learning_rate=1e-3,
        steps_per_epoch=steps,
        score="udr",
        udr_seeds=2,
        udr_images=64,
        **kwargs,
    )


def test_udr_search_scores_each_trial_by_its_seeds(tmp_path, capsys):
    """Each trial's value is the median UDR of its model and a sibling
    trained with seed + 1, no labels used; recomputed for one trial.

    Two epochs: UDR exists only at the last, and must not be read as the
    first epoch's value."""
    hm = udr_hypermodel(Squares(), [0.5, 8.0], steps=10)
    assert hm.metrics == ()
    assert (hm.objective.name, hm.objective.direction) == ("udr", "max")
    tuner = tuning.tune(
        hm, epochs=2, verbose=1, directory=str(tmp_path), project_name="u"
    )
    trials = {
        t.hyperparameters.values["beta"]: t
        for t in tuner.oracle.trials.values()
    }
    assert sorted(trials) == [0.5, 8.0]
    for trial in trials.values():
        assert trial.status == "COMPLETED"
        assert 0.0 <= trial.score <= 1.0
        assert trial.score == trial.metrics.get_last_value("udr")
        assert not trial.metrics.exists("beta_vae_eval_accuracy")
    out = capsys.readouterr().out
    assert out.count("[tuner] udr: model 2/2 (seed 1) trained in") == 2
    # beta = 8.0 ran last: its saved model and a sibling retrained with
    # seed 1 give the recorded value.
    last = trials[8.0]
    model = tuner.load_model(last)
    sibling = hm.train_sibling(last.hyperparameters, seed=1, epochs=2)
    images = held_out_images(Squares(), 64, seed=0)
    pairs = [codes_and_kl(m, images) for m in (model, sibling)]
    direct = udr([c for c, _ in pairs], [k for _, k in pairs])
    assert direct["num_informative"] == [2, 2]  # not a trivial 0
    assert hm.last_udr["model_scores"] == pytest.approx(
        direct["model_scores"], abs=1e-6
    )
    assert float(np.median(direct["model_scores"])) == pytest.approx(
        last.score, abs=1e-6
    )


def test_udr_tunes_unlabelled_images(tmp_path):
    rng = np.random.default_rng(0)
    data = ImageSet((rng.random((16, 16, 16, 3)) * 255).astype(np.uint8))
    assert data.factor_names == ()
    hm = udr_hypermodel(data, [4.0], steps=3, metrics=())
    tuner = tuning.tune(
        hm, epochs=1, directory=str(tmp_path), project_name="images"
    )
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED"
    assert 0.0 <= trial.score <= 1.0
    assert len(hm.last_udr["model_scores"]) == 2
