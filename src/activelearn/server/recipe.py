"""What a project's model is made of: a learner, a featurizer and a strategy, from the registries.

The app is a driver of the one engine, so a project names its components
exactly as ``activelearn run`` does, and any registered strategy works in it
as long as the learner and featurizer give what the strategy reads:

* class probabilities: every learner;
* validation errors (``ratio``): the project's held-out labels;
* Monte-Carlo samples (``bald``, ``vote_entropy``...): a learner with
  ``predict_proba_samples`` (``committee``, ``mlp``, ``cnn``);
* embeddings (``coreset``, ``badge``, ``typiclust``...): dense features (a
  pretrained encoder such as ``minilm`` or ``efficientnet_lite0``, or
  ``pixels``) or a learner with ``embed``.

A project may also train on pseudo-labels (``semi_supervised``: a method of
:mod:`activelearn.semi`), which set their threshold on the held-out labels.

Whatever does not fit is refused when the project is made, with the reason
and the strategies that would work, rather than at the first retrain.
The checks build the learner and featurizer from their registries (cheap:
nothing is fitted or loaded) and ask them, never a list kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activelearn.errors import ConfigError
from activelearn.features.registry import FEATURIZERS
from activelearn.learners.base import can_embed, can_sample
from activelearn.learners.registry import LEARNERS, make_learner
from activelearn.registry import as_spec
from activelearn.semi import SEMI_SUPERVISION
from activelearn.strategies import available_strategies, make_strategy
from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    SAMPLES,
    VALIDATION,
)

TEXT, IMAGE = "text", "image"
# Defaults: TF-IDF + balanced logistic regression for texts (one learner that reads raw
# texts); pretrained EfficientNet-Lite0 features + balanced logistic regression for images.
DEFAULTS: dict[str, tuple[str, str | None]] = {
    TEXT: ("tfidf_logreg", None),
    IMAGE: ("logistic_regression", "efficientnet_lite0"),
}
DEFAULT_STRATEGY = "least_confidence"
RAW_TEXT_LEARNERS = ("tfidf_logreg",)  # learners that read texts as they are
PIXEL_LEARNERS = ("cnn", "finetune_efficientnet")  # learners that read images (C x H x W)
IMAGE_FEATURIZERS = ("efficientnet_lite0", "pixels")  # featurizers that read images
PIXEL_SHAPE = (3, 32, 32)  # what a pixel learner gets when a project names no featurizer
NO_FEATURES = ("none", "", None)


@dataclass(frozen=True)
class Recipe:
    """A project's model: canonical ``{"name", "params"}`` specs and the strategy's name."""

    kind: str  # "text" or "image": what the items are
    learner: dict[str, Any]
    features: dict[str, Any] | None
    strategy: str = DEFAULT_STRATEGY
    strategy_params: dict[str, Any] = field(default_factory=dict)
    semi_supervised: dict[str, Any] | None = None

    @property
    def dense(self) -> bool:
        """Whether the features are dense vectors (pretrained encoders, pixels): embeddings."""
        return self.features is not None and bool(FEATURIZERS.make(self.features).stateless)

    def settings(self) -> dict[str, Any]:
        """The project settings that record this recipe (the strategy has its own column)."""
        return {
            "kind": self.kind,
            "learner": self.learner,
            "features": self.features,
            "strategy_params": self.strategy_params,
            "semi_supervised": self.semi_supervised,
        }

    def describe(self, *, strategy: bool = True) -> str:
        features = self.features["name"] if self.features else "none"
        text = f"learner {self.learner['name']}, features {features}"
        text += f", strategy {self.strategy}" if strategy else ""
        return text + (f", {self.semi_supervised['name']}" if self.semi_supervised else "")


def choose(
    kind: str,
    *,
    learner: str | dict[str, Any] | None = None,
    features: str | dict[str, Any] | None = "default",
    strategy: str | None = None,
    strategy_params: dict[str, Any] | None = None,
    semi_supervised: str | dict[str, Any] | None = None,
    heldout: bool = True,
) -> Recipe:
    """The recipe these choices make, with the defaults for ``kind``; refuses what cannot work.

    ``features="default"`` takes the kind's default featurizer (``None`` or
    ``"none"`` asks for none). ``heldout`` says whether the project sets
    items aside to evaluate on (what ``ratio`` reads).
    """
    if kind not in DEFAULTS:
        raise ConfigError(f"a project holds texts or images, not {kind!r}")
    default_learner, default_features = DEFAULTS[kind]
    if features == "default":
        features = default_features if learner is None else _features_for(kind, learner)
    recipe = Recipe(
        kind,
        LEARNERS.check(learner or default_learner),
        None if features in NO_FEATURES else FEATURIZERS.check(features),
        strategy or DEFAULT_STRATEGY,
        dict(strategy_params or {}),
        _semi_spec(semi_supervised),
    )
    _check_inputs(recipe)
    _check_semi_supervision(recipe, heldout)
    missing = unmet_needs(recipe, heldout=heldout)
    if missing:
        usable = [name for name, reason in strategy_reasons(recipe, heldout).items() if not reason]
        raise ConfigError(
            f"strategy {recipe.strategy!r} cannot run with {recipe.describe(strategy=False)}: "
            f"{missing}. "
            f"Strategies this learner and these features support: {', '.join(usable)}"
        )
    return recipe


def from_settings(strategy: str, settings: dict[str, Any]) -> Recipe:
    """The recipe a stored project records (projects made before recipes: text defaults)."""
    kind = settings.get("kind") or TEXT
    return Recipe(
        kind,
        as_spec(settings.get("learner") or DEFAULTS[kind][0]) or {},
        as_spec(settings.get("features")),
        strategy,
        dict(settings.get("strategy_params") or {}),
        as_spec(settings.get("semi_supervised")),
    )


def _semi_spec(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """A semi-supervision method's spec; ``None`` for none ("none", "", or a spec named so)."""
    spec = as_spec(value) if value else None
    return None if spec is None or spec["name"] == "none" else spec


def _check_semi_supervision(recipe: Recipe, heldout: bool) -> None:
    """Refuse pseudo-labels this project cannot make, for the reasons a strategy is refused
    (no held-out labels to set their threshold on, label spreading without embeddings)."""
    if recipe.semi_supervised is None:
        return
    try:
        method = SEMI_SUPERVISION.make(recipe.semi_supervised, random_state=0)
    except ConfigError as exc:
        raise ConfigError(f"semi-supervision: {exc}") from None
    reasons = _reasons(method.requires, recipe, heldout)
    features = recipe.features["name"] if recipe.features else None
    if getattr(method, "teacher", "self") == "naive_bayes" and features not in ("tfidf", "pixels"):
        counts = "its naive Bayes teacher reads counts: use --features tfidf (texts) or pixels"
        reasons = f"{reasons}; {counts}" if reasons else counts
    if reasons:
        raise ConfigError(f"--semi-supervised {recipe.semi_supervised['name']}: {reasons}")


def _features_for(kind: str, learner: str | dict[str, Any]) -> str | None:
    """The default featurizer once a learner is named: none for learners reading raw items."""
    name = (as_spec(learner) or {}).get("name")
    if name in RAW_TEXT_LEARNERS + PIXEL_LEARNERS:
        return None
    return "tfidf" if kind == TEXT else DEFAULTS[IMAGE][1]


def _check_inputs(recipe: Recipe) -> None:
    """Refuse a learner or featurizer that cannot read this project's items."""
    learner = recipe.learner["name"]
    features = recipe.features["name"] if recipe.features else None
    if recipe.kind == TEXT and features in IMAGE_FEATURIZERS:
        raise ConfigError(f"featurizer {features!r} reads images, and this project holds texts")
    if recipe.kind == IMAGE and features is not None and features not in IMAGE_FEATURIZERS:
        raise ConfigError(
            f"featurizer {features!r} reads texts, and this project holds images: use "
            f"{' or '.join(IMAGE_FEATURIZERS)}, "
            f"or none with --learner {' or '.join(PIXEL_LEARNERS)}"
        )
    if features is None and recipe.kind == TEXT and learner not in RAW_TEXT_LEARNERS:
        raise ConfigError(
            f"learner {learner!r} cannot read raw texts: choose text features (--features tfidf, "
            "minilm or tokens) or --learner tfidf_logreg"
        )
    if features is None and recipe.kind == IMAGE and learner not in PIXEL_LEARNERS:
        raise ConfigError(
            f"learner {learner!r} cannot read raw images: choose image features (--features "
            f"{' or '.join(IMAGE_FEATURIZERS)}) or --learner {' or '.join(PIXEL_LEARNERS)}"
        )
    if features is not None and learner in RAW_TEXT_LEARNERS + PIXEL_LEARNERS:
        raise ConfigError(
            f"learner {learner!r} reads the items themselves: use --features none with it, "
            "or another learner (logistic_regression, mlp, committee) on these features"
        )


def build_learner(recipe: Recipe, classes: list[str], seed: int, shape: tuple[int, ...]) -> Any:
    """A fresh learner of the recipe for items of ``shape`` (one item's feature shape)."""
    return make_learner(recipe.learner, seed, input_shape=shape, classes=list(classes))


def unmet_needs(recipe: Recipe, *, heldout: bool) -> str:
    """Why the recipe's strategy cannot run (empty when it can)."""
    strategy = make_strategy(recipe.strategy, **recipe.strategy_params)
    return _reasons(strategy.requires, recipe, heldout)


def strategy_reasons(recipe: Recipe, heldout: bool = True) -> dict[str, str]:
    """Every registered strategy (usable without parameters) and why it cannot run ("": it can)."""
    out = {}
    for name in available_strategies():
        try:
            strategy = make_strategy(name)
        except (ConfigError, TypeError):  # a wrapper that needs a base strategy named
            continue
        out[name] = _reasons(strategy.requires, recipe, heldout)
    return out


def _reasons(requires: frozenset[str], recipe: Recipe, heldout: bool) -> str:
    shape = (8,) if recipe.features is not None else PIXEL_SHAPE if recipe.kind == IMAGE else ()
    learner = build_learner(recipe, ["a", "b"], 0, shape)
    name = recipe.learner["name"]
    reasons = []
    if VALIDATION in requires and not heldout:
        reasons.append("it reads the model's predictions on the held-out set, and this project "
                       "holds none: give it a --heldout-fraction above 0")  # fmt: skip
    if SAMPLES in requires and not can_sample(learner):
        reasons.append(f"it needs Monte-Carlo samples, which learner {name!r} does not give: use "
                       "--learner committee, or a network with dropout (mlp, cnn)")  # fmt: skip
    if requires & {EMBEDDINGS, LABELED_EMBEDDINGS} and not (recipe.dense or can_embed(learner)):
        features = recipe.features["name"] if recipe.features else "none"
        reasons.append(
            f"it needs embeddings, which neither features {features!r} nor learner {name!r} give: "
            "use dense features (--features minilm for texts, efficientnet_lite0 or pixels for "
            "images) or a learner with `embed` (mlp, cnn)"
        )
    return "; ".join(reasons)
