"""The Ray executor against a real local Ray instance: same results as the process pool."""

from __future__ import annotations

import pytest

from activelearn.experiments.config import load_config
from activelearn.experiments.executors import LocalExecutor, RayExecutor
from activelearn.experiments.runner import load_results, run_grid

pytest.importorskip("ray")


@pytest.mark.slow
def test_ray_runs_the_grid_like_the_local_pool(tiny, tmp_path):
    config = load_config(tiny)
    with RayExecutor(workers=2) as executor:
        outcome = run_grid(config, tmp_path / "ray", executor, progress=False)
    assert (outcome.ran, outcome.failed) == (6, 0)
    run_grid(config, tmp_path / "local", LocalExecutor(2), progress=False)

    def numbers(directory):
        _, results = load_results(directory)
        return {
            r["key"]: [(h["n_labeled"], h["accuracy"]) for h in r.get("history", [])]
            or r["test"]["accuracy"]
            for r in results
        }

    assert numbers(tmp_path / "ray") == numbers(tmp_path / "local")
    _, results = load_results(tmp_path / "ray")
    assert len({r["pid"] for r in results}) >= 2  # cells ran in Ray worker processes
