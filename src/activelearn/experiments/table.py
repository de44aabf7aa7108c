"""The console table of a summary, the same for ``run`` and ``experiment``.

One row per strategy (per dataset, learner, batch size and budget), then
the full-data model: the final metric, macro-F1, minority-class F1 on
imbalanced data, FP/FN for two classes, AULC and labels to 95%/99% of the
full-data model. ± is the sample standard deviation over seeds (n - 1).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

SHOWN_WARNINGS = 5


def console_table(summary: dict[str, Any]) -> str:
    rows = summary["rows"]
    if not rows:
        return "no finished runs"
    metric = summary["metric"]
    imbalanced = any(r.get("final_minority_f1_mean") is not None for r in rows)
    binary = all(r.get("n_classes") == 2 for r in rows)
    width = max(30, *(len(f"{r['strategy']} ({_seeds(len(r['seeds']))})") + 1 for r in rows))
    columns: list[tuple[str, int]] = [("model", width), ("labels", 7), (metric, 17)]
    if metric != "macro_f1":
        columns.append(("macro-F1", 17))
    if imbalanced:
        columns.append(("minority F1", 17))
    if binary:
        columns += [("FP", 11), ("FN", 11)]
    columns += [("AULC", 8), ("to 95%", 14), ("to 99%", 14)]
    lines = []
    blocks: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        blocks.setdefault(row["curve_id"], []).append(row)
    for block, members in blocks.items():
        if len(blocks) > 1:
            lines.append(block)
        header = " ".join(f"{t:<{w}}" if i == 0 else f"{t:>{w}}" for i, (t, w) in
                          enumerate(columns))  # fmt: skip
        lines += [header, "-" * len(header)]
        for row in members:
            name = f"{row['strategy']} ({_seeds(len(row['seeds']))})"
            cells = [name, _n(row["labels_used_mean"]), _pm(row["final_mean"], row["final_std"])]
            if metric != "macro_f1":
                cells.append(_pm(row["final_macro_f1_mean"], row["final_macro_f1_std"]))
            if imbalanced:
                cells.append(_pm(row["final_minority_f1_mean"], row["final_minority_f1_std"]))
            if binary:
                cells += [_pm(row["final_fp_mean"], row["final_fp_std"], 0),
                          _pm(row["final_fn_mean"], row["final_fn_std"], 0)]  # fmt: skip
            cells += [_f(row["aulc_mean"]), _reach(row, "labels_to_95"),
                      _reach(row, "labels_to_99")]  # fmt: skip
            lines.append(_line(cells, columns))
        full = _full_for(summary, block)
        if full is not None:
            labels = full["n_labeled"]["mean"] if full["n_labeled"] else None
            cells = [f"full data ({_seeds(full['seeds'])})", _n(labels),
                     _pmd(full.get(metric))]  # fmt: skip
            if metric != "macro_f1":
                cells.append(_pmd(full.get("macro_f1")))
            if imbalanced:
                cells.append(_pmd(full.get("minority_f1")))
            if binary:
                cells += [_pmd(full.get("fp"), 0), _pmd(full.get("fn"), 0)]
            lines.append(_line(cells + ["", "", ""], columns))
        positive = _positive(members) if binary else None
        if positive is not None:
            lines.append(f"FP/FN: the positive class is {positive!r} (FP: predicted {positive!r} "
                         "wrongly, FN: missed)")  # fmt: skip
        reach = {r.get("reach_metric") for r in members} - {metric, None}
        if reach:
            lines.append(
                f"labels to 95%/99% are measured on {', '.join(sorted(reach))}: always "
                f"predicting the majority class already reaches 95% of the full model's {metric}"
            )
    if all(r.get("final_mean") is None or r["final_mean"] != r["final_mean"] for r in rows):
        lines.append("no test set, so no test metrics: the labels are in each run's labels.jsonl")
    else:
        lines.append("± = sample standard deviation over seeds (n - 1); test-set metrics")
    reasons = Counter(c["stop_reason"] for c in summary.get("cells", []) if c.get("stop_reason"))
    lines += [f"stopped: {reason} ({n} run{'s' if n > 1 else ''})" for reason, n in
              reasons.most_common()]  # fmt: skip
    warnings = summary.get("warnings", [])
    lines += [f"warning: {w}" for w in warnings[:SHOWN_WARNINGS]]
    if len(warnings) > SHOWN_WARNINGS:
        lines.append(f"({len(warnings) - SHOWN_WARNINGS} more warnings in the report)")
    return "\n".join(lines)


def _positive(rows: list[dict[str, Any]]) -> str | None:
    """The class FP and FN are counted for: the second of the two (per-class F1 keeps the
    classes' order)."""
    per_class = next((r["final_class_f1_mean"] for r in rows if r.get("final_class_f1_mean")), None)
    return list(per_class)[1] if per_class and len(per_class) == 2 else None


def _seeds(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def _full_for(summary: dict[str, Any], block: str) -> dict[str, Any] | None:
    name = " | ".join(block.split(" | ")[:2])
    return summary.get("full_models", {}).get(name)


def _line(cells: list[str], columns: list[tuple[str, int]]) -> str:
    return " ".join(
        f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
        for i, (c, (_, w)) in enumerate(zip(cells, columns, strict=True))
    )


def _pm(mean: float | None, std: float | None, digits: int = 4) -> str:
    if mean is None:
        return ""
    return f"{mean:.{digits}f}" + ("" if std is None else f" ± {std:.{digits}f}")


def _pmd(stats: dict[str, Any] | None, digits: int = 4) -> str:
    return "" if stats is None else _pm(stats["mean"], stats["std"], digits)


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _reach(row: dict[str, Any], key: str) -> str:
    reached, total = row[f"{key}_reached"], len(row["seeds"])
    if row.get("full_mean") is None:
        return ""
    if not reached:
        return f"never (0/{total})"
    return f"{row[f'{key}_mean']:.0f} ({reached}/{total})"
