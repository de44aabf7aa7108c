"""The featurizer contract: ``fit(texts) -> self``, ``transform(texts) -> array``.

Featurizers are unsupervised: ``fit`` never sees labels. Fit them on the
pool's inputs (labeled and unlabeled alike) and never on validation or test
items; then no held-out information reaches the features.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from activelearn.errors import DataError


class Featurizer(ABC):
    """Base class giving every featurizer ``fit_transform``.

    ``stateless`` featurizers (pretrained encoders) learn nothing from the
    data: the engine transforms a whole dataset once (and caches it) instead
    of fitting on each seed's pool.
    """

    stateless: bool = False

    @abstractmethod
    def fit(self, texts: Sequence[str]) -> Featurizer: ...

    @abstractmethod
    def transform(self, texts: Sequence[str]) -> Any: ...

    def fit_transform(self, texts: Sequence[str]) -> Any:
        return self.fit(texts).transform(texts)


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list; a clear error for a lone string or a non-text item."""
    if isinstance(texts, str):
        raise DataError("pass a list of texts, not a single string")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise DataError(
            f"items at positions {bad[:10]} are not text (first: {type(texts[bad[0]]).__name__})"
        )
    return texts
