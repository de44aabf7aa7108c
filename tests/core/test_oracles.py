import csv

import numpy as np
import pytest

from activelearn import DataError, Pool
from activelearn.oracles import FileOracle, SimulatedOracle


def test_simulated_oracle_reads_hidden_labels_by_id():
    pool = Pool(["a", "b", "c"], ids=["x", "y", "z"], hidden_labels=[1, 0, 1])
    assert SimulatedOracle(pool).label(np.array(["z", "y"]), ["c", "b"]) == [1, 0]


def test_simulated_oracle_needs_ground_truth():
    with pytest.raises(DataError, match="hidden labels"):
        SimulatedOracle(Pool(["a", "b"], classes=[0, 1]))


def test_file_oracle_exports_then_reads_partial_answers(tmp_path):
    oracle = FileOracle(tmp_path)
    ids = np.array(["r1", "r2"])
    assert oracle.label(ids, ["good <br /> film", "bad"]) == [None, None]
    path = tmp_path / "batch_r1.csv"
    rows = list(csv.DictReader(path.open()))
    assert [r["text"] for r in rows] == ["good <br /> film", "bad"]
    rows[1]["label"] = " neg "
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    assert oracle.label(ids, ["good", "bad"]) == [None, "neg"]
    assert "batch_r1.csv" in oracle.pending_hint()


def test_file_oracle_batch_csv_runs_no_formula_and_reads_its_ids_back(tmp_path):
    """A text or id a spreadsheet would run is written inert, and answers still match."""
    oracle = FileOracle(tmp_path)
    ids = np.array(["@r1", "-5", "r3"])
    texts = ['=HYPERLINK("http://evil.example","click")', "+1 great", "-3"]
    assert oracle.label(ids, texts) == [None, None, None]
    path = tmp_path / "batch__r1.csv"
    rows = list(csv.DictReader(path.open()))
    assert [r["id"] for r in rows] == ["'@r1", "-5", "r3"]  # -5 is a number: left as it is
    assert [r["text"] for r in rows] == [
        "'=HYPERLINK(\"http://evil.example\",\"click\")", "'+1 great", "-3",
    ]  # fmt: skip
    for row, label in zip(rows, ["pos", "=neg", ""], strict=True):
        row["label"] = label if label != "=neg" else "'=neg"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    assert oracle.label(ids, texts) == ["pos", "=neg", None]


def test_a_value_that_reads_as_a_quoted_cell_comes_back_unchanged():
    from activelearn.store.spreadsheet import inert, literal

    for value in ["'=x", "''+1", "=x", "plain", "-5", "'quote", "@a"]:
        assert literal(inert(value)) == value
    assert inert("'=x") == "''=x"  # quoted once more: read back, it is "'=x" again
    assert literal("=x") == "=x"  # a spreadsheet that saved the file dropped the quote
