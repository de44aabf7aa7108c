"""Learners by name, each one small factory, so a config or flag can say ``--learner mlp``.

A factory returns a fresh, unfitted learner. The engine supplies context the
user never sets: ``random_state`` (the run's seed), ``classes`` and
``input_shape`` (one item's shape, for networks). The active-learning run and
its full-data reference are built from the same spec, so they share the
recipe.

Learners weight classes ``"balanced"`` by default (linear models and the
networks alike): on skewed data an unweighted full-data model is a weak
baseline (a trial measured 0.84 minority F1 unweighted vs 0.95 balanced; an
unweighted MLP always predicted the majority class), and on small skewed
labeled sets the decision threshold drifts. Set ``class_weight`` to ``None``
(``--class-weight none``) for the unweighted model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from activelearn.errors import ConfigError
from activelearn.registry import Registry

LEARNERS = Registry("learner", context=("random_state", "input_shape", "classes"))
learner = LEARNERS.register


def available_learners() -> list[str]:
    return LEARNERS.names()


def make_learner(
    spec: str | dict[str, Any],
    seed: int = 0,
    *,
    input_shape: tuple[int, ...] = (),
    classes: list[Any] | None = None,
) -> Any:
    """A fresh learner from its ``{"name", "params"}`` spec, seeded with ``seed``."""
    return LEARNERS.make(spec, random_state=seed, input_shape=input_shape, classes=classes)


def _class_weight(value: Any) -> Any:
    if value in (None, "none", "None"):
        return None
    if value == "balanced" or isinstance(value, dict):
        return value
    raise ConfigError(f"class_weight must be 'balanced', 'none' or a mapping, got {value!r}")


@learner("logistic_regression")
def logistic_regression(
    C: float = 1.0,
    max_iter: int = 1000,
    class_weight: Any = "balanced",
    scale: bool = False,
    random_state: int = 0,
) -> Any:
    """Multinomial logistic regression, balanced class weights; scale standardises features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = LogisticRegression(
        C=C, max_iter=max_iter, class_weight=_class_weight(class_weight), random_state=random_state
    )
    return make_pipeline(StandardScaler(), model) if scale else model


@learner("tfidf_logreg")
def tfidf_logreg(
    ngram_max: int = 2,
    min_df: int = 2,
    max_features: int | None = 200_000,
    C: float = 10.0,
    class_weight: Any = "balanced",
    max_iter: int = 1000,
    random_state: int = 0,
) -> Any:
    """Raw texts in: TF-IDF refitted on the labeled texts, then balanced logistic regression.

    The labeling server's default model. ``min_df`` is relaxed to 1 while the
    labeled set is too small to hold words seen twice.
    """
    from activelearn.learners.text import TfidfLogisticRegression

    return TfidfLogisticRegression(
        ngram_max=ngram_max, min_df=min_df, max_features=max_features, C=C,
        class_weight=_class_weight(class_weight), max_iter=max_iter, random_state=random_state,
    )  # fmt: skip


@learner("committee")
def committee(
    base: str = "logistic_regression",
    base_params: dict[str, Any] | None = None,
    n_members: int = 5,
    bootstrap: bool | None = None,
    *,
    random_state: int = 0,
    input_shape: tuple[int, ...] = (),
    classes: list[Any] | None = None,
) -> Any:
    """A committee of n_members copies of a learner on bootstrap resamples (query by bagging).

    Its members' probabilities are the samples vote_entropy, kl_consensus and bald need.
    """
    from activelearn.learners.committee import Committee

    template = make_learner(
        {"name": base, "params": base_params or {}}, random_state,
        input_shape=input_shape, classes=classes,
    )  # fmt: skip
    return Committee(learner=template, n_members=n_members, bootstrap=bootstrap, seed=random_state)


@learner("mlp")
def mlp(
    hidden: list[int] | None = None,
    dropout: float = 0.5,
    max_epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float | None = None,
    patience: int | None = 4,
    class_weight: Any = "balanced",
    *,
    input_shape: tuple[int, ...],
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """A PyTorch MLP on flat features; dropout gives MC samples for bald."""
    from activelearn.learners.models import MLP

    module = functools.partial(
        MLP, int(np.prod(input_shape)), len(classes), hidden=tuple(hidden or (128,)),
        dropout=dropout,
    )  # fmt: skip
    return _torch_learner(module, classes, random_state, max_epochs=max_epochs,
                          batch_size=batch_size, learning_rate=learning_rate, patience=patience,
                          class_weight=_class_weight(class_weight))  # fmt: skip


@learner("cnn")
def cnn(
    channels: list[int] | None = None,
    hidden: int = 128,
    dropout: float = 0.5,
    max_epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float | None = None,
    patience: int | None = 3,
    class_weight: Any = "balanced",
    *,
    input_shape: tuple[int, ...],
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """A small PyTorch CNN on images N x C x H x W (load image datasets with flatten = false)."""
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
    return _torch_learner(module, classes, random_state, max_epochs=max_epochs,
                          batch_size=batch_size, learning_rate=learning_rate, patience=patience,
                          class_weight=_class_weight(class_weight))  # fmt: skip


@learner("bilstm")
def bilstm(
    vocab_size: int = 3000,
    max_epochs: int = 20,
    patience: int | None = 4,
    warm_start: bool = True,
    *,
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """The Keras IMDB tutorial's BiLSTM on token ids (features = tokens): RMSprop, batch 256."""
    from activelearn.learners.models import BiLSTMClassifier, imdb_bilstm_learner

    if len(classes) != 2:
        raise ConfigError(f"learner 'bilstm' is binary; the data has {len(classes)} classes")
    return imdb_bilstm_learner(
        module_factory=functools.partial(BiLSTMClassifier, vocab_size=vocab_size),
        max_epochs=max_epochs, patience=patience, warm_start=warm_start, classes=tuple(classes),
        seed=random_state, device="cpu",
    )  # fmt: skip


@learner("finetune_efficientnet")
def finetune_efficientnet(
    head_epochs: int = 3,
    full_epochs: int = 2,
    image_size: int = 96,
    batch_size: int = 32,
    dropout: float = 0.2,
    class_weight: Any = "balanced",
    weights: str | None = None,
    device: str = "cpu",
    *,
    input_shape: tuple[int, ...],
    classes: list[Any],
    random_state: int = 0,
) -> Any:
    """Pretrained EfficientNet-Lite0 fine-tuned on images: head first, then the whole network."""
    from activelearn.learners.finetune import finetune_efficientnet as build

    return build(
        list(classes), input_shape, random_state, head_epochs, full_epochs, weights=weights,
        image_size=image_size, batch_size=batch_size, dropout=dropout,
        class_weight=_class_weight(class_weight), device=device,
    )  # fmt: skip


def _torch_learner(
    module: Callable[[], Any], classes: list[Any], seed: int, **settings: Any
) -> Any:
    """A TorchLearner on the CPU with early stopping (the loop sets its threads)."""
    from activelearn.learners.torch_trainer import TorchLearner

    return TorchLearner(module, classes=classes, seed=seed, device="cpu", **settings)
