"""Structure promises: packaging covers every subpackage; lower layers never import upper ones."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "budgetqa"

# Each layer may import only from the layers listed after it (and itself).
LAYERS = {
    "budgetqa.errors": set(),
    "budgetqa.config": {"budgetqa.errors", "budgetqa.inputs"},
    "budgetqa.plain_yaml": {"budgetqa.errors"},
    "budgetqa.profiles": {"budgetqa.errors", "budgetqa.plain_yaml", "budgetqa.model"},
    "budgetqa.text": set(),
    "budgetqa.model": {"budgetqa.text", "budgetqa.errors"},
    "budgetqa.findings": {"budgetqa.text"},
    "budgetqa.inputs": {"budgetqa.errors", "budgetqa.findings"},
    "budgetqa.ingest": {
        "budgetqa.text", "budgetqa.errors", "budgetqa.model", "budgetqa.inputs", "budgetqa.profiles",
    },
    "budgetqa.checks": {
        "budgetqa.text", "budgetqa.errors", "budgetqa.model", "budgetqa.findings", "budgetqa.rules",
    },
    "budgetqa.rules": {
        "budgetqa.text", "budgetqa.errors", "budgetqa.model", "budgetqa.findings", "budgetqa.checks",
        "budgetqa.ingest", "budgetqa.plain_yaml", "budgetqa.profiles",
    },
    "budgetqa.engines": {
        "budgetqa.text", "budgetqa.errors", "budgetqa.model", "budgetqa.findings", "budgetqa.checks",
        "budgetqa.rules",
    },
}  # fmt: skip
UPPER = {"budgetqa.api", "budgetqa.cli", "budgetqa.report"}


def test_every_subpackage_is_packaged():
    declared = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        "budgetqa" + ".".join(("", *path.parent.relative_to(SRC).parts)).rstrip(".")
        for path in SRC.rglob("__init__.py")
    }
    found |= {"budgetqa.rulefiles", "budgetqa.profilefiles"}
    assert declared == found


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("budgetqa")}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_lower_layers_do_not_import_upper_ones(layer):
    relative = layer.split(".")[1]
    files = (
        list((SRC / relative).rglob("*.py"))
        if (SRC / relative).is_dir()
        else [SRC / f"{relative}.py"]
    )
    allowed = LAYERS[layer] | {layer}
    for path in files:
        for name in _imports(path):
            top = ".".join(name.split(".")[:2])
            assert top not in UPPER, f"{path.name} imports {name}"
            assert top in allowed, (
                f"{path.relative_to(SRC)} imports {name}, outside {sorted(allowed)}"
            )


def test_package_exports_match_the_lazy_table():
    import budgetqa

    assert set(budgetqa.__all__) == {*budgetqa._EXPORTS, "__version__"}
    assert all(getattr(budgetqa, name) is not None for name in budgetqa.__all__)
