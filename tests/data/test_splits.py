import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelearn.data.dataset import Dataset, unlabeled_pool
from activelearn.data.datasets import LoadedData
from activelearn.data.pool import Pool
from activelearn.data.protocol import split
from activelearn.data.splits import select_seed, stratified_split
from activelearn.errors import ConfigError, DataError


def skewed_labels():
    return np.array(["a"] * 80 + ["b"] * 20)


def test_stratified_split_keeps_class_mix_and_exact_sizes():
    labels = skewed_labels()
    val, test, train = stratified_split(labels, [0.1, 30], np.random.default_rng(0))
    assert (len(train), len(val), len(test)) == (60, 10, 30)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    assert np.sum(labels[val] == "b") == 2
    assert np.sum(labels[test] == "b") == 6
    assert np.sum(labels[train] == "b") == 12


def test_stratified_split_is_deterministic_given_the_generator():
    labels = skewed_labels()
    first = stratified_split(labels, [0.25], np.random.default_rng(7))
    second = stratified_split(labels, [0.25], np.random.default_rng(7))
    other = stratified_split(labels, [0.25], np.random.default_rng(8))
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_stratified_split_refuses_a_class_too_small_to_spread():
    labels = np.array(["a"] * 10 + ["rare"] * 2)
    with pytest.raises(DataError, match=r"'rare' \(2 items\)"):
        stratified_split(labels, [0.1, 0.2], np.random.default_rng(0))


@pytest.mark.parametrize("size", [1.5, -1, 1000, True])
def test_stratified_split_rejects_bad_sizes(size):
    with pytest.raises(ConfigError):
        stratified_split(skewed_labels(), [size], np.random.default_rng(0))


def pool_of(labels):
    return Pool(np.zeros((len(labels), 2)), hidden_labels=labels)


def test_balanced_seed_has_equal_classes_from_unlabeled_items():
    pool = pool_of(skewed_labels())
    pool.add_labels([80, 81], ["b", "b"])
    seed = select_seed(pool, 10, np.random.default_rng(0))
    assert len(seed) == 10 and len(np.unique(seed)) == 10
    assert not set(seed.tolist()) & {80, 81}
    assert np.sum(pool.hidden_labels[seed] == "a") == 5


def test_balanced_seed_spreads_the_remainder():
    pool = pool_of(np.repeat([0, 1, 2], 10))
    seed = select_seed(pool, 7, np.random.default_rng(3))
    assert sorted(np.bincount(pool.hidden_labels[seed]).tolist()) == [2, 2, 3]


def test_balanced_seed_needs_enough_items_per_class():
    pool = pool_of(np.array(["a"] * 20 + ["b"] * 2))
    with pytest.raises(DataError, match="'b' needs 5, has 2"):
        select_seed(pool, 10, np.random.default_rng(0))


def test_random_seed_with_one_class_is_an_error():
    pool = pool_of(np.array(["a"] * 99 + ["b"]))
    with pytest.raises(DataError, match="only one class"):
        select_seed(pool, 2, np.random.default_rng(0), balanced=False)


def test_seed_needs_hidden_labels_and_a_sane_size():
    pool = Pool([1, 2, 3], classes=[0, 1])
    with pytest.raises(DataError, match="hidden labels"):
        select_seed(pool, 2, np.random.default_rng(0))
    with pytest.raises(ConfigError):
        select_seed(pool_of(skewed_labels()), 1, np.random.default_rng(0))


def text_dataset(n=40):
    texts = [f"text {i}" for i in range(n)]
    labels = np.array(["neg", "pos"] * (n // 2))
    return Dataset(texts, labels, [f"id{i}" for i in range(n)], ["neg", "pos"])


def test_dataset_take_and_split_keep_rows_aligned():
    data = text_dataset()
    part = data.take(np.array([3, 0]))
    assert part.X == ["text 3", "text 0"] and part.ids.tolist() == ["id3", "id0"]
    assert part.raw == part.X
    val, rest = data.split([0.25], np.random.default_rng(0))
    assert len(val) == 10 and len(rest) == 30
    for d in (val, rest):
        assert all(x == f"text {i[2:]}" for x, i in zip(d.X, d.ids, strict=True))


def test_dataset_checks_lengths():
    with pytest.raises(DataError, match="2 labels for 3 items"):
        Dataset([1, 2, 3], [0, 1], [0, 1, 2], [0, 1])


class Recorder:
    def fit(self, X):
        self.fitted_on = list(X)
        return self

    def transform(self, X):
        return np.array([[float(x.split()[1])] for x in X])

    def fit_transform(self, X):
        return self.fit(X).transform(X)


def test_the_split_protocol_fixes_the_test_set_and_draws_validation_per_seed():
    data = text_dataset()
    first = split(LoadedData(data), seed=0, validation_size=0.1, test_size=0.2)
    # the validation share is of the labeled items left after the test set (10% of 32)
    assert (len(first.pool), len(first.validation), len(first.test)) == (29, 3, 8)
    assert set(first.test.ids.tolist()).isdisjoint(first.pool.ids.tolist())
    assert set(first.validation.ids.tolist()).isdisjoint(first.pool.ids.tolist())
    other = split(LoadedData(data), seed=1, validation_size=0.1, test_size=0.2)
    assert other.test.ids.tolist() == first.test.ids.tolist()  # fixed by split_seed
    assert other.validation.ids.tolist() != first.validation.ids.tolist()  # drawn per seed
    order = data.ids.tolist()
    positions = [order.index(i) for i in first.pool.ids.tolist()]
    assert positions == sorted(positions)  # the pool keeps file order


def test_a_given_test_set_and_unlabeled_rows_that_stay_in_the_pool():
    data, test = text_dataset(), text_dataset(10)
    splits = split(LoadedData(data, test), seed=0, validation_size=8)
    assert len(splits.validation) == 8 and len(splits.pool) == 32 and splits.test is test
    labels = data.labels.astype(object)
    labels[:5] = None  # rows people have not labeled yet
    partial = Dataset(data.X, labels, data.ids, data.classes)
    splits = split(LoadedData(partial), seed=0, validation_size=0.1, test_size=0.2)
    assert splits.info["n_unlabeled"] == 5
    assert {f"id{i}" for i in range(5)} <= set(splits.pool.ids.tolist())  # never held out


def test_unlabeled_pool_starts_with_the_known_labels():
    data = Dataset(
        ["a", "b", "c"], np.array(["pos", None, "neg"], dtype=object), [0, 1, 2], ["neg", "pos"]
    )
    pool = unlabeled_pool(data)
    assert pool.labeled_indices.tolist() == [0, 2]
    assert pool.labels.tolist() == ["pos", "neg"] and pool.hidden_labels is None


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(3, 40), min_size=2, max_size=5),
    first=st.floats(0.05, 0.45),
    second=st.floats(0.05, 0.45),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_partitions_with_exact_sizes(counts, first, second, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    n = len(labels)
    parts = stratified_split(labels, [first, second], np.random.default_rng(seed))
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))
    assert [len(p) for p in parts[:2]] == [round(first * n), round(second * n)]
    per_class = np.bincount(labels[parts[0]], minlength=len(counts))
    ideal = np.array(counts) * round(first * n) / n
    assert np.all(np.abs(per_class - ideal) < 1)


def test_dataset_repr_is_short():
    assert repr(text_dataset()) == ("Dataset(40 items, 40 labeled, classes=['neg', 'pos'], X=list)")
