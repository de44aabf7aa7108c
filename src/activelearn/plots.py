"""PNG plots of a run: the learning curve, and per-epoch training curves across rounds.

Matplotlib is imported lazily (extra ``plot``) and drawn off-screen (Agg).
"""

from __future__ import annotations

from pathlib import Path

from activelearn.history import History


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        from activelearn.errors import ConfigError

        raise ConfigError("plots need matplotlib: pip install 'activelearn[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def summary_curves(summary: dict, path: str | Path, *, title: str = "") -> Path:
    """Test metric against labels used, one line per strategy: the mean over seeds with its
    95% band, the full-data model dashed (from an experiment or run summary)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.4, 4.6))
    for row in summary["rows"]:
        curve = summary["curves"][row["id"]]
        semi = f" + {row['semi_supervised']}" if row.get("semi_supervised") else ""
        ax.plot(curve["n_labeled"], curve["mean"], marker=".", linewidth=1.4,
                label=f"{row['strategy']}{semi} (n={len(row['seeds'])})")  # fmt: skip
        if len(row["seeds"]) > 1:
            ax.fill_between(curve["n_labeled"], curve["low"], curve["high"], alpha=0.2)
    full = summary["rows"][0].get("full_mean") if summary["rows"] else None
    if full is not None:
        ax.axhline(full, color="black", linestyle="--", linewidth=1, label="full data")
    ax.set_xlabel("labels used")
    ax.set_ylabel(f"test {summary['metric']}")
    ax.set_title(title or summary.get("name", ""), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def training_curves(history: History, path: str | Path) -> Path | None:
    """Per-epoch train/validation loss and accuracy across rounds, round boundaries marked.

    The equivalent of the Keras tutorial's ``plot_history``; needs learners that
    record ``history_`` (the PyTorch and Keras learners do). Returns None otherwise.
    """
    epochs = [(r["round"], e) for r in history for e in r.get("epochs", [])]
    if not epochs:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, quantity in zip(axes, ("loss", "accuracy"), strict=True):
        for key in (quantity, f"val_{quantity}"):
            values = [e.get(key) for _, e in epochs]
            if any(v is not None for v in values):
                ax.plot(range(1, len(values) + 1), values, label=key)
        boundary = 0
        for round_ in sorted({r for r, _ in epochs})[:-1]:
            boundary += sum(1 for r, _ in epochs if r == round_)
            ax.axvline(boundary + 0.5, color="gray", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch (dotted lines: new labels added)")
        ax.set_ylabel(quantity)
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)
