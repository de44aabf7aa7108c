from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activelearn.errors import ActiveLearnError
from activelearn.experiments.datasets import FASHION_MNIST_DIR, load_dataset
from activelearn.experiments.learners import make_learner


def test_limits_subsample_stratified_and_reproducibly():
    spec = {"name": "digits", "params": {"train_limit": 500}}
    a, b = load_dataset(spec, split_seed=0), load_dataset(spec, split_seed=1)
    assert a.X.shape == (500, 64) and a.X.max() <= 1.0
    counts = np.bincount(a.y)
    assert counts.max() - counts.min() <= 3  # digits is balanced (174-183 per class)
    assert not np.array_equal(a.X, b.X)
    np.testing.assert_array_equal(load_dataset(spec, split_seed=0).X, a.X)


def test_csv_text_and_feature_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,f1,f2,label\ngood film,1,2,pos\nbad film,3,4,neg\n,5,6,pos\nmeh,7,8,\n")
    common = {"path": str(path), "label_column": "label"}
    text = load_dataset({"name": "csv", "params": {**common, "text_column": "text"}})
    assert text.X == ["good film", "bad film", ""] and text.y.tolist() == ["pos", "neg", "pos"]
    numeric = load_dataset({"name": "csv", "params": {**common, "feature_columns": ["f1", "f2"]}})
    assert numeric.X.shape == (3, 2)
    with pytest.raises(ActiveLearnError, match="no column 'nope'"):
        load_dataset({"name": "csv", "params": {"path": str(path), "label_column": "nope"}})


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).exists(), reason="Fashion-MNIST not installed")
def test_fashion_mnist_through_the_data_package():
    flat = load_dataset(
        {"name": "fashion_mnist", "params": {"train_limit": 1000, "test_limit": 500}}
    )
    assert flat.X.shape == (1000, 784) and flat.X_test.shape == (500, 784)
    assert flat.X.dtype == np.float32 and flat.X.min() >= 0.0 and flat.X.max() <= 1.0
    images = load_dataset(
        {"name": "fashion_mnist", "params": {"train_limit": 1000, "flatten": False}}
    )
    assert images.X.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(images.X.reshape(1000, -1), flat.X)


def test_learners_fit_and_take_the_seed():
    data = load_dataset({"name": "synthetic", "params": {"n_samples": 200}})
    model = make_learner({"name": "logistic_regression", "params": {"scale": True}}, seed=3)
    assert model.fit(data.X, data.y).predict_proba(data.X).shape == (200, 2)
    texts = ["good fun film", "bad dull film", "great fun", "awful dull"] * 5
    labels = np.array(["pos", "neg", "pos", "neg"] * 5)
    tfidf = make_learner({"name": "tfidf_logreg", "params": {"min_df": 1}}, seed=0)
    assert tfidf.fit(texts, labels).predict(["fun film"]).tolist() == ["pos"]
    assert tfidf.steps[-1][1].random_state == 0


def test_torch_mlp_learner_gets_shape_and_classes():
    pytest.importorskip("activelearn.learners.models")
    data = load_dataset({"name": "synthetic", "params": {"n_samples": 300, "n_classes": 3}})
    model = make_learner(
        {"name": "mlp", "params": {"hidden": [16], "max_epochs": 3}},
        seed=0,
        input_shape=data.X.shape[1:],
        classes=[0, 1, 2],
    )
    probabilities = model.fit(data.X, data.y).predict_proba(data.X)
    assert probabilities.shape == (300, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
