"""The higgins2017 study: the paper's recipe and grid."""

import subprocess
import sys

import numpy as np
import pytest

from keras_bvae.runs.grid import RunSpec
from keras_bvae.runs.higgins2017 import higgins2017
from keras_bvae.runs.study import get_study


@pytest.mark.parametrize("bad", [{"steps": 25, "score_every": 10}])
def test_steps_must_be_whole_epochs(bad):
    with pytest.raises(ValueError, match="multiple of score_every"):
        higgins2017(**bad)


def test_the_papers_recipe():
    study = higgins2017()
    base = study.base
    assert (base.architecture, base.optimizer, base.learning_rate) == (
        "higgins",
        "adagrad",
        1e-2,
    )
    assert (base.latent_dim, base.likelihood, base.batch_size) == (
        10,
        "bernoulli",
        64,
    )
    assert study.steps == 300_000
    table = [(r.latent_dim, r.beta, r.seed) for r in study.table_runs]
    assert table == [(10, b, s) for s in range(3) for b in (4.0, 1.0)]
    # Every latent size of the figure has its raw beta = 1 point.
    for m in (5, 10, 20):
        assert RunSpec(m, seed=0, beta=1.0) in study.figure_runs
    assert len({r.run_id for r in study.runs}) == len(study.runs)
    assert np.isclose(
        min(r.normalized_beta or 1 for r in study.figure_runs), 0.0005
    )


def test_get_study_finds_it_by_name():
    assert get_study("higgins2017", steps=20_000, seeds=1).steps == 20_000
    with pytest.raises(ValueError, match="unknown study"):
        get_study("higgins2018")


def kept_backups_script():
    """Imports experiments/higgins2017/kept_backups.py as a module."""
    import importlib.util
    import os

    path = os.path.join(
        os.path.dirname(__file__),
        "..",
        "..",
        "experiments",
        "higgins2017",
        "kept_backups.py",
    )
    spec = importlib.util.spec_from_file_location("kept_backups", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kept_backups_travel_in_parts_and_come_back_whole(tmp_path):
    import json

    kept_backups = kept_backups_script()
    weights = np.random.default_rng(0).bytes(1000)
    backup = tmp_path / "study" / "runs" / "m10_b4_s0" / "backup"
    backup.mkdir(parents=True)
    (backup / "step-000000040.weights.h5").write_bytes(weights)
    state = {"step": 40, "weights": "step-000000040.weights.h5"}
    (backup / "state.json").write_text(json.dumps(state))
    (backup / "history.csv").write_text("epoch,loss\n0,1.5\n")
    # A run of an older version: config.json beside backup/, naming the
    # machine's folder, which the kept copy does not.
    config = {"output_dir": str(backup.parent), "seed": 0}
    (backup.parent / "config.json").write_text(json.dumps(config))
    kept = tmp_path / "kept"

    assert kept_backups.save(str(tmp_path / "study"), str(kept), 300) == [
        ("m10_b4_s0", 40)
    ]
    parts = sorted(p.name for p in (kept / "m10_b4_s0").glob("*.part*"))
    assert len(parts) == 4  # 1000 bytes in parts of 300

    other = tmp_path / "other_machine"
    assert kept_backups.restore(str(kept), str(other)) == [("m10_b4_s0", 40)]
    restored = other / "runs" / "m10_b4_s0" / "backup"
    assert (restored / "step-000000040.weights.h5").read_bytes() == weights
    assert json.loads((restored / "state.json").read_text()) == state
    assert (restored / "history.csv").read_text() == "epoch,loss\n0,1.5\n"
    assert json.loads((restored / "config.json").read_text()) == {
        "output_dir": "runs/m10_b4_s0",
        "seed": 0,
    }
    # Not older than what is there: nothing to do.
    assert kept_backups.restore(str(kept), str(other)) == []

    # A damaged part is refused, and the study folder's backup is left alone.
    (kept / "m10_b4_s0" / parts[1]).write_bytes(b"x" * 300)
    with pytest.raises(RuntimeError, match="SHA-256"):
        kept_backups.restore(str(kept), str(tmp_path / "third"))
    assert not (tmp_path / "third" / "runs" / "m10_b4_s0" / "backup").exists()


HOLD_RUN = """
import sys, time
from keras_bvae.runs.study import claim_run
with claim_run(sys.argv[1]) as holder:
    print("held" if holder is None else "busy", flush=True)
    time.sleep(120)
"""


def test_kept_backups_never_revive_a_finished_run_nor_touch_a_held_one(
    tmp_path,
):
    import json

    kept_backups = kept_backups_script()
    study = tmp_path / "study"
    for run_id in ("m10_b4_s0", "m10_b4_s1"):
        backup = study / "runs" / run_id / "backup"
        backup.mkdir(parents=True)
        (backup / "w.h5").write_bytes(b"weights")
        (backup / "state.json").write_text(
            json.dumps({"step": 10, "weights": "w.h5"})
        )
    kept = tmp_path / "kept"
    assert len(kept_backups.save(str(study), str(kept), 4)) == 2
    (kept / "m10_b4_s0.partial").mkdir()  # a save killed half-way

    other = tmp_path / "other"
    finished = other / "runs" / "m10_b4_s0"
    finished.mkdir(parents=True)
    (finished / "summary.json").write_text("{}")
    held = other / "runs" / "m10_b4_s1"
    held.mkdir(parents=True)
    # Another process (a worker) holds the run.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN, str(held)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert kept_backups.restore(str(kept), str(other)) == []
    finally:
        holder.kill()
        holder.wait()
    assert not (finished / "backup").exists()
    assert not (held / "backup").exists()
    assert not (other / "runs" / "m10_b4_s0.partial").exists()
    # Released, the held run is restored; the finished one stays finished.
    assert kept_backups.restore(str(kept), str(other)) == [("m10_b4_s1", 10)]

    # The run finishes on the first machine: save drops its kept copy.
    shutil_rmtree(study / "runs" / "m10_b4_s0" / "backup")
    (study / "runs" / "m10_b4_s0" / "summary.json").write_text("{}")
    assert kept_backups.save(str(study), str(kept), 4) == [("m10_b4_s1", 10)]
    assert not (kept / "m10_b4_s0").exists()


def test_kept_backups_save_asks_to_rerun_when_a_backup_lands_mid_copy(
    tmp_path, monkeypatch
):
    import json

    kept_backups = kept_backups_script()
    backup = tmp_path / "study" / "runs" / "m10_b4_s0" / "backup"
    backup.mkdir(parents=True)
    (backup / "state.json").write_text(
        json.dumps({"step": 10, "weights": "gone.h5"})  # already replaced
    )
    with pytest.raises(RuntimeError, match="run again"):
        kept_backups.save(str(tmp_path / "study"), str(tmp_path / "kept"))
    assert not (tmp_path / "kept" / "m10_b4_s0.partial").exists()
    assert not (tmp_path / "kept" / "m10_b4_s0").exists()


def shutil_rmtree(path):
    import shutil

    shutil.rmtree(path)
