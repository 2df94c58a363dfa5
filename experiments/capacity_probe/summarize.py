"""Markdown tables of the probe CSVs (out/*.csv beside this script).

Usage: python experiments/capacity_probe/summarize.py [full]
"""

import csv
import glob
import os
import sys

full = sys.argv[1:] == ["full"]
STEPS = (
    (250, 500, 750, 1000, 1500, 2000, 2500) if full else (250, 500, 1000, 1500)
)
print(
    "| run | step | C | KL | kl_mean | info | top2 | recon | R^2 x, y "
    "| \\|gD\\| / \\|gR\\| |"
)
print("|---|---|---|---|---|---|---|---|---|---|")
for path in sorted(
    glob.glob(os.path.join(os.path.dirname(__file__), "out", "*.csv"))
):
    name = os.path.basename(path)[:-4]
    if name.startswith("full") != full or name.endswith("first500"):
        continue
    rows = {int(r["step"]): r for r in csv.DictReader(open(path))}
    for s in STEPS:
        if s not in rows:
            continue
        r = rows[s]
        c = "-" if r["C"] in ("", "None") else f"{float(r['C']):.2f}"
        g = (
            f"{float(r['grad_distortion']):.3g} / {float(r['grad_rate']):.3g}"
            if r.get("grad_rate")
            else "-"
        )
        print(
            f"| {name} | {s} | {c} | {float(r['kl']):.2f} | "
            f"{float(r['kl_mean_part']):.2f} | {float(r['info_total']):.2f} | "
            f"{float(r['info_top2']):.2f} | {float(r['recon']):.1f} | "
            f"{float(r['r2_x']):.2f}, {float(r['r2_y']):.2f} | {g} |"
        )
