"""Opening the database (SQLite by default, PostgreSQL by URL) and its transactions.

Every write runs in one transaction (on SQLite: in a savepoint of one). On
SQLite the database is in WAL mode (readers never wait for the writer),
write transactions start with ``BEGIN IMMEDIATE`` and are serialised inside
the process, so concurrent requests queue in order instead of spinning in
SQLite's busy handler, and the writes that queue share one COMMIT (group
commit, :mod:`.commit`). The schema is brought to the newest migration on
every open.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

from activelearn.store.commit import GroupCommit
from activelearn.store.errors import NotFound
from activelearn.store.models import Project
from activelearn.store.records import ProjectInfo, project_info

DB_FILE = "labels.db"
_Store = TypeVar("_Store", bound="StoreBase")


class StoreBase:
    """A project folder (images live there) and its database: sessions and the project cache.

    The parts of :class:`~activelearn.store.Store` (projects, items, queue,
    answers, model versions) build on this.
    """

    def __init__(self, folder: Path, engine: Engine, read_engine: Engine) -> None:
        self.folder = folder
        self.engine = engine
        self.read_engine = read_engine
        # SQLite: one writer at a time, sharing COMMITs; PostgreSQL: concurrent transactions
        # (the server groups their commits itself).
        self.group = GroupCommit(engine) if engine.dialect.name == "sqlite" else None
        self._projects: dict[int, ProjectInfo] = {}

    @classmethod
    def open(cls: type[_Store], folder: str | Path, url: str | None = None) -> _Store:
        """Open (creating if needed) the store of the project folder ``folder``.

        ``url`` is a SQLAlchemy database URL (``postgresql+psycopg://...``);
        without it the store is ``<folder>/labels.db`` (SQLite).
        """
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        url = url or f"sqlite:///{folder / DB_FILE}"
        if url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:":
                _owner_only(Path(database))
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
    def write(self, *, durable: bool = True, alone: bool = False) -> Iterator[Session]:
        """A session in one write transaction: stored on success, rolled back on any error.

        Leaving the context means the work is committed. On SQLite it may
        share that COMMIT with writes of other threads that queued meanwhile
        (:class:`~activelearn.store.commit.GroupCommit`), and an error rolls
        back this write alone.

        ``durable=False`` (SQLite) commits without waiting for the disk
        (``synchronous=NORMAL``) unless it shares the COMMIT of a durable
        write: safe against a killed server in WAL mode, lost only on a power
        cut or OS crash. For writes that are cheap to lose and frequent, such
        as leases and queue ranks: an fsync per "next item" was most of its
        time under load, and a lost lease only means the item is served
        again. Answers stay durable. ``alone=True`` is for bulk writes (queue
        ranks, imports): they never share a COMMIT, so no request waits for
        their work to be acknowledged.
        """
        if self.group is not None:
            with self.group.write(durable=durable, alone=alone) as session:
                yield session
            return
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def project_info(self, project_id: int) -> ProjectInfo:
        """The project's definition; cached, since nothing changes it after creation."""
        cached = self._projects.get(project_id)
        if cached is not None:
            return cached
        with self.read() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"no project with id {project_id}")
            info = self._projects[project_id] = project_info(project)
            return info


def _owner_only(path: Path) -> None:
    """Create the SQLite file readable and writable by its owner alone, as the tokens file is.

    It holds every label and the annotators' token hashes. SQLite gives its
    ``-wal`` and ``-shm`` files the database file's permissions; files an
    older version left readable by others are tightened here.
    """
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):  # not ours: leave it
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    """``values`` in slices of ``size``: SQL ``IN`` lists stay short."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


def _migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``, by default the newest (a new database gets all)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("activelearn.store") / "migrations")
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
