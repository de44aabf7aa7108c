"""Semi-supervised rounds: fit on the labels people gave plus confident guesses on the rest.

After a round's supervised fit, a method proposes *pseudo-labels* for
unlabeled pool items and the loop refits on both. Three methods, composable
with every strategy (the strategy still chooses what people label):

* ``self_training``: the model's own most confident predictions
  (Lee 2013; Yarowsky 1995).
* ``self_training_whole_pool``: its guesses for nearly every unlabeled item,
  with no confidence floor and no cap (every one at least as confident as the
  least confident validation item). The best recipe measured on IMDB TF-IDF
  (+1.7 points for ``auto`` at 2,000 labels, nothing for random) and within
  noise on pretrained features (benchmarks/label_efficiency/TABLE.md).
  With ``teacher="naive_bayes"`` both self-training methods average their
  guesses with a naive Bayes' on the same labels: on IMDB TF-IDF, 99.1% of
  the full-data model at 2,000 labels.
* ``label_spreading``: labels spread over a k-nearest-neighbour graph of
  embeddings (Zhou et al. 2004), for dense features or learners that embed.

All three choose their confidence threshold on the *validation* set: the lowest
threshold at which the validation items the method is that sure about are
right at least ``precision`` of the time (never below ``min_threshold``),
so the test set never shapes them. A per-class cap keeps one class from
flooding the training set: at most ``max_ratio`` x (labeled items)
pseudo-labels in all, split between the classes in the proportions of the
labeled set. Pseudo-labels are recomputed every round and never stored as
labels. The refit replaces the plain fit only if its validation accuracy is
higher (``accept="if_better"``, the default; a tie keeps the plain fit, as
the refit has not shown that it helps): on IMDB a random labeled set lost
3-4 points to correct, balanced pseudo-labels that over-weight the easy
region it already covers (benchmarks/label_efficiency/self_training_diag.py),
while actively chosen sets, which lack that region, gained. Werner et al.
(2025) found semi-supervision worth far more than the choice of strategy,
and strong baselines erase small gains (Munjal et al. 2022), so compare
against random sampling with the same semi-supervision.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from activelearn.errors import ConfigError
from activelearn.learners.base import can_embed, fit
from activelearn.registry import Registry
from activelearn.strategies.base import EMBEDDINGS, VALIDATION

SEMI_SUPERVISION = Registry("semi-supervision method", context=("random_state",))
ACCEPT = ("if_better", "always")  # keep the refit: if better on validation, or always


@dataclass
class PseudoLabels:
    """Pool positions and the labels guessed for them, and how they were chosen."""

    positions: np.ndarray
    labels: np.ndarray
    threshold: float | None
    note: str


def refit_with_pseudo_labels(loop: Any, method: Any, validation: tuple[Any, Any]) -> dict:
    """Refit ``loop.learner`` on its labels plus ``method``'s pseudo-labels (chosen with the
    plain fit and the validation set; recomputed every round, never stored). Unless
    ``method.accept`` is ``"always"``, the refit replaces the plain fit only when its validation
    accuracy is higher; otherwise the plain fit (a copy kept aside) stays the round's model.
    On return ``loop.validation_probabilities`` are the kept model's, so the round's
    evaluation need not predict the validation set again."""
    loop.validation_probabilities = loop.predict_X(validation[0])
    pseudo = method.pseudo_labels(loop, len(loop.history))
    record = {"n_pseudo": len(pseudo.positions), "pseudo_threshold": pseudo.threshold,
              "note": pseudo.note}  # fmt: skip
    if not len(pseudo.positions):
        return record
    labeled = loop.pool.labeled_indices
    rows = np.concatenate([labeled, pseudo.positions])
    labels = np.concatenate([loop.pool.labels, loop.pool.coerce_labels(pseudo.labels.tolist())])
    guarded = getattr(method, "accept", "if_better") == "if_better"
    plain = copy.deepcopy(loop.learner) if guarded else None
    with loop.threads_for(len(rows)):
        fit(loop.learner, loop.pool.subset(rows), labels, validation)
    plain_probabilities, loop.validation_probabilities = (
        loop.validation_probabilities, loop.predict_X(validation[0]))  # fmt: skip
    if plain is None:
        return record
    before = float(np.mean(_correct(plain_probabilities, validation[1], loop)))
    after = float(np.mean(_correct(loop.validation_probabilities, validation[1], loop)))
    record.update(pseudo_accepted=after > before, plain_val_accuracy=before,
                  refit_val_accuracy=after)  # fmt: skip
    if after <= before:
        loop.learner, loop.validation_probabilities = plain, plain_probabilities
        record["note"] += (
            f"; refit not kept: validation accuracy {after:.4f} with them, {before:.4f} without"
        )
    return record


def _correct(probabilities: np.ndarray, truth: Any, loop: Any) -> np.ndarray:
    """Which predictions are right, compared as the loop's reported metrics compare them."""
    return loop.pool.classes[probabilities.argmax(axis=1)] == np.asarray(truth)


def threshold_on_validation(
    confidence: np.ndarray, correct: np.ndarray, precision: float, minimum: float,
    min_count: int = 10,
) -> float | None:  # fmt: skip
    """The lowest confidence t >= ``minimum`` whose validation items (confidence >= t, at least
    ``min_count`` of them) are right at least ``precision`` of the time; None if there is none."""
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    counts = np.arange(1, len(order) + 1)
    ok = (hits / counts >= precision) & (counts >= min_count) & (confidence[order] >= minimum)
    if not ok.any():
        return None
    return float(confidence[order][np.flatnonzero(ok)[-1]])


def capped_by_class(
    confidence: np.ndarray, guesses: np.ndarray, threshold: float, labeled: np.ndarray,
    classes: np.ndarray, max_ratio: float,
) -> np.ndarray:  # fmt: skip
    """Rows to pseudo-label: above ``threshold``, the most confident first within each class,
    each class capped at its labeled share of ``max_ratio`` x len(labeled)."""
    total = int(max_ratio * len(labeled))
    chosen = []
    for c, cls in enumerate(classes.tolist()):
        quota = int(round(total * np.mean(labeled == cls))) if len(labeled) else 0
        rows = np.flatnonzero((guesses == c) & (confidence >= threshold))
        rows = rows[np.argsort(-confidence[rows], kind="stable")][:quota]
        chosen.append(rows)
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=int)


class _Method:
    """Shared settings and the part every method does alike.

    ``requires`` names what a run must provide, in the strategies' words, so the CLI and the
    app check a method's needs as they check a strategy's."""

    requires = frozenset({VALIDATION})  # every method sets its threshold on validation

    def __init__(
        self, precision: float, max_ratio: float, min_threshold: float, candidates: int,
        accept: str, random_state: int,
    ) -> None:  # fmt: skip
        if accept not in ACCEPT:
            raise ConfigError(f"accept must be one of {', '.join(ACCEPT)}, got {accept!r}")
        if not 0.5 <= precision <= 1.0:
            raise ConfigError(f"precision must lie in [0.5, 1], got {precision}")
        if max_ratio <= 0 or candidates < 1:
            raise ConfigError("max_ratio and candidates must be positive")
        self.precision = precision
        self.max_ratio = max_ratio
        self.min_threshold = min_threshold
        self.candidates = candidates
        self.accept = accept
        self.random_state = random_state

    def _candidates(self, loop: Any, round_: int) -> np.ndarray:
        """Unlabeled pool positions to guess for: all, or a random ``candidates`` of them."""
        unlabeled = loop.pool.unlabeled_indices
        if len(unlabeled) <= self.candidates:
            return unlabeled
        rng = np.random.default_rng([self.random_state, round_, 7])
        return np.sort(rng.choice(unlabeled, self.candidates, replace=False))

    def _finish(
        self, name: str, positions: np.ndarray, distributions: np.ndarray,
        val_distributions: np.ndarray, loop: Any,
    ) -> PseudoLabels:  # fmt: skip
        classes = loop.pool.classes
        threshold = threshold_on_validation(
            val_distributions.max(axis=1), _correct(val_distributions, loop.validation.y, loop),
            self.precision, self.min_threshold,
        )  # fmt: skip
        if threshold is None:
            note = f"{name}: no threshold reaches {self.precision:.0%} validation precision"
            return PseudoLabels(np.empty(0, dtype=int), np.empty(0), None, note)
        rows = capped_by_class(
            distributions.max(axis=1), distributions.argmax(axis=1), threshold,
            loop.pool.labels, classes, self.max_ratio,
        )  # fmt: skip
        labels = classes[distributions[rows].argmax(axis=1)]
        note = (
            f"{name}: {len(rows)} pseudo-labels at confidence >= {threshold:.3f} "
            f"({self.precision:.0%} precision on validation)"
        )
        return PseudoLabels(positions[rows], labels, threshold, note)


TEACHERS = ("self", "naive_bayes")


class SelfTraining(_Method):
    """The model's own confident predictions become training labels for the next fit.

    With ``teacher="naive_bayes"`` the guesses are the average of the model's probabilities
    and those of a multinomial naive Bayes fitted on the same labels (for non-negative
    features such as TF-IDF): a second, generative view of the labels whose errors the
    model does not share (Nigam et al. 2000; Blum & Mitchell 1998). On IMDB TF-IDF its
    guesses are less often right than the model's own, yet the refit on them is better
    (benchmarks/label_efficiency/pseudo_teacher_diag.py)."""

    def __init__(self, *args: Any, teacher: str = "self", **settings: Any) -> None:
        super().__init__(*args, **settings)
        if teacher not in TEACHERS:
            raise ConfigError(f"teacher must be one of {', '.join(TEACHERS)}, got {teacher!r}")
        self.teacher = teacher

    def check_features(self, X: Any) -> None:
        """Refuse, before any round, pool features the naive Bayes teacher cannot read."""
        if self.teacher == "naive_bayes":
            _check_counts(X)

    def pseudo_labels(self, loop: Any, round_: int) -> PseudoLabels:
        positions = self._candidates(loop, round_)
        distributions = loop.predict_positions(positions)
        validation = loop.validation_probabilities
        if self.teacher == "naive_bayes":
            bayes = _naive_bayes(loop)
            distributions = (distributions + bayes(loop.pool.subset(positions))) / 2
            validation = (validation + bayes(loop.validation.X)) / 2
        return self._finish("self-training", positions, distributions, validation, loop)


def _check_counts(X: Any) -> None:
    values = X.data if sp.issparse(X) else np.asarray(X)
    if values.dtype.kind not in "biuf" or (values.size and values.min() < 0):
        raise ConfigError(
            "teacher naive_bayes needs non-negative numeric features, such as tfidf or "
            "pixels, not raw items or embeddings with negative values"
        )


def _naive_bayes(loop: Any) -> Any:
    """A multinomial naive Bayes fitted on the loop's labeled features; returns a function
    from inputs to probabilities in the loop's class order."""
    from sklearn.naive_bayes import MultinomialNB

    from activelearn.metrics import align_columns

    X = loop.pool.subset(loop.pool.labeled_indices)
    _check_counts(X)
    model = MultinomialNB(alpha=0.1).fit(X, np.asarray(loop.pool.labels))
    return lambda inputs: align_columns(model.predict_proba(inputs), model.classes_,
                                        loop.pool.classes)  # fmt: skip


class LabelSpreading(_Method):
    """Labels spread over a k-nearest-neighbour graph of the embeddings (scikit-learn's
    ``LabelSpreading``); validation items ride along unlabeled to set the threshold."""

    requires = frozenset({VALIDATION, EMBEDDINGS})

    def __init__(self, neighbors: int = 10, alpha: float = 0.2, **settings: Any) -> None:
        super().__init__(**settings)
        self.neighbors = neighbors
        self.alpha = alpha

    def pseudo_labels(self, loop: Any, round_: int) -> PseudoLabels:
        from sklearn.semi_supervised import LabelSpreading as Spreading

        positions = self._candidates(loop, round_)
        labeled = loop.pool.labeled_indices
        X = np.vstack([
            embed_positions(loop, labeled), embed_positions(loop, positions),
            embed_inputs(loop, loop.validation.X),
        ])  # fmt: skip
        classes = loop.pool.classes
        column = {str(c): i for i, c in enumerate(classes.tolist())}
        y = np.full(len(X), -1)
        y[: len(labeled)] = [column[str(v)] for v in loop.pool.labels]
        model = Spreading(kernel="knn", n_neighbors=self.neighbors, alpha=self.alpha)
        distributions = _all_columns(model.fit(X, y), len(classes))
        start, end = len(labeled), len(labeled) + len(positions)
        return self._finish("label spreading", positions, distributions[start:end],
                            distributions[end:], loop)  # fmt: skip


def embed_positions(loop: Any, positions: np.ndarray) -> np.ndarray:
    """Embeddings of pool items: the loop's given ones, or the learner's."""
    if loop.embeddings is not None:
        return loop.embeddings[positions]
    return embed_inputs(loop, loop.pool.subset(positions))


def embed_inputs(loop: Any, X: Any) -> np.ndarray:
    """Embeddings of any inputs (validation items too): the learner's, or the inputs
    themselves when the pool's dense features are its embeddings."""
    if can_embed(loop.learner):
        return np.asarray(loop.learner.embed(X))
    if loop.embeddings is not None and loop.embeddings is loop.pool.X:
        return np.asarray(X)
    raise ConfigError(
        "label spreading needs embeddings of the validation items too: use dense features "
        "(--features minilm or efficientnet_lite0, pixels) or a learner with `embed`"
    )


def _all_columns(model: Any, n_classes: int) -> np.ndarray:
    """``label_distributions_`` with one column per class, also for classes not yet labeled."""
    out = np.zeros((len(model.label_distributions_), n_classes))
    out[:, model.classes_] = model.label_distributions_
    return out


@SEMI_SUPERVISION.register("self_training")
def self_training(
    precision: float = 0.95, max_ratio: float = 1.0, min_threshold: float = 0.6,
    candidates: int = 20_000, accept: str = "if_better", teacher: str = "self",
    random_state: int = 0,
) -> SelfTraining:  # fmt: skip
    """The model's confident predictions (threshold set on validation), capped per class."""
    return SelfTraining(precision, max_ratio, min_threshold, candidates, accept, random_state,
                        teacher=teacher)  # fmt: skip


@SEMI_SUPERVISION.register("self_training_whole_pool")
def self_training_whole_pool(
    max_ratio: float = 100.0, candidates: int = 1_000_000, accept: str = "if_better",
    teacher: str = "self", random_state: int = 0,
) -> SelfTraining:  # fmt: skip
    """Self-training on the guesses for nearly every unlabeled item: no floor, no cap."""
    return SelfTraining(0.5, max_ratio, 0.0, candidates, accept, random_state, teacher=teacher)


@SEMI_SUPERVISION.register("label_spreading")
def label_spreading(
    neighbors: int = 10, alpha: float = 0.2, precision: float = 0.95, max_ratio: float = 1.0,
    min_threshold: float = 0.6, candidates: int = 20_000, accept: str = "if_better",
    random_state: int = 0,
) -> LabelSpreading:  # fmt: skip
    """Labels spread over a kNN graph of embeddings (dense features or a learner's embed)."""
    return LabelSpreading(
        neighbors, alpha, precision=precision, max_ratio=max_ratio, min_threshold=min_threshold,
        candidates=candidates, accept=accept, random_state=random_state,
    )  # fmt: skip
