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
