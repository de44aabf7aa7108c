"""The layers of DESIGN.md hold: dependencies point down, read from the imports themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "activelearn"

# layer -> activelearn modules it must never import (the drivers and layers above it)
ABOVE = ("activelearn.experiments", "activelearn.catalog", "activelearn.cli",
         "activelearn.server", "activelearn.store", "activelearn.spec", "activelearn.loop",
         "activelearn.outputs", "activelearn.reproduce")  # fmt: skip
FORBIDDEN = {
    "data": ABOVE + ("activelearn.strategies", "activelearn.learners", "activelearn.features"),
    # learners and features are one layer (DESIGN.md): they may use each other
    "features": ABOVE + ("activelearn.strategies",),
    "learners": ABOVE + ("activelearn.strategies",),
    # strategies see arrays only: no data, learner or feature code either
    "strategies": ABOVE + ("activelearn.data", "activelearn.learners", "activelearn.features"),
    "store": tuple(m for m in ABOVE if m != "activelearn.store")
    + ("activelearn.strategies", "activelearn.learners", "activelearn.features"),
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.startswith("activelearn")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_from_above(layer):
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_check_sees_imports():
    """The check reads real imports, so it would see an offender."""
    assert "activelearn.strategies.base" in imports(
        PACKAGE / "strategies" / "uncertainty.py"
    ) or "activelearn.strategies.base" in imports(PACKAGE / "strategies" / "ratio.py")
    assert imports(PACKAGE / "loop.py") >= {"activelearn.outputs", "activelearn.strategies"}
