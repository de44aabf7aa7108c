"""The learner's inputs for a project's items, computed in the training child and cached.

Items reach the training job as texts or image paths (relative to the
project folder). What the learner reads depends on the recipe:

* no featurizer: texts as they are (``tfidf_logreg``) or pixels
  (``C x H x W`` floats, for ``cnn`` and ``finetune_efficientnet``);
* a featurizer that learns from the data (TF-IDF, token vocabularies): fitted
  on the training pool's items, never on held-out ones (as the engine does);
* a pretrained encoder (``stateless``: MiniLM, EfficientNet-Lite0, pixels):
  every item is encoded **once**, and its vector kept in the project folder
  (``cache/features-<spec hash>.npy``, rows named by item id in a sibling
  ``.ids.npy``), so a retrain encodes only items it has not seen. The files
  are plain arrays read with ``allow_pickle=False``; a damaged pair is
  recomputed, never trusted. Dense vectors are also the loop's embeddings.

This runs in the training child: a request never waits for an encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.cache import save_npy_atomic
from activelearn.data.images import LazyImages
from activelearn.errors import DataError
from activelearn.features.registry import FEATURIZERS
from activelearn.server.recipe import IMAGE, PIXEL_SHAPE, Recipe

CACHE_FOLDER = "cache"


@dataclass
class Inputs:
    """Learner inputs for every item of a job, in the job's order, and their embeddings."""

    X: Any  # list of texts, or an N x ... array
    embeddings: np.ndarray | None  # dense features double as embeddings

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.X.shape[1:]) if isinstance(self.X, np.ndarray) else ()


def learner_inputs(
    recipe: Recipe,
    folder: str | Path,
    keys: Sequence[int],
    items: Sequence[str],
    fit_on: np.ndarray,
) -> Inputs:
    """Inputs for ``items`` (texts or image paths) named ``keys`` (item ids).

    ``fit_on`` marks the items a data-fitted featurizer may learn from (the
    training pool: labeled and open pool items, not held-out ones).
    """
    folder = Path(folder)
    if recipe.features is None:
        if recipe.kind == IMAGE:
            return Inputs(_pixels(folder, items), None)
        return Inputs(list(items), None)
    featurizer = FEATURIZERS.make(recipe.features)
    if not featurizer.stateless:
        source = _readable(recipe.kind, folder, items, _image_size(featurizer))
        featurizer.fit(_take(source, np.flatnonzero(fit_on)))
        return Inputs(featurizer.transform(source), None)
    vectors = _encoded(recipe, featurizer, folder, keys, items)
    return Inputs(vectors, vectors)


def _readable(kind: str, folder: Path, items: Sequence[str], size: int) -> Any:
    """What a featurizer reads: the texts, or the images decoded at ``size`` on access."""
    if kind != IMAGE:
        return list(items)
    return LazyImages([folder / item for item in items], (size, size), "RGB")


def _image_size(featurizer: Any) -> int:
    """The size an image encoder works at, so images are decoded once at that size."""
    return int(getattr(featurizer, "image_size", None) or getattr(featurizer, "size", None) or 96)


def _take(source: Any, rows: np.ndarray) -> Any:
    if isinstance(source, LazyImages):
        return source.select(rows)
    return [source[int(i)] for i in rows]


def _pixels(folder: Path, items: Sequence[str]) -> np.ndarray:
    """``N x 3 x 32 x 32`` floats in [0, 1], what pixel learners read."""
    _channels, height, width = PIXEL_SHAPE
    images = LazyImages([folder / item for item in items], (height, width), "RGB")
    return images.take_rows(range(len(items))).transpose(0, 3, 1, 2).copy()


def _encoded(
    recipe: Recipe, featurizer: Any, folder: Path, keys: Sequence[int], items: Sequence[str]
) -> np.ndarray:
    """Vectors of a pretrained encoder, from the project's cache where it has them."""
    spec = json.dumps([recipe.kind, recipe.features], sort_keys=True)
    stem = folder / CACHE_FOLDER / f"features-{hashlib.sha256(spec.encode()).hexdigest()[:16]}"
    cached_ids, cached = _read_cache(stem)
    row_of = {int(key): row for row, key in enumerate(cached_ids.tolist())}
    missing = [i for i, key in enumerate(keys) if int(key) not in row_of]
    if missing:
        wanted = [items[i] for i in missing]
        source = _readable(recipe.kind, folder, wanted, _image_size(featurizer))
        fresh = np.asarray(featurizer.transform(source), dtype=np.float32)
        if fresh.ndim != 2 or len(fresh) != len(missing):
            raise DataError(f"featurizer {recipe.features['name']!r} gave {fresh.shape} vectors "
                            f"for {len(missing)} items")  # fmt: skip
        new_ids = np.asarray([int(keys[i]) for i in missing], dtype=np.int64)
        cached = fresh if cached is None else np.concatenate([cached, fresh])
        cached_ids = np.concatenate([cached_ids, new_ids])
        _write_cache(stem, cached_ids, cached)
        row_of.update({int(key): len(cached_ids) - len(new_ids) + j for j, key in
                       enumerate(new_ids.tolist())})  # fmt: skip
    assert cached is not None
    return cached[[row_of[int(key)] for key in keys]]


def _read_cache(stem: Path) -> tuple[np.ndarray, np.ndarray | None]:
    ids_path, vectors_path = stem.with_suffix(".ids.npy"), stem.with_suffix(".npy")
    try:
        ids = np.load(ids_path, allow_pickle=False)
        vectors = np.load(vectors_path, allow_pickle=False)
    except (OSError, ValueError):
        return np.empty(0, dtype=np.int64), None
    if ids.ndim != 1 or vectors.ndim != 2 or len(ids) != len(vectors):
        return np.empty(0, dtype=np.int64), None
    return ids.astype(np.int64), vectors.astype(np.float32, copy=False)


def _write_cache(stem: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Vectors first, then their ids: a crash between the two leaves a pair that fails the
    length check and is recomputed, never one whose rows are misnamed."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(stem.parent, 0o700)  # derived from the project's data: as private as labels.db
    save_npy_atomic(stem.with_suffix(".npy"), vectors)
    save_npy_atomic(stem.with_suffix(".ids.npy"), ids)
