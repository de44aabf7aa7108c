from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activelearn.data.datasets import FASHION_MNIST_DIR, load_dataset
from activelearn.errors import ActiveLearnError, ConfigError
from activelearn.learners.registry import make_learner


def test_limits_subsample_stratified_and_reproducibly():
    spec = {"name": "digits", "params": {"train_limit": 500}}
    a, b = load_dataset(spec, split_seed=0).data, load_dataset(spec, split_seed=1).data
    assert a.X.shape == (500, 64) and a.X.max() <= 1.0
    counts = np.bincount(a.labels)
    assert counts.max() - counts.min() <= 3  # digits is balanced (174-183 per class)
    assert not np.array_equal(a.X, b.X)
    np.testing.assert_array_equal(load_dataset(spec, split_seed=0).data.X, a.X)
    np.testing.assert_array_equal(a.ids, np.sort(a.ids))  # the original row numbers survive


def test_csv_text_and_feature_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,f1,f2,label\ngood film,1,2,pos\nbad film,3,4,neg\n,5,6,pos\nmeh,7,8,\n")
    common = {"path": str(path), "label_column": "label"}
    text = load_dataset({"name": "csv", "params": {**common, "text_column": "text"}})
    # blank texts and (for simulation) blank labels are skipped, and counted
    assert text.data.X == ["good film", "bad film"] and text.data.labels.tolist() == ["pos", "neg"]
    skipped = {e["row"]: e["reason"] for e in text.rows[0]["skipped"]}
    assert set(skipped) == {3, 4} and "blank text" in skipped[3] and "blank label" in skipped[4]
    numeric = load_dataset({"name": "csv", "params": {**common, "feature_columns": ["f1", "f2"]}})
    assert numeric.data.X.shape == (3, 2) and numeric.data.ids.tolist() == [1, 2, 3]
    people = load_dataset({"name": "csv", "params": {**common, "text_column": "text",
                                                     "labeled_only": False}})  # fmt: skip
    assert people.data.labels.tolist() == ["pos", "neg", None]
    with pytest.raises(ActiveLearnError, match="no column 'nope'"):
        load_dataset({"name": "csv", "params": {"path": str(path), "label_column": "nope"}})
    with pytest.raises(ConfigError, match="has no parameter 'texts'; accepted: path, label_column"):
        load_dataset({"name": "csv", "params": {"path": str(path), "texts": "x"}})


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).exists(), reason="Fashion-MNIST not installed")
def test_fashion_mnist_through_the_data_package():
    flat = load_dataset(
        {"name": "fashion_mnist", "params": {"train_limit": 1000, "test_limit": 500}}
    )
    assert flat.data.X.shape == (1000, 784) and flat.test.X.shape == (500, 784)
    assert flat.data.X.dtype == np.float32 and flat.data.X.min() >= 0 and flat.data.X.max() <= 1
    images = load_dataset(
        {"name": "fashion_mnist", "params": {"train_limit": 1000, "flatten": False}}
    )
    assert images.data.X.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(images.data.X.reshape(1000, -1), flat.data.X)


def test_learners_fit_and_take_the_seed():
    data = load_dataset({"name": "synthetic", "params": {"n_samples": 200}}).data
    model = make_learner({"name": "logistic_regression", "params": {"scale": True}}, seed=3)
    assert model.fit(data.X, data.labels).predict_proba(data.X).shape == (200, 2)
    assert model.steps[-1][1].class_weight == "balanced"  # an honest baseline by default
    unweighted = make_learner({"name": "logistic_regression", "params": {"class_weight": "none"}})
    assert unweighted.class_weight is None
    texts = ["good fun film", "bad dull film", "great fun", "awful dull"] * 5
    labels = np.array(["pos", "neg", "pos", "neg"] * 5)
    tfidf = make_learner({"name": "tfidf_logreg", "params": {"min_df": 1}}, seed=0)
    assert tfidf.fit(texts, labels).predict(["fun film"]).tolist() == ["pos"]
    assert tfidf.classifier_.random_state == 0


def test_torch_mlp_learner_gets_shape_and_classes():
    pytest.importorskip("activelearn.learners.models")
    data = load_dataset({"name": "synthetic", "params": {"n_samples": 300, "n_classes": 3}}).data
    model = make_learner(
        {"name": "mlp", "params": {"hidden": [16], "max_epochs": 3}},
        seed=0,
        input_shape=data.X.shape[1:],
        classes=[0, 1, 2],
    )
    probabilities = model.fit(data.X, data.labels).predict_proba(data.X)
    assert probabilities.shape == (300, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).exists(), reason="Fashion-MNIST not installed")
def test_fashion_mnist_keeps_only_the_classes_asked_for():
    two = load_dataset({"name": "fashion_mnist", "params": {"classes": [0, 6], "test_limit": 400}})
    assert two.data.classes.tolist() == [0, 6] and set(two.test.labels.tolist()) == {0, 6}
    assert len(two.data) == 12_000
    with pytest.raises(ConfigError, match="none of the classes"):
        load_dataset({"name": "fashion_mnist", "params": {"classes": [42]}})
