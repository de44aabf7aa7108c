"""Run one function call in a child process that dies with its parent.

The trainer fits each model in a fresh process, so that TF-IDF's tokenising
does not hold the server's GIL. When the server is killed outright
(``kill -9``, the OOM killer) nothing tells that process to stop: a
``ProcessPoolExecutor`` worker, and the resource tracker multiprocessing
starts beside it, lived on as orphans. Here the child is a plain
``python -c`` subprocess (no multiprocessing, so no resource tracker) that

* asks Linux to SIGKILL it the moment its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), and
* watches its parent's pid from a thread: the portable fallback where prctl
  does not exist, and the guard for a parent that died before prctl ran.

The function and its arguments reach the child pickled on its stdin; the
result, or the exception, comes back pickled on a pipe of its own, so
whatever the function prints cannot corrupt it. Both ends of both pipes are
this server's own processes: nothing read from disk is ever unpickled.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from activelearn.errors import ActiveLearnError

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
ORPHANED = 70  # the child's exit status when it finds its parent gone
WATCH_SECONDS = 1.0
_BOOTSTRAP = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from activelearn.server.child import _child_main; "
    "_child_main(int(sys.argv[2]), int(sys.argv[3]))"
)


class ChildDied(ActiveLearnError):
    """The child process ended (killed, crashed, out of memory) without returning a result."""


def run_in_child(fn: Callable[..., T], *args: Any, niceness: int = 0) -> T:
    """``fn(*args)`` computed in a fresh Python process, which dies if this process dies.

    ``fn`` must be importable by name (a module-level function) and ``args``
    and the result picklable. ``niceness`` is added to the child's CPU
    niceness, so that on a busy machine the parent's work goes first. An
    exception ``fn`` raises is raised here; a child that ends without an
    answer raises :class:`ChildDied`. Blocks until the child has ended.

    On Linux the child is killed when the *thread* that called this ends,
    not only the process (that is how ``PR_SET_PDEATHSIG`` works): call it
    from a thread that waits for the result, as this function does.
    """
    payload = pickle.dumps((fn, args, niceness), protocol=pickle.HIGHEST_PROTOCOL)
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, json.dumps(sys.path), str(os.getpid()),
             str(write_fd)],
            stdin=subprocess.PIPE,
            pass_fds=(write_fd,),
        )  # fmt: skip
    finally:
        os.close(write_fd)  # the child holds the only write end: EOF when it ends
    with os.fdopen(read_fd, "rb") as results:
        try:
            assert process.stdin is not None
            with process.stdin:
                process.stdin.write(payload)
        except BrokenPipeError:
            pass  # the child ended before reading its work: reported below
        answer = results.read()
    code = process.wait()
    if not answer:
        raise ChildDied(
            f"the process computing {getattr(fn, '__qualname__', fn)} {_ended(code)} "
            "before returning a result"
        )
    ok, value = pickle.loads(answer)
    if ok:
        return value
    raise value


def _ended(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


# -- in the child --------------------------------------------------------------------------------


def _child_main(parent_pid: int, result_fd: int) -> None:
    """Die with the parent, run the call read from stdin, write its outcome to ``result_fd``."""
    _die_with(parent_pid)
    fn, args, niceness = pickle.load(sys.stdin.buffer)
    if niceness:
        os.nice(niceness)
    try:
        outcome: tuple[bool, Any] = (True, fn(*args))
    except Exception as exc:  # handed to the parent, which raises it
        outcome = (False, exc)
    try:
        answer = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception: say so instead
        answer = pickle.dumps(
            (False, ChildDied(f"the result could not be sent back: {type(exc).__name__}: {exc}"))
        )
    with os.fdopen(result_fd, "wb") as out:
        out.write(answer)


def _die_with(parent_pid: int) -> None:
    """Be killed when ``parent_pid`` dies: prctl on Linux, a watching thread everywhere."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # it died before prctl ran: nobody would send the signal
        os._exit(ORPHANED)
    threading.Thread(target=_watch, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch(parent_pid: int) -> None:
    # An orphan is re-parented (to init or a subreaper), so its parent pid changes.
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(ORPHANED)
