"""Which factors a model's whole code knows, however spread over latents.

The NMI heatmap and MIG ask whether one latent carries a factor; DCI's
per-factor informativeness asks whether gradient-boosted trees on the
code predict it, which trees do poorly when a factor is a rotation of
several latents. This probe fits a small MLP (two hidden layers of 256,
early stopping) per factor on the posterior means of 20,000 simulator
images and reports its accuracy on 5,000 more (seed 0). Chance is one
over the factor's size (orientation: 0.025). Orientation cannot reach 1
even from the images: the square looks alike every 90 degrees and the
ellipse every 180 (and 0 and 2 pi are the same angle), so a classifier
that sees the image exactly scores about (39/40 + 1/4 + 1/2) / 3 = 0.58.

Beside a training run give it one BLAS thread (OPENBLAS_NUM_THREADS=1):
with two, on our 2-core machine, its threads waited on each other and one
model took over 40 minutes instead of about two.

Usage: python experiments/flagship/factor_probe.py SPEC [SPEC ...]
    where SPEC is a saved model (folder or .keras file) or
    RUN_DIR:WEIGHTS (a long run's folder and one of its backups).
"""

from __future__ import annotations

import argparse
import time

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from keras_bvae import load  # noqa: E402
from keras_bvae.datasets.simulator import DSpritesSimulator  # noqa: E402
from keras_bvae.runs.config import model_for_run  # noqa: E402


def load_spec(spec: str):
    """A saved model, or a run's model with one backup's weights."""
    if ":" not in spec:
        return load(spec)
    run, weights = spec.split(":", 1)
    _, _, model = model_for_run(run)
    model.load_weights(weights)
    return model


def probe(codes, factors, num_train: int, seed: int = 0) -> list[float]:
    """Held-out accuracy of an MLP per factor column."""
    scores = []
    for k in range(factors.shape[1]):
        classifier = make_pipeline(
            StandardScaler(),
            MLPClassifier(
                (256, 256), max_iter=300, early_stopping=True, random_state=seed
            ),
        )
        classifier.fit(codes[:num_train], factors[:num_train, k])
        predicted = classifier.predict(codes[num_train:])
        scores.append(float(np.mean(predicted == factors[num_train:, k])))
    return scores


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="+", help="MODEL or RUN_DIR:WEIGHTS")
    parser.add_argument("--num-train", type=int, default=20_000)
    parser.add_argument("--num-test", type=int, default=5_000)
    args = parser.parse_args(argv)
    data = DSpritesSimulator()
    rng = np.random.default_rng(0)
    factors = data.sample_factors(args.num_train + args.num_test, rng)
    images = data.sample_observations_from_factors(factors, rng)
    print("model: " + ", ".join(data.factor_names), flush=True)
    for spec in args.specs:
        start = time.time()
        codes = load_spec(spec).encode(images, batch_size=1024)
        scores = probe(codes, factors, args.num_train)
        print(
            f"{spec}: "
            + ", ".join(f"{s:.3f}" for s in scores)
            + f"  ({time.time() - start:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
