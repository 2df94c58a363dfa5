"""keras_bvae: beta-VAE and disentanglement metrics for Keras 3.

Public API:
    BetaVAE                 the model (keras_bvae.model)
    CapacitySchedule        capacity annealing (Burgess et al. 2018)
    datasets                ground-truth data: simulator, tfds dSprites, arrays
    disentanglement         metrics: beta_vae_score, factor_vae_score, mig, ...
    export                  SavedModel export with named signatures
    load                    load a .keras file, run folder or export
    sweep                   beta x latent size x seed sweeps and figures
    tuning                  Keras Tuner integration (import keras_bvae.tuning)

Importing the package imports nothing else and changes no environment
variable: each name above is imported on first use (PEP 562), so a program
(``python -m keras_bvae``) can configure TensorFlow before it is loaded.
"""

import importlib

__version__ = "0.1.0"

# name -> (module, attribute); None: the module itself
_LAZY = {
    "BetaVAE": ("keras_bvae.model", "BetaVAE"),
    "CapacitySchedule": ("keras_bvae.objectives", "CapacitySchedule"),
    "normalized_beta": ("keras_bvae.objectives", "normalized_beta"),
    "load": ("keras_bvae.loading", "load"),
    "callbacks": ("keras_bvae.callbacks", None),
    "datasets": ("keras_bvae.datasets", None),
    "disentanglement": ("keras_bvae.disentanglement", None),
    "export": ("keras_bvae.export", None),
    "plotting": ("keras_bvae.plotting", None),
    "sweep": ("keras_bvae.sweep", None),
}

__all__ = [
    "BetaVAE",
    "CapacitySchedule",
    "callbacks",
    "datasets",
    "disentanglement",
    "export",
    "load",
    "normalized_beta",
    "plotting",
    "sweep",
    "__version__",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_bvae' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
