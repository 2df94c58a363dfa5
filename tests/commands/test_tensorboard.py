"""``--tensorboard DIR``: what TensorBoard shows of a run, read back with
TensorBoard's own reader."""

import io

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from keras_bvae.cli import main

TINY = [
    "--data",
    "dsprites-sim",
    "--architecture",
    "higgins",
    "--batch-size",
    "8",
    "--verbose",
    "0",
]


def _read(folder):
    """{tag: [(step, value)]} of the summaries under ``folder`` (TF2
    writes scalars and images as tensors)."""
    acc = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0}
    )
    acc.Reload()
    return {
        tag: [(e.step, e.tensor_proto) for e in acc.Tensors(tag)]
        for tag in acc.Tags()["tensors"]
    }


def _scalar(proto) -> float:
    return float(tensor_util.make_ndarray(proto))


def test_train_writes_scalars_and_labelled_traversal_images(tmp_path):
    board = tmp_path / "board"
    argv = ["train", "--out", str(tmp_path / "run"), *TINY]
    argv += ["--latent-dim", "3", "--epochs", "2", "--steps-per-epoch", "2"]
    assert main([*argv, "--tensorboard", str(board)]) == 0
    scalars = _read(board / "train")
    for tag in ("loss", "reconstruction_loss", "kl", "kl_0", "kl_1", "kl_2"):
        assert [step for step, _ in scalars[f"epoch_{tag}"]] == [0, 1]
    kl = [_scalar(scalars[f"epoch_kl_{i}"][-1][1]) for i in range(3)]
    total = _scalar(scalars["epoch_kl"][-1][1])
    assert np.isclose(sum(kl), total, rtol=1e-4)
    images = _read(board / "images")
    for tag in ("traversals", "reconstructions", "labelled_traversals"):
        assert [step for step, _ in images[tag]] == [1, 2]
    # An image summary holds width, height and the PNG.
    proto = images["labelled_traversals"][-1][1]
    width, height, png = tensor_util.make_ndarray(proto)
    picture = Image.open(io.BytesIO(png))
    assert picture.size == (int(width), int(height))
    assert picture.size[0] > 200 and picture.size[1] > 100
    # dsprites-sim has factors: each latent's label names one.
    proto = images["latent_labels"][-1][1]
    assert str(tensor_util.make_ndarray(proto)).count("NMI") >= 1


def test_sweep_writes_one_folder_a_run_with_the_scores(tmp_path):
    board = tmp_path / "board"
    argv = ["sweep", "--out", str(tmp_path / "sweep"), *TINY]
    argv += ["--betas", "1", "--latent-dims", "2", "--steps", "2"]
    argv += ["--metrics", "mig", "--no-udr", "--tensorboard", str(board)]
    assert main(argv) == 0
    assert sorted(p.name for p in board.iterdir()) == ["m2_b1_s0"]
    scalars = _read(board / "m2_b1_s0" / "train")
    assert 0.0 <= _scalar(scalars["epoch_mig"][-1][1]) <= 1.0
    assert "labelled_traversals" in _read(board / "m2_b1_s0" / "images")
