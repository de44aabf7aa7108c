"""Fine-tuning a pretrained image backbone: the head first, then the whole network.

The recipe of the transfer-learning articles (flowers, cats vs dogs): train a
new linear head on the frozen backbone for a few epochs, then unfreeze the
backbone and train everything with a learning rate ten times lower, so the
random head does not wreck the pretrained features with large early
gradients. Batch-normalisation layers stay in inference mode throughout (their
statistics and affine terms frozen), as Keras' fine-tuning guide advises:
the small batches of an active-learning labeled set give noisy statistics
that would drift the pretrained ones.

:class:`FineTuneLearner` is a :class:`~activelearn.learners.torch_trainer.TorchLearner`
(seeding, class weights, validation and early stopping come from it);
``embed`` gives the pooled backbone features, which diversity strategies use,
and since ``forward = head(dropout(embed))``, ``predict_proba_and_embed``
gets both from one backbone pass.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from activelearn.data.pool import n_rows
from activelearn.errors import ConfigError
from activelearn.features.backbone import (
    LITE_NORMALIZATION,
    ImagePreprocess,
    efficientnet,
    image_layout,
    packaged_weights,
)
from activelearn.learners.torch_trainer import (
    MC_SAMPLES,
    Augment,
    EpochCallback,
    ModuleFactory,
    TorchLearner,
)

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


class FineTuneNet(nn.Module):
    """Preprocessing, a feature backbone (``N x 3 x S x S -> N x D``), dropout and a linear head.

    ``backbone`` needs an ``out_features`` attribute (the width D).
    :meth:`set_backbone_trainable` switches between the two phases; while
    the backbone is frozen it also stays in eval mode (no dropout or
    stochastic depth inside it), and when trainable its batch norms do.
    """

    def __init__(
        self, preprocess: nn.Module, backbone: nn.Module, n_classes: int, dropout: float = 0.2
    ) -> None:
        super().__init__()
        if n_classes < 2:
            raise ConfigError(f"a classifier needs at least 2 classes, got {n_classes}")
        self.preprocess = preprocess
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(int(backbone.out_features), n_classes)
        self.backbone_trainable = True

    def set_backbone_trainable(self, trainable: bool) -> None:
        self.backbone_trainable = trainable
        for module in self.backbone.modules():
            frozen = not trainable or isinstance(module, _BATCH_NORMS)
            for param in module.parameters(recurse=False):
                param.requires_grad_(not frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> FineTuneNet:
        super().train(mode)
        if mode and not self.backbone_trainable:
            self.backbone.eval()
        elif mode:
            for module in self.backbone.modules():
                if isinstance(module, _BATCH_NORMS):
                    module.eval()
        return self

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled backbone features of raw image batches."""
        return self.backbone(self.preprocess(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(x)))


class FineTuneLearner(TorchLearner):
    """Train a :class:`FineTuneNet`: ``head_epochs`` on the head, then ``full_epochs`` on all.

    Each phase gets a fresh Adam optimizer with its own learning rate. With a
    validation set, early stopping (``patience``) runs within each phase and
    the weights of the best epoch over both phases are restored. ``history_``
    holds both phases' epochs, numbered on, each with its ``phase``
    (``on_epoch`` sees each phase's epochs numbered from 1). Other settings
    are :class:`TorchLearner`'s.
    """

    def __init__(
        self,
        module_factory: ModuleFactory,
        *,
        head_epochs: int = 3,
        full_epochs: int = 2,
        head_learning_rate: float = 1e-3,
        full_learning_rate: float = 1e-4,
        batch_size: int = 32,
        patience: int | None = None,
        restore_best: bool = True,
        warm_start: bool = False,
        class_weight: str | dict[Any, float] | None = "balanced",
        classes: Iterable[Any] | None = None,
        seed: int = 0,
        device: str = "auto",
        inference_batch_size: int = 64,
        augment: Augment | None = None,
        on_epoch: EpochCallback | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__(
            module_factory,
            optimizer="adam",
            learning_rate=head_learning_rate,
            batch_size=batch_size,
            max_epochs=head_epochs + full_epochs,
            patience=patience,
            restore_best=restore_best,
            warm_start=warm_start,
            class_weight=class_weight,
            classes=classes,
            seed=seed,
            device=device,
            inference_batch_size=inference_batch_size,
            augment=augment,
            on_epoch=on_epoch,
            progress=progress,
        )
        self.head_epochs = head_epochs
        self.full_epochs = full_epochs
        self.head_learning_rate = head_learning_rate
        self.full_learning_rate = full_learning_rate

    def _check_settings(self) -> None:
        if min(self.head_epochs, self.full_epochs) < 0 or self.head_epochs + self.full_epochs < 1:
            raise ConfigError(
                f"head_epochs={self.head_epochs}, full_epochs={self.full_epochs}: "
                "use epochs >= 0 with at least one epoch in all"
            )
        self.max_epochs = self.head_epochs + self.full_epochs
        super()._check_settings()

    def _train(
        self,
        X: Any,
        targets: np.ndarray,
        val_X: Any,
        val_targets: np.ndarray | None,
        generator: torch.Generator,
    ) -> None:
        """TorchLearner's training loop once per phase, then the best epoch of both restored."""
        if not isinstance(self.module_, FineTuneNet):
            raise ConfigError(
                f"module_factory built a {type(self.module_).__name__}: FineTuneLearner "
                "trains a FineTuneNet (see finetune_efficientnet)"
            )
        history: list[dict[str, Any]] = []
        best: tuple[float, int, dict[str, torch.Tensor]] | None = None
        phases = (
            ("head", self.head_epochs, self.head_learning_rate),
            ("full", self.full_epochs, self.full_learning_rate),
        )
        try:
            for phase, epochs, learning_rate in phases:
                if epochs == 0:
                    continue
                self.module_.set_backbone_trainable(phase == "full")
                self.max_epochs, self.learning_rate = epochs, learning_rate
                super()._train(X, targets, val_X, val_targets, generator)
                offset = len(history)
                history += [
                    {**r, "epoch": r["epoch"] + offset, "phase": phase} for r in self.history_
                ]
                if self.best_state_ is not None and (best is None or self.best_val_loss_ < best[0]):
                    best = (self.best_val_loss_, self.best_epoch_ + offset, self.best_state_)
        finally:
            self.max_epochs = self.head_epochs + self.full_epochs
            self.learning_rate = self.head_learning_rate
        self.history_ = history
        if best is not None:
            self.best_val_loss_, self.best_epoch_, self.best_state_ = best
            if self.restore_best:
                self.module_.load_state_dict(self.best_state_)

    def predict_proba_samples(
        self, X: Any, k: int | None = None, *, seed: int | None = None
    ) -> np.ndarray:
        """k x N x C MC-dropout samples of the head: the backbone runs once per item, not k times.

        ``k`` defaults to ``MC_SAMPLES``. Seeded by ``seed`` (default: the
        learner's seed), so the same call gives the same samples.
        """
        self._check_fitted()
        k = MC_SAMPLES if k is None else k
        if k < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        net = self.module_
        if net.dropout.p == 0:
            raise ConfigError("dropout=0: MC-dropout samples would all be equal")
        out = np.empty((k, n_rows(X), len(self.classes_)), dtype=np.float64)

        def sampled(inputs: torch.Tensor) -> torch.Tensor:
            features = net.embed(inputs)
            net.dropout.train()
            return torch.stack(
                [self._probabilities(net.head(net.dropout(features))) for _ in range(k)]
            )

        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(self.seed if seed is None else seed)
            for batch, probabilities in self._forward_batches(X, sampled):
                out[:, batch] = probabilities.float().cpu().numpy()
        net.eval()
        return out


def efficientnet_finetune_net(
    n_classes: int,
    input_shape: tuple[int, ...],
    *,
    architecture: str = "efficientnet-lite0",
    weights: str | os.PathLike[str] | None = None,
    image_size: int = 96,
    dropout: float = 0.2,
    mean: tuple[float, ...] = LITE_NORMALIZATION[0],
    std: tuple[float, ...] = LITE_NORMALIZATION[1],
) -> FineTuneNet:
    """A fresh :class:`FineTuneNet` on pretrained EfficientNet weights (packaged by default),
    for items of ``input_shape`` (``(1, 28, 28)``, ``(28, 28)``, ``(784,)``, ``(32, 32, 3)``, ...).
    """
    path = Path(weights) if weights is not None else packaged_weights(architecture)
    preprocess = ImagePreprocess(image_layout(tuple(input_shape)), image_size, mean, std)
    backbone = efficientnet(architecture, image_size, path)
    net = FineTuneNet(preprocess, backbone, n_classes, dropout)
    return net.to(memory_format=torch.channels_last)


def finetune_efficientnet(
    classes: list[Any],
    input_shape: tuple[int, ...],
    random_state: int = 0,
    head_epochs: int = 3,
    full_epochs: int = 2,
    *,
    architecture: str = "efficientnet-lite0",
    weights: str | None = None,
    image_size: int = 96,
    batch_size: int = 32,
    head_learning_rate: float = 1e-3,
    full_learning_rate: float = 1e-4,
    dropout: float = 0.2,
    class_weight: str | None = "balanced",
    patience: int | None = None,
    device: str = "auto",
) -> FineTuneLearner:
    """EfficientNet-Lite0 (ImageNet weights, offline) fine-tuned on the labeled images.

    A fresh network from the pretrained weights at every fit; 96 px inputs
    by default (native 224 px is about 10x slower on a CPU). Balanced class
    weights, because early labeled sets are small and skewed.
    """
    module = functools.partial(
        efficientnet_finetune_net,
        len(classes),
        tuple(input_shape),
        architecture=architecture,
        weights=weights,
        image_size=image_size,
        dropout=dropout,
    )
    return FineTuneLearner(
        module,
        head_epochs=head_epochs,
        full_epochs=full_epochs,
        head_learning_rate=head_learning_rate,
        full_learning_rate=full_learning_rate,
        batch_size=batch_size,
        patience=patience,
        class_weight=class_weight,
        classes=list(classes),
        seed=random_state,
        device=device,
    )
