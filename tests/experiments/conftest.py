"""Small grids that finish in seconds, written as TOML like a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = """
[experiment]
name = "tiny"
test_size = 0.3
validation_size = 0.1

[grid]
datasets = [{{name = "synthetic", n_samples = 400, n_features = 8, weights = [0.85, 0.15]}}]
learners = ["logistic_regression"]
strategies = ["entropy"]
seeds = {seeds}
batch_sizes = [20]
budgets = [{budget}]

[loop]
initial_size = 20
"""


def tiny_config(
    tmp_path: Path, *, seeds: str = "[0, 1]", budget: int = 60, extra: str = ""
) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(seeds=seeds, budget=budget) + extra)
    return path


@pytest.fixture
def make_config():
    """``make_config(directory, seeds="[0, 1]", budget=60, extra="")`` writes a tiny TOML grid."""
    return tiny_config


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_config(tmp_path)
