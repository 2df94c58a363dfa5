"""``keras-bvae evaluate``: progress on stderr, the encoder options recorded,
bad options refused."""

import json
import os

import pytest

from keras_bvae import cli

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "saved_models")
MODEL = os.path.join(ROOT, "vae_b1")


def evaluate(tmp_path, name, *extra):
    out = tmp_path / name
    args = ["evaluate", MODEL, "--protocol", "quick", "--metrics", "mig,dci"]
    args += ["--set", "num_train=300", "--set", "num_test=100"]
    return cli.main([*args, "--output", str(out), *extra]), out


def test_progress_and_options_are_reported(tmp_path, capsys):
    code, out = evaluate(tmp_path, "a.json", "--batch-size", "64")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "mig (quick protocol): 300/300 images (100%)" in err
    assert "dci (quick protocol): 400/400 images (100%)" in err
    assert "5/5 classifiers" in err
    payload = json.loads(out.read_text())
    assert payload["precision"] == "float32"
    assert payload["scores"]["dci"]["precision"] == "float32"


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--batch-size", "0"), "batch_size must be an integer >= 1"),
        (("--precision", "half"), "invalid choice"),
    ],
)
def test_bad_options_are_refused(tmp_path, capsys, extra, message):
    try:
        code, _ = evaluate(tmp_path, "x.json", *extra)
    except SystemExit as exit_:  # argparse refuses unknown choices
        code = exit_.code
    assert code != 0
    assert message in capsys.readouterr().err


def test_higgins2017_protocol_scores_the_papers_factors(tmp_path, capsys):
    out = tmp_path / "h.json"
    args = ["evaluate", MODEL, "--protocol", "higgins2017"]
    args += ["--set", "num_train=40", "--set", "num_eval=20"]
    args += ["--set", "batch_size=4", "--codes-table", "off"]
    code = cli.main([*args, "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    payload = json.loads(out.read_text())
    assert list(payload["scores"]) == ["beta_vae"]  # its only metric
    result = payload["scores"]["beta_vae"]
    assert result["protocol"] == "higgins2017"
    assert result["factors"] == ["scale", "orientation", "pos_x", "pos_y"]
    assert "AdagradSoftmaxClassifier" in result["classifier"]


def test_higgins2017_protocol_refuses_other_metrics(tmp_path, capsys):
    args = ["evaluate", MODEL, "--protocol", "higgins2017", "--metrics", "mig"]
    code = cli.main([*args, "--output", str(tmp_path / "m.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "protocol 'higgins2017' has no settings for ['mig']" in err
    assert "Traceback" not in err
