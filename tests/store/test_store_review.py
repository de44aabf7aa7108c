"""Overlap items: two annotators each, agreement between them, conflicts an admin settles."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import cohen_kappa_score

from activelearn.store import Store, export_labels
from activelearn.store.agreement import cohen_kappa, krippendorff_alpha
from activelearn.store.errors import Conflict

TEXTS = [f"review {i}" for i in range(12)]


@pytest.fixture
def review(tmp_path):
    store = Store.open(tmp_path / "project")
    info = store.create_project(
        "demo", ["neg", "pos"], texts=TEXTS, settings={"heldout_fraction": 0.0, "overlap": 1.0}
    )
    people = {
        name: store.authenticate(store.add_annotator(info.id, name, admin=name == "admin"))
        for name in ("alice", "bob", "carol", "admin")
    }
    return store, info, people


def _answer(store, who, label, n=[0]):  # noqa: B006 - a counter for unique submission ids
    item, _ = store.next_item(who)
    n[0] += 1
    store.submit(who, item.id, f"s{n[0]}", value=label)
    return item.id


def test_an_overlap_item_goes_to_a_second_annotator_and_agreement_labels_it(review):
    store, info, people = review
    first = _answer(store, people["alice"], "pos")
    assert store.item(info.id, first).split == "pool"
    assert store.progress(info.id)["review"] == 1
    # Alice never gets her own item back; Bob gets it first (it finishes an item).
    assert store.next_item(people["alice"])[0].id != first
    assert store.next_item(people["bob"])[0].id == first
    store.submit(people["bob"], first, "b1", value="pos")
    assert store.progress(info.id)["review"] == 0 and store.progress(info.id)["conflicts"] == 0
    [row] = [r for r in store.export_rows(info.id) if r["id"] == first]
    assert row["label"] == "pos" and row["review"] == "agreed"
    assert row["answers"] == [{"annotator": "alice", "label": "pos"},
                              {"annotator": "bob", "label": "pos"}]  # fmt: skip
    # A resent second opinion is answered once, not refused.
    assert store.submit(people["bob"], first, "b1", value="pos").replayed


def test_a_conflict_trains_nothing_until_an_admin_settles_it(review, tmp_path):
    store, info, people = review
    item = _answer(store, people["alice"], "pos")
    assert store.next_item(people["bob"])[0].id == item
    store.submit(people["bob"], item, "b1", value="neg")
    assert store.progress(info.id)["conflicts"] == 1
    assert [c["id"] for c in store.conflicts(info.id)] == [item]
    assert [r.item_id for r in store.training_rows(info.id)] == []
    assert store.label_count(info.id) == 0
    [row] = store.export_rows(info.id)
    assert row["label"] is None and row["review"] == "conflict"
    # Neither can take theirs back once there are two; an admin decides.
    with pytest.raises(Conflict, match="second opinion since"):
        store.undo(people["alice"])
    store.correct(people["admin"], item, "settle-1", "neg", note="settled")
    assert store.conflicts(info.id) == []
    (trained,) = store.training_rows(info.id)
    assert trained.label == "neg"
    path = tmp_path / "labels.jsonl"
    export_labels(store, info.id, path)
    (row,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert (row["label"], row["annotator"], row["review"]) == ("neg", "admin", "settled")
    assert json.loads(row["answers"]) == [{"annotator": "alice", "label": "pos"},
                                          {"annotator": "bob", "label": "neg"}]  # fmt: skip


def test_undoing_a_second_opinion_puts_the_item_back_in_review(review):
    store, info, people = review
    item = _answer(store, people["alice"], "pos")
    assert store.next_item(people["bob"])[0].id == item
    store.submit(people["bob"], item, "b1", value="neg")
    undone, again = store.undo(people["bob"])
    assert undone.kind == "second" and again.id == item
    assert store.progress(info.id)["review"] == 1 and store.conflicts(info.id) == []


def test_agreement_per_pair_per_class_and_overall(review):
    store, info, people = review
    plan = [("alice", "bob", "pos", "pos"), ("alice", "bob", "neg", "neg"),
            ("alice", "bob", "pos", "neg"), ("bob", "carol", "neg", "neg"),
            ("bob", "carol", "pos", "pos"), ("carol", "alice", "pos", "neg"),
            ("carol", "alice", "neg", "neg")]  # fmt: skip
    for first, second, a, b in plan:
        item = _answer(store, people[first], a)
        while (leased := store.next_item(people[second])[0]).id != item:
            store.submit(people[second], leased.id, f"skip-{leased.id}", kind="skip")
        store.submit(people[second], item, f"{second}-{item}", value=b)
    result = store.agreement(info.id)
    assert result["items"] == 7 and result["annotators"] == 3
    assert result["agreement"] == pytest.approx(5 / 7)
    pairs = {tuple(p["annotators"]): p for p in result["pairs"]}
    assert pairs[("alice", "bob")]["items"] == 3
    expected = cohen_kappa_score(["pos", "neg", "pos"], ["pos", "neg", "neg"])
    assert pairs[("alice", "bob")]["kappa"] == pytest.approx(expected)
    assert pairs[("bob", "carol")]["kappa"] == pytest.approx(1.0)
    assert result["classes"]["pos"]["items"] == 4  # items where someone said pos
    assert result["alpha"] is not None and -1 <= result["alpha"] <= 1


def test_krippendorffs_alpha_matches_his_worked_example():
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four
    observers, twelve units, nominal data with gaps: alpha = 0.743."""
    observers = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    units = [
        {name: str(values[j]) for name, values in observers.items() if values[j] is not None}
        for j in range(12)
    ]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha([{"a": "x", "b": "x"}]) is None  # one value: undefined
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None
