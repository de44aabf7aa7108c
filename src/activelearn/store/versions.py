"""What the trainer reads and writes: training rows, model versions and the queue's ranks.

A model version records the label rows it was trained on, so it can be
rebuilt from them; nothing is unpickled.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from activelearn.store.database import StoreBase, chunks
from activelearn.store.errors import InvalidInput, NotFound
from activelearn.store.models import (
    FAILED,
    LABEL,
    OPEN,
    POOL,
    READY,
    TRAINABLE,
    TRAINING,
    Item,
    Label,
    ModelVersion,
    Round,
)
from activelearn.store.records import OpenItem, TrainingRow


class VersionsMixin(StoreBase):
    def training_rows(
        self, project_id: int, label_ids: Sequence[int] | None = None
    ) -> list[TrainingRow]:
        """Labels with their items' texts or images: the live ones, or exactly ``label_ids``.

        Live ones leave out items in conflict (two annotators disagree and no
        admin has settled it yet): the settled label is what trains.
        """
        query = (
            select(Label.id, Item.id, Item.text, Label.value, Item.split, Item.image)
            .join(Item, Label.item_id == Item.id)
            .where(Label.project_id == project_id, Label.kind == LABEL)
            .order_by(Label.id)
        )
        with self.read() as session:
            if label_ids is None:
                live = query.where(Label.undone_at.is_(None), Item.state.in_(TRAINABLE))
                rows = session.execute(live).all()
            else:
                rows = []
                for chunk in chunks(sorted(label_ids), 500):
                    rows += session.execute(query.where(Label.id.in_(chunk))).all()
        return [TrainingRow(*row) for row in rows if row[2] is not None or row[5] is not None]

    def open_items(self, project_id: int, split: str | None = POOL) -> list[OpenItem]:
        """Unlabeled items of ``split`` (None: every split), by item id: what the strategy
        ranks (the training pool) and what the card shows a guess for (all of them)."""
        query = (
            select(Item.id, Item.external_id, Item.text, Item.image, Item.split)
            .where(
                Item.project_id == project_id,
                Item.state == OPEN,
                or_(Item.text.is_not(None), Item.image.is_not(None)),
            )
            .order_by(Item.id)
        )
        if split is not None:
            query = query.where(Item.split == split)
        with self.read() as session:
            return [OpenItem(*row) for row in session.execute(query)]

    def item_texts(self, item_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """External id and text by internal item id."""
        out: dict[int, tuple[str, str | None]] = {}
        with self.read() as session:
            for chunk in chunks(list(item_ids), 500):
                for row in session.execute(
                    select(Item.id, Item.external_id, Item.text).where(Item.id.in_(chunk))
                ):
                    out[row[0]] = (row[1], row[2])
        return out

    def start_version(
        self, project_id: int, label_ids: Sequence[int], n_train: int, n_heldout: int
    ) -> int:
        """Record a model version in training; returns its number (1, 2, ...)."""
        with self.write() as session:
            last = session.scalar(
                select(func.max(ModelVersion.version)).where(ModelVersion.project_id == project_id)
            )
            version = (last or 0) + 1
            session.add(
                ModelVersion(
                    project_id=project_id,
                    version=version,
                    status=TRAINING,
                    label_ids=list(label_ids),
                    n_train=n_train,
                    n_heldout=n_heldout,
                    started_at=time.time(),
                )
            )
        return version

    def finish_version(
        self,
        project_id: int,
        version: int,
        *,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Mark a version ready (with its held-out metrics) or failed (with the error)."""
        with self.write() as session:
            row = _version(session, project_id, version)
            row.status = FAILED if error is not None else READY
            row.metrics = metrics
            row.error = error
            row.finished_at = time.time()

    def fail_interrupted(self, project_id: int) -> int:
        """Versions left "training" by a server that died: mark them failed; returns how many."""
        with self.write() as session:
            result = session.execute(
                update(ModelVersion)
                .where(ModelVersion.project_id == project_id, ModelVersion.status == TRAINING)
                .values(
                    status=FAILED,
                    error="interrupted: the server stopped while this version was training",
                    finished_at=time.time(),
                )
            )
        return result.rowcount

    def versions(self, project_id: int) -> list[dict[str, Any]]:
        """Every model version, oldest first, as plain dicts (what the API shows).

        The label ids each was trained on are left out (they can be many): see
        :meth:`version_label_ids`.
        """
        columns = [
            ModelVersion.version, ModelVersion.status, ModelVersion.n_train,
            ModelVersion.n_heldout, ModelVersion.metrics, ModelVersion.error,
            ModelVersion.started_at, ModelVersion.finished_at,
        ]  # fmt: skip
        with self.read() as session:
            rows = session.execute(
                select(*columns)
                .where(ModelVersion.project_id == project_id)
                .order_by(ModelVersion.version)
            ).all()
        return [row._asdict() for row in rows]

    def version_label_ids(self, project_id: int, version: int) -> list[int]:
        """The label rows model ``version`` was trained on (undone ones included)."""
        with self.read() as session:
            return list(_version(session, project_id, version).label_ids)

    def set_ranks(
        self,
        project_id: int,
        model_version: int,
        item_ids: Sequence[int],
        n_labels: int,
        scores: Sequence[float] | None = None,
    ) -> None:
        """Put ``item_ids`` (best first) at the head of the queue and record the round.

        ``scores`` (the strategy's, one per item) are kept with the items, with
        the version that ranked them: why each item is where it is.

        Ranks of round ``r`` lie below every earlier round's, so only the
        re-ranked items are written, in short transactions that let label
        submissions through between them.
        """
        info = self.project_info(project_id)
        scores = list(scores or [])
        scores += [None] * (len(item_ids) - len(scores))
        with self.read() as session:
            n_rounds = session.scalar(select(func.count()).where(Round.project_id == project_id))
        base = -float(n_rounds + 1) * 1e9
        for offset, chunk in enumerate(chunks(list(item_ids), 200)):
            # Ranks are recomputed by the next version if a power cut takes them: no fsync;
            # bulk, so no request's acknowledgement waits for this work (see GroupCommit).
            with self.write(durable=False, alone=True) as session:
                start = offset * 200
                session.execute(
                    update(Item),
                    [
                        {
                            "id": item_id,
                            "rank": base + start + i,
                            "score": scores[start + i],
                            "ranked_by": model_version,
                        }
                        for i, item_id in enumerate(chunk)
                    ],
                )
        with self.write() as session:
            session.add(
                Round(
                    project_id=project_id,
                    model_version=model_version,
                    strategy=info.strategy,
                    n_labels=n_labels,
                    n_ranked=len(item_ids),
                    created_at=time.time(),
                )
            )


def _version(session: Session, project_id: int, version: int) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.project_id == project_id, ModelVersion.version == version
        )
    )
    if row is None:
        raise NotFound(f"no model version {version}")
    return row


def check_version(session: Session, project_id: int, version: int) -> None:
    """Refuse a ``model_version`` no ready model of the project has: it names no prediction."""
    found = session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.project_id == project_id,
            ModelVersion.version == version,
            ModelVersion.status == READY,
        )
    )
    if found is None:
        raise InvalidInput(
            f"model version {version} never made a prediction in this project: send the "
            "version shown with the item's prediction, or null when it showed none"
        )
