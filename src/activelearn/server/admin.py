"""The admin's routes: the project at a glance (people, versions, the queue's head, review).

Everything here needs an admin token (403 for annotators, 401 without a
token): who labeled how much and how the queue is ordered is for the person
running the project. Export and "train now" live in :mod:`.app` with the
other routes; the page's admin view calls all of them.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query

from activelearn.server.report import status_report
from activelearn.server.trainer import Trainer
from activelearn.store.records import AnnotatorInfo
from activelearn.store.store import Store

MAX_CONFLICTS = 50  # listed in the overview; /api/admin/conflicts has them all


def add_admin_routes(
    app: FastAPI, store: Store, project_id: int, trainer: Trainer, admin: Any
) -> None:
    """Mount the admin routes; ``admin`` is the dependency that checks the admin token."""
    Admin = Annotated[AnnotatorInfo, Depends(admin)]

    @app.get("/api/admin/overview", tags=["admin"])
    def overview(_who: Admin, queue: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
        """Progress by annotator, every model version with its held-out metrics (accuracy,
        macro-F1, per-class F1, FP/FN), the model's state, and the head of the queue with
        why each item is there (the strategy's score and the version that ranked it)."""
        info = store.project_info(project_id)
        return {
            **status_report(store, info),
            "state": trainer.status(),
            "queue": store.queue_preview(project_id, queue),
            "agreement": store.agreement(project_id),
            "conflicts": store.conflicts(project_id)[:MAX_CONFLICTS],
        }

    @app.get("/api/admin/conflicts", tags=["admin"])
    def conflicts(_who: Admin) -> list[dict[str, Any]]:
        """Overlap items whose two answers differ: settle each with POST /api/corrections
        (the settled label trains the model and is what export writes)."""
        return store.conflicts(project_id)

    @app.get("/api/admin/agreement", tags=["admin"])
    def agreement(_who: Admin) -> dict[str, Any]:
        """Agreement on the overlap items: overall (share, Cohen's kappa, Krippendorff's
        alpha), per pair of annotators and per class."""
        return store.agreement(project_id)
