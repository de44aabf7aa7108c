"""``activelearn project``: create a labeling project, hand out tokens, export, show status.

Subcommands::

    activelearn project create DIR --name NAME (--data FILE | --imdb PATH) [--annotator NAME ...]
    activelearn project token DIR NAME [--admin] [--rotate]
    activelearn project export DIR OUT.{csv,jsonl,parquet}
    activelearn project status DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from activelearn.errors import ConfigError
from activelearn.store.settings import DEFAULT_SETTINGS
from activelearn.strategies import make_strategy
from activelearn.strategies.base import PROBABILITIES

# Only `serve` knows the address (host and port are its options), so the links come from it.
_SERVE_HINT = (
    "run `activelearn serve {folder}` to get the links: each person opens the address it "
    "prints with #token=THEIR_TOKEN at the end"
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("project", help="labeling projects: create, tokens, export")
    commands = parser.add_subparsers(dest="project_command", required=True)

    create = commands.add_parser("create", help="create a project folder from a dataset")
    create.add_argument("folder", help="project folder (holds labels.db and images)")
    create.add_argument("--name", required=True)
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="CSV/TSV/JSONL/Parquet file of texts")
    source.add_argument("--imdb", help="aclImdb archive or folder (demo data)")
    create.add_argument("--text-column", default="text")
    create.add_argument("--id-column")
    create.add_argument("--label-column", help="import the labels this column holds")
    create.add_argument("--classes", help="comma-separated classes (default: from the labels)")
    create.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"],
                        help="the file's format (default: from its extension)")  # fmt: skip
    create.add_argument("--sep", help="field separator of a CSV file (\\t for tab)")
    create.add_argument("--no-header", action="store_true",
                        help="no header line: columns are named 1, 2, 3, ...")  # fmt: skip
    create.add_argument("--encoding", default="utf-8", help="text encoding (default utf-8)")
    create.add_argument("--imdb-split", default="train", choices=["train", "test"])
    create.add_argument("--keep-labels", action="store_true", help="IMDB: import its labels")
    create.add_argument("--limit", type=int, help="keep a random sample of N items")
    create.add_argument("--strategy", default="least_confidence")
    create.add_argument("--budget", type=int)
    for key, value in DEFAULT_SETTINGS.items():
        create.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    create.add_argument("--annotator", action="append", default=[], help="repeatable")
    create.add_argument("--admin", action="append", default=[], help="repeatable; may export")
    create.add_argument("--db", help="database URL (default: SQLite inside the folder)")
    create.add_argument(
        "--tokens-file", help="also write `name token` lines here (readable by you only)"
    )
    create.set_defaults(func=create_project)

    token = commands.add_parser("token", help="add an annotator (or --rotate a token)")
    token.add_argument("folder")
    token.add_argument("name")
    token.add_argument("--admin", action="store_true")
    token.add_argument("--rotate", action="store_true", help="replace an existing token")
    token.add_argument("--project")
    token.add_argument("--db")
    token.set_defaults(func=issue_token)

    export = commands.add_parser("export", help="write the labels to CSV, JSONL or Parquet")
    export.add_argument("folder")
    export.add_argument("output")
    export.add_argument("--format", choices=["csv", "jsonl", "parquet"])
    export.add_argument("--project")
    export.add_argument("--db")
    export.set_defaults(func=export_project)

    status = commands.add_parser("status", help="progress and model versions")
    status.add_argument("folder")
    status.add_argument("--project")
    status.add_argument("--db")
    status.set_defaults(func=show_status)


def _open(args: argparse.Namespace) -> Any:
    """The project's store, imported here: the ``server`` extra brings SQLAlchemy."""
    try:
        from activelearn.store import Store
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"labeling projects need {exc.name}: pip install 'activelearn[server]'"
        ) from None
    return Store.open(args.folder, args.db)


def create_project(args: argparse.Namespace) -> int:
    _check_strategy(args.strategy)
    texts, ids, labels, classes = _load(args)
    settings = {key: getattr(args, key) for key in DEFAULT_SETTINGS}
    store = _open(args)
    info = store.create_project(
        args.name, classes, texts=texts, ids=ids, labels=labels, strategy=args.strategy,
        budget=args.budget, settings=settings,
    )  # fmt: skip
    print(f"created project {info.name!r} with {len(texts)} items in {store.folder}")
    names = [(n, False) for n in args.annotator] + [(n, True) for n in args.admin]
    if not names:
        names = [("admin", True)]
    tokens = [
        (name, store.add_annotator(info.id, name, admin=admin), admin) for name, admin in names
    ]
    if args.tokens_file:
        path = Path(args.tokens_file)
        path.touch(mode=0o600)
        path.write_text("".join(f"{name} {token}\n" for name, token, _ in tokens))
    print("tokens (shown once, only their hashes are stored):")
    for name, token, admin in tokens:
        _print_token(name, token, admin)
    print(_SERVE_HINT.format(folder=args.folder))
    return 0


def issue_token(args: argparse.Namespace) -> int:
    store = _open(args)
    info = store.project(args.project)
    if args.rotate:
        token = store.rotate_token(info.id, args.name)
    else:
        token = store.add_annotator(info.id, args.name, admin=args.admin)
    _print_token(args.name, token, args.admin)
    print(_SERVE_HINT.format(folder=args.folder))
    return 0


def export_project(args: argparse.Namespace) -> int:
    store = _open(args)
    info = store.project(args.project)
    from activelearn.store import export_labels

    n = export_labels(store, info.id, args.output, args.format)
    print(f"wrote {n} rows to {args.output}")
    return 0


def show_status(args: argparse.Namespace) -> int:
    store = _open(args)
    info = store.project(args.project)
    print(json.dumps(store.progress(info.id), indent=1))
    versions = store.versions(info.id)
    if not any(v["status"] == "ready" for v in versions):
        print(store.readiness(info.id).explain())
    for version in versions:
        metrics = version["metrics"] or {}
        print(
            f"v{version['version']}: {version['status']:8} train={version['n_train']} "
            f"heldout={version['n_heldout']} accuracy={metrics.get('accuracy')} "
            f"{version['error'] or ''}"
        )
    return 0


def _check_strategy(name: str) -> None:
    """Refuse a strategy the labeling server cannot run, before any data is read.

    The server's model gives class probabilities only; a strategy that needs
    embeddings or Monte-Carlo samples would fail at the first retrain, long
    after the project was made. Unknown names are refused with the list of names.
    """
    strategy = make_strategy(name)
    if not strategy.requires <= {PROBABILITIES}:
        raise ConfigError(
            f"strategy {name!r} needs {sorted(strategy.requires - {PROBABILITIES})}, "
            "which the labeling server does not compute; pick one that needs only probabilities "
            "(least_confidence, margin, entropy, random)"
        )


def _print_token(name: str, token: str, admin: bool) -> None:
    role = "admin" if admin else "annotator"
    print(f"  {name} ({role}): {token}")


def _load(args: argparse.Namespace) -> tuple[list[str], list[str], list[Any] | None, list[str]]:
    """Texts, ids, labels (or None) and classes from the chosen source."""
    declared = args.classes.split(",") if args.classes else None
    if args.imdb:
        from activelearn.data.imdb import load_imdb

        train, test = load_imdb(args.imdb, download=False)
        data = train if args.imdb_split == "train" else test
        keep_labels = args.keep_labels
        texts = [str(t) for t in data.raw]
    else:
        from activelearn.data.tabular import load_table

        data = load_table(
            args.data, text_column=args.text_column, label_column=args.label_column,
            id_column=args.id_column, classes=declared, format=args.format, sep=args.sep,
            header=not args.no_header, encoding=args.encoding,
        )  # fmt: skip
        print(data.report.summary())  # every row loaded, or skipped with its reason
        keep_labels = args.label_column is not None
        texts = list(data.X)
    if not texts:
        raise ConfigError("the dataset holds no items")
    keep = np.arange(len(texts))
    if args.limit is not None and args.limit < len(texts):
        # A random sample in file order: files sorted by label must not give one class.
        keep = np.sort(np.random.default_rng(args.seed).choice(len(texts), args.limit, False))
    labels = [None if v is None else str(v) for v in data.labels[keep].tolist()]
    classes = declared or [str(c) for c in data.classes.tolist()]
    ids = [str(i) for i in data.ids[keep].tolist()]
    return [texts[i] for i in keep], ids, labels if keep_labels else None, classes
