import numpy as np

from activelearn.metrics import align_columns, classification_metrics


def test_binary_metrics_count_false_positives_and_negatives():
    y = np.array([0, 0, 1, 1, 1])
    p1 = np.array([0.9, 0.2, 0.8, 0.3, 0.6])  # predictions: 1 0 1 0 1
    metrics = classification_metrics(y, np.column_stack([1 - p1, p1]), np.array([0, 1]))
    assert metrics["accuracy"] == 0.6
    assert (metrics["fp"], metrics["fn"]) == (1, 1)
    assert metrics["precision"] == 2 / 3
    assert metrics["recall"] == 2 / 3


def test_columns_are_aligned_to_the_pool_classes():
    p = np.array([[0.3, 0.7]])
    aligned = align_columns(p, np.array(["b", "c"]), np.array(["a", "b", "c"]))
    assert aligned.tolist() == [[0.0, 0.3, 0.7]]
