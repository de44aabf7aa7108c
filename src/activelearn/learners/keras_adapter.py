"""A Keras 3 model, written as the Keras tutorials write it, as an active-learning learner.

The model ends in a sigmoid (one unit, binary) or a softmax (one unit per
class), like ``keras.Sequential([..., layers.Dense(1, activation="sigmoid")])``.
Each ``fit`` recompiles with a fresh optimizer (the tutorial's way to reset
optimizer state between rounds), stops early on validation loss and restores
the best epoch's weights. ``predict_proba`` always returns one column per
class, so binary sigmoid models give both columns.

Keras picks its backend when first imported: set ``KERAS_BACKEND=torch``
(or ``jax``/``tensorflow``) before anything imports ``keras``. Keras only
offers global seeding (``keras.utils.set_random_seed``), so ``fit`` reseeds
Python's, NumPy's and the backend's global generators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from activelearn.data.pool import n_rows
from activelearn.errors import ConfigError, DataError
from activelearn.learners._labels import encode_labels, resolve_classes

ModelFactory = Callable[[], keras.Model]
OptimizerFactory = Callable[[], keras.optimizers.Optimizer]


class KerasLearner(BaseEstimator, ClassifierMixin):
    """Train and query a Keras model built by ``model_factory``.

    Parameters mirror :class:`~activelearn.learners.torch_trainer.TorchLearner`:
    ``optimizer`` is a Keras optimizer name (``"rmsprop"``, ``"adam"``, ...)
    or a zero-argument callable returning a new optimizer; ``patience`` is
    Keras' ``EarlyStopping(patience=...)`` on validation loss (used when
    ``fit`` gets ``validation``); ``restore_best`` loads the best epoch's
    weights at the end of each fit; ``warm_start`` keeps the model between
    fits (the tutorial does), otherwise every fit calls ``model_factory``.
    """

    def __init__(
        self,
        model_factory: ModelFactory,
        *,
        optimizer: str | OptimizerFactory = "rmsprop",
        batch_size: int = 32,
        max_epochs: int = 10,
        patience: int | None = 4,
        restore_best: bool = True,
        warm_start: bool = False,
        classes: Iterable[Any] | None = None,
        seed: int = 0,
        inference_batch_size: int = 1024,
        verbose: int = 0,
    ) -> None:
        self.model_factory = model_factory
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.restore_best = restore_best
        self.warm_start = warm_start
        self.classes = classes
        self.seed = seed
        self.inference_batch_size = inference_batch_size
        self.verbose = verbose

    def fit(self, X: Any, y: Any, *, validation: tuple[Any, Any] | None = None) -> KerasLearner:
        """Train on ``(X, y)``; early-stop on ``validation=(X_val, y_val)`` when given.

        ``history_`` gets one record per epoch (``epoch``, ``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy``), as the torch learner's.
        """
        X, y = np.asarray(X), np.asarray(y)
        if n_rows(X) != len(y) or len(y) == 0:
            raise DataError(f"got {n_rows(X)} inputs and {len(y)} labels: pass one label per input")
        if self.classes is None and self.warm_start and hasattr(self, "classes_"):
            classes = self.classes_
        else:
            classes = resolve_classes(y, self.classes)
        targets = encode_labels(y, classes)
        validation_data = None
        if validation is not None:
            validation_data = (
                np.asarray(validation[0]),
                encode_labels(np.asarray(validation[1]), classes),
            )

        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        keras.utils.set_random_seed(
            int(np.random.SeedSequence([self.seed, self.n_fits_]).generate_state(1)[0])
        )
        if not (self.warm_start and hasattr(self, "model_")):
            self.model_ = self.model_factory()
        self.classes_ = classes
        self.n_outputs_ = self._n_outputs(X)
        self.model_.compile(
            optimizer=self._new_optimizer(), loss=self._loss(), metrics=["accuracy"]
        )
        callbacks = []
        if validation_data is not None and self.patience is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=self.patience,
                    restore_best_weights=self.restore_best,
                )
            )
        history = self.model_.fit(
            X,
            targets,
            batch_size=self.batch_size,
            epochs=self.max_epochs,
            validation_data=validation_data,
            callbacks=callbacks,
            shuffle=True,
            verbose=self.verbose,
        ).history
        n_epochs = len(history["loss"])
        self.history_ = [
            {"epoch": i + 1, **{key: float(values[i]) for key, values in history.items()}}
            for i in range(n_epochs)
        ]
        return self

    def _n_outputs(self, X: np.ndarray) -> int:
        """Width of the model's output (calling the model once builds it if needed)."""
        outputs = int(keras.ops.shape(self.model_(X[:1], training=False))[-1])
        n_classes = len(self.classes_)
        if outputs == n_classes or (outputs == 1 and n_classes == 2):
            return outputs
        raise ConfigError(
            f"the model has {outputs} outputs for {n_classes} classes: end it with "
            f"Dense(1, activation='sigmoid') for two classes or Dense({n_classes}, "
            "activation='softmax')"
        )

    def _loss(self) -> str:
        return "binary_crossentropy" if self.n_outputs_ == 1 else "sparse_categorical_crossentropy"

    def _new_optimizer(self) -> keras.optimizers.Optimizer:
        if callable(self.optimizer):
            return self.optimizer()
        try:
            return keras.optimizers.get(self.optimizer)
        except ValueError as exc:
            raise ConfigError(
                f"unknown Keras optimizer {self.optimizer!r}: use a name such as 'rmsprop' "
                "or 'adam', or a callable returning a new optimizer"
            ) from exc

    def predict_proba(self, X: Any) -> np.ndarray:
        """N x C probabilities in ``classes_`` order; both columns for a sigmoid model."""
        if not hasattr(self, "model_"):
            raise ConfigError("this learner is not fitted yet: call fit(X, y) first")
        p = np.asarray(
            self.model_.predict(np.asarray(X), batch_size=self.inference_batch_size, verbose=0),
            dtype=np.float64,
        )
        if self.n_outputs_ == 1:
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return p

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
