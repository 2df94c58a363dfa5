"""``keras-bvae traverse MODEL``: pictures of a saved model.

Writes into the output folder

    reconstructions.png    eight images above their reconstructions
    traversals.png         one row per latent, labelled with the factor it
                           carries ("z3: orientation, NMI 0.41") and its KL
    nmi_heatmap.png        the latent x factor NMI matrix behind the labels
    latent_factors.json    that matrix, the labels and their settings
    traversals.gif         with --gif: the traversal as a looping animation

``--no-labels`` skips the NMI computation (rows then show index and KL).
"""

from __future__ import annotations

import argparse
import os

ACTIVE_KL = 0.1  # nats; a latent with less average KL is unused


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .keras file or a saved model folder")
    parser.add_argument(
        "--output-dir",
        "--out",
        default=None,
        help="where to write the pictures (default: beside the model)",
    )
    parser.add_argument(
        "--data",
        default="dsprites-sim",
        help="ground-truth data: the images and the factors "
        "the latents are labelled with",
    )
    parser.add_argument(
        "--data-dir", default=None, help="tfds data folder for dsprites-tfds"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--num-samples",
        type=int,
        default=10000,
        help="samples for the latent x factor NMI (default: 10000, as MIG)",
    )
    parser.add_argument(
        "--num-bins",
        type=int,
        default=20,
        help="bins per latent for the NMI (default: 20)",
    )
    parser.add_argument(
        "--no-labels",
        action="store_true",
        help="do not label rows by factor (no NMI, faster)",
    )
    parser.add_argument(
        "--gif", action="store_true", help="also write traversals.gif"
    )


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from keras_bvae import datasets
    from keras_bvae.disentanglement.latent_factors import label_latents
    from keras_bvae.files import write_json
    from keras_bvae.loading import load
    from keras_bvae.plotting import (
        plot_nmi_heatmap,
        plot_reconstructions,
        plot_traversals,
        save_figure,
        save_traversal_gif,
    )

    model = load(args.model)
    out = args.output_dir or (
        args.model
        if os.path.isdir(args.model)
        else os.path.dirname(os.path.abspath(args.model))
    )
    os.makedirs(out, exist_ok=True)
    kwargs = {"data_dir": args.data_dir} if args.data_dir else {}
    data = datasets.get_data(args.data, **kwargs)
    rng = np.random.default_rng(args.seed)
    _, images = data.sample(8, rng)
    # The KL of each latent, averaged over 256 images: the active latents.
    _, kl_images = data.sample(256, rng)
    q_z, p_z = model.posterior(kl_images), model.prior()
    kl_per_dim = q_z.distribution.kl_divergence(p_z.distribution)
    kl_per_dim = kl_per_dim.numpy().mean(0)
    written = ["reconstructions.png", "traversals.png"]
    row_labels = None
    if not args.no_labels:
        result = label_latents(
            data,
            model.encode,
            seed=args.seed,
            num_samples=args.num_samples,
            num_bins=args.num_bins,
            active=kl_per_dim > ACTIVE_KL,
        )
        row_labels = result["labels"]
        save_figure(
            plot_nmi_heatmap(result["nmi"], result["factor_names"]),
            os.path.join(out, "nmi_heatmap.png"),
        )
        payload = {key: value for key, value in result.items() if key != "nmi"}
        payload["nmi"] = np.round(result["nmi"], 4).tolist()
        payload["kl_per_dim"] = np.round(kl_per_dim, 4).tolist()
        payload["active_kl"] = ACTIVE_KL
        payload["data"] = args.data
        write_json(os.path.join(out, "latent_factors.json"), payload)
        written += ["nmi_heatmap.png", "latent_factors.json"]
        print("\n".join(row_labels))
    values = np.linspace(-2.0, 2.0, 9)
    traversals = model.traverse(images[:1], values=values)
    save_figure(
        plot_reconstructions(images, model.reconstruct(images)),
        os.path.join(out, "reconstructions.png"),
    )
    save_figure(
        plot_traversals(
            traversals, values, kl_per_dim=kl_per_dim, row_labels=row_labels
        ),
        os.path.join(out, "traversals.png"),
    )
    if args.gif:
        save_traversal_gif(
            traversals,
            os.path.join(out, "traversals.gif"),
            values=values,
            row_labels=row_labels,
        )
        written.append("traversals.gif")
    print(f"wrote {', '.join(os.path.join(out, n) for n in written)}")
    return 0
