"""Label Studio interchange: its tasks JSON in, its annotations format out, on files made here."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from activelearn.cli import main
from activelearn.errors import DataError
from activelearn.store import Store
from activelearn.store.labelstudio import read_tasks


def _choice(label, **extra):
    return {"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}], **extra}  # fmt: skip


TEXT_TASKS = [
    {"id": 11, "data": {"text": "good great film"}, "annotations": [_choice("pos")]},
    {"id": 12, "data": {"text": "awful dull film"},
     "annotations": [_choice("neg"), _choice("neg")],
     "predictions": [{"result": [{"type": "choices", "value": {"choices": ["pos"]}}]}]},
    {"id": 13, "data": {"text": "good but dull"}, "annotations": [_choice("pos"), _choice("neg")]},
    {"id": 14, "data": {"text": "never labeled"}},
    {"id": 15, "data": {"text": "skipped once"},
     "annotations": [_choice("pos", was_cancelled=True)]},
    {"text": "a bare data dict"},
]  # fmt: skip


def _create(tmp_path, tasks, *flags, name="proj"):
    return main(["project", "create", str(tmp_path / name), "--name", name,
                 "--label-studio", str(tasks), "--admin", "boss", *flags])  # fmt: skip


def test_text_tasks_with_their_annotations(tmp_path, capsys):
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps(TEXT_TASKS))
    assert _create(tmp_path, tasks, "--keep-labels", "--classes", "neg,pos") == 0
    out = capsys.readouterr().out
    assert "6 Label Studio tasks (texts); 2 labels from their annotations" in out
    assert "1 tasks whose annotations disagree stay unlabeled" in out
    store = Store.open(tmp_path / "proj")
    info = store.project()
    assert {r.id: r.label for r in store.labels(info.id)} == {"11": "pos", "12": "neg"}
    assert store.item(info.id, "14").text == "never labeled"
    assert store.item(info.id, "6").text == "a bare data dict"  # no id: its position


def test_image_tasks_by_relative_path_or_local_files_address(tmp_path):
    for name in ("a.png", "sub/b.png"):
        (tmp_path / "ls" / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (200, 0, 0)).save(tmp_path / "ls" / name)
    tasks = tmp_path / "ls" / "tasks.json"
    tasks.write_text(json.dumps([
        {"data": {"image": "a.png"}, "annotations": [_choice("cat")]},
        {"data": {"image": "/data/local-files/?d=sub/b.png"}},
    ]))  # fmt: skip
    assert _create(tmp_path, tasks, "--keep-labels", "--classes", "cat,dog",
                   "--features", "pixels") == 0  # fmt: skip
    store = Store.open(tmp_path / "proj")
    info = store.project()
    assert info.settings["kind"] == "image"
    assert store.item(info.id, "sub/b.png").image == "images/sub/b.png"
    assert {r.id: r.label for r in store.labels(info.id)} == {"a.png": "cat"}


@pytest.mark.parametrize(
    ("image", "message"),
    [("https://example.com/x.png", "is a web address"),
     ("/data/upload/3/x.png", "inside Label Studio's own storage"),
     ("../outside.png", "is not a file inside")],
)  # fmt: skip
def test_images_it_cannot_serve_are_refused_by_task(tmp_path, image, message):
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([{"data": {"image": image}}]))
    with pytest.raises(DataError, match=f"task 1: .*{message}"):
        read_tasks(tasks)


def test_export_in_label_studio_format_and_back(tmp_path, capsys):
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps(TEXT_TASKS))
    assert _create(tmp_path, tasks, "--keep-labels", "--classes", "neg,pos") == 0
    store = Store.open(tmp_path / "proj")
    info = store.project()
    admin = store.authenticate(store.add_annotator(info.id, "carol", admin=True))
    store.correct(admin, "13", "fix-13", "neg", note="dull wins")
    out = tmp_path / "export.json"
    assert main(["project", "export", str(tmp_path / "proj"), str(out)]) == 0
    exported = json.loads(out.read_text())
    by_id = {t["data"]["activelearn_id"]: t for t in exported}
    assert set(by_id) == {"11", "12", "13"}
    (answer,) = by_id["11"]["annotations"]
    assert answer["result"] == [{"from_name": "label", "to_name": "text", "type": "choices",
                                 "value": {"choices": ["pos"]}}]  # fmt: skip
    assert answer["ground_truth"] and by_id["11"]["data"]["text"] == "good great film"
    settled = by_id["13"]["annotations"]
    assert [a["ground_truth"] for a in settled] == [True]
    assert settled[0]["activelearn_annotator"] == "carol"
    # Its own export reads back as the same labels, ids and texts.
    assert _create(tmp_path, out, "--keep-labels", "--classes", "neg,pos", name="again") == 0
    again = Store.open(tmp_path / "again")
    labels = {r.id: r.label for r in again.labels(again.project().id)}
    assert labels == {r.id: r.label for r in store.labels(info.id)} == {
        "11": "pos", "12": "neg", "13": "neg",
    }  # fmt: skip
