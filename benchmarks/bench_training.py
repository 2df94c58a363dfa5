"""Training throughput: ``BetaVAE.fit`` against the same step in PyTorch.

For each architecture (``burgess`` conv, ``higgins`` MLP) worker processes
are started: one running keras_bvae (``BetaVAE.fit``, Bernoulli likelihood,
Adam) and one per PyTorch configuration running an equivalent train step
written here: the same layers, the same soft-clamped log-variance, the same
loss

    loss = 1/B sum_b [ -log Bernoulli(x_b | logits_b)   (sum over pixels)
                       + beta * KL(q(z|x_b) || N(0, I)) ] (analytic)

and Adam with the same learning rate. The workers take turns (the order is
reversed every other round), each training for ``--seconds``, so busy
phases of a shared machine hit all of them; medians over rounds and the
ratios keras_bvae / PyTorch are printed, in images/s (wall clock) and in
images per CPU-second (the worker's process CPU time, far less sensitive to
other processes' load). Separate processes keep one framework's idle
thread pools out of the other's way. PyTorch runs with threads matched to
TF's, the same with ``OMP_WAIT_POLICY=PASSIVE``, and with one thread
(``--torch``); the ratio is given against the matched and the fastest.

Also printed: a 1024^3 fp32 matmul's GFLOP/s (numpy, TF, torch; best call,
between rounds), the analytic train-step FLOP per image (``_common.py``),
the images/s that would allow, and each framework's fraction of it; and
whether the input pipeline limits training: the pipeline's own rate and
``fit`` on it against ``fit`` on cached in-memory batches.

The keras_bvae side trains on ``keras_bvae.datasets.make_dataset`` over the
dSprites simulator when that exists, else on in-memory simulator images
(a note says so). The PyTorch side always reads in-memory tensors: its
best case. Steady-state rates are timed from the end of the first step to
the end of the last, for both.

``--keras-variant KEY=VALUE,...`` adds keras_bvae processes that differ
from the default in one or more settings (XLA, steps_per_execution,
threads, oneDNN, data, a TFP-free loss, Keras's own Adam, the
``compile(optimizer="adam")`` line, mixed precision), timed in the same
rounds; the bfloat16 against float32 training speed on a CPU with AMX is

    .venv/bin/python benchmarks/bench_training.py --arch burgess --torch \\
        --keras-variant precision=bfloat16

(``--torch`` with no value: keras_bvae alone); ``--profile STEPS``
prints TF profiler op time by op type instead of timing (with
``--keras-variant precision=bfloat16`` also for that variant). Usage
(the benchmark prints ratios; it never asserts):

    .venv/bin/python benchmarks/bench_training.py
    .venv/bin/python benchmarks/bench_training.py --arch burgess --rounds 5
    .venv/bin/python benchmarks/bench_training.py --torch \\
        --keras-variant jit=1 --keras-variant opt=keras
    .venv/bin/python benchmarks/bench_training.py --profile 20

Needs the optional ``benchmarks`` extra (``torch``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    format_table,
    machine_tag,
    matmul_gflops,
    median,
    numpy_matmul_gflops,
    print_machine,
    train_flops_per_example,
)

ARCHS = ("burgess", "higgins")
PRECISIONS = ("float32", "bfloat16", "float16")  # keras_bvae.precision
# pipeline: make_dataset over the simulator (what train() reads); memory: a
# cached tf.data set of the pool; arrays: fit(x=pool, batch_size=...), the
# plain Keras user's call on a NumPy array.
DATA_SOURCES = ("pipeline", "memory", "arrays")
LOGVAR_LIMIT = 15.0  # keras_bvae.distributions.LOGVAR_LIMIT
MATMUL_N = 1024


# -- shared data -----------------------------------------------------------


def _render_pool(num: int, seed: int) -> np.ndarray:
    """Simulator images (num, 64, 64, 1) float32, or random blobs."""
    try:
        from keras_bvae.datasets.simulator import DSpritesSimulator
    except ImportError:
        rng = np.random.default_rng(seed)
        return (rng.random((num, 64, 64, 1)) < 0.1).astype(np.float32)
    return DSpritesSimulator().sample(num, rng=seed)[1]


# -- keras_bvae worker -----------------------------------------------------


KERAS_OPTIONS = {
    # name: (config key, parser)
    "jit": ("jit_compile", lambda v: bool(int(v))),
    "spe": ("steps_per_execution", int),
    "threads": ("threads", int),
    "inter": ("inter_op", int),
    "onednn": ("onednn", int),
    "data": ("data", str),
    "loss": ("loss", str),
    "opt": ("opt", str),
    "precision": ("precision", str),
}


def _parse_keras_variant(spec: str) -> dict:
    """``"jit=1,spe=8"`` -> {"jit_compile": True, "steps_per_execution": 8}."""
    out = {}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        if key not in KERAS_OPTIONS or not value:
            raise ValueError(
                f"a keras variant is KEY=VALUE[,KEY=VALUE...] with KEY in "
                f"{sorted(KERAS_OPTIONS)}; got {item!r} in {spec!r}"
            )
        name, parse = KERAS_OPTIONS[key]
        out[name] = parse(value)
    if out.get("data", "pipeline") not in DATA_SOURCES:
        raise ValueError(f"data must be one of {DATA_SOURCES}; got {spec!r}")
    if out.get("loss", "tfp") not in ("tfp", "fused"):
        raise ValueError(f"loss must be tfp or fused; got {spec!r}")
    if out.get("opt", "default") not in ("default", "keras", "adam"):
        raise ValueError(f"opt must be default, keras or adam; got {spec!r}")
    if out.get("precision", "float32") not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {spec!r}")
    return out


def _fused_loss_model(base):
    """A BetaVAE whose loss skips TFP: for measuring TFP's cost only.

    Same maths as ``BetaVAE.loss_terms`` without capacity annealing: the
    Bernoulli log-likelihood as -sigmoid_cross_entropy_with_logits and the
    Gaussian KL in closed form, 0.5 (exp(lv) + mu^2 - 1 - lv).
    """
    import keras
    import tensorflow as tf

    from keras_bvae import distributions as dists

    class FusedLossVAE(base):
        def loss_terms(self, images, training=False):
            images = self._prepare(images)
            params = self.encoder(images, training=training)
            mean, logvar = dists.split_posterior_params(params)
            noise = keras.random.normal(
                tf.shape(mean), dtype=mean.dtype, seed=self.noise_seed
            )
            z = mean + tf.exp(0.5 * logvar) * noise
            logits = self.decoder(z, training=training)
            nll = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=images, logits=logits
            )
            distortion = tf.reduce_sum(nll) / tf.cast(
                tf.shape(images)[0], nll.dtype
            )
            kl_per_dim = tf.reduce_mean(
                0.5 * (tf.exp(logvar) + tf.square(mean) - 1.0 - logvar),
                axis=0,
            )
            rate = tf.reduce_sum(kl_per_dim)
            return {
                "loss": distortion + self.beta * rate,
                "reconstruction_loss": distortion,
                "kl": rate,
                "elbo": -(distortion + rate),
                "kl_per_dim": kl_per_dim,
            }

    return FusedLossVAE


def _profile_fit(model, dataset, steps: int) -> dict:
    """Op time of ``steps`` fit steps, from TF's profiler, by op type.

    Sums the host events of TF ops (named ``scope/name:OpType``) in the
    trace, leaving out executor and function-call events that contain
    them; ops on different threads overlap, so shares are of op time, not
    of wall time.
    """
    import collections
    import glob
    import shutil
    import tempfile

    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = tempfile.mkdtemp(prefix="bench_training_profile_")
    tf.profiler.experimental.start(logdir)
    t0 = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    wall = time.perf_counter() - t0
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    shutil.rmtree(logdir, ignore_errors=True)
    per_type: collections.Counter = collections.Counter()
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" not in name or "::" in name or "__inference" in name:
                    continue  # executor and function-call containers
                op_type = name.rsplit(":", 1)[1]
                per_type[op_type] += event.duration_ps / 1e9  # ms
    return {
        "wall_ms": 1e3 * wall / steps,
        "ops_ms": {k: v / steps for k, v in per_type.items()},
    }


def _keras_worker(conn, cfg: dict) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    if cfg["onednn"] is not None:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = str(cfg["onednn"])
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(cfg["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(cfg["inter_op"])
    import keras
    from _common import layer_costs

    from keras_bvae import BetaVAE

    keras.utils.set_random_seed(0)
    batch = cfg["batch_size"]
    model_class = (
        _fused_loss_model(BetaVAE) if cfg["loss"] == "fused" else BetaVAE
    )
    from keras_bvae.optimizers import FusedAdam
    from keras_bvae.precision import precision_scope

    # precision=bfloat16 / float16: built under Keras's mixed policy, as
    # TrainConfig.precision (and --precision) builds it.
    with precision_scope(cfg.get("precision", "float32")):
        model = model_class(
            latent_dim=cfg["latent_dim"],
            architecture=cfg["arch"],
            beta=cfg["beta"],
            seed=0,
        )
    # What keras_bvae.runs.train compiles with; opt=keras: Keras's own Adam;
    # opt=adam: compile(optimizer="adam"), the plain Keras user's line.
    if cfg["opt"] == "adam":
        optimizer = "adam"
    else:
        adam = keras.optimizers.Adam if cfg["opt"] == "keras" else FusedAdam
        optimizer = adam(cfg["lr"])
    model.compile(
        optimizer=optimizer,
        jit_compile=cfg["jit_compile"],
        steps_per_execution=cfg["steps_per_execution"],
    )
    costs = layer_costs(model.encoder) + layer_costs(model.decoder)

    notes = []
    pool = cfg["pool"]
    memory_ds = (
        tf.data.Dataset.from_tensor_slices(pool)
        .batch(batch, drop_remainder=True)
        .cache()
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    pipeline_ds = None
    if cfg["data"] == "pipeline":
        try:
            from keras_bvae.datasets import DSpritesSimulator, make_dataset
        except ImportError as err:
            notes.append(
                "keras_bvae.datasets.make_dataset is not importable "
                f"({err}); keras_bvae trains on in-memory simulator images"
            )
        else:
            # steps: more batches than any run takes (one pass is 11,520)
            pipeline_ds = make_dataset(
                DSpritesSimulator(), batch, seed=0, steps=10**8
            )
    datasets = {"memory": memory_ds}
    if pipeline_ds is not None:
        datasets["pipeline"] = pipeline_ds
    if not cfg["with_memory"] and pipeline_ds is not None:
        del datasets["memory"]
    if cfg["data"] == "arrays":
        datasets = {"arrays": pool}

    class Timer(keras.callbacks.Callback):
        """Marks step ends; stops ``fit`` once ``seconds`` have passed."""

        def __init__(self, seconds: float):
            super().__init__()
            self.seconds = seconds

        def on_train_begin(self, logs=None):
            self.marks = []
            self.offset = 0  # steps of the epochs before this one (arrays)
            self.last = -1

        def on_epoch_end(self, epoch, logs=None):
            self.offset += self.last + 1

        def on_train_batch_end(self, batch_index, logs=None):
            # batch_index is the last step of the execution (spe > 1 runs
            # several) and restarts with each epoch.
            self.last = batch_index
            now = time.perf_counter()
            step = self.offset + batch_index
            self.marks.append((step, now, time.process_time()))
            if len(self.marks) >= 3 and (
                now - self.marks[0][1] >= self.seconds
            ):
                self.model.stop_training = True

    def train(which: str, seconds: float) -> dict:
        timer = Timer(seconds)
        t0 = time.perf_counter()
        if which == "arrays":
            # The user's line: epochs over a NumPy array, shuffled.
            model.fit(
                datasets[which],
                batch_size=batch,
                epochs=1_000_000,
                shuffle=True,
                verbose=0,
                callbacks=[timer],
            )
        else:
            model.fit(
                datasets[which],
                epochs=1,
                steps_per_epoch=1_000_000,
                verbose=0,
                callbacks=[timer],
            )
        total = time.perf_counter() - t0
        (b0, t_first, c_first), (b1, t_last, c_last) = (
            timer.marks[0],
            timer.marks[-1],
        )
        return {
            "images_per_s": (b1 - b0) * batch / (t_last - t_first),
            "images_per_cpu_s": (b1 - b0) * batch / (c_last - c_first),
            "call_images_per_s": (b1 + 1) * batch / total,
            "steps": b1 + 1,
        }

    def pipeline_rate(which: str, seconds: float) -> float:
        it = iter(datasets[which].repeat())
        next(it)
        count = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            next(it)
            count += 1
        return count * batch / (time.perf_counter() - t0)

    a = tf.random.normal((MATMUL_N, MATMUL_N))
    b = tf.random.normal((MATMUL_N, MATMUL_N))
    for which in datasets:
        train(which, cfg["warmup_seconds"])
    conn.send(
        {
            "flops": train_flops_per_example(costs),
            "datasets": list(datasets),
            "notes": notes,
            "version": (
                f"tensorflow {tf.__version__}, keras {keras.__version__}"
            ),
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "TF default"),
        }
    )
    while True:
        cmd, kwargs = conn.recv()
        if cmd == "stop":
            break
        if cmd == "train":
            conn.send(train(**kwargs))
        elif cmd == "pipeline":
            conn.send(pipeline_rate(**kwargs))
        elif cmd == "matmul":
            conn.send(matmul_gflops(lambda: tf.linalg.matmul(a, b), MATMUL_N))
        elif cmd == "profile":
            conn.send(_profile_fit(model, datasets["memory"], **kwargs))


# -- PyTorch worker --------------------------------------------------------


def _torch_model(arch: str, latent_dim: int):
    import torch
    from torch import nn

    if arch == "burgess":
        convs = []
        for i in range(4):
            convs += [nn.Conv2d(1 if i == 0 else 32, 32, 4, 2, 1), nn.ReLU()]
        encoder = nn.Sequential(
            *convs,
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, 2 * latent_dim),
        )
        deconvs = []
        for _ in range(3):
            deconvs += [nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU()]
        decoder = nn.Sequential(
            nn.Linear(latent_dim, 256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, 32 * 4 * 4),
            nn.ReLU(),
            nn.Unflatten(1, (32, 4, 4)),
            *deconvs,
            nn.ConvTranspose2d(32, 1, 4, 2, 1),
        )
    elif arch == "higgins":
        encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 64, 1200),
            nn.ReLU(),
            nn.Linear(1200, 1200),
            nn.ReLU(),
            nn.Linear(1200, 2 * latent_dim),
        )
        decoder = nn.Sequential(
            nn.Linear(latent_dim, 1200),
            nn.Tanh(),
            nn.Linear(1200, 1200),
            nn.Tanh(),
            nn.Linear(1200, 1200),
            nn.Tanh(),
            nn.Linear(1200, 64 * 64),
            nn.Unflatten(1, (1, 64, 64)),
        )
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return torch.nn.ModuleDict({"encoder": encoder, "decoder": decoder})


def _torch_worker(conn, cfg: dict) -> None:
    if cfg["omp_passive"]:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(cfg["torch_threads"])
    torch.manual_seed(0)
    # bf16: torch.autocast's bfloat16 forward (weights and the optimizer stay
    # float32), PyTorch's own mixed precision on a CPU.
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg["bf16"])
    model = _torch_model(cfg["arch"], cfg["latent_dim"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    beta = cfg["beta"]
    batch = cfg["batch_size"]
    pool = torch.from_numpy(
        np.ascontiguousarray(cfg["pool"].transpose(0, 3, 1, 2))
    )
    batches = [
        pool[s : s + batch] for s in range(0, len(pool) - batch + 1, batch)
    ]

    def step(x):
        with autocast:
            params = model["encoder"](x)
            mean, raw_logvar = params.float().chunk(2, dim=1)
            logvar = LOGVAR_LIMIT * torch.tanh(raw_logvar / LOGVAR_LIMIT)
            z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
            logits = model["decoder"](z).float()
        # The loss in float32, as keras_bvae computes it under a mixed policy.
        distortion = (
            F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            / x.shape[0]
        )
        rate = (
            0.5
            * (torch.exp(logvar) + mean.square() - 1.0 - logvar).sum()
            / x.shape[0]
        )
        loss = distortion + beta * rate
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    def train(seconds: float) -> dict:
        t0 = time.perf_counter()
        step(batches[0])
        t_first = t_last = time.perf_counter()
        c_first = time.process_time()
        steps = 1
        while steps < 3 or t_last - t_first < seconds:
            step(batches[steps % len(batches)])
            steps += 1
            t_last = time.perf_counter()
        return {
            "images_per_s": (steps - 1) * batch / (t_last - t_first),
            "images_per_cpu_s": (
                (steps - 1) * batch / (time.process_time() - c_first)
            ),
            "call_images_per_s": steps * batch / (t_last - t0),
            "steps": steps,
        }

    a = torch.randn(MATMUL_N, MATMUL_N)
    b = torch.randn(MATMUL_N, MATMUL_N)
    train(cfg["warmup_seconds"])
    conn.send({"version": f"torch {torch.__version__}"})
    while True:
        cmd, kwargs = conn.recv()
        if cmd == "stop":
            break
        if cmd == "train":
            conn.send(train(**kwargs))
        elif cmd == "matmul":
            conn.send(matmul_gflops(lambda: torch.mm(a, b), MATMUL_N))


# -- driver ----------------------------------------------------------------


class _Worker:
    def __init__(self, target, cfg: dict):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child, cfg), daemon=True)
        self.proc.start()
        self.info = self.conn.recv()

    def call(self, cmd: str, **kwargs) -> Any:
        self.conn.send((cmd, kwargs))
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send(("stop", {}))
        self.proc.join(timeout=30)


def _torch_variants(
    spec: list[str], threads: int
) -> list[tuple[int, bool, bool]]:
    """Parses ``T[:passive][:bf16]`` into (threads, omp_passive, bf16)."""
    out = []
    for item in spec:
        count, *options = item.split(":")
        if not count.isdigit() or not set(options) <= {"passive", "bf16"}:
            raise ValueError(
                f"a torch variant is THREADS[:passive][:bf16]; got {item!r}"
            )
        out.append((int(count), "passive" in options, "bf16" in options))
    return out


def _run_arch(arch: str, args) -> dict:
    base = {
        "arch": arch,
        "batch_size": args.batch_size,
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "lr": 1e-3,
        "threads": args.threads,
        "inter_op": args.inter_op_threads,
        "onednn": args.onednn,
        "jit_compile": args.jit_compile,
        "steps_per_execution": args.steps_per_execution,
        "data": args.data,
        "loss": "tfp",
        "opt": "default",
        "with_memory": True,
        "warmup_seconds": args.warmup_seconds,
        "pool": _render_pool(args.pool_size, seed=0),
    }
    keras_w = _Worker(_keras_worker, base)
    main_set = (
        "pipeline" if "pipeline" in keras_w.info["datasets"] else "memory"
    )
    # job name -> (worker, train kwargs)
    jobs: dict[str, tuple[_Worker, dict]] = {
        "keras": (
            keras_w,
            {
                "which": main_set,
            },
        )
    }
    if main_set == "pipeline":
        jobs["keras memory"] = (keras_w, {"which": "memory"})
    precisions = {}
    for spec in args.keras_variant:
        cfg = {**base, **_parse_keras_variant(spec), "with_memory": False}
        worker = _Worker(_keras_worker, cfg)
        which = worker.info["datasets"][0]
        jobs[f"keras {spec}"] = (worker, {"which": which})
        precisions[f"keras {spec}"] = cfg.get("precision", "float32")
    torch_names = []
    for threads, passive, bf16 in _torch_variants(args.torch, args.threads):
        name = (
            f"torch {threads}t"
            + (" passive" if passive else "")
            + (" bf16" if bf16 else "")
        )
        worker = _Worker(
            _torch_worker,
            {
                **base,
                "torch_threads": threads,
                "omp_passive": passive,
                "bf16": bf16,
            },
        )
        jobs[name] = (worker, {})
        torch_names.append(name)
    flops = keras_w.info["flops"]
    for note in keras_w.info["notes"]:
        print(f"note: {note}")
    versions = {w.info["version"] for w, _ in jobs.values()}
    print(
        f"[{arch}] {', '.join(sorted(versions))}; "
        f"TF_ENABLE_ONEDNN_OPTS={keras_w.info['onednn']}, "
        f"TF threads={args.threads}, inter_op="
        f"{args.inter_op_threads or 'TF default'}, "
        f"jit_compile={args.jit_compile}, "
        f"steps_per_execution={args.steps_per_execution}; "
        f"{args.seconds:g} s per run"
    )
    names = list(jobs)
    rates: dict[str, list[float]] = {n: [] for n in names}
    call_rates: dict[str, list[float]] = {n: [] for n in names}
    cpu_rates: dict[str, list[float]] = {n: [] for n in names}
    gflops: dict[str, list[float]] = {"numpy": [], "tf": []}
    gflops.update({n: [] for n in torch_names})
    pipeline_alone = []
    rows = []
    for r in range(args.rounds):
        for job in names if r % 2 == 0 else names[::-1]:
            worker, kwargs = jobs[job]
            got = worker.call("train", seconds=args.seconds, **kwargs)
            rates[job].append(got["images_per_s"])
            call_rates[job].append(got["call_images_per_s"])
            cpu_rates[job].append(got["images_per_cpu_s"])
        gflops["numpy"].append(numpy_matmul_gflops(MATMUL_N))
        gflops["tf"].append(keras_w.call("matmul"))
        for name in torch_names:
            gflops[name].append(jobs[name][0].call("matmul"))
        if main_set == "pipeline":
            pipeline_alone.append(
                keras_w.call("pipeline", which="pipeline", seconds=args.seconds)
            )
        rows.append(
            [r + 1, "forward" if r % 2 == 0 else "reverse"]
            + [f"{rates[n][-1]:.0f}" for n in names]
            + [f"{max(v[-1] for v in gflops.values()):.0f}"]
        )
    for worker in {id(w): w for w, _ in jobs.values()}.values():
        worker.stop()
    print(
        format_table(
            ["round", "order"]
            + [f"{n} img/s" for n in names]
            + ["matmul GFLOP/s"],
            rows,
        )
    )
    med = {n: median(v) for n, v in rates.items()}
    ceiling_gflops = max(median(v) for v in gflops.values())
    ceiling = ceiling_gflops * 1e9 / flops
    keras_med = med["keras"]
    print(
        f"[{arch}] median images/s: "
        + ", ".join(f"{n} {med[n]:.0f}" for n in names)
        + f" (keras data: {main_set})"
    )
    print(
        f"[{arch}] median images per CPU-second (process CPU time, less "
        "sensitive to other load; spinning threads count): "
        + ", ".join(f"{n} {median(cpu_rates[n]):.0f}" for n in names)
    )
    for name in names[1:]:
        if name.startswith("keras "):
            ratios = [a / b for a, b in zip(rates[name], rates["keras"])]
            cpu = [a / b for a, b in zip(cpu_rates[name], cpu_rates["keras"])]
            print(
                f"[{arch}] {name} / keras: median per-round ratio "
                f"{median(ratios):.2f}x wall, {median(cpu):.2f}x CPU"
            )
    result = {"keras": keras_med, "ceiling": ceiling}
    # The race: each keras_bvae process against the fastest PyTorch one of
    # the same precision (float32 against float32, bfloat16 against autocast).
    f32_torch = [n for n in torch_names if not n.endswith(" bf16")]
    bf16_torch = [n for n in torch_names if n.endswith(" bf16")]
    for name in names:
        if not name.startswith("keras"):
            continue
        precision = precisions.get(name, "float32")
        rivals = bf16_torch if precision == "bfloat16" else f32_torch
        if precision == "float16" or not rivals:
            continue
        rival = max(rivals, key=lambda n: med[n])
        wall = [a / b for a, b in zip(rates[name], rates[rival])]
        cpu = [a / b for a, b in zip(cpu_rates[name], cpu_rates[rival])]
        print(
            f"[{arch}] race {name} / {rival} (fastest PyTorch, "
            f"{precision}): {med[name]:.0f} vs {med[rival]:.0f} "
            f"img/s, median per-round ratio {median(wall):.2f}x wall, "
            f"{median(cpu):.2f}x CPU"
        )
    # The float32 summary below: against float32 PyTorch only.
    torch_names = f32_torch
    matched = torch_names[0] if torch_names else None
    if torch_names:
        best_torch = max(torch_names, key=lambda n: med[n])
        cpu_med = {n: median(v) for n, v in cpu_rates.items()}
        best_cpu = max(torch_names, key=lambda n: cpu_med[n])
        result["cpu_ratio"] = cpu_med["keras"] / cpu_med[best_cpu]
        print(
            f"[{arch}] per CPU-second: keras_bvae {cpu_med['keras']:.0f} vs "
            f"{best_cpu} {cpu_med[best_cpu]:.0f} images: "
            f"{result['cpu_ratio']:.2f}x"
        )
        print(
            f"[{arch}] ratio keras_bvae / PyTorch: "
            f"{keras_med / med[matched]:.2f}x against {matched} (matched "
            f"threads, default OpenMP), {keras_med / med[best_torch]:.2f}x "
            f"against the fastest, {best_torch}"
        )
        print(
            f"[{arch}] with each fit()/loop call's start-up: keras_bvae "
            f"{median(call_rates['keras']):.0f}, {best_torch} "
            f"{median(call_rates[best_torch]):.0f} images/s"
        )
        result.update(
            {
                "matched": med[matched],
                "best": med[best_torch],
                "best_name": best_torch,
            }
        )
    print(
        f"[{arch}] matmul {MATMUL_N}^2 fp32 GFLOP/s (best call): "
        + ", ".join(f"{n} {median(v):.0f}" for n, v in gflops.items())
        + f"; train step {flops / 1e6:.1f} MFLOP/image -> ceiling "
        f"{ceiling:.0f} images/s; keras_bvae at {keras_med / ceiling:.0%}"
        + (
            f", {result['best_name']} at {result['best'] / ceiling:.0%}"
            if torch_names
            else ""
        )
        + " of it"
    )
    if main_set == "pipeline":
        mem = med["keras memory"]
        ratios = [a / b for a, b in zip(rates["keras"], rates["keras memory"])]
        print(
            f"[{arch}] input pipeline alone {median(pipeline_alone):.0f} "
            f"images/s; fit on it {keras_med:.0f} vs on cached in-memory "
            f"batches {mem:.0f} images/s (median per-round ratio pipeline "
            f"/ in-memory {median(ratios):.2f}x)"
        )
    return result


def _profile_arch(arch: str, args, top: int = 15) -> None:
    cfg = {
        "arch": arch,
        "batch_size": args.batch_size,
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "lr": 1e-3,
        "threads": args.threads,
        "inter_op": args.inter_op_threads,
        "onednn": args.onednn,
        "jit_compile": args.jit_compile,
        "steps_per_execution": args.steps_per_execution,
        "data": "memory",
        "loss": "tfp",
        "opt": "default",
        "with_memory": True,
        "warmup_seconds": args.warmup_seconds,
        "pool": _render_pool(args.pool_size, seed=0),
    }
    for spec in [None] + args.keras_variant:
        if spec is not None:
            cfg = {**cfg, **_parse_keras_variant(spec)}
        worker = _Worker(_keras_worker, cfg)
        got = worker.call("profile", steps=args.profile)
        worker.stop()
        ops = got["ops_ms"]
        total = sum(ops.values())
        print(
            f"[{arch}{' ' + spec if spec else ''}] {got['wall_ms']:.1f} ms "
            f"per step (wall), {total:.1f} ms of op time per step"
        )
        rows = [
            [name, f"{ms:.2f}", f"{ms / total:.0%}"]
            for name, ms in sorted(ops.items(), key=lambda kv: -kv[1])[:top]
        ]
        print(format_table(["op type", "ms/step", "share"], rows))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=ARCHS, nargs="+", default=ARCHS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="length of each timed run"
    )
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--beta", type=float, default=4.0)
    parser.add_argument(
        "--pool-size",
        type=int,
        default=1024,
        help="in-memory images (PyTorch, cached keras set)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="intra-op threads for TF (and torch by default)",
    )
    parser.add_argument(
        "--inter-op-threads",
        type=int,
        default=0,
        help="TF inter-op threads (0: TF's default)",
    )
    parser.add_argument(
        "--onednn",
        type=int,
        choices=(0, 1),
        default=None,
        help="set TF_ENABLE_ONEDNN_OPTS (default: 1 on x86, as the CLI does)",
    )
    parser.add_argument(
        "--jit-compile",
        action="store_true",
        help="compile the keras train step with XLA",
    )
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument(
        "--data",
        choices=("pipeline", "memory"),
        default="pipeline",
        help="keras_bvae input: make_dataset or in-memory",
    )
    parser.add_argument(
        "--keras-variant",
        action="append",
        default=[],
        metavar="KEY=VALUE[,...]",
        help="extra keras_bvae process differing from the main one, e.g. "
        "jit=1 | spe=8 | threads=1 | inter=1 | onednn=0 | data=memory | "
        "data=arrays (fit(x=array, batch_size=...), the plain Keras call) | "
        "loss=fused (TFP-free loss, for measuring only) | opt=keras "
        "(Keras's own Adam instead of the fused kernel) | opt=adam "
        "(compile(optimizer='adam'), Adam's default rate 1e-3) | "
        "precision=bfloat16 or float16 (Keras's mixed policy); repeatable",
    )
    parser.add_argument(
        "--torch",
        nargs="*",
        default=None,
        metavar="THREADS[:passive][:bf16]",
        help="PyTorch variants, each its own process: thread count, "
        "optionally with OMP_WAIT_POLICY=PASSIVE and/or torch.autocast "
        "bfloat16 (raced against precision=bfloat16 variants); the first "
        "is the 'matched' one. Default: --threads, --threads:passive, 1. "
        "Give none to run keras_bvae alone.",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="STEPS",
        help="instead of timing, profile STEPS keras_bvae fit steps "
        "(in-memory data) and print the op time by op type",
    )
    parser.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help="also write the summary and the machine to this JSON file",
    )
    args = parser.parse_args(argv)
    machine = print_machine()
    if args.profile:
        for arch in args.arch:
            _profile_arch(arch, args)
        return
    if args.torch is None:
        args.torch = [f"{args.threads}", f"{args.threads}:passive", "1"]
        if args.threads == 1:
            args.torch = ["1"]
    try:
        _torch_variants(args.torch, args.threads)
        for spec in args.keras_variant:
            _parse_keras_variant(spec)
    except ValueError as err:
        parser.error(str(err))
    print(
        f"{os.cpu_count()} CPUs, possibly shared: medians of {args.rounds} "
        f"interleaved rounds (order reversed every other round)"
    )
    summary = []
    records = []
    for arch in args.arch:
        got = _run_arch(arch, args)
        records.append({"arch": arch, **got})
        if "best" not in got:
            continue
        summary.append(
            [
                arch,
                f"{got['keras']:.0f}",
                f"{got['matched']:.0f}",
                f"{got['best']:.0f} ({got['best_name']})",
                f"{got['keras'] / got['matched']:.2f}x",
                f"{got['keras'] / got['best']:.2f}x",
                f"{got['cpu_ratio']:.2f}x",
                f"{got['keras'] / got['ceiling']:.0%}",
                f"{got['best'] / got['ceiling']:.0%}",
            ]
        )
    if summary:
        print()
        print(f"machine: {machine_tag(machine)}")
        print(
            format_table(
                [
                    "arch",
                    "keras_bvae",
                    "torch matched",
                    "torch fastest",
                    "ratio matched",
                    "ratio fastest",
                    "ratio per CPU-s",
                    "keras/ceiling",
                    "torch/ceiling",
                ],
                summary,
            )
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": machine,
                    "argv": sys.argv[1:] if argv is None else list(argv),
                    "results": records,
                },
                f,
                indent=2,
                sort_keys=True,
            )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
