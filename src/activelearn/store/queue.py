"""The queue: leasing the next item to a person, recording their answer, taking it back.

Two rules are enforced by the schema itself rather than by code: one lease
per item (the lease's primary key is the item) and one live label per item
(a partial unique index).

Review: an overlap item (``needed == 2``) is in *review* after its first
label and is served, first of all, to someone else; their answer is a
*second* opinion (its own kind, so the one-live-label rule still holds). The
same class makes the item labeled; another puts it in *conflict*, where it
trains nothing until an admin settles it with :meth:`QueueMixin.correct`.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activelearn.store.answers import label_counts
from activelearn.store.database import StoreBase
from activelearn.store.errors import Conflict, Forbidden, InvalidInput, NotFound
from activelearn.store.items import find_item
from activelearn.store.models import (
    CONFLICT,
    FLAG,
    FLAGGED,
    HELDOUT,
    LABEL,
    LABELED,
    OPEN,
    POOL,
    REVIEW,
    SECOND,
    SKIP,
    Item,
    Label,
    Lease,
)
from activelearn.store.records import AnnotatorInfo, ItemView, LabelRecord, item_view, label_record
from activelearn.store.versions import check_version

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
        # A lease is cheap to lose (the item is served again): no fsync for it.
        with self.write(durable=False) as session:
            # An expired lease stays with its holder until the item is leased to someone
            # else: a late answer from them is still theirs to give (see ``submit``).
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
            # Second opinions first (they finish an item), then the splits in proportion;
            # items this annotator skipped come back after everything else, oldest skip first.
            queries = [_review_query(info.id, annotator.id, now)]
            queries += [_queue_query(info.id, annotator.id, now, split) for split in order]
            queries.append(_skipped_query(info.id, annotator.id, now))
            for query in queries:
                # On PostgreSQL concurrent requests skip each other's candidate row.
                item = session.scalar(query.limit(1).with_for_update(skip_locked=True, of=Item))
                if item is not None:
                    # Someone's expired lease goes; a live one (PostgreSQL: another request
                    # leased this item just now) makes the insert fail, and the caller retries.
                    session.execute(
                        delete(Lease).where(Lease.item_id == item.id, Lease.expires_at < now)
                    )
                    session.add(
                        Lease(
                            item_id=item.id,
                            project_id=info.id,
                            annotator_id=annotator.id,
                            expires_at=expires,
                        )
                    )
                    return item_view(item, expires), ""
            elsewhere = session.scalar(
                select(func.count())
                .select_from(Lease)
                .where(Lease.project_id == info.id, Lease.expires_at >= now)
            )
        if elsewhere:
            leased = "1 item is" if elsewhere == 1 else f"{elsewhere} items are"
            return None, (
                f"no items left to label right now: {leased} leased to other annotators "
                "and will come back if not answered in time"
            )
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

        Only the item leased to ``annotator`` can be answered (an expired lease
        still counts until the item is leased to someone else): the queue
        decides what each person labels, held-out items included. Rejected
        (nothing written): an unknown item, a label outside the classes, an
        item not leased to this annotator or already labeled/flagged, a
        ``model_version`` that never served a prediction. Admins correct
        other items with :meth:`correct`.
        """
        info = self.project_info(annotator.project_id)
        value = _checked_value(info.classes, kind, value)
        now = time.time()
        try:
            with self.write() as session:
                item = find_item(session, info.id, item_id)
                replayed = _replayed(session, annotator, submission_id, item, kind, value)
                if replayed is not None:
                    return replayed
                if item.state not in (OPEN, REVIEW):
                    raise Conflict(f"item {item_id!r} is {item.state} already")
                lease = session.get(Lease, item.id)
                if lease is not None and lease.annotator_id != annotator.id:
                    raise Conflict(f"item {item_id!r} is leased to another annotator")
                if lease is None:
                    raise Conflict(
                        f"item {item_id!r} is not leased to you: answer the item that "
                        '"next item" gives you'
                    )
                if model_version is not None:
                    check_version(session, info.id, model_version)
                first = _first_answer(session, item) if item.state == REVIEW else None
                if first is not None and first.annotator_id == annotator.id:
                    raise Conflict(f"item {item_id!r} has your answer already: a second "
                                   "opinion comes from someone else")  # fmt: skip
                row = Label(
                    project_id=info.id,
                    item_id=item.id,
                    annotator_id=annotator.id,
                    kind=SECOND if first is not None and kind == LABEL else kind,
                    value=value,
                    note=note,
                    submission_id=submission_id,
                    model_version=model_version,
                    created_at=now,
                )
                session.add(row)
                item.state = _state_after(item, kind, first, value)
                session.delete(lease)
                session.flush()
                return label_record(row, item.external_id, annotator.name)
        except IntegrityError:
            # Only reachable on PostgreSQL, where two transactions can race past the checks.
            raise Conflict(f"item {item_id!r} was labeled by someone else just now") from None

    def correct(
        self,
        admin: AnnotatorInfo,
        item_id: str,
        submission_id: str,
        value: Any,
        *,
        note: str | None = None,
    ) -> LabelRecord:
        """An admin's label for any item, outside the queue: it replaces the live label or flag.

        The one way past the lease rule of :meth:`submit`, for fixing a
        mistake an admin has found (in an export, or among the held-out
        errors) and for settling a conflict between two annotators. The
        replaced answer keeps its row with ``undone_at`` set and
        ``replaced_by`` naming the correction (second opinions stay as they
        are): the raw answers stay in the export. Refused: non-admins (403), and an item someone
        else holds a live lease on (409: correct it once they have answered).
        A repeated ``submission_id`` returns the first answer.
        """
        if not admin.is_admin:
            raise Forbidden(
                "corrections need an admin token: activelearn project token DIR NAME --admin"
            )
        info = self.project_info(admin.project_id)
        value = _checked_value(info.classes, LABEL, value)
        now = time.time()
        try:
            with self.write() as session:
                item = find_item(session, info.id, item_id)
                replayed = _replayed(session, admin, submission_id, item, LABEL, value)
                if replayed is not None:
                    return replayed
                lease = session.get(Lease, item.id)
                if lease is not None and lease.annotator_id != admin.id and lease.expires_at >= now:
                    raise Conflict(
                        f"item {item_id!r} is leased to another annotator right now: "
                        "correct it once they have answered"
                    )
                if lease is not None:
                    session.delete(lease)
                replaced = session.scalars(
                    select(Label).where(
                        Label.item_id == item.id,
                        Label.kind.in_((LABEL, FLAG)),
                        Label.undone_at.is_(None),
                    )
                ).all()
                for old in replaced:
                    old.undone_at = now
                session.flush()  # the old live label goes before the new one comes
                row = Label(
                    project_id=info.id,
                    item_id=item.id,
                    annotator_id=admin.id,
                    kind=LABEL,
                    value=value,
                    note=note,
                    submission_id=submission_id,
                    created_at=now,
                    corrected=True,
                )
                session.add(row)
                item.state = LABELED
                session.flush()
                for old in replaced:
                    old.replaced_by = row.id
                return label_record(row, item.external_id, admin.name)
        except IntegrityError:
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
            item = session.get_one(Item, row.item_id)
            if row.kind == LABEL and _second_answer(session, item) is not None:
                raise Conflict(
                    f"item {item.external_id!r} has a second opinion since: an admin can "
                    "correct its label (it stays in the review)"
                )
            row.undone_at = now
            if row.kind in (LABEL, FLAG):
                item.state = OPEN
            elif row.kind == SECOND:
                item.state = REVIEW
            record = label_record(row, item.external_id, annotator.name)
            lease = session.get(Lease, item.id)
            if lease is not None and lease.annotator_id != annotator.id and lease.expires_at >= now:
                return record, None
            session.execute(
                delete(Lease).where(
                    or_(
                        Lease.annotator_id == annotator.id,
                        and_(Lease.item_id == item.id, Lease.expires_at < now),
                    )
                )
            )
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


def _checked_value(classes: list[str], kind: str, value: Any) -> str | None:
    """The label as stored: one of the classes for a label, nothing for a skip or flag."""
    if kind not in (LABEL, SKIP, FLAG):
        raise InvalidInput(f"kind must be one of label, skip, flag; got {kind!r}")
    if kind == LABEL:
        value = str(value) if value is not None else None
        if value not in classes:
            raise InvalidInput(f"label {value!r} is not one of the classes {classes}")
        return value
    if value is not None:
        raise InvalidInput(f"a {kind} carries no label")
    return None


def _replayed(
    session: Session,
    annotator: AnnotatorInfo,
    submission_id: str,
    item: Item,
    kind: str,
    value: str | None,
) -> LabelRecord | None:
    """The answer recorded before under ``submission_id`` (a resend), or None for a new one."""
    previous = session.scalar(
        select(Label).where(
            Label.annotator_id == annotator.id, Label.submission_id == submission_id
        )
    )
    if previous is None:
        return None
    given = LABEL if previous.kind == SECOND else previous.kind  # a second opinion is a label
    if (previous.item_id, given, previous.value) != (item.id, kind, value):
        raise Conflict(
            f"submission id {submission_id!r} was already used for another answer: "
            "generate a new id for every answer"
        )
    return label_record(previous, item.external_id, annotator.name, replayed=True)


def _first_answer(session: Session, item: Item) -> Label | None:
    """The live label of an item (its first answer, on an item in review)."""
    return session.scalar(
        select(Label).where(
            Label.item_id == item.id, Label.kind == LABEL, Label.undone_at.is_(None)
        )
    )


def _second_answer(session: Session, item: Item) -> Label | None:
    return session.scalar(
        select(Label).where(
            Label.item_id == item.id, Label.kind == SECOND, Label.undone_at.is_(None)
        )
    )


def _state_after(item: Item, kind: str, first: Label | None, value: str | None) -> str:
    """An item's state once an answer of ``kind`` is in (``first``: the label before it)."""
    if kind == SKIP:
        return item.state  # open, or still in review
    if kind == FLAG:
        return FLAGGED
    if first is not None:
        return LABELED if first.value == value else CONFLICT
    return REVIEW if item.needed > 1 else LABELED


def _review_query(project_id: int, annotator_id: int, now: float) -> Any:
    """Items in review that this annotator has not answered (or skipped): second opinions."""
    mine = select(Label.item_id).where(
        Label.annotator_id == annotator_id,
        Label.kind.in_((LABEL, SECOND)),
        Label.undone_at.is_(None),
    )
    return (
        select(Item)
        .where(
            Item.project_id == project_id,
            Item.state == REVIEW,
            Item.id.not_in(_live_leases(now)),
            Item.id.not_in(mine),
            Item.id.not_in(_skips(annotator_id).with_only_columns(Label.item_id)),
        )
        .order_by(Item.priority.desc(), Item.rank, Item.id)
    )


def _queue_query(project_id: int, annotator_id: int, now: float, split: str) -> Any:
    """Open items of ``split`` nobody holds a live lease on, minus those this annotator skipped."""
    return (
        select(Item)
        .where(
            Item.project_id == project_id,
            Item.state == OPEN,
            Item.split == split,
            Item.id.not_in(_live_leases(now)),
            Item.id.not_in(_skips(annotator_id).with_only_columns(Label.item_id)),
        )
        .order_by(Item.priority.desc(), Item.rank, Item.id)
    )


def _skipped_query(project_id: int, annotator_id: int, now: float) -> Any:
    """Open items this annotator skipped, the one skipped longest ago first.

    A skip passes on an item for now, not for ever: a lone annotator who
    skipped must still be able to finish the queue (and label the held-out
    items the first model needs).
    """
    last_skip = (
        _skips(annotator_id)
        .with_only_columns(func.max(Label.created_at))
        .where(Label.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )
    return (
        select(Item)
        .where(
            Item.project_id == project_id,
            Item.state == OPEN,
            Item.id.not_in(_live_leases(now)),
            Item.id.in_(_skips(annotator_id).with_only_columns(Label.item_id)),
        )
        .order_by(last_skip, Item.priority.desc(), Item.rank, Item.id)
    )


def _skips(annotator_id: int) -> Any:
    return select(Label).where(
        Label.annotator_id == annotator_id, Label.kind == SKIP, Label.undone_at.is_(None)
    )


def _live_leases(now: float) -> Any:
    return select(Lease.item_id).where(Lease.expires_at >= now)
