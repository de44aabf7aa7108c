"""Agreement between annotators on the overlap items, and the conflicts an admin settles.

An overlap item gets a first label and a second opinion from someone else
(see :mod:`.queue`). From those pairs:

* **per pair of annotators**: how many items both answered, the share they
  agree on and Cohen's kappa (agreement beyond what their label frequencies
  give by chance; scikit-learn's ``cohen_kappa_score``);
* **per class**: Cohen's kappa of "is it this class?" over every pair, so a
  class people confuse stands out;
* **overall**: Krippendorff's alpha (nominal), which takes any number of
  annotators and items answered by any two of them (the ``krippendorff``
  package; checked against Krippendorff's own worked example in the tests).

A kappa or alpha is ``None`` where it is undefined (every answer the same
class: there is no chance agreement to beat).

Raw answers are the annotators' own labels and second opinions, including
those an admin's correction replaced (and excluding what people took back
themselves): they are what agreement is measured on and what exports list.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import or_, select

from activelearn.store.database import StoreBase
from activelearn.store.models import CONFLICT, LABEL, SECOND, Annotator, Item, Label


class AgreementMixin(StoreBase):
    def raw_answers(self, project_id: int) -> dict[int, list[dict[str, Any]]]:
        """Each item's raw answers (item id -> first label, then second opinion), oldest first."""
        with self.read() as session:
            rows = session.execute(
                select(Label.item_id, Annotator.name, Label.value, Label.kind, Label.created_at)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(
                    Label.project_id == project_id,
                    Label.kind.in_((LABEL, SECOND)),
                    Label.corrected.is_(False),
                    or_(Label.undone_at.is_(None), Label.replaced_by.is_not(None)),
                )
                .order_by(Label.created_at, Label.id)
            ).all()
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item_id, name, value, kind, time in rows:
            out[item_id].append({"annotator": name, "label": value, "kind": kind, "time": time})
        return dict(out)

    def conflicts(self, project_id: int) -> list[dict[str, Any]]:
        """Items whose two answers differ, waiting for an admin (oldest first)."""
        answers = self.raw_answers(project_id)
        with self.read() as session:
            items = session.execute(
                select(Item.id, Item.external_id, Item.text, Item.image)
                .where(Item.project_id == project_id, Item.state == CONFLICT)
                .order_by(Item.id)
            ).all()
        return [
            {"id": external, "text": text, "has_image": image is not None,
             "answers": answers.get(item_id, [])}
            for item_id, external, text, image in items
        ]  # fmt: skip

    def agreement(self, project_id: int) -> dict[str, Any]:
        """Agreement on the items two annotators answered: overall, per pair, per class."""
        classes = self.project_info(project_id).classes
        pairs = [
            (a[0], a[1], b[0], b[1])
            for answers in self.raw_answers(project_id).values()
            if len(answers) >= 2
            for a, b in [((answers[0]["annotator"], answers[0]["label"]),
                          (answers[1]["annotator"], answers[1]["label"]))]
        ]  # fmt: skip
        first = [p[1] for p in pairs]
        second = [p[3] for p in pairs]
        by_pair: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for name_a, value_a, name_b, value_b in pairs:
            key = tuple(sorted((name_a, name_b)))
            ordered = (value_a, value_b) if key[0] == name_a else (value_b, value_a)
            by_pair[key].append(ordered)  # type: ignore[index]
        people = sorted({name for p in pairs for name in (p[0], p[2])})
        return {
            "items": len(pairs),
            "agreement": _share(first, second),
            "kappa": cohen_kappa(first, second),
            "alpha": krippendorff_alpha([{p[0]: p[1], p[2]: p[3]} for p in pairs]),
            "annotators": len(people),
            "pairs": [
                {
                    "annotators": list(key),
                    "items": len(values),
                    "agreement": _share(*zip(*values, strict=True)),
                    "kappa": cohen_kappa(*zip(*values, strict=True)),
                }
                for key, values in sorted(by_pair.items())
            ],  # fmt: skip
            "classes": {
                c: {
                    "items": sum(c in (a, b) for a, b in zip(first, second, strict=True)),
                    "kappa": cohen_kappa([a == c for a in first], [b == c for b in second]),
                }
                for c in classes
            },
        }


def _share(a: Any, b: Any) -> float | None:
    a, b = list(a), list(b)
    return None if not a else float(np.mean([x == y for x, y in zip(a, b, strict=True)]))


def cohen_kappa(a: Any, b: Any) -> float | None:
    """Cohen's kappa of two raters' answers; None when undefined (no pairs, one class only)."""
    from sklearn.metrics import cohen_kappa_score

    a, b = list(a), list(b)
    if not a or len({*map(str, a), *map(str, b)}) < 2:
        return None
    value = float(cohen_kappa_score([str(x) for x in a], [str(x) for x in b]))
    return None if math.isnan(value) else value


def krippendorff_alpha(units: list[dict[str, str]]) -> float | None:
    """Krippendorff's alpha (nominal) of ``units`` (each: annotator -> answer), any number
    of annotators per unit; a people x units matrix with gaps. None when undefined."""
    values = sorted({v for unit in units for v in unit.values()})
    if not units or len(values) < 2:
        return None
    import krippendorff

    people = sorted({name for unit in units for name in unit})
    code = {v: float(i) for i, v in enumerate(values)}
    row = {name: i for i, name in enumerate(people)}
    matrix = np.full((len(people), len(units)), np.nan)
    for j, unit in enumerate(units):
        for name, value in unit.items():
            matrix[row[name], j] = code[value]
    value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    return None if math.isnan(value) else value
