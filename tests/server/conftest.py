from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import Project, new_project

from activelearn.server.app import create_app
from activelearn.server.trainer import Trainer


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return new_project(tmp_path / "project")


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    trainer = Trainer(project.store, project.info.id, isolate=False)
    app = create_app(project.store, project.info.id, trainer=trainer)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
