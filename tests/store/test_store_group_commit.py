"""Group commit (SQLite): writes that queue share one COMMIT, and nobody is told "stored"
before the COMMIT that covers their write is through.

The commits are watched from SQLAlchemy's ``commit`` event (fired just
before COMMIT goes to SQLite) and the statements from ``before_cursor_execute``:
both are the engine's, not the group commit's own bookkeeping.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, insert, select

from activelearn.store import NotSaved, Store
from activelearn.store.models import Item, Label

N_ANNOTATORS = 8


@pytest.fixture
def people(store, project):
    return [store.authenticate(store.add_annotator(project.id, f"p{i}")) for i in range(12)]


class Commits:
    """Per COMMIT: label rows inserted, item rows re-ranked and ``synchronous`` (2 = FULL)."""

    def __init__(self, store: Store, delay: float = 0.0) -> None:
        self.store, self.delay = store, delay
        self.log: list[dict[str, int]] = []
        self.labels = self.ranks = 0
        self.block = threading.Event()  # set: the next COMMITs wait for ``release``
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = False
        event.listen(store.engine, "before_cursor_execute", self._statement)
        event.listen(store.engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO labels"):
            self.labels += 1
        elif statement.startswith("UPDATE items SET rank"):
            self.ranks += 1

    def _commit(self, connection) -> None:
        raw = connection.connection.dbapi_connection
        synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
        self.log.append({"labels": self.labels, "ranks": self.ranks, "synchronous": synchronous})
        self.labels = self.ranks = 0
        if self.delay:
            time.sleep(self.delay)  # a slow disk: the others queue meanwhile
        if self.block.is_set():
            self.entered.set()
            assert self.release.wait(10)
            self.release.clear()
        if self.fail:
            self.fail = False
            raise OSError("disk I/O error (injected)")


class Submitter(threading.Thread):
    def __init__(self, store, who, item_id, submission_id, value="pos"):
        super().__init__(daemon=True)
        self.store, self.who, self.item_id = store, who, item_id
        self.submission_id, self.value = submission_id, value
        self.record = self.error = None
        self.returned = threading.Event()

    def run(self) -> None:
        try:
            self.record = self.store.submit(
                self.who, self.item_id, self.submission_id, value=self.value
            )
        except Exception as exc:
            self.error = exc
        finally:
            self.returned.set()


def _wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _leases(store, people):
    return [store.next_item(who)[0].id for who in people]


def _first_commit_stalled(store, people, n):
    """Leases for ``n`` people; the first one's answer is sent and its COMMIT held (so the
    others queue behind it). Batches close when the test says, not by the clock."""
    store.group.max_age = 10.0
    items = _leases(store, people[:n])
    commits = Commits(store)
    commits.block.set()
    first = Submitter(store, people[0], items[0], "first-answer")
    first.start()
    assert commits.entered.wait(10)  # its COMMIT holds the write lock: the others queue
    return items, commits, first


def test_writes_that_queue_share_one_commit_and_are_all_stored(store, project, people):
    """The batching batches: with a slow disk, N annotators' leases and answers need far
    fewer COMMITs than writes (before group commit: exactly one COMMIT per write)."""
    commits = Commits(store, delay=0.02)
    before = store.group.writes, store.group.commits
    start = threading.Barrier(N_ANNOTATORS)
    answered: dict[str, str] = {}

    def annotate(who) -> None:
        start.wait()
        for n in range(3):
            item, _ = store.next_item(who)
            value = "pos" if int(item.id) % 2 else "neg"
            store.submit(who, item.id, f"{who.name}-answer-{n}", value=value)
            answered[item.id] = value

    threads = [threading.Thread(target=annotate, args=(w,)) for w in people[:N_ANNOTATORS]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    writes = 2 * 3 * N_ANNOTATORS
    assert len(answered) == 3 * N_ANNOTATORS
    assert {r.id: r.label for r in store.labels(project.id)} == answered
    assert len(commits.log) <= writes // 2, commits.log
    assert max(c["labels"] for c in commits.log) >= 2
    counted = store.group.writes - before[0], store.group.commits - before[1]
    assert counted == (writes, len(commits.log))


def test_a_follower_is_acknowledged_only_once_the_commit_covering_it_is_through(
    store, project, people
):
    """While a batch's COMMIT is stalled, none of its writers has returned; all return
    once it is through."""
    items, commits, first = _first_commit_stalled(store, people, 5)
    commits.entered.clear()
    rest = [Submitter(store, who, item, f"answer-{who.name}") for who, item in
            zip(people[1:5], items[1:5], strict=True)]  # fmt: skip
    for thread in rest:
        thread.start()
    _wait_until(lambda: store.group.waiting == 4)
    commits.release.set()  # the first COMMIT goes through; the four form the next batch
    assert first.returned.wait(10)
    assert commits.entered.wait(10)  # the next COMMIT, stalled in turn
    assert commits.log[-1]["labels"] == 4  # it covers all four answers
    time.sleep(0.2)
    assert not any(t.returned.is_set() for t in rest), "acknowledged before the COMMIT"
    assert {r.id for r in store.labels(project.id)} == {items[0]}  # the 4 are not visible yet
    commits.block.clear()
    commits.release.set()
    for thread in rest:
        assert thread.returned.wait(10) and thread.error is None
    assert {r.id for r in store.labels(project.id)} == set(items)


def test_a_failed_write_in_a_batch_rolls_back_alone(store, project, people):
    items, commits, _first = _first_commit_stalled(store, people, 3)
    commits.block.clear()
    errors = []

    def doubled_label() -> None:  # a second live label for item 0: the database refuses it
        try:
            with store.write() as session:
                item = session.scalar(select(Item.id).where(Item.external_id == items[0]))
                session.execute(insert(Label).values(
                    project_id=project.id, item_id=item, annotator_id=people[2].id,
                    kind="label", value="neg", submission_id="doubled", created_at=time.time(),
                ))  # fmt: skip
        except Exception as exc:
            errors.append(exc)

    good = Submitter(store, people[1], items[1], "good-answer")
    bad = threading.Thread(target=doubled_label)
    good.start()
    bad.start()
    _wait_until(lambda: store.group.waiting == 2)
    commits.release.set()
    bad.join(10)
    assert good.returned.wait(10) and good.error is None
    assert len(errors) == 1 and "UNIQUE" in str(errors[0])
    assert {(r.id, r.label) for r in store.labels(project.id)} == {(items[0], "pos"),
                                                                    (items[1], "pos")}  # fmt: skip


def test_a_failed_commit_fails_every_writer_of_its_batch_and_a_resend_stores_it(
    store, project, people
):
    """An I/O error at COMMIT: every writer of that batch is told (503), none is stored,
    and sending the same answer again stores it once."""
    items, commits, first = _first_commit_stalled(store, people, 4)
    commits.block.clear()
    rest = [Submitter(store, who, item, f"answer-{who.name}") for who, item in
            zip(people[1:4], items[1:4], strict=True)]  # fmt: skip
    for thread in rest:
        thread.start()
    _wait_until(lambda: store.group.waiting == 3)
    commits.fail = False
    commits.release.set()
    assert first.returned.wait(10) and first.error is None
    commits.fail = True  # the batch of the three fails at its COMMIT
    for thread in rest:
        assert thread.returned.wait(10)
    assert commits.log[-1]["labels"] == 3
    assert all(isinstance(t.error, NotSaved) and t.error.status == 503 for t in rest)
    assert {r.id for r in store.labels(project.id)} == {items[0]}
    for thread in rest:
        again = store.submit(thread.who, thread.item_id, thread.submission_id, value="pos")
        assert not again.replayed
    assert {r.id for r in store.labels(project.id)} == set(items)


def test_every_commit_with_an_answer_waits_for_the_disk(store, project, people):
    """Mixed load (leases without fsync, answers with it, bulk re-ranking): each COMMIT
    that covers an answer runs with ``synchronous=FULL``, and no answer shares a COMMIT
    with a bulk write."""
    commits = Commits(store, delay=0.005)
    stop = threading.Event()

    def annotate(who) -> None:
        for n in range(4):
            item, _ = store.next_item(who)
            store.submit(who, item.id, f"{who.name}-{n}", value="neg")

    def rerank() -> None:
        with store.read() as session:
            ids = list(session.scalars(select(Item.id).where(Item.project_id == project.id)))
        version = 0
        while not stop.is_set():
            version += 1
            store.set_ranks(project.id, version, ids[::-1] if version % 2 else ids, 0)

    ranker = threading.Thread(target=rerank)
    ranker.start()
    threads = [threading.Thread(target=annotate, args=(w,)) for w in people[:6]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    stop.set()
    ranker.join(30)
    assert len(store.labels(project.id)) == 24
    with_answers = [c for c in commits.log if c["labels"]]
    assert sum(c["labels"] for c in with_answers) == 24
    assert all(c["synchronous"] == 2 for c in with_answers), with_answers
    assert any(c["synchronous"] == 1 and not c["labels"] for c in commits.log)  # leases alone
    assert not any(c["labels"] and c["ranks"] for c in commits.log)


def test_a_write_that_makes_sqlite_roll_back_the_batch_fails_the_writes_before_it(tmp_path):
    """Disk full (here: a page limit) rolls back SQLite's whole transaction, so a writer
    already in the batch must hear "not saved", never "stored" for a row that is gone."""
    from sqlalchemy import text

    from activelearn.store.commit import GroupCommit
    from activelearn.store.database import _sqlite_engine

    engine = _sqlite_engine(f"sqlite:///{tmp_path / 'full.db'}", immediate=True)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x BLOB)")
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    event.listen(
        engine,
        "connect",
        lambda dbapi, _record: dbapi.execute(f"PRAGMA max_page_count={pages + 20}"),
    )
    engine.dispose()
    group = GroupCommit(engine)
    results: dict[str, str] = {}
    inside = threading.Event()

    def first() -> None:
        try:
            with group.write() as session:
                session.execute(text("INSERT INTO t VALUES (zeroblob(1000))"))
                inside.set()
                while group.waiting == 0:  # leave the batch open for the second writer
                    time.sleep(0.001)
            results["first"] = "stored"
        except NotSaved as exc:
            results["first"] = f"not saved: {exc}"

    def second() -> None:
        inside.wait()
        try:
            with group.write() as session:
                session.execute(text("INSERT INTO t VALUES (zeroblob(1000000))"))
            results["second"] = "stored"
        except Exception as exc:  # whatever SQLite raised
            results["second"] = f"failed: {type(exc).__name__}"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT count(*) FROM t").scalar()
    assert stored == 0
    assert results["second"].startswith("failed")
    assert results["first"].startswith("not saved") and "full" in results["first"]
