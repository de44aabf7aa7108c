"""The on-disk cache shared by downloads and embeddings, and atomic writes into it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def cache_dir() -> Path:
    """``$ACTIVELEARN_CACHE_DIR`` or ``~/.cache/activelearn`` (created on first write)."""
    return Path(os.environ.get("ACTIVELEARN_CACHE_DIR", Path.home() / ".cache" / "activelearn"))


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """Write ``array`` so that readers see the old file or the whole new one, never a part.

    The data goes to a temporary file in the same folder, is flushed to disk,
    then renamed over ``path`` (a rename within one file system is atomic).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_npy_cached(path: Path, rows: int) -> np.ndarray | None:
    """A cached 2-d array with ``rows`` rows, or ``None`` when absent or unreadable
    (never unpickled: ``allow_pickle=False``)."""
    if not path.is_file():
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return array if array.ndim == 2 and array.shape[0] == rows else None
