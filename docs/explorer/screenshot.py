"""Screenshot of an explorer page in headless Chromium (docs/explorer/).

    python docs/explorer/screenshot.py docs/explorer/beta_vae_b12_s0.html \
        docs/explorer/screenshot.png

Opens the page from its file in Debian's ``chromium`` through Playwright,
clicks the third example image (the sliders take its code) and saves the
page as a PNG.
"""

import os
import shutil
import sys

from playwright.sync_api import sync_playwright


def main(page_path: str, png_path: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium")
        )
        page = browser.new_page(viewport={"width": 900, "height": 520})
        page.goto("file://" + os.path.abspath(page_path))
        page.wait_for_selector("body[data-ready='1']")
        page.locator("#strip canvas").nth(2).click()
        page.screenshot(path=png_path, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
