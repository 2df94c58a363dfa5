"""Time of ``keras-bvae evaluate`` (all five metrics), old way against new.

Each configuration runs the CLI in its own process on the same model, data,
protocol and seed, one after another:

    old       --batch-size 256 --codes-table off --set n_jobs=1: what the
              command computed before the speed work (model.encode in
              batches of 256, every image rendered and encoded, DCI's
              classifiers fitted one after another);
    new       the defaults (batches of 1,024, the codes table where it pays,
              DCI's classifiers in threads, one per core);
    bfloat16  the defaults plus --precision bfloat16 (run only where the CPU
              or a GPU has bfloat16 arithmetic).

It prints the seconds of every metric (and of the codes table), the wall
time of each process (start-up and model loading included), each
configuration's scores, their differences from the old scores, and the
last progress line of every metric (which gives its images/s).

    python benchmarks/bench_evaluate.py saved_models/beta_vae_b12

``old`` and ``new`` must agree to the last digit (the computation is the
same); ``bfloat16`` moves the codes by about 1% and the scores by their
sampling error or less (compare with the seed spreads in
validate/results/full.log).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import format_table, print_machine

CONFIGS = {
    "old": ["--batch-size", "256", "--codes-table", "off", "--set", "n_jobs=1"],
    "new": [],
    "bfloat16": ["--precision", "bfloat16"],
}
METRICS = ("beta_vae", "factor_vae", "mig", "dci", "sap")
SCORES = {
    "beta_vae": "eval_accuracy",
    "factor_vae": "eval_accuracy",
    "mig": "mig",
    "dci": "disentanglement",
    "sap": "sap",
}


def bfloat16_supported() -> bool:
    from keras_bvae.inference import check_bfloat16_support

    try:
        check_bfloat16_support()
    except ValueError as error:
        print(f"bfloat16 skipped: {error}")
        return False
    return True


def run_config(name: str, model: str, protocol: str, seed: int, folder: str):
    out = os.path.join(folder, f"{name}.json")
    command = [sys.executable, "-m", "keras_bvae", "evaluate", model]
    command += ["--protocol", protocol, "--seed", str(seed), "--output", out]
    command += CONFIGS[name]
    print(f"\n[{name}] {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        print(done.stderr[-3000:])
        raise SystemExit(f"{name} failed with exit code {done.returncode}")
    # Progress lines: the last one of each label is its summary.
    last = {}
    for line in done.stderr.replace("\r", "\n").splitlines():
        label, sep, _ = line.partition(": ")
        if sep and "images" in line:
            last[label] = line.strip()
    for line in last.values():
        print(f"  {line}")
    with open(out) as f:
        payload = json.load(f)
    print(f"  process wall time {wall:.1f} s", flush=True)
    return payload, wall


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a .keras file or model folder")
    parser.add_argument("--protocol", default="full", choices=["full", "quick"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--configs",
        default="old,new,bfloat16",
        help="comma-separated subset of %(default)s, run in this order",
    )
    args = parser.parse_args(argv)
    print_machine()
    names = [n for n in args.configs.split(",") if n]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        raise SystemExit(f"unknown configs {sorted(unknown)}")
    if "bfloat16" in names and not bfloat16_supported():
        names.remove("bfloat16")
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            results[name] = run_config(
                name, args.model, args.protocol, args.seed, folder
            )

    header = ["step", *names]
    rows = []
    table = [r[0].get("codes_table") for r in results.values()]
    rows.append(
        ["codes table", *(f"{t['seconds']:.1f}" if t else "-" for t in table)]
    )
    for metric in METRICS:
        rows.append(
            [
                metric,
                *(
                    f"{r[0]['scores'][metric]['seconds']:.1f}"
                    for r in results.values()
                ),
            ]
        )
    totals = [
        sum(s["seconds"] for s in r[0]["scores"].values())
        + ((r[0].get("codes_table") or {}).get("seconds") or 0.0)
        for r in results.values()
    ]
    rows.append(["sum of steps (s)", *(f"{t:.1f}" for t in totals)])
    rows.append(
        ["process wall (s)", *(f"{r[1]:.1f}" for r in results.values())]
    )
    print("\nseconds:\n" + format_table(header, rows))
    if "old" in results:
        base = totals[names.index("old")]
        print(
            "speed-up against old (sum of steps): "
            + ", ".join(f"{n} {base / t:.2f}x" for n, t in zip(names, totals))
        )

    rows = []
    first = names[0]
    for metric, key in SCORES.items():
        ref = results[first][0]["scores"][metric][key]
        cells = []
        for name in names:
            value = results[name][0]["scores"][metric][key]
            cells.append(f"{value:.4f} ({value - ref:+.4f})")
        rows.append([f"{metric}.{key}", *cells])
    print(
        f"\nscores (difference from {first}):\n"
        + format_table(["score", *names], rows)
    )
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")


if __name__ == "__main__":
    main()
