"""Decodes per second of the latent explorer page in headless Chromium.

Writes the explorer page (``keras_bvae.explorer.write_page``, no data) of a
saved model, by default the committed flagship beta-VAE (the burgess 64x64
decoder, 10 latents), opens it from a file in Debian's ``chromium``
(through Playwright, the system browser), and times in the page

* ``decode``: ``explorer.decode(z)``, the JavaScript decoder alone;
* ``slider``: ``explorer.setLatents(z)``, what a slider move costs: the
  decode plus drawing the image into the canvas;

each over ``--decodes`` random latent vectors drawn from the prior, after
10 warm-up decodes, in ``--rounds`` rounds (the median round is printed).
Goal (issue 37): >= 20 decodes a second.

    python benchmarks/bench_explorer.py [MODEL] [--decodes 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import machine_tag, median, print_machine  # noqa: E402

FLAGSHIP = os.path.join("saved_models", "flagship", "beta_vae_b12_s0")

TIMING_JS = """([n, mode]) => {
  const m = explorer.data.latentDim;
  const zs = [];
  for (let i = 0; i < n + 10; i++) {
    zs.push(Array.from({length: m}, () => 2 * Math.random() - 1));
  }
  const run = mode === "decode" ? explorer.decode : explorer.setLatents;
  for (let i = 0; i < 10; i++) run(zs[i]);
  const t0 = performance.now();
  for (let i = 10; i < n + 10; i++) run(zs[i]);
  return (performance.now() - t0) / 1000;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=FLAGSHIP)
    parser.add_argument("--decodes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    info = print_machine(probe=False)

    from playwright.sync_api import sync_playwright

    import keras_bvae
    from keras_bvae.explorer import write_page

    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("no chromium on PATH (Debian: apt-get install chromium)")
    model = keras_bvae.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = write_page(model, os.path.join(tmp, "page.html"))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium)
            print(f"browser: Chromium {browser.version} (headless)")
            page = browser.new_page()
            page.goto("file://" + os.path.abspath(page_path))
            page.wait_for_selector("body[data-ready='1']")
            for mode in ("decode", "slider"):
                seconds = [
                    page.evaluate(TIMING_JS, [args.decodes, mode])
                    for _ in range(args.rounds)
                ]
                rates = sorted(args.decodes / s for s in seconds)
                print(
                    f"{mode:>6}: {median(rates):7.1f} decodes/s (median of "
                    f"{args.rounds} rounds of {args.decodes}; "
                    f"{rates[0]:.1f} .. {rates[-1]:.1f}), "
                    f"{1000 / median(rates):.2f} ms each"
                )
            browser.close()
    print(
        f"model {args.model}: {model.architecture} decoder, "
        f"image {model.image_shape}, {model.latent_dim} latents; "
        f"{machine_tag(info)}"
    )


if __name__ == "__main__":
    main()
