"""Adding items to a project, finding them, and moving them up the queue."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activelearn.errors import DataError
from activelearn.store.database import StoreBase, chunks
from activelearn.store.errors import InvalidInput, NotFound
from activelearn.store.models import HELDOUT, LABEL, LABELED, OPEN, POOL, Annotator, Item, Label
from activelearn.store.records import ItemView, item_view
from activelearn.store.tokens import IMPORT_ANNOTATOR, hash_token


class ItemsMixin(StoreBase):
    def add_items(
        self,
        project_id: int,
        *,
        texts: Sequence[str | None] | None = None,
        images: Sequence[str | None] | None = None,
        ids: Sequence[Any] | None = None,
        labels: Sequence[Any] | None = None,
        meta: Sequence[dict[str, Any] | None] | None = None,
        priority: int = 0,
        split: str | None = None,
    ) -> list[str]:
        """Add items (ids default to their positions counted from the items already there).

        Returns the external ids. Labels given here are stored as answers of
        the ``import`` annotator (one answer: an imported label is not reviewed).
        A random ``overlap`` share of the items needs two answers, from two
        annotators. ``split`` puts every item in the training
        pool or the held-out set; by default a random ``heldout_fraction``
        is held out. Items a loop asked for go to the pool (``split="pool"``):
        the loop chose them to learn from, and a random draw would quietly
        turn some into evaluation items it never gets.
        """
        if split not in (None, POOL, HELDOUT):
            raise DataError(f"split must be {POOL!r} or {HELDOUT!r}, got {split!r}")
        n = len(texts if texts is not None else images or [])
        if n == 0:
            raise DataError("no items given: pass texts or images")
        for name, values in (("images", images), ("ids", ids), ("labels", labels), ("meta", meta)):
            if values is not None and len(values) != n:
                raise DataError(f"got {len(values)} {name} for {n} items")
        if texts is not None and images is not None and len(texts) != n:
            raise DataError(f"got {len(texts)} texts for {n} images")
        for path in images or []:
            if path is not None:
                self.resolve_image(path)
        info = self.project_info(project_id)
        if labels is not None:
            _check_labels([v for v in labels if v is not None], info.classes)
        rng = np.random.default_rng([info.settings["seed"], project_id])
        with self.write(alone=True) as session:  # bulk: shares no request's COMMIT
            start = session.scalar(select(func.count()).where(Item.project_id == project_id)) or 0
            keys = [str(k) for k in ids] if ids is not None else [str(start + i) for i in range(n)]
            if len(set(keys)) != n:
                raise DataError("item ids must be unique")
            _refuse_nul(keys, texts, images)
            heldout = rng.random(n) < info.settings["heldout_fraction"]
            if split is not None:
                heldout[:] = split == HELDOUT
            ranks = start + rng.permutation(n)
            # Its own generator: projects without overlap keep the draws they always had.
            overlap = np.random.default_rng([info.settings["seed"], project_id, start, 2])
            needed = 1 + (overlap.random(n) < info.settings.get("overlap", 0.0))
            rows = [
                Item(
                    project_id=project_id,
                    external_id=keys[i],
                    text=None if texts is None else texts[i],
                    image=None if images is None else images[i],
                    meta=None if meta is None else meta[i],
                    split=HELDOUT if heldout[i] else POOL,
                    state=LABELED if labels is not None and labels[i] is not None else OPEN,
                    priority=priority,
                    rank=float(ranks[i]),
                    needed=int(needed[i]),
                )
                for i in range(n)
            ]
            session.add_all(rows)
            try:
                session.flush()
            except IntegrityError:
                raise DataError("some item ids are already in the project") from None
            if labels is not None and any(v is not None for v in labels):
                importer = _import_annotator(session, project_id)
                now = time.time()
                session.add_all(
                    Label(
                        project_id=project_id,
                        item_id=row.id,
                        annotator_id=importer,
                        kind=LABEL,
                        value=str(value),
                        submission_id=f"import-{row.id}",
                        created_at=now,
                    )
                    for row, value in zip(rows, labels, strict=True)
                    if value is not None
                )
        return keys

    def resolve_image(self, path: str) -> Path:
        """The file ``path`` names inside the project folder; refuses anything outside it."""
        candidate = (self.folder / path).resolve()
        if not candidate.is_relative_to(self.folder) or candidate == self.folder:
            raise InvalidInput(f"image path {path!r} points outside the project folder")
        return candidate

    def item(self, project_id: int, external_id: str) -> ItemView:
        with self.read() as session:
            return item_view(find_item(session, project_id, external_id))

    def existing_ids(self, project_id: int, external_ids: Sequence[str]) -> set[str]:
        """Which of ``external_ids`` the project holds."""
        found: set[str] = set()
        with self.read() as session:
            for chunk in chunks([str(k) for k in external_ids], 500):
                found.update(
                    session.scalars(
                        select(Item.external_id).where(
                            Item.project_id == project_id, Item.external_id.in_(chunk)
                        )
                    )
                )
        return found

    def prioritize(self, project_id: int, external_ids: Sequence[str], priority: int = 1) -> None:
        """Serve these items before the strategy's ranking (a running loop asked for them)."""
        with self.write(alone=True) as session:
            for chunk in chunks(list(external_ids), 500):
                session.execute(
                    update(Item)
                    .where(Item.project_id == project_id, Item.external_id.in_(chunk))
                    .values(priority=priority)
                )


def find_item(session: Session, project_id: int, external_id: str) -> Item:
    item = session.scalar(
        select(Item).where(Item.project_id == project_id, Item.external_id == str(external_id))
    )
    if item is None:
        raise NotFound(f"no item with id {external_id!r} in this project")
    return item


def _refuse_nul(
    keys: list[str], texts: Sequence[str | None] | None, images: Sequence[str | None] | None
) -> None:
    """Refuse NUL bytes: PostgreSQL rejects them and C-string tools cut the text there.

    A text stored whole in SQLite would still come out cut short by any tool
    that stops at the first NUL; refusing it names the item to fix instead.
    """
    for name, values in (("id", keys), ("text", texts), ("image path", images)):
        if values is None:
            continue
        for key, value in zip(keys, values, strict=True):
            if isinstance(value, str) and "\x00" in value:
                raise DataError(
                    f"item {key!r}: its {name} contains a NUL byte (\\x00), which the store "
                    "does not keep: remove it from the data and add the item again"
                )


def _check_labels(values: Sequence[Any], classes: list[str]) -> None:
    unknown = sorted({str(v) for v in values} - set(classes))
    if unknown:
        raise DataError(f"labels {unknown} are not among the classes {classes}")


def _import_annotator(session: Session, project_id: int) -> int:
    existing = session.scalar(
        select(Annotator.id).where(
            Annotator.project_id == project_id, Annotator.name == IMPORT_ANNOTATOR
        )
    )
    if existing is not None:
        return existing
    importer = Annotator(
        project_id=project_id,
        name=IMPORT_ANNOTATOR,
        token_hash=hash_token(secrets.token_urlsafe(32)),  # nobody ever sees this token
        created_at=time.time(),
    )
    session.add(importer)
    session.flush()
    return importer.id
