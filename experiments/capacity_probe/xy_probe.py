"""Capacity annealing vs beta-VAE on a dSprites subset where only x, y vary.

Usage: taskset -c 0 python experiments/capacity_probe/xy_probe.py NAME \
           STEPS [--beta B | --cmax C --csteps T --gamma G] [--lr LR] \
           [--eps EPS] [--seed S] [--full] [--out DIR]
(the issue-17 capacity probe, docs/capacity_investigation.md; the script
that ran, formatted by ruff, with --out added.)
Writes DIR/NAME.csv (DIR: --out, default the out/ folder beside this
script, which holds the CSVs of the runs the page reports): every EVAL
steps C(step) and, on all 1024 images, the distortion and rate (one
posterior sample), per-latent KL split into its mean part 0.5*E[mu^2] and
its variance part, a Gaussian-channel information proxy
0.5*log(1 + Var(mu)/E[sigma^2]) per latent, and the R^2 of a linear fit of
x and y from the posterior means.
"""

import argparse
import csv
import os
import time

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402

import keras_bvae  # noqa: E402
from keras_bvae import datasets  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("name")
p.add_argument("steps", type=int)
p.add_argument("--beta", type=float)
p.add_argument("--cmax", type=float)
p.add_argument("--csteps", type=int)
p.add_argument("--gamma", type=float, default=1000.0)
p.add_argument("--lr", type=float, default=5e-4)
p.add_argument("--eps", type=float, default=1e-7)
p.add_argument("--eval", type=int, default=250)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--shape", type=int, default=0)
p.add_argument("--scale", type=int, default=2)
p.add_argument(
    "--full",
    action="store_true",
    help="train on the full dSprites simulator; probe 1024 random images",
)
p.add_argument(
    "--out",
    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"),
    help="folder for NAME.csv (default: out/ beside this script)",
)
args = p.parse_args()

# 32 x 32 positions of one sprite (square, scale class 2, orientation 0).
xs, ys = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
n = xs.size
full = np.stack(
    [
        np.full(n, args.shape),
        np.full(n, args.scale),
        np.zeros(n, int),
        xs.ravel(),
        ys.ravel(),
    ],
    axis=1,
)
sim = datasets.DSpritesSimulator()
if args.full:
    full = sim.sample_factors(n, np.random.default_rng(123))
    xs, ys = full[:, 3], full[:, 4]
    images = sim.sample_observations_from_factors(full)
    data = sim
else:
    images = sim.sample_observations_from_factors(full)
    data = datasets.ArrayGroundTruthData(
        images, full[:, 3:], factor_sizes=(32, 32), factor_names=("x", "y")
    )
mean_img = np.clip(images.mean(0), 1e-6, 1 - 1e-6)
mean_cost = -np.mean(
    np.sum(
        images * np.log(mean_img) + (1 - images) * np.log(1 - mean_img),
        axis=(1, 2, 3),
    )
)
print(f"mean-image cost {mean_cost:.1f} nats", flush=True)

keras.utils.set_random_seed(args.seed)
kw = dict(latent_dim=10, architecture="burgess", seed=args.seed)
if args.cmax is not None:
    kw["capacity"] = dict(
        capacity_max=args.cmax, num_steps=args.csteps, gamma=args.gamma
    )
else:
    kw["beta"] = args.beta
model = keras_bvae.BetaVAE(**kw)
model.compile(optimizer=keras.optimizers.Adam(args.lr, epsilon=args.eps))
ds = datasets.make_dataset(
    data, batch_size=64, steps=args.steps, seed=args.seed
)

X = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
X1 = np.c_[X, np.ones(n)]


def probe():
    params = model.encoder(images, training=False).numpy()
    mu, logvar = params[:, :10], params[:, 10:]
    var = np.exp(logvar)
    kl_mean = 0.5 * np.mean(mu**2, 0)
    kl_var = 0.5 * np.mean(var - 1 - logvar, 0)
    info = 0.5 * np.log1p(mu.var(0) / var.mean(0))
    A = np.c_[mu, np.ones(n)]
    coef, *_ = np.linalg.lstsq(A, X, rcond=None)
    res = X - A @ coef
    r2 = 1 - res.var(0) / X.var(0)
    terms = model.loss_terms(images, training=False)
    # Gradient norms on the encoder of the two terms, on 256 images: how much
    # of the encoder's Adam second moment the rate term takes.
    enc = model.encoder.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        t = model.loss_terms(images[:256], training=True)
    g_d = tape.gradient(t["reconstruction_loss"], enc)
    g_r = tape.gradient(t["kl"], enc)
    del tape

    def norm(gs):
        return float(np.sqrt(sum(float(tf.reduce_sum(g * g)) for g in gs)))

    probe.grad = (norm(g_d), norm(g_r))
    return (
        kl_mean,
        kl_var,
        info,
        r2,
        float(terms["reconstruction_loss"]),
        float(terms["kl"]),
    )


os.makedirs(args.out, exist_ok=True)
path = os.path.join(args.out, f"{args.name}.csv")
rows = []


class Log(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.acc = {}
        self.t0 = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        if step % args.eval:
            return
        it = int(model.optimizer.iterations.numpy())
        c = (
            None
            if model.capacity is None
            else float(model.capacity.capacity(it))
        )
        kl_mean, kl_var, info, r2, recon, kl = probe()
        order = np.argsort(-info)
        row = dict(
            step=it,
            C=c,
            loss=logs["loss"],
            recon=recon,
            kl=kl,
            kl_mean_part=kl_mean.sum(),
            kl_var_part=kl_var.sum(),
            info_total=info.sum(),
            info_top2=info[order[:2]].sum(),
            r2_x=r2[0],
            r2_y=r2[1],
            grad_distortion=probe.grad[0],
            grad_rate=probe.grad[1],
            secs=time.time() - self.t0,
        )
        row.update({f"info_{i}": info[i] for i in range(10)})
        row.update({f"klv_{i}": kl_var[i] for i in range(10)})
        rows.append(row)
        print(
            f"{it:6d} C={c if c is None else round(c, 2)} "
            f"recon={row['recon']:.1f} kl={row['kl']:.2f} "
            f"(mean {kl_mean.sum():.2f} var {kl_var.sum():.2f}) "
            f"info={info.sum():.2f} top2={row['info_top2']:.2f} "
            f"r2=({r2[0]:.2f},{r2[1]:.2f}) |gD|={probe.grad[0]:.3g} "
            f"|gR|={probe.grad[1]:.3g} t={row['secs']:.0f}s",
            flush=True,
        )
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


print(vars(args), flush=True)
model.fit(
    ds, epochs=1, steps_per_epoch=args.steps, verbose=0, callbacks=[Log()]
)
# Adam's sqrt(v_hat) against epsilon, encoder and decoder.
opt = model.optimizer
b2 = 1 - opt.beta_2 ** int(opt.iterations.numpy())
for part in (model.encoder, model.decoder):
    roots = np.concatenate(
        [
            np.sqrt(
                opt._velocities[opt._get_variable_index(v)].numpy().ravel() / b2
            )
            for v in part.trainable_variables
        ]
    )
    print(
        f"{part.name}: sqrt(v_hat) percentiles 1/50/99: "
        f"{np.percentile(roots, [1, 50, 99])}, epsilon {opt.epsilon}",
        flush=True,
    )
