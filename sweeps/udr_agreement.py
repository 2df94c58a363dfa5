"""UDR of a sweep's runs and its agreement with the labelled scores.

Scores every setting's seeds with UDR (Lasso and Spearman variants, on
1,000 held-out simulator images, no labels) and prints the Spearman rank
correlation over the settings between the median UDR and the median MIG /
DCI disentanglement (Duan et al., ICLR 2020, compare rankings this way).
Works on the folder of ``sweep`` or ``compare`` (``results.csv`` and the
trained models under ``runs/``); writes ``results_udr_METHOD.csv`` beside
``results.csv``.

    python sweeps/udr_agreement.py sweeps/udr_beta runs/udr_sweep
"""

from __future__ import annotations

import argparse
import os
import time

from keras_bvae.onednn import prefer_onednn_kernels

prefer_onednn_kernels()  # before TensorFlow loads, as the command line does

from keras_bvae.datasets import DSpritesSimulator  # noqa: E402
from keras_bvae.runs.sweep import (  # noqa: E402
    add_udr,
    held_out_images,
    read_results,
    udr_agreement,
    write_results,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="folder with the sweep's results.csv")
    parser.add_argument(
        "runs", nargs="?", help="folder with runs/ inside (default: results)"
    )
    args = parser.parse_args()
    rows = read_results(os.path.join(args.results, "results.csv"))
    images = held_out_images(DSpritesSimulator(), 1000)
    for method in ("lasso", "spearman"):
        started = time.time()
        scored = add_udr(rows, args.runs or args.results, images, method, 1)
        print(f"UDR-{method} in {time.time() - started:.0f} s")
        for score, agree in udr_agreement(scored).items():
            print(
                f"UDR-{method} vs {score}: Spearman "
                f"{agree['spearman']:+.2f} over {agree['settings']} settings "
                f"(p = {agree['p_value']:.2g})"
            )
        out = os.path.join(args.results, f"results_udr_{method}.csv")
        write_results(out, scored)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
