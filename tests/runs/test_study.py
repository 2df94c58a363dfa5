"""Studies: workers on one folder share the runs, a killed worker's run is
taken over and resumed, and the table is the seeds' mean and spread.

Workers are real processes on localhost (``run_study`` in a subprocess),
killed with SIGKILL (no Python cleanup)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from keras_bvae.runs.higgins2017 import higgins2017
from keras_bvae.runs.lock import LOCK_NAME
from keras_bvae.runs.study import Study, claim_run
from keras_bvae.runs.study_results import write_study_results

# A worker of a tiny study (2 runs, 30 steps each, small metric samples);
# with GO set it waits for that file before taking runs.
WORKER = textwrap.dedent(
    """
    import os, sys, time
    from keras_bvae.runs.config import TrainConfig
    from keras_bvae.runs.study import Study, run_study
    from keras_bvae.runs.sweep import RunSpec

    base = TrainConfig(
        output_dir="", latent_dim=2, batch_size=8, epochs=3,
        steps_per_epoch=10, backup_every=2, learning_rate=3e-3,
        optimizer="adagrad",
    )
    study = Study(
        "tiny", base, tuple(RunSpec(2, seed=s, beta=4.0) for s in range(2)),
        metrics=("beta_vae",), protocols=("higgins2017", "quick"),
        monitor_samples=200,
        nmi_samples=300,
        settings={"batch_size": 4, "num_train": 30, "num_eval": 20},
        codes_table="off",
    )
    go = os.environ.get("GO")
    while go and not os.path.exists(go):
        time.sleep(0.05)
    counts = run_study(study, sys.argv[1])
    print("COUNTS", counts, flush=True)
    """
)


def start_worker(script, out, **env):
    return subprocess.Popen(
        [sys.executable, str(script), str(out)],
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout=240):
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def scores(out, run_id):
    return json.loads((out / "runs" / run_id / "scores.json").read_text())


RUN_IDS = ["m2_b4_s0", "m2_b4_s1"]


def test_two_workers_share_the_runs_of_a_study(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out, go = tmp_path / "study", tmp_path / "go"
    first = start_worker(script, out)
    second = start_worker(script, out, GO=str(go))
    claim = out / "runs" / RUN_IDS[0] / LOCK_NAME
    wait_for(lambda: claim.exists() and claim.read_text().strip())
    go.touch()  # the second worker starts while the first holds run 0
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    for process, (_, stderr) in zip((first, second), outputs):
        assert process.returncode == 0, stderr[-3000:]
    assert f"{RUN_IDS[0]}: held by" in outputs[1][0]
    workers = {scores(out, r)["worker"] for r in RUN_IDS}
    assert len(workers) == 2  # both took runs
    for run_id in RUN_IDS:
        result = scores(out, run_id)
        assert result["status"] == "ok"
        for protocol in ("higgins2017", "quick"):
            key = f"{protocol}:beta_vae_eval_accuracy"
            assert 0 <= result["scores"][key] <= 1
        # Trained once: never resumed, never restarted.
        summary = json.loads(
            (out / "runs" / run_id / "summary.json").read_text()
        )
        assert summary["resumed_from_step"] == 0
        history = (out / "runs" / run_id / "history.csv").read_text()
        assert len(history.splitlines()) == 4  # header and three epochs
        assert "nmi_pos_x" in history.splitlines()[0]


def test_a_killed_workers_run_is_resumed_by_the_next_worker(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "study"
    killed = start_worker(script, out)
    state = out / "runs" / RUN_IDS[0] / "backup" / "state.json"

    def past_step_10():
        try:
            return json.loads(state.read_text())["step"] >= 10
        except (OSError, ValueError):
            return False

    wait_for(past_step_10)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    step = json.loads(state.read_text())["step"]

    rerun = start_worker(script, out)
    stdout, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr[-3000:]
    assert f"{RUN_IDS[0]}: resuming at step {step:,} of 30" in stdout
    summary = json.loads(
        (out / "runs" / RUN_IDS[0] / "summary.json").read_text()
    )
    assert summary["resumed_from_step"] == step
    assert "2 of 2 runs finished, 0 held by other workers, 0 left" in stdout
    assert "COUNTS {'done': 2, 'worked': 2, 'held': 0, 'left': 0}" in stdout


def test_a_claim_is_exclusive_and_dies_with_its_holder(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from keras_bvae.runs.study import claim_run\n"
            "with claim_run(sys.argv[1]) as held:\n"
            "    assert held is None\n"
            "    print('claimed', flush=True)\n"
            "    time.sleep(600)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "claimed"
    with claim_run(str(tmp_path)) as held:
        assert held is not None and f"pid {holder.pid} on host" in held
    holder.kill()
    holder.wait(timeout=60)
    with claim_run(str(tmp_path)) as held:
        assert held is None


def test_table_is_the_mean_and_spread_over_seeds(tmp_path):
    study = higgins2017(steps=20, seeds=3, score_every=10)
    study = Study(
        study.name,
        study.base,
        study.table_runs,
        protocols=("full",),
        paper=study.paper,
    )
    accuracy = {4.0: [0.9, 0.8, 1.0], 1.0: [0.6, 0.6, 0.6]}
    for spec in study.table_runs:
        folder = tmp_path / "runs" / spec.run_id
        folder.mkdir(parents=True)
        value = accuracy[spec.beta][spec.seed]
        (folder / "scores.json").write_text(
            json.dumps(
                {
                    "status": "ok",
                    "protocols": ["full"],
                    "scores": {"full:beta_vae_eval_accuracy": value},
                    "best_latent": {"orientation": [3, 0.31]},
                }
            )
        )
    paths = write_study_results(study, str(tmp_path))
    table = (tmp_path / "table1.md").read_text()
    row = next(
        line
        for line in table.splitlines()
        if line.startswith("| full:beta_vae_eval_accuracy")
    )
    # Columns by beta (1, then 4); std over 3 seeds with ddof=1 and its
    # standard error std / sqrt(3).
    assert "0.600 +- 0.000 (0.000, n=3)" in row
    assert "0.900 +- 0.100 (0.058, n=3)" in row
    assert "99.23" in table and "61.58" in table
    assert any(
        p.endswith("score_vs_beta_full_beta_vae_eval_accuracy.png")
        for p in paths
    )


def test_reproduce_command_refuses_partial_epochs(tmp_path, capsys):
    from keras_bvae import cli

    args = ["reproduce", "higgins2017", "--out", str(tmp_path / "s")]
    code = cli.main([*args, "--steps", "25", "--score-every", "10"])
    assert code == 2
    assert "multiple of score_every" in capsys.readouterr().err
    assert cli.main([*args, "--results-only"]) == 0
    assert "no finished runs" in capsys.readouterr().out


def write_history(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(rows[0])
    lines = [",".join(keys)] + [
        ",".join(str(row[k]) for k in keys) for row in rows
    ]
    path.write_text("\n".join(lines) + "\n")


def test_progress_shows_runs_still_training_and_their_curves(tmp_path):
    """progress.md and training_curves.png come from the logged history of
    finished runs and of runs still training (kept under backup/)."""
    from PIL import Image

    from keras_bvae.runs.study_progress import write_progress

    study = higgins2017(steps=30, seeds=2, score_every=10)
    b4_s0, b1_s0 = study.table_runs[0].run_id, study.table_runs[1].run_id
    finished = tmp_path / "runs" / b4_s0
    write_history(
        finished / "history.csv",
        [
            {
                "epoch": e,
                "loss": 1.0,
                "beta_vae_eval_accuracy": a,
                "nmi_scale": n,
            }
            # The last epoch logged no score (an empty cell): the table
            # shows the last logged one.
            for e, (a, n) in enumerate(
                [(0.5, 0.1), (0.7, 0.4), (0.8, 0.6), ("", "")]
            )
        ],
    )
    (finished / "summary.json").write_text("{}")
    (finished / "scores.json").write_text(json.dumps({"status": "ok"}))
    training = tmp_path / "runs" / b1_s0
    write_history(
        training / "backup" / "history.csv",
        [
            {
                "epoch": 0,
                "loss": 2.0,
                "beta_vae_eval_accuracy": 0.55,
                "nmi_scale": 0.2,
            }
        ],
    )
    (training / "backup" / "state.json").write_text(json.dumps({"step": 14}))

    paths = write_progress(study, str(tmp_path))
    assert [os.path.basename(p) for p in paths] == [
        "progress.md",
        "training_curves.png",
    ]
    lines = (tmp_path / "progress.md").read_text().splitlines()
    row = {line.split(" | ")[0].strip("| "): line for line in lines}
    assert "scored | 30 / 30 | 0.800 | 0.600" in row[b4_s0]
    assert "training | 14 / 30 | 0.550 | 0.200" in row[b1_s0]
    assert f"{len(study.runs) - 1} not finished" in lines[2]
    with Image.open(paths[1]) as image:
        assert image.width > 400 and image.height > 200


def test_reproduce_results_only_writes_progress_before_any_run_ends(
    tmp_path, capsys
):
    from keras_bvae import cli

    study = higgins2017(steps=20, seeds=1, score_every=10)
    folder = tmp_path / "runs" / study.table_runs[0].run_id / "backup"
    write_history(
        folder / "history.csv",
        [{"epoch": 0, "beta_vae_eval_accuracy": 0.6, "nmi_orientation": 0.05}],
    )
    (folder / "state.json").write_text(json.dumps({"step": 12}))
    args = ["reproduce", "higgins2017", "--out", str(tmp_path)]
    code = cli.main(
        [
            *args,
            "--steps",
            "20",
            "--score-every",
            "10",
            "--seeds",
            "1",
            "--results-only",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "no finished runs" in out and "progress.md" in out
    assert "| training | 12 / 20 | 0.600 | 0.050 |" in (
        (tmp_path / "progress.md").read_text()
    )
