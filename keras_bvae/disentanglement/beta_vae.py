"""The beta-VAE disentanglement metric (Higgins et al., ICLR 2017).

One data point: draw a factor index y uniformly from the chosen factors; draw
L pairs of factor vectors (v1_l, v2_l) that agree on factor y and are
independent elsewhere; render and encode both, z = r(x(v)); the feature is

    d = (1 / L) * sum_l |z1_l - z2_l|          (one value per code dimension)

labelled y. A linear classifier trained on such points predicts y; the score
is its accuracy. A code whose dimension j holds factor y alone has d_j ~ 0
exactly when y was fixed, which a linear classifier reads off easily.

Every image is rendered keeping factor y (``sample_observations_keeping``):
on a data set lacking v2's exact combination, the image served instead still
has v1's class of y, so the label stays true.

Defaults (L = 64, 10,000 train and 5,000 eval points, logistic regression)
follow the protocol of disentanglement_lib (Locatello et al., ICML 2019), the
one published numbers are compared against. One deliberate difference: the
default classifier standardises the features before the logistic regression,
so the score does not change when a code dimension is rescaled (the L2
penalty would otherwise make it scale dependent) and the solver converges in
a few iterations. Pass ``classifier=LogisticRegression()`` for the raw
variant.

``PROTOCOLS["higgins2017"]`` is the paper's own protocol (its Section 3
and Appendix A.4; docs/higgins2017_protocol.md gives each setting's
source): y drawn from the four factors position X, position Y, scale and
rotation (not shape), and ``AdagradSoftmaxClassifier``, an unregularised
softmax classifier trained with Adagrad (learning rate 1e-2) until its
loss stops falling. The paper reports the mean of the top half of 30
scores (10 models x 3 classifier seeds): ``higgins2017_summary``.

Cost: (num_train + num_eval) * L * 2 images are rendered and encoded (1.92M
for the full protocol); the pairs are encoded in large batches and the
features are a reshape and a mean, so encoding dominates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from keras_bvae.datasets.base import GroundTruthData, as_rng
from keras_bvae.disentanglement import _utils, progress
from keras_bvae.disentanglement.ground_truth import DataLike, as_ground_truth

__all__ = [
    "AdagradSoftmaxClassifier",
    "HIGGINS2017_FACTORS",
    "PROTOCOLS",
    "SCORE_KEYS",
    "beta_vae_score",
    "higgins2017_summary",
]

# The factors the paper's classifier predicts (Appendix A.4: "position X,
# position Y, scale and rotation"), by this package's dSprites names.
HIGGINS2017_FACTORS: tuple[str, ...] = (
    "scale",
    "orientation",
    "pos_x",
    "pos_y",
)


class AdagradSoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """The classifier of Higgins et al. (2017), Appendix A.4: a linear
    layer with softmax output and negative log likelihood loss, trained
    with Adagrad (learning rate 1e-2) until convergence.

    No regularisation and no feature scaling (the paper names none).
    "Until convergence" is read as: stop once an epoch's mean loss has not
    fallen by ``tol`` below the best for ``patience`` epochs (or after
    ``max_epochs``). The weights start from N(0, 0.01^2) drawn with
    ``random_state`` (the paper's "random seed to initialise the linear
    classifier"), which also shuffles the minibatches.

    Args:
        learning_rate: float. Adagrad's step size. Defaults to 1e-2.
        batch_size: int. Points per update (the paper does not say).
            Defaults to 64.
        max_epochs: int. Upper bound on passes over the data. Defaults to
            500.
        tol: float. Smallest decrease of the mean epoch loss that counts
            as progress. Defaults to 1e-4.
        patience: int. Epochs without progress before stopping. Defaults
            to 5.
        random_state: int or None. Seed of the initial weights and the
            batch order. Defaults to None (drawn by the metric).

    Example:
    ```python
    clf = AdagradSoftmaxClassifier(random_state=0).fit(x, y)
    clf.predict(x), clf.n_epochs_
    ```
    """

    def __init__(
        self,
        learning_rate: float = 1e-2,
        batch_size: int = 64,
        max_epochs: int = 500,
        tol: float = 1e-4,
        patience: int = 5,
        random_state: int | None = None,
    ):
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.patience = patience
        self.random_state = random_state

    def fit(self, x, y):
        x = np.asarray(x, dtype=np.float32)
        self.classes_, labels = np.unique(np.asarray(y), return_inverse=True)
        n, d = x.shape
        k = len(self.classes_)
        rng = np.random.default_rng(self.random_state)
        w = rng.normal(scale=0.01, size=(d, k)).astype(np.float32)
        b = np.zeros(k, np.float32)
        g2w, g2b = np.zeros_like(w), np.zeros_like(b)  # Adagrad's sums
        onehot = np.eye(k, dtype=np.float32)[labels]
        best, stale, self.n_epochs_, loss = np.inf, 0, 0, np.nan
        batch = max(1, int(self.batch_size))
        # The steps are small matrix products: BLAS threads only add
        # overhead (and stall on a busy machine).
        with threadpool_limits(1):
            for _ in range(int(self.max_epochs)):
                order = rng.permutation(n)
                xs, ts = x[order], onehot[order]  # one copy an epoch
                total = 0.0
                for start in range(0, n, batch):
                    xb, tb = (
                        xs[start : start + batch],
                        ts[start : start + batch],
                    )
                    logits = xb @ w + b
                    logits -= logits.max(axis=1, keepdims=True)
                    p = np.exp(logits)
                    p /= p.sum(axis=1, keepdims=True)
                    total -= np.log(np.sum(p * tb, axis=1) + 1e-30).sum()
                    delta = (p - tb) / len(xb)
                    gw, gb = xb.T @ delta, delta.sum(axis=0)
                    g2w += gw * gw
                    g2b += gb * gb
                    w -= self.learning_rate * gw / (np.sqrt(g2w) + 1e-10)
                    b -= self.learning_rate * gb / (np.sqrt(g2b) + 1e-10)
                self.n_epochs_ += 1
                loss = total / max(n, 1)
                if loss < best - self.tol:
                    best, stale = loss, 0
                else:
                    stale += 1
                    if stale >= self.patience:
                        break
        self.coef_, self.intercept_ = w.T, b
        self.loss_ = float(loss)
        return self

    def decision_function(self, x):
        return np.asarray(x, dtype=np.float32) @ self.coef_.T + self.intercept_

    def predict(self, x):
        return self.classes_[np.argmax(self.decision_function(x), axis=1)]


PROTOCOLS: dict[str, dict[str, Any]] = {
    # disentanglement_lib / Locatello et al. (2019).
    "full": {"batch_size": 64, "num_train": 10000, "num_eval": 5000},
    # For monitoring during training: ~10x fewer images.
    "quick": {"batch_size": 64, "num_train": 1000, "num_eval": 500},
    # Higgins et al. (2017), Section 3 and Appendix A.4; the sizes, which
    # the paper does not give, are disentanglement_lib's (see
    # docs/higgins2017_protocol.md). Defined for this metric only.
    "higgins2017": {
        "batch_size": 64,
        "num_train": 10000,
        "num_eval": 5000,
        "factors": HIGGINS2017_FACTORS,
        "classifier": AdagradSoftmaxClassifier(),
    },
}

# The scalar scores of the result dict (logged by the callback).
SCORE_KEYS: tuple[str, ...] = ("train_accuracy", "eval_accuracy")

# The function defaults: the full protocol.
_FULL = PROTOCOLS["full"]


def _default_classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _pair_features(
    data: GroundTruthData,
    representation_fn: _utils.RepresentationFn,
    num_points: int,
    batch_size: int,
    factor_indices: np.ndarray,
    rng: np.random.Generator,
    encode_batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Returns (features (num_points, D), labels (num_points,))."""
    labels = rng.choice(factor_indices, size=num_points)
    # Points per rendering call: as many pairs as fit in one encode batch.
    per_chunk = max(1, encode_batch_size // (2 * batch_size))
    starts = range(0, num_points, per_chunk)

    def factor_chunks():
        # Drawn lazily, in this thread, from ``rng``: v1 rows then v2 rows,
        # the pair (v1_l, v2_l) sharing factor y of its point. Every row
        # keeps its y, so a data set lacking v2's exact combination still
        # serves an image with the shared class.
        for start in starts:
            y = labels[start : start + per_chunk]
            f1 = data.sample_factors(len(y) * batch_size, rng)
            f2 = data.sample_factors(len(y) * batch_size, rng)
            rows = np.arange(len(f1))
            cols = np.repeat(y, batch_size)
            f2[rows, cols] = f1[rows, cols]
            yield np.concatenate([f1, f2]), np.concatenate([cols, cols])

    features = []
    codes_iter = _utils.stream_codes(
        data,
        representation_fn,
        factor_chunks(),
        _utils.child_rng(rng),
        encode_batch_size,
    )
    for codes in codes_iter:
        half = len(codes) // 2
        diff = np.abs(codes[:half] - codes[half:])
        features.append(diff.reshape(-1, batch_size, diff.shape[1]).mean(1))
    return np.concatenate(features), labels


def beta_vae_score(
    data: DataLike,
    representation_fn: _utils.RepresentationFn,
    *,
    seed: int | np.random.Generator | None = 0,
    batch_size: int = _FULL["batch_size"],
    num_train: int = _FULL["num_train"],
    num_eval: int = _FULL["num_eval"],
    factors: Sequence[int | str] | None = None,
    classifier=None,
    encode_batch_size: int = 4096,
) -> dict[str, Any]:
    """Higgins et al. (2017) beta-VAE metric: accuracy of predicting the
    fixed factor from averaged absolute code differences.

    Args:
        data: GroundTruthData, or any object ``as_ground_truth`` adapts
            (the five interface members, or disentanglement_lib's).
        representation_fn: callable. numpy images (n, ...) -> codes (n, D),
            e.g. a model's posterior mean.
        seed: int, Generator or None. Source of all randomness. Defaults to 0.
        batch_size: int. L, the number of pairs averaged into one point.
            Defaults to 64.
        num_train: int. Training points for the classifier. Defaults to
            10000.
        num_eval: int. Held-out points. Defaults to 5000.
        factors: names or indices of the factors y is drawn from. Defaults to
            all factors.
        classifier: unfitted scikit-learn classifier, cloned before use.
            Defaults to StandardScaler + LogisticRegression.
        encode_batch_size: int. Images per rendering and encoding call.
            Defaults to 4096.

    Returns:
        dict with ``train_accuracy``, ``eval_accuracy``, ``eval_confusion``
        (held-out counts, row = the fixed factor, column = the predicted
        one, both in ``factors`` order; it shows which factors the code
        cannot tell apart) and the settings used.

    Example:
    ```python
    data = keras_bvae.datasets.DSpritesSimulator()
    result = beta_vae_score(data, model.encode, seed=0)  # full protocol
    result["eval_accuracy"], result["eval_confusion"]
    ```

    Raises:
        ValueError: a count below 1, an unknown factor, or a representation
            of the wrong shape or with non-finite values.
    """
    data = as_ground_truth(data)
    batch_size = _utils.check_count("batch_size", batch_size)
    num_train = _utils.check_count("num_train", num_train)
    num_eval = _utils.check_count("num_eval", num_eval)
    encode_batch_size = _utils.check_count(
        "encode_batch_size", encode_batch_size
    )
    factor_indices = _utils.resolve_factors(data, factors)
    rng = as_rng(seed)
    progress.expect("images", 2 * batch_size * (num_train + num_eval))

    args = (batch_size, factor_indices, rng, encode_batch_size)
    x_train, y_train = _pair_features(data, representation_fn, num_train, *args)
    x_eval, y_eval = _pair_features(data, representation_fn, num_eval, *args)

    if classifier is None:
        model = _utils.seeded_clone(_default_classifier(), rng)
    else:
        model = _utils.seeded_clone(classifier, rng)
    if len(np.unique(y_train)) < 2:
        # Only one label seen: any classifier predicts it.
        model = DummyClassifier(strategy="most_frequent")
    model.fit(x_train, y_train)
    train_acc = float(np.mean(model.predict(x_train) == y_train))
    eval_pred = model.predict(x_eval)
    eval_acc = float(np.mean(eval_pred == y_eval))
    confusion = confusion_matrix(y_eval, eval_pred, labels=factor_indices)
    return {
        "train_accuracy": train_acc,
        "eval_accuracy": eval_acc,
        "eval_confusion": confusion.tolist(),
        "seed": _utils.seed_record(seed),
        "encode_batch_size": encode_batch_size,
        "batch_size": batch_size,
        "num_train": num_train,
        "num_eval": num_eval,
        "factors": [data.factor_names[i] for i in factor_indices],
        "classifier": repr(model),
    }


def higgins2017_summary(
    scores: Sequence[float], keep: float = 0.5
) -> dict[str, Any]:
    """How Higgins et al. (2017), Appendix A.4, report a score: of all
    runs (there 10 trained replicas x 3 classifier seeds = 30), the bottom
    half is discarded "to control for the outlier results from the few
    experiments that diverged during training"; mean and standard
    deviation of the rest.

    Args:
        scores: the accuracies of all runs.
        keep: float in (0, 1]. Fraction kept, from the top. Defaults to
            0.5; the kept count is rounded up.

    Returns:
        dict with ``mean``, ``std`` (population, of the kept scores),
        ``kept`` (their number), ``n`` (all runs), ``all_mean`` and
        ``all_std`` (over every run, for comparison).

    Example:
    ```python
    higgins2017_summary([0.9, 0.8, 0.7, 0.1])["mean"]  # 0.85
    ```
    """
    values = np.sort(np.asarray(scores, dtype=float))[::-1]
    if values.ndim != 1 or not len(values):
        raise ValueError("scores must be a non-empty list of numbers")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1]; got {keep!r}")
    kept = values[: int(np.ceil(keep * len(values)))]
    return {
        "mean": float(kept.mean()),
        "std": float(kept.std()),
        "kept": len(kept),
        "n": len(values),
        "all_mean": float(values.mean()),
        "all_std": float(values.std()),
    }
