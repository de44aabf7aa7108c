"""Featurizers by name: what turns a dataset's items into learner inputs.

``tfidf`` for texts with linear models (the strong default for sentiment),
``minilm`` sentence embeddings (meaning: diversity and cold start; cached on
disk), ``tokens`` for sequence models such as the tutorial's BiLSTM,
``efficientnet_lite0`` pretrained image features (cached on disk), ``pixels``
(images resized and flattened: cheap, weak), ``standardize`` for a table's
numeric columns. ``auto`` (the default of ``run`` and of experiments) picks
``tfidf`` for text, ``standardize`` for a table's numeric columns, nothing
for the built-in numeric and image datasets, and says so.
"""

from __future__ import annotations

from typing import Any

from activelearn.registry import Registry

FEATURIZERS = Registry("featurizer")
featurizer = FEATURIZERS.register


@featurizer("tfidf")
def tfidf(
    ngram_max: int = 2, min_df: int = 2, max_features: int | None = None, sublinear_tf: bool = True
) -> Any:
    """TF-IDF of word 1..ngram_max-grams, fitted on the pool's texts only."""
    from activelearn.features.tfidf import TfidfFeaturizer

    return TfidfFeaturizer(
        ngram_range=(1, ngram_max), min_df=min_df, max_features=max_features,
        sublinear_tf=sublinear_tf,
    )  # fmt: skip


@featurizer("minilm")
def minilm(max_length: int = 256, batch_size: int = 32, cache: str | None = None) -> Any:
    """all-MiniLM-L6-v2 sentence embeddings (384-d), offline, cached on disk."""
    from activelearn.features.sentence import SentenceEmbedder

    return SentenceEmbedder(max_length=max_length, batch_size=batch_size, cache=cache)


@featurizer("tokens")
def tokens(max_tokens: int = 3000, sequence_length: int = 150) -> Any:
    """Token ids (a Keras-equivalent TextVectorization) for sequence models like bilstm."""
    from activelearn.features.text_vectorizer import TextVectorizer

    return TextVectorizer(max_tokens=max_tokens, sequence_length=sequence_length)


def available_featurizers() -> list[str]:
    return FEATURIZERS.names()


@featurizer("efficientnet_lite0")
def efficientnet_lite0(image_size: int = 96, batch_size: int = 64, device: str = "auto") -> Any:
    """Pretrained EfficientNet-Lite0 image features (1280-d, ImageNet weights), cached on disk."""
    from activelearn.features.backbone import efficientnet_lite0 as build

    return build(image_size=image_size, batch_size=batch_size, device=device)


@featurizer("standardize")
def standardize() -> Any:
    """Each numeric column to mean 0, variance 1 over the pool (a table's columns' units)."""
    from activelearn.features.standardize import Standardizer

    return Standardizer()


@featurizer("pixels")
def pixels(size: int = 16, grayscale: bool = False) -> Any:
    """Images resized to size x size and flattened (cheap, weak; dense, so usable as embeddings)."""
    from activelearn.features.pixels import PixelFeaturizer

    return PixelFeaturizer(size=size, grayscale=grayscale)
