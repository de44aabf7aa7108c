import numpy as np
import pytest

from activelearn import DataError, Pool


def test_labels_are_coerced_to_the_class_type():
    pool = Pool(np.zeros((4, 2)), hidden_labels=[0, 1, 0, 1])
    pool.add_labels([2, 0], ["1", "0"])  # as read back from a CSV
    assert pool.labeled_indices.tolist() == [0, 2]
    assert pool.labels.tolist() == [0, 1]
    assert pool.unlabeled_indices.tolist() == [1, 3]


def test_unknown_label_is_refused_and_nothing_is_written():
    pool = Pool(np.zeros((3, 2)), classes=["neg", "pos"])
    with pytest.raises(DataError, match="not among the classes"):
        pool.add_labels([0, 1], ["pos", "maybe"])
    assert len(pool.labeled_indices) == 0


def test_ids_are_found_by_their_text_form():
    pool = Pool(["a", "b", "c"], ids=[10, 20, 30], classes=[0, 1])
    assert pool.positions(["30", 10]).tolist() == [2, 0]
    with pytest.raises(DataError, match="not in the pool"):
        pool.positions([40])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ids": [1, 1, 2]}, "unique"),
        ({"ids": [1, 2]}, "one id per item"),
        ({"hidden_labels": [0, 1]}, "3 items"),
        ({}, "pass `classes`"),
    ],
)
def test_bad_pools_are_refused(kwargs, message):
    with pytest.raises(DataError, match=message):
        Pool(["a", "b", "c"], **kwargs)


def test_empty_pool_is_refused():
    with pytest.raises(DataError, match="empty"):
        Pool(np.zeros((0, 3)), classes=[0, 1])
