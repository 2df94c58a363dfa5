"""``keras-bvae explore MODEL [MODEL ...] --out DIR``: latent explorer pages.

Writes into the output folder, per model, ``NAME.html`` (NAME: the model
folder's or file's name), one self-contained page that decodes in the
browser (``keras_bvae.explorer``), and ``index.html`` linking the pages
written. The data (examples and the NMI labels of the latents) defaults to
the ``data`` of the model folder's ``config.json`` (a training run or a
``saved_models/NAME`` folder), else ``dsprites-sim``.
"""

from __future__ import annotations

import argparse
import json
import os


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="a .keras file or a saved model folder (several: one page each)",
    )
    parser.add_argument(
        "--out",
        "--output-dir",
        dest="out",
        required=True,
        help="folder to write NAME.html and index.html into",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="ground-truth data for the examples and the labels (default: "
        "the model folder's config.json, else dsprites-sim)",
    )
    parser.add_argument(
        "--data-dir", default=None, help="tfds data folder for tfds data"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--num-examples",
        type=int,
        default=8,
        help="example images in the strip (default: 8)",
    )
    parser.add_argument(
        "--num-samples",
        type=int,
        default=10000,
        help="samples for the latent x factor NMI labels (default: 10000)",
    )


def _name(path: str) -> str:
    path = os.path.normpath(path)
    if os.path.isdir(path):
        return os.path.basename(os.path.abspath(path))
    return os.path.splitext(os.path.basename(path))[0]


def _config_data(path: str) -> str | None:
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    config = os.path.join(folder or ".", "config.json")
    if os.path.isfile(config):
        with open(config) as handle:
            return json.load(handle).get("data")
    return None


def run(args: argparse.Namespace) -> int:
    from keras_bvae import datasets
    from keras_bvae.explorer import write_index, write_page
    from keras_bvae.loading import load
    from keras_bvae.model import BetaVAE

    if args.num_examples < 0:
        raise ValueError(
            f"--num-examples must be >= 0; got {args.num_examples}"
        )
    os.makedirs(args.out, exist_ok=True)
    pages = []
    for path in args.models:
        model = load(path)
        if not isinstance(model, BetaVAE):
            raise ValueError(
                f"{path} holds a {type(model).__name__}, not a keras_bvae "
                "BetaVAE; the explorer pages need a BetaVAE"
            )
        name = args.data or _config_data(path) or "dsprites-sim"
        kwargs = {"data_dir": args.data_dir} if args.data_dir else {}
        data = datasets.get_data(name, **kwargs)
        page = f"{_name(path)}.html"
        write_page(
            model,
            os.path.join(args.out, page),
            data=data,
            num_examples=args.num_examples,
            seed=args.seed,
            num_samples=args.num_samples,
            title=f"{_name(path)} ({name})",
        )
        pages.append((page, _name(path)))
        print(f"wrote {os.path.join(args.out, page)}")
    write_index(pages, os.path.join(args.out, "index.html"))
    print(f"wrote {os.path.join(args.out, 'index.html')}")
    return 0
