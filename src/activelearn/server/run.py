"""Start the labeling server for a project folder with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from activelearn.server.app import create_app
from activelearn.server.trainer import Trainer
from activelearn.store.store import Store

LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]
log = logging.getLogger(__name__)


def serve(
    folder: str,
    *,
    url: str | None = None,
    project: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: list[str] | None = None,
    isolate: bool = True,
    log_level: str = "info",
) -> None:
    """Serve ``folder``'s project until interrupted; loopback only unless ``host`` says so."""
    store = Store.open(folder, url)
    info = store.project(project)
    hosts = LOOPBACK + [h for h in [host, *(allowed_hosts or [])] if h not in LOOPBACK]
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "serving on %s: anyone who can reach it and holds a token can label; "
            "put it behind TLS (a reverse proxy) on untrusted networks",
            host,
        )
    trainer = Trainer(store, info.id, isolate=isolate)
    app = create_app(store, info.id, trainer=trainer, allowed_hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
