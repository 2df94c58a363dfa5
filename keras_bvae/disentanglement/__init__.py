"""Disentanglement metrics: pure numpy/scikit-learn functions of a
ground-truth data set and a representation function (images -> codes).

Each returns a dict of scores plus the settings and seed used:

- ``beta_vae_score``: Higgins et al. (2017).
- ``factor_vae_score``: Kim & Mnih (2018).
- ``mig``: Chen et al. (2018).
- ``dci``: Eastwood & Williams (2018).
- ``sap``: Kumar et al. (2018).
- ``modularity_explicitness``: Ridgeway & Mozer (2018).
- ``unsupervised_scores``: Gaussian total correlation, Wasserstein
  correlation and mutual information of the code (no labels needed).
- ``udr``: Unsupervised Disentanglement Ranking (Duan et al., 2020), from
  the codes of several models.

The maths of MIG, DCI, SAP and modularity/explicitness is also public on
arrays, for codes from any framework: ``mig_from_codes(codes, factors)``,
``dci_from_codes``, ``sap_from_codes``,
``modularity_explicitness_from_codes`` (train and test samples),
``unsupervised_scores_from_codes(codes)``; ``udr`` takes codes already
(docs/metrics_on_arrays.md).

``evaluate`` runs several under the "full" (disentanglement_lib, Locatello
et al. 2019) or "quick" protocol of ``PROTOCOLS``, or beta_vae_score under
"higgins2017", the paper's own (``higgins2017_summary`` aggregates its
seeds as the paper did); ``SCORE_KEYS`` names the
scalar scores of each metric's result. Each metric module owns its entries
of both. ``as_ground_truth`` adapts data objects that do not subclass
``keras_bvae.datasets.GroundTruthData`` (every metric calls it).
``CodesTable`` encodes every factor combination of a data set once, so that
metrics on data with one image per combination (dSprites) look codes up
instead of encoding millions of repeats; ``progress.reporting`` shows
a metric's progress.
"""

from keras_bvae.disentanglement.beta_vae import (
    AdagradSoftmaxClassifier,
    beta_vae_score,
    higgins2017_summary,
)
from keras_bvae.disentanglement.codes_table import CodesTable
from keras_bvae.disentanglement.dci import dci, dci_from_codes
from keras_bvae.disentanglement.factor_vae import factor_vae_score
from keras_bvae.disentanglement.ground_truth import (
    UnlabelledDataError,
    as_ground_truth,
)
from keras_bvae.disentanglement.latent_factors import label_latents
from keras_bvae.disentanglement.mig import mig, mig_from_codes
from keras_bvae.disentanglement.modularity import (
    modularity_explicitness,
    modularity_explicitness_from_codes,
)
from keras_bvae.disentanglement.protocols import (
    LABEL_FREE_METRICS,
    METRICS,
    PROTOCOLS,
    SCORE_KEYS,
    evaluate,
    protocol_metrics,
    protocol_settings,
)
from keras_bvae.disentanglement.sap import sap, sap_from_codes
from keras_bvae.disentanglement.udr import udr
from keras_bvae.disentanglement.unsupervised import (
    unsupervised_scores,
    unsupervised_scores_from_codes,
)

__all__ = [
    "AdagradSoftmaxClassifier",
    "CodesTable",
    "label_latents",
    "LABEL_FREE_METRICS",
    "METRICS",
    "PROTOCOLS",
    "SCORE_KEYS",
    "UnlabelledDataError",
    "as_ground_truth",
    "beta_vae_score",
    "dci",
    "dci_from_codes",
    "evaluate",
    "factor_vae_score",
    "mig",
    "mig_from_codes",
    "modularity_explicitness",
    "modularity_explicitness_from_codes",
    "higgins2017_summary",
    "protocol_metrics",
    "protocol_settings",
    "sap",
    "sap_from_codes",
    "udr",
    "unsupervised_scores",
    "unsupervised_scores_from_codes",
]
