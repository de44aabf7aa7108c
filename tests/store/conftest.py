from __future__ import annotations

from pathlib import Path

import pytest

from activelearn.store import AnnotatorInfo, ProjectInfo, Store

TEXTS = [f"review number {i}\nsecond line" for i in range(30)]  # also in test_label_store.py


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "project")
    yield opened
    opened.close()


@pytest.fixture
def project(store: Store) -> ProjectInfo:
    return store.create_project(
        "demo", ["neg", "pos"], texts=TEXTS, settings={"heldout_fraction": 0.0}
    )


@pytest.fixture
def alice(store: Store, project: ProjectInfo) -> AnnotatorInfo:
    return store.authenticate(store.add_annotator(project.id, "alice"))


@pytest.fixture
def bob(store: Store, project: ProjectInfo) -> AnnotatorInfo:
    return store.authenticate(store.add_annotator(project.id, "bob"))
