"""Disentanglement metrics: pure numpy/scikit-learn functions of a
ground-truth data set and a representation function (images -> codes).

Each returns a dict of scores plus the settings and seed used:

- ``beta_vae_score``: Higgins et al. (2017).
- ``factor_vae_score``: Kim & Mnih (2018).
- ``mig``: Chen et al. (2018).
- ``dci``: Eastwood & Williams (2018).
- ``sap``: Kumar et al. (2018).

``evaluate`` runs several under the "full" (disentanglement_lib, Locatello
et al. 2019) or "quick" protocol of ``PROTOCOLS``.
"""

from keras_bvae.disentanglement.beta_vae import beta_vae_score
from keras_bvae.disentanglement.dci import dci
from keras_bvae.disentanglement.factor_vae import factor_vae_score
from keras_bvae.disentanglement.mig import mig
from keras_bvae.disentanglement.protocols import (
    METRICS,
    PROTOCOLS,
    evaluate,
    protocol_settings,
)
from keras_bvae.disentanglement.sap import sap

__all__ = [
    "METRICS",
    "PROTOCOLS",
    "beta_vae_score",
    "dci",
    "evaluate",
    "factor_vae_score",
    "mig",
    "protocol_settings",
    "sap",
]
