"""The loop drives people through the label store exactly as it drives a simulation."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from activelearn.data.pool import Pool
from activelearn.errors import LabelsPending
from activelearn.loop import ActiveLearningLoop
from activelearn.store import Store, StoreOracle


def _people_answer(store: Store, project_id: int, truth: dict[str, str], name: str) -> int:
    """An annotator labels everything the queue serves; returns how many they labeled."""
    who = store.authenticate(store.add_annotator(project_id, name))
    done = 0
    while (item := store.next_item(who)[0]) is not None:
        store.submit(who, item.id, f"submission-{item.id}", value=truth[item.id])
        done += 1
    return done


def test_loop_gets_labels_from_people_through_the_store(tmp_path):
    texts = [("good great " if i % 2 else "bad awful ") + f"film {i}" for i in range(40)]
    truth = {str(1000 + i): ("pos" if i % 2 else "neg") for i in range(40)}
    pool = Pool(texts, ids=list(range(1000, 1040)), classes=["neg", "pos"])
    store = Store.open(tmp_path / "project")
    project = store.create_project("loop", ["neg", "pos"], settings={"heldout_fraction": 0.0})
    loop = ActiveLearningLoop(
        pool, make_pipeline(TfidfVectorizer(), LogisticRegression()),
        oracle=StoreOracle(store, project.id), initial_size=6, batch_size=4, max_rounds=2,
    )  # fmt: skip
    with pytest.raises(LabelsPending, match="labeling queue"):
        loop.step()
    # The seed items are in the store now, at the head of the queue.
    assert store.progress(project.id)["items"] == 6
    assert _people_answer(store, project.id, truth, "ann") == 6
    loop.step()
    with pytest.raises(LabelsPending):
        loop.step()
    assert _people_answer(store, project.id, truth, "bea") == 4
    record = loop.step()
    assert record["n_labeled"] == 10
    labels = {r.id: r.label for r in store.labels(project.id)}
    assert labels == {key: truth[key] for key in labels}
    assert len(labels) == 10


def test_items_the_loop_adds_are_never_drawn_into_the_heldout_set(tmp_path):
    """The loop asked for them to learn from: a held-out draw would silently withhold them."""
    texts = [f"film {i}" for i in range(20)]
    store = Store.open(tmp_path / "project")
    project = store.create_project("loop", ["neg", "pos"], settings={"heldout_fraction": 0.9})
    oracle = StoreOracle(store, project.id)
    assert oracle.label(list(range(20)), texts) == [None] * 20
    splits = {store.item(project.id, str(i)).split for i in range(20)}
    assert splits == {"pool"}
    # Items added otherwise still get the random held-out share.
    store.add_items(project.id, texts=texts, ids=[f"x{i}" for i in range(20)])
    assert {store.item(project.id, f"x{i}").split for i in range(20)} == {"pool", "heldout"}
