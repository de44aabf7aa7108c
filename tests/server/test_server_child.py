"""Training children die with the server: no orphan survives a ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from server_helpers import (
    SRC,
    cpu_seconds,
    kill_group,
    live_server,
    make_texts,
    session_processes,
    wait_until,
)

from activelearn.server.child import ORPHANED, ChildDied, run_in_child
from activelearn.server.client import Client
from activelearn.store import Store

linux_only = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc (Linux)")


def test_runs_the_call_in_another_process_with_its_niceness():
    # Run here, os.nice(3) would lower this process's priority and return one 3 higher still.
    assert run_in_child(os.nice, 3, niceness=2) == os.nice(0) + 5


def test_the_childs_exception_is_raised_here():
    with pytest.raises(ValueError, match="invalid literal"):
        run_in_child(int, "not a number")


def test_a_child_that_dies_without_an_answer_raises_child_died():
    with pytest.raises(ChildDied, match="exited with status 3 before returning a result"):
        run_in_child(os._exit, 3)


@linux_only
def test_the_child_dies_when_its_parent_is_killed():
    script = textwrap.dedent(
        """
        import time
        from activelearn.server.child import run_in_child
        run_in_child(time.sleep, 120)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(SRC)},
        start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: len(session_processes(parent.pid)) == 2, 60, 0.02)
        child = next(pid for pid in session_processes(parent.pid) if pid != parent.pid)
        # Its second thread watches the parent: start-up is over, the call (a sleep) runs.
        assert wait_until(lambda: _threads(child) == 2, 60, 0.02)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        # Gone, or a zombie its new parent has not reaped yet.
        assert wait_until(lambda: child not in session_processes(parent.pid), 5)
        assert session_processes(parent.pid) == {}
    finally:
        kill_group(parent)


def test_a_child_whose_parent_is_already_gone_exits_at_once():
    """The parent can die between starting the child and the child's prctl: it must notice."""
    code = (
        "import sys; sys.stdin = None; from activelearn.server.child import _child_main; "
        "_child_main(1, 99)"  # not our parent: this process's parent is the test
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=60
    )
    assert done.returncode == ORPHANED


@pytest.mark.slow
@linux_only
def test_kill_9_of_the_server_leaves_no_process_behind(tmp_path):
    """What a person does: ``kill -9`` of the server's pid alone, while a model trains."""
    texts, labels = make_texts(25_000, words=200)  # about 5 s of CPU to fit and score
    store = Store.open(tmp_path / "p")
    info = store.create_project(
        "big", ["neg", "pos"], texts=texts, labels=labels[:300] + [None] * (len(texts) - 300),
        settings={"retrain_every": 10**6, "min_heldout": 2},
    )  # fmt: skip
    admin = store.add_annotator(info.id, "admin", admin=True)
    with live_server(store.folder) as (url, process):
        Client(url, admin).train()

        def busiest_child() -> int:
            children = [pid for pid in session_processes(process.pid) if pid != process.pid]
            return max(children, key=cpu_seconds, default=0)

        # Past its start-up (imports take about 1.5 s of CPU): it is fitting the model.
        assert wait_until(lambda: cpu_seconds(busiest_child()) > 2.2, 60, 0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        assert store.versions(info.id)[-1]["status"] == "training"  # killed mid-training
        gone = wait_until(lambda: not session_processes(process.pid), 10)
        assert gone, f"orphans of the server: {session_processes(process.pid)}"


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0
