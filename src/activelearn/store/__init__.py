"""The label store: projects, items, leases, labels and model versions in SQL."""

from activelearn.store.errors import Conflict, Forbidden, InvalidInput, NotFound, StoreError
from activelearn.store.export import export_labels
from activelearn.store.oracle import StoreOracle
from activelearn.store.store import (
    AnnotatorInfo,
    ItemView,
    LabelRecord,
    ProjectInfo,
    Store,
)

__all__ = [
    "AnnotatorInfo",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "ItemView",
    "LabelRecord",
    "NotFound",
    "ProjectInfo",
    "Store",
    "StoreError",
    "StoreOracle",
    "export_labels",
]
