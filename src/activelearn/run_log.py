"""A run directory's memory: the fingerprint a resumed run must match, the label log, and
the learner's checkpoint.

Every query is appended to ``labels.jsonl`` before the oracle is asked, and
every answer before the loop uses it, each line flushed and fsynced; so a
run stopped at any point (a crash, Ctrl-C, labels still with people) can be
replayed exactly. ``run.json`` holds the fingerprint: resuming with other
settings is refused, naming what differs. A learner that checkpoints itself
(``save_checkpoint``/``load_checkpoint``: the PyTorch learner, read back with
``weights_only=True``) is saved after every finished round, so a warm-started
network resumes from its weights instead of being refitted from scratch.
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

    def save_learner(self, learner: Any, round_: int) -> None:
        save = getattr(learner, "save_checkpoint", None)
        if callable(save):
            save(self.directory / "learner.pt")
            (self.directory / "learner.json").write_text(json.dumps({"round": round_}))

    def load_learner(self, learner: Any, round_: int) -> bool:
        """Load the checkpoint saved after ``round_``; ``False`` when there is none."""
        load = getattr(learner, "load_checkpoint", None)
        saved = self.directory / "learner.json"
        if not callable(load) or not saved.exists():
            return False
        if json.loads(saved.read_text()).get("round") != round_:
            return False
        load(self.directory / "learner.pt")
        return True
