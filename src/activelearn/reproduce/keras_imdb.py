"""Keras' "Review Classification using Active Learning" example, reproduced.

The tutorial (keras.io/examples/nlp/active_learning_review_classification)
stratifies the 50,000 labeled IMDB reviews by hand: per class 2,500
validation, 2,500 test and 7,500 initial training reviews; the other 25,000
form the pool. It trains its BiLSTM on all 40,000 training reviews as a
reference, then trains on the initial 15,000 and runs three rounds that add
5,000 pool reviews each, split between the classes by the ratio of false
positives to false negatives, recompiling (resetting the optimizer) every
round.

It gets two things wrong that matter for anyone copying the recipe: the
ratio comes from the *test* set's errors, and the reviews are drawn from pools
already split by their *true* label, so the hidden labels steer which items
are "queried". ``faithful=True`` does exactly that and flags the result
``leaks_test_set=True``. The default is leakage-free: the ratio comes from the
validation set and each class's share is drawn from the items the model
*predicts* as that class, most uncertain first; labels are revealed only for
the chosen items. Test data is used for reporting only.

The tutorial's reviews come in TensorFlow Datasets' fixed order; here each
seed shuffles each class before splitting, so seeds vary the split as well as
the weights, shuffling and dropout.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from activelearn.errors import ConfigError, DataError
from activelearn.strategies.base import top_k

EventCallback = Callable[[str, dict[str, Any]], None]


class Vectorizer(Protocol):
    """What the reproduction needs from a text vectorizer (Keras' TextVectorization)."""

    def fit(self, texts: Sequence[str]) -> Any: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ImdbProtocol:
    """Split sizes (per class) and loop settings of the tutorial."""

    val_per_class: int = 2500
    test_per_class: int = 2500
    initial_per_class: int = 7500
    pool_per_class: int | None = None  # None: every remaining review (12,500 per class)
    sampling_size: int = 5000
    iterations: int = 3
    max_tokens: int = 3000
    sequence_length: int = 150

    def scaled(self, fraction: float) -> ImdbProtocol:
        """Every split and the sampling size scaled by ``fraction`` (``quick`` uses 0.1)."""
        pool = 12_500 if self.pool_per_class is None else self.pool_per_class

        def scale(n: int) -> int:
            return max(1, round(n * fraction))

        return dataclasses.replace(
            self,
            val_per_class=scale(self.val_per_class),
            test_per_class=scale(self.test_per_class),
            initial_per_class=scale(self.initial_per_class),
            pool_per_class=scale(pool),
            sampling_size=scale(self.sampling_size),
        )


TUTORIAL = ImdbProtocol()
QUICK = TUTORIAL.scaled(0.1)


@dataclass(frozen=True)
class Splits:
    """Indices into the review list. ``pool_negative``/``pool_positive`` keep the order the
    faithful mode draws them in; ``pool`` is what a leakage-free learner sees: both
    shuffled together, so not even the order (which breaks score ties) carries a label."""

    val: np.ndarray
    test: np.ndarray
    initial: np.ndarray
    pool_negative: np.ndarray
    pool_positive: np.ndarray
    pool: np.ndarray


def stratified_splits(
    labels: np.ndarray, protocol: ImdbProtocol, rng: np.random.Generator
) -> Splits:
    """The tutorial's manual stratification, after shuffling each class with ``rng``.

    Positives come before negatives inside each split, as in the tutorial's ``tf.concat``.
    """
    labels = np.asarray(labels)
    if not np.isin(labels, (0, 1)).all():
        raise DataError("IMDB labels must be 0 (negative) or 1 (positive)")
    parts: dict[int, list[np.ndarray]] = {}
    for label in (1, 0):
        items = rng.permutation(np.flatnonzero(labels == label))
        cuts = np.cumsum(
            [protocol.val_per_class, protocol.test_per_class, protocol.initial_per_class]
        )
        pool_end = (
            len(items) if protocol.pool_per_class is None else cuts[-1] + protocol.pool_per_class
        )
        if pool_end > len(items) or cuts[-1] >= len(items):
            raise DataError(
                f"class {label} has {len(items)} reviews, fewer than the protocol needs "
                f"({pool_end}): use a smaller protocol (quick=True) or the full archive"
            )
        parts[label] = np.split(items[:pool_end], cuts)
    return Splits(
        val=np.concatenate([parts[1][0], parts[0][0]]),
        test=np.concatenate([parts[1][1], parts[0][1]]),
        initial=np.concatenate([parts[1][2], parts[0][2]]),
        pool_negative=parts[0][3],
        pool_positive=parts[1][3],
        pool=rng.permutation(np.concatenate([parts[1][3], parts[0][3]])),
    )


def sampling_counts(
    false_positives: int, false_negatives: int, sampling_size: int
) -> tuple[int, int]:
    """(negatives, positives) to draw, as the tutorial computes them.

    Negatives get the false negatives' share and positives the false
    positives' share, truncated to integers; equal shares when either count is 0.
    Read by predicted class (as the leakage-free mode does) this is coherent:
    false negatives are the errors among items predicted negative.
    """
    if false_negatives and false_positives:
        total = false_negatives + false_positives
        ratio_positive, ratio_negative = false_positives / total, false_negatives / total
    else:
        ratio_positive = ratio_negative = 0.5
    return int(ratio_negative * sampling_size), int(ratio_positive * sampling_size)


def select_by_prediction(
    positive_probability: np.ndarray, n_negative: int, n_positive: int
) -> np.ndarray:
    """Pool positions to label: ``n_negative`` of the items predicted negative and
    ``n_positive`` of those predicted positive, most uncertain (closest to 0.5) first.

    Only the model's probabilities go in, never a label. When a predicted class
    has too few items the remainder comes from the other one.
    """
    p = np.asarray(positive_probability, dtype=np.float64)
    predicted_positive = np.flatnonzero(p > 0.5)
    predicted_negative = np.flatnonzero(p <= 0.5)
    total = min(n_negative + n_positive, len(p))
    n_negative = min(n_negative, len(predicted_negative))
    n_positive = min(total - n_negative, len(predicted_positive))
    n_negative = min(total - n_positive, len(predicted_negative))
    return np.concatenate(
        [
            _top(predicted_negative, p[predicted_negative], n_negative),
            _top(predicted_positive, -p[predicted_positive], n_positive),
        ]
    )


def _top(candidates: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    return candidates[top_k(scores, n)] if n > 0 else np.empty(0, dtype=int)


@dataclass
class Evaluation:
    """Binary metrics at threshold 0.5, as the tutorial's Keras metrics compute them."""

    accuracy: float
    loss: float
    false_positives: int
    false_negatives: int

    @classmethod
    def of(cls, positive_probability: np.ndarray, labels: np.ndarray) -> Evaluation:
        p = np.clip(np.asarray(positive_probability, dtype=np.float64), 1e-7, 1 - 1e-7)
        y = np.asarray(labels)
        predicted = (p > 0.5).astype(int)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return cls(
            accuracy=float((predicted == y).mean()),
            loss=float(loss),
            false_positives=int(((predicted == 1) & (y == 0)).sum()),
            false_negatives=int(((predicted == 0) & (y == 1)).sum()),
        )


@dataclass
class ModelRun:
    """One trained model (full data or active learning): its test metrics and how it got there.

    ``history`` holds every epoch of every fit with its ``round`` (0 = first
    fit), like the tutorial's ``append_history``; ``rounds`` one row per fit.
    """

    test: Evaluation
    labels_used: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SeedResult:
    seed: int
    full: ModelRun
    active: ModelRun


SUMMARY_METRICS = (
    "accuracy",
    "loss",
    "false_positives",
    "false_negatives",
    "labels_used",
    "seconds",
)


@dataclass
class KerasImdbResult:
    """Per-seed results plus what produced them; ``summary()`` gives mean and std over seeds."""

    seeds: list[SeedResult]
    faithful: bool
    leaks_test_set: bool
    reload_best: bool
    protocol: ImdbProtocol

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{"full"|"active": {metric: {"mean", "std"}}}``; std uses ddof=1 (0 for one seed)."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for name in ("full", "active"):
            out[name] = {}
            for metric in SUMMARY_METRICS:
                values = np.array([_metric(getattr(s, name), metric) for s in self.seeds], float)
                std = values.std(ddof=1) if len(values) > 1 else 0.0
                out[name][metric] = {"mean": float(values.mean()), "std": float(std)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "summary": self.summary()}

    def report(self) -> str:
        """A short text table for the command line."""
        mode = (
            "faithful (ratio from TEST set, draws by TRUE label)"
            if self.faithful
            else ("leakage-free (ratio from validation set, draws by predicted class)")
        )
        lines = [f"Keras IMDB active-learning reproduction, {mode}, seeds {self._seed_list()}"]
        summary = self.summary()
        for name, title in (("full", "full data"), ("active", "active learning")):
            row = summary[name]
            lines.append(
                f"  {title:16s} accuracy {_pm(row['accuracy'], 4)}"
                f"  FP {_pm(row['false_positives'], 0)}  FN {_pm(row['false_negatives'], 0)}"
                f"  labels {row['labels_used']['mean']:.0f}"
                f"  time {row['seconds']['mean']:.0f}s"
            )
        if self.leaks_test_set:
            lines.append(
                "  WARNING: the test set chose the training data; its accuracy is optimistic"
            )
        return "\n".join(lines)

    def _seed_list(self) -> str:
        return ",".join(str(s.seed) for s in self.seeds)


def _metric(run: ModelRun, metric: str) -> float:
    if metric in ("labels_used", "seconds"):
        return getattr(run, metric)
    return getattr(run.test, metric)


def _pm(stats: dict[str, float], digits: int) -> str:
    return f"{stats['mean']:.{digits}f}±{stats['std']:.{digits}f}"


def run_keras_imdb(
    archive_path: str | Path | None,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    faithful: bool = False,
    quick: bool = False,
    reload_best: bool = True,
    device: str = "auto",
    on_event: EventCallback | None = None,
) -> KerasImdbResult:
    """Run the tutorial's protocol on the IMDB archive (``aclImdb_v1.tar.gz`` layout;
    ``None`` lets :func:`~activelearn.data.imdb.load_imdb` find it).

    ``quick`` uses 10% of every split (a few minutes on a laptop CPU instead of
    tens of minutes per seed). ``reload_best=False`` keeps the tutorial's
    checkpoint handling: no reload after the first fit, and after each later
    fit the best checkpoint *of the whole run* so far. ``faithful`` also feeds
    the raw reviews (``<br />`` becomes the token ``br``, as in the tutorial).
    ``on_event(name, info)``
    receives ``split``, ``fit_started``, ``epoch``, ``fit_finished``,
    ``queried`` and ``evaluated`` events; ``evaluated`` carries ``model``
    (``"full"`` or ``"active"``), ``round``, ``labels_used`` and ``test_*``
    metrics (plus ``val_*`` and the query's counts for active rounds).
    """
    from activelearn.data.imdb import load_imdb

    train, test = load_imdb(archive_path)
    # faithful: the raw reviews, whose "<br />" the tutorial's vectorizer turns into "br"
    texts = [*train.raw, *test.raw] if faithful else [*train.X, *test.X]
    names = np.concatenate([train.labels, test.labels])
    if not np.isin(names, ("neg", "pos")).all():
        raise DataError("expected IMDB labels 'neg' and 'pos' from load_imdb")
    protocol = QUICK if quick else TUTORIAL
    return reproduce_keras_imdb(
        texts,
        (names == "pos").astype(np.int64),
        seeds=seeds,
        faithful=faithful,
        protocol=protocol,
        reload_best=reload_best,
        device=device,
        on_event=on_event,
        vectorizer_factory=functools.partial(
            _default_vectorizer, protocol, strip_html_breaks=not faithful
        ),
    )


def _default_vectorizer(protocol: ImdbProtocol, *, strip_html_breaks: bool = True) -> Vectorizer:
    from activelearn.features.text_vectorizer import TextVectorizer

    return TextVectorizer(
        max_tokens=protocol.max_tokens,
        sequence_length=protocol.sequence_length,
        strip_html_breaks=strip_html_breaks,
    )


def _default_learner(seed: int, *, protocol: ImdbProtocol, device: str) -> Any:
    from activelearn.learners.models import BiLSTMClassifier, imdb_bilstm_learner

    return imdb_bilstm_learner(
        module_factory=functools.partial(BiLSTMClassifier, vocab_size=protocol.max_tokens),
        seed=seed,
        device=device,
    )


def reproduce_keras_imdb(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    faithful: bool = False,
    protocol: ImdbProtocol = TUTORIAL,
    reload_best: bool = True,
    device: str = "auto",
    on_event: EventCallback | None = None,
    vectorizer_factory: Callable[[], Vectorizer] | None = None,
    learner_factory: Callable[[int], Any] | None = None,
) -> KerasImdbResult:
    """The protocol on reviews already in memory (labels 0 = negative, 1 = positive).

    ``vectorizer_factory`` defaults to the Keras-equivalent ``TextVectorizer``
    and ``learner_factory(seed)`` to the tutorial's BiLSTM recipe
    (:func:`~activelearn.learners.models.imdb_bilstm_learner`); tests swap in small ones.
    """
    if not seeds:
        raise ConfigError("pass at least one seed")
    if len(texts) != len(labels):
        raise DataError(f"got {len(texts)} reviews but {len(labels)} labels")
    labels = np.asarray(labels)
    emit = on_event or (lambda name, info: None)
    make_vectorizer = vectorizer_factory or functools.partial(_default_vectorizer, protocol)
    make_learner = learner_factory or functools.partial(
        _default_learner, protocol=protocol, device=device
    )
    results = []
    for seed in seeds:
        splits = stratified_splits(labels, protocol, np.random.default_rng(seed))
        emit("split", {"seed": seed, **{k: len(v) for k, v in vars(splits).items()}})
        tokens = _vectorize(texts, splits, make_vectorizer())
        results.append(
            SeedResult(
                seed=seed,
                full=train_full_model(tokens, labels, splits, make_learner(seed), emit),
                active=active_learning_run(
                    tokens,
                    labels,
                    splits,
                    make_learner(seed),
                    protocol=protocol,
                    faithful=faithful,
                    reload_best=reload_best,
                    emit=emit,
                ),
            )
        )
    return KerasImdbResult(
        seeds=results,
        faithful=faithful,
        leaks_test_set=faithful,
        reload_best=reload_best,
        protocol=protocol,
    )


def _vectorize(texts: Sequence[str], splits: Splits, vectorizer: Vectorizer) -> np.ndarray:
    """Token ids for every review the splits use (rows of unused reviews stay 0);
    the vocabulary comes from the initial training reviews only, as in the tutorial."""
    vectorizer.fit([texts[i] for i in splits.initial])
    used = np.concatenate([splits.val, splits.test, splits.initial, splits.pool])
    ids = np.asarray(vectorizer.transform([texts[i] for i in used]))
    tokens = np.zeros((len(texts), ids.shape[1]), dtype=np.int64)
    tokens[used] = ids
    return tokens


def _fit(
    learner: Any,
    tokens: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    splits: Splits,
    emit: EventCallback,
    tag: dict[str, Any],
) -> None:
    emit("fit_started", {**tag, "labels": len(train)})
    learner.set_params(on_epoch=lambda record: emit("epoch", {**tag, **record}))
    learner.fit(tokens[train], labels[train], validation=(tokens[splits.val], labels[splits.val]))
    emit(
        "fit_finished", {**tag, "epochs": len(learner.history_), "best_epoch": learner.best_epoch_}
    )


def _evaluate(
    learner: Any, tokens: np.ndarray, labels: np.ndarray, items: np.ndarray
) -> Evaluation:
    return Evaluation.of(learner.predict_proba(tokens[items])[:, 1], labels[items])


def train_full_model(
    tokens: np.ndarray, labels: np.ndarray, splits: Splits, learner: Any, emit: EventCallback
) -> ModelRun:
    """The reference: every training review (initial + pool) labeled, best epoch reloaded."""
    started = time.perf_counter()
    learner.set_params(restore_best=True)
    train = np.concatenate([splits.initial, splits.pool])
    _fit(learner, tokens, labels, train, splits, emit, {"model": "full", "round": 0})
    test = _evaluate(learner, tokens, labels, splits.test)
    metrics = {f"test_{k}": v for k, v in dataclasses.asdict(test).items()}
    emit("evaluated", {"model": "full", "round": 0, "labels_used": len(train), **metrics})
    history = [{"round": 0, **record} for record in learner.history_]
    return ModelRun(test, len(train), time.perf_counter() - started, history)


def active_learning_run(
    tokens: np.ndarray,
    labels: np.ndarray,
    splits: Splits,
    learner: Any,
    *,
    protocol: ImdbProtocol,
    faithful: bool,
    reload_best: bool,
    emit: EventCallback,
) -> ModelRun:
    """Initial fit, then ``protocol.iterations`` rounds of ratio-based sampling.

    Leakage-free mode reads ``labels`` only for the initial set, the
    validation set, items after they are chosen, and the test set for
    reporting. The learner must warm-start (the tutorial keeps one model);
    each fit gets a fresh optimizer.
    """
    started = time.perf_counter()
    learner.set_params(restore_best=reload_best)
    labeled = splits.initial.copy()
    pool = splits.pool
    pool_negative, pool_positive = splits.pool_negative, splits.pool_positive
    history: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    best_loss, best_state = float("inf"), None

    def after_fit(round_: int, query: dict[str, Any]) -> Evaluation:
        nonlocal best_loss, best_state
        if not reload_best:  # the tutorial's ModelCheckpoint: best over the whole run
            if learner.best_val_loss_ < best_loss:
                best_loss, best_state = learner.best_val_loss_, learner.best_state_
            if round_ > 0:
                learner.load_state_dict(best_state)
        history.extend({"round": round_, **record} for record in learner.history_)
        val = _evaluate(learner, tokens, labels, splits.val)
        test = _evaluate(learner, tokens, labels, splits.test)  # reporting only
        row = {"round": round_, "labels_used": len(labeled), **query}
        row.update({f"val_{k}": v for k, v in dataclasses.asdict(val).items()})
        row.update({f"test_{k}": v for k, v in dataclasses.asdict(test).items()})
        rounds.append(row)
        emit("evaluated", {"model": "active", **row})
        return test

    _fit(learner, tokens, labels, labeled, splits, emit, {"model": "active", "round": 0})
    test = after_fit(0, {})
    for round_ in range(1, protocol.iterations + 1):
        source = splits.test if faithful else splits.val
        errors = _evaluate(learner, tokens, labels, source)
        n_negative, n_positive = sampling_counts(
            errors.false_positives, errors.false_negatives, protocol.sampling_size
        )
        if faithful:  # the tutorial: take the next items of pools split by TRUE label
            chosen = np.concatenate([pool_negative[:n_negative], pool_positive[:n_positive]])
            pool_negative, pool_positive = pool_negative[n_negative:], pool_positive[n_positive:]
        else:
            positions = select_by_prediction(
                learner.predict_proba(tokens[pool])[:, 1], n_negative, n_positive
            )
            chosen = pool[positions]
            pool = np.delete(pool, positions)
        if len(chosen) == 0:
            break
        labeled = np.concatenate([labeled, chosen])  # the oracle reveals labels[chosen]
        query = {
            "ratio_from": "test" if faithful else "validation",
            "ratio_false_positives": errors.false_positives,
            "ratio_false_negatives": errors.false_negatives,
            "requested_negative": n_negative,
            "requested_positive": n_positive,
            "queried": len(chosen),
            "queried_positive": int(labels[chosen].sum()),
        }
        emit("queried", {"model": "active", "round": round_, "items": chosen.tolist(), **query})
        _fit(learner, tokens, labels, labeled, splits, emit, {"model": "active", "round": round_})
        test = after_fit(round_, query)
    return ModelRun(test, len(labeled), time.perf_counter() - started, history, rounds)
