"""Every registered strategy keeps the contract, whatever the inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategy_outputs import random_outputs

from activelearn.strategies import available_strategies, make_strategy

NAMES = available_strategies()
# Every strategy with its defaults, plus the wrappers' other paths.
CONFIGS = [(name, {}) for name in NAMES] + [
    ("subsample", {"base": "margin", "size": 5}),
    ("subsample", {"base": "coreset", "size": 5, "method": "nearest", "neighbors": 2}),
    ("mix", {"base": "coreset", "fraction": 0.5}),
    ("class_balanced", {"base": "badge"}),
    ("stochastic", {"base": "bald", "mode": "softrank"}),
    ("stochastic", {"base": "information_density", "mode": "softmax", "beta": 3.0}),
    ("ratio", {"uncertainty": "entropy"}),
]


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=[f"{n}{p or ''}" for n, p in CONFIGS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pool=st.integers(min_value=1, max_value=40),
    asked=st.integers(min_value=0, max_value=50),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_contract(name: str, params: dict, pool: int, asked: int, seed: int) -> None:
    strategy = make_strategy(name, **params)
    outputs = random_outputs(strategy.requires, pool, np.random.default_rng(seed))

    query = strategy.query(outputs, asked, np.random.default_rng(seed))
    again = strategy.query(outputs, asked, np.random.default_rng(seed))

    assert len(query.indices) == min(asked, pool)
    assert len(np.unique(query.indices)) == len(query.indices)
    assert ((query.indices >= 0) & (query.indices < pool)).all()
    assert len(query.scores) == len(query.indices)
    np.testing.assert_array_equal(query.indices, again.indices)
    if asked > pool:
        assert any("only" in note for note in query.notes)


def test_every_strategy_is_registered() -> None:
    expected = {
        "random", "least_confidence", "margin", "entropy", "ratio", "mix", "vote_entropy",
        "kl_consensus", "bald", "mean_std", "variation_ratios", "stochastic", "coreset",
        "kmeans", "cluster_margin", "badge", "information_density", "typiclust", "probcover",
        "class_balanced", "subsample",
    }  # fmt: skip
    assert expected <= set(NAMES)


@settings(max_examples=100, deadline=None)
@given(
    weights=st.lists(st.integers(0, 20), min_size=1, max_size=6),
    capacities=st.lists(st.integers(0, 10), min_size=6, max_size=6),
    fraction=st.floats(0, 1),
)
def test_allocate_fills_exactly_within_capacities(weights, capacities, fraction) -> None:
    from activelearn.strategies.allocation import allocate

    capacities = np.array(capacities[: len(weights)])
    n = int(fraction * capacities.sum())
    quotas = allocate(np.array(weights), n, capacities)
    assert quotas.sum() == n
    assert ((quotas >= 0) & (quotas <= capacities)).all()
