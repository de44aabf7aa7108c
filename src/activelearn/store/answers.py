"""Reading what people answered: live labels, export rows and progress counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activelearn.store.database import StoreBase
from activelearn.store.models import (
    ANSWERED,
    CONFLICT,
    FLAG,
    FLAGGED,
    HELDOUT,
    LABEL,
    OPEN,
    REVIEW,
    SECOND,
    TRAINABLE,
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
        """One row per live label or flag, joined with its item (see :mod:`.export`).

        ``label`` is what the project holds as the item's label: the settled
        one for an overlap item, none while two answers are in conflict.
        ``answers`` lists the annotators' raw answers, ``review`` says which
        case the row is (``single``, ``pending``, ``agreed``, ``conflict``,
        ``settled``, ``corrected``).
        """
        raw = self.raw_answers(project_id)  # type: ignore[attr-defined]
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
        out = []
        for label, item, name in rows:
            answers = raw.get(item.id, [])
            conflict = item.state == CONFLICT
            out.append(
                {
                    "id": item.external_id,
                    "text": item.text,
                    "image": item.image,
                    "label": None if conflict else label.value,
                    "annotator": None if conflict else name,
                    "time": label.created_at,
                    "model_version": label.model_version,
                    "split": item.split,
                    "flagged": label.kind == FLAG,
                    "note": label.note,
                    "meta": item.meta,
                    "review": _review(item.state, label.corrected, len(answers)),
                    "answers": [
                        {"annotator": a["annotator"], "label": a["label"]} for a in answers
                    ],  # fmt: skip
                }
            )
        return out

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
                        Label.kind.in_((LABEL, SECOND)),
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
            "review": states.get(REVIEW, 0),
            "conflicts": states.get(CONFLICT, 0),
            "mine": mine,
        }

    def annotator_counts(self, project_id: int) -> list[dict[str, Any]]:
        """Per person: live labels (held-out among them), second opinions on overlap items,
        skips, flags and answers taken back.

        Every annotator is listed, also those who have not answered yet; the
        ``import`` annotator holds the labels a file brought in.
        """
        with self.read() as session:
            people = session.execute(
                select(Annotator.id, Annotator.name, Annotator.is_admin)
                .where(Annotator.project_id == project_id)
                .order_by(Annotator.id)
            ).all()
            rows = session.execute(
                select(
                    Label.annotator_id,
                    Label.kind,
                    Item.split,
                    Label.undone_at.is_not(None) & Label.replaced_by.is_(None),
                    func.count(),
                )  # fmt: skip
                .join(Item, Label.item_id == Item.id)
                .where(Label.project_id == project_id)
                .group_by(
                    Label.annotator_id,
                    Label.kind,
                    Item.split,
                    Label.undone_at.is_not(None) & Label.replaced_by.is_(None),
                )  # fmt: skip
            ).all()
        counts: dict[int, Counter[str]] = {pid: Counter() for pid, _, _ in people}
        for annotator_id, kind, split, taken_back, n in rows:
            tally = counts[annotator_id]
            if taken_back:
                tally["undone"] += n
                continue
            tally[{LABEL: "labels", FLAG: "flags", SECOND: "seconds"}.get(kind, f"{kind}s")] += n
            if kind == LABEL and split == HELDOUT:
                tally["heldout"] += n
        keys = ("labels", "heldout", "seconds", "skips", "flags", "undone")
        return [
            {"name": name, "admin": bool(admin), **{k: counts[pid][k] for k in keys}}
            for pid, name, admin in people
        ]

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
        """Labels a model can train on now (conflicts wait until they are settled)."""
        with self.read() as session:
            return session.scalar(
                select(func.count()).where(Item.project_id == project_id, Item.state.in_(TRAINABLE))
            )

    def has_open_items(self, project_id: int) -> bool:
        """Whether any item still waits for an answer (one indexed row, not a count)."""
        with self.read() as session:
            first = session.scalar(
                select(Item.id).where(Item.project_id == project_id, Item.state == OPEN).limit(1)
            )
        return first is not None


def _review(state: str, corrected: bool, n_answers: int) -> str:
    if state == CONFLICT:
        return "conflict"
    if state == REVIEW:
        return "pending"
    if corrected:
        return "settled" if n_answers >= 2 else "corrected"
    return "agreed" if n_answers >= 2 else "single"


def label_counts(session: Session, project_id: int) -> Counter[str]:
    """Items with a live label per split (overlap items count once, from their first
    answer), read from the queue index (items carry their state)."""
    rows = session.execute(
        select(Item.split, func.count())
        .where(Item.project_id == project_id, Item.state.in_(ANSWERED))
        .group_by(Item.split)
    ).all()
    return Counter(dict(rows))
