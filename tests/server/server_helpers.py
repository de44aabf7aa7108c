"""Helpers shared by the server tests: tiny datasets, projects, a live server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from activelearn.store import ProjectInfo, Store

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"
WORDS = {
    "pos": ["good", "great", "excellent", "fun", "lovely", "superb", "moving", "clever"],
    "neg": ["bad", "awful", "boring", "dull", "weak", "tedious", "clumsy", "silly"],
}


def make_texts(n: int, seed: int = 0, words: int = 8) -> tuple[list[str], list[str]]:
    """Tiny synthetic reviews whose words give their class away (a model learns them fast)."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(["neg", "pos"], size=n).tolist()
    texts = [
        " ".join(rng.choice(WORDS[label], size=words)) + f" film {i}"
        for i, label in enumerate(labels)
    ]
    return texts, labels


@dataclass
class Project:
    store: Store
    info: ProjectInfo
    truth: dict[str, str]
    tokens: dict[str, str]  # annotator name -> token

    def headers(self, name: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def new_project(
    folder: Path,
    n: int = 60,
    *,
    annotators: int = 2,
    seed: int = 0,
    budget: int | None = None,
    **settings: object,
) -> Project:
    texts, labels = make_texts(n, seed)
    store = Store.open(folder)
    defaults = {"retrain_every": 10_000, "min_heldout": 2, "heldout_fraction": 0.2}
    info = store.create_project(
        "demo", ["neg", "pos"], texts=texts, budget=budget, settings={**defaults, **settings}
    )
    tokens = {"admin": store.add_annotator(info.id, "admin", admin=True)}
    names = ["alice", "bob"] + [f"sim-{i}" for i in range(max(0, annotators - 2))]
    for name in names[:annotators]:
        tokens[name] = store.add_annotator(info.id, name)
    return Project(store, info, {str(i): label for i, label in enumerate(labels)}, tokens)


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(folder: Path, *extra: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real uvicorn server on 127.0.0.1 in its own process group (killed whole at the end)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC), "OPENBLAS_NUM_THREADS": "1"}
    log = folder.with_name(f"{folder.name}-server-{port}.log")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "activelearn", "serve", str(folder), "--port", str(port),
             *extra],
            env=env,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: _healthy(url) or process.poll() is not None, 60, 0.2):
            raise RuntimeError(f"the server did not start within 60 s: {log.read_text()[-2000:]}")
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        yield url, process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process and its process group, also what outlived a leader already dead."""
    if process.poll() is None or session_processes(process.pid):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    process.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def session_processes(session_id: int) -> dict[int, str]:
    """Live processes (pid: command line) of a session, read from /proc (Linux).

    ``live_server`` starts the server as a session leader, so everything it
    starts, and everything those start, is in the session of the server's pid
    even after being orphaned.
    """
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            # After the command: state, ppid, pgrp, session; zombies are dead already.
            if int(fields[3]) == session_id and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = cmdline.decode(errors="replace").strip()
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
