"""The paper's own protocol of the beta-VAE metric ("higgins2017"): its
classifier, its factors, its aggregation over seeds, and where it is
looked up."""

import numpy as np
import pytest
from support import FactorVectorData, constant, dsprites_like, oracle

from keras_bvae import disentanglement as dis
from keras_bvae.disentanglement.codes_table import worth_tabulating

# The protocol at tiny sizes: L = 16, 300 train and 300 test points.
TINY = {"batch_size": 16, "num_train": 300, "num_eval": 300}


def score(fn, data=None, **kwargs):
    settings = {**dis.protocol_settings("beta_vae", "higgins2017"), **TINY}
    settings.update(kwargs)
    return dis.beta_vae_score(data or dsprites_like(), fn, seed=0, **settings)


def test_protocol_is_the_papers():
    settings = dis.protocol_settings("beta_vae", "higgins2017")
    # Appendix A.4: y is one of position X, position Y, scale, rotation.
    assert settings["factors"] == ("scale", "orientation", "pos_x", "pos_y")
    clf = settings["classifier"]
    assert isinstance(clf, dis.AdagradSoftmaxClassifier)
    assert clf.learning_rate == 1e-2  # Adagrad, learning rate 1e-2
    assert settings["batch_size"] == 64


def test_perfect_codes_score_one():
    result = score(oracle)
    assert result["factors"] == ["scale", "orientation", "pos_x", "pos_y"]
    assert "AdagradSoftmaxClassifier" in result["classifier"]
    assert result["eval_accuracy"] == 1.0
    assert result["train_accuracy"] == 1.0


def test_constant_codes_score_chance():
    # Four factors: a code that shows nothing is right 1/4 of the time
    # (binomial std over 300 points ~ 0.025).
    result = score(constant)
    assert abs(result["eval_accuracy"] - 0.25) < 0.08


def test_code_without_orientation_and_pos_y_scores_three_quarters():
    # Scale and pos_x only: a point with orientation fixed and one with
    # pos_y fixed look alike (both dimensions vary), so the classifier
    # calls both one of the two; scale and pos_x points are told apart
    # exactly. Accuracy: 1 - (share of the uncalled one) ~ 2/4 + 1/4.
    def scale_and_pos_x(x):
        return oracle(x)[:, [1, 3]]

    result = score(scale_and_pos_x)
    confusion = np.array(result["eval_confusion"])  # scale, ori, x, y
    assert confusion[0, 0] == confusion[0].sum()
    assert confusion[2, 2] == confusion[2].sum()
    # (a stray or two: L = 16 pairs can leave scale nearly unchanged)
    assert confusion[[1, 3]][:, [0, 2]].sum() <= 3
    called = 1 if confusion[:, 1].sum() > confusion[:, 3].sum() else 3
    other = 4 - called  # orientation <-> pos_y
    assert confusion[:, other].sum() <= 3
    assert result["eval_accuracy"] == pytest.approx(0.75, abs=0.08)


def test_classifier_seed_changes_the_fit_not_the_points():
    data = FactorVectorData((3, 6, 10, 8, 8), dsprites_like().factor_names)

    def noisy(x):
        rng = np.random.default_rng(len(x))
        return x + rng.normal(scale=3.0, size=x.shape)

    a = score(
        noisy, data, classifier=dis.AdagradSoftmaxClassifier(random_state=1)
    )
    b = score(
        noisy, data, classifier=dis.AdagradSoftmaxClassifier(random_state=1)
    )
    c = score(
        noisy, data, classifier=dis.AdagradSoftmaxClassifier(random_state=2)
    )
    assert a["eval_accuracy"] == b["eval_accuracy"]
    assert 0.3 < a["eval_accuracy"] < 0.95
    assert c["eval_confusion"] != a["eval_confusion"]


def test_classifier_learns_a_linear_rule_and_stops():
    # Labels 15% flipped: the loss has a floor, so "until convergence"
    # ends before max_epochs, with the clean rule learnt.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    clean = x[:, 0] > 0
    y = np.where(clean ^ (rng.random(400) < 0.15), "a", "b")
    clf = dis.AdagradSoftmaxClassifier(random_state=0).fit(x, y)
    assert np.mean(clf.predict(x) == np.where(clean, "a", "b")) > 0.93
    assert clf.n_epochs_ < clf.max_epochs  # converged, not cut off
    assert list(clf.classes_) == ["a", "b"]


def test_summary_keeps_the_top_half():
    # Appendix A.4: the bottom 50% of the scores are discarded.
    summary = dis.higgins2017_summary([0.7, 0.1, 0.9, 0.8])
    assert summary["mean"] == pytest.approx(0.85)
    assert summary["std"] == pytest.approx(0.05)
    assert (summary["kept"], summary["n"]) == (2, 4)
    assert summary["all_mean"] == pytest.approx(0.625)
    assert dis.higgins2017_summary([0.5, 0.4, 0.3])["kept"] == 2
    with pytest.raises(ValueError, match="non-empty"):
        dis.higgins2017_summary([])


def test_protocol_defines_the_beta_vae_metric_only():
    assert list(dis.PROTOCOLS["higgins2017"]) == ["beta_vae"]
    assert dis.protocol_metrics("higgins2017") == ("beta_vae",)
    assert "mig" in dis.protocol_metrics("full")
    with pytest.raises(ValueError, match="no settings for metric 'mig'"):
        dis.protocol_settings("mig", "higgins2017")
    results = dis.evaluate(
        dsprites_like(), oracle, protocol="higgins2017", seed=0, **TINY
    )
    assert list(results) == ["beta_vae"]
    assert results["beta_vae"]["protocol"] == "higgins2017"
    assert results["beta_vae"]["eval_accuracy"] == 1.0


def test_codes_table_is_used_for_the_full_size_protocol():
    from keras_bvae.datasets import DSpritesSimulator

    data = DSpritesSimulator()
    assert worth_tabulating(data, ["beta_vae"], "higgins2017")
    assert not worth_tabulating(data, ["beta_vae"], "quick")


def test_metric_callback_takes_the_protocol():
    from keras_bvae.callbacks import DisentanglementCallback

    callback = DisentanglementCallback(
        dsprites_like(), protocol="higgins2017", settings=TINY
    )
    callback.set_model(
        type(
            "M",
            (),
            {"encode": staticmethod(lambda x, batch_size: oracle(x))},
        )()
    )
    results = callback.score("higgins2017")
    assert results["beta_vae"]["eval_accuracy"] == 1.0
