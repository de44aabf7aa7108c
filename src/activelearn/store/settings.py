"""A project's tunable settings and their defaults.

Kept apart from the store (and free of SQLAlchemy) so the command line can
list them without the ``server`` extra installed.
"""

from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    "heldout_fraction": 0.2,  # share of items set aside (and labeled) to evaluate models
    "retrain_every": 50,  # new labels between automatic retrains
    "min_heldout": 10,  # held-out labels needed before a model can be evaluated
    "lease_seconds": 600,  # how long an item stays with an annotator who does not answer
    "rerank_size": 2000,  # queue positions re-ranked by the strategy after each retrain
    "overlap": 0.0,  # share of items served to two annotators (agreement, conflicts)
    "seed": 0,
}
# What the project's model is made of (see activelearn.server.recipe, which checks them):
# "kind" (text or image), "learner" and "features" (registry specs), "strategy_params",
# "semi_supervised" (a method of activelearn.semi, or None).
# The store keeps them as given; it knows no registry.
RECIPE_SETTINGS = ("kind", "learner", "features", "strategy_params", "semi_supervised")
