"""``keras-bvae traverse``: labelled traversals, NMI heatmap and GIF."""

import json

import numpy as np
from matplotlib.image import imread
from PIL import Image

from keras_bvae import BetaVAE, cli


def saved_model(path):
    model = BetaVAE(latent_dim=3, seed=0)
    model.save(str(path))
    return model


def test_writes_labelled_traversal_heatmap_and_gif(tmp_path, capsys):
    saved_model(tmp_path / "model.keras")
    out = tmp_path / "pictures"
    code = cli.main(
        [
            "traverse",
            str(tmp_path / "model.keras"),
            "--out",
            str(out),
            "--num-samples",
            "300",
            "--gif",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "latent_factors.json",
        "nmi_heatmap.png",
        "reconstructions.png",
        "traversals.gif",
        "traversals.png",
    ]
    result = json.loads((out / "latent_factors.json").read_text())
    assert result["factor_names"] == [
        "shape",
        "scale",
        "orientation",
        "pos_x",
        "pos_y",
    ]
    assert np.asarray(result["nmi"]).shape == (3, 5)
    assert len(result["labels"]) == len(result["kl_per_dim"]) == 3
    assert result["num_samples"] == 300 and result["num_bins"] == 20
    printed = capsys.readouterr().out
    for label in result["labels"]:
        assert label in printed
    assert imread(str(out / "nmi_heatmap.png")).ndim == 3
    with Image.open(out / "traversals.gif") as gif:
        assert gif.n_frames == 16  # 9 values forwards, 7 back


def test_no_labels_skips_the_nmi(tmp_path):
    saved_model(tmp_path / "model.keras")
    code = cli.main(["traverse", str(tmp_path / "model.keras"), "--no-labels"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.keras",
        "reconstructions.png",
        "traversals.png",
    ]
