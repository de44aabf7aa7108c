"""The Keras IMDB tutorial's own sampling, as a strategy for the faithful reproduction.

It leaks twice, on purpose and flagged: the batch is split by the *test*
set's false positives and false negatives, and items are taken in order from
pools already split by their *true* label. It exists only so the faithful
variant runs through the same loop as everything else; the leakage-free
variant is the registered ``ratio`` strategy (validation errors, draws by
predicted class, most uncertain first). Not registered: no config can pick it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from activelearn.strategies.base import ModelOutputs, Query, QueryStrategy


def sampling_counts(
    false_positives: int, false_negatives: int, sampling_size: int
) -> tuple[int, int]:
    """(negatives, positives) to draw, as the tutorial computes them.

    Negatives get the false negatives' share and positives the false
    positives' share, truncated to integers; equal shares when either count is 0.
    Read by predicted class (as the leakage-free ``ratio`` strategy does) this is
    coherent: false negatives are the errors among items predicted negative.
    """
    if false_negatives and false_positives:
        total = false_negatives + false_positives
        ratio_positive, ratio_negative = false_positives / total, false_negatives / total
    else:
        ratio_positive = ratio_negative = 0.5
    return int(ratio_negative * sampling_size), int(ratio_positive * sampling_size)


class TutorialSampling(QueryStrategy):
    """Reads the test set's errors and the pool's true labels, as the tutorial does.

    ``negatives``/``positives``: pool item ids split by their TRUE label, in the
    order the tutorial draws them. ``test_errors()`` returns the current model's
    (false positives, false negatives) on the TEST set.
    """

    name = "keras_tutorial_faithful"
    requires = frozenset()  # it needs no model outputs: it reads the answers instead
    leaks_test_set = True

    def __init__(
        self,
        negatives: Sequence[Any],
        positives: Sequence[Any],
        test_errors: Callable[[], tuple[int, int]],
    ) -> None:
        self._order = {0: [str(i) for i in negatives], 1: [str(i) for i in positives]}
        self._test_errors = test_errors

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if outputs.ids is None:
            raise ValueError("the tutorial's sampling needs the candidates' ids")
        false_positives, false_negatives = self._test_errors()
        n_negative, n_positive = sampling_counts(false_positives, false_negatives, n)
        where = {str(key): i for i, key in enumerate(outputs.ids.tolist())}
        chosen = []
        for label, count in ((0, n_negative), (1, n_positive)):
            waiting = [where[key] for key in self._order[label] if key in where]
            chosen.extend(waiting[:count])
        note = (
            f"tutorial sampling: TEST set FP {false_positives}, FN {false_negatives} -> "
            f"{n_negative} negatives, {n_positive} positives drawn by TRUE label"
        )
        indices = np.asarray(chosen, dtype=int)
        return Query(indices, np.zeros(len(indices)), (note,))
