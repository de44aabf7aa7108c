"""The HTTP API: auth, the labeling actions, and clear 4xx answers that write nothing."""

from __future__ import annotations

import pytest

from activelearn.store.models import Item


def _next(client, project, who="alice"):
    return client.post("/api/next", headers=project.headers(who)).json()["item"]


def _label(client, project, item_id, label, who="alice", submission="submission-0001"):
    return client.post(
        "/api/labels",
        headers=project.headers(who),
        json={"submission_id": submission, "item_id": item_id, "label": label},
    )


def _answers(project):
    return project.store.labels(project.info.id, kinds=("label", "skip", "flag"))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/project"),
        ("post", "/api/next"),
        ("post", "/api/labels"),
        ("post", "/api/corrections"),
        ("post", "/api/skip"),
        ("post", "/api/flag"),
        ("post", "/api/undo"),
        ("get", "/api/progress"),
        ("get", "/api/model"),
        ("post", "/api/model/train"),
        ("get", "/api/curve"),
        ("get", "/api/export"),
        ("get", "/api/image?item=1"),
        ("get", "/api/admin/overview"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic YWxpY2U6eA==", "Bearer "])
def test_every_data_route_needs_a_valid_token(client, project, method, path, auth):
    headers = {} if auth is None else {"Authorization": auth}
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == 401
    assert "token" in response.json()["detail"]
    assert _answers(project) == []


def test_health_and_page_need_no_token(client):
    assert client.get("/api/health").json() == {"ok": True}
    page = client.get("/")
    assert page.status_code == 200 and "app.js" in page.text


def test_no_cors_and_strict_headers(client, project):
    preflight = client.options(
        "/api/labels",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    response = client.get(
        "/api/project", headers={**project.headers(), "Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_foreign_host_header_is_refused(client):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not reach the API."""
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 400


def test_label_flow(client, project):
    item = _next(client, project)
    assert item["text"] and item["prediction"] is None
    assert _next(client, project)["id"] == item["id"]  # same lease on reload
    response = _label(client, project, item["id"], project.truth[item["id"]])
    assert response.status_code == 200
    assert response.json()["replayed"] is False
    again = _label(client, project, item["id"], project.truth[item["id"]])
    assert again.status_code == 200 and again.json()["replayed"] is True
    progress = client.get("/api/progress", headers=project.headers()).json()
    assert progress["labeled"] == 1 and progress["mine"] == 1
    assert len(_answers(project)) == 1


def test_skip_flag_and_undo(client, project):
    h = project.headers()
    first = _next(client, project)
    skip = client.post(
        "/api/skip", headers=h, json={"submission_id": "skip-00001", "item_id": first["id"]}
    )
    assert skip.status_code == 200 and skip.json()["kind"] == "skip"
    second = _next(client, project)
    assert second["id"] != first["id"]
    flag = client.post(
        "/api/flag", headers=h,
        json={"submission_id": "flag-00001", "item_id": second["id"], "note": "spam"},
    )  # fmt: skip
    assert flag.status_code == 200
    third = _next(client, project)
    assert _label(client, project, third["id"], "pos").status_code == 200
    undo = client.post("/api/undo", headers=h).json()
    assert undo["undone"]["id"] == third["id"] and undo["item"]["id"] == third["id"]
    assert [a.kind for a in _answers(project)] == ["skip", "flag"]
    assert client.post("/api/undo", headers=h).json()["undone"]["kind"] == "flag"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"item_id": "9999", "label": "pos"}, 404, "no item with id '9999'"),
        ({"label": "maybe"}, 422, "not one of the classes"),
        ({"label": "pos", "extra": 1}, 422, "Extra inputs are not permitted"),
        ({"label": "pos", "submission_id": "short"}, 422, "at least 8 characters"),
        ({"label": "pos", "submission_id": "has spaces !"}, 422, "pattern"),
        ({"label": 3}, 422, "valid string"),
    ],
)
def test_bad_label_requests_are_refused_and_write_nothing(client, project, body, status, message):
    item = _next(client, project)
    payload = {"submission_id": "submission-0001", "item_id": item["id"], **body}
    response = client.post("/api/labels", headers=project.headers(), json=payload)
    assert response.status_code == status, response.text
    assert message in str(response.json()["detail"])
    assert _answers(project) == []


def test_the_queue_cannot_be_bypassed(client, project):
    """Held-out items are chosen by the queue: labeling one never served to you is refused."""
    served = _next(client, project)
    heldout = [
        key for key in project.truth
        if key != served["id"] and project.store.item(project.info.id, key).split == "heldout"
    ]  # fmt: skip
    response = _label(client, project, heldout[0], project.truth[heldout[0]])
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"item '{heldout[0]}' is not leased to you: answer the item that \"next item\" gives you"
    )
    skip = client.post(
        "/api/skip", headers=project.headers(),
        json={"submission_id": "skip-00001", "item_id": heldout[1]},
    )  # fmt: skip
    assert skip.status_code == 409
    assert _answers(project) == []


def test_model_version_must_exist(client, project):
    item = _next(client, project)
    response = client.post(
        "/api/labels", headers=project.headers(),
        json={"submission_id": "submission-0001", "item_id": item["id"], "label": "pos",
              "model_version": 999999},
    )  # fmt: skip
    assert response.status_code == 422
    assert "model version 999999 never made a prediction" in response.json()["detail"]
    assert _answers(project) == []


def test_admins_correct_labels_annotators_cannot(client, project):
    item = _next(client, project)
    assert _label(client, project, item["id"], "pos").status_code == 200
    body = {"submission_id": "correction-01", "item_id": item["id"], "label": "neg", "note": "x"}
    denied = client.post("/api/corrections", headers=project.headers("bob"), json=body)
    assert denied.status_code == 403 and "admin token" in denied.json()["detail"]
    fixed = client.post("/api/corrections", headers=project.headers("admin"), json=body)
    assert fixed.status_code == 200 and fixed.json()["annotator"] == "admin"
    assert [(a.id, a.label, a.annotator) for a in _answers(project)] == [
        (item["id"], "neg", "admin")
    ]


def test_model_status_says_what_the_first_model_waits_for(client, project):
    status = client.get("/api/model", headers=project.headers()).json()
    assert status["state"] == "none"
    assert status["first_model"] == (
        "no model yet: the first one trains after 10000 labels incl. 2 held-out "
        "(so far 0 labels, 0 held-out)"
    )


def test_foreign_lease_is_refused(client, project):
    item = _next(client, project, "alice")
    response = _label(client, project, item["id"], "pos", who="bob")
    assert response.status_code == 409
    assert "leased to another annotator" in response.json()["detail"]
    assert _answers(project) == []


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 422),
        (b"[1, 2]", {"content-type": "application/json"}, 422),
        (b"x" * 70_000, {"content-type": "application/json"}, 413),
    ],
)
def test_malformed_and_oversized_bodies(client, project, content, headers, status):
    response = client.post("/api/labels", headers={**project.headers(), **headers}, content=content)
    assert response.status_code == status
    assert "Too Large" in response.text if status == 413 else response.json()["detail"]
    assert _answers(project) == []


def test_oversized_chunked_body_without_length_is_refused(client, project):
    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    response = client.post("/api/labels", headers=project.headers(), content=chunks())
    assert response.status_code == 413
    assert _answers(project) == []


def test_export_is_for_admins(client, project):
    item = _next(client, project)
    _label(client, project, item["id"], "pos")
    assert client.get("/api/export", headers=project.headers("alice")).status_code == 403
    response = client.get("/api/export?format=jsonl", headers=project.headers("admin"))
    assert response.status_code == 200
    assert '"label": "pos"' in response.text
    bad = client.get("/api/export?format=xml", headers=project.headers("admin"))
    assert bad.status_code == 422
    studio = client.get("/api/export?format=label-studio", headers=project.headers("admin"))
    assert studio.headers["content-disposition"] == 'attachment; filename="labels.json"'
    (task,) = studio.json()
    assert task["data"]["activelearn_id"] == item["id"]
    assert task["annotations"][0]["result"][0]["value"] == {"choices": ["pos"]}


def test_images_only_from_inside_the_project_folder(client, project, tmp_path):
    store = project.store
    (store.folder / "img").mkdir()
    (store.folder / "img" / "cat.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.png").write_bytes(b"TOP-SECRET-BYTES")
    store.add_items(project.info.id, images=["img/cat.png"], ids=["cat"])
    # Paths that escape can only get in by writing the database directly; the endpoint
    # checks again on every request.
    with store.write() as session:
        for key, path in [("up", "../secret.png"), ("abs", str(tmp_path / "secret.png")),
                          ("db", "labels.db")]:  # fmt: skip
            session.add(Item(project_id=project.info.id, external_id=key, image=path, rank=0))
    h = project.headers()
    ok = client.get("/api/image", params={"item": "cat"}, headers=h)
    assert ok.status_code == 200 and ok.content == b"\x89PNG fake"
    for key in ("up", "abs"):
        response = client.get("/api/image", params={"item": key}, headers=h)
        assert response.status_code == 422
        assert "outside the project folder" in response.json()["detail"]
        assert b"TOP-SECRET-BYTES" not in response.content
    assert client.get("/api/image", params={"item": "db"}, headers=h).status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/static/../labels.db", "/static/%2e%2e/labels.db", "/static/..%2f..%2fetc%2fpasswd",
     "/static/%2e%2e%2f%2e%2e%2fstore%2fstore.py"],
)  # fmt: skip
def test_static_files_cannot_escape(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"SQLite" not in response.content and b"root:" not in response.content


def test_openapi_documents_every_route_the_page_uses(client):
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN
    paths = client.get("/openapi.json").json()["paths"]
    for route in ["/api/next", "/api/labels", "/api/corrections", "/api/skip", "/api/flag",
                  "/api/undo", "/api/progress", "/api/model", "/api/model/train", "/api/curve",
                  "/api/export", "/api/image", "/api/project"]:  # fmt: skip
        assert route in paths
    page = (client.get("/static/app.js")).text
    used = ["/api/next", "/api/labels", "/api/skip", "/api/flag", "/api/undo", "/api/progress",
            "/api/model", "/api/curve", "/api/image", "/api/project"]  # fmt: skip
    for route in used:
        assert route in page


@pytest.mark.parametrize("script", ["/static/app.js", "/static/admin.js"])
def test_page_never_writes_html_from_data(client, script):
    script = client.get(script).text
    assert "innerHTML" not in script and "outerHTML" not in script
    assert "insertAdjacentHTML" not in script and "document.write" not in script


def test_the_admin_overview_is_for_admins_and_says_why_items_are_queued(client, project):
    assert client.get("/api/admin/overview", headers=project.headers("alice")).status_code == 403
    alice = project.store.authenticate(project.tokens["alice"])
    for n in range(20):
        item, _ = project.store.next_item(alice)
        project.store.submit(alice, item.id, f"s{n}", value=project.truth[item.id])
    client.app.state.trainer.train_once()
    overview = client.get("/api/admin/overview", headers=project.headers("admin")).json()
    assert overview["state"]["state"] == "ready" and overview["state"]["version"] == 1
    assert {a["name"]: a["labels"] for a in overview["annotators"]}["alice"] == 20
    (version,) = overview["versions"]
    assert set(version["class_f1"]) == {"neg", "pos"} and version["macro_f1"] is not None
    pool = [q for q in overview["queue"] if q["split"] == "pool"]
    assert len(pool) == 20 and [q["position"] for q in pool] == list(range(1, 21))
    assert pool[0]["why"].startswith("ranked by least_confidence, score ")
    assert pool[0]["why"].endswith("(model v1)") and pool[0]["score"] >= pool[-1]["score"]
    heldout = [q for q in overview["queue"] if q["split"] == "heldout"]
    assert heldout and heldout[0]["why"].startswith("held out")
    curve = client.get("/api/curve", headers=project.headers("alice")).json()
    assert curve[0]["macro_f1"] == version["macro_f1"]


@pytest.mark.parametrize(
    "path", ["/api/project?token={}", "/?access_token={}", "/api/image?item=1&TOKEN={}"]
)
def test_a_token_in_the_address_is_refused(client, project, path):
    response = client.get(path.format(project.tokens["alice"]), headers=project.headers())
    assert response.status_code == 400
    assert "a token in the address is refused" in response.json()["detail"]
    assert "--rotate" in response.json()["detail"]
    assert response.headers["cache-control"] == "no-store"


def test_favicon_is_served(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/favicon.svg").status_code == 200
