"""Throughput and memory of the dSprites simulator, against training needs.

Prints, on one CPU core (affinity pinned, BLAS/OpenMP threads 1):
* on-demand rendering: float32 (B, 64, 64, 1) images per second;
* materialising all 737,280 images (bit-packed): wall time and peak memory
  (``resource.getrusage`` ru_maxrss of the process);
* lookups from the materialised store: images per second;
* the ratio of each rate to what training consumes, assumed to be one batch
  of 64 per 0.15 s train step (427 images/s, two CPU cores).

Targets (issue 3): >= 20,000 images/s; all images in < 60 s and <= 500 MB.

``keras_bvae`` imports its submodules lazily and ``keras_bvae.datasets``
does not import TensorFlow, so the memory measured is the simulator's own
(the tf.data pipeline part imports TensorFlow afterwards).

    python benchmarks/bench_simulator.py [--images 100000] [--no-materialize]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import machine_tag, print_machine  # noqa: E402

TRAIN_STEP_SECONDS = 0.15
TRAIN_BATCH = 64


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args):
    """Runs fn(*args); returns (result, wall seconds, CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def rates(fn, factors, batch) -> tuple[float, float]:
    """Images per second of wall time and of this process's CPU time."""

    def run():
        for i in range(0, len(factors), batch):
            fn(factors[i : i + batch])

    _, wall, cpu = timed(run)
    return len(factors) / wall, len(factors) / cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--no-materialize", action="store_true")
    parser.add_argument(
        "--no-pipeline",
        action="store_true",
        help="skip the tf.data measurement (the only part importing TF)",
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count()
    info = print_machine()
    from keras_bvae.datasets import simulator  # no TensorFlow import

    sim = simulator.DSpritesSimulator()
    need = TRAIN_BATCH / TRAIN_STEP_SECONDS
    print(
        f"cores used: {cores}; numpy {np.__version__}; "
        f"machine: {machine_tag(info)}"
    )
    print(
        f"training consumes {need:.0f} images/s (assumed: batch "
        f"{TRAIN_BATCH} per {TRAIN_STEP_SECONDS} s train step)"
    )
    sim.render([[0, 0, 0, 0, 0]])  # builds the canonical shape masks
    factors = sim.sample_factors(args.images, rng=0)
    print(
        "rates are per second of wall time (per second of CPU time: the "
        "core is shared with other jobs)"
    )
    for batch in (64, 1024):
        r, rc = rates(sim.sample_observations_from_factors, factors, batch)
        print(
            f"render on demand, batch {batch:5d}: {r:10,.0f} images/s "
            f"({rc:,.0f} CPU), {r / need:6.0f}x training need"
        )
    print(f"peak RSS before materialising: {peak_rss_mb():.0f} MB")
    if not args.no_materialize:
        materialize(sim, simulator, factors, need)
    if not args.no_pipeline:
        pipeline(need)


def pipeline(need: float, steps: int = 300) -> None:
    """Batches per second of make_dataset on a fresh (unmaterialised) sim."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_bvae.datasets import DSpritesSimulator, make_dataset

    ds = make_dataset(DSpritesSimulator(), TRAIN_BATCH, steps=steps, seed=0)
    next(iter(ds))  # start-up (TensorFlow, the generator thread)
    start = time.perf_counter()
    n = sum(int(batch.shape[0]) for batch in ds)
    seconds = time.perf_counter() - start
    print(
        f"make_dataset (render on demand), batch {TRAIN_BATCH}: "
        f"{n / seconds:,.0f} images/s, {seconds / steps * 1e3:.1f} ms per "
        f"batch vs {TRAIN_STEP_SECONDS * 1e3:.0f} ms per train step "
        f"({n / seconds / need:.0f}x training need)"
    )


def materialize(sim, simulator, factors, need: float) -> None:
    store, seconds, cpu = timed(sim.materialize)
    print(
        f"materialise all {simulator.NUM_IMAGES:,} images: {seconds:.1f} s "
        f"wall, {cpu:.1f} s CPU ({simulator.NUM_IMAGES / seconds:,.0f} "
        f"images/s), store {store.nbytes / 1e6:.0f} MB, peak RSS "
        f"{peak_rss_mb():.0f} MB"
    )
    check = factors[:2000]
    same = np.array_equal(
        sim.sample_observations_from_factors(check),
        simulator.render(check)[..., None].astype(np.float32),
    )
    print(f"materialised images equal on-demand renders: {same}")
    if not same:
        raise SystemExit("materialised store differs from rendering")
    for batch in (64, 1024):
        r, rc = rates(sim.sample_observations_from_factors, factors, batch)
        print(
            f"lookup after materialise, batch {batch:5d}: {r:10,.0f} "
            f"images/s ({rc:,.0f} CPU), {r / need:6.0f}x training need"
        )
    print(f"final peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
