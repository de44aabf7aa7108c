"""Training the server's model away from the request path, as a round of the one engine.

A training job is plain data (so it can run in a child process): the label
rows and the open items, as texts or image paths. Their learner inputs come
from :mod:`activelearn.server.features` (raw texts, pixels, a featurizer
fitted on the training pool, or a pretrained encoder's cached vectors); the
labeled rows become a pool whose training labels are given and whose
held-out labels are the validation set; the project's learner comes from the
learner registry; and :class:`~activelearn.loop.ActiveLearningLoop` fits
it, evaluates it on the held-out labels and, with the project's strategy,
queries the open items in the order people should see them. That query is
what ranks the queue: the oracle of this loop only records it (people answer
later, through the app). Dense features are the loop's ``embeddings``, so
diversity strategies (coreset, typiclust, badge) work in the app.

The job sends back the model's guess for every open item (what the card
shows), not the model: a request never runs a model or an encoder, and
models are never written to disk. A version is rebuilt from the label rows
it was trained on, so restarting the server never unpickles a file that
someone could have swapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from activelearn.data.pool import Pool, take
from activelearn.errors import DataError, LabelsPending
from activelearn.learners.base import predict_proba
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.server.features import learner_inputs
from activelearn.server.recipe import Recipe, build_learner

MAX_EXAMPLES = 20  # false positives/negatives listed per version


@dataclass
class Rows:
    """Items of one part of a job: item ids, texts or image paths, labels (None: unlabeled)."""

    keys: list[int] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class TrainJob:
    """Everything a training round needs, as plain data.

    ``train``/``heldout`` are labeled; ``pool`` holds the open training-pool
    items (ranked), ``extra`` other open items the card shows a guess for
    (held-out ones). ``folder`` is the project folder (image paths and the
    embeddings cache live there); ``rank`` open items are put in order.
    """

    recipe: Recipe
    classes: list[str]
    seed: int
    folder: str
    train: Rows
    heldout: Rows
    pool: Rows = field(default_factory=Rows)
    extra: Rows = field(default_factory=Rows)
    rank: int = 0


@dataclass
class TrainResult:
    """What a training job sends back: held-out metrics, the open items the strategy ranked
    (positions into ``job.pool``, best first, with their scores), and the model's guess for
    every open item (``job.pool`` then ``job.extra``): class index and confidence."""

    metrics: dict[str, Any]
    ranking: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    guesses: list[int] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)


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


def train_and_score(job: TrainJob) -> TrainResult:
    """Fit on the training labels, evaluate on the held-out ones, rank ``job.rank`` open items."""
    present = sorted({str(label) for label in job.train.labels})
    if len(present) < 2:
        raise DataError(
            f"the training labels hold only {present}: a model needs at least two classes"
        )
    parts = (job.train, job.pool, job.heldout, job.extra)
    n_train, n_pool, n_heldout = len(job.train), len(job.pool), len(job.heldout)
    fit_on = np.zeros(sum(map(len, parts)), dtype=bool)
    fit_on[: n_train + n_pool] = True  # a data-fitted featurizer never sees held-out items
    inputs = learner_inputs(
        job.recipe, job.folder, [k for p in parts for k in p.keys],
        [i for p in parts for i in p.items], fit_on,
    )  # fmt: skip
    rows = np.arange(len(fit_on))
    in_pool, in_heldout = rows[: n_train + n_pool], rows[n_train + n_pool :][:n_heldout]
    pool = Pool(take(inputs.X, in_pool), classes=job.classes)
    pool.add_labels(np.arange(n_train), job.train.labels)  # the labels people gave
    recorder = _RecordQuery()
    rank = min(job.rank, n_pool)
    # Dense features are their own embeddings: the pool's rows themselves, so that label
    # spreading embeds the held-out rows the same way (see activelearn.semi.embed_inputs).
    dense = inputs.embeddings is not None and inputs.embeddings is inputs.X
    embeddings = (
        pool.X if dense else None if inputs.embeddings is None else inputs.embeddings[in_pool]
    )
    loop = ActiveLearningLoop(
        pool,
        build_learner(job.recipe, job.classes, job.seed, inputs.shape),
        job.recipe.strategy,
        recorder,
        strategy_params=job.recipe.strategy_params,
        batch_size=max(rank, 1),
        initial_size=0,
        max_rounds=1 if rank else 0,
        validation=(take(inputs.X, in_heldout), job.heldout.labels) if n_heldout else None,
        embeddings=embeddings,
        semi_supervised=job.recipe.semi_supervised if n_heldout else None,
        seed=job.seed,
    )
    loop.subscribe(recorder)
    try:
        history = loop.run()
    except LabelsPending:  # the ranking round asked people; they answer in the app
        history = loop.history
    record = history[0]
    metrics = {k[4:]: v for k, v in record.items() if k.startswith("val_")}
    metrics.update({k: record[k] for k in ("n_pseudo", "pseudo_accepted") if k in record})
    if n_heldout:
        classes = np.asarray(job.classes, dtype=object)
        metrics["errors"] = _errors(loop, job.heldout.labels, classes)
        metrics.update(_coverage(loop, job.heldout.labels, classes))
    ranking = [int(i) - n_train for i in recorder.ids]
    result = TrainResult(metrics, ranking, recorder.scores)
    parts_proba = []
    if n_pool:
        parts_proba.append(loop.predict_positions(np.arange(n_train, n_train + n_pool)))
    if len(job.extra):
        with loop.threads_for(len(job.extra)):
            extra = take(inputs.X, rows[n_train + n_pool + n_heldout :])
            parts_proba.append(predict_proba(loop.learner, extra, pool.classes))
    if parts_proba:
        proba = np.concatenate(parts_proba)
        result.guesses = proba.argmax(axis=1).tolist()
        result.confidences = proba.max(axis=1).tolist()
    return result


def _coverage(loop: ActiveLearningLoop, truth: list[Any], classes: np.ndarray) -> dict[str, list]:
    """What the held-out metrics cannot show: classes with no held-out item (macro-F1 leaves
    them out, so one class alone scores 1.0) and classes the model never predicts there."""
    predicted = set(classes[np.argmax(loop.validation_probabilities, axis=1)].tolist())
    present = set(np.asarray(truth, dtype=object).tolist())
    return {
        "heldout_missing": [str(c) for c in classes.tolist() if c not in present],
        "never_predicted": [str(c) for c in classes.tolist() if c not in predicted],
    }


def _errors(loop: ActiveLearningLoop, truth: list[Any], classes: np.ndarray) -> list[dict]:
    """The first held-out items the model got wrong (positions into the held-out rows)."""
    predicted = classes[np.argmax(loop.validation_probabilities, axis=1)]
    labels = np.asarray(truth, dtype=object)
    wrong = np.flatnonzero(predicted != labels)
    return [
        {"index": int(i), "label": str(labels[i]), "predicted": str(predicted[i])}
        for i in wrong[:MAX_EXAMPLES]
    ]
