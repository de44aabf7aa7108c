"""From cell results to the numbers a report states.

Per cell: the learning curve, its normalised area (AULC), labels needed to
reach 95% and 99% of the same seed's full-data metric, final scores, timings.
Across seeds: mean and standard deviation, and a paired Wilcoxon
signed-rank test of each strategy's per-seed AULC against random sampling
on the same seeds. Protocol guards come out as warnings: a test set whose
95% confidence interval is wider than the differences being reported, and
failed cells.

AULC is the trapezoidal area under metric-vs-labels divided by the label
range, so it reads as "average metric over the budget". All runs of a
block (same dataset, learner, batch size and budget) are measured over the
same range; a run that stopped early keeps its last model for the rest.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from scipy import stats

THRESHOLDS = (0.95, 0.99)


def aulc(n_labeled: list[float], values: list[float], end: float | None = None) -> float:
    """Normalised area under a learning curve from its first point to ``end``.

    Past its last point the curve stays at its last value (the model a run
    that stopped early keeps).
    """
    x = np.asarray(n_labeled, dtype=float)
    y = np.asarray(values, dtype=float)
    if end is not None and end > x[-1]:
        x, y = np.append(x, end), np.append(y, y[-1])
    if x[-1] == x[0]:
        return float(y[0])
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def labels_to_reach(n_labeled: list[int], values: list[float], threshold: float) -> int | None:
    """The first label count whose metric is at least ``threshold``; ``None`` if never."""
    for n, v in zip(n_labeled, values, strict=True):
        if v >= threshold:
            return int(n)
    return None


def wilson_half_width(p: float, n: int, z: float = 1.96) -> float:
    """Half-width of the Wilson score interval for a proportion ``p`` measured on ``n`` items."""
    if n <= 0:
        return math.inf
    denominator = 1 + z * z / n
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator


def paired_wilcoxon(a: list[float], b: list[float]) -> dict[str, Any]:
    """Wilcoxon signed-rank test of paired samples; ``p_value`` is None when it cannot be run."""
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(diffs) < 2:
        return {"p_value": None, "n": len(diffs), "note": "needs at least 2 paired seeds"}
    if np.allclose(diffs, 0):
        return {"p_value": 1.0, "n": len(diffs), "note": "identical per-seed results"}
    result = stats.wilcoxon(a, b)
    note = "" if len(diffs) >= 6 else "fewer than 6 seeds: p can never fall below 0.05"
    return {"p_value": float(result.pvalue), "n": len(diffs), "note": note}


def _block(spec: dict[str, Any]) -> tuple[Any, ...]:
    """Cells comparable with each other: same data, features, learner, splits, batch, budget."""
    return (
        _freeze(spec["dataset"]), _freeze(spec.get("features")), _freeze(spec["learner"]),
        spec["batch_size"], spec["budget"], spec["validation_size"], spec["test_size"],
        spec["split_seed"], _freeze(spec.get("semi_supervised")),
    )  # fmt: skip


def _freeze(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def summarize(manifest: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the report shows, as plain data (also saved as ``summary.json``)."""
    metric = manifest["metric"]
    ok = [r for r in results if r.get("status") == "ok"]
    failures = [
        {"key": r["key"], "labels": r.get("labels", {}), "error": r.get("error", "")}
        for r in results
        if r.get("status") not in ("ok", "pending")
    ]
    pending = sum(r.get("status") == "pending" for r in results)
    full = {_full_key(r["spec"]): r for r in ok if r["kind"] == "full"}
    al = [r for r in ok if r["kind"] == "al"]
    ends: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in al:
        ends[_block(r["spec"])] = max(ends[_block(r["spec"])], r["history"][-1]["n_labeled"])

    cells = [
        _cell_numbers(r, full.get(_full_key(r["spec"])), metric, ends[_block(r["spec"])])
        for r in al
    ]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        groups[c["group"]].append(c)

    rows, curves, histograms = [], {}, {}
    for group_id, members in groups.items():
        members.sort(key=lambda c: c["seed"])
        random_id = (*group_id[:-1], "random")
        row = _row(members, groups.get(random_id, []))
        rows.append(row)
        curves[row["id"]] = _mean_curve(members, metric)
        histograms[row["id"]] = _histograms(members)
    # Blocks and strategies in the config's order, random first in each block.
    order: dict[str, int] = {}
    for cell in manifest["cells"]:
        for label in cell["labels"].values():
            order.setdefault(label, len(order))
    rows.sort(key=lambda r: (order.get(r["dataset"], 0), order.get(r["learner"], 0),
                             r["batch_size"], str(r["budget"]), r["strategy"] != "random",
                             order.get(r["strategy"], 0)))  # fmt: skip
    return {
        "name": manifest["name"],
        "metric": metric,
        "rows": rows,
        "full_models": _full_models(full.values(), al),
        "curves": curves,
        "histograms": histograms,
        "cells": [{k: v for k, v in c.items() if k != "group"} for c in cells],
        # What changes the reading first: the console shows only the first few.
        "warnings": _protocol_warnings(manifest)
        + _baseline_warnings(ok)
        + _semi_supervision_notes(ok)
        + _warnings(rows, failures)
        + _cell_warnings(ok),
        "failures": failures,
        "counts": {
            "planned": len(manifest["cells"]),
            "finished": len(ok),
            "failed": len(failures),
            "pending": pending,
            "missing": len(manifest["cells"]) - len(results),
        },
    }


def beats_constant(full: dict[str, Any], metric: str, margin: float = 0.01) -> bool:
    """Whether the full-data model is better than always predicting the majority class."""
    constant = (full.get("constant") or {}).get(metric)
    return constant is None or full["test"].get(metric, 0.0) > constant + margin


def _baseline_warnings(results: list[dict[str, Any]]) -> list[str]:
    """Full-data models that do no better than a constant predictor: weak baselines."""
    out = []
    for r in results:
        constant = r.get("constant") or {}
        if r.get("kind") == "full" and constant and not beats_constant(r, "macro_f1"):
            names = r.get("labels", {})
            out.append(
                f"the full-data model ({names.get('dataset')} | {names.get('learner')}, seed "
                f"{r['spec']['seed']}) is no better than always predicting the majority class "
                f"(macro-F1 {r['test']['macro_f1']:.3f} vs {constant['macro_f1']:.3f}): "
                "a weak baseline; weight classes (--class-weight balanced) or change the learner"
            )
    return out


def _full_models(fulls: Any, al: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per dataset | learner: the full-data models' test metrics, mean and SD over seeds."""
    labels = {_full_key(r["spec"]): r["labels"] for r in al}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in fulls:
        names = labels.get(_full_key(r["spec"]), r.get("labels", {}))
        groups[f"{names.get('dataset')} | {names.get('learner')}"].append(r)
    out = {}
    for name, members in groups.items():
        row: dict[str, Any] = {"seeds": len(members)}
        for key in ("accuracy", "macro_f1", "f1", "minority_f1", "fp", "fn"):
            values = [m["test"][key] for m in members if m["test"].get(key) is not None]
            row[key] = _mean_sd(values)
        row["n_labeled"] = _mean_sd([m["n_labeled"] for m in members if "n_labeled" in m])
        per_class = [m["test"]["class_f1"] for m in members if m["test"].get("class_f1")]
        row["class_f1"] = (
            {k: float(np.mean([f[k] for f in per_class])) for k in per_class[0]}
            if per_class
            else None
        )
        out[name] = row
    return out


def _mean_sd(values: list[float]) -> dict[str, float | None] | None:
    if not values:
        return None
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
    }


def _full_key(spec: dict[str, Any]) -> str:
    keys = ("dataset", "features", "learner", "seed", "validation_size", "test_size", "split_seed")
    return _freeze({k: spec.get(k) for k in keys})


def reach_metric(metric: str, full: dict[str, Any] | None) -> str:
    """The metric "labels to 95%/99% of full" is measured on: the run's metric, unless always
    predicting the majority class already scores 95% of the full-data model on it (accuracy
    on skewed data), where it says nothing and macro-F1 is used instead."""
    if full is None or not full.get("constant") or metric == "macro_f1":
        return metric
    constant, value = full["constant"].get(metric), full["test"].get(metric)
    if constant is not None and value is not None and constant >= min(THRESHOLDS) * value:
        return "macro_f1"
    return metric


def _cell_numbers(
    result: dict[str, Any], full: dict[str, Any] | None, metric: str, end: int
) -> dict[str, Any]:
    spec, labels = result["spec"], result["labels"]
    # Rounds before the first model (a one-class seed) have no metrics yet.
    history = [r for r in result["history"] if r.get(metric) is not None]
    if not history:
        history = result["history"][-1:]
    x = [r["n_labeled"] for r in history]
    y = [r.get(metric, float("nan")) for r in history]
    full_value = None if full is None else full["test"].get(metric)
    on = reach_metric(metric, full)
    y_reach = [r.get(on, float("nan")) for r in history]
    full_reach = None if full is None else full["test"].get(on)
    if full_reach is not None and not beats_constant(full, on):
        full_reach = None  # "95% of a model no better than a constant" says nothing
    reach: dict[str, Any] = {"reach_metric": on}
    for fraction in THRESHOLDS:
        name = f"labels_to_{round(fraction * 100)}"
        n = None if full_reach is None else labels_to_reach(x, y_reach, fraction * full_reach)
        reach[name] = n
        seconds = None
        if n is not None:
            upto = [r for r in history if r["n_labeled"] <= n]
            seconds = sum(r["round_seconds"] for r in upto)
        reach[f"seconds_to_{round(fraction * 100)}"] = seconds
    queries = [r["query_seconds"] for r in history[1:] if r.get("query_seconds") is not None]
    before = [r["batch_accuracy_before"] for r in history if "batch_accuracy_before" in r]
    after = [r["batch_accuracy_after"] for r in history if "batch_accuracy_after" in r]
    return {
        "key": result["key"],
        "group": (*_block(spec), labels["dataset"], labels["learner"], labels["strategy"]),
        "dataset": labels["dataset"],
        "learner": labels["learner"],
        "strategy": labels["strategy"],
        "semi_supervised": labels.get("semi_supervised"),
        "batch_size": spec["batch_size"],
        "budget": spec["budget"],
        "seed": spec["seed"],
        "n_labeled": x,
        "values": y,
        "aulc": aulc(x, y, end),
        "final": y[-1],
        "final_macro_f1": history[-1].get("macro_f1"),
        "final_class_f1": history[-1].get("class_f1"),
        "final_fp": history[-1].get("fp"),
        "final_fn": history[-1].get("fn"),
        "final_minority_f1": history[-1].get("minority_f1"),
        "labels_used": x[-1],
        "spend": x[-1] * spec["cost_per_label"],
        "n_pool": result["split"]["n_pool"],
        "n_classes": len(result["split"].get("pool_classes") or {}),
        "n_test": result["split"]["n_test"],
        "full": full_value,
        "query_seconds": float(np.mean(queries)) if queries else None,
        "round_seconds": float(np.mean([r["round_seconds"] for r in history])),
        "batch_accuracy_before": float(np.mean(before)) if before else None,
        "batch_accuracy_after": float(np.mean(after)) if after else None,
        "histograms": [r["class_histogram"] for r in history],
        "stop_reason": result["stop_reason"],
        "reached_target": result.get("target_value") is not None
        and "reached" in (result["stop_reason"] or ""),
        "target_value": result.get("target_value"),
        **reach,
    }


def _row(members: list[dict[str, Any]], randoms: list[dict[str, Any]]) -> dict[str, Any]:
    first = members[0]
    semi = f" | {first['semi_supervised']}" if first.get("semi_supervised") else ""
    block = (
        f"{first['dataset']} | {first['learner']} | b={first['batch_size']} | "
        f"budget={first['budget']}{semi}"
    )
    row: dict[str, Any] = {
        "id": f"{block} | {first['strategy']}",
        "curve_id": block,
        "semi_supervised": first.get("semi_supervised"),
        **{
            k: first[k]
            for k in ("dataset", "learner", "strategy", "batch_size", "budget", "reach_metric")
        },  # fmt: skip
        "seeds": [c["seed"] for c in members],
        "n_test": first["n_test"],
        "n_pool": first["n_pool"],
        "n_classes": first["n_classes"],
    }
    for name in ("aulc", "final", "final_macro_f1", "final_fp", "final_fn", "final_minority_f1",
                 "full", "labels_used",
                 "spend", "query_seconds", "round_seconds", "batch_accuracy_before",
                 "batch_accuracy_after", "labels_to_95", "labels_to_99", "seconds_to_95",
                 "seconds_to_99"):  # fmt: skip
        values = [c[name] for c in members if c[name] is not None]
        row[f"{name}_mean"] = float(np.mean(values)) if values else None
        row[f"{name}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
    per_class = [c["final_class_f1"] for c in members if c.get("final_class_f1")]
    row["final_class_f1_mean"] = (
        {k: float(np.mean([f[k] for f in per_class])) for k in per_class[0]} if per_class else None
    )
    targeted = [c for c in members if c["target_value"] is not None]
    row["target_reached"] = sum(c["reached_target"] for c in targeted) if targeted else None
    for fraction in THRESHOLDS:
        name = f"labels_to_{round(fraction * 100)}"
        row[f"{name}_reached"] = sum(c[name] is not None for c in members)
    by_seed = {c["seed"]: c for c in randoms}
    paired = [(c["aulc"], by_seed[c["seed"]]["aulc"]) for c in members if c["seed"] in by_seed]
    if first["strategy"] != "random" and paired:
        a, b = zip(*paired, strict=True)
        row["vs_random"] = {
            "aulc_diff_mean": float(np.mean(np.subtract(a, b))),
            "final_diff_mean": float(
                np.mean(
                    [
                        c["final"] - by_seed[c["seed"]]["final"]
                        for c in members
                        if c["seed"] in by_seed
                    ]
                )  # fmt: skip
            ),
            **paired_wilcoxon(list(a), list(b)),
        }
    else:
        row["vs_random"] = None
    return row


def _mean_curve(members: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Mean and a 95% t-interval across seeds at each label count any seed reached."""
    by_x: dict[int, list[float]] = defaultdict(list)
    for c in members:
        for n, v in zip(c["n_labeled"], c["values"], strict=True):
            if v == v:  # not NaN
                by_x[n].append(v)
    xs = sorted(by_x)
    mean, low, high, count = [], [], [], []
    for x in xs:
        v = np.asarray(by_x[x])
        m = float(v.mean())
        half = (
            float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
            if len(v) > 1
            else 0.0
        )
        mean.append(m)
        low.append(m - half)
        high.append(m + half)
        count.append(len(v))
    return {"metric": metric, "n_labeled": xs, "mean": mean, "low": low, "high": high, "n": count}


def _histograms(members: list[dict[str, Any]]) -> list[dict[str, int]]:
    """Class counts of each round's batch, summed over seeds (round 0 is the seed set)."""
    rounds: list[dict[str, int]] = []
    for c in members:
        for i, histogram in enumerate(c["histograms"]):
            if i == len(rounds):
                rounds.append({})
            for label, count in histogram.items():
                rounds[i][label] = rounds[i].get(label, 0) + count
    return rounds


def _protocol_warnings(manifest: dict[str, Any]) -> list[str]:
    out = []
    if (manifest.get("target") or {}).get("split") == "test":
        out.append(
            f"runs stopped as soon as the TEST {manifest['metric']} reached the target "
            "(reproducing an article's protocol): a decision taken on the test set makes its "
            "scores optimistic"
        )
    if (manifest.get("loop") or {}).get("initial_method") == "balanced":
        out.append(
            "the seed was drawn from the hidden labels (initial_method = balanced): a "
            "simulation only; a real user's curves start from a random seed"
        )
    return out


def _semi_supervision_notes(results: list[dict[str, Any]]) -> list[str]:
    """How often pseudo-labels were trained on, per dataset | learner | method: a block where
    they never were is the plain model's, and should not read as a result about them."""
    rounds: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        labels = r.get("labels", {})
        if r.get("kind") != "al" or not labels.get("semi_supervised"):
            continue
        name = " | ".join(labels.get(k, "") for k in ("dataset", "learner", "semi_supervised"))
        for record in r.get("history", []):
            kept = record.get("pseudo_accepted", record.get("n_pseudo", 0) > 0)
            rounds[name]["kept" if kept else "dropped" if record.get("n_pseudo") else "none"] += 1
    return [
        f"{name}: trained on pseudo-labels in {n['kept']} of {n.total()} rounds (none "
        f"confident enough for the precision asked on validation: {n['none']}; refit not "
        f"better on validation, so not kept: {n['dropped']})"
        for name, n in rounds.items()
    ]


def _cell_warnings(results: list[dict[str, Any]]) -> list[str]:
    """Warnings raised inside cells (e.g. a solver that did not converge), by message."""
    cells_per_message: dict[str, int] = defaultdict(int)
    for r in results:
        for w in r.get("warnings", []):
            cells_per_message[w["message"].splitlines()[0][:200]] += 1
    return [
        f"{n} cell(s) raised: {message}"
        for message, n in sorted(cells_per_message.items(), key=lambda item: -item[1])
    ]


MISSED_F1 = 0.1  # a class the models all but never get right, whatever the accuracy says


def _warnings(rows: list[dict[str, Any]], failures: list[dict[str, Any]]) -> list[str]:
    warnings = []
    if failures:
        warnings.append(f"{len(failures)} cell(s) failed; their errors are listed below")
    for row in rows:  # first: what a skewed set hides behind its accuracy (a trial missed it)
        per_class = row.get("final_class_f1_mean") or {}
        missed = {c: f for c, f in per_class.items() if f < MISSED_F1}
        if missed and row["final_mean"] is not None and row["final_mean"] == row["final_mean"]:
            listed = ", ".join(f"{c!r} (F1 {f:.2f})" for c, f in missed.items())
            warnings.append(
                f"{row['id']}: the final models get almost no test item of class {listed} "
                "right; on skewed classes --metric macro_f1 measures this"
            )
    for row in rows:
        comparison = row["vs_random"]
        if comparison is None or row["final_mean"] is None:
            continue
        half = wilson_half_width(min(max(row["final_mean"], 0.0), 1.0), row["n_test"])
        for what, diff in (("final", comparison["final_diff_mean"]),
                           ("AULC", comparison["aulc_diff_mean"])):  # fmt: skip
            if half > abs(diff):
                warnings.append(
                    f"{row['id']}: the test set has {row['n_test']} items, so its 95% interval is "
                    f"±{half:.4f}, wider than the {what} difference to random ({diff:+.4f}); "
                    "the difference is within test-set noise"
                )
    return warnings
