"""Creating a project (its classes, strategy, budget and settings) and finding it again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from activelearn.errors import ConfigError
from activelearn.store.errors import NotFound
from activelearn.store.items import ItemsMixin
from activelearn.store.models import Project
from activelearn.store.records import ProjectInfo, project_info
from activelearn.store.settings import DEFAULT_SETTINGS, RECIPE_SETTINGS


class ProjectsMixin(ItemsMixin):
    def create_project(
        self,
        name: str,
        classes: Sequence[Any],
        *,
        texts: Sequence[str | None] | None = None,
        images: Sequence[str | None] | None = None,
        ids: Sequence[Any] | None = None,
        labels: Sequence[Any] | None = None,
        meta: Sequence[dict[str, Any] | None] | None = None,
        strategy: str = "least_confidence",
        budget: int | None = None,
        settings: dict[str, Any] | None = None,
    ) -> ProjectInfo:
        """A new project holding the given items; ``labels`` (``None`` = unlabeled) are imported.

        Items are texts, images (paths relative to the project folder) or both.
        A random ``heldout_fraction`` of the items is set aside to evaluate
        models; people label those too, in proportion, so the evaluation set
        grows with the labels.

        ``strategy`` is stored as given: the store sits below the strategies
        and knows none of them, so callers check the name (the command line
        does, with the list of names the server can use).
        """
        classes = [str(c) for c in classes]
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ConfigError(f"a project needs at least two distinct classes, got {classes}")
        known = {*DEFAULT_SETTINGS, *RECIPE_SETTINGS}
        unknown = set(settings or {}) - known
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}; known: {sorted(known)}")
        if budget is not None and budget < 1:
            raise ConfigError(f"budget must be at least 1, got {budget}")
        merged = {**DEFAULT_SETTINGS, **(settings or {})}
        with self.write() as session:
            if session.scalar(select(Project.id).where(Project.name == name)) is not None:
                raise ConfigError(
                    f"a project named {name!r} exists already in {self.folder}: pick another "
                    "name, or another folder to start afresh"
                )
            project = Project(
                name=name,
                classes=classes,
                strategy=strategy,
                budget=budget,
                settings=merged,
                created_at=time.time(),
            )
            session.add(project)
            session.flush()
            info = project_info(project)
        if texts is not None or images is not None:
            self.add_items(info.id, texts=texts, images=images, ids=ids, labels=labels, meta=meta)
        return info

    def project(self, name: str | None = None) -> ProjectInfo:
        """The project called ``name``; without a name, the store's only project."""
        with self.read() as session:
            query = select(Project) if name is None else select(Project).where(Project.name == name)
            projects = session.scalars(query.limit(2)).all()
        if not projects:
            raise NotFound(
                f"no project named {name!r} in this store"
                if name
                else "this store has no project yet"
            )
        if len(projects) > 1:
            raise ConfigError("this store holds several projects: name the one you mean")
        return project_info(projects[0])
