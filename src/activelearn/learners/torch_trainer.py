"""A PyTorch module as an active-learning learner.

Active learning retrains the same model many times on a growing labeled set,
so the trainer makes the choices that matter there explicit: whether each
``fit`` starts from fresh weights or continues from the current ones, a fresh
optimizer every fit (stale moment estimates from the previous round would
steer the first steps), early stopping on a validation set with the best
epoch restored from an in-memory copy, and seeded randomness so that two runs
with the same seed pick the same items.

The wrapped module returns *logits*: one column for a binary problem (the
learner applies the sigmoid and reports both class columns) or one column per
class (softmax). Inputs may be numpy arrays (integer token ids or floats),
scipy sparse matrices (densified one batch at a time) or tensors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn
from torch.nn import functional as F

from activelearn.data.pool import n_rows
from activelearn.errors import ConfigError, DataError
from activelearn.learners._labels import encode_labels, resolve_classes
from activelearn.learners.torch_inputs import (
    check_inputs,
    make_optimizer,
    plain_value,
    resolve_device,
    rows_of,
    to_tensor,
)

ModuleFactory = Callable[[], nn.Module]
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
EpochCallback = Callable[[dict[str, Any]], None]

MC_SAMPLES = 10  # Monte-Carlo dropout passes when a strategy does not say how many
_DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)


class TorchLearner(BaseEstimator, ClassifierMixin):
    """Train and query a PyTorch classifier built by ``module_factory``.

    Parameters
    ----------
    module_factory:
        Callable returning a fresh ``nn.Module`` (a class such as
        :class:`~activelearn.learners.models.BiLSTMClassifier` or a
        ``functools.partial``). Called at the first fit, and at every fit
        unless ``warm_start``.
    optimizer:
        ``"rmsprop"``, ``"adam"``, ``"sgd"`` or a callable ``params -> Optimizer``.
        A new optimizer is built at every fit.
    learning_rate:
        For named optimizers; ``None`` uses Keras' default (1e-3).
    batch_size, max_epochs:
        Training batch size and epoch limit.
    patience:
        Stop after this many epochs without a lower validation loss (Keras'
        ``EarlyStopping``). Only used when ``fit`` receives ``validation``;
        ``None`` trains for ``max_epochs``.
    restore_best:
        After training with validation data, load the weights of the epoch
        with the lowest validation loss (the tutorial's checkpoint reload).
        Either way ``best_state_`` keeps that epoch's weights.
    warm_start:
        Continue from the current weights at the next fit instead of
        building a new module (the Keras tutorial keeps one model across rounds).
    class_weight:
        ``None``, ``"balanced"`` (``n / (C * n_c)``, as scikit-learn) or a
        mapping class -> weight; scales the training loss, not validation loss.
    classes:
        All classes the problem has. Give them when an early labeled set may
        miss a class; otherwise the classes seen in the first fit are used.
    seed:
        Seeds weight initialisation, shuffling, dropout and augmentation. The
        k-th fit of a learner uses ``(seed, k)``, so retraining reshuffles but
        two learners with the same seed and data agree exactly (on CPU).
    device:
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ...
    inference_batch_size:
        Batch size for ``predict_proba``, ``embed`` and validation.
    augment:
        Optional ``(batch, generator) -> batch`` applied to training batches only.
    on_epoch:
        Called with each epoch's history record (progress bars, logging).
    progress:
        Show a tqdm bar over epochs.
    """

    def __init__(
        self,
        module_factory: ModuleFactory,
        *,
        optimizer: str | OptimizerFactory = "adam",
        learning_rate: float | None = None,
        batch_size: int = 32,
        max_epochs: int = 10,
        patience: int | None = 4,
        restore_best: bool = True,
        warm_start: bool = False,
        class_weight: str | dict[Any, float] | None = None,
        classes: Iterable[Any] | None = None,
        seed: int = 0,
        device: str = "auto",
        inference_batch_size: int = 1024,
        augment: Augment | None = None,
        on_epoch: EpochCallback | None = None,
        progress: bool = False,
    ) -> None:
        self.module_factory = module_factory
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.restore_best = restore_best
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.classes = classes
        self.seed = seed
        self.device = device
        self.inference_batch_size = inference_batch_size
        self.augment = augment
        self.on_epoch = on_epoch
        self.progress = progress

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any, *, validation: tuple[Any, Any] | None = None) -> TorchLearner:
        """Train on ``(X, y)``; early-stop on ``validation=(X_val, y_val)`` when given.

        ``history_`` receives one record per epoch: ``epoch``, ``loss``,
        ``accuracy`` (running means over the epoch's batches, dropout on, as
        Keras reports them), ``val_loss``, ``val_accuracy`` and ``seconds``.
        """
        self._check_settings()
        X = check_inputs(X)
        y = np.asarray(y)
        if n_rows(X) != len(y):
            raise DataError(f"got {n_rows(X)} inputs but {len(y)} labels")
        if len(y) == 0:
            raise DataError("cannot fit on zero labeled items")
        classes = self._resolve_classes(y)
        targets = encode_labels(y, classes)
        val_X, val_targets = None, None
        if validation is not None:
            val_X = check_inputs(validation[0])
            val_targets = encode_labels(np.asarray(validation[1]), classes)
            if n_rows(val_X) != len(val_targets):
                raise DataError("validation inputs and labels differ in length")

        self.device_ = resolve_device(self.device)
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        fit_seed = int(np.random.SeedSequence([self.seed, self.n_fits_]).generate_state(1)[0])
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(fit_seed)
            generator = torch.Generator().manual_seed(fit_seed)
            reuse = (
                self.warm_start
                and hasattr(self, "module_")
                and np.array_equal(classes, self.classes_)
            )
            if not reuse:
                self.module_ = self.module_factory().to(self.device_)
            self.classes_ = classes
            self._train(X, targets, val_X, val_targets, generator)
        return self

    def _check_settings(self) -> None:
        if self.batch_size < 1 or self.max_epochs < 1 or self.inference_batch_size < 1:
            raise ConfigError("batch_size, max_epochs and inference_batch_size must be >= 1")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"patience must be >= 1 or None, got {self.patience}")

    def _resolve_classes(self, y: np.ndarray) -> np.ndarray:
        if self.classes is None and self.warm_start and hasattr(self, "classes_"):
            return self.classes_
        return resolve_classes(y, self.classes)

    def _cuda_devices(self) -> list[int]:
        return [self.device_.index or 0] if self.device_.type == "cuda" else []

    def _class_weights(self, targets: np.ndarray) -> torch.Tensor | None:
        n_classes = len(self.classes_)
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
            weights = len(targets) / (n_classes * np.maximum(counts, 1))
        elif isinstance(self.class_weight, dict):
            weights = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        else:
            raise ConfigError(
                f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}"
            )
        return torch.tensor(weights, dtype=torch.float32, device=self.device_)

    def _loss(
        self, logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean loss over the batch, each sample scaled by its class weight (Keras' convention)."""
        if logits.ndim != 2 or logits.shape[1] not in (1, len(self.classes_)):
            raise ConfigError(
                f"the module returned logits of shape {tuple(logits.shape)} for "
                f"{len(self.classes_)} classes: return N x 1 (binary) or N x {len(self.classes_)}"
            )
        if logits.shape[1] == 1:
            if len(self.classes_) != 2:
                raise ConfigError("a module with one output needs exactly two classes")
            per_item = F.binary_cross_entropy_with_logits(
                logits[:, 0], targets.float(), reduction="none"
            )
        else:
            per_item = F.cross_entropy(logits, targets, reduction="none")
        if weights is not None:
            per_item = per_item * weights[targets]
        return per_item.mean()

    def _build_optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.module_.parameters() if p.requires_grad]
        if callable(self.optimizer):
            return self.optimizer(params)
        return make_optimizer(self.optimizer, params, self.learning_rate)

    def _train(
        self,
        X: Any,
        targets: np.ndarray,
        val_X: Any,
        val_targets: np.ndarray | None,
        generator: torch.Generator,
    ) -> None:
        optimizer = self._build_optimizer()
        weights = self._class_weights(targets)
        n = len(targets)
        early_stopping = val_X is not None and self.patience is not None
        self.history_: list[dict[str, Any]] = []
        self.best_epoch_: int | None = None
        self.best_val_loss_ = float("inf")
        self.best_state_: dict[str, torch.Tensor] | None = None
        waited = 0
        epochs: Iterable[int] = range(1, self.max_epochs + 1)
        if self.progress:
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc="epochs", leave=False)
        for epoch in epochs:
            started = time.perf_counter()
            self.module_.train()
            total_loss, total_correct = 0.0, 0
            order = torch.randperm(n, generator=generator).numpy()
            for start in range(0, n, self.batch_size):
                batch = order[start : start + self.batch_size]
                inputs = to_tensor(rows_of(X, batch)).to(self.device_)
                if self.augment is not None:
                    inputs = self.augment(inputs, generator)
                batch_targets = torch.from_numpy(targets[batch]).to(self.device_)
                optimizer.zero_grad(set_to_none=True)
                logits = self.module_(inputs)
                loss = self._loss(logits, batch_targets, weights)
                loss.backward()
                optimizer.step()
                total_loss += loss.item() * len(batch)
                total_correct += int((self._predicted(logits) == batch_targets).sum())
            record: dict[str, Any] = {
                "epoch": epoch,
                "loss": total_loss / n,
                "accuracy": total_correct / n,
            }
            if val_X is not None:
                val_loss, val_accuracy = self._evaluate(val_X, val_targets)
                record.update(val_loss=val_loss, val_accuracy=val_accuracy)
                if val_loss < self.best_val_loss_:
                    self.best_val_loss_, self.best_epoch_, waited = val_loss, epoch, 0
                    self.best_state_ = self.state_dict()
                else:
                    waited += 1
            record["seconds"] = time.perf_counter() - started
            self.history_.append(record)
            if self.on_epoch is not None:
                self.on_epoch(record)
            if early_stopping and waited >= self.patience:
                break
        if self.restore_best and self.best_state_ is not None:
            self.module_.load_state_dict(self.best_state_)

    @staticmethod
    def _predicted(logits: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:
            return (logits[:, 0] > 0).long()
        return logits.argmax(dim=1)

    def _evaluate(self, X: Any, targets: np.ndarray) -> tuple[float, float]:
        """Mean unweighted loss and accuracy in eval mode (what early stopping watches)."""
        total_loss, total_correct = 0.0, 0
        for batch, logits in self._forward_batches(X):
            batch_targets = torch.from_numpy(targets[batch]).to(self.device_)
            total_loss += self._loss(logits, batch_targets).item() * len(batch)
            total_correct += int((self._predicted(logits) == batch_targets).sum())
        return total_loss / len(targets), total_correct / len(targets)

    # ------------------------------------------------------------ inference

    def state_dict(self) -> dict[str, torch.Tensor]:
        """A detached CPU copy of the weights: a checkpoint later training won't touch."""
        self._check_fitted()
        return {k: v.detach().to("cpu", copy=True) for k, v in self.module_.state_dict().items()}

    def save_checkpoint(self, path: str | Path) -> None:
        """Everything a resumed run needs to continue exactly as this one would: weights,
        classes, the fit count (it seeds the next fit) and the last fit's record. Plain
        tensors and numbers only, so :meth:`load_checkpoint` reads it with
        ``weights_only=True`` (nothing is unpickled)."""
        self._check_fitted()
        checkpoint = {
            "weights": self.state_dict(),
            "classes": np.asarray(self.classes_).tolist(),
            "n_fits": int(self.n_fits_),
            "history": [{k: plain_value(v) for k, v in r.items()} for r in self.history_],
            "best_epoch": self.best_epoch_,
            "best_val_loss": float(self.best_val_loss_),
        }
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(checkpoint, tmp)
        tmp.replace(path)

    def load_checkpoint(self, path: str | Path) -> TorchLearner:
        """Rebuild the module and load a :meth:`save_checkpoint` file (``weights_only``)."""
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        self.device_ = resolve_device(self.device)
        self.module_ = self.module_factory().to(self.device_)
        self.module_.load_state_dict(checkpoint["weights"])
        self.classes_ = np.asarray(checkpoint["classes"])
        self.n_fits_ = checkpoint["n_fits"]
        self.history_ = checkpoint["history"]
        self.best_epoch_ = checkpoint["best_epoch"]
        self.best_val_loss_ = checkpoint["best_val_loss"]
        self.best_state_ = None
        return self

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load weights saved by :meth:`state_dict` (for example a best checkpoint)."""
        self._check_fitted()
        self.module_.load_state_dict(state)

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise ConfigError("this learner is not fitted yet: call fit(X, y) first")

    def _forward_batches(
        self, X: Any, forward: Callable[[torch.Tensor], torch.Tensor] | None = None
    ) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        """Outputs batch by batch, without gradients, in whatever mode the module is in now."""
        self._check_fitted()
        X = check_inputs(X)
        forward = forward or self.module_
        self.module_.eval()
        with torch.inference_mode():
            for start in range(0, n_rows(X), self.inference_batch_size):
                batch = np.arange(start, min(start + self.inference_batch_size, n_rows(X)))
                yield batch, forward(to_tensor(rows_of(X, batch)).to(self.device_))

    @staticmethod
    def _probabilities(logits: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=1)
        return torch.softmax(logits, dim=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """N x C class probabilities, columns in ``classes_`` order (both columns when binary)."""
        out = np.empty((n_rows(X), len(self._fitted_classes())), dtype=np.float64)
        for batch, logits in self._forward_batches(X):
            out[batch] = self._probabilities(logits.float()).cpu().numpy()
        return out

    def predict(self, X: Any) -> np.ndarray:
        return self._fitted_classes()[self.predict_proba(X).argmax(axis=1)]

    def _fitted_classes(self) -> np.ndarray:
        self._check_fitted()
        return self.classes_

    def embed(self, X: Any) -> np.ndarray:
        """N x D penultimate-layer activations (the module's ``embed`` method, or all
        layers but the last of an ``nn.Sequential``)."""
        self._check_fitted()
        if callable(getattr(self.module_, "embed", None)):
            forward = self.module_.embed
        elif isinstance(self.module_, nn.Sequential):
            forward = self.module_[:-1]
        else:
            raise ConfigError(
                f"{type(self.module_).__name__} cannot embed: give it an `embed(x)` method "
                "returning the penultimate layer, or use an nn.Sequential"
            )
        chunks = [out.float().cpu().numpy() for _, out in self._forward_batches(X, forward)]
        return np.concatenate(chunks).reshape(n_rows(X), -1)

    def predict_proba_and_embed(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and embeddings from one forward pass (modules with ``embed`` and
        ``head``, where ``forward(x) == head(embed(x))`` in eval mode); two passes otherwise."""
        self._check_fitted()
        if not (callable(getattr(self.module_, "embed", None)) and callable(
            getattr(self.module_, "head", None))):  # fmt: skip
            return self.predict_proba(X), self.embed(X)
        n = n_rows(X)
        probabilities = np.empty((n, len(self._fitted_classes())), dtype=np.float64)
        embeddings: np.ndarray | None = None
        for batch, hidden in self._forward_batches(X, self.module_.embed):
            logits = self.module_.head(hidden)
            probabilities[batch] = self._probabilities(logits.float()).cpu().numpy()
            flat = hidden.float().reshape(len(batch), -1).cpu().numpy()
            if embeddings is None:
                embeddings = np.empty((n, flat.shape[1]), dtype=np.float32)
            embeddings[batch] = flat
        if embeddings is None:
            embeddings = np.empty((0, 0), dtype=np.float32)
        return probabilities, embeddings

    def predict_proba_samples(
        self, X: Any, k: int | None = None, *, seed: int | None = None
    ) -> np.ndarray:
        """k x N x C Monte-Carlo dropout samples: dropout active, everything else in eval mode.

        ``k`` defaults to ``MC_SAMPLES`` (10) passes. Seeded by ``seed`` (default:
        the learner's seed), so the same call gives the same samples.
        """
        self._check_fitted()
        k = MC_SAMPLES if k is None else k
        if k < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        if not any(isinstance(m, _DROPOUT_TYPES) for m in self.module_.modules()):
            raise ConfigError(
                f"{type(self.module_).__name__} has no dropout layer: MC-dropout samples "
                "would all be equal; use a model with dropout or a committee instead"
            )
        X = check_inputs(X)
        out = np.empty((k, n_rows(X), len(self.classes_)), dtype=np.float64)
        sample_seed = self.seed if seed is None else seed

        def sampled(inputs: torch.Tensor) -> torch.Tensor:
            for module in self.module_.modules():
                if isinstance(module, _DROPOUT_TYPES):
                    module.train()
            return torch.stack([self._probabilities(self.module_(inputs)) for _ in range(k)])

        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(sample_seed)
            for batch, probabilities in self._forward_batches(X, sampled):
                out[:, batch] = probabilities.float().cpu().numpy()
        self.module_.eval()
        return out
