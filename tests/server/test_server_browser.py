"""A real Chromium drives the page with the keyboard alone (Playwright, Debian's chromium)."""

from __future__ import annotations

import shutil

import pytest
from server_helpers import live_server, new_project

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
