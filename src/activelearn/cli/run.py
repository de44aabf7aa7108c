"""``activelearn run``: active learning on one dataset, one or more strategies and seeds.

A run is a one-cell experiment: its settings compile into the same loop specs,
splits, executor, cache, summary and report as ``activelearn experiment``,
so the same dataset and seed give the same splits and learning curves in
both. Settings come from a TOML file (``--config``, keys named as below)
and/or flags; a flag wins over the file.

Honest defaults: the seed is drawn at random (``--initial-method balanced``
reads the hidden labels and is for simulations only); linear learners weight
classes (``--class-weight none`` to turn it off); texts get TF-IDF features
unless ``--features`` says otherwise; the test set is only reported.

Each (strategy, seed) gets a directory under ``--output`` with its label log
and ``history.csv``/``history.json``, so ``--resume`` continues any of them
(with a larger ``--budget`` or ``--rounds`` too). The run ends with a table,
``summary.json``, ``learning_curve.png`` and the HTML/Markdown report.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from activelearn.cli.run_settings import DEFAULT_ROUNDS, TABLE_FLAGS, RunSettings
from activelearn.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    from activelearn.data.datasets import available_datasets
    from activelearn.features.registry import available_featurizers
    from activelearn.learners.registry import available_learners
    from activelearn.semi import SEMI_SUPERVISION

    parser = subparsers.add_parser(
        "run",
        help="run active learning on a dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--config", help="TOML file with the keys of RunSettings; flags override it")
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        help=f"one of {', '.join(available_datasets())} (default "
        "synthetic); csv reads any table file: CSV, TSV, JSON Lines, Parquet",
    )
    data.add_argument("--data", help="the dataset's file, archive or folder")
    data.add_argument("--test-data", help="a separate test file (same columns)")
    data.add_argument("--validation-data", help="a separate validation file (same columns)")
    data.add_argument("--text-column", help="column of texts (a table file)")
    data.add_argument("--label-column", help="column of labels (a table file)")
    data.add_argument("--id-column", help="column of item ids (default: the row number)")
    data.add_argument("--feature-columns", help="numeric columns, comma-separated (default: all)")
    data.add_argument("--classes", help="the classes, comma-separated (default: those present)")
    data.add_argument(
        "--format",
        choices=["csv", "tsv", "jsonl", "parquet"],
        help="the file's format (default: from its extension)",
    )
    data.add_argument("--sep", help="field separator of a CSV file (\\t for tab)")
    data.add_argument(
        "--no-header",
        action="store_true",
        default=None,
        help="the file has no header line: columns are named 1, 2, 3, ...",
    )
    data.add_argument("--encoding", help="text encoding of the file (default utf-8)")
    data.add_argument(
        "--decimal", choices=[".", ","], help="the numbers' decimal mark (default .; , for 12,5)"
    )
    data.add_argument("--validation-size", type=_size, help="share (0.1) or count; default 0.1")
    data.add_argument(
        "--test-size",
        type=_size,
        help="share or count when the data has no test split or --test-data; default 0.2",
    )
    data.add_argument("--split-seed", type=int, help="draws the test set (default 0)")
    model = parser.add_argument_group("model")
    model.add_argument(
        "--features",
        help=f"auto (default: tfidf for texts, standardize for a table's numeric columns), "
        f"none (the columns as they are), or one of "
        f"{', '.join(available_featurizers())}",
    )
    model.add_argument(
        "--learner", help=f"one of {', '.join(available_learners())} (default logistic_regression)"
    )
    model.add_argument(
        "--learner-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="learner parameter (JSON value), e.g. --learner-param C=0.5",
    )
    model.add_argument(
        "--class-weight",
        choices=["balanced", "none"],
        help="class weights of the learner (default: balanced for linear models)",
    )
    loop = parser.add_argument_group("active learning")
    loop.add_argument(
        "--strategy",
        nargs="+",
        dest="strategies",
        help="one or more strategies (default: auto random; auto alone with --oracle file); "
        "see `activelearn strategies`",
    )
    loop.add_argument(
        "--strategy-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="strategy parameter (JSON value), e.g. --strategy-param warmup=500 (auto's random "
        "share lasts to 500 labels); `activelearn strategies` lists each one's",
    )
    loop.add_argument("--initial-size", type=int, help="size of the labeled seed (default 100)")
    loop.add_argument(
        "--initial-method",
        help="how the seed is drawn: random (default), "
        "balanced (reads the hidden labels: simulation only), or a cold-start "
        "strategy (typiclust, probcover, coreset, kmeans)",
    )
    loop.add_argument("--batch-size", type=int, help="labels per round (default 100)")
    loop.add_argument(
        "--rounds",
        type=int,
        help=f"rounds after the seed (default {DEFAULT_ROUNDS} "
        "when no budget, target or --stop is given)",
    )
    loop.add_argument("--budget", type=int, help="total labels, seed included")
    loop.add_argument("--target", type=float, help="stop when the target metric reaches this")
    loop.add_argument(
        "--metric", "--target-metric", dest="metric",
        help="accuracy (default), macro_f1 or f1: the learning curves, AULC, labels to "
        "95%%/99%% and --target use it",
    )  # fmt: skip
    loop.add_argument(
        "--target-split", choices=["val", "test"], help="set --target is checked on (default val)"
    )
    loop.add_argument(
        "--stop",
        action="append",
        default=[],
        metavar="NAME[:KEY=VALUE,...]",
        help="a label-free stopping criterion: stabilizing_predictions, "
        "overall_uncertainty or classification_change",
    )
    loop.add_argument(
        "--semi-supervised", nargs="+", metavar="NAME[:KEY=VALUE,...]",
        help=f"also train on pseudo-labels: {', '.join(SEMI_SUPERVISION.names())} "
        "(thresholds set on the validation set; a refit that does not beat the plain fit there "
        "is not kept, unless :accept=always; :teacher=naive_bayes averages in a naive Bayes' "
        "guesses, for tfidf or pixels); several, e.g. none self_training, compare them",
    )  # fmt: skip
    loop.add_argument("--seeds", type=int, nargs="+", help="random seeds (default 0)")
    loop.add_argument(
        "--oracle",
        choices=["simulated", "file"],
        help="simulated: the file's labels answer; file: batches are written "
        "as CSV for people to label (rows without a label become the pool)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--no-full-baseline",
        dest="full_baseline",
        action="store_false",
        default=None,
        help="skip the full-data reference model",
    )
    out.add_argument("--output", help="output directory (default runs/latest)")
    out.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="continue the run in --output with the settings it was started with (with "
        "--config: the file's, which must match); flags given now may extend it: --budget, "
        "--rounds, --target, --stop",
    )
    out.add_argument("--workers", type=int, help="runs in parallel (default: one per core)")
    out.add_argument("--executor", choices=("local", "ray"), help="where the runs go "
                     "(default: local processes; ray: see docs/scale.md)")  # fmt: skip
    out.add_argument("--address", help="Ray cluster address (e.g. ray://head:10001 or auto); "
                     "without it --executor ray starts a local Ray instance")  # fmt: skip
    out.add_argument(
        "--threads",
        type=parse_threads,
        help="BLAS/torch threads per run: a number or "
        "auto (default: 1 while runs share the cores, else auto: 1 for small fits)",
    )
    parser.set_defaults(func=handle)


def parse_threads(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or auto, got {text!r}")
    return value


def _size(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share or a count, got {text!r}") from None
    return int(value) if value.is_integer() else value


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    saved = Path(args.output or RunSettings.output) / "settings.json"
    resumed = bool(args.resume and not args.config and saved.is_file())
    if resumed:  # `--output DIR --resume`: the run's own settings, not every flag retyped
        base = RunSettings.from_dict(json.loads(saved.read_text()), source=str(saved))
    elif args.resume and not (args.config or args.dataset or args.data):
        raise ConfigError(  # a mistyped folder would otherwise start the default run there
            f"{saved.parent} holds no run to resume: check --output, or describe a new run "
            "(--data or --dataset, or --config)"
        )
    else:
        base = RunSettings.from_toml(args.config) if args.config else RunSettings()
    names = ("dataset", "features", "learner", "class_weight", "strategies", "initial_size",
             "initial_method", "batch_size", "rounds", "budget", "target", "metric",
             "target_split", "seeds", "oracle", "validation_size", "test_size", "split_seed",
             "full_baseline", "output", "resume", "workers", "executor", "address",
             "threads")  # fmt: skip
    data = {**asdict(base), **{n: getattr(args, n) for n in names if getattr(args, n) is not None}}
    if data["oracle"] == "file" and args.strategies is None and not (args.config or resumed):
        data["strategies"] = ["auto"]  # people label one run's batches, not a comparison
    if data["features"] == "none":
        data["features"] = None
    params = dict(base.dataset_params)
    table = {key: getattr(args, flag) for flag, key in TABLE_FLAGS.items()}
    table["header"] = False if args.no_header else None
    table["classes"] = args.classes.split(",") if args.classes else None
    table["feature_columns"] = args.feature_columns.split(",") if args.feature_columns else None
    given = {k: v for k, v in table.items() if v is not None}
    if "path" in given and args.dataset is None and base.dataset == RunSettings.dataset:
        data["dataset"] = "csv"  # --data names a table file: no --dataset csv needed
    table_only = sorted(set(given) - {"path"})
    if table_only and data["dataset"] != "csv":
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in table_only)
        raise ConfigError(f"{flags} describe a table file: add --dataset csv")
    params.update(given)
    data["dataset_params"] = params
    data["learner_params"] = {
        **base.learner_params,
        **_key_values(args.learner_param, "--learner-param"),
    }
    data["strategy_params"] = {
        **base.strategy_params,
        **_key_values(args.strategy_param, "--strategy-param"),
    }
    given = [named_spec(text, "--stop") for text in args.stop]
    data["stopping"] = [*base.stopping, *(s for s in given if s not in base.stopping)]
    if args.semi_supervised:
        data["semi_supervised"] = [
            "none" if text == "none" else named_spec(text, "--semi-supervised")
            for text in args.semi_supervised
        ]
    return RunSettings.from_dict(data, source="command line")


def _key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} needs KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def named_spec(text: str, flag: str) -> dict[str, Any]:
    """``NAME[:KEY=VALUE,...]`` as a ``{"name", "params"}`` spec (values read as JSON)."""
    name, _, rest = text.partition(":")
    params = _key_values([p for p in rest.split(",") if p], flag)
    return {"name": name, "params": params}


def handle(args: argparse.Namespace) -> int:
    from activelearn.cli import EXIT_LABELS_PENDING
    from activelearn.cli.runner import run

    outcome = run(settings_from_args(args))
    print(outcome.table)
    for line in outcome.notes:
        print(line, file=sys.stderr)
    for plot in outcome.plots:
        print(f"plot: {plot}")
    if outcome.pending:
        print("waiting for labels:", file=sys.stderr)
        for line in outcome.pending:
            print(f"  {line}", file=sys.stderr)
        return EXIT_LABELS_PENDING
    return 1 if outcome.failed else 0


# Where the experiment config names a setting, the command line names its flag.
_CLI_WORDS = [
    (re.compile(r"^grid\.datasets\[0\]\.features: "), "--features: "),
    (re.compile(r"^grid\.datasets\[0\]: "), "--dataset: "),
    (re.compile(r"^grid\.learners\[0\]: "), "--learner: "),
    (re.compile(r"^grid\.strategies\[\d+\]: "), "--strategy: "),
    (re.compile(r"^grid\.semi_supervised\[\d+\]: "), "--semi-supervised: "),
    (re.compile(r"^grid\.budgets\[0\]: "), "--budget: "),
    (re.compile(r"^(grid|loop)\.stopping\[\d+\]: "), "--stop: "),
    (re.compile(r"^grid\.seeds(\[\d+\])?: "), "--seeds: "),
    (re.compile(r"^loop\.(\w+): "), lambda m: f"--{m.group(1).replace('_', '-')}: "),
    (re.compile(r"^experiment\.(\w+): "), lambda m: f"--{m.group(1).replace('_', '-')}: "),
    (re.compile(r"^grid\.(\w+): "), lambda m: f"--{m.group(1).replace('_', '-')}: "),
    (re.compile(r"\bloop\.initial_size\b"), "--initial-size"),
    (re.compile(r"\binitial_size\b"), "--initial-size"),
]
_PARAMETER_FLAGS = {v: f"--{k.replace('_', '-')}" for k, v in TABLE_FLAGS.items()}


def in_cli_words(message: str) -> str:
    """A config error as the command line would say it: flags, not TOML keys."""
    for pattern, replacement in _CLI_WORDS:
        message = pattern.sub(replacement, message)
    for key, flag in _PARAMETER_FLAGS.items():
        message = re.sub(rf"(needs|parameter) '?{key}\b'?", rf"\1 {key} ({flag})", message)
    return message
