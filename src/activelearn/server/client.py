"""A Python client for the labeling server's HTTP API (used by the simulated annotator and tools).

Every answer carries a fresh submission id, and a send that fails on the
network is retried with the *same* id, so a retry can never record an
answer twice.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from activelearn.errors import ActiveLearnError


class ServerError(ActiveLearnError):
    """The server refused a request; ``status`` is the HTTP status, the message its reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Client:
    """One annotator's session with a labeling server."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0, retries: int = 3) -> None:
        self.retries = retries
        self.http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------------------------

    def project(self) -> dict[str, Any]:
        return self._call("GET", "/api/project")

    def next_item(self) -> dict[str, Any] | None:
        """The item leased to this annotator, or None when there is nothing left."""
        return self._call("POST", "/api/next")["item"]

    def label(
        self, item_id: str, label: Any, *, model_version: int | None = None,
        submission_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        body = {
            "submission_id": submission_id or new_submission_id(),
            "item_id": item_id,
            "label": str(label),
            "model_version": model_version,
        }
        return self._call("POST", "/api/labels", body)

    def correct(
        self, item_id: str, label: Any, *, note: str | None = None,
        submission_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Set any item's label (admin token): replaces its live label or flag."""
        body = {
            "submission_id": submission_id or new_submission_id(),
            "item_id": item_id,
            "label": str(label),
            "note": note,
        }
        return self._call("POST", "/api/corrections", body)

    def skip(self, item_id: str) -> dict[str, Any]:
        return self._call(
            "POST", "/api/skip", {"submission_id": new_submission_id(), "item_id": item_id}
        )

    def flag(self, item_id: str, note: str | None = None) -> dict[str, Any]:
        body = {"submission_id": new_submission_id(), "item_id": item_id, "note": note}
        return self._call("POST", "/api/flag", body)

    def undo(self) -> dict[str, Any]:
        return self._call("POST", "/api/undo")

    def progress(self) -> dict[str, Any]:
        return self._call("GET", "/api/progress")

    def model(self) -> dict[str, Any]:
        return self._call("GET", "/api/model")

    def curve(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/curve")

    def train(self) -> dict[str, Any]:
        return self._call("POST", "/api/model/train")

    def export(self, path: str | Path, fmt: str | None = None) -> Path:
        """Download the labels (admin token) to ``path``; the format follows its extension."""
        path = Path(path)
        fmt = fmt or path.suffix.lstrip(".")
        response = self._request("GET", "/api/export", params={"format": fmt})
        path.write_bytes(response.content)
        return path

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return self._request(method, url, json=body).json()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send, retrying network failures; the body (and its submission id) stays the same."""
        attempt = 0
        while True:
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                attempt += 1
                if attempt > self.retries:
                    raise
                time.sleep(0.2 * 2**attempt)
                continue
            if response.status_code >= 400:
                raise ServerError(response.status_code, _detail(response))
            return response


def new_submission_id() -> str:
    return uuid.uuid4().hex


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) for d in detail)
    return str(detail)
