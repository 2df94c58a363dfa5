"""How the paper's-protocol score of PCA and ICA (10 components) moves with
L (pairs averaged into one point) and the number of training points.

A probe beside baselines.py (same fits, smaller samples): one replica, one
seed a cell; prints a table and writes OUT_DIR/probe_batch_size.json.

Usage: python experiments/higgins2017/probe_batch_size.py OUT_DIR
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from sklearn.decomposition import PCA, FastICA

from keras_bvae.datasets import get_data
from keras_bvae.disentanglement import beta_vae_score, protocol_settings
from keras_bvae.files import write_json


def main(argv=None) -> int:
    out_dir = (argv or sys.argv[1:])[0]
    started = time.time()
    data = get_data("dsprites-sim")
    rng = np.random.default_rng(1000)
    x = data.sample_observations_from_factors(data.sample_factors(5000, rng))
    x = x.reshape(len(x), -1).astype(np.float64)
    pca = PCA(10, svd_solver="randomized", random_state=0).fit(x)
    ica = FastICA(whiten="unit-variance", max_iter=1000, random_state=0)
    ica.fit(pca.transform(x))
    reps = {
        "PCA": lambda im: pca.transform(im.reshape(len(im), -1)),
        "ICA": lambda im: ica.transform(pca.transform(im.reshape(len(im), -1))),
    }
    rows = []
    for num_train in (1000, 200):
        for L in (64, 16, 4, 1):
            for name, fn in reps.items():
                settings = protocol_settings("beta_vae", "higgins2017")
                settings.update(
                    batch_size=L, num_train=num_train, num_eval=1000
                )
                r = beta_vae_score(data, fn, seed=0, **settings)
                rows.append(
                    {
                        "baseline": name,
                        "L": L,
                        "num_train": num_train,
                        "num_eval": 1000,
                        "eval_accuracy": r["eval_accuracy"],
                    }
                )
                print(rows[-1], flush=True)
    write_json(
        os.path.join(out_dir, "probe_batch_size.json"),
        {
            "rows": rows,
            "seconds": round(time.time() - started, 1),
            "command": "python experiments/higgins2017/probe_batch_size.py"
            " OUT_DIR",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
