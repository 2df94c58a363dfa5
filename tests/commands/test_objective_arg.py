"""A new objective registered outside the package trains through ``train``,
``sweep`` and ``compare`` with options given by ``--objective-arg``, checked
against its constructor (no edit of keras_bvae/runs or keras_bvae/commands).
"""

import csv
import json

import pytest

from keras_bvae.cli import main
from keras_bvae.objectives import OBJECTIVES, Objective, register_objective

NAME = "shifted_test_vae"
TINY = [
    "--data",
    "dsprites-sim",
    "--architecture",
    "higgins",
    "--batch-size",
    "8",
]


@pytest.fixture
def shifted_objective():
    """Registers a test objective: distortion + weight * rate, logging
    ``shifted_rate`` = rate + shift (so a run shows the shift it got)."""

    @register_objective(NAME)
    class ShiftedVAE(Objective):
        term_names = ("shifted_rate",)
        hyperparameter = "weight"
        study_grid = (0.5, 1.0, 2.0, 3.0)

        def __init__(self, weight: float = 1.0, shift: float = 0.0, **kwargs):
            super().__init__(**kwargs)
            self.weight, self.shift = weight, shift

        def terms(self, inputs):
            return {
                "loss": inputs.distortion + self.weight * inputs.rate,
                "shifted_rate": inputs.rate + self.shift,
            }

        def get_config(self):
            config = super().get_config()
            return {**config, "weight": self.weight, "shift": self.shift}

    yield ShiftedVAE
    OBJECTIVES.pop(NAME)


def _history(folder):
    with open(folder / "history.csv") as handle:
        return list(csv.DictReader(handle))


def test_train_passes_objective_args(shifted_objective, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--out",
            str(out),
            *TINY,
            "--latent-dim",
            "2",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--objective",
            NAME,
            "--objective-arg",
            "shift=0.25",
            "--objective-arg",
            "weight=3",
            "--verbose",
            "0",
        ]
    )
    assert code == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["objective"] == NAME
    assert saved["objective_args"] == {"shift": 0.25, "weight": 3.0}
    row = _history(out)[-1]
    assert float(row["shifted_rate"]) - float(row["kl"]) == pytest.approx(
        0.25, abs=1e-4
    )


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("shfit=1", "has no option 'shfit'; its options are"),
        ("shift=abc", "option shift must be float; got 'abc'"),
        ("shift", "--objective-arg takes NAME=VALUE"),
    ],
)
def test_bad_objective_args_exit_2(
    shifted_objective, tmp_path, capsys, arg, message
):
    argv = ["train", "--out", str(tmp_path / "run"), "--objective", NAME]
    with pytest.raises(SystemExit) as stop:
        code = main([*argv, "--objective-arg", arg])
        raise SystemExit(code)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_sweep_and_compare_pass_objective_args(
    shifted_objective, tmp_path, capsys
):
    sweep = tmp_path / "sweep"
    common = [*TINY, "--steps", "2", "--seeds", "0", "--objective-arg"]
    code = main(
        [
            "sweep",
            "--out",
            str(sweep),
            "--objective",
            NAME,
            "--values",
            "1",
            "2",
            "--latent-dims",
            "2",
            "--metrics",
            "--no-udr",
            "--verbose",
            "0",
            *common,
            "shift=0.5",
        ]
    )
    assert code == 0
    runs = sorted((sweep / "runs").iterdir())
    assert [r.name for r in runs] == [
        f"{NAME}_weight1_m2_s0",
        f"{NAME}_weight2_m2_s0",
    ]
    for run, weight in zip(runs, (1.0, 2.0)):
        saved = json.loads((run / "config.json").read_text())
        assert saved["objective_args"] == {"shift": 0.5, "weight": weight}
        row = _history(run)[-1]
        shift = float(row["shifted_rate"]) - float(row["kl"])
        assert shift == pytest.approx(0.5, abs=1e-4)

    compare = tmp_path / "compare"
    code = main(
        [
            "compare",
            "--out",
            str(compare),
            "--objectives",
            NAME,
            "beta_vae",
            "--latent-dim",
            "2",
            "--metrics",
            "mig",
            *common,
            "shift=0.125",
        ]
    )
    assert code == 0
    table = (compare / "comparison.md").read_text()
    # The default settings: the 2nd and 4th of the class's study_grid.
    assert f"| {NAME} weight=1 | 0 |" in table
    assert f"| {NAME} weight=3 | 0 |" in table
    for run in (compare / "runs").iterdir():
        saved = json.loads((run / "config.json").read_text())
        if saved["objective"] == NAME:
            assert saved["objective_args"]["shift"] == 0.125
        else:  # an option only the test objective takes goes only to it
            assert "shift" not in saved["objective_args"]
