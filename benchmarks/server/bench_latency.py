"""Latency of "next item" and "submit" while the model retrains, against a real uvicorn server.

A project is made from IMDB training reviews (the real archive), some of them
imported with their labels so a retrain has work to do (TF-IDF + logistic
regression on the labels, then scoring the whole unlabeled pool). A driver
requests a new retrain whenever none is running, so retrains run back to back
for the whole measurement, while simulated annotators label over HTTP.

    OPENBLAS_NUM_THREADS=1 python benchmarks/server/bench_latency.py --mode isolated
    ... --mode in-process   # train inside the server process (GIL shared with requests)
    ... --mode idle         # no retraining: the baseline

Prints one Markdown table row per run (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from activelearn.data.imdb import load_imdb
from activelearn.server.client import Client
from activelearn.server.simulate import simulate
from activelearn.store import Store

IMDB = os.environ.get("ACTIVELEARN_IMDB", "/work/shared/data/aclImdb_labeled.tar.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", default=IMDB)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed-labels", type=int, default=2_000)
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between answers")
    parser.add_argument(
        "--think-max", type=float, help="with it, each pause is drawn from [think, think-max] s"
    )
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--mode", choices=["isolated", "in-process", "idle"], default="isolated")
    parser.add_argument(
        "--trace", help="the server appends one JSON line per request here (trace_server.py)"
    )
    parser.add_argument(
        "--answers-without-fsync", action="store_true",
        help="what-if: every write, answers too, commits with synchronous=NORMAL (not an option)",
    )  # fmt: skip
    args = parser.parse_args()

    train, _test = load_imdb(args.imdb, download=False)
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(train), size=min(args.items, len(train)), replace=False)
    texts = [str(train.raw[i]) for i in chosen]
    ids = [str(train.ids[i]) for i in chosen]
    truth = dict(zip(ids, [str(train.labels[i]) for i in chosen], strict=True))
    labels = [truth[k] if n < args.seed_labels else None for n, k in enumerate(ids)]

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench")
        info = store.create_project(
            "bench", ["neg", "pos"], texts=texts, ids=ids, labels=labels,
            settings={"retrain_every": 10**9, "min_heldout": 10},
        )  # fmt: skip
        admin = store.add_annotator(info.id, "admin", admin=True)
        tokens = [store.add_annotator(info.id, f"a{i}") for i in range(args.annotators)]
        store.close()
        with _Server(store.folder, args.mode, args.trace, args.answers_without_fsync) as url:
            if args.mode != "idle":
                _wait_ready(url, admin)
            stop = threading.Event()
            driver = _RetrainDriver(url, admin, stop)
            thread = threading.Thread(target=driver.run, daemon=True)
            if args.mode != "idle":
                thread.start()
            load_before = os.getloadavg()[0]
            think = args.think if args.think_max is None else (args.think, args.think_max)
            report = simulate(url, tokens, truth, duration=args.duration, think_seconds=think)
            load_after = os.getloadavg()[0]
            stop.set()
            if args.mode != "idle":
                thread.join()
    print(
        f"| {args.mode} | {args.annotators} | {args.think}"
        f"{'' if args.think_max is None else f'-{args.think_max}'} | {args.items} "
        f"| {args.seed_labels} "
        f"| {len(report.acknowledged)} | {report.percentile('next', 50):.0f} "
        f"| {report.percentile('next', 99):.0f} | {report.percentile('submit', 50):.0f} "
        f"| {report.percentile('submit', 99):.0f} | {driver.finished} "
        f"| {driver.training_share():.0%} | {load_before:.1f}-{load_after:.1f} |"
    )


class _RetrainDriver:
    """Keeps a retrain running: requests one as soon as the previous one is done."""

    def __init__(self, url: str, admin: str, stop: threading.Event) -> None:
        self.url, self.admin, self.stop = url, admin, stop
        self.finished = 0
        self.samples: list[bool] = []

    def run(self) -> None:
        with Client(self.url, self.admin) as client:
            last = client.model()["version"]
            client.train()
            while not self.stop.is_set():
                status = client.model()
                training = status["state"] == "training"
                self.samples.append(training)
                if status["version"] != last:
                    self.finished += 1
                    last = status["version"]
                if not training:
                    client.train()
                time.sleep(0.2)

    def training_share(self) -> float:
        return float(np.mean(self.samples)) if self.samples else 0.0


class _Server:
    """The real server in a subprocess on 127.0.0.1, stopped at the end."""

    def __init__(
        self, folder: Path, mode: str, trace: str | None = None, no_fsync: bool = False
    ) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        traced = ""
        if trace:
            here = str(Path(__file__).resolve().parent)
            traced = (
                f"import sys; sys.path.insert(0, {here!r}); import trace_server; "
                f"trace_server.install({str(Path(trace).resolve())!r}); "
            )
        if no_fsync:  # the what-if: durable against a killed server, not a power cut
            traced += (
                "from activelearn.store import database; _w = database.StoreBase.write; "
                "database.StoreBase.write = "
                "lambda self, durable=True, **o: _w(self, durable=False, **o); "
            )  # fmt: skip
        code = (
            f"{traced}from activelearn.server.run import serve; "
            f"serve({str(folder)!r}, port={self.port}, isolate={mode != 'in-process'}, "
            "log_level='warning')"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        self.pid = self.process.pid

    def __enter__(self) -> str:
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                httpx.get(f"{url}/api/health", timeout=1)
                return url
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _wait_ready(url: str, admin: str) -> None:
    """The first model, so predictions are part of every "next item" answer."""
    with Client(url, admin) as client:
        client.train()
        while client.model()["state"] != "ready":
            time.sleep(0.5)


if __name__ == "__main__":
    main()
