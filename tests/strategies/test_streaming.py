"""Streamed queries pick exactly what in-memory queries pick, ties and random draws included.

A pool scored in chunks (an on-disk pool, or any lazy source with a small
``chunk_size``) must not change which items are labeled: the same strategy,
the same generator, the same picks, in the same order.
"""

from __future__ import annotations

import numpy as np
import pytest
from strategy_outputs import softmax

from activelearn.errors import ModelOutputError
from activelearn.strategies import ModelOutputs, make_strategy
from activelearn.strategies.base import PROBABILITIES, top_k
from activelearn.strategies.candidates import choose_excluding
from activelearn.strategies.streaming import StreamingTopK


class ArraySource:
    """A lazy source over arrays, handing them out ``chunk_size`` rows at a time."""

    def __init__(self, chunk_size: int, **arrays: np.ndarray) -> None:
        self.chunk_size = chunk_size
        self.arrays = arrays
        self.unvalidated = frozenset()
        self.reads: list[int] = []  # rows handed out per read

    def provides(self, need: str) -> bool:
        return need in self.arrays or (need == "labeled_embeddings" and "labeled" in self.arrays)

    def compute(self, need: str, rows: np.ndarray | None) -> dict[str, np.ndarray]:
        if need == "labeled_embeddings":
            return {"labeled_embeddings": self.arrays["labeled"], "labeled_labels": np.empty(0)}
        self.reads.append(len(rows))
        return {need: self.arrays[need][rows]}


def tied_probabilities(n: int, n_classes: int, seed: int) -> np.ndarray:
    """Probabilities on a coarse grid, so many candidates tie at the top-k cut."""
    rng = np.random.default_rng(seed)
    p = softmax(np.round(rng.normal(size=(n, n_classes)) * 2) / 2)
    return p


def test_streaming_top_k_equals_top_k_over_any_split() -> None:
    g = np.random.default_rng(1)
    for trial in range(1500):
        size = int(g.integers(1, 200))
        k = int(g.integers(1, size + 3))
        scores = g.integers(0, int(g.integers(1, 6)), size=size).astype(float)
        if trial % 3 == 0:
            scores = g.random(size)
        expected = top_k(scores, k, np.random.default_rng(trial))
        top = StreamingTopK(k)
        for part in np.split(scores, np.sort(g.integers(0, size + 1, size=int(g.integers(0, 5))))):
            top.add(part)
        chosen, chosen_scores = top.finish(np.random.default_rng(trial))
        np.testing.assert_array_equal(chosen, expected)
        np.testing.assert_array_equal(chosen_scores, scores[expected])


def test_shard_leaders_merge_to_the_same_picks() -> None:
    scores = np.repeat(np.arange(50.0), 40)  # 40-way ties everywhere
    expected = top_k(scores, 30, np.random.default_rng(7))
    merged = StreamingTopK(30)
    for start in range(0, len(scores), 333):  # shards, merged in shard order
        shard = StreamingTopK(30)
        part = scores[start : start + 333]
        shard.add(part, np.arange(start, start + len(part)))
        indices, leader_scores, _ = shard.leaders()
        merged.extend(indices, leader_scores, len(part))
    np.testing.assert_array_equal(merged.finish(np.random.default_rng(7))[0], expected)
    assert len(merged.leaders()[0]) <= 30 + 40  # the leaders and the tie at the cut


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("least_confidence", {}),
        ("margin", {}),
        ("entropy", {}),
        ("mix", {"base": "margin", "fraction": 0.3}),
        ("class_balanced", {"base": "margin"}),
        ("class_balanced", {"base": "entropy"}),
        ("stochastic", {"base": "entropy", "mode": "power"}),
        ("stochastic", {"base": "margin", "mode": "softmax", "beta": 3.0}),
    ],
)
@pytest.mark.parametrize("n_classes", [2, 4])
def test_streamed_picks_equal_in_memory_picks(name, params, n_classes) -> None:
    strategy = make_strategy(name, **params)
    for seed in range(4):
        p = tied_probabilities(997, n_classes, seed)
        in_memory = strategy.query(ModelOutputs(probabilities=p), 40, np.random.default_rng(seed))
        source = ArraySource(chunk_size=101, probabilities=p)
        outputs = ModelOutputs(size=len(p), source=source)
        streamed = strategy.query(outputs, 40, np.random.default_rng(seed))
        np.testing.assert_array_equal(streamed.indices, in_memory.indices)
        np.testing.assert_array_equal(streamed.scores, in_memory.scores)
        assert max(source.reads) <= 101  # never the whole pool at once


def test_power_sampling_with_beta_0_is_uniform_and_streams_like_in_memory() -> None:
    # Six certain rows score 0; 0 ** 0 is 1, so they are as likely as the rest (no NaN weight).
    p = np.array([[1.0, 0.0]] * 6 + [[0.5, 0.5]] * 4)
    strategy = make_strategy("stochastic", base="entropy", mode="power", beta=0.0)
    in_memory = strategy.query(ModelOutputs(probabilities=p), 8, np.random.default_rng(0))
    outputs = ModelOutputs(size=len(p), source=ArraySource(chunk_size=3, probabilities=p))
    streamed = strategy.query(outputs, 8, np.random.default_rng(0))
    assert len(in_memory.indices) == 8
    np.testing.assert_array_equal(streamed.indices, in_memory.indices)


def test_fused_validation_catches_bad_rows_in_any_block() -> None:
    p = tied_probabilities(300_000, 3, 0)
    for corrupt, message in [
        (lambda q: q.__setitem__((299_999, 1), np.nan), "NaN"),
        (lambda q: q.__setitem__((123_456, 0), -0.5), "non-negative"),
        (lambda q: q.__setitem__((7, 2), q[7, 2] + 0.1), "sum to 1"),
    ]:
        bad = p.copy()
        corrupt(bad)
        for name in ("least_confidence", "margin", "entropy", "class_balanced"):
            with pytest.raises(ModelOutputError, match=message):
                make_strategy(name).query(
                    ModelOutputs(probabilities=bad), 5, np.random.default_rng()
                )


def test_a_strategy_that_validates_as_it_scores_reads_each_part_once() -> None:
    p = tied_probabilities(1000, 3, 0)
    p[950] = [0.5, 0.5, 0.5]  # in the last part
    source = ArraySource(chunk_size=100, probabilities=p)
    source.unvalidated = make_strategy("margin").validates  # as the loop's provider does
    outputs = ModelOutputs(size=len(p), source=source)
    with pytest.raises(ModelOutputError, match="sum to 1"):
        make_strategy("margin").query(outputs, 5, np.random.default_rng())


def test_choose_excluding_draws_what_choice_over_the_rest_draws() -> None:
    g = np.random.default_rng(0)
    for seed in range(300):
        total = int(g.integers(2, 30_000))
        taken = np.unique(g.integers(0, total, size=int(g.integers(0, min(total, 500)))))
        size = int(g.integers(1, min(100, total - len(taken)) + 1))
        rest = np.setdiff1d(np.arange(total), taken)
        expected = np.random.default_rng(seed).choice(rest, size, replace=False)
        got = choose_excluding(np.random.default_rng(seed), total, taken, size)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", ["coreset", "badge", "kmeans", "typiclust", "cluster_margin"])
def test_diversity_strategies_preselect_on_large_pools_and_say_so(name) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    p = softmax(rng.normal(size=(n, 3)) * 2)
    arrays = {
        PROBABILITIES: p,
        "embeddings": rng.normal(size=(n, 8)).astype(np.float32),
        "labeled": rng.normal(size=(5, 8)).astype(np.float32),
    }
    source = ArraySource(chunk_size=500, **arrays)
    outputs = ModelOutputs(size=n, source=source, candidate_limit=400)
    query = make_strategy(name).query(outputs, 20, np.random.default_rng(1))
    assert len(set(query.indices.tolist())) == 20
    assert query.indices.max() < n
    how = "uncertainty" if name in ("badge", "cluster_margin") else "random"
    assert any(f"400 of 3,000 candidates pre-selected by {how}" in note for note in query.notes)
    assert max(source.reads) <= 500  # embeddings of the 400 only, probabilities in parts
    if how == "uncertainty":  # the picks come from the 400 lowest margins
        lowest = set(top_k(make_strategy("margin").score(ModelOutputs(probabilities=p)), 400))
        assert set(query.indices.tolist()) <= lowest


def test_nearest_preselection_takes_the_labeled_items_neighbours() -> None:
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(5000, 4)).astype(np.float32)
    labeled = embeddings[[10, 4000]] + 1e-3
    source = ArraySource(chunk_size=700, embeddings=embeddings, labeled=labeled)
    outputs = ModelOutputs(size=5000, source=source, candidate_limit=100, preselect="nearest")
    query = make_strategy("coreset").query(outputs, 10, np.random.default_rng(1))
    assert any("100 nearest neighbours of the labeled set" in note for note in query.notes)
    distances = np.minimum(
        np.linalg.norm(embeddings - labeled[0], axis=1),
        np.linalg.norm(embeddings - labeled[1], axis=1),
    )
    assert distances[query.indices].max() < np.sort(distances)[400]
