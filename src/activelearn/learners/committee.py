"""A committee of scikit-learn-like learners, for query by committee.

``Committee`` is itself a learner: ``fit`` trains every member,
``predict_proba`` averages them (the consensus) and
``predict_proba_samples(X, k)`` returns the first ``k`` members'
probabilities as ``k x N x C``, the input that ``vote_entropy``,
``kl_consensus`` and ``bald`` expect.

Members are either given (different learner types: "query by committee"
in Seung et al. 1992's sense), or copies of one learner, each trained on a
bootstrap resample of the labeled set ("query by bagging", Abe & Mamitsuka
1998). Every member's columns are aligned to the committee's classes, so a
bootstrap sample that misses a class still yields N x C.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from activelearn.data.pool import take
from activelearn.errors import ConfigError
from activelearn.learners.base import fresh_copy


class Committee:
    """Train several learners and expose their disagreement.

    Pass ``members`` (a list of learners) or ``learner`` with ``n_members``;
    ``bootstrap`` resamples the labeled set per member (default: on when
    the members are copies of one learner). ``seed`` fixes the resamples.
    """

    def __init__(
        self,
        members: Sequence[Any] | None = None,
        *,
        learner: Any = None,
        n_members: int = 5,
        bootstrap: bool | None = None,
        seed: int = 0,
    ) -> None:
        if (members is None) == (learner is None):
            raise ConfigError("pass either `members` or `learner` (with `n_members`), not both")
        if members is not None and len(members) < 2:
            raise ConfigError("a committee needs at least two members")
        if learner is not None and n_members < 2:
            raise ConfigError(f"a committee needs at least two members, got n_members={n_members}")
        self.members = members
        self.learner = learner
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.seed = seed

    def fit(self, X: Any, y: Any) -> Committee:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        templates = (
            list(self.members) if self.members is not None else [self.learner] * self.n_members
        )
        bootstrap = self.members is None if self.bootstrap is None else self.bootstrap
        rng = np.random.default_rng(self.seed)
        self.fitted_ = []
        for template in templates:
            rows = np.arange(len(y))
            if bootstrap:
                rows = rng.integers(len(y), size=len(y))
                # A member trained on one class cannot say anything: keep every class in.
                missing = np.setdiff1d(self.classes_, y[rows])
                rows = np.concatenate([rows, [np.flatnonzero(y == c)[0] for c in missing]])
                rows = rows.astype(int)
            self.fitted_.append(fresh_copy(template).fit(take(X, rows), y[rows]))
        return self

    def _member_proba(self, member: Any, X: Any) -> np.ndarray:
        """Member probabilities with columns in ``self.classes_`` order (zeros for unseen)."""
        proba = np.asarray(member.predict_proba(X))
        aligned = np.zeros((proba.shape[0], len(self.classes_)))
        columns = np.searchsorted(self.classes_, np.asarray(member.classes_))
        aligned[:, columns] = proba
        return aligned

    def predict_proba_samples(self, X: Any, k: int | None = None) -> np.ndarray:
        """``k x N x C``: the first ``k`` members' probabilities (all members when k is None)."""
        k = len(self.fitted_) if k is None else k
        if not 1 <= k <= len(self.fitted_):
            raise ConfigError(f"the committee has {len(self.fitted_)} members; cannot give {k}")
        return np.stack([self._member_proba(m, X) for m in self.fitted_[:k]])

    def predict_proba(self, X: Any) -> np.ndarray:
        """The consensus: the members' mean probabilities."""
        return self.predict_proba_samples(X).mean(axis=0)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """scikit-learn's cloning protocol, so the loop can make fresh copies."""
        return {
            "members": self.members,
            "learner": self.learner,
            "n_members": self.n_members,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
        }

    def set_params(self, **params: Any) -> Committee:
        for key, value in params.items():
            setattr(self, key, value)
        return self
