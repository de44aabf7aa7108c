"""The learner contract, checked for every built-in learner inside the loop.

Like scikit-learn's ``parametrize_with_checks``: each learner runs two rounds of
:class:`ActiveLearningLoop` with one strategy of every family whose needs it
meets (probabilities; validation errors; Monte-Carlo samples; embeddings,
from the learner or from dense features) and must give valid, aligned
probabilities, grow the labeled set by exactly the batch, never pick an item
twice, and pick the same items again for the same seed. A family whose needs
it does not meet must be refused with a message that says what to do.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

from activelearn import ActiveLearningLoop, Pool
from activelearn.learners.base import can_embed, can_sample
from activelearn.learners.registry import make_learner
from activelearn.strategies.base import MissingOutputError

torch = pytest.importorskip("torch")

FAMILIES = {
    "uncertainty": "margin",
    "validation errors": "ratio",
    "random": "random",
    "committee": "vote_entropy",
    "bayesian": "bald",
    "diversity": "coreset",
    "uncertainty and diversity": "badge",
    "cold start": "typiclust",
}
NEEDS_SAMPLES = {"committee", "bayesian"}
NEEDS_EMBEDDINGS = {"diversity", "uncertainty and diversity", "cold start"}


def _numeric(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 6)) + 1.5 * np.eye(3)[y] @ rng.normal(size=(3, 6))
    return X.astype(np.float32), y


def _images(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = (0.5 * rng.random((n, 1, 8, 8))).astype(np.float32)
    X[y == 1, :, 2:6, 2:6] += 0.5  # a bright square marks class 1
    return X, y


def _texts(n, seed):
    rng = np.random.default_rng(seed)
    words = {0: ["dull", "poor", "awful", "bad"], 1: ["great", "fine", "superb", "good"]}
    y = rng.integers(0, 2, n)
    texts = [" ".join([*rng.choice(words[label], 2), f"w{rng.integers(9)}", "film"]) for label in y]
    return texts, y


def _tokens(n, seed):
    from activelearn.features.text_vectorizer import TextVectorizer

    texts, y = _texts(n, seed)
    return TextVectorizer(max_tokens=30, sequence_length=6).fit(_texts(200, 9)[0]).transform(
        texts
    ), y


def _keras_available() -> bool:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return False
    return keras.backend.backend() == "torch"


def _keras_mlp(n_features, n_classes):
    import keras

    return keras.Sequential(
        [keras.Input((n_features,)), keras.layers.Dense(8, activation="relu"),
         keras.layers.Dense(n_classes, activation="softmax")]
    )  # fmt: skip


def _keras(seed):
    from activelearn.learners.keras_adapter import KerasLearner

    return KerasLearner(functools.partial(_keras_mlp, 6, 3), max_epochs=2, seed=seed)


def _finetune(seed):
    from test_finetune import TinyBackbone  # a stand-in for the pretrained network

    from activelearn.features.backbone import ImagePreprocess, image_layout
    from activelearn.learners.finetune import FineTuneLearner, FineTuneNet

    def net():
        return FineTuneNet(ImagePreprocess(image_layout((1, 8, 8)), 16), TinyBackbone(), 2, 0.2)

    return FineTuneLearner(net, head_epochs=1, full_epochs=1, batch_size=16, device="cpu",
                           seed=seed)  # fmt: skip


# name -> (data maker, learner maker(seed), dense features double as embeddings?)
LEARNERS = {
    "logistic_regression": (_numeric, lambda s: make_learner("logistic_regression", s), True),
    "logistic_regression scaled": (
        _numeric, lambda s: make_learner({"name": "logistic_regression",
                                          "params": {"scale": True}}, s), True),
    "tfidf_logreg (the server's model)": (
        _texts, lambda s: make_learner({"name": "tfidf_logreg", "params": {"min_df": 1}}, s),
        False),
    "committee": (_numeric, lambda s: make_learner({"name": "committee",
                                                    "params": {"n_members": 3}}, s), True),
    "mlp": (_numeric, lambda s: make_learner({"name": "mlp", "params": {"hidden": [8],
            "max_epochs": 2}}, s, input_shape=(6,), classes=[0, 1, 2]), False),
    "cnn": (_images, lambda s: make_learner({"name": "cnn", "params": {"channels": [4],
            "hidden": 8, "max_epochs": 2}}, s, input_shape=(1, 8, 8), classes=[0, 1]), False),
    "bilstm": (_tokens, lambda s: make_learner({"name": "bilstm", "params": {"vocab_size": 30,
               "max_epochs": 2}}, s, classes=[0, 1]), False),
    "keras": (_numeric, _keras, True),
    "finetune (tiny backbone)": (_images, _finetune, False),
}  # fmt: skip


def _meets(family, learner, dense):
    if family in NEEDS_SAMPLES:
        return can_sample(learner)
    if family in NEEDS_EMBEDDINGS:
        return dense or can_embed(learner)
    return True


def _loop(name, strategy, seed=0):
    make_data, make, dense = LEARNERS[name]
    X, y = make_data(160, 0)
    X_val, y_val = make_data(40, 1)
    learner = make(seed)
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), learner, strategy, initial_size=30, batch_size=10,
        max_rounds=2, validation=(X_val, y_val), test=(X_val, y_val),
        embeddings=X if dense else None, seed=seed,
    )  # fmt: skip
    return loop, learner, dense


CASES = [(name, family) for name in LEARNERS for family in FAMILIES]
# Keras' own variables trip NumPy 2's copy-keyword deprecation; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.mark.parametrize(("name", "family"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_every_learner_in_the_loop_with_every_family_it_can_serve(name, family):
    if name == "keras" and not _keras_available():
        pytest.skip("KerasLearner needs keras on the torch backend")
    loop, learner, dense = _loop(name, FAMILIES[family])
    if not _meets(family, learner, dense):
        with pytest.raises(MissingOutputError, match="needs (samples|embeddings)") as info:
            loop.run()
        assert "committee" in str(info.value) or "embed" in str(info.value)
        return
    history = loop.run()
    assert [r["n_labeled"] for r in history] == [30, 40, 50]
    labeled = loop.pool.labeled_indices
    assert len(labeled) == len(set(labeled.tolist())) == 50
    probabilities = loop.predict_positions(loop.pool.unlabeled_indices)
    assert probabilities.shape == (len(loop.pool) - 50, len(loop.pool.classes))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert 0 <= history[-1]["accuracy"] <= 1 and "val_accuracy" in history[-1]
    again, _, _ = _loop(name, FAMILIES[family])
    again.run()
    np.testing.assert_array_equal(again.pool.labeled_indices, labeled)  # same seed, same picks
