"""The latent explorer page in a real browser: headless Chromium.

Debian's ``chromium`` driven by Playwright (``executable_path``: the system
browser, never Playwright's browser download; ``.ci/run`` installs it).
Each page is opened from a file with the network off (an offline context,
and every request that is not ``file:`` aborted and recorded), then:

* a slider is moved (typed into, then stepped with the arrow key) and the
  canvas is read back: its pixels equal ``round(255 * model.decode(z))``
  of the sliders' vector z within 1 of 255 (float32 in both; the decoded
  float pixels themselves agree within 1e-5);
* clicking an example image sets every slider to that image's code
  (``model.encode`` of the image, computed in Python);
* "random" draws a new vector, and the canvas follows it.

Skipped, with the reason, only where Playwright or a ``chromium`` binary
is missing.
"""

import re
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from support import example_images, read_page

import keras_bvae
from keras_bvae import datasets
from keras_bvae.explorer import write_page

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed (pip install -e '.[test]')",
)
CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip(
        "no chromium on PATH: install Debian's browser with "
        "`apt-get install chromium` (.ci/run does)",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = str(ROOT / "saved_models" / "flagship" / "beta_vae_b12_s0")
PAGE = str(ROOT / "docs" / "explorer" / "beta_vae_b12_s0.html")
PIXEL_TOLERANCE = 1  # of 255: rounding of float32 pixels that agree to 1e-5


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def tiny_model(architecture, shape):
    """An untrained model whose decoder weights are scaled up, so that the
    images it draws vary with the latents."""
    keras.utils.set_random_seed(0)
    model = keras_bvae.BetaVAE(
        latent_dim=4, architecture=architecture, image_shape=shape, seed=0
    )
    for weight in model.decoder.weights:
        weight.assign(weight.numpy() * 3)
    return model


@pytest.fixture(scope="module")
def all_pages(tmp_path_factory):
    """(name, model, page path) of the pages under test."""
    root = tmp_path_factory.mktemp("pages")
    rng = np.random.default_rng(0)
    # The committed page of the flagship model, as GitHub Pages serves it.
    out = [("burgess 64x64 grey (flagship)", keras_bvae.load(FLAGSHIP), PAGE)]
    for architecture, shape in (
        ("burgess", (16, 16, 3)),
        ("higgins", (12, 10, 3)),
    ):
        model = tiny_model(architecture, shape)
        images = rng.integers(0, 256, (16, *shape), np.uint8)
        path = str(root / f"{architecture}.html")
        write_page(model, path, data=datasets.ImageSet(images), num_examples=3)
        out.append((f"{architecture} {shape} colour", model, path))
    return out


def open_offline(browser, path):
    """(page, context, non-file requests, page errors), network off."""
    context = browser.new_context(offline=True)
    blocked, requests, errors = [], [], []

    def abort(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:)"), abort)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("file://" + path)
    page.wait_for_selector("body[data-ready='1']")
    return page, context, blocked, requests, errors


def latents(page, m):
    return np.array(
        page.evaluate(
            "m => Array.from({length: m}, (_, j) => "
            "parseFloat(document.getElementById('z' + j).value))",
            m,
        ),
        np.float32,
    )


def canvas(page, shape):
    h, w, _ = shape
    data = page.evaluate(
        "() => { const c = document.getElementById('out'); return "
        "Array.from(c.getContext('2d').getImageData(0, 0, c.width, "
        "c.height).data); }"
    )
    return np.array(data, np.int32).reshape(h, w, 4)


def assert_canvas_is_decode(page, model):
    z = latents(page, model.latent_dim)
    expected = model.decode(z[None])[0]
    decoded = np.array(
        page.evaluate("z => Array.from(explorer.decode(z))", z.tolist())
    )
    np.testing.assert_allclose(decoded, expected.reshape(-1), atol=1e-5)
    pixels = canvas(page, model.image_shape)
    rgb = np.round(expected * 255).astype(np.int32)
    if rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    assert np.abs(pixels[..., :3] - rgb).max() <= PIXEL_TOLERANCE
    assert (pixels[..., 3] == 255).all()
    return z, pixels


@pytest.mark.parametrize("case", [0, 1, 2])
def test_sliders_examples_and_random_decode_like_python(
    browser, all_pages, case
):
    name, model, path = all_pages[case]
    payload, _, _ = read_page(path)
    page, context, blocked, requests, errors = open_offline(browser, path)
    try:
        # Opened on the first example's code.
        z, before = assert_canvas_is_decode(page, model)
        np.testing.assert_array_equal(z, np.float32(payload["codes"][0]))

        # Inactive latents are folded away until their box is opened.
        inactive = [
            lat["index"] for lat in payload["latents"] if not lat["active"]
        ]
        if inactive:
            assert not page.is_visible(f"#z{inactive[0]}")
            page.click("#inactive-summary")
            assert page.is_visible(f"#z{inactive[0]}")

        # Move a slider: type a value, then step it with the arrow key.
        active = [lat["index"] for lat in payload["latents"] if lat["active"]]
        j = (active or [0])[0]
        page.fill(f"#z{j}", "1.75")
        page.focus(f"#z{j}")
        page.keyboard.press("ArrowRight")
        z, moved = assert_canvas_is_decode(page, model)
        assert z[j] > 1.75
        assert np.abs(moved - before).max() > 8, "the image did not change"
        other = [i for i in range(model.latent_dim) if i != j][0]
        page.fill(f"#z{other}", "-0.6")
        z, _ = assert_canvas_is_decode(page, model)
        assert z[other] == np.float32(-0.6)

        # Click an example image: the sliders take its code.
        page.locator("#strip canvas").nth(1).click()
        z, _ = assert_canvas_is_decode(page, model)
        images = example_images(payload)
        np.testing.assert_array_equal(z, np.float32(payload["codes"][1]))
        np.testing.assert_allclose(
            z, model.encode(images[1:2] / 255.0)[0], atol=1e-5
        )

        # "random" samples the prior.
        page.click("#random")
        z_random, _ = assert_canvas_is_decode(page, model)
        assert not np.allclose(z_random, z)
        assert errors == []
        assert blocked == [], f"{name}: the page tried the network: {blocked}"
        assert requests and all(url.startswith("file:") for url in requests)
        # The guard itself: a fetch from the page is caught and refused.
        page.evaluate("() => fetch('https://example.com/x.js').catch(() => 0)")
        assert blocked == ["https://example.com/x.js"]
    finally:
        context.close()
