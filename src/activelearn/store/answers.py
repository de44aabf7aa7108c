"""Reading what people answered: live labels, export rows and progress counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activelearn.store.database import StoreBase
from activelearn.store.models import (
    FLAG,
    FLAGGED,
    HELDOUT,
    LABEL,
    LABELED,
    OPEN,
    Annotator,
    Item,
    Label,
)
from activelearn.store.records import AnnotatorInfo, LabelRecord, Readiness, label_record


class AnswersMixin(StoreBase):
    def labels(self, project_id: int, *, kinds: Sequence[str] = (LABEL,)) -> list[LabelRecord]:
        """Live answers (undone ones left out), oldest first."""
        with self.read() as session:
            rows = session.execute(
                select(Label, Item.external_id, Annotator.name)
                .join(Item, Label.item_id == Item.id)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(
                    Label.project_id == project_id,
                    Label.kind.in_(kinds),
                    Label.undone_at.is_(None),
                )
                .order_by(Label.created_at, Label.id)
            ).all()
        return [label_record(label, external, name) for label, external, name in rows]

    def export_rows(self, project_id: int) -> list[dict[str, Any]]:
        """One row per live label or flag, joined with its item (see :mod:`.export`)."""
        with self.read() as session:
            rows = session.execute(
                select(Label, Item, Annotator.name)
                .join(Item, Label.item_id == Item.id)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(
                    Label.project_id == project_id,
                    Label.kind.in_((LABEL, FLAG)),
                    Label.undone_at.is_(None),
                )
                .order_by(Label.created_at, Label.id)
            ).all()
        return [
            {
                "id": item.external_id,
                "text": item.text,
                "image": item.image,
                "label": label.value,
                "annotator": name,
                "time": label.created_at,
                "model_version": label.model_version,
                "split": item.split,
                "flagged": label.kind == FLAG,
                "note": label.note,
                "meta": item.meta,
            }
            for label, item, name in rows
        ]

    def progress(self, project_id: int, annotator: AnnotatorInfo | None = None) -> dict[str, Any]:
        info = self.project_info(project_id)
        with self.read() as session:
            counts = label_counts(session, project_id)
            by_class = dict(
                session.execute(
                    select(Label.value, func.count())
                    .where(
                        Label.project_id == project_id,
                        Label.kind == LABEL,
                        Label.undone_at.is_(None),
                    )
                    .group_by(Label.value)
                ).all()
            )
            states = dict(
                session.execute(
                    select(Item.state, func.count())
                    .where(Item.project_id == project_id)
                    .group_by(Item.state)
                ).all()
            )
            mine = 0
            if annotator is not None:
                mine = session.scalar(
                    select(func.count()).where(
                        Label.annotator_id == annotator.id,
                        Label.kind == LABEL,
                        Label.undone_at.is_(None),
                    )
                )
        return {
            "labeled": sum(counts.values()),
            "budget": info.budget,
            "heldout_labeled": counts.get(HELDOUT, 0),
            "by_class": {c: by_class.get(c, 0) for c in info.classes},
            "items": sum(states.values()),
            "open": states.get(OPEN, 0),
            "flagged": states.get(FLAGGED, 0),
            "mine": mine,
        }

    def readiness(self, project_id: int) -> Readiness:
        """The counts that decide when the first model trains (see :class:`Readiness`)."""
        settings = self.project_info(project_id).settings
        with self.read() as session:
            counts = label_counts(session, project_id)
            heldout_items = session.scalar(
                select(func.count()).where(
                    Item.project_id == project_id,
                    Item.split == HELDOUT,
                    Item.state != FLAGGED,
                )
            )
        return Readiness(
            labeled=sum(counts.values()),
            heldout_labeled=counts.get(HELDOUT, 0),
            heldout_items=heldout_items or 0,
            retrain_every=int(settings["retrain_every"]),
            min_heldout=int(settings["min_heldout"]),
        )

    def label_count(self, project_id: int) -> int:
        with self.read() as session:
            return sum(label_counts(session, project_id).values())


def label_counts(session: Session, project_id: int) -> Counter[str]:
    """Labeled items per split, read from the queue index (items carry their state)."""
    rows = session.execute(
        select(Item.split, func.count())
        .where(Item.project_id == project_id, Item.state == LABELED)
        .group_by(Item.split)
    ).all()
    return Counter(dict(rows))
