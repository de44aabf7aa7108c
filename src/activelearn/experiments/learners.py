"""Learners by name, each one small factory, so a config can say ``name = "tfidf_logreg"``.

A factory returns a fresh, unfitted learner; the runner builds one per cell,
so the active-learning run and its full-data model share the same recipe.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from activelearn.errors import ConfigError

_FACTORIES: dict[str, Callable[..., Any]] = {}


def learner(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a factory under ``name``; its keyword arguments are the config's parameters."""

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        _FACTORIES[name] = factory
        return factory

    return decorate


def available_learners() -> list[str]:
    return sorted(_FACTORIES)


def check_learner_params(name: str, params: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` when ``params`` do not fit the factory's signature."""
    try:
        inspect.signature(_FACTORIES[name]).bind(**params)
    except TypeError as exc:
        accepted = ", ".join(inspect.signature(_FACTORIES[name]).parameters)
        raise ConfigError(
            f"bad parameters for learner {name!r}: {exc}; accepted: {accepted}"
        ) from None


def make_learner(spec: dict[str, Any], seed: int) -> Any:
    """A fresh learner from its ``{"name", "params"}`` spec; ``seed`` feeds its randomness."""
    factory = _FACTORIES[spec["name"]]
    params = dict(spec.get("params", {}))
    if "random_state" in inspect.signature(factory).parameters:
        params.setdefault("random_state", seed)
    return factory(**params)


@learner("logistic_regression")
def logistic_regression(
    C: float = 1.0,
    max_iter: int = 1000,
    class_weight: str | None = None,
    scale: bool = False,
    random_state: int = 0,
) -> Any:
    """Multinomial logistic regression; ``scale`` standardises features first."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = LogisticRegression(
        C=C, max_iter=max_iter, class_weight=class_weight, random_state=random_state
    )
    return make_pipeline(StandardScaler(), model) if scale else model


@learner("tfidf_logreg")
def tfidf_logreg(
    ngram_max: int = 2,
    min_df: int = 2,
    max_features: int | None = 200_000,
    C: float = 10.0,
    class_weight: str | None = "balanced",
    max_iter: int = 1000,
    random_state: int = 0,
) -> Any:
    """TF-IDF (1..``ngram_max``-grams) + logistic regression, refitted on the labeled set.

    Balanced class weights by default: on small skewed labeled sets the
    decision threshold drifts and uncertainty sampling falls below random
    (DESIGN.md, measured on IMDB).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(
            ngram_range=(1, ngram_max), min_df=min_df, max_features=max_features, sublinear_tf=True
        ),
        LogisticRegression(
            C=C, class_weight=class_weight, max_iter=max_iter, random_state=random_state
        ),
    )


@learner("mlp")
def mlp(**params: Any) -> Any:
    """A PyTorch MLP from :mod:`activelearn.learners.models` (the torch learners)."""
    return _torch_model("mlp", params)


@learner("cnn")
def cnn(**params: Any) -> Any:
    """A small PyTorch CNN from :mod:`activelearn.learners.models` (the torch learners)."""
    return _torch_model("cnn", params)


def _torch_model(name: str, params: dict[str, Any]) -> Any:
    try:
        from activelearn.learners import models
    except ImportError:
        raise ConfigError(
            f"learner {name!r} needs the PyTorch learners (activelearn.learners.models), "
            "which this version of activelearn does not have yet"
        ) from None
    return models.make_model(name, **params)
