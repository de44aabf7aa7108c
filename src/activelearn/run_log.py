"""A run directory's memory: the fingerprint a resumed run must match, and the label log.

Every query is appended to ``labels.jsonl`` before the oracle is asked, and
every answer before the loop uses it, each line flushed and fsynced; so a
run stopped at any point (a crash, Ctrl-C, labels still with people) can be
replayed exactly. ``run.json`` holds the fingerprint: resuming with other
settings is refused, naming what differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from activelearn.errors import ResumeError


class RunLog:
    """``run.json`` and ``labels.jsonl`` in ``directory``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def open(self, fingerprint: dict[str, Any], resume: bool) -> bool:
        """Start a run here, or reopen one (``True``: there is a log to replay)."""
        run_file = self.directory / "run.json"
        if not run_file.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            run_file.write_text(json.dumps(fingerprint, indent=1))
            return False
        if not resume:
            raise ResumeError(
                f"{self.directory} already holds a run: resume it (--resume / resume=True) "
                "or choose another output directory"
            )
        saved = json.loads(run_file.read_text())
        differing = sorted(k for k in fingerprint if saved.get(k) != fingerprint[k])
        if differing:
            details = "; ".join(
                f"{k}: run has {saved.get(k)!r}, now {fingerprint[k]!r}" for k in differing
            )
            raise ResumeError(
                f"{self.directory} was made by a different run ({details}); "
                "use the same settings or another output directory"
            )
        return True

    def append(self, entry: dict[str, Any]) -> None:
        with (self.directory / "labels.jsonl").open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> Iterator[dict[str, Any]]:
        log = self.directory / "labels.jsonl"
        if not log.exists():
            return
        for line in log.read_text().splitlines():
            if line.strip():
                yield json.loads(line)
