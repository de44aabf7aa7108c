"""Checks on the real IMDB archive (slow; skipped where the archive is absent)."""

import json
import os
from pathlib import Path

import pytest

from activelearn.cli import main
from activelearn.data.imdb import load_imdb

ARCHIVE = Path(
    os.environ.get("ACTIVELEARN_IMDB")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "aclImdb_labeled.tar.gz"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ARCHIVE.exists(), reason=f"no IMDB archive at {ARCHIVE}"),
]


def test_the_archive_holds_25k_balanced_reviews_per_split():
    train, test = load_imdb(ARCHIVE, download=False)
    assert len(train) == len(test) == 25_000
    assert sorted(train.classes.tolist()) == ["neg", "pos"]
    assert (train.labels == "pos").sum() == 12_500
    assert not any("<br" in text for text in train.X[:1000])


def test_active_learning_beats_random_on_real_reviews(tmp_path):
    """End to end on real reviews: 3 seeds, 1,000 labels (past the early dip), margin vs random."""
    code = main(["run", "--dataset", "imdb", "--data", str(ARCHIVE), "--features", "tfidf",
                 "--strategy", "margin", "random", "--initial-size", "100",
                 "--batch-size", "100", "--rounds", "9", "--seeds", "0", "1", "2",
                 "--no-full-baseline",
                 "--output", str(tmp_path)])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())["strategies"]
    assert summary["margin"]["final_mean"] > summary["random"]["final_mean"]
