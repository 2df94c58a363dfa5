"""TensorFlow SavedModel export with named, tensor-in/tensor-out signatures.

The export runs anywhere TensorFlow runs (TF Serving, a process that has
only ``tensorflow``, a Colab notebook); it needs neither keras_bvae nor
TensorFlow Probability. Every signature has a dynamic batch size B; M is the
latent size and (H, W, C) the image shape:

    encode(images f32 (B,H,W,C))    -> mean, logvar          f32 (B, M)
    decode(latents f32 (B,M))       -> logits, probabilities f32 (B,H,W,C)
    reconstruct(images)             -> probabilities         f32 (B,H,W,C)
    sample(count i32 (), seed i64 ()) -> latents (count, M),
                                       probabilities (count, H, W, C)
    serving_default                 =  reconstruct

``mean`` and ``logvar`` parametrise q(z|x) = N(mean, diag(exp(logvar))), with
the log-variance soft-clamped as in ``keras_bvae.distributions``;
``probabilities`` = sigmoid(logits) is the mean of p(x|z): pixel
probabilities for the Bernoulli likelihood, pixel means for the Gaussian.
``reconstruct`` decodes the posterior mean, like ``BetaVAE.reconstruct``.
``sample`` draws z ~ N(0, I) as ``tf.random.stateless_normal([count, M],
seed=[seed, 0])``, so a (count, seed) pair gives the same images on the same
TensorFlow version and device (they differ from ``BetaVAE.sample``, which
draws with numpy); decode your own latents with ``decode``.

Bad inputs fail inside the graph with ``InvalidArgumentError`` before any
kernel sees them: images or latents of another rank or shape than the
table's (one unbatched image too) or an empty batch, NaN or inf, images
outside [0, 1] for the Bernoulli likelihood, and ``count`` outside
[1, ``MAX_SAMPLE_COUNT``] (4,096). A tensor of
another dtype is refused by the signature itself (``InvalidArgumentError``
"expected to be a float tensor"); nothing is converted.

Beside ``saved_model.pb`` the export holds ``keras_bvae_config.json``: the
model's architecture, latent size, beta, normalised beta, likelihood, image
shape, the full ``BetaVAE.get_config()`` and the signatures, which lets
``keras_bvae.load`` rebuild the Keras model from the export alone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_bvae.inputs import check_images_tf, check_latents_tf

__all__ = [
    "CONFIG_FILENAME",
    "EXPORT_SUBDIR",
    "FORMAT_VERSION",
    "SIGNATURES",
    "export_saved_model",
    "is_export",
    "load_export_model",
    "read_export_config",
]

CONFIG_FILENAME = "keras_bvae_config.json"
# Name of the export folder inside a saved_models/NAME (or run) folder.
EXPORT_SUBDIR = "savedmodel"
FORMAT_VERSION = 1
SIGNATURES = ("encode", "decode", "reconstruct", "sample", "serving_default")
# The most images one ``sample`` call draws (64 MB of 64x64 float32
# images); a larger count would let one request exhaust a server's memory.
MAX_SAMPLE_COUNT = 4096
_WEIGHTS_COLLECTION = "keras_weights"


def _signature_table(model) -> dict[str, dict[str, Any]]:
    h, w, c = model.image_shape
    m = model.latent_dim
    image = {"dtype": "float32", "shape": [None, h, w, c]}
    latent = {"dtype": "float32", "shape": [None, m]}
    return {
        "encode": {
            "inputs": {"images": image},
            "outputs": {"mean": latent, "logvar": latent},
        },
        "decode": {
            "inputs": {"latents": latent},
            "outputs": {"logits": image, "probabilities": image},
        },
        "reconstruct": {
            "inputs": {"images": image},
            "outputs": {"probabilities": image},
        },
        "sample": {
            "inputs": {
                "count": {"dtype": "int32", "shape": []},
                "seed": {"dtype": "int64", "shape": []},
            },
            "outputs": {"latents": latent, "probabilities": image},
        },
        "serving_default": {"same_as": "reconstruct"},
    }


def _export_config(model) -> dict[str, Any]:
    import keras_bvae

    return {
        "format_version": FORMAT_VERSION,
        "architecture": "custom"
        if model.custom_networks
        else model.architecture,
        "latent_dim": model.latent_dim,
        "objective": model.objective.registered_name,
        "objective_config": model.objective.get_config(),
        "beta": model.beta,
        "normalized_beta": model.normalized_beta,
        "likelihood": model.likelihood,
        "gaussian_scale": model.gaussian_scale,
        "image_shape": list(model.image_shape),
        "signatures": _signature_table(model),
        "sample_latents": "tf.random.stateless_normal([count, latent_dim], "
        "seed=[seed, 0], dtype=float32)",
        "model_config": model.get_config(),
        "keras_bvae_version": keras_bvae.__version__,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
    }


def _archive(model) -> keras.export.ExportArchive:
    """The ExportArchive holding the model's variables and endpoints."""
    h, w, c = model.image_shape
    unit_range = model.likelihood == "bernoulli"

    def posterior(images):
        images = check_images_tf(
            images, model.image_shape, unit_range=unit_range
        )
        # float32 out, whatever the model's compute dtype
        return model._posterior_tensors(images)

    def logits_of(latents):
        latents = check_latents_tf(latents, model.latent_dim)
        return model._logits_tensor(latents)

    def encode(images):
        mean, logvar = posterior(images)
        return {"mean": mean, "logvar": logvar}

    def decode(latents):
        logits = logits_of(latents)
        return {"logits": logits, "probabilities": tf.sigmoid(logits)}

    def reconstruct(images):
        mean, _ = posterior(images)
        return {"probabilities": tf.sigmoid(logits_of(mean))}

    def sample(count, seed):
        checks = [
            tf.debugging.assert_positive(count, message="count must be >= 1"),
            tf.debugging.assert_less_equal(
                count,
                MAX_SAMPLE_COUNT,
                message=f"count must be <= {MAX_SAMPLE_COUNT}; call sample "
                "again with other seeds for more",
            ),
        ]
        # Stateless ops get no automatic control dependency: without this
        # the draw could start allocating before the checks fail.
        with tf.control_dependencies(checks):
            count = tf.identity(count)
        latents = tf.random.stateless_normal(
            tf.stack([count, model.latent_dim]),
            seed=tf.stack([seed, tf.zeros_like(seed)]),
            dtype=tf.float32,
        )
        return {
            "latents": latents,
            "probabilities": tf.sigmoid(logits_of(latents)),
        }

    images = tf.TensorSpec((None, h, w, c), tf.float32, name="images")
    latents = tf.TensorSpec(
        (None, model.latent_dim), tf.float32, name="latents"
    )
    # Endpoints track the variables they use; archive.track(model) would
    # store every weight twice (Keras and tf.Variable), doubling the size.
    archive = keras.export.ExportArchive()
    # the first endpoint is also registered as serving_default
    archive.add_endpoint("reconstruct", reconstruct, [images])
    archive.add_endpoint("encode", encode, [images])
    archive.add_endpoint("decode", decode, [latents])
    archive.add_endpoint(
        "sample",
        sample,
        [
            tf.TensorSpec((), tf.int32, name="count"),
            tf.TensorSpec((), tf.int64, name="seed"),
        ],
    )
    # the same tf.Variables in BetaVAE.get_weights() order, so that
    # load_export_model can restore them
    archive.add_variable_collection(
        _WEIGHTS_COLLECTION, [w.value for w in model.weights]
    )
    return archive


def is_export(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` holds a keras_bvae SavedModel export."""
    return os.path.isfile(
        os.path.join(directory, "saved_model.pb")
    ) and os.path.isfile(os.path.join(directory, CONFIG_FILENAME))


def _check_target(directory: str, overwrite: bool) -> None:
    if not os.path.lexists(directory):
        return
    if not os.path.isdir(directory):
        raise FileExistsError(
            f"{directory} exists and is not a folder; choose another export "
            "folder"
        )
    if not os.listdir(directory):
        return  # an empty folder is replaced
    if not overwrite:
        raise FileExistsError(
            f"{directory} is not empty; export into a new or empty folder, "
            "or pass overwrite=True (--overwrite) to replace an earlier "
            "export"
        )
    if not is_export(directory):
        raise FileExistsError(
            f"{directory} is not empty and does not hold a keras_bvae export "
            f"(saved_model.pb and {CONFIG_FILENAME}); refusing to overwrite "
            "it"
        )


def export_saved_model(
    model, directory: str | os.PathLike, *, overwrite: bool = False
) -> str:
    """Exports a BetaVAE as a SavedModel with named signatures.

    The signatures, their tensors and the sampling rule are described in
    this module's docstring; ``keras_bvae_config.json`` is written into the
    export folder.

    The export is written into a temporary folder beside ``directory`` and
    renamed into place when complete, so a failure never leaves a
    half-written export. ``directory`` must not exist or be an empty folder;
    with ``overwrite=True`` an earlier keras_bvae export there is replaced
    (any other non-empty folder is refused).

    Args:
        model: BetaVAE. The model to export.
        directory: str. The export folder; parent folders are created.
        overwrite: bool. Replace an earlier export in ``directory``.
            Defaults to False.

    Returns:
        The absolute path of the export folder.

    Raises:
        TypeError: ``model`` is not a BetaVAE.
        FileExistsError: ``directory`` is a file, or a non-empty folder that
            may not be replaced.

    Example:
    ```python
    import tensorflow as tf
    from keras_bvae.export import export_saved_model
    export_saved_model(model, "exports/bvae")
    served = tf.saved_model.load("exports/bvae")
    out = served.signatures["encode"](images=tf.zeros((2, 64, 64, 1)))
    out["mean"]                                # (2, latent_dim)
    ```
    """
    from keras_bvae.model import BetaVAE

    if not isinstance(model, BetaVAE):
        raise TypeError(
            f"model must be a keras_bvae.BetaVAE; got {type(model).__name__}"
        )
    directory = os.path.abspath(os.fspath(directory))
    _check_target(directory, overwrite)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    config_text = json.dumps(_export_config(model), indent=2)
    name = os.path.basename(directory)
    staging = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)
    old = None
    try:
        _archive(model).write_out(staging, verbose=False)
        with open(os.path.join(staging, CONFIG_FILENAME), "w") as f:
            f.write(config_text + "\n")
        if os.path.isdir(directory) and os.listdir(directory):
            # overwrite=True on an earlier export (checked above)
            old = tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent)
            os.rename(directory, os.path.join(old, name))
        os.replace(staging, directory)  # also replaces an empty folder
    except BaseException:
        if old is not None and not os.path.exists(directory):
            os.rename(os.path.join(old, name), directory)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return directory


def read_export_config(directory: str | os.PathLike) -> dict[str, Any]:
    """The ``keras_bvae_config.json`` of an export folder, as a dict."""
    path = os.path.join(directory, CONFIG_FILENAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{directory} holds no {CONFIG_FILENAME}; is it a keras_bvae "
            "export?"
        )
    with open(path) as f:
        return json.load(f)


def load_export_model(directory: str | os.PathLike):
    """Rebuilds the Keras BetaVAE from an export folder.

    The model is constructed from the stored ``get_config()`` and given the
    exported weights, so it equals the exported model (the optimizer state
    is not exported). For serving, load the export with
    ``tf.saved_model.load`` instead.

    Raises:
        FileNotFoundError: ``directory`` is not a keras_bvae export.
        ValueError: the export's weights do not fit the stored config.
    """
    from keras_bvae.model import BetaVAE

    directory = os.fspath(directory)
    if not is_export(directory):
        raise FileNotFoundError(
            f"{directory} is not a keras_bvae export (needs saved_model.pb "
            f"and {CONFIG_FILENAME})"
        )
    config = read_export_config(directory)
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{directory} has export format_version "
            f"{config.get('format_version')!r}; this keras_bvae reads "
            f"{FORMAT_VERSION}"
        )
    model = BetaVAE.from_config(config["model_config"])
    loaded = tf.saved_model.load(directory)
    weights = [
        np.asarray(v.numpy()) for v in getattr(loaded, _WEIGHTS_COLLECTION)
    ]
    expected = [tuple(w.shape) for w in model.weights]
    if [w.shape for w in weights] != expected:
        raise ValueError(
            f"the weights in {directory} have shapes "
            f"{[w.shape for w in weights]}; the stored config builds a model "
            f"with {expected}"
        )
    model.set_weights(weights)
    return model
