from __future__ import annotations

import math

import pytest

from activelearn.experiments.analysis import (
    aulc,
    labels_to_reach,
    paired_wilcoxon,
    wilson_half_width,
)


def test_aulc_is_the_mean_height_over_the_label_range():
    assert aulc([0, 10], [0.5, 0.5]) == pytest.approx(0.5)
    # a ramp from 0 to 1 has mean height 1/2
    assert aulc([10, 20, 30], [0.0, 0.5, 1.0]) == pytest.approx(0.5)
    assert aulc([5], [0.7]) == pytest.approx(0.7)


def test_aulc_carries_the_last_value_of_a_run_that_stopped_early():
    # 0.6 -> 0.8 over [0, 10], then flat 0.8 until 30: (7 + 16) / 30
    assert aulc([0, 10], [0.6, 0.8], end=30) == pytest.approx(23 / 30)


def test_labels_to_reach():
    assert labels_to_reach([10, 20, 30], [0.5, 0.9, 0.95], 0.9) == 20
    assert labels_to_reach([10, 20], [0.5, 0.6], 0.9) is None


def test_wilson_half_width_matches_the_textbook_value():
    # p = 0.5, n = 100: z * sqrt(0.25/100 + z^2/40000) / (1 + z^2/100)
    z = 1.96
    expected = z * math.sqrt(0.0025 + z * z / 40000) / (1 + z * z / 100)
    assert wilson_half_width(0.5, 100) == pytest.approx(expected)
    assert wilson_half_width(0.9, 10_000) < wilson_half_width(0.9, 100)
    assert wilson_half_width(0.5, 0) == math.inf


def test_paired_wilcoxon():
    a = [0.80, 0.82, 0.85, 0.81, 0.83, 0.84, 0.86, 0.80]
    b = [0.70, 0.71, 0.72, 0.73, 0.70, 0.71, 0.74, 0.72]
    result = paired_wilcoxon(a, b)
    assert result["p_value"] < 0.01 and result["n"] == 8
    assert paired_wilcoxon(a, a)["p_value"] == 1.0
    assert paired_wilcoxon([0.8], [0.7])["p_value"] is None
    assert "fewer than 6 seeds" in paired_wilcoxon(a[:3], b[:3])["note"]


def _result(strategy, seed, accuracies, n_test=100, kind="al"):
    spec = {
        "dataset": {"name": "d", "params": {}}, "learner": {"name": "l", "params": {}},
        "seed": seed, "batch_size": 10, "budget": 30, "validation_size": 0.1, "test_size": 0.2,
        "split_seed": 0, "cost_per_label": 1.0,
    }  # fmt: skip
    if kind == "full":
        return {"key": f"full{seed}", "kind": "full", "spec": spec, "status": "ok",
                "labels": {"dataset": "d", "learner": "l"}, "test": {"accuracy": 0.9}}  # fmt: skip
    history = [
        {"n_labeled": 10 * (i + 1), "accuracy": a, "round_seconds": 1.0, "query_seconds": 0.1,
         "class_histogram": {"0": 5, "1": 5}}
        for i, a in enumerate(accuracies)
    ]  # fmt: skip
    return {
        "key": f"{strategy}{seed}", "kind": "al", "spec": spec, "status": "ok",
        "labels": {"dataset": "d", "learner": "l", "strategy": strategy}, "history": history,
        "split": {"n_pool": 500, "n_test": n_test}, "stop_reason": "budget", "target_value": None,
    }  # fmt: skip


def test_summarize_pairs_by_seed_and_guards_the_test_set_size():
    from activelearn.experiments.analysis import summarize

    results = [_result(None, s, None, kind="full") for s in range(3)]
    results += [_result("random", s, [0.5, 0.6, 0.7 + 0.01 * s]) for s in range(3)]
    results += [_result("margin", s, [0.5, 0.8, 0.9 + 0.01 * s]) for s in range(3)]
    results.append({"key": "bad", "kind": "al", "status": "error", "error": "boom",
                    "labels": {"strategy": "margin"}})  # fmt: skip
    cells = [{"key": r["key"], "labels": r["labels"]} for r in results]
    manifest = {"name": "t", "metric": "accuracy", "cells": cells}
    summary = summarize(manifest, results)
    random_row, margin_row = summary["rows"]
    assert (random_row["strategy"], margin_row["strategy"]) == ("random", "margin")
    # per seed: AULC(margin) - AULC(random) = ((0.65 + 0.85) - (0.55 + 0.65)) / 2
    assert margin_row["vs_random"]["aulc_diff_mean"] == pytest.approx(0.15)
    assert margin_row["vs_random"]["n"] == 3
    # full-data accuracy 0.9: margin's last round (0.90-0.92) reaches 95% and 99% of it
    assert margin_row["labels_to_95_mean"] == 30 and margin_row["labels_to_95_reached"] == 3
    assert margin_row["labels_to_99_reached"] == 3
    assert random_row["labels_to_95_reached"] == 0
    assert margin_row["final_mean"] == pytest.approx(0.91)
    assert summary["counts"] == {
        "planned": 10,
        "finished": 9,
        "failed": 1,
        "pending": 0,
        "missing": 0,
    }
    # a 100-item test set has a ±0.06 interval at 0.91: wider than nothing here (diffs 0.2, 0.15)
    assert not [w for w in summary["warnings"] if "within test-set noise" in w]
    assert any("1 cell(s) failed" in w for w in summary["warnings"])

    small = [dict(r, split={"n_pool": 500, "n_test": 8}) if r.get("kind") == "al" and
             r["status"] == "ok" else r for r in results]  # fmt: skip
    noisy = summarize(manifest, small)["warnings"]
    # 8 items: ±0.21 at 0.91, wider than both differences
    assert any("8 items" in w and "within test-set noise" in w for w in noisy)


def test_labels_to_95_of_full_use_macro_f1_where_a_constant_predictor_reaches_95():
    from activelearn.experiments.analysis import reach_metric

    skewed = {
        "test": {"accuracy": 0.96, "macro_f1": 0.90},
        "constant": {"accuracy": 0.93, "macro_f1": 0.48},
    }
    assert reach_metric("accuracy", skewed) == "macro_f1"  # 0.93 >= 0.95 * 0.96
    balanced = {
        "test": {"accuracy": 0.9, "macro_f1": 0.9},
        "constant": {"accuracy": 0.5, "macro_f1": 0.33},
    }
    assert reach_metric("accuracy", balanced) == "accuracy"
    assert reach_metric("accuracy", None) == "accuracy"
