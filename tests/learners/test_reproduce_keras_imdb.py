"""The Keras IMDB reproduction on a tiny synthetic review set with a stand-in vectorizer."""

from __future__ import annotations

import functools
import json
from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from activelearn.errors import ConfigError, DataError, ResumeError  # noqa: E402
from activelearn.learners.models import BiLSTMClassifier, imdb_bilstm_learner  # noqa: E402
from activelearn.reproduce.keras_imdb import (  # noqa: E402
    QUICK,
    TUTORIAL,
    ImdbProtocol,
    active_learning_run,
    reproduce_keras_imdb,
    sampling_counts,
    stratified_splits,
)
from activelearn.strategies import ModelOutputs, make_strategy  # noqa: E402

TINY = ImdbProtocol(
    val_per_class=10,
    test_per_class=10,
    initial_per_class=15,
    pool_per_class=40,
    sampling_size=20,
    iterations=2,
    max_tokens=40,
    sequence_length=12,
)


class StandInVectorizer:
    """Test-only stand-in for activelearn.features.text_vectorizer.TextVectorizer:
    whitespace tokens, 0 = padding, 1 = out of vocabulary, most frequent words first."""

    def __init__(self, max_tokens: int = 40, sequence_length: int = 12) -> None:
        self.max_tokens, self.sequence_length = max_tokens, sequence_length

    def fit(self, texts):
        counts = Counter(word for text in texts for word in text.split())
        words = [w for w, _ in counts.most_common(self.max_tokens - 2)]
        self.index = {w: i + 2 for i, w in enumerate(words)}
        return self

    def transform(self, texts):
        out = np.zeros((len(texts), self.sequence_length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.index.get(w, 1) for w in text.split()][: self.sequence_length]
            out[row, : len(ids)] = ids
        return out


def synthetic_reviews(per_class: int = 75, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Reviews of filler words plus a few sentiment words, some of them misleading."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(20)]
    good, bad = ["great", "fine", "superb"], ["awful", "dull", "poor"]
    texts, labels = [], []
    for label in (0, 1) * per_class:
        own, other = (good, bad) if label else (bad, good)
        words = list(rng.choice(filler, 8)) + list(rng.choice(own, 2)) + list(rng.choice(other, 1))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


def tiny_learner(seed: int):
    return imdb_bilstm_learner(
        module_factory=functools.partial(
            BiLSTMClassifier, vocab_size=40, embedding_dim=8, lstm_units=4, dense_units=4
        ),
        batch_size=16,
        max_epochs=3,
        seed=seed,
        device="cpu",
    )


def test_tutorial_split_sizes_on_the_50k_reviews():
    labels = np.repeat([0, 1], 25_000)
    splits = stratified_splits(labels, TUTORIAL, np.random.default_rng(0))
    sizes = {k: len(v) for k, v in vars(splits).items()}
    assert sizes == {
        "val": 5000,
        "test": 5000,
        "initial": 15000,
        "pool_negative": 12500,
        "pool_positive": 12500,
        "pool": 25000,
    }
    for part in (splits.val, splits.test, splits.initial):
        assert labels[part].sum() == len(part) // 2, "balanced"
    everything = np.concatenate([splits.val, splits.test, splits.initial, splits.pool])
    assert len(np.unique(everything)) == 50_000
    assert (labels[splits.pool_positive] == 1).all() and (labels[splits.pool_negative] == 0).all()
    assert sorted(splits.pool) == sorted(
        np.concatenate([splits.pool_positive, splits.pool_negative])
    )


def test_quick_protocol_is_a_tenth():
    assert (QUICK.val_per_class, QUICK.test_per_class, QUICK.initial_per_class) == (250, 250, 750)
    assert (QUICK.pool_per_class, QUICK.sampling_size, QUICK.iterations) == (1250, 500, 3)


def test_too_few_reviews_is_a_data_error():
    with pytest.raises(DataError, match="quick=True"):
        stratified_splits(np.repeat([0, 1], 100), TUTORIAL, np.random.default_rng(0))


def test_sampling_counts_follow_the_tutorials_arithmetic():
    # positives get the false positives' share, negatives the false negatives', truncated
    assert sampling_counts(false_positives=300, false_negatives=100, sampling_size=5000) == (
        1250,
        3750,
    )
    assert sampling_counts(1, 2, 5000) == (3333, 1666)
    assert sampling_counts(0, 7, 5000) == (2500, 2500)


def _ratio_picks(p, false_negatives, false_positives, n):
    """The leakage-free variant's choice: the registered ratio strategy, least confidence."""
    # a validation set with exactly these errors: FN = positives predicted negative, etc.
    truth = [1] * false_negatives + [0] * false_positives + [0, 1]
    predicted_positive = [0.2] * false_negatives + [0.8] * false_positives + [0.2, 0.8]
    val = np.array([[1 - q, q] for q in predicted_positive])
    outputs = ModelOutputs(
        probabilities=np.column_stack([1 - p, p]), validation_labels=np.array(truth),
        validation_probabilities=val, classes=np.array([0, 1]),
    )  # fmt: skip
    strategy = make_strategy("ratio", uncertainty="least_confidence")
    return strategy.query(outputs, n, np.random.default_rng(0)).indices


def test_ratio_takes_the_most_uncertain_of_each_predicted_class_as_the_tutorial_splits():
    p = np.array([0.05, 0.45, 0.30, 0.55, 0.90, 0.70, 0.51])
    # 2 FN : 1 FP -> two of the items predicted negative, one predicted positive
    assert sorted(_ratio_picks(p, 2, 1, 3).tolist()) == [1, 2, 6]
    # only two items are predicted negative: the shortfall comes from the positives
    assert sorted(_ratio_picks(p[[1, 3, 4, 5]], 3, 1, 4).tolist()) == [0, 1, 2, 3]
    assert len(_ratio_picks(p, 1, 1, 20)) == len(p)


def _first_query(labels, splits, *, faithful):
    texts, _ = synthetic_reviews()
    queried = []
    protocol = ImdbProtocol(**{**vars(TINY), "iterations": 1})
    vectorizer = StandInVectorizer().fit([texts[i] for i in splits.initial])
    tokens = vectorizer.transform(texts)
    active_learning_run(
        tokens,
        labels,
        splits,
        tiny_learner(0),
        protocol=protocol,
        faithful=faithful,
        reload_best=True,
        emit=lambda name, info: queried.append(info["items"]) if name == "queried" else None,
    )
    return queried[0]


def test_leakage_free_selection_never_reads_the_pools_hidden_labels():
    _, labels = synthetic_reviews()
    splits = stratified_splits(labels, TINY, np.random.default_rng(0))
    shuffled = labels.copy()
    shuffled[splits.pool] = np.random.default_rng(1).permutation(labels[splits.pool])
    assert (shuffled[splits.pool] != labels[splits.pool]).any()

    honest = _first_query(labels, splits, faithful=False)
    assert _first_query(shuffled, splits, faithful=False) == honest
    assert set(honest) <= set(splits.pool.tolist())


def test_faithful_selection_is_steered_by_true_labels():
    """The contrast that shows the test above has teeth: the tutorial's draw follows the labels."""
    _, labels = synthetic_reviews()
    splits = stratified_splits(labels, TINY, np.random.default_rng(0))
    chosen = np.array(_first_query(labels, splits, faithful=True))
    n_negative = np.isin(chosen, splits.pool_negative).sum()
    assert chosen[:n_negative].tolist() == splits.pool_negative[:n_negative].tolist()
    assert (labels[chosen[:n_negative]] == 0).all() and (labels[chosen[n_negative:]] == 1).all()


@pytest.mark.parametrize("faithful", [False, True])
def test_end_to_end_on_tiny_reviews(faithful):
    texts, labels = synthetic_reviews()
    events = Counter()
    evaluated = []

    def on_event(name, info):
        events.update([name])
        if name == "evaluated":
            evaluated.append(info)

    result = reproduce_keras_imdb(
        texts,
        labels,
        seeds=(0, 1),
        faithful=faithful,
        protocol=TINY,
        on_event=on_event,
        vectorizer_factory=StandInVectorizer,
        learner_factory=tiny_learner,
    )
    assert result.leaks_test_set is faithful
    assert [s.seed for s in result.seeds] == [0, 1]
    for seed in result.seeds:
        assert seed.full.labels_used == 2 * (15 + 40)
        rounds = seed.active.rounds
        assert [r["round"] for r in rounds] == [0, 1, 2]
        assert seed.active.labels_used == 30 + sum(r.get("queried", 0) for r in rounds)
        assert all(r["queried"] <= TINY.sampling_size for r in rounds[1:])
        assert {r["round"] for r in seed.active.history} == {0, 1, 2}
        assert 0 <= seed.active.test.accuracy <= 1
        assert seed.active.test.accuracy == rounds[-1]["test_accuracy"]
    summary = result.summary()
    assert set(summary) == {"full", "active"}
    assert summary["full"]["labels_used"] == {"mean": 110.0, "std": 0.0}
    json.dumps(result.to_dict())
    assert "accuracy" in result.report()
    assert ("WARNING" in result.report()) is faithful
    assert events["split"] == 2 and events["queried"] == 4 and events["epoch"] >= 8
    assert all({"model", "round", "labels_used", "test_accuracy"} <= set(e) for e in evaluated)


def test_tutorial_checkpointing_reloads_the_runs_best_after_later_rounds():
    texts, labels = synthetic_reviews()
    result = reproduce_keras_imdb(
        texts,
        labels,
        seeds=(0,),
        protocol=TINY,
        reload_best=False,
        vectorizer_factory=StandInVectorizer,
        learner_factory=tiny_learner,
    )
    run = result.seeds[0].active
    best_so_far = np.minimum.accumulate(
        [min(r["val_loss"] for r in run.history if r["round"] == k) for k in range(3)]
    )
    # after rounds 1 and 2 the model holds the best checkpoint of the whole run so far
    for row, best in zip(run.rounds[1:], best_so_far[1:], strict=True):
        assert row["val_loss"] == pytest.approx(best, abs=1e-5)


def test_no_seeds_is_a_config_error():
    texts, labels = synthetic_reviews()
    with pytest.raises(ConfigError):
        reproduce_keras_imdb(texts, labels, seeds=())


@pytest.mark.parametrize("faithful", [False, True])
def test_run_keras_imdb_feeds_the_loaders_reviews(monkeypatch, faithful):
    from activelearn.data import imdb
    from activelearn.data.dataset import Dataset
    from activelearn.reproduce import keras_imdb

    def fake_load(path):
        assert path == "archive.tar.gz"
        split = Dataset(
            X=["good film", "bad film"],
            labels=np.array(["pos", "neg"]),
            ids=np.array(["a", "b"]),
            classes=np.array(["neg", "pos"]),
            raw=["good<br />film", "bad<br />film"],
        )
        return split, split

    seen = {}
    monkeypatch.setattr(imdb, "load_imdb", fake_load)
    monkeypatch.setattr(
        keras_imdb, "reproduce_keras_imdb", lambda *a, **kw: seen.update(a=a, kw=kw)
    )
    keras_imdb.run_keras_imdb("archive.tar.gz", seeds=(3,), faithful=faithful, quick=True)
    texts, labels = seen["a"]
    assert labels.tolist() == [1, 0, 1, 0]
    assert ("<br />" in texts[0]) is faithful, "faithful keeps the raw reviews, as the tutorial"
    assert seen["kw"]["protocol"] == QUICK and seen["kw"]["seeds"] == (3,)
    assert seen["kw"]["vectorizer_factory"]().strip_html_breaks is not faithful


def test_a_stopped_reproduction_resumes_its_seeds(tmp_path):
    """A seed that finished is read back; one stopped mid-run continues from its last round
    and ends exactly as a run that never stopped."""
    texts, labels = synthetic_reviews()
    common = dict(protocol=TINY, vectorizer_factory=StandInVectorizer, learner_factory=tiny_learner)
    straight = reproduce_keras_imdb(texts, labels, seeds=(0, 1), **common)

    class Stop(Exception):
        pass

    def stop_in_seed_1(name, info):
        seed_0_done = len(list((tmp_path / "out").glob("seed_*.json"))) == 1
        if name == "evaluated" and info["model"] == "active" and info["round"] == 1 and seed_0_done:
            raise Stop

    with pytest.raises(Stop):
        reproduce_keras_imdb(texts, labels, seeds=(0, 1), output=tmp_path / "out",
                             on_event=stop_in_seed_1, **common)  # fmt: skip
    events = []
    resumed = reproduce_keras_imdb(texts, labels, seeds=(0, 1), output=tmp_path / "out",
                                   on_event=lambda n, i: events.append(n), **common)  # fmt: skip
    assert events.count("reused") == 1
    for a, b in zip(straight.seeds, resumed.seeds, strict=True):
        assert a.full.test == b.full.test and a.active.test == b.active.test
        assert [r["test_accuracy"] for r in a.active.rounds] == [
            r["test_accuracy"] for r in b.active.rounds
        ]
    with pytest.raises(ResumeError, match="other settings"):
        reproduce_keras_imdb(texts, labels, seeds=(0,), output=tmp_path / "out", faithful=True,
                             **common)  # fmt: skip
