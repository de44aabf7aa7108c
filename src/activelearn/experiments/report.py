"""Reports of a finished (or partly finished) grid: HTML, Markdown and PNG figures.

``write_report(run_dir)`` writes into ``<run_dir>/report/``:

- ``report.html``: self-contained (figures inline as base64 PNG), every text
  escaped; learning curves with 95% bands, the metrics table, per-round
  class histograms, the protocol and the versions used;
- ``summary.md``: the table and warnings, linking the PNGs;
- ``figures/*.png``: the same figures at print resolution;
- ``summary.json``: the numbers behind all of it.
"""

from __future__ import annotations

import base64
import html
import json
import re
import textwrap
from pathlib import Path
from typing import Any

from activelearn.errors import ConfigError
from activelearn.experiments.analysis import summarize
from activelearn.experiments.runner import load_results

# (column title, row key, format) of the metrics table, shared by HTML and Markdown.
_COLUMNS: list[tuple[str, str, str]] = [
    ("dataset", "dataset", "s"),
    ("learner", "learner", "s"),
    ("batch", "batch_size", "s"),
    ("budget", "budget", "s"),
    ("strategy", "strategy", "s"),
    ("seeds", "n_seeds", "s"),
    ("AULC", "aulc", "pm"),
    ("final", "final", "pm"),
    ("macro-F1", "final_macro_f1", "pm"),
    ("minority F1", "final_minority_f1", "pm"),
    ("full-data", "full", "pm"),
    ("labels to 95%", "labels_to_95", "reach"),
    ("labels to 99%", "labels_to_99", "reach"),
    ("95/99% on", "reach_metric", "s"),
    ("labels used / pool", "labels_used", "share"),
    ("target reached", "target_reached", "target"),
    ("ΔAULC vs random", "aulc_diff", "signed"),
    ("Wilcoxon p", "p_value", "p"),
    ("query s", "query_seconds", "time"),
    ("round s", "round_seconds", "time"),
    ("batch acc before→after", "batch_accuracy", "before_after"),
]


def write_report(run_dir: str | Path) -> Path:
    """Write the report of ``run_dir``; returns the report directory."""
    run_dir = Path(run_dir)
    if not (run_dir / "experiment.json").exists():
        raise ConfigError(
            f"{run_dir} holds no experiment (no experiment.json): "
            "give the --output directory of `activelearn experiment`"
        )
    manifest, results = load_results(run_dir)
    summary = summarize(manifest, results)
    out = run_dir / "report"
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = _figures(summary, figures_dir)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    (out / "summary.md").write_text(_markdown(summary, figures))
    (out / "report.html").write_text(_html(summary, manifest, run_dir, figures))
    return out


# -- table cells ----------------------------------------------------------------------------


def columns(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``_COLUMNS``, with a semi-supervision column after the strategy when a row has one
    (random with and without it are otherwise two rows that read alike)."""
    if not any(row.get("semi_supervised") for row in summary["rows"]):
        return _COLUMNS
    at = [key for _, key, _ in _COLUMNS].index("strategy") + 1
    return [*_COLUMNS[:at], ("semi-supervision", "semi_supervised", "s"), *_COLUMNS[at:]]


def table_rows(summary: dict[str, Any]) -> list[list[str]]:
    """The metrics table as text, one list per row, in ``columns(summary)`` order."""
    return [[_cell(row, key, kind) for _, key, kind in columns(summary)] for row in summary["rows"]]


def _cell(row: dict[str, Any], key: str, kind: str) -> str:
    if kind == "s":
        if key == "n_seeds":
            return str(len(row["seeds"]))
        return "" if row[key] is None else str(row[key])
    if kind == "pm":
        return _pm(row[f"{key}_mean"], row[f"{key}_std"])
    if kind == "reach":
        reached, total = row[f"{key}_reached"], len(row["seeds"])
        if not reached:
            return f"never (0/{total})"
        return f"{_pm(row[f'{key}_mean'], row[f'{key}_std'], digits=0)} ({reached}/{total})"
    if kind == "share":
        return f"{row['labels_used_mean']:.0f} / {row['n_pool']}"
    if kind == "target":
        reached = row["target_reached"]
        return "" if reached is None else f"{reached}/{len(row['seeds'])}"
    if kind == "signed":
        vs = row["vs_random"]
        return "" if vs is None else f"{vs['aulc_diff_mean']:+.4f}"
    if kind == "p":
        vs = row["vs_random"]
        return "" if vs is None or vs["p_value"] is None else f"{vs['p_value']:.3f}"
    if kind == "time":
        value = row[f"{key}_mean"]
        return "" if value is None else f"{value:.3f}"
    before, after = row["batch_accuracy_before_mean"], row["batch_accuracy_after_mean"]
    return "" if before is None or after is None else f"{before:.3f}→{after:.3f}"


def _pm(mean: float | None, std: float | None, digits: int = 4) -> str:
    if mean is None:
        return ""
    text = f"{mean:.{digits}f}"
    return text if std is None else f"{text} ± {std:.{digits}f}"


# -- figures --------------------------------------------------------------------------------


def _figures(summary: dict[str, Any], directory: Path) -> dict[str, list[tuple[str, Path]]]:
    """Per block (dataset, learner, batch, budget): a learning-curve and a histogram figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    blocks: dict[str, list[dict[str, Any]]] = {}
    for row in summary["rows"]:
        blocks.setdefault(row["curve_id"], []).append(row)
    figures: dict[str, list[tuple[str, Path]]] = {}
    for index, (block, rows) in enumerate(blocks.items()):
        stem = f"{index:02d}_{_slug(block)}"
        curve = directory / f"{stem}_curves.png"
        fig, ax = plt.subplots(figsize=(7.4, 4.2))
        if len(rows) > 10:  # the default colour cycle repeats after 10
            ax.set_prop_cycle(color=plt.cm.viridis([i / (len(rows) - 1) for i in range(len(rows))]))
        for row in rows:
            c = summary["curves"][row["id"]]
            ax.plot(c["n_labeled"], c["mean"], label=row["strategy"], marker=".", linewidth=1.4)
            ax.fill_between(
                c["n_labeled"], c["low"], c["high"], alpha=0.2 if len(rows) < 5 else 0.08
            )
        full = rows[0]["full_mean"]
        if full is not None:
            ax.axhline(full, color="black", linestyle="--", linewidth=1, label="full data")
        ax.set_xlabel("labels")
        ax.set_ylabel(f"test {summary['metric']}")
        ax.set_title("\n".join(textwrap.wrap(block, 70)), fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
        fig.savefig(curve, dpi=150)
        plt.close(fig)

        hist = directory / f"{stem}_histograms.png"
        ncols = min(4, len(rows))
        nrows = -(-len(rows) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.8 * nrows), squeeze=False)
        for ax in axes.flat[len(rows) :]:
            ax.set_visible(False)
        for ax, row in zip(axes.flat, rows, strict=False):
            _stacked(ax, summary["histograms"][row["id"]])
            ax.set_title(row["strategy"], fontsize=9)
            ax.set_xlabel("round (0 = seed set)", fontsize=8)
        axes[0][0].set_ylabel("share of the batch")
        axes[0][0].legend(fontsize=6, title="class", title_fontsize=7, loc="upper right")
        fig.tight_layout()
        fig.savefig(hist, dpi=150)
        plt.close(fig)
        figures[block] = [
            ("learning curves (mean, 95% band over seeds)", curve),
            ("class shares of each queried batch (summed over seeds)", hist),
        ]
    return figures


def _stacked(ax: Any, rounds: list[dict[str, int]]) -> None:
    classes = sorted({c for r in rounds for c in r}, key=_natural)
    bottom = [0.0] * len(rounds)
    for cls in classes:
        shares = [r.get(cls, 0) / max(sum(r.values()), 1) for r in rounds]
        ax.bar(range(len(rounds)), shares, bottom=bottom, label=cls, width=0.9)
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    ax.set_ylim(0, 1)


def _natural(text: str) -> tuple[int, Any]:
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60]


# -- Markdown -------------------------------------------------------------------------------


def _markdown(summary: dict[str, Any], figures: dict[str, list[tuple[str, Path]]]) -> str:
    counts = summary["counts"]
    lines = [
        f"# {_md(summary['name'])}",
        "",
        f"Cells: {counts['finished']} finished, {counts['failed']} failed, "
        f"{counts['missing']} not run, of {counts['planned']}. Metric: test {summary['metric']}.",
        "",
        "| " + " | ".join(_md(title) for title, _, _ in columns(summary)) + " |",
        "|" + "---|" * len(columns(summary)),
    ]
    lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in table_rows(summary)]
    if summary["warnings"]:
        lines += ["", "## Warnings", ""] + [f"- {_md(w)}" for w in summary["warnings"]]
    lines += ["", "## Figures", ""]
    for block, items in figures.items():
        lines.append(f"### {_md(block)}")
        lines += [f"![{_md(caption)}](figures/{path.name})" for caption, path in items]
        lines.append("")
    if summary["failures"]:
        lines += ["## Failed cells", ""]
        lines += [
            f"- `{f['key']}` {_md(_describe(f['labels']))}: {_md(f['error'])}"
            for f in summary["failures"]
        ]
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell (and free of raw HTML)."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _describe(labels: dict[str, str]) -> str:
    return " / ".join(str(v) for v in labels.values())


# -- HTML -----------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:3px 6px}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff4e0;border-left:4px solid #e69500;padding:0.5em 1em}
img{max-width:100%}figure{display:inline-block;margin:0.5em;vertical-align:top}
pre{background:#f6f6f6;padding:0.5em;overflow-x:auto}
"""


def _html(
    summary: dict[str, Any],
    manifest: dict[str, Any],
    run_dir: Path,
    figures: dict[str, list[tuple[str, Path]]],
) -> str:
    e = html.escape
    counts = summary["counts"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(summary['name'])} — activelearn report</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(summary['name'])}</h1>",
        f"<p>Cells: {counts['finished']} finished, {counts['failed']} failed, "
        f"{counts['missing']} not run, of {counts['planned']}. "
        f"Metric: test {e(summary['metric'])}.</p>",
    ]
    if summary["warnings"]:
        parts.append('<div class="warn"><h2>Warnings</h2><ul>')
        parts += [f"<li>{e(w)}</li>" for w in summary["warnings"]]
        parts.append("</ul></div>")
    parts.append("<h2>Results</h2><table><thead><tr>")
    parts += [f"<th>{e(title)}</th>" for title, _, _ in columns(summary)]
    parts.append("</tr></thead><tbody>")
    for values in table_rows(summary):
        cells = [
            f'<td class="{"num" if kind != "s" else ""}">{e(v)}</td>'
            for v, (_, _, kind) in zip(values, columns(summary), strict=True)
        ]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    parts.append(
        "<p>AULC: area under test metric vs labels divided by the label range, over the same "
        "range for every run of a block (a run that stopped early keeps its last model). "
        "Labels to 95%/99%: first label count reaching that share of the same seed's full-data "
        "model (same learner, trained on the whole pool); (k/n) = seeds that reached it; on "
        "macro-F1 where always predicting the majority class already reaches 95% of the "
        "full-data model's metric. ± is the sample standard deviation over seeds (n − 1). "
        "Wilcoxon p: signed-rank test of per-seed AULC against random sampling on the same "
        "seeds and splits. Bands: 95% t-interval over seeds.</p>"
    )
    parts.append("<h2>Figures</h2>")
    for block, items in figures.items():
        parts.append(f"<h3>{e(block)}</h3>")
        for caption, path in items:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{e(caption)} — <code>figures/{e(path.name)}</code>"
                "</figcaption></figure>"
            )
    parts += _protocol(manifest, summary, run_dir)
    if summary["failures"]:
        parts.append("<h2>Failed cells</h2><ul>")
        parts += [
            f"<li><code>{e(f['key'])}</code> {e(_describe(f['labels']))}: {e(f['error'])}</li>"
            for f in summary["failures"]
        ]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _protocol(manifest: dict[str, Any], summary: dict[str, Any], run_dir: Path) -> list[str]:
    e = html.escape
    splits: dict[str, dict[str, Any]] = {}
    for cell in summary["cells"]:
        splits.setdefault(cell["dataset"], {"pool": cell["n_pool"], "test": cell["n_test"]})
    env = manifest["environment"]
    parts = [
        "<h2>Protocol</h2><ul>",
        f"<li>Seeds: {e(', '.join(map(str, manifest['seeds'])))}. Each seed draws its own "
        "validation set (the only held-out data decisions may use) and seed set; every "
        "strategy, the random baseline and the full-data model of a seed share them.</li>",
        f"<li>Test set: fixed across seeds (split seed {manifest['split']['split_seed']}), "
        "used only for reporting"
        + (
            "; <strong>runs stop on test accuracy</strong> (reproducing an article's "
            "protocol): their test scores are optimistic"
            if (manifest.get("target") or {}).get("split") == "test"
            else ""
        )
        + ".</li>",
        f"<li>Split sizes: validation {e(str(manifest['split']['validation_size']))}, "
        f"test {e(str(manifest['split']['test_size']))} (when the dataset has no test split).</li>",
    ]
    parts += [
        f"<li>{e(name)}: pool {s['pool']} items, test {s['test']} items.</li>"
        for name, s in splits.items()
    ]
    parts += [
        f"<li>Loop: {e(json.dumps(manifest['loop']))}; "
        f"target: {e(json.dumps(manifest.get('target')))}.</li>",
        "</ul><h3>Environment</h3><ul>",
    ]
    parts += [f"<li>{e(k)} {e(str(v))}</li>" for k, v in env["versions"].items()]
    parts.append(f"<li>{e(env['platform'])}, {env['cpus']} CPUs</li></ul>")
    sessions = run_dir / "sessions.jsonl"
    if sessions.exists():
        parts.append("<h3>Sessions</h3><pre>" + e(sessions.read_text()) + "</pre>")
    parts.append("<h3>Config</h3><pre>" + e(json.dumps(manifest["config"], indent=1)) + "</pre>")
    return parts
