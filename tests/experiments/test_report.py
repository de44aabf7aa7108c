"""The report renders, embeds every figure, escapes text, and states the histories' numbers."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from activelearn.experiments.config import load_config
from activelearn.experiments.executors import LocalExecutor
from activelearn.experiments.report import write_report
from activelearn.experiments.runner import load_results, run_grid


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    path = tmp / "grid.toml"
    path.write_text(
        """
[experiment]
name = "<b>report & test</b>"
test_size = 0.3
[grid]
datasets = [{name = "synthetic", n_samples = 300, n_features = 6, label = "syn<script>x</script>"}]
learners = ["logistic_regression"]
strategies = ["margin"]
seeds = [0, 1, 2]
batch_sizes = [20]
budgets = [60]
[loop]
initial_size = 20
"""
    )
    output = tmp / "run"
    run_grid(load_config(path), output, LocalExecutor(2), progress=False)
    write_report(output)
    return output


def test_html_parses_embeds_every_figure_and_escapes_text(run_dir):
    page = (run_dir / "report" / "report.html").read_text()
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert parser.images, "the report has no figures"
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "&lt;script&gt;" in page and "<b>report" not in page
    text = " ".join(parser.text)
    for needle in ("Protocol", "numpy", "scikit-learn", "Seeds: 0, 1, 2", "Wilcoxon"):
        assert needle in text


def test_markdown_figures_exist(run_dir):
    summary = (run_dir / "report" / "summary.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", summary)
    assert len(links) == 2
    for link in links:
        assert (run_dir / "report" / link).read_bytes()[:4] == b"\x89PNG"


def test_table_numbers_equal_the_histories(run_dir):
    _, results = load_results(run_dir)
    histories = {}
    full = {}
    for r in results:
        if r["kind"] == "al":
            histories.setdefault(r["labels"]["strategy"], []).append(r["history"])
        else:
            full[r["spec"]["seed"]] = r["test"]["accuracy"]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in (run_dir / "report" / "summary.md").read_text().splitlines()
        if line.startswith("| syn")
    ]
    header = [
        c.strip()
        for c in (run_dir / "report" / "summary.md")
        .read_text()
        .splitlines()[4]
        .strip("|")
        .split("|")
    ]
    table = {row[header.index("strategy")]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(table) == {"margin", "random"}
    for strategy, runs in histories.items():
        final = [h[-1]["accuracy"] for h in runs]
        x = [[r["n_labeled"] for r in h] for h in runs]
        y = [[r["accuracy"] for r in h] for h in runs]
        area = [np.trapezoid(b, a) / (a[-1] - a[0]) for a, b in zip(x, y, strict=True)]
        row = table[strategy]
        assert row["final"] == f"{np.mean(final):.4f} ± {np.std(final, ddof=1):.4f}"
        assert row["AULC"] == f"{np.mean(area):.4f} ± {np.std(area, ddof=1):.4f}"
        assert row["seeds"] == "3"
        assert row["labels used / pool"].startswith("60 / ")
    stored = json.loads((run_dir / "report" / "summary.json").read_text())
    assert stored["counts"] == {
        "planned": 9,
        "finished": 9,
        "failed": 0,
        "pending": 0,
        "missing": 0,
    }
    assert row["full-data"].startswith(f"{np.mean(list(full.values())):.4f}")


def test_rows_with_and_without_semi_supervision_are_told_apart(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        """
[experiment]
name = "semi"
[grid]
datasets = [{name = "synthetic", n_samples = 300, n_features = 6}]
learners = ["logistic_regression"]
strategies = ["margin"]
semi_supervised = ["none", "self_training"]
seeds = [0, 1]
batch_sizes = [20]
budgets = [60]
[loop]
initial_size = 20
"""
    )
    run_grid(load_config(path), tmp_path / "run", LocalExecutor(1), progress=False)
    summary = (write_report(tmp_path / "run") / "summary.md").read_text()
    (note,) = [line for line in summary.splitlines() if "trained on pseudo-labels in" in line]
    kept, rounds = map(int, re.search(r"in (\d+) of (\d+) rounds", note).groups())
    assert "self_training" in note and rounds == 2 * 3 * 2  # 2 strategies x 3 rounds x 2 seeds
    table = summary.split("\n## ")[0]
    header = next(line for line in table.splitlines() if line.startswith("| dataset"))
    assert "| strategy | semi-supervision |" in header
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| synthetic")]
    at = header.split(" | ").index("semi-supervision")
    assert sorted((r[header.split(" | ").index("strategy")], r[at]) for r in rows) == [
        ("margin", ""), ("margin", "self_training"), ("random", ""), ("random", "self_training"),
    ]  # fmt: skip
