"""The burgess network's stride-2 convolutions, computed three exact ways.

For each conv layer of the "burgess" encoder and each transposed conv of
its decoder (4x4 kernels, stride 2, "same" padding = 1 on each side,
batch 64), times one forward pass plus the gradients with respect to the
input and the kernel (the input gradient is skipped for the first layer,
whose input is the data), in three formulations:

- ``native``: ``tf.nn.conv2d`` / ``tf.nn.conv2d_transpose`` (what Keras
  runs);
- ``s2d``: space-to-depth. A 4x4 stride-2 conv of x padded by 1 equals a
  2x2 stride-1 VALID conv of ``space_to_depth(pad(x), 2)`` (4C channels)
  with the kernel rearranged. The transposed conv: output pixel
  (2i+p, 2j+q) depends only on a 2x2 window of the padded input, so one 2x2
  stride-1 VALID conv with 4 x C_out outputs (one block per phase (p, q))
  followed by a per-phase one-pixel crop and ``depth_to_space`` gives it
  with no zero taps;
- ``nchw``: ``native`` in channels-first layout (inputs and outputs
  NCHW, as a whole channels-first network would keep them);
- ``col2im`` (transposed convs only): each input pixel times all 16
  kernel taps in one matrix product (B H W, C) x (C, 16 C_out), then each
  output phase adds its four shifted tap planes (``depth_to_space``);
- ``im2col``: the same stride-1 2x2 convolutions as one matrix product of
  four shifted slices (concatenated channels) with the rearranged kernel;
  the gradients of slices and concatenation are copies, not scatters.

Times are process CPU time (TF on one thread, so no spinning peers), the
least of the calls in ``--seconds``: on a shared core that is far steadier
than wall time. Each formulation is checked against ``native`` (forward and both
gradients; the largest difference relative to the largest value, float32
rounding is ~1e-6) before it is timed. Each ISA setting runs in its own
process (oneDNN reads ``ONEDNN_MAX_CPU_ISA`` once), the processes take
turns ``--rounds`` times, and within a process the formulations alternate;
medians per layer and the ratio to ``native`` of the same process are
printed. Only those ratios are comparable on a shared machine.

    python benchmarks/bench_conv.py --isa default AVX2 --rounds 3

Measured 2026-11-26 11:44-11:53 UTC with that command and ``--seconds
0.3`` (Intel Xeon with AVX-512 and AMX, pinned to 1 core shared with other
jobs, load average ~9; TF 2.21, oneDNN 3.7.3): the eight layers cost 64.3
CPU ms per batch of 64 natively with oneDNN's AVX-512 kernels and 88.7 ms
with ``ONEDNN_MAX_CPU_ISA=AVX2`` (1.38x). Against native, in the same
process: s2d 0.46x (AVX-512) / 0.45x (AVX2) in total, im2col 0.12x /
0.15x, nchw 0.68x / 0.47x, col2im 0.11x / 0.14x; no formulation is faster
on any layer on both ISAs. The one layer where another formulation wins is
the decoder's last transposed conv (one output channel) in NCHW under AVX2,
1.86x (14.8 -> 8.0 ms), but 0.69x under AVX-512. All differences from
native are float rounding (at most 7e-6 of the largest value).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import format_table, machine_tag, print_machine  # noqa: E402

BATCH = 64
# (name, kind, spatial size of the input, input channels, output channels)
LAYERS = [
    ("conv1", "conv", 64, 1, 32),
    ("conv2", "conv", 32, 32, 32),
    ("conv3", "conv", 16, 32, 32),
    ("conv4", "conv", 8, 32, 32),
    ("deconv1", "deconv", 4, 32, 32),
    ("deconv2", "deconv", 8, 32, 32),
    ("deconv3", "deconv", 16, 32, 32),
    ("logits", "deconv", 32, 32, 1),
]
VARIANTS = ("native", "s2d", "im2col", "nchw", "col2im")


def _ops():
    import tensorflow as tf

    pad1 = [[0, 0], [1, 1], [1, 1], [0, 0]]

    def conv_native(x, w):
        return tf.nn.conv2d(x, w, 2, "SAME")

    def conv_kernel_2x2(w):
        # w (4, 4, C, O), kh = 2a + p, kw = 2b + q -> (2, 2, 4C, O) with
        # input channels in space_to_depth order (p, q, c).
        k, _, c, o = w.shape
        w = tf.reshape(w, (2, 2, 2, 2, c, o))  # a, p, b, q, c, o
        w = tf.transpose(w, (0, 2, 1, 3, 4, 5))  # a, b, p, q, c, o
        return tf.reshape(w, (2, 2, 4 * c, o))

    def conv_s2d(x, w):
        xs = tf.nn.space_to_depth(tf.pad(x, pad1), 2)
        return tf.nn.conv2d(xs, conv_kernel_2x2(w), 1, "VALID")

    def conv_im2col(x, w):
        xs = tf.nn.space_to_depth(tf.pad(x, pad1), 2)
        n = xs.shape[1] - 1
        cols = tf.concat(
            [xs[:, a : a + n, b : b + n, :] for a in (0, 1) for b in (0, 1)],
            axis=-1,
        )
        k = conv_kernel_2x2(w)
        k = tf.reshape(k, (-1, k.shape[-1]))  # (a, b, p, q, c) x O
        y = tf.matmul(tf.reshape(cols, (-1, k.shape[0])), k)
        return tf.reshape(y, (-1, n, n, k.shape[1]))

    def deconv_native(x, w):
        b, h, wd, _ = x.shape
        out = (b, 2 * h, 2 * wd, w.shape[2])
        return tf.nn.conv2d_transpose(x, w, out, 2, "SAME")

    # Output row 2i + p of the transposed conv reads padded input rows
    # i + p + a (a = 0, 1) through kernel row KROW[p][a].
    krow = ((3, 1), (2, 0))

    def deconv_kernel_2x2(w):
        # w (4, 4, O, C) -> (2, 2, C, 4O), outputs in (p, q, o) order.
        wt = tf.transpose(w, (0, 1, 3, 2))  # kh, kw, C, O
        blocks = []
        for p in (0, 1):
            for q in (0, 1):
                rows = [
                    tf.stack([wt[krow[p][a], krow[q][b]] for b in (0, 1)])
                    for a in (0, 1)
                ]
                blocks.append(tf.stack(rows))  # (2, 2, C, O)
        return tf.concat(blocks, axis=-1)

    def deconv_crop(z, h, o):
        parts = [
            z[:, p : p + h, q : q + h, (2 * p + q) * o : (2 * p + q + 1) * o]
            for p in (0, 1)
            for q in (0, 1)
        ]
        return tf.nn.depth_to_space(tf.concat(parts, axis=-1), 2)

    def deconv_s2d(x, w):
        z = tf.nn.conv2d(tf.pad(x, pad1), deconv_kernel_2x2(w), 1, "VALID")
        return deconv_crop(z, x.shape[1], w.shape[2])

    def deconv_im2col(x, w):
        xp = tf.pad(x, pad1)
        n = x.shape[1] + 1
        cols = tf.concat(
            [xp[:, a : a + n, b : b + n, :] for a in (0, 1) for b in (0, 1)],
            axis=-1,
        )
        k = deconv_kernel_2x2(w)
        k = tf.reshape(k, (-1, k.shape[-1]))
        z = tf.matmul(tf.reshape(cols, (-1, k.shape[0])), k)
        z = tf.reshape(z, (-1, n, n, k.shape[1]))
        return deconv_crop(z, x.shape[1], w.shape[2])

    def deconv_col2im(x, w):
        # Every input pixel times all 16 taps in one matmul, then each
        # output phase sums its four shifted tap planes.
        b, h, wd, c = x.shape
        o = w.shape[2]
        taps = tf.reshape(tf.transpose(w, (3, 0, 1, 2)), (c, 16 * o))
        z = tf.matmul(tf.reshape(x, (-1, c)), taps)
        z = tf.pad(tf.reshape(z, (b, h, wd, 16 * o)), pad1)
        phases = []
        for p in (0, 1):
            for q in (0, 1):
                total = 0.0
                for a in (0, 1):
                    for bb in (0, 1):
                        t, u = p + a, q + bb  # padded offsets
                        k = (krow[p][a] * 4 + krow[q][bb]) * o
                        total += z[:, t : t + h, u : u + wd, k : k + o]
                phases.append(total)
        return tf.nn.depth_to_space(tf.concat(phases, axis=-1), 2)

    # Channels-first: x and dy arrive as NCHW (the layout a whole
    # channels-first network would keep), y and dx leave as NCHW.
    def conv_nchw(x, w):
        return tf.nn.conv2d(x, w, 2, "SAME", data_format="NCHW")

    def deconv_nchw(x, w):
        b, _, h, wd = x.shape
        out = (b, w.shape[2], 2 * h, 2 * wd)
        return tf.nn.conv2d_transpose(x, w, out, 2, "SAME", data_format="NCHW")

    return {
        "conv": {
            "native": conv_native,
            "s2d": conv_s2d,
            "im2col": conv_im2col,
            "nchw": conv_nchw,
        },
        "deconv": {
            "native": deconv_native,
            "s2d": deconv_s2d,
            "im2col": deconv_im2col,
            "nchw": deconv_nchw,
            "col2im": deconv_col2im,
        },
    }


def _worker(rounds: int, seconds: float) -> dict:
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    ops = _ops()
    rng = np.random.default_rng(0)
    steps, errors = {}, {}
    for name, kind, size, c_in, c_out in LAYERS:
        x = tf.constant(
            rng.standard_normal((BATCH, size, size, c_in)), "float32"
        )
        if kind == "conv":
            w_shape, out = (4, 4, c_in, c_out), size // 2
        else:
            w_shape, out = (4, 4, c_out, c_in), size * 2
        w = tf.constant(rng.standard_normal(w_shape) * 0.1, "float32")
        dy = tf.constant(
            rng.standard_normal((BATCH, out, out, c_out)), "float32"
        )
        first = name == "conv1"
        for variant in ops[kind]:
            fn = ops[kind][variant]

            @tf.function
            def step(x, w, dy, fn=fn, first=first):
                with tf.GradientTape() as tape:
                    tape.watch(w)
                    if not first:
                        tape.watch(x)
                    y = fn(x, w)
                grads = tape.gradient(y, [w] if first else [w, x], dy)
                return [y, *grads]

            steps[name, variant] = step
        reference = [t.numpy() for t in steps[name, "native"](x, w, dy)]
        nchw = (
            tf.transpose(x, (0, 3, 1, 2)),
            w,
            tf.transpose(dy, (0, 3, 1, 2)),
        )
        for variant in list(ops[kind])[1:]:
            if variant == "nchw":
                got = [t.numpy() for t in steps[name, variant](*nchw)]
                got[0] = got[0].transpose(0, 2, 3, 1)
                if len(got) == 3:
                    got[2] = got[2].transpose(0, 2, 3, 1)
            else:
                got = [t.numpy() for t in steps[name, variant](x, w, dy)]
            errors[f"{name} {variant}"] = max(
                float(np.abs(g - r).max() / np.abs(r).max())
                for g, r in zip(got, reference)
            )
        steps[name] = (x, w, dy)
        steps[name, "nchw input"] = nchw
    times = {f"{n} {v}": [] for n, kind, *_ in LAYERS for v in ops[kind]}
    for r in range(rounds):
        for name, kind, *_ in LAYERS:
            order = list(ops[kind])
            order = order if r % 2 == 0 else order[::-1]
            for variant in order:
                x, w, dy = steps[
                    (name, "nchw input") if variant == "nchw" else name
                ]
                step = steps[name, variant]
                step(x, w, dy)
                t0, best = time.perf_counter(), float("inf")
                while time.perf_counter() - t0 < seconds:
                    c1 = time.process_time()
                    step(x, w, dy)
                    best = min(best, time.process_time() - c1)
                times[f"{name} {variant}"].append(best * 1e3)
    return {"ms": times, "errors": errors}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--isa", nargs="+", default=["default", "AVX2"],
        help="ONEDNN_MAX_CPU_ISA values, one process each ('default': unset)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=0.3,
        help="per layer, variant and round; the cheapest call counts",
    )  # fmt: skip
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(_worker(args.rounds, args.seconds)))
        return
    print_machine()
    results = {}
    for r in range(args.rounds):
        for isa in args.isa if r % 2 == 0 else args.isa[::-1]:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
            env.pop("ONEDNN_MAX_CPU_ISA", None)
            if isa != "default":
                env["ONEDNN_MAX_CPU_ISA"] = isa
            done = subprocess.run(
                [sys.executable, __file__, "--worker", "--rounds", "1",
                 "--seconds", str(args.seconds)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            line = [x for x in done.stdout.splitlines() if x[:7] == "RESULT "]
            got = json.loads(line[-1][7:])
            entry = results.setdefault(isa, {"ms": {}, "errors": {}})
            for key, values in got["ms"].items():
                entry["ms"].setdefault(key, []).extend(values)
            for key, value in got["errors"].items():
                entry["errors"][key] = max(entry["errors"].get(key, 0), value)
    for isa, entry in results.items():
        env = {} if isa == "default" else {"ONEDNN_MAX_CPU_ISA": isa}
        os.environ.pop("ONEDNN_MAX_CPU_ISA", None)
        os.environ.update(env)
        from _common import machine_info

        info = machine_info()
        print()
        print(f"ONEDNN_MAX_CPU_ISA={isa}: {machine_tag(info)}")
        med = {k: statistics.median(v) for k, v in entry["ms"].items()}
        # A layer a formulation does not apply to counts at its native time.
        rows, totals = [], dict.fromkeys(VARIANTS, 0.0)
        for name, *_ in LAYERS:
            row = [name]
            for variant in VARIANTS:
                ms = med.get(f"{name} {variant}")
                totals[variant] += med[f"{name} native"] if ms is None else ms
                row.append("-" if ms is None else f"{ms:.3f}")
            for variant in VARIANTS[1:]:
                if f"{name} {variant}" not in med:
                    row.append("-")
                    continue
                ratio = med[f"{name} native"] / med[f"{name} {variant}"]
                err = entry["errors"][f"{name} {variant}"]
                row.append(f"{ratio:.2f}x ({err:.0e})")
            rows.append(row)
        rows.append(
            ["total"]
            + [f"{totals[v]:.3f}" for v in VARIANTS]
            + [f"{totals['native'] / totals[v]:.2f}x" for v in VARIANTS[1:]]
        )
        print(format_table(
            ["layer"] + [f"{v} CPU ms" for v in VARIANTS]
            + [f"speed-up {v} (max rel. diff)" for v in VARIANTS[1:]],
            rows,
        ))  # fmt: skip


if __name__ == "__main__":
    main()
