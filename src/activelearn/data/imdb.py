"""The IMDB Large Movie Review Dataset (Maas et al., 2011), read from its archive.

The canonical ``aclImdb_v1.tar.gz`` holds ``aclImdb/{train,test}/{pos,neg}/
<id>_<rating>.txt``. The loader streams the labeled reviews straight out of
the gzip tar (one pass, nothing extracted, no member paths ever touch the
disk) and also accepts an already extracted ``aclImdb`` folder.

Where the archive comes from, first match wins: the ``path`` argument, the
``ACTIVELEARN_IMDB`` environment variable, the cache folder
(``$ACTIVELEARN_CACHE_DIR`` or ``~/.cache/activelearn``), and finally a
download from Stanford when ``download=True``. Stanford publishes no
checksum, so a download is accepted only if it has the official archive's
size (84,125,825 bytes) and the full layout (12,500 reviews in each of the
four labeled folders); otherwise it is deleted and reported.
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from activelearn.data.cache import cache_dir
from activelearn.data.dataset import Dataset
from activelearn.errors import DataError

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_ARCHIVE_SIZE = 84_125_825
ARCHIVE_NAMES = ("aclImdb_v1.tar.gz", "aclImdb_labeled.tar.gz")
CLASSES = np.array(["neg", "pos"])
REVIEWS_PER_FOLDER = 12_500

_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def strip_html_breaks(text: str) -> str:
    """Replace the reviews' ``<br />`` line breaks by spaces (tokenizers would keep ``br``)."""
    return _BREAK.sub(" ", text)


def find_imdb(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The archive or extracted folder to read, or ``None`` when there is none yet."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise DataError(f"IMDB archive {path} does not exist: check the path")
        return path
    if os.environ.get("ACTIVELEARN_IMDB"):
        path = Path(os.environ["ACTIVELEARN_IMDB"]).expanduser()
        if not path.exists():
            raise DataError(
                f"ACTIVELEARN_IMDB points to {path}, which does not exist: fix or unset it"
            )
        return path
    for name in ARCHIVE_NAMES:
        if (cache_dir() / name).is_file():
            return cache_dir() / name
    return None


def download_imdb(target: Path | None = None, url: str = IMDB_URL) -> Path:
    """Download the official archive into the cache, checking its size and layout."""
    target = target or cache_dir() / ARCHIVE_NAMES[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
    os.close(fd)
    try:
        try:
            urllib.request.urlretrieve(url, partial)
        except (urllib.error.URLError, OSError) as exc:
            raise DataError(
                f"could not download IMDB from {url} ({exc}); without internet, download "
                f"aclImdb_v1.tar.gz elsewhere and pass its path or set ACTIVELEARN_IMDB"
            ) from exc
        size = os.path.getsize(partial)
        if size != IMDB_ARCHIVE_SIZE:
            raise DataError(
                f"the download from {url} has {size} bytes, not the official "
                f"{IMDB_ARCHIVE_SIZE}: it was discarded; try again or download it by hand"
            )
        counts = _count_reviews(_read_reviews(Path(partial)))
        if any(count != REVIEWS_PER_FOLDER for count in counts.values()):
            raise DataError(
                f"the download from {url} does not hold 12,500 reviews per folder ({counts}): "
                "it was discarded; try again or download it by hand"
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return target


def load_imdb(
    path: str | os.PathLike[str] | None = None, *, download: bool = True
) -> tuple[Dataset, Dataset]:
    """The train and test reviews as two :class:`Dataset` s.

    ``X`` holds the texts with ``<br />`` replaced by spaces, ``raw`` the
    original texts (escape them before showing them in a web page), labels
    are ``"neg"``/``"pos"`` and ids look like ``train/pos/123_9`` (review 123,
    rated 9 of 10). Items are ordered by split, label, then review number, so
    the order does not depend on how the archive was packed.
    """
    source = find_imdb(path)
    if source is None:
        if not download:
            raise DataError(
                "no IMDB archive found: pass its path, set ACTIVELEARN_IMDB, put "
                f"aclImdb_v1.tar.gz into {cache_dir()}, or allow the download"
            )
        source = download_imdb()
    reviews = sorted(_read_reviews(source))
    counts = _count_reviews(reviews)
    missing = [folder for folder, count in counts.items() if count == 0]
    if missing:
        raise DataError(
            f"{source} holds no reviews in {', '.join(missing)}: it is not a complete "
            "aclImdb archive (expected aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt)"
        )
    return _dataset(reviews, "train"), _dataset(reviews, "test")


def _dataset(reviews: list[tuple[str, str, int, int, str]], split: str) -> Dataset:
    rows = [r for r in reviews if r[0] == split]
    raw = [r[4] for r in rows]
    return Dataset(
        X=[strip_html_breaks(text) for text in raw],
        labels=np.array([r[1] for r in rows]),
        ids=np.array(
            [f"{split}/{label}/{number}_{rating}" for _, label, number, rating, _ in rows]
        ),
        classes=CLASSES,
        raw=raw,
    )


def _count_reviews(reviews: list[tuple[str, str, int, int, str]]) -> dict[str, int]:
    counts = {f"{s}/{c}": 0 for s in ("train", "test") for c in CLASSES}
    for split, label, *_ in reviews:
        counts[f"{split}/{label}"] += 1
    return counts


def _read_reviews(source: Path) -> list[tuple[str, str, int, int, str]]:
    """(split, label, review number, rating, text) for every labeled review in ``source``."""
    entries = _folder_entries(source) if source.is_dir() else _archive_entries(source)
    reviews = []
    for name, data in entries:
        match = _MEMBER.search(name)
        if match is None:
            continue
        split, label, number, rating = match.groups()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{source}: {name} is not UTF-8 text ({exc})") from exc
        reviews.append((split, label, int(number), int(rating), text))
    if not reviews:
        raise DataError(
            f"{source} holds no aclImdb/{{train,test}}/{{pos,neg}}/<id>_<rating>.txt files: "
            "it is not the IMDB archive; pass the path of aclImdb_v1.tar.gz"
        )
    return reviews


def _archive_entries(source: Path) -> Iterator[tuple[str, bytes]]:
    """Regular-file members, streamed in one pass (``r|*``: no seeking, any compression)."""
    try:
        with tarfile.open(source, mode="r|*") as archive:
            for member in archive:
                if member.isfile() and _MEMBER.search(member.name):
                    yield member.name, archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(
            f"{source} is not a readable tar archive ({type(exc).__name__}: {exc}); it may be "
            "truncated or corrupt: delete it and download aclImdb_v1.tar.gz again"
        ) from exc


def _folder_entries(source: Path) -> Iterator[tuple[str, bytes]]:
    """Review files of an extracted folder; symbolic links are skipped, never followed."""
    root = source if source.name == "aclImdb" else source / "aclImdb"
    for path in sorted(root.glob("*/*/*.txt")):
        if path.is_file() and not path.is_symlink():
            yield "aclImdb/" + path.relative_to(root).as_posix(), path.read_bytes()
