"""Simulated annotators: threads that label through the HTTP API from a dataset's ground truth.

They let the human loop be watched end to end (the model status and learning
curve move as they label) and serve as the load generator of the reliability
tests and the latency benchmark. Each keeps a record of every answer the
server acknowledged, so a test can compare the store against it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from activelearn.errors import ConfigError
from activelearn.server.client import Client, ServerError, new_submission_id


@dataclass
class SimulationReport:
    """What the annotators did: acknowledged answers, refusals, and per-call latencies (s)."""

    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    resent: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"next": [], "submit": []})
    seconds: float = 0.0

    def merge(self, other: SimulationReport) -> None:
        self.acknowledged += other.acknowledged
        self.refused += other.refused
        self.resent += other.resent
        for key, values in other.latencies.items():
            self.latencies.setdefault(key, []).extend(values)

    def percentile(self, call: str, q: float) -> float:
        """The ``q``-th percentile of one call's latency, in milliseconds."""
        values = self.latencies.get(call) or [float("nan")]
        return float(np.percentile(values, q)) * 1000

    def summary(self) -> str:
        calls = ", ".join(
            f"{call} p50 {self.percentile(call, 50):.0f} ms p99 {self.percentile(call, 99):.0f} ms"
            for call in ("next", "submit")
        )
        return (
            f"{len(self.acknowledged)} labels in {self.seconds:.1f} s, "
            f"{len(self.refused)} refused, {self.resent} resent; {calls}"
        )


def simulate(
    url: str,
    tokens: Sequence[str],
    truth: Mapping[str, Any],
    *,
    duration: float | None = None,
    max_labels: int | None = None,
    error_rate: float = 0.0,
    resend_rate: float = 0.0,
    think_seconds: float | tuple[float, float] = 0.0,
    seed: int = 0,
) -> SimulationReport:
    """One annotator thread per token, until time or labels run out or the queue empties.

    ``error_rate`` flips answers to another class (people make mistakes);
    ``resend_rate`` sends an acknowledged answer again with the same
    submission id, as a browser would after a lost response: the server must
    record it once. ``think_seconds`` is the pause after each answer, or a
    ``(low, high)`` range each pause is drawn from uniformly (people take
    1-5 s per item, not a fixed time: a fixed pause makes annotators march
    in step). Truth that names a label the project does not have is refused
    before anyone starts: the server would refuse each such answer, forever.
    """
    _check_classes(url, tokens, truth)
    run = _Run(
        url, dict(truth), None if duration is None else time.monotonic() + duration,
        max_labels, error_rate, resend_rate, think_seconds, seed,
    )  # fmt: skip
    threads = [
        threading.Thread(target=run.annotate, args=(i, token), name=f"annotator-{i}", daemon=True)
        for i, token in enumerate(tokens)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.report.seconds = time.perf_counter() - start
    return run.report


def _check_classes(url: str, tokens: Sequence[str], truth: Mapping[str, Any]) -> None:
    if not tokens:
        return
    with Client(url, tokens[0]) as client:
        project = client.project()
    classes = set(map(str, project["classes"]))
    unknown = Counter(str(label) for label in truth.values() if str(label) not in classes)
    if unknown:
        found = ", ".join(f"{label} ({n} items)" for label, n in unknown.most_common(5))
        raise ConfigError(
            f"the truth holds labels that are not classes of project {project['name']!r}: "
            f"{found}; its classes are {', '.join(map(str, project['classes']))}"
        )


@dataclass
class _Run:
    url: str
    truth: dict[str, Any]
    deadline: float | None
    max_labels: int | None
    error_rate: float
    resend_rate: float
    think_seconds: float | tuple[float, float]
    seed: int
    report: SimulationReport = field(default_factory=SimulationReport)
    started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def annotate(self, index: int, token: str) -> None:
        """One annotator's thread: label until done, then add what it saw to the report."""
        rng = np.random.default_rng([self.seed, index])
        mine = SimulationReport()
        try:
            with Client(self.url, token) as client:
                self._label_until_done(client, index, mine, rng)
        except (ServerError, httpx.HTTPError) as exc:
            mine.refused.append(f"annotator {index} stopped: {exc}")
        finally:
            with self.lock:
                self.report.merge(mine)

    def _go_on(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.max_labels is not None and self.started >= self.max_labels:
                return False
            self.started += 1
            return True

    def _label_until_done(
        self, client: Client, index: int, mine: SimulationReport, rng: np.random.Generator
    ) -> None:
        classes = client.project()["classes"]
        while self._go_on():
            start = time.perf_counter()
            item = client.next_item()
            mine.latencies["next"].append(time.perf_counter() - start)
            if item is None:
                return
            answer = self._answer(item["id"], classes, rng)
            submission = new_submission_id()
            start = time.perf_counter()
            try:
                client.label(item["id"], answer, submission_id=submission)
            except ServerError as exc:
                mine.refused.append(f"{item['id']}: {exc}")
                continue
            mine.latencies["submit"].append(time.perf_counter() - start)
            mine.acknowledged.append({"id": item["id"], "label": answer, "annotator": index})
            if rng.random() < self.resend_rate:
                client.label(item["id"], answer, submission_id=submission)
                mine.resent += 1
            if isinstance(self.think_seconds, tuple):
                time.sleep(rng.uniform(*self.think_seconds))
            elif self.think_seconds:
                time.sleep(self.think_seconds)

    def _answer(self, item_id: str, classes: list[str], rng: np.random.Generator) -> str:
        answer = str(self.truth[item_id])
        if self.error_rate and rng.random() < self.error_rate:
            others = [c for c in classes if c != answer]
            answer = others[int(rng.integers(len(others)))]
        return answer
