"""The label store: projects, items, leases, labels and model versions in SQL.

:class:`Store` is assembled from one part per concern, each in its own
module: :mod:`.database` (opening, transactions), :mod:`.projects`,
:mod:`.tokens` (annotators), :mod:`.items`, :mod:`.queue` (leases and
answers), :mod:`.answers` (reading them), :mod:`.versions` (what the
trainer reads and writes), :mod:`.preview` (the queue's head, for
admins) and :mod:`.agreement` (overlap items: agreement and conflicts).
The names callers import from here stay here.
"""

from __future__ import annotations

from activelearn.store.agreement import AgreementMixin
from activelearn.store.answers import AnswersMixin
from activelearn.store.database import DB_FILE
from activelearn.store.preview import PreviewMixin
from activelearn.store.projects import ProjectsMixin
from activelearn.store.queue import QueueMixin
from activelearn.store.records import (
    AnnotatorInfo,
    ItemView,
    LabelRecord,
    ProjectInfo,
    Readiness,
    TrainingRow,
)
from activelearn.store.tokens import IMPORT_ANNOTATOR, TokensMixin, hash_token
from activelearn.store.versions import VersionsMixin

__all__ = [
    "DB_FILE",
    "IMPORT_ANNOTATOR",
    "AnnotatorInfo",
    "ItemView",
    "LabelRecord",
    "ProjectInfo",
    "Readiness",
    "Store",
    "TrainingRow",
    "hash_token",
]


class Store(
    ProjectsMixin,
    TokensMixin,
    QueueMixin,
    AnswersMixin,
    VersionsMixin,
    PreviewMixin,
    AgreementMixin,
):
    """A label store bound to a project folder (images live there) and a database.

    Use :meth:`open`; it creates the database if needed and runs the migrations.
    """
