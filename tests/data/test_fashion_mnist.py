import gzip
import struct

import numpy as np
import pytest

from activelearn.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist, read_idx
from activelearn.errors import DataError


def idx_bytes(array):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=True):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_fashion(folder, n_train=4, n_test=3):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)
    return folder


def test_read_idx_round_trips_types(tmp_path):
    for array in (
        np.arange(6, dtype=np.uint8).reshape(2, 3),
        np.array([1, -2, 70000], dtype=np.int32),
        np.array([[0.5, -1.25]], dtype=np.float32),
    ):
        path = write_idx(tmp_path / "x.gz", array)
        assert np.array_equal(read_idx(path), array) and read_idx(path).dtype == array.dtype
    plain = write_idx(tmp_path / "plain-idx1-ubyte", np.arange(3, dtype=np.uint8), False)
    assert read_idx(plain).tolist() == [0, 1, 2]


def test_read_idx_checks_magic_and_size(tmp_path):
    bad_magic = tmp_path / "bad.gz"
    bad_magic.write_bytes(gzip.compress(b"\x01\x02\x08\x01" + b"\0" * 8))
    with pytest.raises(DataError, match="bad.gz is not an IDX file"):
        read_idx(bad_magic)
    data = idx_bytes(np.arange(10, dtype=np.uint8))
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(data[:-3]))
    with pytest.raises(DataError, match=r"promises shape \(10,\)"):
        read_idx(short)
    not_gzip = tmp_path / "nogz.gz"
    not_gzip.write_bytes(b"plain bytes")
    with pytest.raises(DataError, match="nogz.gz"):
        read_idx(not_gzip)


def test_load_fashion_mnist(tmp_path, monkeypatch):
    write_fashion(tmp_path)
    train, test = load_fashion_mnist(tmp_path)
    assert train.X.shape == (4, 28, 28) and train.X.dtype == np.uint8 and len(test) == 3
    assert train.labels.tolist() == [0, 1, 2, 3] and train.ids[1] == "train/1"
    assert test.ids.tolist() == ["test/0", "test/1", "test/2"]
    assert len(CLASS_NAMES) == 10 and train.classes.tolist() == list(range(10))
    monkeypatch.setenv("ACTIVELEARN_FASHION_MNIST", str(tmp_path))
    floats, _ = load_fashion_mnist(as_float=True)
    assert floats.X.dtype == np.float32 and np.allclose(floats.X * 255, train.X)


def test_mismatched_or_missing_files(tmp_path):
    write_fashion(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    with pytest.raises(DataError, match="do not belong together"):
        load_fashion_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte.gz"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        load_fashion_mnist(tmp_path / "absent")
