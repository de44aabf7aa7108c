"""Kill the runner mid-grid (the whole process group, like a crash), restart, lose nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from activelearn.experiments.config import load_config
from activelearn.experiments.executors import LocalExecutor
from activelearn.experiments.runner import load_results, run_grid

SRC = Path(__file__).resolve().parents[2] / "src"
SCRIPT = """
import sys
from activelearn.experiments.config import load_config
from activelearn.experiments.executors import LocalExecutor
from activelearn.experiments.runner import run_grid
run_grid(load_config(sys.argv[1]), sys.argv[2], LocalExecutor(1), progress=False)
"""


def test_a_killed_grid_resumes_without_losing_or_repeating_a_cell(make_config, tmp_path):
    path = make_config(tmp_path, seeds="[0, 1, 2]", budget=100)
    output = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(path), str(output)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        start_new_session=True,
    )
    audit_file = output / "runs.jsonl"

    def finished() -> int:
        return audit_file.read_text().count('"finished"') if audit_file.exists() else 0

    deadline = time.time() + 60
    while time.time() < deadline and finished() < 3:
        assert process.poll() is None, "the grid finished before it could be interrupted"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    lines_before = (output / "runs.jsonl").read_text().splitlines()
    audit = [json.loads(line) for line in lines_before]
    done_before = {e["key"] for e in audit if e["event"] == "finished"}
    planned = {c.key for c in load_config(path).cells()}
    assert 3 <= len(done_before) < len(planned)

    outcome = run_grid(load_config(path), output, LocalExecutor(2), progress=False)
    assert outcome.cached == len(done_before)
    assert outcome.ran == len(planned) - len(done_before) and outcome.failed == 0

    audit = [json.loads(line) for line in (output / "runs.jsonl").read_text().splitlines()]
    second = audit[len(lines_before) :]
    resubmitted = {e["key"] for e in second if e["event"] == "submitted"}
    assert resubmitted.isdisjoint(done_before)
    finished = Counter(e["key"] for e in audit if e["event"] == "finished")
    assert set(finished) == planned and set(finished.values()) == {1}
    _, results = load_results(output)
    assert {r["key"] for r in results if r["status"] == "ok"} == planned
