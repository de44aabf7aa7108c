"""Pool scoring on Ray: each task scores one shard of the pool and returns its leaders.

For a pool of tens of millions of items the model's forward pass is the cost
of a query, and it is embarrassingly parallel. With a scorer on the pool
(``ondisk_pool(..., scorer=RayPoolScorer(...))``) the loop's query runs as:

1. the candidates are cut into ``shards`` consecutive ranges;
2. one Ray task per shard reads its rows from disk (the pool's container:
   every node must see the same path), runs the current model part by part
   and keeps a streaming top-k of the strategy's scores
   (:class:`~activelearn.strategies.streaming.StreamingTopK`); it returns only
   its leaders: the top k and every item tied with its k-th score;
3. the driver merges the leaders in shard order and draws the ties at the
   cut with the query's generator.

Because the leaders keep every tie at the cut, the merged picks are those of
one process scoring the whole pool, ties included. What is sharded:
row-wise scoring strategies (uncertainty; ``requires`` only probabilities),
``class_balanced`` over one (per-class leaders and counts), ``mix`` (its base
is sharded, its random share drawn on the driver), ``stochastic`` in
``power``/``softmax`` mode (each shard draws its Gumbel noise from the query's
PCG64 generator advanced to the shard's first row: one draw per item, so the
same noise as one process except, with probability 2^-53 per item, where
numpy redraws a uniform of exactly 0), and the uncertainty pre-selection of
the diversity strategies (core-set, BADGE, ...: the shards return their
lowest margins, the driver merges them and runs the strategy on those). Anything
else runs in the driver, as without a scorer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import PROBABILITIES, ModelOutputs, validate_field
from activelearn.strategies.streaming import GumbelNoise, StreamingTopK, class_leaders, scored_top_k


class RayPoolScorer:
    """Scores a pool's shards as Ray tasks: on a cluster (``address``) or a local instance.

    ``shards`` defaults to the cluster's CPUs. A local instance binds to 127.0.0.1
    only. The activelearn package is shipped to the workers (``py_modules``).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        shards: int | None = None,
        ship_package: bool = True,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError("Ray scoring needs ray: pip install 'activelearn[ray]'") from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            import activelearn

            runtime_env = (
                {"py_modules": [str(Path(activelearn.__file__).parent)]} if ship_package else None
            )
            options: dict[str, Any] = {"address": address or "local"}
            if not address:
                options.update(num_cpus=workers, _node_ip_address="127.0.0.1")
            ray.init(
                include_dashboard=False, log_to_driver=False, runtime_env=runtime_env, **options
            )
            self._started = True
        self.n_shards = shards or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._task = ray.remote(num_cpus=1, max_retries=1)(score_shard)
        self.last_rss: list[int] = []  # peak RSS (KiB) of the worker of each shard, last query

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def __enter__(self) -> RayPoolScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def shards(self, context: dict[str, Any]) -> Shards:
        """What the loop's outputs provider asks for: this query's shards."""
        return Shards(self, context)

    def run(self, context: dict[str, Any], plan: tuple) -> list[dict[str, Any]]:
        """Run ``plan`` on every shard of ``context['positions']``; results in shard order."""
        ray = self._ray
        positions = context["positions"]
        bounds = np.linspace(0, len(positions), min(self.n_shards, len(positions)) + 1).astype(int)
        shared = ray.put({key: value for key, value in context.items() if key != "positions"})
        refs = [
            self._task.remote(shared, positions[a:b], int(a), plan)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
            if b > a
        ]
        results = ray.get(refs)
        self.last_rss = [result["rss_kib"] for result in results]
        return results


class Shards:
    """The shards of one query's candidates (``ModelOutputs.shards()`` hands this out)."""

    def __init__(self, scorer: RayPoolScorer, context: dict[str, Any]) -> None:
        self.scorer = scorer
        self.context = context

    def can_score(self, strategy: Any, noise: GumbelNoise | None) -> bool:
        if not strategy.requires <= {PROBABILITIES} or not getattr(strategy, "rowwise", False):
            return False
        # Shards skip ahead in the noise stream: exact for PCG64 only (one 64-bit draw per
        # Gumbel value; Philox's ``advance`` counts blocks, not draws).
        return noise is None or type(noise.rng.bit_generator) in _ADVANCEABLE

    def top_k(self, strategy: Any, k: int, noise: GumbelNoise | None) -> StreamingTopK:
        plan: tuple = ("top", strategy, k, None)
        if noise is not None:
            bits = noise.rng.bit_generator
            plan = ("top", strategy, k, (noise.mode, noise.beta, type(bits).__name__, bits.state))
        merged = StreamingTopK(k)
        for result in self.scorer.run(self.context, plan):
            indices, scores, values = result["leaders"]
            merged.extend(indices + result["start"], scores, result["seen"], values)
        if noise is not None:  # the driver's generator moves past the noise the shards drew
            _advance(noise.rng.bit_generator, merged.seen)
        return merged

    def class_leaders(self, strategy: Any, k: int) -> tuple[list[StreamingTopK], np.ndarray]:
        results = self.scorer.run(self.context, ("classes", strategy, k, None))
        n_classes = max(len(result["classes"]) for result in results)
        merged = [StreamingTopK(k) for _ in range(n_classes)]
        counts = np.zeros(n_classes, dtype=int)
        for result in results:
            for c, (indices, scores, count) in enumerate(result["classes"]):
                merged[c].extend(indices + result["start"], scores, count)
                counts[c] += count
        return merged, counts


def score_shard(
    shared: dict[str, Any], positions: np.ndarray, start: int, plan: tuple
) -> dict[str, Any]:
    """A Ray task: ``plan`` over pool rows ``positions`` (the shard from candidate ``start``)."""
    import resource

    kind, strategy, k, extra = plan
    source = _ShardSource(shared, positions)
    outputs = ModelOutputs(size=len(positions), source=source, classes=shared["classes"])
    result: dict[str, Any] = {"start": start, "seen": len(positions)}
    if kind == "top":
        noise = None
        if extra is not None:
            mode, beta, bits_name, state = extra
            bits = getattr(np.random, bits_name)()
            bits.state = state
            _advance(bits, start)  # one draw per candidate before this shard
            noise = GumbelNoise(mode, beta, np.random.Generator(bits))
        result["leaders"] = scored_top_k(outputs, strategy, k, noise).leaders()
    else:
        tops, counts = class_leaders(outputs, strategy, k)
        result["classes"] = [
            (*top.leaders()[:2], int(count)) for top, count in zip(tops, counts, strict=True)
        ]
    result["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


_ADVANCEABLE = (np.random.PCG64, np.random.PCG64DXSM)


def _advance(bits: Any, n: int) -> None:
    """Skip ``n`` draws, keeping the buffered 32-bit half-draw that ``advance`` drops (the
    one-process path keeps it: Gumbel noise draws whole 64-bit values)."""
    state = bits.state
    bits.advance(n)
    bits.state = {**bits.state, "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]}


class _ShardSource:
    """Probabilities of a shard's rows from the shipped model, part by part."""

    def __init__(self, shared: dict[str, Any], positions: np.ndarray) -> None:
        self.shared = shared
        self.positions = positions
        self.chunk_size = shared["chunk_size"]
        self.unvalidated = shared["unvalidated"]

    def provides(self, need: str) -> bool:
        return need == PROBABILITIES

    def compute(self, need: str, rows: np.ndarray | None) -> dict[str, np.ndarray]:
        from activelearn.data.pool import take
        from activelearn.learners.base import predict_proba

        assert rows is not None
        X = take(self.shared["X"], self.positions[rows])
        p = predict_proba(self.shared["learner"], X, self.shared["classes"])
        validate_field(PROBABILITIES, p, len(rows), values=PROBABILITIES not in self.unvalidated)
        return {PROBABILITIES: p}
