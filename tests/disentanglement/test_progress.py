"""Tests of the metrics' progress display."""

import io

import pytest
from support import FactorVectorData, oracle

from keras_bvae.disentanglement import (
    beta_vae_score,
    factor_vae_score,
    mig,
    progress,
)

DATA = FactorVectorData((3, 4, 5))


def test_line_shows_counts_rate_and_eta(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    line = progress.ProgressLine("m", stream=io.StringIO(), interval=1e9)
    line.expect("images", 1000)
    line.start("images")
    now[0] = 10.0
    line.advance("images", 250)  # 250 images in 10 s: 30 s left
    assert line.eta() == (30.0, False)
    assert line.text() == "m: 250/1,000 images (25%), 25 images/s, ETA 30s"
    now[0] = 125.0
    final = line.text(final=True)
    assert final == "m: 250/1,000 images (25%), 2 images/s, 2m05s"


def test_unknown_later_work_marks_the_eta():
    line = progress.ProgressLine("m", stream=io.StringIO(), interval=1e9)
    line.expect("images", 10)
    line.expect("classifiers", 2)
    assert line.eta() is None
    line.start("images")
    line.advance("images", 5)
    left, unknown = line.eta()
    assert left >= 0 and unknown
    assert line.text().endswith("+")


def test_nothing_is_shown_without_a_display(capsys):
    mig(DATA, oracle, seed=0, num_train=50)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    "metric, kwargs, images",
    [
        (mig, {"num_train": 60}, 60),
        (beta_vae_score, {"num_train": 5, "num_eval": 3, "batch_size": 4}, 64),
        (
            factor_vae_score,
            {
                "num_train": 5,
                "num_eval": 3,
                "batch_size": 4,
                "num_variance_estimate": 20,
            },
            52,
        ),
    ],
)
def test_metrics_announce_the_images_they_encode(metric, kwargs, images):
    stream = io.StringIO()
    with progress.reporting("metric", stream=stream, interval=0) as line:
        metric(DATA, oracle, seed=0, **kwargs)
    assert line.totals["images"] == images == line.done["images"]
    assert "ETA" in stream.getvalue().splitlines()[0]
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith(f"metric: {images}/{images} images (100%)")
    assert "ETA" not in last


def test_a_display_without_work_prints_nothing():
    stream = io.StringIO()
    with progress.reporting("idle", stream=stream, interval=0):
        pass
    assert stream.getvalue() == ""
