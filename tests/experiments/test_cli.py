"""The ``experiment`` and ``report`` subcommands, registered the way the CLI package does."""

from __future__ import annotations

import argparse

import pytest

from activelearn.cli import experiment, report
from activelearn.errors import ConfigError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="activelearn")
    subparsers = parser.add_subparsers(required=True)
    experiment.register(subparsers)
    report.register(subparsers)
    return parser


def test_experiment_then_report(tiny, tmp_path, capsys):
    output = tmp_path / "run"
    args = _parser().parse_args(
        ["experiment", str(tiny), "--workers", "2", "--output", str(output), "--quiet"]
    )
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "6 cells: 0 cached, 6 run now, 0 failed" in printed
    assert (output / "config.toml").read_text() == tiny.read_text()
    assert (output / "report" / "report.html").exists()

    args = _parser().parse_args(["experiment", str(tiny), "--output", str(output), "--quiet",
                                 "--no-report"])  # fmt: skip
    assert args.func(args) == 0
    assert "6 cached, 0 run now" in capsys.readouterr().out

    (output / "report" / "summary.md").unlink()
    args = _parser().parse_args(["report", str(output)])
    assert args.func(args) == 0
    assert (output / "report" / "summary.md").exists()


def test_errors_users_can_act_on(tiny, tmp_path):
    args = _parser().parse_args(["report", str(tmp_path)])
    with pytest.raises(ConfigError, match="no experiment.json"):
        args.func(args)
    args = _parser().parse_args(["experiment", str(tiny), "--address", "ray://x:1"])
    with pytest.raises(ConfigError, match="--address is for the Ray executor"):
        args.func(args)
