"""`activelearn run --executor ray`: the same runs as the local process pool."""

from __future__ import annotations

import json

import pytest

from activelearn.cli import main

RUN = ["run", "--dataset", "synthetic", "--initial-size", "20", "--batch-size", "10",
       "--strategy", "margin", "--rounds", "2", "--no-full-baseline"]  # fmt: skip


def test_address_without_the_ray_executor_is_refused(tmp_path, capsys):
    assert main([*RUN, "--output", str(tmp_path), "--address", "auto"]) == 2
    assert "--address is for the Ray executor" in capsys.readouterr().err


@pytest.mark.slow
def test_run_on_a_local_ray_instance_matches_the_local_run(tmp_path):
    pytest.importorskip("ray")
    assert main([*RUN, "--output", str(tmp_path / "local")]) == 0
    assert main([*RUN, "--output", str(tmp_path / "ray"), "--executor", "ray",
                 "--workers", "2"]) == 0  # fmt: skip

    def curve(directory):
        history = json.loads((directory / "margin" / "seed_0" / "history.json").read_text())
        return [(row["n_labeled"], row["accuracy"]) for row in history]

    assert curve(tmp_path / "ray") == curve(tmp_path / "local")
