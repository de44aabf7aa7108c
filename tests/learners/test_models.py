"""The built-in models: shapes, the Keras BiLSTM's parameter count, CNN augmentation."""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from activelearn.errors import ConfigError  # noqa: E402
from activelearn.learners.models import (  # noqa: E402
    MLP,
    BiLSTMClassifier,
    RandomFlipCrop,
    SmallCNN,
    imdb_bilstm_learner,
)
from activelearn.learners.torch_trainer import TorchLearner  # noqa: E402


def trainable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_bilstm_has_the_keras_models_parameter_count():
    # Keras' model.summary() for the tutorial's model, by hand:
    #   Embedding(3000, 128):                 3000 * 128             = 384,000
    #   Bidirectional(LSTM(32)) on 128 dims:  2 * 4 * 32 * (128+32+1) =  41,216
    #   Dense(20) on 64 dims:                 64 * 20 + 20           =   1,300
    #   Dense(1) on 20 dims:                  20 + 1                 =      21
    #   total                                                         = 426,537
    assert trainable(BiLSTMClassifier()) == 384_000 + 41_216 + 1_300 + 21 == 426_537


def test_bilstm_shapes_and_keras_initialisation():
    model = BiLSTMClassifier().eval()
    tokens = torch.randint(0, 3000, (4, 150))
    assert model(tokens).shape == (4, 1)
    assert model.embed(tokens).shape == (4, 20)
    assert model.embedding.weight.abs().max() <= 0.05
    forget = model.lstm.bias_ih_l0[32:64]
    assert torch.equal(forget, torch.ones(32))
    assert not model.lstm.bias_hh_l0.requires_grad and not model.lstm.bias_hh_l0.any()


def test_bilstm_learner_gives_two_columns_on_token_ids():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 50, (64, 12))
    y = (X[:, 0] < 25).astype(int)
    learner = imdb_bilstm_learner(
        module_factory=functools.partial(BiLSTMClassifier, vocab_size=50),
        batch_size=16,
        max_epochs=2,
        device="cpu",
    )
    learner.fit(X[:48], y[:48], validation=(X[48:], y[48:]))
    assert learner.predict_proba(X).shape == (64, 2)
    assert learner.embed(X).shape == (64, 20)
    assert learner.predict_proba_samples(X[:5], 3).shape == (3, 5, 2)


def test_imdb_recipe_is_the_tutorials():
    params = imdb_bilstm_learner().get_params()
    assert params["module_factory"] is BiLSTMClassifier
    assert (params["optimizer"], params["batch_size"], params["max_epochs"]) == ("rmsprop", 256, 20)
    assert params["patience"] == 4 and params["warm_start"]


@pytest.mark.parametrize("shape", [(6, 28, 28), (6, 3, 32, 32)])
def test_cnn_takes_grayscale_and_colour_images(shape):
    model = SmallCNN(n_classes=10, in_channels=1 if len(shape) == 3 else 3)
    images = torch.rand(shape)
    assert model(images).shape == (6, 10)
    assert model.embed(images).shape == (6, 128)


def test_cnn_scales_8_bit_pixels():
    model = SmallCNN(n_classes=3).eval()
    pixels = torch.randint(0, 256, (2, 12, 12), dtype=torch.uint8)
    torch.testing.assert_close(model(pixels.long()), model(pixels.float() / 255))


def test_cnn_trains_with_augmentation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    X = rng.random((64, 16, 16)).astype(np.float32) * 0.2
    X[y == 1, 4:12, 4:12] += 1.0  # a bright square: shift- and flip-invariant
    learner = TorchLearner(
        functools.partial(SmallCNN, 2, channels=(8,), hidden=16),
        augment=RandomFlipCrop(pad=2),
        learning_rate=0.01,
        batch_size=16,
        max_epochs=8,
        device="cpu",
    ).fit(X, y)
    assert (learner.predict(X) == y).mean() > 0.9


def test_flip_crop_is_seeded_and_keeps_shape():
    images = torch.arange(2 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5)
    augment = RandomFlipCrop(pad=1)
    a = augment(images, torch.Generator().manual_seed(0))
    b = augment(images, torch.Generator().manual_seed(0))
    assert a.shape == images.shape
    torch.testing.assert_close(a, b)
    only_flip = RandomFlipCrop(pad=0)(images, torch.Generator().manual_seed(1))
    for original, out in zip(images, only_flip, strict=True):
        assert torch.equal(out, original) or torch.equal(out, original.flip(-1))


def test_model_arguments_are_checked():
    with pytest.raises(ConfigError):
        MLP(0, 2)
    with pytest.raises(ConfigError):
        SmallCNN(2, channels=())
    with pytest.raises(ConfigError):
        RandomFlipCrop(pad=-1)
