"""What the store hands its callers: frozen snapshots of rows, never live ORM objects.

Callers (the server, the trainer, the loop's oracle) get plain values they
can keep after the session closed, and cannot change the database by
mutating what they were given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activelearn.store.models import LABEL, Item, Label, Project
from activelearn.store.settings import DEFAULT_SETTINGS


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    classes: list[str]
    strategy: str
    budget: int | None
    settings: dict[str, Any]


@dataclass(frozen=True)
class AnnotatorInfo:
    id: int
    project_id: int
    name: str
    is_admin: bool


@dataclass(frozen=True)
class ItemView:
    """An item as shown to a person; ``id`` is the item's external id."""

    id: str
    text: str | None
    image: str | None
    meta: dict[str, Any] | None
    split: str
    lease_expires: float | None = None


@dataclass(frozen=True)
class LabelRecord:
    """One answer, the same idea of a label as the file oracle's: id, label, annotator, time."""

    id: str
    label: str | None
    annotator: str
    time: float
    kind: str = LABEL
    model_version: int | None = None
    submission_id: str = ""
    note: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class TrainingRow:
    label_id: int
    item_id: int
    text: str | None
    label: str
    split: str
    image: str | None = None  # path relative to the project folder


@dataclass(frozen=True)
class OpenItem:
    """An unlabeled item the trainer ranks (pool) or guesses for (held-out)."""

    item_id: int
    external_id: str
    text: str | None
    image: str | None
    split: str


@dataclass(frozen=True)
class Readiness:
    """How far a project is from its first model, and the sentence the status line shows.

    A model trains once ``retrain_every`` labels are in and at least
    ``min_heldout`` of them are held out (it is evaluated on those). Without
    this, a project with no model gives people no hint why.
    """

    labeled: int
    heldout_labeled: int
    heldout_items: int  # held-out items that can still be or are labeled (flagged ones left out)
    retrain_every: int
    min_heldout: int

    @property
    def possible(self) -> bool:
        """Whether the project holds enough held-out items to ever evaluate a model."""
        return self.heldout_items >= self.min_heldout

    def explain(self) -> str:
        if not self.possible:
            return (
                f"no model yet, and none can be trained: a model is evaluated on "
                f"{self.min_heldout} held-out labels, but this project holds only "
                f"{self.heldout_items} held-out items"
            )
        first = max(self.retrain_every, self.min_heldout)
        if self.labeled >= first and self.heldout_labeled >= self.min_heldout:
            return (  # labels imported at `project create`, before any server ran
                f"no model yet: its {self.labeled} labels ({self.heldout_labeled} held-out) are "
                "enough for the first one, which the server trains (activelearn serve)"
            )
        return (
            f"no model yet: the first one trains after {first} labels incl. "
            f"{self.min_heldout} held-out (so far {self.labeled} "
            f"label{'' if self.labeled == 1 else 's'}, {self.heldout_labeled} held-out)"
        )


def project_info(project: Project) -> ProjectInfo:
    return ProjectInfo(
        project.id,
        project.name,
        list(project.classes),
        project.strategy,
        project.budget,
        {**DEFAULT_SETTINGS, **(project.settings or {})},
    )


def item_view(item: Item, lease_expires: float | None = None) -> ItemView:
    return ItemView(item.external_id, item.text, item.image, item.meta, item.split, lease_expires)


def label_record(
    row: Label, external_id: str, annotator: str, *, replayed: bool = False
) -> LabelRecord:
    return LabelRecord(
        id=external_id,
        label=row.value,
        annotator=annotator,
        time=row.created_at,
        kind=row.kind,
        model_version=row.model_version,
        submission_id=row.submission_id,
        note=row.note,
        replayed=replayed,
    )
