"""Small PyTorch helpers of the learners: devices, Keras-like optimizers, inputs as tensors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from activelearn.errors import ConfigError, DataError


def make_optimizer(
    name: str, params: Iterable[nn.Parameter], learning_rate: float | None = None
) -> torch.optim.Optimizer:
    """An optimizer by name with Keras' defaults, so recipes ported from Keras behave alike.

    Keras' RMSprop uses rho=0.9 and epsilon=1e-7 (PyTorch's defaults are 0.99
    and 1e-8); Keras adds epsilon inside the square root, PyTorch outside,
    which only matters for near-zero gradients.
    """
    lr = 1e-3 if learning_rate is None else learning_rate
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=0.01 if learning_rate is None else learning_rate)
    raise ConfigError(
        f"unknown optimizer {name!r}: use 'rmsprop', 'adam', 'sgd' or pass a callable "
        "that takes the model parameters and returns a torch optimizer"
    )


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` means CUDA when available, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {device!r}: use 'auto', 'cpu' or 'cuda'") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for but CUDA is not available: use 'auto'")
    return resolved


def to_tensor(X: Any) -> torch.Tensor:
    """One batch of inputs as a tensor: integers become int64 (token ids), the rest float32."""
    if isinstance(X, torch.Tensor):
        return X if X.is_floating_point() or X.dtype == torch.int64 else X.long()
    if sp.issparse(X):
        X = X.toarray()
    array = np.asarray(X)
    if array.dtype.kind in "iub":
        return torch.from_numpy(array.astype(np.int64, copy=False))
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float32, copy=False))
    raise DataError(
        f"cannot feed inputs of dtype {array.dtype} to a torch model: vectorize texts "
        "(for example with activelearn.features.text_vectorizer) or pass numeric arrays"
    )


def plain_value(value: Any) -> Any:
    """A number or string that ``torch.load(weights_only=True)`` reads back."""
    return value.item() if isinstance(value, np.generic) else value


def rows_of(X: Any, indices: np.ndarray) -> Any:
    if isinstance(X, torch.Tensor):
        return X[torch.from_numpy(indices)]
    return X[indices]


def check_inputs(X: Any) -> Any:
    if isinstance(X, torch.Tensor) or sp.issparse(X):
        return X.tocsr() if sp.issparse(X) else X
    if isinstance(X, np.ndarray):
        return X
    array = np.asarray(X)
    if array.dtype == object:
        raise DataError("inputs must be a numeric array (N x ...), not ragged lists or texts")
    return array
