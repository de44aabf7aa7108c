"""Bringing image files into a project folder, where the labeling server may serve them.

The server serves an item's image only from inside the project folder (any
path that resolves elsewhere is refused), so images chosen from another
folder are hard-linked into ``<project>/images/`` (no copy, no extra disk)
or, across file systems, copied. Images already inside the project folder
stay where they are. An item's id is its path relative to the folder it was
found in (``cat/001.png``), so ground-truth files name items the way people
see them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from activelearn.errors import DataError

PROJECT_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")  # JPEG, PNG, WebP
IMAGES_FOLDER = "images"


def find_images(root: str | os.PathLike[str]) -> list[str]:
    """Image files under ``root`` at any depth, as sorted POSIX paths relative to it.

    Hidden files and folders are left out; a link that leads outside ``root``
    is an error (it would expose a file the user did not choose).
    """
    base = Path(root).expanduser()
    if not base.is_dir():
        raise DataError(f"{base} is not a folder: pass the folder that holds the images")
    base = base.resolve()
    found = []
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() not in PROJECT_IMAGE_SUFFIXES or not path.is_file():
            continue
        if not path.resolve().is_relative_to(base):
            raise DataError(f"{path} links outside {base}: copy the image into the folder")
        found.append(relative.as_posix())
    if not found:
        raise DataError(f"{base} holds no images ({', '.join(PROJECT_IMAGE_SUFFIXES)})")
    return sorted(found)


def bring_in(project: str | os.PathLike[str], root: str | os.PathLike[str],
             relative: Sequence[str]) -> tuple[list[str], str]:  # fmt: skip
    """Make ``root/<relative>`` files servable from ``project``; returns their paths relative
    to the project folder and a sentence saying how (in place, linked or copied)."""
    project_path, base = Path(project).resolve(), Path(root).resolve()
    for name in relative:
        source = (base / name).resolve()
        if not source.is_relative_to(base) or not source.is_file():
            raise DataError(f"image {name!r} is not a file inside {base}")
        if source.suffix.lower() not in PROJECT_IMAGE_SUFFIXES:
            raise DataError(f"{name!r} is not a JPEG, PNG or WebP image")
    if base.is_relative_to(project_path):
        prefix = base.relative_to(project_path)
        return [(prefix / name).as_posix() for name in relative], "used in place"
    target = project_path / IMAGES_FOLDER
    linked = copied = 0
    for name in relative:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            destination.unlink()
        try:
            os.link(base / name, destination)
            linked += 1
        except OSError:  # another file system, or links not allowed: copy
            shutil.copy2(base / name, destination)
            copied += 1
    how = f"{linked} hard-linked" if linked else ""
    how += (", " if linked and copied else "") + (f"{copied} copied" if copied else "")
    return [f"{IMAGES_FOLDER}/{name}" for name in relative], f"{how} into {target}"
