"""README.md is the front door; the docs/ pages hold what it links to.

Every relative link in README.md and docs/*.md must lead to a file or folder
of the repository, and README must stay short, with install, train,
evaluate and export in its first 150 lines.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target); the target up to a space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _relative_links(page: Path) -> list[str]:
    text = page.read_text()
    # Code blocks hold Python such as f["x"](y), not links.
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    targets = [m.group(1) for m in LINK.finditer(text)]
    return [t for t in targets if not re.match(r"[a-z]+:|#", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    links = _relative_links(page)
    missing = [
        link
        for link in links
        if not (page.parent / link.split("#")[0]).exists()
    ]
    assert not missing, f"{page.relative_to(ROOT)} links to missing {missing}"


def test_readme_links_every_docs_page():
    links = {
        (ROOT / link.split("#")[0]).resolve()
        for link in _relative_links(ROOT / "README.md")
    }
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md")}
    assert not pages - links, f"README does not link {sorted(pages - links)}"


def test_readme_is_a_short_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300
    head = "\n".join(lines[:150])
    for needle in (
        "pip install",  # install into an existing environment
        "make run",  # train
        "keras_bvae evaluate",
        "keras_bvae export",
    ):
        assert needle in head, needle
