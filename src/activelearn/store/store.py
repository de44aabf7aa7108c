"""The label store: projects, items, leases and labels in SQLite (default) or PostgreSQL.

Every write runs in one transaction. On SQLite the database is in WAL mode
(readers never wait for the writer), write transactions start with
``BEGIN IMMEDIATE`` and are serialised by a lock inside the process, so
concurrent requests queue in order instead of spinning in SQLite's busy
handler. Two rules are enforced by the schema itself rather than by code:
one lease per item (the lease's primary key is the item) and one live label
per item (a partial unique index).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activelearn.errors import ConfigError, DataError
from activelearn.store.errors import Conflict, InvalidInput, NotFound
from activelearn.store.models import (
    FAILED,
    FLAG,
    FLAGGED,
    HELDOUT,
    LABEL,
    LABELED,
    OPEN,
    POOL,
    READY,
    SKIP,
    TRAINING,
    Annotator,
    Item,
    Label,
    Lease,
    ModelVersion,
    Project,
    Round,
)
from activelearn.store.settings import DEFAULT_SETTINGS
from activelearn.strategies import make_strategy
from activelearn.strategies.base import PROBABILITIES

DB_FILE = "labels.db"
# Settings every project has; create_project fills in what the caller leaves out.
IMPORT_ANNOTATOR = "import"  # labels that came with the dataset
LEASE_ATTEMPTS = 5


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain sha256 is enough to make a stolen DB useless."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    classes: list[str]
    strategy: str
    budget: int | None
    settings: dict[str, Any]


@dataclass(frozen=True)
class AnnotatorInfo:
    id: int
    project_id: int
    name: str
    is_admin: bool


@dataclass(frozen=True)
class ItemView:
    """An item as shown to a person; ``id`` is the item's external id."""

    id: str
    text: str | None
    image: str | None
    meta: dict[str, Any] | None
    split: str
    lease_expires: float | None = None


@dataclass(frozen=True)
class LabelRecord:
    """One answer, the same idea of a label as the file oracle's: id, label, annotator, time."""

    id: str
    label: str | None
    annotator: str
    time: float
    kind: str = LABEL
    model_version: int | None = None
    submission_id: str = ""
    note: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class TrainingRow:
    label_id: int
    item_id: int
    text: str
    label: str
    split: str


class Store:
    """A label store bound to a project folder (images and models live there) and a database.

    Use :meth:`open`; it creates the database if needed and runs the migrations.
    """

    def __init__(self, folder: Path, engine: Engine, read_engine: Engine) -> None:
        self.folder = folder
        self.engine = engine
        self.read_engine = read_engine
        sqlite = engine.dialect.name == "sqlite"
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if sqlite else contextlib.nullcontext()
        )
        self._projects: dict[int, ProjectInfo] = {}

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | Path, url: str | None = None) -> Store:
        """Open (creating if needed) the store of the project folder ``folder``.

        ``url`` is a SQLAlchemy database URL (``postgresql+psycopg://...``);
        without it the store is ``<folder>/labels.db`` (SQLite).
        """
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        url = url or f"sqlite:///{folder / DB_FILE}"
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url, immediate=True)
            read_engine = _sqlite_engine(url, immediate=False)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            read_engine = engine
        _migrate(engine)
        return cls(folder, engine, read_engine)

    def close(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on any error."""
        with (
            self._write_lock,
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- projects and annotators ---------------------------------------------------------------

    def create_project(
        self,
        name: str,
        classes: Sequence[Any],
        *,
        texts: Sequence[str | None] | None = None,
        images: Sequence[str | None] | None = None,
        ids: Sequence[Any] | None = None,
        labels: Sequence[Any] | None = None,
        meta: Sequence[dict[str, Any] | None] | None = None,
        strategy: str = "least_confidence",
        budget: int | None = None,
        settings: dict[str, Any] | None = None,
    ) -> ProjectInfo:
        """A new project holding the given items; ``labels`` (``None`` = unlabeled) are imported.

        Items are texts, images (paths relative to the project folder) or both.
        A random ``heldout_fraction`` of the items is set aside to evaluate
        models; people label those too, in proportion, so the evaluation set
        grows with the labels.
        """
        classes = [str(c) for c in classes]
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ConfigError(f"a project needs at least two distinct classes, got {classes}")
        unknown = set(settings or {}) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ConfigError(
                f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}"
            )
        _check_strategy(strategy)
        if budget is not None and budget < 1:
            raise ConfigError(f"budget must be at least 1, got {budget}")
        merged = {**DEFAULT_SETTINGS, **(settings or {})}
        with self.write() as session:
            if session.scalar(select(Project.id).where(Project.name == name)) is not None:
                raise ConfigError(f"a project named {name!r} exists already: pick another name")
            project = Project(
                name=name,
                classes=classes,
                strategy=strategy,
                budget=budget,
                settings=merged,
                created_at=time.time(),
            )
            session.add(project)
            session.flush()
            info = _project_info(project)
        if texts is not None or images is not None:
            self.add_items(info.id, texts=texts, images=images, ids=ids, labels=labels, meta=meta)
        return info

    def project(self, name: str | None = None) -> ProjectInfo:
        """The project called ``name``; without a name, the store's only project."""
        with self.read() as session:
            query = select(Project) if name is None else select(Project).where(Project.name == name)
            projects = session.scalars(query.limit(2)).all()
        if not projects:
            raise NotFound(
                f"no project named {name!r} in this store"
                if name
                else "this store has no project yet"
            )
        if len(projects) > 1:
            raise ConfigError("this store holds several projects: name the one you mean")
        return _project_info(projects[0])

    def add_annotator(self, project_id: int, name: str, *, admin: bool = False) -> str:
        """Register an annotator and return their token; only its hash is stored, so keep it."""
        if name == IMPORT_ANNOTATOR:
            raise ConfigError(f"{IMPORT_ANNOTATOR!r} is reserved for labels imported with the data")
        token = secrets.token_urlsafe(32)
        try:
            with self.write() as session:
                session.add(
                    Annotator(
                        project_id=project_id,
                        name=name,
                        token_hash=hash_token(token),
                        is_admin=admin,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            raise ConfigError(f"annotator {name!r} exists already in this project") from None
        return token

    def rotate_token(self, project_id: int, name: str) -> str:
        """A fresh token for an existing annotator; the old one stops working."""
        token = secrets.token_urlsafe(32)
        with self.write() as session:
            annotator = session.scalar(
                select(Annotator).where(Annotator.project_id == project_id, Annotator.name == name)
            )
            if annotator is None or name == IMPORT_ANNOTATOR:
                raise NotFound(f"no annotator named {name!r}")
            annotator.token_hash = hash_token(token)
        return token

    def authenticate(self, token: str) -> AnnotatorInfo | None:
        """The annotator holding ``token``, or None."""
        if not token:
            return None
        with self.read() as session:
            annotator = session.scalar(
                select(Annotator).where(Annotator.token_hash == hash_token(token))
            )
            if annotator is None or annotator.name == IMPORT_ANNOTATOR:
                return None
            return AnnotatorInfo(
                annotator.id, annotator.project_id, annotator.name, annotator.is_admin
            )

    # -- items ---------------------------------------------------------------------------------

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
    ) -> list[str]:
        """Add items (ids default to their positions counted from the items already there).

        Returns the external ids. Labels given here are stored as answers of
        the ``import`` annotator.
        """
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
        with self.write() as session:
            start = session.scalar(select(func.count()).where(Item.project_id == project_id)) or 0
            keys = [str(k) for k in ids] if ids is not None else [str(start + i) for i in range(n)]
            if len(set(keys)) != n:
                raise DataError("item ids must be unique")
            heldout = rng.random(n) < info.settings["heldout_fraction"]
            ranks = start + rng.permutation(n)
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
            return _item_view(_find_item(session, project_id, external_id))

    def existing_ids(self, project_id: int, external_ids: Sequence[str]) -> set[str]:
        """Which of ``external_ids`` the project holds."""
        found: set[str] = set()
        with self.read() as session:
            for chunk in _chunks([str(k) for k in external_ids], 500):
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
        with self.write() as session:
            for chunk in _chunks(list(external_ids), 500):
                session.execute(
                    update(Item)
                    .where(Item.project_id == project_id, Item.external_id.in_(chunk))
                    .values(priority=priority)
                )

    # -- the queue -----------------------------------------------------------------------------

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
                return _item_view(item, expires), ""
            counts = _label_counts(session, info.id)
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
                    return _item_view(item, expires), ""
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
                item = _find_item(session, info.id, item_id)
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
                    return _record(previous, item.external_id, annotator.name, replayed=True)
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
                return _record(row, item.external_id, annotator.name)
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
            record = _record(row, item.external_id, annotator.name)
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
            return record, _item_view(item, expires)

    # -- reading labels ------------------------------------------------------------------------

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
        return [_record(label, external, name) for label, external, name in rows]

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
            counts = _label_counts(session, project_id)
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

    # -- training data, model versions, ranking ------------------------------------------------

    def training_rows(
        self, project_id: int, label_ids: Sequence[int] | None = None
    ) -> list[TrainingRow]:
        """Labels with their items' texts: the live ones, or exactly the rows ``label_ids``."""
        query = (
            select(Label.id, Item.id, Item.text, Label.value, Item.split)
            .join(Item, Label.item_id == Item.id)
            .where(Label.project_id == project_id, Label.kind == LABEL)
            .order_by(Label.id)
        )
        with self.read() as session:
            if label_ids is None:
                rows = session.execute(query.where(Label.undone_at.is_(None))).all()
            else:
                rows = []
                for chunk in _chunks(sorted(label_ids), 500):
                    rows += session.execute(query.where(Label.id.in_(chunk))).all()
        return [TrainingRow(*row) for row in rows if row[2] is not None]

    def open_pool_items(self, project_id: int) -> list[tuple[int, str]]:
        """(item id, text) of unlabeled training-pool items: what the strategy ranks."""
        with self.read() as session:
            return [
                (row[0], row[1])
                for row in session.execute(
                    select(Item.id, Item.text).where(
                        Item.project_id == project_id,
                        Item.state == OPEN,
                        Item.split == POOL,
                        Item.text.is_not(None),
                    )
                )
            ]

    def item_texts(self, item_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """External id and text by internal item id."""
        out: dict[int, tuple[str, str | None]] = {}
        with self.read() as session:
            for chunk in _chunks(list(item_ids), 500):
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
        self, project_id: int, model_version: int, item_ids: Sequence[int], n_labels: int
    ) -> None:
        """Put ``item_ids`` (best first) at the head of the queue and record the round.

        Ranks of round ``r`` lie below every earlier round's, so only the
        re-ranked items are written, in short transactions that let label
        submissions through between them.
        """
        info = self.project_info(project_id)
        with self.read() as session:
            n_rounds = session.scalar(select(func.count()).where(Round.project_id == project_id))
        base = -float(n_rounds + 1) * 1e9
        for offset, chunk in enumerate(_chunks(list(item_ids), 200)):
            with self.write() as session:
                session.execute(
                    update(Item),
                    [
                        {"id": item_id, "rank": base + offset * 200 + i}
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

    def label_count(self, project_id: int) -> int:
        with self.read() as session:
            return sum(_label_counts(session, project_id).values())

    def project_info(self, project_id: int) -> ProjectInfo:
        """The project's definition; cached, since nothing changes it after creation."""
        cached = self._projects.get(project_id)
        if cached is not None:
            return cached
        with self.read() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"no project with id {project_id}")
            info = self._projects[project_id] = _project_info(project)
            return info


# -- helpers -----------------------------------------------------------------------------------


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a new database gets all of them)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("activelearn.store") / "migrations")
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _check_strategy(name: str) -> None:
    strategy = make_strategy(name)
    if not strategy.requires <= {PROBABILITIES}:
        raise ConfigError(
            f"strategy {name!r} needs {sorted(strategy.requires - {PROBABILITIES})}, "
            "which the labeling server does not compute; pick one that needs only probabilities "
            "(least_confidence, margin, entropy, random)"
        )


def _check_labels(values: Sequence[Any], classes: list[str]) -> None:
    unknown = sorted({str(v) for v in values} - set(classes))
    if unknown:
        raise DataError(f"labels {unknown} are not among the classes {classes}")


def _project_info(project: Project) -> ProjectInfo:
    return ProjectInfo(
        project.id,
        project.name,
        list(project.classes),
        project.strategy,
        project.budget,
        {**DEFAULT_SETTINGS, **(project.settings or {})},
    )


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


def _find_item(session: Session, project_id: int, external_id: str) -> Item:
    item = session.scalar(
        select(Item).where(Item.project_id == project_id, Item.external_id == str(external_id))
    )
    if item is None:
        raise NotFound(f"no item with id {external_id!r} in this project")
    return item


def _item_view(item: Item, lease_expires: float | None = None) -> ItemView:
    return ItemView(item.external_id, item.text, item.image, item.meta, item.split, lease_expires)


def _record(row: Label, external_id: str, annotator: str, *, replayed: bool = False) -> LabelRecord:
    return LabelRecord(
        id=external_id,
        label=row.value,
        annotator=annotator,
        time=row.created_at,
        kind=row.kind,
        model_version=row.model_version,
        submission_id=row.submission_id,
        note=row.note,
        replayed=replayed,
    )


def _label_counts(session: Session, project_id: int) -> Counter[str]:
    """Labeled items per split, read from the queue index (items carry their state)."""
    rows = session.execute(
        select(Item.split, func.count())
        .where(Item.project_id == project_id, Item.state == LABELED)
        .group_by(Item.split)
    ).all()
    return Counter(dict(rows))


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


def _version(session: Session, project_id: int, version: int) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.project_id == project_id, ModelVersion.version == version
        )
    )
    if row is None:
        raise NotFound(f"no model version {version}")
    return row


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
