"""Training the server's model away from the request path, as a round of the one engine.

A training job is a plain function of plain data (so it can run in a child
process): the label rows become a pool whose training labels are given and
whose held-out labels are the validation set, the project's learner comes
from the learner registry (default ``tfidf_logreg``: TF-IDF + balanced
logistic regression, about 90% on IMDB with all labels), and
:class:`~activelearn.loop.ActiveLearningLoop` fits it, evaluates it on the
held-out labels and, with the project's strategy, queries the open items in
the order people should see them. That query is what ranks the queue: the
oracle of this loop only records it (people answer later, through the app).

Models are never written to disk: a version is rebuilt from the label rows it
was trained on, so restarting the server never unpickles a file that someone
could have swapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from activelearn.data.pool import Pool
from activelearn.errors import DataError, LabelsPending
from activelearn.learners.base import predict_proba
from activelearn.learners.registry import make_learner
from activelearn.loop import ActiveLearningLoop, Event

DEFAULT_LEARNER = "tfidf_logreg"
MAX_EXAMPLES = 20  # false positives/negatives listed per version


@dataclass
class TrainResult:
    """What a training job sends back: the model, its held-out metrics, and the open items
    the strategy ranked (positions into the ``pool_texts`` it was given, best first)."""

    model: Any
    metrics: dict[str, Any]
    ranking: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


class _RecordQuery:
    """The oracle of a training round: it answers nothing and remembers what was asked
    (and, listening to the loop, the strategy's scores for it)."""

    def __init__(self) -> None:
        self.ids: list[Any] = []
        self.scores: list[float] = []

    def label(self, ids: np.ndarray, raw: Sequence[Any]) -> list[Any]:
        self.ids = list(ids)
        return [None] * len(ids)

    def __call__(self, event: Event) -> None:
        if event.kind == "queried" and event.round > 0:
            self.scores = [float(s) for s in event.data.get("scores", [])]


def train_and_score(
    train_texts: list[str],
    train_labels: list[str],
    heldout_texts: list[str],
    heldout_labels: list[str],
    pool_texts: list[str],
    classes: list[str],
    seed: int,
    *,
    learner: str | dict[str, Any] = DEFAULT_LEARNER,
    strategy: str = "least_confidence",
    rank: int = 0,
) -> TrainResult:
    """Fit on the training labels, evaluate on the held-out ones, rank ``rank`` open items."""
    if len(set(train_labels)) < 2:
        raise DataError(
            f"the training labels hold only {sorted(set(train_labels))}: "
            "a model needs at least two classes"
        )
    texts = [*train_texts, *pool_texts]
    pool = Pool(texts, classes=classes)
    pool.add_labels(np.arange(len(train_texts)), train_labels)  # the labels people gave
    recorder = _RecordQuery()
    loop = ActiveLearningLoop(
        pool,
        make_learner(learner, seed, classes=list(classes)),
        strategy,
        recorder,
        batch_size=max(rank, 1),
        initial_size=0,
        max_rounds=1 if rank and pool_texts else 0,
        validation=(heldout_texts, heldout_labels) if heldout_texts else None,
        seed=seed,
    )
    loop.subscribe(recorder)
    try:
        history = loop.run()
    except LabelsPending:  # the ranking round asked people; they answer in the app
        history = loop.history
    record = history[0]
    metrics = {k[4:]: v for k, v in record.items() if k.startswith("val_")}
    if heldout_texts:
        metrics["errors"] = _errors(loop, heldout_labels, np.asarray(classes, dtype=object))
    ranking = [int(i) - len(train_texts) for i in recorder.ids]
    return TrainResult(loop.learner, metrics, ranking, recorder.scores)


def _errors(loop: ActiveLearningLoop, truth: list[str], classes: np.ndarray) -> list[dict]:
    """The first held-out items the model got wrong (positions into the held-out rows)."""
    predicted = classes[np.argmax(loop.validation_probabilities, axis=1)]
    labels = np.asarray(truth, dtype=object)
    wrong = np.flatnonzero(predicted != labels)
    return [
        {"index": int(i), "label": str(labels[i]), "predicted": str(predicted[i])}
        for i in wrong[:MAX_EXAMPLES]
    ]


def probabilities(model: Any, texts: list[str], classes: np.ndarray) -> np.ndarray:
    """Probabilities with columns in the project's class order (unseen classes get 0)."""
    return predict_proba(model, texts, classes)
