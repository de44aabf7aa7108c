"""SIGKILL the server while a retrain runs: acknowledged labels survive, the old model serves."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import kill_group, live_server, new_project, wait_until

from activelearn.server.client import Client
from activelearn.server.simulate import simulate


def _model(url, token):
    with Client(url, token) as client:
        return client.model()


def test_kill_during_retrain_loses_no_label_and_keeps_the_model(tmp_path):
    project = new_project(tmp_path / "p", n=1000, annotators=4, min_heldout=3)
    folder = project.store.folder
    tokens = [project.tokens[name] for name in ("alice", "bob", "sim-0", "sim-1")]
    admin = project.tokens["admin"]

    with live_server(folder) as (url, process):
        first = simulate(url, tokens, project.truth, max_labels=40)
        Client(url, admin).train()
        assert wait_until(lambda: _model(url, admin)["state"] == "ready", 120, 0.2)
        second = simulate(url, tokens, project.truth, max_labels=20)
        Client(url, admin).train()
        assert wait_until(lambda: _model(url, admin)["state"] == "training", 60, 0.02)
        kill_group(process)  # SIGKILL to the server and its training child
        assert process.returncode == -9
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/api/health", timeout=1)

    acknowledged = {a["id"]: a["label"] for a in first.acknowledged + second.acknowledged}
    assert len(acknowledged) == 60
    stored = {r.id: r.label for r in project.store.labels(project.info.id)}
    assert stored == acknowledged
    versions = project.store.versions(project.info.id)
    assert [v["status"] for v in versions] == ["ready", "training"]

    with live_server(folder) as (url, _process):
        assert wait_until(lambda: _model(url, admin)["version"] == 1, 120, 0.2)
        status = _model(url, admin)
        assert status["state"] in ("ready", "failed")
        with Client(url, project.tokens["alice"]) as client:
            item = client.next_item()
            assert item["prediction"]["version"] == 1
    versions = project.store.versions(project.info.id)
    assert versions[1]["status"] == "failed" and "interrupted" in versions[1]["error"]
    assert {r.id: r.label for r in project.store.labels(project.info.id)} == acknowledged
