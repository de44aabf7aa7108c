import os
import pickle
import tarfile

import numpy as np
import pytest

from activelearn.data.cifar import (
    TEST_BATCH,
    TRAIN_BATCHES,
    load_cifar10,
    restricted_load,
)
from activelearn.errors import DataError


def batch(n, first_label, protocol=2):
    """A batch shaped like the official files: uint8 rows of 3072 values (R, G, B planes)."""
    data = np.zeros((n, 3072), dtype=np.uint8)
    data[:, :1024] = 255  # red plane full
    data[:, 2048] = np.arange(n)  # top-left blue pixel
    content = {
        b"batch_label": b"testing",
        b"labels": [(first_label + i) % 10 for i in range(n)],
        b"data": data,
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }
    return pickle.dumps(content, protocol=protocol)


def write_folder(root, protocol=2):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for k, name in enumerate(TRAIN_BATCHES):
        (folder / name).write_bytes(batch(3, k, protocol))
    (folder / TEST_BATCH).write_bytes(batch(2, 7, protocol))
    return folder


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_loads_batches_from_a_folder(tmp_path, protocol):
    write_folder(tmp_path, protocol)
    train, test = load_cifar10(tmp_path)
    assert train.X.shape == (15, 32, 32, 3) and train.X.dtype == np.uint8
    assert train.labels.tolist()[:4] == [0, 1, 2, 1]
    assert train.ids.tolist()[:4] == [
        "data_batch_1/0",
        "data_batch_1/1",
        "data_batch_1/2",
        "data_batch_2/0",
    ]
    assert test.ids.tolist() == ["test_batch/0", "test_batch/1"] and test.labels.tolist() == [7, 8]
    assert (train.X[..., 0] == 255).all() and (train.X[..., 1] == 0).all()
    assert train.X[2, 0, 0, 2] == 2  # channels last, row-major pixels
    assert train.classes.tolist() == list(range(10))


def test_loads_from_the_archive_as_floats(tmp_path):
    folder = write_folder(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    train, test = load_cifar10(archive, as_float=True)
    assert train.X.dtype == np.float32 and train.X.max() == 1.0 and len(test) == 2


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_malicious_pickle_is_refused_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps({b"data": Exploit(), b"labels": []}, protocol=2)
    with pytest.raises(DataError, match=r"refused to load the global (posix|os|nt)\.system"):
        restricted_load(payload, "evil")
    assert not (tmp_path / "pwned").exists()
    evil = pickle.dumps(eval, protocol=4)
    with pytest.raises(DataError, match="builtins.eval"):
        restricted_load(evil, "evil")


def test_a_malicious_batch_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = write_folder(tmp_path / "c")
    (folder / "data_batch_3").write_bytes(pickle.dumps({b"data": Exploit()}, protocol=2))
    with pytest.raises(DataError, match="data_batch_3 is not a CIFAR-10 batch that can be read"):
        load_cifar10(folder)
    assert not (tmp_path / "pwned").exists()


def test_wrong_shapes_and_missing_files(tmp_path, monkeypatch):
    folder = write_folder(tmp_path)
    (folder / TEST_BATCH).write_bytes(
        pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, protocol=2)
    )
    with pytest.raises(DataError, match="N x 3072"):
        load_cifar10(folder)
    (folder / TEST_BATCH).unlink()
    with pytest.raises(DataError, match=r"lacks \['test_batch'\]"):
        load_cifar10(folder)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="not a readable tar archive"):
        load_cifar10(broken)
    monkeypatch.delenv("ACTIVELEARN_CIFAR10", raising=False)
    with pytest.raises(DataError, match="ACTIVELEARN_CIFAR10"):
        load_cifar10()


def test_truncated_pickle(tmp_path):
    with pytest.raises(DataError, match="not a readable CIFAR-10 batch"):
        restricted_load(batch(2, 0)[:50], "short")
