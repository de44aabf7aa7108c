"""An image project end to end: 2,000 Fashion-MNIST images as PNG files, labeled through the app.

The images are written as PNG files (``<n>.png``, no class folders), made a
project with the default image recipe (EfficientNet-Lite0 features +
balanced logistic regression, least-confidence sampling), and served by the
real server. One simulated annotator labels ``--batch`` items, waits for the
version those labels trigger, and goes on, so every batch is drawn from the
queue the newest model ranked. Measured:

* time to first model (the first version's training, which embeds every
  image once) and time per retrain (embeddings from the project's cache);
* labels to reach 95% of the full-data model: each version is re-fitted
  offline on exactly its training rows (from the store) with the same
  recipe and scored on the **whole** held-out set, as is the same recipe
  trained on every pool item's true label.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/server/bench_images.py
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from sqlalchemy import select

from activelearn.cli import main as cli
from activelearn.data.fashion_mnist import CLASS_NAMES, DEFAULT_DIR, read_idx
from activelearn.learners.registry import make_learner
from activelearn.server.client import Client
from activelearn.store import Store
from activelearn.store.models import Item

CLASSES = [name.replace("/", "-") for name in CLASS_NAMES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--max-labels", type=int, default=1200)
    args = parser.parse_args()
    pixels = read_idx(DEFAULT_DIR / "train-images-idx3-ubyte.gz")
    labels = read_idx(DEFAULT_DIR / "train-labels-idx1-ubyte.gz")
    chosen = np.random.default_rng(0).choice(len(pixels), args.images, replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        truth = {}
        (root / "png").mkdir()
        for n, i in enumerate(chosen):
            Image.fromarray(pixels[i]).save(root / "png" / f"{n:05d}.png")
            truth[f"{n:05d}.png"] = CLASSES[labels[i]]
        folder = root / "project"
        started = time.monotonic()
        assert cli(["project", "create", str(folder), "--name", "fmnist", "--images",
                    str(root / "png"), "--classes", ",".join(CLASSES), "--retrain-every",
                    str(args.batch), "--min-heldout", "20", "--admin", "boss",
                    "--annotator", "ann", "--tokens-file", str(root / "tokens")]) == 0  # fmt: skip
        tokens = dict(line.split() for line in (root / "tokens").read_text().splitlines())
        with served(folder) as url:
            first = label_in_batches(url, tokens, truth, args)
        print(f"project create + serve + first {args.batch} labels + first model: "
              f"{first - started:.1f} s")  # fmt: skip
        evaluate(Store.open(folder), truth, folder)


def label_in_batches(url: str, tokens: dict, truth: dict, args: argparse.Namespace) -> float:
    """Label a batch, wait for the version it triggers, repeat; returns when v1 was ready."""
    first_ready = None
    with Client(url, tokens["ann"]) as ann, Client(url, tokens["boss"]) as boss:
        version = 0
        for _ in range(args.max_labels // args.batch):
            for _ in range(args.batch):
                item = ann.next_item()
                if item is None:
                    return first_ready or time.monotonic()
                ann.label(item["id"], truth[item["id"]])
            while boss.model()["version"] in (None, version):
                time.sleep(0.2)
            version = boss.model()["version"]
            first_ready = first_ready or time.monotonic()
    return first_ready or time.monotonic()


def evaluate(store: Store, truth: dict, folder: Path) -> None:
    """Each version re-fitted on its own rows, scored on the whole held-out set."""
    info = store.project()
    (ids_file,) = (folder / "cache").glob("features-*.ids.npy")
    vectors = np.load(str(ids_file).replace(".ids.npy", ".npy"), allow_pickle=False)
    row = {int(k): r for r, k in enumerate(np.load(ids_file, allow_pickle=False).tolist())}
    with store.read() as session:
        items = session.execute(select(Item.id, Item.external_id, Item.split)).all()
    external = {pk: ext for pk, ext, _ in items}
    heldout = [(pk, ext) for pk, ext, split in items if split == "heldout"]
    pool = [(pk, ext) for pk, ext, split in items if split == "pool"]
    X_test = vectors[[row[pk] for pk, _ in heldout]]
    y_test = np.array([truth[ext] for _, ext in heldout])

    def score(pairs: list[tuple[int, str]]) -> float:
        model = make_learner("logistic_regression", 0)
        model.fit(vectors[[row[pk] for pk, _ in pairs]], [truth[ext] for _, ext in pairs])
        return float(np.mean(model.predict(X_test) == y_test))

    full = score(pool)
    print(f"full-data model (same recipe, {len(pool)} pool labels): held-out accuracy "
          f"{full:.3f} on {len(heldout)} held-out items; 95% of it: {0.95 * full:.3f}")  # fmt: skip
    print(
        "| version | training labels | held-out labels | seconds | accuracy (app, its "
        "held-out labels) | accuracy (whole held-out set) |"
    )
    print("|---|---|---|---|---|---|")
    reached = None
    for v in store.versions(info.id):
        if v["status"] != "ready":
            continue
        rows = store.training_rows(info.id, store.version_label_ids(info.id, v["version"]))
        pairs = [(r.item_id, external[r.item_id]) for r in rows if r.split == "pool"]
        accuracy = score(pairs)
        if reached is None and accuracy >= 0.95 * full:
            reached = (v["version"], v["n_train"], v["n_train"] + v["n_heldout"])
        print(f"| v{v['version']} | {v['n_train']} | {v['n_heldout']} "
              f"| {v['finished_at'] - v['started_at']:.1f} | {v['metrics']['accuracy']:.3f} "
              f"| {accuracy:.3f} |")  # fmt: skip
    if reached:
        print(f"95% of the full-data model: v{reached[0]}, {reached[1]} training labels "
              f"({reached[2]} with the held-out ones)")  # fmt: skip
    else:
        print("95% of the full-data model: not reached within the labels given")


class served:
    """``activelearn serve`` in a subprocess for the duration of a ``with`` block."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "activelearn", "serve", str(folder), "--port",
             str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def __enter__(self) -> str:
        url = f"http://127.0.0.1:{self.port}"
        while True:
            with suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    return url
            time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    main()
