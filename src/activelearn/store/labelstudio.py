"""Label Studio interchange: read its tasks JSON, write a project's answers in its format.

**Reading** (``activelearn project create DIR --label-studio tasks.json``): a
list of tasks, each ``{"id", "data": {...}, "annotations": [...]}`` (or the
bare ``data`` dict). The item is ``data[text_key]`` (a text) or
``data[image_key]`` (an image: a path relative to the tasks file, or Label
Studio's local-files address ``/data/local-files/?d=PATH`` with ``PATH``
relative to it). Web addresses are refused: the server serves images only
from the project folder and fetches nothing. A task's labels are the
``choices`` of its annotations that were not cancelled; tasks whose
annotations disagree are left unlabeled (and counted), never decided here.

**Writing** (``project export DIR out.json --format label-studio``): one task
per labeled, flagged or disputed item, ``data`` holding the text or image
path and ``activelearn_id`` (read back on import, so a round trip keeps
ids). Each annotator's raw answer is an annotation; the project's label
(agreed, settled by an admin, or the only one) is marked
``ground_truth: true``; a flag is a cancelled annotation. Results are
``choices`` from ``label`` to ``text`` or ``image``, the names of this
labeling config::

    <View>
      <Text name="text" value="$text"/>   <!-- or <Image name="image" value="$image"/> -->
      <Choices name="label" toName="text" choice="single">
        <Choice value="neg"/><Choice value="pos"/>
      </Choices>
    </View>
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from activelearn.errors import DataError

FROM_NAME = "label"
LOCAL_FILES = "/data/local-files/"


@dataclass
class Tasks:
    """What a tasks file holds: items (texts, or image paths relative to the file's folder)."""

    kind: str
    ids: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # every choice seen, sorted
    disagreements: int = 0  # tasks whose annotations disagree: left unlabeled


def read_tasks(path: str | Path, *, text_key: str = "text", image_key: str | None = None) -> Tasks:
    """The tasks of a Label Studio JSON export or import file."""
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no tasks file at {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a Label Studio tasks JSON: {exc}") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not tasks:
        raise DataError(f"{path} holds no tasks (a JSON list of tasks is expected)")
    datas = [_data(task, n) for n, task in enumerate(tasks, 1)]
    image_key = image_key or ("image" if any("image" in d for d in datas) else None)
    out = Tasks("image" if image_key else "text")
    key = image_key or text_key
    seen: Counter[str] = Counter()
    for n, (task, data) in enumerate(zip(tasks, datas, strict=True), 1):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise DataError(f"task {n}: data has no {key!r} (keys: {sorted(data)})")
        item = _image_path(path.parent, value, n) if image_key else value
        out.items.append(item)
        default = item if image_key else str(task.get("id", n)) if isinstance(task, dict) else n
        out.ids.append(str(data.get("activelearn_id", default)))
        choices, truth = _choices(task)
        seen.update(choices)
        decided = truth or choices
        label = decided[0] if decided and len(set(decided)) == 1 else None
        out.disagreements += label is None and len(set(choices)) > 1
        out.labels.append(label)
    out.classes = sorted(seen)
    if len(set(out.ids)) != len(out.ids):
        raise DataError(f"{path}: task ids repeat; every task needs its own id")
    return out


def _data(task: Any, n: int) -> dict[str, Any]:
    if not isinstance(task, dict):
        raise DataError(f"task {n} is not a JSON object")
    data = task.get("data", task)
    if not isinstance(data, dict):
        raise DataError(f"task {n}: its data is not a JSON object")
    return data


def _image_path(root: Path, value: str, n: int) -> str:
    """A task's image as a path relative to the tasks file's folder."""
    address = urlparse(value)
    if address.scheme in ("http", "https", "s3", "gs"):
        raise DataError(
            f"task {n}: image {value!r} is a web address; the labeling server fetches "
            "nothing: download the images beside the tasks file and use relative paths"
        )
    if address.path.startswith(LOCAL_FILES):
        value = parse_qs(address.query).get("d", [""])[0]
    elif value.startswith("/data/upload/"):
        raise DataError(
            f"task {n}: {value!r} is a file inside Label Studio's own storage: export the "
            "images with the tasks and use paths relative to the tasks file"
        )
    resolved = (root / value).resolve()
    if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
        raise DataError(f"task {n}: image {value!r} is not a file inside {root}")
    return resolved.relative_to(root.resolve()).as_posix()


def _choices(task: dict[str, Any]) -> tuple[list[str], list[str]]:
    """One choice per annotation that was not cancelled (its first ``choices`` result), and
    those of the annotations marked ``ground_truth`` (a reviewer's decision wins)."""
    found, truth = [], []
    for annotation in task.get("annotations") or task.get("completions") or []:
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        for result in annotation.get("result") or []:
            if not isinstance(result, dict) or result.get("type") != "choices":
                continue
            choices = (result.get("value") or {}).get("choices")
            if choices:
                found.append(str(choices[0]))
                if annotation.get("ground_truth"):
                    truth.append(str(choices[0]))
                break
    return found, truth


def to_tasks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Export rows (see :meth:`Store.export_rows`) as Label Studio tasks with annotations."""
    tasks = []
    for n, row in enumerate(rows, 1):
        to_name = "image" if row["image"] is not None else "text"
        annotations = []
        for answer in row["answers"]:
            agreed = row["review"] in ("single", "agreed") and answer["label"] == row["label"]
            annotations.append(_annotation(answer["annotator"], answer["label"], to_name,
                                           ground_truth=agreed and not annotations))  # fmt: skip
        if row["review"] in ("settled", "corrected"):
            annotations.append(_annotation(row["annotator"], row["label"], to_name, True))
        if row["flagged"]:
            annotations.append({"result": [], "was_cancelled": True, "ground_truth": False,
                                "activelearn_annotator": row["annotator"],
                                "activelearn_note": row["note"]})  # fmt: skip
        data = {to_name: row["image"] if to_name == "image" else row["text"],
                "activelearn_id": row["id"]}  # fmt: skip
        tasks.append({"id": n, "data": data, "annotations": annotations,
                      "meta": {"split": row["split"], "review": row["review"]}})  # fmt: skip
    return tasks


def _annotation(annotator: str, label: str, to_name: str, ground_truth: bool) -> dict[str, Any]:
    return {
        "result": [{"from_name": FROM_NAME, "to_name": to_name, "type": "choices",
                    "value": {"choices": [label]}}],
        "was_cancelled": False,
        "ground_truth": ground_truth,
        "activelearn_annotator": annotator,
    }  # fmt: skip
