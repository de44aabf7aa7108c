"""Summarise a ``bench_latency.py --trace FILE`` run: where "next" and "submit" spend their time.

    python benchmarks/server/trace_summary.py FILE [--slow 100]

For each call: percentiles of the time inside the server and of each part
(authentication, waiting for the write lock or the writer, the transaction's
work, its commit), then the same parts averaged over the slow requests only
(above ``--slow`` ms inside the server): what the tail is made of.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

CALLS = {"/api/next": "next", "/api/labels": "submit"}
PARTS = ("server_ms", "authenticate_ms", "next_item_ms", "submit_ms", "write_wait_ms",
         "write_work_ms", "commit_ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--slow", type=float, default=100.0)
    args = parser.parse_args()
    with open(args.trace) as lines:
        records = [json.loads(line) for line in lines]
    for path, call in CALLS.items():
        rows = [r for r in records if r["path"] == path]
        if not rows:
            continue
        print(f"## {call}: {len(rows)} requests")
        print("| part (ms) | p50 | p90 | p99 | max | mean over the slow ones |")
        print("|---|---|---|---|---|---|")
        slow = [r for r in rows if r["server_ms"] > args.slow]
        for part in PARTS:
            values = np.array([r.get(part, 0.0) for r in rows])
            if not values.any():
                continue
            tail = np.mean([r.get(part, 0.0) for r in slow]) if slow else float("nan")
            p50, p90, p99 = np.percentile(values, [50, 90, 99])
            print(f"| {part[:-3]} | {p50:.1f} | {p90:.1f} | {p99:.1f} | {values.max():.1f} "
                  f"| {tail:.1f} |")  # fmt: skip
        commits = [r.get("write_commits", 0) for r in rows]
        print(f"\n{len(slow)} above {args.slow:.0f} ms in the server; "
              f"write commits per request: mean {np.mean(commits):.2f}\n")  # fmt: skip
    background = [r for r in records if not r["path"].startswith("/") and r["path"] != "group"]
    if background:
        held = np.array([r["write_work_ms"] + r["commit_ms"] for r in background])
        print(f"trainer writes: {len(background)}, write lock held p50 {np.median(held):.1f} "
              f"max {held.max():.1f} ms, {held.sum():.0f} ms in all")  # fmt: skip
    groups = [r for r in records if r["path"] == "group"]
    if len(groups) >= 2:  # group commit: COMMITs and the writes they covered, over the run
        commits = groups[-1]["commits"] - groups[0]["commits"]
        writes = groups[-1]["writes"] - groups[0]["writes"]
        print(f"group commit: {writes} writes in {commits} COMMITs "
              f"({writes / max(commits, 1):.2f} writes per COMMIT)")  # fmt: skip


if __name__ == "__main__":
    main()
