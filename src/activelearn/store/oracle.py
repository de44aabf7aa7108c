"""The loop's oracle on top of the label store: people answer through the labeling server.

``ActiveLearningLoop(..., oracle=StoreOracle(store, project_id))`` puts every
queried item in the project (if it is not there yet), moves it to the head of
the queue, and returns the labels people have given so far (``None`` for the
rest). The loop then stops with ``LabelsPending`` and picks up the answers
when resumed, exactly as with the file oracle; ``wait`` makes it poll instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from activelearn.store.models import POOL
from activelearn.store.store import Store


class StoreOracle:
    """Answers from the label store, matched by item id (``str(id)``)."""

    def __init__(
        self, store: Store, project_id: int, *, wait: float = 0.0, poll_seconds: float = 2.0
    ) -> None:
        self.store = store
        self.project_id = project_id
        self.wait = wait
        self.poll_seconds = poll_seconds
        self._missing = 0

    def label(self, ids: np.ndarray, raw: Sequence[Any]) -> list[Any]:
        keys = [str(key) for key in np.asarray(ids).tolist()]
        self._add_missing(keys, raw)
        self.store.prioritize(self.project_id, keys)
        deadline = time.monotonic() + self.wait
        while True:
            answers = {r.id: r.label for r in self.store.labels(self.project_id)}
            labels = [answers.get(key) for key in keys]
            self._missing = sum(label is None for label in labels)
            if self._missing == 0 or time.monotonic() >= deadline:
                return labels
            time.sleep(self.poll_seconds)

    def pending_hint(self) -> str:
        return (
            f"{self._missing} items wait in the labeling queue of {self.store.folder}: "
            f"run `activelearn serve {self.store.folder}` and resume when they are labeled"
        )

    def _add_missing(self, keys: list[str], raw: Sequence[Any]) -> None:
        known = self.store.existing_ids(self.project_id, keys)
        absent = [(key, str(item)) for key, item in zip(keys, raw, strict=True) if key not in known]
        if absent:
            # The loop asked for these to learn from: never drawn into the held-out set.
            self.store.add_items(
                self.project_id, texts=[t for _, t in absent], ids=[k for k, _ in absent],
                split=POOL,
            )  # fmt: skip
