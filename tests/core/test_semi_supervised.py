"""Semi-supervised rounds: thresholds from the validation set, per-class caps, in the loop,
from the command line and as an experiment axis that pairs random with the same method."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelearn import ActiveLearningLoop, Pool
from activelearn.cli import main
from activelearn.errors import ConfigError
from activelearn.experiments.config import parse_config
from activelearn.semi import capped_by_class, threshold_on_validation


def test_the_threshold_is_the_lowest_confidence_still_precise_enough_on_validation():
    confidence = np.array([0.99, 0.97, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([1, 1, 1, 1, 0, 1, 0], dtype=bool)
    # the top 4 are all right; adding 0.8 drops to 4/5 = 80%
    assert threshold_on_validation(confidence, correct, 0.95, 0.5, min_count=2) == 0.9
    assert threshold_on_validation(confidence, correct, 0.8, 0.5, min_count=2) == 0.7
    assert threshold_on_validation(confidence, correct, 0.95, 0.95, min_count=2) == 0.95
    assert threshold_on_validation(confidence, correct, 0.95, 0.5, min_count=10) is None


def test_one_class_cannot_flood_the_training_set():
    confidence = np.full(100, 0.99)
    guesses = np.array([0] * 90 + [1] * 10)
    labeled = np.array(["a"] * 5 + ["b"] * 5)
    rows = capped_by_class(confidence, guesses, 0.9, labeled, np.array(["a", "b"]), 2.0)
    # 2 x 10 labels in all, split 50/50 like the labeled set: 10 of each class at most
    assert np.sum(guesses[rows] == 0) == 10 and np.sum(guesses[rows] == 1) == 10


def _problem(n=1200, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=10, n_informative=5, class_sep=1.5,
                               random_state=seed)  # fmt: skip
    return X[:800], y[:800], X[800:1000], y[800:1000], X[1000:], y[1000:]


@pytest.mark.parametrize("method", ["self_training", "label_spreading"])
def test_semi_supervised_rounds_in_the_loop(method):
    X, y, Xv, yv, Xt, yt = _problem()
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", initial_size=20, batch_size=20,
        max_rounds=2, validation=(Xv, yv), test=(Xt, yt), embeddings=X, semi_supervised=method,
    )  # fmt: skip
    history = loop.run()
    assert all(r["n_pseudo"] > 0 for r in history) and all(r["pseudo_threshold"] for r in history)
    assert all("pseudo-labels at confidence" in " ".join(r["notes"]) for r in history)
    assert len(loop.pool.labeled_indices) == 60  # pseudo-labels are never stored as labels
    # nothing but the validation set chose the thresholds: another test set changes nothing
    again = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", initial_size=20, batch_size=20,
        max_rounds=2, validation=(Xv, yv), test=(Xt[:50], yt[:50]), embeddings=X,
        semi_supervised=method,
    )  # fmt: skip
    assert [r["n_pseudo"] for r in again.run()] == [r["n_pseudo"] for r in history]


def test_semi_supervision_needs_a_validation_set(blobs):
    X, y, _, _ = blobs
    with pytest.raises(ConfigError, match="validation set"):
        ActiveLearningLoop(Pool(X, hidden_labels=y), LogisticRegression(),
                           semi_supervised="self_training")  # fmt: skip


def test_every_strategy_and_random_run_with_the_same_semi_supervision():
    config = parse_config({
        "grid": {"datasets": ["digits"], "learners": ["logistic_regression"],
                 "strategies": ["margin"], "seeds": [0], "budgets": [60],
                 "semi_supervised": ["none", "self_training"]},
        "loop": {"initial_size": 20},
    })  # fmt: skip
    cells = {(c.labels["strategy"], c.labels.get("semi_supervised")) for c in config.al_cells()}
    assert cells == {("margin", None), ("random", None), ("margin", "self_training"),
                     ("random", "self_training")}  # fmt: skip
    with pytest.raises(ConfigError, match=r"grid\.semi_supervised\[0\]: .*no parameter 'x'"):
        grid = {"datasets": ["digits"], "learners": ["logistic_regression"],
                "strategies": ["margin"], "budgets": [60]}  # fmt: skip
        parse_config({"grid": {**grid, "semi_supervised": [{"name": "self_training", "x": 1}]}})


def test_semi_supervision_from_the_command_line(tmp_path):
    out = tmp_path / "out"
    code = main(["run", "--dataset", "digits", "--strategy", "margin", "--initial-size", "30",
                 "--batch-size", "20", "--rounds", "1", "--no-full-baseline",
                 "--semi-supervised", "none", "self_training:precision=0.9",
                 "--output", str(out)])  # fmt: skip
    assert code == 0
    run_dir = out / "margin+self_training(precision=0.9)" / "seed_0"
    assert json.loads((run_dir / "history.json").read_text())[-1]["n_pseudo"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["strategies"]) == {"margin", "margin+self_training(precision=0.9)"}


class _Guesses:
    """Pseudo-labels from the hidden truth, all wrong (a refit on them must be worse on
    validation) or all right (on every unlabeled item: it must be better)."""

    def __init__(self, accept, wrong=True):
        self.accept, self.wrong = accept, wrong

    def pseudo_labels(self, loop, round_):
        from activelearn.semi import PseudoLabels

        positions = loop.pool.unlabeled_indices[: 300 if self.wrong else None]
        truth = np.asarray(loop.pool.hidden_labels)[positions]
        return PseudoLabels(positions, 1 - truth if self.wrong else truth, 0.9, "by hand")


@pytest.mark.parametrize("accept", ["if_better", "always"])
def test_a_refit_worse_on_validation_is_not_kept(accept):
    X, y, Xv, yv, Xt, yt = _problem()
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", initial_size=40, batch_size=20,
        max_rounds=1, validation=(Xv, yv), test=(Xt, yt), semi_supervised=_Guesses(accept),
    )  # fmt: skip
    history = loop.run()
    labeled = loop.pool.labeled_indices
    plain = LogisticRegression().fit(X[labeled], y[labeled])
    kept = np.array_equal(loop.learner.predict_proba(Xt), plain.predict_proba(Xt))
    if accept == "if_better":
        assert kept and not any(r["pseudo_accepted"] for r in history)
        assert "refit not kept: validation accuracy" in " ".join(history[-1]["notes"])
        assert history[-1]["accuracy"] == pytest.approx(plain.score(Xt, yt))
    else:  # the old rule: every refit stays, and all-wrong guesses cost accuracy
        assert not kept and "pseudo_accepted" not in history[-1]
        assert history[-1]["accuracy"] < plain.score(Xt, yt) - 0.05


def test_the_acceptance_rule_is_part_of_every_cache_key():
    from activelearn.spec import LoopSpec

    base = {"dataset": "digits", "learner": "logistic_regression", "budget": 300}
    guarded = LoopSpec.from_dict({**base, "semi_supervised": "self_training"})
    assert guarded.semi_supervised["params"] == {"accept": "if_better"}
    always = LoopSpec.from_dict(
        {**base, "semi_supervised": {"name": "self_training", "accept": "always"}}
    )
    assert guarded.key() != always.key()
    pool = Pool(np.zeros((4, 2)), hidden_labels=[0, 1, 0, 1])
    maybe = {"name": "self_training", "accept": "maybe"}
    with pytest.raises(ConfigError, match="accept must be one of if_better, always"):
        ActiveLearningLoop(pool, LogisticRegression(), validation=(np.zeros((2, 2)), [0, 1]),
                           semi_supervised=maybe)  # fmt: skip


@pytest.mark.parametrize("as_floats", [False, True])
def test_a_refit_better_on_validation_is_kept_and_labels_compare_as_the_metrics_do(as_floats):
    X, y, Xv, yv, Xt, yt = _problem()
    yv = yv.astype(float) if as_floats else yv  # 0.0 is class 0, as val_accuracy counts it
    loops = {
        wrong: ActiveLearningLoop(
            Pool(X, hidden_labels=y),
            LogisticRegression(),
            "margin",
            initial_size=40,
            batch_size=20,
            max_rounds=1,
            validation=(Xv, yv),
            test=(Xt, yt),
            semi_supervised=_Guesses("if_better", wrong=wrong),
        )  # fmt: skip
        for wrong in (False, True)
    }
    right, wrong = (loops[w].run()[-1] for w in (False, True))
    assert right["pseudo_accepted"] and not wrong["pseudo_accepted"]
    assert right["refit_val_accuracy"] > right["plain_val_accuracy"] == pytest.approx(
        LogisticRegression().fit(X[loops[False].pool.labeled_indices],
                                 y[loops[False].pool.labeled_indices]).score(Xv, yv.astype(int))
    )  # fmt: skip
    everything = LogisticRegression().fit(X, y)  # labels + right guesses on all the rest
    np.testing.assert_allclose(loops[False].learner.predict_proba(Xt), everything.predict_proba(Xt))
    labeled = loops[True].pool.labeled_indices
    plain = LogisticRegression().fit(X[labeled], y[labeled])
    assert wrong["val_accuracy"] == pytest.approx(plain.score(Xv, yv.astype(int)))


def test_a_method_of_ones_own_without_an_acceptance_rule_is_left_as_it_is():
    from activelearn.semi import SEMI_SUPERVISION
    from activelearn.spec import LoopSpec

    SEMI_SUPERVISION.register("test_mine")(lambda random_state=0: _Guesses("always"))
    try:
        spec = LoopSpec.from_dict({"dataset": "digits", "learner": "logistic_regression",
                                   "budget": 300, "semi_supervised": "test_mine"})  # fmt: skip
        assert spec.semi_supervised == {"name": "test_mine", "params": {}}
    finally:
        SEMI_SUPERVISION._factories.pop("test_mine")


def test_a_tie_on_validation_keeps_the_plain_fit():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=600, centers=[[-6, 0], [6, 0]], random_state=0)
    loop = ActiveLearningLoop(
        Pool(X[:400], hidden_labels=y[:400]), LogisticRegression(), "margin", initial_size=20,
        batch_size=10, max_rounds=1, validation=(X[400:], y[400:]),
        semi_supervised=_Guesses("if_better", wrong=False),
    )  # fmt: skip
    record = loop.run()[-1]
    assert record["plain_val_accuracy"] == record["refit_val_accuracy"] == 1.0
    assert not record["pseudo_accepted"]  # right guesses, but no evidence that they help
    labeled = loop.pool.labeled_indices
    plain = LogisticRegression().fit(X[labeled], y[labeled])
    np.testing.assert_allclose(loop.learner.predict_proba(X[400:]), plain.predict_proba(X[400:]))


class _CountingValidation(LogisticRegression):
    """Logistic regression that counts how often it predicts the (200-item) validation set."""

    calls = 0

    def predict_proba(self, X):
        _CountingValidation.calls += len(X) == 200
        return super().predict_proba(X)


@pytest.mark.parametrize(("accept", "wrong"), [("if_better", True), ("if_better", False),
                                               ("always", True)])  # fmt: skip
def test_the_reported_validation_accuracy_is_the_kept_models_and_read_once(accept, wrong):
    X, y, Xv, yv, Xt, yt = _problem()
    _CountingValidation.calls = 0
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), _CountingValidation(), "margin", initial_size=40,
        batch_size=20, max_rounds=1, validation=(Xv, yv), test=(Xt[:150], yt[:150]),
        semi_supervised=_Guesses(accept, wrong=wrong),
    )  # fmt: skip
    history = loop.run()
    for record in history:
        if "pseudo_accepted" in record:  # the rule "always" keeps no score of the plain fit
            kept = "refit" if record["pseudo_accepted"] else "plain"
            assert record["val_accuracy"] == pytest.approx(record[f"{kept}_val_accuracy"])
    assert history[-1]["val_accuracy"] == pytest.approx(loop.learner.score(Xv, yv))
    # per round: the plain fit's and the refit's predictions, none more for the evaluation
    assert _CountingValidation.calls == 2 * len(history)


def test_the_whole_pool_preset_is_the_table_recipe():
    """``self_training_whole_pool`` is TABLE.md's whole-pool setting of ``self_training``: the
    same pseudo-labels and curves, round by round."""
    X, y, Xv, yv, Xt, yt = _problem()
    recipe = {"name": "self_training", "params": {"precision": 0.5, "min_threshold": 0.0,
                                                  "max_ratio": 100.0, "candidates": 1000000}}
    histories = [
        ActiveLearningLoop(
            Pool(X, hidden_labels=y), LogisticRegression(), "margin", initial_size=20,
            batch_size=20, max_rounds=2, validation=(Xv, yv), test=(Xt, yt), semi_supervised=semi,
        ).run()
        for semi in ("self_training_whole_pool", recipe)
    ]  # fmt: skip
    keys = ("n_pseudo", "pseudo_threshold", "pseudo_accepted", "accuracy", "val_accuracy")
    assert [[r.get(k) for k in keys] for r in histories[0]] == [
        [r.get(k) for k in keys] for r in histories[1]]
    # nearly every unlabeled item: all those as confident as the least confident validation item
    assert histories[0][-1]["n_pseudo"] > 0.9 * (len(X) - 60)


def _counts(n=900, seed=0):
    """Word counts from two classes' word distributions: features naive Bayes models."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    words = np.where(y[:, None] == 1, rng.dirichlet(np.ones(30)), rng.dirichlet(np.ones(30)))
    rates = np.stack([rng.dirichlet(np.ones(30) * 0.5) for _ in range(2)])
    X = np.stack([rng.multinomial(20, 0.7 * rates[c] + 0.3 * words[i]) for i, c in enumerate(y)])
    return X.astype(float), y


def test_a_naive_bayes_teacher_averages_its_guesses_with_the_models():
    from sklearn.naive_bayes import MultinomialNB

    from activelearn.semi import SEMI_SUPERVISION

    X, y = _counts()
    pool, val = (X[:600], y[:600]), (X[600:], y[600:])
    loop = ActiveLearningLoop(
        Pool(pool[0], hidden_labels=pool[1]), LogisticRegression(), "margin", initial_size=30,
        batch_size=30, max_rounds=0, validation=val, seed=1,
    )  # fmt: skip
    loop.run()
    loop.validation_probabilities = loop.predict_X(val[0])
    spec = {"name": "self_training_whole_pool", "params": {"teacher": "naive_bayes"}}
    pseudo = SEMI_SUPERVISION.make(spec, random_state=0).pseudo_labels(loop, 1)
    unlabeled = loop.pool.unlabeled_indices
    bayes = MultinomialNB(alpha=0.1).fit(X[loop.pool.labeled_indices], loop.pool.labels)
    mixed = (loop.predict_positions(unlabeled) + bayes.predict_proba(X[unlabeled])) / 2
    kept = np.isin(unlabeled, pseudo.positions)
    assert kept.mean() > 0.9  # the whole pool, nearly
    assert (pseudo.labels == mixed[kept].argmax(1)).all()
    own = SEMI_SUPERVISION.make("self_training_whole_pool", random_state=0).pseudo_labels(loop, 1)
    both, mine, theirs = np.intersect1d(own.positions, pseudo.positions, return_indices=True)
    assert len(both) > 400 and (own.labels[mine] != pseudo.labels[theirs]).any()


def test_a_naive_bayes_teacher_refuses_negative_features():
    X, y, Xv, yv, _, _ = _problem()  # standard-normal features: negative values
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y), LogisticRegression(), "margin", initial_size=20,
        batch_size=20, max_rounds=1, validation=(Xv, yv),
        semi_supervised={"name": "self_training", "params": {"teacher": "naive_bayes"}},
    )  # fmt: skip
    with pytest.raises(ConfigError, match="teacher naive_bayes needs non-negative numeric"):
        loop.run()
    with pytest.raises(ConfigError, match="teacher must be one of self, naive_bayes"):
        ActiveLearningLoop(Pool(X, hidden_labels=y), LogisticRegression(), "margin",
                           validation=(Xv, yv),
                           semi_supervised={"name": "self_training", "params": {"teacher": "x"}})
