"""The labeling server: a FastAPI app over the label store, the trainer and the static page.

Secure by default: every route that reads or writes project data needs an
annotator's token (``Authorization: Bearer ...``); no CORS headers are sent,
so other sites cannot call the API from a browser; the Host header must name
the address the server is bound to (no DNS rebinding); request bodies are
capped; the page is served with a strict Content-Security-Policy; a token in
the address (``?token=...``) is refused and kept out of the access log.

(No ``from __future__ import annotations`` here: FastAPI reads the route
signatures at runtime, including type aliases local to ``create_app``.)
"""

import mimetypes
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

from activelearn.server.admin import add_admin_routes
from activelearn.server.trainer import Trainer
from activelearn.store.errors import Forbidden, InvalidInput, NotFound, StoreError
from activelearn.store.export import FORMATS, SUFFIXES, export_labels
from activelearn.store.models import FLAG, LABEL, SKIP
from activelearn.store.store import AnnotatorInfo, ItemView, LabelRecord, Store

MAX_BODY_BYTES = 64 * 1024
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
STATIC = resources.files("activelearn.server") / "static"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
# Query parameters that carry credentials in other APIs: never accepted here.
TOKEN_PARAMETERS = {"token", "access_token", "auth", "authorization", "bearer", "api_key", "key"}
SubmissionId = Annotated[str, Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
ItemId = Annotated[str, Field(min_length=1, max_length=500)]


# -- request and response bodies ---------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelIn(_Body):
    submission_id: SubmissionId = Field(description="Client-generated; a resend is answered once.")
    item_id: ItemId
    label: str = Field(max_length=200)
    model_version: int | None = Field(None, description="Version of the prediction shown.")


class CorrectionIn(_Body):
    submission_id: SubmissionId
    item_id: ItemId
    label: str = Field(max_length=200)
    note: str | None = Field(None, max_length=2000, description="Why the label was changed.")


class SkipIn(_Body):
    submission_id: SubmissionId
    item_id: ItemId


class FlagIn(_Body):
    submission_id: SubmissionId
    item_id: ItemId
    note: str | None = Field(None, max_length=2000)


class ItemOut(BaseModel):
    id: str
    text: str | None
    has_image: bool
    meta: dict[str, Any] | None
    lease_expires: float | None
    prediction: dict[str, Any] | None = None


class NextOut(BaseModel):
    item: ItemOut | None
    reason: str = ""


class AnswerOut(BaseModel):
    id: str
    kind: str
    label: str | None
    annotator: str
    time: float
    submission_id: str
    replayed: bool = Field(description="True when this submission id had been recorded before.")


class UndoOut(BaseModel):
    undone: AnswerOut
    item: ItemOut | None


class _Unauthorized(Exception):
    pass


class _NoTokensInAddresses:
    """Refuse a request whose address carries a token, and blank it before it is logged.

    Addresses end up in access logs, proxy logs and browser history, so a
    token there is as good as published. uvicorn writes its access-log line
    from the request's scope once the response starts; the value is replaced
    in that scope first, so the log shows ``token=[redacted]``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            if any(name.lower() in TOKEN_PARAMETERS for name, _ in pairs):
                scope["query_string"] = urlencode(
                    [(n, "[redacted]" if n.lower() in TOKEN_PARAMETERS else v) for n, v in pairs]
                ).encode("latin-1")
                refusal = JSONResponse(
                    {
                        "detail": "a token in the address is refused: addresses end up in logs "
                        "and browser history. Send `Authorization: Bearer <token>` (the page "
                        "reads its token from the link's #token=... part, which is never sent); "
                        "if that token was real, replace it: "
                        "activelearn project token DIR NAME --rotate"
                    },
                    status_code=400,
                    headers=SECURITY_HEADERS,
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- the app -------------------------------------------------------------------------------------


def create_app(
    store: Store,
    project_id: int,
    *,
    trainer: Trainer | None = None,
    allowed_hosts: list[str] | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The labeling app for one project. ``allowed_hosts`` defaults to loopback names."""
    trainer = trainer or Trainer(store, project_id)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        trainer.start()
        yield
        trainer.stop()

    app = FastAPI(
        title="activelearn labeling server",
        description="Label items, watch the model learn. Every /api route but /api/health "
        "needs `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        max_body_size=max_body,  # 413 for longer bodies, declared or streamed
        # Swagger UI and ReDoc load scripts from a CDN, which the page's CSP (and the
        # project's no-CDN rule) forbid: the API is described by /openapi.json alone.
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.trainer = trainer
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=allowed_hosts or ["127.0.0.1", "localhost", "[::1]"]
    )
    app.add_middleware(_NoTokensInAddresses)  # added last: the outermost, before anything logs

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(StoreError)
    async def store_error(_request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    def annotator(authorization: Annotated[str | None, Header()] = None) -> AnnotatorInfo:
        scheme, _, token = (authorization or "").partition(" ")
        who = store.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if who is None or who.project_id != project_id:
            raise _Unauthorized
        return who

    def admin(who: Annotated[AnnotatorInfo, Depends(annotator)]) -> AnnotatorInfo:
        if not who.is_admin:
            raise Forbidden("this needs an admin token: activelearn project token DIR NAME --admin")
        return who

    @app.exception_handler(_Unauthorized)
    async def unauthorized(_request: Request, _exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(
            {"detail": "missing or wrong token: send `Authorization: Bearer <your token>`"},
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )

    Who = Annotated[AnnotatorInfo, Depends(annotator)]
    Admin = Annotated[AnnotatorInfo, Depends(admin)]

    def item_out(item: ItemView) -> ItemOut:
        return ItemOut(
            id=item.id,
            text=item.text,
            has_image=item.image is not None,
            meta=item.meta,
            lease_expires=item.lease_expires,
            prediction=trainer.predict(item.id),
        )

    def answer(record: LabelRecord) -> AnswerOut:
        return AnswerOut(
            id=record.id,
            kind=record.kind,
            label=record.label,
            annotator=record.annotator,
            time=record.time,
            submission_id=record.submission_id,
            replayed=record.replayed,
        )

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, bool]:
        """Liveness only: no project data, no token needed."""
        return {"ok": True}

    @app.get("/api/project", tags=["meta"])
    def project(who: Who) -> dict[str, Any]:
        """Name, classes (the order of keys 1-9), budget, and who you are."""
        info = store.project_info(project_id)
        return {
            "name": info.name,
            "classes": info.classes,
            "budget": info.budget,
            "strategy": info.strategy,
            "annotator": who.name,
            "admin": who.is_admin,
        }

    @app.post("/api/next", tags=["labeling"])
    def next_item(who: Who) -> NextOut:
        """Lease the next item to you (the same one again until you answer or it expires)."""
        item, reason = store.next_item(who)
        return NextOut(item=item_out(item) if item else None, reason=reason)

    @app.post("/api/labels", tags=["labeling"])
    def submit_label(body: LabelIn, who: Who) -> AnswerOut:
        """Label the item /api/next leased to you. Resending the same submission_id is safe:
        it is recorded once. ``model_version`` must be that of the prediction shown, or null."""
        record = store.submit(
            who, body.item_id, body.submission_id, kind=LABEL, value=body.label,
            model_version=body.model_version,
        )  # fmt: skip
        trainer.notify()
        return answer(record)

    @app.post("/api/corrections", tags=["labeling"])
    def correct(body: CorrectionIn, who: Admin) -> AnswerOut:
        """Set the label of any item not leased to someone else (admin only); it replaces
        the item's live label or flag. Everyone else labels only what /api/next gives them."""
        record = store.correct(who, body.item_id, body.submission_id, body.label, note=body.note)
        trainer.notify()
        return answer(record)

    @app.post("/api/skip", tags=["labeling"])
    def skip(body: SkipIn, who: Who) -> AnswerOut:
        """Pass on an item: it goes back to the queue, and comes back to you after the rest."""
        return answer(store.submit(who, body.item_id, body.submission_id, kind=SKIP))

    @app.post("/api/flag", tags=["labeling"])
    def flag(body: FlagIn, who: Who) -> AnswerOut:
        """Mark an item as broken or unclear: it leaves the queue and shows in exports."""
        return answer(
            store.submit(who, body.item_id, body.submission_id, kind=FLAG, note=body.note)
        )

    @app.post("/api/undo", tags=["labeling"])
    def undo(who: Who) -> UndoOut:
        """Take back your last answer; its item is leased to you again."""
        record, item = store.undo(who)
        return UndoOut(undone=answer(record), item=item_out(item) if item else None)

    @app.get("/api/progress", tags=["status"])
    def progress(who: Who) -> dict[str, Any]:
        """Labels so far (overall, per class, yours) against the budget."""
        return store.progress(project_id, who)

    @app.get("/api/model", tags=["status"])
    def model_status(_who: Who) -> dict[str, Any]:
        """State (training/ready/failed/none), version serving, held-out metrics and errors.

        ``first_model`` says, while no model serves or trains, what the first one waits for.
        """
        status = trainer.status()
        idle = status["version"] is None and status["training_version"] is None
        return {**status, "first_model": store.readiness(project_id).explain() if idle else None}

    @app.post("/api/model/train", tags=["status"], status_code=202)
    def train(_who: Admin) -> dict[str, str]:
        """Retrain now instead of waiting for the next batch of labels."""
        trainer.request()
        return {"detail": "training requested"}

    @app.get("/api/curve", tags=["status"])
    def curve(_who: Who) -> list[dict[str, Any]]:
        """Held-out accuracy and F1 of every ready version against the labels it used."""
        return [
            {
                "version": v["version"],
                "n_train": v["n_train"],
                "n_heldout": v["n_heldout"],
                **{k: v["metrics"].get(k) for k in ("accuracy", "f1", "macro_f1", "fp", "fn")},
            }
            for v in store.versions(project_id)
            if v["status"] == "ready" and v["metrics"]
        ]

    @app.get("/api/export", tags=["data"])
    def export(
        _who: Admin,
        fmt: Annotated[str, Query(alias="format", pattern=f"^({'|'.join(FORMATS)})$")] = "csv",
    ) -> Response:
        """All live labels and flags as CSV, JSON Lines, Parquet or Label Studio tasks
        (admin only)."""
        name = f"labels.{SUFFIXES.get(fmt, fmt)}"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            export_labels(store, project_id, path, fmt)
            content = path.read_bytes()
        media = {"csv": "text/csv", "jsonl": "application/x-ndjson",
                 "label-studio": "application/json"}  # fmt: skip
        return Response(
            content,
            media_type=media.get(fmt, "application/octet-stream"),
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/api/image", tags=["labeling"])
    def image(
        item_id: Annotated[str, Query(alias="item", max_length=500)], _who: Who
    ) -> FileResponse:
        """An item's image; only files inside the project folder are ever served."""
        item = store.item(project_id, item_id)
        if item.image is None:
            raise NotFound(f"item {item_id!r} has no image")
        path = store.resolve_image(item.image)
        if path.suffix.lower() not in IMAGE_TYPES:
            raise InvalidInput(f"{item.image!r} is not an image file ({', '.join(IMAGE_TYPES)})")
        if not path.is_file():
            raise NotFound(f"the image of item {item_id!r} is missing from the project folder")
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0])

    add_admin_routes(app, store, project_id, trainer, admin)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it whatever the page says; an SVG icon answers instead of a 404."""
        return FileResponse(str(STATIC / "favicon.svg"), media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
