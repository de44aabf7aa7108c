"""Chaos: annotators label while the server is ``kill -9``ed and restarted, over and over.

50 simulated annotators (each: next item, answer from the ground truth, a
1-5 s pause) label a project of IMDB reviews for 120 s, while the server is
killed with SIGKILL at 5 random moments, one of them while a retrain runs,
and started again on the same port. An annotator whose request fails on the
network retries it with the same submission id until it is answered, so an
answer the server stored before dying is acknowledged by its replay.

Checked at the end, against the database itself:

* acknowledged = stored: every acknowledged answer is stored with its label,
  and nothing is stored that no one was told about;
* 0 duplicates: at most one live label per item, no item acknowledged twice;
* 0 orphans: nothing of a killed server's session (training children)
  outlives it by more than a few seconds;
* the model resumes: after each restart the newest ready version serves again.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/server/bench_chaos.py
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from activelearn.data.imdb import load_imdb
from activelearn.server.client import Client, ServerError, new_submission_id
from activelearn.store import Store
from activelearn.store.models import LABEL, Label

IMDB = os.environ.get("ACTIVELEARN_IMDB", "/work/shared/data/aclImdb_labeled.tar.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--items", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    train, _ = load_imdb(IMDB, download=False)
    chosen = rng.choice(len(train), size=args.items, replace=False)
    ids = [str(train.ids[i]) for i in chosen]
    truth = {k: str(train.labels[i]) for k, i in zip(ids, chosen, strict=True)}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "chaos")
        info = store.create_project(
            "chaos", ["neg", "pos"], texts=[str(train.raw[i]) for i in chosen], ids=ids,
            settings={"retrain_every": 100, "min_heldout": 10},
        )  # fmt: skip
        admin = store.add_annotator(info.id, "admin", admin=True)
        tokens = [store.add_annotator(info.id, f"a{i}") for i in range(args.annotators)]
        server = Server(store.folder)
        server.start()
        deadline = time.monotonic() + args.duration
        workers = [Annotator(server.url, token, truth, deadline, i) for i, token in
                   enumerate(tokens)]  # fmt: skip
        threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        moments = np.sort(rng.uniform(10, args.duration - 10, args.kills))
        during = int(rng.integers(args.kills))  # this kill waits for a retrain to run
        kills = []
        start = time.monotonic() - 0.0
        for k, moment in enumerate(moments):
            time.sleep(max(0.0, start + moment - time.monotonic()))
            kills.append(server.kill_and_restart(store, info.id, admin, k == during))
        for thread in threads:
            thread.join()
        server.stop()
        report(store, info.id, workers, kills, args)


class Server:
    """``activelearn serve`` in its own session, on one port across restarts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        began = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "activelearn", "serve", str(self.folder), "--port",
             str(self.port)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while True:
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return time.monotonic() - began
            time.sleep(0.1)

    def kill_and_restart(self, store: Store, project_id: int, admin: str, in_retrain: bool):
        assert self.process is not None
        with Client(self.url, admin) as client:
            if in_retrain:
                client.train()
                while client.model()["state"] != "training":
                    time.sleep(0.05)
            state = client.model()
        ready = [v["version"] for v in store.versions(project_id) if v["status"] == "ready"]
        pid = self.process.pid
        children = sorted(set(session_processes(pid)) - {pid})
        os.kill(pid, signal.SIGKILL)
        self.process.wait()
        time.sleep(3)  # a training child gets SIGKILL from the kernel at once
        orphans = session_processes(pid)
        restart = self.start()
        resumed = None
        began = time.monotonic()
        with Client(self.url, admin) as client:
            while time.monotonic() - began < 120:
                status = client.model()
                if not ready or status["version"] == ready[-1]:
                    resumed = time.monotonic() - began
                    break
                time.sleep(0.2)
        return {
            "state": state["state"], "children": len(children), "orphans": len(orphans),
            "restart_s": restart, "resumed_s": resumed, "version": ready[-1] if ready else None,
        }  # fmt: skip

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)


class Annotator:
    """Labels until the deadline; a request that fails on the network is sent again, the
    same submission id and all, until the server answers it."""

    def __init__(self, url: str, token: str, truth: dict, deadline: float, index: int) -> None:
        self.url, self.token, self.truth, self.deadline = url, token, truth, deadline
        self.rng = np.random.default_rng([index, 7])
        self.acknowledged: list[tuple[str, str]] = []
        self.refused: list[str] = []
        self.retries = 0

    def run(self) -> None:
        with Client(self.url, self.token, timeout=10, retries=0) as client:
            while time.monotonic() < self.deadline:
                item = self._until_answered(client.next_item)
                if item is None:
                    return
                label = self.truth[item["id"]]
                submission = new_submission_id()
                try:
                    self._until_answered(
                        lambda i=item, s=submission, v=label: client.label(i["id"], v,
                                                                           submission_id=s)
                    )  # fmt: skip
                except ServerError as exc:
                    self.refused.append(f"{item['id']}: {exc}")
                    continue
                self.acknowledged.append((item["id"], label))
                time.sleep(self.rng.uniform(1, 5))

    def _until_answered(self, call):
        while True:
            try:
                return call()
            except httpx.TransportError:
                self.retries += 1
                time.sleep(0.5)


def session_processes(session_id: int) -> dict[int, str]:
    """Live processes of a session (a killed server's children would still be in it)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id and fields[0] != "Z":
                found[int(stat.parent.name)] = fields[0]
    return found


def report(store: Store, project_id: int, workers: list[Annotator], kills: list[dict],
           args: argparse.Namespace) -> None:  # fmt: skip
    acknowledged = [a for w in workers for a in w.acknowledged]
    refused = [r for w in workers for r in w.refused]
    stored = {r.id: r.label for r in store.labels(project_id)}
    acked = dict(acknowledged)
    with store.read() as session:
        per_item = session.execute(
            select(Label.item_id, func.count())
            .where(Label.kind == LABEL, Label.undone_at.is_(None))
            .group_by(Label.item_id)
        ).all()
    versions = store.versions(project_id)
    print(f"annotators {args.annotators}, {args.duration:.0f} s, {len(kills)} kills")
    same = sum(stored.get(k) == v for k, v in acked.items())
    print(f"acknowledged {len(acknowledged)}, stored {len(stored)}, acknowledged and stored "
          f"with the same label {same}, stored but never acknowledged "
          f"{len(set(stored) - set(acked))}, refused {len(refused)}, "
          f"network retries {sum(w.retries for w in workers)}")  # fmt: skip
    print(
        f"items acknowledged twice {len(acknowledged) - len(acked)}, "
        f"items with two live labels {sum(n > 1 for _, n in per_item)}"
    )
    print(
        f"versions: {sum(v['status'] == 'ready' for v in versions)} ready, "
        f"{sum('interrupted' in (v['error'] or '') for v in versions)} interrupted"
    )
    print(
        "| kill | state at kill | training children | orphans after 3 s | restart (s) "
        "| model v back after (s) |"
    )
    print("|---|---|---|---|---|---|")
    for n, k in enumerate(kills, 1):
        resumed = (
            "no model yet"
            if k["version"] is None
            else (
                "not back" if k["resumed_s"] is None else f"v{k['version']}: {k['resumed_s']:.1f}"
            )
        )
        print(
            f"| {n} | {k['state']} | {k['children']} | {k['orphans']} | {k['restart_s']:.1f} "
            f"| {resumed} |"
        )
    for line in refused[:5]:
        print("refused:", line)


if __name__ == "__main__":
    main()
