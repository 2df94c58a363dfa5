"""Scores one representation with keras_bvae and with disentanglement_lib.

For every metric both packages have, both implementations score the same
representation on the same data (the dSprites simulator's 737,280 factor
combinations) under disentanglement_lib's published settings (the
``unsupervised_study_v1`` metric configs of Locatello et al., ICML 2019:
``discretizer.discretizer_fn = @histogram_discretizer``,
``discretizer.num_bins = 20``, ``prune_dims.threshold = 0.05`` and the
num_train / num_eval / batch_size of each metric), each repeated over
``--seeds`` seeds. It prints, per score, both means, their difference, the
standard error of the difference (from the spread over seeds) and z = the
difference over its standard error.

disentanglement_lib is not a dependency of keras_bvae. Install it apart
(``--no-deps``: its metric modules import only numpy, scipy, scikit-learn,
six, absl and gin; gin-config 0.5 dropped an argument it uses):

    pip install --no-deps --target ~/dlib_site \\
        disentanglement-lib==1.5 gin-config==0.4.0

and pass ``--dlib-path ~/dlib_site``. Its ``gin.tf`` import needs
``tf.estimator``, which TensorFlow 2.16+ lacks; plain ``gin`` stands in for
it (only the configurable decorators are used).

Representations (``--codes``):

- ``oracle``: the factor classes themselves (every metric near its maximum);
- ``mixed``: a fixed hand-made code with mid-range scores: position x and y
  rotated into each other, shape and scale added with noise, orientation
  alone, and two noise dimensions;
- ``saved_models/NAME``: a saved model's posterior mean. The simulator
  renders every combination exactly and without randomness, so the code is
  a fixed function of the factors: all 737,280 images are encoded once
  (``validate/code_table.py``, cached under ``validate/cache/``) and both
  implementations then look codes up. ``--check-table`` re-encodes 2,048
  random images and reports the largest difference from the table.

Data reach disentanglement_lib through its own ``GroundTruthData`` calls
(``sample_factors(num, random_state)``,
``sample_observations_from_factors(factors, random_state)``), with a
``np.random.RandomState(seed)`` as its evaluation passes; keras_bvae gets
the same data object with ``seed=seed``.

    python validate/compare_disentanglement_lib.py --codes oracle \\
        --scale 0.1 --seeds 3 --dlib-path ~/dlib_site
    python validate/compare_disentanglement_lib.py \\
        --codes saved_models/beta_vae_b12 --seeds 10 \\
        --metrics beta_vae,factor_vae,mig,sap --dlib-path ~/dlib_site
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_bvae.onednn import prefer_onednn_kernels  # noqa: E402

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from keras_bvae import disentanglement as dis  # noqa: E402
from keras_bvae.datasets import DSpritesSimulator  # noqa: E402
from keras_bvae.datasets.base import GroundTruthData  # noqa: E402
from keras_bvae.datasets.simulator import (  # noqa: E402
    FACTOR_NAMES,
    FACTOR_SIZES,
    NUM_IMAGES,
)

HERE = os.path.dirname(os.path.abspath(__file__))

# disentanglement_lib's unsupervised_study_v1 metric configs.
DLIB_SETTINGS = {
    "beta_vae": {"batch_size": 64, "num_train": 10000, "num_eval": 5000},
    "factor_vae": {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
        "num_variance_estimate": 10000,
    },
    "mig": {"num_train": 10000},
    "dci": {"num_train": 10000, "num_test": 5000},
    "sap": {"num_train": 10000, "num_test": 5000},
    "modularity": {"num_train": 10000, "num_test": 5000},
    "unsupervised": {"num_train": 10000},
}
GIN_BINDINGS = [
    "discretizer.discretizer_fn = @histogram_discretizer",
    "discretizer.num_bins = 20",
    "prune_dims.threshold = 0.05",
    "sap_score.continuous_factors = False",
]
COUNT_KEYS = ("num_train", "num_eval", "num_test", "num_variance_estimate")

# Rows of the comparison: (metric, our result key, their result key).
SCORES = {
    "beta_vae": [
        ("train_accuracy", "train_accuracy"),
        ("eval_accuracy", "eval_accuracy"),
    ],
    "beta_vae_raw": [("eval_accuracy", "eval_accuracy")],
    "factor_vae": [
        ("train_accuracy", "train_accuracy"),
        ("eval_accuracy", "eval_accuracy"),
    ],
    "mig": [("mig", "discrete_mig")],
    "dci": [
        ("disentanglement", "disentanglement"),
        ("completeness", "completeness"),
        ("informativeness_train", "informativeness_train"),
        ("informativeness_test", "informativeness_test"),
    ],
    "sap": [("sap", "SAP_score")],
    "modularity": [
        ("modularity", "modularity_score"),
        ("explicitness_train", "explicitness_score_train"),
        ("explicitness_test", "explicitness_score_test"),
    ],
    "unsupervised": [
        ("gaussian_total_correlation", "gaussian_total_correlation"),
        (
            "gaussian_wasserstein_correlation",
            "gaussian_wasserstein_correlation",
        ),
        (
            "gaussian_wasserstein_correlation_norm",
            "gaussian_wasserstein_correlation_norm",
        ),
        ("mutual_info_score", "mutual_info_score"),
    ],
}


def import_dlib(path: str | None):
    """disentanglement_lib's metric modules, with its settings bound."""
    if path:
        sys.path.append(path)
    import gin

    sys.modules["gin.tf"] = gin  # gin.tf needs tf.estimator (TF < 2.16)
    import logging

    logging.getLogger().setLevel(logging.ERROR)  # gin's deprecation notes
    from disentanglement_lib.evaluation.metrics import (
        beta_vae,
        dci,
        factor_vae,
        mig,
        modularity_explicitness,
        sap_score,
        unsupervised_metrics,
    )
    from disentanglement_lib.evaluation.metrics import utils as _  # noqa: F401

    gin.parse_config(GIN_BINDINGS)
    return {
        "beta_vae": beta_vae.compute_beta_vae_sklearn,
        "factor_vae": factor_vae.compute_factor_vae,
        "mig": mig.compute_mig,
        "dci": dci.compute_dci,
        "sap": sap_score.compute_sap,
        "modularity": modularity_explicitness.compute_modularity_explicitness,
        "unsupervised": unsupervised_metrics.unsupervised_metrics,
    }


class RowIndexData(GroundTruthData):
    """dSprites factors whose observation is the image's row in the data
    set, (n, 1) float64; a code table turns it into the image's code."""

    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES
    observation_shape = (1,)

    def __init__(self):
        self._sim = DSpritesSimulator()

    def sample_observations_from_factors(self, factors, rng=None):
        return self._sim.index_of(factors)[:, None].astype(np.float64)


class ReplayData(RowIndexData):
    """RowIndexData whose ``sample_factors`` hands out the rows of one
    fixed pool in order, whatever generator it is given.

    MIG, DCI, SAP, modularity/explicitness and the unsupervised scores of
    both implementations draw their training and test samples as
    consecutive requests, so after ``reset(seed)`` both see the very same
    factors and codes, and any difference left is in the formulas (or the
    classifiers' own randomness). The beta-VAE and FactorVAE metrics
    interleave their draws differently and are not comparable this way.
    """

    def reset(self, seed: int, size: int = 40000) -> None:
        rng = np.random.default_rng(seed)
        cols = [rng.integers(0, s, size) for s in self.factor_sizes]
        self._pool = np.stack(cols, axis=1)
        self._next = 0

    def sample_factors(self, num, rng=None):
        start, self._next = self._next, self._next + int(num)
        if self._next > len(self._pool):
            raise RuntimeError("replay pool exhausted")
        return self._pool[start : self._next].copy()


class LibData:
    """Our data as disentanglement_lib's GroundTruthData calls it: factors
    drawn with ``random_state.randint`` per factor, as its data sets do."""

    def __init__(self, base: GroundTruthData):
        self.base = base
        self.factors_num_values = list(base.factor_sizes)
        self.num_factors = len(self.factors_num_values)
        self.observation_shape = list(base.observation_shape)

    def sample_factors(self, num, random_state):
        if isinstance(self.base, ReplayData):
            return self.base.sample_factors(num)
        cols = [
            random_state.randint(s, size=num) for s in self.factors_num_values
        ]
        return np.stack(cols, axis=1)

    def sample_observations_from_factors(self, factors, random_state):
        seed = random_state.randint(2**31 - 1)
        return self.base.sample_observations_from_factors(factors, seed)

    def sample(self, num, random_state):
        factors = self.sample_factors(num, random_state)
        return factors, self.sample_observations_from_factors(
            factors, random_state
        )

    def sample_observations(self, num, random_state):
        return self.sample(num, random_state)[1]


def all_factors() -> np.ndarray:
    rows = np.arange(NUM_IMAGES)
    return np.stack(np.unravel_index(rows, FACTOR_SIZES), axis=1)


def hand_made_table(kind: str) -> np.ndarray:
    """Codes of all combinations for ``oracle`` and ``mixed``."""
    v = all_factors().astype(np.float64)
    if kind == "oracle":
        return v
    z = (v - v.mean(0)) / v.std(0)
    noise = np.random.default_rng(0).normal(size=(len(v), 4))
    return np.stack(
        [
            z[:, 3] + 0.5 * z[:, 4],
            z[:, 4] - 0.5 * z[:, 3],
            z[:, 0] + z[:, 1] + 0.5 * noise[:, 0],
            z[:, 1] + 0.8 * noise[:, 1],
            z[:, 2],
            noise[:, 2],
            noise[:, 3],
        ],
        axis=1,
    )


def model_table(folder: str, check: bool) -> np.ndarray:
    """The cached code table of a saved model (built on first use)."""
    name = os.path.basename(os.path.normpath(folder))
    path = os.path.join(HERE, "cache", f"{name}.npy")
    if not os.path.exists(path):
        sys.path.insert(0, HERE)
        from code_table import main as build

        build([folder, path])
    table = np.load(path)
    if check:
        import keras_bvae

        model = keras_bvae.load(folder)
        rows = np.random.default_rng(0).choice(NUM_IMAGES, 2048, False)
        factors = all_factors()[rows]
        images = DSpritesSimulator().sample_observations_from_factors(factors)
        fresh = np.asarray(model.encode(images))
        print(
            f"table check: max |direct - table| over 2048 images = "
            f"{np.abs(fresh - table[rows]).max():.2e}",
            flush=True,
        )
    return table


def scaled(settings: dict, scale: float) -> dict:
    return {
        k: max(2, int(round(v * scale))) if k in COUNT_KEYS else v
        for k, v in settings.items()
    }


def run_ours(metric, data, rep, seed, scale, same_trees=False):
    if metric == "beta_vae_raw":
        settings = scaled(DLIB_SETTINGS["beta_vae"], scale)
        return dis.beta_vae_score(
            data, rep, seed=seed, classifier=LogisticRegression(), **settings
        )
    settings = scaled(DLIB_SETTINGS[metric], scale)
    if metric == "factor_vae":
        settings["prune_threshold"] = 0.05
    if metric == "mig":
        settings["num_bins"] = 20
    if metric == "dci" and same_trees:
        settings["classifier"] = GradientBoostingClassifier(random_state=0)
    return dis.METRICS[metric](data, rep, seed=seed, **settings)


def run_theirs(fns, metric, data, rep, seed, scale, same_trees=False):
    name = "beta_vae" if metric == "beta_vae_raw" else metric
    settings = scaled(DLIB_SETTINGS[name], scale)
    state = np.random.RandomState(seed)
    if metric == "dci" and same_trees:
        # disentanglement_lib builds GradientBoostingClassifier() with no
        # random_state; give both the same one (it only breaks ties
        # between equally good splits).
        module = sys.modules[fns["dci"].__module__]
        original = module.ensemble.GradientBoostingClassifier
        module.ensemble.GradientBoostingClassifier = functools.partial(
            original, random_state=0
        )
        try:
            return fns[name](LibData(data), rep, state, None, **settings)
        finally:
            module.ensemble.GradientBoostingClassifier = original
    return fns[name](LibData(data), rep, state, None, **settings)


def summarize(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    return float(values.mean()), float(
        values.std(ddof=1) / np.sqrt(len(values))
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", default="oracle")
    parser.add_argument(
        "--metrics", default="beta_vae,beta_vae_raw,factor_vae,mig,dci,sap"
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="x protocol sample sizes"
    )
    parser.add_argument("--dlib-path", default=None)
    parser.add_argument("--check-table", action="store_true")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="both get the same samples (mig, dci, sap, modularity, "
        "unsupervised): a check of the formulas, free of sampling error",
    )
    parser.add_argument(
        "--same-trees",
        action="store_true",
        help="DCI: both fit GradientBoostingClassifier(random_state=0)",
    )
    parser.add_argument(
        "--float64",
        action="store_true",
        help="give both float64 codes (a model's encoder returns float32)",
    )
    parser.add_argument("--output", default=None, help="JSON lines file")
    parser.add_argument(
        "--summarize", default=None, help="print the table of a JSON lines file"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        summarize_file(args.summarize)
        return
    warnings.filterwarnings("ignore")

    fns = import_dlib(args.dlib_path)
    ours_only = {"beta_vae_raw"}
    metrics = args.metrics.split(",")
    unknown = [m for m in metrics if m not in SCORES]
    if unknown:
        parser.error(f"unknown metrics {unknown}; choose from {list(SCORES)}")
    missing = [
        m for m in metrics if m not in ours_only and m not in dis.METRICS
    ]
    if missing:
        parser.error(f"keras_bvae has no {missing} yet")

    if args.codes in ("oracle", "mixed"):
        table = hand_made_table(args.codes)
    else:
        table = model_table(args.codes, args.check_table)
    if args.float64:
        table = table.astype(np.float64)

    def rep(x):
        return table[np.asarray(x)[:, 0].astype(np.int64)]

    data = ReplayData() if args.replay else RowIndexData()
    if args.replay and {"beta_vae", "beta_vae_raw", "factor_vae"} & set(
        metrics
    ):
        parser.error("--replay cannot align the beta_vae or factor_vae draws")
    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                (
                    ln.split(":", 1)[1].strip()
                    for ln in handle
                    if "model name" in ln
                ),
                cpu,
            )
    print(
        f"# codes={args.codes} {table.dtype} replay={args.replay} "
        f"scale={args.scale} seeds="
        f"{args.first_seed}..{args.first_seed + args.seeds - 1} "
        f"date={time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"cpu={cpu} python={platform.python_version()}",
        flush=True,
    )
    out = open(args.output, "a") if args.output else None
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    rows = []
    for metric in metrics:
        ours, theirs = [], []
        started = time.perf_counter()
        for seed in seeds:
            if args.replay:
                data.reset(seed)
            t0 = time.perf_counter()
            a = run_ours(metric, data, rep, seed, args.scale, args.same_trees)
            t1 = time.perf_counter()
            if args.replay:
                data.reset(seed)
            b = run_theirs(
                fns, metric, data, rep, seed, args.scale, args.same_trees
            )
            t2 = time.perf_counter()
            ours.append(a)
            theirs.append(b)
            record = {
                "codes": args.codes
                + (" (replay)" if args.replay else "")
                + (" (same trees)" if args.same_trees else ""),
                "metric": metric,
                "seed": seed,
                "scale": args.scale,
                "ours": {k: float(a[k]) for k, _ in SCORES[metric]},
                "theirs": {k: float(b[k]) for _, k in SCORES[metric]},
                "seconds_ours": round(t1 - t0, 1),
                "seconds_theirs": round(t2 - t1, 1),
            }
            if out:
                out.write(json.dumps(record) + "\n")
                out.flush()
        for ours_key, their_key in SCORES[metric]:
            mo, so = summarize([r[ours_key] for r in ours])
            mt, st = summarize([r[their_key] for r in theirs])
            diff = [r[ours_key] - s[their_key] for r, s in zip(ours, theirs)]
            md, sd = summarize(diff)
            rows.append((f"{metric}.{ours_key}", mt, st, mo, so, md, sd))
        print(
            f"# {metric}: {len(seeds)} seeds x 2 implementations in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        print_rows(rows[-len(SCORES[metric]) :])
    print("\nall rows:")
    print_rows(rows)
    if out:
        out.close()


def summarize_file(path: str) -> None:
    """Prints the table of every (codes, scale, metric) in a JSON lines
    file written by ``--output``, pooling the seeds of several runs."""
    groups: dict[tuple, list] = {}
    with open(path) as handle:
        for line in handle:
            record = json.loads(line)
            key = (record["codes"], record["scale"], record["metric"])
            groups.setdefault(key, []).append(record)
    for codes, scale in dict.fromkeys((c, s) for c, s, _ in groups):
        print(f"\ncodes={codes} scale={scale}")
        rows = []
        for (c, s, metric), records in groups.items():
            if (c, s) != (codes, scale):
                continue
            seeds = sorted({r["seed"] for r in records})
            seconds = (
                [r["seconds_ours"] for r in records],
                [r["seconds_theirs"] for r in records],
            )
            for ours_key, their_key in SCORES[metric]:
                a = [r["ours"][ours_key] for r in records]
                b = [r["theirs"][their_key] for r in records]
                rows.append(
                    (
                        f"{metric}.{ours_key} (n={len(seeds)})",
                        *summarize(b),
                        *summarize(a),
                        *summarize(np.subtract(a, b)),
                    )
                )
            print(
                f"# {metric}: seeds {seeds}; mean seconds per run: ours "
                f"{np.mean(seconds[0]):.1f}, dlib {np.mean(seconds[1]):.1f}"
            )
        print_rows(rows)


def print_rows(rows) -> None:
    print(
        f"{'score':48s} {'dlib':>15s} {'keras_bvae':>15s} "
        f"{'ours - dlib':>16s} {'z':>6s}"
    )
    for name, mt, st, mo, so, md, sd in rows:
        # Equal to rounding (a --replay run): no z.
        z = "equal" if abs(md) < 1e-9 else f"{md / sd:6.1f}" if sd > 0 else ""
        print(
            f"{name:48s} {mt:7.4f}+-{st:6.4f} {mo:7.4f}+-{so:6.4f} "
            f"{md:+8.4f}+-{sd:6.4f} {z:>6s}",
            flush=True,
        )


if __name__ == "__main__":
    main()
