"""The latent explorer: one self-contained web page per model.

``write_page(model, path, data=...)`` writes a single HTML file that
decodes in the browser: the decoder's weights (float32, base64) and a small
JavaScript implementation of its layers (dense, transposed convolution,
reshape, flatten and their activations; the "burgess" and "higgins"
networks of ``keras_bvae.networks``, grey and colour) are inlined, so the
page works opened from a file, served by GitHub Pages or shown in a
notebook's IFrame, with nothing fetched from the network.

The page shows

- one slider per active latent (average KL above ``ACTIVE_KL`` nats on the
  data), labelled with the factor it carries by the latent x factor NMI of
  ``keras_bvae.disentanglement.latent_factors`` when the data has factors
  ("z3: scale, NMI 0.44 | KL 2.10"), by its KL otherwise; the inactive
  latents are folded away under "inactive latents";
- the decoded image, redrawn as a slider moves (the mean of p(x|z), as
  ``model.decode``);
- a strip of example images of the data; clicking one sets every slider to
  its code (the posterior mean, computed in Python when the page is
  written);
- a "random" button that samples every latent from the prior N(0, 1).

Its script exposes ``window.explorer`` (``decode(z)`` -> Float32Array of
H * W * C pixel probabilities, ``setLatents(z)``, ``latents()``), which the
browser test and the benchmark use.

Example:
```python
import keras_bvae
from keras_bvae.explorer import write_page

model = keras_bvae.load("saved_models/flagship/beta_vae_b12_s0")
write_page(model, "explorer.html", data="dsprites-sim")
```
"""

from __future__ import annotations

import base64
import html
import json
import os
from typing import Any

import numpy as np

from keras_bvae.callbacks.traversal import LatentTraversalCallback
from keras_bvae.inputs import check_images

__all__ = ["ACTIVE_KL", "decoder_layers", "page_data", "write_page"]

# nats; a latent with less average KL is unused (as the traversal figures).
ACTIVE_KL = LatentTraversalCallback.ACTIVE_KL

_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "elu", "softplus")


def _activation(layer) -> str:
    name = getattr(layer.activation, "__name__", str(layer.activation))
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"the explorer cannot run activation {name!r} of layer "
            f"{layer.name!r}; it runs {', '.join(_ACTIVATIONS)}"
        )
    return name


def decoder_layers(decoder) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The decoder as layer specs and one flat float32 weight array.

    Args:
        decoder: keras.Model. A chain of Dense, Conv2DTranspose (channels
            last, no dilation or output padding), Reshape, Flatten and
            Activation layers, as ``keras_bvae.networks`` builds.

    Returns:
        ``(layers, weights)``: per layer a dict with ``type`` ("dense",
        "deconv", "reshape"), its shapes, activation and the offsets (in
        floats) of its kernel and bias in ``weights``. Transposed
        convolution kernels are stored as (in, kh, kw, out).

    Raises:
        ValueError: a layer the page cannot run; the message names it.
    """
    from keras import layers as kl

    specs, blobs, offset = [], [], 0

    def add(array) -> int:
        nonlocal offset
        array = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
        blobs.append(array)
        start, offset = offset, offset + array.size
        return start

    for layer in decoder.layers:
        if isinstance(layer, kl.InputLayer):
            continue
        in_shape = tuple(layer.input.shape[1:])
        out_shape = tuple(layer.output.shape[1:])
        if isinstance(layer, kl.Dense) and len(in_shape) == 1:
            kernel, bias = _kernel_bias(layer)
            specs.append(
                {
                    "type": "dense",
                    "in": int(in_shape[0]),
                    "out": int(out_shape[0]),
                    "kernel": add(kernel),
                    "bias": add(bias),
                    "activation": _activation(layer),
                }
            )
        elif isinstance(layer, kl.Conv2DTranspose):
            specs.append(_deconv_spec(layer, in_shape, out_shape, add))
        elif isinstance(layer, (kl.Reshape, kl.Flatten)):
            specs.append({"type": "reshape", "shape": list(out_shape)})
        elif isinstance(layer, kl.Activation):
            specs.append({"type": "activation", **_act_only(layer)})
        else:
            raise ValueError(
                f"the explorer cannot run layer {layer.name!r} "
                f"({type(layer).__name__}); it runs Dense, "
                "Conv2DTranspose, Reshape, Flatten and Activation"
            )
    weights = np.concatenate(blobs) if blobs else np.zeros(0, np.float32)
    return specs, weights


def _act_only(layer) -> dict:
    return {"activation": _activation(layer)}


def _kernel_bias(layer):
    kernel = np.asarray(layer.kernel.numpy(), np.float32)
    if layer.use_bias:
        bias = np.asarray(layer.bias.numpy(), np.float32)
    else:
        bias = np.zeros(kernel.shape[-1 if kernel.ndim == 2 else 2], np.float32)
    return kernel, bias


def _deconv_spec(layer, in_shape, out_shape, add) -> dict:
    if layer.data_format != "channels_last":
        raise ValueError(
            f"layer {layer.name!r}: the explorer runs channels_last only"
        )
    if tuple(layer.dilation_rate) != (1, 1) or layer.output_padding:
        raise ValueError(
            f"layer {layer.name!r}: the explorer runs no dilation or "
            "output padding"
        )
    kernel, bias = _kernel_bias(layer)  # kernel (kh, kw, out, in)
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    pads = []
    for n, big, k, s in zip(in_shape[:2], out_shape[:2], (kh, kw), (sh, sw)):
        # TensorFlow's SAME padding of the forward convolution big -> n.
        total = max((n - 1) * s + k - big, 0) if layer.padding == "same" else 0
        pads.append(total // 2)
    return {
        "type": "deconv",
        "inShape": [int(d) for d in in_shape],
        "outShape": [int(d) for d in out_shape],
        "kernelSize": [int(kh), int(kw)],
        "strides": [int(sh), int(sw)],
        "pad": pads,
        "kernel": add(kernel.transpose(3, 0, 1, 2)),
        "bias": add(bias),
        "activation": _activation(layer),
    }


def _as_data(data):
    """None, a data name, images or GroundTruthData -> GroundTruthData."""
    from keras_bvae import datasets

    if data is None or isinstance(data, datasets.GroundTruthData):
        return data
    if isinstance(data, str):
        return datasets.get_data(data)
    images = np.asarray(data)
    if images.dtype != np.uint8:
        images = check_images(images, images.shape[1:])
        images = np.round(images * 255).astype(np.uint8)
    return datasets.ImageSet(images)


def page_data(
    model,
    data=None,
    *,
    num_examples: int = 8,
    seed: int = 0,
    num_samples: int = 10000,
    num_bins: int = 20,
    title: str | None = None,
) -> tuple[dict[str, Any], np.ndarray]:
    """Everything the page shows, computed in Python.

    Args: as ``write_page``.

    Returns:
        ``(payload, weights)``: the JSON-able page data (layers, latents
        with labels, KL and activity, examples with their codes) and the
        decoder's flat float32 weights.
    """
    from keras_bvae.model import BetaVAE

    if not isinstance(model, BetaVAE):
        raise TypeError(
            f"the explorer needs a keras_bvae BetaVAE; got "
            f"{type(model).__name__}"
        )
    layers, weights = decoder_layers(model.decoder)
    data = _as_data(data)
    m = model.latent_dim
    kl = np.full(m, np.nan)
    labels = [f"z{j}" for j in range(m)]
    label_source = "none (no data given: every latent shown)"
    examples, codes = [], []
    if data is not None:
        shape = tuple(data.observation_shape)
        if shape != tuple(model.image_shape):
            raise ValueError(
                f"the data's images are {shape} but the model takes "
                f"{tuple(model.image_shape)}"
            )
        rng = np.random.default_rng(seed)
        _, kl_images = data.sample(256, rng)
        q_z, p_z = model.posterior(kl_images), model.prior()
        kl = q_z.distribution.kl_divergence(p_z.distribution)
        kl = np.asarray(kl).mean(0)
        active = kl > ACTIVE_KL
        labels = [f"z{j}: KL {kl[j]:.2f}" for j in range(m)]
        label_source = f"KL on 256 images of the data (active: > {ACTIVE_KL})"
        if data.factor_names:
            from keras_bvae.disentanglement.latent_factors import label_latents

            result = label_latents(
                data,
                model.encode,
                seed=seed,
                num_samples=num_samples,
                num_bins=num_bins,
                active=active,
            )
            labels = [
                f"{label} | KL {kl[j]:.2f}"
                for j, label in enumerate(result["labels"])
            ]
            label_source = (
                f"latent x factor NMI on {num_samples} samples, "
                f"{num_bins} bins (keras_bvae.disentanglement.latent_factors)"
            )
        if num_examples > 0:
            _, images = data.sample(int(num_examples), rng)
            # The strip shows 8-bit images; their codes are of those images.
            pixels = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
            codes = model.encode(pixels.astype(np.float32) / 255)
            examples = [
                base64.b64encode(image.tobytes()).decode("ascii")
                for image in pixels
            ]
    finite = np.where(np.isfinite(kl), kl, np.inf)
    payload = {
        "title": title or model.name,
        "imageShape": [int(d) for d in model.image_shape],
        "latentDim": m,
        "architecture": model.architecture,
        "objective": type(model.objective).__name__,
        "beta": None if model.beta is None else float(model.beta),
        "layers": layers,
        "latents": [
            {
                "index": j,
                "label": labels[j],
                "kl": None if not np.isfinite(kl[j]) else float(kl[j]),
                "active": bool(finite[j] > ACTIVE_KL),
            }
            for j in range(m)
        ],
        "labelSource": label_source,
        "examples": examples,
        "codes": [[float(v) for v in code] for code in codes],
    }
    return payload, weights


def write_page(
    model,
    path: str,
    data=None,
    *,
    num_examples: int = 8,
    seed: int = 0,
    num_samples: int = 10000,
    num_bins: int = 20,
    title: str | None = None,
) -> str:
    """Writes the model's latent explorer as one self-contained HTML file.

    Args:
        model: BetaVAE. The model (its decoder runs in the page).
        path: str. The HTML file to write.
        data: None, a data name (``keras_bvae.datasets.get_data``), a
            GroundTruthData or images (n, H, W, C). With factors the
            latents are labelled by NMI; without, by KL; with None no
            example strip, every latent shown. Defaults to None.
        num_examples: int. Example images in the strip. Defaults to 8.
        seed: int. Seed of the examples and the labelling. Defaults to 0.
        num_samples: int. Samples for the NMI labels. Defaults to 10000.
        num_bins: int. Bins per latent for the NMI. Defaults to 20.
        title: str or None. The page's title. Defaults to the model's name.

    Returns:
        ``path``.

    Raises:
        TypeError: ``model`` is not a BetaVAE.
        ValueError: a decoder layer the page cannot run, or data whose
            images do not fit the model.
    """
    from keras_bvae.files import write_text

    payload, weights = page_data(
        model,
        data,
        num_examples=num_examples,
        seed=seed,
        num_samples=num_samples,
        num_bins=num_bins,
        title=title,
    )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    return write_text(path, render_page(payload, weights))


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def render_page(payload: dict, weights: np.ndarray) -> str:
    """The page's HTML from ``page_data``'s output."""
    blob = base64.b64encode(
        np.ascontiguousarray(weights, dtype="<f4").tobytes()
    ).decode("ascii")
    return (
        _TEMPLATE.replace("__TITLE__", html.escape(str(payload["title"])))
        .replace("__DATA__", _script_json(payload))
        .replace("__WEIGHTS__", blob)
        .replace("__SCRIPT__", _SCRIPT)
    )


def write_index(pages: list[tuple[str, str]], path: str) -> str:
    """Writes an index page linking to explorer pages.

    Args:
        pages: ``(file name relative to the index, title)`` pairs.
        path: str. The index HTML file.

    Returns:
        ``path``.
    """
    from keras_bvae.files import write_text

    items = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a></li>'
        for href, title in pages
    )
    text = _INDEX.replace("__ITEMS__", items)
    return write_text(path, text)


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>keras_bvae latent explorers</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}</style>
</head><body>
<h1>Latent explorers</h1>
<p>One page per model: move the sliders and the decoder, running in your
browser, redraws the image. Written by
<code>python -m keras_bvae explore</code>; nothing is fetched from the
network.</p>
<ul>
__ITEMS__
</ul>
</body></html>
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ - latent explorer</title>
<style>
body{font-family:sans-serif;margin:1em;color:#222}
#main{display:flex;gap:1.5em;flex-wrap:wrap}
#out{width:256px;height:256px;image-rendering:pixelated;
 border:1px solid #999;background:#000}
.row{display:flex;align-items:center;gap:.5em;margin:.15em 0}
.row label{width:24em;font-size:13px;white-space:nowrap;overflow:hidden;
 text-overflow:ellipsis}
.row input{width:14em}
.row output{width:3.5em;font:12px monospace}
#strip{display:flex;gap:4px;flex-wrap:wrap;margin-top:.8em}
#strip canvas{width:64px;height:64px;image-rendering:pixelated;
 border:2px solid #ccc;cursor:pointer}
#strip canvas:hover{border-color:#36c}
.note{font-size:12px;color:#666}
</style></head><body>
<h2 id="title"></h2>
<p class="note" id="info"></p>
<div id="main">
<div><canvas id="out"></canvas><br>
<button id="random">random</button> <button id="zero">zero</button>
<span class="note" id="timing"></span></div>
<div><div id="active"></div>
<details id="inactive-box"><summary id="inactive-summary"></summary>
<div id="inactive"></div></details></div>
</div>
<div class="note" id="strip-note"></div>
<div id="strip"></div>
<script type="application/json" id="explorer-data">__DATA__</script>
<script type="application/octet-stream" id="explorer-weights">__WEIGHTS__\
</script>
<script>__SCRIPT__</script>
</body></html>
"""

_SCRIPT = r"""
"use strict";
(function () {
const D = JSON.parse(document.getElementById("explorer-data").textContent);
const raw = atob(document.getElementById("explorer-weights").textContent
  .trim());
const bytes = new Uint8Array(raw.length);
for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
const W = new Float32Array(bytes.buffer);
const [H, Wd, C] = D.imageShape;
const M = D.latentDim;

function act(name, x) {
  const n = x.length;
  if (name === "relu") {
    for (let i = 0; i < n; i++) if (x[i] < 0) x[i] = 0;
  } else if (name === "tanh") {
    for (let i = 0; i < n; i++) x[i] = Math.tanh(x[i]);
  } else if (name === "sigmoid") {
    for (let i = 0; i < n; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
  } else if (name === "elu") {
    for (let i = 0; i < n; i++) if (x[i] < 0) x[i] = Math.expm1(x[i]);
  } else if (name === "softplus") {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      x[i] = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
    }
  }
  return x;
}

function dense(L, x) {
  const n = L.in, m = L.out, y = new Float32Array(m);
  const K = W.subarray(L.kernel, L.kernel + n * m);
  y.set(W.subarray(L.bias, L.bias + m));
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v === 0) continue;
    const row = i * m;
    for (let o = 0; o < m; o++) y[o] += v * K[row + o];
  }
  return act(L.activation, y);
}

// Each input pixel scatters a kh x kw x oc patch: patch = x_pixel . K,
// with K stored (ic, kh, kw, oc), then added into the output.
function deconv(L, x) {
  const [ih, iw, ic] = L.inShape, [oh, ow, oc] = L.outShape;
  const [kh, kw] = L.kernelSize, [sh, sw] = L.strides, [ph, pw] = L.pad;
  const y = new Float32Array(oh * ow * oc);
  const b = W.subarray(L.bias, L.bias + oc);
  for (let p = 0; p < oh * ow; p++) y.set(b, p * oc);
  const n = kh * kw * oc;
  const K = W.subarray(L.kernel, L.kernel + ic * n);
  const patch = new Float32Array(n);
  for (let iy = 0; iy < ih; iy++) for (let ix = 0; ix < iw; ix++) {
    const src = (iy * iw + ix) * ic;
    patch.fill(0);
    for (let c = 0; c < ic; c++) {
      const v = x[src + c];
      if (v === 0) continue;
      const row = c * n;
      for (let k = 0; k < n; k++) patch[k] += v * K[row + k];
    }
    for (let ky = 0; ky < kh; ky++) {
      const oy = iy * sh + ky - ph;
      if (oy < 0 || oy >= oh) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ox = ix * sw + kx - pw;
        if (ox < 0 || ox >= ow) continue;
        const dst = (oy * ow + ox) * oc, at = (ky * kw + kx) * oc;
        for (let o = 0; o < oc; o++) y[dst + o] += patch[at + o];
      }
    }
  }
  return act(L.activation, y);
}

// Mean of p(x|z): sigmoid of the decoder's logits, (H, W, C) row-major.
function decode(z) {
  let x = Float32Array.from(z);
  for (const L of D.layers) {
    if (L.type === "dense") x = dense(L, x);
    else if (L.type === "deconv") x = deconv(L, x);
    else if (L.type === "activation") x = act(L.activation, x);
  }
  return act("sigmoid", x);
}

function draw(canvas, rgba) {
  canvas.width = Wd; canvas.height = H;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(Wd, H);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
}

function toRGBA(pixels, scale) {
  const out = new Uint8ClampedArray(H * Wd * 4);
  for (let p = 0; p < H * Wd; p++) {
    for (let c = 0; c < 3; c++) {
      out[4 * p + c] = Math.round(pixels[p * C + (C === 1 ? 0 : c)] * scale);
    }
    out[4 * p + 3] = 255;
  }
  return out;
}

const out = document.getElementById("out");
const sliders = [], outputs = [];
let limit = 3;
for (const code of D.codes) for (const v of code) {
  limit = Math.max(limit, Math.ceil(Math.abs(v)));
}

function render() {
  const t0 = performance.now();
  const z = sliders.map(s => parseFloat(s.value));
  draw(out, toRGBA(decode(z), 255));
  sliders.forEach((s, j) => { outputs[j].value = (+s.value).toFixed(2); });
  const ms = performance.now() - t0;
  document.getElementById("timing").textContent =
    "decoded in " + ms.toFixed(1) + " ms";
  out.dataset.renders = String(1 + (+out.dataset.renders || 0));
}

function setLatents(z) {
  z.forEach((v, j) => { sliders[j].value = String(v); });
  render();
}

let inactiveCount = 0;
for (const lat of D.latents) {
  const row = document.createElement("div");
  row.className = "row";
  const label = document.createElement("label");
  label.textContent = lat.label;
  label.title = lat.label;
  label.htmlFor = "z" + lat.index;
  const s = document.createElement("input");
  s.type = "range"; s.id = "z" + lat.index;
  s.min = String(-limit); s.max = String(limit); s.step = "any";
  s.value = "0";
  s.addEventListener("input", render);
  const o = document.createElement("output");
  row.append(label, s, o);
  sliders.push(s); outputs.push(o);
  if (lat.active) document.getElementById("active").append(row);
  else { document.getElementById("inactive").append(row); inactiveCount++; }
}
const box = document.getElementById("inactive-box");
document.getElementById("inactive-summary").textContent =
  inactiveCount + " inactive latents (KL below the threshold)";
if (!inactiveCount) box.style.display = "none";

document.getElementById("title").textContent = D.title;
const kls = D.latents.filter(l => l.active).length;
document.getElementById("info").textContent =
  D.architecture + " decoder, " + D.objective +
  (D.beta === null ? "" : " (beta " + D.beta + ")") + ", " + M + " latents (" +
  kls + " active), images " + D.imageShape.join("x") +
  ". Labels: " + D.labelSource + ". Decoded in this page, offline.";

function gauss() {
  let u = 0;
  while (u === 0) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}
document.getElementById("random").addEventListener("click", () =>
  setLatents(sliders.map(() => Math.max(-limit, Math.min(limit, gauss())))));
document.getElementById("zero").addEventListener("click", () =>
  setLatents(sliders.map(() => 0)));

const strip = document.getElementById("strip");
D.examples.forEach((b64, i) => {
  const r = atob(b64), px = new Uint8Array(r.length);
  for (let k = 0; k < r.length; k++) px[k] = r.charCodeAt(k);
  const c = document.createElement("canvas");
  c.className = "example"; c.title = "set the sliders to this image's code";
  draw(c, toRGBA(px, 1));
  c.addEventListener("click", () => setLatents(D.codes[i]));
  strip.append(c);
});
if (D.examples.length) {
  document.getElementById("strip-note").textContent =
    "Examples from the data: click one to set the sliders to its code " +
    "(the encoder's posterior mean).";
}

window.explorer = {
  decode: decode,
  setLatents: setLatents,
  latents: () => sliders.map(s => parseFloat(s.value)),
  data: D,
};
if (D.codes.length) setLatents(D.codes[0]); else render();
document.body.dataset.ready = "1";
})();
"""
