"""The queue: leasing the next item to a person, recording their answer, taking it back.

Two rules are enforced by the schema itself rather than by code: one lease
per item (the lease's primary key is the item) and one live label per item
(a partial unique index).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from activelearn.store.answers import label_counts
from activelearn.store.database import StoreBase
from activelearn.store.errors import Conflict, InvalidInput, NotFound
from activelearn.store.items import find_item
from activelearn.store.models import (
    FLAG,
    FLAGGED,
    HELDOUT,
    LABEL,
    LABELED,
    OPEN,
    POOL,
    SKIP,
    Item,
    Label,
    Lease,
)
from activelearn.store.records import AnnotatorInfo, ItemView, LabelRecord, item_view, label_record

LEASE_ATTEMPTS = 5


class QueueMixin(StoreBase):
    def next_item(self, annotator: AnnotatorInfo) -> tuple[ItemView | None, str]:
        """Lease the next item to ``annotator``: (item, "") or (None, why there is none).

        An annotator holds at most one lease; asking again returns the same
        item with a renewed lease, so a reloaded page shows what it showed.
        Held-out items are served in proportion to ``heldout_fraction``.
        """
        for _attempt in range(LEASE_ATTEMPTS):
            try:
                return self._lease_next(annotator)
            except IntegrityError:
                # PostgreSQL only (SQLite writes are serialised): another request leased
                # the same item between this one's read and write. Try the next item.
                continue
        raise Conflict("the queue is busy right now: ask for the next item again")

    def _lease_next(self, annotator: AnnotatorInfo) -> tuple[ItemView | None, str]:
        info = self.project_info(annotator.project_id)
        now = time.time()
        expires = now + info.settings["lease_seconds"]
        with self.write() as session:
            session.execute(
                delete(Lease).where(Lease.project_id == info.id, Lease.expires_at < now)
            )
            held = session.scalar(select(Lease).where(Lease.annotator_id == annotator.id))
            if held is not None:
                held.expires_at = expires
                item = session.get_one(Item, held.item_id)
                return item_view(item, expires), ""
            counts = label_counts(session, info.id)
            if info.budget is not None and sum(counts.values()) >= info.budget:
                return None, f"the budget of {info.budget} labels is spent"
            labeled = sum(counts.values())
            want_heldout = counts.get(HELDOUT, 0) < info.settings["heldout_fraction"] * (
                labeled + 1
            )
            order = (HELDOUT, POOL) if want_heldout else (POOL, HELDOUT)
            for split in order:
                # On PostgreSQL concurrent requests skip each other's candidate row.
                item = session.scalar(
                    _queue_query(info.id, split, annotator.id)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=Item)
                )
                if item is not None:
                    session.add(
                        Lease(
                            item_id=item.id,
                            project_id=info.id,
                            annotator_id=annotator.id,
                            expires_at=expires,
                        )
                    )
                    return item_view(item, expires), ""
        return None, "no items left to label"

    def submit(
        self,
        annotator: AnnotatorInfo,
        item_id: str,
        submission_id: str,
        *,
        kind: str = LABEL,
        value: Any = None,
        note: str | None = None,
        model_version: int | None = None,
    ) -> LabelRecord:
        """Record a label, skip or flag; a repeated ``submission_id`` returns the first answer.

        Rejected (nothing written): an unknown item, a label outside the
        classes, an item leased to someone else or already labeled/flagged.
        """
        info = self.project_info(annotator.project_id)
        if kind not in (LABEL, SKIP, FLAG):
            raise InvalidInput(f"kind must be one of label, skip, flag; got {kind!r}")
        if kind == LABEL:
            value = str(value) if value is not None else None
            if value not in info.classes:
                raise InvalidInput(f"label {value!r} is not one of the classes {info.classes}")
        elif value is not None:
            raise InvalidInput(f"a {kind} carries no label")
        now = time.time()
        try:
            with self.write() as session:
                item = find_item(session, info.id, item_id)
                previous = session.scalar(
                    select(Label).where(
                        Label.annotator_id == annotator.id, Label.submission_id == submission_id
                    )
                )
                if previous is not None:
                    if (previous.item_id, previous.kind, previous.value) != (item.id, kind, value):
                        raise Conflict(
                            f"submission id {submission_id!r} was already used for another answer: "
                            "generate a new id for every answer"
                        )
                    return label_record(previous, item.external_id, annotator.name, replayed=True)
                lease = session.get(Lease, item.id)
                if (
                    lease is not None
                    and lease.annotator_id != annotator.id
                    and lease.expires_at >= now
                ):
                    raise Conflict(f"item {item_id!r} is leased to another annotator")
                if item.state != OPEN:
                    raise Conflict(f"item {item_id!r} is {item.state} already")
                row = Label(
                    project_id=info.id,
                    item_id=item.id,
                    annotator_id=annotator.id,
                    kind=kind,
                    value=value,
                    note=note,
                    submission_id=submission_id,
                    model_version=model_version,
                    created_at=now,
                )
                session.add(row)
                item.state = {LABEL: LABELED, FLAG: FLAGGED, SKIP: OPEN}[kind]
                if lease is not None:
                    session.delete(lease)
                session.flush()
                return label_record(row, item.external_id, annotator.name)
        except IntegrityError:
            # Only reachable on PostgreSQL, where two transactions can race past the checks.
            raise Conflict(f"item {item_id!r} was labeled by someone else just now") from None

    def undo(self, annotator: AnnotatorInfo) -> tuple[LabelRecord, ItemView | None]:
        """Take back the annotator's last answer and lease its item to them again.

        Returns the undone answer and the item (None when someone else holds
        it by now, which can happen after a skip).
        """
        now = time.time()
        with self.write() as session:
            row = session.scalar(
                select(Label)
                .where(Label.annotator_id == annotator.id, Label.undone_at.is_(None))
                .order_by(Label.created_at.desc(), Label.id.desc())
                .limit(1)
            )
            if row is None:
                raise NotFound("nothing to undo: you have no answers left to take back")
            row.undone_at = now
            item = session.get_one(Item, row.item_id)
            if row.kind in (LABEL, FLAG):
                item.state = OPEN
            record = label_record(row, item.external_id, annotator.name)
            lease = session.get(Lease, item.id)
            if lease is not None and lease.annotator_id != annotator.id and lease.expires_at >= now:
                return record, None
            session.execute(delete(Lease).where(Lease.annotator_id == annotator.id))
            session.flush()
            expires = now + self.project_info(annotator.project_id).settings["lease_seconds"]
            session.add(
                Lease(
                    item_id=item.id,
                    project_id=item.project_id,
                    annotator_id=annotator.id,
                    expires_at=expires,
                )
            )
            return record, item_view(item, expires)


def _queue_query(project_id: int, split: str, annotator_id: int) -> Any:
    skipped = select(Label.item_id).where(
        Label.annotator_id == annotator_id, Label.kind == SKIP, Label.undone_at.is_(None)
    )
    return (
        select(Item)
        .where(
            Item.project_id == project_id,
            Item.state == OPEN,
            Item.split == split,
            Item.id.not_in(select(Lease.item_id)),
            Item.id.not_in(skipped),
        )
        .order_by(Item.priority.desc(), Item.rank, Item.id)
    )
