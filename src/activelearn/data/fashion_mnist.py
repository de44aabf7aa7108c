"""Fashion-MNIST from its original gzipped IDX files, parsed with numpy.

Debian's ``dataset-fashion-mnist`` installs them into
``/usr/share/datasets/fashion-mnist/`` as ``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
``t10k-labels-idx1-ubyte.gz`` (the names Zalando publishes). The folder is
taken from the ``path`` argument, ``ACTIVELEARN_FASHION_MNIST``, or that
default.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.errors import DataError

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
# IDX type codes (third magic byte) and their big-endian numpy types
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX file (gzipped or not) as an array, with its header checked against its size.

    The header is two zero bytes, a type code, the number of dimensions, then
    one big-endian uint32 per dimension.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read {path}: {exc}; the file may be truncated or corrupt") from exc
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_TYPES:
        raise DataError(
            f"{path} is not an IDX file (magic number {data[:4].hex() or 'missing'}; "
            "expected 0000 then a type code and the number of dimensions)"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: the IDX header is cut short")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{path}: the header promises shape {shape} ({expected} bytes of data) "
            f"but the file holds {len(data) - header}: it is truncated or corrupt"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(
        f"{folder} has no {stem}.gz: install Debian's dataset-fashion-mnist "
        "(apt-get install dataset-fashion-mnist) or pass the folder with the IDX files"
    )


def _split(folder: Path, prefix: str, split: str, as_float: bool) -> Dataset:
    images_path = _find(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected N x rows x cols bytes, got {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(
            f"{labels_path} holds {labels.shape} labels for the {len(images)} images "
            f"of {images_path}: the files do not belong together"
        )
    if labels.max(initial=0) >= len(CLASS_NAMES):
        raise DataError(f"{labels_path}: labels must be 0-9, found {int(labels.max())}")
    X = images.astype(np.float32) / 255.0 if as_float else images
    ids = np.array([f"{split}/{i}" for i in range(len(images))])
    return Dataset(X, labels.astype(np.int64), ids, np.arange(len(CLASS_NAMES)))


def load_fashion_mnist(
    path: str | os.PathLike[str] | None = None, *, as_float: bool = False
) -> tuple[Dataset, Dataset]:
    """Train (60,000) and test (10,000) images as ``N x 28 x 28`` arrays.

    Pixels are uint8 0-255 by default (55 MB in all; float32 would be 220 MB),
    or float32 in [0, 1] with ``as_float=True``. Labels are 0-9, with names
    in :data:`CLASS_NAMES`; ids are ``train/<n>`` and ``test/<n>``.
    """
    if path is None:
        path = os.environ.get("ACTIVELEARN_FASHION_MNIST") or DEFAULT_DIR
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(
            f"{folder} is not a folder: install Debian's dataset-fashion-mnist, or pass "
            "the folder holding the IDX files (or set ACTIVELEARN_FASHION_MNIST)"
        )
    return _split(folder, "train", "train", as_float), _split(folder, "t10k", "test", as_float)
