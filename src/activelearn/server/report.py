"""A project's state in one document: progress, people, model versions, the queue's head.

``activelearn project status --json`` prints it and the admin view of the
page shows it (``GET /api/admin/overview``), so both say the same thing.
"""

from __future__ import annotations

from typing import Any

from activelearn.server.recipe import from_settings
from activelearn.store.records import ProjectInfo
from activelearn.store.store import Store

METRICS = ("accuracy", "macro_f1", "class_f1", "fp", "fn", "n_pseudo", "pseudo_accepted",
           "heldout_missing", "never_predicted")  # fmt: skip


def status_report(store: Store, info: ProjectInfo) -> dict[str, Any]:
    """Progress, what the first model waits for, per-annotator counts, and every model
    version with its held-out metrics (accuracy, macro-F1, per-class F1, FP/FN) and state."""
    versions = store.versions(info.id)
    ready = any(v["status"] == "ready" for v in versions)
    training = [v["version"] for v in versions if v["status"] == "training"]
    first_model = None if ready else store.readiness(info.id).explain()
    if not ready and training:  # past the threshold: say so, not what it waits for
        first_model = f"no model yet: the first one (v{training[0]}) is training"
    return {
        "project": info.name,
        "classes": info.classes,
        "model": from_settings(info.strategy, info.settings).describe(),
        "progress": store.progress(info.id),
        "first_model": first_model,
        "annotators": store.annotator_counts(info.id),
        "versions": [version_row(v) for v in versions],
    }


def version_row(version: dict[str, Any]) -> dict[str, Any]:
    """One model version as reports show it (no label ids, no mistakes list)."""
    metrics = version["metrics"] or {}
    finished = version["finished_at"]
    return {
        "version": version["version"],
        "state": version["status"],
        "n_train": version["n_train"],
        "n_heldout": version["n_heldout"],
        **{key: metrics.get(key) for key in METRICS},
        "error": version["error"],
        "seconds": None if finished is None else round(finished - version["started_at"], 3),
    }
