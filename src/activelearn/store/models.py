"""Tables of the label store (SQLAlchemy 2 declarative models).

Times are UTC seconds since the epoch (floats): the same on SQLite and
PostgreSQL, cheap to compare for lease expiry, and exact enough to order
labels. Nothing is deleted when people change their mind: an undone label
keeps its row with ``undone_at`` set, so every model version can name the
exact label rows it was trained on and be rebuilt from them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Kinds of annotation rows: a label carries a class; skip and flag carry none. A second
# opinion (on an overlap item) carries a class too, from a second annotator.
LABEL, SKIP, FLAG, SECOND = "label", "skip", "flag", "second"
# Item states kept on the item itself so the queue query needs no anti-join. An overlap
# item is in review between its first and second answer, and in conflict when they differ
# (until an admin settles it).
OPEN, LABELED, FLAGGED, REVIEW, CONFLICT = "open", "labeled", "flagged", "review", "conflict"
ANSWERED = (LABELED, REVIEW, CONFLICT)  # states of items that hold a live label
TRAINABLE = (LABELED, REVIEW)  # a conflict trains nothing until it is settled
# Items used to train the model, and items set aside to evaluate it.
POOL, HELDOUT = "pool", "heldout"
# Model version states.
TRAINING, READY, FAILED = "training", "ready", "failed"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    classes: Mapped[list[Any]] = mapped_column(JSON)
    strategy: Mapped[str] = mapped_column(String(100))
    budget: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)


class Annotator(Base):
    __tablename__ = "annotators"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of a 256-bit random token: the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("project_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    external_id: Mapped[str] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    # A path relative to the project folder; the image endpoint refuses anything outside it.
    image: Mapped[str | None] = mapped_column(String(1000))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    split: Mapped[str] = mapped_column(String(10), default=POOL)
    state: Mapped[str] = mapped_column(String(10), default=OPEN)
    # Higher priority first (items a running loop asked for), then lower rank.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[float] = mapped_column(Float, default=0.0)
    # The strategy's score and the model version whose query ranked the item (None: unranked).
    score: Mapped[float | None] = mapped_column(Float)
    ranked_by: Mapped[int | None] = mapped_column(Integer)
    # Answers the item needs: 2 for the overlap share (two annotators, then agreement).
    needed: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


# The queue's order, so "next item" reads one index entry instead of sorting the pool.
Index(
    "ix_items_queue",
    Item.project_id,
    Item.state,
    Item.split,
    Item.priority.desc(),
    Item.rank,
    Item.id,
)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("annotator_id", "submission_id"),
        # At most one live label per item, enforced by the database itself.
        Index(
            "ux_labels_one_live_label",
            "item_id",
            unique=True,
            sqlite_where=text("kind = 'label' AND undone_at IS NULL"),
            postgresql_where=text("kind = 'label' AND undone_at IS NULL"),
        ),
        Index("ix_labels_annotator_time", "annotator_id", "created_at"),
        Index("ix_labels_project_kind", "project_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    undone_at: Mapped[float | None] = mapped_column(Float)
    # The correction (or settled conflict) that replaced this answer; an undone answer the
    # annotator took back has none. ``corrected``: this row is an admin's correction.
    replaced_by: Mapped[int | None] = mapped_column(Integer)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Lease(Base):
    __tablename__ = "leases"

    # The item is the primary key: two annotators can never hold one item.
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"), index=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    # Ids of the label rows trained on: enough to rebuild the model without unpickling.
    label_ids: Mapped[list[Any]] = mapped_column(JSON)
    n_train: Mapped[int] = mapped_column(Integer)
    n_heldout: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)


class Round(Base):
    """One re-ranking of the queue by a model version with the project's strategy."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[str] = mapped_column(String(100))
    n_labels: Mapped[int] = mapped_column(Integer)
    n_ranked: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
