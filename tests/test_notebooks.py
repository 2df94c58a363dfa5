"""The notebooks run top to bottom in a fresh kernel, at a small setting.

Each notebook has one code cell tagged ``parameters`` holding its full-size
settings. As papermill does, the test inserts a cell right after it that
overrides them with the small values of ``SMALL`` below, executes the whole
notebook with nbclient in a new kernel of this interpreter (cwd =
``notebooks/``) and fails on the first cell that raises. It also checks that
each notebook draws pictures and is committed without outputs.

The kernel is this interpreter's own ipykernel, described by a kernelspec
written into a temporary folder on ``JUPYTER_PATH``, so the test needs no
``jupyter kernelspec install`` and never picks up another Python's
``python3`` kernel.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
KERNEL_NAME = "keras-bvae-notebook-test"
CELL_TIMEOUT = 900  # seconds; the whole small suite takes a few minutes

# The small setting of every notebook: parameter name -> value.
SMALL: dict[str, dict[str, object]] = {
    "01_quickstart.ipynb": {
        "EPOCHS": 2,
        "STEPS_PER_EPOCH": 15,
        "METRIC_POINTS": 30,
    },
    "02_disentanglement_metric.ipynb": {
        "PAIRS_PER_POINT": 16,
        "NUM_TRAIN": 40,
        "NUM_EVAL": 20,
        "LIVE_FRACTION": 0.02,
    },
    "03_tuning_beta.ipynb": {
        "LATENT_DIMS": [3],
        "NORMALIZED_BETAS": [0.01],
        "STEPS": 10,
        "METRIC_POINTS": 20,
    },
    "04_tfds_and_export.ipynb": {
        "NUM_HDF5_IMAGES": 300,
        "FIT_STEPS": 5,
    },
}


def notebook_names() -> list[str]:
    return sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))


def parameters_cell(nb) -> tuple[int, set[str]]:
    """Index of the cell tagged "parameters" and the names it assigns."""
    found = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(found) == 1, f"expected one 'parameters' cell, found {found}"
    tree = ast.parse(nb.cells[found[0]].source)
    names = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return found[0], names


def with_parameters(nb, values: dict[str, object]):
    """A copy of ``nb`` with a cell assigning ``values`` after its
    parameters cell (papermill's "injected-parameters" convention)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    index, names = parameters_cell(nb)
    unknown = sorted(set(values) - names)
    assert not unknown, f"small settings {unknown} are not notebook parameters"
    source = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    cell = nbformat.v4.new_code_cell(
        "# Parameters injected by tests/test_notebooks.py\n" + source
    )
    cell.metadata["tags"] = ["injected-parameters"]
    cell["id"] = "injected-parameters"
    nb.cells.insert(index + 1, cell)
    return nb


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory) -> str:
    """A kernelspec for this interpreter, found through JUPYTER_PATH."""
    base = tmp_path_factory.mktemp("jupyter")
    spec_dir = base / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": f"keras_bvae tests ({sys.executable})",
        "language": "python",
        # Files the notebooks write into tempfile folders land under pytest's
        # own temporary directory, which pytest prunes.
        "env": {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TMPDIR": str(tmp_path_factory.mktemp("notebook_tmp")),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(base), prepend=os.pathsep)
        yield KERNEL_NAME


def execute(nb, kernel: str, cwd: Path):
    """Runs ``nb`` in a new kernel; raises CellExecutionError on an error."""
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


def test_every_notebook_has_a_small_setting():
    names = notebook_names()
    assert "01_quickstart.ipynb" in names
    assert sorted(SMALL) == names


@pytest.mark.parametrize("name", notebook_names())
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    parameters_cell(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {i} of {name} has outputs"
            assert cell.execution_count is None, f"cell {i} was executed"


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs_top_to_bottom(name, kernel_name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nb = with_parameters(nb, SMALL.get(name, {}))
    started = time.time()
    executed = execute(nb, kernel_name, NOTEBOOK_DIR)
    seconds = time.time() - started
    outputs = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # A Figure shown as "<Figure size ...>" text only was never drawn.
    undrawn = [
        o["data"]["text/plain"]
        for o in outputs
        if "image/png" not in o.get("data", {})
        and o.get("data", {}).get("text/plain", "").startswith("<Figure")
    ]
    assert not errors
    assert images, f"{name} displayed no picture"
    assert not undrawn, f"{name} shows figures as text only: {undrawn}"
    print(f"{name}: {seconds:.0f} s, {len(images)} pictures")
