"""Built-in PyTorch models: the Keras IMDB tutorial's BiLSTM, an MLP and a small CNN.

Every model returns logits (the learner applies sigmoid/softmax) and has an
``embed(x)`` method giving the penultimate layer, which diversity and
cold-start strategies use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from activelearn.errors import ConfigError
from activelearn.learners.torch_trainer import TorchLearner


class BiLSTMClassifier(nn.Module):
    """The Keras "Review Classification using Active Learning" model, layer for layer.

    Embedding(3000, 128) -> Bidirectional(LSTM(32, return_sequences=True)) ->
    GlobalMaxPool1D -> Dense(20, relu) -> Dropout(0.5) -> Dense(1) (sigmoid in
    the loss). Weights start as Keras starts them (uniform ±0.05 embeddings,
    Glorot-uniform kernels, orthogonal recurrent kernels, forget-gate bias 1),
    because PyTorch's N(0, 1) embeddings train differently.

    Keras' LSTM has one bias per gate where PyTorch has two (input and
    hidden); the hidden-side bias is kept at zero and frozen, so the
    trainable parameters and the function are Keras' (426,537 parameters).
    """

    def __init__(
        self,
        vocab_size: int = 3000,
        embedding_dim: int = 128,
        lstm_units: int = 32,
        dense_units: int = 20,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, lstm_units, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * lstm_units, dense_units)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(dense_units, 1)
        self._keras_init(lstm_units)

    @torch.no_grad()
    def _keras_init(self, units: int) -> None:
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        for name, param in self.lstm.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(param)
            elif name.startswith("weight_hh"):
                nn.init.orthogonal_(param)
            elif name.startswith("bias_ih"):
                param.zero_()
                param[units : 2 * units] = 1.0  # gate order i, f, g, o: forget gate
            else:  # bias_hh: Keras has no second bias
                param.zero_()
                param.requires_grad_(False)
        for layer in (self.dense, self.output):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """The Dense(20, relu) activations for int64 token ids of shape N x T."""
        sequence, _ = self.lstm(self.embedding(tokens))
        pooled = sequence.amax(dim=1)
        return torch.relu(self.dense(pooled))

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits from :meth:`embed`'s output (dropout acts only in training mode)."""
        return self.output(self.dropout(hidden))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens))


class MLP(nn.Module):
    """Feature vectors -> class logits (the learner densifies scipy sparse input per batch)."""

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden: Sequence[int] = (128,),
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if n_features < 1 or n_classes < 2:
            raise ConfigError("MLP needs n_features >= 1 and n_classes >= 2")
        layers: list[nn.Module] = []
        width = n_features
        for units in hidden:
            layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
            width = units
        self.body = nn.Sequential(*layers)
        self.output = nn.Linear(width, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (dropout is inactive in eval mode)."""
        return self.body(x.flatten(1).float())

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.output(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class SmallCNN(nn.Module):
    """A few conv-relu-maxpool blocks and a dense layer, as the cats-vs-dogs, CIFAR and
    flowers tutorials use. Takes images N x H x W (grayscale) or N x C x H x W: floats
    as they are, integer pixels (0-255) scaled to [0, 1] like the tutorials' ``Rescaling``.

    The feature map is max-pooled to 4 x 4 before the dense layer, so any image
    size works with the same weights' shapes.
    """

    def __init__(
        self,
        n_classes: int,
        in_channels: int = 1,
        channels: Sequence[int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if not 1 <= len(channels) <= 4:
            raise ConfigError("SmallCNN takes 1 to 4 conv blocks (`channels`)")
        blocks: list[nn.Module] = []
        width = in_channels
        for out in channels:
            blocks += [nn.Conv2d(width, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            width = out
        self.features = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(4), nn.Flatten())
        self.dense = nn.Linear(width * 16, hidden)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, n_classes)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        if not images.is_floating_point():  # 8-bit pixels, as image files and IDX store them
            images = images.float() / 255.0
        if images.ndim == 3:
            images = images.unsqueeze(1)
        return torch.relu(self.dense(self.features(images)))

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(hidden))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(images))


class RandomFlipCrop:
    """Training-time augmentation for image batches: random horizontal flips and
    random crops after zero padding (the shift augmentation of the CIFAR tutorials).

    Pass an instance as ``TorchLearner(augment=...)``; it draws from the learner's
    seeded generator, so augmented runs stay reproducible.
    """

    def __init__(self, pad: int = 2, flip: bool = True) -> None:
        if pad < 0:
            raise ConfigError(f"pad must be >= 0, got {pad}")
        self.pad = pad
        self.flip = flip

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, height, width = images.shape[0], images.shape[-2], images.shape[-1]
        if self.flip:
            flipped = (torch.rand(n, generator=generator) < 0.5).to(images.device)
            images = torch.where(
                flipped.view(-1, *([1] * (images.ndim - 1))), images.flip(-1), images
            )
        if self.pad:
            padded = nn.functional.pad(images, (self.pad,) * 4)
            offsets = torch.randint(0, 2 * self.pad + 1, (n, 2), generator=generator).tolist()
            images = torch.stack(
                [padded[i, ..., r : r + height, c : c + width] for i, (r, c) in enumerate(offsets)]
            )
        return images

    def __repr__(self) -> str:
        return f"RandomFlipCrop(pad={self.pad}, flip={self.flip})"


def imdb_bilstm_learner(**overrides: Any) -> TorchLearner:
    """A :class:`~activelearn.learners.torch_trainer.TorchLearner` with the Keras tutorial's
    recipe: the BiLSTM, RMSprop, batch 256, up to 20 epochs, early stopping with patience 4
    on validation loss, warm start across rounds. Keyword arguments override any setting
    (``module_factory`` too, for a smaller vocabulary)."""
    settings: dict[str, Any] = {
        "module_factory": BiLSTMClassifier,
        "optimizer": "rmsprop",
        "batch_size": 256,
        "max_epochs": 20,
        "patience": 4,
        "warm_start": True,
        "classes": (0, 1),
    }
    settings.update(overrides)
    return TorchLearner(**settings)
