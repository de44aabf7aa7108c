"""``activelearn project``: create a labeling project, hand out tokens, export, show status.

Subcommands::

    activelearn project create DIR --name NAME (--data FILE | --images FOLDER | --imdb PATH)
        [--learner NAME] [--features NAME] [--strategy NAME] [--semi-supervised NAME]
        [--config FILE.toml]
        [--annotator NAME ...]
    activelearn project token DIR NAME [--admin] [--rotate]
    activelearn project export DIR OUT.{csv,jsonl,parquet}
    activelearn project status DIR [--json]

The model (learner, features, strategy) is chosen by name from the
registries, as ``activelearn run`` does; ``--config`` (or ``DIR/project.toml``)
holds the same keys, and flags override it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from activelearn.cli.project_sources import load_source
from activelearn.errors import ConfigError
from activelearn.store.settings import DEFAULT_SETTINGS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PROJECT_TOML = "project.toml"
# Keys a project TOML may hold besides the settings: the model and the budget.
TOML_KEYS = ("learner", "features", "strategy", "strategy_params", "semi_supervised", "budget",
             "classes")  # fmt: skip

# Only `serve` knows the address (host and port are its options), so the links come from it.
_SERVE_HINT = (
    "run `activelearn serve {folder}` to get the links: each person opens the address it "
    "prints with #token=THEIR_TOKEN at the end"
)


def register(subparsers: Any) -> None:
    from activelearn.semi import SEMI_SUPERVISION

    parser = subparsers.add_parser(
        "project", help="labeling projects: create, token, export, status"
    )
    commands = parser.add_subparsers(dest="project_command", required=True)

    create = commands.add_parser("create", help="create a project folder from a dataset")
    create.add_argument("folder", help="project folder (holds labels.db and images)")
    create.add_argument("--name", required=True)
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="CSV/TSV/JSONL/Parquet file of texts (or image paths)")
    source.add_argument("--images", help="folder of JPEG/PNG/WebP images, at any depth")
    source.add_argument("--imdb", help="aclImdb archive or folder (demo data)")
    source.add_argument("--label-studio", help="a Label Studio tasks JSON (texts or images)")
    create.add_argument("--text-column", default="text")
    create.add_argument(
        "--image-column", help="the table's column of image paths (relative to the table)"
    )
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
    create.add_argument(
        "--keep-labels", action="store_true",
        help="import the labels of IMDB or of --images class subfolders",
    )  # fmt: skip
    create.add_argument("--limit", type=int, help="keep a random sample of N items")
    create.add_argument("--learner", help="from the learner registry (default: tfidf_logreg for "
                        "texts, logistic_regression for images)")  # fmt: skip
    create.add_argument("--features", help="from the featurizer registry, or none (default: "
                        "none for texts, efficientnet_lite0 for images)")  # fmt: skip
    create.add_argument("--strategy", help="any registered strategy the model can feed "
                        "(default least_confidence)")  # fmt: skip
    create.add_argument(
        "--semi-supervised", metavar="NAME[:KEY=VALUE,...]",
        help=f"also train on pseudo-labels: {', '.join(SEMI_SUPERVISION.names())} "
        "(thresholds set on the held-out labels; default none)",
    )  # fmt: skip
    create.add_argument("--config", help=f"TOML with the keys {', '.join(TOML_KEYS)} and "
                        f"settings (default: DIR/{PROJECT_TOML} if there is one)")  # fmt: skip
    create.add_argument("--budget", type=int)
    for key, value in DEFAULT_SETTINGS.items():
        create.add_argument(f"--{key.replace('_', '-')}", type=type(value),
                            help=f"default {value}")  # fmt: skip
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

    export = commands.add_parser(
        "export", help="write the labels to CSV, JSONL, Parquet or Label Studio JSON"
    )
    export.add_argument("folder")
    export.add_argument("output")
    export.add_argument("--format", choices=["csv", "jsonl", "parquet", "label-studio"],
                        help="default: from the extension (.json: label-studio)")  # fmt: skip
    export.add_argument("--project")
    export.add_argument("--db")
    export.set_defaults(func=export_project)

    status = commands.add_parser("status", help="progress, annotators and model versions")
    status.add_argument("folder")
    status.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    status.add_argument("--project")
    status.add_argument("--db")
    status.set_defaults(func=show_status)


def open_store(args: argparse.Namespace, create: bool = False) -> Any:
    """The project's store, imported here: the ``server`` extra brings SQLAlchemy. Only
    ``create`` makes one: a command that reads a folder with no store leaves nothing behind."""
    try:
        from activelearn.store import Store
        from activelearn.store.database import DB_FILE
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"labeling projects need {exc.name}: pip install 'activelearn[server]'"
        ) from None
    if not create and args.db is None and not (Path(args.folder) / DB_FILE).is_file():
        raise ConfigError(
            f"no labeling project in {args.folder}: make one with "
            f"`activelearn project create {args.folder} --name NAME --data FILE`"
        )
    return Store.open(args.folder, args.db)


def create_project(args: argparse.Namespace) -> int:
    from activelearn.cli.run import named_spec
    from activelearn.server.recipe import choose

    config = _config(args)
    settings = {key: _pick(args, config, key, default) for key, default in
                DEFAULT_SETTINGS.items()}  # fmt: skip
    kind = _kind(args)
    features = args.features or config.get("features", "default")
    recipe = choose(
        kind, learner=args.learner or config.get("learner"), features=features,
        strategy=args.strategy or config.get("strategy"),
        strategy_params=config.get("strategy_params"),
        semi_supervised=named_spec(args.semi_supervised, "--semi-supervised")
        if args.semi_supervised else config.get("semi_supervised"),
        heldout=settings["heldout_fraction"] > 0 and settings["min_heldout"] > 0,
    )  # fmt: skip
    if args.classes is None and config.get("classes"):
        args.classes = ",".join(map(str, config["classes"]))
    args.seed = settings["seed"]
    source = load_source(args)
    if source.notes:
        print(source.notes)  # every row loaded, or skipped with its reason
    store = open_store(args, create=True)
    images = None
    if source.images is not None:
        from activelearn.store.images import bring_in

        images, how = bring_in(store.folder, source.image_root, source.images)
        print(f"images {how}")
    info = store.create_project(
        args.name, source.classes, texts=None if images else source.texts, images=images,
        ids=source.ids, labels=source.labels, strategy=recipe.strategy,
        budget=_pick(args, config, "budget", None), settings={**settings, **recipe.settings()},
    )  # fmt: skip
    imported = sum(label is not None for label in source.labels or [])
    labeled = f", {imported} of them labeled (imported)" if imported else ""
    print(f"created project {info.name!r} with {len(source)} items{labeled} in {store.folder}")
    print(f"model: {recipe.describe()}")
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
    store = open_store(args)
    info = store.project(args.project)
    if args.rotate:
        token = store.rotate_token(info.id, args.name)
    else:
        token = store.add_annotator(info.id, args.name, admin=args.admin)
    _print_token(args.name, token, args.admin)
    print(_SERVE_HINT.format(folder=args.folder))
    return 0


def export_project(args: argparse.Namespace) -> int:
    store = open_store(args)
    info = store.project(args.project)
    from activelearn.store import export_labels

    n = export_labels(store, info.id, args.output, args.format)
    print(f"wrote {n} rows to {args.output}")
    return 0


def show_status(args: argparse.Namespace) -> int:
    from activelearn.server.report import status_report

    store = open_store(args)
    info = store.project(args.project)
    report = status_report(store, info)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"project {info.name!r}: {report['model']}")
    print(_progress_line(report["progress"]))
    if report["first_model"]:
        print(report["first_model"])
    for person in report["annotators"]:
        print(f"  {person['name']}{' (admin)' if person['admin'] else ''}: "
              f"{person['labels']} labels ({person['heldout']} held-out), {person['skips']} "
              f"skips, {person['flags']} flags, {person['undone']} undone")  # fmt: skip
    for version in report["versions"]:
        print(_version_line(version, binary=len(info.classes) == 2))
    return 0


def _version_line(version: dict[str, Any], *, binary: bool) -> str:
    """One model version: with more than two classes FP and FN are both the error count."""
    fp, fn = (_count(version[k]) for k in ("fp", "fn"))
    errors = f"FP={fp} FN={fn}" if binary else f"errors={fp}"
    parts = [
        f"v{version['version']}: {version['state']:8}", f"train={version['n_train']}",
        f"heldout={version['n_heldout']}", f"accuracy={_num(version['accuracy'])}",
        f"macro-F1={_num(version['macro_f1'])}", errors,
    ]  # fmt: skip
    if version["n_pseudo"] is not None:
        kept = " (refit not kept)" if version["pseudo_accepted"] is False else ""
        parts.append(f"pseudo-labels={version['n_pseudo']}{kept}")
    if version.get("heldout_missing"):
        parts.append(f"(held-out has no {', '.join(version['heldout_missing'])}: macro-F1 "
                     "covers the other classes)")  # fmt: skip
    if version.get("never_predicted"):
        parts.append(f"(never predicts {', '.join(version['never_predicted'])} on held-out)")
    if version["error"]:
        parts.append(version["error"])
    return " ".join(parts)


def _progress_line(progress: dict[str, Any]) -> str:
    """One line for people (``--json`` has every field)."""
    budget = progress["budget"]
    of = f" of a budget of {budget}" if budget is not None else ""
    spent = " (spent)" if budget is not None and progress["labeled"] >= budget else ""
    by_class = ", ".join(f"{name} {n}" for name, n in progress["by_class"].items())
    words = {"flagged": "flagged", "review": "in review", "conflicts": "in conflict"}
    states = ", ".join(f"{progress[key]} {word}" for key, word in words.items() if progress[key])
    return (
        f"{progress['labeled']} labels{of}{spent}, {progress['heldout_labeled']} of them held out "
        f"({by_class}); {progress['items']} items, {progress['open']} open"
        + (f", {states}" if states else "")
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _print_token(name: str, token: str, admin: bool) -> None:
    role = "admin" if admin else "annotator"
    print(f"  {name} ({role}): {token}")


def _config(args: argparse.Namespace) -> dict[str, Any]:
    """The project TOML: ``--config``, else ``DIR/project.toml`` when the folder holds one."""
    path = Path(args.config) if args.config else Path(args.folder) / PROJECT_TOML
    if args.config is None and not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    known = (*TOML_KEYS, *DEFAULT_SETTINGS)
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; known: {', '.join(known)}")
    return data


def _kind(args: argparse.Namespace) -> str:
    """Texts or images, known before any item is read (the model is checked first)."""
    if args.images or args.image_column:
        return "image"
    if args.label_studio:
        from activelearn.store.labelstudio import read_tasks

        return read_tasks(args.label_studio, text_key=args.text_column).kind
    return "text"


def _pick(args: argparse.Namespace, config: dict[str, Any], key: str, default: Any) -> Any:
    """A flag given on the command line, else the TOML's value, else the default."""
    value = getattr(args, key)
    return value if value is not None else config.get(key, default)
