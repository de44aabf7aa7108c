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
    # "NA" is a text like any other; ids are the rows' numbers (1 = first data row)
    assert data.X[2] == "NA" and data.ids.tolist() == [1, 2, 3]
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


def test_a_file_read_as_one_column_suggests_its_separator(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,1\n", sep=";")
    with pytest.raises(DataError, match=r"\['text;label'\] \(one column: .* try --sep ';'\)"):
        load_table(path, text_column="text", label_column="label")


def test_empty_and_non_text_rows_are_skipped_and_reported(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,1\n,0\n  ,1\nb,0\n")
    data = load_table(path, text_column="text", label_column="label")
    assert data.X == ["a", "b"] and data.ids.tolist() == [1, 4]
    assert [(e["row"], e["line"]) for e in data.report.skipped] == [(2, 3), (3, 4)]
    assert data.report.read == 4 and data.report.loaded == 2
    assert "2 skipped: blank text in 'text' (lines 3, 4)" in data.report.summary()
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text('{"t": "a"}\n{"t": 5}\n{"t": [1]}\nnot json\n', encoding="utf-8")
    data = load_table(jsonl, text_column="t", classes=[0, 1])
    assert data.X == ["a", "5"]
    reasons = {e["row"]: e["reason"] for e in data.report.skipped}
    assert "not text" in reasons[3] and "not valid JSON" in reasons[4]


def test_labels_outside_the_declared_classes(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,pos\nb,neutral\nc,neg\n")
    with pytest.raises(DataError, match=r"labels \['neutral'\] .*rows 2\)"):
        load_table(path, text_column="text", label_column="label", classes=["neg", "pos"])


def test_unlabeled_file_needs_declared_classes(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text\na\nb\n")
    with pytest.raises(DataError, match=r"declare them \(--classes a,b"):
        load_table(path, text_column="text")
    data = load_table(path, text_column="text", classes=["x", "y"])
    assert data.labels.tolist() == [None, None]


def test_duplicate_ids_and_unknown_format(tmp_path):
    path = write_csv(tmp_path / "d.csv", "id,text\n1,a\n1,b\n")
    with pytest.raises(DataError, match="repeat in rows 1, 2"):
        load_table(path, text_column="text", id_column="id", classes=[0, 1])
    other = tmp_path / "d.xlsx"
    other.write_text("x")
    with pytest.raises(ConfigError, match="save it as CSV, TSV, JSON Lines or Parquet"):
        load_table(other, text_column="text")
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "missing.csv", text_column="text")


def test_compressed_csv(tmp_path):
    path = tmp_path / "d.csv.gz"
    pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]}).to_csv(path, index=False)
    assert np.array_equal(
        load_table(path, text_column="text", label_column="label").labels, ["x", "y"]
    )


def test_a_tsv_keeps_quotes_as_text_and_every_line_is_an_item(tmp_path):
    # Read with CSV quoting these 5 lines became 3 items, two messages merged (a trial found it).
    lines = ['ham\tGo until "jurong point', 'spam\tFree "entry" in 2', 'ham\tOk lar',
             'ham\t"quoted" all through"', 'spam\tcall now']  # fmt: skip
    path = tmp_path / "SMSSpamCollection"  # no extension, no header
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = load_table(path, text_column="2", label_column="1", header=False)
    assert len(data) == 5 and data.X[0] == 'Go until "jurong point'
    assert data.X[3] == '"quoted" all through"'
    assert "read as tsv" in data.report.notes[0] and "--format" in data.report.notes[0]
    # quoting can still be asked for: CSV with a tab separator
    quoted = tmp_path / "q.txt"
    quoted.write_text('label\ttext\n1\t"two\nlines"\n0\tplain\n', encoding="utf-8")
    data = load_table(quoted, text_column="text", label_column="label", format="csv", sep="\\t")
    assert data.X == ["two\nlines", "plain"] and data.labels.tolist() == [1, 0]


def test_every_row_is_loaded_or_reported_with_its_reason(tmp_path):
    raw = (b"label\ttext\nham\tfine\nham\t\n\tno label\nham\tbad \xff byte\n"
           b"ham\tnul\x00here\nham\textra\tfield\nspam\tlast\n")  # fmt: skip
    path = tmp_path / "d.tsv"
    path.write_bytes(raw)
    people = load_table(path, text_column="text", label_column="label")
    assert people.X == ["fine", "no label", "last"]
    assert people.labels.tolist() == ["ham", None, "spam"]  # unlabeled rows are kept for people
    simulated = load_table(path, text_column="text", label_column="label", require_labels=True)
    assert simulated.X == ["fine", "last"]
    reasons = {e["row"]: e["reason"] for e in simulated.report.skipped}
    assert set(reasons) == {2, 3, 4, 5, 6}
    assert reasons[2].startswith("blank text") and reasons[3].startswith("blank label")
    assert "not valid utf-8" in reasons[4] and "--encoding" in reasons[4]
    assert reasons[5] == "NUL byte" and "3 fields where the header has 2" in reasons[6]
    report = simulated.report.to_dict()
    assert (report["read"], report["loaded"]) == (7, 2)
    # the right encoding loads the row that utf-8 could not decode
    latin = load_table(path, text_column="text", label_column="label", encoding="latin-1")
    assert "bad \xff byte" in latin.X


def test_integer_labels_are_integers_and_blank_labels_are_counted(tmp_path):
    path = write_csv(tmp_path / "d.csv", "text,label\na,1\nb,0\nc,\nd,1.0\n")
    data = load_table(path, text_column="text", label_column="label", require_labels=True)
    assert data.labels.tolist() == [1, 0, 1] and data.classes.tolist() == [0, 1]
    assert isinstance(data.labels.tolist()[0], int)
    assert [e["row"] for e in data.report.skipped] == [3]


def test_numeric_columns_and_a_text_column_named_as_a_feature(tmp_path):
    path = write_csv(tmp_path / "d.csv", "f1,f2,label\n1,2,a\n3,x,b\n5,6,a\n7,,b\n")
    data = load_table(path, label_column="label")
    assert data.X.tolist() == [[1, 2], [5, 6]]
    assert [e["reason"] for e in data.report.skipped] == ["non-numeric 'f2'", "blank value in 'f2'"]
    texts = write_csv(tmp_path / "t.csv", "text,label\ngood film,a\nbad film,b\n")
    with pytest.raises(DataError, match=r"'text' holds text, not numbers: .*--text-column text"):
        load_table(texts, label_column="label")


def test_a_file_read_with_the_wrong_flags_is_refused_not_loaded_in_part(tmp_path):
    """A quoted TSV without a header, read without --format csv: the quoted tab in its first
    row sets a width the other rows lack, and one row of 3 must not become a 1-item project."""
    path = tmp_path / "d.tsv"
    path.write_text('pos\t"a\tquoted tab"\nneg\tplain\nneg\tfine\n')
    with pytest.raises(DataError, match="most rows could not be read") as caught:
        load_table(path, text_column="2", label_column="1", header=False)
    assert "fields where the first row has 3" in str(caught.value)  # no header: the first row
    read = load_table(path, text_column="2", label_column="1", header=False, format="csv", sep="\t")
    assert len(read.X) == 3 and read.X[0] == "a\tquoted tab"
