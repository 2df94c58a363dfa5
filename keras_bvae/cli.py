"""Command line: ``python -m keras_bvae COMMAND`` (or ``keras-bvae``).

Each command lives in its own module exposing ``configure(parser)`` and
``run(args) -> int``; this file only dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "COMMANDS"]

# command name -> (module, one-line help)
COMMANDS = {
    "train": ("keras_bvae.commands.train", "train a beta-VAE"),
    "export": ("keras_bvae.commands.export", "export a SavedModel"),
    "traverse": (
        "keras_bvae.commands.traverse",
        "draw latent traversals and reconstructions of a saved model",
    ),
    "evaluate": (
        "keras_bvae.commands.evaluate",
        "score a saved model with the disentanglement metrics (JSON)",
    ),
    "sweep": (
        "keras_bvae.commands.sweep",
        "train a beta x latent size x seed grid; resumable CSV and figures",
    ),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="keras-bvae",
        description="beta-VAE training and disentanglement metrics",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.configure(sub.add_parser(name, help=help_text))
        modules[name] = module
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"keras-bvae {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
