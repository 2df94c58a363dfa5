"""The user's own images: a folder of PNG and JPEG files as training data.

``ImageFolder(path)`` finds every ``.png``, ``.jpg`` and ``.jpeg`` file
under ``path`` (recursively, any case of the extension, skipping names that
start with a dot), in sorted order of their relative paths, so the same
folder always gives the same rows. Each image is decoded with TensorFlow's
decoders (Pillow's for what they refuse, such as CMYK JPEGs), converted to
the requested channels (colour to grey by luminance, grey repeated to RGB,
alpha dropped), centre-cropped to a square
(``crop=True``) and resized to ``image_size`` x ``image_size`` with
antialiased bilinear interpolation. The images are decoded once, in
parallel, and held in memory as uint8 (see ``ImageSet``).

The folder has no generative factors: it trains and is ranked by the
label-free UDR, and the supervised metrics refuse it (``ImageSet``). With
``labels=True`` the first-level subfolder of each image is its class, one
factor named "folder". A name with an image ending that is not a regular
file (a FIFO, a device) is refused, not read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from keras_bvae.datasets.images import ImageSet, square_uint8
from keras_bvae.validation import check_int

__all__ = ["IMAGE_EXTENSIONS", "ImageFolder", "list_images"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def list_images(path: str | os.PathLike) -> list[Path]:
    """The image files under ``path``, sorted by relative path.

    Raises:
        FileNotFoundError: ``path`` is not a folder.
        ValueError: it holds no PNG or JPEG file, or a name with an image
            ending that is not a regular file (a FIFO, which reading
            would wait on forever, a device, a socket, a broken link).
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"no such image folder: {root}")
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and name.lower().endswith(
                IMAGE_EXTENSIONS
            ):
                found.append(_regular_file(Path(folder, name)))
    if not found:
        raise ValueError(
            f"no images in {root}: looked for "
            f"{', '.join(IMAGE_EXTENSIONS)} files in it and its subfolders"
        )
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _regular_file(path: Path) -> Path:
    """``path`` if it is a regular file (or a link to one), else a
    ValueError naming it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise ValueError(
            f"cannot read {path}: {error.strerror or error}"
        ) from None
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{path} is not a regular file (a FIFO, device or socket); an "
            "image folder must hold image files only: move it out"
        )
    return path


def _load_one(tf, path, image_size: int, channels: int, crop: bool):
    raw = tf.io.read_file(path)
    image = tf.io.decode_image(
        raw, channels=channels, dtype=tf.uint8, expand_animations=False
    )
    return square_uint8(tf, image, image_size, crop)


def decode_images(
    paths, image_size: int, channels: int, crop: bool = True
) -> np.ndarray:
    """Decodes and resizes image files: uint8 (n, S, S, C), in order.

    Raises:
        ValueError: a file that is not a readable PNG or JPEG, named.
    """
    import tensorflow as tf

    strings = [os.fspath(p) for p in paths]
    dataset = (
        tf.data.Dataset.from_tensor_slices(strings)
        .map(
            lambda p: _load_one(tf, p, image_size, channels, crop),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        .batch(256)
    )
    try:
        return np.concatenate([batch.numpy() for batch in dataset])
    except tf.errors.OpError:
        pass
    # Some file failed: one at a time, with Pillow for the files that
    # TensorFlow's decoders refuse (CMYK JPEGs), naming a file that
    # neither reads.
    images = []
    for path in strings:
        try:
            image = tf.io.decode_image(
                tf.io.read_file(path),
                channels=channels,
                dtype=tf.uint8,
                expand_animations=False,
            )
        except tf.errors.OpError as error:
            image = _decode_with_pillow(path, channels)
            if image is None:
                raise ValueError(
                    f"cannot read {path} as an image: {error.message}"
                ) from None
        images.append(square_uint8(tf, image, image_size, crop).numpy())
    return np.stack(images)


def _decode_with_pillow(path: str, channels: int) -> np.ndarray | None:
    """uint8 (H, W, channels) by Pillow (any mode converted as TensorFlow
    converts: grey by ITU-R 601 luminance), or None if it cannot."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            image = image.convert("RGB")
            if channels == 1:
                image = image.convert("L")
            array = np.asarray(image, np.uint8)
    except Exception:  # not an image Pillow reads either
        return None
    return array.reshape(*array.shape[:2], channels)


class ImageFolder(ImageSet):
    """A folder of PNG and JPEG images as (unlabelled) training data.

    See the module docstring for the order, conversion and resizing.

    Args:
        path: str or PathLike. The folder; subfolders are read too.
        image_size: int. Side S of the square images served. Defaults to
            64, the size of the "burgess" network of the papers; that
            network takes 16, 32, 64, 128 or 256
            (``keras_bvae.networks.burgess_depth``).
        channels: int. 1 (grey) or 3 (RGB). Defaults to 3.
        crop: bool. Centre-crop each image to a square before resizing;
            False stretches it instead. Defaults to True.
        labels: bool. Give each image its first-level subfolder as a class
            (one factor, "folder"), so the supervised metrics can score
            it; every image must then lie in a subfolder. Defaults to
            False.

    Attributes:
        files: the image paths, in row order.

    Raises:
        FileNotFoundError: no such folder.
        ValueError: no image in it, a file that cannot be decoded, a bad
            size or channel count, or (``labels``) an image outside any
            subfolder; the message names it.

    Example:
    ```python
    data = keras_bvae.datasets.ImageFolder("~/photos", image_size=64)
    model = keras_bvae.BetaVAE(image_shape=data.observation_shape)
    model.compile(optimizer="adam")
    model.fit(make_dataset(data, 64, seed=0), epochs=10)
    ```
    """

    def __init__(
        self,
        path: str | os.PathLike,
        image_size: int = 64,
        channels: int = 3,
        *,
        crop: bool = True,
        labels: bool = False,
    ):
        image_size = check_int("image_size", image_size, minimum=1)
        if isinstance(channels, bool) or channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels!r}")
        self.path = Path(path).expanduser()
        self.files = list_images(self.path)
        self.crop = bool(crop)
        names = None
        classes = None
        if labels:
            parts = [f.relative_to(self.path).parts for f in self.files]
            loose = [f for f, p in zip(self.files, parts) if len(p) < 2]
            if loose:
                raise ValueError(
                    f"labels=True takes each image's subfolder as its class, "
                    f"but {loose[0]} lies directly in {self.path}"
                )
            names = sorted({p[0] for p in parts})
            index = {name: k for k, name in enumerate(names)}
            classes = np.array([index[p[0]] for p in parts], np.int64)
        super().__init__(
            decode_images(self.files, image_size, channels, self.crop),
            labels=classes,
            label_names=names,
            label_factor="folder",
        )
