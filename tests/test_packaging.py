"""setup.cfg declares ranges; constraints.txt pins the tested point in them.

Installing keras_bvae into an existing environment (Colab's, a lab's) must
not replace its TensorFlow, so setup.cfg may not pin (==) anything, while
`make` and CI install the exact tested set from constraints.txt.
"""

import ast
import configparser
import importlib
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
EXACT = {"==", "==="}
LOWER = {">=", ">", "~="}


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def runtime_requirements() -> list[Requirement]:
    options = _setup_cfg()["options"]
    return [Requirement(r) for r in _lines(options["install_requires"])]


def extra_requirements() -> dict[str, list[Requirement]]:
    extras = _setup_cfg()["options.extras_require"]
    return {
        name: [Requirement(r) for r in _lines(value)]
        for name, value in extras.items()
    }


def all_requirements() -> list[Requirement]:
    reqs = runtime_requirements()
    for extra in extra_requirements().values():
        reqs.extend(extra)
    return reqs


def constraint_lines() -> list[str]:
    text = (ROOT / "constraints.txt").read_text()
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def pins() -> dict[str, Version]:
    pinned = {}
    for line in constraint_lines():
        req = Requirement(line)
        (spec,) = req.specifier
        pinned[canonicalize_name(req.name)] = Version(spec.version)
    return pinned


def _ids(reqs):
    return [str(r) for r in reqs]


def test_setup_cfg_has_the_runtime_stack():
    names = {canonicalize_name(r.name) for r in runtime_requirements()}
    assert {"tensorflow", "keras", "tensorflow-probability"} <= names


@pytest.mark.parametrize(
    "req", all_requirements(), ids=_ids(all_requirements())
)
def test_requirement_is_a_range_with_a_lower_bound(req):
    operators = {spec.operator for spec in req.specifier}
    assert not operators & EXACT, (
        f"setup.cfg pins {req}; declare the supported range there and put "
        "the exact version in constraints.txt"
    )
    assert operators & LOWER, f"{req} has no lower bound"


@pytest.mark.parametrize(
    "req", all_requirements(), ids=_ids(all_requirements())
)
def test_constraints_pin_requirement_inside_its_range(req):
    pinned = pins()
    name = canonicalize_name(req.name)
    assert name in pinned, f"{req.name} is not pinned in constraints.txt"
    assert req.specifier.contains(pinned[name], prereleases=True), (
        f"constraints.txt pins {req.name}=={pinned[name]}, outside the "
        f"range {req.specifier} that setup.cfg declares"
    )


def test_constraints_are_exact_pins_listed_once():
    seen = set()
    for line in constraint_lines():
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", line
        name = canonicalize_name(req.name)
        assert name not in seen, f"{req.name} is pinned twice"
        seen.add(name)
    assert "keras-bvae" not in seen


def test_makefile_installs_the_constrained_set():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.MULTILINE)
    assert rule and "constraints.txt" in rule.group(1).split()
    assert "-c constraints.txt" in makefile


# Distributions the package needs without importing them by name, and why.
NEEDED_WITHOUT_IMPORT = {
    # tf.summary.scalar/image/text import tensorboard (the traversal
    # callback, Keras's TensorBoard callback); TensorFlow does not require
    # it.
    "tensorboard": "tf.summary",
    "tf-keras": "tensorflow-probability imports it",
    "importlib-resources": "tensorflow-datasets imports it undeclared",
}


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the keras_bvae files that import it."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "keras_bvae").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "keras_bvae" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.name)
    return found


def _declared() -> dict[str, str]:
    """Canonical distribution name -> where setup.cfg declares it."""
    declared = {canonicalize_name(r.name): "" for r in runtime_requirements()}
    for extra, reqs in extra_requirements().items():
        for req in reqs:
            declared.setdefault(canonicalize_name(req.name), extra)
    return declared


def test_every_import_of_the_package_is_declared():
    distributions = metadata.packages_distributions()
    declared = _declared()
    undeclared = []
    for module, files in sorted(_third_party_imports().items()):
        names = {canonicalize_name(d) for d in distributions.get(module, [])}
        assert names, f"{module} (imported by {sorted(files)}) is not installed"
        if not names & set(declared):
            undeclared.append(f"{module} ({sorted(names)}, {sorted(files)})")
    assert not undeclared, f"imported but not in setup.cfg: {undeclared}"


def test_every_runtime_requirement_is_needed():
    distributions = metadata.packages_distributions()
    imported = {
        canonicalize_name(d)
        for module in _third_party_imports()
        for d in distributions.get(module, [])
    }
    unneeded = [
        str(r)
        for r in runtime_requirements()
        if canonicalize_name(r.name) not in imported
        and canonicalize_name(r.name) not in NEEDED_WITHOUT_IMPORT
    ]
    assert not unneeded, f"setup.cfg requires what nothing imports: {unneeded}"


def test_python_requires_is_what_is_tested():
    # Only Python 3.11 is tested (Makefile, CI); setup.cfg may not claim
    # older versions.
    python_requires = _setup_cfg()["options"]["python_requires"]
    assert python_requires.replace(" ", "") == ">=3.11"
    assert sys.version_info[:2] >= (3, 11)


@pytest.mark.parametrize("name", ["sweep", "training", "tuning"])
def test_no_deprecated_alias_modules(name):
    # They moved to keras_bvae.runs in 0.2.
    assert not (ROOT / "keras_bvae" / f"{name}.py").exists()
    keras_bvae = importlib.import_module("keras_bvae")
    with pytest.raises(AttributeError):
        getattr(keras_bvae, name)
