"""``activelearn reproduce keras-imdb``: the Keras "Review Classification using Active
Learning" example on the real IMDB reviews.

The tutorial's BiLSTM is trained on all 40,000 training reviews, then on an
initial 15,000 followed by three rounds of 5,000 split by the ratio of false
positives to false negatives. The default is leakage-free (ratio from the
validation set, reviews chosen by predicted class and uncertainty);
``--faithful`` does what the tutorial does (ratio from the test set, reviews
drawn from pools split by their true label) and says the result leaks the
test set. Uses CUDA when present. A full run takes tens of minutes per seed
on a 2-core CPU; ``--quick`` runs 10% of every split in a few minutes.
"""

from __future__ import annotations

import argparse
import json
from itertools import groupby
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from activelearn.history import History


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="reproduce a published active-learning example",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("example", choices=["keras-imdb"], help="the example to reproduce")
    parser.add_argument("--data", help="IMDB archive; default $ACTIVELEARN_IMDB or the cache")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="default 0 1 2")
    parser.add_argument(
        "--faithful", action="store_true", help="the tutorial's protocol, leaking the test set"
    )
    parser.add_argument("--quick", action="store_true", help="10%% of every split (minutes)")
    parser.add_argument(
        "--no-reload-best", dest="reload_best", action="store_false",
        help="the tutorial's checkpoint handling: no reload after the first fit",
    )  # fmt: skip
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads (default 1: on shared 2-core machines a second thread made "
        "the BiLSTM 2-6x slower)",
    )  # fmt: skip
    parser.add_argument(
        "--output", default="runs/keras-imdb",
        help="output directory; running again into it resumes: finished seeds are reused and "
        "an interrupted seed continues from its last finished round",
    )  # fmt: skip
    parser.set_defaults(func=handle)


class _Progress:
    """A bar per fit, advanced by the trainer's epoch events, closed when the model is scored."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.fit: tuple[Any, Any] | None = None

    def __call__(self, name: str, info: dict[str, Any]) -> None:
        if name == "epoch":
            fit = (info.get("model"), info.get("round", 0))
            if self.bar is None or fit != self.fit:
                self._close()
                self.fit = fit
                self.bar = tqdm(desc=f"{fit[0]} round {fit[1]}", unit="epoch", leave=False)
            self.bar.update(1)
            self.bar.set_postfix(val_loss=f"{info.get('val_loss', float('nan')):.4f}")
        elif name == "reused":
            tqdm.write(f"seed {info['seed']}: finished earlier, read from {info['path']}")
        elif name == "evaluated":
            self._close()
            tqdm.write(
                f"{info.get('model')} round {info.get('round', 0)}, {info.get('labels_used')} "
                f"labels: test accuracy {info.get('test_accuracy', float('nan')):.4f}"
            )

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def handle(args: argparse.Namespace) -> int:
    import torch

    from activelearn.plots import training_curves
    from activelearn.reproduce.keras_imdb import run_keras_imdb

    torch.set_num_threads(args.threads)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    result = run_keras_imdb(
        args.data,
        seeds=args.seeds,
        faithful=args.faithful,
        quick=args.quick,
        reload_best=args.reload_best,
        device=args.device,
        on_event=_Progress(),
        output=output / "seeds",
    )
    (output / "result.json").write_text(json.dumps(result.to_dict(), indent=1, default=str))
    report = result.report()
    (output / "report.txt").write_text(report + "\n")
    print(report)
    for seed in result.seeds:
        epochs = History(
            [
                {"round": round_, "epochs": list(records)}
                for round_, records in groupby(seed.active.history, key=lambda r: r["round"])
            ]
        )
        plot = training_curves(epochs, output / f"training_curves_seed{seed.seed}.png")
        if plot is not None:
            print(f"plot: {plot}")
    return 0
