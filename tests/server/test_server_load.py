"""50 simulated annotators against a real uvicorn server: nothing lost, nothing doubled.

The run lasts ``ACTIVELEARN_LOAD_SECONDS`` (default 5 s); the slow variant runs the
60 s the issue asks for. Everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import os

import pytest
from server_helpers import live_server, new_project
from sqlalchemy import func, select

from activelearn.server.simulate import simulate
from activelearn.store.models import Label, Lease

ANNOTATORS = 50


def _run(tmp_path, seconds: float) -> None:
    project = new_project(
        tmp_path / "p", n=4000, annotators=ANNOTATORS, retrain_every=100, min_heldout=5
    )
    tokens = [token for name, token in project.tokens.items() if name != "admin"]
    assert len(tokens) == ANNOTATORS
    with live_server(project.store.folder) as (url, _process):
        report = simulate(url, tokens, project.truth, duration=seconds, resend_rate=0.1, seed=1)
    print(report.summary())
    assert report.refused == []
    assert report.acknowledged, "no label went through"
    acknowledged = {a["id"]: a for a in report.acknowledged}
    assert len(acknowledged) == len(report.acknowledged), "an item was acknowledged twice"

    stored = project.store.labels(project.info.id)
    by_id = {r.id: r for r in stored}
    missing = set(acknowledged) - set(by_id)
    unexpected = set(by_id) - set(acknowledged)
    assert not missing and not unexpected
    assert len(stored) == len(by_id), "an item holds two live labels"
    names = {token: name for name, token in project.tokens.items()}
    for key, answer in acknowledged.items():
        assert by_id[key].label == answer["label"]
        assert by_id[key].annotator == names[tokens[answer["annotator"]]]
    with project.store.read() as session:
        rows = session.execute(select(Label.item_id, func.count()).group_by(Label.item_id)).all()
        assert all(count == 1 for _, count in rows), "an item was labeled by two people"
        assert session.scalar(select(func.count()).select_from(Lease)) <= ANNOTATORS


def test_fifty_annotators_lose_and_double_nothing(tmp_path):
    _run(tmp_path, float(os.environ.get("ACTIVELEARN_LOAD_SECONDS", "5")))


@pytest.mark.slow
def test_fifty_annotators_for_a_minute(tmp_path):
    _run(tmp_path, 60.0)
