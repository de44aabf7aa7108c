import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelearn import ConfigError, LabelsPending, ModelOutputError, Pool, ResumeError
from activelearn.loop import ActiveLearningLoop
from activelearn.oracles import FileOracle
from activelearn.stopping import TargetMetric


def make_loop(blobs, strategy="least_confidence", **kwargs):
    X, y, Xt, yt = blobs
    settings = {"batch_size": 10, "initial_size": 10, "initial_method": "balanced", "max_rounds": 5}
    settings.update(kwargs)
    return ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), strategy, test=(Xt, yt), **settings
    )


def test_rounds_add_one_batch_each_and_record_metrics(blobs):
    loop = make_loop(blobs)
    history = loop.run()
    assert [r["n_labeled"] for r in history] == [10, 20, 30, 40, 50, 60]
    assert loop.stop_reason == "5 rounds done"
    assert all(0.5 <= r["accuracy"] <= 1 for r in history)
    assert sum(history[1]["class_histogram"].values()) == 10
    assert history[0]["class_histogram"] == {"0": 5, "1": 5}


def test_uncertainty_sampling_beats_random_on_average(blobs):
    """The reason the project exists, on data where it should hold: mean over 5 seeds."""
    finals = {}
    for strategy in ("least_confidence", "random"):
        accuracies = [
            make_loop(blobs, strategy, seed=seed, max_rounds=8).run()[-1]["accuracy"]
            for seed in range(5)
        ]
        finals[strategy] = np.mean(accuracies)
    assert finals["least_confidence"] > finals["random"]


def test_budget_clips_the_last_batch(blobs):
    history = make_loop(blobs, max_rounds=None, max_labels=35).run()
    assert [r["n_labeled"] for r in history] == [10, 20, 30, 35]


def test_target_metric_stops_the_loop(blobs):
    X, y, Xt, yt = blobs
    loop = make_loop(blobs, max_rounds=50, validation=(Xt, yt), stopping=[TargetMetric(value=0.6)])
    loop.run()
    assert "val_accuracy reached" in loop.stop_reason
    assert len(loop.history) < 51


def test_target_needs_its_evaluation_set(blobs):
    with pytest.raises(ConfigError, match="validation set"):
        make_loop(blobs, stopping=[TargetMetric(value=0.9)]).run()


def test_pool_exhaustion_stops_and_says_so(blobs):
    X, y, Xt, yt = blobs
    loop = ActiveLearningLoop(
        Pool(X[:25], hidden_labels=y[:25]), LogisticRegression(), "margin",
        batch_size=10, initial_size=10, initial_method="balanced", test=(Xt, yt),
    )  # fmt: skip
    history = loop.run()
    assert loop.stop_reason == "the pool is exhausted"
    assert history[-1]["n_labeled"] == 25
    assert any("only 5 are left" in note for note in history[-1]["notes"])


def test_a_one_class_seed_keeps_labeling_at_random_until_a_model_can_be_trained(blobs):
    # A random seed on skewed data may hold one class: the loop neither fails nor peeks at
    # the hidden labels; it draws at random until a second class appears, then uses margin.
    X, y, Xt, yt = blobs
    order = np.argsort(y, kind="stable")  # all 0s first, then the 1s
    rare = np.concatenate([order[y[order] == 0][:300], order[y[order] == 1][:6]])
    pool = Pool(X[rare], hidden_labels=y[rare])
    loop = ActiveLearningLoop(
        pool, LogisticRegression(), "margin", initial_size=5, batch_size=40, max_rounds=12,
        test=(Xt, yt), seed=3,
    )  # fmt: skip
    history = loop.run()
    assert "no model yet" in " ".join(history[0]["notes"]) and "accuracy" not in history[0]
    assert loop.fitted and "accuracy" in history[-1]
    first_model = next(i for i, r in enumerate(history) if "accuracy" in r)
    assert first_model >= 1
    random_rounds = [r for r in history[1 : first_model + 1]]
    assert all(
        "drawn at random instead of by margin" in " ".join(r["notes"]) for r in random_rounds
    )
    assert not any("drawn at random" in " ".join(r["notes"]) for r in history[first_model + 1 :])


def test_a_pool_of_one_class_ends_without_a_model_and_says_so(blobs):
    X, y, Xt, yt = blobs
    pool = Pool(X[:30], hidden_labels=np.zeros(30, dtype=int), classes=[0, 1])
    loop = ActiveLearningLoop(pool, LogisticRegression(), initial_size=10, batch_size=10)
    history = loop.run()
    assert loop.stop_reason == "the pool is exhausted" and not loop.fitted
    assert "only [0]" in " ".join(history[-1]["notes"])


class NaNModel(LogisticRegression):
    def predict_proba(self, X):
        p = super().predict_proba(X)
        p[0, 0] = np.nan
        return p


def test_nan_probabilities_are_a_clear_error(blobs):
    X, y, Xt, yt = blobs
    loop = ActiveLearningLoop(Pool(X, hidden_labels=y), NaNModel(), "entropy", initial_size=20)
    with pytest.raises(ModelOutputError, match="NaN"):
        loop.run()


class CrashingLearner(LogisticRegression):
    """Fails on the n-th fit, after that round's labels were given: a crash mid-run."""

    def __init__(self, crash_on=3):
        super().__init__()
        self.crash_on = crash_on

    def fit(self, X, y):
        if len(y) >= self.crash_on:
            raise RuntimeError("simulated crash")
        return super().fit(X, y)


def label_log(run_dir):
    entries = [json.loads(line) for line in (run_dir / "labels.jsonl").read_text().splitlines()]
    return [key for entry in entries if "labels" in entry for key in entry["labels"]]


def test_resume_after_a_crash_loses_and_repeats_no_label(blobs, tmp_path):
    X, y, Xt, yt = blobs
    settings = dict(batch_size=10, initial_size=10, initial_method="balanced", max_rounds=4,
                    test=(Xt, yt), run_dir=tmp_path, seed=3)  # fmt: skip
    crashing = ActiveLearningLoop(
        Pool(X, hidden_labels=y), CrashingLearner(30), "margin", **settings
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.run()
    assert len(label_log(tmp_path)) == 30  # the third batch was labeled before the crash
    resumed = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", resume=True, **settings
    )
    history = resumed.run()
    labeled = label_log(tmp_path)
    assert len(labeled) == len(set(labeled)) == 50
    assert [r["round"] for r in history] == [0, 1, 2, 3, 4]
    assert sorted(map(str, resumed.pool.ids[resumed.pool.labeled_indices])) == sorted(labeled)

    uninterrupted = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", **{**settings, "run_dir": None}
    ).run()
    assert [r["accuracy"] for r in uninterrupted] == [r["accuracy"] for r in history]


def test_resume_refuses_a_directory_from_another_run(blobs, tmp_path):
    make_loop(blobs, run_dir=tmp_path, max_rounds=1).run()
    with pytest.raises(ResumeError, match="already holds a run"):
        make_loop(blobs, run_dir=tmp_path)
    with pytest.raises(ResumeError, match="batch_size"):
        make_loop(blobs, run_dir=tmp_path, batch_size=7, resume=True)


def test_file_oracle_round_trip_through_resume(blobs, tmp_path):
    X, y, Xt, yt = blobs
    pool_ids = [f"item{i}" for i in range(len(y))]
    truth = dict(zip(pool_ids, y.tolist(), strict=True))

    def new_loop():
        return ActiveLearningLoop(
            Pool(X, ids=pool_ids, classes=[0, 1]), LogisticRegression(), "margin",
            FileOracle(tmp_path / "batches", fmt="jsonl"), batch_size=5, initial_size=8,
            max_rounds=2, test=(Xt, yt), run_dir=tmp_path / "run", resume=True,
        )  # fmt: skip

    for _ in range(3):  # seed, round 1, round 2: each waits for people first
        with pytest.raises(LabelsPending, match="await labels"):
            new_loop().run()
        batch = sorted((tmp_path / "batches").glob("*.jsonl"), key=lambda p: p.stat().st_mtime)[-1]
        rows = [json.loads(line) for line in batch.read_text().splitlines()]
        batch.write_text("".join(json.dumps({**r, "label": truth[r["id"]]}) + "\n" for r in rows))
    loop = new_loop()
    history = loop.run()
    assert [r["n_labeled"] for r in history] == [8, 13, 18]
    assert loop.stop_reason == "2 rounds done"


def test_label_free_stopping_ends_a_run_once_predictions_stabilise(blobs):
    from activelearn.stopping import OnStopSet
    from activelearn.stopping_unlabeled import StabilizingPredictions

    loop = make_loop(
        blobs, max_rounds=60, stopping=[OnStopSet(StabilizingPredictions(0.97, window=2), 300)]
    )
    history = loop.run()
    assert loop.stop_reason.startswith("kappa between successive rounds")
    assert 3 <= len(history) < 61


def test_typicality_draws_the_seed_and_later_rounds_see_the_labeled_set(blobs):
    """TypiClust picks the seed from embeddings alone, then is told what is labeled."""
    X, y, Xt, yt = blobs
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "typiclust", embeddings=X,
        initial_size=10, initial_method="typiclust", batch_size=10, max_rounds=2, test=(Xt, yt),
    )  # fmt: skip
    seen = []
    query = loop.strategy.query

    def spy(outputs, n, rng):
        seen.append(len(outputs.labeled_embeddings))
        return query(outputs, n, rng)

    loop.strategy.query = spy
    history = loop.run()
    assert [r["n_labeled"] for r in history] == [10, 20, 30]
    assert seen == [10, 20]
