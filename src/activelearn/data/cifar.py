"""CIFAR-10 from its "python version" batches, without trusting pickle.

The official ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/
{data_batch_1..5,test_batch}``: pickled dicts of a uint8 array and lists of
ints and bytes. The project's rule is never to unpickle untrusted files, and a
pickle can run arbitrary code through the globals it names. So batches are
read with :class:`RestrictedUnpickler`, which resolves only the few numpy
globals an array needs to be rebuilt; any other global (``os.system``,
``builtins.eval``, ...) stops the load with a :class:`DataError` before
anything is called.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.data.dataset import Dataset
from activelearn.errors import DataError

CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
FOLDER = "cifar-10-batches-py"


def _numpy_reconstruct() -> Any:
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _numpy_frombuffer() -> Any:
    try:
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy < 2
        from numpy.core.numeric import _frombuffer
    return _frombuffer


# What rebuilding a numpy array from a pickle may look up, and nothing else:
# ``_reconstruct`` (protocols 2-4, the official files), ``_frombuffer``
# (protocol 5), and ``_codecs.encode``, which turns text back into bytes in
# protocol-2 pickles written by Python 3; it encodes a string and can do no more.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): lambda: codecs.encode,
}


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global outside the allowed set."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can build dicts, lists, strings, numbers and numpy arrays only."""

    def find_class(self, module: str, name: str) -> Any:
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise RefusedGlobal(f"refused to load the global {module}.{name}")
        return factory()


def restricted_load(data: bytes, source: str) -> Any:
    """Unpickle ``data`` (from ``source``, named in errors) with :class:`RestrictedUnpickler`."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except RefusedGlobal as exc:
        raise DataError(
            f"{source} is not a CIFAR-10 batch that can be read safely ({exc}); "
            "download the official cifar-10-python.tar.gz again"
        ) from exc
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
    ) as exc:
        raise DataError(
            f"{source} is not a readable CIFAR-10 batch ({exc!r}): it may be truncated or "
            "corrupt; download the official cifar-10-python.tar.gz again"
        ) from exc


def _batch_arrays(batch: Any, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as ``N x 32 x 32 x 3`` uint8 and labels, after checking the batch's shape."""
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{source} is not a CIFAR-10 batch (no data/labels entries)")
    data, labels = batch[b"data"], np.asarray(batch[b"labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DataError(f"{source}: data must be an N x 3072 uint8 array")
    if data.shape[1] != 3 * 32 * 32 or len(labels) != len(data) or labels.ndim != 1:
        raise DataError(
            f"{source}: {data.shape} data for {labels.shape} labels; expected N x 3072 and N"
        )
    if labels.dtype.kind not in "iu" or (
        len(labels) and not 0 <= labels.min() <= labels.max() < 10
    ):
        raise DataError(f"{source}: labels must be integers 0-9")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.astype(np.int64)


def _read_batches(path: Path) -> dict[str, bytes]:
    """Batch name -> pickled bytes, from the archive or from the (parent of the) batch folder."""
    wanted = {*TRAIN_BATCHES, TEST_BATCH}
    if path.is_dir():
        folder = path / FOLDER if (path / FOLDER).is_dir() else path
        missing = sorted(n for n in wanted if not (folder / n).is_file())
        if missing:
            raise DataError(f"{folder} lacks {missing}: pass the cifar-10-batches-py folder")
        return {name: (folder / name).read_bytes() for name in wanted}
    found = {}
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in wanted and member.name.startswith(FOLDER):
                    found[name] = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(
            f"{path} is not a readable tar archive ({exc}): download cifar-10-python.tar.gz again"
        ) from exc
    missing = sorted(wanted - set(found))
    if missing:
        raise DataError(f"{path} lacks {FOLDER}/{missing}: it is not cifar-10-python.tar.gz")
    return found


def load_cifar10(
    path: str | os.PathLike[str] | None = None, *, as_float: bool = False
) -> tuple[Dataset, Dataset]:
    """Train (50,000) and test (10,000) images as ``N x 32 x 32 x 3`` (channels last).

    ``path`` is ``cifar-10-python.tar.gz``, the extracted ``cifar-10-batches-py``
    folder, or its parent; by default ``ACTIVELEARN_CIFAR10``. Pixels are uint8
    by default (150 MB for train; float32 in [0, 1] with ``as_float=True``
    would take 600 MB). Labels are 0-9 (names in :data:`CLASS_NAMES`); ids
    are ``data_batch_1/0`` ... ``test_batch/9999``.
    """
    path = path or os.environ.get("ACTIVELEARN_CIFAR10")
    if not path:
        raise DataError("pass the path of cifar-10-python.tar.gz or set ACTIVELEARN_CIFAR10")
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path} does not exist: check the path")
    batches = _read_batches(path)

    def dataset(names: tuple[str, ...]) -> Dataset:
        parts = [
            _batch_arrays(restricted_load(batches[n], f"{path}:{n}"), f"{path}:{n}") for n in names
        ]
        images = np.concatenate([p[0] for p in parts])
        ids = [f"{n}/{i}" for n, p in zip(names, parts, strict=True) for i in range(len(p[1]))]
        X = images.astype(np.float32) / 255.0 if as_float else images
        return Dataset(
            X, np.concatenate([p[1] for p in parts]), np.array(ids), np.arange(len(CLASS_NAMES))
        )

    return dataset(TRAIN_BATCHES), dataset((TEST_BATCH,))
