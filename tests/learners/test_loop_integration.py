"""TorchLearner in the loop: validation reaches fit; MC samples, embeddings reach strategies."""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from activelearn.data.pool import Pool  # noqa: E402
from activelearn.learners.models import MLP  # noqa: E402
from activelearn.learners.torch_trainer import TorchLearner  # noqa: E402
from activelearn.loop import ActiveLearningLoop  # noqa: E402


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return (rng.normal(size=(n, 5)) + 1.5 * (2 * y[:, None] - 1)).astype(np.float32), y


@pytest.mark.parametrize("strategy", ["entropy", "bald", "coreset", "badge"])
def test_loop_drives_the_torch_learner(strategy):
    X, y = blobs(300, 0)
    X_val, y_val = blobs(60, 1)
    learner = TorchLearner(
        functools.partial(MLP, 5, 2, hidden=(16,)),
        learning_rate=0.01,
        max_epochs=3,
        classes=[0, 1],
        device="cpu",
    )
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y),
        learner,
        strategy,
        batch_size=10,
        initial_size=20,
        max_rounds=2,
        validation=(X_val, y_val),
        seed=0,
    )
    loop.run()
    assert len(loop.pool.labeled_indices) == 40
    assert "val_loss" in learner.history_[0], "the loop passes its validation set to fit"
