"""``keras-bvae export MODEL [DIR]``: a SavedModel with named signatures."""

from __future__ import annotations

import argparse
import os
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        help="a .keras file, a run folder or a saved_models/NAME folder",
    )
    parser.add_argument(
        "directory",
        nargs="?",
        default=None,
        help="the export folder, new or empty (default: savedmodel/ beside "
        "the .keras file, or inside the MODEL folder)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier keras_bvae export in the folder",
    )


def run(args: argparse.Namespace) -> int:
    from keras_bvae.export import EXPORT_SUBDIR, export_saved_model
    from keras_bvae.loading import load

    directory = args.directory
    if directory is None:
        base = (
            args.model
            if os.path.isdir(args.model)
            else (os.path.dirname(os.path.abspath(args.model)))
        )
        directory = os.path.join(base, EXPORT_SUBDIR)
    model = load(args.model)
    try:
        out = export_saved_model(model, directory, overwrite=args.overwrite)
    except FileExistsError as error:
        print(f"keras-bvae export: error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {out}: signatures encode, decode, reconstruct, sample, "
        "serving_default (= reconstruct); config in keras_bvae_config.json"
    )
    return 0
