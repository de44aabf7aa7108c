"""Pool scoring on a local Ray instance (127.0.0.1): the same picks as one process."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelearn.data.ondisk import NpyRows, ondisk_pool
from activelearn.loop import ActiveLearningLoop

pytest.importorskip("ray")


def picks(pool, strategy: str, params: dict) -> tuple[list[int], list[list[str]]]:
    loop = ActiveLearningLoop(
        pool,
        LogisticRegression(max_iter=300),
        strategy,
        strategy_params=params,
        batch_size=30,
        initial_size=40,
        max_rounds=2,
        seed=5,
        score_batch_size=1000,
        embeddings=NpyRows(pool.X.path),
    )
    loop.run()
    return loop.pool.labeled_indices.tolist(), [record["notes"] for record in loop.history]


@pytest.mark.slow
def test_sharded_queries_pick_what_one_process_picks(tmp_path) -> None:
    from activelearn.experiments.sharded import RayPoolScorer

    rng = np.random.default_rng(0)
    y = rng.integers(3, size=9000)
    # Coarse integer features: many identical rows, so exact ties at the cut are common.
    X = (np.round(rng.normal(size=(3, 5))[y] + rng.normal(size=(9000, 5)))).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    cases = [
        ("margin", {}),
        ("entropy", {}),
        ("class_balanced", {"base": "least_confidence"}),
        ("mix", {"base": "margin", "fraction": 0.5}),
        ("stochastic", {"base": "entropy", "mode": "power"}),
        ("badge", {}),  # its uncertainty pre-selection runs on the shards
    ]
    with RayPoolScorer(workers=2, shards=3) as scorer:
        for strategy, params in cases:

            def pool(scorer=None):
                return ondisk_pool(
                    tmp_path / "x.npy", hidden_labels=y, max_candidates=2000, scorer=scorer
                )

            expected = picks(pool(), strategy, params)
            got = picks(pool(scorer), strategy, params)
            assert got == expected, strategy
            assert len(scorer.last_rss) == 3  # the last query ran as three shards
    assert any("pre-selected by uncertainty" in n for notes in got[1] for n in notes)
