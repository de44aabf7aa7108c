"""Token ids as Keras' ``TextVectorization`` makes them, without TensorFlow.

Reproduces the layer configured as in the Keras active-learning tutorial
(``max_tokens=3000``, ``output_sequence_length=150``,
``standardize="lower_and_strip_punctuation"``), so a PyTorch model sees the
same inputs the tutorial's model did:

- lowercasing is ASCII-only, as ``tf.strings.lower`` does by default;
- ``<br />`` becomes a space first (``strip_html_breaks=True``, the default
  here). The tutorial does not do that, so its reviews gain the token ``br``;
  pass ``strip_html_breaks=False`` and the raw texts for a faithful
  reproduction;
- ASCII punctuation (``string.punctuation``, Keras' regex) is removed;
- tokens are split on runs of ASCII whitespace (``tf.strings.split``);
- the vocabulary holds ``""`` (index 0, padding) and ``"[UNK]"`` (index 1,
  out of vocabulary) and then the ``max_tokens - 2`` most frequent tokens,
  by count, ties broken by the token's UTF-8 bytes in *descending* order
  (Keras sorts with ``np.lexsort((tokens, counts))[::-1]``);
- each text keeps its first ``sequence_length`` tokens and is padded with 0
  at the end.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.exceptions import NotFittedError

from activelearn.errors import ConfigError
from activelearn.features.base import Featurizer, check_texts

PAD, OOV = "", "[UNK]"
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")


def standardize(text: str, strip_html_breaks: bool = True) -> str:
    """ASCII lowercase, optionally ``<br />`` to space, then no ASCII punctuation."""
    text = text.translate(_LOWER)
    if strip_html_breaks:
        text = text.replace("<br />", " ")
    return text.translate(_NO_PUNCTUATION)


def tokenize(text: str, strip_html_breaks: bool = True) -> list[str]:
    """Standardized tokens split on ASCII whitespace, empty ones dropped."""
    return [t for t in _WHITESPACE.split(standardize(text, strip_html_breaks)) if t]


class TextVectorizer(Featurizer):
    """Texts to ``N x sequence_length`` int64 token ids with a frequency-ordered vocabulary."""

    def __init__(
        self, max_tokens: int = 3000, sequence_length: int = 150, strip_html_breaks: bool = True
    ) -> None:
        if max_tokens < 3:
            raise ConfigError(f"max_tokens={max_tokens}: it counts padding and [UNK], so use >= 3")
        if sequence_length < 1:
            raise ConfigError(f"sequence_length={sequence_length}: use a positive length")
        self.max_tokens = max_tokens
        self.sequence_length = sequence_length
        self.strip_html_breaks = strip_html_breaks
        self.vocabulary: list[str] | None = None
        self._index: dict[str, int] = {}

    def fit(self, texts: Sequence[str]) -> TextVectorizer:
        counts = Counter(token for text in check_texts(texts) for token in self._tokens(text))
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0].encode("utf-8")), reverse=True)
        words = [word for word, _ in ranked[: self.max_tokens - 2]]
        self.vocabulary = [PAD, OOV, *words]
        self._index = {word: i for i, word in enumerate(self.vocabulary) if i >= 2}
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self.vocabulary is None:
            raise NotFittedError("call fit(texts) before transform")
        texts = check_texts(texts)
        ids = np.zeros((len(texts), self.sequence_length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = self._tokens(text)[: self.sequence_length]
            ids[row, : len(tokens)] = [self._index.get(token, 1) for token in tokens]
        return ids

    def _tokens(self, text: str) -> list[str]:
        return tokenize(text, self.strip_html_breaks)

    def get_vocabulary(self) -> list[str]:
        """The vocabulary in index order, like Keras' ``get_vocabulary()``."""
        if self.vocabulary is None:
            raise NotFittedError("call fit(texts) before get_vocabulary")
        return list(self.vocabulary)
