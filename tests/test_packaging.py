"""setup.cfg declares ranges; constraints.txt pins the tested point in them.

Installing keras_bvae into an existing environment (Colab's, a lab's) must
not replace its TensorFlow, so setup.cfg may not pin (==) anything, while
`make` and CI install the exact tested set from constraints.txt.
"""

import configparser
import re
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
