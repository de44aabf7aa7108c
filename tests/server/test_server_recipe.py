"""The app drives the one engine with any registered learner, featurizer and strategy."""

from __future__ import annotations

import pytest
from server_helpers import make_texts
from sqlalchemy import select

from activelearn.errors import ConfigError
from activelearn.server.recipe import choose, strategy_reasons
from activelearn.server.trainer import Trainer
from activelearn.store import Store
from activelearn.store.models import Item, Round


def _trained(tmp_path, n=80, labels=40, **choices):
    texts, truth = make_texts(n, seed=3)
    recipe = choose("text", **choices)
    store = Store.open(tmp_path / "p")
    settings = {"min_heldout": 3, "heldout_fraction": 0.25, **recipe.settings()}
    info = store.create_project(
        "demo", ["neg", "pos"], texts=texts, strategy=recipe.strategy, settings=settings,
        labels=[*truth[:labels], *[None] * (n - labels)],
    )  # fmt: skip
    trainer = Trainer(store, info.id, isolate=False)
    assert trainer.train_once() == 1
    version = store.versions(info.id)[0]
    assert version["status"] == "ready", version["error"]
    return store, info, trainer, version


@pytest.mark.parametrize(
    "choices",
    [
        {"strategy": "ratio"},  # validation errors: the held-out labels
        {"learner": {"name": "committee", "params": {"n_members": 3}}, "features": "tfidf",
         "strategy": "vote_entropy"},  # Monte-Carlo samples: the committee's members
        {"learner": "logistic_regression", "features": "tfidf", "strategy": "margin"},
    ],
)  # fmt: skip
def test_a_registered_strategy_ranks_the_queue_with_its_scores(tmp_path, choices):
    store, info, trainer, version = _trained(tmp_path, **choices)
    assert 0 <= version["metrics"]["macro_f1"] <= 1
    with store.read() as session:
        (round_,) = session.scalars(select(Round)).all()
        ranked = session.scalars(select(Item).where(Item.ranked_by == 1).order_by(Item.rank)).all()
    assert round_.strategy == info.strategy and ranked
    scores = [item.score for item in ranked]
    assert all(s is not None for s in scores)
    if info.strategy != "ratio":  # ratio takes quotas per predicted class, each sorted
        assert scores == sorted(scores, reverse=True)
    open_ids = {i.external_id for i in store.open_items(info.id, None)}
    assert set(trainer.current.guesses) == open_ids  # every open item has its guess


def test_every_strategy_a_model_can_feed_is_accepted_and_the_rest_say_why():
    plain = choose("text")
    reasons = strategy_reasons(plain)
    assert reasons["margin"] == reasons["ratio"] == ""
    assert "Monte-Carlo samples" in reasons["bald"] and "embeddings" in reasons["coreset"]
    committee = choose("text", learner="committee", features="tfidf", strategy="bald")
    assert strategy_reasons(committee)["vote_entropy"] == ""
    # Dense features are embeddings: every diversity strategy works on them.
    dense = choose("image", features="pixels", learner="logistic_regression", strategy="typiclust")
    assert all(strategy_reasons(dense)[name] == "" for name in ("coreset", "badge", "typiclust"))
    # A network with `embed` and MC dropout feeds both on raw pixels.
    cnn = choose("image", learner="cnn", features="none", strategy="bald")
    assert all(strategy_reasons(cnn)[name] == "" for name in ("bald", "badge", "coreset"))
    with pytest.raises(ConfigError, match="held-out set"):
        choose("text", strategy="ratio", heldout=False)


def test_a_project_trains_on_pseudo_labels_set_on_its_held_out_labels(tmp_path):
    store, info, trainer, version = _trained(tmp_path, n=240, labels=160,
                                             semi_supervised="self_training")  # fmt: skip
    assert info.settings["semi_supervised"] == {"name": "self_training", "params": {}}
    metrics = version["metrics"]
    assert metrics["n_pseudo"] > 0 and isinstance(metrics["pseudo_accepted"], bool)
    from activelearn.server.report import status_report

    (row,) = status_report(store, info)["versions"]
    assert row["n_pseudo"] == metrics["n_pseudo"]
    assert "self_training" in status_report(store, info)["model"]


def test_a_project_trains_on_the_whole_pool_self_training_recipe(tmp_path):
    """The TABLE.md recipe (no floor, no cap) as the app stores and trains it: most of the 80
    unlabeled texts get a pseudo-label (all at least as confident as the least confident of
    the 40 held-out texts), and the version records whether the refit was kept."""
    whole = {"name": "self_training",
             "params": {"precision": 0.5, "min_threshold": 0.0, "max_ratio": 100.0}}  # fmt: skip
    _, info, _, version = _trained(tmp_path, n=240, labels=160, semi_supervised=whole)
    assert info.settings["semi_supervised"] == whole
    assert version["metrics"]["n_pseudo"] > 40
    assert isinstance(version["metrics"]["pseudo_accepted"], bool)


def test_pseudo_labels_the_project_cannot_make_are_refused_when_it_is_made():
    refused = "self_training: it reads the model's predictions on the held-out set, and this"
    with pytest.raises(ConfigError, match=refused + " project holds none"):
        choose("text", semi_supervised="self_training", heldout=False)
    with pytest.raises(ConfigError, match="label_spreading: it needs embeddings"):
        choose("text", semi_supervised="label_spreading")
    with pytest.raises(ConfigError, match="semi-supervision: .*no parameter 'x'"):
        choose("text", semi_supervised={"name": "self_training", "x": 1})
    dense = choose("text", features="minilm", learner="logistic_regression",
                   semi_supervised="label_spreading")  # fmt: skip
    assert dense.semi_supervised == {"name": "label_spreading", "params": {}}


def test_a_held_out_set_without_a_class_is_said_not_scored_as_perfect(tmp_path):
    """Two 'pos' labels, both drawn into training: the held-out set holds 'neg' alone, where
    macro-F1 over its classes is a meaningless 1.0; the version and `project status` say so."""
    from activelearn.cli.project import _version_line
    from activelearn.server.report import version_row
    from activelearn.store.models import Label

    texts, _ = make_texts(60, seed=3)
    store = Store.open(tmp_path / "p")
    recipe = choose("text")
    labels = ["pos" if i in (0, 1) else "neg" for i in range(40)] + [None] * 20
    info = store.create_project(
        "demo", ["neg", "pos"], texts=texts, strategy=recipe.strategy, labels=labels,
        settings={"min_heldout": 3, "heldout_fraction": 0.25, **recipe.settings()},
    )  # fmt: skip
    assert Trainer(store, info.id, isolate=False).train_once() == 1
    with store.read() as session:
        held_out = session.scalars(
            select(Label.value).join(Item, Item.id == Label.item_id).where(Item.split == "heldout")
        ).all()
    assert set(held_out) == {"neg"}
    version = version_row(store.versions(info.id)[0])
    assert version["heldout_missing"] == ["pos"]
    assert version["macro_f1"] == version["class_f1"]["neg"]
    line = _version_line(version, binary=True)
    assert "(held-out has no pos: macro-F1 covers the other classes)" in line


def test_coverage_names_classes_missing_from_held_out_and_never_predicted():
    from types import SimpleNamespace

    import numpy as np

    from activelearn.server.model import _coverage

    classes = np.asarray(["a", "b", "c"], dtype=object)
    loop = SimpleNamespace(validation_probabilities=np.array([[0.9, 0.1, 0], [0.2, 0.7, 0.1]]))
    assert _coverage(loop, ["a", "c"], classes) == {
        "heldout_missing": ["b"], "never_predicted": ["c"]}  # fmt: skip


def test_a_naive_bayes_teacher_trains_in_the_app_on_tfidf_and_is_refused_on_raw_texts(tmp_path):
    teacher = {"name": "self_training_whole_pool", "params": {"teacher": "naive_bayes"}}
    with pytest.raises(ConfigError, match="naive Bayes teacher reads counts: use --features"):
        choose("text", semi_supervised=teacher)  # tfidf_logreg reads the raw texts
    _, _, _, version = _trained(tmp_path, n=240, labels=160, features="tfidf",
                                learner="logistic_regression", semi_supervised=teacher)  # fmt: skip
    assert version["metrics"]["n_pseudo"] > 40
