"""The store sits at the bottom of the layers: it imports nothing from strategies or above."""

from __future__ import annotations

import ast
from pathlib import Path

import activelearn.store

ALLOWED = ("activelearn.errors", "activelearn.store")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_store_imports_only_errors_and_itself_from_activelearn():
    folder = Path(activelearn.store.__file__).parent
    found = {
        f"{path.relative_to(folder)}: {name}"
        for path in folder.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] == "activelearn" and not name.startswith(ALLOWED)
    }
    assert found == set()
