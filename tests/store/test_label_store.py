from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from activelearn.errors import ConfigError, DataError
from activelearn.store import Conflict, InvalidInput, NotFound, Store
from activelearn.store.models import Label, Lease

TEXTS = [f"review number {i}\nsecond line" for i in range(30)]


def test_open_twice_runs_migrations_once_and_keeps_data(tmp_path, store, project):
    store.close()
    again = Store.open(tmp_path / "project")
    assert again.project().name == "demo"
    with sqlite3.connect(tmp_path / "project" / "labels.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]


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
    pool = store.open_pool_items(project.id)
    wanted = [pool[-1][0], pool[-2][0]]
    store.set_ranks(project.id, 1, wanted, n_labels=0)
    texts = {item_id: text for item_id, text in pool}
    first, _ = store.next_item(alice)
    assert first.text == texts[wanted[0]]


def _item_pk(external_id):
    from sqlalchemy import select

    from activelearn.store.models import Item

    return select(Item.id).where(Item.external_id == external_id)
