from __future__ import annotations

import re
import sqlite3
import stat
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from activelearn.errors import ConfigError, DataError
from activelearn.store import Conflict, Forbidden, InvalidInput, NotFound, Store
from activelearn.store.models import Label, Lease

TEXTS = [f"review number {i}\nsecond line" for i in range(30)]


def test_open_twice_runs_migrations_once_and_keeps_data(tmp_path, store, project):
    store.close()
    again = Store.open(tmp_path / "project")
    assert again.project().name == "demo"
    with sqlite3.connect(tmp_path / "project" / "labels.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]


def test_a_database_of_the_first_schema_is_migrated_with_its_labels(tmp_path):
    """A project made before review and queue scores opens with every label where it was."""
    from sqlalchemy import create_engine

    from activelearn.store.database import _migrate

    path = tmp_path / "old" / "labels.db"
    path.parent.mkdir()
    engine = create_engine(f"sqlite:///{path}")
    _migrate(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO projects VALUES (1, 'old', '[\"neg\", \"pos\"]', 'margin', NULL, '{}', 0)"
        )
        connection.exec_driver_sql("INSERT INTO annotators VALUES (1, 1, 'ann', 'h', 0, 0)")
        connection.exec_driver_sql(
            "INSERT INTO items VALUES (1, 1, 'a', 'text', NULL, NULL, 'pool', 'labeled', 0, 0)"
        )
        connection.exec_driver_sql(
            "INSERT INTO labels VALUES (1, 1, 1, 1, 'label', 'pos', NULL, 's1', NULL, 0, NULL)"
        )
    engine.dispose()
    store = Store.open(path.parent)
    info = store.project()
    assert [(r.id, r.label, r.annotator) for r in store.labels(info.id)] == [("a", "pos", "ann")]
    (row,) = store.export_rows(info.id)
    assert row["review"] == "single" and row["answers"] == [{"annotator": "ann", "label": "pos"}]
    assert store.label_count(info.id) == 1


def test_tokens_are_random_and_stored_hashed(tmp_path, store, project):
    token = store.add_annotator(project.id, "carol")
    other = store.add_annotator(project.id, "dave")
    assert token != other and len(token) >= 40
    assert store.authenticate(token).name == "carol"
    assert store.authenticate("wrong") is None
    assert store.authenticate("") is None
    raw = (tmp_path / "project" / "labels.db").read_bytes()
    assert token.encode() not in raw
    with pytest.raises(ConfigError, match="exists already"):
        store.add_annotator(project.id, "carol")


def test_rotated_token_replaces_the_old_one(store, project):
    old = store.add_annotator(project.id, "carol")
    new = store.rotate_token(project.id, "carol")
    assert store.authenticate(old) is None
    assert store.authenticate(new).name == "carol"


def test_project_validation(store):
    with pytest.raises(ConfigError, match="two distinct classes"):
        store.create_project("x", ["a"])
    with pytest.raises(ConfigError, match="unknown settings"):
        store.create_project("x", ["a", "b"], settings={"retrain_evry": 3})
    with pytest.raises(DataError, match="not among the classes"):
        store.create_project("x", ["a", "b"], texts=["t"], labels=["c"])


def test_items_get_ids_splits_and_imported_labels(store):
    info = store.create_project(
        "p", ["neg", "pos"], texts=["a", "b", "c", "d"], ids=[10, 11, 12, 13],
        labels=["pos", None, "neg", None], settings={"heldout_fraction": 0.5},
    )  # fmt: skip
    records = store.labels(info.id)
    assert [(r.id, r.label, r.annotator) for r in records] == [
        ("10", "pos", "import"),
        ("12", "neg", "import"),
    ]
    progress = store.progress(info.id)
    assert progress["items"] == 4 and progress["open"] == 2 and progress["labeled"] == 2
    with pytest.raises(DataError, match="already in the project"):
        store.add_items(info.id, texts=["e"], ids=[10])


def test_next_item_leases_one_item_per_annotator(store, project, alice, bob):
    first, _ = store.next_item(alice)
    again, _ = store.next_item(alice)
    other, _ = store.next_item(bob)
    assert first.id == again.id
    assert other.id != first.id
    assert first.text == TEXTS[int(first.id)]


def test_expired_lease_returns_the_item_to_the_queue(store, alice, bob):
    item, _ = store.next_item(alice)
    with store.write() as session:
        session.get(Lease, session.scalar(_item_pk(item.id))).expires_at = time.time() - 1
    assert store.next_item(bob)[0].id == item.id
    # Alice's answer is now refused: the item belongs to Bob.
    with pytest.raises(Conflict, match="leased to another annotator"):
        store.submit(alice, item.id, "submission-1", value="pos")


def test_submit_is_idempotent_by_submission_id(store, project, alice):
    item, _ = store.next_item(alice)
    first = store.submit(alice, item.id, "submission-1", value="pos")
    again = store.submit(alice, item.id, "submission-1", value="pos")
    assert not first.replayed and again.replayed
    assert again.time == first.time
    assert len(store.labels(project.id)) == 1
    with pytest.raises(Conflict, match="already used for another answer"):
        store.submit(alice, item.id, "submission-1", value="neg")


@pytest.mark.parametrize(
    ("item_id", "value", "error", "message"),
    [
        ("999", "pos", NotFound, "no item with id '999'"),
        (None, "maybe", InvalidInput, "not one of the classes"),
        (None, None, InvalidInput, "not one of the classes"),
    ],
)
def test_bad_submissions_write_nothing(store, project, alice, item_id, value, error, message):
    item, _ = store.next_item(alice)
    with pytest.raises(error, match=message):
        store.submit(alice, item_id or item.id, "submission-1", value=value)
    assert store.labels(project.id, kinds=("label", "skip", "flag")) == []
    assert store.next_item(alice)[0].id == item.id  # the lease is untouched


def test_foreign_lease_and_labeled_items_are_refused(store, project, alice, bob):
    item, _ = store.next_item(alice)
    with pytest.raises(Conflict, match="leased to another annotator"):
        store.submit(bob, item.id, "submission-b", value="neg")
    store.submit(alice, item.id, "submission-a", value="pos")
    with pytest.raises(Conflict, match="labeled already"):
        store.submit(bob, item.id, "submission-c", value="neg")
    assert [(r.annotator, r.label) for r in store.labels(project.id)] == [("alice", "pos")]


def test_database_refuses_two_live_labels_for_one_item(store, project, alice, bob):
    item, _ = store.next_item(alice)
    store.submit(alice, item.id, "submission-a", value="pos")
    with pytest.raises(IntegrityError), store.write() as session:
        session.execute(
            insert(Label).values(
                project_id=project.id,
                item_id=session.scalar(_item_pk(item.id)),
                annotator_id=bob.id,
                kind="label",
                value="neg",
                submission_id="x",
                created_at=time.time(),
            )  # fmt: skip
        )


def test_skip_hides_the_item_from_the_skipper_only(store, project, alice, bob):
    item, _ = store.next_item(alice)
    store.submit(alice, item.id, "submission-1", kind="skip")
    assert store.next_item(alice)[0].id != item.id
    seen = {store.next_item(bob)[0].id}
    assert item.id in seen or store.progress(project.id)["open"] == len(TEXTS)


def test_flag_takes_the_item_out_of_the_queue(store, project, alice):
    item, _ = store.next_item(alice)
    store.submit(alice, item.id, "submission-1", kind="flag", note="garbled")
    assert store.progress(project.id)["flagged"] == 1
    served = set()
    while (nxt := store.next_item(alice)[0]) is not None:
        served.add(nxt.id)
        store.submit(alice, nxt.id, f"s-{nxt.id}-x", value="pos")
    assert item.id not in served and len(served) == len(TEXTS) - 1


def test_undo_takes_back_the_last_answer_and_leases_the_item_again(store, project, alice):
    first, _ = store.next_item(alice)
    store.submit(alice, first.id, "submission-1", value="pos")
    second, _ = store.next_item(alice)
    store.submit(alice, second.id, "submission-2", value="neg")
    undone, item = store.undo(alice)
    assert (undone.id, undone.label) == (second.id, "neg")
    assert item.id == second.id and store.next_item(alice)[0].id == second.id
    assert [r.id for r in store.labels(project.id)] == [first.id]
    store.submit(alice, second.id, "submission-3", value="pos")
    assert {r.id: r.label for r in store.labels(project.id)} == {first.id: "pos", second.id: "pos"}


def test_undo_with_nothing_to_undo(store, alice):
    with pytest.raises(NotFound, match="nothing to undo"):
        store.undo(alice)


def test_budget_stops_the_queue(store):
    info = store.create_project("b", ["a", "b"], texts=["x", "y", "z"], budget=2)
    who = store.authenticate(store.add_annotator(info.id, "w"))
    for n in range(2):
        item, _ = store.next_item(who)
        store.submit(who, item.id, f"submission-{n}", value="a")
    item, reason = store.next_item(who)
    assert item is None and "budget of 2" in reason


def test_heldout_items_are_served_in_proportion(store):
    info = store.create_project(
        "h", ["a", "b"], texts=[str(i) for i in range(200)], settings={"heldout_fraction": 0.25}
    )
    who = store.authenticate(store.add_annotator(info.id, "w"))
    for n in range(40):
        item, _ = store.next_item(who)
        store.submit(who, item.id, f"submission-{n}", value="a")
    assert 8 <= store.progress(info.id)["heldout_labeled"] <= 12


def test_image_paths_must_stay_inside_the_project_folder(store, project):
    (store.folder / "img").mkdir()
    (store.folder / "img" / "a.png").write_bytes(b"png")
    assert store.resolve_image("img/a.png") == store.folder / "img" / "a.png"
    for bad in ("../secret.png", "/etc/passwd", "img/../../x.png", "."):
        with pytest.raises(InvalidInput, match="outside the project folder"):
            store.resolve_image(bad)
    with pytest.raises(InvalidInput):
        store.add_items(project.id, images=["../../etc/passwd"])


def test_ranks_put_items_at_the_head_of_the_queue(store, project, alice):
    pool = store.open_items(project.id)
    wanted = [pool[-1].item_id, pool[-2].item_id]
    store.set_ranks(project.id, 1, wanted, n_labels=0, scores=[0.9, 0.8])
    texts = {item.item_id: item.text for item in pool}
    first, _ = store.next_item(alice)
    assert first.text == texts[wanted[0]]


def _item_pk(external_id):
    from sqlalchemy import select

    from activelearn.store.models import Item

    return select(Item.id).where(Item.external_id == external_id)


def _split_project(store, n=30, fraction=0.5, **settings):
    info = store.create_project(
        "split", ["neg", "pos"], texts=[f"text {i}" for i in range(n)],
        settings={"heldout_fraction": fraction, **settings},
    )  # fmt: skip
    return info, store.authenticate(store.add_annotator(info.id, "lone"))


def _splits(store, info):
    return {key: store.item(info.id, key).split for key in map(str, range(30))}


def test_only_the_item_leased_to_you_can_be_answered(store):
    """No way around the queue: a held-out item never served to you cannot be labeled."""
    info, alice = _split_project(store)
    served, _ = store.next_item(alice)
    others = [
        k for k, split in _splits(store, info).items() if split == "heldout" and k != served.id
    ]
    for kind, value in (("label", "pos"), ("skip", None), ("flag", None)):
        with pytest.raises(Conflict, match=f"item '{others[0]}' is not leased to you"):
            store.submit(alice, others[0], f"bypass-{kind}", kind=kind, value=value)
    assert store.labels(info.id, kinds=("label", "skip", "flag")) == []
    store.submit(alice, served.id, "submission-1", value="pos")
    with pytest.raises(Conflict, match="labeled already"):
        store.submit(alice, served.id, "submission-2", value="neg")


def test_a_late_answer_counts_until_someone_else_is_given_the_item(store, project, alice, bob):
    item, _ = store.next_item(alice)
    with store.write() as session:
        session.get(Lease, session.scalar(_item_pk(item.id))).expires_at = time.time() - 1
    other = str((int(item.id) + 1) % len(TEXTS))
    store.prioritize(project.id, [other], priority=9)
    assert store.next_item(bob)[0].id == other  # Bob is given another item: Alice's stays hers
    assert store.submit(alice, item.id, "submission-1", value="pos").label == "pos"


def test_model_version_must_name_a_model_that_made_predictions(store, project, alice):
    item, _ = store.next_item(alice)
    for version in (999999, 1):
        with pytest.raises(InvalidInput, match=f"model version {version} never made a prediction"):
            store.submit(alice, item.id, "submission-1", value="pos", model_version=version)
    version = store.start_version(project.id, [], 0, 0)
    with pytest.raises(InvalidInput, match="never made a prediction"):  # still training
        store.submit(alice, item.id, "submission-1", value="pos", model_version=version)
    store.finish_version(project.id, version, metrics={})
    assert store.submit(alice, item.id, "submission-1", value="pos", model_version=1)
    assert [r.model_version for r in store.labels(project.id)] == [1]


def test_an_admin_corrects_any_item_and_the_old_answer_keeps_its_row(store, project, alice, bob):
    admin = store.authenticate(store.add_annotator(project.id, "carol", admin=True))
    item, _ = store.next_item(alice)
    store.submit(alice, item.id, "submission-1", value="pos")
    with pytest.raises(Forbidden, match="admin token"):
        store.correct(bob, item.id, "fix-1", "neg")
    fixed = store.correct(admin, item.id, "fix-1", "neg", note="says 'dull'")
    assert store.correct(admin, item.id, "fix-1", "neg").replayed
    assert [(r.id, r.label, r.annotator) for r in store.labels(project.id)] == [
        (item.id, "neg", "carol")
    ]
    assert fixed.note == "says 'dull'"
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Label)) == 2  # nothing deleted
    held, _ = store.next_item(bob)
    with pytest.raises(Conflict, match="leased to another annotator right now"):
        store.correct(admin, held.id, "fix-2", "neg")
    never_served = next(k for k in map(str, range(len(TEXTS))) if k not in (item.id, held.id))
    store.correct(admin, never_served, "fix-3", "pos")
    assert store.progress(project.id)["labeled"] == 2


def test_skipped_items_come_back_after_the_rest_oldest_skip_first(store):
    info = store.create_project(
        "s", ["a", "b"], texts=["x", "y", "z"], settings={"heldout_fraction": 0.0}
    )
    who = store.authenticate(store.add_annotator(info.id, "w"))
    first, _ = store.next_item(who)
    store.submit(who, first.id, "skip-1", kind="skip")
    second, _ = store.next_item(who)
    store.submit(who, second.id, "skip-2", kind="skip")
    third, _ = store.next_item(who)
    assert len({first.id, second.id, third.id}) == 3  # the unskipped one first
    store.submit(who, third.id, "label-3", value="a")
    order = []
    for n in range(4):
        item, reason = store.next_item(who)
        assert item is not None, reason
        order.append(item.id)
        store.submit(who, item.id, f"skip-again-{n}", kind="skip")
    assert order == [first.id, second.id, first.id, second.id]


def test_a_lone_annotator_who_skips_heldout_items_can_still_finish_and_train(store):
    info, lone = _split_project(store, fraction=0.3, min_heldout=3)
    skipped = set()
    while (item := store.next_item(lone)[0]) is not None:
        if item.split == "heldout" and item.id not in skipped:
            skipped.add(item.id)
            store.submit(lone, item.id, f"skip-{item.id}", kind="skip")
        else:
            store.submit(lone, item.id, f"label-{item.id}", value="pos")
    assert skipped, "the held-out items came first and were skipped"
    assert store.progress(info.id)["open"] == 0
    readiness = store.readiness(info.id)
    assert readiness.heldout_labeled == len(skipped) >= readiness.min_heldout


def test_readiness_explains_why_there_is_no_model_yet(store):
    info, lone = _split_project(store, retrain_every=20, min_heldout=4)
    item, _ = store.next_item(lone)
    store.submit(lone, item.id, "submission-1", value="pos")
    readiness = store.readiness(info.id)
    assert readiness.explain() == (
        "no model yet: the first one trains after 20 labels incl. 4 held-out "
        f"(so far 1 label, {int(item.split == 'heldout')} held-out)"
    )
    enough = replace(readiness, labeled=25, heldout_labeled=5)
    assert enough.explain() == (
        "no model yet: its 25 labels (5 held-out) are enough for the first one, which the "
        "server trains (activelearn serve)"
    )
    tiny = store.create_project(
        "tiny", ["a", "b"], texts=["x", "y"], settings={"heldout_fraction": 0.0}
    )
    assert store.readiness(tiny.id).explain() == (
        "no model yet, and none can be trained: a model is evaluated on 10 held-out labels, "
        "but this project holds only 0 held-out items"
    )


def test_no_items_left_says_when_others_hold_the_rest(store):
    info = store.create_project("o", ["a", "b"], texts=["x"], settings={"heldout_fraction": 0.0})
    first = store.authenticate(store.add_annotator(info.id, "first"))
    second = store.authenticate(store.add_annotator(info.id, "second"))
    assert store.next_item(first)[0] is not None
    item, reason = store.next_item(second)
    assert item is None
    assert reason == (
        "no items left to label right now: 1 item is leased to other annotators "
        "and will come back if not answered in time"
    )


@pytest.mark.parametrize(
    ("texts", "ids", "message"),
    [
        (["fine", "cut\x00here"], ["a", "b"], "item 'b': its text contains a NUL byte"),
        (["fine", "fine too"], ["a", "b\x00"], "item 'b\\x00': its id contains a NUL byte"),
        (["fine", "cut\x00"], None, "item '1': its text contains a NUL byte"),
    ],
)
def test_a_nul_byte_is_refused_naming_the_item(store, texts, ids, message):
    info = store.create_project("nul", ["a", "b"], settings={"heldout_fraction": 0.0})
    with pytest.raises(DataError, match=re.escape(message)):
        store.add_items(info.id, texts=texts, ids=ids)
    assert store.progress(info.id)["items"] == 0  # nothing of the batch was written


def test_the_database_and_its_wal_files_are_private(tmp_path, store, project, alice):
    """Like the tokens file: labels and token hashes are for the project's owner alone."""
    item, _ = store.next_item(alice)
    store.submit(alice, item.id, "submission-1", value="pos")
    files = [tmp_path / "project" / f"labels.db{suffix}" for suffix in ("", "-wal", "-shm")]
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_an_older_world_readable_database_is_made_private(tmp_path):
    Store.open(tmp_path / "old").close()
    for suffix in ("", "-wal", "-shm"):
        path = tmp_path / "old" / f"labels.db{suffix}"
        if path.exists():
            path.chmod(0o644)
    Store.open(tmp_path / "old").close()
    assert stat.S_IMODE((tmp_path / "old" / "labels.db").stat().st_mode) == 0o600


def test_leases_skip_the_fsync_answers_never_do(store, project, alice):
    """A lease is cheap to lose (served again); an acknowledged answer must be on disk."""
    from sqlalchemy import event

    seen = []
    event.listen(
        store.engine,
        "begin",
        lambda conn: seen.append(conn.exec_driver_sql("PRAGMA synchronous").scalar()),
    )
    item, _ = store.next_item(alice)
    leased, seen[:] = list(seen), []
    store.submit(alice, item.id, "sub-durable", value="pos")
    assert leased == [1] and seen == [2]  # 1: NORMAL (no fsync at commit), 2: FULL
    item, _ = store.next_item(alice)
    with store.engine.connect() as connection:  # the pooled connection is FULL again
        assert connection.connection.dbapi_connection.execute("PRAGMA synchronous").fetchone() == (
            2,
        )
