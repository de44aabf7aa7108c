"""Learners by name, each one small factory, so a config can say ``name = "tfidf_logreg"``.

A factory returns a fresh, unfitted learner; the runner builds one per cell,
so the active-learning run and its full-data model share the same recipe.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

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
        inspect.signature(_FACTORIES[name]).bind_partial(**params)
    except TypeError as exc:
        accepted = ", ".join(inspect.signature(_FACTORIES[name]).parameters)
        raise ConfigError(
            f"bad parameters for learner {name!r}: {exc}; accepted: {accepted}"
        ) from None


def make_learner(
    spec: dict[str, Any],
    seed: int,
    *,
    input_shape: tuple[int, ...] = (),
    classes: list[Any] | None = None,
) -> Any:
    """A fresh learner from its ``{"name", "params"}`` spec.

    ``seed`` feeds the learner's randomness; factories that build a network
    also get the shape of one input item and the classes.
    """
    factory = _FACTORIES[spec["name"]]
    params = dict(spec.get("params", {}))
    accepted = inspect.signature(factory).parameters
    context = {"random_state": seed, "input_shape": input_shape, "classes": classes}
    params.update({k: v for k, v in context.items() if k in accepted and k not in params})
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
def mlp(
    hidden: list[int] | None = None,
    dropout: float = 0.5,
    max_epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float | None = None,
    patience: int | None = 4,
    *,
    input_shape: tuple[int, ...],
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """A PyTorch MLP (:class:`activelearn.learners.models.MLP`) on flat features, on the CPU."""
    from activelearn.learners.models import MLP

    n_features = int(np.prod(input_shape))
    module = functools.partial(
        MLP, n_features, len(classes), hidden=tuple(hidden or (128,)), dropout=dropout
    )
    return _torch_learner(module, classes, random_state, max_epochs, batch_size, learning_rate,
                          patience)  # fmt: skip


@learner("cnn")
def cnn(
    channels: list[int] | None = None,
    hidden: int = 128,
    dropout: float = 0.5,
    max_epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float | None = None,
    patience: int | None = 3,
    *,
    input_shape: tuple[int, ...],
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """A small PyTorch CNN (:class:`activelearn.learners.models.SmallCNN`) on ``N x C x H x W``.

    Use it with an image dataset loaded with ``flatten = false``.
    """
    from activelearn.learners.models import SmallCNN

    if len(input_shape) != 3:
        raise ConfigError(
            f"learner 'cnn' needs images (C x H x W per item), got items of shape {input_shape}: "
            "load the dataset with flatten = false"
        )
    module = functools.partial(
        SmallCNN, len(classes), in_channels=input_shape[0], channels=tuple(channels or (32, 64)),
        hidden=hidden, dropout=dropout,
    )  # fmt: skip
    return _torch_learner(module, classes, random_state, max_epochs, batch_size, learning_rate,
                          patience)  # fmt: skip


def _torch_learner(
    module: Callable[[], Any],
    classes: list[Any],
    seed: int,
    max_epochs: int,
    batch_size: int,
    learning_rate: float | None,
    patience: int | None,
) -> Any:
    """A :class:`TorchLearner` on the CPU, one thread (cells run in parallel), early stopping."""
    from activelearn.learners.torch_trainer import TorchLearner

    return TorchLearner(
        module, max_epochs=max_epochs, batch_size=batch_size, learning_rate=learning_rate,
        patience=patience, classes=classes, seed=seed, device="cpu",
    )  # fmt: skip
