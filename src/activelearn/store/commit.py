"""Group commit on SQLite: concurrent write transactions share one COMMIT, so one fsync.

Why: SQLite has one writer at a time, and with ``synchronous=FULL`` every
COMMIT waits for the disk. An answer must be on disk before it is
acknowledged, so each answer paid its own fsync while every other write
queued behind it. Here writers that arrive while one is working join its
transaction and are acknowledged together, after the one COMMIT (and fsync)
that covers all of them.

How (leader and followers, no writer thread: each request does its own SQL
in its own thread, so no extra thread hop is paid under a busy GIL):

* A writer takes the write lock, opens the *batch* (one connection,
  ``BEGIN IMMEDIATE``) if none is open, and runs its work in a SAVEPOINT of
  it: an error rolls back that savepoint only, never another writer's work.
* Leaving, it COMMITs the batch unless another writer is already waiting
  for the lock (and the batch is younger than ``max_age`` and has fewer than
  ``max_writes`` writes): then it leaves the transaction open for that one
  and waits. Nobody waits on purpose, so a lone writer commits at once, as
  before; batches form only while writers queue anyway.
* Every writer returns only once the COMMIT covering its work succeeded. A
  failed COMMIT fails them all (:class:`~activelearn.store.errors.NotSaved`):
  none of them was stored, none is told otherwise.
* Durability is per batch, as its first writer asked (SQLite cannot change
  ``synchronous`` inside a transaction): anyone joins a ``FULL`` batch; a
  durable writer that finds a ``NORMAL`` one open commits it (no fsync) and
  opens a ``FULL`` one. So an answer is always committed with an fsync.
* ``alone=True`` writes (bulk: queue ranks, imports) are never joined and
  join nothing: a request's acknowledgement never waits for a bulk write's
  work, only, as before, for its turn at the lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from activelearn.store.errors import NotSaved

# A follower that has waited this long for its batch's COMMIT commits it itself. It
# never should have to (the last writer of a batch always commits); it is the guard
# against a writer thread that died between queueing and committing.
RESCUE_SECONDS = 2.0


class _Batch:
    """One open write transaction and what its writers need to know about its COMMIT."""

    def __init__(self, connection: Connection, durable: bool) -> None:
        self.connection = connection
        self.durable = durable
        self.transaction = connection.begin()  # BEGIN IMMEDIATE (see database._sqlite_engine)
        self.opened = time.monotonic()
        self.writes = 0
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """Serialises SQLite writes and lets the ones that queue share a COMMIT.

    ``commits`` and ``writes`` count COMMITs issued and the writes they
    covered (``writes / commits`` is the mean batch size).
    """

    def __init__(self, engine: Engine, *, max_writes: int = 32, max_age: float = 0.010) -> None:
        self.engine = engine
        self.max_writes = max_writes
        self.max_age = max_age
        self.commits = 0
        self.writes = 0
        self._lock = threading.Lock()  # held while a writer works in the batch, and to commit
        self._counter = threading.Lock()
        self._waiting = 0  # joinable writers blocked on _lock
        self._batch: _Batch | None = None

    @property
    def waiting(self) -> int:
        """Writers queued for the lock right now (the ones a leaving writer hands on to)."""
        return self._waiting

    @contextlib.contextmanager
    def write(self, *, durable: bool = True, alone: bool = False) -> Iterator[Session]:
        """A session whose work is stored, with its batch, before this context is left."""
        self._acquire(count=not alone)
        batch: _Batch | None = None
        try:
            batch = self._batch_for(durable, alone)
            session = Session(
                batch.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            try:
                with session, session.begin():  # SAVEPOINT ... RELEASE, or ROLLBACK TO on error
                    yield session
            except BaseException as exc:
                # Some errors (disk full, I/O, out of memory) make SQLite roll back the whole
                # transaction, the batch's earlier writes with it: fail them all, at once.
                if not _raw(batch.connection).in_transaction and batch.error is None:
                    # The error that rolled it back, not the failed ROLLBACK TO after it.
                    batch.error = exc.__context__ or exc
                raise
            batch.writes += 1
        finally:
            try:
                if batch is not None and (
                    alone or batch.error is not None or self._should_commit(batch)
                ):
                    self._commit(batch)
            finally:
                self._lock.release()
        self._wait(batch)

    # -- the steps ------------------------------------------------------------------------------

    def _acquire(self, *, count: bool) -> None:
        if not count:
            self._lock.acquire()
            return
        with self._counter:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._counter:
                self._waiting -= 1

    def _batch_for(self, durable: bool, alone: bool) -> _Batch:
        """The open batch if this writer may join it; else that one is committed first."""
        batch = self._batch
        if batch is not None and (alone or (durable and not batch.durable)):
            self._commit(batch)
            batch = None
        if batch is None:
            batch = self._batch = self._open(durable)
        return batch

    def _open(self, durable: bool) -> _Batch:
        connection = self.engine.connect()
        try:
            if not durable:  # set outside any transaction: SQLite refuses it inside one
                _raw(connection).execute("PRAGMA synchronous=NORMAL")
            return _Batch(connection, durable)
        except BaseException:
            _close(connection, durable)
            raise

    def _should_commit(self, batch: _Batch) -> bool:
        return (
            self._waiting == 0
            or batch.writes >= self.max_writes
            or time.monotonic() - batch.opened >= self.max_age
        )

    def _commit(self, batch: _Batch) -> None:
        """COMMIT (with the lock held), then wake the batch's writers; never raises.

        A batch whose transaction SQLite has already rolled back is not
        committed: COMMIT would be a silent no-op, and its writers would be
        told "stored" for rows that are gone.
        """
        try:
            if batch.error is None and not _raw(batch.connection).in_transaction:
                batch.error = NotSaved("the database rolled the transaction back")
            if batch.error is not None:
                raise batch.error
            batch.transaction.commit()
        except BaseException as exc:  # every writer of the batch is told, none acknowledged
            batch.error = exc
            with contextlib.suppress(Exception):
                batch.transaction.rollback()
        finally:
            self._batch = None
            self.commits += 1
            self.writes += batch.writes
            _close(batch.connection, batch.durable)
            batch.done.set()

    def _wait(self, batch: _Batch | None) -> None:
        """Return once ``batch`` is committed; raise if its COMMIT failed."""
        if batch is None:
            return
        while not batch.done.wait(RESCUE_SECONDS):
            with self._lock:
                if self._batch is batch:
                    self._commit(batch)
        if batch.error is not None:
            raise NotSaved(
                "the database could not store this (nothing of it was saved): send it again, "
                f"with the same submission id ({type(batch.error).__name__}: {batch.error})"
            ) from batch.error


def _raw(connection: Connection) -> Any:
    raw = connection.connection.dbapi_connection
    assert raw is not None
    return raw


def _close(connection: Connection, durable: bool) -> None:
    """Back to the pool, ``synchronous=FULL`` again; a connection that cannot be reset is
    dropped, so no later transaction inherits ``NORMAL`` by mistake."""
    try:
        if connection.in_transaction():
            connection.rollback()
        if not durable:
            _raw(connection).execute("PRAGMA synchronous=FULL")
    except Exception:
        connection.invalidate()
    finally:
        connection.close()
