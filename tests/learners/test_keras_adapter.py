"""KerasLearner on the torch backend with a tiny tutorial-style model."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # keras was imported earlier with another backend
    pytest.skip("these tests need KERAS_BACKEND=torch", allow_module_level=True)

from activelearn.errors import ConfigError  # noqa: E402
from activelearn.learners.keras_adapter import KerasLearner  # noqa: E402

# Keras' own variables trip NumPy 2's copy-keyword deprecation; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return (rng.normal(size=(n, 5)) + 1.5 * (2 * y[:, None] - 1)).astype(np.float32), y


def sigmoid_model(hidden: int = 8) -> keras.Model:
    """Written the way the Keras tutorial writes its model."""
    return keras.Sequential(
        [
            keras.layers.Input(shape=(5,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def learner(**kwargs) -> KerasLearner:
    settings = {"optimizer": lambda: keras.optimizers.Adam(0.01), "max_epochs": 10, "seed": 0}
    settings.update(kwargs)
    return KerasLearner(sigmoid_model, **settings)


def test_learns_and_returns_both_columns_for_a_sigmoid_model():
    X, y = blobs()
    fitted = learner().fit(X, np.where(y == 1, "pos", "neg"))
    X_test, y_test = blobs(seed=1)
    p = fitted.predict_proba(X_test)
    assert p.shape == (len(X_test), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    assert (fitted.predict(X_test) == np.where(y_test == 1, "pos", "neg")).mean() > 0.9
    assert [r["epoch"] for r in fitted.history_] == list(range(1, 11))


def test_early_stopping_restores_the_best_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)).astype(np.float32), rng.integers(0, 2, 40)
    X_val, y_val = rng.normal(size=(200, 5)).astype(np.float32), rng.integers(0, 2, 200)
    fitted = KerasLearner(
        lambda: sigmoid_model(hidden=128),
        optimizer=lambda: keras.optimizers.Adam(0.05),
        batch_size=8,
        max_epochs=30,
        patience=3,
    ).fit(X, y, validation=(X_val, y_val))
    val_losses = [r["val_loss"] for r in fitted.history_]
    p = np.clip(fitted.predict_proba(X_val), 1e-7, 1 - 1e-7)
    restored = -np.log(p[np.arange(len(y_val)), y_val]).mean()
    assert restored == pytest.approx(min(val_losses), abs=1e-4)
    assert len(val_losses) < 30


def test_each_fit_recompiles_with_a_fresh_optimizer_and_warm_start_keeps_the_model():
    made = []

    def optimizer():
        made.append(keras.optimizers.RMSprop())
        return made[-1]

    X, y = blobs()
    fitted = learner(optimizer=optimizer, max_epochs=1, warm_start=True).fit(X, y)
    model = fitted.model_
    fitted.fit(X, y)
    assert len(made) == 2 and made[0] is not made[1]
    assert fitted.model_ is model and fitted.model_.optimizer is made[1]


def test_same_seed_same_probabilities():
    X, y = blobs()
    p1 = learner(max_epochs=2, seed=5).fit(X, y).predict_proba(X)
    p2 = learner(max_epochs=2, seed=5).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(p1, p2, atol=1e-6)


def test_softmax_models_and_output_mismatch():
    X, y = blobs()
    three = np.where(X[:, 0] > 1, 2, y)

    def softmax_model():
        return keras.Sequential(
            [keras.layers.Input(shape=(5,)), keras.layers.Dense(3, activation="softmax")]
        )

    p = KerasLearner(softmax_model, max_epochs=1).fit(X, three).predict_proba(X)
    assert p.shape == (len(X), 3)
    with pytest.raises(ConfigError, match="outputs"):
        KerasLearner(sigmoid_model, max_epochs=1).fit(X, three)
    with pytest.raises(ConfigError, match="optimizer"):
        KerasLearner(sigmoid_model, optimizer="no-such", max_epochs=1).fit(X, y)
