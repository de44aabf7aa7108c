"""The grid runner with the local process pool: caching, failures, target stopping."""

from __future__ import annotations

import json

from activelearn.experiments.config import load_config
from activelearn.experiments.executors import LocalExecutor
from activelearn.experiments.runner import load_results, run_grid


def _audit(output):
    return [json.loads(line) for line in (output / "runs.jsonl").read_text().splitlines()]


def test_grid_runs_every_cell_once_and_a_rerun_uses_the_cache(tiny, tmp_path):
    config = load_config(tiny)
    output = tmp_path / "run"
    first = run_grid(config, output, LocalExecutor(2), progress=False)
    assert (first.total, first.cached, first.ran, first.failed) == (6, 0, 6, 0)
    manifest, results = load_results(output)
    assert sorted(r["key"] for r in results) == sorted(c["key"] for c in manifest["cells"])
    assert all(r["status"] == "ok" for r in results)

    again = run_grid(config, output, LocalExecutor(2), progress=False)
    assert (again.cached, again.ran) == (6, 0)
    finished = [e["key"] for e in _audit(output) if e["event"] == "finished"]
    assert sorted(finished) == sorted(c["key"] for c in manifest["cells"])


def test_a_failing_cell_does_not_stop_the_grid(make_config, tmp_path):
    path = make_config(tmp_path)
    text = path.read_text().replace(
        "weights = [0.85, 0.15]}]",
        'weights = [0.85, 0.15]}, {name = "csv", path = "/missing.csv", label_column = "y"}]',
    )
    path.write_text(text)
    output = tmp_path / "run"
    outcome = run_grid(load_config(path), output, LocalExecutor(2), progress=False)
    assert outcome.total == 12 and outcome.failed == 6
    _, results = load_results(output)
    failed = [r for r in results if r["status"] == "error"]
    assert {r["labels"]["dataset"] for r in failed} == {"csv(label_column=y,path=/missing.csv)"}
    assert all("/missing.csv does not exist" in r["error"] for r in failed)
    assert sum(r["status"] == "ok" for r in results) == 6
    # failed cells are retried on the next run, finished ones are not
    rerun = run_grid(load_config(path), output, LocalExecutor(2), progress=False)
    assert (rerun.cached, rerun.ran, rerun.failed) == (6, 6, 6)


def test_target_stops_at_the_full_data_metric(make_config, tmp_path):
    path = make_config(
        tmp_path, budget=300, extra="\n[target]\nfraction_of_full = 0.9\nsplit = 'test'\n"
    )
    output = tmp_path / "run"
    run_grid(load_config(path), output, LocalExecutor(2), progress=False)
    _, results = load_results(output)
    full = {r["spec"]["seed"]: r["test"]["accuracy"] for r in results if r["kind"] == "full"}
    al = [r for r in results if r["kind"] == "al"]
    assert any(r["stop_reason"].startswith("accuracy reached") for r in al)
    for r in al:
        assert r["target_value"] == 0.9 * full[r["spec"]["seed"]]
        last = r["history"][-1]
        if r["stop_reason"].startswith("accuracy reached"):
            assert last["accuracy"] >= r["target_value"]
            assert all(h["accuracy"] < r["target_value"] for h in r["history"][:-1])
        else:
            assert last["n_labeled"] == 300


def test_cells_whose_full_data_model_failed_are_recorded_as_failed(make_config, tmp_path):
    path = make_config(tmp_path, extra="\n[target]\nfraction_of_full = 1.0\n")
    text = path.read_text().replace(
        '{name = "synthetic", n_samples = 400, n_features = 8, weights = [0.85, 0.15]}',
        '{name = "csv", path = "/missing.csv", label_column = "y"}',
    )
    path.write_text(text)
    outcome = run_grid(load_config(path), tmp_path / "run", LocalExecutor(1), progress=False)
    assert (outcome.total, outcome.failed) == (6, 6)
    _, results = load_results(tmp_path / "run")
    al = [r for r in results if r["kind"] == "al"]
    assert len(al) == 4
    assert all("full-data model failed" in r["error"] for r in al)


def test_without_a_terminal_each_finished_cell_is_one_line_on_stderr(tiny, tmp_path, capsys):
    run_grid(load_config(tiny), tmp_path / "run", LocalExecutor(1), progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in lines] == [f"[{i}/6 cells" for i in range(1, 7)]
    said = sorted(line.split("] ")[1] for line in lines)  # two seeds of full, entropy, random
    loops = [f"{name} seed {seed}: ok" for name in ("entropy", "random") for seed in (0, 1)]
    assert said == sorted(["full data: ok"] * 2 + loops)
