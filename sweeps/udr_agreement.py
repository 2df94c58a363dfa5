"""UDR of the family comparison's runs and its agreement with MIG and DCI.

Scores every setting's two seeds with UDR (Lasso and Spearman variants, on
the sweep's 1,000 held-out images, no labels) and prints the Spearman rank
correlation over the settings between the median UDR and the median MIG /
DCI disentanglement (Duan et al., ICLR 2020, compare rankings this way).
Needs the trained models of ``compare`` (not committed: ``RUNS`` below).

    python sweeps/compare_family/udr_agreement.py /work/compare_out/dsprites_sim
"""

from __future__ import annotations

import argparse
import os
import time

from keras_bvae.datasets import DSpritesSimulator
from keras_bvae.runs.sweep import (
    add_udr,
    held_out_images,
    read_results,
    udr_agreement,
    write_results,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", help="the compare output folder (runs/ inside)")
    args = parser.parse_args()
    rows = read_results(os.path.join(HERE, "results.csv"))
    images = held_out_images(DSpritesSimulator(), 1000)
    for method in ("lasso", "spearman"):
        started = time.time()
        scored = add_udr(rows, args.runs, images, method=method, verbose=1)
        print(f"UDR-{method} in {time.time() - started:.0f} s")
        for score, agree in udr_agreement(scored).items():
            print(
                f"UDR-{method} vs {score}: Spearman "
                f"{agree['spearman']:+.2f} over {agree['settings']} settings "
                f"(p = {agree['p_value']:.2g})"
            )
        out = os.path.join(HERE, f"results_udr_{method}.csv")
        write_results(out, scored)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
