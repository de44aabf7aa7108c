"""Image folders: one subfolder per class, or the class in each file name.

Images are returned as paths (``raw``, for people and the web app) and as
:class:`LazyImages` (``X``), which decodes and resizes an image only when a
learner asks for it, so a folder of any size costs no memory up front.
Every path is resolved and must stay inside the data set folder: a symbolic
link pointing elsewhere is an error, never followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.errors import ConfigError, DataError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
_CHANNELS = {"RGB": 3, "L": 1}


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ConfigError("reading images needs pillow: pip install 'activelearn[data]'") from exc
    return Image


class LazyImages:
    """Images decoded on access: ``(height, width, channels)`` float32 in [0, 1].

    ``size`` is ``(height, width)``; ``mode`` is ``"RGB"`` (3 channels) or
    ``"L"`` (grayscale, 1 channel). Indexing with an int gives one image;
    ``take_rows(indices)`` (what :class:`Pool` uses) gives a stacked array.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        size: tuple[int, int] = (32, 32),
        mode: str = "RGB",
    ) -> None:
        if mode not in _CHANNELS:
            raise ConfigError(f"mode={mode!r}: use 'RGB' or 'L' (grayscale)")
        if len(size) != 2 or min(size) < 1:
            raise ConfigError(f"size={size!r}: pass (height, width) in pixels")
        self.paths = [Path(p) for p in paths]
        self.size = (int(size[0]), int(size[1]))
        self.mode = mode

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.paths), *self.size, _CHANNELS[self.mode])

    def __getitem__(self, index: int) -> np.ndarray:
        return self.load(self.paths[index])

    def select(self, indices: Sequence[int]) -> LazyImages:
        """The images at ``indices``, still lazy (what splitting a data set needs)."""
        return LazyImages([self.paths[int(i)] for i in indices], self.size, self.mode)

    def take_rows(self, indices: Sequence[int]) -> np.ndarray:
        out = np.empty((len(indices), *self.shape[1:]), dtype=np.float32)
        for row, i in enumerate(indices):
            out[row] = self.load(self.paths[int(i)])
        return out

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """All images as one array, so ``np.asarray`` and scikit-learn accept the container."""
        array = self.take_rows(range(len(self)))
        return array if dtype is None else array.astype(dtype, copy=False)

    def load(self, path: Path) -> np.ndarray:
        image_module = _pillow()
        try:
            with image_module.open(path) as image:
                image = image.convert(self.mode).resize(
                    (self.size[1], self.size[0]), image_module.Resampling.BILINEAR
                )
                pixels = np.asarray(image, dtype=np.float32) / 255.0
        except (OSError, ValueError, image_module.DecompressionBombError) as exc:
            raise DataError(f"cannot read image {path}: {exc}") from exc
        return pixels.reshape(self.shape[1:])


def _inside(root: Path, path: Path) -> Path:
    """``path`` resolved, or an error when it (through links) leaves ``root``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise DataError(
            f"{path} resolves to {resolved}, outside the data set folder {root}: "
            "remove the link or copy the image into the folder"
        )
    return resolved


def _image_files(folder: Path, recursive: bool) -> list[Path]:
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in found
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and not p.is_dir()
    )


def _root(root: str | os.PathLike[str]) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DataError(f"{path} is not a folder: pass the folder that holds the images")
    return path.resolve()


def _dataset(
    root: Path,
    files: list[Path],
    labels: list[str],
    classes: Sequence[str] | None,
    size: tuple[int, int],
    mode: str,
) -> Dataset:
    if not files:
        raise DataError(f"{root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    found = sorted(set(labels))
    if classes is not None:
        unknown = sorted(set(found) - set(classes))
        if unknown:
            raise DataError(
                f"{root}: classes {unknown} are not among the declared classes {list(classes)}"
            )
    paths = [_inside(root, f) for f in files]
    return Dataset(
        X=LazyImages(paths, size, mode),
        labels=np.array(labels),
        ids=np.array([f.relative_to(root).as_posix() for f in files]),
        classes=np.array(list(classes) if classes is not None else found),
        raw=[str(p) for p in paths],
    )


def load_image_folder(
    root: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (32, 32),
    mode: str = "RGB",
    classes: Sequence[str] | None = None,
) -> Dataset:
    """``root/<class>/**/<image>``: the subfolder names are the labels.

    Ids are paths relative to ``root`` (``cat/001.jpg``); ``raw`` holds the
    absolute paths. Files that are not images (by extension) are ignored.
    """
    root_path = _root(root)
    files, labels = [], []
    for folder in sorted(p for p in root_path.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            continue
        _inside(root_path, folder)
        for file in _image_files(folder, recursive=True):
            files.append(file)
            labels.append(folder.name)
    return _dataset(root_path, files, labels, classes, size, mode)


def load_image_files(
    root: str | os.PathLike[str],
    *,
    pattern: str = r"^([^.]+)\.",
    size: tuple[int, int] = (32, 32),
    mode: str = "RGB",
    classes: Sequence[str] | None = None,
) -> Dataset:
    """Images directly in ``root`` whose names carry the class: ``cat.0.jpg``, ``dog.1.jpg``.

    ``pattern`` is a regular expression whose first group is the class (by
    default everything before the first dot). A file it does not match is an
    error, so a stray image never gets a made-up label.
    """
    root_path = _root(root)
    regex = re.compile(pattern)
    if regex.groups < 1:
        raise ConfigError(f"pattern {pattern!r} needs a group that captures the class")
    files = _image_files(root_path, recursive=False)
    matches = [regex.search(f.name) for f in files]
    unmatched = [f.name for f, m in zip(files, matches, strict=True) if m is None]
    if unmatched:
        raise DataError(
            f"{len(unmatched)} file names in {root_path} carry no class by pattern {pattern!r}, "
            f"for example {unmatched[:5]}: rename them or pass another pattern"
        )
    labels = [m.group(1) for m in matches]
    return _dataset(root_path, files, labels, classes, size, mode)
