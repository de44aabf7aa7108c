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
are "queried". ``faithful=True`` does exactly that (the small leaking strategy
of :mod:`activelearn.reproduce.tutorial_sampling`) and flags the result
``leaks_test_set=True``. The default is leakage-free: the registered ``ratio``
strategy takes the ratio from the validation set and draws each class's share
from the items the model *predicts* as that class, most uncertain first;
labels are revealed only for the chosen items. Test data is used for
reporting only.

Both run on :class:`~activelearn.loop.ActiveLearningLoop`, the one engine:
the initial 15,000 reviews are labels given with the pool, each round adds
``sampling_size`` queried reviews, and the warm-started BiLSTM is refitted
with a fresh optimizer; the full-data model is the loop's seed round over
every training review.

The tutorial's reviews come in TensorFlow Datasets' fixed order; here each
seed shuffles each class before splitting, so seeds vary the split as well as
the weights, shuffling and dropout.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from activelearn.data.pool import Pool
from activelearn.errors import ConfigError, DataError, ResumeError
from activelearn.loop import ActiveLearningLoop, Event
from activelearn.reproduce.results import Evaluation, KerasImdbResult, ModelRun, SeedResult
from activelearn.reproduce.tutorial_sampling import TutorialSampling, sampling_counts

__all__ = ["Evaluation", "KerasImdbResult", "ModelRun", "SeedResult", "sampling_counts"]

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


def run_keras_imdb(
    archive_path: str | Path | None,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    faithful: bool = False,
    quick: bool = False,
    reload_best: bool = True,
    device: str = "auto",
    on_event: EventCallback | None = None,
    output: str | Path | None = None,
) -> KerasImdbResult:
    """Run the tutorial's protocol on the IMDB archive (``aclImdb_v1.tar.gz`` layout;
    ``None`` lets :func:`~activelearn.data.imdb.load_imdb` find it).

    ``quick`` uses 10% of every split (a few minutes on a laptop CPU instead of
    tens of minutes per seed). ``reload_best=False`` keeps the tutorial's
    checkpoint handling: no reload after the first fit, and after each later
    fit the best checkpoint *of the whole run* so far. ``faithful`` also feeds
    the raw reviews (``<br />`` becomes the token ``br``, as in the tutorial).
    ``on_event(name, info)`` receives ``split``, ``epoch``, ``queried`` and
    ``evaluated`` events, each with ``model`` (``"full"`` or ``"active"``) and
    ``round``; ``evaluated`` carries ``labels_used`` and ``test_*`` and
    ``val_*`` metrics.
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
        output=output,
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
    output: str | Path | None = None,
) -> KerasImdbResult:
    """The protocol on reviews already in memory (labels 0 = negative, 1 = positive).

    With ``output``, every seed is resumable: a finished seed is written to
    ``seed_<n>.json`` and read back by a later run, and an unfinished one
    continues from its loops' label logs and the learner's checkpoint after
    its last finished round (a stopped run ends exactly as an unstopped one;
    with ``reload_best=False`` the best checkpoint of the run so far is not
    saved, so a resumed seed restarts that bookkeeping).

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
        done = None if output is None else Path(output) / f"seed_{seed}.json"
        if done is not None and done.exists():
            results.append(_finished_seed(done, faithful, protocol, reload_best))
            emit("reused", {"seed": seed, "path": str(done)})
            continue
        folder = None if output is None else Path(output) / f"seed_{seed}"
        splits = stratified_splits(labels, protocol, np.random.default_rng(seed))
        emit("split", {"seed": seed, **{k: len(v) for k, v in vars(splits).items()}})
        tokens = _vectorize(texts, splits, make_vectorizer())
        full = train_full_model(
            tokens, labels, splits, make_learner(seed), emit,
            run_dir=None if folder is None else folder / "full",
        )  # fmt: skip
        active = active_learning_run(
            tokens, labels, splits, make_learner(seed), protocol=protocol, faithful=faithful,
            reload_best=reload_best, emit=emit,
            run_dir=None if folder is None else folder / "active",
        )  # fmt: skip
        results.append(SeedResult(seed, full, active))
        if done is not None:
            settings = {"faithful": faithful, "protocol": dataclasses.asdict(protocol),
                        "reload_best": reload_best}  # fmt: skip
            done.write_text(json.dumps({**dataclasses.asdict(results[-1]), **settings}, indent=1))
    return KerasImdbResult(
        seeds=results,
        faithful=faithful,
        leaks_test_set=faithful,
        reload_best=reload_best,
        protocol=protocol,
    )


def _finished_seed(
    path: Path, faithful: bool, protocol: ImdbProtocol, reload_best: bool
) -> SeedResult:
    data = json.loads(path.read_text())
    asked = {"faithful": faithful, "protocol": dataclasses.asdict(protocol),
             "reload_best": reload_best}  # fmt: skip
    differing = sorted(k for k, v in asked.items() if data.get(k) != v)
    if differing:
        raise ResumeError(
            f"{path} was written by a run with other settings ({', '.join(differing)}): "
            "use another --output or the same settings"
        )
    return SeedResult.from_dict(data)


def _vectorize(texts: Sequence[str], splits: Splits, vectorizer: Vectorizer) -> np.ndarray:
    """Token ids for every review the splits use (rows of unused reviews stay 0);
    the vocabulary comes from the initial training reviews only, as in the tutorial."""
    vectorizer.fit([texts[i] for i in splits.initial])
    used = np.concatenate([splits.val, splits.test, splits.initial, splits.pool])
    ids = np.asarray(vectorizer.transform([texts[i] for i in used]))
    tokens = np.zeros((len(texts), ids.shape[1]), dtype=np.int64)
    tokens[used] = ids
    return tokens


def _pool(tokens: np.ndarray, labels: np.ndarray, items: np.ndarray) -> Pool:
    """Training reviews as a pool whose hidden truth a simulated oracle reveals."""
    return Pool(tokens[items], ids=items, hidden_labels=labels[items], classes=[0, 1])


def _relay(emit: EventCallback, model: str, loop: ActiveLearningLoop) -> None:
    """Pass the loop's and the learner's events on as the reproduction's own."""
    learner = loop.learner
    current = {"round": 0}

    def on_event(event: Event) -> None:
        current["round"] = event.round
        if event.kind == "queried" and event.round > 0:
            emit("queried", {"model": model, "round": event.round,
                             "items": [int(i) for i in event.data["ids"]]})  # fmt: skip
        elif event.kind == "evaluated":
            row = {
                k if k.startswith("val_") else f"test_{k}": v
                for k, v in event.data.items()
                if not isinstance(v, dict) and k != "eval_seconds"
            }
            emit("evaluated", {"model": model, "round": event.round,
                               "labels_used": len(loop.pool.labeled_indices), **row})  # fmt: skip

    loop.subscribe(on_event)
    learner.set_params(
        on_epoch=lambda record: emit("epoch", {"model": model, "round": current["round"], **record})
    )


def train_full_model(
    tokens: np.ndarray,
    labels: np.ndarray,
    splits: Splits,
    learner: Any,
    emit: EventCallback,
    *,
    run_dir: Path | None = None,
) -> ModelRun:
    """The reference: every training review (initial + pool) labeled, best epoch reloaded:
    the loop's seed round over the whole pool."""
    started = time.perf_counter()
    learner.set_params(restore_best=True)
    train = np.concatenate([splits.initial, splits.pool])
    pool = _pool(tokens, labels, train)
    loop = ActiveLearningLoop(
        pool, learner, "random", initial_size=len(pool), max_rounds=0,
        validation=(tokens[splits.val], labels[splits.val]),
        test=(tokens[splits.test], labels[splits.test]), threads=None, run_dir=run_dir,
        resume=True,
    )  # fmt: skip
    _relay(emit, "full", loop)
    record = loop.run()[0]
    history = [{"round": 0, **epoch} for epoch in record.get("epochs", [])]
    return ModelRun(Evaluation.from_record(record), len(train), time.perf_counter() - started,
                    history)  # fmt: skip


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
    run_dir: Path | None = None,
) -> ModelRun:
    """The initial fit, then ``protocol.iterations`` rounds of ratio sampling, on the loop.

    Leakage-free mode reads labels only for the initial set, the validation
    set, items after they are chosen, and the test set for reporting. The
    learner must warm-start (the tutorial keeps one model); each fit gets a
    fresh optimizer.
    """
    started = time.perf_counter()
    learner.set_params(restore_best=reload_best)
    items = np.concatenate([splits.initial, splits.pool])
    pool = _pool(tokens, labels, items)
    pool.add_labels(np.arange(len(splits.initial)), labels[splits.initial])  # given labels
    test = (tokens[splits.test], labels[splits.test])
    if faithful:

        def test_errors() -> tuple[int, int]:
            p = learner.predict_proba(test[0])[:, 1]
            errors = Evaluation.of(p, test[1])
            return errors.false_positives, errors.false_negatives

        strategy: Any = TutorialSampling(splits.pool_negative, splits.pool_positive, test_errors)
        params = None
    else:
        strategy, params = "ratio", {"uncertainty": "least_confidence"}
    loop = ActiveLearningLoop(
        pool, learner, strategy, strategy_params=params, batch_size=protocol.sampling_size,
        initial_size=0, max_rounds=protocol.iterations,
        validation=(tokens[splits.val], labels[splits.val]), test=test, threads=None,
        run_dir=run_dir, resume=True,
    )  # fmt: skip
    _relay(emit, "active", loop)
    if not reload_best:
        loop.subscribe(_RunCheckpoint(learner))
    history = loop.run()
    epochs = [{"round": r["round"], **e} for r in history for e in r.get("epochs", [])]
    rounds = []
    for record in history:
        row: dict[str, Any] = {"round": record["round"], "labels_used": record["n_labeled"]}
        if record["round"] > 0:
            row["queried"] = record["n_queried"]
            row["queried_positive"] = int(record["class_histogram"].get("1", 0))
            row["notes"] = record["notes"]
        for prefix, key in (("val_", "val_"), ("", "test_")):
            evaluation = dataclasses.asdict(Evaluation.from_record(record, prefix))
            row.update({f"{key}{k}": v for k, v in evaluation.items()})
        rounds.append(row)
    final = Evaluation.from_record(history[-1])
    return ModelRun(final, history[-1]["n_labeled"], time.perf_counter() - started, epochs, rounds)


class _RunCheckpoint:
    """The tutorial's ModelCheckpoint: after every later fit, the weights of the best epoch
    of the whole run so far (lowest validation loss) are loaded."""

    def __init__(self, learner: Any) -> None:
        self.learner = learner
        self.best_loss, self.best_state = float("inf"), None

    def __call__(self, event: Event) -> None:
        if event.kind != "trained":
            return
        if self.learner.best_val_loss_ < self.best_loss:
            self.best_loss, self.best_state = self.learner.best_val_loss_, self.learner.best_state_
        if event.round > 0:
            self.learner.load_state_dict(self.best_state)
