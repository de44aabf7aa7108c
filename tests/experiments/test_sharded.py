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


class _InProcessShards:
    """``RayPoolScorer``'s shard plan run in this process: the merge logic without Ray."""

    def __init__(self, n_shards: int) -> None:
        self.n_shards, self.last_rss = n_shards, []

    def shards(self, context):
        from activelearn.experiments.sharded import Shards

        return Shards(self, context)

    def run(self, context, plan):
        from activelearn.experiments.sharded import score_shard

        positions = context["positions"]
        bounds = np.linspace(0, len(positions), self.n_shards + 1).astype(int)
        shared = {key: value for key, value in context.items() if key != "positions"}
        return [
            score_shard(shared, positions[a:b], int(a), plan)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]


@pytest.mark.parametrize(
    "make_rng",
    [
        # a generator holding a buffered 32-bit half-draw (``integers`` leaves one behind)
        lambda: (lambda rng: (rng.integers(10), rng)[1])(np.random.default_rng(3)),
        lambda: np.random.Generator(np.random.Philox(3)),  # cannot skip draws: one process
    ],
    ids=["PCG64 with a buffered draw", "Philox"],
)
def test_sharded_stochastic_noise_continues_the_one_process_stream(make_rng) -> None:
    from activelearn.strategies import ModelOutputs, make_strategy

    rng = np.random.default_rng(0)
    y = rng.integers(3, size=3000)
    X = rng.normal(size=(3, 4))[y] + rng.normal(size=(3000, 4))
    model = LogisticRegression(max_iter=300).fit(X[:200], y[:200])
    classes = np.arange(3)

    class Source:
        chunk_size, unvalidated = 500, frozenset()

        def __init__(self, scorer) -> None:
            self.scorer = scorer

        def provides(self, need):
            return need == "probabilities"

        def compute(self, need, rows):
            return {"probabilities": model.predict_proba(X[rows])}

        def shards(self, rows):
            if self.scorer is None:
                return None
            context = {"X": X, "learner": model, "classes": classes, "positions": rows,
                       "chunk_size": 500, "unvalidated": frozenset()}  # fmt: skip
            return self.scorer.shards(context)

    def query(scorer):
        strategy = make_strategy(
            "mix", base="stochastic", base_params={"base": "entropy", "mode": "power"}, fraction=0.5
        )
        outputs = ModelOutputs(size=len(X), source=Source(scorer), classes=classes)
        return strategy.query(outputs, 20, make_rng()).indices.tolist()

    assert query(_InProcessShards(3)) == query(None)
