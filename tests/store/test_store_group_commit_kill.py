"""Fault injection: the process is SIGKILLed while answers wait for their group COMMIT.

A child process runs 8 annotator threads on one store (next item, answer,
print ``ack`` once ``submit`` has returned) with a slow disk (each COMMIT
sleeps). It SIGKILLs itself at the moment a COMMIT covering several answers
is about to be sent to SQLite (so those answers have queued and are
waiting), or the test kills it at a random moment. Then the database is
opened again: every acknowledged answer must be there, with its label and
submission id, and nothing of the killed batch may have been acknowledged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from activelearn.store import Store

ANNOTATORS = 8
CHILD = r"""
import os, signal, sys, threading, time
from sqlalchemy import event
from activelearn.store import Store

folder, kill_at, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
store = Store.open(folder)
out = threading.Lock()
state = {"labels": 0, "commits": 0}

def emit(line):
    with out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

def statement(_conn, _cursor, sql, *_args):
    if sql.startswith("INSERT INTO labels"):
        state["labels"] += 1

def commit(_conn):  # fired just before COMMIT is sent to SQLite
    n, state["labels"] = state["labels"], 0
    if n:
        state["commits"] += 1
        emit(f"commit {n}")
        if kill_at and state["commits"] >= kill_at and n >= 2:
            os.kill(os.getpid(), signal.SIGKILL)  # these n answers are queued, not committed
    time.sleep(0.01)  # a slow disk

event.listen(store.engine, "before_cursor_execute", statement)
event.listen(store.engine, "commit", commit)

def annotate(token):
    who = store.authenticate(token)
    n = 0
    while True:
        item, _ = store.next_item(who)
        if item is None:
            return
        sid = f"{who.name}-{os.getpid()}-{n}"
        n += 1
        value = "pos" if int(item.id) % 3 else "neg"
        store.submit(who, item.id, sid, value=value)
        emit(f"ack {item.id} {value} {sid}")

threads = [threading.Thread(target=annotate, args=(t,)) for t in tokens]
for t in threads:
    t.start()
emit("started")
for t in threads:
    t.join()
"""


def _run_child(folder, tokens, kill_at: int, kill_after: float | None):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(kill_at), ",".join(tokens)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines = []
    while not lines or lines[-1] != "started":  # the threads run: now the clock starts
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, output[-2000:]
    lines += output.splitlines()
    acks = [line.split()[1:] for line in lines if line.startswith("ack ")]
    batches = [int(line.split()[1]) for line in lines if line.startswith("commit ")]
    return acks, batches


@pytest.mark.parametrize("mode", ["inside-commit", "random-moment"])
def test_sigkill_before_a_group_commit_loses_no_acknowledged_answer(tmp_path, mode):
    store = Store.open(tmp_path / "project")
    info = store.create_project(
        "kill", ["neg", "pos"], texts=[f"text {i}" for i in range(2000)],
        settings={"heldout_fraction": 0.0},
    )  # fmt: skip
    tokens = [store.add_annotator(info.id, f"a{i}") for i in range(ANNOTATORS)]
    store.close()
    rng = np.random.default_rng(0)
    acknowledged: dict[str, tuple[str, str]] = {}
    largest = 0
    for round_ in range(3):
        if mode == "inside-commit":
            acks, batches = _run_child(tmp_path / "project", tokens, 3 + 4 * round_, None)
            assert batches and batches[-1] >= 2  # killed with several answers queued
        else:
            acks, batches = _run_child(
                tmp_path / "project", tokens, 0, float(rng.uniform(0.3, 1.5))
            )
        largest = max([largest, *batches])
        for item, value, sid in acks:
            assert item not in acknowledged, "an item was acknowledged twice"
            acknowledged[item] = (value, sid)
        store = Store.open(tmp_path / "project")
        stored = {r.id: (r.label, r.submission_id) for r in store.labels(info.id)}
        store.close()
        missing = {k: v for k, v in acknowledged.items() if stored.get(k) != v}
        assert not missing, f"round {round_}: acknowledged but not stored: {missing}"
    assert acknowledged
    assert largest >= 2, "no COMMIT covered more than one answer: nothing was batched"
