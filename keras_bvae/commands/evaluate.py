"""``keras-bvae evaluate MODEL``: every disentanglement score, as JSON.

Prints the scores with their protocol settings and seed, and writes them to
``--output`` (default: ``metrics.json`` beside the model).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from keras_bvae.commands.train import add_data_arguments
from keras_bvae.disentanglement.protocols import DEFAULT_METRICS, PROTOCOLS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .keras file or a model folder")
    add_data_arguments(parser, "dsprites-sim")
    parser.add_argument(
        "--metrics",
        default=None,
        help="comma-separated metric names (default: those of "
        f"{','.join(DEFAULT_METRICS)} that the protocol defines)",
    )
    parser.add_argument(
        "--protocol",
        default="full",
        choices=sorted(PROTOCOLS),
        help="full/quick: disentanglement_lib's settings; higgins2017: the "
        "beta_vae metric as Higgins et al. (2017) ran it "
        "(docs/higgins2017_protocol.md) (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a protocol setting (e.g. "
        "num_train=1000) for every metric that has it; "
        "repeatable",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "bfloat16"],
        help="the encoder's arithmetic (default: %(default)s, the scores of "
        "record); bfloat16 is about 3x faster on CPUs with AMX and moves "
        "the scores within their sampling error (benchmarks/README.md)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        help="images per encoder call (default: %(default)s; the scores do "
        "not depend on it)",
    )
    parser.add_argument(
        "--codes-table",
        default="auto",
        choices=["auto", "on", "off"],
        help="encode every factor combination once and let the metrics look "
        "codes up (same scores, faster when they encode more images than "
        "there are combinations); auto: on for the full protocol of "
        "beta_vae or factor_vae on data with one image per combination "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        "-o",
        default=None,
        help="JSON file to write (default: metrics.json "
        "beside the model; '-' for none)",
    )


def default_output(model_path: str) -> str:
    folder = (
        model_path
        if os.path.isdir(model_path)
        else os.path.dirname(os.path.abspath(model_path))
    )
    return os.path.join(folder, "metrics.json")


def parse_overrides(pairs) -> dict:
    """["num_train=100", ...] -> {"num_train": 100}; values as int/float."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE; got {pair!r}")
        for kind in (int, float):
            try:
                overrides[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            overrides[key] = value
    return overrides


def evaluate_model(
    model,
    data,
    metrics,
    protocol: str,
    seed: int,
    overrides=None,
    precision: str = "float32",
    batch_size: int = 1024,
    codes_table: str = "off",
) -> dict:
    """All requested scores of a model, with settings, seed and timing:
    ``{"scores": {metric: result}, "codes_table": None or its record}``.

    ``overrides`` go to each metric whose function takes that keyword;
    ``precision`` and ``batch_size`` to ``model.encode``. Each metric's
    progress (images encoded, classifiers fitted, ETA) goes to stderr.
    ``codes_table`` "on" encodes every factor combination once first
    (``CodesTable``; same scores), "auto" does so where it pays
    (``worth_tabulating``); its size and time are returned.
    """
    import functools
    import inspect

    from keras_bvae.disentanglement import progress
    from keras_bvae.disentanglement.codes_table import tabulate_if_worth_it
    from keras_bvae.inference import PRECISIONS
    from keras_bvae.validation import check_int

    batch_size = check_int("batch_size", batch_size, minimum=1)
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {PRECISIONS}; got {precision!r}"
        )

    from keras_bvae.disentanglement import METRICS, evaluate

    overrides = overrides or {}
    for key in overrides:
        if not any(
            key in inspect.signature(METRICS[m]).parameters for m in metrics
        ):
            raise ValueError(f"no chosen metric has a setting {key!r}")
    encode = functools.partial(
        model.encode, batch_size=batch_size, precision=precision
    )
    with progress.reporting("codes table (every factor combination)"):
        data, encode, table_record = tabulate_if_worth_it(
            data, encode, codes_table, metrics, protocol
        )
    if table_record is not None:
        table_record["precision"] = precision
    results = {}
    for name in metrics:  # one at a time, so progress shows per metric
        started = time.time()
        accepted = inspect.signature(METRICS[name]).parameters
        own = {k: v for k, v in overrides.items() if k in accepted}
        with progress.reporting(f"{name} ({protocol} protocol)"):
            result = evaluate(
                data,
                encode,
                metrics=[name],
                protocol=protocol,
                seed=seed,
                **{name: own},
            )[name]
        result["seconds"] = round(time.time() - started, 1)
        result["precision"] = precision
        results[name] = result
    return {"scores": results, "codes_table": table_record}


def run(args: argparse.Namespace) -> int:
    from keras_bvae import datasets
    from keras_bvae.disentanglement import METRICS, protocol_metrics
    from keras_bvae.files import write_json
    from keras_bvae.loading import load

    if args.metrics is None:
        metrics = list(protocol_metrics(args.protocol))
    else:
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(
            f"unknown metric(s) {unknown or metrics!r}; choose from "
            f"{sorted(METRICS)}"
        )
    undefined = [m for m in metrics if m not in PROTOCOLS[args.protocol]]
    if undefined:
        raise ValueError(
            f"protocol {args.protocol!r} has no settings for {undefined}; "
            f"it defines {sorted(PROTOCOLS[args.protocol])}"
        )
    overrides = parse_overrides(args.set)
    model = load(args.model)
    kwargs = {"data_dir": args.data_dir} if args.data_dir else {}
    if args.image_size is not None:
        kwargs["image_size"] = args.image_size
    if args.channels is not None:
        kwargs["channels"] = args.channels
    if args.data.partition(":")[0] in datasets.DATA_PREFIXES:
        # Images resized on reading: by default to the model's own shape.
        height, _, channels = model.image_shape
        kwargs.setdefault("image_size", height)
        kwargs.setdefault("channels", channels)
    data = datasets.get_data(args.data, **kwargs)
    payload = {
        "model": args.model,
        "data": args.data,
        "protocol": args.protocol,
        "seed": args.seed,
        "overrides": overrides,
        "precision": args.precision,
        **evaluate_model(
            model,
            data,
            metrics,
            args.protocol,
            args.seed,
            overrides,
            precision=args.precision,
            batch_size=args.batch_size,
            codes_table=args.codes_table,
        ),
    }
    print(json.dumps(payload, indent=2, sort_keys=True))
    output = args.output or default_output(args.model)
    if output != "-":
        write_json(output, payload)
        print(f"wrote {output}", file=sys.stderr)
    return 0
