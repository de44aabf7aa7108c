"""``activelearn serve`` and ``activelearn simulate``: the labeling server and simulated annotators.

::

    activelearn serve DIR [--host 127.0.0.1] [--port 8000]
    activelearn simulate http://127.0.0.1:8000 --tokens tokens.txt (--truth FILE | --imdb PATH)
"""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any

from activelearn.errors import ConfigError


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the labeling web app for a project")
    serve.add_argument("folder", help="project folder made by `activelearn project create`")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free one")
    serve.add_argument("--project", help="project name, when the store holds several")
    serve.add_argument("--db", help="database URL (default: SQLite inside the folder)")
    serve.add_argument(
        "--allow-host", action="append", default=[], help="extra Host header to accept"
    )
    serve.add_argument(
        "--in-process",
        action="store_true",
        help="train in the server process (starts faster; slows requests while training)",
    )
    serve.set_defaults(func=run_server)

    sim = subparsers.add_parser("simulate", help="label through the API from ground truth")
    sim.add_argument("url", help="server address, e.g. http://127.0.0.1:8000")
    sim.add_argument("--tokens", required=True, help="file with one token per line (last field)")
    truth = sim.add_mutually_exclusive_group(required=True)
    truth.add_argument("--truth", help="CSV/JSONL/Parquet file with item ids and labels")
    truth.add_argument("--imdb", help="aclImdb archive: its labels are the truth")
    sim.add_argument("--id-column", default="id")
    sim.add_argument("--label-column", default="label")
    sim.add_argument("--duration", type=float, help="seconds to run (default: until done)")
    sim.add_argument("--max-labels", type=int)
    sim.add_argument("--error-rate", type=float, default=0.0)
    sim.add_argument("--think", type=float, default=0.0, help="seconds between answers")
    sim.add_argument(
        "--think-max", type=float, help="draw each pause from [--think, --think-max] seconds"
    )
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=run_simulation)


def run_server(args: argparse.Namespace) -> int:
    from activelearn.cli.project import open_store
    from activelearn.server.run import serve

    store = open_store(args)
    name = store.project(args.project).name  # refuses a wrong --project before any link
    store.close()
    port = args.port or _free_port(args.host)
    print(_links(args.folder, name, args.host, port), flush=True)
    serve(
        args.folder, url=args.db, project=args.project, host=args.host, port=port,
        allowed_hosts=args.allow_host, isolate=not args.in_process,
    )  # fmt: skip
    return 0


def _links(folder: str, name: str, host: str, port: int) -> str:
    """Where people open the page: only the server knows its address, so it says it here.

    Tokens are shown once, when made, and only their hashes are kept: the
    link is printed with a placeholder each person replaces with their own.
    """
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    address = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"
    lines = [
        f"labeling app for project {name!r}: {address}",
        f"  each person opens {address}#token=THEIR_TOKEN",
        f"  (a new or lost token: activelearn project token {folder} NAME [--rotate])",
    ]
    if shown != host:
        lines.append(f"  from other machines: this machine's address instead of {shown}")
    return "\n".join(lines)


def _free_port(host: str) -> int:
    """``--port 0``: a free port picked now, so the links printed name the real one."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def run_simulation(args: argparse.Namespace) -> int:
    from activelearn.server.simulate import simulate

    path = Path(args.tokens)
    if not path.is_file():
        raise ConfigError(f"no tokens file at {path}: write one token per line (last field)")
    tokens = [line.split()[-1] for line in path.read_text().splitlines() if line.strip()]
    if not tokens:
        raise ConfigError(f"{args.tokens} holds no tokens")
    report = simulate(
        args.url, tokens, _truth(args), duration=args.duration, max_labels=args.max_labels,
        error_rate=args.error_rate, seed=args.seed,
        think_seconds=args.think if args.think_max is None else (args.think, args.think_max),
    )  # fmt: skip
    print(f"{len(tokens)} annotators: {report.summary()}")
    return 0


def _truth(args: argparse.Namespace) -> dict[str, Any]:
    if args.imdb:
        from activelearn.data.imdb import load_imdb

        truth: dict[str, Any] = {}
        for data in load_imdb(args.imdb, download=False):
            truth.update(zip(map(str, data.ids.tolist()), data.labels.tolist(), strict=True))
        return truth
    from activelearn.data.tabular import read_table

    table = read_table(args.truth)
    ids, labels = table.column(args.id_column), table.column(args.label_column)
    return {str(i): label for i, label in zip(ids, labels, strict=True) if label is not None}
