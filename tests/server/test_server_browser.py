"""A real Chromium drives the page with the keyboard alone (Playwright, Debian's chromium)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from server_helpers import live_server, new_project
from sqlalchemy import update

from activelearn.store.models import Lease

playwright_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOSTILE = (
    "Great film.<br /><br />Really <script>window.__xss = 1</script>"
    '<img src=x onerror="window.__xss = 2">'
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="needs Debian's chromium: apt-get install -y chromium",
    ),
]


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _project(tmp_path):
    project = new_project(tmp_path / "p", n=40, heldout_fraction=0.0)
    project.store.add_items(project.info.id, texts=[HOSTILE], ids=["hostile"], priority=5)
    project.truth["hostile"] = "pos"
    return project


def _shown(page) -> str:
    page.wait_for_function("document.getElementById('card').dataset.itemId")
    return page.eval_on_selector("#card", "card => card.dataset.itemId")


def _press_and_wait(page, key: str, before: str) -> str:
    page.keyboard.press(key)
    page.wait_for_function(
        "before => { const id = document.getElementById('card').dataset.itemId;"
        " return id && id !== before; }",
        arg=before,
    )
    return _shown(page)


def test_label_twenty_items_with_the_keyboard_and_undo_once(tmp_path, browser):
    project = _project(tmp_path)
    keys = {"neg": "1", "pos": "2"}
    with live_server(project.store.folder) as (url, _process):
        # Playwright's waits evaluate code, which the page's CSP forbids: bypassing it also
        # shows that escaping alone keeps the hostile review inert (CSP is a second layer).
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{url}/#token={project.tokens['alice']}")
        current = _shown(page)

        # The hostile review comes first and is shown as text: no script ran, no element made.
        assert current == "hostile"
        assert page.text_content("#item-text") == HOSTILE.replace("<br />", "\n")
        assert page.locator("#item-text script, #item-text img, #item-text br").count() == 0
        assert page.evaluate("window.__xss") is None
        assert "#token" not in page.url  # the token left the address bar

        typed: dict[str, str] = {}
        for _ in range(20):
            label = project.truth[current]
            typed[current] = label
            current = _press_and_wait(page, keys[label], current)
        last = list(typed)[-1]
        page.keyboard.press("u")
        page.wait_for_function(
            "last => document.getElementById('card').dataset.itemId === last", arg=last
        )
        del typed[last]
        page.wait_for_function("localStorage.getItem('activelearn.queue') === '[]'")
        page.wait_for_function(
            "document.getElementById('progress').textContent.startsWith('19 / ')"
        )
        page.close()

    stored = {r.id: r.label for r in project.store.labels(project.info.id)}
    assert stored == typed and len(stored) == 19
    assert {r.annotator for r in project.store.labels(project.info.id)} == {"alice"}


def test_an_answer_typed_offline_survives_a_closed_tab(tmp_path, browser):
    project = _project(tmp_path)
    with live_server(project.store.folder) as (url, _process):
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.goto(f"{url}/#token={project.tokens['bob']}")
        shown = _shown(page)
        # The page has finished starting (its last step fills the model status): going offline
        # earlier fails that step too, and its message can land over the one checked below.
        page.wait_for_function("document.getElementById('model-status').textContent !== ''")
        context.set_offline(True)
        page.keyboard.press("2")
        page.wait_for_function("document.getElementById('message').textContent.includes('kept')")
        queued = page.evaluate("JSON.parse(localStorage.getItem('activelearn.queue'))")
        assert [entry["body"]["item_id"] for entry in queued] == [shown]
        page.close()
        assert project.store.labels(project.info.id) == []

        context.set_offline(False)
        again = context.new_page()
        again.goto(url)  # the token is remembered; the queue is replayed on load
        again.wait_for_function("localStorage.getItem('activelearn.queue') === '[]'")
        assert _shown(again) != shown
        context.close()
    assert [(r.id, r.label) for r in project.store.labels(project.info.id)] == [(shown, "pos")]


def test_a_network_blip_while_the_page_starts_leaves_it_working(tmp_path, browser):
    """The start-up's progress and model calls fail once: the page still resends answers and
    refreshes the model on its timers, and says nothing that covers an answer's message."""
    project = _project(tmp_path)
    with live_server(project.store.folder) as (url, _process):
        page = browser.new_page(bypass_csp=True)
        failed = []

        def once(route):
            if route.request.url in failed:
                return route.continue_()
            failed.append(route.request.url)
            return route.abort()

        page.route("**/api/progress", once)
        page.route("**/api/model", once)
        page.goto(f"{url}/#token={project.tokens['bob']}")
        _shown(page)
        page.wait_for_function(
            "document.getElementById('model-status').textContent.startsWith('model: ')"
            " && !document.getElementById('model-status').textContent.includes('unavailable')"
        )  # the timer's refresh, after the failed first one
        assert len(failed) == 2
        assert page.text_content("#message") == ""
        page.close()


def _refused(page) -> str:
    return page.text_content("#refused") if page.is_visible("#refused") else ""


def test_a_refused_answer_stays_on_screen_until_dismissed(tmp_path, browser):
    """A 409 (the lease expired and someone else took the item) must not vanish unseen."""
    project = _project(tmp_path)
    with live_server(project.store.folder) as (url, _process):
        page = browser.new_page(bypass_csp=True)
        missing = []  # the page's own files, favicon included (the API's 409 is expected)
        page.on(
            "response",
            lambda r: missing.append(r.url) if r.status >= 400 and "/api/" not in r.url else None,
        )
        page.goto(f"{url}/#token={project.tokens['alice']}")
        assert _shown(page) == "hostile"
        # Alice's lease runs out while she reads; Bob is given the item.
        with project.store.write() as session:
            session.execute(update(Lease).values(expires_at=time.time() - 1))
        bob = project.store.authenticate(project.tokens["bob"])
        assert project.store.next_item(bob)[0].id == "hostile"

        current = _press_and_wait(page, "2", "hostile")  # the page moves on to the next item
        page.wait_for_timeout(1500)  # the next item is shown, counts refresh: still there
        refused = _refused(page)
        assert "Not saved: your label “pos” for item hostile (“Great film." in refused
        assert "was refused: item 'hostile' is leased to another annotator" in refused
        assert page.locator("#refused script, #refused img").count() == 0
        assert page.evaluate("window.__xss") is None

        page.keyboard.press("1")  # answers wait until the refusal is dismissed
        page.wait_for_function(
            "document.getElementById('message').textContent.includes('dismiss it first')"
        )
        assert _shown(page) == current and project.store.labels(project.info.id) == []

        page.reload()  # still there after a reload: it was never acknowledged
        assert _shown(page) == current  # (the item is still leased to Alice)
        assert "item hostile" in _refused(page)
        page.keyboard.press("Escape")
        page.wait_for_function("document.getElementById('refused').hidden")
        label = project.truth[current]
        _press_and_wait(page, {"neg": "1", "pos": "2"}[label], current)
        page.reload()
        _shown(page)
        assert _refused(page) == ""
        page.close()
    assert [(r.id, r.label) for r in project.store.labels(project.info.id)] == [(current, label)]
    assert missing == []


def test_skip_and_flag_say_what_they_did_and_flag_takes_a_note(tmp_path, browser):
    project = _project(tmp_path)
    with live_server(project.store.folder) as (url, _process):
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{url}/#token={project.tokens['alice']}")
        first = _shown(page)
        second = _press_and_wait(page, "s", first)
        message = page.text_content("#message")
        assert message.startswith(f"Skipped item {first} (“Great film.")
        assert message.endswith("it comes back after the rest.")

        page.keyboard.press("f")
        page.wait_for_function("document.activeElement.id === 'flag-note'")
        assert f"item {second}" in page.text_content("#flag-form")
        page.keyboard.type("sfu 123: the text is garbled")  # keys typed here answer nothing
        assert _shown(page) == second
        page.keyboard.press("Enter")
        page.wait_for_function(
            "before => document.getElementById('card').dataset.itemId !== before", arg=second
        )
        assert page.text_content("#message") == (
            f"Flagged item {second} (“{project.store.item(project.info.id, second).text}”) "
            "(note: “sfu 123: the text is garbled”): it leaves the queue."
        )
        third = _shown(page)
        page.keyboard.press("f")
        page.wait_for_function("document.activeElement.id === 'flag-note'")
        page.keyboard.press("Escape")  # changed their mind: nothing flagged
        page.wait_for_function("document.getElementById('flag-form').hidden")
        assert _shown(page) == third
        page.close()
    answers = project.store.labels(project.info.id, kinds=("skip", "flag"))
    assert [(a.id, a.kind, a.note) for a in answers] == [
        (first, "skip", None), (second, "flag", "sfu 123: the text is garbled"),
    ]  # fmt: skip


def test_the_admin_view_trains_plots_previews_and_exports(tmp_path, browser):
    project = new_project(tmp_path / "p", n=60, heldout_fraction=0.25)
    alice = project.store.authenticate(project.tokens["alice"])
    for n in range(24):
        item, _ = project.store.next_item(alice)
        project.store.submit(alice, item.id, f"s{n}", value=project.truth[item.id])
    with live_server(project.store.folder) as (url, _process):
        page = browser.new_page(bypass_csp=True)
        blocked = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text
                else None)  # fmt: skip
        page.goto(f"{url}/#token={project.tokens['admin']}")
        page.wait_for_selector("#admin:not([hidden])")
        page.wait_for_function("document.querySelectorAll('#annotators tr').length > 1")
        assert "alice24" in page.text_content("#annotators").replace(" ", "")
        assert "no model yet" in page.text_content("#class-version")

        page.click("#train-now")
        page.wait_for_function(
            "document.querySelector('#admin-curve text.version')?.textContent === 'v1'",
            timeout=60_000,
        )
        assert page.locator("#admin-curve polyline.f1").count() == 1
        assert page.locator("#admin-curve polyline.acc").count() == 1
        page.wait_for_function("document.getElementById('class-version').textContent === '(v1)'")
        classes = page.text_content("#class-metrics")
        assert "neg" in classes and "pos" in classes
        page.wait_for_function(
            "document.getElementById('queue-preview').textContent.includes('ranked by')"
        )
        preview = page.text_content("#queue-preview")
        assert "least_confidence, score" in preview and "(model v1)" in preview
        assert "held out" in preview

        with page.expect_download() as info:
            page.click("[data-export=csv]")
        content = Path(info.value.path()).read_text(encoding="utf-8")
        assert info.value.suggested_filename == "labels.csv"
        assert content.startswith("id,text,image,label") and content.count("\n") == 25
        page.close()

        annotator = browser.new_page()  # the page's own CSP applies: nothing it needs is blocked
        annotator.goto(f"{url}/#token={project.tokens['bob']}")
        annotator.wait_for_selector("#card[data-item-id]:not([data-item-id=''])")
        annotator.wait_for_timeout(500)
        assert annotator.is_hidden("#admin")
        annotator.close()
    assert blocked == []


def test_an_admin_sees_agreement_and_settles_a_conflict_in_the_page(tmp_path, browser):
    project = new_project(tmp_path / "p", n=20, heldout_fraction=0.0, overlap=1.0)
    alice, bob = (project.store.authenticate(project.tokens[n]) for n in ("alice", "bob"))
    for n, (a, b) in enumerate([("pos", "pos"), ("neg", "neg"), ("pos", "neg")]):
        item, _ = project.store.next_item(alice)
        project.store.submit(alice, item.id, f"a{n}", value=a)
        assert project.store.next_item(bob)[0].id == item.id
        project.store.submit(bob, item.id, f"b{n}", value=b)
    disputed = item.id
    with live_server(project.store.folder) as (url, _process):
        page = browser.new_page(bypass_csp=True)
        page.goto(f"{url}/#token={project.tokens['admin']}")
        page.wait_for_function(
            "document.getElementById('agreement-summary').textContent.includes('kappa')"
        )
        summary = page.text_content("#agreement-summary")
        assert summary.startswith("3 items answered twice by 2 annotators: 67% agree")
        assert "alice + bob" in page.text_content("#agreement-pairs")
        conflict = page.locator(f"#conflicts li[data-item-id='{disputed}']")
        assert "alice: pos, bob: neg" in conflict.text_content()
        conflict.locator("button", has_text="neg").click()
        page.wait_for_function("document.getElementById('conflicts').textContent === 'none'")
        assert f"settled {disputed} as neg" in page.text_content("#admin-message")
        page.close()
    (row,) = [r for r in project.store.export_rows(project.info.id) if r["id"] == disputed]
    assert (row["label"], row["annotator"], row["review"]) == ("neg", "admin", "settled")
