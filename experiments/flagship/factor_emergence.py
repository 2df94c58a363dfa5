"""When each factor got a latent of its own: NMI over a run's snapshots.

Loads every ``step-*.weights.h5`` backup kept from a long run (the run's
own backup folder keeps only the last; ``snapshot_loop.sh`` beside it
copies each one as it is written), computes the latent x factor NMI of
each (``label_latents``, 10,000 simulator images, seed 0; every
``--every`` steps, default 2,000) and writes
``OUT/factor_emergence.json`` (steps, NMI matrices) and
``OUT/factor_emergence.png`` (each factor's best-latent NMI over steps).
It also splits each latent's KL into information about the images and
mismatch of the aggregate posterior with the prior (``keras_bvae.rate``,
on 5,000 images), in the JSON and in ``OUT/rate_split.png``.

Usage: python experiments/flagship/factor_emergence.py RUN_DIR SNAPSHOTS OUT
    [--continues EARLIER_OUT/factor_emergence.json [--new-only]]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import time

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

import numpy as np  # noqa: E402

from keras_bvae.disentanglement.latent_factors import label_latents  # noqa: E402
from keras_bvae.plotting import (  # noqa: E402
    plot_factor_nmi_over_training,
    plot_rate_split,
    save_figure,
)
from keras_bvae.rate import rate_decomposition  # noqa: E402
from keras_bvae.runs.config import model_for_run  # noqa: E402


def snapshot_steps(folder: str) -> list[tuple[int, str]]:
    """(step, path) of every backup weights file in ``folder``, by step."""
    found = []
    for path in glob.glob(os.path.join(folder, "step-*.weights.h5")):
        match = re.search(r"step-(\d+)\.weights\.h5$", path)
        found.append((int(match.group(1)), path))
    return sorted(found)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's folder (its config.json)")
    parser.add_argument("snapshots", help="folder of step-*.weights.h5")
    parser.add_argument("out", help="folder for the JSON and PNG")
    parser.add_argument("--num-samples", type=int, default=10_000)
    parser.add_argument("--rate-images", type=int, default=5_000)
    parser.add_argument(
        "--every", type=int, default=2000, help="score steps divisible by it"
    )
    parser.add_argument(
        "--continues",
        metavar="JSON",
        help="factor_emergence.json of the run this one continues: its "
        "steps before the first snapshot here are kept, not recomputed",
    )
    parser.add_argument(
        "--new-only",
        action="store_true",
        help="with --continues from the same run: score only the snapshots "
        "after its last step (the earlier ones are scored there)",
    )
    args = parser.parse_args(argv)
    if args.new_only and not args.continues:
        parser.error("--new-only needs --continues")
    after = -1
    if args.new_only:
        with open(args.continues) as f:
            after = max(json.load(f)["steps"])
    _, data, model = model_for_run(args.run)
    snapshots = [
        (step, path)
        for step, path in snapshot_steps(args.snapshots)
        if step % args.every == 0 and step > after
    ]
    if not snapshots:
        raise SystemExit(f"no step-*.weights.h5 in {args.snapshots}")
    _, rate_images = data.sample(args.rate_images, rng=0)
    steps, matrices, labels, kls, infos = [], [], [], [], []
    if args.continues:
        with open(args.continues) as f:
            earlier = json.load(f)
        for key, value in (
            ("num_samples", args.num_samples),
            ("rate_images", args.rate_images),
        ):
            if earlier[key] != value:
                raise SystemExit(
                    f"{args.continues} used {key} {earlier[key]}, not {value}"
                )
        first = snapshots[0][0]
        keep = [i for i, s in enumerate(earlier["steps"]) if s < first]
        for name, values in (
            ("steps", steps),
            ("nmi", matrices),
            ("labels", labels),
            ("kl", kls),
            ("information", infos),
        ):
            values.extend(earlier[name][i] for i in keep)
    for step, path in snapshots:
        started = time.time()
        model.load_weights(path)
        result = label_latents(
            data, model.encode, seed=0, num_samples=args.num_samples
        )
        rate = rate_decomposition(*model.posterior_params(rate_images))
        steps.append(step)
        matrices.append(np.round(result["nmi"], 4).tolist())
        labels.append(result["labels"])
        kls.append(np.round(rate["kl"], 4).tolist())
        infos.append(np.round(rate["information"], 4).tolist())
        best = ", ".join(
            f"{name} z{j} {value:.2f}"
            for name, (j, value) in result["best_latent"].items()
        )
        used = ", ".join(
            f"z{j} {kl:.2f} ({info:.2f})"
            for j, (kl, info) in enumerate(zip(kls[-1], infos[-1]))
            if kl > 0.1
        )
        print(
            f"step {step}: NMI {best}; KL (information) {used} "
            f"({time.time() - started:.0f} s)"
        )
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "factor_emergence.json"), "w") as f:
        json.dump(
            {
                "steps": steps,
                "factor_names": list(result["factor_names"]),
                "nmi": matrices,
                "labels": labels,
                "num_samples": args.num_samples,
                "kl": kls,
                "information": infos,
                "rate_images": args.rate_images,
                "seed": 0,
            },
            f,
            indent=1,
        )
    figure = plot_factor_nmi_over_training(
        steps, np.array(matrices), result["factor_names"]
    )
    print(save_figure(figure, os.path.join(args.out, "factor_emergence.png")))
    figure = plot_rate_split(steps, np.array(kls), np.array(infos))
    print(save_figure(figure, os.path.join(args.out, "rate_split.png")))


if __name__ == "__main__":
    main()
