"""Featurizers: texts to arrays, with ``fit(texts)``, ``transform(texts)``, ``fit_transform``.

All are unsupervised; fit them on pool texts only (see :mod:`.base`).
The sentence embedder imports torch and sentence-transformers on first use.
"""

from activelearn.features.base import Featurizer
from activelearn.features.sentence import SentenceEmbedder
from activelearn.features.text_vectorizer import TextVectorizer
from activelearn.features.tfidf import TfidfFeaturizer

__all__ = ["Featurizer", "SentenceEmbedder", "TextVectorizer", "TfidfFeaturizer"]
