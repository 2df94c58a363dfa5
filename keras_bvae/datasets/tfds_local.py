"""Running a real tensorflow-datasets builder on local files, offline.

The tfds builders of dSprites, 3D Shapes and smallNORB download the
official files and convert them. ``prepare_from_files`` runs the same
builder on files a user already has, without network, in one of two ways:

* ``verify_checksum=True`` (for the official files): the files go into a
  temporary manual-download directory under the names tfds registers, and
  tfds checks each against its registered sha256 before using it.
* ``verify_checksum=False`` (for a subset, or files a test writes in the
  official layout): tfds's ``DownloadManager.download`` hands the builder
  the local paths in place of its downloads (and ``download_and_extract``
  extracts them with tfds's own extractor, so ``.gz`` files work too).

Everything after that (reading, encoding, writing the prepared files) is
the builder's own code.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DataNotPreparedError",
    "data_dir_text",
    "not_prepared_message",
    "prepare_from_files",
    "tfds_module",
]


class DataNotPreparedError(FileNotFoundError):
    """A tfds data set is not prepared and could not be made."""


def tfds_module():
    """Imports tensorflow_datasets with TensorFlow's C++ logs quietened."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow_datasets as tfds

    return tfds


def prepared_builder(
    name: str,
    data_dir,
    download: bool,
    missing,
    error: type[DataNotPreparedError] = DataNotPreparedError,
):
    """The tfds builder ``name``, prepared, or ``error`` saying how.

    Args:
        name: str. The tfds data set name.
        data_dir: str or None. tfds data folder.
        download: bool. Download and prepare when it is not prepared.
        missing: callable (data_dir, reason) -> the error's message.
        error: the ``DataNotPreparedError`` subclass to raise.
    """
    builder = tfds_module().builder(name, data_dir=data_dir)
    if builder.is_prepared():
        return builder
    if not download:
        raise error(missing(data_dir, "download=False"))
    try:
        builder.download_and_prepare()
    except Exception as err:
        reason = f"download failed: {type(err).__name__}"
        raise error(missing(data_dir, reason)) from err
    return builder


def data_dir_text(data_dir) -> str:
    """The tfds data directory a builder uses, for messages."""
    if data_dir is not None:
        return str(data_dir)
    return os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")


def not_prepared_message(
    name: str, data_dir, reason: str, offline: str, fallback: str = ""
) -> str:
    """The text of a ``DataNotPreparedError``: what is missing, what to do.

    Args:
        name: tfds name of the data set.
        data_dir: the data directory searched (None: tfds's default).
        reason: why it is not there (``download=False``, a failed download).
        offline: the lines of step 2 (how to build it from local files).
        fallback: an optional step 3.
    """
    where = data_dir_text(data_dir)
    text = (
        f"tfds {name!r} is not prepared in data_dir={where!r} ({reason}).\n"
        "Do one of:\n"
        f"  1. With internet: pass download=True (tfds downloads it).\n"
        f"  2. Offline: {offline}"
    )
    if fallback:
        text += f"\n  3. {fallback}"
    return text


def _serve(urls, files: Mapping[str, Path]):
    if isinstance(urls, str):
        base = urls.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if base in files:
            return files[base]
        raise RuntimeError(
            f"only local files {sorted(files)} are served; the builder asked "
            f"for {urls!r}"
        )
    if isinstance(urls, Mapping):
        return {k: _serve(v, files) for k, v in urls.items()}
    if isinstance(urls, (list, tuple)):
        return type(urls)(_serve(v, files) for v in urls)
    raise RuntimeError(f"cannot serve a download request {urls!r}")


@contextlib.contextmanager
def _downloads_served(files: Mapping[str, Path]):
    """Makes tfds's DownloadManager answer requests with ``files``.

    ``files`` maps a URL's file name (its last path part, without a query)
    to a local path; any other request fails.
    """
    manager = tfds_module().download.DownloadManager
    original = manager.download, manager.download_and_extract

    def download(self, url_or_urls):
        return _serve(url_or_urls, files)

    def download_and_extract(self, url_or_urls):
        return self.extract(_serve(url_or_urls, files))

    manager.download = download
    manager.download_and_extract = download_and_extract
    try:
        yield
    finally:
        manager.download, manager.download_and_extract = original


def prepare_from_files(
    name: str,
    files: Mapping[str, str | os.PathLike],
    data_dir: str | os.PathLike | None = None,
    *,
    verify_checksum: bool = True,
) -> Path:
    """Runs the tfds builder ``name`` on local files (module docstring).

    Does nothing when the data set is already prepared in ``data_dir``.

    Args:
        name: tfds name, e.g. ``"shapes3d"``.
        files: the file name of each URL the builder downloads (as tfds
            registers it, e.g. ``"3dshapes.h5"``) -> the local file.
        data_dir: tfds data directory. Defaults to tfds's default.
        verify_checksum: check the files against tfds's registered sha256.
            Pass False for a subset or a file written in the same layout.

    Returns:
        The directory holding the prepared data set.

    Raises:
        FileNotFoundError: a local file does not exist.
        ValueError: ``verify_checksum`` is True and a file is not the
            official one.
    """
    tfds = tfds_module()
    local = {}
    for key, path in files.items():
        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path} (for {key})")
        local[key] = path
    if data_dir is not None:
        data_dir = os.path.expanduser(os.fspath(data_dir))
    builder = tfds.builder(name, data_dir=data_dir)
    if builder.is_prepared():
        return Path(builder.data_dir)
    if not verify_checksum:
        config = tfds.download.DownloadConfig(try_download_gcs=False)
        with _downloads_served(local):
            builder.download_and_prepare(download_config=config)
        return Path(builder.data_dir)
    with tempfile.TemporaryDirectory() as manual_dir:
        for key, path in local.items():
            link = Path(manual_dir) / key
            try:
                link.symlink_to(path)
            except OSError:
                shutil.copyfile(path, link)
        config = tfds.download.DownloadConfig(
            manual_dir=manual_dir, try_download_gcs=False
        )
        try:
            builder.download_and_prepare(download_config=config)
        except Exception as err:
            if type(err).__name__ != "NonMatchingChecksumError":
                raise
            raise ValueError(
                f"the files {sorted(local)} are not the official {name} "
                "files (their sha256 differs from what tfds registers). For "
                "a subset or files written in the same layout pass "
                "verify_checksum=False."
            ) from err
    return Path(builder.data_dir)
