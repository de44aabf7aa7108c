"""The store on a real PostgreSQL server started on 127.0.0.1 for this module.

Skipped unless the psycopg driver and PostgreSQL's server binaries (Debian:
``postgresql``) are installed. As root, the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from activelearn.store import Conflict, Store, export_labels

pytest.importorskip("psycopg", reason="needs the psycopg driver: pip install 'psycopg[binary]'")
BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
if BIN is None and shutil.which("initdb") is None:
    pytest.skip(
        "needs PostgreSQL's server binaries (apt-get install postgresql)", allow_module_level=True
    )


def _tool(name: str) -> str:
    return str(Path(BIN) / name) if BIN else shutil.which(name)


@pytest.fixture(scope="module")
def postgres_url():
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="activelearn-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = dict(check=True, capture_output=True)
    subprocess.run([*as_user, _tool("initdb"), "-D", str(data / "db"), "-A", "trust",
                    "-U", "activelearn", "--no-sync"], **run)  # fmt: skip
    options = f"-k {data} -p {port} -c listen_addresses=127.0.0.1 -F"
    subprocess.run([*as_user, _tool("pg_ctl"), "-D", str(data / "db"), "-o", options,
                    "-l", str(data / "log"), "-w", "start"], **run)  # fmt: skip
    try:
        yield f"postgresql+psycopg://activelearn@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, _tool("pg_ctl"), "-D", str(data / "db"), "-m", "immediate",
                        "stop"], capture_output=True)  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def store(tmp_path, postgres_url, request):
    opened = Store.open(tmp_path / "project", postgres_url)
    yield opened
    opened.close()


def test_label_flow_on_postgres(store, request, tmp_path):
    info = store.create_project(
        request.node.name[:60], ["neg", "pos"], texts=[f"t{i}" for i in range(20)],
        settings={"heldout_fraction": 0.0},
    )  # fmt: skip
    alice = store.authenticate(store.add_annotator(info.id, "alice"))
    bob = store.authenticate(store.add_annotator(info.id, "bob"))
    item, _ = store.next_item(alice)
    with pytest.raises(Conflict, match="leased to another annotator"):
        store.submit(bob, item.id, "submission-b", value="neg")
    first = store.submit(alice, item.id, "submission-a", value="pos")
    assert store.submit(alice, item.id, "submission-a", value="pos").time == first.time
    undone, again = store.undo(alice)
    assert undone.id == item.id and again.id == item.id
    store.submit(alice, item.id, "submission-c", value="neg")
    assert [(r.id, r.label) for r in store.labels(info.id)] == [(item.id, "neg")]
    assert export_labels(store, info.id, tmp_path / "labels.csv") == 1


def test_concurrent_annotators_on_postgres(store, request):
    """No write lock in the process here: the database's constraints keep the rules."""
    info = store.create_project(
        request.node.name[:60], ["neg", "pos"], texts=[f"t{i}" for i in range(60)]
    )
    people = [store.authenticate(store.add_annotator(info.id, f"a{i}")) for i in range(8)]
    done: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def work(who):
        try:
            while (item := store.next_item(who)[0]) is not None:
                store.submit(who, item.id, f"submission-{item.id}", value="pos")
                with lock:
                    done.append(item.id)
        except Exception as exc:  # reported below: a thread's error must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = [r.id for r in store.labels(info.id)]
    assert sorted(done) == sorted(stored) and len(set(stored)) == 60


def test_skips_come_back_and_admins_correct_on_postgres(store, request):
    info = store.create_project(
        request.node.name[:60], ["neg", "pos"], texts=["a", "b"],
        settings={"heldout_fraction": 0.0},
    )  # fmt: skip
    alice = store.authenticate(store.add_annotator(info.id, "alice"))
    admin = store.authenticate(store.add_annotator(info.id, "carol", admin=True))
    first, _ = store.next_item(alice)
    store.submit(alice, first.id, "skip-1", kind="skip")
    second, _ = store.next_item(alice)
    store.submit(alice, second.id, "label-2", value="pos")
    assert store.next_item(alice)[0].id == first.id  # the skipped item comes back last
    store.correct(admin, second.id, "fix-1", "neg")
    assert {r.id: r.label for r in store.labels(info.id)} == {second.id: "neg"}
