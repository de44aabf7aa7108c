"""TorchLearner on tiny synthetic problems."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp

torch = pytest.importorskip("torch")

from activelearn.errors import ConfigError, DataError  # noqa: E402
from activelearn.learners.base import can_embed, can_sample, fresh_copy  # noqa: E402
from activelearn.learners.models import MLP  # noqa: E402
from activelearn.learners.torch_trainer import TorchLearner  # noqa: E402


def blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two well separated Gaussian blobs in 5 dimensions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 5)) + 1.5 * (2 * y[:, None] - 1)
    return X.astype(np.float32), y


class OneLogit(torch.nn.Module):
    """A binary model with a single (sigmoid) output and dropout, like the Keras tutorial's head."""

    def __init__(self, n_features: int = 5) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, 16)
        self.dropout = torch.nn.Dropout(0.5)
        self.out = torch.nn.Linear(16, 1)

    def embed(self, x):
        return torch.relu(self.hidden(x))

    def forward(self, x):
        return self.out(self.dropout(self.embed(x)))


def mlp_learner(**kwargs) -> TorchLearner:
    settings = {
        "batch_size": 32,
        "max_epochs": 10,
        "learning_rate": 0.01,
        "seed": 0,
        "device": "cpu",
    }
    settings.update(kwargs)
    return TorchLearner(functools.partial(MLP, 5, 2, hidden=(16,)), **settings)


def test_learns_a_separable_problem():
    X, y = blobs()
    learner = mlp_learner().fit(X, y)
    X_test, y_test = blobs(seed=1)
    assert (learner.predict(X_test) == y_test).mean() > 0.95
    assert learner.score(X_test, y_test) > 0.95


def test_binary_one_output_gives_two_columns_that_sum_to_one():
    X, y = blobs()
    labels = np.where(y == 1, "pos", "neg")
    learner = TorchLearner(OneLogit, max_epochs=3, device="cpu").fit(X, labels)
    p = learner.predict_proba(X)
    assert p.shape == (len(X), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    assert learner.classes_.tolist() == ["neg", "pos"]
    assert set(learner.predict(X)) <= {"neg", "pos"}


def test_early_stopping_restores_the_epoch_with_the_lowest_validation_loss():
    # Random labels on a few points: the model overfits and validation loss rises.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)).astype(np.float32), rng.integers(0, 2, 40)
    X_val, y_val = rng.normal(size=(200, 5)).astype(np.float32), rng.integers(0, 2, 200)
    learner = TorchLearner(
        functools.partial(MLP, 5, 2, hidden=(256,), dropout=0.0),
        learning_rate=0.05,
        batch_size=8,
        max_epochs=30,
        patience=3,
        device="cpu",
    ).fit(X, y, validation=(X_val, y_val))

    val_losses = [record["val_loss"] for record in learner.history_]
    best = int(np.argmin(val_losses))
    assert learner.best_epoch_ == best + 1
    assert len(val_losses) == best + 1 + 3, "stops `patience` epochs after the best"
    p = learner.predict_proba(X_val)
    restored_loss = -np.log(p[np.arange(len(y_val)), y_val]).mean()
    assert restored_loss == pytest.approx(min(val_losses), abs=1e-5)
    assert restored_loss < val_losses[-1] - 1e-3


def test_without_restore_the_last_epoch_stays_but_the_best_is_kept():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)).astype(np.float32), rng.integers(0, 2, 40)
    X_val, y_val = rng.normal(size=(200, 5)).astype(np.float32), rng.integers(0, 2, 200)
    learner = TorchLearner(
        functools.partial(MLP, 5, 2, hidden=(256,), dropout=0.0),
        learning_rate=0.05,
        batch_size=8,
        max_epochs=30,
        patience=3,
        restore_best=False,
        device="cpu",
    ).fit(X, y, validation=(X_val, y_val))
    p = learner.predict_proba(X_val)
    last_loss = -np.log(p[np.arange(len(y_val)), y_val]).mean()
    assert last_loss == pytest.approx(learner.history_[-1]["val_loss"], abs=1e-5)
    learner.load_state_dict(learner.best_state_)
    p = learner.predict_proba(X_val)
    assert -np.log(p[np.arange(len(y_val)), y_val]).mean() == pytest.approx(
        learner.best_val_loss_, abs=1e-5
    )


def test_each_fit_builds_a_fresh_optimizer_and_warm_start_keeps_the_module():
    made = []

    def optimizer(params):
        made.append(torch.optim.Adam(params, lr=1e-3))
        return made[-1]

    X, y = blobs()
    learner = mlp_learner(optimizer=optimizer, max_epochs=1, warm_start=True).fit(X, y)
    module = learner.module_
    before = {k: v.clone() for k, v in module.state_dict().items()}
    learner.fit(X, y)
    assert len(made) == 2 and made[0] is not made[1]
    assert learner.module_ is module, "warm start continues the same weights"
    assert any(not torch.equal(before[k], v) for k, v in module.state_dict().items())

    cold = mlp_learner(max_epochs=1).fit(X, y)
    first = cold.module_
    cold.fit(X, y)
    assert cold.module_ is not first, "without warm start every fit starts from scratch"


def test_same_seed_same_probabilities_different_seed_different():
    X, y = blobs()
    p1 = mlp_learner(seed=7, max_epochs=2).fit(X, y).predict_proba(X)
    p2 = mlp_learner(seed=7, max_epochs=2).fit(X, y).predict_proba(X)
    p3 = mlp_learner(seed=8, max_epochs=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_seeded_training_leaves_the_global_torch_rng_alone():
    X, y = blobs()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    mlp_learner(max_epochs=1).fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)


def test_mc_dropout_samples_vary_and_are_reproducible():
    X, y = blobs()
    learner = TorchLearner(OneLogit, max_epochs=3, device="cpu").fit(X, y)
    samples = learner.predict_proba_samples(X[:20], 8)
    assert samples.shape == (8, 20, 2)
    np.testing.assert_allclose(samples.sum(axis=2), 1.0, atol=1e-6)
    assert np.ptp(samples[:, :, 1], axis=0).max() > 1e-3, "dropout makes the samples differ"
    np.testing.assert_array_equal(samples, learner.predict_proba_samples(X[:20], 8))
    assert np.abs(samples.mean(axis=0) - learner.predict_proba(X[:20])).mean() < 0.2
    # predict_proba is deterministic again afterwards (dropout back in eval mode)
    np.testing.assert_array_equal(learner.predict_proba(X[:20]), learner.predict_proba(X[:20]))
    assert can_sample(learner)


def test_mc_dropout_needs_a_dropout_layer():
    X, y = blobs()
    learner = TorchLearner(lambda: torch.nn.Linear(5, 2), max_epochs=1, device="cpu").fit(X, y)
    with pytest.raises(ConfigError, match="dropout"):
        learner.predict_proba_samples(X, 2)


def test_embed_gives_the_penultimate_layer():
    X, y = blobs()
    learner = mlp_learner(max_epochs=1).fit(X, y)
    assert can_embed(learner)
    assert learner.embed(X).shape == (len(X), 16)
    sequential = TorchLearner(
        lambda: torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2)),
        max_epochs=1,
        device="cpu",
    ).fit(X, y)
    assert sequential.embed(X[:4]).shape == (4, 7)


def test_sparse_inputs_are_densified_per_batch():
    X, y = blobs()
    learner = mlp_learner(max_epochs=3).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(learner.predict_proba(sp.csr_matrix(X)), learner.predict_proba(X))


def test_history_and_epoch_callback():
    X, y = blobs()
    seen = []
    learner = mlp_learner(max_epochs=3, on_epoch=seen.append, patience=None, progress=True)
    learner.fit(X[:150], y[:150], validation=(X[150:], y[150:]))
    assert [r["epoch"] for r in learner.history_] == [1, 2, 3]
    assert seen == learner.history_
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(seen[0])


def test_balanced_class_weights_train_on_a_skewed_set():
    X, y = blobs()
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:5]])
    learner = mlp_learner(class_weight="balanced", max_epochs=20).fit(X[keep], y[keep])
    assert (learner.predict(X) == y).mean() > 0.9
    with pytest.raises(ConfigError, match="class_weight"):
        mlp_learner(class_weight="heavy").fit(X, y)


def test_declared_classes_allow_a_single_class_seed():
    X, y = blobs()
    with pytest.raises(DataError, match="single class"):
        mlp_learner(max_epochs=1).fit(X[y == 0], y[y == 0])
    learner = mlp_learner(max_epochs=1, classes=[0, 1]).fit(X[y == 0], y[y == 0])
    assert learner.predict_proba(X).shape == (len(X), 2)


def test_bad_inputs_raise_project_errors():
    X, y = blobs()
    with pytest.raises(ConfigError, match="not fitted"):
        mlp_learner().predict_proba(X)
    with pytest.raises(DataError, match="vectorize"):
        mlp_learner().fit(np.array(["a review", "another"]), [0, 1])
    with pytest.raises(DataError, match="not among the classes"):
        mlp_learner(classes=[0, 1]).fit(X, y + 1)
    with pytest.raises(DataError, match="labels"):
        mlp_learner().fit(X, y[:-1])
    with pytest.raises(ConfigError, match="logits of shape"):
        TorchLearner(lambda: torch.nn.Linear(5, 3), device="cpu").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA"):
            mlp_learner(device="cuda").fit(X, y)
    with pytest.raises(ConfigError, match="unknown device"):
        mlp_learner(device="tpu9").fit(X, y)
    with pytest.raises(ConfigError, match="unknown optimizer"):
        mlp_learner(optimizer="adagrad").fit(X, y)


def test_fresh_copy_is_unfitted_with_the_same_settings():
    X, y = blobs()
    learner = mlp_learner(max_epochs=1, seed=3).fit(X, y)
    copy = fresh_copy(learner)
    assert copy.get_params()["seed"] == 3
    assert not hasattr(copy, "module_")
