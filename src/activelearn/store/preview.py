"""The head of the queue, and why each item is there: what the admin view shows.

The order is the queue's own (``priority`` first, then ``rank``), read from
the same index "next item" uses; items leased right now are left out, as
"next item" leaves them out. Each item says why it is where it is: a running
loop asked for it, the strategy ranked it (with its score and the model
version whose query it was), or nothing has ranked it yet.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from activelearn.store.database import StoreBase
from activelearn.store.models import HELDOUT, OPEN, POOL, Item, Lease, Round

SNIPPET = 120


class PreviewMixin(StoreBase):
    def queue_preview(self, project_id: int, n: int = 20) -> list[dict[str, Any]]:
        """The next ``n`` training-pool items and the next held-out ones, in queue order."""
        now = time.time()
        live = select(Lease.item_id).where(Lease.expires_at >= now)
        with self.read() as session:
            strategies = dict(
                session.execute(
                    select(Round.model_version, Round.strategy).where(
                        Round.project_id == project_id
                    )
                ).all()
            )
            out = []
            for split, limit in ((POOL, n), (HELDOUT, max(1, n // 4))):
                items = session.scalars(
                    select(Item)
                    .where(
                        Item.project_id == project_id,
                        Item.state == OPEN,
                        Item.split == split,
                        Item.id.not_in(live),
                    )
                    .order_by(Item.priority.desc(), Item.rank, Item.id)
                    .limit(limit)
                ).all()
                out += [
                    _row(position, item, strategies.get(item.ranked_by))
                    for position, item in enumerate(items, 1)
                ]
        return out


def _row(position: int, item: Item, strategy: str | None) -> dict[str, Any]:
    if item.split == HELDOUT:
        why = "held out: served in random order, in proportion, to evaluate the models"
    elif item.priority > 0:
        why = "asked for by a running loop (served before the strategy's ranking)"
    elif item.ranked_by is not None:
        score = "" if item.score is None else f", score {item.score:.4g}"
        why = f"ranked by {strategy or 'the strategy'}{score} (model v{item.ranked_by})"
    else:
        why = "not ranked yet: random order until the first model"
    return {
        "position": position,
        "id": item.external_id,
        "split": item.split,
        "text": None if item.text is None else item.text[:SNIPPET],
        "image": item.image is not None,
        "score": item.score,
        "strategy": strategy if item.split == POOL and item.ranked_by is not None else None,
        "version": item.ranked_by,
        "why": why,
    }
