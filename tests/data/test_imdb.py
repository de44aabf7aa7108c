import io
import tarfile

import numpy as np
import pytest

from activelearn.data import imdb
from activelearn.data.imdb import load_imdb
from activelearn.errors import DataError

REVIEWS = {
    "aclImdb/train/pos/10_9.txt": "Great film.<br /><br />Loved it",
    "aclImdb/train/pos/2_8.txt": "Fine acting",
    "aclImdb/train/neg/3_1.txt": "Dull<br/>and long",
    "aclImdb/test/pos/0_10.txt": "Wonderful",
    "aclImdb/test/neg/5_2.txt": "Awful — truly",
    "aclImdb/README": "not a review",
    "aclImdb/train/unsup/7_0.txt": "unlabeled, left out",
}


def make_archive(path, files=REVIEWS):
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(autouse=True)
def no_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ACTIVELEARN_IMDB", raising=False)
    monkeypatch.setenv("ACTIVELEARN_CACHE_DIR", str(tmp_path / "cache"))


def test_loads_labeled_reviews_in_a_stable_order(tmp_path):
    train, test = load_imdb(make_archive(tmp_path / "a.tar.gz"), download=False)
    assert train.ids.tolist() == ["train/neg/3_1", "train/pos/2_8", "train/pos/10_9"]
    assert train.labels.tolist() == ["neg", "pos", "pos"]
    assert test.ids.tolist() == ["test/neg/5_2", "test/pos/0_10"]
    assert train.X[2] == "Great film.  Loved it" and train.X[0] == "Dull and long"
    assert train.raw[2] == "Great film.<br /><br />Loved it"
    assert test.X[0] == "Awful — truly"
    assert train.classes.tolist() == ["neg", "pos"]


def test_finds_the_archive_through_the_environment_and_the_cache(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "elsewhere.tar.gz")
    monkeypatch.setenv("ACTIVELEARN_IMDB", str(archive))
    assert len(load_imdb(download=False)[0]) == 3
    monkeypatch.delenv("ACTIVELEARN_IMDB")
    (tmp_path / "cache").mkdir()
    make_archive(tmp_path / "cache" / "aclImdb_v1.tar.gz")
    assert len(load_imdb(download=False)[1]) == 2


def test_reads_an_extracted_folder(tmp_path):
    for name, text in REVIEWS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    train, test = load_imdb(tmp_path, download=False)
    assert len(train) == 3 and test.ids.tolist() == ["test/neg/5_2", "test/pos/0_10"]


def test_nothing_found_and_no_download_is_a_clear_error():
    with pytest.raises(DataError, match="ACTIVELEARN_IMDB"):
        load_imdb(download=False)


def test_missing_explicit_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_imdb(tmp_path / "nope.tar.gz")


def test_corrupt_archive_names_the_file(tmp_path):
    good = make_archive(tmp_path / "good.tar.gz").read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="truncated.tar.gz is not a readable tar archive"):
        load_imdb(truncated, download=False)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(DataError, match="garbage.tar.gz"):
        load_imdb(garbage, download=False)


def test_wrong_archive_says_what_is_missing(tmp_path):
    other = make_archive(tmp_path / "other.tar.gz", {"data/file.txt": "hello"})
    with pytest.raises(DataError, match="not the IMDB archive"):
        load_imdb(other, download=False)
    only_train = make_archive(
        tmp_path / "train.tar.gz", {k: v for k, v in REVIEWS.items() if "/test/" not in k}
    )
    with pytest.raises(DataError, match="no reviews in test/neg, test/pos"):
        load_imdb(only_train, download=False)


def test_a_download_of_the_wrong_size_is_discarded(tmp_path, monkeypatch):
    def fake_download(url, filename):
        make_archive(filename)

    monkeypatch.setattr(imdb.urllib.request, "urlretrieve", fake_download)
    with pytest.raises(DataError, match="not the official 84125825"):
        load_imdb()
    assert list((tmp_path / "cache").iterdir()) == []


def test_offline_download_explains_what_to_do(monkeypatch):
    def offline(url, filename):
        raise imdb.urllib.error.URLError("no network")

    monkeypatch.setattr(imdb.urllib.request, "urlretrieve", offline)
    with pytest.raises(DataError, match="could not download IMDB"):
        load_imdb()
