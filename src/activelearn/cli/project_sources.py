"""Where a new project's items come from: a table, an image folder, a Label Studio tasks
file, the IMDB archive.

Each source gives the same thing (:class:`Source`): the items (texts, or
image files with the folder they are relative to), their ids, the labels to
import (or none) and the classes. ``activelearn project create`` then puts
them in the store. Tables are read by the one table loader, so every row is
loaded or reported with its reason.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.errors import ConfigError, DataError


@dataclass
class Source:
    kind: str  # "text" or "image"
    ids: list[str]
    texts: list[str] | None = None
    images: list[str] | None = None  # paths relative to ``image_root``
    image_root: Path | None = None
    labels: list[str | None] | None = None
    classes: list[str] | None = None
    notes: str = ""  # what the loader has to say (rows skipped, labels not imported)

    def __len__(self) -> int:
        return len(self.ids)


def load_source(args: argparse.Namespace) -> Source:
    """The items ``project create`` was pointed at, sampled to ``--limit``."""
    declared = args.classes.split(",") if args.classes else None
    if args.images:
        source = _image_folder(args.images, args.keep_labels, declared)
    elif args.label_studio:
        source = _label_studio(args, declared)
    elif args.imdb:
        source = _imdb(args)
    else:
        source = _table(args, declared)
    if not source.ids:
        raise ConfigError("the dataset holds no items")
    if args.limit is not None and args.limit < len(source):
        # A random sample in file order: files sorted by label must not give one class.
        rng = np.random.default_rng(args.seed if args.seed is not None else 0)
        keep = np.sort(rng.choice(len(source), args.limit, replace=False)).tolist()
        source = _subset(source, keep)
    if source.classes is None:
        raise ConfigError(
            "name the classes with --classes a,b,c (or import labels: --label-column for a "
            "table, --keep-labels for class subfolders)"
        )
    return source


def _subset(source: Source, keep: list[int]) -> Source:
    def pick(values: list[Any] | None) -> list[Any] | None:
        return None if values is None else [values[i] for i in keep]

    return Source(
        source.kind, pick(source.ids) or [], pick(source.texts), pick(source.images),
        source.image_root, pick(source.labels), source.classes, source.notes,
    )  # fmt: skip


def _image_folder(folder: str, keep_labels: bool, declared: list[str] | None) -> Source:
    """Images at any depth; with ``keep_labels`` the first folder level names the class."""
    from activelearn.store.images import find_images

    root = Path(folder).expanduser().resolve()
    found = find_images(root)
    labels = None
    notes = f"{len(found)} images found in {root}"
    classes = declared
    if keep_labels:
        labels = [name.split("/", 1)[0] if "/" in name else None for name in found]
        present = sorted({label for label in labels if label is not None})
        loose = sum(label is None for label in labels)
        classes = classes or present
        unknown = sorted(set(present) - set(classes))
        if unknown:
            raise ConfigError(f"class folders {unknown} are not among --classes {classes}")
        notes += f"; labels from their class folders {present}"
        if loose:
            notes += f" ({loose} images outside any class folder stay unlabeled)"
    return Source("image", found, images=found, image_root=root, labels=labels,
                  classes=classes, notes=notes)  # fmt: skip


def _label_studio(args: argparse.Namespace, declared: list[str] | None) -> Source:
    """Tasks with a text or an image each; their annotations' choices with --keep-labels."""
    from activelearn.store.labelstudio import read_tasks

    tasks = read_tasks(args.label_studio, text_key=args.text_column,
                       image_key=args.image_column)  # fmt: skip
    notes = f"{len(tasks.ids)} Label Studio tasks ({tasks.kind}s)"
    labels = None
    if args.keep_labels:
        labels = tasks.labels
        notes += f"; {sum(v is not None for v in labels)} labels from their annotations"
        if tasks.disagreements:
            notes += (f"; {tasks.disagreements} tasks whose annotations disagree stay "
                      "unlabeled")  # fmt: skip
        unknown = sorted({v for v in labels if v is not None} - set(declared or tasks.classes))
        if unknown:
            raise ConfigError(f"annotations hold {unknown}, which are not among --classes")
    classes = declared or tasks.classes or None
    root = Path(args.label_studio).expanduser().resolve().parent
    if tasks.kind == "image":
        return Source("image", tasks.ids, images=tasks.items, image_root=root, labels=labels,
                      classes=classes, notes=notes)  # fmt: skip
    return Source("text", tasks.ids, texts=tasks.items, labels=labels, classes=classes,
                  notes=notes)  # fmt: skip


def _imdb(args: argparse.Namespace) -> Source:
    from activelearn.data.imdb import load_imdb

    train, test = load_imdb(args.imdb, download=False)
    data = train if args.imdb_split == "train" else test
    labels = [str(v) for v in data.labels.tolist()] if args.keep_labels else None
    return Source(
        "text", [str(i) for i in data.ids.tolist()], texts=[str(t) for t in data.raw],
        labels=labels, classes=[str(c) for c in data.classes.tolist()],
    )  # fmt: skip


def _table(args: argparse.Namespace, declared: list[str] | None) -> Source:
    """A table of texts, or of image paths (``--image-column``, relative to the table)."""
    from activelearn.data.tabular import load_table

    column = args.image_column or args.text_column
    try:
        data = load_table(
            args.data, text_column=column, label_column=args.label_column,
            id_column=args.id_column, classes=declared, format=args.format, sep=args.sep,
            header=not args.no_header, encoding=args.encoding,
        )  # fmt: skip
    except DataError as exc:
        if f"no column {column!r}" not in str(exc):
            raise
        raise DataError(  # a numeric table, say: people label texts or images here
            f"{exc}: a project labels texts or images, so name the table's text column "
            "(--text-column) or its column of image paths (--image-column)"
        ) from None
    labels = None
    if args.label_column is not None:
        labels = [None if v is None else str(v) for v in data.labels.tolist()]
    classes = declared or ([str(c) for c in data.classes.tolist()] or None)
    values = [str(v) for v in data.X]
    source = Source(
        "text", [str(i) for i in data.ids.tolist()], texts=values, labels=labels,
        classes=classes, notes=data.report.summary(),
    )  # fmt: skip
    if args.image_column is None:
        return source
    root = Path(args.data).expanduser().resolve().parent
    relative = []
    for row, value in enumerate(values):
        path = Path(value)
        path = (root / path) if not path.is_absolute() else path
        if not path.resolve().is_relative_to(root):
            raise ConfigError(
                f"row {row + 1}: image {value!r} is outside the table's folder {root}: keep "
                "the images beside the table (paths relative to it)"
            )
        relative.append(path.resolve().relative_to(root).as_posix())
    ids = source.ids if args.id_column else relative
    return Source("image", ids, images=relative, image_root=root, labels=labels,
                  classes=classes, notes=source.notes)  # fmt: skip
