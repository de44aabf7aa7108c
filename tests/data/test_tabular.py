import json

import numpy as np
import pytest

from activelearn.data.dataset import unlabeled_pool
from activelearn.data.tabular import load_table
from activelearn.errors import ConfigError, DataError

pd = pytest.importorskip("pandas")


def write_csv(path, text, sep=","):
    path.write_text(text.replace(",", sep), encoding="utf-8")
    return path


def test_csv_with_labels_ids_and_unlabeled_rows(tmp_path):
    path = write_csv(tmp_path / "d.csv", "id,review,stars\nr1,good,1\nr2,bad,0\nr3,meh,\n")
    data = load_table(
        path, text_column="review", label_column="stars", id_column="id", classes=[0, 1]
    )
    assert data.X == ["good", "bad", "meh"]
    assert data.labels.tolist() == [1, 0, None]
    assert data.ids.tolist() == ["r1", "r2", "r3"]
    assert data.classes.tolist() == [0, 1]
    pool = unlabeled_pool(data)
    assert pool.unlabeled_indices.tolist() == [2] and pool.labels.tolist() == [1, 0]


def test_tsv_classes_inferred_from_labels(tmp_path):
    path = write_csv(tmp_path / "d.tsv", "text,label\nyes,pos\nno,neg\nNA,neg\n", sep="\t")
    data = load_table(path, text_column="text", label_column="label")
    assert data.classes.tolist() == ["neg", "pos"]
    assert data.X[2] == "NA" and data.ids.tolist() == [0, 1, 2]
    assert data.labels.dtype.kind == "U"


def test_jsonl_and_parquet(tmp_path):
    rows = [{"t": "a", "y": 1}, {"t": "b", "y": None}, {"t": "c", "y": 2}]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data = load_table(jsonl, text_column="t", label_column="y")
    assert data.labels.tolist() == [1, None, 2] and data.classes.tolist() == [1, 2]
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "d.parquet"
    pd.DataFrame(rows).to_parquet(parquet)
    data = load_table(parquet, text_column="t", label_column="y", classes=[1, 2, 3])
    assert data.labels.tolist() == [1, None, 2]


def test_unknown_column_lists_the_available_ones(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,1\n")
    with pytest.raises(DataError, match=r"no column 'txt'; its columns are \['text', 'label'\]"):
        load_table(path, text_column="txt", label_column="label")


def test_empty_and_non_text_rows_are_named(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,1\n,0\n  ,1\nb,0\n")
    with pytest.raises(DataError, match=r"rows 2, 3 \(1 = first data row\)"):
        load_table(path, text_column="text", label_column="label")
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text('{"t": "a"}\n{"t": 5}\n', encoding="utf-8")
    with pytest.raises(DataError, match="not text in rows 2"):
        load_table(jsonl, text_column="t", classes=[0, 1])


def test_labels_outside_the_declared_classes(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,pos\nb,neutral\nc,neg\n")
    with pytest.raises(DataError, match=r"labels \['neutral'\] .*rows 2\)"):
        load_table(path, text_column="text", label_column="label", classes=["neg", "pos"])


def test_unlabeled_file_needs_declared_classes(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text\na\nb\n")
    with pytest.raises(DataError, match="pass classes"):
        load_table(path, text_column="text")
    data = load_table(path, text_column="text", classes=["x", "y"])
    assert data.labels.tolist() == [None, None]


def test_duplicate_ids_and_unknown_format(tmp_path):
    path = write_csv(tmp_path / "d.csv", "id,text\n1,a\n1,b\n")
    with pytest.raises(DataError, match="repeat in rows 1, 2"):
        load_table(path, text_column="text", id_column="id", classes=[0, 1])
    other = tmp_path / "d.xlsx"
    other.write_text("x")
    with pytest.raises(ConfigError, match="pass format="):
        load_table(other, text_column="text")
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "missing.csv", text_column="text")


def test_compressed_csv(tmp_path):
    path = tmp_path / "d.csv.gz"
    pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]}).to_csv(path, index=False)
    assert np.array_equal(
        load_table(path, text_column="text", label_column="label").labels, ["x", "y"]
    )
