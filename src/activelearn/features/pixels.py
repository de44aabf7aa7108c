"""Raw pixels as features: every image resized to ``size x size`` and flattened.

The weakest image features and the cheapest: nothing to download or run, so
they suit small projects, tests, and learners that are to find their own
features (an MLP). Dense, so diversity strategies can use them as
embeddings. Pretrained features (``efficientnet_lite0``) are usually better.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activelearn.data.images import LazyImages
from activelearn.errors import ConfigError, DataError
from activelearn.features.base import Featurizer


class PixelFeaturizer(Featurizer):
    """Images (a :class:`LazyImages` or an ``N x ...`` array) to ``N x (size*size*c)`` floats."""

    stateless = True

    def __init__(self, size: int = 16, grayscale: bool = False) -> None:
        if size < 1:
            raise ConfigError(f"size={size}: use at least 1 pixel")
        self.size = int(size)
        self.grayscale = bool(grayscale)

    def fit(self, X: Any) -> PixelFeaturizer:
        return self

    def transform(self, X: Any) -> np.ndarray:
        if isinstance(X, LazyImages):
            mode = "L" if self.grayscale else "RGB"
            images = LazyImages(X.paths, (self.size, self.size), mode).take_rows(range(len(X)))
            return images.reshape(len(X), -1)
        array = np.asarray(X, dtype=np.float32)
        if array.ndim < 2:
            raise DataError(f"pass a batch of images (N x ...), not an array of {array.shape}")
        return array.reshape(len(array), -1)
