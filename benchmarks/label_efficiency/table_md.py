"""One block of TABLE.md from an experiment's report (``report/summary.json``).

    python benchmarks/label_efficiency/table_md.py RUN_DIR

prints the block's Markdown table (semi-supervision, strategy, accuracy at the
budget, AULC, ΔAULC and Wilcoxon p against random with the same
semi-supervision, labels to 95% / 99% of the full-data model) and the
report's notes on how many rounds trained on pseudo-labels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _reach(row: dict, key: str) -> str:
    reached, seeds = row[f"{key}_reached"], len(row["seeds"])
    if not reached:
        return "never"
    std = row[f"{key}_std"]
    spread = f" ± {std:,.0f}" if std is not None else ""
    return f"{row[f'{key}_mean']:,.0f}{spread} ({reached}/{seeds})"


def block(run_dir: Path) -> str:
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    (full,) = summary["full_models"].values()
    full_acc = full["accuracy"]["mean"]
    lines = [
        f"| semi-supervision | strategy | accuracy at the budget | AULC | ΔAULC vs random "
        f"| Wilcoxon p | labels to 95% of full ({0.95 * full_acc:.3f}) "
        f"| labels to 99% ({0.99 * full_acc:.3f}) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    semis = list(dict.fromkeys(row["semi_supervised"] for row in summary["rows"]))
    for row in sorted(summary["rows"], key=lambda r: semis.index(r["semi_supervised"])):
        vs = row["vs_random"]
        diff = "" if vs is None else f"{vs['aulc_diff_mean']:+.4f}"
        p = "" if vs is None or vs["p_value"] is None else f"{vs['p_value']:.3f}"
        lines.append(
            f"| {row['semi_supervised'] or 'none'} | {row['strategy']} "
            f"| {row['final_mean']:.4f} ± {row['final_std']:.4f} | {row['aulc_mean']:.4f} "
            f"| {diff} | {p} | {_reach(row, 'labels_to_95')} | {_reach(row, 'labels_to_99')} |"
        )
    n_full = full["n_labeled"]["mean"]
    lines.append(
        f"| full data, {n_full:,.0f} labels | | {full_acc:.4f} ± {full['accuracy']['std']:.4f} "
        "| | | | | |"
    )
    notes = [w for w in summary["warnings"] if "trained on pseudo-labels in" in w]
    return "\n".join(lines + [""] + [f"- {note}" for note in notes])


if __name__ == "__main__":
    print(block(Path(sys.argv[1])))
