"""What the repository holds, as a newcomer clones it.

- No committed text file names a path of one machine (the work and
  long-run folders, temporary folders, home folders): commands and records
  use paths relative to the repository or documented environment
  variables (``LONGRUNS``, ``DLIB_SITE``, ``$TMPDIR``).
- ``saved_models/`` holds models, their scores and pictures: no scripts
  (they live in ``experiments/``, one folder a study).
- Docstrings and comments that cite ``tests/...`` or ``keras_bvae/...``
  files, and the markdown pages that do, name files that exist.
"""

import io
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match itself.
MACHINE_PATH = re.compile(
    "(?<![A-Za-z0-9_.~$])/(?:"
    + "|".join(["work", "tmp", "home", "root", "Users"])
    + ")/"
)


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    names = [n for n in out.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def test_no_committed_file_names_a_machine_path():
    found = []
    for path in _tracked_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line[:80]}")
    assert not found, "machine paths:\n" + "\n".join(found)


def test_machine_path_pattern_catches_the_prefixes():
    # Joined here so that this file does not match the pattern itself.
    for line in (
        "cd /" + "work/longruns/wt",
        "--output /" + "tmp/tmpkvf11hiz/old.json",
        '"output_dir": "/' + 'home/me/runs/x"',
    ):
        assert MACHINE_PATH.search(line), line
    for line in ("runs/tmp/x", "~/longruns/runs", "$TMPDIR/x", "a/work/b"):
        assert not MACHINE_PATH.search(line), line


def test_saved_models_hold_no_scripts():
    scripts = [
        p.relative_to(ROOT)
        for p in _tracked_files()
        if p.is_relative_to(ROOT / "saved_models")
        and p.suffix in {".py", ".sh"}
    ]
    assert not scripts, f"scripts belong in experiments/: {scripts}"


# A path such as tests/runs/test_training.py or keras_bvae/runs/sweep.py,
# optionally followed by ::name or a line number.
CITED = re.compile(r"(?<![\w/.])((?:tests|keras_bvae)/[\w/]+\.py)\b")
CITING = ["keras_bvae", "tests", "benchmarks", "experiments"]


def _comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and string literal of a Python file."""
    source = path.read_text()
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            found.append((token.start[0], token.string))
    return found


def test_cited_files_exist():
    stale = []
    for folder in CITING:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, text in _comments_and_docstrings(path):
                for cited in CITED.findall(text):
                    if not (ROOT / cited).exists():
                        where = path.relative_to(ROOT)
                        stale.append(f"{where}:{line}: {cited}")
    for path in _tracked_files():
        if path.suffix == ".md":
            text = path.read_text()
            for cited in CITED.findall(text):
                if not (ROOT / cited).exists():
                    stale.append(f"{path.relative_to(ROOT)}: {cited}")
    assert not stale, "cited files that do not exist:\n" + "\n".join(stale)
