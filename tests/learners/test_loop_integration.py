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


def test_a_warm_started_network_resumes_exactly_where_it_stopped(tmp_path):
    """The loop reloads the learner's checkpoint (weights_only) instead of refitting, so a run
    stopped after round 2 and resumed ends exactly like one that never stopped."""
    X, y = blobs(300, 0)
    X_val, y_val = blobs(60, 1)

    def loop(run_dir, rounds, resume=False):
        learner = TorchLearner(
            functools.partial(MLP, 5, 2, hidden=(16,)), learning_rate=0.01, max_epochs=3,
            warm_start=True, classes=[0, 1], device="cpu", seed=4,
        )  # fmt: skip
        return ActiveLearningLoop(
            Pool(X, hidden_labels=y), learner, "margin", batch_size=10, initial_size=20,
            max_rounds=rounds, validation=(X_val, y_val), seed=0, run_dir=run_dir,
            resume=resume,
        )  # fmt: skip

    straight = loop(tmp_path / "straight", 4).run()
    loop(tmp_path / "stopped", 2).run()
    assert (tmp_path / "stopped" / "learner.pt").exists()
    resumed = loop(tmp_path / "stopped", 4, resume=True).run()
    assert [r["val_accuracy"] for r in resumed] == [r["val_accuracy"] for r in straight]
    assert [r["val_loss"] for r in resumed] == [r["val_loss"] for r in straight]
