"""Background retraining: when it runs, what it swaps in, and what survives a failure or restart."""

from __future__ import annotations

import threading

import pytest
from server_helpers import new_project, wait_until
from sqlalchemy import select

import activelearn.server.trainer as trainer_module
from activelearn.errors import DataError
from activelearn.server.trainer import Trainer
from activelearn.store.models import OPEN, POOL, Item, Round


def _label_n(project, n, who="alice"):
    who = project.store.authenticate(project.tokens[who])
    for _ in range(n):
        item, _ = project.store.next_item(who)
        project.store.submit(who, item.id, f"sub-{item.id}-{who.id}", value=project.truth[item.id])


def _started(project, **kwargs):
    trainer = Trainer(project.store, project.info.id, isolate=False, **kwargs)
    trainer.start()
    return trainer


def test_retrains_every_n_labels_and_reranks_the_queue(tmp_path):
    project = new_project(tmp_path / "p", n=80, retrain_every=20)
    trainer = _started(project)
    try:
        _label_n(project, 19)
        trainer.notify()
        assert not wait_until(lambda: trainer.current is not None, 1.0)
        _label_n(project, 1)
        trainer.notify()
        assert wait_until(lambda: trainer.current is not None, 30)
        status = trainer.status()
        assert status["state"] == "ready" and status["version"] == 1
        assert 0 <= status["metrics"]["accuracy"] <= 1
        assert status["n_train"] + project.store.versions(project.info.id)[0]["n_heldout"] == 20
        assert wait_until(lambda: _rounds(project) == 1, 10)
        # The head of the pool queue is the item the model is least sure about, and it says so.
        pool = project.store.open_items(project.info.id)
        confidence = {i.external_id: trainer.current.guesses[i.external_id][1] for i in pool}
        with project.store.read() as session:
            head = session.scalar(
                select(Item)
                .where(Item.state == OPEN, Item.split == POOL)
                .order_by(Item.priority.desc(), Item.rank, Item.id)
                .limit(1)
            )
        assert confidence[head.external_id] == min(confidence.values())
        assert head.ranked_by == 1 and head.score == 1 - confidence[head.external_id]
    finally:
        trainer.stop()


@pytest.mark.parametrize("finished_by", ["budget", "no items left"])
def test_a_finished_project_trains_a_final_model_on_its_last_labels(tmp_path, finished_by):
    # 30 labels in all: one retrain at 20, then 10 more, fewer than 20.
    if finished_by == "budget":
        project = new_project(tmp_path / "p", n=80, retrain_every=20, budget=30)
    else:
        project = new_project(tmp_path / "p", n=30, retrain_every=20)
    trainer = _started(project)
    try:
        _label_n(project, 20)
        trainer.notify()
        assert wait_until(lambda: trainer.status()["version"] == 1, 30)
        _label_n(project, 9)
        trainer.notify()
        assert not wait_until(lambda: len(project.store.versions(project.info.id)) > 1, 1.0)
        _label_n(project, 1)  # finished: its last 10 labels train version 2
        trainer.notify()
        assert wait_until(lambda: trainer.status()["version"] == 2, 30)
        version = project.store.versions(project.info.id)[-1]
        assert version["n_train"] + version["n_heldout"] == 30
        trainer.notify()  # and nothing more after that
        assert not wait_until(lambda: len(project.store.versions(project.info.id)) > 2, 1.0)
    finally:
        trainer.stop()


def test_waits_for_enough_heldout_labels(tmp_path):
    project = new_project(tmp_path / "p", n=40, min_heldout=1000)
    trainer = _started(project)
    try:
        _label_n(project, 10)
        trainer.request()
        assert wait_until(lambda: trainer.waiting is not None, 10)
        assert "held-out labels" in trainer.status()["waiting"]
        assert project.store.versions(project.info.id) == []
    finally:
        trainer.stop()


def test_the_new_model_is_swapped_in_only_when_trained_and_a_failure_keeps_the_old(
    tmp_path, monkeypatch
):
    project = new_project(tmp_path / "p", n=80)
    trainer = _started(project)
    try:
        _label_n(project, 20)
        trainer.request()
        assert wait_until(lambda: trainer.current is not None, 30)
        first = trainer.current

        release = threading.Event()
        real = trainer_module.train_and_score

        def slow(*args, **kwargs):
            release.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(trainer_module, "train_and_score", slow)
        _label_n(project, 5)
        trainer.request()
        assert wait_until(lambda: trainer.status()["state"] == "training", 10)
        assert trainer.current is first  # still serving v1 while v2 trains
        item = project.store.open_items(project.info.id)[0].external_id
        assert trainer.predict(item)["version"] == 1
        release.set()
        assert wait_until(lambda: trainer.current is not first, 30)
        assert trainer.status() | {"metrics": None} == trainer.status() | {
            "state": "ready", "version": 2, "metrics": None, "error": None,
        }  # fmt: skip

        def broken(*args, **kwargs):
            raise DataError("the labeled set is cursed")

        monkeypatch.setattr(trainer_module, "train_and_score", broken)
        trainer.request()
        assert wait_until(lambda: trainer.status()["state"] == "failed", 30)
        status = trainer.status()
        assert status["version"] == 2 and "cursed" in status["error"]
        assert trainer.predict(item)["version"] == 2
        assert [v["status"] for v in project.store.versions(project.info.id)] == [
            "ready", "ready", "failed",
        ]  # fmt: skip
    finally:
        trainer.stop()


def test_restart_rebuilds_the_model_from_labels_without_unpickling(tmp_path):
    project = new_project(tmp_path / "p", n=80)
    trainer = _started(project)
    try:
        _label_n(project, 20)
        trainer.request()
        assert wait_until(lambda: trainer.current is not None, 30)
        before = trainer.current.guesses
    finally:
        trainer.stop()
    # Labels change after the version was trained; the rebuild must use the old set.
    _label_n(project, 10, who="bob")
    project.store.start_version(project.info.id, [], 0, 0)  # left "training" by a crash
    again = _started(project)
    try:
        assert wait_until(lambda: again.current is not None, 30)
        assert again.current.version == 1
        after = again.current.guesses  # the items still open: the same guesses
        assert after and set(after) < set(before)
        assert {key: before[key] for key in after} == after
        versions = project.store.versions(project.info.id)
        assert versions[-1]["status"] == "failed" and "interrupted" in versions[-1]["error"]
    finally:
        again.stop()
    leftovers = [p for p in project.store.folder.rglob("*") if p.suffix in {".pkl", ".joblib"}]
    assert leftovers == []


def test_isolated_training_in_a_child_process(tmp_path):
    project = new_project(tmp_path / "p", n=60)
    trainer = Trainer(project.store, project.info.id, isolate=True)
    _label_n(project, 15)
    assert trainer.train_once() == 1
    assert trainer.current.version == 1
    item = project.store.open_items(project.info.id)[0].external_id
    assert trainer.predict(item)["label"] in ("neg", "pos")


def _rounds(project):
    with project.store.read() as session:
        return len(session.scalars(select(Round)).all())
