"""Command line: ``python -m keras_bvae COMMAND`` (or ``keras-bvae``).

Each command lives in its own module exposing ``configure(parser)`` and
``run(args) -> int``; this file only dispatches.

TensorFlow's start-up lines (CUDA probing on a machine without a GPU,
oneDNN notices) are hidden unless ``keras-bvae --verbose COMMAND`` is
given. ``TF_CPP_MIN_LOG_LEVEL`` alone cannot do it: TensorFlow 2.21 writes
its first lines through absl before its log level is read ("All log
messages before absl::InitializeLog() is called are written to STDERR"),
and neither ``TF_CPP_MIN_LOG_LEVEL``, ``TF_CPP_MAX_VLOG_LEVEL`` nor
``ABSL_MIN_LOG_LEVEL`` / ``GLOG_minloglevel`` reach them. So, before any
command module is imported, TensorFlow is imported and its devices listed
(where ``cuInit`` runs) with file descriptor 2 sent to a temporary file;
then every line not in ``TF_STARTUP_NOISE`` is written to stderr as usual,
so a real error still shows. ``TF_CPP_MIN_LOG_LEVEL`` defaults to 2 (its
own default is 0) to keep later C++ info and warning lines out too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
import tempfile

from keras_bvae.onednn import prefer_onednn_kernels

__all__ = ["main", "COMMANDS", "TF_STARTUP_NOISE"]

# Lines TensorFlow prints while it starts, whatever its log level.
TF_STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|cudart_stub\.cc.*Could not find cuda drivers"
    r"|cuda_platform\.cc.*failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|port\.cc.*oneDNN custom operations are on"
    r"|cpu_feature_guard\.cc.*This TensorFlow binary is optimized"
    r"|^To enable the following instructions: .* rebuild TensorFlow"
)


@contextlib.contextmanager
def _stderr_without(pattern: re.Pattern):
    """Holds back what is written to fd 2, then writes it less ``pattern``.

    Works on the file descriptor, so it catches C++ output as well as
    Python's; lines are released when the block ends, even on an error.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace")
            kept = [
                line
                for line in text.splitlines(keepends=True)
                if not pattern.search(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def start_tensorflow(verbose: bool = False) -> None:
    """Imports TensorFlow for the CLI, without its start-up lines.

    Sets ``KERAS_BACKEND=tensorflow``, ``TF_ENABLE_ONEDNN_OPTS=1`` on x86
    (``keras_bvae.onednn``) and (unless ``verbose``)
    ``TF_CPP_MIN_LOG_LEVEL=2`` where they are unset. Does nothing once
    TensorFlow is imported (``main`` called from a Python session).
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    prefer_onednn_kernels()
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_without(TF_STARTUP_NOISE):
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe runs here


def _wants_verbose(argv) -> bool:
    """``--verbose`` among the options before the command name."""
    for token in argv:
        if token == "--verbose":
            return True
        if not token.startswith("-"):
            return False
    return False


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
    "compare": (
        "keras_bvae.commands.compare",
        "train and score every objective of the beta-VAE family side by "
        "side; resumable CSV, table and figure",
    ),
    "reproduce": (
        "keras_bvae.commands.reproduce",
        "run a paper's study (higgins2017); resumable, shared by workers",
    ),
    "explore": (
        "keras_bvae.commands.explore",
        "write a latent explorer web page per model (decodes in the browser)",
    ),
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    start_tensorflow(verbose=_wants_verbose(argv))
    parser = argparse.ArgumentParser(
        prog="keras-bvae",
        description="beta-VAE training and disentanglement metrics",
    )
    parser.add_argument(
        "--verbose",
        dest="show_tf_logs",
        action="store_true",
        help="show TensorFlow's start-up log lines (CUDA probing, oneDNN "
        "notices); give it before the command",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.configure(sub.add_parser(name, help=help_text))
        modules[name] = module
    args = parser.parse_args(argv)
    from keras_bvae.files import describe_os_error
    from keras_bvae.runs.lock import FolderInUseError

    try:
        return int(modules[args.command].run(args) or 0)
    except (
        ValueError,
        FileNotFoundError,
        FileExistsError,
        FolderInUseError,
    ) as error:
        print(f"keras-bvae {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # no space, read-only folder, permission
        message = describe_os_error(error)
        print(f"keras-bvae {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
