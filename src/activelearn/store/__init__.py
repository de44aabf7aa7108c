"""The label store: projects, items, leases, labels and model versions in SQL.

Names are imported on first use, so ``activelearn.store.settings`` (and the
command line that reads it) works without SQLAlchemy installed.
"""

import importlib
from typing import Any

_WHERE = {
    "AnnotatorInfo": "store",
    "ItemView": "store",
    "LabelRecord": "store",
    "ProjectInfo": "store",
    "Readiness": "store",
    "Store": "store",
    "Conflict": "errors",
    "Forbidden": "errors",
    "InvalidInput": "errors",
    "NotFound": "errors",
    "NotSaved": "errors",
    "StoreError": "errors",
    "StoreOracle": "oracle",
    "export_labels": "export",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
