"""On-disk pools: rows served from .npy and Parquet files, the loop running over them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelearn.data.ondisk import NpyRows, ParquetRows, ondisk_pool
from activelearn.data.pool import Pool
from activelearn.errors import DataError
from activelearn.loop import ActiveLearningLoop


def features(n: int = 3000, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(3, size=n)
    X = (rng.normal(size=(3, d))[y] + rng.normal(size=(n, d))).astype(np.float32)
    return X, y


def test_npy_rows_read_what_the_array_holds(tmp_path) -> None:
    X, _ = features(500)
    np.save(tmp_path / "x.npy", X)
    rows = NpyRows(tmp_path / "x.npy")
    assert rows.shape == X.shape and len(rows) == 500
    for indices in ([3, 1, 499, 3], list(range(100, 160)), [7]):
        np.testing.assert_array_equal(rows.take_rows(np.array(indices)), X[indices])
    np.testing.assert_array_equal(rows[42], X[42])


def test_npy_rows_refuse_pickled_objects_and_other_files(tmp_path) -> None:
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, "text"], dtype=object))
    with pytest.raises(DataError, match="objects.npy cannot be read as rows .*of numbers"):
        NpyRows(tmp_path / "objects.npy")
    (tmp_path / "notes.npy").write_text("not an array")
    (tmp_path / "empty.npy").write_bytes(b"")
    np.save(tmp_path / "whole.npy", np.zeros((100, 4)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "whole.npy").read_bytes()[:300])
    for name in ("notes", "empty", "cut"):
        with pytest.raises(DataError, match=f"{name}.npy cannot be read as rows"):
            NpyRows(tmp_path / f"{name}.npy")
    np.savez(tmp_path / "two.npz", a=np.zeros(3), b=np.ones(3))
    (tmp_path / "two.npz").rename(tmp_path / "two.npy")
    with pytest.raises(DataError, match="two.npy is an .npz archive"):
        NpyRows(tmp_path / "two.npy")


def test_parquet_rows_read_numbers_and_texts_across_row_groups(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [f"t{i}" for i in range(1000)]
    table = pa.table({"a": np.arange(1000.0), "b": -np.arange(1000.0), "text": texts})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=64)
    numbers = ParquetRows(tmp_path / "t.parquet", columns=["a", "b"])
    got = numbers.take_rows(np.array([900, 3, 64, 63]))
    np.testing.assert_array_equal(got, [[900, -900], [3, -3], [64, -64], [63, -63]])
    texts = ParquetRows(tmp_path / "t.parquet", columns=["text"], text=True)
    assert texts.take_rows(np.array([999, 0])) == ["t999", "t0"] and len(texts) == 1000
    with pytest.raises(DataError, match="no columns"):
        ParquetRows(tmp_path / "t.parquet", columns=["nope"])


def run_loop(pool: Pool, strategy: str, **options) -> ActiveLearningLoop:
    loop = ActiveLearningLoop(
        pool,
        LogisticRegression(max_iter=300),
        strategy,
        batch_size=25,
        initial_size=30,
        max_rounds=2,
        seed=3,
        score_batch_size=256,
        **options,
    )
    loop.run()
    return loop


@pytest.mark.parametrize("strategy", ["margin", "class_balanced", "mix", "stochastic"])
def test_the_loop_over_a_memory_mapped_pool_picks_what_it_picks_in_memory(
    tmp_path, strategy
) -> None:
    X, y = features()
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y)
    on_disk = run_loop(ondisk_pool(tmp_path / "x.npy", hidden_labels=tmp_path / "y.npy"), strategy)
    in_memory = run_loop(Pool(X, hidden_labels=y), strategy)
    assert len(on_disk.history) == 3  # the seed round and two queried rounds
    assert on_disk.pool.labeled_indices.tolist() == in_memory.pool.labeled_indices.tolist()
    for a, b in zip(on_disk.history, in_memory.history, strict=True):
        assert a.get("accuracy") == b.get("accuracy") or "accuracy" not in a


def test_core_set_on_a_large_on_disk_pool_runs_on_preselected_candidates(tmp_path) -> None:
    X, y = features()
    np.save(tmp_path / "x.npy", X)
    pool = ondisk_pool(tmp_path / "x.npy", hidden_labels=y, max_candidates=500)
    loop = run_loop(pool, "coreset", embeddings=NpyRows(tmp_path / "x.npy"))
    notes = [note for record in loop.history for note in record["notes"]]
    assert any("coreset ran on 500 of" in note and "random" in note for note in notes)
    assert len(loop.pool.labeled_indices) == 80


def test_range_ids_need_no_lookup_table() -> None:
    pool = Pool(np.zeros((5, 1)), hidden_labels=[0, 1, 0, 1, 0])
    assert pool.positions([4, "2", np.int64(0)]).tolist() == [4, 2, 0]
    for missing in ("5", "02", "-1", "x", "\u0661", "\u00b2"):  # Arabic-Indic 1, superscript 2
        with pytest.raises(DataError, match="not in the pool"):
            pool.positions([missing])
    with pytest.raises(DataError, match="unique"):
        Pool(np.zeros((3, 1)), ids=[7, 8, 7], hidden_labels=[0, 1, 0])


@pytest.mark.slow
def test_scoring_an_on_disk_pool_keeps_memory_bounded(tmp_path) -> None:
    """Peak RSS while the loop scores a 640 MB .npy pool stays far below the file's size."""
    n, d = 5_000_000, 32
    script = textwrap.dedent(
        f"""
        import json, resource, sys
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from activelearn.data.ondisk import ondisk_pool
        from activelearn.loop import ActiveLearningLoop
        from activelearn.outputs import pool_outputs

        x = np.lib.format.open_memmap(sys.argv[1] + "/x.npy", "w+", np.float32, ({n}, {d}))
        rng = np.random.default_rng(0)
        for start in range(0, {n}, 500_000):
            x[start : start + 500_000] = rng.normal(size=(500_000, {d}))
        x.flush()
        del x
        y = rng.integers(3, size={n}).astype(np.int8)
        pool = ondisk_pool(sys.argv[1] + "/x.npy", hidden_labels=y)
        seed = rng.choice({n}, 300, replace=False)
        learner = LogisticRegression(max_iter=200).fit(pool.subset(np.sort(seed)), y[np.sort(seed)])
        loop = ActiveLearningLoop(pool, learner, "margin", score_batch_size=50_000)
        loop.fitted = True
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        strategy = loop.strategy
        query = strategy.query(
            pool_outputs(loop, strategy, pool.unlabeled_indices), 100, np.random.default_rng(0)
        )
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"before": before, "after": after, "picked": len(query.indices)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    file_mib = n * d * 4 / 2**20
    grown_mib = (result["after"] - result["before"]) / 1024
    assert result["picked"] == 100
    # Scores and positions of 5M items are ~100 MiB of the growth; the features never are.
    assert grown_mib < 0.3 * file_mib, (grown_mib, file_mib)
